//! Node device XML (`virNodeDeviceGetXMLDesc`) → [`NodeDevice`]: the PCI, USB, SCSI and mediated devices a VM
//! can be given, and Fibre Channel host adapters (HBAs and the vHBAs made on them with `virNodeDeviceCreateXML`,
//! which a VM's SCSI storage sits on). Other capabilities (the computer, network interfaces, other SCSI hosts,
//! storage) are not listed.

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::model::hostdev::{HostdevKey, NodeDevice, PciAddress, UsbId, parse_hex_id};

/// The capability types a VM can be given, as libvirt names them.
pub const LISTED_TYPES: [&str; 5] = ["pci", "usb_device", "scsi", "mdev", "scsi_host"];

/// `Ok(None)`: a device of a kind VMs are not given.
pub fn parse_node_device(xml: &str) -> Result<Option<NodeDevice>> {
    let doc: DeviceDoc = quick_xml::de::from_str(xml).context("parsing node device XML")?;
    let Some(mut cap) = doc.capabilities.into_iter().find(|c| LISTED_TYPES.contains(&c.kind.as_str())) else {
        return Ok(None);
    };
    // A SCSI host only when it is a Fibre Channel port: its WWPN is its address.
    let wwpn = cap.nested.iter_mut().find(|n| n.kind == "fc_host").map(|fc| fc.wwpn.take());
    if cap.kind == "scsi_host" && wwpn.is_none() {
        return Ok(None);
    }
    let num = |v: &Option<String>| v.as_deref().and_then(number);
    let vendor_id = cap.vendor.as_ref().and_then(|v| v.id.as_deref()).and_then(parse_hex_id);
    let product_id = cap.product.as_ref().and_then(|p| p.id.as_deref()).and_then(parse_hex_id);
    let (address, key, usb_at) = match cap.kind.as_str() {
        "pci" => {
            let pci = (|| {
                Some(PciAddress {
                    domain: u16::try_from(num(&cap.domain)?).ok()?,
                    bus: u8::try_from(num(&cap.bus)?).ok()?,
                    slot: u8::try_from(num(&cap.slot)?).ok().filter(|s| *s < 32)?,
                    function: u8::try_from(num(&cap.function)?).ok().filter(|f| *f < 8)?,
                })
            })();
            (pci.map(|p| p.to_string()), pci.map(HostdevKey::Pci), None)
        }
        "usb_device" => {
            let at = (|| Some((u16::try_from(num(&cap.bus)?).ok()?, u16::try_from(num(&cap.device)?).ok()?)))();
            let key = vendor_id.zip(product_id).map(|(vendor, product)| HostdevKey::Usb(UsbId { vendor, product }));
            (
                at.map(|(bus, device)| format!("{bus}.{device}")),
                key,
                at.map(|(bus, device)| HostdevKey::UsbAt { bus, device }),
            )
        }
        "scsi" => {
            let parts =
                [&cap.host, &cap.bus, &cap.target, &cap.lun].map(|v| num(v).map_or("?".into(), |n| n.to_string()));
            (Some(parts.join(":")), None, None)
        }
        "scsi_host" => (wwpn.flatten().map(|w| w.value.trim().to_string()), None, None),
        _ => (cap.uuid.map(|u| u.value.trim().to_string()), None, None),
    };
    let text = |v: Option<IdText>| v.map(|v| v.value.trim().to_string()).filter(|s| !s.is_empty());
    Ok(Some(NodeDevice {
        name: doc.name.value.trim().to_string(),
        kind: cap.kind,
        parent: doc.parent.map(|p| p.value.trim().to_string()),
        driver: doc.driver.and_then(|d| d.name).map(|n| n.value.trim().to_string()),
        vendor: text(cap.vendor),
        product: text(cap.product).or_else(|| cap.model.map(|m| m.value.trim().to_string())),
        vendor_id: vendor_id.map(|v| format!("{v:04x}")),
        product_id: product_id.map(|p| format!("{p:04x}")),
        address,
        key,
        usb_at,
        class: cap.class.map(|c| c.value.trim().to_string()),
        iommu_group: cap.iommu_group.and_then(|g| g.number.as_deref().and_then(number)),
    }))
}

