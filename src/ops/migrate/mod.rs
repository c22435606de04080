//! op `migrate`: move one VM to another libvirt host (`docs/api.md`). The destination URI passes the same
//! allow-list as every connection; its port is probed first so that an unknown host, a closed port and a
//! refused login are told apart by code. The migration itself is one `virDomainMigrate3` on a worker,
//! with the helper's own connection to the destination (the user's credentials, not libvirtd's); while it
//! runs, libvirt's job statistics are sent every half second, and `{"cancel":true}` (or closing the
//! channel) aborts the job.

pub(crate) mod cause;
mod plan;
mod progress;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};
use virt::connect::Connect;
use virt::domain::Domain;
use virt_sys as sys;

use super::target::{CONNECT_TIMEOUT, VmTarget, lookup_domain};
use super::{Context, OpBody, OpResult, parse_options};
use crate::hub::{Hub, job};
use crate::model::uri::Uri;
use crate::problem::{Problem, ProblemCode};
use crate::router::channel::{ChannelInput, ChannelIo};
use plan::MigrateOptions;

/// How long a migration may take before the op gives up waiting (and aborts it).
const MIGRATE_DEADLINE: Duration = Duration::from_secs(6 * 3600);
/// How often job statistics are read and sent.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(500);

pub fn open(options: &Map<String, Value>, ctx: &Arc<Context>) -> Result<OpBody, Problem> {
    let options: MigrateOptions = parse_options(options)?;
    let target = VmTarget::new(options.uri.clone(), options.vm.clone())?;
    options.check()?;
    let hub = target.hub(ctx)?;
    Ok(Box::new(move |io| Box::pin(run(io, hub, target, options))))
}

/// Aborts the migration job when the op ends early (channel closed, deadline): the blocking call would
/// otherwise carry on with nobody watching.
struct AbortOnDrop {
    hub: Arc<Hub>,
    vm: String,
    armed: bool,
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        // Outside a runtime (the helper is exiting) nothing can be spawned: libvirt aborts the job itself
        // when our connection closes.
        if let (true, Ok(runtime)) = (self.armed, tokio::runtime::Handle::try_current()) {
            let (hub, vm) = (self.hub.clone(), self.vm.clone());
            runtime.spawn(async move {
                let _ = hub.call(CONNECT_TIMEOUT, move |conn| Ok(job::abort(&lookup_domain(conn, &vm)?)?)).await;
            });
        }
    }
}

