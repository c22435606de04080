//! op `clone` (`docs/api.md`): a new VM from an existing one, or from one of its snapshots. `options`
//! suggests a name and lists the pools; `clone` copies each writable disk into the chosen pool (or
//! makes a qcow2 overlay on it), and defines the copy with a new name, UUID and MAC addresses, and
//! its own copies of the original's UEFI variable store and emulated TPM state (`state.rs`). It runs like `create`: progress on the channel, and everything made is
//! in create's [`Rollback`] (and journal), undone on failure, on `{"cancel":true}` and when the
//! channel closes, so a cancelled clone leaves nothing behind.

mod disks;
mod state;

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use virt::connect::Connect;

use super::create::inflight;
use super::create::journal::Journal;
use super::create::progress::Progress;
use super::create::storage::Rollback;
use super::target::{CONNECT_TIMEOUT, VmTarget, reply_once};
use super::{Context, OpBody, OpResult, parse_options};
use crate::hub::Hub;
use crate::model::uri::Uri;
use crate::problem::{Problem, ProblemCode};
use crate::router::channel::{ChannelInput, ChannelIo};

/// Copying disks may take long; it still has an end.
const CLONE_DEADLINE: Duration = Duration::from_secs(2 * 3600);

#[derive(Deserialize)]
struct CloneOptions {
    uri: Uri,
    vm: String,
    action: String,
    name: Option<String>,
    pool: Option<String>,
    /// qcow2 overlays backed by the original's disks instead of copies.
    #[serde(default)]
    overlay: bool,
    /// Clone the disk state of this snapshot.
    snapshot: Option<String>,
}

/// What a clone is asked to make.
#[derive(Debug, Clone)]
pub struct Request {
    pub name: String,
    pub pool: String,
    pub overlay: bool,
    pub snapshot: Option<String>,
}

fn invalid(message: impl Into<String>) -> Problem {
    Problem::new(ProblemCode::InvalidArgument, message)
}

/// A VM name libvirt and the page both handle.
fn vm_name(name: &str) -> Result<String, Problem> {
    let name = name.trim();
    if name.is_empty() {
        return Err(invalid("Give the new VM a name"));
    }
    if name.len() > 200 || name.contains('/') || name.chars().any(char::is_control) {
        return Err(invalid("The name may not contain \"/\" or control characters, nor be longer than 200 bytes"));
    }
    Ok(name.to_string())
}

pub fn open(options: &Map<String, Value>, ctx: &Arc<Context>) -> Result<OpBody, Problem> {
    let options: CloneOptions = parse_options(options)?;
    let target = VmTarget::new(options.uri.clone(), options.vm.clone())?;
    let hub = target.hub(ctx)?;
    match options.action.as_str() {
        "options" => Ok(Box::new(move |io| Box::pin(reply_once(io, hub, target, disks::options)))),
        "clone" => {
            let need = |v: &Option<String>, field: &str| {
                v.clone().ok_or_else(|| Problem::protocol(format!("action \"clone\" needs \"{field}\"")))
            };
            let request = Request {
                name: vm_name(&need(&options.name, "name")?)?,
                pool: need(&options.pool, "pool")?,
                overlay: options.overlay,
                snapshot: options.snapshot.clone(),
            };
            if request.overlay && request.snapshot.is_some() {
                return Err(invalid("A clone from a snapshot copies its disks; overlays are for the current state"));
            }
            Ok(Box::new(move |io| Box::pin(run_clone(io, hub, target, request))))
        }
        other => Err(Problem::not_supported(format!("unknown action \"{other}\""))),
    }
}

async fn run_clone(mut io: ChannelIo, hub: Arc<Hub>, target: VmTarget, request: Request) -> OpResult {
    io.ready();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let uri = target.uri.to_string();
    let work = hub.call_within(CONNECT_TIMEOUT, CLONE_DEADLINE, move |conn| {
        let source = target.lookup(conn)?;
        work(conn, &uri, &source, &request, Progress::new(tx))
    });
    tokio::pin!(work);
    let mut listening = true;
    let result = loop {
        tokio::select! {
            Some(message) = rx.recv() => io.send_json(&message),
            input = io.recv(), if listening => match input {
                Some(ChannelInput::Data(data)) if super::create::is_cancel(&data) => {
                    log::info!("clone: cancelled by the page; rolling back");
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
    let (id, name) = result?;
    hub.refresh(&id);
    io.send_json(&json!({"vm": {"id": id, "name": name}}));
    Ok(Map::new())
}

fn work(
    conn: &Connect,
    uri: &str,
    source: &virt::domain::Domain,
    request: &Request,
    mut progress: Progress,
) -> Result<(String, String), Problem> {
    if conn.lookup_domain_by_name(&request.name).is_ok() {
        return Err(invalid(format!("A VM named \"{}\" already exists", request.name)));
    }
    let plan = disks::plan(conn, source, request)?;
    // Declared before the rollback, so dropped after it: an exiting helper waits for the undo.
    let _running = inflight::start();
    let mut rollback = Rollback::new(conn.clone(), Journal::begin(uri));
    match disks::make(conn, &plan, request, &mut progress, &mut rollback) {
        Ok(id) => {
            rollback.commit();
            Ok((id, request.name.clone()))
        }
        Err(problem) => {
            log::info!("clone {:?}: {}; rolling back", request.name, problem.message.escape_debug());
            rollback.run();
            Err(problem)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clone_names_are_checked() {
        assert_eq!(vm_name(" web-clone ").unwrap(), "web-clone");
        assert!(vm_name("").is_err());
        assert!(vm_name("a/b").is_err());
        assert!(vm_name("a\nb").is_err());
    }
}
