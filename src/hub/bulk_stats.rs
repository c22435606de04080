//! `virConnectGetAllDomainStats` and the node CPU/memory counters, through `virt-sys`.
//!
//! The `virt` crate's wrapper leaks the records and does not decode them, so we call libvirt
//! directly and free with `virDomainStatsRecordListFree`.

use std::collections::{HashMap, HashSet};
use std::ffi::{CStr, c_char, c_int};

use virt::connect::Connect;
use virt::error::Error;
use virt_sys as sys;

/// One domain's record: numeric fields by name (`cpu.time`, `block.0.rd.bytes`, …).
#[derive(Debug, Clone, Default)]
pub struct DomainRecord {
    pub uuid: String,
    pub fields: HashMap<String, f64>,
}

impl DomainRecord {
    pub fn get(&self, name: &str) -> Option<f64> {
        self.fields.get(name).copied()
    }

    /// Sum of `<prefix>.N.<suffix>` for N in 0..`<prefix>.count`.
    pub fn sum_indexed(&self, prefix: &str, suffix: &str) -> Option<f64> {
        let count = self.get(&format!("{prefix}.count"))? as usize;
        Some((0..count).filter_map(|i| self.get(&format!("{prefix}.{i}.{suffix}"))).sum())
    }
}

/// Groups polled every tick. CPU_TOTAL is left out on purpose: with libvirt 11.3 it blocks on
/// a stopped QEMU even with NOWAIT (measured), while the VCPU group answers at once; guest CPU
/// time comes from the per-vCPU times instead.
pub const TICK_GROUPS: u32 = sys::VIR_DOMAIN_STATS_STATE
    | sys::VIR_DOMAIN_STATS_BALLOON
    | sys::VIR_DOMAIN_STATS_VCPU
    | sys::VIR_DOMAIN_STATS_INTERFACE
    | sys::VIR_DOMAIN_STATS_BLOCK;

/// All running VMs, without waiting for a busy QEMU monitor (its VM comes back with fewer fields).
pub fn running_domain_stats(conn: &Connect, groups: u32) -> Result<Vec<DomainRecord>, Error> {
    let flags = sys::VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE | sys::VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT;
    domain_stats(conn, groups, flags)
}

/// The running VMs but those in `skip` (QEMUs known not to answer), without waiting for a busy
/// monitor: `virDomainListGetStats` with an explicit list, so a call never touches them.
pub fn running_domain_stats_except(
    conn: &Connect,
    skip: &HashSet<String>,
    groups: u32,
) -> Result<Vec<DomainRecord>, Error> {
    let running = conn.list_all_domains(sys::VIR_CONNECT_LIST_DOMAINS_ACTIVE)?;
    let mut listed: Vec<sys::virDomainPtr> = running
        .iter()
        .filter(|domain| domain.uuid_string().is_ok_and(|uuid| !skip.contains(&uuid)))
        // SAFETY: the pointer is only used while `running` holds the domain.
        .map(|domain| unsafe { domain.as_ptr() })
        .collect();
    if listed.is_empty() {
        return Ok(Vec::new());
    }
    // libvirt reads the list up to a NULL; `running` keeps the domains alive during the call.
    listed.push(std::ptr::null_mut());
    let mut records: *mut sys::virDomainStatsRecordPtr = std::ptr::null_mut();
    // SAFETY: a NULL-terminated list of valid domains and an out-pointer; the records are freed in `decode`.
    let count = unsafe {
        sys::virDomainListGetStats(
            listed.as_mut_ptr(),
            groups,
            &mut records,
            sys::VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT,
        )
    };
    decode(count, records)
}

/// `virConnectGetAllDomainStats` with the given groups and flags, decoded.
pub fn domain_stats(conn: &Connect, groups: u32, flags: u32) -> Result<Vec<DomainRecord>, Error> {
    let mut records: *mut sys::virDomainStatsRecordPtr = std::ptr::null_mut();
    // SAFETY: valid connection and out-pointer; the list is freed in `decode`.
    let count = unsafe { sys::virConnectGetAllDomainStats(conn.as_ptr(), groups, &mut records, flags) };
    decode(count, records)
}

/// The records libvirt returned (`count` of them, or -1 on error), decoded and freed.
fn decode(count: c_int, records: *mut sys::virDomainStatsRecordPtr) -> Result<Vec<DomainRecord>, Error> {
    if count < 0 {
        return Err(Error::last_error());
    }
    let mut out = Vec::with_capacity(count as usize);
    for i in 0..count as usize {
        // SAFETY: libvirt returned `count` valid record pointers.
        let record = unsafe { &**records.add(i) };
        let mut uuid_buf = [0 as c_char; sys::VIR_UUID_STRING_BUFLEN as usize];
        // SAFETY: the record's domain is valid until the list is freed.
        if unsafe { sys::virDomainGetUUIDString(record.dom, uuid_buf.as_mut_ptr()) } < 0 {
            continue;
        }
        let uuid = unsafe { CStr::from_ptr(uuid_buf.as_ptr()) }.to_string_lossy().into_owned();
        // SAFETY: `params` holds `nparams` entries.
        let fields = unsafe { decode_params(record.params, record.nparams) };
        out.push(DomainRecord { uuid, fields });
    }
    // SAFETY: the list libvirt allocated, freed once.
    unsafe { sys::virDomainStatsRecordListFree(records) };
    Ok(out)
}

