//! The first-boot marker of a VM defined but not started: the volumes only its first boot needs (the
//! cloud-init seed with its password hashes, an install tree's kernel and initrd), kept in the domain's
//! `<metadata>` until the VM runs. Then the saved definition is stripped of them (`strip`) and the
//! volumes are deleted (`hub/first_boot.rs`), however the VM was started.
//!
//! The same marker says when the next boot needs a fresh NVRAM (`nvram='reset'`, after its firmware changed):
//! a start from this helper asks libvirt for one (`VIR_DOMAIN_START_RESET_NVRAM`), and the marker goes once
//! the VM runs, like the rest.

use std::collections::HashSet;
use std::ops::Range;

use anyhow::{Context, Result};
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, Writer, XmlVersion};

use super::edit::device::find_device;
use super::set::{SetElement, set_elements};

pub const NAMESPACE: &str = "https://cockpit-project.org/ns/virt/first-boot/1";
const PREFIX: &str = "cockpit-virt";
const LOCAL_NAME: &str = "first-boot";
/// `PREFIX:LOCAL_NAME`, the name this helper writes.
const QUALIFIED_NAME: &str = "cockpit-virt:first-boot";

/// What only the first boot needs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FirstBoot {
    /// (pool, volume) of each volume to delete afterwards.
    pub volumes: Vec<(String, String)>,
    /// The definition boots the installer's kernel directly, only the first time.
    pub direct_kernel: bool,
    /// The next start needs the NVRAM made afresh from the firmware's template.
    pub reset_nvram: bool,
}

/// The marker in a saved definition, with what the definition says about the files it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marked {
    pub first_boot: FirstBoot,
    /// Where the marker element is in the XML.
    span: Range<usize>,
    /// (pool, volume) of every `<disk type='volume'>`.
    pub disk_volumes: HashSet<(String, String)>,
    /// `<os><kernel>` and `<os><initrd>` paths.
    pub boot_files: Vec<String>,
}

/// Writes the marker element (inside `<metadata>`).
pub fn write_marker(w: &mut Writer<Vec<u8>>, marker: &FirstBoot) -> std::io::Result<()> {
    let name = format!("{PREFIX}:{LOCAL_NAME}");
    let mut element = w.create_element(&name).with_attribute((format!("xmlns:{PREFIX}").as_str(), NAMESPACE));
    if marker.direct_kernel {
        element = element.with_attribute(("kernel", "yes"));
    }
    if marker.reset_nvram {
        element = element.with_attribute(("nvram", "reset"));
    }
    element.write_inner_content(|w| {
        for (pool, volume) in &marker.volumes {
            w.create_element(format!("{PREFIX}:volume"))
                .with_attribute(("pool", pool.as_str()))
                .with_attribute(("name", volume.as_str()))
                .write_empty()?;
        }
        Ok(())
    })?;
    Ok(())
}

fn attr(e: &BytesStart, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| a.normalized_value(XmlVersion::Implicit1_0).ok())
        .map(|v| v.into_owned())
}

