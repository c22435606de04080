#!/bin/bash
# Stops or starts only the libvirtd of a test host made by second-host.sh, leaving its namespace (kept alive by
# its virtlogd), its state and its running QEMUs alone: a host whose libvirt goes away and comes back.
#   host-libvirtd.sh stop NAME     SIGTERM to its libvirtd, wait until it is gone
#   host-libvirtd.sh start NAME    start it again in the same namespaces, wait until it answers
set -euo pipefail

base=/run/cvtest-hosts
name=${2:-}
[[ $name =~ ^cvtest-[a-z0-9-]{1,40}$ ]] || { echo "host-libvirtd.sh: NAME must match cvtest-[a-z0-9-]+" >&2; exit 2; }
dir=$base/$name
[ -s "$dir/virtlogd.pid" ] || { echo "host-libvirtd.sh: $name is not running (second-host.sh start)" >&2; exit 1; }
uri="qemu+tcp://$(cat "$dir/addr")/system"

# A host that asks for a login still answers: its port accepts connections.
answers() {
    if [ "$(cat "$dir/auth" 2>/dev/null)" != none ]; then
        timeout 5 bash -c "exec 3<>/dev/tcp/$(cat "$dir/addr")/16509" 2>/dev/null
    else
        timeout 5 virsh -q -c "$uri" uri >/dev/null 2>&1
    fi
}

case ${1:-} in
    stop)
        pid=$(cat "$dir/libvirtd.pid" 2>/dev/null || true)
        [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || exit 0
        # A loaded machine can take a while: libvirtd finishes its clients' calls before it exits.
        for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
        # Seen once in a whole suite run: still there after 30 s. The test only needs this host's libvirtd gone (it
        # is the test's own), so it is killed, saying so and where its threads were.
        echo "host-libvirtd.sh: $name's libvirtd ($pid) did not end in 30 s; killing it. Its threads were in:" >&2
        grep -h . /proc/"$pid"/task/*/wchan 2>/dev/null | sort | uniq -c >&2 || true
        kill -KILL "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
        echo "host-libvirtd.sh: $name's libvirtd ($pid) survived SIGKILL" >&2; exit 1 ;;
    start)
        answers && exit 0
        # Not `exec`'s fds: the daemon must not keep a lock the caller holds (`flock LOCK …`).
        nsenter --mount --uts --target "$(cat "$dir/virtlogd.pid")" -- \
            bash -c 'for fd in /proc/$$/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done
                     if [ -d "$2" ]; then export SASL_CONF_PATH=$2; fi
                     exec libvirtd -d -l -p "$1"' start "$dir/libvirtd.pid" "$dir/sasl2"
        for _ in $(seq 300); do answers && exit 0; sleep 0.1; done
        echo "host-libvirtd.sh: $name's libvirtd does not answer after 30 s" >&2; exit 1 ;;
    *) echo "usage: $0 stop|start NAME" >&2; exit 2 ;;
esac
