//! One osinfo-db XML file → the `<os>` entries it declares, as written (inheritance is `db.rs`'s job).
//!
//! A streaming read with quick-xml: the whole database is about 900 files, read at every helper start
//! that opens the create dialog, so nothing is built that is not used.

use anyhow::{Context, Result};
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use super::detect::{Interner, MediaPattern, TreePattern};

/// An `<os>` element's own data.
#[derive(Debug, Default)]
pub struct RawOs {
    pub id: String,
    /// The first `<short-id>`.
    pub short_id: Option<String>,
    /// The untranslated `<name>` (the one without `xml:lang`).
    pub name: Option<String>,
    pub vendor: Option<String>,
    pub family: Option<String>,
    pub distro: Option<String>,
    pub version: Option<String>,
    pub release_date: Option<String>,
    pub eol_date: Option<String>,
    /// `released` (default), `prerelease`, `snapshot` or `rolling`.
    pub release_status: Option<String>,
    pub derives_from: Vec<String>,
    pub clones: Vec<String>,
    pub minimum: Vec<RawResources>,
    pub recommended: Vec<RawResources>,
    pub devices: Vec<DeviceLink>,
    pub firmware: Vec<RawFirmware>,
    pub media: Vec<MediaPattern>,
    pub trees: Vec<TreePattern>,
    pub images: Vec<RawImage>,
}