/// Numeric typed parameters by name; strings and booleans are skipped.
unsafe fn decode_params(params: sys::virTypedParameterPtr, count: c_int) -> HashMap<String, f64> {
    let mut fields = HashMap::with_capacity(count.max(0) as usize);
    for i in 0..count.max(0) as usize {
        // SAFETY: caller guarantees `count` valid entries.
        let param = unsafe { &*params.add(i) };
        let name = unsafe { CStr::from_ptr(param.field.as_ptr()) }.to_string_lossy().into_owned();
        // SAFETY: the union member read matches `type_`.
        let value = unsafe {
            match param.type_ as u32 {
                sys::VIR_TYPED_PARAM_INT => param.value.i as f64,
                sys::VIR_TYPED_PARAM_UINT => param.value.ui as f64,
                sys::VIR_TYPED_PARAM_LLONG => param.value.l as f64,
                sys::VIR_TYPED_PARAM_ULLONG => param.value.ul as f64,
                sys::VIR_TYPED_PARAM_DOUBLE => param.value.d,
                _ => continue,
            }
        };
        fields.insert(name, value);
    }
    fields
}

/// Host-wide counters: CPU times (ns, all CPUs) and memory (KiB).
#[derive(Debug, Clone, Default)]
pub struct NodeCounters {
    pub cpus: u32,
    /// kernel + user + iowait … everything but idle, in ns summed over CPUs.
    pub cpu_busy_ns: f64,
    pub cpu_total_ns: f64,
    pub memory_total: u64,
    pub memory_available: u64,
}

pub fn node_counters(conn: &Connect) -> Result<NodeCounters, Error> {
    let info = conn.node_info()?;
    let cpu = node_params(conn, NodeKind::Cpu)?;
    let memory = node_params(conn, NodeKind::Memory)?;
    let total: f64 = cpu.values().sum();
    let idle = cpu.get("idle").copied().unwrap_or(0.0);
    let kib = |name: &str| memory.get(name).copied().unwrap_or(0.0) as u64;
    Ok(NodeCounters {
        cpus: info.cpus,
        cpu_busy_ns: total - idle,
        cpu_total_ns: total,
        memory_total: kib("total").saturating_mul(1024),
        memory_available: kib("free").saturating_add(kib("buffers")).saturating_add(kib("cached")).saturating_mul(1024),
    })
}

#[derive(Clone, Copy)]
enum NodeKind {
    Cpu,
    Memory,
}

/// `virNodeGetCPUStats` / `virNodeGetMemoryStats` for all CPUs / all cells, as name → value.
/// libvirt wants exactly its own number of parameters, so it is asked for the count first.
fn node_params(conn: &Connect, kind: NodeKind) -> Result<HashMap<String, f64>, Error> {
    // Both structs are {field: [c_char; 80], value: u64}.
    let call = |fields: *mut sys::virNodeCPUStats, count: &mut c_int| -> c_int {
        // SAFETY: `fields` is null (count query) or has room for `count` entries; virNodeMemoryStats
        // has the same layout as virNodeCPUStats.
        unsafe {
            match kind {
                NodeKind::Cpu => {
                    sys::virNodeGetCPUStats(conn.as_ptr(), sys::VIR_NODE_CPU_STATS_ALL_CPUS, fields, count, 0)
                }
                NodeKind::Memory => sys::virNodeGetMemoryStats(
                    conn.as_ptr(),
                    sys::VIR_NODE_MEMORY_STATS_ALL_CELLS,
                    fields as *mut sys::virNodeMemoryStats,
                    count,
                    0,
                ),
            }
        }
    };
    let mut count: c_int = 0;
    if call(std::ptr::null_mut(), &mut count) < 0 {
        return Err(Error::last_error());
    }
    let mut fields = vec![sys::virNodeCPUStats { field: [0; 80], value: 0 }; count.max(0) as usize];
    if count > 0 && call(fields.as_mut_ptr(), &mut count) < 0 {
        return Err(Error::last_error());
    }
    Ok(fields
        .iter()
        .take(count.max(0) as usize)
        .map(|f| {
            // SAFETY: libvirt NUL-terminates each field name.
            let name = unsafe { CStr::from_ptr(f.field.as_ptr()) }.to_string_lossy().into_owned();
            (name, f.value as f64)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The explicit list leaves out exactly the skipped VMs (test driver: one running VM, "test").
    #[test]
    fn bulk_stats_except_leaves_out_the_skipped_vms() {
        let conn = Connect::open(Some("test:///default")).unwrap();
        let test_vm = conn.lookup_domain_by_name("test").unwrap().uuid_string().unwrap();
        let all = running_domain_stats(&conn, sys::VIR_DOMAIN_STATS_STATE).unwrap();
        let unrelated: HashSet<String> = ["00000000-0000-0000-0000-00000000cafe".to_string()].into();
        let listed = running_domain_stats_except(&conn, &unrelated, sys::VIR_DOMAIN_STATS_STATE).unwrap();
        assert_eq!(listed.iter().map(|r| &r.uuid).collect::<Vec<_>>(), all.iter().map(|r| &r.uuid).collect::<Vec<_>>());
        assert!(listed.iter().any(|r| r.uuid == test_vm && r.get("state.state").is_some()));
        let skipped: HashSet<String> = [test_vm.clone()].into();
        let rest = running_domain_stats_except(&conn, &skipped, sys::VIR_DOMAIN_STATS_STATE).unwrap();
        assert!(rest.iter().all(|r| r.uuid != test_vm));
    }
}
