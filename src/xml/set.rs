//! Setting, replacing or removing elements of a domain's XML by path, as a stream of events: everything
//! else (elements this code does not know, other tools' metadata, comments, attribute order) is copied
//! through unchanged, so a definition read and written back loses nothing.

use anyhow::{Context, Result, bail};
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::{Reader, Writer};

/// One edit: the element at `path` (names below the root, e.g. `["cpu", "topology"]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetElement {
    pub path: Vec<&'static str>,
    pub change: Change,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Remove the element (and its content) wherever the path matches.
    Remove,
    /// Set these attributes (`None` removes one; others are kept) and, with `text`, replace the element's
    /// content by that text. A missing element is added at the end of its parent (parents created too).
    Set { attrs: Vec<(&'static str, Option<String>)>, text: Option<String> },
}

impl SetElement {
    pub fn text(path: Vec<&'static str>, attrs: Vec<(&'static str, Option<String>)>, text: String) -> SetElement {
        SetElement { path, change: Change::Set { attrs, text: Some(text) } }
    }
    pub fn attrs(path: Vec<&'static str>, attrs: Vec<(&'static str, Option<String>)>) -> SetElement {
        SetElement { path, change: Change::Set { attrs, text: None } }
    }
    pub fn remove(path: Vec<&'static str>) -> SetElement {
        SetElement { path, change: Change::Remove }
    }
}

