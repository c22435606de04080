//! The disks of a clone: which are copied (writable disks with a file or volume source), how (a copy
//! into the pool, a qcow2 overlay on the original, or an internal snapshot's state read out with
//! `qemu-img convert -l`), and the new definition pointing at the new volumes.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use virt::connect::Connect;
use virt::domain::Domain;
use virt::storage_vol::StorageVol;
use virt_sys as sys;

use super::state::{self, StatePlan};
use super::{Request, invalid};
use crate::model::VmDisk;
use crate::ops::create::progress::Progress;
use crate::ops::create::storage::{self, Rollback};
use crate::problem::Problem;
use crate::xml::device::{DiskSource, source_xml};
use crate::xml::edit::device::{DeviceEdit, edit_device, find_device};
use crate::xml::machine_state::nvram_edit;
use crate::xml::parse_domain;
use crate::xml::pool::parse_pool;
use crate::xml::set::{SetElement, set_elements};
use crate::xml::snapshot::parse_snapshot;

/// How one disk's new volume is made.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Copy {
    /// The whole image, into a new volume.
    Full,
    /// A new qcow2 volume backed by the original.
    Overlay,
    /// The state of this internal snapshot of a qcow2 image.
    InternalSnapshot(String),
}

#[derive(Debug)]
struct DiskJob {
    target: String,
    path: String,
    copy: Copy,
}

pub struct Plan {
    /// The definition the clone starts from: the VM's saved one, or the one a snapshot holds.
    xml: String,
    disks: Vec<DiskJob>,
    /// The NVRAM and TPM state copied with them.
    state: StatePlan,
}

fn xml_problem(err: anyhow::Error) -> Problem {
    Problem::internal(format!("{err:#}"))
}

/// Writable disks with their data in a file or volume: what a clone copies (CD-ROMs, read-only and
/// shared disks are kept as they are).
fn copied(disk: &VmDisk) -> bool {
    disk.device == "disk" && !disk.readonly && !disk.shareable && matches!(disk.kind.as_str(), "file" | "volume")
}

fn disk_path(conn: &Connect, disk: &VmDisk) -> Result<String, Problem> {
    if let (Some(pool), Some(volume)) = (&disk.pool, &disk.volume) {
        return Ok(conn.lookup_storage_pool_by_name(pool)?.lookup_storage_vol_by_name(volume)?.path()?);
    }
    disk.source.clone().ok_or_else(|| invalid(format!("Disk {} has no source", disk.target)))
}

/// The `<domain>` element inside a snapshot's XML.
fn inner_domain(snapshot_xml: &str) -> Option<&str> {
    let start = snapshot_xml.find("<domain ").or_else(|| snapshot_xml.find("<domain>"))?;
    let end = snapshot_xml.rfind("</domain>")? + "</domain>".len();
    (end > start).then(|| &snapshot_xml[start..end])
}

fn is_local(conn: &Connect) -> bool {
    conn.uri().is_ok_and(|uri| uri.split_once("://").is_some_and(|(s, rest)| !s.contains('+') && rest.starts_with('/')))
}

