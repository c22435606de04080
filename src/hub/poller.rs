//! The usage poller of one connection: one bulk-stats call per tick for all running VMs,
//! only while at least one channel watches usage. It only reads numbers; which VMs exist and
//! their state come from events (`session.rs`). A VM whose QEMU does not answer is left out of
//! the call and flagged (`unresponsive.rs`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use log::{debug, warn};

use virt::connect::Connect;

use super::Hub;
use super::bulk_stats::{
    DomainRecord, NodeCounters, TICK_GROUPS, node_counters, running_domain_stats, running_domain_stats_except,
};
use super::unresponsive::Unresponsive;

/// Stats calls still blocked in libvirt that we stopped waiting for. Each waits on one frozen
/// QEMU (flagged VMs are left out of later calls) and holds one of libvirtd's 5 request slots of
/// this connection until that QEMU answers, so we abandon at most this many.
const MAX_ABANDONED_CALLS: usize = 3;
/// Stats calls one tick makes at most: each blocked one flags the VMs it found stuck, the next goes without them.
const ATTEMPTS_PER_TICK: usize = 3;

/// Tick and history length, from the manifest's `environ` (`CVIRT_TICK_MS`, `CVIRT_HISTORY_SECONDS`).
#[derive(Debug, Clone, Copy)]
pub struct PollConfig {
    pub tick: Duration,
    pub history_points: usize,
}

impl PollConfig {
    pub fn from_env() -> PollConfig {
        let number = |name: &str, default: u64| {
            std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok()).filter(|v| *v > 0).unwrap_or(default)
        };
        let tick_ms = number("CVIRT_TICK_MS", 5000).max(250);
        let history_seconds = number("CVIRT_HISTORY_SECONDS", 3600);
        PollConfig {
            tick: Duration::from_millis(tick_ms),
            history_points: (history_seconds * 1000 / tick_ms).max(1) as usize,
        }
    }
}

pub fn spawn(hub: Arc<Hub>) -> std::io::Result<()> {
    let name = format!("poller {}", hub.uri);
    std::thread::Builder::new().name(name).spawn(move || run(hub))?;
    Ok(())
}

type TickResult = (Vec<DomainRecord>, Option<NodeCounters>);

/// One tick's stats, every call on its own thread and waited for at most `deadline`.
///
/// NOWAIT only skips a VM whose QEMU job is already taken: the first call to touch a QEMU that
/// stopped answering takes the job and blocks (measured with libvirt 11.3 and a SIGSTOPped
/// QEMU), and so does every later call that reaches another frozen QEMU. So when a call is late
/// we stop waiting for it, flag the VMs whose monitor is stuck, and ask again without them.
fn fetch(
    conn: &Connect,
    deadline: Duration,
    abandoned: &Arc<AtomicUsize>,
    unresponsive: &mut Unresponsive,
) -> Option<Result<TickResult, virt::error::Error>> {
    unresponsive.recheck(conn);
    for _attempt in 0..ATTEMPTS_PER_TICK {
        if abandoned.load(Ordering::SeqCst) >= MAX_ABANDONED_CALLS {
            return None;
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let conn_for_call = conn.clone();
        let skip = unresponsive.uuids().clone();
        let pending = abandoned.clone();
        pending.fetch_add(1, Ordering::SeqCst);
        let counter = pending.clone();
        let spawned = std::thread::Builder::new().name("stats call".into()).spawn(move || {
            let conn = conn_for_call;
            let records = if skip.is_empty() {
                running_domain_stats(&conn, TICK_GROUPS)
            } else {
                running_domain_stats_except(&conn, &skip, TICK_GROUPS)
            };
            let result = records.map(|records| (records, node_counters(&conn).ok()));
            pending.fetch_sub(1, Ordering::SeqCst);
            let _ = tx.send(result);
        });
        if let Err(err) = spawned {
            counter.fetch_sub(1, Ordering::SeqCst);
            warn!("cannot start a thread for the stats call: {err}");
            return None;
        }
        match rx.recv_timeout(deadline) {
            Ok(result) => return Some(result),
            Err(_) => {
                let found = unresponsive.find_stuck(conn);
                if found == 0 {
                    // Slow rather than stuck (a busy host), or its QEMU's monitor only just got the call: the
                    // late call ends on its own, or holds that VM's job so that the next tick's NOWAIT skips it.
                    warn!("a stats call is late and no QEMU monitor is stuck yet; skipping this tick");
                    return None;
                }
                warn!("a stats call is blocked ({found} more QEMU not answering); asking again without them");
            }
        }
    }
    None
}

fn run(hub: Arc<Hub>) {
    let tick = hub.poll_config.tick;
    // Generous: a busy host makes calls slow without any QEMU being stuck.
    let deadline = (tick / 2).max(Duration::from_millis(2000));
    let abandoned = Arc::new(AtomicUsize::new(0));
    let mut unresponsive = Unresponsive::default();
    let started = Instant::now();
    loop {
        // Sleep while nobody watches usage.
        {
            let mut wake = hub.poll_wake.0.lock().unwrap();
            if hub.usage_watchers.load(Ordering::SeqCst) == 0 {
                hub.usage.pause();
                while hub.usage_watchers.load(Ordering::SeqCst) == 0 && !hub.is_closed() {
                    wake = hub.poll_wake.1.wait(wake).unwrap();
                }
            }
        }
        if hub.is_closed() {
            return;
        }
        let tick_start = Instant::now();
        // History points carry the tick's start: ticks start at least `tick` apart, so times increase.
        let unix = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| (d.as_millis() as f64) / 1000.0).unwrap_or(0.0);
        let conn = hub.conn.read().unwrap().clone();
        if let Some(conn) = conn {
            match fetch(&conn, deadline, &abandoned, &mut unresponsive) {
                Some(Ok((records, node))) => {
                    let now = started.elapsed().as_secs_f64();
                    hub.usage.apply(now, unix, &records, unresponsive.uuids(), node);
                    hub.table.usage_changed();
                }
                Some(Err(err)) => warn!("{}: bulk stats failed: {err}", hub.uri),
                None => debug!("{}: tick skipped, stats calls still blocked", hub.uri),
            }
            let spent = tick_start.elapsed();
            if spent > tick / 2 {
                warn!("{}: a stats tick took {} ms", hub.uri, spent.as_millis());
            }
        }
        std::thread::sleep(tick.saturating_sub(tick_start.elapsed()));
    }
}
