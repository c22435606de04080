//! libvirt's job statistics as the op's progress message.

use serde_json::{Map, Value, json};
use virt::domain::JobStats;
use virt_sys as sys;

/// `{"progress":{"phase":"migrating"|"post-copy", …}}` with the figures libvirt gave; `None` when no job
/// runs (not started yet, or just finished).
pub fn message(stats: &JobStats, post_copy: bool) -> Option<Value> {
    if stats.r#type == sys::VIR_DOMAIN_JOB_NONE as i32 {
        return None;
    }
    let mut progress = Map::new();
    progress.insert("phase".into(), (if post_copy { "post-copy" } else { "migrating" }).into());
    let figures = [
        ("data_total", stats.data_total),
        ("data_processed", stats.data_processed),
        ("data_remaining", stats.data_remaining),
        ("memory_bps", stats.mem_bps),
        ("dirty_rate", stats.mem_dirty_rate.zip(stats.mem_page_size).map(|(pages, size)| pages * size)),
        ("disk_total", stats.disk_total),
        ("disk_processed", stats.disk_processed),
        ("disk_remaining", stats.disk_remaining),
        ("disk_bps", stats.disk_bps),
        ("iteration", stats.mem_iteration),
        ("elapsed_ms", stats.time_elapsed),
        ("throttle_percent", stats.auto_converge_throttle.map(|t| t.max(0) as u64)),
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
        assert_eq!(message(&JobStats::default(), false), None);
        let stats = JobStats {
            r#type: sys::VIR_DOMAIN_JOB_UNBOUNDED as i32,
            data_total: Some(100),
            data_remaining: Some(40),
            mem_dirty_rate: Some(3),
            mem_page_size: Some(4096),
            ..JobStats::default()
        };
        let m = message(&stats, false).unwrap();
        assert_eq!(m["progress"]["phase"], "migrating");
        assert_eq!(m["progress"]["data_remaining"], 40);
        assert_eq!(m["progress"]["dirty_rate"], 3 * 4096);
        assert!(m["progress"].get("disk_total").is_none());
        assert_eq!(message(&stats, true).unwrap()["progress"]["phase"], "post-copy");
    }
}
