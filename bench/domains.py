# SPDX-License-Identifier: LGPL-2.1-or-later
"""The VMs the benchmarks list: test:/// node files and cvbench-* domains for qemu:///system.

Every VM looks like a small real one: one qcow2 disk on virtio, one virtio NIC, a serial console,
a title. Names and UUIDs are stable, so runs compare like with like.
"""

import os

PREFIX = "cvbench-"
IMAGES = "/var/lib/libvirt/images"


def name(i):
    return f"{PREFIX}{i:05d}"


def uuid(i, kind=0):
    return f"cbe0c4a1-{kind:04x}-4000-8000-{i + 1:012x}"


def mac(i):
    return "52:54:00:%02x:%02x:%02x" % ((i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff)


def write_test_node(path, count, running_every=3):
    """A node file for libvirt's test driver with `count` domains; every `running_every`-th one is
    shut off (1: all running). Written once and reused while its parameters are the same."""
    if os.path.exists(path):
        return f"test://{path}"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    out = ["<node>"]
    for i in range(count):
        shutoff = running_every > 1 and i % running_every == running_every - 1
        out.append(f"""<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
  <name>{name(i)}</name>
  <uuid>{uuid(i, 1)}</uuid>
  <title>Benchmark VM {i}</title>
  <memory unit='MiB'>{1024 + (i % 4) * 1024}</memory>
  <currentMemory unit='MiB'>{1024 + (i % 4) * 1024}</currentMemory>
  <vcpu>{1 + (i % 4)}</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
      <source file='{IMAGES}/{name(i)}.qcow2'/><target dev='vda' bus='virtio'/></disk>
    <interface type='network'><mac address='{mac(i)}'/><source network='default'/><model type='virtio'/></interface>
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
  </devices>
  <test:runstate>{5 if shutoff else 1}</test:runstate>
</domain>""")
    out.append("</node>")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(out) + "\n")
    os.rename(tmp, path)
    return f"test://{path}"


def qemu_defined_xml(i):
    """A defined-only VM for qemu:///system: it is never started, so its disk need not exist."""
    return f"""<domain type='qemu'>
  <name>{name(i)}</name>
  <uuid>{uuid(i, 2)}</uuid>
  <title>Benchmark VM {i}</title>
  <memory unit='MiB'>1024</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <features><acpi/><apic/></features>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
      <source file='{IMAGES}/{name(i)}.qcow2'/><target dev='vda' bus='virtio'/></disk>
    <interface type='user'><mac address='{mac(i)}'/><model type='virtio'/></interface>
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
  </devices>
</domain>
"""


def qemu_running_xml(i, image):
    """The no-OS SeaBIOS guest: TCG, 32 MiB, a blank qcow2 disk and a NIC without option ROM, so
    SeaBIOS finds nothing to boot and idles (no iPXE), while libvirt still reports block, net,
    balloon and vCPU stats for it. It ignores ACPI: stop it with destroy."""
    return f"""<domain type='qemu'>
  <name>{name(i)}</name>
  <uuid>{uuid(i, 3)}</uuid>
  <title>Benchmark running VM {i}</title>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <features><acpi/><apic/><tcg><tb-cache unit='MiB'>8</tb-cache></tcg></features>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
      <source file='{image}'/><target dev='vda' bus='virtio'/></disk>
    <interface type='user'><mac address='{mac(i)}'/><model type='virtio'/><rom enabled='no'/></interface>
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <memballoon model='virtio'/>
  </devices>
</domain>
"""
