//! Live usage of the running VMs of one connection, computed once per tick for every channel:
//! the latest `Usage` of each VM (serialized once), its history ring, and whether its QEMU
//! still answers. Watchers ask for what changed since the tick they last sent.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::value::RawValue;

use super::bulk_stats::{DomainRecord, NodeCounters};
use crate::model::history::{History, Point, Series};
use crate::model::usage::{Sample, Usage, usage};

/// Ticks in a row with an incomplete record before a VM counts as not responding.
const UNRESPONSIVE_AFTER: u32 = 2;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HostUsage {
    pub cpus: u32,
    /// Percent of all host CPUs.
    pub cpu: f32,
    pub memory_total: u64,
    pub memory_used: u64,
}

struct Track {
    /// The last complete sample (rates are computed against it).
    last: Option<Sample>,
    /// The most fields a record of this VM has had; fewer means QEMU did not answer.
    usual_fields: usize,
    incomplete_ticks: u32,
    history: History,
    usage: Option<Arc<RawValue>>,
    /// Tick at which `usage` last changed (or the VM stopped: `usage` is then `None`).
    changed: u64,
}

impl Track {
    fn new(history_points: usize, tick: u64) -> Track {
        Track {
            last: None,
            usual_fields: 0,
            incomplete_ticks: 0,
            history: History::new(history_points),
            usage: None,
            changed: tick,
        }
    }

    /// Unchanged numbers (an idle VM) are not sent again.
    fn set(&mut self, next: Arc<RawValue>, tick: u64) {
        if self.usage.as_ref().is_none_or(|old| old.get() != next.get()) {
            self.usage = Some(next);
            self.changed = tick;
        }
    }
}

#[derive(Default)]
struct Inner {
    tick: u64,
    tracks: HashMap<String, Track>,
    host_last: Option<NodeCounters>,
    host: Option<Arc<RawValue>>,
}

pub struct UsageTable {
    inner: Mutex<Inner>,
    history_points: usize,
}

/// What a watcher needs to send after a tick.
pub struct UsageChanges {
    pub tick: u64,
    pub host: Option<Arc<RawValue>>,
    /// `None`: the VM stopped (or vanished) since.
    pub vms: Vec<(String, Option<Arc<RawValue>>)>,
}

fn raw(value: &impl Serialize) -> Arc<RawValue> {
    Arc::from(serde_json::value::to_raw_value(value).expect("usage serializes"))
}

impl UsageTable {
    pub fn new(history_points: usize) -> UsageTable {
        UsageTable { inner: Mutex::new(Inner::default()), history_points }
    }

    /// Folds one tick's records (all running VMs but the `unresponsive` ones, whose QEMU monitor is
    /// known not to answer) into the table.
    pub fn apply(
        &self,
        now: f64,
        unix_time: f64,
        records: &[DomainRecord],
        unresponsive: &HashSet<String>,
        node: Option<NodeCounters>,
    ) {
        let mut inner = self.inner.lock().unwrap();
        inner.tick += 1;
        let tick = inner.tick;
        let history_points = self.history_points;
        for record in records {
            let sample = sample_of(record, now);
            let track = inner.tracks.entry(record.uuid.clone()).or_insert_with(|| Track::new(history_points, tick));
            let lost_vcpu_times = sample.vcpus > 0
                && sample.vcpu_time_ns == 0.0
                && track.last.as_ref().is_some_and(|l| l.vcpu_time_ns > 0.0);
            let complete = sample.field_count >= track.usual_fields && !lost_vcpu_times;
            if complete {
                track.usual_fields = sample.field_count;
                track.incomplete_ticks = 0;
            } else {
                track.incomplete_ticks += 1;
            }
            let responding = track.incomplete_ticks < UNRESPONSIVE_AFTER;
            let next = match (&track.last, complete) {
                (Some(last), true) => Some(usage(last, &sample, true)),
                // Incomplete: keep the last numbers, flag the VM once it stays silent.
                (Some(last), false) => Some(Usage { responding, ..usage(last, last, true) }).filter(|_| !responding),
                (None, _) => None,
            };
            if complete {
                track.last = Some(sample);
            }
            if let Some(next) = next {
                if complete {
                    track.history.push(Point::new(unix_time, &next));
                }
                track.set(raw(&next), tick);
            }
        }
        // Not asked at all: their last numbers with rates at 0, flagged (zeros if never sampled).
        for id in unresponsive.iter().filter(|id| !records.iter().any(|r| &r.uuid == *id)) {
            let track = inner.tracks.entry(id.clone()).or_insert_with(|| Track::new(history_points, tick));
            track.incomplete_ticks = track.incomplete_ticks.max(UNRESPONSIVE_AFTER);
            let last = track.last.clone().unwrap_or_default();
            track.set(raw(&usage(&last, &last, false)), tick);
        }
        // VMs without a record stopped: drop their numbers (history stays for the VM page).
        let running: HashSet<&str> =
            records.iter().map(|r| r.uuid.as_str()).chain(unresponsive.iter().map(String::as_str)).collect();
        for (id, track) in inner.tracks.iter_mut() {
            if !running.contains(id.as_str()) && (track.usage.is_some() || track.last.is_some()) {
                track.usage = None;
                track.last = None;
                track.usual_fields = 0;
                track.changed = tick;
            }
        }
        if let Some(node) = node {
            if let Some(last) = &inner.host_last {
                let total = node.cpu_total_ns - last.cpu_total_ns;
                let busy = node.cpu_busy_ns - last.cpu_busy_ns;
                let cpu = if total > 0.0 { (busy / total * 100.0).clamp(0.0, 100.0) } else { 0.0 };
                inner.host = Some(raw(&HostUsage {
                    cpus: node.cpus,
                    cpu: cpu as f32,
                    memory_total: node.memory_total,
                    memory_used: node.memory_total.saturating_sub(node.memory_available),
                }));
            }
            inner.host_last = Some(node);
        }
    }

