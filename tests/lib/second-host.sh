#!/bin/bash
# Another libvirt "host" on this machine, for migration (and later multi-host) tests: its own virtlogd and
# libvirtd in a private mount and UTS namespace, reachable as qemu+tcp://ADDR/system (no auth, loopback only).
#   second-host.sh start NAME ADDR [AUTH]
#                                    start it (NAME is cvtest-*, ADDR a 127.x.y.z address other than 127.0.0.1);
#                                    prints its URI. AUTH is auth_tcp: none (default) or sasl (with the machine's
#                                    SASL configuration, which no test client can satisfy: a host that refuses
#                                    every login), or sasldb: auth_tcp = sasl with a SASL configuration of its
#                                    own (DIGEST-MD5 against its own password database, empty until
#                                    `sasl-user`). Idempotent while it runs.
#   second-host.sh sasl-user NAME USER
#                                    add USER to a sasldb host's password database, the password read from stdin.
#   second-host.sh stop NAME         destroy its guests, stop its daemons and any QEMU left in its namespace,
#                                    remove its state.
#   second-host.sh exec NAME CMD…    run CMD in its namespaces (its view of /etc/libvirt, /var/lib/libvirt, …).
#   second-host.sh status NAME       exit 0 if it answers.
# It differs from the machine's libvirtd in what libvirt compares before a migration: host name (its own UTS
# namespace) and host_uuid (libvirtd.conf). Its /etc/libvirt, /run/libvirt, /var/lib/libvirt, /var/cache/libvirt
# and /var/log/libvirt are directories under /run/cvtest-hosts/NAME bound over the real ones inside its namespace
# only, so the machine's own libvirt configuration is never read or written. Everything else (/tmp, /var/tmp, the
# guests' kernel and disks) is the same on both, which is what "shared storage" means here; a path under
# /var/lib/libvirt is a different file on each, which is what copy-storage migration needs.
set -euo pipefail

base=/run/cvtest-hosts

log() { echo "second-host.sh: $*" >&2; }

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

pid_of() { [ -s "$1" ] && cat "$1" || true; }

check_name() {
    [[ ${1:-} =~ ^cvtest-[a-z0-9-]{1,40}$ ]] || { log "NAME must match cvtest-[a-z0-9-]+"; exit 2; }
}

uri_of() { echo "qemu+tcp://$(cat "$base/$1/addr")/system"; }

# A host that refuses logins still answers: its port accepts connections.
answers() {
    if [ "$(cat "$base/$1/auth" 2>/dev/null)" != none ]; then
        timeout 5 bash -c "exec 3<>/dev/tcp/$(cat "$base/$1/addr")/16509" 2>/dev/null
    else
        timeout 5 virsh -q -c "$(uri_of "$1")" uri >/dev/null 2>&1
    fi
}

write_config() {
    local dir=$1 name=$2 addr=$3 auth=$4
    mkdir -p "$dir"/{etc/qemu,etc/storage,etc/nwfilter,run,lib/images,cache,log}
    chmod 0755 "$dir" "$dir/lib"
    chmod 0711 "$dir/lib/images"
    cat > "$dir/etc/libvirtd.conf" <<EOF
# Test host $name only: TCP without authentication on a loopback address.
listen_tls = 0
listen_tcp = 1
listen_addr = "$addr"
auth_tcp = "${auth/sasldb/sasl}"
host_uuid = "$(cat /proc/sys/kernel/random/uuid)"
host_uuid_source = "specified"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
    cat > "$dir/etc/qemu.conf" <<EOF
# Incoming migrations and NBD disk copies listen on, and are announced with, this host's own address.
migration_address = "$addr"
migration_host = "$addr"
# Both hosts run on one kernel: cgroups named after domain ids could collide, and a /dev namespace per QEMU
# needs a udev-populated /dev.
cgroup_controllers = [ ]
namespaces = [ ]
EOF
    : > "$dir/etc/virtlogd.conf"
    : > "$dir/etc/libvirt.conf"
    if [ "$auth" = sasldb ]; then
        # Read by this libvirtd only (SASL_CONF_PATH); the machine's /etc/sasl2 stays as it is. DIGEST-MD5 gives
        # the encryption layer libvirt requires of SASL on a plain TCP socket.
        mkdir -p "$dir/sasl2"
        printf 'mech_list: digest-md5\nsasldb_path: %s\n' "$dir/sasl2/passwd.db" > "$dir/sasl2/libvirt.conf"
    fi
    echo "$addr" > "$dir/addr"
    echo "$auth" > "$dir/auth"
}

