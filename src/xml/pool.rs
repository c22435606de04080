//! Storage pool XML (`virStoragePoolGetXMLDesc`): the type, target path and source, nothing else.

use anyhow::{Context, Result};
use serde::Deserialize;

#[derive(Debug, PartialEq, Eq)]
pub struct PoolXml {
    pub kind: String,
    pub path: Option<String>,
    pub source: Option<String>,
}

#[derive(Deserialize)]
struct PoolDoc {
    #[serde(rename = "@type")]
    kind: String,
    source: Option<SourceDoc>,
    target: Option<TargetDoc>,
}

#[derive(Deserialize, Default)]
struct SourceDoc {
    /// Several for Ceph (its monitors): the first is shown.
    #[serde(default)]
    host: Vec<NamedDoc>,
    dir: Option<PathDoc>,
    device: Option<PathDoc>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct NamedDoc {
    #[serde(rename = "@name")]
    name: String,
}

#[derive(Deserialize)]
struct PathDoc {
    #[serde(rename = "@path")]
    path: String,
}

#[derive(Deserialize)]
struct TargetDoc {
    path: Option<String>,
}

pub fn parse_pool(xml: &str) -> Result<PoolXml> {
    let doc: PoolDoc = quick_xml::de::from_str(xml).context("parsing storage pool XML")?;
    let source = doc.source.unwrap_or_default();
    let host = source.host.into_iter().next();
    let source = match (host, source.dir, source.device, source.name) {
        (Some(host), Some(dir), _, _) => Some(format!("{}:{}", host.name, dir.path)),
        (Some(host), None, _, _) => Some(host.name),
        (None, _, Some(device), _) => Some(device.path),
        (None, Some(dir), None, _) => Some(dir.path),
        (None, None, None, name) => name,
    };
    Ok(PoolXml { kind: doc.kind, path: doc.target.and_then(|t| t.path).filter(|p| !p.is_empty()), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_dir_and_netfs() {
        let dir = parse_pool(
            "<pool type='dir'><name>default</name><uuid>x</uuid><capacity unit='bytes'>1</capacity>\
             <source></source><target><path>/var/lib/libvirt/images</path><permissions><mode>0711</mode></permissions></target></pool>",
        )
        .unwrap();
        assert_eq!(dir, PoolXml { kind: "dir".into(), path: Some("/var/lib/libvirt/images".into()), source: None });
        let netfs = parse_pool(
            "<pool type='netfs'><name>n</name><source><host name='nfs.example'/><dir path='/export'/>\
             <format type='auto'/></source><target><path>/mnt/n</path></target></pool>",
        )
        .unwrap();
        assert_eq!(netfs.source.as_deref(), Some("nfs.example:/export"));
        let logical = parse_pool(
            "<pool type='logical'><name>vg</name><source><device path='/dev/loop0'/><name>vg</name></source>\
             <target><path>/dev/vg</path></target></pool>",
        )
        .unwrap();
        assert_eq!(logical.source.as_deref(), Some("/dev/loop0"));
    }
}

/// A volume's `<target><format type>` (`qcow2`, `raw`, `iso`, …), if it has one.
pub fn parse_volume_format(xml: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct VolumeDoc {
        target: Option<VolumeTarget>,
    }
    #[derive(Deserialize)]
    struct VolumeTarget {
        format: Option<FormatDoc>,
    }
    #[derive(Deserialize)]
    struct FormatDoc {
        #[serde(rename = "@type")]
        kind: String,
    }
    let doc: VolumeDoc = quick_xml::de::from_str(xml).ok()?;
    doc.target?.format.map(|f| f.kind)
}

/// A new volume's definition: name, capacity in bytes, format (`qcow2` or `raw`).
pub fn volume_xml(name: &str, capacity: u64, format: &str) -> String {
    use quick_xml::escape::escape;
    format!(
        "<volume><name>{}</name><capacity unit='bytes'>{capacity}</capacity>\
         <target><format type='{}'/></target></volume>",
        escape(name),
        escape(format)
    )
}

/// A new qcow2 volume over a backing volume (an overlay): its writes go to the new volume, reads of what it has
/// not written come from `backing_path`, read as `backing_format`.
pub fn overlay_volume_xml(name: &str, capacity: u64, backing_path: &str, backing_format: &str) -> String {
    use quick_xml::escape::escape;
    format!(
        "<volume><name>{}</name><capacity unit='bytes'>{capacity}</capacity>\
         <target><format type='qcow2'/></target>\
         <backingStore><path>{}</path><format type='{}'/></backingStore></volume>",
        escape(name),
        escape(backing_path),
        escape(backing_format)
    )
}

#[cfg(test)]
mod volume_tests {
    use super::*;

    #[test]
    fn volume_format_and_xml() {
        assert_eq!(
            parse_volume_format(
                "<volume type='file'><name>a</name><target><path>/x/a</path><format type='qcow2'/></target></volume>"
            )
            .as_deref(),
            Some("qcow2")
        );
        assert_eq!(parse_volume_format("<volume><name>a</name></volume>"), None);
        assert_eq!(
            volume_xml("a&b", 1024, "raw"),
            "<volume><name>a&amp;b</name><capacity unit='bytes'>1024</capacity><target><format type='raw'/></target></volume>"
        );
        assert_eq!(
            overlay_volume_xml("o", 2048, "/p/<b>.img", "raw"),
            "<volume><name>o</name><capacity unit='bytes'>2048</capacity><target><format type='qcow2'/></target>\
             <backingStore><path>/p/&lt;b&gt;.img</path><format type='raw'/></backingStore></volume>"
        );
    }
}

/// `virConnectGetStoragePoolCapabilities`: each pool type and whether this libvirtd has its backend.
pub fn parse_pool_capabilities(xml: &str) -> Result<std::collections::BTreeMap<String, bool>> {
    #[derive(Deserialize)]
    struct CapsDoc {
        #[serde(default)]
        pool: Vec<CapPool>,
    }
    #[derive(Deserialize)]
    struct CapPool {
        #[serde(rename = "@type")]
        kind: String,
        #[serde(rename = "@supported")]
        supported: Option<String>,
    }
    let doc: CapsDoc = quick_xml::de::from_str(xml).context("parsing storage pool capabilities")?;
    Ok(doc.pool.into_iter().map(|p| (p.kind, p.supported.as_deref() == Some("yes"))).collect())
}

#[cfg(test)]
mod spec_tests {
    use super::*;

    #[test]
    fn pool_capabilities_and_specs() {
        let caps = parse_pool_capabilities(
            "<storagepoolCapabilities><pool type='dir' supported='yes'><volOptions/></pool>\
             <pool type='rbd' supported='no'/></storagepoolCapabilities>",
        )
        .unwrap();
        assert_eq!(caps.get("dir"), Some(&true));
        assert_eq!(caps.get("rbd"), Some(&false));
    }
}
