//! op `console`: a VM's graphical (VNC) or serial console as a binary channel (`docs/api.md`).
//!
//! The helper only relays bytes; the page speaks RFB (noVNC) or drives a terminal (xterm.js).
//! Graphics come from `virDomainOpenGraphicsFD`, a socket connected straight to QEMU's VNC
//! server, so no TCP port is opened or needed. Serial consoles are `virDomainOpenConsole`
//! streams (`ops/stream.rs`). Output is sent in blocks of at most [`BLOCK_SIZE`] and only while the
//! browser's flow-control window is open. Everything libvirt gave us is released when the
//! channel ends, including when the browser closes it and the op is dropped.

mod graphics;
mod remote_graphics;
mod serial;
mod ssh_tunnel;

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value};
use virt::connect::Connect;
use virt::domain::Domain;
use virt_sys as sys;

use super::target::{VmTarget, lookup_domain};
use super::{Context, OpBody, OpResult, parse_options};
use crate::model::DomainConfig;
use crate::model::uri::Uri;
use crate::problem::{Problem, ProblemCode, Reason};
use crate::router::channel::ChannelIo;

/// The largest data frame we send (`Channel.BLOCK_SIZE` in cockpit).
pub const BLOCK_SIZE: usize = 16 * 1024;

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Graphics,
    Serial,
}

#[derive(Deserialize, Debug)]
struct ConsoleOptions {
    uri: Uri,
    /// The VM's UUID (a name is accepted too).
    vm: String,
    kind: Kind,
    /// Must be `"raw"`: console bytes are not text.
    binary: Option<String>,
    /// Graphics: which `<graphics>` device (default: the first VNC one). Serial: which serial
    /// port (`serial<N>`; default: the VM's first console).
    index: Option<u32>,
    /// Serial: take the console over from another viewer.
    #[serde(default)]
    force: bool,
}

/// What an op needs to open a console.
#[derive(Debug, Clone)]
pub struct Request {
    /// The connection the VM is on (a `qemu+ssh` one reaches its display through ssh).
    pub uri: Uri,
    pub vm: String,
    pub index: Option<u32>,
    pub force: bool,
}

pub fn open(options: &Map<String, Value>, ctx: &Arc<Context>) -> Result<OpBody, Problem> {
    let options: ConsoleOptions = parse_options(options)?;
    let target = VmTarget::new(options.uri, options.vm)?;
    if options.binary.as_deref() != Some("raw") {
        return Err(Problem::protocol("console channels carry bytes: open them with \"binary\": \"raw\""));
    }
    let hub = target.hub(ctx)?;
    let request = Request { uri: target.uri, vm: target.vm, index: options.index, force: options.force };
    Ok(match options.kind {
        Kind::Graphics => Box::new(move |io| Box::pin(graphics::run(io, hub, request))),
        Kind::Serial => Box::new(move |io| Box::pin(serial::run(io, hub, request))),
    })
}

/// Looks the VM up (by UUID when it looks like one, else by name) and checks that it runs;
/// returns it with its live configuration.
fn running_domain(conn: &Connect, vm: &str) -> Result<(Domain, DomainConfig), Problem> {
    let domain = lookup_domain(conn, vm)?;
    if !domain.is_active()? {
        return Err(not_running());
    }
    let xml = domain.xml_desc(0)?;
    let config = crate::xml::domain::parse_domain(&xml)
        .map_err(|err| Problem::internal(format!("Cannot read the VM's configuration: {err:#}")))?;
    Ok((domain, config))
}

fn not_running() -> Problem {
    Problem::not_supported("The VM is not running").with_reason(Reason::NotRunning)
}

/// Turns a failed console open into a problem, re-checking whether the VM stopped meanwhile
/// (libvirt then says "domain is not running" in its own words).
fn open_failed(domain: &Domain, err: virt::error::Error) -> Problem {
    if err.code().to_raw() == sys::VIR_ERR_OPERATION_INVALID && !domain.is_active().unwrap_or(true) {
        return not_running();
    }
    Problem::from(err)
}

/// A clean end of the console, or the problem it ended with, logged for the journal.
fn finished(what: &str, result: Result<(), Problem>) -> OpResult {
    match result {
        Ok(()) => {
            log::debug!("{what} ended");
            Ok(Map::new())
        }
        Err(problem) if problem.code == ProblemCode::InternalError => {
            log::info!("{what} ended: {}", problem.message);
            Err(problem)
        }
        Err(problem) => Err(problem),
    }
}

/// Waits for the window, relays one block; shared by both kinds.
async fn send_block(io: &mut ChannelIo, block: Vec<u8>) {
    debug_assert!(block.len() <= BLOCK_SIZE);
    io.send_data(block);
    io.writable().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    fn open_problem(value: Value) -> Problem {
        let ctx = Arc::new(Context { hubs: crate::hub::Hubs::new(crate::hub::PollConfig::from_env()) });
        match open(&options(value), &ctx) {
            Ok(_) => panic!("open should fail"),
            Err(problem) => problem,
        }
    }

    #[test]
    fn console_open_needs_binary_raw() {
        let problem = open_problem(serde_json::json!({"uri": "test:///default", "vm": "test", "kind": "serial"}));
        assert_eq!(problem.code, ProblemCode::ProtocolError);
        assert!(problem.message.contains("\"binary\""), "{}", problem.message);
    }

    #[test]
    fn console_open_names_a_bad_kind() {
        let problem =
            open_problem(serde_json::json!({"uri": "test:///default", "vm": "test", "kind": "spice", "binary": "raw"}));
        assert_eq!(problem.code, ProblemCode::ProtocolError);
        assert!(problem.message.contains("field \"kind\""), "{}", problem.message);
        let problem = open_problem(
            serde_json::json!({"uri": "test:///default", "vm": "test", "kind": "serial", "binary": "raw", "index": -1}),
        );
        assert!(problem.message.contains("field \"index\""), "{}", problem.message);
    }
}
