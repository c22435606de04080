#!/bin/bash
# Builds install media of the tiny test guest (tests/lib/build-guest.sh) for the create tests (tests/create):
#   build-media.sh [OUT_DIR]       default: $CVIRT_MEDIA_DIR or <repo>/.cache/media; prints OUT_DIR
#   tiny.iso           BIOS ISO (isolinux), volume id $CVIRT_MEDIA_VOLID (default "Debian 11.0.0 amd64 n", which
#                      osinfo-db 20221130 detects as debian11; Debian 12's osinfo-db has no debian12 entry)
#   tiny-disk.qcow2    bootable disk: syslinux MBR + one FAT16 partition (for "import")
#   tiny-cloud.qcow2   the same disk whose init also reads a NoCloud seed (for "cloud image")
#   tree/              an install tree: a Fedora-like .treeinfo (Fedora 37 Everything x86_64, which osinfo-db detects
#                      as fedora37) and images/pxeboot/vmlinuz + initrd.img, booted by the kernel command line alone
#                      (no testguest.media=, no console=: the helper passes only inst.repo=<url>)
#   tftp -> $CVIRT_TFTP_DIR (default /var/lib/cockpit-virt-tests/tftp, readable by dnsmasq): pxelinux.0,
#                      ldlinux.c32, pxelinux.cfg/default, vmlinuz, initrd.img
# Every medium boots the guest's kernel with an initramfs that is build-guest.sh's plus an appended overlay (the
# kernel unpacks concatenated cpio archives in order, later files win): the modules to read CD-ROMs, and an init
# step /etc/rc.media that runs after the guest's READY and prints on ttyS0 and appends to /run/testguest.log
#   TESTGUEST-MEDIA media=<iso|disk|cloud|pxe>                       (from testguest.media= on the command line)
#   TESTGUEST-MEDIA media=tree cmdline=<the kernel command line>     (the tree's initrd says media=tree itself)
#   TESTGUEST-CLOUD user=<login|none> hostname=<name|none> seed=<dev> pwhash=<crypt|none> plain=<n>
#                                                                    (cloud only, from the cidata seed)
# so a test can also ask for the markers later by typing `cat /run/testguest.log` on the serial console.
# Idempotent: does nothing when every output is newer than this script and the guest. Needs (scripts/install-deps.sh
# test) syslinux syslinux-common isolinux pxelinux mtools dosfstools xorriso qemu-utils; no loop devices, no root fs.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
self=$(realpath "$0")
out=${1:-${CVIRT_MEDIA_DIR:-$here/.cache/media}}
tftp=${CVIRT_TFTP_DIR:-/var/lib/cockpit-virt-tests/tftp}
volid=${CVIRT_MEDIA_VOLID:-Debian 11.0.0 amd64 n}
debs=${CVIRT_DEB_CACHE:-/var/cache/cockpit-virt/debs}
cmdline="console=tty0 console=ttyS0,115200 panic=-1 quiet"
# CD-ROM on IDE (pc), SATA (q35) or virtio-scsi, and ISO 9660: what the cloud guest needs to read its seed.
extra_modules=(ata_piix ahci sr_mod isofs virtio_scsi)

log() { echo "build-media: $*" >&2; }

guest=$("$here/tests/lib/build-guest.sh")
mkdir -p "$out"
out=$(realpath "$out")
outputs=("$out/tiny.iso" "$out/tiny-disk.qcow2" "$out/tiny-cloud.qcow2" "$tftp/pxelinux.0" "$tftp/initrd.img"
         "$out/tree/.treeinfo")
fresh() {
    local f
    for f in "${outputs[@]}"; do
        [ "$f" -nt "$self" ] && [ "$f" -nt "$guest/initrd.img" ] || return 1
    done
    [ "$(readlink "$out/tftp")" = "$tftp" ]
}
fresh && { echo "$out"; exit 0; }
exec 9>"$out/.lock"
flock 9
fresh && { echo "$out"; exit 0; }

for tool in xorriso mkfs.vfat mcopy syslinux qemu-img cpio gzip dpkg-deb; do
    command -v "$tool" >/dev/null || { log "missing $tool (scripts/install-deps.sh test)"; exit 1; }
