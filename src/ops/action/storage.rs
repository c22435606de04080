//! What deleting a VM does to each disk's storage, and which other VMs use that storage.
//! The `delete-plan` op (what the dialog shows) and the `delete` action (what it then checks and
//! does) both go through here, so what the user saw is what the helper checks.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;
use serde_json::{Value, json};
use virt::connect::Connect;
use virt::domain::Domain;
use virt_sys as sys;

use crate::model::{DomainConfig, VmDisk};
use crate::problem::Problem;
use crate::xml::parse_domain;

/// What deleting a disk's storage means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    /// A plain file (in no pool): removed.
    File,
    /// A storage volume, deleted through its pool (`virStorageVolDelete`).
    Volume { pool: String, name: String },
    /// Never deleted: the disk is only detached with the VM.
    Never(Kept),
}

/// Why a disk's storage is never deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kept {
    /// `type='block'`: a host block device.
    BlockDevice,
    /// `type='network'`: storage on another host (NBD, iSCSI, RBD, …).
    Network,
    /// `type='dir'`: a host directory shown to the guest as a disk.
    Directory,
    /// A `type='file'` source that is not a regular file (a device node, a directory, a symlink).
    NotRegularFile,
    /// A `type='volume'` disk whose pool or volume libvirt cannot find (or the pool is not active).
    PoolUnavailable,
    /// Disk types this page does not know (`nvme`, `vhostuser`, …).
    Unknown,
}

/// One disk of the VM with its storage resolved.
#[derive(Debug, Clone)]
pub struct DiskStorage {
    pub disk: VmDisk,
    /// The storage as the page shows and echoes it: a file or device path, a volume's path in its pool,
    /// a network disk's source name; `None` when it cannot be named (a volume of an unknown pool).
    pub source: Option<String>,
    pub removal: Removal,
}

impl DiskStorage {
    /// The keys under which other VMs' disks would name the same storage.
    fn keys(&self) -> Vec<StorageKey> {
        let mut keys = Vec::new();
        if let (Some(pool), Some(volume)) = (&self.disk.pool, &self.disk.volume) {
            keys.push(StorageKey::Volume(pool.clone(), volume.clone()));
        }
        if let Removal::Volume { pool, name } = &self.removal {
            keys.push(StorageKey::Volume(pool.clone(), name.clone()));
        }
        if let Some(source) = &self.source {
            path_keys(source, &mut keys);
        }
        keys
    }
}

/// A disk's storage, as named in some VM's XML: by path (as written and canonical) or by pool and volume.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum StorageKey {
    Path(String),
    Volume(String, String),
}

fn path_keys(path: &str, keys: &mut Vec<StorageKey>) {
    keys.push(StorageKey::Path(path.to_string()));
    if let Ok(canonical) = std::fs::canonicalize(path)
        && let Some(canonical) = canonical.to_str()
        && canonical != path
    {
        keys.push(StorageKey::Path(canonical.to_string()));
    }
}

/// Resolves what deleting `disk` would do; `None` for a drive without media (nothing to delete).
pub fn resolve(conn: &Connect, disk: &VmDisk) -> Option<DiskStorage> {
    let (source, removal) = match disk.kind.as_str() {
        "volume" => {
            let (pool, volume) = (disk.pool.as_ref()?, disk.volume.as_ref()?);
            match volume_path(conn, pool, volume) {
                Some(path) => (Some(path), Removal::Volume { pool: pool.clone(), name: volume.clone() }),
                None => (None, Removal::Never(Kept::PoolUnavailable)),
            }
        }
        "file" => {
            let path = disk.source.clone()?;
            let removal = file_removal(conn, &path);
            (Some(path), removal)
        }
        "block" => (Some(disk.source.clone()?), Removal::Never(Kept::BlockDevice)),
        "network" => (Some(disk.source.clone()?), Removal::Never(Kept::Network)),
        "dir" => (Some(disk.source.clone()?), Removal::Never(Kept::Directory)),
        _ => (disk.source.clone(), Removal::Never(Kept::Unknown)),
    };
    Some(DiskStorage { disk: disk.clone(), source, removal })
}

