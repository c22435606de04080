//! XML of single devices for `virDomainAttachDeviceFlags` and friends, from typed values. Every
//! value goes through quick-xml's escaping, so names with quotes, `&` or unicode are safe.

use anyhow::{Context, Result};
use quick_xml::Writer;

/// Where a disk's data comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiskSource {
    File(String),
    Block(String),
    Volume {
        pool: String,
        volume: String,
    },
    /// Media QEMU reads over the network itself (its curl driver): `protocol://host:port/name?query`,
    /// `name` unescaped (libvirt escapes it when it builds the URL).
    Network {
        protocol: String,
        host: String,
        port: u16,
        name: String,
        query: Option<String>,
    },
}

impl DiskSource {
    /// A local path: one under `/dev/` is a block device, anything else a file.
    pub fn local(path: String) -> Self {
        if path.starts_with("/dev/") { DiskSource::Block(path) } else { DiskSource::File(path) }
    }

    /// The disk's `type` attribute for this source.
    pub fn disk_type(&self) -> &'static str {
        match self {
            DiskSource::File(_) => "file",
            DiskSource::Block(_) => "block",
            DiskSource::Volume { .. } => "volume",
            DiskSource::Network { .. } => "network",
        }
    }
}

/// `<source …/>` for a disk.
pub fn source_xml(source: &DiskSource) -> Result<String> {
    let mut writer = Writer::new(Vec::new());
    write_source(&mut writer, source)?;
    String::from_utf8(writer.into_inner()).context("source XML")
}

/// Writes a disk's `<source …/>`: shared by device changes and the domain a create builds.
pub fn write_source(writer: &mut Writer<Vec<u8>>, source: &DiskSource) -> std::io::Result<()> {
    let element = writer.create_element("source");
    match source {
        DiskSource::File(path) => element.with_attribute(("file", path.as_str())).write_empty()?,
        DiskSource::Block(path) => element.with_attribute(("dev", path.as_str())).write_empty()?,
        DiskSource::Volume { pool, volume } => {
            element.with_attribute(("pool", pool.as_str())).with_attribute(("volume", volume.as_str())).write_empty()?
        }
        // libvirt keeps an URL's query apart; left in `name`, its `?` would be escaped.
        DiskSource::Network { protocol, host, port, name, query } => element
            .with_attribute(("protocol", protocol.as_str()))
            .with_attribute(("name", name.as_str()))
            .with_attributes(query.as_deref().map(|q| ("query", q)))
            .write_inner_content(|w| {
                let port = port.to_string();
                w.create_element("host")
                    .with_attribute(("name", host.as_str()))
                    .with_attribute(("port", port.as_str()))
                    .write_empty()?;
                Ok(())
            })?,
    };
    Ok(())
}

/// A disk to attach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskDevice {
    /// `disk` or `cdrom`.
    pub device: &'static str,
    /// `None` only for an empty CD/DVD drive.
    pub source: Option<DiskSource>,
    /// `qcow2` or `raw`.
    pub format: &'static str,
    pub target: String,
    pub bus: &'static str,
    pub cache: Option<&'static str>,
    pub serial: Option<String>,
    pub readonly: bool,
}

pub fn disk_xml(disk: &DiskDevice) -> Result<String> {
    let mut writer = Writer::new(Vec::new());
    let kind = disk.source.as_ref().map_or("file", DiskSource::disk_type);
    writer
        .create_element("disk")
        .with_attribute(("type", kind))
        .with_attribute(("device", disk.device))
        .write_inner_content(|w| {
            let driver =
                w.create_element("driver").with_attribute(("name", "qemu")).with_attribute(("type", disk.format));
            match disk.cache {
                Some(cache) => driver.with_attribute(("cache", cache)).write_empty()?,
                None => driver.write_empty()?,
            };
            if let Some(source) = &disk.source {
                let raw = source_xml(source).map_err(|e| std::io::Error::other(e.to_string()))?;
                w.get_mut().extend_from_slice(raw.as_bytes());
            }
            w.create_element("target")
                .with_attribute(("dev", disk.target.as_str()))
                .with_attribute(("bus", disk.bus))
                .write_empty()?;
            if disk.readonly {
                w.create_element("readonly").write_empty()?;
            }
            if let Some(serial) = &disk.serial {
                w.create_element("serial").write_text_content(quick_xml::events::BytesText::new(serial))?;
            }
            Ok(())
        })?;
    String::from_utf8(writer.into_inner()).context("disk XML")
}

