//! op `snapshot`: one VM's snapshots (`docs/api.md`). `list` answers the whole tree at once (the
//! page asks again when the VM changes); `watch` sends it again whenever the snapshots change (`watch.rs`); `options` says what a new snapshot would be (kind, memory,
//! where its files go and the free space there); `create`, `revert` and `delete` run as libvirt
//! jobs with progress from `virDomainGetJobStats` and `{"cancel": true}` aborting the job
//! (`job.rs`).

mod job;
mod list;
mod plan;
mod watch;

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use virt::domain::Domain;
use virt_sys as sys;

use super::target::{VmTarget, reply_once};
use super::{Context, OpBody, parse_options};
use crate::model::uri::Uri;
use crate::problem::{Problem, ProblemCode, Reason};
use plan::Location;

#[derive(Deserialize)]
struct SnapshotOptions {
    uri: Uri,
    vm: String,
    action: String,
    /// The snapshot acted on, or the new one's name.
    name: Option<String>,
    description: Option<String>,
    /// `internal` or `external`; default: what `options` suggests.
    location: Option<String>,
    /// A running VM's memory too (default: yes while it runs).
    memory: Option<bool>,
    /// revert: `VIR_DOMAIN_SNAPSHOT_REVERT_FORCE`.
    #[serde(default)]
    force: bool,
    /// delete: its descendants too.
    #[serde(default)]
    children: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Request {
    List,
    Watch,
    Options,
    Create { name: String, description: String, location: Option<Location>, memory: Option<bool> },
    Revert { name: String, force: bool },
    Delete { name: String, children: bool },
}

/// A snapshot name: what libvirt stores as a file name in its metadata directory.
fn snapshot_name(name: &str) -> Result<String, Problem> {
    let bad = |why: &str| Problem::new(ProblemCode::InvalidArgument, why.to_string());
    let name = name.trim();
    if name.is_empty() {
        return Err(bad("Give the snapshot a name"));
    }
    if name.len() > 200 {
        return Err(bad("The name is longer than 200 bytes"));
    }
    if name.contains('/') || name.starts_with('.') || name.chars().any(char::is_control) {
        return Err(bad("The name may not contain \"/\" or control characters, nor start with \".\""));
    }
    Ok(name.to_string())
}

impl Request {
    fn from_options(o: &SnapshotOptions) -> Result<Request, Problem> {
        let name =
            || o.name.as_deref().ok_or_else(|| Problem::protocol(format!("action \"{}\" needs \"name\"", o.action)));
        Ok(match o.action.as_str() {
            "list" => Request::List,
            "watch" => Request::Watch,
            "options" => Request::Options,
            "create" => {
                let description = o.description.clone().unwrap_or_default();
                if description.len() > 64 * 1024 {
                    return Err(Problem::new(ProblemCode::InvalidArgument, "The description is longer than 64 KiB"));
                }
                let location = match o.location.as_deref() {
                    None => None,
                    Some("internal") => Some(Location::Internal),
                    Some("external") => Some(Location::External),
                    Some(other) => return Err(Problem::protocol(format!("unknown location \"{other}\""))),
                };
                Request::Create { name: snapshot_name(name()?)?, description, location, memory: o.memory }
            }
            "revert" => Request::Revert { name: name()?.to_string(), force: o.force },
            "delete" => Request::Delete { name: name()?.to_string(), children: o.children },
            other => return Err(Problem::not_supported(format!("unknown action \"{other}\""))),
        })
    }
}

pub fn open(options: &Map<String, Value>, ctx: &Arc<Context>) -> Result<OpBody, Problem> {
    let options: SnapshotOptions = parse_options(options)?;
    let target = VmTarget::new(options.uri.clone(), options.vm.clone())?;
    let request = Request::from_options(&options)?;
    let hub = target.hub(ctx)?;
    Ok(Box::new(move |io| {
        Box::pin(async move {
            match request {
                Request::List => reply_once(io, hub, target, |_, domain| list::list(domain)).await,
                Request::Watch => watch::run(io, hub, target).await,
                Request::Options => reply_once(io, hub, target, plan::options).await,
                Request::Create { name, description, location, memory } => {
                    let job = move |domain: &Domain| {
                        let plan = plan::plan(domain, &name, &description, location, memory)?;
                        let snapshot = domain.create_snapshot_xml(&plan.xml, plan.flags)?;
                        Ok(json!({"ok": true, "name": snapshot.name()?, "location": plan.location.as_str()}))
                    };
                    job::run(io, hub, target, job).await
                }
                Request::Revert { name, force } => {
                    let flags = if force { sys::VIR_DOMAIN_SNAPSHOT_REVERT_FORCE } else { 0 };
                    job::run(io, hub, target, move |domain| {
                        Domain::lookup_snapshot_by_name(domain, &name, 0)
                            .map_err(not_found)?
                            .revert(flags)
                            .map_err(risky)?;
                        Ok(json!({"ok": true}))
                    })
                    .await
                }
                Request::Delete { name, children } => {
                    let flags = if children { sys::VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN } else { 0 };
                    job::run(io, hub, target, move |domain| {
                        Domain::lookup_snapshot_by_name(domain, &name, 0).map_err(not_found)?.delete(flags)?;
                        Ok(json!({"ok": true}))
                    })
                    .await
                }
            }
        })
    }))
}

/// libvirt's "no such snapshot" as `not-found`.
fn not_found(err: virt::error::Error) -> Problem {
    let mut problem = Problem::from(err);
    if problem.libvirt_error == Some(sys::VIR_ERR_NO_DOMAIN_SNAPSHOT as i32) {
        problem.code = ProblemCode::NotFound;
    }
    problem
}

/// libvirt's "force was not requested for a risky revert" with its reason, so the page can offer a forced one.
fn risky(err: virt::error::Error) -> Problem {
    let problem = Problem::from(err);
    if problem.libvirt_error == Some(sys::VIR_ERR_SNAPSHOT_REVERT_RISKY as i32) {
        return problem.with_reason(Reason::RevertRisky);
    }
    problem
}

/// How long a snapshot job may take before the op gives up waiting (the job itself goes on).
pub(crate) const JOB_DEADLINE: std::time::Duration = std::time::Duration::from_secs(3600);

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: Value) -> Result<Request, Problem> {
        let options: SnapshotOptions = parse_options(v.as_object().unwrap())?;
        Request::from_options(&options)
    }

    #[test]
    fn snapshot_requests_parse() {
        let base = |extra: Value| {
            let mut v = json!({"uri": "test:///default", "vm": "t"});
            v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            v
        };
        assert_eq!(parse(base(json!({"action": "list"}))).unwrap(), Request::List);
        assert_eq!(
            parse(base(json!({"action": "create", "name": " s1 ", "location": "external", "memory": false}))).unwrap(),
            Request::Create {
                name: "s1".into(),
                description: String::new(),
                location: Some(Location::External),
                memory: Some(false)
            }
        );
        let err = |v| parse(base(v)).unwrap_err();
        assert_eq!(err(json!({"action": "create", "name": "a/b"})).code, ProblemCode::InvalidArgument);
        assert_eq!(err(json!({"action": "create", "name": ""})).code, ProblemCode::InvalidArgument);
        assert_eq!(err(json!({"action": "create", "name": ".x"})).code, ProblemCode::InvalidArgument);
        assert_eq!(err(json!({"action": "create", "name": "x", "location": "cloud"})).code, ProblemCode::ProtocolError);
        assert_eq!(err(json!({"action": "revert"})).code, ProblemCode::ProtocolError);
        assert_eq!(err(json!({"action": "explode"})).code, ProblemCode::NotSupported);
        assert_eq!(
            parse(base(json!({"action": "delete", "name": "s", "children": true}))).unwrap(),
            Request::Delete { name: "s".into(), children: true }
        );
    }
}