/// A file goes through its pool when it is a volume of one; otherwise only a regular file is removed.
fn file_removal(conn: &Connect, path: &str) -> Removal {
    if let Ok(vol) = conn.lookup_storage_vol_by_path(path)
        && let (Ok(name), Ok(pool)) = (vol.name(), vol.lookup_storage_pool())
        && let Ok(pool) = pool.name()
    {
        return Removal::Volume { pool, name };
    }
    // Not followed through symlinks: removing a link would free nothing, its target is not ours to judge.
    match std::fs::symlink_metadata(path) {
        Ok(metadata) if !metadata.is_file() => Removal::Never(Kept::NotRegularFile),
        // A missing or unreadable file is still offered: the delete then says why it could not remove it.
        _ => Removal::File,
    }
}

fn volume_path(conn: &Connect, pool: &str, volume: &str) -> Option<String> {
    let pool = conn.lookup_storage_pool_by_name(pool).ok()?;
    if !pool.is_active().unwrap_or(false) {
        return None;
    }
    pool.lookup_storage_vol_by_name(volume).ok()?.path().ok()
}

/// The definition the page shows for a VM: the live one while it runs, else the persistent one.
pub fn shown_config(domain: &Domain) -> Result<DomainConfig, Problem> {
    let flags = if domain.is_active()? { 0 } else { sys::VIR_DOMAIN_XML_INACTIVE };
    parse_domain(&domain.xml_desc(flags)?)
        .map_err(|err| Problem::internal(format!("Cannot read the VM's disks: {err:#}")))
}

/// Which VMs use which storage: every domain of the connection but one, in its live and its
/// persistent definition (a live media change leaves them different).
pub struct StorageUsers {
    by_key: HashMap<StorageKey, BTreeSet<String>>,
}

impl StorageUsers {
    pub fn collect(conn: &Connect, except_uuid: &str) -> Result<StorageUsers, Problem> {
        let mut users = StorageUsers { by_key: HashMap::new() };
        let mut volume_paths: HashMap<(String, String), Option<String>> = HashMap::new();
        for domain in conn.list_all_domains(0)? {
            let Ok(uuid) = domain.uuid_string() else { continue };
            if uuid == except_uuid {
                continue;
            }
            let name = domain.name().unwrap_or(uuid);
            for config in definitions(&domain, &name)? {
                for disk in &config.disks {
                    let mut keys = Vec::new();
                    if let (Some(pool), Some(volume)) = (&disk.pool, &disk.volume) {
                        keys.push(StorageKey::Volume(pool.clone(), volume.clone()));
                        let path = volume_paths
                            .entry((pool.clone(), volume.clone()))
                            .or_insert_with(|| volume_path(conn, pool, volume));
                        if let Some(path) = path {
                            path_keys(path, &mut keys);
                        }
                    } else if let Some(source) = &disk.source {
                        path_keys(source, &mut keys);
                    }
                    for key in keys {
                        users.by_key.entry(key).or_default().insert(name.clone());
                    }
                }
            }
        }
        Ok(users)
    }

    /// The names of the other VMs that use this storage, sorted.
    pub fn of(&self, storage: &DiskStorage) -> Vec<String> {
        let names: BTreeSet<&String> = storage.keys().iter().filter_map(|key| self.by_key.get(key)).flatten().collect();
        names.into_iter().cloned().collect()
    }
}

/// A domain's live and persistent definitions (those it has). A domain that vanished meanwhile has none.
pub fn definitions(domain: &Domain, name: &str) -> Result<Vec<DomainConfig>, Problem> {
    let gone = |err: &virt::error::Error| err.code().to_raw() == sys::VIR_ERR_NO_DOMAIN;
    let mut flag_sets = Vec::new();
    match (domain.is_active(), domain.is_persistent()) {
        (Ok(active), Ok(persistent)) => {
            if active {
                flag_sets.push(0);
            }
            if persistent {
                flag_sets.push(sys::VIR_DOMAIN_XML_INACTIVE);
            }
        }
        (Err(err), _) | (_, Err(err)) if gone(&err) => return Ok(vec![]),
        (Err(err), _) | (_, Err(err)) => return Err(err.into()),
    }
    let mut configs = Vec::new();
    for flags in flag_sets {
        let xml = match domain.xml_desc(flags) {
            Ok(xml) => xml,
            Err(err) if gone(&err) => return Ok(vec![]),
            Err(err) => {
                let mut problem = Problem::from(err);
                problem.message = format!("Cannot tell which storage VM \"{name}\" uses: {}", problem.message);
                return Err(problem);
            }
        };
        configs.push(
            parse_domain(&xml)
                .map_err(|err| Problem::internal(format!("Cannot read the disks of VM \"{name}\": {err:#}")))?,
        );
    }
    Ok(configs)
}

