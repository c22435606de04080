//! The `delete` action: force off, undefine with everything that would make undefine fail
//! (managed save, snapshot and checkpoint metadata, NVRAM), then delete exactly the storage
//! the user ticked. Storage errors don't fail the action: the VM is already gone by then.

use serde_json::{Value, json};
use virt::connect::Connect;
use virt::domain::Domain;
use virt_sys as sys;

use crate::model::VmDisk;
use crate::problem::Problem;
use crate::xml::parse_domain;

pub fn delete(conn: &Connect, domain: &Domain, targets: &[String]) -> Result<Value, Problem> {
    let persistent = domain.is_persistent()?;
    let flags = if persistent { sys::VIR_DOMAIN_XML_INACTIVE } else { 0 };
    let config = parse_domain(&domain.xml_desc(flags)?)
        .map_err(|err| Problem::internal(format!("Cannot read the VM's disks: {err:#}")))?;

    // Check every requested disk before anything is destroyed.
    let mut doomed: Vec<&VmDisk> = Vec::new();
    for target in targets {
        match config.disks.iter().find(|disk| &disk.target == target) {
            Some(disk) => doomed.push(disk),
            None => return Err(Problem::protocol(format!("The VM has no disk \"{target}\""))),
        }
    }

    if domain.is_active()? {
        domain.destroy()?;
    }
    if persistent {
        undefine(domain)?;
    }

    let mut deleted = Vec::new();
    let mut errors = Vec::new();
    for disk in doomed {
        match delete_storage(conn, disk) {
            Ok(path) => deleted.push(path),
            Err(message) => errors.push(json!({
                "target": disk.target,
                "path": disk.source,
                "message": message,
            })),
        }
    }
    Ok(json!({"ok": true, "deleted": deleted, "storageErrors": errors}))
}

fn undefine(domain: &Domain) -> Result<(), Problem> {
    let everything = sys::VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
        | sys::VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
        | sys::VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA
        | sys::VIR_DOMAIN_UNDEFINE_NVRAM;
    match domain.undefine_flags(everything) {
        Ok(()) => Ok(()),
        // Some drivers (test:///) reject flags they have nothing for; the basic set suffices there.
        Err(err)
            if err.code().to_raw() == sys::VIR_ERR_INVALID_ARG || err.code().to_raw() == sys::VIR_ERR_NO_SUPPORT =>
        {
            domain
                .undefine_flags(sys::VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | sys::VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA)
                .map_err(Problem::from)
        }
        Err(err) => Err(err.into()),
    }
}

/// Deletes one disk's storage: through its pool when libvirt knows the volume, else the file.
/// Returns the path deleted, or a message for the user.
pub(crate) fn delete_storage(conn: &Connect, disk: &VmDisk) -> Result<String, String> {
    if let (Some(pool), Some(volume)) = (&disk.pool, &disk.volume) {
        let pool = conn.lookup_storage_pool_by_name(pool).map_err(|e| e.message().to_string())?;
        let vol = pool.lookup_storage_vol_by_name(volume).map_err(|e| e.message().to_string())?;
        let path = vol.path().unwrap_or_else(|_| volume.clone());
        vol.delete(0).map_err(|e| e.message().to_string())?;
        return Ok(path);
    }
    let path = disk.source.clone().ok_or_else(|| "The disk has no storage".to_string())?;
    if disk.kind == "network" {
        return Err("Network disks are not deleted".into());
    }
    if let Ok(vol) = conn.lookup_storage_vol_by_path(&path) {
        vol.delete(0).map_err(|e| e.message().to_string())?;
        return Ok(path);
    }
    // Not in any pool: a plain file. Never remove device nodes or directories.
    let metadata = std::fs::metadata(&path).map_err(|e| format!("{path}: {e}"))?;
    if !metadata.is_file() {
        return Err(format!("{path} is not a regular file; left in place"));
    }
    std::fs::remove_file(&path).map_err(|e| format!("{path}: {e}"))?;
    Ok(path)
}
