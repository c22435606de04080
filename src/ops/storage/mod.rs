//! op `pool`: one action on a storage pool (or a new one), answered with one message (`docs/api.md`).
//! The hub re-reads the pool afterwards, so watchers see the change also on drivers without events.

pub mod sources;
mod spec;
pub mod transfer;
mod volumes;

use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use virt::connect::Connect;
use virt::storage_pool::StoragePool;

use super::target::{CONNECT_TIMEOUT, by_uuid_or_name};
use super::{Context, OpBody, parse_options};
use crate::hub::Hub;
use crate::hub::resources::ResourceKind;
use crate::model::uri::Uri;
use crate::problem::{Problem, ProblemCode};
use crate::router::channel::ChannelIo;
use crate::xml::pool_spec::{PoolSpec, pool_xml};

#[derive(Debug, Clone, PartialEq)]
enum PoolAction {
    /// `virStoragePoolCreate`.
    Start,
    /// `virStoragePoolDestroy`.
    Stop,
    /// `virStoragePoolRefresh`.
    Refresh,
    /// `virStoragePoolSetAutostart`.
    Autostart {
        enable: bool,
    },
    /// Stop, optionally delete every volume and the pool's directory, undefine.
    Delete {
        volumes: bool,
    },
    /// Define a pool (building its storage where the type needs it), start it, optionally autostart it.
    Create {
        name: String,
        spec: PoolSpec,
        autostart: bool,
    },
    /// List the pool's volumes with the VMs using each.
    Volumes,
    CreateVolume {
        name: String,
        capacity: u64,
        format: String,
        /// A volume of the same pool the new qcow2 volume overlays.
        backing: Option<String>,
    },
    ResizeVolume {
        name: String,
        capacity: u64,
    },
    DeleteVolumes {
        names: Vec<String>,
    },
    WipeVolume {
        name: String,
    },
}

#[derive(Deserialize)]
struct PoolOptions {
    uri: Uri,
    action: String,
    /// Name or UUID of the pool; for `create`, the new pool's name.
    pool: String,
    enable: Option<bool>,
    #[serde(default)]
    volumes: bool,
    #[serde(rename = "type")]
    kind: Option<String>,
    /// Target path: the directory (dir) or mount point (fs, netfs).
    path: Option<String>,
    /// Source block device (fs, logical, disk, zfs).
    device: Option<String>,
    /// Server (netfs, iscsi, iscsi-direct, gluster) and its export or directory (netfs, gluster). Not `host`:
    /// cockpit-bridge takes an open's `host` as the machine to run the channel on.
    server: Option<String>,
    dir: Option<String>,
    /// The iSCSI portal's port, when not 3260.
    port: Option<u64>,
    /// iSCSI target and initiator IQNs.
    target: Option<String>,
    initiator: Option<String>,
    /// SCSI host adapter (scsi).
    adapter: Option<String>,
    /// The Ceph pool, Gluster volume or ZFS pool (rbd, gluster, zfs).
    source: Option<String>,
    /// Ceph monitors (rbd).
    #[serde(default)]
    monitors: Vec<spec::HostOption>,
    auth: Option<spec::AuthOption>,
    #[serde(default)]
    autostart: bool,
    /// A volume's name (create-volume, resize-volume).
    name: Option<String>,
    /// Bytes.
    capacity: Option<u64>,
    /// A new volume's format; a new disk pool's partition table (`gpt`, `dos`).
    format: Option<String>,
    /// The backing volume of a new qcow2 overlay (create-volume): a volume of the same pool, by name.
    backing: Option<String>,
    /// Volumes to delete (delete-volumes).
    #[serde(default)]
    names: Vec<String>,
}

fn parse(options: &PoolOptions) -> Result<PoolAction, Problem> {
    Ok(match options.action.as_str() {
        "start" => PoolAction::Start,
        "stop" => PoolAction::Stop,
        "refresh" => PoolAction::Refresh,
        "autostart" => PoolAction::Autostart {
            enable: options.enable.ok_or_else(|| Problem::protocol("action \"autostart\" needs \"enable\""))?,
        },
        "delete" => PoolAction::Delete { volumes: options.volumes },
        "create" => {
            let spec = spec::pool_spec(options)?;
            PoolAction::Create { name: options.pool.clone(), spec, autostart: options.autostart }
        }
        "volumes" => PoolAction::Volumes,
        "create-volume" => PoolAction::CreateVolume {
            name: required(&options.name, "name")?,
            capacity: options.capacity.ok_or_else(|| Problem::protocol("action needs \"capacity\""))?,
            format: options.format.clone().unwrap_or_else(|| "qcow2".into()),
            backing: options.backing.clone(),
        },
        "resize-volume" => PoolAction::ResizeVolume {
            name: required(&options.name, "name")?,
            capacity: options.capacity.ok_or_else(|| Problem::protocol("action needs \"capacity\""))?,
        },
        "delete-volumes" => PoolAction::DeleteVolumes { names: options.names.clone() },
        "wipe-volume" => PoolAction::WipeVolume { name: required(&options.name, "name")? },
        other => return Err(Problem::not_supported(format!("unknown pool action \"{other}\""))),
    })
}

