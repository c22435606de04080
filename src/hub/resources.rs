//! The storage pools and virtual networks of one connection: read from libvirt (all at connect, then
//! only the object an event names) and kept as JSON, serialized once per change. Watchers follow a
//! version number and diff against what they sent, so a slow one gets the latest state, not a backlog.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::value::RawValue;
use tokio::sync::watch;
use virt::connect::Connect;
use virt::error::Error;
use virt::network::Network as VirtNetwork;
use virt::storage_pool::StoragePool;

use crate::model::resources::{Network, NetworkConfig, Pool, pool_state_name};
use crate::xml::network::parse_network;
use crate::xml::pool::{PoolXml, parse_pool};

/// Which kind of object an event or a refresh names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ResourceKind {
    Pool,
    Network,
}

/// Whether a driver answered the listing; `Unavailable` carries libvirt's message (driver not installed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum DriverStatus {
    Available {
        /// Storage only: each pool type and whether this libvirtd has its backend.
        #[serde(rename = "poolTypes", skip_serializing_if = "Option::is_none")]
        pool_types: Option<BTreeMap<String, bool>>,
    },
    Unavailable {
        message: String,
    },
}

#[derive(Clone)]
pub struct ResourceSnapshot {
    pub epoch: u64,
    pub pools: HashMap<String, Arc<RawValue>>,
    pub networks: HashMap<String, Arc<RawValue>>,
    pub pool_driver: DriverStatus,
    pub network_driver: DriverStatus,
    /// Names by id, for ops that act by name.
    pub pool_values: HashMap<String, Pool>,
    pub network_values: HashMap<String, Network>,
}

pub struct ResourceTable {
    inner: Mutex<ResourceSnapshot>,
    version: watch::Sender<u64>,
}

impl Default for ResourceTable {
    fn default() -> ResourceTable {
        let unknown = DriverStatus::Unavailable { message: "not listed yet".into() };
        ResourceTable {
            inner: Mutex::new(ResourceSnapshot {
                epoch: 0,
                pools: HashMap::new(),
                networks: HashMap::new(),
                pool_driver: unknown.clone(),
                network_driver: unknown,
                pool_values: HashMap::new(),
                network_values: HashMap::new(),
            }),
            version: watch::channel(0).0,
        }
    }
}

fn raw<T: Serialize>(value: &T) -> Arc<RawValue> {
    Arc::from(serde_json::value::to_raw_value(value).expect("resources always serialize"))
}

impl ResourceTable {
    /// Wakes on every change; read `snapshot` after it fires.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    pub fn snapshot(&self) -> ResourceSnapshot {
        self.inner.lock().unwrap().clone()
    }

    fn bump(&self) {
        self.version.send_modify(|v| *v += 1);
    }

    /// Everything after a (re)connect: a new epoch, so watchers send a fresh snapshot.
    pub fn replace_all(&self, listing: Listing) {
        {
            let mut inner = self.inner.lock().unwrap();
            inner.epoch += 1;
            inner.pool_driver = listing.pool_driver;
            inner.network_driver = listing.network_driver;
            inner.pools = listing.pools.iter().map(|p| (p.id.clone(), raw(p))).collect();
            inner.networks = listing.networks.iter().map(|n| (n.id.clone(), raw(n))).collect();
            inner.pool_values = listing.pools.into_iter().map(|p| (p.id.clone(), p)).collect();
            inner.network_values = listing.networks.into_iter().map(|n| (n.id.clone(), n)).collect();
        }
        self.bump();
    }

    /// Stores a re-read pool. Always a change: `refreshed` counts re-reads (see `Pool`).
    pub fn update_pool(&self, id: &str, pool: Option<Pool>) {
        let mut inner = self.inner.lock().unwrap();
        if pool.is_none() && !inner.pool_values.contains_key(id) {
            return;
        }
        match pool {
            Some(mut pool) => {
                pool.refreshed = inner.pool_values.get(id).map_or(0, |old| old.refreshed + 1);
                inner.pools.insert(id.to_string(), raw(&pool));
                inner.pool_values.insert(id.to_string(), pool);
            }
            None => {
                inner.pools.remove(id);
                inner.pool_values.remove(id);
            }
        }
        drop(inner);
        self.bump();
    }

    pub fn update_network(&self, id: &str, network: Option<Network>) {
        let mut inner = self.inner.lock().unwrap();
        if inner.network_values.get(id) == network.as_ref() {
            return;
        }
        match network {
            Some(network) => {
                inner.networks.insert(id.to_string(), raw(&network));
                inner.network_values.insert(id.to_string(), network);
            }
            None => {
                inner.networks.remove(id);
                inner.network_values.remove(id);
            }
        }
        drop(inner);
        self.bump();
    }
}

pub struct Listing {
    pub pools: Vec<Pool>,
    pub networks: Vec<Network>,
    pub pool_driver: DriverStatus,
    pub network_driver: DriverStatus,
}

