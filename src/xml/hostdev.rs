//! XML of a host device (`<hostdev>`) and a shared directory (`<filesystem>`) to attach, from typed values;
//! every value escaped by quick-xml.

use anyhow::{Context, Result};
use quick_xml::Writer;

use crate::model::hostdev::HostdevKey;

/// `<hostdev>` for a USB device (by vendor and product id, or by bus and device number) or a PCI device (by
/// address), managed: libvirt detaches it from its host driver while the VM runs.
pub fn hostdev_xml(key: &HostdevKey) -> Result<String> {
    let mut writer = Writer::new(Vec::new());
    let kind = match key {
        HostdevKey::Pci(_) => "pci",
        HostdevKey::Usb(_) | HostdevKey::UsbAt { .. } => "usb",
    };
    writer
        .create_element("hostdev")
        .with_attribute(("mode", "subsystem"))
        .with_attribute(("type", kind))
        .with_attribute(("managed", "yes"))
        .write_inner_content(|w| {
            w.create_element("source").write_inner_content(|w| {
                match key {
                    HostdevKey::Pci(a) => {
                        let (domain, bus, slot, function) = (
                            format!("0x{:04x}", a.domain),
                            format!("0x{:02x}", a.bus),
                            format!("0x{:02x}", a.slot),
                            format!("0x{:x}", a.function),
                        );
                        w.create_element("address")
                            .with_attribute(("domain", domain.as_str()))
                            .with_attribute(("bus", bus.as_str()))
                            .with_attribute(("slot", slot.as_str()))
                            .with_attribute(("function", function.as_str()))
                            .write_empty()?;
                    }
                    HostdevKey::Usb(id) => {
                        let (vendor, product) = (format!("0x{:04x}", id.vendor), format!("0x{:04x}", id.product));
                        w.create_element("vendor").with_attribute(("id", vendor.as_str())).write_empty()?;
                        w.create_element("product").with_attribute(("id", product.as_str())).write_empty()?;
                    }
                    HostdevKey::UsbAt { bus, device } => {
                        let (bus, device) = (bus.to_string(), device.to_string());
                        w.create_element("address")
                            .with_attribute(("bus", bus.as_str()))
                            .with_attribute(("device", device.as_str()))
                            .write_empty()?;
                    }
                }
                Ok(())
            })?;
            Ok(())
        })?;
    String::from_utf8(writer.into_inner()).context("hostdev XML")
}

/// A host directory shared through virtiofs under a mount tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedDirectory {
    pub path: String,
    pub tag: String,
    pub readonly: bool,
}

pub fn filesystem_xml(fs: &SharedDirectory) -> Result<String> {
    let mut writer = Writer::new(Vec::new());
    writer
        .create_element("filesystem")
        .with_attribute(("type", "mount"))
        .with_attribute(("accessmode", "passthrough"))
        .write_inner_content(|w| {
            w.create_element("driver").with_attribute(("type", "virtiofs")).write_empty()?;
            w.create_element("source").with_attribute(("dir", fs.path.as_str())).write_empty()?;
            w.create_element("target").with_attribute(("dir", fs.tag.as_str())).write_empty()?;
            if fs.readonly {
                w.create_element("readonly").write_empty()?;
            }
            Ok(())
        })?;
    String::from_utf8(writer.into_inner()).context("filesystem XML")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse_domain;

    fn in_domain(device: &str) -> crate::model::DomainConfig {
        parse_domain(&format!("<domain><name>x</name><devices>{device}</devices></domain>")).unwrap()
    }

    #[test]
    fn hostdev_and_filesystem_xml_read_back_as_written() {
        for key in ["pci:0000:06:1f.7", "usb:046d:0825", "usb-at:3.17"] {
            let key = HostdevKey::parse(key).unwrap();
            let config = in_domain(&hostdev_xml(&key).unwrap());
            assert_eq!(config.hostdevs[0].key, Some(key));
        }
        let fs = SharedDirectory { path: "/srv/it's <a> & \"b\"".into(), tag: "tag.1".into(), readonly: true };
        let config = in_domain(&filesystem_xml(&fs).unwrap());
        let read = &config.filesystems[0];
        assert_eq!(
            (read.driver.as_str(), read.source.as_deref(), read.tag.as_str(), read.readonly),
            ("virtiofs", Some(fs.path.as_str()), "tag.1", true)
        );
    }
}
