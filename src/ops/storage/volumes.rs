//! The volumes of one pool, for op `pool`: listed on demand (libvirt has no volume events), created,
//! resized, wiped and deleted several at once, refused while a VM uses them.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};
use virt::storage_pool::StoragePool;
use virt::storage_vol::StorageVol;

use crate::model::VmDisk;
use crate::problem::{Problem, ProblemCode, Reason};
use crate::xml::pool::{overlay_volume_xml, parse_pool, parse_volume_format, volume_xml};

/// Disks of every VM on the connection, by VM name, for "used by".
pub type VmDisks = Vec<(String, bool, Vec<VmDisk>)>;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VolumeInfo {
    name: String,
    path: String,
    /// `file`, `block`, `dir`, `network`, …
    #[serde(rename = "type")]
    kind: &'static str,
    format: Option<String>,
    capacity: u64,
    allocation: u64,
    used_by: Vec<String>,
}

fn volume_type(kind: u32) -> &'static str {
    match kind {
        0 => "file",
        1 => "block",
        2 => "dir",
        3 => "network",
        4 => "netdir",
        5 => "ploop",
        _ => "unknown",
    }
}

/// VMs with a disk on this volume (by path, or by pool and volume name); with `running_only`, running VMs only.
fn users(vms: &VmDisks, pool: &str, name: &str, path: &str, running_only: bool) -> Vec<String> {
    let mut found: Vec<String> = vms
        .iter()
        .filter(|(_, running, _)| *running || !running_only)
        .filter(|(_, _, disks)| {
            disks.iter().any(|d| {
                d.source.as_deref() == Some(path)
                    || (d.pool.as_deref() == Some(pool) && d.volume.as_deref() == Some(name))
            })
        })
        .map(|(vm, _, _)| vm.clone())
        .collect();
    found.sort();
    found.dedup();
    found
}

pub(super) fn invalid(message: impl Into<String>) -> Problem {
    Problem::new(ProblemCode::InvalidArgument, message)
}

pub(super) fn check_name(name: &str) -> Result<(), Problem> {
    if name.is_empty() || name.contains('/') || name.chars().any(char::is_control) || name.len() > 200 {
        return Err(invalid("A volume name must not be empty or contain \"/\" or control characters"));
    }
    Ok(())
}

pub fn list(pool: &StoragePool, vms: &VmDisks) -> Result<Value, Problem> {
    let pool_name = pool.name()?;
    let mut volumes = Vec::new();
    for vol in pool.list_all_volumes(0)? {
        let (name, path, info) = (vol.name()?, vol.path()?, vol.info()?);
        let format = vol.xml_desc(0).ok().and_then(|xml| parse_volume_format(&xml));
        let used_by = users(vms, &pool_name, &name, &path, false);
        volumes.push(VolumeInfo {
            name,
            path,
            kind: volume_type(info.kind),
            format,
            capacity: info.capacity,
            allocation: info.allocation,
            used_by,
        });
    }
    volumes.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(json!({ "volumes": volumes }))
}

/// Formats a backing volume may have: what QEMU opens as a disk image and libvirt names in `<backingStore>`.
const BACKING_FORMATS: [&str; 2] = ["qcow2", "raw"];

/// The backing volume's path and format, after checking that it is in this pool, has a format an overlay can
/// read, and is no bigger than the overlay (a smaller overlay would cut off the end of its backing disk).
fn backing_store(pool: &StoragePool, backing: &str, format: &str, capacity: u64) -> Result<(String, String), Problem> {
    let refuse = |message: String| invalid(message).with_reason(Reason::BackingVolume);
    if format != "qcow2" {
        return Err(refuse(format!("Only a qcow2 volume can have a backing volume, not {format}")));
    }
    let vol = pool
        .lookup_storage_vol_by_name(backing)
        .map_err(|_| refuse(format!("There is no volume \"{backing}\" in this pool to use as backing volume")))?;
    let backing_format = vol.xml_desc(0).ok().and_then(|xml| parse_volume_format(&xml));
    let Some(backing_format) = backing_format.filter(|f| BACKING_FORMATS.contains(&f.as_str())) else {
        return Err(refuse(format!(
            "The volume \"{backing}\" is not a qcow2 or raw image: it cannot be a backing volume"
        )));
    };
    let backing_capacity = vol.info()?.capacity;
    if capacity < backing_capacity {
        return Err(refuse(format!(
            "The size must be at least that of the backing volume \"{backing}\" ({backing_capacity} bytes)"
        )));
    }
    Ok((vol.path()?, backing_format))
}

