//! op `host-devices`: the host's PCI, USB, SCSI and mediated devices on one connection, each with the VMs that
//! use it and whether the host itself does (`docs/api.md`). The hub lists them once and follows node-device
//! events; this op joins them with the VM table and sends merge patches of what changed since it last sent.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Context, OpBody, OpResult, parse_options};
use crate::hub::{ConnectionStatus, Hub, VmEntry};
use crate::model::hostdev::{HostdevKey, NodeDevice};
use crate::model::uri::Uri;
use crate::problem::Problem;
use crate::router::channel::{ChannelInput, ChannelIo};

#[derive(Deserialize)]
struct HostDevicesOptions {
    uri: Uri,
}

pub fn open(options: &Map<String, Value>, ctx: &Arc<Context>) -> Result<OpBody, Problem> {
    let options: HostDevicesOptions = parse_options(options)?;
    let hub = ctx.hubs.get(&options.uri)?;
    Ok(Box::new(move |io| Box::pin(run(io, hub))))
}

/// Host drivers that hold a PCI device for VMs rather than use it.
const VM_DRIVERS: [&str; 3] = ["vfio-pci", "pci-stub", "pciback"];

/// The VMs (id → name) that have each host device key, now or at their next boot.
pub fn users_by_key(vms: &[Arc<VmEntry>]) -> HashMap<HostdevKey, BTreeMap<String, String>> {
    let mut users: HashMap<HostdevKey, BTreeMap<String, String>> = HashMap::new();
    for entry in vms {
        let config = &entry.vm.config;
        let saved = config.saved.iter().flat_map(|s| s.hostdevs.iter());
        for key in config.hostdevs.iter().chain(saved).filter_map(|h| h.key) {
            users.entry(key).or_default().insert(entry.vm.id.clone(), entry.vm.name.clone());
        }
    }
    users
}

/// One device as sent: what libvirt lists, the VMs using it, and the host driver using it (PCI).
fn joined(device: &NodeDevice, users: &HashMap<HostdevKey, BTreeMap<String, String>>) -> Value {
    let mut used_by = BTreeMap::new();
    for key in device.key.iter().chain(device.usb_at.iter()) {
        if let Some(vms) = users.get(key) {
            used_by.extend(vms.iter().map(|(id, name)| (id.clone(), name.clone())));
        }
    }
    let host_driver = (device.kind == "pci")
        .then_some(device.driver.as_deref())
        .flatten()
        .filter(|driver| !VM_DRIVERS.contains(driver));
    let mut value = serde_json::to_value(device).expect("node devices serialize");
    value["usedBy"] = json!(used_by.into_iter().map(|(id, name)| json!({"id": id, "name": name})).collect::<Vec<_>>());
    value["hostDriver"] = json!(host_driver);
    value
}

async fn run(mut io: ChannelIo, hub: Arc<Hub>) -> OpResult {
    let mut version = hub.node_devices.subscribe();
    let mut status_rx = hub.status_receiver();
    let vm_watcher = hub.subscribe();
    hub.watch_node_devices();
    io.ready();
    let mut sent_status: Option<ConnectionStatus> = None;
    let mut sent_epoch = 0;
    let mut sent: HashMap<String, Value> = HashMap::new();
    let mut sent_driver = Value::Null;
    // The devices or the VMs changed since the join was last made (usage ticks wake the VM watcher too).
    let mut stale = true;
    let mut vm_epoch = hub.epoch();
    loop {
        io.writable().await;
        let status = hub.status();
        if sent_status.as_ref() != Some(&status) {
            io.send_json(&json!({ "connection": status }));
            sent_status = Some(status);
        }
        let snapshot = hub.node_devices.snapshot();
        let fresh = snapshot.epoch > 0 && snapshot.epoch != sent_epoch;
        if snapshot.epoch > 0 && (fresh || stale) {
            stale = false;
            if fresh {
                io.send_json(&json!({"reset": true}));
                sent.clear();
            }
            let driver = json!(snapshot.driver);
            if fresh || driver != sent_driver {
                io.send_json(&json!({ "driver": driver }));
                sent_driver = driver;
            }
            let users = users_by_key(&hub.snapshot().1);
            let mut patch = Map::new();
            let mut now = HashMap::new();
            for (name, (device, _)) in &snapshot.devices {
                let value = joined(device, &users);
                if sent.get(name) != Some(&value) {
                    patch.insert(name.clone(), value.clone());
                }
                now.insert(name.clone(), value);
            }
            for name in sent.keys().filter(|name| !now.contains_key(*name)) {
                patch.insert(name.clone(), Value::Null);
            }
            if !patch.is_empty() || fresh {
                io.send_json(&json!({ "devices": patch }));
            }
            sent = now;
            if fresh {
                io.send_json(&json!({"synced": true}));
                sent_epoch = snapshot.epoch;
            }
        }
        tokio::select! {
            _ = version.changed() => stale = true,
            _ = status_rx.changed() => {}
            _ = vm_watcher.wake.notified() => {
                // A relisting (a new epoch) marks nothing dirty but may change everything.
                stale |= !vm_watcher.take().dirty.is_empty() || hub.epoch() != vm_epoch;
                vm_epoch = hub.epoch();
            }
            input = io.recv() => match input {
                None => return Ok(Map::new()),
                Some(ChannelInput::Data(data)) => match serde_json::from_slice::<Value>(&data) {
                    Ok(Value::Object(_)) => {}
                    _ => return Err(Problem::protocol("host-devices channel data must be JSON objects")),
                },
                Some(ChannelInput::Options | ChannelInput::Done) => {}
            },
        }
    }
}
