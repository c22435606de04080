//! The host devices (PCI, USB, SCSI, mediated; Fibre Channel adapters) of one connection, for giving them to VMs. Listed once per
//! connection, and only once someone watches them (a host can have hundreds); then only the device a
//! node-device event names is re-read. Kept as JSON serialized once per change; watchers follow a version.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::value::RawValue;
use tokio::sync::watch;
use virt::connect::Connect;
use virt::error::Error;
use virt::nodedev::NodeDevice as VirtNodeDevice;
use virt_sys as sys;

use super::resources::DriverStatus;
use crate::model::hostdev::NodeDevice;
use crate::xml::nodedev::parse_node_device;

#[derive(Clone)]
pub struct NodeDeviceSnapshot {
    /// 0 until the first listing; each listing (each connection) is a new epoch.
    pub epoch: u64,
    pub driver: DriverStatus,
    pub devices: HashMap<String, (NodeDevice, Arc<RawValue>)>,
}

pub struct NodeDeviceTable {
    inner: Mutex<NodeDeviceSnapshot>,
    /// Someone watched the devices: list them at each connect from now on.
    wanted: AtomicBool,
    version: watch::Sender<u64>,
}

impl Default for NodeDeviceTable {
    fn default() -> NodeDeviceTable {
        NodeDeviceTable {
            inner: Mutex::new(NodeDeviceSnapshot {
                epoch: 0,
                driver: DriverStatus::Unavailable { message: "not listed yet".into() },
                devices: HashMap::new(),
            }),
            wanted: AtomicBool::new(false),
            version: watch::channel(0).0,
        }
    }
}

fn raw(device: &NodeDevice) -> Arc<RawValue> {
    Arc::from(serde_json::value::to_raw_value(device).expect("node devices always serialize"))
}

impl NodeDeviceTable {
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    pub fn snapshot(&self) -> NodeDeviceSnapshot {
        self.inner.lock().unwrap().clone()
    }

    /// Marks the table wanted; true the first time (the hub thread must then list it).
    pub fn want(&self) -> bool {
        !self.wanted.swap(true, Ordering::SeqCst)
    }

    pub fn wanted(&self) -> bool {
        self.wanted.load(Ordering::SeqCst)
    }

    fn bump(&self) {
        self.version.send_modify(|v| *v += 1);
    }

    pub fn replace_all(&self, (devices, driver): (Vec<NodeDevice>, DriverStatus)) {
        {
            let mut inner = self.inner.lock().unwrap();
            inner.epoch += 1;
            inner.driver = driver;
            inner.devices = devices
                .into_iter()
                .map(|d| (d.name.clone(), (raw(&d), d)))
                .map(|(name, (json, d))| (name, (d, json)))
                .collect();
        }
        self.bump();
    }

    /// Stores a re-read device (`None`: gone, or not a kind VMs are given). Ignored before the first listing.
    pub fn update(&self, name: &str, device: Option<NodeDevice>) {
        let mut inner = self.inner.lock().unwrap();
        if inner.epoch == 0 || inner.devices.get(name).map(|d| &d.0) == device.as_ref() {
            return;
        }
        match device {
            Some(device) => {
                let json = raw(&device);
                inner.devices.insert(name.to_string(), (device, json));
            }
            None => {
                inner.devices.remove(name);
            }
        }
        drop(inner);
        self.bump();
    }
}

/// The device types VMs can be given, and the FC adapters their SCSI storage sits on, in one listing call.
const LIST_FLAGS: sys::virConnectListAllNodeDeviceFlags = sys::VIR_CONNECT_LIST_NODE_DEVICES_CAP_PCI_DEV
    | sys::VIR_CONNECT_LIST_NODE_DEVICES_CAP_USB_DEV
    | sys::VIR_CONNECT_LIST_NODE_DEVICES_CAP_SCSI
    | sys::VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV
    | sys::VIR_CONNECT_LIST_NODE_DEVICES_CAP_FC_HOST;

/// Every PCI, USB, SCSI, mediated device and FC adapter. A missing node device driver is reported, not fatal.
pub fn list_all(conn: &Connect) -> (Vec<NodeDevice>, DriverStatus) {
    match conn.list_all_node_devices(LIST_FLAGS) {
        Ok(list) => (
            list.iter().filter_map(|d| read_device(d).ok().flatten()).collect(),
            DriverStatus::Available { pool_types: None },
        ),
        Err(err) => (Vec::new(), DriverStatus::Unavailable { message: err.message().to_string() }),
    }
}

fn read_device(device: &VirtNodeDevice) -> Result<Option<NodeDevice>, Error> {
    let xml = device.xml_desc(0)?;
    Ok(parse_node_device(&xml).unwrap_or_else(|err| {
        log::warn!("{err:#}");
        None
    }))
}

/// Re-reads one device by name: `Ok(None)` when it no longer exists.
pub fn read_one(conn: &Connect, name: &str) -> Result<Option<NodeDevice>, Error> {
    match conn.lookup_node_device_by_name(name).and_then(|d| read_device(&d)) {
        Ok(device) => Ok(device),
        Err(err) if err.code().to_raw() == sys::VIR_ERR_NO_NODE_DEVICE => Ok(None),
        Err(err) => Err(err),
    }
}

/// A failed re-read is tried again after 2 s, at most three times (as for pools and networks).
pub fn retry_later(tx: &std::sync::mpsc::Sender<super::HubCommand>, name: String, failures: u8) {
    if failures >= 3 {
        return;
    }
    let tx = tx.clone();
    let _ = std::thread::Builder::new().name("device-retry".into()).spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(2));
        let _ = tx.send(super::HubCommand::NodeDeviceChanged(name, failures + 1));
    });
}