/// Where an interface connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NicSource {
    Network(String),
    Bridge(String),
    /// macvtap on a host interface; `mode` is `bridge`, `vepa`, `private` or `passthrough`.
    Direct {
        dev: String,
        mode: &'static str,
    },
    /// User-mode networking inside QEMU (slirp): no host setup, no inbound connections.
    User,
    /// User-mode networking through passt, with host ports forwarded into the guest.
    Passt {
        forwards: Vec<PortForward>,
    },
}

/// A host port passt forwards to a guest port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortForward {
    /// `tcp` or `udp`.
    pub proto: &'static str,
    pub host: u16,
    pub guest: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NicDevice {
    pub source: NicSource,
    pub model: &'static str,
    /// `None`: libvirt picks one.
    pub mac: Option<String>,
    /// An 802.1Q tag (1–4094), for sources that can carry one.
    pub vlan: Option<u16>,
}

impl NicSource {
    /// The interface's `type` attribute for this source.
    pub fn interface_type(&self) -> &'static str {
        match self {
            NicSource::Network(_) => "network",
            NicSource::Bridge(_) => "bridge",
            NicSource::Direct { .. } => "direct",
            NicSource::User | NicSource::Passt { .. } => "user",
        }
    }
}

/// `<source …/>` for an interface; user-mode has none.
pub fn nic_source_xml(source: &NicSource) -> Result<Option<String>> {
    let mut writer = Writer::new(Vec::new());
    match source {
        NicSource::Network(name) => {
            writer.create_element("source").with_attribute(("network", name.as_str())).write_empty()?
        }
        NicSource::Bridge(name) => {
            writer.create_element("source").with_attribute(("bridge", name.as_str())).write_empty()?
        }
        NicSource::Direct { dev, mode } => writer
            .create_element("source")
            .with_attribute(("dev", dev.as_str()))
            .with_attribute(("mode", *mode))
            .write_empty()?,
        NicSource::User | NicSource::Passt { .. } => return Ok(None),
    };
    Ok(Some(String::from_utf8(writer.into_inner()).context("source XML")?))
}