/// One `<minimum>` or `<recommended>` block of a `<resources arch=…>`. Absent values are `None`;
/// with `inherit="true"` they are filled from the OS's ancestors.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RawResources {
    pub arch: String,
    pub inherit: bool,
    pub n_cpus: Option<u64>,
    pub ram: Option<u64>,
    pub storage: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeviceLink {
    pub id: String,
    pub supported: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RawFirmware {
    pub arch: String,
    pub kind: String,
    pub supported: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RawImage {
    pub arch: String,
    pub cloud_init: bool,
}

/// Every `<os>` in one document; patterns come from (and go into) `patterns`.
pub fn parse_os_file(xml: &str, patterns: &mut Interner) -> Result<Vec<RawOs>> {
    let mut reader = Reader::from_str(xml);
    let mut oses = Vec::new();
    // Elements open below the current `<os>` (the `<os>` itself excluded); `true` marks a translation.
    let mut path: Vec<(String, bool)> = Vec::new();
    let mut current: Option<RawOs> = None;
    let mut text = String::new();
    loop {
        let event = reader.read_event().with_context(|| format!("XML error at byte {}", reader.buffer_position()))?;
        match event {
            // Outside any <os>: only an <os> start matters (`<os …/>` is a complete, empty entry).
            Event::Start(e) if current.is_none() => current = os_start(&e)?,
            Event::Empty(e) if current.is_none() => oses.extend(os_start(&e)?),
            Event::Start(e) => {
                let os = current.as_mut().expect("inside <os>");
                let name = e.local_name().as_ref().to_string();
                start_element(os, &path, &name, &e)?;
                let translated = attr(&e, "xml:lang")?.is_some();
                path.push((name, translated));
                text.clear();
            }
            Event::Empty(e) => {
                let os = current.as_mut().expect("inside <os>");
                let name = e.local_name().as_ref().to_string();
                start_element(os, &path, &name, &e)?;
            }
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::CData(t) => text.push_str(&t),
            Event::GeneralRef(r) => {
                if let Some(c) = r.resolve_char_ref()? {
                    text.push(c);
                } else if let Some(s) = quick_xml::escape::resolve_predefined_entity(&r) {
                    text.push_str(s);
                }
            }
            Event::End(_) => {
                if path.is_empty() {
                    if let Some(mut os) = current.take() {
                        prune_resources(&mut os.minimum);
                        prune_resources(&mut os.recommended);
                        oses.push(os);
                    }
                } else if let Some(os) = current.as_mut() {
                    if !path.last().expect("non-empty").1 {
                        end_element(os, &path, text.trim(), patterns);
                    }
                    path.pop();
                    text.clear();
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(oses)
}

fn os_start(e: &BytesStart) -> Result<Option<RawOs>> {
    if e.local_name().as_ref() != "os" {
        return Ok(None);
    }
    Ok(Some(RawOs { id: attr(e, "id")?.context("<os> without id")?, ..RawOs::default() }))
}

fn attr(e: &BytesStart, name: &str) -> Result<Option<String>> {
    match e.try_get_attribute(name)? {
        Some(a) => Ok(Some(a.normalized_value(XmlVersion::Implicit1_0)?.into_owned())),
        None => Ok(None),
    }
}

fn bool_attr(e: &BytesStart, name: &str, default: bool) -> Result<bool> {
    Ok(attr(e, name)?.map_or(default, |v| v == "true"))
}

/// Elements whose data is in their attributes.
fn start_element(os: &mut RawOs, path: &[(String, bool)], name: &str, e: &BytesStart) -> Result<()> {
    let parent: Vec<&str> = path.iter().map(|(n, _)| n.as_str()).collect();
    match (parent.as_slice(), name) {
        ([], "derives-from") => os.derives_from.extend(attr(e, "id")?),
        ([], "clones") => os.clones.extend(attr(e, "id")?),
        ([], "resources") => {
            let arch = attr(e, "arch")?.unwrap_or_else(|| "all".into());
            let inherit = bool_attr(e, "inherit", false)?;
            // libosinfo keeps an inheriting block even when it is empty; a plain one only with values.
            let block = RawResources { arch, inherit, ..RawResources::default() };
            os.minimum.push(block.clone());
            os.recommended.push(block);
        }
        (["devices"], "device") => {
            if let Some(id) = attr(e, "id")? {
                os.devices.push(DeviceLink { id, supported: bool_attr(e, "supported", true)? });
            }
        }
        ([], "firmware") => {
            if let (Some(arch), Some(kind)) = (attr(e, "arch")?, attr(e, "type")?) {
                os.firmware.push(RawFirmware { arch, kind, supported: bool_attr(e, "supported", true)? });
            }
        }
        ([], "media") => {
            let arch = attr(e, "arch")?.unwrap_or_else(|| "i386".into());
            os.media.push(MediaPattern { arch, ..MediaPattern::default() });
        }
        ([], "tree") => {
            let arch = attr(e, "arch")?.unwrap_or_else(|| "i386".into());
            os.trees.push(TreePattern { arch, ..TreePattern::default() });
        }
        (["tree"], "treeinfo") => {
            if let Some(tree) = os.trees.last_mut() {
                tree.has_treeinfo = true;
            }
        }
        ([], "image") => {
            let arch = attr(e, "arch")?.unwrap_or_else(|| "i386".into());
            os.images.push(RawImage { arch, cloud_init: bool_attr(e, "cloud-init", false)? });
        }
        _ => {}
    }
    Ok(())
}

/// Elements whose data is their text; `path` ends with the element itself.
fn end_element(os: &mut RawOs, path: &[(String, bool)], text: &str, patterns: &mut Interner) {
    let names: Vec<&str> = path.iter().map(|(n, _)| n.as_str()).collect();
    let value = || (!text.is_empty()).then(|| text.to_string());
    let set = |slot: &mut Option<String>| {
        if slot.is_none() {
            *slot = value();
        }
    };
    match names.as_slice() {
        ["short-id"] => set(&mut os.short_id),
        ["name"] => set(&mut os.name),
        ["vendor"] => set(&mut os.vendor),
        ["family"] => set(&mut os.family),
        ["distro"] => set(&mut os.distro),
        ["version"] => set(&mut os.version),
        ["release-date"] => set(&mut os.release_date),
        ["eol-date"] => set(&mut os.eol_date),
        ["release-status"] => set(&mut os.release_status),
        ["resources", kind @ ("minimum" | "recommended"), field] => {
            let blocks = if *kind == "minimum" { &mut os.minimum } else { &mut os.recommended };
            let (Some(block), Ok(n)) = (blocks.last_mut(), text.parse::<u64>()) else { return };
            match *field {
                "n-cpus" => block.n_cpus = Some(n),
                "ram" => block.ram = Some(n),
                "storage" => block.storage = Some(n),
                _ => {}
            }
        }
        ["media", "iso", field] => {
            let Some(media) = os.media.last_mut() else { return };
            match *field {
                "volume-id" => media.volume_id = patterns.pattern(text),
                "system-id" => media.system_id = patterns.pattern(text),
                "publisher-id" => media.publisher_id = patterns.pattern(text),
                "application-id" => media.application_id = patterns.pattern(text),
                "volume-size" => media.volume_size = text.parse().ok(),
                _ => {}
            }
        }
        ["tree", "treeinfo", field] => {
            let Some(tree) = os.trees.last_mut() else { return };
            match *field {
                "family" => tree.family = patterns.pattern(text),
                "variant" => tree.variant = patterns.pattern(text),
                "version" => tree.version = patterns.pattern(text),
                "arch" => tree.tree_arch = patterns.pattern(text),
                _ => {}
            }
        }
        _ => {}
    }
}

/// Drops resource blocks that neither inherit nor carry a value, as libosinfo's loader does.
fn prune_resources(blocks: &mut Vec<RawResources>) {
    blocks.retain(|b| b.inherit || b.n_cpus.is_some() || b.ram.is_some() || b.storage.is_some());
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"<?xml version="1.0"?>
<libosinfo version="0.0.1">
  <os id="http://example.org/demo/2">
    <short-id>demo2</short-id>
    <short-id>demotwo</short-id>
    <name>Demo 2</name>
    <name xml:lang="ko">&#xB370;&#xBE44;&#xC548; 2</name>
    <vendor xml:lang="fr">Projet Démo</vendor>
    <vendor>Demo &amp; Co</vendor>
    <version>2</version>
    <derives-from id="http://example.org/demo/1"/>
    <resources arch="all">
      <minimum><n-cpus>1</n-cpus><ram>1073741824</ram></minimum>
      <recommended><ram>2147483648</ram><storage>21474836480</storage></recommended>
    </resources>
    <resources arch="x86_64" inherit="true"/>
    <devices>
      <device id="http://pcisig.com/pci/1af4/1042"/>
      <device id="http://pcisig.com/pci/1af4/1050" supported="false"/>
    </devices>
    <firmware arch="x86_64" type="efi"/>
    <variant id="server"><name>Demo 2 Server</name></variant>
    <media arch="x86_64">
      <variant id="server"/>
      <iso>
        <volume-id>Demo 2\.\d+ amd64</volume-id>
        <publisher-id>DEMO</publisher-id>
        <volume-size>1234</volume-size>
      </iso>
    </media>
    <tree arch="x86_64">
      <treeinfo><family>Demo</family><version>2</version></treeinfo>
    </tree>
    <image arch="x86_64" format="qcow2" cloud-init="true"/>
  </os>
</libosinfo>"#;

    #[test]
    fn parse_reads_own_fields_only() {
        let oses = parse_os_file(SAMPLE, &mut Interner::default()).unwrap();
        assert_eq!(oses.len(), 1);
        let os = &oses[0];
        assert_eq!(os.id, "http://example.org/demo/2");
        assert_eq!(os.short_id.as_deref(), Some("demo2"));
        // The variant's <name> and the translations are not the OS's name.
        assert_eq!(os.name.as_deref(), Some("Demo 2"));
        assert_eq!(os.vendor.as_deref(), Some("Demo & Co"));
        assert_eq!(os.derives_from, ["http://example.org/demo/1"]);
        assert_eq!(
            os.minimum,
            [
                RawResources { arch: "all".into(), inherit: false, n_cpus: Some(1), ram: Some(1 << 30), storage: None },
                RawResources { arch: "x86_64".into(), inherit: true, ..RawResources::default() },
            ]
        );
        assert_eq!(os.recommended[0].storage, Some(20 << 30));
        assert_eq!(
            os.devices,
            [
                DeviceLink { id: "http://pcisig.com/pci/1af4/1042".into(), supported: true },
                DeviceLink { id: "http://pcisig.com/pci/1af4/1050".into(), supported: false },
            ]
        );
        assert_eq!(os.firmware, [RawFirmware { arch: "x86_64".into(), kind: "efi".into(), supported: true }]);
        let media = &os.media[0];
        assert_eq!(media.arch, "x86_64");
        assert_eq!(media.volume_id.as_ref().unwrap().source(), r"Demo 2\.\d+ amd64");
        assert_eq!(media.publisher_id.as_ref().unwrap().source(), "DEMO");
        assert!(media.system_id.is_none());
        assert_eq!(media.volume_size, Some(1234));
        assert!(os.trees[0].has_treeinfo);
        assert_eq!(os.trees[0].family.as_ref().unwrap().source(), "Demo");
        assert_eq!(os.images, [RawImage { arch: "x86_64".into(), cloud_init: true }]);
    }

    #[test]
    fn parse_rejects_broken_xml() {
        assert!(
            parse_os_file("<libosinfo><os id='x'><name>a</version></os></libosinfo>", &mut Interner::default())
                .is_err()
        );
        assert!(parse_os_file("<libosinfo><os><name>a</name></os></libosinfo>", &mut Interner::default()).is_err());
    }
}
