//! ops `create-options` and `create` (`docs/api.md`): what this host offers a new VM, and
//! validating and creating one from a SPEC.
//!
//! `create` runs as one blocking worker on the hub's connection: gather host facts, validate,
//! then make storage, define and start, sending progress on the way. Everything it makes is
//! recorded in a [`storage::Rollback`] that undoes it on failure, on a panic, and on cancel:
//! when the browser closes the channel the router drops the op, which drops the progress
//! receiver; the worker notices between steps and between copied chunks, and rolls back.

pub(crate) mod access;
pub(crate) mod host;
pub(crate) mod inflight;
pub(crate) mod journal;
mod kvm;
mod os;
mod plan;
pub(crate) mod progress;
pub(crate) mod remote;
mod spec;
pub(crate) mod storage;
mod tree;
mod validate;

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use virt::connect::Connect;

use super::target::CONNECT_TIMEOUT;
use super::{Context, OpBody, OpResult, parse_options};
use crate::hub::{Hub, VmEntry};
use crate::model::uri::Uri;
use crate::problem::{Problem, ProblemCode};
use crate::router::channel::{ChannelInput, ChannelIo};
use progress::Progress;
use spec::{Spec, Storage};
use storage::Rollback;
use validate::{Facts, Findings};

pub use inflight::stop_all;
pub use journal::recover;

/// A create copies or downloads images, which may take long; it still has an end.
const CREATE_DEADLINE: Duration = Duration::from_secs(2 * 3600);

