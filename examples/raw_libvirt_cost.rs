//! The raw libvirt cost of one VM-list snapshot, the yardstick of `bench/run.sh`.
//!
//!     cargo run --release --example raw_libvirt_cost -- URI
//!
//! Does what any client must do to show every VM of a connection, with nothing of our own on
//! top: connect, list all domains, fetch the XML of each, and one bulk stats call
//! (`virConnectGetAllDomainStats` for all domains, with the groups and the `NOWAIT` flag of the
//! helper's poller). No parsing, no JSON. Each phase is timed on its own and printed as one JSON
//! line, so the benchmark can quote the cost with and without connecting (`test:///<file>` parses
//! its whole file at connect time). A domain that another client removes meanwhile is skipped and
//! counted (`vanished`): the libvirtd may be shared.
//!
//! Two more phases are timed after the raw cost and are not part of it: the per-domain
//! `virDomainGetState` and the three flag listings (autostart, managed save, transient) that the
//! helper also makes, so the benchmark can say where a difference comes from.

use std::ffi::c_int;
use std::time::Instant;

use virt::connect::Connect;
use virt::domain::Domain;
use virt_sys as sys;

/// The groups the helper's poller asks for each tick (`src/hub/bulk_stats.rs`).
const GROUPS: u32 = sys::VIR_DOMAIN_STATS_STATE
    | sys::VIR_DOMAIN_STATS_BALLOON
    | sys::VIR_DOMAIN_STATS_VCPU
    | sys::VIR_DOMAIN_STATS_INTERFACE
    | sys::VIR_DOMAIN_STATS_BLOCK;

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// CPU time of this process so far (all threads), in ms: with `test:///` all the work is ours.
fn cpu_ms() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: a valid clock id and out-pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 * 1000.0 + ts.tv_nsec as f64 / 1e6
}

fn fail(what: &str, err: virt::error::Error) -> ! {
    eprintln!("raw_libvirt_cost: {what}: {err}");
    std::process::exit(1);
}

/// A field of /proc/self/status in KiB (VmRSS, VmHWM).
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Whether an error says the domain is gone (another client undefined it since the listing).
fn vanished(err: &virt::error::Error) -> bool {
    err.code().to_raw() == sys::VIR_ERR_NO_DOMAIN
}

/// One `virConnectGetAllDomainStats` for every domain; returns (records, typed parameters).
/// NOWAIT as in the helper's poller: a QEMU that does not answer is not waited for.
fn bulk_stats(conn: &Connect) -> (usize, usize) {
    let mut records: *mut sys::virDomainStatsRecordPtr = std::ptr::null_mut();
    let flags = sys::VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT;
    // SAFETY: a valid connection and out-pointer; the list is freed below.
    let count = unsafe { sys::virConnectGetAllDomainStats(conn.as_ptr(), GROUPS, &mut records, flags) };
    if count < 0 {
        fail("virConnectGetAllDomainStats", virt::error::Error::last_error());
    }
    let mut params = 0;
    for i in 0..count as usize {
        // SAFETY: libvirt returned `count` valid record pointers.
        params += unsafe { (**records.add(i)).nparams } as usize;
    }
    // SAFETY: the list libvirt allocated, freed once.
    unsafe { sys::virDomainStatsRecordListFree(records) };
    (count as usize, params)
}

fn main() {
    let Some(uri) = std::env::args().nth(1) else {
        eprintln!("usage: raw_libvirt_cost URI");
        std::process::exit(2);
    };
    virt::error::clear_error_callback();

    let (t, cpu0) = (Instant::now(), cpu_ms());
    let conn = Connect::open(Some(&uri)).unwrap_or_else(|e| fail("connect", e));
    let connect_ms = ms(t);
    let cpu1 = cpu_ms();
    // With test:/// the driver's copy of every domain lives in this process from here on.
    let rss_after_connect_kib = status_kib("VmRSS");

    let t = Instant::now();
    let domains = conn.list_all_domains(0).unwrap_or_else(|e| fail("list", e));
    let list_ms = ms(t);

    let t = Instant::now();
    let (mut xml_bytes, mut gone) = (0, 0);
    for domain in &domains {
        match domain.xml_desc(0) {
            Ok(xml) => xml_bytes += xml.len(),
            Err(err) if vanished(&err) => gone += 1,
            Err(err) => fail("XML", err),
        }
    }
    let xml_ms = ms(t);

    let t = Instant::now();
    let (stats_records, stats_params) = bulk_stats(&conn);
    let stats_ms = ms(t);
    let cpu2 = cpu_ms();

    // Not part of the raw cost: what the helper calls on top, for the explanation.
    let t = Instant::now();
    for domain in &domains {
        let (mut state, mut reason): (c_int, c_int) = (0, 0);
        // SAFETY: a valid domain and two out-parameters.
        if unsafe { sys::virDomainGetState(domain.as_ptr(), &mut state, &mut reason, 0) } < 0 {
            let err = virt::error::Error::last_error();
            if !vanished(&err) {
                fail("state", err);
            }
        }
    }
    let state_each_ms = ms(t);

    let t = Instant::now();
    for flag in [
        sys::VIR_CONNECT_LIST_DOMAINS_AUTOSTART,
        sys::VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE,
        sys::VIR_CONNECT_LIST_DOMAINS_TRANSIENT,
    ] {
        let listed: Vec<Domain> = conn.list_all_domains(flag).unwrap_or_else(|e| fail("flag list", e));
        drop(listed);
    }
    let flag_lists_ms = ms(t);

    let raw_ms = list_ms + xml_ms + stats_ms;
    println!(
        "{}",
        serde_json::json!({
            "uri": uri,
            "domains": domains.len(),
            "vanished": gone,
            "connect_ms": connect_ms,
            "list_ms": list_ms,
            "xml_ms": xml_ms,
            "stats_ms": stats_ms,
            "raw_ms": raw_ms,
            "raw_with_connect_ms": connect_ms + raw_ms,
            "connect_cpu_ms": cpu1 - cpu0,
            "raw_cpu_ms": cpu2 - cpu1,
            "rss_after_connect_kib": rss_after_connect_kib,
            "hwm_kib": status_kib("VmHWM"),
            "xml_bytes": xml_bytes,
            "stats_records": stats_records,
            "stats_params": stats_params,
            "state_each_ms": state_each_ms,
            "flag_lists_ms": flag_lists_ms,
        })
    );
}
