//! Boot order: which disks, network interfaces and host devices a VM tries at start, and in which order.
//! Read from per-device `<boot order='N'/>` (or, where no device has one, from the older `<os><boot dev>`
//! list), and written back as per-device orders only (libvirt refuses the two together).
//!
//! A device is named by a key that stays the same while the page looks at it: `disk:<target dev>`,
//! `interface:<mac>`, `hostdev:<n>` (the n-th host device; they have nothing else stable).

use anyhow::{Context, Result, bail};
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, Writer};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BootKind {
    Disk,
    Cdrom,
    Floppy,
    Interface,
    Hostdev,
}

/// One device that can boot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BootDevice {
    pub key: String,
    pub kind: BootKind,
    /// What the user recognises: an image path, a network name, a PCI/USB address.
    pub label: String,
}

/// The bootable devices in document order, and the keys of those the VM boots from, first first.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct BootOrder {
    pub devices: Vec<BootDevice>,
    pub order: Vec<String>,
}

#[derive(Deserialize)]
struct Doc {
    os: Option<OsDoc>,
    devices: Option<DevicesDoc>,
}

#[derive(Deserialize)]
struct OsDoc {
    #[serde(default)]
    boot: Vec<DevAttr>,
}

#[derive(Deserialize)]
struct DevAttr {
    #[serde(rename = "@dev")]
    dev: Option<String>,
}

#[derive(Deserialize)]
struct DevicesDoc {
    #[serde(default)]
    disk: Vec<DiskDoc>,
    #[serde(default)]
    interface: Vec<InterfaceDoc>,
    #[serde(default)]
    hostdev: Vec<HostdevDoc>,
}

#[derive(Deserialize)]
struct BootDoc {
    #[serde(rename = "@order")]
    order: Option<u32>,
}

#[derive(Deserialize)]
struct DiskDoc {
    #[serde(rename = "@device")]
    device: Option<String>,
    source: Option<SourceDoc>,
    target: Option<DevAttr>,
    boot: Option<BootDoc>,
}

#[derive(Deserialize, Default)]
struct SourceDoc {
    #[serde(rename = "@file")]
    file: Option<String>,
    #[serde(rename = "@dev")]
    dev: Option<String>,
    #[serde(rename = "@name")]
    name: Option<String>,
    #[serde(rename = "@pool")]
    pool: Option<String>,
    #[serde(rename = "@volume")]
    volume: Option<String>,
    #[serde(rename = "@network")]
    network: Option<String>,
    #[serde(rename = "@bridge")]
    bridge: Option<String>,
    address: Option<AddressDoc>,
    vendor: Option<IdDoc>,
    product: Option<IdDoc>,
}

#[derive(Deserialize)]
struct AddressDoc {
    #[serde(rename = "@domain")]
    domain: Option<String>,
    #[serde(rename = "@bus")]
    bus: Option<String>,
    #[serde(rename = "@slot")]
    slot: Option<String>,
    #[serde(rename = "@function")]
    function: Option<String>,
    #[serde(rename = "@device")]
    device: Option<String>,
}

#[derive(Deserialize)]
struct IdDoc {
    #[serde(rename = "@id")]
    id: Option<String>,
}

#[derive(Deserialize)]
struct InterfaceDoc {
    #[serde(rename = "@type")]
    kind: Option<String>,
    mac: Option<MacDoc>,
    source: Option<SourceDoc>,
    boot: Option<BootDoc>,
}

#[derive(Deserialize)]
struct MacDoc {
    #[serde(rename = "@address")]
    address: Option<String>,
}

#[derive(Deserialize)]
struct HostdevDoc {
    #[serde(rename = "@type")]
    kind: Option<String>,
    source: Option<SourceDoc>,
    boot: Option<BootDoc>,
}

/// A device and its `<boot order>`, in document order within its kind.
struct Found {
    device: BootDevice,
    order: Option<u32>,
    /// Its position among all elements of its name in `<devices>` (keyless ones included).
    ordinal: usize,
}