start() {
    local name=$1 addr=$2 auth=${3:-none} dir=$base/$1
    [[ $auth = none || $auth = sasl || $auth = sasldb ]] || { log "AUTH must be none, sasl or sasldb"; exit 2; }
    [ "$(id -u)" = 0 ] || { log "must run as root"; exit 1; }
    [[ $addr =~ ^127\.[0-9]+\.[0-9]+\.[0-9]+$ && $addr != 127.0.0.1 ]] || { log "ADDR must be 127.x.y.z, not 127.0.0.1"; exit 2; }
    if [ -d "$dir" ] && alive "$(pid_of "$dir/libvirtd.pid")" && answers "$name"; then
        uri_of "$name"
        return 0
    fi
    [ -d "$dir" ] && stop "$name"
    write_config "$dir" "$name" "$addr" "$auth"
    # The namespace lives as long as the daemons in it; the shell that made it exits once they forked.
    unshare --mount --uts --propagation private -- bash -euc '
        dir=$1 name=$2
        # The daemons outlive this script: they must not keep a lock it holds (`flock LOCK second-host.sh`).
        for fd in /proc/$$/fd/*; do
            fd=${fd##*/}
            [ "$fd" -gt 2 ] && eval "exec $fd>&-"
        done
        hostname "$name"
        mount --bind "$dir/etc" /etc/libvirt
        mount --bind "$dir/run" /run/libvirt
        mount --bind "$dir/lib" /var/lib/libvirt
        mount --bind "$dir/cache" /var/cache/libvirt
        mount --bind "$dir/log" /var/log/libvirt
        virtlogd -d -p "$dir/virtlogd.pid"
        for _ in $(seq 50); do [ -S /run/libvirt/virtlogd-sock ] && break; sleep 0.1; done
        if [ -d "$dir/sasl2" ]; then export SASL_CONF_PATH=$dir/sasl2; fi
        libvirtd -d -l -p "$dir/libvirtd.pid"
    ' start "$dir" "$name"
    for _ in $(seq 50); do [ -s "$dir/libvirtd.pid" ] && break; sleep 0.1; done
    readlink "/proc/$(pid_of "$dir/libvirtd.pid")/ns/mnt" > "$dir/mntns"
    for _ in $(seq 300); do
        if answers "$name"; then uri_of "$name"; return 0; fi
        sleep 0.1
    done
    log "$name: $(uri_of "$name") does not answer after 30 s"
    stop "$name"
    exit 1
}

# Pids of processes whose mount namespace is the host's (QEMUs its libvirtd started, stray helpers).
ns_pids() {
    local ns p
    ns=$(cat "$base/$1/mntns" 2>/dev/null) || return 0
    [ -n "$ns" ] || return 0
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$ns" ] && echo "${p#/proc/}"
    done
    return 0
}

stop_pid() {
    alive "$1" || return 0
    kill -TERM "$1" 2>/dev/null || true
    for _ in $(seq 50); do alive "$1" || return 0; sleep 0.1; done
    kill -KILL "$1" 2>/dev/null || true
}

stop() {
    local name=$1 dir=$base/$1 d p
    [ -d "$dir" ] || return 0
    if answers "$name"; then
        for d in $(virsh -q -c "$(uri_of "$name")" list --name 2>/dev/null); do
            virsh -q -c "$(uri_of "$name")" destroy "$d" >/dev/null 2>&1 || true
        done
    fi
    stop_pid "$(pid_of "$dir/libvirtd.pid")"
    stop_pid "$(pid_of "$dir/virtlogd.pid")"
    for p in $(ns_pids "$name"); do stop_pid "$p"; done
    rm -rf "$dir"
}

cmd=${1:-}
case $cmd in
    start) check_name "${2:-}"; start "$2" "${3:?ADDR}" "${4:-none}" ;;
    stop) check_name "${2:-}"; stop "$2" ;;
    status) check_name "${2:-}"; [ -d "$base/$2" ] && answers "$2" ;;
    sasl-user)
        check_name "${2:-}"; [[ ${3:-} =~ ^[a-z0-9-]{1,32}$ ]] || { log "USER must match [a-z0-9-]+"; exit 2; }
        [ -d "$base/$2/sasl2" ] || { log "$2 is not a sasldb host"; exit 2; }
        # In the host's UTS namespace: the default realm is its host name, as its libvirtd sees it.
        timeout 10 nsenter --uts --target "$(pid_of "$base/$2/libvirtd.pid")" -- \
            saslpasswd2 -p -c -a libvirt -f "$base/$2/sasl2/passwd.db" "$3" ;;
    exec)
        check_name "${2:-}"; name=$2; shift 2
        exec nsenter --mount --uts --target "$(pid_of "$base/$name/libvirtd.pid")" -- "$@" ;;
    *) echo "usage: $0 start NAME ADDR [none|sasl|sasldb] | sasl-user NAME USER | stop NAME | status NAME | exec NAME CMD…" >&2
       exit 2 ;;
esac