/// One disk as `delete-plan` describes it (`docs/api.md`).
pub fn plan_entry(storage: &DiskStorage, used_by: &[String]) -> Value {
    let (removal, pool, volume, kept) = match &storage.removal {
        Removal::File => ("file", None, None, None),
        Removal::Volume { pool, name } => ("volume", Some(pool), Some(name), None),
        Removal::Never(kept) => ("never", storage.disk.pool.as_ref(), storage.disk.volume.as_ref(), Some(kept)),
    };
    json!({
        "target": storage.disk.target,
        "device": storage.disk.device,
        "type": storage.disk.kind,
        "source": storage.source,
        "pool": pool,
        "volume": volume,
        "readonly": storage.disk.readonly,
        "removal": removal,
        "kept": kept,
        "usedBy": used_by,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disk(kind: &str, source: Option<&str>, pool: Option<&str>, volume: Option<&str>) -> VmDisk {
        VmDisk {
            target: "vda".into(),
            device: "disk".into(),
            kind: kind.into(),
            bus: None,
            format: None,
            source: source.map(Into::into),
            pool: pool.map(Into::into),
            volume: volume.map(Into::into),
            readonly: false,
            shareable: false,
            cache: None,
            serial: None,
        }
    }

    #[test]
    fn storage_resolve_by_disk_type_on_the_test_driver() {
        let conn = Connect::open(Some("test:///default")).unwrap();
        let dir = std::env::temp_dir().join(format!("cvtest-storage-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("a.img");
        std::fs::write(&file, b"x").unwrap();
        let file = file.to_str().unwrap();
        let dir_path = dir.to_str().unwrap();

        let removal = |d: VmDisk| resolve(&conn, &d).map(|s| (s.source, s.removal));
        assert_eq!(removal(disk("file", Some(file), None, None)), Some((Some(file.into()), Removal::File)));
        assert_eq!(
            removal(disk("file", Some(dir_path), None, None)),
            Some((Some(dir_path.into()), Removal::Never(Kept::NotRegularFile)))
        );
        assert_eq!(
            removal(disk("block", Some("/dev/sda"), None, None)),
            Some((Some("/dev/sda".into()), Removal::Never(Kept::BlockDevice)))
        );
        assert_eq!(
            removal(disk("network", Some("pool/image"), None, None)),
            Some((Some("pool/image".into()), Removal::Never(Kept::Network)))
        );
        assert_eq!(
            removal(disk("volume", None, Some("nope"), Some("x.qcow2"))),
            Some((None, Removal::Never(Kept::PoolUnavailable)))
        );
        assert_eq!(removal(disk("file", None, None, None)), None, "an empty drive has nothing to delete");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn storage_users_match_by_path_and_by_volume() {
        let storage = DiskStorage {
            disk: disk("volume", None, Some("images"), Some("d.qcow2")),
            source: Some("/pool/d.qcow2".into()),
            removal: Removal::Volume { pool: "images".into(), name: "d.qcow2".into() },
        };
        let mut users = StorageUsers { by_key: HashMap::new() };
        assert!(users.of(&storage).is_empty());
        users.by_key.entry(StorageKey::Path("/pool/d.qcow2".into())).or_default().insert("b".into());
        users.by_key.entry(StorageKey::Volume("images".into(), "d.qcow2".into())).or_default().insert("a".into());
        users.by_key.entry(StorageKey::Path("/pool/e.qcow2".into())).or_default().insert("c".into());
        assert_eq!(users.of(&storage), vec!["a".to_string(), "b".to_string()]);
    }
}
