#!/bin/bash
# Builds the tiny real test guest (shared/test-guest.md): a Debian cloud kernel and a busybox-static initramfs
# that is the whole OS. Direct kernel boot only (<os><kernel>/<initrd>), no disk image.
#   build-guest.sh [OUT_DIR]        default: $CVIRT_GUEST_DIR or <repo>/.cache/guest
# Writes OUT_DIR/vmlinuz and OUT_DIR/initrd.img (mode 0644, OUT_DIR 0755) and prints OUT_DIR.
# The guest prints on ttyS0
#   TESTGUEST-READY ip=<addr|none> agent=<yes|no>    when booted
#   TESTGUEST-SHUTDOWN                               when busybox init shuts down (poweroff or reboot)
# and powers off on the ACPI power button (acpid), reboots on ctrl-alt-del.
# Idempotent: does nothing when both outputs are newer than this script. Downloaded .debs are cached in
# $CVIRT_DEB_CACHE (default /var/cache/cockpit-virt/debs); nothing is ever installed.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
self=$(realpath "$0")
out=${1:-${CVIRT_GUEST_DIR:-$here/.cache/guest}}
debs=${CVIRT_DEB_CACHE:-/var/cache/cockpit-virt/debs}
kernel_meta=linux-image-cloud-amd64
# Loaded in this order after their dependencies, which are read from the .ko files themselves.
# virtio_scsi, sr_mod and isofs: CD/DVD drives on a SCSI bus, whose inserted media tests read; virtiofs (and fuse):
# shared directories.
modules=(virtio_pci virtio_net virtio_blk virtio_console virtio_balloon button evdev virtio_scsi sr_mod isofs virtiofs)

log() { echo "build-guest: $*" >&2; }

mkdir -p "$out"
out=$(realpath "$out")
if [ "$out/vmlinuz" -nt "$self" ] && [ "$out/initrd.img" -nt "$self" ]; then
    echo "$out"; exit 0
fi
# One build at a time per output dir (test processes may ask concurrently).
exec 9>"$out/.lock"
flock 9
if [ "$out/vmlinuz" -nt "$self" ] && [ "$out/initrd.img" -nt "$self" ]; then
    echo "$out"; exit 0
fi

for tool in apt-get dpkg-deb cpio gzip /bin/busybox; do
    command -v "$tool" >/dev/null || { log "missing $tool (scripts/install-deps.sh test)"; exit 1; }