fn required(value: &Option<String>, field: &str) -> Result<String, Problem> {
    value.clone().ok_or_else(|| Problem::protocol(format!("action needs \"{field}\"")))
}

/// Every VM's name, whether it runs, and its disks.
fn vm_disks(hub: &Hub) -> volumes::VmDisks {
    let (_, vms) = hub.snapshot();
    vms.iter().map(|e| (e.vm.name.clone(), e.vm.state != "shutoff", e.vm.config.disks.clone())).collect()
}

pub fn open(options: &Map<String, Value>, ctx: &Arc<Context>) -> Result<OpBody, Problem> {
    let parsed: PoolOptions = parse_options(options)?;
    if parsed.pool.is_empty() {
        return Err(Problem::protocol("\"pool\" must not be empty"));
    }
    let action = parse(&parsed)?;
    let hub = ctx.hubs.get(&parsed.uri)?;
    let (uri, pool) = (parsed.uri.as_str().to_owned(), parsed.pool);
    Ok(Box::new(move |io| Box::pin(run(io, hub, uri, pool, action))))
}

async fn run(mut io: ChannelIo, hub: Arc<Hub>, uri: String, pool: String, action: PoolAction) -> super::OpResult {
    io.ready();
    let users = users_of_pool(&hub, &pool);
    let disks = vm_disks(&hub);
    let local = is_local(&uri);
    let (uuid, answer) = hub
        .call(CONNECT_TIMEOUT, move |conn| {
            if let PoolAction::Create { name, spec, autostart } = &action {
                return create(conn, name, spec, *autostart, local);
            }
            let p = lookup(conn, &pool)?;
            let uuid = p.uuid_string()?;
            let answer = match &action {
                PoolAction::Volumes => volumes::list(&p, &disks)?,
                PoolAction::CreateVolume { name, capacity, format, backing } => {
                    volumes::create(&p, name, *capacity, format, backing.as_deref())?
                }
                PoolAction::ResizeVolume { name, capacity } => volumes::resize(&p, name, *capacity, &disks)?,
                PoolAction::DeleteVolumes { names } => volumes::delete(&p, names, &disks)?,
                PoolAction::WipeVolume { name } => volumes::wipe(&p, name, &disks)?,
                _ => {
                    perform(&p, &action, &users)?;
                    json!({"ok": true})
                }
            };
            Ok((uuid, answer))
        })
        .await?;
    hub.refresh_resource(ResourceKind::Pool, &uuid);
    io.send_json(&answer);
    Ok(Map::new())
}

fn is_local(uri: &str) -> bool {
    // `qemu:///system`, `test:///default`: no host part, no transport.
    uri.split_once(":///").is_some_and(|(scheme, _)| !scheme.contains('+'))
}

/// By UUID when it looks like one, otherwise by name; a missing pool is `not-found`.
pub fn lookup(conn: &Connect, pool: &str) -> Result<StoragePool, Problem> {
    by_uuid_or_name(
        pool,
        |uuid| conn.lookup_storage_pool_by_uuid_string(uuid),
        |name| conn.lookup_storage_pool_by_name(name),
    )
}

/// VMs (by name) with a disk in this pool: `pool` names it, or the disk's file lies in its directory.
fn users_of_pool(hub: &Hub, pool: &str) -> Vec<(String, String)> {
    let snapshot = hub.resources.snapshot();
    let Some(info) = snapshot.pool_values.values().find(|p| p.name == pool || p.id == pool) else {
        return Vec::new();
    };
    let prefix = info.path.as_ref().map(|p| format!("{}/", p.trim_end_matches('/')));
    let (_, vms) = hub.snapshot();
    let mut users = Vec::new();
    for entry in vms {
        for disk in &entry.vm.config.disks {
            let in_pool = disk.pool.as_deref() == Some(info.name.as_str())
                || matches!((&prefix, &disk.source), (Some(prefix), Some(source)) if source.starts_with(prefix.as_str()));
            if in_pool {
                users.push((entry.vm.name.clone(), disk.source.clone().or(disk.volume.clone()).unwrap_or_default()));
            }
        }
    }
    users.sort();
    users
}

fn in_use(users: &[(String, String)]) -> Problem {
    let mut names: Vec<&str> = users.iter().map(|(vm, _)| vm.as_str()).collect();
    names.dedup();
    Problem::new(ProblemCode::InvalidArgument, format!("Volumes of this pool are in use by {}", names.join(", ")))
}

