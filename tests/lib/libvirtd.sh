#!/bin/bash
# The libvirtd the test suite runs against (qemu:///system), for machines without systemd.
#   libvirtd.sh start   if qemu:///system does not answer, start what is missing of dbus-daemon --system,
#                       virtlogd and libvirtd, and record exactly those in the state file; then wait until
#                       `virsh -c qemu:///system uri` answers. If libvirtd already runs, use it as it is.
#   libvirtd.sh stop    destroy running cvtest-* domains, then stop only the daemons `start` recorded (none if
#                       another libvirtd has replaced ours: it depends on virtlogd and the system bus).
#   libvirtd.sh restart stop and start again the libvirtd `start` recorded (running guests keep running), with
#                       the same command, and record its new pid; exit 3 if libvirtd was not started by the suite.
#   libvirtd.sh env     print the environment tests use (shell syntax).
#   libvirtd.sh status  exit 0 if qemu:///system answers.
#   libvirtd.sh log     print the end of the warnings and errors of the libvirtd `start` started.
# Tests share a libvirtd with whatever else runs on the machine, so they create and touch only objects named
# cvtest-*; guests use <interface type='user'>, so no libvirt network is needed.
set -euo pipefail
uri=qemu:///system
state_dir=/run/cockpit-virt-test
state=$state_dir/started
# Warnings and errors of the libvirtd this script starts (it runs detached, so its stderr goes nowhere).
daemon_log=$state_dir/libvirtd.log

log() { echo "libvirtd.sh: $*" >&2; }

answers() { timeout 5 virsh -q -c "$uri" uri >/dev/null 2>&1; }

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

pid_from() { [ -s "$1" ] && cat "$1" || true; }

# record NAME PID: note a daemon this script started.
record() { mkdir -p "$state_dir"; echo "$1 $2" >> "$state"; }

# Without udev, /dev/kvm stays root:root 0600. libvirt then finds KVM "enabled when probing but not available
# now" and re-probes QEMU's capabilities on every domain start (4 s each). Apply udev's own rule
# (50-udev-default.rules: GROUP="kvm", MODE="0660") so the cache stays valid. Guests still use TCG (type='qemu').
udev_kvm() {
    [ -c /dev/kvm ] && getent group kvm >/dev/null || return 0
    [ "$(stat -c %G:%a /dev/kvm)" = kvm:660 ] && return 0
    chgrp kvm /dev/kvm && chmod 0660 /dev/kvm && log "set /dev/kvm to root:kvm 0660 as udev would"
}

# launch NAME: runs `NAME -d` (a daemon that writes /run/NAME.pid) without our lock fd, waits for its pid file and
# prints the pid.
# without_fds CMD…: runs CMD with nothing open but stdin, stdout and stderr. The daemons outlive this script and
# must not keep a lock its caller holds: `flock /run/cvtest-suite.lock …` passes its lock fd down, and a libvirtd
# holding it blocks every later test run on the machine.
without_fds() {
    (
        for fd in /proc/$BASHPID/fd/*; do
            fd=${fd##*/}
            [ "$fd" -gt 2 ] && eval "exec $fd>&-"
        done
        exec "$@"
    )
}

launch() {
    rm -f "/run/$1.pid"
    if [ "$1" = libvirtd ]; then
        mkdir -p "$state_dir"
        LIBVIRT_LOG_OUTPUTS="3:file:$daemon_log" without_fds "$1" -d
    else
        without_fds "$1" -d
    fi
    for _ in $(seq 50); do [ -s "/run/$1.pid" ] && break; sleep 0.1; done
    pid_from "/run/$1.pid"
}

# wait_answers WHAT: waits up to 30 s for qemu:///system to answer.
wait_answers() {
    for _ in $(seq 300); do
        if answers; then return 0; fi
        sleep 0.1
    done
    log "libvirtd $1 but $uri does not answer after 30 s"
    exit 1
}