pub fn plan(conn: &Connect, domain: &Domain, request: &Request) -> Result<Plan, Problem> {
    let (xml, internal) = match &request.snapshot {
        Some(name) => {
            let snapshot = Domain::lookup_snapshot_by_name(domain, name, 0)?;
            let snapshot_xml = snapshot.xml_desc(0)?;
            let info = parse_snapshot(&snapshot_xml).map_err(xml_problem)?;
            let xml = inner_domain(&snapshot_xml)
                .ok_or_else(|| Problem::internal("The snapshot holds no VM definition"))?
                .to_string();
            // An external snapshot's disk state is the images its overlays were put on: the sources of
            // the definition it holds. An internal one lives inside the images, read out by name.
            (xml, (info.location == "internal").then(|| name.clone()))
        }
        None => {
            if domain.is_active()? {
                return Err(invalid(
                    "Shut the VM down first (its disks change while it runs), or clone from one of its snapshots",
                ));
            }
            (domain.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE)?, None)
        }
    };
    if internal.is_some() && !is_local(conn) {
        return Err(invalid("A clone from an internal snapshot can only be made on this machine's connections"));
    }
    let config = parse_domain(&xml).map_err(xml_problem)?;
    let mut disks = Vec::new();
    for disk in config.disks.iter().filter(|d| copied(d)) {
        let copy = match (&internal, request.overlay) {
            (Some(name), _) => Copy::InternalSnapshot(name.clone()),
            (None, true) => Copy::Overlay,
            (None, false) => Copy::Full,
        };
        disks.push(DiskJob { target: disk.target.clone(), path: disk_path(conn, disk)?, copy });
    }
    // The saved definition's NVRAM and TPM state, also for a clone from a snapshot (libvirt keeps no
    // NVRAM or TPM state in snapshots).
    let state = state::plan(conn, domain, &request.name)?;
    Ok(Plan { xml, disks, state })
}

fn format_of(path: &str) -> &'static str {
    storage::open_image(path).map(|image| image.format).unwrap_or("raw")
}

fn overlay_xml(name: &str, capacity: u64, backing: &str, backing_format: &str) -> String {
    use quick_xml::escape::escape;
    format!(
        "<volume><name>{}</name><capacity unit='bytes'>{capacity}</capacity><allocation unit='bytes'>0</allocation>\
         <target><format type='qcow2'/></target><backingStore><path>{}</path><format type='{}'/></backingStore></volume>",
        escape(name),
        escape(backing),
        escape(backing_format)
    )
}

/// Makes the volumes and defines the clone; everything made is in `rollback`. Returns its UUID.
pub fn make(
    conn: &Connect,
    plan: &Plan,
    request: &Request,
    progress: &mut Progress,
    rollback: &mut Rollback,
) -> Result<String, Problem> {
    let pool = &request.pool;
    let mut xml = plan.xml.clone();
    for disk in &plan.disks {
        if progress.cancelled() {
            return Err(storage::cancelled());
        }
        let volume = format!("{}-{}.qcow2", request.name, disk.target);
        let format = match &disk.copy {
            Copy::Full => {
                progress.step("copy", &format!("Copying disk {}…", disk.target));
                let base = format!("{}-{}", request.name, disk.target);
                let (vol, format) = copy_named(conn, rollback, progress, &disk.path, pool, &base)?;
                edit_disk(&mut xml, &disk.target, pool, &vol.name()?, format)?;
                continue;
            }
            Copy::Overlay => {
                progress.step("overlay", &format!("Making an overlay for disk {}…", disk.target));
                let capacity = conn.lookup_storage_vol_by_path(&disk.path).and_then(|v| v.info()).map_err(|_| {
                    invalid(format!("{} is in no storage pool, so its size is unknown for an overlay", disk.path))
                })?;
                let backing_format = format_of(&disk.path);
                let target_pool = conn.lookup_storage_pool_by_name(pool)?;
                StorageVol::create_xml(
                    &target_pool,
                    &overlay_xml(&volume, capacity.capacity, &disk.path, backing_format),
                    0,
                )?;
                rollback.volume(pool, &volume);
                "qcow2"
            }
            Copy::InternalSnapshot(snapshot) => {
                progress.step("copy", &format!("Copying disk {} as it was in snapshot {snapshot}…", disk.target));
                let capacity = image_capacity(conn, &disk.path)?;
                let vol = storage::create_volume(conn, rollback, pool, &volume, capacity, "qcow2")?;
                convert_snapshot(&disk.path, snapshot, &vol.path()?, progress)?;
                "qcow2"
            }
        };
        edit_disk(&mut xml, &disk.target, pool, &volume, format)?;
    }
    let nvram = match &plan.state.nvram_path {
        // The clone's own copy of the original's UEFI variables, named for it (made once it is defined).
        Some(path) => nvram_edit(path),
        // None in the saved definition: none from a snapshot's either (libvirt names a new one).
        None => SetElement::remove(vec!["os", "nvram"]),
    };
    let sets = [
        SetElement::text(vec!["name"], vec![], request.name.clone()),
        SetElement::remove(vec!["uuid"]),
        SetElement::remove(vec!["devices", "interface", "mac"]),
        nvram,
        // The TPM state goes under the clone's UUID, where libvirt looks by default.
        SetElement::remove(vec!["devices", "tpm", "backend", "source"]),
        // The original's console log files stay the original's (virtlogd refuses a second writer).
        SetElement::remove(vec!["devices", "serial", "log"]),
        SetElement::remove(vec!["devices", "console", "log"]),
    ];
    let xml = set_elements(&xml, &sets).map_err(xml_problem)?;
    if progress.cancelled() {
        return Err(storage::cancelled());
    }
    progress.step("define", "Defining the new VM…");
    let domain = conn.define_domain_xml(&xml)?;
    let uuid = domain.uuid_string()?;
    rollback.domain(&uuid);
    if progress.cancelled() {
        return Err(storage::cancelled());
    }
    progress.step("state", "Copying the UEFI variables and TPM state…");
    state::copy(conn, &plan.state, &uuid)?;
    Ok(uuid)
}

