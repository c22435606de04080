//! Host devices given to a VM (`<hostdev>`), shared host directories (`<filesystem>`), and the host's
//! node devices they come from. Addresses are typed: a PCI or USB address cannot hold a bad value.

use std::fmt;

use serde::{Serialize, Serializer};

/// A PCI address `dddd:bb:ss.f` (domain, bus, slot, function).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PciAddress {
    pub domain: u16,
    pub bus: u8,
    pub slot: u8,
    pub function: u8,
}

impl PciAddress {
    /// Reads `dddd:bb:ss.f` (hex; the domain may be left out). Slots are 5 bits, functions 3.
    pub fn parse(text: &str) -> Option<PciAddress> {
        let (rest, function) = text.rsplit_once('.')?;
        let mut parts: Vec<&str> = rest.split(':').collect();
        if parts.len() == 2 {
            parts.insert(0, "0");
        }
        let [domain, bus, slot] = parts[..] else { return None };
        let hex = |s: &str, max_len: usize| {
            (!s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_hexdigit()))
                .then(|| u32::from_str_radix(s, 16).ok())
                .flatten()
        };
        let address = PciAddress {
            domain: u16::try_from(hex(domain, 4)?).ok()?,
            bus: u8::try_from(hex(bus, 2)?).ok()?,
            slot: u8::try_from(hex(slot, 2)?).ok().filter(|s| *s < 32)?,
            function: u8::try_from(hex(function, 1)?).ok().filter(|f| *f < 8)?,
        };
        Some(address)
    }
}

impl fmt::Display for PciAddress {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{:04x}:{:02x}:{:02x}.{:x}", self.domain, self.bus, self.slot, self.function)
    }
}

impl Serialize for PciAddress {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A USB device: by vendor and product id, and where it is plugged in (bus, device number) when known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct UsbId {
    #[serde(serialize_with = "hex4")]
    pub vendor: u16,
    #[serde(serialize_with = "hex4")]
    pub product: u16,
}

fn hex4<S: Serializer>(value: &u16, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&format_args!("{value:04x}"))
}

/// `0x1d6b` or `1d6b` → 0x1d6b.
pub fn parse_hex_id(text: &str) -> Option<u16> {
    let digits = text.trim().trim_start_matches("0x");
    (!digits.is_empty() && digits.len() <= 4 && digits.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| u16::from_str_radix(digits, 16).ok())
        .flatten()
}

/// What identifies a host device given to a VM, as `hostdev-remove` names it: `pci:0000:01:00.0`,
/// `usb:046d:0825` (vendor:product) or `usb-at:1.5` (bus.device).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HostdevKey {
    Pci(PciAddress),
    Usb(UsbId),
    UsbAt { bus: u16, device: u16 },
}

impl HostdevKey {
    pub fn parse(text: &str) -> Option<HostdevKey> {
        let (kind, rest) = text.split_once(':')?;
        match kind {
            "pci" => PciAddress::parse(rest).map(HostdevKey::Pci),
            "usb" => {
                let (vendor, product) = rest.split_once(':')?;
                Some(HostdevKey::Usb(UsbId { vendor: parse_hex_id(vendor)?, product: parse_hex_id(product)? }))
            }
            "usb-at" => {
                let (bus, device) = rest.split_once('.')?;
                let number =
                    |s: &str| (s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?;
                Some(HostdevKey::UsbAt { bus: number(bus)?, device: number(device)? })
            }
            _ => None,
        }
    }
}

impl fmt::Display for HostdevKey {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            HostdevKey::Pci(address) => write!(f, "pci:{address}"),
            HostdevKey::Usb(id) => write!(f, "usb:{:04x}:{:04x}", id.vendor, id.product),
            HostdevKey::UsbAt { bus, device } => write!(f, "usb-at:{bus}.{device}"),
        }
    }
}

impl Serialize for HostdevKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One `<hostdev>` of a VM.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VmHostDevice {
    /// `usb`, `pci`, `scsi`, `mdev`, or libvirt's other words.
    #[serde(rename = "type")]
    pub kind: String,
    /// USB and PCI devices: what `hostdev-remove` takes.
    pub key: Option<HostdevKey>,
    /// PCI address, USB `bus.device`, SCSI `adapter:bus:target:unit`, mediated device UUID.
    pub address: Option<String>,
    pub vendor_id: Option<String>,
    pub product_id: Option<String>,
}

/// One `<filesystem>` of a VM (a host directory shared with it).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VmFilesystem {
    /// `virtiofs`, `path` (9p), …
    pub driver: String,
    pub source: Option<String>,
    /// The mount tag the guest mounts it by.
    pub tag: String,
    pub readonly: bool,
}

/// A host device libvirt lists (`virNodeDevice`), as the `host-devices` op sends it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeDevice {
    /// libvirt's node device name (`pci_0000_00_1f_3`, `usb_1_5`).
    pub name: String,
    /// `pci`, `usb_device`, `scsi`, `mdev`.
    #[serde(rename = "type")]
    pub kind: String,
    pub parent: Option<String>,
    /// The host driver bound to it (`vfio-pci` means it is set aside for VMs).
    pub driver: Option<String>,
    pub vendor: Option<String>,
    pub product: Option<String>,
    pub vendor_id: Option<String>,
    pub product_id: Option<String>,
    /// PCI `dddd:bb:ss.f`, USB `bus.device`, SCSI `host:bus:target:lun`, mediated device UUID.
    pub address: Option<String>,
    /// The key a VM's `<hostdev>` for this device would have (USB by vendor:product, PCI by address).
    pub key: Option<HostdevKey>,
    /// The same USB device by where it is plugged in.
    #[serde(skip)]
    pub usb_at: Option<HostdevKey>,
    /// PCI: the device class (`0x030000`).
    pub class: Option<String>,
    pub iommu_group: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostdev_keys_parse_only_real_addresses() {
        let key = HostdevKey::parse("pci:0000:01:1f.7").unwrap();
        assert_eq!(key.to_string(), "pci:0000:01:1f.7");
        assert_eq!(HostdevKey::parse("pci:01:00.0").unwrap().to_string(), "pci:0000:01:00.0");
        assert_eq!(HostdevKey::parse("usb:0x046D:0825").unwrap().to_string(), "usb:046d:0825");
        assert_eq!(HostdevKey::parse("usb-at:1.5").unwrap().to_string(), "usb-at:1.5");
        for bad in [
            "pci:0000:01:20.0",
            "pci:0000:01:00.8",
            "pci:10000:01:00.0",
            "pci:0000:100:00.0",
            "pci:0000:01:00",
            "pci:0000:01:00.0'",
            "pci:+0:01:00.0",
            "usb:12345:1",
            "usb:zz:1",
            "usb:1",
            "usb-at:1.-5",
            "usb-at:1.99999999",
            "scsi:0:0:0:0",
            "",
            "pci:",
        ] {
            assert_eq!(HostdevKey::parse(bad), None, "{bad}");
        }
    }
}
