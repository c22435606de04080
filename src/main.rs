//! cockpit-virt-helper: the libvirt side of Cockpit's "Virtual machines" page.
//!
//! cockpit-bridge spawns it (manifest `bridges` entry, payload `virt1`) and talks Cockpit's
//! framed channel protocol with it on stdin/stdout. Wiring only: see `docs/architecture.md`.

mod http;
mod hub;
mod media;
mod model;
mod ops;
mod osinfo;
mod problem;
mod protocol;
mod router;
mod xml;

use std::sync::Arc;
use std::time::Duration;

use log::{error, info};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use ops::Context;
use router::{Router, Stop};

/// The log target of the start-up moments (`CVIRT_LOG=cockpit_virt_helper::startup=debug`): process start, init
/// sent, watch opened, snapshot sent; bench/startup.mjs puts them on the page's clock.
pub const STARTUP_LOG: &str = "cockpit_virt_helper::startup";

const USAGE: &str = "usage: cockpit-virt-helper [--cockpit-peer]

Serves the `virt1` channel payload to cockpit-bridge on stdin/stdout.
It is started by cockpit-bridge from the `virt` package manifest, not by hand.";

fn main() {
    // stderr is the journal (or the terminal with cockpit-ws --local-session); stdout is frames only.
    let mut logger = env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    // CVIRT_LOG adds to RUST_LOG, which the manifest's `environ` sets: e.g. the start-up moments for a benchmark.
    if let Ok(extra) = std::env::var("CVIRT_LOG") {
        logger.parse_filters(&extra);
    }
    logger.target(env_logger::Target::Stderr).format_timestamp_millis().init();
    log::debug!(target: STARTUP_LOG, "started");
    match std::env::args().nth(1).as_deref() {
        None | Some("--cockpit-peer") => {}
        Some("--version") => return println!("cockpit-virt-helper {}", env!("CARGO_PKG_VERSION")),
        Some("--help") => return println!("{USAGE}"),
        Some(other) => {
            eprintln!("cockpit-virt-helper: unknown argument {other:?}\n{USAGE}");
            std::process::exit(2);
        }
    }
    // libvirt prints errors itself unless told not to; we report them on channels instead.
    virt::error::clear_error_callback();

    // What a helper killed mid-create left behind goes first (on a thread of its own).
    ops::create::recover();

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
    let end = runtime.block_on(serve());
    // Creates in progress roll back first (bounded); other blocking libvirt calls never delay the exit.
    ops::create::stop_all(CREATE_ROLLBACK_WAIT);
    match end {
        End::Code(code) => std::process::exit(code),
        End::Signal(signal) => die_by(signal),
    }
}

/// How long an exiting helper waits for creates in progress to roll back. What is left after that
/// is in their journals, and removed at the next start.
const CREATE_ROLLBACK_WAIT: Duration = Duration::from_secs(20);

enum End {
    Code(i32),
    Signal(libc::c_int),
}

/// stdout is gone (the bridge died): roll back creates, then exit.
fn on_stdout_closed() -> ! {
    ops::create::stop_all(CREATE_ROLLBACK_WAIT);
    std::process::exit(0);
}

async fn serve() -> End {
    let (incoming_tx, incoming_rx) = mpsc::channel(64);
    let out = protocol::transport::start_stdio(incoming_tx, on_stdout_closed);
    let ctx = Arc::new(Context { hubs: hub::Hubs::new(hub::PollConfig::from_env()) });
    let router = Router::new(out, ctx);
    let (mut term, mut hangup, mut interrupt) =
        match (signal(SignalKind::terminate()), signal(SignalKind::hangup()), signal(SignalKind::interrupt())) {
            (Ok(t), Ok(h), Ok(i)) => (t, h, i),
            _ => {
                error!("cannot install signal handlers");
                return End::Code(1);
            }
        };
    tokio::select! {
        stop = router.run(incoming_rx) => match stop {
            Stop::Eof => End::Code(0),
            Stop::Corrupt(message) => {
                error!("corrupt input from cockpit-bridge: {message}");
                End::Code(1)
            }
        },
        _ = term.recv() => End::Signal(libc::SIGTERM),
        _ = hangup.recv() => End::Signal(libc::SIGHUP),
        _ = interrupt.recv() => End::Signal(libc::SIGINT),
    }
}

/// Exits by the signal itself, so the bridge sees a death by signal: cockpit-bridge 287 then
/// closes our channels with `terminated` (an exit status of 0 would read as `disconnected`).
fn die_by(signal: libc::c_int) -> ! {
    info!("exiting on signal {signal}");
    // SAFETY: restoring the default disposition and raising a signal have no preconditions.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
    std::process::exit(128 + signal);
}