/// Lists every pool and network. A driver that is missing is reported, not fatal.
pub fn list_all(conn: &Connect) -> Listing {
    let (pools, pool_driver) = match conn.list_all_storage_pools(0) {
        Ok(list) => (
            list.iter().filter_map(|p| read_pool(p).ok()).collect(),
            DriverStatus::Available { pool_types: pool_types(conn) },
        ),
        Err(err) => (Vec::new(), DriverStatus::Unavailable { message: err.message().to_string() }),
    };
    let (networks, network_driver) = match conn.list_all_networks(0) {
        Ok(list) => {
            (list.iter().filter_map(|n| read_network(n).ok()).collect(), DriverStatus::Available { pool_types: None })
        }
        Err(err) => (Vec::new(), DriverStatus::Unavailable { message: err.message().to_string() }),
    };
    Listing { pools, networks, pool_driver, network_driver }
}

/// `virConnectGetStoragePoolCapabilities` through `virt-sys` (no wrapper in `virt`); `None` if it fails.
fn pool_types(conn: &Connect) -> Option<BTreeMap<String, bool>> {
    // SAFETY: a valid connection; libvirt returns a malloc'd string (or NULL), freed below.
    let ptr = unsafe { virt_sys::virConnectGetStoragePoolCapabilities(conn.as_ptr(), 0) };
    if ptr.is_null() {
        return None;
    }
    // SAFETY: NUL-terminated by libvirt.
    let xml = unsafe { std::ffi::CStr::from_ptr(ptr) }.to_string_lossy().into_owned();
    // SAFETY: the string libvirt allocated.
    unsafe { libc::free(ptr as *mut libc::c_void) };
    crate::xml::pool::parse_pool_capabilities(&xml).ok()
}

pub fn read_pool(pool: &StoragePool) -> Result<Pool, Error> {
    let info = pool.info()?;
    let xml = pool.xml_desc(0)?;
    // An XML we cannot read still lists the pool, without type and path.
    let parsed = parse_pool(&xml).unwrap_or_else(|err| {
        log::warn!("{err:#}");
        PoolXml { kind: String::new(), path: None, source: None }
    });
    Ok(Pool {
        id: pool.uuid_string()?,
        name: pool.name()?,
        kind: parsed.kind,
        state: pool_state_name(info.state),
        active: pool.is_active()?,
        persistent: pool.is_persistent()?,
        autostart: pool.autostart().unwrap_or(false),
        capacity: info.capacity,
        allocation: info.allocation,
        available: info.available,
        path: parsed.path,
        source: parsed.source,
        refreshed: 0,
    })
}

pub fn read_network(network: &VirtNetwork) -> Result<Network, Error> {
    let xml = network.xml_desc(0)?;
    let config = parse_network(&xml).unwrap_or_else(|err| {
        log::warn!("{err:#}");
        NetworkConfig { name: network.name().unwrap_or_default(), ..NetworkConfig::default() }
    });
    Ok(Network {
        id: network.uuid_string()?,
        active: network.is_active()?,
        persistent: network.is_persistent()?,
        autostart: network.autostart().unwrap_or(false),
        config,
    })
}

/// Re-reads one object by UUID: `Ok(None)` when it no longer exists.
pub fn read_one(conn: &Connect, kind: ResourceKind, uuid: &str) -> Result<ReadOne, Error> {
    let gone =
        |err: &Error| matches!(err.code().to_raw(), virt_sys::VIR_ERR_NO_STORAGE_POOL | virt_sys::VIR_ERR_NO_NETWORK);
    match kind {
        ResourceKind::Pool => match conn.lookup_storage_pool_by_uuid_string(uuid).and_then(|p| read_pool(&p)) {
            Ok(pool) => Ok(ReadOne::Pool(Some(pool))),
            Err(err) if gone(&err) => Ok(ReadOne::Pool(None)),
            Err(err) => Err(err),
        },
        ResourceKind::Network => match conn.lookup_network_by_uuid_string(uuid).and_then(|n| read_network(&n)) {
            Ok(network) => Ok(ReadOne::Network(Some(network))),
            Err(err) if gone(&err) => Ok(ReadOne::Network(None)),
            Err(err) => Err(err),
        },
    }
}

/// Failed re-reads of one object are tried again after [`RETRY_DELAY`], at most [`MAX_RETRIES`] times.
const RETRY_DELAY: std::time::Duration = std::time::Duration::from_secs(2);
const MAX_RETRIES: u8 = 3;

pub fn retry_later(tx: &std::sync::mpsc::Sender<super::HubCommand>, kind: ResourceKind, uuid: String, failures: u8) {
    if failures >= MAX_RETRIES {
        return;
    }
    let tx = tx.clone();
    // A short-lived sleeper keeps the hub thread free; a dropped hub makes the send fail harmlessly.
    let _ = std::thread::Builder::new().name("resource-retry".into()).spawn(move || {
        std::thread::sleep(RETRY_DELAY);
        let _ = tx.send(super::HubCommand::ResourceChanged(kind, uuid, failures + 1));
    });
}

pub enum ReadOne {
    Pool(Option<Pool>),
    Network(Option<Network>),
}

impl ResourceTable {
    pub fn apply(&self, uuid: &str, read: ReadOne) {
        match read {
            ReadOne::Pool(pool) => self.update_pool(uuid, pool),
            ReadOne::Network(network) => self.update_network(uuid, network),
        }
    }
}
