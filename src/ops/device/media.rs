//! CD/DVD media: insert a file or a pool volume into a drive, eject it (optionally forced, when the
//! guest has locked the tray). The drive's own XML is edited in place, so everything else about it
//! (driver, address, alias, other tools' elements) stays as it was.

use serde_json::{Map, Value};
use virt::domain::Domain;
use virt_sys as sys;

use super::scope::{CONFIG, LIVE, Scope, find_disk, two_step};
use super::validate::{invalid, qemu_can_open};
use crate::problem::{Problem, ProblemCode};
use crate::xml::device::{DiskSource, source_xml};
use crate::xml::edit::device::{DeviceEdit, edit_device};

/// Puts `source` into the drive `target`, or empties it (`None`).
pub fn change(
    domain: &Domain,
    scope: Scope,
    target: &str,
    source: Option<&DiskSource>,
    force: bool,
) -> Result<Map<String, Value>, Problem> {
    if let Some(DiskSource::File(path)) = source {
        qemu_can_open(&domain.connect()?, path, true)?;
    }
    // Where the drive is: a drive added for the next boot only, or only to the running VM, changes there.
    let live_old = if scope.live { drive(domain, false, target)? } else { None };
    let config_old = if scope.config { drive(domain, true, target)? } else { None };
    if live_old.is_none() && config_old.is_none() {
        return Err(Problem::new(ProblemCode::NotFound, format!("The VM has no drive \"{target}\"")));
    }
    let scope = Scope { live: live_old.is_some(), config: config_old.is_some() };
    let edit = match source {
        Some(source) => DeviceEdit {
            attributes: vec![("type", Some(source.disk_type()))],
            children: vec![("source", Some(source_xml(source).map_err(|e| Problem::internal(format!("{e:#}")))?))],
            ..DeviceEdit::default()
        },
        None => DeviceEdit { children: vec![("source", None)], ..DeviceEdit::default() },
    };
    let edited = |old: &Option<String>| -> Result<String, Problem> {
        edit_device(old.as_deref().unwrap_or_default(), &edit)
            .map_err(|err| Problem::internal(format!("Cannot edit the drive: {err:#}")))
    };
    let (live_new, config_new) = (edited(&live_old)?, edited(&config_old)?);
    let live_flags = LIVE | if force { sys::VIR_DOMAIN_DEVICE_MODIFY_FORCE } else { 0 };
    two_step(
        domain,
        scope,
        || domain.update_device_flags(&config_new, CONFIG),
        || domain.update_device_flags(&live_new, live_flags),
    )?;
    Ok(scope.answer())
}

/// The drive's XML in one definition (`None`: not there); refused when it is not a removable-media drive.
fn drive(domain: &Domain, saved: bool, target: &str) -> Result<Option<String>, Problem> {
    let Some((xml, disk)) = find_disk(domain, saved, target)? else {
        return Ok(None);
    };
    if disk.device != "cdrom" && disk.device != "floppy" {
        return Err(invalid(format!("\"{target}\" is not a CD/DVD drive; only removable media can be changed")));
    }
    Ok(Some(xml))
}