/// A full copy named `<base>.qcow2` or `<base>.img` by the image's format.
fn copy_named(
    conn: &Connect,
    rollback: &mut Rollback,
    progress: &mut Progress,
    path: &str,
    pool: &str,
    base: &str,
) -> Result<(StorageVol, &'static str), Problem> {
    let name = format!("{base}.{}", if format_of(path) == "qcow2" { "qcow2" } else { "img" });
    storage::copy_file(conn, rollback, progress, path, pool, &name)
}

/// The image's virtual size: from libvirt when it is a volume, else from `qemu-img info`.
fn image_capacity(conn: &Connect, path: &str) -> Result<u64, Problem> {
    if let Ok(info) = conn.lookup_storage_vol_by_path(path).and_then(|v| v.info()) {
        return Ok(info.capacity);
    }
    let out = Command::new("qemu-img")
        .args(["info", "-U", "--output=json", path])
        .stdin(Stdio::null())
        .output()
        .map_err(|err| Problem::internal(format!("qemu-img: {err}")))?;
    let info: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    info["virtual-size"]
        .as_u64()
        .ok_or_else(|| Problem::internal(format!("qemu-img info {path}: {}", String::from_utf8_lossy(&out.stderr))))
}

/// `qemu-img convert -l snapshot.NAME` into the new (already sized) qcow2 volume; a cancel kills it.
fn convert_snapshot(source: &str, snapshot: &str, target: &str, progress: &Progress) -> Result<(), Problem> {
    let mut child = Command::new("qemu-img")
        .args(["convert", "-U", "-n", "-f", "qcow2", "-O", "qcow2", "-l"])
        .arg(format!("snapshot.name={snapshot}"))
        .args([source, target])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| Problem::internal(format!("qemu-img: {err}")))?;
    loop {
        if let Some(status) = child.try_wait().map_err(|err| Problem::internal(format!("qemu-img: {err}")))? {
            if status.success() {
                return Ok(());
            }
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                use std::io::Read;
                let _ = pipe.read_to_string(&mut stderr);
            }
            return Err(Problem::internal(format!("qemu-img convert: {}", stderr.trim())));
        }
        if progress.cancelled() {
            let _ = child.kill();
            let _ = child.wait();
            return Err(storage::cancelled());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Points disk `target` of `xml` at volume `volume` of `pool` (format `format`), dropping its old
/// backing chain.
fn edit_disk(xml: &mut String, target: &str, pool: &str, volume: &str, format: &str) -> Result<(), Problem> {
    let pick = |text: &str| text.contains(&format!("dev='{target}'")) || text.contains(&format!("dev=\"{target}\""));
    let old = find_device(xml, "disk", pick)
        .map_err(xml_problem)?
        .ok_or_else(|| Problem::internal(format!("disk {target} vanished from the definition")))?;
    let source = source_xml(&DiskSource::Volume { pool: pool.into(), volume: volume.into() }).map_err(xml_problem)?;
    let edit = DeviceEdit {
        attributes: vec![("type", Some("volume"))],
        children: vec![("source", Some(source)), ("backingStore", None)],
        child_attributes: vec![("driver", "type", Some(format))],
    };
    let new = edit_device(&old, &edit).map_err(xml_problem)?;
    *xml = xml.replacen(&old, &new, 1);
    Ok(())
}

/// `options`: a free name, the active pools with their free space, and the default pool: the one
/// holding the first disk, else `default`.
pub fn options(conn: &Connect, domain: &Domain) -> Result<Value, Problem> {
    let name = domain.name()?;
    let suggested = std::iter::once(format!("{name}-clone"))
        .chain((2..).map(|n| format!("{name}-clone-{n}")))
        .find(|candidate| conn.lookup_domain_by_name(candidate).is_err())
        .expect("a free name");
    let xml = domain.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE)?;
    let config = parse_domain(&xml).map_err(xml_problem)?;
    let first_dir = config
        .disks
        .iter()
        .filter(|d| copied(d))
        .find_map(|d| d.source.as_deref().and_then(|s| Path::new(s).parent()).map(|p| p.display().to_string()));
    let mut pools = Vec::new();
    let mut default_pool = None;
    for pool in conn.list_all_storage_pools(sys::VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE)? {
        let (Ok(pool_name), Ok(info), Ok(pool_xml)) = (pool.name(), pool.info(), pool.xml_desc(0)) else { continue };
        let path = parse_pool(&pool_xml).ok().and_then(|p| p.path);
        if path.is_some() && path == first_dir {
            default_pool = Some(pool_name.clone());
        }
        pools.push(json!({"name": pool_name, "path": path, "free": info.available}));
    }
    let default_pool = default_pool.or_else(|| {
        pools
            .iter()
            .find(|p| p["name"] == "default")
            .or(pools.first())
            .and_then(|p| p["name"].as_str().map(String::from))
    });
    Ok(json!({
        "suggestedName": suggested,
        "running": domain.is_active()?,
        "pools": pools,
        "pool": default_pool,
        "disks": config.disks.iter().filter(|d| copied(d)).map(|d| d.target.clone()).collect::<Vec<_>>(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clone_finds_the_domain_inside_a_snapshot() {
        let xml = "<domainsnapshot><name>s</name><domain type='kvm'><name>vm</name></domain></domainsnapshot>";
        assert_eq!(inner_domain(xml), Some("<domain type='kvm'><name>vm</name></domain>"));
        assert_eq!(inner_domain("<domainsnapshot><name>s</name></domainsnapshot>"), None);
    }

    #[test]
    fn clone_points_a_disk_at_its_new_volume() {
        let mut xml = String::from(
            "<domain><devices><disk type='file' device='disk'><driver name='qemu' type='raw'/>\
             <source file='/a/b.img'/><backingStore type='file'><source file='/x'/></backingStore>\
             <target dev='vda' bus='virtio'/></disk></devices></domain>",
        );
        edit_disk(&mut xml, "vda", "p&q", "c-vda.qcow2", "qcow2").unwrap();
        assert!(xml.contains("<disk type=\"volume\" device=\"disk\">") || xml.contains("type=\"volume\""), "{xml}");
        assert!(xml.contains("pool=\"p&amp;q\" volume=\"c-vda.qcow2\""), "{xml}");
        assert!(!xml.contains("backingStore"), "{xml}");
        assert!(xml.contains("type=\"qcow2\"") || xml.contains("type='qcow2'"), "{xml}");
    }
}
