#!/bin/bash
# Proves the README's commands on a machine that never saw this project: a fresh Debian chroot (mmdebstrap,
# minbase: no Rust, no Node, no Cockpit, no libvirt), a clone of this checkout's HEAD, then inside it
# `scripts/install-deps.sh test`, `make all lint`, the libvirt driver preflight and the test stages given.
#   scripts/check-new-machine.sh [SUITE] [STAGE…]   SUITE: bookworm (default) or trixie
#   STAGES: unit protocol create-protocol tools (default: all four); "all" runs scripts/run-tests whole.
# The chroot gets /proc, /sys, /dev bind mounts and its own /run, so its libvirtd, dbus and virtlogd never meet the
# host's. Everything is removed afterwards (CVIRT_KEEP_CHROOT=1 keeps it in /var/tmp/cvtest-new-machine); the
# stages' full output is kept in /tmp/cvtest-new-machine-logs/.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
suite=${1:-bookworm}
shift || true
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(unit protocol create-protocol tools)
root=/var/tmp/cvtest-new-machine
[ "$(id -u)" = 0 ] || { echo "check-new-machine: run as root" >&2; exit 1; }
command -v mmdebstrap >/dev/null || apt-get install -y -q --no-install-recommends mmdebstrap </dev/null

mounts=()
cleanup() {
    # Stop whatever the chroot started (libvirtd, virtlogd, dbus, QEMU), then unmount and remove it.
    for pid in $(ls /proc | grep -E '^[0-9]+$'); do
        [ "$(readlink "/proc/$pid/root" 2>/dev/null)" = "$root" ] && kill -TERM "$pid" 2>/dev/null || true
    done
    sleep 2
    for pid in $(ls /proc | grep -E '^[0-9]+$'); do
        [ "$(readlink "/proc/$pid/root" 2>/dev/null)" = "$root" ] && kill -KILL "$pid" 2>/dev/null || true
    done
    mkdir -p /tmp/cvtest-new-machine-logs
    cp "$root"/root/*.log /tmp/cvtest-new-machine-logs/ 2>/dev/null || true
    for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[$i]}" 2>/dev/null || true; done
    [ "${CVIRT_KEEP_CHROOT:-}" = 1 ] || rm -rf --one-file-system "$root"
}
trap cleanup EXIT

rm -rf --one-file-system "$root"
mmdebstrap --variant=minbase --include=ca-certificates,git,make,procps "$suite" "$root"
# The root must be a mount point of its own, as on a real machine: libvirt's QEMU namespaces and `unshare
# --propagation` change the propagation of "/", which fails on a directory that is not one.
mount --bind "$root" "$root"
mounts+=("$root")
for m in proc sys dev dev/pts; do
    mount --bind "/$m" "$root/$m"
    mounts+=("$root/$m")
done
mount -t tmpfs tmpfs "$root/run"
mounts+=("$root/run")
cp /etc/resolv.conf "$root/etc/resolv.conf"
# What a new machine here gets from its platform rather than from Debian: extra trusted CAs (a TLS-inspecting
# egress proxy) and npm's settings. Carry them in, so the chroot differs from a new machine only by our own work.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
    chroot "$root" update-ca-certificates >/dev/null
fi
[ -f /root/.npmrc ] && cp /root/.npmrc "$root/root/.npmrc"
git clone -q "$here" "$root/root/cockpit-virt"

bundle=/etc/ssl/certs/ca-certificates.crt
inside() { chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    TERM=dumb LANG=C.UTF-8 SSL_CERT_FILE=$bundle CARGO_HTTP_CAINFO=$bundle NODE_EXTRA_CA_CERTS=$bundle /bin/bash -o pipefail -c "cd /root/cockpit-virt && $1"; }

if [ "${stages[0]}" = all ]; then
    inside "scripts/run-tests </dev/null"
    exit
fi
inside "scripts/install-deps.sh test </dev/null"
inside "make --no-print-directory all lint"
# A chroot is not a whole machine: QEMU's private /dev (libvirt's mount namespace) cannot be populated inside one
# ("Could not open /dev/urandom"), so this libvirtd runs its guests without that namespace.
grep -qs '^namespaces = \[\]' "$root/etc/libvirt/qemu.conf" || echo 'namespaces = []' >> "$root/etc/libvirt/qemu.conf"
inside "tests/lib/libvirtd.sh start && tests/lib/preflight.sh"
export_helper="export CVIRT_HELPER=\$PWD/target/release/cockpit-virt-helper"
for stage in "${stages[@]}"; do
    case $stage in
        unit) inside "cargo test --locked 2>&1 | tee /root/unit.log | grep -E '^test result|FAILED'" ;;
        protocol) inside "$export_helper && node --test --test-concurrency=1 tests/protocol 2>&1 | tee /root/protocol.log | grep -E '^ *not ok|^# (pass|fail)'" ;;
        create-protocol) inside "$export_helper && tests/lib/build-guest.sh >/dev/null && node --test --test-concurrency=1 tests/protocol/create.test.mjs 2>&1 | tee /root/create-protocol.log | grep -E '^ *not ok|^# (pass|fail)'" ;;
        # What the libvirt and browser stages run besides libvirt (those stages need a whole machine): each
        # command and SASL plugin must be there after install-deps.sh alone.
        tools) inside 'for c in ss saslpasswd2 sshd ssh-keygen tgtd tgtadm parted xorriso chromium; do
                           command -v "$c" >/dev/null || { echo "missing command: $c"; exit 1; }; done
                       for p in libdigestmd5 libsasldb; do
                           ls /usr/lib/*/sasl2/"$p".so >/dev/null 2>&1 || { echo "missing SASL plugin: $p"; exit 1; }; done
                       echo "tools: all there"' ;;
        *) echo "check-new-machine: unknown stage $stage" >&2; exit 2 ;;
    esac
done
inside "tests/lib/libvirtd.sh stop"
