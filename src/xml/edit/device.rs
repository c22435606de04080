//! Device-level edits of a domain XML, copied event by event so everything this code does not know
//! survives: find one device element and return its exact text, or rewrite one of its children.

use std::io::Write;

use anyhow::{Context, Result, bail};
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, Writer};

/// The exact text of the first `<element>` directly under `<domain><devices>` for which `pick` (given
/// that text) says yes.
pub fn find_device(domain_xml: &str, element: &str, pick: impl Fn(&str) -> bool) -> Result<Option<String>> {
    let mut reader = Reader::from_str(domain_xml);
    let mut path: Vec<String> = Vec::new();
    let mut start: Option<usize> = None;
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader.read_event().context("reading the domain XML")?;
        let in_devices = path.len() == 2 && path[1] == "devices";
        match &event {
            Event::Start(e) => {
                if in_devices && e.name().as_ref() == element {
                    start = Some(before);
                }
                path.push(e.name().as_ref().to_string());
            }
            Event::Empty(e) if in_devices && e.name().as_ref() == element => {
                let text = &domain_xml[before..reader.buffer_position() as usize];
                if pick(text) {
                    return Ok(Some(text.to_string()));
                }
            }
            Event::End(_) => {
                path.pop();
                if path.len() == 2
                    && let Some(at) = start.take()
                {
                    let text = &domain_xml[at..reader.buffer_position() as usize];
                    if pick(text) {
                        return Ok(Some(text.to_string()));
                    }
                }
            }
            Event::Eof => return Ok(None),
            _ => {}
        }
    }
}

/// One edit of a device element: attributes of the element itself to set (or, with `None`, remove),
/// and direct children by name to replace with raw XML (or, with `None`, remove). A replaced child
/// that is absent is added at the end.
#[derive(Default)]
pub struct DeviceEdit<'a> {
    pub attributes: Vec<(&'a str, Option<&'a str>)>,
    pub children: Vec<(&'a str, Option<String>)>,
    /// Attributes of direct children that stay (`<driver cache=…>`, `<target bus=…>`): child, attribute, value.
    pub child_attributes: Vec<(&'a str, &'a str, Option<&'a str>)>,
}

pub fn edit_device(device_xml: &str, edit: &DeviceEdit) -> Result<String> {
    let mut reader = Reader::from_str(device_xml);
    let mut writer = Writer::new(Vec::with_capacity(device_xml.len() + 128));
    let mut depth = 0usize;
    // Depth-1 children being skipped (removed or replaced): the depth to return to.
    let mut skipping: Option<usize> = None;
    let mut done: Vec<&str> = Vec::new();
    loop {
        let event = reader.read_event().context("reading the device XML")?;
        if let Some(until) = skipping {
            match &event {
                Event::Start(_) => depth += 1,
                Event::End(_) => {
                    depth -= 1;
                    if depth == until {
                        skipping = None;
                    }
                }
                Event::Eof => bail!("the device XML ends inside an element"),
                _ => {}
            }
            continue;
        }
        match &event {
            Event::Start(e) | Event::Empty(e) if depth == 0 => {
                let root = with_attributes(e, &edit.attributes)?;
                if matches!(event, Event::Start(_)) {
                    writer.write_event(Event::Start(root))?;
                    depth = 1;
                } else {
                    // `<disk .../>`: open it so children can be added.
                    let name = e.name().as_ref().to_string();
                    writer.write_event(Event::Start(root))?;
                    write_missing(&mut writer, edit, &done)?;
                    writer.write_event(Event::End(quick_xml::events::BytesEnd::new(name)))?;
                }
                continue;
            }
            Event::Start(e) | Event::Empty(e) if depth == 1 => {
                let name = e.name().as_ref().to_string();
                if let Some((child, replacement)) = edit.children.iter().find(|(child, _)| *child == name) {
                    if let Some(raw) = replacement {
                        writer.get_mut().write_all(raw.as_bytes())?;
                    }
                    done.push(child);
                    if matches!(event, Event::Start(_)) {
                        depth += 1;
                        skipping = Some(1);
                    }
                    continue;
                }
                let changes: Vec<(&str, Option<&str>)> = edit
                    .child_attributes
                    .iter()
                    .filter(|(child, _, _)| *child == name)
                    .map(|(_, key, value)| (*key, *value))
                    .collect();
                if !changes.is_empty() {
                    let child = with_attributes(e, &changes)?;
                    if matches!(event, Event::Start(_)) {
                        writer.write_event(Event::Start(child))?;
                        depth += 1;
                    } else {
                        writer.write_event(Event::Empty(child))?;
                    }
                    continue;
                }
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                }
            }
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                if depth == 1 {
                    write_missing(&mut writer, edit, &done)?;
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof => break,
            _ => {}
        }
        writer.write_event(event)?;
    }
    String::from_utf8(writer.into_inner()).context("the edited XML is not UTF-8")
}

fn with_attributes(start: &BytesStart, changes: &[(&str, Option<&str>)]) -> Result<BytesStart<'static>> {
    let name = start.name().as_ref().to_string();
    let mut root = BytesStart::new(name);
    for attribute in start.attributes() {
        let attribute = attribute.context("reading an attribute")?;
        if !changes.iter().any(|(key, _)| *key == attribute.key.as_ref()) {
            root.push_attribute(attribute);
        }
    }
    for (key, value) in changes {
        if let Some(value) = value {
            root.push_attribute((*key, *value));
        }
    }
    Ok(root)
}