fn found(xml: &str) -> Result<(Vec<Found>, Vec<String>)> {
    let doc: Doc = quick_xml::de::from_str(xml).context("parsing the domain XML")?;
    let legacy = doc.os.map(|os| os.boot.into_iter().filter_map(|b| b.dev).collect()).unwrap_or_default();
    let Some(devices) = doc.devices else { return Ok((Vec::new(), legacy)) };
    let mut out = Vec::new();
    for (ordinal, disk) in devices.disk.into_iter().enumerate() {
        let Some(target) = disk.target.and_then(|t| t.dev) else { continue };
        let kind = match disk.device.as_deref() {
            Some("cdrom") => BootKind::Cdrom,
            Some("floppy") => BootKind::Floppy,
            _ => BootKind::Disk,
        };
        let source = disk.source.unwrap_or_default();
        let label = source
            .file
            .or(source.dev)
            .or(source.name)
            .or(source.pool.zip(source.volume).map(|(p, v)| format!("{p}/{v}")))
            .unwrap_or_default();
        out.push(Found {
            device: BootDevice {
                key: format!("disk:{target}"),
                kind,
                label: format!("{target} {label}").trim().into(),
            },
            order: disk.boot.and_then(|b| b.order),
            ordinal,
        });
    }
    for (ordinal, nic) in devices.interface.into_iter().enumerate() {
        let Some(mac) = nic.mac.and_then(|m| m.address) else { continue };
        let source = nic.source.unwrap_or_default();
        let via = source.network.or(source.bridge).or(source.dev).or(nic.kind).unwrap_or_default();
        out.push(Found {
            device: BootDevice {
                key: format!("interface:{mac}"),
                kind: BootKind::Interface,
                label: format!("{mac} {via}"),
            },
            order: nic.boot.and_then(|b| b.order),
            ordinal,
        });
    }
    for (n, dev) in devices.hostdev.into_iter().enumerate() {
        let source = dev.source.unwrap_or_default();
        let address = source.address.map(|a| match (a.bus, a.slot, a.function, a.device) {
            (Some(bus), Some(slot), Some(function), _) => {
                format!("{}:{bus}:{slot}.{function}", a.domain.unwrap_or_else(|| "0x0000".into()))
            }
            (Some(bus), _, _, Some(device)) => format!("bus {bus} device {device}"),
            _ => String::new(),
        });
        let ids =
            source.vendor.and_then(|v| v.id).zip(source.product.and_then(|p| p.id)).map(|(v, p)| format!("{v}:{p}"));
        let what = dev.kind.unwrap_or_default().to_uppercase();
        let label = format!("{what} {}", ids.or(address).unwrap_or_default()).trim().to_string();
        out.push(Found {
            device: BootDevice { key: format!("hostdev:{n}"), kind: BootKind::Hostdev, label },
            order: dev.boot.and_then(|b| b.order),
            ordinal: n,
        });
    }
    Ok((out, legacy))
}

/// The bootable devices and the order the VM boots them in.
pub fn boot_order(xml: &str) -> Result<BootOrder> {
    let (found, legacy) = found(xml)?;
    let mut ordered: Vec<(u32, &str)> =
        found.iter().filter_map(|f| f.order.map(|o| (o, f.device.key.as_str()))).collect();
    ordered.sort();
    let mut order: Vec<String> = ordered.into_iter().map(|(_, key)| key.to_string()).collect();
    if order.is_empty() {
        // `<os><boot dev>`: each names a class of device; the firmware tries the first of that class.
        for dev in &legacy {
            let kind = match dev.as_str() {
                "hd" => BootKind::Disk,
                "cdrom" => BootKind::Cdrom,
                "fd" => BootKind::Floppy,
                "network" => BootKind::Interface,
                _ => continue,
            };
            if let Some(first) = found.iter().find(|f| f.device.kind == kind) {
                order.push(first.device.key.clone());
            }
        }
    }
    Ok(BootOrder { devices: found.into_iter().map(|f| f.device).collect(), order })
}

/// `xml` with `order` (keys from [`boot_order`]) as the per-device boot order: every other `<boot>` of a
/// disk, interface, host device or USB redirection and every `<os><boot dev>` removed.
pub fn set_boot_order(xml: &str, order: &[String]) -> Result<String> {
    let (found, _) = found(xml)?;
    // Each key as its element's name and ordinal, which the stream below counts.
    let mut wanted: Vec<(&'static str, usize, u32)> = Vec::new();
    for (i, key) in order.iter().enumerate() {
        let Some(f) = found.iter().find(|f| f.device.key == *key) else { bail!("no device {key}") };
        wanted.push((element_of(f.device.kind), f.ordinal, i as u32 + 1));
    }
    let mut reader = Reader::from_str(xml);
    let mut writer = Writer::new(Vec::with_capacity(xml.len() + 64 * order.len()));
    let mut stack: Vec<String> = Vec::new();
    // Element ordinals within <devices>, counted including those without a key (skipped by `found`).
    let mut seen = Seen::default();
    // The order to give the device element open now.
    let mut pending: Option<u32> = None;
    loop {
        let event = reader.read_event().context("reading the domain XML")?;
        match event {
            Event::Start(start) => {
                let name = start.name().as_ref().to_owned();
                if is_boot(&stack, &name) {
                    skip(&mut reader)?;
                    continue;
                }
                if stack.len() == 2 && stack[1] == "devices" {
                    pending = seen.next(&name).and_then(|(el, n)| lookup(&wanted, el, n));
                }
                writer.write_event(Event::Start(start))?;
                stack.push(name);
            }
            Event::Empty(empty) => {
                let name = empty.name().as_ref().to_owned();
                if is_boot(&stack, &name) {
                    continue;
                }
                let order = if stack.len() == 2 && stack[1] == "devices" {
                    seen.next(&name).and_then(|(el, n)| lookup(&wanted, el, n))
                } else {
                    None
                };
                match order {
                    Some(order) => {
                        let end = empty.to_end().into_owned();
                        writer.write_event(Event::Start(empty))?;
                        write_boot(&mut writer, order)?;
                        writer.write_event(Event::End(end))?;
                    }
                    None => writer.write_event(Event::Empty(empty))?,
                }
            }
            Event::End(end) => {
                if stack.len() == 3
                    && stack[1] == "devices"
                    && let Some(order) = pending.take()
                {
                    write_boot(&mut writer, order)?;
                }
                writer.write_event(Event::End(end))?;
                stack.pop();
            }
            Event::Eof => break,
            other => writer.write_event(other)?,
        }
    }
    if !stack.is_empty() {
        bail!("the domain XML ends inside an element");
    }
    String::from_utf8(writer.into_inner()).context("the edited XML is not UTF-8")
}

fn element_of(kind: BootKind) -> &'static str {
    match kind {
        BootKind::Disk | BootKind::Cdrom | BootKind::Floppy => "disk",
        BootKind::Interface => "interface",
        BootKind::Hostdev => "hostdev",
    }
}

