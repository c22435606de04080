//! Disks: add (a new volume in an active pool, an existing volume, a file or block device, or an
//! empty CD/DVD drive), remove (optionally deleting the image), and grow.

use std::process::Command;

use serde_json::{Map, Value, json};
use virt::connect::Connect;
use virt::domain::Domain;
use virt::storage_vol::StorageVol;
use virt_sys as sys;

use super::scope::{CONFIG, LIVE, Scope, detach, domain_xml, edit_saved, find_disk, two_step};
use super::validate::{human, invalid, qemu_can_open};
use crate::model::VmDisk;
use crate::ops::action::storage::{self, StorageUsers};
use crate::ops::create::storage::{Rollback, create_volume, open_image};
use crate::problem::{Problem, ProblemCode};
use crate::xml::device::{DiskDevice, DiskSource, disk_xml};
use crate::xml::edit::device::{DeviceEdit, edit_device};
use crate::xml::parse_domain;

/// Where a new disk's data comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewSource {
    Existing(DiskSource),
    Volume {
        pool: String,
        name: String,
        size: u64,
        format: &'static str,
    },
    /// An empty CD/DVD drive.
    Empty,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDisk {
    pub cdrom: bool,
    pub source: NewSource,
    pub bus: &'static str,
    pub cache: Option<&'static str>,
    pub serial: Option<String>,
}

pub fn add(conn: &Connect, domain: &Domain, scope: Scope, disk: &NewDisk) -> Result<Map<String, Value>, Problem> {
    if disk.cdrom && disk.bus == "virtio" {
        return Err(invalid("CD/DVD drives cannot use the virtio bus; choose SATA, SCSI or USB"));
    }
    let target = free_target(domain, disk.bus)?;
    let mut rollback = Rollback::new(conn.clone(), None);
    let (source, format) = match &disk.source {
        NewSource::Empty if disk.cdrom => (None, "raw"),
        NewSource::Empty => return Err(invalid("A disk needs a source: a new volume, a volume or a path")),
        NewSource::Existing(source) => (Some(source.clone()), existing_format(conn, source, disk.cdrom)?),
        NewSource::Volume { pool, name, size, format } => {
            check_new_volume(conn, pool, name, *size)?;
            create_volume(conn, &mut rollback, pool, name, *size, format)?;
            (Some(DiskSource::Volume { pool: pool.clone(), volume: name.clone() }), *format)
        }
    };
    let xml = disk_xml(&DiskDevice {
        device: if disk.cdrom { "cdrom" } else { "disk" },
        source,
        format,
        target: target.clone(),
        bus: disk.bus,
        cache: disk.cache,
        serial: disk.serial.clone(),
        readonly: disk.cdrom,
    })
    .map_err(|err| Problem::internal(format!("{err:#}")))?;
    two_step(domain, scope, || domain.attach_device_flags(&xml, CONFIG), || domain.attach_device_flags(&xml, LIVE))?;
    rollback.commit();
    let mut answer = scope.answer();
    answer.insert("target".into(), json!(target));
    Ok(answer)
}

/// The first target name of the bus's family (`vd*` for virtio, `sd*` otherwise) that neither the
/// running VM nor its saved definition uses.
fn free_target(domain: &Domain, bus: &str) -> Result<String, Problem> {
    let prefix = if bus == "virtio" { "vd" } else { "sd" };
    let mut used = Vec::new();
    let persistent = domain.is_persistent()?;
    for saved in [false, true] {
        if saved && !persistent {
            continue;
        }
        let config = parse_domain(&domain_xml(domain, saved)?)
            .map_err(|err| Problem::internal(format!("Cannot read the VM's disks: {err:#}")))?;
        used.extend(config.disks.into_iter().map(|d| d.target));
    }
    let names = (b'a'..=b'z').map(|c| format!("{prefix}{}", c as char));
    let two_letters =
        (b'a'..=b'z').flat_map(|a| (b'a'..=b'z').map(move |b| format!("{prefix}{}{}", a as char, b as char)));
    names
        .chain(two_letters)
        .find(|name| !used.contains(name))
        .ok_or_else(|| invalid("The VM has no free disk name left on this bus"))
}

