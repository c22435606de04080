//! [`DomainPlan`] → domain XML for a new VM, shaped like what virt-install writes for a modern guest.
//!
//! The plan is already decided (create-op fills it from the spec, osinfo-db and the host); this module only
//! spells it in libvirt's vocabulary. Every value goes through quick-xml's writer, which escapes it, so names with
//! quotes or `<&>` can neither break the document nor inject elements.

use anyhow::{Context, Result, bail, ensure};
use quick_xml::Writer;
use quick_xml::events::BytesText;

use devices::{disk_targets, write_devices};

pub use super::device::DiskSource;
use super::first_boot::{FirstBoot, write_marker};

/// Everything the new domain's XML depends on.
#[derive(Debug, Clone)]
pub struct DomainPlan {
    pub name: String,
    pub uuid: Option<String>,
    pub virt_type: VirtType,
    pub arch: String,
    pub machine: Machine,
    pub firmware: Firmware,
    /// A TPM 2.0 emulated by swtpm (`tpm-crb`).
    pub tpm: bool,
    pub memory_mib: u64,
    pub vcpus: u32,
    /// osinfo-db id (`http://debian.org/debian/12`), kept in `<metadata>` as virt-install does. Ids under
    /// `http://microsoft.com/win/` also select Windows' clock and Hyper-V enlightenments.
    pub os_id: Option<String>,
    pub disks: Vec<DiskPlan>,
    pub interfaces: Vec<NicPlan>,
    /// Boot order by device class: every device of the first class boots before any of the next.
    pub boot: Vec<BootDev>,
    pub kernel: Option<DirectKernel>,
    /// virtio disk bus, NIC model, video, balloon and RNG; otherwise emulated devices an old OS knows.
    pub virtio: bool,
    pub graphics_vnc: bool,
    pub serial_console: bool,
    pub guest_agent_channel: bool,
    /// What only the first boot needs, marked for removal once the VM ran (a VM defined, not started).
    pub first_boot: Option<FirstBoot>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VirtType {
    Kvm,
    /// TCG software emulation.
    Qemu,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Machine {
    Q35,
    /// i440fx, for OSes that predate PCI Express.
    Pc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Firmware {
    Bios,
    Efi { secure_boot: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskDevice {
    Disk,
    Cdrom,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskPlan {
    pub device: DiskDevice,
    pub source: DiskSource,
    /// `qcow2`, `raw`…; libvirt probes nothing, so a missing format means raw.
    pub format: Option<String>,
    /// Ignored for CD-ROMs, which are always read-only.
    pub readonly: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NicPlan {
    Network(String),
    Bridge(String),
    /// macvtap on a host interface, bridge mode.
    Direct(String),
    User,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BootDev {
    Hd,
    Cdrom,
    Network,
}

/// Direct kernel boot, for installs from a tree (kernel and initrd downloaded by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectKernel {
    pub kernel: String,
    pub initrd: Option<String>,
    pub cmdline: Option<String>,
}

const LIBOSINFO_NS: &str = "http://libosinfo.org/xmlns/libvirt/domain/1.0";

pub fn build_domain_xml(plan: &DomainPlan) -> Result<String> {
    check_plan(plan)?;
    let targets = disk_targets(plan)?;
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let kind = match plan.virt_type {
        VirtType::Kvm => "kvm",
        VirtType::Qemu => "qemu",
    };
    w.create_element("domain")
        .with_attribute(("type", kind))
        .write_inner_content(|w| {
            text(w, "name", &plan.name)?;
            if let Some(uuid) = &plan.uuid {
                text(w, "uuid", uuid)?;
            }
            if plan.os_id.is_some() || plan.first_boot.is_some() {
                w.create_element("metadata").write_inner_content(|w| {
                    if let Some(id) = &plan.os_id {
                        w.create_element("libosinfo:libosinfo")
                            .with_attribute(("xmlns:libosinfo", LIBOSINFO_NS))
                            .write_inner_content(|w| {
                                w.create_element("libosinfo:os").with_attribute(("id", id.as_str())).write_empty()?;
                                Ok(())
                            })?;
                    }
                    if let Some(first_boot) = &plan.first_boot {
                        write_marker(w, first_boot)?;
                    }
                    Ok(())
                })?;
            }
            let kib = (plan.memory_mib * 1024).to_string();
            w.create_element("memory").with_attribute(("unit", "KiB")).write_text_content(BytesText::new(&kib))?;
            w.create_element("currentMemory")
                .with_attribute(("unit", "KiB"))
                .write_text_content(BytesText::new(&kib))?;
            w.create_element("vcpu")
                .with_attribute(("placement", "static"))
                .write_text_content(BytesText::new(&plan.vcpus.to_string()))?;
            write_os(w, plan)?;
            write_features(w, plan)?;
            write_cpu_and_clock(w, plan)?;
            text(w, "on_poweroff", "destroy")?;
            // A kernel-boot install ends when the installer reboots (as virt-install's install XML does):
            // restarting would boot the installer again instead of the installed system.
            text(w, "on_reboot", if plan.kernel.is_some() { "destroy" } else { "restart" })?;
            text(w, "on_crash", "destroy")?;
            w.create_element("pm").write_inner_content(|w| {
                w.create_element("suspend-to-mem").with_attribute(("enabled", "no")).write_empty()?;
                w.create_element("suspend-to-disk").with_attribute(("enabled", "no")).write_empty()?;
                Ok(())
            })?;
            w.create_element("devices").write_inner_content(|w| write_devices(w, plan, &targets))?;
            Ok(())
        })
        .context("writing domain XML")?;
    let mut xml = String::from_utf8(w.into_inner()).context("domain XML is not UTF-8")?;
    xml.push('\n');
    Ok(xml)
}

type W = Writer<Vec<u8>>;

fn text(w: &mut W, name: &str, value: &str) -> std::io::Result<()> {
    w.create_element(name).write_text_content(BytesText::new(value))?;
    Ok(())
}

fn is_windows(plan: &DomainPlan) -> bool {
    plan.os_id.as_deref().is_some_and(|id| id.starts_with("http://microsoft.com/win/"))
}

fn secure_boot(plan: &DomainPlan) -> bool {
    plan.firmware == Firmware::Efi { secure_boot: true }
}

/// What escaping cannot fix: XML 1.0 has no representation for most control characters, and libvirt needs a
/// name and sizes.
fn check_plan(plan: &DomainPlan) -> Result<()> {
    ensure!(!plan.name.trim().is_empty(), "the VM name is empty");
    ensure!(plan.memory_mib > 0, "memory must be at least 1 MiB");
    ensure!(plan.memory_mib.checked_mul(1024).is_some(), "memory size overflows");
    ensure!(plan.vcpus > 0, "at least one vCPU is needed");
    ensure!(!(secure_boot(plan) && plan.machine == Machine::Pc), "secure boot needs the q35 machine type (SMM)");
    let mut strings: Vec<&str> = vec![&plan.name, &plan.arch];
    strings.extend(plan.uuid.as_deref());
    strings.extend(plan.os_id.as_deref());
    for disk in &plan.disks {
        strings.extend(disk.format.as_deref());
        match &disk.source {
            DiskSource::File(path) | DiskSource::Block(path) => strings.push(path),
            DiskSource::Volume { pool, volume } => strings.extend([pool.as_str(), volume.as_str()]),
            DiskSource::Network { protocol, host, name, query, .. } => {
                strings.extend([protocol.as_str(), host.as_str(), name.as_str()]);
                strings.extend(query.as_deref());
            }
        }
    }
    for nic in &plan.interfaces {
        match nic {
            NicPlan::Network(s) | NicPlan::Bridge(s) | NicPlan::Direct(s) => strings.push(s),
            NicPlan::User => {}
        }
    }
    if let Some(k) = &plan.kernel {
        strings.push(&k.kernel);
        strings.extend(k.initrd.as_deref());
        strings.extend(k.cmdline.as_deref());
    }
    for (pool, volume) in plan.first_boot.iter().flat_map(|marker| &marker.volumes) {
        strings.extend([pool.as_str(), volume.as_str()]);
    }
    for s in strings {
        if let Some(c) =
            s.chars().find(|&c| c < ' ' && !matches!(c, '\t' | '\n' | '\r') || c == '\u{fffe}' || c == '\u{ffff}')
        {
            bail!("{s:?} contains the character U+{:04X}, which XML cannot carry", c as u32);
        }
    }
    Ok(())
}

fn write_os(w: &mut W, plan: &DomainPlan) -> std::io::Result<()> {
    let machine = match plan.machine {
        Machine::Q35 => "q35",
        Machine::Pc => "pc",
    };
    let mut os = w.create_element("os");
    if let Firmware::Efi { .. } = plan.firmware {
        os = os.with_attribute(("firmware", "efi"));
    }
    os.write_inner_content(|w| {
        w.create_element("type")
            .with_attribute(("arch", plan.arch.as_str()))
            .with_attribute(("machine", machine))
            .write_text_content(BytesText::new("hvm"))?;
        if let Firmware::Efi { secure_boot } = plan.firmware {
            // Named features make libvirt pick a matching firmware descriptor (with or without MS keys).
            let on = if secure_boot { "yes" } else { "no" };
            w.create_element("firmware").write_inner_content(|w| {
                w.create_element("feature")
                    .with_attribute(("enabled", on))
                    .with_attribute(("name", "secure-boot"))
                    .write_empty()?;
                w.create_element("feature")
                    .with_attribute(("enabled", on))
                    .with_attribute(("name", "enrolled-keys"))
                    .write_empty()?;
                Ok(())
            })?;
            if secure_boot {
                w.create_element("loader").with_attribute(("secure", "yes")).write_empty()?;
            }
        }
        if let Some(k) = &plan.kernel {
            text(w, "kernel", &k.kernel)?;
            if let Some(initrd) = &k.initrd {
                text(w, "initrd", initrd)?;
            }
            if let Some(cmdline) = &k.cmdline {
                text(w, "cmdline", cmdline)?;
            }
        }
        Ok(())
    })?;
    Ok(())
}

fn write_features(w: &mut W, plan: &DomainPlan) -> std::io::Result<()> {
    w.create_element("features").write_inner_content(|w| {
        w.create_element("acpi").write_empty()?;
        w.create_element("apic").write_empty()?;
        // Hyper-V enlightenments are KVM's; TCG offers only a few of them.
        if is_windows(plan) && plan.virt_type == VirtType::Kvm {
            w.create_element("hyperv").with_attribute(("mode", "custom")).write_inner_content(|w| {
                w.create_element("relaxed").with_attribute(("state", "on")).write_empty()?;
                w.create_element("vapic").with_attribute(("state", "on")).write_empty()?;
                w.create_element("spinlocks")
                    .with_attribute(("state", "on"))
                    .with_attribute(("retries", "8191"))
                    .write_empty()?;
                Ok(())
            })?;
        }
        w.create_element("vmport").with_attribute(("state", "off")).write_empty()?;
        if secure_boot(plan) {
            w.create_element("smm").with_attribute(("state", "on")).write_empty()?;
        }
        Ok(())
    })?;
    Ok(())
}

fn write_cpu_and_clock(w: &mut W, plan: &DomainPlan) -> std::io::Result<()> {
    // TCG cannot pass the host CPU through; `maximum` is everything TCG emulates (x86-64-v2 and more).
    let cpu_mode = match plan.virt_type {
        VirtType::Kvm => "host-passthrough",
        VirtType::Qemu => "maximum",
    };
    w.create_element("cpu").with_attribute(("mode", cpu_mode)).with_attribute(("check", "none")).write_empty()?;
    // Windows keeps the RTC in local time.
    let offset = if is_windows(plan) { "localtime" } else { "utc" };
    let clock = w.create_element("clock").with_attribute(("offset", offset));
    if plan.virt_type == VirtType::Qemu {
        // The tick policies below tune KVM's in-kernel timers; TCG has none.
        clock.write_empty()?;
        return Ok(());
    }
    clock.write_inner_content(|w| {
        let timer = |w: &mut W, name: &str, attr: (&str, &str)| -> std::io::Result<()> {
            w.create_element("timer").with_attribute(("name", name)).with_attribute(attr).write_empty()?;
            Ok(())
        };
        timer(w, "rtc", ("tickpolicy", "catchup"))?;
        timer(w, "pit", ("tickpolicy", "delay"))?;
        timer(w, "hpet", ("present", "no"))?;
        if is_windows(plan) {
            timer(w, "hypervclock", ("present", "yes"))?;
        }
        Ok(())
    })?;
    Ok(())
}

mod devices;
#[cfg(test)]
mod tests;