#[derive(Deserialize)]
struct OptionsOpen {
    uri: Uri,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Mode {
    Validate,
    Create,
}

#[derive(Deserialize)]
struct CreateOpen {
    uri: Uri,
    spec: Spec,
    mode: Mode,
}

/// op `create-options`.
pub fn open_options(options: &Map<String, Value>, ctx: &Arc<Context>) -> Result<OpBody, Problem> {
    let options: OptionsOpen = parse_options(options)?;
    let hub = ctx.hubs.get(&options.uri)?;
    Ok(Box::new(move |io| Box::pin(run_options(io, hub, options.uri))))
}

async fn run_options(mut io: ChannelIo, hub: Arc<Hub>, uri: Uri) -> OpResult {
    io.ready();
    let options = hub.call(CONNECT_TIMEOUT, move |conn| host::read(conn, uri.as_str())).await?;
    io.send_json(&options);
    Ok(Map::new())
}

/// op `create`.
pub fn open(options: &Map<String, Value>, ctx: &Arc<Context>) -> Result<OpBody, Problem> {
    let options: CreateOpen = parse_options(options)?;
    let hub = ctx.hubs.get(&options.uri)?;
    Ok(Box::new(move |io| Box::pin(run_create(io, hub, options))))
}

/// How a `create` worker ended.
enum Outcome {
    /// Validation only, or validation failed.
    Checked(Findings),
    Created {
        id: String,
        name: String,
    },
}

async fn run_create(mut io: ChannelIo, hub: Arc<Hub>, options: CreateOpen) -> OpResult {
    io.ready();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let CreateOpen { uri, spec, mode } = options;
    // The hub's VM table says which VMs use which disks (empty until its first listing).
    let vms = hub.snapshot().1;
    let work = hub.call_within(CONNECT_TIMEOUT, CREATE_DEADLINE, move |conn| {
        work(conn, uri.as_str(), spec, mode, &vms, Progress::new(tx))
    });
    tokio::pin!(work);
    let mut listening = true;
    let result = loop {
        tokio::select! {
            Some(message) = rx.recv() => io.send_json(&message),
            input = io.recv(), if listening => match input {
                // `{"cancel": true}`: the worker stops at its next check and rolls back; the channel
                // closes (`terminated`) only once that is done, so the page may retry at once.
                Some(ChannelInput::Data(data)) if is_cancel(&data) => {
                    log::info!("create: cancelled by the page; rolling back");
                    rx.close();
                }
                Some(_) => {}
                None => listening = false,
            },
            result = &mut work => break result,
        }
    };
    while let Ok(message) = rx.try_recv() {
        io.send_json(&message);
    }
    match result? {
        Outcome::Checked(findings) if mode == Mode::Validate => {
            io.send_json(&findings);
            Ok(Map::new())
        }
        Outcome::Checked(findings) => Ok(invalid(&findings)),
        Outcome::Created { id, name } => {
            hub.refresh(&id);
            let vm = json!({"id": id, "name": name});
            io.send_json(&json!({ "vm": vm }));
            let mut fields = Map::new();
            fields.insert("vm".into(), vm);
            Ok(fields)
        }
    }
}

pub(crate) fn is_cancel(data: &[u8]) -> bool {
    serde_json::from_slice::<Value>(data).is_ok_and(|message| message.get("cancel") == Some(&Value::Bool(true)))
}

/// The close of a `create` whose spec failed validation: problem `invalid-argument` with the
/// errors by field. Built as close fields (not a `Problem`) because it carries `errors`.
fn invalid(findings: &Findings) -> Map<String, Value> {
    let first = findings.errors.values().next().cloned().unwrap_or_default();
    let mut fields =
        Problem::new(ProblemCode::InvalidArgument, format!("The VM cannot be created: {first}")).close_fields();
    fields.insert("errors".into(), json!(findings.errors));
    fields.insert("warnings".into(), json!(findings.warnings));
    fields
}

/// The blocking part: facts, validation, and (mode create) the VM itself.
fn work(
    conn: &Connect,
    uri: &str,
    spec: Spec,
    mode: Mode,
    vms: &[Arc<VmEntry>],
    mut progress: Progress,
) -> Result<Outcome, Problem> {
    let facts = gather(conn, uri, &spec, vms)?;
    let findings = validate::validate(&spec, &facts);
    if mode == Mode::Validate || !findings.ok() {
        return Ok(Outcome::Checked(findings));
    }
    // Declared before the rollback, so dropped after it: an exiting helper waits for the undo.
    let _running = inflight::start();
    let mut rollback = Rollback::new(conn.clone(), journal::Journal::begin(uri));
    let created = plan::create(conn, &spec, &facts, &mut progress, &mut rollback);
    match created {
        Ok(id) => {
            rollback.commit();
            Ok(Outcome::Created { id, name: spec.name })
        }
        Err(problem) => {
            log::info!("create {:?}: {}; rolling back", spec.name, problem.message.escape_debug());
            rollback.run();
            Err(problem)
        }
    }
}

fn gather(conn: &Connect, uri: &str, spec: &Spec, vms: &[Arc<VmEntry>]) -> Result<Facts, Problem> {
    let host = host::read(conn, uri)?;
    let name_taken = !spec.name.is_empty() && conn.lookup_domain_by_name(&spec.name).is_ok();
    let existing_volumes = validate::volumes_to_check(spec)
        .into_iter()
        .filter(|(pool, volume)| {
            conn.lookup_storage_pool_by_name(pool).and_then(|p| p.lookup_storage_vol_by_name(volume)).is_ok()
        })
        .collect();
    let volume_users = match spec.storage() {
        Storage::Volume { pool, volume } => {
            let path = conn.lookup_storage_pool_by_name(pool).and_then(|p| p.lookup_storage_vol_by_name(volume));
            let path = path.and_then(|vol| vol.path()).ok();
            validate::volume_users(vms.iter().map(|entry| &entry.vm), pool, volume, path.as_deref())
        }
        _ => Vec::new(),
    };
    // A URL is read now: validation reports a missing or unusable .treeinfo, or an ISO image that
    // cannot be read, on `source`. A remote host's QEMU reads an ISO from its own network, not ours.
    let (mut tree, mut url_problem) = (None, None);
    if let Some(Ok(url)) = spec.source_url() {
        if !url.is_iso() {
            tree = Some(tree::probe(&url, &host.host.arch));
        } else if !host.remote {
            url_problem = remote::check_iso(&url).err();
        }
    }
    let os = os::lookup(spec.os.as_deref());
    Ok(Facts { host, name_taken, os, existing_volumes, volume_users, tree, url_problem })
}
