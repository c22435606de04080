//! op `domain-xml`: a VM's saved definition as text for the XML editor, and saving an edited one. A save
//! names the XML it started from: when the definition changed elsewhere meanwhile, it is refused, so nobody
//! overwrites a change they never saw. libvirt validates what is saved (`VIR_DOMAIN_DEFINE_VALIDATE`).

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use virt::connect::Connect;
use virt::domain::Domain;
use virt_sys as sys;

use super::super::target::{CONNECT_TIMEOUT, VmTarget};
use super::super::{Context, OpBody, parse_options};
use crate::model::uri::Uri;
use crate::problem::{Problem, ProblemCode};
use crate::xml::parse_domain;

/// Larger definitions are not domain XML anyone edits by hand.
const MAX_XML: usize = 4 << 20;

#[derive(Deserialize)]
struct XmlOptions {
    uri: Uri,
    vm: String,
    /// The edited definition to save; absent: only read.
    define: Option<String>,
    /// The definition the edit started from, exactly as this op sent it.
    base: Option<String>,
}

pub fn open(options: &Map<String, Value>, ctx: &Arc<Context>) -> Result<OpBody, Problem> {
    let options: XmlOptions = parse_options(options)?;
    let target = VmTarget::new(options.uri, options.vm)?;
    let save = match (options.define, options.base) {
        (None, _) => None,
        (Some(_), None) => return Err(Problem::protocol("\"define\" needs \"base\": the XML the edit started from")),
        (Some(xml), Some(base)) => Some((xml, base)),
    };
    let hub = target.hub(ctx)?;
    Ok(Box::new(move |mut io| {
        Box::pin(async move {
            io.ready();
            let (uuid, answer) = hub
                .call(CONNECT_TIMEOUT, move |conn| {
                    let domain = target.lookup(conn)?;
                    let uuid = domain.uuid_string()?;
                    let answer = match save {
                        None => Ok(read(&domain)?),
                        Some((xml, base)) => write(conn, &domain, &xml, &base)?,
                    };
                    Ok((uuid, answer))
                })
                .await?;
            match answer {
                Ok(message) => {
                    hub.refresh(&uuid);
                    io.send_json(&message);
                    Ok(Map::new())
                }
                Err(refusal) => Ok(refusal.close_fields()),
            }
        })
    }))
}

/// Why a save was not attempted: `invalid-argument` with the reason under `errors.<field>`
/// (`base`: changed elsewhere; `xml`: not an edit of this VM).
struct Refusal {
    field: &'static str,
    message: String,
}

impl Refusal {
    fn close_fields(&self) -> Map<String, Value> {
        let mut fields = Problem::new(ProblemCode::InvalidArgument, self.message.clone()).close_fields();
        fields.insert("errors".into(), json!({ self.field: self.message }));
        fields
    }
}

/// The saved definition with secrets (the editor writes it back whole); a transient VM's live one.
fn current_xml(domain: &Domain) -> Result<(String, bool), Problem> {
    let persistent = domain.is_persistent()?;
    let flags =
        if persistent { sys::VIR_DOMAIN_XML_INACTIVE | sys::VIR_DOMAIN_XML_SECURE } else { sys::VIR_DOMAIN_XML_SECURE };
    Ok((domain.xml_desc(flags)?, persistent))
}

fn read(domain: &Domain) -> Result<Value, Problem> {
    let (xml, persistent) = current_xml(domain)?;
    Ok(json!({"xml": xml, "readOnly": !persistent}))
}

fn write(conn: &Connect, domain: &Domain, xml: &str, base: &str) -> Result<Result<Value, Refusal>, Problem> {
    if xml.len() > MAX_XML {
        return Ok(Err(refused("xml", "The definition is too large.")));
    }
    let (current, persistent) = current_xml(domain)?;
    if !persistent {
        return Ok(Err(refused("xml", "This VM is transient: it has no saved definition to edit.")));
    }
    if current != base {
        return Ok(Err(refused(
            "base",
            "The VM's definition was changed elsewhere since you opened it. Reload it and make your edit again.",
        )));
    }
    // The editor changes this VM: a new name or UUID would define another one (renaming has its own setting).
    // XML that does not even parse goes to libvirt, whose message names the line.
    if let Ok(edited) = parse_domain(xml) {
        let name = domain.name()?;
        if edited.name != name {
            return Ok(Err(refused("xml", format!("The name must stay \"{name}\"; rename the VM in its settings."))));
        }
        let uuid = domain.uuid_string()?;
        if !edited.uuid.is_empty() && !edited.uuid.eq_ignore_ascii_case(&uuid) {
            return Ok(Err(refused("xml", format!("The UUID must stay {uuid}."))));
        }
    }
    if xml == current {
        return Ok(Ok(json!({"ok": true, "changed": false})));
    }
    conn.define_domain_xml_flags(xml, sys::VIR_DOMAIN_DEFINE_VALIDATE)?;
    Ok(Ok(json!({"ok": true, "changed": true})))
}

fn refused(field: &'static str, message: impl Into<String>) -> Refusal {
    Refusal { field, message: message.into() }
}