start() {
    [ "$(id -u)" = 0 ] || { log "must run as root"; exit 1; }
    udev_kvm
    if answers; then return 0; fi
    mkdir -p "$state_dir"
    exec 9>"$state_dir/lock"
    flock 9
    if answers; then return 0; fi

    if ! dbus-send --system --dest=org.freedesktop.DBus --print-reply / org.freedesktop.DBus.GetId >/dev/null 2>&1; then
        mkdir -p /run/dbus
        pid=$(pid_from /run/dbus/pid)
        if alive "$pid"; then
            log "dbus-daemon $pid runs but does not answer"
        else
            rm -f /run/dbus/pid /run/dbus/system_bus_socket
            without_fds dbus-daemon --system --fork
            record dbus-daemon "$(pid_from /run/dbus/pid)"
        fi
    fi

    # A libvirtd of ours that is gone means it crashed or was killed: say so, the run's failures may come from it.
    local ours
    ours=$(awk '$1 == "libvirtd" { print $2 }' "$state" 2>/dev/null | tail -1 || true)
    if [ -n "$ours" ] && ! alive "$ours"; then
        log "the libvirtd this suite started ($ours) is gone; starting another. Its last words:"
        tail -n 20 "$daemon_log" >&2 2>/dev/null || true
    fi
    alive "$(pid_from /run/libvirtd.pid)" || { mkdir -p "$state_dir"; : > "$daemon_log"; }

    for daemon in virtlogd libvirtd; do
        alive "$(pid_from "/run/$daemon.pid")" || record "$daemon" "$(launch "$daemon")"
    done
    wait_answers started
}

stop() {
    [ -s "$state" ] || return 0
    local ours_pid running_pid
    ours_pid=$(awk '$1 == "libvirtd" { print $2 }' "$state" | tail -1)
    running_pid=$(pid_from /run/libvirtd.pid)
    if alive "$running_pid" && [ "$running_pid" != "$ours_pid" ]; then
        # Someone replaced our libvirtd with theirs: it needs virtlogd and the system bus (libvirtd exits when
        # the bus goes away), so leave everything running and forget what we started.
        log "libvirtd $running_pid is not the one we started; leaving the daemons running"
        rm -f "$state"
        return 0
    fi
    if answers; then
        for d in $(virsh -q -c "$uri" list --name | grep '^cvtest-' || true); do
            virsh -q -c "$uri" destroy "$d" >/dev/null 2>&1 || true
        done
    fi
    # Stop in reverse order of starting.
    tac "$state" | while read -r name pid; do
        alive "$pid" || continue
        kill -TERM "$pid"
        for _ in $(seq 100); do alive "$pid" || break; sleep 0.1; done
        alive "$pid" && { log "$name ($pid) ignored SIGTERM, killing"; kill -KILL "$pid" || true; }
        log "stopped $name ($pid)"
    done
    rm -f "$state"
}

restart() {
    [ "$(id -u)" = 0 ] || { log "must run as root"; exit 1; }
    local ours running new
    ours=$(awk '$1 == "libvirtd" { print $2 }' "$state" 2>/dev/null | tail -1 || true)
    running=$(pid_from /run/libvirtd.pid)
    if [ -z "$ours" ] || [ "$ours" != "$running" ] || ! alive "$ours"; then
        log "libvirtd ${running:-(none)} was not started by the test suite; not restarting it"
        exit 3
    fi
    # No flock here: a daemon started before `launch` closed the lock fd may still hold the lock.
    kill -TERM "$ours"
    for _ in $(seq 100); do alive "$ours" || break; sleep 0.1; done
    alive "$ours" && { log "libvirtd ($ours) ignored SIGTERM, killing"; kill -KILL "$ours" || true; }
    new=$(launch libvirtd)
    sed -i "s/^libvirtd $ours\$/libvirtd $new/" "$state"
    log "restarted libvirtd ($ours, now $new)"
    wait_answers restarted
}

case ${1:-} in
    start) start ;;
    stop) stop ;;
    restart) restart ;;
    env) echo "LIBVIRT_DEFAULT_URI=$uri; export LIBVIRT_DEFAULT_URI" ;;
    status) answers ;;
    log) [ -s "$daemon_log" ] && tail -n "${2:-30}" "$daemon_log" || true ;;
    *) echo "usage: $0 start|stop|restart|env|status|log [LINES]" >&2; exit 2 ;;
esac
