//! Domain snapshot XML (`virDomainSnapshotGetXMLDesc`) → [`SnapshotInfo`], and the XML of a new
//! snapshot from typed values (every value escaped by quick-xml).

use anyhow::{Context, Result};
use quick_xml::Writer;
use serde::{Deserialize, Serialize};

/// What the snapshot list shows of one snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotInfo {
    pub name: String,
    pub description: String,
    /// The VM state it holds: `running`, `paused`, `shutoff`, `disk-snapshot`, …
    pub state: String,
    /// Seconds since the epoch.
    pub creation_time: i64,
    pub parent: Option<String>,
    /// `internal` or `external`: external when its memory or any disk lives in files of its own.
    pub location: &'static str,
    /// Whether it holds the guest's memory (a running VM restored as it was).
    pub memory: bool,
    /// The memory file of an external snapshot.
    pub memory_file: Option<String>,
}

pub fn parse_snapshot(xml: &str) -> Result<SnapshotInfo> {
    let doc: SnapshotDoc = quick_xml::de::from_str(xml).context("parsing snapshot XML")?;
    let memory_mode = doc.memory.as_ref().and_then(|m| m.snapshot.clone()).unwrap_or_default();
    let disks = doc.disks.map(|d| d.disks).unwrap_or_default();
    let external_disk = disks.iter().any(|d| d.snapshot.as_deref() == Some("external"));
    let state = doc.state.map(|s| s.value.trim().to_string()).unwrap_or_default();
    // Older snapshots have no <memory>: an internal snapshot of a running VM holds its memory.
    let memory = match memory_mode.as_str() {
        "internal" | "external" => true,
        "no" => false,
        _ => matches!(state.as_str(), "running" | "paused" | "blocked" | "pmsuspended"),
    };
    let location = if memory_mode == "external" || external_disk { "external" } else { "internal" };
    Ok(SnapshotInfo {
        name: doc.name.value,
        description: doc.description.map(|d| d.value).unwrap_or_default(),
        state,
        creation_time: doc.creation_time.and_then(|t| t.value.trim().parse().ok()).unwrap_or(0),
        parent: doc.parent.map(|p| p.name.value),
        location,
        memory,
        memory_file: doc.memory.and_then(|m| m.file),
    })
}

#[derive(Deserialize)]
struct SnapshotDoc {
    name: Text,
    description: Option<Text>,
    state: Option<Text>,
    #[serde(rename = "creationTime")]
    creation_time: Option<Text>,
    parent: Option<ParentDoc>,
    memory: Option<MemoryDoc>,
    disks: Option<DisksDoc>,
}

#[derive(Deserialize)]
struct Text {
    #[serde(rename = "$text", default)]
    value: String,
}

#[derive(Deserialize)]
struct ParentDoc {
    name: Text,
}

#[derive(Deserialize)]
struct MemoryDoc {
    #[serde(rename = "@snapshot")]
    snapshot: Option<String>,
    #[serde(rename = "@file")]
    file: Option<String>,
}

#[derive(Deserialize)]
struct DisksDoc {
    #[serde(rename = "disk", default)]
    disks: Vec<DiskDoc>,
}

#[derive(Deserialize)]
struct DiskDoc {
    #[serde(rename = "@snapshot")]
    snapshot: Option<String>,
}

/// A snapshot to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSnapshot {
    pub name: String,
    pub description: String,
    /// External: each listed disk gets an overlay file (libvirt names it) and, with `memory_file`,
    /// the guest's memory goes there. Internal: everything inside the qcow2 images.
    pub external: Option<External>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct External {
    /// Targets of the disks that get an overlay; the others are left out of the snapshot.
    pub disks: Vec<String>,
    pub skipped: Vec<String>,
    pub memory_file: Option<String>,
}

pub fn snapshot_xml(snapshot: &NewSnapshot) -> Result<String> {
    let mut writer = Writer::new(Vec::new());
    writer.create_element("domainsnapshot").write_inner_content(|w| {
        w.create_element("name").write_text_content(quick_xml::events::BytesText::new(&snapshot.name))?;
        if !snapshot.description.is_empty() {
            w.create_element("description")
                .write_text_content(quick_xml::events::BytesText::new(&snapshot.description))?;
        }
        if let Some(external) = &snapshot.external {
            match &external.memory_file {
                Some(file) => w
                    .create_element("memory")
                    .with_attribute(("snapshot", "external"))
                    .with_attribute(("file", file.as_str()))
                    .write_empty()?,
                None => w.create_element("memory").with_attribute(("snapshot", "no")).write_empty()?,
            };
            w.create_element("disks").write_inner_content(|w| {
                for (targets, mode) in [(&external.disks, "external"), (&external.skipped, "no")] {
                    for target in targets {
                        w.create_element("disk")
                            .with_attribute(("name", target.as_str()))
                            .with_attribute(("snapshot", mode))
                            .write_empty()?;
                    }
                }
                Ok(())
            })?;
        }
        Ok(())
    })?;
    String::from_utf8(writer.into_inner()).context("snapshot XML")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_internal_running_holds_memory() {
        let xml = "<domainsnapshot><name>s1</name><description>before &amp; after</description>\
                   <state>running</state><creationTime>1700000000</creationTime>\
                   <memory snapshot='internal'/><disks><disk name='vda' snapshot='internal'/></disks>\
                   <domain type='qemu'><name>vm</name></domain></domainsnapshot>";
        let info = parse_snapshot(xml).unwrap();
        assert_eq!(info.name, "s1");
        assert_eq!(info.description, "before & after");
        assert_eq!((info.location, info.memory), ("internal", true));
        assert_eq!(info.creation_time, 1_700_000_000);
        assert_eq!(info.parent, None);
    }

    #[test]
    fn snapshot_external_disk_only_with_parent() {
        let xml = "<domainsnapshot><name>s2</name><state>disk-snapshot</state><parent><name>s1</name></parent>\
                   <creationTime>5</creationTime><memory snapshot='no'/>\
                   <disks><disk name='vda' snapshot='external' type='file'><source file='/x.s2'/></disk>\
                   <disk name='hdc' snapshot='no'/></disks></domainsnapshot>";
        let info = parse_snapshot(xml).unwrap();
        assert_eq!((info.location, info.memory), ("external", false));
        assert_eq!(info.parent.as_deref(), Some("s1"));
    }

    #[test]
    fn snapshot_xml_escapes_and_lists_disks() {
        let xml = snapshot_xml(&NewSnapshot {
            name: "a<b".into(),
            description: "x & 'y'".into(),
            external: Some(External {
                disks: vec!["vda".into()],
                skipped: vec!["sda".into()],
                memory_file: Some("/var/m&m.mem".into()),
            }),
        })
        .unwrap();
        assert!(xml.contains("<name>a&lt;b</name>"), "{xml}");
        assert!(xml.contains("file=\"/var/m&amp;m.mem\""), "{xml}");
        assert!(
            xml.contains("<disk name=\"vda\" snapshot=\"external\"/><disk name=\"sda\" snapshot=\"no\"/>"),
            "{xml}"
        );
        let parsed = parse_snapshot(&xml).unwrap();
        assert_eq!(parsed.name, "a<b");
        assert_eq!(parsed.location, "external");
        let internal = snapshot_xml(&NewSnapshot { name: "n".into(), description: String::new(), external: None });
        assert_eq!(internal.unwrap(), "<domainsnapshot><name>n</name></domainsnapshot>");
    }
}
