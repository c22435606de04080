//! `list`: every snapshot of one VM with its parent, so the page draws the tree; oldest first.

use serde_json::{Value, json};
use virt::domain::Domain;

use crate::problem::Problem;
use crate::xml::snapshot::parse_snapshot;

/// At most this many snapshots are listed (libvirt keeps no limit; a page cannot show more).
const MAX_SNAPSHOTS: usize = 1000;

pub fn list(domain: &Domain) -> Result<Value, Problem> {
    let mut snapshots = Vec::new();
    let all = domain.list_all_snapshots(0)?;
    let truncated = all.len() > MAX_SNAPSHOTS;
    for snapshot in all.into_iter().take(MAX_SNAPSHOTS) {
        // A snapshot deleted meanwhile is simply left out.
        let Ok(xml) = snapshot.xml_desc(0) else { continue };
        let info = parse_snapshot(&xml).map_err(|err| Problem::internal(format!("{err:#}")))?;
        let current = snapshot.is_current(0).unwrap_or(false);
        let mut entry = serde_json::to_value(&info).expect("snapshot info serializes");
        entry["current"] = current.into();
        snapshots.push(entry);
    }
    snapshots.sort_by(|a, b| {
        (a["creationTime"].as_i64(), a["name"].as_str()).cmp(&(b["creationTime"].as_i64(), b["name"].as_str()))
    });
    Ok(json!({"snapshots": snapshots, "truncated": truncated}))
}