done
/bin/busybox --list | grep -x acpid >/dev/null || { log "/bin/busybox has no acpid: install busybox-static"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# download PKG: the .deb of PKG (candidate version) into the cache, prints its path.
download() {
    local pkg=$1 ver file
    ver=$(apt-cache policy "$pkg" | sed -n 's/^ *Candidate: //p')
    [ -n "$ver" ] && [ "$ver" != "(none)" ] || { log "apt knows no $pkg (apt-get update?)"; return 1; }
    file=$debs/${pkg}_${ver//:/%3a}.deb
    if [ ! -s "$file" ]; then
        mkdir -p "$debs" "$work/dl"
        (cd "$work/dl" && apt-get download -q "$pkg=$ver" >&2 2>/dev/null) || { log "apt-get download $pkg failed"; return 1; }
        mv "$work/dl/${pkg}_"*.deb "$file"
    fi
    echo "$file"
}

# Kernel: the image package the meta package depends on.
kpkg=$(apt-cache depends "$kernel_meta" | sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -1)
[ -n "$kpkg" ] || { log "cannot resolve $kernel_meta"; exit 1; }
kdeb=$(download "$kpkg")
mkdir "$work/k"
dpkg-deb -x "$kdeb" "$work/k"
vmlinuz=$(ls "$work"/k/boot/vmlinuz-* | head -1)
kver=${vmlinuz##*/vmlinuz-}
kmods=$work/k/lib/modules/$kver/kernel
log "kernel $kver from $kpkg"

root=$work/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc/acpi/PWRF,proc,sys,dev,run,tmp,root,lib/modules,var/log}
ln -s /run "$root/var/run"
chmod 1777 "$root/tmp"
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list-full); do
    [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done
ln -s /bin/busybox "$root/init"
mknod -m 600 "$root/dev/console" c 5 1
mknod -m 666 "$root/dev/null" c 1 3

# shellcheck source=tests/lib/kernel-modules.sh
. "$here/tests/lib/kernel-modules.sh"
install_modules "$kmods" "" "${modules[@]}"

# Optional guest agent (qemu-ga from Debian 12 plus its libraries from the host).
agent=no
if qdeb=$(download qemu-guest-agent); then
    mkdir "$work/qga"
    dpkg-deb -x "$qdeb" "$work/qga"
    if libs=$(ldd "$work/qga/usr/sbin/qemu-ga" 2>/dev/null) && ! grep -q 'not found' <<<"$libs"; then
        cp "$work/qga/usr/sbin/qemu-ga" "$root/usr/sbin/"
        for lib in $(grep -o '/[^ ]*' <<<"$libs"); do
            mkdir -p "$root$(dirname "$lib")"
            cp -L "$lib" "$root$lib"
        done
        agent=yes
    else
        log "qemu-ga libraries missing on the host; guest without agent"
    fi
else
    log "no qemu-guest-agent package; guest without agent"
fi
log "agent: $agent"

cat > "$root/etc/inittab" <<'EOF'
::sysinit:/etc/rc.sysinit
ttyS0::respawn:-/bin/sh
tty1::respawn:-/bin/sh
::ctrlaltdel:/sbin/reboot
::shutdown:/etc/rc.shutdown
EOF

cat > "$root/etc/rc.sysinit" <<'EOF'
#!/bin/sh
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/virtio-ports
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mkdir -p /run/log
for m in $(cat /etc/modules); do
    insmod /lib/modules/$m.ko 2>>/run/log/insmod.log || echo "testguest: insmod $m failed" > /dev/console
done
hostname testguest
ip link set lo up

# busybox acpid only opens the event devices present when it starts.
n=0
while [ $n -lt 20 ] && ! ls /dev/input/event* >/dev/null 2>&1; do sleep 0.05; n=$((n + 1)); done
acpid -l /run/log/acpid.log

addr=none
if ip link show eth0 >/dev/null 2>&1; then
    ip link set eth0 up
    udhcpc -i eth0 -s /etc/udhcpc.script -t 5 -T 1 -A 5 -b -S >/dev/null 2>&1
    addr=$(ip -4 -o addr show dev eth0 | sed -n 's/.* inet \([0-9.]*\)\/.*/\1/p' | head -1)
    [ -n "$addr" ] || addr=none
fi

agent=no
if [ -x /usr/sbin/qemu-ga ]; then
    for p in /sys/class/virtio-ports/*; do
        [ -f "$p/name" ] || continue
        if [ "$(cat "$p/name")" = org.qemu.guest_agent.0 ]; then
            dev=/dev/${p##*/}
            ln -sf "$dev" /dev/virtio-ports/org.qemu.guest_agent.0
            qemu-ga -d -m virtio-serial -p "$dev" -l /run/log/qemu-ga.log -f /run/qemu-ga.pid &&
                kill -0 "$(cat /run/qemu-ga.pid)" 2>/dev/null && agent=yes
        fi
    done
fi

echo "TESTGUEST-READY ip=$addr agent=$agent" > /dev/console
EOF

cat > "$root/etc/rc.shutdown" <<'EOF'
#!/bin/sh
echo "TESTGUEST-SHUTDOWN" > /dev/console
EOF

cat > "$root/etc/acpi/PWRF/00000080" <<'EOF'
#!/bin/sh
/sbin/poweroff
EOF

cat > "$root/etc/udhcpc.script" <<'EOF'
#!/bin/sh
case "$1" in
    deconfig)
        ip addr flush dev "$interface"
        ;;
    bound|renew)
        ip addr flush dev "$interface"
        ip addr add "$ip/${mask:-24}" dev "$interface"
        [ -n "$router" ] && ip route replace default via "${router%% *}" dev "$interface"
        : > /etc/resolv.conf
        for d in $dns; do echo "nameserver $d" >> /etc/resolv.conf; done
        ;;
esac
exit 0
EOF

# qemu-ga 7.2 runs `/sbin/shutdown -h -P|-H|-r +0 "hypervisor initiated shutdown"`: the mode is $2.
cat > "$root/sbin/shutdown" <<'EOF'
#!/bin/sh
case "$2" in
    -r) exec /sbin/reboot ;;
    -H) exec /sbin/halt ;;
    *) exec /sbin/poweroff ;;
esac
EOF
rm -f "$root/sbin/shutdown.tmp"

cat > "$root/etc/os-release" <<'EOF'
NAME="cockpit-virt test guest"
ID=testguest
VERSION_ID=1
PRETTY_NAME="cockpit-virt test guest (busybox)"
EOF
echo 'root::0:0:root:/root:/bin/sh' > "$root/etc/passwd"
echo 'root:x:0:' > "$root/etc/group"
chmod 0755 "$root"/etc/rc.sysinit "$root"/etc/rc.shutdown "$root"/etc/acpi/PWRF/00000080 \
    "$root"/etc/udhcpc.script "$root"/sbin/shutdown

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9 > "$work/initrd.img"
cp "$vmlinuz" "$work/vmlinuz"
chmod 0644 "$work/vmlinuz" "$work/initrd.img"
mv -f "$work/vmlinuz" "$out/vmlinuz"
mv -f "$work/initrd.img" "$out/initrd.img"
echo "$kver agent=$agent" > "$out/VERSION"
chmod 0644 "$out/VERSION"
chmod 0755 "$out"
# libvirt-qemu must reach the files on qemu:///system: every parent must be traversable.
d=$out
while [ "$d" != / ]; do
    perm=$(stat -c %A "$d")
    [ "${perm:9:1}" = x ] || [ "${perm:9:1}" = t ] || log "warning: $d is not traversable by others (chmod o+x)"
    d=$(dirname "$d")
done
log "built $out ($(du -h "$out/initrd.img" | cut -f1) initrd)"
echo "$out"