/// Applies `sets` to `xml` (a document with one root element).
pub fn set_elements(xml: &str, sets: &[SetElement]) -> Result<String> {
    for set in sets {
        if set.path.is_empty() {
            bail!("an edit must name an element below the root");
        }
    }
    let mut reader = Reader::from_str(xml);
    let mut writer = Writer::new(Vec::with_capacity(xml.len() + 256));
    // Names of the open elements, the root first.
    let mut stack: Vec<String> = Vec::new();
    let mut done = vec![false; sets.len()];
    // While > 0, events are dropped (the content of a removed or replaced element), counting nesting.
    let mut skipping = 0usize;
    loop {
        let event = reader.read_event().context("reading the domain XML")?;
        if skipping > 0 {
            match &event {
                Event::Start(_) => skipping += 1,
                Event::End(end) => {
                    skipping -= 1;
                    if skipping == 0 {
                        writer.write_event(Event::End(end.to_owned()))?;
                        stack.pop();
                    }
                }
                Event::Eof => bail!("the domain XML ends inside an element"),
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(start) => {
                let name = name_of(&start)?;
                match matching(sets, &stack, &name) {
                    Some(i) => {
                        done[i] = true;
                        match &sets[i].change {
                            Change::Remove => {
                                // Skip through the matching end without writing it.
                                skip_element(&mut reader)?;
                            }
                            Change::Set { attrs, text } => {
                                writer.write_event(Event::Start(with_attrs(&start, attrs)?))?;
                                stack.push(name);
                                if let Some(text) = text {
                                    writer.write_event(Event::Text(BytesText::new(text)))?;
                                    skipping = 1;
                                }
                            }
                        }
                    }
                    None => {
                        writer.write_event(Event::Start(start))?;
                        stack.push(name);
                    }
                }
            }
            Event::Empty(empty) => {
                let name = name_of(&empty)?;
                // The path below the root (the root itself: empty).
                let mut path: Vec<&str> = stack.iter().skip(1).map(String::as_str).collect();
                if !stack.is_empty() {
                    path.push(&name);
                }
                match matching(sets, &stack, &name) {
                    Some(i) => {
                        done[i] = true;
                        if let Change::Set { attrs, text } = &sets[i].change {
                            let start = with_attrs(&empty, attrs)?;
                            let children = pending_children(sets, &done, &path);
                            if text.is_some() || !children.is_empty() {
                                let end = start.to_end().into_owned();
                                writer.write_event(Event::Start(start))?;
                                if let Some(text) = text {
                                    writer.write_event(Event::Text(BytesText::new(text)))?;
                                }
                                write_missing(&mut writer, sets, &mut done, &path)?;
                                writer.write_event(Event::End(end))?;
                            } else {
                                writer.write_event(Event::Empty(start))?;
                            }
                        }
                    }
                    None if !pending_children(sets, &done, &path).is_empty() => {
                        // An empty parent of an element to add: open it up.
                        let end = empty.to_end().into_owned();
                        writer.write_event(Event::Start(empty))?;
                        write_missing(&mut writer, sets, &mut done, &path)?;
                        writer.write_event(Event::End(end))?;
                    }
                    None => writer.write_event(Event::Empty(empty))?,
                }
            }
            Event::End(end) => {
                let path: Vec<&str> = stack.iter().skip(1).map(String::as_str).collect();
                write_missing(&mut writer, sets, &mut done, &path)?;
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
    if done.iter().zip(sets).any(|(done, set)| !done && set.change != Change::Remove) {
        bail!("the domain XML has no root element");
    }
    String::from_utf8(writer.into_inner()).context("the edited XML is not UTF-8")
}

fn name_of(start: &BytesStart) -> Result<String> {
    Ok(start.name().as_ref().to_owned())
}

/// The set whose path is the open elements below the root plus `name`.
fn matching(sets: &[SetElement], stack: &[String], name: &str) -> Option<usize> {
    if stack.is_empty() {
        return None;
    }
    let below_root = &stack[1..];
    sets.iter().position(|set| {
        set.path.len() == below_root.len() + 1
            && set.path.last() == Some(&name)
            && set.path.iter().zip(below_root).all(|(a, b)| *a == b)
    })
}

/// Sets not done yet that live somewhere below `parent` (a path below the root).
fn pending_children<'a>(sets: &'a [SetElement], done: &[bool], parent: &[&str]) -> Vec<&'a SetElement> {
    sets.iter()
        .zip(done)
        .filter(|(set, done)| {
            !**done
                && set.change != Change::Remove
                && set.path.len() > parent.len()
                && set.path.iter().zip(parent).all(|(a, b)| a == b)
        })
        .map(|(set, _)| set)
        .collect()
}

/// Writes, inside the open element at `parent`, every pending set below it, creating the elements between.
fn write_missing(writer: &mut Writer<Vec<u8>>, sets: &[SetElement], done: &mut [bool], parent: &[&str]) -> Result<()> {
    for i in 0..sets.len() {
        if done[i] || sets[i].change == Change::Remove {
            continue;
        }
        let path = &sets[i].path;
        if path.len() <= parent.len() || !path.iter().zip(parent).all(|(a, b)| a == b) {
            continue;
        }
        let next = path[parent.len()];
        if path.len() == parent.len() + 1 {
            done[i] = true;
            let Change::Set { attrs, text } = &sets[i].change else { continue };
            let start = with_attrs(&BytesStart::new(next), attrs)?;
            match text {
                Some(text) => {
                    writer.write_event(Event::Start(start))?;
                    writer.write_event(Event::Text(BytesText::new(text)))?;
                    writer.write_event(Event::End(BytesEnd::new(next)))?;
                }
                None => writer.write_event(Event::Empty(start))?,
            }
        } else {
            // An intermediate element that does not exist: create it with everything that goes below it.
            let mut inner: Vec<&str> = parent.to_vec();
            inner.push(next);
            writer.write_event(Event::Start(BytesStart::new(next)))?;
            write_missing(writer, sets, done, &inner)?;
            writer.write_event(Event::End(BytesEnd::new(next)))?;
        }
    }
    Ok(())
}

/// `start` with `attrs` applied: listed ones replaced or removed in place, new ones appended, others kept.
fn with_attrs(start: &BytesStart, attrs: &[(&'static str, Option<String>)]) -> Result<BytesStart<'static>> {
    let name = name_of(start)?;
    let mut out = BytesStart::new(name);
    let mut seen = vec![false; attrs.len()];
    for attr in start.attributes() {
        let attr = attr.context("reading an attribute")?;
        match attrs.iter().position(|(key, _)| *key == attr.key.as_ref()) {
            Some(i) => {
                seen[i] = true;
                if let Some(value) = &attrs[i].1 {
                    out.push_attribute((attrs[i].0, value.as_str()));
                }
            }
            None => {
                // Kept as written, escapes and all; the writer puts it in double quotes, so a `"` that
                // single quotes allowed becomes `&quot;`.
                let raw: &str = attr.value.as_ref();
                if raw.contains('"') {
                    let value = raw.replace('"', "&quot;");
                    out.push_attribute(quick_xml::events::attributes::Attribute { key: attr.key, value: value.into() });
                } else {
                    out.push_attribute(attr);
                }
            }
        }
    }
    for (i, (key, value)) in attrs.iter().enumerate() {
        if let (false, Some(value)) = (seen[i], value) {
            out.push_attribute((*key, value.as_str()));
        }
    }
    Ok(out)
}

/// Reads through the end of the element whose start was just read.
fn skip_element(reader: &mut Reader<&[u8]>) -> Result<()> {
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

    fn s(v: &str) -> Option<String> {
        Some(v.to_owned())
    }

    #[test]
    fn replaces_text_and_attributes_and_keeps_the_rest() {
        let xml = "<domain type='kvm'><name>a</name><metadata><m:x xmlns:m='urn:m'><title>not ours</title></m:x>\
                   </metadata><!-- hi --><memory unit='GiB'>1</memory><vcpu placement='static' current='1'>2</vcpu>\
                   <unknown foo='bar'/></domain>";
        let edited = set_elements(
            xml,
            &[
                SetElement::text(vec!["memory"], vec![("unit", s("KiB"))], "2048".into()),
                SetElement::text(vec!["vcpu"], vec![("current", None)], "4".into()),
                SetElement::text(vec!["title"], vec![], "a <b> & c".into()),
            ],
        )
        .unwrap();
        assert_eq!(
            edited,
            "<domain type='kvm'><name>a</name><metadata><m:x xmlns:m='urn:m'><title>not ours</title></m:x>\
             </metadata><!-- hi --><memory unit=\"KiB\">2048</memory><vcpu placement=\"static\">4</vcpu>\
             <unknown foo='bar'/><title>a &lt;b&gt; &amp; c</title></domain>"
        );
    }

    #[test]
    fn creates_missing_parents_and_opens_empty_ones() {
        let sets = [SetElement::attrs(vec!["cpu", "topology"], vec![("sockets", s("1")), ("cores", s("2"))])];
        assert_eq!(
            set_elements("<domain><vcpu>2</vcpu></domain>", &sets).unwrap(),
            "<domain><vcpu>2</vcpu><cpu><topology sockets=\"1\" cores=\"2\"/></cpu></domain>"
        );
        assert_eq!(
            set_elements("<domain><cpu mode='host-model'/></domain>", &sets).unwrap(),
            "<domain><cpu mode='host-model'><topology sockets=\"1\" cores=\"2\"/></cpu></domain>"
        );
        assert_eq!(
            set_elements(
                "<domain><cpu><model>x</model><topology sockets='2' cores='1' threads='1'/></cpu></domain>",
                &sets
            )
            .unwrap(),
            "<domain><cpu><model>x</model><topology sockets=\"1\" cores=\"2\" threads=\"1\"/></cpu></domain>"
        );
    }

    #[test]
    fn kept_attributes_keep_their_escapes_and_quotes_inside() {
        let xml = "<domain><vcpu cpuset='0-1' x='say \"hi\" &amp; &apos;bye&apos;'>1</vcpu></domain>";
        let edited = set_elements(xml, &[SetElement::text(vec!["vcpu"], vec![], "2".into())]).unwrap();
        assert_eq!(
            edited,
            "<domain><vcpu cpuset=\"0-1\" x=\"say &quot;hi&quot; &amp; &apos;bye&apos;\">2</vcpu></domain>"
        );
    }

    #[test]
    fn removes_elements_with_their_content() {
        let xml = "<domain><vcpus><vcpu id='0'/><vcpu id='1'></vcpu></vcpus><description>x</description></domain>";
        let edited =
            set_elements(xml, &[SetElement::remove(vec!["vcpus"]), SetElement::remove(vec!["description"])]).unwrap();
        assert_eq!(edited, "<domain></domain>");
        // Removing what is not there changes nothing.
        assert_eq!(set_elements("<domain/>", &[SetElement::remove(vec!["title"])]).unwrap(), "<domain/>");
    }

    #[test]
    fn paths_match_from_the_root_only() {
        let xml = "<domain><metadata><title>t</title></metadata><devices><vcpu>9</vcpu></devices></domain>";
        let edited = set_elements(xml, &[SetElement::text(vec!["title"], vec![], "new".into())]).unwrap();
        assert!(edited.contains("<metadata><title>t</title></metadata>"), "{edited}");
        assert!(edited.ends_with("<title>new</title></domain>"), "{edited}");
    }

    #[test]
    fn an_empty_root_gets_the_element() {
        let edited = set_elements("<domain/>", &[SetElement::text(vec!["title"], vec![], "t".into())]).unwrap();
        assert_eq!(edited, "<domain><title>t</title></domain>");
    }

    #[test]
    fn broken_xml_is_an_error() {
        let sets = [SetElement::text(vec!["title"], vec![], "t".into())];
        assert!(set_elements("<domain><title>x", &sets).is_err());
        assert!(set_elements("", &sets).is_err());
        assert!(set_elements("<domain/>", &[SetElement::remove(vec![])]).is_err());
    }
}