fn write_missing(writer: &mut Writer<Vec<u8>>, edit: &DeviceEdit, done: &[&str]) -> Result<()> {
    for (child, replacement) in &edit.children {
        if let Some(raw) = replacement
            && !done.contains(child)
        {
            writer.get_mut().write_all(raw.as_bytes())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOMAIN: &str = "<domain><name>x</name><metadata><devices><disk/></devices></metadata><devices>\
        <disk type='file' device='disk'><source file='/a'/><target dev='vda'/></disk>\
        <disk type='file' device='cdrom'><driver name='qemu'/><target dev='sda' bus='sata'/><readonly/><x:y xmlns:x='urn:x'/></disk>\
        <interface type='user'><mac address='52:54:00:00:00:01'/></interface>\
        <memballoon model='none'/></devices></domain>";

    #[test]
    fn find_device_returns_the_exact_text_of_the_picked_element() {
        let cdrom = find_device(DOMAIN, "disk", |text| text.contains("dev='sda'")).unwrap().unwrap();
        assert!(cdrom.starts_with("<disk type='file' device='cdrom'>") && cdrom.ends_with("</disk>"), "{cdrom}");
        assert!(cdrom.contains("<x:y xmlns:x='urn:x'/>"));
        let balloon = find_device(DOMAIN, "memballoon", |_| true).unwrap().unwrap();
        assert_eq!(balloon, "<memballoon model='none'/>");
        assert_eq!(find_device(DOMAIN, "disk", |text| text.contains("vdz")).unwrap(), None);
        // The <disk/> inside metadata is not a device.
        let first = find_device(DOMAIN, "disk", |_| true).unwrap().unwrap();
        assert!(first.contains("vda"), "{first}");
    }

    #[test]
    fn edit_device_replaces_adds_and_removes_children_and_keeps_the_rest() {
        let cdrom = find_device(DOMAIN, "disk", |text| text.contains("dev='sda'")).unwrap().unwrap();
        let inserted = edit_device(
            &cdrom,
            &DeviceEdit {
                attributes: vec![("type", Some("volume"))],
                children: vec![("source", Some("<source pool=\"p\" volume=\"v\"/>".into()))],
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            inserted,
            "<disk device=\"cdrom\" type=\"volume\"><driver name='qemu'/><target dev='sda' bus='sata'/><readonly/>\
             <x:y xmlns:x='urn:x'/><source pool=\"p\" volume=\"v\"/></disk>"
        );
        let ejected =
            edit_device(&inserted, &DeviceEdit { children: vec![("source", None)], ..Default::default() }).unwrap();
        assert!(!ejected.contains("source") && ejected.contains("<x:y xmlns:x='urn:x'/>"), "{ejected}");
        let swapped = edit_device(
            &inserted,
            &DeviceEdit { children: vec![("source", Some("<source file=\"/b\"/>".into()))], ..Default::default() },
        )
        .unwrap();
        assert!(swapped.contains("<readonly/><x:y xmlns:x='urn:x'/><source file=\"/b\"/></disk>"), "{swapped}");
    }

    #[test]
    fn edit_device_changes_attributes_of_children() {
        let disk = "<disk type='file'><driver name='qemu' type='qcow2'/><target dev='vda' bus='virtio'/>\
                    <address type='pci' slot='0x07'/></disk>";
        let edited = edit_device(
            disk,
            &DeviceEdit {
                children: vec![("address", None), ("readonly", Some("<readonly/>".into()))],
                child_attributes: vec![
                    ("driver", "cache", Some("none")),
                    ("target", "bus", Some("sata")),
                    ("target", "dev", Some("sda")),
                ],
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            edited,
            "<disk type=\"file\"><driver name=\"qemu\" type=\"qcow2\" cache=\"none\"/><target bus=\"sata\" dev=\"sda\"/><readonly/></disk>"
        );
    }

    #[test]
    fn edit_device_opens_an_empty_element() {
        let edited = edit_device(
            "<interface type='user'/>",
            &DeviceEdit { children: vec![("link", Some("<link state=\"down\"/>".into()))], ..Default::default() },
        )
        .unwrap();
        assert_eq!(edited, "<interface type=\"user\"><link state=\"down\"/></interface>");
    }
}