/// The marker of `<domain><metadata>` in our namespace (whatever its prefix), if any.
pub fn find_marker(domain_xml: &str) -> Result<Option<Marked>> {
    if !domain_xml.contains(NAMESPACE) {
        return Ok(None);
    }
    let mut reader = Reader::from_str(domain_xml);
    let mut path: Vec<String> = Vec::new();
    let mut marker: Option<(FirstBoot, usize)> = None;
    let mut found: Option<(FirstBoot, Range<usize>)> = None;
    let mut disk_volumes = HashSet::new();
    let mut boot_files = Vec::new();
    let mut in_disk_volume = false;
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader.read_event().context("reading the domain XML")?;
        let after = reader.buffer_position() as usize;
        let depth = path.len();
        match &event {
            Event::Start(e) | Event::Empty(e) => {
                let name = e.name().as_ref().to_string();
                let is_marker = depth == 2
                    && path[1] == "metadata"
                    && e.local_name().as_ref() == LOCAL_NAME
                    && e.attributes().flatten().any(|a| a.key.as_ref().starts_with("xmlns") && *a.value == *NAMESPACE);
                if is_marker {
                    let first_boot = FirstBoot {
                        volumes: Vec::new(),
                        direct_kernel: attr(e, "kernel").as_deref() == Some("yes"),
                        reset_nvram: attr(e, "nvram").as_deref() == Some("reset"),
                    };
                    match event {
                        Event::Empty(_) => found = Some((first_boot, before..after)),
                        _ => marker = Some((first_boot, before)),
                    }
                } else if depth == 3 && marker.is_some() && e.local_name().as_ref() == "volume" {
                    if let (Some((first_boot, _)), Some(pool), Some(volume)) =
                        (marker.as_mut(), attr(e, "pool"), attr(e, "name"))
                    {
                        first_boot.volumes.push((pool, volume));
                    }
                } else if depth == 2 && path[1] == "devices" && name == "disk" {
                    in_disk_volume = attr(e, "type").as_deref() == Some("volume");
                } else if depth == 3
                    && in_disk_volume
                    && path[2] == "disk"
                    && name == "source"
                    && let (Some(pool), Some(volume)) = (attr(e, "pool"), attr(e, "volume"))
                {
                    disk_volumes.insert((pool, volume));
                }
                if let Event::Start(_) = event {
                    path.push(name);
                }
            }
            Event::Text(t) if depth == 3 && path[1] == "os" && (path[2] == "kernel" || path[2] == "initrd") => {
                // A path with an entity reference is not recognised, so its volume is kept: the safe side.
                boot_files.push(t.xml10_content().trim().to_string());
            }
            Event::End(_) => {
                path.pop();
                if path.len() == 2
                    && let Some((first_boot, start)) = marker.take()
                {
                    found = Some((first_boot, start..after));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(found.map(|(first_boot, span)| Marked { first_boot, span, disk_volumes, boot_files }))
}

/// The edit of a saved definition that marks its next start as needing a fresh NVRAM: the attribute on
/// this helper's marker, the marker added where there is none.
pub fn reset_nvram_edit() -> SetElement {
    SetElement::attrs(
        vec!["metadata", QUALIFIED_NAME],
        vec![("xmlns:cockpit-virt", Some(NAMESPACE.into())), ("nvram", Some("reset".into()))],
    )
}

/// Whether a saved definition's next start needs a fresh NVRAM.
pub fn reset_nvram_pending(domain_xml: &str) -> Result<bool> {
    Ok(find_marker(domain_xml)?.is_some_and(|marked| marked.first_boot.reset_nvram))
}

/// The saved definition without the marker, the disks of its volumes and, for an installer's kernel, the
/// direct kernel boot (and with it `on_reboot` back to `restart`, which the install set to `destroy`).
pub fn strip(domain_xml: &str, marked: &Marked) -> Result<String> {
    let mut xml = format!("{}{}", &domain_xml[..marked.span.start], &domain_xml[marked.span.end..]);
    let volumes: HashSet<&(String, String)> = marked.first_boot.volumes.iter().collect();
    while let Some(disk) =
        find_device(&xml, "disk", |text| find_marker_disk(text).is_some_and(|source| volumes.contains(&source)))?
    {
        xml = xml.replacen(&disk, "", 1);
    }
    if marked.first_boot.direct_kernel {
        xml = set_elements(
            &xml,
            &[
                SetElement::remove(vec!["os", "kernel"]),
                SetElement::remove(vec!["os", "initrd"]),
                SetElement::remove(vec!["os", "cmdline"]),
                SetElement::text(vec!["on_reboot"], vec![], "restart".into()),
            ],
        )?;
    }
    Ok(xml)
}

/// The (pool, volume) of one `<disk type='volume'>` element's source.
fn find_marker_disk(disk_xml: &str) -> Option<(String, String)> {
    let mut reader = Reader::from_str(disk_xml);
    let mut is_volume = false;
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "disk" => {
                is_volume = attr(&e, "type").as_deref() == Some("volume");
            }
            Event::Start(e) | Event::Empty(e) if is_volume && e.name().as_ref() == "source" => {
                return Some((attr(&e, "pool")?, attr(&e, "volume")?));
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker_xml(marker: &FirstBoot) -> String {
        let mut w = Writer::new(Vec::new());
        write_marker(&mut w, marker).unwrap();
        String::from_utf8(w.into_inner()).unwrap()
    }

    fn domain(marker: &str) -> String {
        format!(
            "<domain type='kvm'><name>a</name><metadata><other:x xmlns:other='urn:o'/>{marker}</metadata>\
             <os><type>hvm</type><kernel>/pool/a-kernel</kernel><initrd>/pool/a-initrd</initrd>\
             <cmdline>inst.repo=http://m/t</cmdline></os><on_reboot>destroy</on_reboot><devices>\
             <disk type='volume' device='disk'><source pool='default' volume='a.qcow2'/><target dev='vda'/></disk>\
             <disk type='volume' device='cdrom'><source pool='default' volume='a-seed.iso'/><target dev='sda'/></disk>\
             </devices></domain>"
        )
    }

    #[test]
    fn first_boot_marker_round_trip_and_strip() {
        let marker = FirstBoot {
            volumes: vec![("default".into(), "a-seed.iso".into()), ("default".into(), "a-kernel".into())],
            direct_kernel: true,
            reset_nvram: false,
        };
        let xml = domain(&marker_xml(&marker));
        let marked = find_marker(&xml).unwrap().expect("the marker");
        assert_eq!(marked.first_boot, marker);
        assert!(marked.disk_volumes.contains(&("default".to_string(), "a-seed.iso".to_string())));
        assert_eq!(marked.boot_files, ["/pool/a-kernel", "/pool/a-initrd"]);
        let stripped = strip(&xml, &marked).unwrap();
        assert_eq!(find_marker(&stripped).unwrap(), None);
        assert!(!stripped.contains(NAMESPACE) && stripped.contains("<other:x xmlns:other='urn:o'/>"), "{stripped}");
        assert!(!stripped.contains("a-seed.iso") && stripped.contains("a.qcow2"), "{stripped}");
        assert!(!stripped.contains("<kernel>") && !stripped.contains("<initrd>") && !stripped.contains("<cmdline>"));
        assert!(stripped.contains("<on_reboot>restart</on_reboot>"), "{stripped}");
    }

    /// Another prefix for the same namespace is ours; the same name in another namespace, or outside
    /// `<metadata>`, is not.
    #[test]
    fn first_boot_marker_by_namespace_only() {
        let seed_only = FirstBoot { volumes: vec![("p".into(), "a-seed.iso".into())], ..FirstBoot::default() };
        let other_prefix = marker_xml(&seed_only).replace("cockpit-virt", "cv");
        let marked = find_marker(&domain(&other_prefix)).unwrap().expect("found by namespace");
        assert_eq!(marked.first_boot, seed_only);
        let stripped = strip(&domain(&other_prefix), &marked).unwrap();
        assert!(stripped.contains("<kernel>"), "no kernel flag: the direct kernel stays");
        let foreign = other_prefix.replace(NAMESPACE, "urn:someone-else");
        assert_eq!(find_marker(&domain(&foreign)).unwrap(), None);
        assert_eq!(find_marker(&format!("<domain><description>{NAMESPACE}</description></domain>")).unwrap(), None);
    }

    /// The NVRAM reset goes on this helper's marker, kept with what it already names, or on a new one; the
    /// stripped definition has neither.
    #[test]
    fn reset_nvram_marker_added_and_merged() {
        let plain = domain("");
        assert!(!reset_nvram_pending(&plain).unwrap());
        let marked = set_elements(&plain, &[reset_nvram_edit()]).unwrap();
        assert!(reset_nvram_pending(&marked).unwrap(), "{marked}");
        assert!(marked.contains("<other:x xmlns:other='urn:o'/>"), "{marked}");
        let found = find_marker(&marked).unwrap().unwrap();
        assert_eq!(found.first_boot, FirstBoot { reset_nvram: true, ..FirstBoot::default() });
        assert!(!reset_nvram_pending(&strip(&marked, &found).unwrap()).unwrap());

        let seed = FirstBoot { volumes: vec![("p".into(), "a-seed.iso".into())], ..FirstBoot::default() };
        let both = set_elements(&domain(&marker_xml(&seed)), &[reset_nvram_edit()]).unwrap();
        let found = find_marker(&both).unwrap().unwrap();
        assert_eq!(found.first_boot, FirstBoot { reset_nvram: true, ..seed }, "{both}");
        assert_eq!(both.matches(NAMESPACE).count(), 1, "one marker: {both}");

        let without_metadata = "<domain><name>a</name><devices/></domain>";
        assert!(reset_nvram_pending(&set_elements(without_metadata, &[reset_nvram_edit()]).unwrap()).unwrap());
    }
}
