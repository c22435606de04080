//! The VM's settings as libvirt has them now: the saved definition (its next boot), the running VM's
//! values, and the host's limits.

use serde_json::{Value, json};
use virt::connect::Connect;
use virt::domain::Domain;
use virt_sys as sys;

use crate::ops::create::host::parse_domcaps;
use crate::problem::Problem;
use crate::xml::boot::{boot_menu, secure_boot};
use crate::xml::boot_order::{BootOrder, boot_order};
use crate::xml::cpu_model::{CpuChoice, HostCpus, parse_cpu_choice, parse_host_cpus};
use crate::xml::cputune::{HostCpu, Pins, parse_host_topology, parse_pins};
use crate::xml::guest_devices::GuestDevices;
use crate::xml::parse_domain;
use crate::xml::vcpu::{Topology, parse_cpu_facts};

/// One definition's values (sizes in bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Values {
    pub memory: u64,
    pub max_memory: u64,
    pub vcpus: u32,
    pub max_vcpus: u32,
    pub topology: Option<Topology>,
    pub title: String,
    pub description: String,
    pub balloon: bool,
    /// `bios` or `efi`
    pub firmware: String,
    pub boot_menu: bool,
    pub boot: BootOrder,
    pub cpu: CpuChoice,
    pub pins: Pins,
    pub devices: GuestDevices,
    pub secure_boot: bool,
}

#[derive(Debug, Clone)]
pub struct Current {
    pub name: String,
    pub persistent: bool,
    /// The saved definition; for a transient VM, its live one (it has no other).
    pub saved: Values,
    /// The running VM's values, while it runs (or is paused).
    pub live: Option<Values>,
    pub host_memory: u64,
    /// virConnectGetMaxVcpus for the VM's domain type; None where the driver does not say.
    pub host_max_vcpus: Option<u32>,
    /// Whether libvirt offers UEFI firmware for the VM's machine type (None: it did not say).
    pub efi_available: Option<bool>,
    /// `<domain type>`: `kvm`, `qemu` (TCG), …
    pub domain_type: String,
    /// The CPUs libvirt offers the VM's virt type, arch and machine (None: it did not say).
    pub host_cpus: Option<HostCpus>,
    /// The host's CPUs (`virNodeGetInfo`), numbered 0 to this − 1, and where each sits.
    pub host_cpus_online: u32,
    pub host_topology: Vec<HostCpu>,
    /// Whether libvirt offers an emulated TPM for the VM (None: it did not say).
    pub tpm_available: Option<bool>,
    /// Whether libvirt offers secure boot firmware for the VM's machine type (None: it did not say).
    pub secure_boot_available: Option<bool>,
    pub machine: String,
}

pub fn read(conn: &Connect, domain: &Domain) -> Result<Current, Problem> {
    let persistent = domain.is_persistent()?;
    let active = domain.is_active()?;
    let live_xml = if active { Some(domain.xml_desc(0)?) } else { None };
    let saved_xml = if persistent { Some(domain.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE)?) } else { None };
    let live = live_xml.as_deref().map(values).transpose()?;
    let saved_source = saved_xml.as_deref().or(live_xml.as_deref()).ok_or_else(|| Problem::internal("no XML"))?;
    let saved = values(saved_source)?;
    let config = parse_domain(saved_source).map_err(unreadable)?;
    let node = conn.node_info()?;
    let host_memory = node.memory.saturating_mul(1024);
    let host_topology = conn.capabilities().ok().and_then(|xml| parse_host_topology(&xml).ok()).unwrap_or_default();
    let host_max_vcpus = conn.max_vcpus(Some(&config.domain_type)).ok().filter(|n| *n > 0);
    let domcaps =
        conn.domain_capabilities(None, Some(&config.arch), Some(&config.machine), Some(&config.domain_type), 0).ok();
    let firmware_support = domcaps.as_deref().and_then(|xml| parse_domcaps(xml).ok());
    let efi_available = firmware_support.as_ref().map(|support| support.efi);
    let tpm_available = firmware_support.as_ref().map(|support| support.tpm);
    let secure_boot_available = firmware_support.as_ref().map(|support| support.secure_boot);
    let host_cpus = domcaps.as_deref().and_then(|xml| parse_host_cpus(xml).ok());
    Ok(Current {
        name: config.name,
        persistent,
        saved,
        live,
        host_memory,
        host_max_vcpus,
        efi_available,
        domain_type: config.domain_type,
        host_cpus,
        host_cpus_online: node.cpus.max(1),
        host_topology,
        tpm_available,
        secure_boot_available,
        machine: config.machine,
    })
}

fn values(xml: &str) -> Result<Values, Problem> {
    let config = parse_domain(xml).map_err(unreadable)?;
    let cpu = parse_cpu_facts(xml).map_err(unreadable)?;
    let devices = GuestDevices::of(&config);
    Ok(Values {
        memory: config.memory,
        max_memory: config.max_memory,
        vcpus: config.vcpus,
        max_vcpus: cpu.max_vcpus,
        topology: cpu.topology,
        title: config.title,
        description: config.description,
        balloon: cpu.balloon,
        firmware: config.firmware,
        boot_menu: boot_menu(xml).map_err(unreadable)?,
        boot: boot_order(xml).map_err(unreadable)?,
        cpu: parse_cpu_choice(xml).map_err(unreadable)?,
        pins: parse_pins(xml).map_err(unreadable)?,
        devices,
        secure_boot: secure_boot(xml).map_err(unreadable)?,
    })
}

fn unreadable(err: anyhow::Error) -> Problem {
    Problem::internal(format!("Cannot read the VM's definition: {err:#}"))
}

impl Values {
    fn to_json(&self) -> Value {
        json!({
            "memory": self.memory, "maxMemory": self.max_memory, "vcpus": self.vcpus, "maxVcpus": self.max_vcpus,
            "topology": self.topology, "title": self.title, "description": self.description, "balloon": self.balloon,
            "firmware": self.firmware, "bootMenu": self.boot_menu,
            "bootDevices": self.boot.devices, "bootOrder": self.boot.order, "cpu": self.cpu,
            "vcpuPins": self.pins.vcpus, "emulatorPin": self.pins.emulator,
            "tpm": self.devices.tpm, "watchdog": self.devices.watchdog, "vsock": self.devices.vsock,
            "secureBoot": self.secure_boot,
        })
    }
}

impl Current {
    pub fn running(&self) -> bool {
        self.live.is_some()
    }

    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "persistent": self.persistent,
            "running": self.running(),
            "saved": self.saved.to_json(),
            "live": self.live.as_ref().map(Values::to_json),
        })
    }

    pub fn limits_json(&self) -> Value {
        json!({
            "hostMemory": self.host_memory, "maxVcpus": self.host_max_vcpus, "efi": self.efi_available,
            "domainType": self.domain_type, "cpus": self.host_cpus,
            "hostCpus": self.host_cpus_online, "hostTopology": self.host_topology, "tpm": self.tpm_available,
            "secureBoot": self.secure_boot_available, "machine": self.machine,
        })
    }
}
