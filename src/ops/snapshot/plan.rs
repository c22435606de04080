//! What a new snapshot is: internal (inside the qcow2 images; only where every snapshotted disk is
//! qcow2 and the VM has no UEFI variable store, which QEMU cannot snapshot internally) or external
//! (an overlay file beside each disk, and for a running VM its memory in a file beside the first
//! disk). Shut-off VMs default to internal, running and UEFI VMs to external with memory.

use std::ffi::CString;
use std::path::Path;

use serde_json::{Value, json};
use virt::connect::Connect;
use virt::domain::Domain;
use virt_sys as sys;

use crate::model::{DomainConfig, VmDisk};
use crate::problem::{Problem, ProblemCode};
use crate::xml::parse_domain;
use crate::xml::snapshot::{External, NewSnapshot, snapshot_xml};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Internal,
    External,
}

impl Location {
    pub fn as_str(self) -> &'static str {
        match self {
            Location::Internal => "internal",
            Location::External => "external",
        }
    }
}

/// The facts a new snapshot depends on.
struct Facts {
    config: DomainConfig,
    running: bool,
    taken: Vec<String>,
}

fn facts(domain: &Domain) -> Result<Facts, Problem> {
    let running = domain.is_active()?;
    let xml = domain.xml_desc(0)?;
    let config = parse_domain(&xml).map_err(|err| Problem::internal(format!("Cannot read the VM: {err:#}")))?;
    let taken = domain.list_all_snapshots(0)?.iter().filter_map(|s| s.name().ok()).collect();
    Ok(Facts { config, running, taken })
}

/// Disks a snapshot covers: writable, with a source (not CD-ROMs, read-only or shared disks).
fn snapshotted(disk: &VmDisk) -> bool {
    disk.device == "disk" && !disk.readonly && !disk.shareable && disk.source.is_some()
}

impl Facts {
    fn disks(&self) -> impl Iterator<Item = &VmDisk> {
        self.config.disks.iter().filter(|d| snapshotted(d))
    }

    /// Why an internal snapshot cannot be taken, if it cannot.
    fn internal_refusal(&self) -> Option<String> {
        if self.config.firmware == "efi" {
            return Some("VMs with UEFI firmware only take external snapshots".into());
        }
        self.disks()
            .find(|d| d.format.as_deref() != Some("qcow2"))
            .map(|d| format!("Disk {} is not qcow2, so it cannot hold an internal snapshot", d.target))
    }

    fn default_location(&self) -> Location {
        if !self.running && self.internal_refusal().is_none() { Location::Internal } else { Location::External }
    }

    /// Where external files go: beside the first snapshotted file disk.
    fn directory(&self) -> Option<String> {
        self.disks()
            .filter(|d| d.kind == "file" || d.kind == "volume")
            .find_map(|d| Path::new(d.source.as_deref()?).parent().map(|p| p.display().to_string()))
    }

    fn suggested_name(&self) -> String {
        (1..).map(|n| format!("snapshot-{n}")).find(|name| !self.taken.contains(name)).expect("a free name")
    }
}

/// Bytes free for an unprivileged writer in `dir`, or `None` when it cannot be read from here.
fn free_bytes(dir: &str) -> Option<u64> {
    let path = CString::new(dir).ok()?;
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: a valid C string and a zeroed out-parameter.
    if unsafe { libc::statvfs(path.as_ptr(), &mut stat) } != 0 {
        return None;
    }
    Some(stat.f_bavail as u64 * stat.f_frsize as u64)
}

/// `options`: the defaults for the create dialog.
pub fn options(conn: &Connect, domain: &Domain) -> Result<Value, Problem> {
    let facts = facts(domain)?;
    let directory = facts.directory();
    let local = conn.uri().is_ok_and(|uri| is_local(&uri));
    let free = if local { directory.as_deref().and_then(free_bytes) } else { None };
    Ok(json!({
        "suggestedName": facts.suggested_name(),
        "running": facts.running,
        "location": facts.default_location().as_str(),
        "internalRefused": facts.internal_refusal(),
        "memory": facts.running,
        "directory": directory,
        "free": free,
        "memoryBytes": facts.config.memory,
        "disks": facts.disks().map(|d| d.target.clone()).collect::<Vec<_>>(),
    }))
}

/// Whether libvirt at `uri` runs on this machine (its paths are our paths).
fn is_local(uri: &str) -> bool {
    match uri.split_once("://") {
        Some((scheme, rest)) => !scheme.contains('+') && rest.starts_with('/'),
        None => false,
    }
}

pub struct Plan {
    pub xml: String,
    pub flags: u32,
    pub location: Location,
}

pub fn plan(
    domain: &Domain,
    name: &str,
    description: &str,
    location: Option<Location>,
    memory: Option<bool>,
) -> Result<Plan, Problem> {
    let facts = facts(domain)?;
    let invalid = |message: String| Problem::new(ProblemCode::InvalidArgument, message);
    if facts.taken.iter().any(|taken| taken == name) {
        return Err(invalid(format!("A snapshot named \"{name}\" already exists")));
    }
    let location = location.unwrap_or_else(|| facts.default_location());
    let memory = memory.unwrap_or(facts.running);
    if memory && !facts.running {
        return Err(invalid("Only a running VM's memory can be saved".into()));
    }
    let mut flags = 0;
    let external = match location {
        Location::Internal => {
            if let Some(refusal) = facts.internal_refusal() {
                return Err(invalid(refusal));
            }
            if facts.running && !memory {
                return Err(invalid("An internal snapshot of a running VM always holds its memory".into()));
            }
            None
        }
        Location::External => {
            let (disks, skipped): (Vec<&VmDisk>, Vec<&VmDisk>) =
                facts.config.disks.iter().partition(|d| snapshotted(d));
            let memory_file = if memory {
                let dir = facts.directory().ok_or_else(|| {
                    invalid("The VM has no disk in a file, so there is no place for its memory file".into())
                })?;
                Some(format!("{dir}/{}.{name}.mem", facts.config.name))
            } else {
                flags |= sys::VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY;
                None
            };
            if disks.is_empty() && memory_file.is_none() {
                return Err(invalid("The VM has no disk to snapshot".into()));
            }
            flags |= sys::VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC;
            Some(External {
                disks: disks.iter().map(|d| d.target.clone()).collect(),
                skipped: skipped.iter().map(|d| d.target.clone()).collect(),
                memory_file,
            })
        }
    };
    let snapshot = NewSnapshot { name: name.to_string(), description: description.to_string(), external };
    let xml = snapshot_xml(&snapshot).map_err(|err| Problem::internal(format!("{err:#}")))?;
    Ok(Plan { xml, flags, location })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_local_uris() {
        assert!(is_local("qemu:///system"));
        assert!(is_local("qemu:///session"));
        assert!(!is_local("qemu+ssh://host/system"));
        assert!(!is_local("qemu://host/system"));
    }
}
