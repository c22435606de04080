//! One VM: its configuration (parsed from domain XML) plus what libvirt reports beside the XML
//! (state, autostart, managed save). Serialized as documented in `docs/api.md`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Topology;
use super::guest_devices::{VmTpm, VmVsock, Watchdog};
use super::hostdev::{VmFilesystem, VmHostDevice};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Vm {
    /// The UUID: stable across renames, so it keys everything.
    pub id: String,
    pub name: String,
    pub uri: String,
    pub state: &'static str,
    pub reason: &'static str,
    pub persistent: bool,
    pub autostart: bool,
    pub managed_save: bool,
    #[serde(flatten)]
    pub config: DomainConfig,
}

/// What the domain XML says.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DomainConfig {
    #[serde(skip)]
    pub name: String,
    #[serde(skip)]
    pub uuid: String,
    pub title: String,
    pub description: String,
    pub domain_type: String,
    pub os_type: String,
    pub arch: String,
    pub machine: String,
    /// `bios` or `efi`.
    pub firmware: String,
    pub nvram: Option<String>,
    pub vcpus: u32,
    /// `<cpu mode>` (`custom` where none), and for `custom` the named model (None: the hypervisor's default).
    pub cpu_mode: String,
    pub cpu_model: Option<String>,
    pub topology: Option<Topology>,
    /// Bytes (`<currentMemory>`).
    pub memory: u64,
    /// Bytes (`<memory>`).
    pub max_memory: u64,
    pub disks: Vec<VmDisk>,
    pub interfaces: Vec<NetInterface>,
    pub graphics: Vec<Graphics>,
    pub consoles: Vec<Console>,
    /// Host devices given to the VM (`<hostdev>`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hostdevs: Vec<VmHostDevice>,
    /// Host directories shared with the VM (`<filesystem>`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub filesystems: Vec<VmFilesystem>,
    /// `<memoryBacking>` has `<access mode='shared'/>`, which virtiofs needs.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub shared_memory: bool,
    /// The TPM (an emulated one first where there are two): an emulated one's state lives on the host (the
    /// delete dialog says what becomes of it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tpm: Option<VmTpm>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watchdog: Option<Watchdog>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vsock: Option<VmVsock>,
    /// Host CPUs of each pinned vCPU (`<cputune><vcpupin>`), and of the emulator threads.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub vcpu_pins: BTreeMap<u32, Vec<u32>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emulator_pin: Option<Vec<u32>>,
    /// A running VM's saved definition (what its next boot gets), when it differs from the live one
    /// in what is listed here; `None` otherwise.
    pub saved: Option<Box<SavedConfig>>,
    /// The VM runs and its saved definition still has the first-boot marker (`xml/first_boot.rs`).
    #[serde(skip)]
    pub first_boot_pending: bool,
}

/// The parts of a saved definition the page compares with the running VM.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct SavedConfig {
    pub vcpus: u32,
    pub memory: u64,
    pub max_memory: u64,
    pub disks: Vec<VmDisk>,
    pub interfaces: Vec<NetInterface>,
    pub topology: Option<Topology>,
    pub firmware: String,
    pub title: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hostdevs: Vec<VmHostDevice>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub filesystems: Vec<VmFilesystem>,
    /// TPM, watchdog and vsock change in the saved definition only (libvirt cannot hot-plug them here).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tpm: Option<VmTpm>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watchdog: Option<Watchdog>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vsock: Option<VmVsock>,
}

impl SavedConfig {
    pub fn of(config: &DomainConfig) -> SavedConfig {
        SavedConfig {
            vcpus: config.vcpus,
            memory: config.memory,
            max_memory: config.max_memory,
            disks: config.disks.clone(),
            interfaces: config.interfaces.iter().map(|nic| NetInterface { tap: None, ..nic.clone() }).collect(),
            // Not the CPU model: a running VM's XML names the model that host-model expanded to.
            topology: config.topology,
            firmware: config.firmware.clone(),
            title: config.title.clone(),
            // Where a USB device named by its ids is plugged in shows only while the VM runs.
            hostdevs: config
                .hostdevs
                .iter()
                .map(|h| match h.key {
                    Some(super::hostdev::HostdevKey::Usb(_)) => VmHostDevice { address: None, ..h.clone() },
                    _ => h.clone(),
                })
                .collect(),
            filesystems: config.filesystems.clone(),
            tpm: config.tpm.clone(),
            watchdog: config.watchdog.clone(),
            vsock: config.vsock.map(VmVsock::requested),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VmDisk {
    pub target: String,
    /// `disk`, `cdrom`, `floppy` or `lun`.
    pub device: String,
    /// `file`, `block`, `volume`, `network`, `dir`.
    #[serde(rename = "type")]
    pub kind: String,
    pub bus: Option<String>,
    pub format: Option<String>,
    /// File or device path, network source name; `None` for an empty CD-ROM.
    pub source: Option<String>,
    pub pool: Option<String>,
    pub volume: Option<String>,
    pub readonly: bool,
    pub shareable: bool,
    /// `<driver cache=…>`: `none`, `writeback`, `writethrough`, `directsync`, `unsafe`; `None` = default.
    pub cache: Option<String>,
    pub serial: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetInterface {
    #[serde(rename = "type")]
    pub kind: String,
    pub mac: Option<String>,
    pub model: Option<String>,
    /// Network name, bridge or host device, by type.
    pub source: Option<String>,
    /// `<link state='down'/>` makes it false: the cable is unplugged.
    pub link_up: bool,
    /// The host's TAP device while the VM runs (`vnet3`); live only, so never in `saved`.
    pub tap: Option<String>,
    /// The 802.1Q tag the host puts on the guest's traffic (`<vlan><tag id/>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vlan: Option<u16>,
    /// A user-mode interface's backend when not QEMU's own (`passt`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Graphics {
    #[serde(rename = "type")]
    pub kind: String,
    /// The TCP port while the VM runs (libvirt fills in an autoport); none for a socket or a stopped VM.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// The address it listens on, when it listens on TCP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    /// Listens on a local UNIX socket only (reachable through libvirt, not over the network).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub socket: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Console {
    #[serde(rename = "type")]
    pub kind: String,
    pub target: Option<String>,
}