fn existing_format(conn: &Connect, source: &DiskSource, readonly: bool) -> Result<&'static str, Problem> {
    Ok(match source {
        DiskSource::Block(_) => "raw",
        DiskSource::Network { .. } if readonly => "raw",
        DiskSource::Network { .. } => return Err(invalid("Only CD/DVD media can come from a URL")),
        DiskSource::File(path) => {
            if !std::fs::metadata(path).map_err(|err| invalid(format!("{path}: {err}")))?.is_file() {
                return Err(invalid(format!("{path} is not a regular file")));
            }
            qemu_can_open(conn, path, readonly)?;
            // Opened as create opens images: a qcow2 naming a backing or data file on the host is refused.
            open_image(path)?.format
        }
        DiskSource::Volume { pool, volume } => {
            // The pool knows the format; a volume layered on another file is refused, as such files are.
            let xml = conn.lookup_storage_pool_by_name(pool)?.lookup_storage_vol_by_name(volume)?.xml_desc(0)?;
            if xml.contains("<backingStore>") {
                return Err(invalid(format!("The volume \"{volume}\" is layered on another file (a backing file)")));
            }
            if xml.contains("<format type='qcow2'/>") { "qcow2" } else { "raw" }
        }
    })
}

fn check_new_volume(conn: &Connect, pool_name: &str, name: &str, size: u64) -> Result<(), Problem> {
    let pool = conn.lookup_storage_pool_by_name(pool_name)?;
    if !pool.is_active()? {
        return Err(invalid(format!("The storage pool \"{pool_name}\" is not active")));
    }
    if pool.lookup_storage_vol_by_name(name).is_ok() {
        return Err(invalid(format!("The pool \"{pool_name}\" already has a volume \"{name}\"")));
    }
    let available = pool.info()?.available;
    if size > available {
        return Err(invalid(format!(
            "{} is more than the pool \"{pool_name}\" has free ({})",
            human(size),
            human(available)
        )));
    }
    Ok(())
}

/// Detaches the disk `target` where it is (within `scope`); with `delete_storage`, then deletes its
/// image, unless another VM (or this one, elsewhere) still uses it.
pub fn remove(
    conn: &Connect,
    domain: &Domain,
    scope: Scope,
    target: &str,
    delete_storage: bool,
) -> Result<Map<String, Value>, Problem> {
    let live = if scope.live { find_disk(domain, false, target)? } else { None };
    let config = if scope.config { find_disk(domain, true, target)? } else { None };
    let scope = Scope { live: live.is_some(), config: config.is_some() };
    let Some(disk) = config.as_ref().or(live.as_ref()).map(|(_, disk)| disk.clone()) else {
        return Err(Problem::new(ProblemCode::NotFound, format!("The VM has no disk \"{target}\"")));
    };
    if delete_storage {
        check_unused(conn, domain, &disk, scope)?;
    }
    let (live_xml, config_xml) = (live.map(|l| l.0).unwrap_or_default(), config.map(|c| c.0).unwrap_or_default());
    let mut answer = detach(domain, scope, &live_xml, &config_xml, || Ok(find_disk(domain, false, target)?.is_some()))?;
    // Deleted the way deleting a VM deletes: a volume through its pool, a regular file, never a device.
    if delete_storage && let Some(storage) = storage::resolve(conn, &disk) {
        match crate::ops::action::delete::delete_storage(conn, &storage) {
            Ok(()) => answer.insert("deleted".into(), json!(storage.source)),
            Err(message) => answer.insert("storageError".into(), json!(message)),
        };
    }
    Ok(answer)
}

