//! libvirt's job statistics (`virDomainGetJobStats`) as the op's progress message.

use serde_json::{Map, Value, json};

use crate::hub::job::JobProgress;

/// `{"progress":{"phase":"migrating"|"post-copy", …}}` with the figures libvirt gave; `None` when no job
/// runs (not started yet, or just finished).
pub fn message(job: Option<&JobProgress>, post_copy: bool) -> Option<Value> {
    let job = job?;
    let stat = |name: &str| job.stats.get(name).map(|value| value.max(0.0) as u64);
    let mut progress = Map::new();
    progress.insert("phase".into(), (if post_copy { "post-copy" } else { "migrating" }).into());
    // libvirt's names (VIR_DOMAIN_JOB_*) → ours; the dirty rate comes in pages per second.
    let figures = [
        ("data_total", stat("data_total")),
        ("data_processed", stat("data_processed")),
        ("data_remaining", stat("data_remaining")),
        ("memory_bps", stat("memory_bps")),
        ("dirty_rate", stat("memory_dirty_rate").zip(stat("memory_page_size")).map(|(p, size)| p.saturating_mul(size))),
        ("disk_total", stat("disk_total")),
        ("disk_processed", stat("disk_processed")),
        ("disk_remaining", stat("disk_remaining")),
        ("disk_bps", stat("disk_bps")),
        ("iteration", stat("memory_iteration")),
        ("elapsed_ms", stat("time_elapsed")),
        ("throttle_percent", stat("auto_converge_throttle")),
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
        assert_eq!(message(None, false), None);
        let stats =
            [("data_total", 100.0), ("data_remaining", 40.0), ("memory_dirty_rate", 3.0), ("memory_page_size", 4096.0)];
        let job = JobProgress {
            operation: 5,
            done: None,
            total: Some(100),
            elapsed: None,
            stats: stats.into_iter().map(|(name, value)| (name.to_string(), value)).collect(),
        };
        let m = message(Some(&job), false).unwrap();
        assert_eq!(m["progress"]["phase"], "migrating");
        assert_eq!(m["progress"]["data_remaining"], 40);
        assert_eq!(m["progress"]["dirty_rate"], 3 * 4096);
        assert!(m["progress"].get("disk_total").is_none());
        assert_eq!(message(Some(&job), true).unwrap()["progress"]["phase"], "post-copy");
    }
}
