#!/bin/bash
# Gives an empty host something to look at: when qemu:///system has no domains at all, builds the tiny test
# guest (tests/lib/build-guest.sh) into /var/lib/cockpit-virt/guest/ and defines three persistent demo guests,
# demo-1..demo-3 (128 MiB, 1 vCPU, direct kernel boot, serial console, a 64 MiB qcow2 data disk in
# /var/lib/libvirt/images/demo-N.qcow2, user-mode network). They are not started.
# Idempotent: does nothing as soon as any domain exists, so it never touches the user's VMs.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
uri=qemu:///system
guest_dir=${CVIRT_DEMO_GUEST_DIR:-/var/lib/cockpit-virt/guest}
images=${CVIRT_DEMO_IMAGES:-/var/lib/libvirt/images}

log() { echo "define-demo-guests: $*" >&2; }

virsh -q -c "$uri" uri >/dev/null 2>&1 || { log "$uri does not answer (tests/lib/libvirtd.sh start)"; exit 1; }
if [ -n "$(virsh -q -c "$uri" list --all --name | sed '/^$/d')" ]; then
    log "$uri already has domains; not adding demo guests"
    exit 0
fi

mkdir -p "$guest_dir"
chmod 0755 "$(dirname "$guest_dir")" "$guest_dir"
"$here/tests/lib/build-guest.sh" "$guest_dir" >/dev/null

# TCG unless KVM really works (a /dev/kvm without vmx/svm in the CPU flags cannot run guests).
if [ -e /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then
    domain_type=kvm; tcg=""
else
    domain_type=qemu; tcg="<tcg><tb-cache unit='MiB'>32</tb-cache></tcg>"
fi

mkdir -p "$images"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for n in 1 2 3; do
    name=demo-$n
    disk=$images/$name.qcow2
    [ -e "$disk" ] || qemu-img create -q -f qcow2 "$disk" 64M
    cat > "$tmp/$name.xml" <<EOF
<domain type='$domain_type'>
  <name>$name</name>
  <title>Demo guest $n</title>
  <description>A tiny busybox guest defined by cockpit-virt's scripts/define-demo-guests.sh</description>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$guest_dir/vmlinuz</kernel>
    <initrd>$guest_dir/initrd.img</initrd>
    <cmdline>console=tty0 console=ttyS0,115200 panic=-1 quiet</cmdline>
  </os>
  <features><acpi/><apic/>$tcg</features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='$disk'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
    <interface type='user'><model type='virtio'/><rom enabled='no'/></interface>
    <controller type='usb' model='none'/>
    <memballoon model='virtio'/>
  </devices>
</domain>
EOF
    virsh -q -c "$uri" define "$tmp/$name.xml" >/dev/null
    log "defined $name ($domain_type, disk $disk)"
done