fn number(text: &str) -> Option<u32> {
    let text = text.trim();
    match text.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

#[derive(Deserialize)]
struct DeviceDoc {
    name: Plain,
    parent: Option<Plain>,
    driver: Option<DriverDoc>,
    #[serde(rename = "capability", default)]
    capabilities: Vec<CapabilityDoc>,
}

#[derive(Deserialize)]
struct Plain {
    #[serde(rename = "$text", default)]
    value: String,
}

#[derive(Deserialize)]
struct DriverDoc {
    name: Option<Plain>,
}

#[derive(Deserialize)]
struct IdText {
    #[serde(rename = "@id")]
    id: Option<String>,
    #[serde(rename = "$text", default)]
    value: String,
}

#[derive(Deserialize)]
struct IommuGroupDoc {
    #[serde(rename = "@number")]
    number: Option<String>,
}

#[derive(Deserialize)]
struct CapabilityDoc {
    #[serde(rename = "@type")]
    kind: String,
    class: Option<Plain>,
    domain: Option<String>,
    bus: Option<String>,
    slot: Option<String>,
    function: Option<String>,
    device: Option<String>,
    host: Option<String>,
    target: Option<String>,
    lun: Option<String>,
    model: Option<Plain>,
    uuid: Option<Plain>,
    vendor: Option<IdText>,
    product: Option<IdText>,
    #[serde(rename = "iommuGroup")]
    iommu_group: Option<IommuGroupDoc>,
    /// A SCSI host's `fc_host`, `vport_ops` …
    #[serde(rename = "capability", default)]
    nested: Vec<NestedCapabilityDoc>,
}

#[derive(Deserialize)]
struct NestedCapabilityDoc {
    #[serde(rename = "@type")]
    kind: String,
    wwpn: Option<Plain>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_devices_pci_usb_and_others() {
        let pci = parse_node_device(
            "<device><name>pci_0000_00_1f_3</name><path>/sys/x</path><parent>computer</parent>
             <driver><name>snd_hda_intel</name></driver>
             <capability type='pci'><class>0x040300</class><domain>0</domain><bus>0</bus><slot>31</slot>
             <function>3</function><product id='0xa348'>Cannon Lake PCH cAVS</product>
             <vendor id='0x8086'>Intel Corporation</vendor><iommuGroup number='12'><address domain='0x0000'
             bus='0x00' slot='0x1f' function='0x3'/></iommuGroup></capability></device>",
        )
        .unwrap()
        .unwrap();
        assert_eq!(pci.address.as_deref(), Some("0000:00:1f.3"));
        assert_eq!(pci.key.unwrap().to_string(), "pci:0000:00:1f.3");
        assert_eq!(pci.driver.as_deref(), Some("snd_hda_intel"));
        assert_eq!(pci.vendor.as_deref(), Some("Intel Corporation"));
        assert_eq!((pci.vendor_id.as_deref(), pci.product_id.as_deref()), (Some("8086"), Some("a348")));
        assert_eq!(pci.iommu_group, Some(12));
        let usb = parse_node_device(
            "<device><name>usb_1_5</name><parent>usb_usb1</parent><driver><name>usb</name></driver>
             <capability type='usb_device'><bus>1</bus><device>5</device><product id='0x0825'>Webcam C270</product>
             <vendor id='0x046d'>Logitech, Inc.</vendor></capability></device>",
        )
        .unwrap()
        .unwrap();
        assert_eq!(usb.address.as_deref(), Some("1.5"));
        assert_eq!(usb.key.unwrap().to_string(), "usb:046d:0825");
        assert_eq!(usb.usb_at.unwrap().to_string(), "usb-at:1.5");
        let vhba = parse_node_device(
            "<device><name>scsi_host12</name><parent>scsi_host1</parent><capability type='scsi_host'><host>11</host>
             <unique_id>10</unique_id><capability type='fc_host'><wwnn>51000004010d70ab</wwnn>
             <wwpn>5100000a3d1c963c</wwpn></capability></capability></device>",
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            (vhba.kind.as_str(), vhba.address.as_deref(), vhba.key),
            ("scsi_host", Some("5100000a3d1c963c"), None)
        );
        let ata = "<device><name>scsi_host0</name><capability type='scsi_host'><host>0</host></capability></device>";
        assert_eq!(parse_node_device(ata).unwrap(), None);
        let computer = "<device><name>computer</name><capability type='system'><hardware/></capability></device>";
        assert_eq!(parse_node_device(computer).unwrap(), None);
        assert!(parse_node_device("<device>").is_err());
    }
}
