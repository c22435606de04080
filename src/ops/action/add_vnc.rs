//! The `add-vnc` action: give a VM without a VNC display (none, or SPICE only) one on a local UNIX
//! socket, so the page's console can show it. Graphics cannot be hot-plugged, so this edits the
//! persistent definition; a running VM gets it at its next start, which the answer says.

use serde_json::{Value, json};
use virt::connect::Connect;
use virt::domain::Domain;
use virt_sys as sys;

use crate::problem::{Problem, ProblemCode};
use crate::xml::edit::add_vnc_graphics;
use crate::xml::parse_domain;

pub fn add_vnc(conn: &Connect, domain: &Domain) -> Result<Value, Problem> {
    if !domain.is_persistent()? {
        return Err(Problem::new(
            ProblemCode::NotSupported,
            "This VM is transient (it has no persistent definition), so a display cannot be added for its next start.",
        ));
    }
    // SECURE keeps passwords of existing displays: the definition is written back whole.
    let xml = domain.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE | sys::VIR_DOMAIN_XML_SECURE)?;
    let config =
        parse_domain(&xml).map_err(|err| Problem::internal(format!("Cannot read the VM's definition: {err:#}")))?;
    let running = domain.is_active()?;
    if config.graphics.iter().any(|g| g.kind == "vnc") {
        return Ok(json!({"ok": true, "added": false, "next_start": running}));
    }
    let edited = add_vnc_graphics(&xml).map_err(|err| Problem::internal(format!("Cannot add the display: {err:#}")))?;
    conn.define_domain_xml(&edited)?;
    Ok(json!({"ok": true, "added": true, "next_start": running}))
}
