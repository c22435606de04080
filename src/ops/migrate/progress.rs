//! libvirt's job statistics (`virDomainGetJobStats`) as the op's progress message.

use std::ffi::CStr;

use serde_json::{Map, Value, json};
use virt::domain::Domain;
use virt_sys as sys;

use crate::problem::Problem;

/// The figures of one job-statistics reading the page shows; each only when libvirt reported it.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Job {
    /// `virDomainJobType`; `VIR_DOMAIN_JOB_NONE` when no job runs.
    pub kind: i32,
    pub data_total: Option<u64>,
    pub data_processed: Option<u64>,
    pub data_remaining: Option<u64>,
    pub memory_bps: Option<u64>,
    /// Pages per second.
    pub dirty_pages: Option<u64>,
    pub page_size: Option<u64>,
    pub iteration: Option<u64>,
    pub disk_total: Option<u64>,
    pub disk_processed: Option<u64>,
    pub disk_remaining: Option<u64>,
    pub disk_bps: Option<u64>,
    pub elapsed_ms: Option<u64>,
    pub throttle_percent: Option<u64>,
}

/// Reads the domain's current job. The `virt` crate's `job_stats` builds a `Vec` from libvirt's buffer
/// (a null pointer when no job runs, and memory Rust did not allocate), so the call is made here and the
/// buffer is freed by libvirt.
pub fn read(domain: &Domain) -> Result<Job, Problem> {
    let mut kind = 0;
    let mut params: sys::virTypedParameterPtr = std::ptr::null_mut();
    let mut count = 0;
    // SAFETY: a valid domain; libvirt allocates `params` (or leaves it null) and sets `count`.
    if unsafe { sys::virDomainGetJobStats(domain.as_ptr(), &mut kind, &mut params, &mut count, 0) } < 0 {
        return Err(virt::error::Error::last_error().into());
    }
    let ullong = |name: &CStr| {
        let mut value = 0;
        // SAFETY: `params` holds `count` parameters (null with 0 is accepted); `name` is NUL-terminated.
        let found = unsafe { sys::virTypedParamsGetULLong(params, count, name.as_ptr(), &mut value) };
        (found == 1).then_some(value)
    };
    let mut throttle = 0;
    // SAFETY: as above.
    let throttle_found = unsafe {
        sys::virTypedParamsGetInt(params, count, sys::VIR_DOMAIN_JOB_AUTO_CONVERGE_THROTTLE.as_ptr(), &mut throttle)
    } == 1;
    let job = Job {
        kind,
        data_total: ullong(sys::VIR_DOMAIN_JOB_DATA_TOTAL),
        data_processed: ullong(sys::VIR_DOMAIN_JOB_DATA_PROCESSED),
        data_remaining: ullong(sys::VIR_DOMAIN_JOB_DATA_REMAINING),
        memory_bps: ullong(sys::VIR_DOMAIN_JOB_MEMORY_BPS),
        dirty_pages: ullong(sys::VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE),
        page_size: ullong(sys::VIR_DOMAIN_JOB_MEMORY_PAGE_SIZE),
        iteration: ullong(sys::VIR_DOMAIN_JOB_MEMORY_ITERATION),
        disk_total: ullong(sys::VIR_DOMAIN_JOB_DISK_TOTAL),
        disk_processed: ullong(sys::VIR_DOMAIN_JOB_DISK_PROCESSED),
        disk_remaining: ullong(sys::VIR_DOMAIN_JOB_DISK_REMAINING),
        disk_bps: ullong(sys::VIR_DOMAIN_JOB_DISK_BPS),
        elapsed_ms: ullong(sys::VIR_DOMAIN_JOB_TIME_ELAPSED),
        throttle_percent: throttle_found.then_some(throttle.max(0) as u64),
    };
    // SAFETY: what libvirt returned, freed once.
    unsafe { sys::virTypedParamsFree(params, count) };
    Ok(job)
}

/// `{"progress":{"phase":"migrating"|"post-copy", …}}` with the figures libvirt gave; `None` when no job
/// runs (not started yet, or just finished).
pub fn message(job: &Job, post_copy: bool) -> Option<Value> {
    if job.kind == sys::VIR_DOMAIN_JOB_NONE as i32 {
        return None;
    }
    let mut progress = Map::new();
    progress.insert("phase".into(), (if post_copy { "post-copy" } else { "migrating" }).into());
    let figures = [
        ("data_total", job.data_total),
        ("data_processed", job.data_processed),
        ("data_remaining", job.data_remaining),
        ("memory_bps", job.memory_bps),
        ("dirty_rate", job.dirty_pages.zip(job.page_size).map(|(pages, size)| pages.saturating_mul(size))),
        ("disk_total", job.disk_total),
        ("disk_processed", job.disk_processed),
        ("disk_remaining", job.disk_remaining),
        ("disk_bps", job.disk_bps),
        ("iteration", job.iteration),
        ("elapsed_ms", job.elapsed_ms),
        ("throttle_percent", job.throttle_percent),
    ];
    for (name, value) in figures {
        if let Some(value) = value {
            progress.insert(name.into(), value.into());
        }
    }
    Some(json!({ "progress": progress }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrate_progress_carries_what_libvirt_reported() {
        assert_eq!(message(&Job::default(), false), None);
        let job = Job {
            kind: sys::VIR_DOMAIN_JOB_UNBOUNDED as i32,
            data_total: Some(100),
            data_remaining: Some(40),
            dirty_pages: Some(3),
            page_size: Some(4096),
            ..Job::default()
        };
        let m = message(&job, false).unwrap();
        assert_eq!(m["progress"]["phase"], "migrating");
        assert_eq!(m["progress"]["data_remaining"], 40);
        assert_eq!(m["progress"]["dirty_rate"], 3 * 4096);
        assert!(m["progress"].get("disk_total").is_none());
        assert_eq!(message(&job, true).unwrap()["progress"]["phase"], "post-copy");
    }
}
