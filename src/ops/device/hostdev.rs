//! Host devices: give a VM several USB or PCI devices of the host at once (all or none), or take one back.

use serde_json::{Map, Value, json};
use virt::connect::Connect;
use virt::domain::Domain;

use super::scope::{CONFIG, LIVE, Scope, detach, find_hostdev, two_step};
use super::validate::invalid;
use crate::model::hostdev::HostdevKey;
use crate::problem::{Problem, ProblemCode};
use crate::xml::hostdev::hostdev_xml;
use crate::xml::nodedev::parse_node_device;

/// The `<hostdev>` key of a host device libvirt lists under `name` (USB or PCI only).
fn key_of(conn: &Connect, name: &str) -> Result<HostdevKey, Problem> {
    let device = conn.lookup_node_device_by_name(name).map_err(|err| {
        if err.code().to_raw() == virt_sys::VIR_ERR_NO_NODE_DEVICE {
            Problem::new(ProblemCode::NotFound, format!("The host has no device \"{name}\""))
        } else {
            err.into()
        }
    })?;
    let xml = device.xml_desc(0)?;
    let parsed = parse_node_device(&xml).map_err(|err| Problem::internal(format!("{err:#}")))?;
    match parsed {
        Some(d) if matches!(d.kind.as_str(), "pci" | "usb_device") => {
            d.key.or(d.usb_at).ok_or_else(|| invalid(format!("libvirt gives no address for the host device {name}")))
        }
        _ => Err(invalid(format!("Only USB and PCI devices can be added; {name} is neither"))),
    }
}

/// Attaches each device in turn; when one is refused, the ones attached before it are detached again, so
/// the VM ends with all of them or none.
pub fn add(conn: &Connect, domain: &Domain, scope: Scope, names: &[String]) -> Result<Map<String, Value>, Problem> {
    if names.is_empty() {
        return Err(invalid("Choose at least one host device"));
    }
    let mut keys = Vec::new();
    for name in names {
        let key = key_of(conn, name)?;
        if keys.contains(&key) {
            return Err(invalid(format!("The host device {name} is listed twice")));
        }
        let present = (scope.live && find_hostdev(domain, false, key)?.is_some())
            || (scope.config && find_hostdev(domain, true, key)?.is_some());
        if present {
            return Err(invalid(format!("The VM already has the host device {name}")));
        }
        keys.push(key);
    }
    let mut attached: Vec<String> = Vec::new();
    for key in &keys {
        let xml = hostdev_xml(key).map_err(|err| Problem::internal(format!("{err:#}")))?;
        let result = two_step(
            domain,
            scope,
            || domain.attach_device_flags(&xml, CONFIG),
            || domain.attach_device_flags(&xml, LIVE),
        );
        if let Err(err) = result {
            let live = if scope.live { LIVE } else { 0 };
            let config = if scope.config { CONFIG } else { 0 };
            for done in attached.iter().rev() {
                if let Err(undo) = domain.detach_device_flags(done, live | config) {
                    log::warn!("device: detaching a host device again after a refused one failed: {undo}");
                }
            }
            return Err(err);
        }
        attached.push(xml);
    }
    let mut answer = scope.answer();
    answer.insert("hostdevs".into(), json!(keys));
    Ok(answer)
}

pub fn remove(domain: &Domain, scope: Scope, key: HostdevKey) -> Result<Map<String, Value>, Problem> {
    let live = if scope.live { find_hostdev(domain, false, key)? } else { None };
    let config = if scope.config { find_hostdev(domain, true, key)? } else { None };
    let scope = Scope { live: live.is_some(), config: config.is_some() };
    if !scope.live && !scope.config {
        return Err(Problem::new(ProblemCode::NotFound, format!("The VM has no host device {key}")));
    }
    let (live_xml, config_xml) = (live.unwrap_or_default(), config.unwrap_or_default());
    detach(domain, scope, &live_xml, &config_xml, || Ok(find_hostdev(domain, false, key)?.is_some()))
}