/// A new volume, empty or (`backing`) a qcow2 overlay on another volume of the pool.
pub fn create(
    pool: &StoragePool,
    name: &str,
    capacity: u64,
    format: &str,
    backing: Option<&str>,
) -> Result<Value, Problem> {
    check_name(name)?;
    if !matches!(format, "qcow2" | "raw") {
        return Err(invalid(format!("Unknown volume format \"{format}\" (qcow2 or raw)")));
    }
    if capacity == 0 {
        return Err(invalid("The size must be above 0"));
    }
    if pool.lookup_storage_vol_by_name(name).is_ok() {
        return Err(invalid(format!("A volume named \"{name}\" already exists in this pool")));
    }
    let available = pool.info()?.available;
    // Refused even for sparse qcow2: a guest filling its disk on a full pool is paused mid-write.
    if capacity > available {
        return Err(invalid(format!("{capacity} bytes is more than the pool has available ({available} bytes)")));
    }
    // A disk pool's volumes are partitions: raw data, made as partitions of no particular type.
    let disk_pool = parse_pool(&pool.xml_desc(0)?).is_ok_and(|p| p.kind == "disk");
    let format = match (disk_pool, format) {
        (true, "raw") => "none",
        (true, _) => return Err(invalid("A disk pool's volumes are partitions: raw only")),
        (false, format) => format,
    };
    let xml = match backing {
        Some(backing) => {
            let (path, backing_format) = backing_store(pool, backing, format, capacity)?;
            overlay_volume_xml(name, capacity, &path, &backing_format)
        }
        None => volume_xml(name, capacity, format),
    };
    let vol = StorageVol::create_xml(pool, &xml, 0)?;
    Ok(json!({"ok": true, "volume": {"name": name, "path": vol.path()?}}))
}

pub fn resize(pool: &StoragePool, name: &str, capacity: u64, vms: &VmDisks) -> Result<Value, Problem> {
    let vol = pool.lookup_storage_vol_by_name(name)?;
    let running = users(vms, &pool.name()?, name, &vol.path()?, true);
    if !running.is_empty() {
        return Err(invalid(format!("The volume is in use by the running VM {}", running.join(", "))));
    }
    let info = vol.info()?;
    if capacity < info.capacity {
        return Err(invalid("Volumes can only grow; shrinking would destroy data at their end"));
    }
    let grow = capacity - info.capacity;
    if grow > pool.info()?.available {
        return Err(invalid("The pool does not have that much space available"));
    }
    vol.resize(capacity, 0)?;
    Ok(json!({"ok": true}))
}

/// Overwrites the volume's data with zeros (`virStorageVolWipe`); refused while a running VM uses it.
pub fn wipe(pool: &StoragePool, name: &str, vms: &VmDisks) -> Result<Value, Problem> {
    let vol = pool.lookup_storage_vol_by_name(name)?;
    let running = users(vms, &pool.name()?, name, &vol.path()?, true);
    if !running.is_empty() {
        return Err(invalid(format!("The volume is in use by the running VM {}", running.join(", "))));
    }
    vol.wipe(0)?;
    Ok(json!({"ok": true}))
}

/// Deletes every named volume, or none if one of them is used by a VM (naming them all).
pub fn delete(pool: &StoragePool, names: &[String], vms: &VmDisks) -> Result<Value, Problem> {
    if names.is_empty() {
        return Err(Problem::protocol("\"volumes\" must name at least one volume"));
    }
    let pool_name = pool.name()?;
    let mut found = Vec::new();
    let mut in_use = BTreeMap::new();
    for name in names {
        let vol = pool.lookup_storage_vol_by_name(name)?;
        let used = users(vms, &pool_name, name, &vol.path()?, false);
        if !used.is_empty() {
            in_use.insert(name.clone(), used);
        }
        found.push((name.clone(), vol));
    }
    if !in_use.is_empty() {
        let list: Vec<String> = in_use.iter().map(|(vol, vms)| format!("{vol} (by {})", vms.join(", "))).collect();
        return Err(invalid(format!("Volumes in use: {}", list.join("; "))));
    }
    let mut deleted = Vec::new();
    let mut errors = Vec::new();
    for (name, vol) in found {
        match vol.delete(0) {
            Ok(()) => deleted.push(name),
            Err(err) => errors.push(json!({"name": name, "message": err.message()})),
        }
    }
    Ok(json!({"ok": errors.is_empty(), "deleted": deleted, "errors": errors}))
}