/// Counts device elements as they stream past.
#[derive(Default)]
struct Seen {
    disk: usize,
    interface: usize,
    hostdev: usize,
}

impl Seen {
    /// A device element's name and its ordinal among the elements of that name so far.
    fn next(&mut self, name: &str) -> Option<(&'static str, usize)> {
        let (element, counter) = match name {
            "disk" => ("disk", &mut self.disk),
            "interface" => ("interface", &mut self.interface),
            "hostdev" => ("hostdev", &mut self.hostdev),
            _ => return None,
        };
        let n = *counter;
        *counter += 1;
        Some((element, n))
    }
}

fn lookup(wanted: &[(&'static str, usize, u32)], element: &str, ordinal: usize) -> Option<u32> {
    wanted.iter().find(|(el, n, _)| *el == element && *n == ordinal).map(|(_, _, order)| *order)
}

/// A `<boot>` this edit replaces: `<os><boot>`, or one inside a device that can have a boot order.
fn is_boot(stack: &[String], name: &str) -> bool {
    name == "boot"
        && match stack.len() {
            2 => stack[1] == "os",
            3 => stack[1] == "devices" && ["disk", "interface", "hostdev", "redirdev"].contains(&stack[2].as_str()),
            _ => false,
        }
}

fn write_boot(writer: &mut Writer<Vec<u8>>, order: u32) -> Result<()> {
    let mut boot = BytesStart::new("boot");
    boot.push_attribute(("order", order.to_string().as_str()));
    writer.write_event(Event::Empty(boot))?;
    Ok(())
}

fn skip(reader: &mut Reader<&[u8]>) -> Result<()> {
    let mut depth = 1usize;
    while depth > 0 {
        match reader.read_event().context("reading the domain XML")? {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth -= 1,
            Event::Eof => bail!("the domain XML ends inside an element"),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = "<domain><os><type>hvm</type><boot dev='network'/><boot dev='hd'/></os><devices>\
        <disk type='file' device='disk'><source file='/a.qcow2'/><target dev='vda'/></disk>\
        <disk type='file' device='cdrom'><target dev='sda'/><readonly/></disk>\
        <interface type='network'><mac address='52:54:00:00:00:01'/><source network='default'/></interface>\
        <hostdev mode='subsystem' type='usb'><source><vendor id='0x1'/><product id='0x2'/></source></hostdev>\
        <redirdev bus='usb' type='spicevmc'><boot order='9'/></redirdev>\
        </devices></domain>";

    #[test]
    fn reads_devices_and_the_legacy_order() {
        let b = boot_order(XML).unwrap();
        let keys: Vec<&str> = b.devices.iter().map(|d| d.key.as_str()).collect();
        assert_eq!(keys, ["disk:vda", "disk:sda", "interface:52:54:00:00:00:01", "hostdev:0"]);
        assert_eq!(b.devices[1].kind, BootKind::Cdrom);
        assert_eq!(b.devices[0].label, "vda /a.qcow2");
        assert_eq!(b.devices[3].label, "USB 0x1:0x2");
        assert_eq!(b.order, ["interface:52:54:00:00:00:01", "disk:vda"]);
    }

    #[test]
    fn writes_per_device_orders_and_reads_them_back() {
        let order = vec!["hostdev:0".to_string(), "disk:sda".into(), "disk:vda".into()];
        let edited = set_boot_order(XML, &order).unwrap();
        assert!(!edited.contains("<boot dev"), "{edited}");
        assert!(!edited.contains("order=\"9\"") && !edited.contains("order='9'"), "{edited}");
        assert!(edited.contains("<target dev='sda'/><readonly/><boot order=\"2\"/></disk>"), "{edited}");
        assert_eq!(boot_order(&edited).unwrap().order, order);
        // Again, from per-device orders: the old ones go.
        let again = set_boot_order(&edited, &["interface:52:54:00:00:00:01".to_string()]).unwrap();
        assert_eq!(boot_order(&again).unwrap().order, ["interface:52:54:00:00:00:01"]);
        assert_eq!(again.matches("<boot").count(), 1, "{again}");
        // None at all.
        assert_eq!(set_boot_order(&again, &[]).unwrap().matches("<boot").count(), 0);
    }

    #[test]
    fn unknown_keys_are_errors() {
        assert!(set_boot_order(XML, &["disk:vdz".to_string()]).is_err());
    }
}
