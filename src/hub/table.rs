//! The VM table of one connection and its watchers.
//!
//! Each VM is stored with its JSON serialized once, shared by every channel. Watchers get a
//! set of dirty ids plus a wake-up, never a queue: however slow a watcher is, what it holds is
//! bounded by the number of VMs, and it sends each VM's latest state (coalescing).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, Weak};

use serde_json::value::RawValue;
use tokio::sync::Notify;

use crate::model::Vm;

pub struct VmEntry {
    pub vm: Vm,
    pub json: Box<RawValue>,
}

impl VmEntry {
    fn new(vm: Vm) -> VmEntry {
        let json = serde_json::value::to_raw_value(&vm).expect("a Vm always serializes");
        VmEntry { vm, json }
    }
}

/// What changed since a watcher last looked.
#[derive(Default)]
pub struct Pending {
    pub dirty: HashSet<String>,
    pub status_changed: bool,
    /// A usage tick happened.
    pub usage_changed: bool,
}

pub struct Watcher {
    pending: Mutex<Pending>,
    pub wake: Notify,
}

impl Watcher {
    /// Takes everything pending, leaving it empty.
    pub fn take(&self) -> Pending {
        std::mem::take(&mut *self.pending.lock().unwrap())
    }

    fn mark(&self, f: impl FnOnce(&mut Pending)) {
        f(&mut self.pending.lock().unwrap());
        self.wake.notify_one();
    }
}

#[derive(Default)]
struct Inner {
    vms: HashMap<String, Arc<VmEntry>>,
    epoch: u64,
    watchers: Vec<Weak<Watcher>>,
}

#[derive(Default)]
pub struct Table {
    inner: Mutex<Inner>,
}

impl Table {
    pub fn subscribe(&self) -> Arc<Watcher> {
        let watcher = Arc::new(Watcher {
            pending: Mutex::new(Pending { status_changed: true, ..Pending::default() }),
            wake: Notify::new(),
        });
        watcher.wake.notify_one();
        let mut inner = self.inner.lock().unwrap();
        inner.watchers.retain(|w| w.strong_count() > 0);
        inner.watchers.push(Arc::downgrade(&watcher));
        watcher
    }

    pub fn epoch(&self) -> u64 {
        self.inner.lock().unwrap().epoch
    }

    pub fn snapshot(&self) -> (u64, Vec<Arc<VmEntry>>) {
        let inner = self.inner.lock().unwrap();
        (inner.epoch, inner.vms.values().cloned().collect())
    }

    pub fn get(&self, id: &str) -> Option<Arc<VmEntry>> {
        self.inner.lock().unwrap().vms.get(id).cloned()
    }

    /// Replaces the whole table after a (re)listing and starts a new epoch: every watcher
    /// resends its snapshot, so nothing stale survives a reconnect.
    pub fn replace_all(&self, vms: Vec<Vm>) {
        let mut inner = self.inner.lock().unwrap();
        inner.vms = vms.into_iter().map(|vm| (vm.id.clone(), Arc::new(VmEntry::new(vm)))).collect();
        inner.epoch += 1;
        for watcher in live(&mut inner.watchers) {
            watcher.wake.notify_one();
        }
    }

    /// Updates one VM (`None`: it is gone). Watchers are told only if something changed.
    pub fn update(&self, id: &str, vm: Option<Vm>) {
        let mut inner = self.inner.lock().unwrap();
        let changed = match vm {
            Some(vm) => {
                let unchanged = inner.vms.get(id).is_some_and(|old| old.vm == vm);
                if !unchanged {
                    inner.vms.insert(id.to_string(), Arc::new(VmEntry::new(vm)));
                }
                !unchanged
            }
            None => inner.vms.remove(id).is_some(),
        };
        if changed {
            for watcher in live(&mut inner.watchers) {
                watcher.mark(|p| {
                    p.dirty.insert(id.to_string());
                });
            }
        }
    }

    pub fn usage_changed(&self) {
        let mut inner = self.inner.lock().unwrap();
        for watcher in live(&mut inner.watchers) {
            watcher.mark(|p| p.usage_changed = true);
        }
    }

    pub fn status_changed(&self) {
        let mut inner = self.inner.lock().unwrap();
        for watcher in live(&mut inner.watchers) {
            watcher.mark(|p| p.status_changed = true);
        }
    }
}

/// The watchers still alive (their channel is open), pruning the others.
fn live(watchers: &mut Vec<Weak<Watcher>>) -> Vec<Arc<Watcher>> {
    watchers.retain(|w| w.strong_count() > 0);
    watchers.iter().filter_map(Weak::upgrade).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DomainConfig;

    fn vm(id: &str, state: &'static str) -> Vm {
        Vm {
            id: id.into(),
            name: format!("vm-{id}"),
            uri: "test:///default".into(),
            state,
            reason: "unknown",
            persistent: true,
            autostart: false,
            managed_save: false,
            config: DomainConfig::default(),
        }
    }

    #[test]
    fn table_coalesces_changes_per_watcher() {
        let table = Table::default();
        table.replace_all(vec![vm("a", "running"), vm("b", "shutoff")]);
        let watcher = table.subscribe();
        assert!(watcher.take().status_changed);
        for state in ["paused", "running", "paused"] {
            table.update("a", Some(vm("a", state)));
        }
        table.update("b", None);
        let pending = watcher.take();
        assert_eq!(pending.dirty, HashSet::from(["a".to_string(), "b".to_string()]));
        assert_eq!(table.get("a").unwrap().vm.state, "paused");
        assert!(table.get("b").is_none());
    }

    #[test]
    fn table_unchanged_update_wakes_nobody() {
        let table = Table::default();
        table.replace_all(vec![vm("a", "running")]);
        let watcher = table.subscribe();
        watcher.take();
        table.update("a", Some(vm("a", "running")));
        assert!(watcher.take().dirty.is_empty());
    }

    #[test]
    fn table_replace_all_starts_new_epoch_and_drops_dead_watchers() {
        let table = Table::default();
        let watcher = table.subscribe();
        drop(table.subscribe());
        table.replace_all(vec![vm("a", "running")]);
        assert_eq!(table.epoch(), 1);
        assert_eq!(table.inner.lock().unwrap().watchers.len(), 1);
        let (epoch, vms) = table.snapshot();
        assert_eq!((epoch, vms.len()), (1, 1));
        assert!(vms[0].json.get().contains("\"state\":\"running\""));
        drop(watcher);
    }
}
