//! The only code that touches stdin and stdout: a reader thread that decodes frames and a
//! writer thread that writes them.
//!
//! Blocking threads, not async fds: with cockpit-bridge 287, fd 0 and fd 1 are the same socket,
//! so making one non-blocking would change the other (`shared/cockpit-protocol.md` §1).

use std::io::{Read, Write};
use std::sync::mpsc as std_mpsc;
use std::thread;

use log::{debug, error};
use tokio::sync::mpsc;

use super::channel_id::ChannelId;
use super::frame::{Frame, FrameDecoder, FrameError, encode};

/// What the reader thread delivers to the router.
#[derive(Debug)]
pub enum Incoming {
    Frame(Frame),
    /// stdin closed: the bridge is gone, time to exit.
    Eof,
    /// The byte stream is corrupt; nothing after it can be trusted.
    Corrupt(FrameError),
}

/// Sends frames to the writer thread. Cheap to clone.
#[derive(Clone)]
pub struct Outbound {
    tx: std_mpsc::Sender<Vec<u8>>,
}

impl Outbound {
    pub fn send_control(&self, message: &serde_json::Value) {
        self.send("", message.to_string().as_bytes());
    }

    /// A data frame: only on a checked channel id, so the channel line cannot be forged.
    pub fn send_frame(&self, channel: &ChannelId, payload: &[u8]) {
        self.send(channel.as_str(), payload);
    }

    /// An `Outbound` whose frames a test reads back.
    #[cfg(test)]
    pub fn capture() -> (Outbound, std_mpsc::Receiver<Vec<u8>>) {
        let (tx, rx) = std_mpsc::channel();
        (Outbound { tx }, rx)
    }

    fn send(&self, channel: &str, payload: &[u8]) {
        debug!("→ {channel} {}", String::from_utf8_lossy(&payload[..payload.len().min(200)]));
        // A closed writer means stdout is gone; the process is exiting anyway.
        let _ = self.tx.send(encode(channel, payload));
    }
}

/// Starts the reader (stdin → `incoming`) and writer (→ stdout) threads. `on_closed` runs on the
/// writer thread when stdout is gone, and ends the process.
pub fn start_stdio(incoming: mpsc::Sender<Incoming>, on_closed: fn() -> !) -> Outbound {
    let (tx, rx) = std_mpsc::channel::<Vec<u8>>();
    thread::Builder::new()
        .name("stdout-writer".into())
        .spawn(move || write_loop(rx, std::io::stdout().lock(), on_closed))
        .expect("spawn writer thread");
    thread::Builder::new()
        .name("stdin-reader".into())
        .spawn(move || read_loop(std::io::stdin().lock(), incoming))
        .expect("spawn reader thread");
    Outbound { tx }
}

fn write_loop(rx: std_mpsc::Receiver<Vec<u8>>, mut out: impl Write, on_closed: fn() -> !) {
    while let Ok(frame) = rx.recv() {
        let mut result = out.write_all(&frame);
        // Batch whatever else is queued, then flush once.
        while result.is_ok() {
            match rx.try_recv() {
                Ok(next) => result = out.write_all(&next),
                Err(_) => break,
            }
        }
        if let Err(err) = result.and_then(|_| out.flush()) {
            error!("stdout closed ({err}); exiting");
            on_closed();
        }
    }
}

fn read_loop(mut input: impl Read, incoming: mpsc::Sender<Incoming>) {
    let mut decoder = FrameDecoder::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(err) => {
                error!("reading stdin failed: {err}");
                break;
            }
        };
        decoder.push(&buf[..n]);
        loop {
            match decoder.next_frame() {
                Ok(Some(frame)) => {
                    // Bounded queue: a flood of input waits here instead of growing memory.
                    if incoming.blocking_send(Incoming::Frame(frame)).is_err() {
                        return;
                    }
                }
                Ok(None) => break,
                Err(err) if !err.is_fatal() => log::warn!("skipping a frame from the bridge: {err}"),
                Err(err) => {
                    let _ = incoming.blocking_send(Incoming::Corrupt(err));
                    return;
                }
            }
        }
    }
    let _ = incoming.blocking_send(Incoming::Eof);
}