async fn run(mut io: ChannelIo, hub: Arc<Hub>, target: VmTarget, options: MigrateOptions) -> OpResult {
    io.ready();
    let destination = options.destination.clone();
    io.send_json(&json!({"progress": {"phase": "connecting", "destination": destination.as_str()}}));
    let (host, port) = destination.remote_endpoint().expect("checked at open");
    match tokio::time::timeout(cause::PROBE_TIMEOUT * 2, tokio::task::spawn_blocking(move || cause::probe(&host, port)))
        .await
    {
        Ok(Ok(result)) => result?,
        Ok(Err(_)) => return Err(Problem::internal("the reachability check did not finish")),
        Err(_) => return Err(cause::unreachable(format!("Cannot reach {destination}: no answer within 10 s"))),
    }

    let post_copy = options.post_copy;
    let mut switched_to_post_copy = false;
    let vm = target.vm.clone();
    let call = hub.call_within(CONNECT_TIMEOUT, MIGRATE_DEADLINE, move |conn| migrate(conn, &vm, &options));
    tokio::pin!(call);
    let mut guard = AbortOnDrop { hub: hub.clone(), vm: target.vm.clone(), armed: true };
    let mut ticker = tokio::time::interval(PROGRESS_INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut cancelled = false;
    let mut input_open = true;
    let result = loop {
        tokio::select! {
            result = &mut call => break result,
            _ = ticker.tick() => {
                let vm = target.vm.clone();
                let stats = hub.call(CONNECT_TIMEOUT, move |conn| {
                    Ok(job::progress(&lookup_domain(conn, &vm)?)?)
                }).await;
                let Ok(stats) = stats else { continue };
                if let Some(message) = progress::message(stats.as_ref(), switched_to_post_copy) {
                    io.send_json(&message);
                }
                let iteration = stats.as_ref().and_then(|job| job.stats.get("memory_iteration").copied());
                // The first pass over memory is done: let the VM run on the destination now.
                if post_copy && !switched_to_post_copy && iteration.unwrap_or(0.0) >= 2.0 {
                    let vm = target.vm.clone();
                    switched_to_post_copy = hub.call(CONNECT_TIMEOUT, move |conn| {
                        start_post_copy(&lookup_domain(conn, &vm)?)
                    }).await.is_ok();
                    // Said at once: the rest may follow faster than the next reading.
                    if let Some(message) = progress::message(stats.as_ref(), true).filter(|_| switched_to_post_copy) {
                        io.send_json(&message);
                    }
                }
            }
            input = io.recv(), if input_open => match input {
                Some(ChannelInput::Data(data)) if is_cancel(&data) && !cancelled => {
                    cancelled = true;
                    let vm = target.vm.clone();
                    hub.call(CONNECT_TIMEOUT, move |conn| Ok(job::abort(&lookup_domain(conn, &vm)?)?)).await?;
                }
                Some(_) => {}
                None => input_open = false,
            },
        }
    };
    guard.armed = false;
    match result {
        Ok((uuid, name)) => {
            hub.refresh(&uuid);
            let answer = json!({"vm": {"id": uuid, "name": name}, "destination": destination.as_str()});
            io.send_json(&answer);
            Ok(answer.as_object().cloned().unwrap_or_default())
        }
        Err(mut problem) => {
            if cancelled {
                problem.code = ProblemCode::Terminated;
                problem.message = format!("Cancelled: {}", problem.message);
            }
            Err(problem)
        }
    }
}

fn is_cancel(data: &[u8]) -> bool {
    serde_json::from_slice::<Value>(data).is_ok_and(|v| v.get("cancel") == Some(&Value::Bool(true)))
}

/// On a worker: the destination connection (its failures first, whatever the VM), the VM, the same-host
/// check, then the migration.
fn migrate(conn: &Connect, vm: &str, options: &MigrateOptions) -> Result<(String, String), Problem> {
    let dconn = open_destination(&options.destination)?;
    let result = (|| {
        let domain = lookup_domain(conn, vm)?;
        let uuid = domain.uuid_string()?;
        let name = domain.name()?;
        let (flags, params) = options.libvirt_call(domain.is_active()?)?;
        let here = conn.capabilities()?;
        let there = dconn.capabilities()?;
        if cause::host_uuid(&here).is_some() && cause::host_uuid(&here) == cause::host_uuid(&there) {
            return Err(cause::same_host());
        }
        domain.migrate3(&dconn, params, flags).map_err(cause::migrate_error)?;
        Ok((uuid, name))
    })();
    // Dropping `dconn` closes the destination connection.
    result
}

/// The helper's own connection to the destination (the user's ssh keys or certificates). An unreachable
/// port was ruled out already; a login that hangs is bounded by the call's deadline and a cancel. Opened as
/// every connection is (`Uri::for_open`): ssh in batch mode, which fails rather than waits for a prompt.
fn open_destination(destination: &Uri) -> Result<Connect, Problem> {
    Connect::open(Some(&destination.for_open())).map_err(cause::connect_error)
}

fn start_post_copy(domain: &Domain) -> Result<(), Problem> {
    // SAFETY: a valid domain; the `virt` crate has no wrapper for this call.
    if unsafe { sys::virDomainMigrateStartPostCopy(domain.as_ptr(), 0) } < 0 {
        return Err(virt::error::Error::last_error().into());
    }
    Ok(())
}
