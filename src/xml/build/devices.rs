//! The `<devices>` of a new domain: disks with collision-free target names, controllers, NICs, consoles,
//! graphics and the virtio extras, each with its per-device boot order.

use anyhow::{Result, bail};
use quick_xml::events::BytesText;

use super::{BootDev, DiskDevice, DiskPlan, DomainPlan, Machine, NicPlan, W};
use crate::xml::device::write_source;

/// virt-install's count: enough free PCIe slots to hot-plug a few disks and NICs later.
const PCIE_ROOT_PORTS: usize = 14;

/// Bus and target name of each disk, in plan order: vda…, sda…, hda… counted per prefix, so no two collide.
pub(super) fn disk_targets(plan: &DomainPlan) -> Result<Vec<(&'static str, String)>> {
    let mut next = [0usize; 3];
    let mut targets = Vec::with_capacity(plan.disks.len());
    for disk in &plan.disks {
        let (bus, prefix, slot) = match (disk.device, plan.virtio, plan.machine) {
            (DiskDevice::Disk, true, _) => ("virtio", "vd", 0),
            (_, _, Machine::Q35) => ("sata", "sd", 1),
            (_, _, Machine::Pc) => ("ide", "hd", 2),
        };
        if bus == "ide" && next[2] >= 4 {
            bail!("the pc machine type has room for four IDE disks and CD-ROMs");
        }
        if disk.readonly && disk.device == DiskDevice::Disk && bus != "virtio" {
            bail!("a read-only disk needs the virtio bus (QEMU's {bus} disks cannot be read-only)");
        }
        targets.push((bus, format!("{prefix}{}", disk_letters(next[slot]))));
        next[slot] += 1;
    }
    Ok(targets)
}

/// libvirt's disk suffixes: a…z, aa…az, ba…
pub(super) fn disk_letters(mut index: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'a' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).expect("ASCII letters")
}

/// Per-device boot order (`<boot order=…/>`), from the plan's order of device classes.
pub(super) fn boot_orders(plan: &DomainPlan) -> (Vec<Option<u32>>, Vec<Option<u32>>) {
    let mut disks = vec![None; plan.disks.len()];
    let mut nics = vec![None; plan.interfaces.len()];
    let mut order = 0;
    let mut seen = Vec::new();
    for &class in &plan.boot {
        if seen.contains(&class) {
            continue;
        }
        seen.push(class);
        match class {
            BootDev::Hd | BootDev::Cdrom => {
                let device = if class == BootDev::Hd { DiskDevice::Disk } else { DiskDevice::Cdrom };
                for (i, disk) in plan.disks.iter().enumerate() {
                    if disk.device == device {
                        order += 1;
                        disks[i] = Some(order);
                    }
                }
            }
            BootDev::Network => {
                for slot in nics.iter_mut() {
                    order += 1;
                    *slot = Some(order);
                }
            }
        }
    }
    (disks, nics)
}

fn write_boot(w: &mut W, order: Option<u32>) -> std::io::Result<()> {
    if let Some(order) = order {
        w.create_element("boot").with_attribute(("order", order.to_string().as_str())).write_empty()?;
    }
    Ok(())
}

