//! Turning cumulative libvirt counters into what the page shows: CPU % of the VM's vCPUs,
//! memory in use, and disk/network byte rates. Pure functions; the poller feeds them.

use serde::Serialize;

/// The counters of one VM at one moment (from one bulk-stats record).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sample {
    /// Seconds, monotonic.
    pub time: f64,
    pub vcpus: u32,
    /// Sum of the vCPU threads' CPU time, ns.
    pub vcpu_time_ns: f64,
    pub block_read_bytes: f64,
    pub block_write_bytes: f64,
    pub net_rx_bytes: f64,
    pub net_tx_bytes: f64,
    /// Memory the VM has now (`balloon.current`), bytes.
    pub memory_current: u64,
    /// Guest-reported memory in use, bytes, when the guest's balloon driver reports it.
    pub memory_used_by_guest: Option<u64>,
    /// How many fields the record had; a record with fewer than the VM's usual means QEMU did
    /// not answer (NOWAIT left out what needed its monitor).
    pub field_count: usize,
}

/// What one VM uses, as sent to the page.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    /// Percent of the VM's vCPUs (0–100).
    pub cpu: f32,
    pub memory_used: u64,
    pub memory_total: u64,
    /// False: the guest reports no memory statistics and `memory_used` is the assigned memory.
    pub memory_from_guest: bool,
    pub disk_read: f64,
    pub disk_write: f64,
    pub net_rx: f64,
    pub net_tx: f64,
    /// False once two ticks in a row came back incomplete (QEMU not answering).
    pub responding: bool,
}

/// A rate in units per second from two cumulative counters; a counter that went backwards
/// (VM restarted, device replaced) gives 0 rather than a negative spike.
pub fn rate(previous: f64, current: f64, seconds: f64) -> f64 {
    if seconds <= 0.0 || current < previous { 0.0 } else { (current - previous) / seconds }
}

/// Usage between two samples of the same VM.
pub fn usage(previous: &Sample, current: &Sample, responding: bool) -> Usage {
    let seconds = current.time - previous.time;
    let cpu = if current.vcpus == 0 || seconds <= 0.0 || current.vcpu_time_ns == 0.0 {
        0.0
    } else {
        let busy = rate(previous.vcpu_time_ns, current.vcpu_time_ns, seconds) / 1e9;
        (busy / f64::from(current.vcpus) * 100.0).clamp(0.0, 100.0)
    };
    Usage {
        cpu: cpu as f32,
        memory_used: current.memory_used_by_guest.unwrap_or(current.memory_current),
        memory_total: current.memory_current,
        memory_from_guest: current.memory_used_by_guest.is_some(),
        disk_read: rate(previous.block_read_bytes, current.block_read_bytes, seconds),
        disk_write: rate(previous.block_write_bytes, current.block_write_bytes, seconds),
        net_rx: rate(previous.net_rx_bytes, current.net_rx_bytes, seconds),
        net_tx: rate(previous.net_tx_bytes, current.net_tx_bytes, seconds),
        responding,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(time: f64, vcpu_time_ns: f64, read: f64, rx: f64) -> Sample {
        Sample {
            time,
            vcpus: 2,
            vcpu_time_ns,
            block_read_bytes: read,
            net_rx_bytes: rx,
            memory_current: 1 << 30,
            field_count: 20,
            ..Sample::default()
        }
    }

    #[test]
    fn usage_rates_from_known_counter_deltas() {
        // 5 s apart: 5e9 ns of vCPU time on 2 vCPUs = 50 %; 10 MB read = 2 MB/s; 500 KB rx = 100 KB/s.
        let a = sample(100.0, 1e9, 0.0, 1000.0);
        let b = sample(105.0, 6e9, 10e6, 501_000.0);
        let u = usage(&a, &b, true);
        assert!((u.cpu - 50.0).abs() < 1e-4, "{}", u.cpu);
        assert_eq!(u.disk_read, 2e6);
        assert_eq!(u.net_rx, 100_000.0);
        assert_eq!(u.disk_write, 0.0);
        assert_eq!(u.memory_used, 1 << 30);
        assert!(!u.memory_from_guest);
    }

    #[test]
    fn usage_counter_reset_gives_zero_not_negative() {
        let a = sample(100.0, 9e9, 10e6, 0.0);
        let b = sample(105.0, 1e9, 1e6, 0.0);
        let u = usage(&a, &b, true);
        assert_eq!(u.cpu, 0.0);
        assert_eq!(u.disk_read, 0.0);
    }

    #[test]
    fn usage_cpu_is_clamped_and_guest_memory_preferred() {
        let a = sample(0.0, 0.0, 0.0, 0.0);
        let mut b = sample(1.0, 5e9, 0.0, 0.0);
        b.memory_used_by_guest = Some(300 << 20);
        let u = usage(&a, &b, false);
        assert_eq!(u.cpu, 100.0);
        assert_eq!(u.memory_used, 300 << 20);
        assert!(u.memory_from_guest);
        assert!(!u.responding);
    }
}
