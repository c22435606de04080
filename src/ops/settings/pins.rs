//! CPU pinning of vCPUs and the emulator threads to host CPUs: checked against the VM's vCPUs and the host's
//! CPUs, applied through libvirt's pin calls (`virDomainPinVcpuFlags`, `virDomainPinEmulator`) to the running
//! VM and to the saved definition, each as a step of its own that can be undone.

use std::collections::{BTreeMap, BTreeSet};

use super::Change;
use super::check::{Findings, Plan};
use super::facts::Current;
use crate::xml::cputune::Pins;

/// One pin call: `vcpu` None is the emulator; `config` false is the running VM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinStep {
    pub vcpu: Option<u32>,
    pub config: bool,
    pub new: BTreeSet<u32>,
    pub old: BTreeSet<u32>,
    pub host_cpus: u32,
}

impl PinStep {
    pub fn field(&self) -> &'static str {
        if self.vcpu.is_some() { "vcpuPins" } else { "emulatorPin" }
    }
}

pub fn check(change: &Change, current: &Current, f: &mut Findings) {
    let host = current.host_cpus_online;
    let max_vcpus = current.saved.max_vcpus.max(current.live.as_ref().map_or(0, |l| l.max_vcpus));
    let beyond = |cpus: &[u32]| cpus.iter().copied().find(|c| *c >= host);
    if let Some(pins) = &change.vcpu_pins {
        if let Some(key) = pins.keys().find(|key| vcpu_number(key).is_none()) {
            f.error("vcpuPins", format!("\"{key}\" is not a vCPU number."));
        } else if let Some(vcpu) = pins.keys().filter_map(|key| vcpu_number(key)).find(|v| *v >= max_vcpus) {
            f.error("vcpuPins", format!("The VM has no vCPU {vcpu}: its vCPUs are numbered 0 to {}.", max_vcpus - 1));
        } else if let Some(cpu) = pins.values().find_map(|cpus| beyond(cpus)) {
            f.error("vcpuPins", format!("This host has no CPU {cpu}: its CPUs are numbered 0 to {}.", host - 1));
        }
    }
    if let Some(cpu) = change.emulator_pin.as_deref().and_then(beyond) {
        f.error("emulatorPin", format!("This host has no CPU {cpu}: its CPUs are numbered 0 to {}.", host - 1));
    }
}

/// A vCPU number as a JSON key: digits only.
fn vcpu_number(key: &str) -> Option<u32> {
    key.bytes().all(|b| b.is_ascii_digit()).then(|| key.parse().ok()).flatten()
}

/// An empty list is "any host CPU": every CPU the host has.
fn set_of(cpus: &[u32], host: u32) -> BTreeSet<u32> {
    if cpus.is_empty() { (0..host).collect() } else { cpus.iter().copied().collect() }
}

fn pinned(pins: &Pins, vcpu: Option<u32>, host: u32) -> BTreeSet<u32> {
    let set = match vcpu {
        Some(v) => pins.vcpus.get(&v),
        None => pins.emulator.as_ref(),
    };
    set.cloned().unwrap_or_else(|| (0..host).collect())
}

pub fn plan(change: &Change, current: &Current, plan: &mut Plan) {
    let host = current.host_cpus_online;
    let mut wanted: BTreeMap<Option<u32>, BTreeSet<u32>> = BTreeMap::new();
    for (key, cpus) in change.vcpu_pins.iter().flatten() {
        if let Some(vcpu) = vcpu_number(key) {
            wanted.insert(Some(vcpu), set_of(cpus, host));
        }
    }
    if let Some(cpus) = &change.emulator_pin {
        wanted.insert(None, set_of(cpus, host));
    }
    for (vcpu, new) in wanted {
        // A running VM: only its online vCPUs (and its emulator) can be pinned live.
        if let Some(live) = current.live.as_ref().filter(|live| vcpu.is_none_or(|v| v < live.vcpus)) {
            let old = pinned(&live.pins, vcpu, host);
            if old != new {
                plan.pins.push(PinStep { vcpu, config: false, new: new.clone(), old, host_cpus: host });
            }
        }
        if current.persistent {
            let old = pinned(&current.saved.pins, vcpu, host);
            if old != new {
                plan.pins.push(PinStep { vcpu, config: true, new, old, host_cpus: host });
            }
        }
    }
}
