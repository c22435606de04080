# shellcheck shell=bash
# Sourced by build-guest.sh and build-media.sh: puts kernel modules into an initramfs tree with everything they
# depend on, dependencies first, each once, as $root/lib/modules/<name>.ko, and their load order in
# $root/etc/modules. Dependencies are read from the .ko files themselves: busybox modinfo needs the host's
# modules.dep and otherwise prints nothing. Names compare with '-' as '_'.
# Uses the caller's log(), $work (scratch), $root (the tree) and $kpkg (the kernel package, for messages).

# install_modules KMODS_DIR BUILTIN_LIST NAME…   (BUILTIN_LIST: the kernel's modules.builtin, or "" for none)
install_modules() {
    local kmods=$1 builtin=$2 m f n
    shift 2
    declare -gA ko_of=() seen=()
    order=()
    if [ -n "$builtin" ]; then
        while read -r m; do m=${m##*/}; m=${m%%.ko*}; seen[${m//-/_}]=builtin; done < "$builtin"
    fi
    while IFS= read -r f; do
        n=$(basename "$f"); n=${n%%.ko*}; ko_of[${n//-/_}]=$f
    done < <(find "$kmods" -name '*.ko*')
    for m in "$@"; do add_module "$m"; done
    printf '%s\n' "${order[@]}" > "$root/etc/modules"
    log "modules: ${order[*]}"
}

add_module() {
    local n=${1//-/_} f dep
    [ -n "${seen[$n]:-}" ] && return 0
    seen[$n]=1
    f=${ko_of[$n]:-}
    [ -n "$f" ] || { log "module $n not in $kpkg"; exit 1; }
    case $f in
        *.ko.xz) xz -dc "$f" > "$work/m.ko"; f=$work/m.ko ;;
        *.ko.zst) zstd -qdc "$f" > "$work/m.ko"; f=$work/m.ko ;;
    esac
    for dep in $(tr '\0' '\n' < "$f" | sed -n 's/^depends=//p' | tr ',' ' '); do add_module "$dep"; done
    cp "$f" "$root/lib/modules/$n.ko"
    order+=("$n")
}
