//! The `delete` action: force off, undefine with everything that would make undefine fail
//! (managed save, snapshot and checkpoint metadata, NVRAM), then delete exactly the storage
//! the user ticked. Before anything is destroyed, every ticked disk must still hold the storage
//! the page showed (target *and* source), be deletable, and be used by no other VM; otherwise
//! nothing happens. Storage errors after undefine don't fail the action: the VM is gone by then.

use serde::Deserialize;
use serde_json::{Value, json};
use virt::connect::Connect;
use virt::domain::Domain;
use virt_sys as sys;

use super::storage::{DiskStorage, Kept, Removal, StorageUsers, resolve, shown_config};
use crate::problem::{Problem, ProblemCode, Reason};

/// One ticked disk, as the page showed it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageChoice {
    pub target: String,
    /// The `source` the `delete-plan` op gave for this disk.
    pub source: String,
}

pub fn delete(conn: &Connect, domain: &Domain, choices: &[StorageChoice]) -> Result<Value, Problem> {
    let uuid = domain.uuid_string()?;
    let doomed = check_choices(conn, domain, &uuid, choices)?;

    if domain.is_active()? {
        domain.destroy()?;
    }
    if domain.is_persistent()? {
        undefine(domain)?;
    }

    let mut deleted = Vec::new();
    let mut errors = Vec::new();
    if !doomed.is_empty() {
        // Another VM may have been given this storage while ours was shutting down: ask again. The VM
        // is gone by now, so a failure here leaves the storage in place rather than failing the action.
        let users = StorageUsers::collect(conn, &uuid);
        for storage in &doomed {
            let path = storage.source.clone().unwrap_or_default();
            let result = match users.as_ref().map(|users| users.of(storage)) {
                Ok(used_by) if used_by.is_empty() => delete_storage(conn, storage),
                Ok(used_by) => Err(format!("now used by {}; left in place", quoted_names(&used_by))),
                Err(problem) => Err(format!("{}; left in place", problem.message)),
            };
            match result {
                Ok(()) => deleted.push(path),
                Err(message) => errors.push(json!({
                    "target": storage.disk.target,
                    "path": path,
                    "message": message,
                })),
            }
        }
    }
    Ok(json!({"ok": true, "deleted": deleted, "storageErrors": errors}))
}

/// The storage to delete, or the reason nothing may be: each choice must name a disk of the
/// definition the page shows, with the same source, deletable, and unused by any other VM.
fn check_choices(
    conn: &Connect,
    domain: &Domain,
    uuid: &str,
    choices: &[StorageChoice],
) -> Result<Vec<DiskStorage>, Problem> {
    if choices.is_empty() {
        return Ok(vec![]);
    }
    let config = shown_config(domain)?;
    let refuse = |reason: Reason, message: String| {
        Err(Problem::new(ProblemCode::InvalidArgument, format!("{message}. Nothing was deleted.")).with_reason(reason))
    };
    let mut doomed: Vec<DiskStorage> = Vec::new();
    for choice in choices {
        let Some(disk) = config.disks.iter().find(|disk| disk.target == choice.target) else {
            return refuse(Reason::StorageChanged, format!("The VM has no disk \"{}\" any more", choice.target));
        };
        let Some(storage) = resolve(conn, disk) else {
            return refuse(Reason::StorageChanged, format!("Disk \"{}\" has no storage now", choice.target));
        };
        if storage.source.as_deref() != Some(choice.source.as_str()) {
            let now = storage.source.as_deref().unwrap_or("storage that cannot be named");
            return refuse(
                Reason::StorageChanged,
                format!("Disk \"{}\" now holds {now}, not {}", choice.target, choice.source),
            );
        }
        if let Removal::Never(kept) = storage.removal {
            return Err(Problem::new(
                ProblemCode::InvalidArgument,
                format!("The storage of disk \"{}\" is never deleted: {}", choice.target, kept_text(kept)),
            ));
        }
        if !doomed.iter().any(|d| d.source == storage.source) {
            doomed.push(storage);
        }
    }
    let users = StorageUsers::collect(conn, uuid)?;
    for storage in &doomed {
        let used_by = users.of(storage);
        if !used_by.is_empty() {
            let source = storage.source.as_deref().unwrap_or_default();
            return refuse(Reason::StorageInUse, format!("{source} is used by {}", quoted_names(&used_by)));
        }
    }
    Ok(doomed)
}

fn kept_text(kept: Kept) -> &'static str {
    match kept {
        Kept::BlockDevice => "it is a host block device",
        Kept::Network => "it is network storage",
        Kept::Directory => "it is a host directory",
        Kept::NotRegularFile => "it is not a regular file",
        Kept::PoolUnavailable => "its storage pool or volume cannot be found",
        Kept::Unknown => "its type is not one this page deletes",
    }
}

fn quoted_names(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("\"{name}\"")).collect();
    format!("{} {}", if names.len() == 1 { "VM" } else { "VMs" }, quoted.join(", "))
}

fn undefine(domain: &Domain) -> Result<(), Problem> {
    // TPM state: no TPM flag, so libvirt does what the VM's definition says (removed unless
    // `persistent_state='yes'`), as `virsh undefine` does.
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

/// Deletes one disk's storage: a volume through its pool, a plain file by removing it (never a
/// device node or a directory). Returns a message for the user when it cannot.
pub(crate) fn delete_storage(conn: &Connect, storage: &DiskStorage) -> Result<(), String> {
    let libvirt = |err: virt::error::Error| err.message().to_string();
    match &storage.removal {
        Removal::Volume { pool, name } => {
            let pool = conn.lookup_storage_pool_by_name(pool).map_err(libvirt)?;
            pool.lookup_storage_vol_by_name(name).map_err(libvirt)?.delete(0).map_err(libvirt)
        }
        Removal::File => {
            let path = storage.source.as_deref().unwrap_or_default();
            let metadata = std::fs::symlink_metadata(path).map_err(|e| format!("{path}: {e}"))?;
            if !metadata.is_file() {
                return Err(format!("{path} is not a regular file; left in place"));
            }
            std::fs::remove_file(path).map_err(|e| format!("{path}: {e}"))
        }
        Removal::Never(kept) => Err(kept_text(*kept).to_string()),
    }
}
