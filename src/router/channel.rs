//! What an op sees of its channel: send JSON, receive input, and Cockpit's flow control.
//!
//! Everything an op sends goes through the router, which drops it if the channel is already
//! closed, so a cancelled op can never emit a frame after its `close`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;
use serde_json::{Map, Value};
use tokio::sync::{mpsc, watch};

use crate::problem::Problem;
use crate::protocol::channel_id::ChannelId;
use crate::protocol::control;

/// Bytes of data after which we ask the browser for a pong (`Channel.BLOCK_SIZE` in cockpit).
const PING_INTERVAL: u64 = 16 * 1024;
/// How far past the last pong we may send (`Channel.SEND_WINDOW` in cockpit).
pub const SEND_WINDOW: u64 = 2 * 1024 * 1024;

/// Data from the browser an op may leave unread before its channel is closed: the browser
/// ignores flow control, or the op is stuck (say, a VNC socket that does not drain).
pub const MAX_UNREAD_INPUT: usize = 16 * 1024 * 1024;

/// One opening of a channel: the id, and which open it was (ids may come again after a close,
/// and what the old op still had queued must not reach the new one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelKey {
    pub id: ChannelId,
    pub serial: u64,
}

/// Input from the browser side of a channel.
#[derive(Debug)]
pub enum ChannelInput {
    Data(Vec<u8>),
    /// An `options` control message (no op uses its fields yet).
    Options,
    /// The browser will send no more data.
    Done,
}

/// Messages from ops to the router.
#[derive(Debug)]
pub enum OpMessage {
    Ready {
        channel: ChannelKey,
        extra: Map<String, Value>,
    },
    Data {
        channel: ChannelKey,
        payload: Vec<u8>,
    },
    Control {
        channel: ChannelKey,
        message: Value,
    },
    /// The op ended: `Ok(fields)` closes without problem (fields added to the close), `Err` with one.
    Finished {
        channel: ChannelKey,
        result: Result<Map<String, Value>, Problem>,
    },
}

pub struct ChannelIo {
    id: ChannelKey,
    to_router: mpsc::UnboundedSender<OpMessage>,
    input: mpsc::UnboundedReceiver<ChannelInput>,
    /// Bytes of input queued for this op and not yet received (the router bounds it).
    unread: Arc<AtomicUsize>,
    /// Highest sequence we may send up to: last pong + window. `u64::MAX` without flow control.
    window: watch::Receiver<u64>,
    /// Whether the open asked for flow control; only then do we send pings (§7).
    flow_control: bool,
    /// Whether the open asked for `ack`s of the data it sends ("send-acks": "bytes").
    send_acks: bool,
    sent: u64,
}

impl ChannelIo {
    pub fn new(
        id: ChannelKey,
        to_router: mpsc::UnboundedSender<OpMessage>,
        input: (mpsc::UnboundedReceiver<ChannelInput>, Arc<AtomicUsize>),
        window: watch::Receiver<u64>,
        flow_control: bool,
    ) -> ChannelIo {
        let (input, unread) = input;
        ChannelIo { id, to_router, input, unread, window, flow_control, send_acks: false, sent: 0 }
    }

    /// Acknowledges every data frame once the op has taken it, so a sender that waits for acks
    /// (an upload) goes only as fast as the op consumes.
    pub fn with_acks(mut self, send_acks: bool) -> ChannelIo {
        self.send_acks = send_acks;
        self
    }

    pub fn ready(&self) {
        self.ready_with(Map::new());
    }

    pub fn ready_with(&self, extra: Map<String, Value>) {
        let _ = self.to_router.send(OpMessage::Ready { channel: self.id.clone(), extra });
    }

    /// Sends one JSON document as one data frame, newline-terminated. Does not wait for the
    /// window: call [`ChannelIo::writable`] first where back-pressure matters.
    pub fn send_json(&mut self, value: &impl Serialize) {
        let mut payload = serde_json::to_vec(value).expect("our messages always serialize");
        payload.push(b'\n');
        self.send_data(payload);
    }

    /// Sends an already serialized JSON document (complete UTF-8 by construction).
    pub fn send_data(&mut self, payload: Vec<u8>) {
        let before = self.sent;
        self.sent += payload.len() as u64;
        let _ = self.to_router.send(OpMessage::Data { channel: self.id.clone(), payload });
        if self.flow_control && before / PING_INTERVAL != self.sent / PING_INTERVAL {
            let _ = self.to_router.send(OpMessage::Control {
                channel: self.id.clone(),
                message: control::ping(self.id.id.as_str(), self.sent),
            });
        }
    }

    /// Resolves once the browser has acknowledged everything sent so far (at once without flow control): what
    /// follows then finds every queue between here and the page empty, rather than behind what came before.
    pub async fn drained(&mut self) {
        if !self.flow_control {
            return;
        }
        let sent = self.sent;
        let _ = self
            .to_router
            .send(OpMessage::Control { channel: self.id.clone(), message: control::ping(self.id.id.as_str(), sent) });
        let _ = self.window.wait_for(|window| *window >= sent.saturating_add(SEND_WINDOW)).await;
    }

    /// Resolves once the browser has acknowledged enough that we may send again.
    pub async fn writable(&mut self) {
        let sent = self.sent;
        // An error means the router dropped the channel; the op is about to be cancelled.
        let _ = self.window.wait_for(|window| sent < *window).await;
    }

    /// The next input from the browser; `None` once the router dropped the channel.
    pub async fn recv(&mut self) -> Option<ChannelInput> {
        let input = self.input.recv().await;
        if let Some(ChannelInput::Data(data)) = &input {
            self.unread.fetch_sub(data.len(), Ordering::SeqCst);
            if self.send_acks {
                let message = control::ack(self.id.id.as_str(), data.len());
                let _ = self.to_router.send(OpMessage::Control { channel: self.id.clone(), message });
            }
        }
        input
    }
}
