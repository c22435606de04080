//! A domain's running libvirt job (snapshot, revert, save, migration, …): its progress from
//! `virDomainGetJobStats`, and aborting it. Called on a worker with a domain handle; shared by every
//! op that runs a long job.

use std::collections::HashMap;
use std::ptr;

use serde::Serialize;
use virt::domain::Domain;
use virt_sys as sys;

use super::bulk_stats::decode_params;

/// Progress of the job running now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobProgress {
    /// libvirt's `virDomainJobOperation` (6 snapshot, 7 revert, 10 snapshot delete, 5 migration out, …).
    pub operation: u32,
    /// Bytes done and in all, when the job counts bytes.
    pub done: Option<u64>,
    pub total: Option<u64>,
    /// Milliseconds since the job began.
    pub elapsed: Option<u64>,
    /// The whole set of counters libvirt gave, by its names (`memory_remaining`, `disk_bps`, …).
    pub stats: HashMap<String, f64>,
}

/// The running job, or `None` when the domain runs none (or is not running).
pub fn progress(domain: &Domain) -> Result<Option<JobProgress>, virt::error::Error> {
    let mut kind: std::ffi::c_int = 0;
    let mut params: sys::virTypedParameterPtr = ptr::null_mut();
    let mut count: std::ffi::c_int = 0;
    // SAFETY: a valid domain; libvirt allocates `params`, freed below.
    if unsafe { sys::virDomainGetJobStats(domain.as_ptr(), &mut kind, &mut params, &mut count, 0) } < 0 {
        return Err(virt::error::Error::last_error());
    }
    let stats = if params.is_null() { HashMap::new() } else { unsafe { decode_params(params, count) } };
    if !params.is_null() {
        // SAFETY: the array libvirt allocated, freed once.
        unsafe { sys::virTypedParamsFree(params, count) };
    }
    if kind as u32 == sys::VIR_DOMAIN_JOB_NONE {
        return Ok(None);
    }
    let get = |name: &str| stats.get(name).map(|v| *v as u64);
    let (done, total) = match (get("data_processed"), get("data_total")) {
        (Some(done), Some(total)) if total > 0 => (Some(done), Some(total)),
        _ => (None, None),
    };
    Ok(Some(JobProgress {
        operation: get("operation").unwrap_or(0) as u32,
        done,
        total,
        elapsed: get("time_elapsed"),
        stats,
    }))
}

/// Asks libvirt to abort the domain's running job (where the job can be aborted). No job (it just
/// ended) is not a failure of the cancel.
pub fn abort(domain: &Domain) -> Result<(), virt::error::Error> {
    // SAFETY: a valid domain; the `virt` crate has no wrapper for this call.
    if unsafe { sys::virDomainAbortJob(domain.as_ptr()) } < 0 {
        let err = virt::error::Error::last_error();
        if err.code().to_raw() != sys::VIR_ERR_OPERATION_INVALID {
            return Err(err);
        }
    }
    Ok(())
}