pub fn interface_xml(nic: &NicDevice) -> Result<String> {
    let mut writer = Writer::new(Vec::new());
    let kind = nic.source.interface_type();
    writer.create_element("interface").with_attribute(("type", kind)).write_inner_content(|w| {
        if let Some(mac) = &nic.mac {
            w.create_element("mac").with_attribute(("address", mac.as_str())).write_empty()?;
        }
        if let Some(source) = nic_source_xml(&nic.source).map_err(|e| std::io::Error::other(e.to_string()))? {
            w.get_mut().extend_from_slice(source.as_bytes());
        }
        w.create_element("model").with_attribute(("type", nic.model)).write_empty()?;
        if let NicSource::Passt { forwards } = &nic.source {
            w.create_element("backend").with_attribute(("type", "passt")).write_empty()?;
            for forward in forwards {
                let (start, to) = (forward.host.to_string(), forward.guest.to_string());
                w.create_element("portForward").with_attribute(("proto", forward.proto)).write_inner_content(|w| {
                    w.create_element("range")
                        .with_attribute(("start", start.as_str()))
                        .with_attribute(("to", to.as_str()))
                        .write_empty()?;
                    Ok(())
                })?;
            }
        }
        if let Some(tag) = nic.vlan {
            let id = tag.to_string();
            w.create_element("vlan").write_inner_content(|w| {
                w.create_element("tag").with_attribute(("id", id.as_str())).write_empty()?;
                Ok(())
            })?;
        }
        Ok(())
    })?;
    String::from_utf8(writer.into_inner()).context("interface XML")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse_domain;

    fn in_domain(device: &str) -> crate::model::DomainConfig {
        parse_domain(&format!("<domain><name>x</name><devices>{device}</devices></domain>")).unwrap()
    }

    #[test]
    fn disk_xml_escapes_and_round_trips() {
        let disk = DiskDevice {
            device: "disk",
            source: Some(DiskSource::Volume { pool: "p \"q\"".into(), volume: "dïsk <1> & 'x'.qcow2".into() }),
            format: "qcow2",
            target: "vdb".into(),
            bus: "virtio",
            cache: Some("none"),
            serial: Some("S/N <7>".into()),
            readonly: false,
        };
        let xml = disk_xml(&disk).unwrap();
        let config = in_domain(&xml);
        let parsed = &config.disks[0];
        assert_eq!(parsed.kind, "volume");
        assert_eq!(parsed.pool.as_deref(), Some("p \"q\""));
        assert_eq!(parsed.volume.as_deref(), Some("dïsk <1> & 'x'.qcow2"));
        assert_eq!((parsed.target.as_str(), parsed.bus.as_deref()), ("vdb", Some("virtio")));
        assert_eq!(parsed.cache.as_deref(), Some("none"));
        assert_eq!(parsed.serial.as_deref(), Some("S/N <7>"));
    }

    #[test]
    fn network_media_source() {
        let source = DiskSource::Network {
            protocol: "https".into(),
            host: "mirror.example".into(),
            port: 443,
            name: "/isos/a&b c.iso".into(),
            query: Some("x=1".into()),
        };
        let xml = source_xml(&source).unwrap();
        assert_eq!(
            xml,
            "<source protocol=\"https\" name=\"/isos/a&amp;b c.iso\" query=\"x=1\"><host name=\"mirror.example\" port=\"443\"/></source>"
        );
        let disk = in_domain(&format!("<disk type='network' device='cdrom'>{xml}<target dev='sda'/></disk>"));
        assert_eq!(disk.disks[0].source.as_deref(), Some("https://mirror.example:443/isos/a&b c.iso?x=1"));
    }

    #[test]
    fn empty_cdrom_has_no_source() {
        let xml = disk_xml(&DiskDevice {
            device: "cdrom",
            source: None,
            format: "raw",
            target: "sdb".into(),
            bus: "sata",
            cache: None,
            serial: None,
            readonly: true,
        })
        .unwrap();
        assert!(!xml.contains("<source"), "{xml}");
        let config = in_domain(&xml);
        assert!(config.disks[0].readonly && config.disks[0].source.is_none());
    }

    #[test]
    fn interface_xml_for_each_source() {
        let nic = |source| {
            interface_xml(&NicDevice { source, model: "virtio", mac: Some("52:54:00:ab:cd:ef".into()), vlan: None })
        };
        let config = in_domain(&nic(NicSource::Network("n & 'm'".into())).unwrap());
        let parsed = &config.interfaces[0];
        assert_eq!((parsed.kind.as_str(), parsed.source.as_deref()), ("network", Some("n & 'm'")));
        assert_eq!(parsed.mac.as_deref(), Some("52:54:00:ab:cd:ef"));
        assert_eq!(in_domain(&nic(NicSource::Bridge("br0".into())).unwrap()).interfaces[0].kind, "bridge");
        let direct = nic(NicSource::Direct { dev: "eth0".into(), mode: "vepa" }).unwrap();
        assert!(direct.contains("<source dev=\"eth0\" mode=\"vepa\"/>"), "{direct}");
        assert_eq!(in_domain(&direct).interfaces[0].source.as_deref(), Some("eth0"));
        let user = in_domain(&nic(NicSource::User).unwrap());
        assert_eq!((user.interfaces[0].kind.as_str(), user.interfaces[0].source.as_deref()), ("user", None));
        assert_eq!(user.interfaces[0].backend, None);
    }

    #[test]
    fn interface_xml_with_vlan_and_passt_forwards() {
        let tagged = interface_xml(&NicDevice {
            source: NicSource::Bridge("br0".into()),
            model: "virtio",
            mac: None,
            vlan: Some(42),
        })
        .unwrap();
        assert!(tagged.contains("<vlan><tag id=\"42\"/></vlan>"), "{tagged}");
        assert_eq!(in_domain(&tagged).interfaces[0].vlan, Some(42));
        let forwards = vec![
            PortForward { proto: "tcp", host: 2222, guest: 22 },
            PortForward { proto: "udp", host: 5353, guest: 53 },
        ];
        let passt =
            interface_xml(&NicDevice { source: NicSource::Passt { forwards }, model: "virtio", mac: None, vlan: None })
                .unwrap();
        assert!(passt.starts_with("<interface type=\"user\">"), "{passt}");
        assert!(passt.contains("<backend type=\"passt\"/><portForward proto=\"tcp\"><range start=\"2222\" to=\"22\"/></portForward><portForward proto=\"udp\">"), "{passt}");
        let parsed = in_domain(&passt);
        assert_eq!(
            (parsed.interfaces[0].kind.as_str(), parsed.interfaces[0].backend.as_deref()),
            ("user", Some("passt"))
        );
    }
}
