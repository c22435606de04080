//! Small, surgical edits of a domain's XML: events are copied through unchanged and only the edit is
//! written, so elements and attributes this code does not know (passwords in `--security-info` XML,
//! metadata of other tools) survive the round trip.

pub mod device;

use anyhow::{Context, Result, bail};
use quick_xml::events::{BytesEnd, BytesStart, Event};
use quick_xml::{Reader, Writer};

/// Adds a VNC display listening on a local UNIX socket (no TCP port to open or firewall: the console
/// reaches it through libvirt) at the end of `<devices>`. libvirt adds a video device itself if none.
pub fn add_vnc_graphics(domain_xml: &str) -> Result<String> {
    let mut reader = Reader::from_str(domain_xml);
    let mut writer = Writer::new(Vec::with_capacity(domain_xml.len() + 96));
    let mut depth = 0usize;
    let mut added = false;
    loop {
        let event = reader.read_event().context("reading the domain XML")?;
        match &event {
            Event::Start(_) => depth += 1,
            Event::End(end) => {
                if depth == 2 && end.name().as_ref() == "devices" {
                    write_vnc(&mut writer)?;
                    added = true;
                }
                depth = depth.saturating_sub(1);
            }
            Event::Empty(empty) if depth == 1 && empty.name().as_ref() == "devices" => {
                writer.write_event(Event::Start(BytesStart::new("devices")))?;
                write_vnc(&mut writer)?;
                writer.write_event(Event::End(BytesEnd::new("devices")))?;
                added = true;
                continue;
            }
            Event::Eof => break,
            _ => {}
        }
        writer.write_event(event)?;
    }
    if !added {
        bail!("the domain XML has no <devices>");
    }
    String::from_utf8(writer.into_inner()).context("the edited XML is not UTF-8")
}

fn write_vnc(writer: &mut Writer<Vec<u8>>) -> Result<()> {
    writer.create_element("graphics").with_attribute(("type", "vnc")).write_inner_content(|w| {
        w.create_element("listen").with_attribute(("type", "socket")).write_empty()?;
        Ok(())
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse_domain;

    #[test]
    fn adds_vnc_at_the_end_of_devices_and_keeps_the_rest() {
        let xml = "<domain type='qemu'><name>a &amp; b</name><metadata><x:y xmlns:x='urn:x' k='v'/></metadata>\
                   <devices><graphics type='spice' autoport='yes' passwd='s3cret'/><disk type='file' device='disk'>\
                   <target dev='vda'/></disk></devices></domain>";
        let edited = add_vnc_graphics(xml).unwrap();
        assert!(edited.contains("passwd='s3cret'"), "{edited}");
        assert!(edited.contains("<x:y xmlns:x='urn:x' k='v'/>"), "{edited}");
        assert!(edited.ends_with("<graphics type=\"vnc\"><listen type=\"socket\"/></graphics></devices></domain>"));
        let config = parse_domain(&edited).unwrap();
        assert_eq!(config.name, "a & b");
        let kinds: Vec<_> = config.graphics.iter().map(|g| g.kind.as_str()).collect();
        assert_eq!(kinds, ["spice", "vnc"]);
        assert!(config.graphics[1].socket && config.graphics[1].port.is_none());
    }

    #[test]
    fn an_empty_devices_element_gets_one() {
        let edited = add_vnc_graphics("<domain><name>x</name><devices/></domain>").unwrap();
        assert_eq!(
            edited,
            "<domain><name>x</name><devices><graphics type=\"vnc\"><listen type=\"socket\"/></graphics></devices></domain>"
        );
    }

    #[test]
    fn nested_devices_elements_are_not_mistaken_for_the_domains() {
        let xml = "<domain><metadata><devices></devices></metadata><devices></devices></domain>";
        let edited = add_vnc_graphics(xml).unwrap();
        assert_eq!(edited.matches("graphics type").count(), 1);
        assert!(edited.starts_with("<domain><metadata><devices></devices></metadata><devices><graphics"));
    }

    #[test]
    fn xml_without_devices_is_an_error() {
        assert!(add_vnc_graphics("<domain><name>x</name></domain>").is_err());
        assert!(add_vnc_graphics("<domain><name>x</name>").is_err());
    }
}
