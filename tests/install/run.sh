#!/bin/bash
# The packaging test (make check-install), as root on Debian with the test packages of scripts/install-deps.sh:
#   1. make dist: one release tarball of HEAD (prebuilt minified page, vendored crates); checks its contents.
#   2. the .deb from it (make deb) without network or npm; lintian; its Depends.
#   3. apt-get install ./….deb; the installed files (dpkg -L); cockpit-bridge --packages lists virt; the installed
#      helper answers a watch on test:///default through the real bridges (337, and 287 when it is unpacked);
#      a browser smoke test against the installed files when Chromium is there.
#   4. apt-get remove --purge: nothing is left.
#   5. make install / make uninstall with DESTDIR in the unpacked tarball (no npm, no network).
#   6. the .rpm from the same tarball (make rpm, rpmbuild -ta --nodeps): rpm -qlp, --requires, rpmlint.
# Every check prints "ok" or "FAIL"; the last line is "N passed, N failed". Exits non-zero on any failure.
#   CVIRT_INSTALL_KEEP=1   keep the work directory (tarball, packages, build trees, logs)
#   CVIRT_INSTALL_BROWSER=0  skip the browser smoke test
set -uo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
[ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
export DEBIAN_FRONTEND=noninteractive

passed=0
failed=0
t0=$SECONDS
ok() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
# check NAME COMMAND…: one check; the command's output goes to the log, its tail to the terminal if it fails.
check() {
    local name=$1; shift
    local log=$work/logs/$(echo "$name" | tr -c 'a-zA-Z0-9\n' '-').log
    local start=$SECONDS
    last_log=$log
    if "$@" >"$log" 2>&1; then
        ok "$name ($((SECONDS - start)) s)"
    else
        fail "$name ($((SECONDS - start)) s; $log)"
        tail -n 25 "$log" | sed 's/^/     | /'
        return 1
    fi
}
finish() {
    # A check that ended the run early must not leave the .rpm build running over the work directory.
    [ -n "${rpm_pid:-}" ] && wait "$rpm_pid" 2>/dev/null
    echo
    echo "check-install: $((SECONDS - t0)) s"
    echo "$passed passed, $failed failed"
    [ "$failed" = 0 ]
    exit
}

[ "$(id -u)" = 0 ] || { echo "tests/install/run.sh: run as root (apt-get, unshare)" >&2; exit 1; }
missing=()
for c in dpkg-buildpackage dh lintian rpmbuild rpmlint rpm2cpio cpio appstreamcli unshare node cargo; do
    command -v "$c" >/dev/null || missing+=("$c")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "tests/install/run.sh: missing ${missing[*]} (scripts/install-deps.sh test installs them)" >&2
    fail "tools"
    finish
fi

work=$(mktemp -d /tmp/cvtest-install-XXXXXX)
mkdir -p "$work/logs" "$work/out" "$work/build" "$work/nonpm" "$work/empty-home"
cleanup() {
    if [ "${CVIRT_INSTALL_KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Package builds must need neither npm nor node nor the network: run them with these first on PATH, in a network
# namespace of their own (only a down loopback).
for c in npm npx node; do
    printf '#!/bin/sh\necho "%s called during an offline package build: $*" >&2\nexit 1\n' "$c" > "$work/nonpm/$c"
    chmod +x "$work/nonpm/$c"
done
offline() { unshare --net env PATH="$work/nonpm:$PATH" "$@"; }

version=$(git show HEAD:Cargo.toml | sed -n 's/^version *= *"\(.*\)"/\1/p' | head -n 1)
arch=$(dpkg --print-architecture)
tarball=$work/out/cockpit-virt-$version.tar.xz
deb=$work/out/cockpit-virt_${version}-1_$arch.deb
rpm_arch=$(rpm --eval %_arch)
rpmfile=$work/out/cockpit-virt-$version-1.$rpm_arch.rpm
srpm=$work/out/cockpit-virt-$version-1.src.rpm
meta=org.cockpit_project.virt.metainfo.xml
deb_helper=/usr/lib/cockpit/cockpit-virt-helper
marker=/var/lib/cockpit-virt-deps/install-test-owns-cockpit-virt

# The test installs and purges cockpit-virt: never over a copy that it did not put there itself.
installed() { dpkg-query -W -f='${Status}' cockpit-virt 2>/dev/null | grep -q 'install ok installed'; }
if [ -e "$marker" ] && installed; then
    echo "removing the cockpit-virt an interrupted earlier run left installed"
    apt-get remove --purge -y -q cockpit-virt >/dev/null
fi
rm -f "$marker"
if installed || [ -e /usr/share/cockpit/virt ] || [ -e "$deb_helper" ] || [ -e /usr/libexec/cockpit-virt-helper ]; then
    fail "cockpit-virt is already installed here (package or make install): the test would replace and purge it;" \
         "remove it first (apt-get remove --purge cockpit-virt, or make uninstall)"
    finish
fi

# ── 1. the release tarball ────────────────────────────────────────────────────────────────────────────────────────
echo "== make dist (HEAD $(git rev-parse --short HEAD), version $version)"
check "make dist" make dist OUTDIR="$work/out" || finish

tarball_contents() {
    local top=cockpit-virt-$version
    tar -tJf "$tarball" > "$work/tarball.list"
    # One top directory.
    [ "$(cut -d/ -f1 "$work/tarball.list" | sort -u)" = "$top" ] || { echo "not all under $top/"; return 1; }
    for f in Makefile manifest.json manifest-beside-machines.json Cargo.toml Cargo.lock cockpit-virt.spec debian/rules debian/control $meta \
             .cargo/config.toml dist/index.html dist/index.js.gz dist/index.css.gz package-lock.json src/main.rs; do
        grep -qx "$top/$f" "$work/tarball.list" || { echo "missing $f"; return 1; }
    done
    if grep -Eq "^$top/(node_modules|target)/" "$work/tarball.list"; then echo "ships node_modules/ or target/"; return 1; fi
    # Every crates.io package of Cargo.lock is vendored, with its checksum file.
    tar -xJf "$tarball" -C "$work" "$top/Cargo.lock" "$top/.cargo/config.toml" "$top/cockpit-virt.spec" "$top/dist"
    ls "$work/$top/dist" > "$work/dist.list"
    local crates
    crates=$(awk '/^name = / { n = $3 } /^source = "registry/ { gsub(/"/, "", n); print n }' "$work/$top/Cargo.lock")
    for c in $crates; do
        grep -Eq "^$top/vendor/$c(-[0-9][^/]*)?/.cargo-checksum.json$" "$work/tarball.list" ||
            { echo "crate $c not vendored"; return 1; }
    done
    echo "$(echo "$crates" | wc -w) crates vendored"
    grep -q 'replace-with = "vendored-sources"' "$work/$top/.cargo/config.toml" &&
        grep -q 'directory = "vendor"' "$work/$top/.cargo/config.toml" || { echo ".cargo/config.toml"; return 1; }
    # The page is the production build: minified (a few very long lines), no source map. index.js is a stub that
    # imports the list's one chunk (pkg/build.mjs): that chunk is what is checked.
    local js=$work/$top/dist/index.js chunk lines bytes
    zcat "$js.gz" > "$js"
    chunk=$(grep -o 'chunk-[A-Z0-9]*\.js' "$js" | head -n 1)
    [ -n "$chunk" ] && [ -f "$work/$top/dist/$chunk.gz" ] || { echo "dist/index.js imports no chunk of dist/"; return 1; }
    zcat "$work/$top/dist/$chunk.gz" > "$work/list.js"
    lines=$(wc -l < "$work/list.js"); bytes=$(wc -c < "$work/list.js")
    echo "dist/$chunk (the list's code): $bytes bytes in $lines lines ($(wc -c < "$work/$top/dist/$chunk.gz") gzipped)"
    [ "$lines" -le 50 ] && [ $((bytes / (lines + 1))) -gt 5000 ] || { echo "dist/$chunk is not minified"; return 1; }
    if grep -q sourceMappingURL "$js" "$work/list.js" || ls "$work/$top/dist" | grep -q '\.map$'; then
        echo "source map"; return 1
    fi
    # The spec in the tarball carries the bundled() Provides.
    ! grep -q '^#BUNDLED_PROVIDES' "$work/$top/cockpit-virt.spec" &&
        grep -q '^Provides: bundled(crate(tokio))' "$work/$top/cockpit-virt.spec" &&
        grep -q '^Provides: bundled(npm(react))' "$work/$top/cockpit-virt.spec" || { echo "spec Provides"; return 1; }
}
check "tarball: one top dir, prebuilt minified page, vendored crates, spec Provides" tarball_contents
echo "     tarball: $(du -h "$tarball" | cut -f1) $(basename "$tarball")"

# ── 2. the .deb ───────────────────────────────────────────────────────────────────────────────────────────────────
# The .rpm builds from the same tarball meanwhile (checked in 6.): two cargo builds side by side keep both cores
# busy through each one's serial stretches (the last crates, linking, packaging), which saves about a minute.
# -o: use the tarball just made, whatever moved meanwhile (others may commit while this runs).
rpm_log=$work/logs/make-rpm.log
rpm_start=$SECONDS
offline make -o "$tarball" rpm OUTDIR="$work/out" PKG_BUILDDIR="$work/build" >"$rpm_log" 2>&1 &
rpm_pid=$!
echo "== .deb (the .rpm builds beside it)"
check "make deb: dpkg-buildpackage -b from the tarball, offline, without npm" \
    offline make -o "$tarball" deb OUTDIR="$work/out" PKG_BUILDDIR="$work/build" || finish

run_lintian() {
    lintian --fail-on error --display-info "$work/build/deb/cockpit-virt_${version}-1_$arch.changes" 2>&1 |
        grep -v 'running with root privileges' | tee "$work/lintian.txt"
    local rc=${PIPESTATUS[0]}
    echo "lintian result: $(grep -c '^E:' "$work/lintian.txt") errors, $(grep -c '^W:' "$work/lintian.txt") warnings," \
         "$(grep -c '^I:' "$work/lintian.txt") infos"
    return "$rc"
}
check "lintian: no errors" run_lintian; sed -n 's/^lintian result: /     lintian: /p' "$last_log"

deb_fields() {
    local depends recommends
    depends=$(dpkg-deb -f "$deb" Depends); recommends=$(dpkg-deb -f "$deb" Recommends)
    echo "Depends: $depends"; echo "Recommends: $recommends"
    for d in 'cockpit-bridge (>= 287)' 'libvirt-daemon-system | libvirt-daemon-driver-qemu' 'libvirt0 (>= ' \
             'qemu-kvm | qemu-system-x86' 'osinfo-db' 'libc6'; do
        [[ ", $depends" == *", $d"* ]] || { echo "Depends lacks $d"; return 1; }
    done
    for r in ovmf swtpm; do [[ ", $recommends," == *", $r,"* ]] || { echo "Recommends lacks $r"; return 1; }; done
}
check "deb Depends/Recommends" deb_fields

# ── 3. installed ──────────────────────────────────────────────────────────────────────────────────────────────────
echo "== apt-get install ./$(basename "$deb")"
mkdir -p "$(dirname "$marker")" && touch "$marker"
check "apt-get install ./….deb" apt-get install -y -q --no-install-recommends "$deb" || finish

# The files a user gets, apart from the distribution's docs: the same for the .deb, the .rpm and make install.
expected_layout() {  # LIBEXECDIR DATADIR
    echo "$1/cockpit-virt-helper"
    echo "$2/metainfo/$meta"
    echo "$2/cockpit/virt/manifest.json"
    sed "s|^|$2/cockpit/virt/|" "$work/dist.list"
    # The same package beside cockpit-machines: its own manifest, links to the page's files.
    echo "$2/cockpit/virt-beside-machines/manifest.json"
    sed "s|^|$2/cockpit/virt-beside-machines/|" "$work/dist.list"
}
expected_layout /usr/lib/cockpit /usr/share | sort > "$work/expected.deb"
# dh_compress gzips documentation above 4 KiB, so README.md may arrive as README.md.gz.
readme=/usr/share/doc/cockpit-virt/README.md
[ "$(stat -c %s "$repo/README.md")" -gt 4096 ] && readme=$readme.gz
{ cat "$work/expected.deb"; printf '%s\n' "$readme" \
    /usr/share/doc/cockpit-virt/changelog.Debian.gz /usr/share/doc/cockpit-virt/copyright \
    /usr/share/lintian/overrides/cockpit-virt; } | sort > "$work/expected.dpkg"

installed_layout() {
    dpkg -L cockpit-virt | while read -r f; do [ -f "$f" ] && echo "$f"; done | sort > "$work/dpkg-L"
    diff -u "$work/expected.dpkg" "$work/dpkg-L" || return 1
    [ -x "$deb_helper" ] || { echo "$deb_helper is not executable"; return 1; }
    # The manifest as in the repository: ${libexecdir} left for cockpit-bridge to expand.
    git show HEAD:manifest.json | cmp - /usr/share/cockpit/virt/manifest.json || return 1
    git show HEAD:manifest-beside-machines.json | cmp - /usr/share/cockpit/virt-beside-machines/manifest.json || return 1
    [ "$(readlink /usr/share/cockpit/virt-beside-machines/index.html)" = ../virt/index.html ] ||
        { echo "virt-beside-machines/index.html is no link to ../virt/index.html"; return 1; }
    grep -q '"${libexecdir}/cockpit-virt-helper"' /usr/share/cockpit/virt/manifest.json
}
check "dpkg -L: page in /usr/share/cockpit/virt, helper in /usr/lib/cockpit, metainfo, docs" installed_layout
check "appstreamcli validate --strict: installed metainfo" \
    appstreamcli validate --no-net --strict "/usr/share/metainfo/$meta"

bridge_packages() {
    XDG_DATA_HOME=$work/empty-home XDG_DATA_DIRS=/usr/local/share:/usr/share cockpit-bridge --packages
}
packages_lists_virt() {
    bridge_packages | tee "$work/packages.txt"
    grep -Eq '^virt +.*/usr/share/cockpit/virt$' "$work/packages.txt"
}
check "cockpit-bridge --packages lists virt at /usr/share/cockpit/virt" packages_lists_virt

bridges=(337)
[ -x .cache/cockpit-287/usr/bin/cockpit-bridge ] && bridges+=(287)
check "bridge ${bridges[*]}: spawns the installed helper, watch test:///default answers" \
    node tests/install/bridge-watch.mjs "$deb_helper" "${bridges[@]}" && sed -n 's/^ok /     /p' "$last_log"

if [ "${CVIRT_INSTALL_BROWSER:-1}" != 0 ] && [ -x "${CVIRT_CHROMIUM:-/usr/bin/chromium}" ] && [ -d node_modules/playwright-core ]; then
    check "browser: the installed page through cockpit-ws runs and shuts down a tiny real guest" \
        node tests/install/browser-smoke.mjs "$deb_helper"
else
    echo "skip browser smoke test (no Chromium or playwright-core, or CVIRT_INSTALL_BROWSER=0)"
fi

# ── 4. removed ────────────────────────────────────────────────────────────────────────────────────────────────────
echo "== apt-get remove --purge cockpit-virt"
check "apt-get remove --purge cockpit-virt" apt-get remove --purge -y -q cockpit-virt && rm -f "$marker"
nothing_left() {
    local left=0
    if dpkg-query -W -f='${Status}\n' cockpit-virt 2>/dev/null | grep -qv '^unknown ok not-installed$\|^$'; then
        dpkg-query -W -f='${Status}\n' cockpit-virt; left=1
    fi
    for f in $(cat "$work/expected.dpkg") /usr/share/cockpit/virt /usr/share/cockpit/virt-beside-machines \
             /usr/share/doc/cockpit-virt /var/lib/dpkg/info/cockpit-virt.*; do
        [ -e "$f" ] && { echo "left: $f"; left=1; }
    done
    bridge_packages | grep -E '^virt ' && { echo "cockpit-bridge still lists virt"; left=1; }
    return $left
}
check "purged: no files, no dpkg record, cockpit-bridge lists no virt" nothing_left

# ── 5. make install / make uninstall ──────────────────────────────────────────────────────────────────────────────
echo "== make install DESTDIR=… (in the unpacked tarball)"
src=$work/build/deb/cockpit-virt-$version
make_install_layout() {  # NAME EXPECTED-LIBEXECDIR EXPECTED-DATADIR MAKE-ARGS…
    local root=$work/root-$1 libexec=$2 data=$3; shift 3
    offline make -C "$src" --no-print-directory install DESTDIR="$root" "$@" || return 1
    # Files and the links of virt-beside-machines/ to them.
    (cd "$root" && find . \( -type f -o -type l \) | sed 's|^\.||' | sort) > "$work/installed.$$"
    expected_layout "$libexec" "$data" | sort | diff -u - "$work/installed.$$" || return 1
    appstreamcli validate --no-net --strict "$root$data/metainfo/$meta" || return 1
    offline make -C "$src" --no-print-directory uninstall DESTDIR="$root" "$@" || return 1
    if [ -n "$(find "$root" ! -type d)" ]; then echo "make uninstall left:"; find "$root" ! -type d; return 1; fi
}
# LIBEXECDIR defaults to Cockpit's own (here Debian's /usr/lib/cockpit, where cockpit-askpass is).
check "make install/uninstall: PREFIX=/usr, default LIBEXECDIR" make_install_layout usr /usr/lib/cockpit /usr/share
check "make install/uninstall: PREFIX=/usr/local (helper still in Cockpit's libexecdir)" \
    make_install_layout local /usr/lib/cockpit /usr/local/share PREFIX=/usr/local
check "make install/uninstall: LIBEXECDIR=/usr/libexec (Fedora's)" \
    make_install_layout fedora /usr/libexec /usr/share LIBEXECDIR=/usr/libexec

# ── 6. the .rpm ───────────────────────────────────────────────────────────────────────────────────────────────────
echo "== .rpm"
rpm_built() {
    local rc=0
    wait "$rpm_pid" || rc=$?
    echo "built in $((SECONDS - rpm_start)) s beside the .deb"
    tail -n 25 "$rpm_log"
    return "$rc"
}
check "make rpm: rpmbuild -ta --nodeps from the same tarball, offline, without npm" rpm_built || finish
sed -n 's/^built in /     built in /p' "$last_log"

rpm_layout() {
    rpm -qlp "$rpmfile" > "$work/rpm-ql"
    # The files (not directories), without build-id links and docs.
    rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$rpmfile" |
        awk '$1 !~ /^d/ && $2 !~ /^\/usr\/(lib\/\.build-id|share\/doc)\// { print $2 }' | sort > "$work/rpm-files"
    expected_layout /usr/libexec /usr/share | sort | diff -u - "$work/rpm-files" || return 1
    grep -Eq '^/usr/share/doc/cockpit-virt(-[0-9.]+)?/README.md$' "$work/rpm-ql" || { echo "no README.md"; return 1; }
    rpm2cpio "$rpmfile" | cpio -i --quiet --to-stdout ./usr/share/cockpit/virt/manifest.json > "$work/rpm-manifest.json"
    git show HEAD:manifest.json | cmp - "$work/rpm-manifest.json"
}
check "rpm -qlp: the .deb's layout with Fedora's paths (/usr/libexec/cockpit-virt-helper)" rpm_layout

rpm_deps() {
    rpm -qp --requires "$rpmfile" > "$work/rpm-requires"
    rpm -qp --recommends "$rpmfile" > "$work/rpm-recommends"
    rpm -qp --provides "$rpmfile" > "$work/rpm-provides"
    grep -v '^rpmlib\|^libc\.so\|^ld-linux\|^rtld\|^libgcc' "$work/rpm-requires"
    echo "Recommends: $(tr '\n' ' ' < "$work/rpm-recommends")"
    for r in 'cockpit-bridge >= 287' 'libvirt-daemon-driver-qemu >= 6.0.0' 'libvirt-libs >= 6.0.0' \
             'libvirt.so.0()(64bit)' '(qemu-kvm-core or qemu-kvm)' 'osinfo-db'; do
        grep -qxF "$r" "$work/rpm-requires" || { echo "Requires lacks $r"; return 1; }
    done
    for r in edk2-ovmf swtpm; do grep -qx "$r" "$work/rpm-recommends" || { echo "Recommends lacks $r"; return 1; }; done
    grep -q '^bundled(crate(tokio)) = ' "$work/rpm-provides" && grep -q '^bundled(npm(react)) = ' "$work/rpm-provides"
}
check "rpm -qp --requires/--recommends/--provides" rpm_deps

run_rpmlint() {
    # rpmlint's Fedora filters (Debian's rpmlint has only the generic defaults); errors fail, warnings are listed.
    rpmlint -c tests/install/rpmlint-fedora.toml "$rpmfile" "$srpm" "$work/cockpit-virt-$version/cockpit-virt.spec" 2>&1 | tee "$work/rpmlint.txt"
    local rc=${PIPESTATUS[0]}
    echo "rpmlint result: $(grep -c ': E: ' "$work/rpmlint.txt") errors, $(grep -c ': W: ' "$work/rpmlint.txt") warnings"
    ! grep -q ': E: ' "$work/rpmlint.txt" && [ "$rc" = 0 ]
}
check "rpmlint (Fedora profile): no errors" run_rpmlint; sed -n 's/^rpmlint result: /     rpmlint: /p' "$last_log"

echo "     packages: $(cd "$work/out" && ls | tr '\n' ' ')"
finish