pub(super) fn write_devices(w: &mut W, plan: &DomainPlan, targets: &[(&str, String)]) -> std::io::Result<()> {
    let (disk_boot, nic_boot) = boot_orders(plan);
    for ((disk, (bus, dev)), boot) in plan.disks.iter().zip(targets).zip(disk_boot) {
        write_disk(w, disk, bus, dev, boot)?;
    }
    if plan.machine == Machine::Q35 {
        w.create_element("controller")
            .with_attribute(("type", "usb"))
            .with_attribute(("model", "qemu-xhci"))
            .with_attribute(("ports", "15"))
            .write_empty()?;
        // Root ports without an index get the next free one, so pcie-root (index 0) must come first.
        w.create_element("controller")
            .with_attribute(("type", "pci"))
            .with_attribute(("model", "pcie-root"))
            .write_empty()?;
        for _ in 0..PCIE_ROOT_PORTS {
            w.create_element("controller")
                .with_attribute(("type", "pci"))
                .with_attribute(("model", "pcie-root-port"))
                .write_empty()?;
        }
    }
    let nic_model = match (plan.virtio, plan.machine) {
        (true, _) => "virtio",
        (false, Machine::Q35) => "e1000e",
        (false, Machine::Pc) => "e1000",
    };
    for (nic, boot) in plan.interfaces.iter().zip(nic_boot) {
        write_interface(w, nic, nic_model, boot)?;
    }
    if plan.serial_console {
        w.create_element("serial").with_attribute(("type", "pty")).write_empty()?;
        w.create_element("console").with_attribute(("type", "pty")).write_inner_content(|w| {
            w.create_element("target").with_attribute(("type", "serial")).write_empty()?;
            Ok(())
        })?;
    }
    if plan.guest_agent_channel {
        w.create_element("channel").with_attribute(("type", "unix")).write_inner_content(|w| {
            w.create_element("source").with_attribute(("mode", "bind")).write_empty()?;
            w.create_element("target")
                .with_attribute(("type", "virtio"))
                .with_attribute(("name", "org.qemu.guest_agent.0"))
                .write_empty()?;
            Ok(())
        })?;
    }
    if plan.graphics_vnc {
        // An absolute pointer, so the VNC cursor and the guest's agree.
        w.create_element("input").with_attribute(("type", "tablet")).with_attribute(("bus", "usb")).write_empty()?;
    }
    if plan.tpm {
        w.create_element("tpm").with_attribute(("model", "tpm-crb")).write_inner_content(|w| {
            w.create_element("backend")
                .with_attribute(("type", "emulator"))
                .with_attribute(("version", "2.0"))
                .write_empty()?;
            Ok(())
        })?;
    }
    if plan.graphics_vnc {
        // A UNIX socket libvirt names itself: no TCP port; the helper reaches it by virDomainOpenGraphicsFD.
        w.create_element("graphics").with_attribute(("type", "vnc")).write_inner_content(|w| {
            w.create_element("listen").with_attribute(("type", "socket")).write_empty()?;
            Ok(())
        })?;
        let video = if plan.virtio { "virtio" } else { "vga" };
        w.create_element("video").write_inner_content(|w| {
            w.create_element("model").with_attribute(("type", video)).write_empty()?;
            Ok(())
        })?;
    }
    // libvirt adds a virtio balloon by itself; an OS without virtio drivers gets none.
    let balloon = if plan.virtio { "virtio" } else { "none" };
    w.create_element("memballoon").with_attribute(("model", balloon)).write_empty()?;
    if plan.virtio {
        w.create_element("rng").with_attribute(("model", "virtio")).write_inner_content(|w| {
            w.create_element("backend")
                .with_attribute(("model", "random"))
                .write_text_content(BytesText::new("/dev/urandom"))?;
            Ok(())
        })?;
    }
    Ok(())
}

fn write_disk(w: &mut W, disk: &DiskPlan, bus: &str, dev: &str, boot: Option<u32>) -> std::io::Result<()> {
    let kind = disk.source.disk_type();
    let device = match disk.device {
        DiskDevice::Disk => "disk",
        DiskDevice::Cdrom => "cdrom",
    };
    w.create_element("disk").with_attribute(("type", kind)).with_attribute(("device", device)).write_inner_content(
        |w| {
            let format = disk.format.as_deref().unwrap_or("raw");
            let mut driver =
                w.create_element("driver").with_attribute(("name", "qemu")).with_attribute(("type", format));
            if disk.device == DiskDevice::Disk {
                driver = driver.with_attribute(("discard", "unmap"));
            }
            driver.write_empty()?;
            write_source(w, &disk.source)?;
            // Pinned empty: the guest gets this image alone, never a backing file its header names.
            if format == "qcow2" {
                w.create_element("backingStore").write_empty()?;
            }
            w.create_element("target").with_attribute(("dev", dev)).with_attribute(("bus", bus)).write_empty()?;
            if disk.readonly || disk.device == DiskDevice::Cdrom {
                w.create_element("readonly").write_empty()?;
            }
            write_boot(w, boot)
        },
    )?;
    Ok(())
}

fn write_interface(w: &mut W, nic: &NicPlan, model: &str, boot: Option<u32>) -> std::io::Result<()> {
    let kind = match nic {
        NicPlan::Network(_) => "network",
        NicPlan::Bridge(_) => "bridge",
        NicPlan::Direct(_) => "direct",
        NicPlan::User => "user",
    };
    w.create_element("interface").with_attribute(("type", kind)).write_inner_content(|w| {
        let source = w.create_element("source");
        match nic {
            NicPlan::Network(name) => source.with_attribute(("network", name.as_str())).write_empty()?,
            NicPlan::Bridge(name) => source.with_attribute(("bridge", name.as_str())).write_empty()?,
            NicPlan::Direct(dev) => {
                source.with_attribute(("dev", dev.as_str())).with_attribute(("mode", "bridge")).write_empty()?
            }
            NicPlan::User => w,
        };
        w.create_element("model").with_attribute(("type", model)).write_empty()?;
        write_boot(w, boot)
    })?;
    Ok(())
}