/// Refuses to delete an image that stays in use: by this VM where the disk is not being removed,
/// or by any other VM of the connection, now or at its next boot. Asked of libvirt itself (the VM
/// delete's `StorageUsers`), not the watch's table: a definition edited elsewhere may send no event.
fn check_unused(conn: &Connect, domain: &Domain, disk: &VmDisk, scope: Scope) -> Result<(), Problem> {
    if (domain.is_active()? && !scope.live) || (domain.is_persistent()? && !scope.config) {
        return Err(invalid("The image cannot be deleted while the disk stays in the VM now or at its next boot"));
    }
    let Some(storage) = storage::resolve(conn, disk) else { return Ok(()) };
    let users = StorageUsers::collect(conn, &domain.uuid_string()?)?.of(&storage);
    if !users.is_empty() {
        return Err(invalid(format!(
            "The image is also used by {}; detach it there first, or remove the disk without deleting the image",
            users.join(", ")
        )));
    }
    Ok(())
}

/// Grows the disk `target` to `size` bytes: through QEMU while the VM runs (`virDomainBlockResize`),
/// else the volume (`virStorageVolResize`) or, for a file in no pool, `qemu-img resize`. Shrinking
/// is refused: it cuts off whatever the guest keeps at the end of the disk.
pub fn resize(conn: &Connect, domain: &Domain, target: &str, size: u64) -> Result<Map<String, Value>, Problem> {
    let active = domain.is_active()?;
    let Some((_, disk)) = find_disk(domain, !active, target)? else {
        return Err(Problem::new(ProblemCode::NotFound, format!("The VM has no disk \"{target}\"")));
    };
    if disk.device != "disk" {
        return Err(invalid(format!("\"{target}\" is not a disk; only disks can be resized")));
    }
    let volume = if active { None } else { volume_of(conn, &disk) };
    let previous = if active {
        domain.block_info(target, 0)?.capacity
    } else if let Some(vol) = &volume {
        vol.info()?.capacity
    } else {
        file_capacity(&disk)?
    };
    if size < previous {
        return Err(invalid(format!(
            "Shrinking is refused: {} is smaller than the disk's {} and would cut off data",
            human(size),
            human(previous)
        )));
    }
    if size > previous {
        if active {
            domain.block_resize(target, size, sys::VIR_DOMAIN_BLOCK_RESIZE_BYTES)?;
        } else if let Some(vol) = &volume {
            vol.resize(size, 0)?;
        } else {
            qemu_img(&["resize", "-f", disk.format.as_deref().unwrap_or("raw"), &source(&disk)?, &size.to_string()])?;
        }
    }
    let mut answer = Scope { live: active, config: true }.answer();
    answer.insert("size".into(), json!(size));
    answer.insert("previous".into(), json!(previous));
    Ok(answer)
}

fn volume_of(conn: &Connect, disk: &VmDisk) -> Option<StorageVol> {
    match (&disk.pool, &disk.volume) {
        (Some(pool), Some(volume)) => {
            conn.lookup_storage_pool_by_name(pool).ok()?.lookup_storage_vol_by_name(volume).ok()
        }
        _ => conn.lookup_storage_vol_by_path(disk.source.as_deref()?).ok(),
    }
}

fn source(disk: &VmDisk) -> Result<String, Problem> {
    match (&disk.source, disk.kind.as_str()) {
        (Some(path), "file") => Ok(path.clone()),
        _ => Err(invalid("Only file and volume disks can be resized while the VM is shut off")),
    }
}

fn file_capacity(disk: &VmDisk) -> Result<u64, Problem> {
    let info = qemu_img(&["info", "--output=json", "-U", &source(disk)?])?;
    serde_json::from_str::<Value>(&info)
        .ok()
        .and_then(|v| v["virtual-size"].as_u64())
        .ok_or_else(|| Problem::internal("qemu-img did not tell the disk's size"))
}