fn perform(pool: &StoragePool, action: &PoolAction, users: &[(String, String)]) -> Result<(), Problem> {
    match action {
        PoolAction::Start => pool.create(0)?,
        PoolAction::Stop => pool.destroy()?,
        PoolAction::Refresh => pool.refresh(0)?,
        PoolAction::Autostart { enable } => pool.set_autostart(*enable)?,
        PoolAction::Delete { volumes } => {
            if *volumes {
                if !users.is_empty() {
                    return Err(in_use(users));
                }
                if !pool.is_active()? {
                    pool.create(0)?;
                }
                for volume in pool.list_all_volumes(0)? {
                    volume.delete(0)?;
                }
            }
            if pool.is_active()? {
                pool.destroy()?;
            }
            if *volumes {
                // Removes the now empty directory (dir), the volume group (logical), …
                pool.delete(0)?;
            }
            if pool.is_persistent()? {
                pool.undefine()?;
            }
        }
        _ => unreachable!("handled by run"),
    }
    Ok(())
}

fn invalid(message: String) -> Problem {
    Problem::new(ProblemCode::InvalidArgument, message)
}

/// On local URIs: the path exists and is a directory (`want_dir`) or a block device.
fn check_local(path: &str, want_dir: bool) -> Result<(), Problem> {
    use std::os::unix::fs::FileTypeExt;
    match std::fs::metadata(Path::new(path)) {
        Err(_) => Err(invalid(format!("{path} does not exist"))),
        Ok(meta) if want_dir && !meta.is_dir() => Err(invalid(format!("{path} is not a directory"))),
        Ok(meta) if !want_dir && !meta.file_type().is_block_device() => {
            Err(invalid(format!("{path} is not a block device")))
        }
        Ok(_) => Ok(()),
    }
}

/// The host's and the new pool's own rules, before libvirt sees anything.
fn validate(conn: &Connect, name: &str, spec: &PoolSpec, local: bool) -> Result<(), Problem> {
    if name.is_empty() || name.contains('/') || name.chars().any(char::is_control) || name.len() > 200 {
        return Err(invalid("A pool name may not be empty or contain \"/\" or control characters".into()));
    }
    if conn.lookup_storage_pool_by_name(name).is_ok() {
        return Err(invalid(format!("A storage pool named \"{name}\" already exists")));
    }
    // The values themselves were parsed (`spec`); here, what only this host can tell.
    let (dir, device) = match spec {
        PoolSpec::Dir { path } => (Some(path), None),
        PoolSpec::Fs { device, .. } | PoolSpec::Disk { device, .. } => (None, Some(device)),
        PoolSpec::Logical { device } | PoolSpec::Zfs { device, .. } => (None, device.as_ref()),
        _ => (None, None),
    };
    if let PoolSpec::Logical { .. } = spec {
        // LVM's own rule for volume group names (the pool's name is the group's).
        let lvm_name = !name.starts_with('-')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '_' | '.' | '-'));
        if !lvm_name {
            return Err(invalid("An LVM pool's name is its volume group's: letters, digits and + _ . - only".into()));
        }
    }
    if local {
        if let Some(dir) = dir {
            check_local(dir.as_str(), true)?;
        }
        if let Some(device) = device {
            check_local(device.as_str(), false)?;
        }
    }
    Ok(())
}

/// Validates, defines, builds the storage where the type needs it (a mount point; a volume group on a
/// device), starts and (optionally) autostarts. A failure after the define undoes what was done, so
/// nothing half-made stays.
fn create(
    conn: &Connect,
    name: &str,
    spec: &PoolSpec,
    autostart: bool,
    local: bool,
) -> Result<(String, Value), Problem> {
    validate(conn, name, spec, local)?;
    let pool = conn.define_storage_pool_xml(&pool_xml(name, spec), 0)?;
    let build = spec.needs_build();
    if build && let Err(err) = pool.build(0) {
        let _ = pool.undefine();
        return Err(err.into());
    }
    // Autostart before the start: the start's event then shows it to every other session (autostart has no event).
    let started = if autostart { pool.set_autostart(true) } else { Ok(()) }.and_then(|_| pool.create(0));
    if let Err(err) = started {
        let _ = pool.destroy();
        if build && matches!(spec, PoolSpec::Logical { .. } | PoolSpec::Zfs { .. }) {
            // Removes the volume group or ZFS pool the build made.
            let _ = pool.delete(0);
        }
        let _ = pool.undefine();
        return Err(err.into());
    }
    let uuid = pool.uuid_string()?;
    Ok((uuid.clone(), json!({"ok": true, "pool": {"id": uuid, "name": name, "type": spec.kind()}})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_local_uris() {
        assert!(is_local("qemu:///system"));
        assert!(is_local("test:///default"));
        assert!(!is_local("qemu+ssh://host/system"));
        assert!(!is_local("qemu://host/system"));
    }
}