done
isolinux=/usr/lib/ISOLINUX/isolinux.bin
isohdpfx=/usr/lib/ISOLINUX/isohdpfx.bin
pxelinux=/usr/lib/PXELINUX/pxelinux.0
ldlinux=/usr/lib/syslinux/modules/bios/ldlinux.c32
mbr=/usr/lib/syslinux/mbr/mbr.bin
for f in "$isolinux" "$isohdpfx" "$pxelinux" "$ldlinux" "$mbr"; do
    [ -f "$f" ] || { log "missing $f (scripts/install-deps.sh test)"; exit 1; }
done

t0=$(date +%s.%N)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- the overlay initramfs -------------------------------------------------------------------------------------
# The guest's cloud kernel has no AHCI driver, so a SATA CD-ROM (q35) stays invisible: the media boot Debian's
# generic kernel of the same version instead, with the same modules (plus the CD-ROM ones) from its package.
kver=$(cut -d' ' -f1 "$guest/VERSION")
kver=${kver%-cloud-amd64}-amd64
kpkg=linux-image-$kver
kdeb=$(ls "$debs/${kpkg}_"*.deb 2>/dev/null | head -1 || true)
if [ -z "$kdeb" ]; then
    ver=$(apt-cache policy "$kpkg" | sed -n 's/^ *Candidate: //p')
    [ -n "$ver" ] && [ "$ver" != "(none)" ] || { log "apt knows no $kpkg (apt-get update?)"; exit 1; }
    mkdir -p "$debs" "$work/dl"
    (cd "$work/dl" && apt-get download -q "$kpkg=$ver" >&2 2>/dev/null) || { log "apt-get download $kpkg failed"; exit 1; }
    kdeb=$debs/${kpkg}_${ver//:/%3a}.deb
    mv "$work/dl/${kpkg}_"*.deb "$kdeb"
fi
mkdir "$work/k"
dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$work/k" --wildcards './boot/vmlinuz-*' \
    './lib/modules/*/modules.builtin' './lib/modules/*/kernel/drivers/*' './lib/modules/*/kernel/fs/*' \
    './lib/modules/*/kernel/net/*' './lib/modules/*/kernel/lib/*' './lib/modules/*/kernel/crypto/*'
kmods=$work/k/lib/modules/$kver/kernel
[ -d "$kmods" ] || { log "$kdeb has no modules for $kver"; exit 1; }
log "kernel $kver from $kpkg"

mkdir "$work/base"
(cd "$work/base" && gzip -dc "$guest/initrd.img" | cpio -id --quiet etc/modules etc/inittab)
root=$work/overlay
mkdir -p "$root/etc" "$root/lib/modules" "$root/mnt/seed"

# Modules the guest lacks (not built into this kernel), with their dependencies.
# shellcheck source=tests/lib/kernel-modules.sh
. "$here/tests/lib/kernel-modules.sh"
# shellcheck disable=SC2046 # one module name per word
install_modules "$kmods" "$work/k/lib/modules/$kver/modules.builtin" $(cat "$work/base/etc/modules") "${extra_modules[@]}"

# rc.media runs as the second sysinit step, after the guest's own rc.sysinit has printed READY.
sed '\|^::sysinit:/etc/rc.sysinit$|a ::sysinit:/etc/rc.media' "$work/base/etc/inittab" > "$root/etc/inittab"
grep -q rc.media "$root/etc/inittab" || { log "the guest's inittab has no rc.sysinit line"; exit 1; }

cat > "$root/etc/rc.media" <<'EOF'
#!/bin/sh
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
say() { echo "$*" > /dev/console; echo "$*" >> /run/testguest.log; }
media=$(sed -n 's/.*testguest\.media=\([a-z]*\).*/\1/p' /proc/cmdline)
# The tree's initrd carries its medium: its kernel gets only the installer's command line.
[ -z "$media" ] && [ -f /etc/testguest-media ] && media=$(cat /etc/testguest-media)
if [ "$media" = tree ]; then
    say "TESTGUEST-MEDIA media=tree cmdline=$(cat /proc/cmdline)"
    exit 0
fi
say "TESTGUEST-MEDIA media=${media:-none}"
[ "$media" = cloud ] || exit 0

# NoCloud seed: a CD-ROM or disk with an ISO 9660 filesystem holding meta-data (no blkid: try each device).
# The CD-ROM may appear a little after the modules load; look for up to 5 s.
seed=
n=0
while [ -z "$seed" ] && [ $n -lt 25 ]; do
    for dev in /dev/sr* /dev/vd* /dev/sd*; do
        [ -b "$dev" ] || continue
        mount -t iso9660 -o ro "$dev" /mnt/seed 2>/dev/null || continue
        if [ -f /mnt/seed/meta-data ]; then seed=$dev; break; fi
        umount /mnt/seed
    done
    [ -n "$seed" ] || { sleep 0.2; n=$((n + 1)); }
done
if [ -z "$seed" ]; then
    say "TESTGUEST-CLOUD user=none hostname=none seed=none"
    exit 0
fi
# Values may be bare, 'single' or "double" quoted (YAML/JSON strings); the first user's name is the login.
unquote() { sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'\$/\1/"; }
user=$(awk '/^users:/ { u = 1; next }
            u && /^[^[:space:]-]/ { exit }
            u && /name:/ { sub(/^[^n]*name:/, ""); print; exit }' /mnt/seed/user-data 2>/dev/null | unquote)
# The first user's password as the seed carries it (a crypt hash), so the test can check it is the typed one.
pwhash=$(awk '/^users:/ { u = 1; next }
              u && /^[^[:space:]-]/ { exit }
              u && /hashed_passwd:/ { sub(/^[^h]*hashed_passwd:/, ""); print; exit }' /mnt/seed/user-data 2>/dev/null | unquote)
plain=$(grep -c 'plain_text_passwd' /mnt/seed/user-data 2>/dev/null || true)
host=$(sed -n 's/^local-hostname:\(.*\)$/\1/p' /mnt/seed/meta-data | head -1 | unquote)
[ -n "$host" ] || host=$(sed -n 's/^hostname:\(.*\)$/\1/p' /mnt/seed/user-data 2>/dev/null | head -1 | unquote)
[ -n "$host" ] && hostname "$host"
umount /mnt/seed
say "TESTGUEST-CLOUD user=${user:-none} hostname=${host:-none} seed=${seed#/dev/} pwhash=${pwhash:-none} plain=${plain:-0}"
EOF
chmod 0755 "$root/etc/rc.media"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9 > "$work/overlay.cpio.gz"
cat "$guest/initrd.img" "$work/overlay.cpio.gz" > "$work/initrd.img"
cp "$work/k/boot/vmlinuz-$kver" "$work/vmlinuz"

# syslinux_cfg MEDIA: a boot menu of one entry that boots at once.
syslinux_cfg() {
    cat <<EOF
SERIAL 0 115200
DEFAULT tiny
PROMPT 0
TIMEOUT 0
LABEL tiny
  KERNEL vmlinuz
  INITRD initrd.img
  APPEND $cmdline testguest.media=$1
EOF
}

# --- ISO (isolinux, BIOS; isohybrid MBR so it also boots as a disk) ----------------------------------------------
iso=$work/iso
mkdir -p "$iso/isolinux"
cp "$isolinux" "$ldlinux" "$iso/isolinux/"
cp "$work/vmlinuz" "$work/initrd.img" "$iso/"
syslinux_cfg iso | sed -e 's|KERNEL |KERNEL /|' -e 's|INITRD |INITRD /|' > "$iso/isolinux/isolinux.cfg"
xorriso -as mkisofs -quiet -o "$work/tiny.iso" -V "$volid" -J -r \
    -b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table \
    -isohybrid-mbr "$isohdpfx" "$iso"

# --- disks: syslinux MBR + one bootable FAT16 partition at 1 MiB ------------------------------------------------
# make_disk MEDIA OUT.qcow2
make_disk() {
    local media=$1 dest=$2 part=$work/part.img disk=$work/disk.img kib sectors
    kib=$(( ($(stat -c %s "$work/vmlinuz") + $(stat -c %s "$work/initrd.img")) / 1024 + 4096 ))
    rm -f "$part" "$disk"
    mkfs.vfat -C -F 16 -h 2048 -n TINYBOOT "$part" "$kib" >/dev/null
    syslinux_cfg "$media" > "$work/syslinux.cfg"
    mcopy -i "$part" "$work/vmlinuz" "$work/initrd.img" "$work/syslinux.cfg" ::/
    syslinux --install "$part"
    sectors=$(( $(stat -c %s "$part") / 512 ))
    truncate -s $(( (2048 + sectors) * 512 )) "$disk"
    dd if="$mbr" of="$disk" conv=notrunc status=none
    # Partition entry 1: active, type 0x06 (FAT16), LBA 2048, $sectors sectors (CHS fields unused), then 55 AA.
    le32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
    printf "\x80\xfe\xff\xff\x06\xfe\xff\xff$(le32 2048)$(le32 "$sectors")" | dd of="$disk" bs=1 seek=446 conv=notrunc status=none
    printf '\x55\xaa' | dd of="$disk" bs=1 seek=510 conv=notrunc status=none
    dd if="$part" of="$disk" bs=1M seek=1 conv=notrunc status=none
    qemu-img convert -c -f raw -O qcow2 "$disk" "$dest"
    rm -f "$part" "$disk"
}
make_disk disk "$work/tiny-disk.qcow2"
make_disk cloud "$work/tiny-cloud.qcow2"

# --- install tree (.treeinfo as productmd writes it; the initrd says media=tree) -----------------------------------
mkdir -p "$work/tree/images/pxeboot" "$work/treemark/etc"
echo tree > "$work/treemark/etc/testguest-media"
(cd "$work/treemark" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9 > "$work/treemark.cpio.gz"
cat "$work/initrd.img" "$work/treemark.cpio.gz" > "$work/tree/images/pxeboot/initrd.img"
cp "$work/vmlinuz" "$work/tree/images/pxeboot/vmlinuz"
cat > "$work/tree/.treeinfo" <<'EOF'
[header]
type = productmd.treeinfo
version = 1.2

[release]
name = Fedora
short = Fedora
version = 37

[tree]
arch = x86_64
platforms = x86_64

[general]
family = Fedora
version = 37
name = Fedora 37
arch = x86_64
platforms = x86_64
variant = Everything

[images-x86_64]
kernel = images/pxeboot/vmlinuz
initrd = images/pxeboot/initrd.img
EOF

# --- PXE (pxelinux over libvirt's dnsmasq TFTP) ------------------------------------------------------------------
mkdir -p "$work/tftp/pxelinux.cfg"
cp "$pxelinux" "$ldlinux" "$work/vmlinuz" "$work/initrd.img" "$work/tftp/"
syslinux_cfg pxe > "$work/tftp/pxelinux.cfg/default"

chmod -R a+rX "$work"
for f in tiny.iso tiny-disk.qcow2 tiny-cloud.qcow2; do mv -f "$work/$f" "$out/$f"; done
rm -rf "$out/tree.old"
[ ! -d "$out/tree" ] || mv "$out/tree" "$out/tree.old"
mv "$work/tree" "$out/tree"
rm -rf "$out/tree.old"
mkdir -p "$tftp"
rm -rf "$tftp.new"
mv "$work/tftp" "$tftp.new"
rm -rf "$tftp"
mv "$tftp.new" "$tftp"
ln -sfn "$tftp" "$out/tftp"
chmod 0755 "$out"
# libvirt-qemu and dnsmasq must reach the files: every parent must be traversable.
for d in "$out" "$tftp"; do
    while [ "$d" != / ]; do
        perm=$(stat -c %A "$d")
        [ "${perm:9:1}" = x ] || [ "${perm:9:1}" = t ] || log "warning: $d is not traversable by others (chmod o+x)"
        d=$(dirname "$d")
    done
done
log "built $out in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s: $(cd "$out" && du -h tiny.iso tiny-disk.qcow2 tiny-cloud.qcow2 | tr '\t\n' ' ')"
echo "$out"
