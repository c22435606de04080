#!/bin/bash
# A userspace iSCSI target for the storage pool tests (tgt's tgtd: no kernel target, no kernel initiator needed).
#   iscsi-target.sh start   start tgtd on 127.0.0.1:$CVTEST_ISCSI_PORT (default 3261, not iSCSI's 3260) with its
#                           own control port, serving one sparse 64 MiB file as LUN 1 of the target
#                           $CVTEST_ISCSI_IQN (default iqn.2026-01.org.cockpit-virt:cvtest-target), open to any
#                           initiator; print `portal IQN`. Exit 2 if tgtd is not installed.
#   iscsi-target.sh stop    stop the tgtd `start` started (by its pid file) and remove its LUN file; nothing else.
set -euo pipefail
port=${CVTEST_ISCSI_PORT:-3261}
iqn=${CVTEST_ISCSI_IQN:-iqn.2026-01.org.cockpit-virt:cvtest-target}
control=${CVTEST_ISCSI_CONTROL:-$((port + 20000))}
state_dir=/run/cockpit-virt-test
pid_file=$state_dir/cvtest-tgtd.pid
lun=$state_dir/cvtest-iscsi-lun.img

log() { echo "iscsi-target.sh: $*" >&2; }
adm() { tgtadm -C "$control" --lld iscsi "$@"; }
running() { [ -s "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; }

start() {
    command -v tgtd >/dev/null || { log "tgtd is not installed (Debian package tgt)"; exit 2; }
    mkdir -p "$state_dir"
    if ! running; then
        truncate -s 64M "$lun"
        # -f: a background job of this script, so $! is tgtd's own pid (the only one `stop` will signal).
        tgtd -f -C "$control" --iscsi "portal=127.0.0.1:$port" </dev/null >"$state_dir/cvtest-tgtd.log" 2>&1 &
        echo $! > "$pid_file"
        for _ in $(seq 50); do adm --mode target --op show >/dev/null 2>&1 && break; sleep 0.1; done
        running || { log "tgtd exited: $(cat "$state_dir/cvtest-tgtd.log")"; rm -f "$pid_file"; exit 1; }
        adm --mode target --op new --tid 1 --targetname "$iqn"
        adm --mode logicalunit --op new --tid 1 --lun 1 --backing-store "$lun"
        adm --mode target --op bind --tid 1 --initiator-address ALL
    fi
    echo "127.0.0.1:$port $iqn"
}

stop() {
    if running; then
        pid=$(cat "$pid_file")
        # tgtd ignores SIGTERM; it exits when told so through its own control port.
        adm --mode target --op delete --force --tid 1 >/dev/null 2>&1 || true
        tgtadm -C "$control" --mode system --op delete >/dev/null 2>&1 || kill "$pid"
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -f "$pid_file" "$lun" "$state_dir/cvtest-tgtd.log"
}

case ${1:-} in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 1 ;;
esac