    /// Forgets the last samples (not the history) when nobody watches, so the first tick after
    /// a pause does not average over the pause.
    pub fn pause(&self) {
        let mut inner = self.inner.lock().unwrap();
        for track in inner.tracks.values_mut() {
            track.last = None;
        }
        inner.host_last = None;
    }

    pub fn tick(&self) -> u64 {
        self.inner.lock().unwrap().tick
    }

    /// Everything that changed after `since` (0: everything there is).
    pub fn changes_since(&self, since: u64) -> UsageChanges {
        let inner = self.inner.lock().unwrap();
        let vms = inner
            .tracks
            .iter()
            .filter(|(_, track)| track.changed > since && (since > 0 || track.usage.is_some()))
            .map(|(id, track)| (id.clone(), track.usage.clone()))
            .collect();
        UsageChanges { tick: inner.tick, host: inner.host.clone(), vms }
    }

    /// The last `points` CPU values of every VM with history (list sparklines).
    pub fn recent_cpu(&self, points: usize) -> HashMap<String, Vec<f32>> {
        let inner = self.inner.lock().unwrap();
        inner
            .tracks
            .iter()
            .filter(|(_, t)| t.history.len() > 0)
            .map(|(id, t)| (id.clone(), t.history.recent_cpu(points)))
            .collect()
    }

    pub fn series(&self, id: &str) -> Option<Series> {
        self.inner.lock().unwrap().tracks.get(id).map(|t| t.history.series())
    }

    /// Forgets a VM entirely (it was undefined).
    pub fn forget(&self, id: &str) {
        self.inner.lock().unwrap().tracks.remove(id);
    }
}