fn qemu_img(args: &[&str]) -> Result<String, Problem> {
    let output = Command::new("qemu-img")
        .args(args)
        .output()
        .map_err(|err| Problem::internal(format!("Cannot run qemu-img: {err}")))?;
    if !output.status.success() {
        return Err(Problem::internal(String::from_utf8_lossy(&output.stderr).trim().to_string()));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Each disk's size as the guest sees it (`capacity`) and what its image takes on the host
/// (`allocation`), by target (`virDomainGetBlockInfo`). Drives without media and disks libvirt cannot
/// measure (network disks of some kinds) are left out.
pub fn sizes(domain: &Domain) -> Result<Map<String, Value>, Problem> {
    let active = domain.is_active()?;
    let config = parse_domain(&domain_xml(domain, !active && domain.is_persistent()?)?)
        .map_err(|err| Problem::internal(format!("Cannot read the VM's disks: {err:#}")))?;
    let mut sizes = Map::new();
    for disk in config.disks.iter().filter(|d| d.source.is_some() || d.volume.is_some()) {
        match domain.block_info(&disk.target, 0) {
            Ok(info) => {
                sizes.insert(disk.target.clone(), json!({"capacity": info.capacity, "allocation": info.allocation}));
            }
            Err(err) => log::debug!("device: no size for {}: {err}", disk.target),
        }
    }
    let mut answer = Map::new();
    answer.insert("ok".into(), json!(true));
    answer.insert("sizes".into(), Value::Object(sizes));
    Ok(answer)
}

/// What `disk-edit` changes; `None` leaves it as it is. A cache of `default` and an empty serial remove them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskChange {
    pub bus: Option<&'static str>,
    pub cache: Option<&'static str>,
    pub readonly: Option<bool>,
    pub shareable: Option<bool>,
    pub serial: Option<String>,
}

/// Edits a disk in the saved definition (libvirt changes none of these on a running VM): they apply at
/// the next boot. A new bus may need a new target name (`vd*` ↔ `sd*`), and its old address goes.
pub fn edit(domain: &Domain, target: &str, change: &DiskChange) -> Result<Map<String, Value>, Problem> {
    if !domain.is_persistent()? {
        return Err(invalid("This VM is transient: it has no saved definition to edit"));
    }
    let Some((xml, disk)) = find_disk(domain, true, target)? else {
        return Err(Problem::new(ProblemCode::NotFound, format!("The VM has no disk \"{target}\" at its next boot")));
    };
    let mut edit = DeviceEdit::default();
    let mut new_target = target.to_string();
    if let Some(bus) = change.bus.filter(|bus| disk.bus.as_deref() != Some(*bus)) {
        if disk.device == "cdrom" && bus == "virtio" {
            return Err(invalid("CD/DVD drives cannot use the virtio bus; choose SATA, SCSI or USB"));
        }
        let prefix = if bus == "virtio" { "vd" } else { "sd" };
        if !target.starts_with(prefix) {
            new_target = free_target(domain, bus)?;
        }
        edit.children.push(("address", None));
    }
    if let Some(bus) = change.bus {
        edit.child_attributes.push(("target", "bus", Some(bus)));
    }
    edit.child_attributes.push(("target", "dev", Some(new_target.as_str())));
    if let Some(cache) = change.cache {
        edit.child_attributes.push(("driver", "cache", (cache != "default").then_some(cache)));
    }
    if let Some(readonly) = change.readonly {
        edit.children.push(("readonly", readonly.then(|| "<readonly/>".to_string())));
    }
    if let Some(shareable) = change.shareable {
        edit.children.push(("shareable", shareable.then(|| "<shareable/>".to_string())));
    }
    if let Some(serial) = &change.serial {
        // Letters, digits and `-_.` only (validate.rs): nothing to escape.
        edit.children.push(("serial", (!serial.is_empty()).then(|| format!("<serial>{serial}</serial>"))));
    }
    let edited = edit_device(&xml, &edit).map_err(|err| Problem::internal(format!("Cannot edit the disk: {err:#}")))?;
    // libvirt finds the disk to update by its target: a renamed one is detached and attached again.
    edit_saved(domain, &xml, &edited, new_target != target, &format!("disk {target}"))?;
    let mut answer = Scope { live: false, config: true }.answer();
    answer.insert("target".into(), json!(new_target));
    Ok(answer)
}