fn sample_of(record: &DomainRecord, now: f64) -> Sample {
    // A guest's balloon driver reports these: any value, so saturate (`as` clamps NaN and negatives to 0).
    let kib = |name: &str| record.get(name).map(|v| (v as u64).saturating_mul(1024));
    let vcpu_time_ns = record
        .fields
        .iter()
        .filter(|(name, _)| name.starts_with("vcpu.") && name.ends_with(".time"))
        .map(|(_, value)| value)
        .sum();
    let memory_used_by_guest = match (kib("balloon.available"), kib("balloon.usable").or(kib("balloon.unused"))) {
        (Some(available), Some(usable)) if available > 0 => Some(available.saturating_sub(usable)),
        _ => None,
    };
    Sample {
        time: now,
        vcpus: record.get("vcpu.current").unwrap_or(0.0) as u32,
        vcpu_time_ns,
        block_read_bytes: record.sum_indexed("block", "rd.bytes").unwrap_or(0.0),
        block_write_bytes: record.sum_indexed("block", "wr.bytes").unwrap_or(0.0),
        net_rx_bytes: record.sum_indexed("net", "rx.bytes").unwrap_or(0.0),
        net_tx_bytes: record.sum_indexed("net", "tx.bytes").unwrap_or(0.0),
        memory_current: kib("balloon.current").unwrap_or(0),
        memory_used_by_guest,
        field_count: record.fields.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(uuid: &str, vcpu_ns: f64, extra_fields: usize) -> DomainRecord {
        let mut fields: HashMap<String, f64> = [
            ("vcpu.current", 1.0),
            ("vcpu.0.time", vcpu_ns),
            ("balloon.current", 131072.0),
            ("block.count", 1.0),
            ("block.0.rd.bytes", vcpu_ns / 1000.0),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        for i in 0..extra_fields {
            fields.insert(format!("balloon.extra{i}"), 1.0);
        }
        DomainRecord { uuid: uuid.into(), fields }
    }

    fn none() -> HashSet<String> {
        HashSet::new()
    }

    fn usage_of(table: &UsageTable, id: &str) -> Option<serde_json::Value> {
        let changes = table.changes_since(0);
        changes
            .vms
            .into_iter()
            .find(|(i, _)| i == id)
            .and_then(|(_, u)| u)
            .map(|u| serde_json::from_str(u.get()).unwrap())
    }

    #[test]
    fn usage_table_rates_history_and_stop() {
        let table = UsageTable::new(10);
        table.apply(0.0, 1000.0, &[record("a", 0.0, 3)], &none(), None);
        assert!(usage_of(&table, "a").is_none(), "one sample gives no rate yet");
        table.apply(5.0, 1005.0, &[record("a", 2.5e9, 3)], &none(), None);
        let u = usage_of(&table, "a").unwrap();
        assert_eq!(u["cpu"], 50.0);
        assert_eq!(u["responding"], true);
        assert_eq!(table.series("a").unwrap().cpu, vec![50.0]);
        let since = table.tick();
        table.apply(10.0, 1010.0, &[], &none(), None);
        let changes = table.changes_since(since);
        assert_eq!(changes.vms.len(), 1);
        assert!(changes.vms[0].1.is_none(), "a stopped VM is sent as null");
    }

    #[test]
    fn usage_table_not_responding_after_two_incomplete_ticks_and_recovers() {
        let table = UsageTable::new(10);
        table.apply(0.0, 0.0, &[record("a", 1e9, 3)], &none(), None);
        table.apply(5.0, 5.0, &[record("a", 2e9, 3)], &none(), None);
        // QEMU stops answering: NOWAIT returns fewer fields and zero vCPU times.
        table.apply(10.0, 10.0, &[record("a", 0.0, 0)], &none(), None);
        assert_eq!(usage_of(&table, "a").unwrap()["responding"], true, "one bad tick is tolerated");
        table.apply(15.0, 15.0, &[record("a", 0.0, 0)], &none(), None);
        assert_eq!(usage_of(&table, "a").unwrap()["responding"], false);
        table.apply(20.0, 20.0, &[record("a", 4e9, 3)], &none(), None);
        let u = usage_of(&table, "a").unwrap();
        assert_eq!(u["responding"], true);
        // Rate against the last complete sample (t=5 s): 2e9 ns over 15 s on 1 vCPU.
        assert!((u["cpu"].as_f64().unwrap() - 13.333).abs() < 0.01, "{u}");
    }

    /// A VM left out of the call because its monitor is stuck is flagged at once and kept running,
    /// with its last memory and no rates; back in the records, it responds again.
    #[test]
    fn usage_table_unresponsive_vms_flagged_at_once_and_kept() {
        let table = UsageTable::new(10);
        let stuck: HashSet<String> = ["a".to_string(), "never-sampled".to_string()].into();
        table.apply(0.0, 0.0, &[record("a", 1e9, 3)], &none(), None);
        table.apply(5.0, 5.0, &[record("a", 2e9, 3)], &none(), None);
        table.apply(10.0, 10.0, &[], &stuck, None);
        let u = usage_of(&table, "a").expect("still running");
        assert_eq!((u["responding"].clone(), u["cpu"].clone()), (false.into(), 0.0.into()));
        assert_eq!(u["memoryTotal"], 131072u64 * 1024);
        assert_eq!(usage_of(&table, "never-sampled").unwrap()["responding"], false);
        assert_eq!(table.series("a").unwrap().cpu.len(), 1, "no history point while not answering");
        table.apply(15.0, 15.0, &[record("a", 4e9, 3)], &none(), None);
        assert_eq!(usage_of(&table, "a").unwrap()["responding"], true);
        assert!(usage_of(&table, "never-sampled").is_none(), "gone from the running VMs");
    }

    #[test]
    fn usage_table_survives_absurd_balloon_stats() {
        let table = UsageTable::new(10);
        for (t, value) in [(0.0, f64::MAX), (5.0, -1.0), (10.0, f64::NAN), (15.0, 1.8e19)] {
            let mut r = record("a", t * 1e9, 3);
            for name in ["balloon.current", "balloon.available", "balloon.usable", "balloon.unused"] {
                r.fields.insert(name.into(), value);
            }
            table.apply(t, t, &[r], &none(), None);
        }
        assert!(usage_of(&table, "a").is_some());
    }

    #[test]
    fn usage_table_host_cpu_and_memory() {
        let table = UsageTable::new(10);
        let node = |busy: f64, total: f64| NodeCounters {
            cpus: 2,
            cpu_busy_ns: busy,
            cpu_total_ns: total,
            memory_total: 8 << 30,
            memory_available: 6 << 30,
        };
        table.apply(0.0, 0.0, &[], &none(), Some(node(0.0, 0.0)));
        table.apply(5.0, 5.0, &[], &none(), Some(node(2.5e9, 10e9)));
        let host: serde_json::Value = serde_json::from_str(table.changes_since(0).host.unwrap().get()).unwrap();
        assert_eq!(host["cpu"], 25.0);
        assert_eq!(host["memoryUsed"], 2u64 << 30);
    }
}
