//! The channel table: routes control messages and data between the bridge and ops, and keeps
//! the protocol's promises in one place (`shared/cockpit-protocol.md` §4–§7):
//! - exactly one `close` per channel the bridge opened, never one for an unknown id;
//! - a browser `close` is echoed and cancels the op; nothing is sent on a channel after its close;
//! - `kill` closes the channels of a group with `terminated`;
//! - channel `ping` gets a `pong`; a `pong` opens the op's send window.
//!
//! All of this runs on one task, so there are no races between an op finishing and a close
//! arriving from the browser.

pub mod channel;

use std::collections::HashMap;
use std::sync::Arc;

use log::{debug, info, warn};
use serde_json::{Map, Value};
use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;

use crate::ops::{self, Context};
use crate::problem::{Problem, ProblemCode};
use crate::protocol::control::{self, Inbound};
use crate::protocol::frame::Frame;
use crate::protocol::transport::{Incoming, Outbound};
use channel::{ChannelInput, ChannelIo, OpMessage, SEND_WINDOW};

struct Entry {
    input: mpsc::UnboundedSender<ChannelInput>,
    window: watch::Sender<u64>,
    task: AbortHandle,
    group: Option<String>,
    send_acks: bool,
}

/// Why the router stopped.
#[derive(Debug, PartialEq, Eq)]
pub enum Stop {
    /// stdin closed: normal end of session.
    Eof,
    /// The byte stream from the bridge was not valid framing.
    Corrupt(String),
}

pub struct Router {
    out: Outbound,
    ctx: Arc<Context>,
    channels: HashMap<String, Entry>,
    /// The host name from the bridge's init; `kill` for another host is ignored.
    host: String,
    op_tx: mpsc::UnboundedSender<OpMessage>,
    op_rx: mpsc::UnboundedReceiver<OpMessage>,
}

impl Router {
    pub fn new(out: Outbound, ctx: Arc<Context>) -> Router {
        let (op_tx, op_rx) = mpsc::unbounded_channel();
        Router { out, ctx, channels: HashMap::new(), host: "localhost".into(), op_tx, op_rx }
    }

    /// Sends our init (unprompted, first), then routes until stdin ends.
    pub async fn run(mut self, mut incoming: mpsc::Receiver<Incoming>) -> Stop {
        self.out.send_control(&control::init());
        loop {
            tokio::select! {
                // Ops first: finishing what is queued keeps memory flat under load.
                biased;
                Some(message) = self.op_rx.recv() => self.on_op_message(message),
                item = incoming.recv() => match item {
                    Some(Incoming::Frame(frame)) => self.on_frame(frame),
                    Some(Incoming::Corrupt(err)) => return Stop::Corrupt(err.to_string()),
                    Some(Incoming::Eof) | None => return Stop::Eof,
                },
            }
        }
    }

    fn on_frame(&mut self, frame: Frame) {
        if !frame.is_control() {
            return self.on_data(frame);
        }
        let message = match Inbound::parse(&frame.payload) {
            Ok(message) => message,
            Err(err) => return warn!("ignoring control message: {err}"),
        };
        match &message {
            Inbound::Open { channel, options } => debug!("← open {channel:?} {}", redacted(options)),
            _ => debug!("← {message:?}"),
        }
        match message {
            Inbound::Init { version, host } => {
                if version != Some(1) {
                    warn!("bridge init with unexpected version {version:?}");
                }
                if let Some(host) = host {
                    self.host = host;
                }
            }
            Inbound::Open { channel, options } => self.on_open(channel, options),
            Inbound::Close { channel } => {
                if let Some(entry) = self.channels.remove(&channel) {
                    entry.task.abort();
                    self.out.send_control(&control::close(&channel, Map::new()));
                }
            }
            Inbound::Done { channel } => self.deliver(&channel, ChannelInput::Done),
            Inbound::Options { channel, .. } => self.deliver(&channel, ChannelInput::Options),
            Inbound::Ping { channel, fields } => {
                if self.channels.contains_key(&channel) {
                    self.out.send_control(&control::pong(fields));
                }
            }
            Inbound::Pong { channel, sequence } => {
                if let (Some(entry), Some(sequence)) = (self.channels.get(&channel), sequence) {
                    entry.window.send_replace(sequence.saturating_add(SEND_WINDOW));
                }
            }
            Inbound::Kill { host, group } => self.on_kill(host, group),
            Inbound::Other { command } => debug!("ignoring control command {command:?}"),
        }
    }

    fn on_data(&mut self, frame: Frame) {
        let Some(entry) = self.channels.get(&frame.channel) else {
            return debug!("data for unknown channel {}", frame.channel);
        };
        let length = frame.payload.len();
        let _ = entry.input.send(ChannelInput::Data(frame.payload));
        if entry.send_acks {
            self.out.send_control(&control::ack(&frame.channel, length));
        }
    }

    fn deliver(&mut self, channel: &str, input: ChannelInput) {
        if let Some(entry) = self.channels.get(channel) {
            let _ = entry.input.send(input);
        }
    }

    fn on_open(&mut self, channel: String, options: Map<String, Value>) {
        if self.channels.contains_key(&channel) {
            // Cockpit never reuses ids; answering would close the live channel, so don't.
            return warn!("ignoring second open of channel {channel}");
        }
        let body = match ops::open(&options, &self.ctx) {
            Ok(body) => body,
            Err(problem) => {
                info!("channel {channel}: refused open: {}", problem.message.escape_debug());
                return self.out.send_control(&control::close(&channel, problem.close_fields()));
            }
        };
        let flow_control = options.get("flow-control").and_then(Value::as_bool).unwrap_or(false);
        let (window_tx, window_rx) = watch::channel(if flow_control { SEND_WINDOW } else { u64::MAX });
        let (input_tx, input_rx) = mpsc::unbounded_channel();
        let io = ChannelIo::new(channel.clone(), self.op_tx.clone(), input_rx, window_rx, flow_control);

        let task = tokio::spawn(body(io));
        let abort = task.abort_handle();
        // A second task turns the op's end (or its panic) into `Finished`; a cancelled op
        // (browser close, kill) was already closed by the router and reports nothing.
        let op_tx = self.op_tx.clone();
        let id = channel.clone();
        tokio::spawn(async move {
            let result = match task.await {
                Ok(result) => result,
                Err(err) if err.is_cancelled() => return,
                Err(err) => {
                    log::error!("channel {id}: op panicked: {err}");
                    Err(Problem::internal("The helper hit an internal error (panic); see its log"))
                }
            };
            let _ = op_tx.send(OpMessage::Finished { channel: id, result });
        });

        let group = options.get("group").and_then(Value::as_str).map(str::to_string);
        let send_acks = options.get("send-acks").and_then(Value::as_str) == Some("bytes");
        self.channels.insert(channel, Entry { input: input_tx, window: window_tx, task: abort, group, send_acks });
    }

    fn on_kill(&mut self, host: Option<String>, group: Option<String>) {
        if host.is_some_and(|host| host != self.host) {
            return;
        }
        let doomed: Vec<String> = self
            .channels
            .iter()
            .filter(|(_, entry)| group.is_none() || entry.group == group)
            .map(|(id, _)| id.clone())
            .collect();
        for id in doomed {
            let entry = self.channels.remove(&id).expect("listed above");
            entry.task.abort();
            let problem = Problem::new(ProblemCode::Terminated, "Channel killed");
            self.out.send_control(&control::close(&id, problem.close_fields()));
        }
    }

    fn on_op_message(&mut self, message: OpMessage) {
        match message {
            OpMessage::Ready { channel, extra } => {
                if self.channels.contains_key(&channel) {
                    self.out.send_control(&control::ready(&channel, extra));
                }
            }
            OpMessage::Data { channel, payload } => {
                if self.channels.contains_key(&channel) {
                    self.out.send_frame(&channel, &payload);
                }
            }
            OpMessage::Control { channel, message } => {
                if self.channels.contains_key(&channel) {
                    self.out.send_control(&message);
                }
            }
            OpMessage::Finished { channel, result } => {
                if self.channels.remove(&channel).is_some() {
                    let fields = match result {
                        Ok(fields) => fields,
                        Err(problem) => {
                            info!("channel {channel}: {} ({})", problem.message.escape_debug(), problem.code.as_str());
                            problem.close_fields()
                        }
                    };
                    self.out.send_control(&control::close(&channel, fields));
                }
            }
        }
    }
}

/// Open fields for the log: values of secret-looking keys (passwords of a create spec) and the user
/// info of URLs replaced, the rest as compact JSON, so no secret and no raw newline reaches the journal.
fn redacted(options: &Map<String, Value>) -> String {
    fn scrub(value: &Value) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(key, value)| {
                        let key_lower = key.to_ascii_lowercase();
                        let secret = ["password", "passwd", "secret", "token"].iter().any(|s| key_lower.contains(s));
                        let value = if secret && !value.is_null() { Value::from("(redacted)") } else { scrub(value) };
                        (key.clone(), value)
                    })
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(scrub).collect()),
            Value::String(text) => Value::String(without_url_credentials(text)),
            other => other.clone(),
        }
    }
    scrub(&Value::Object(options.clone())).to_string()
}

/// `scheme://user:secret@host/…` with the user info replaced, for URLs in logged values.
fn without_url_credentials(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else { return text.to_string() };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://(redacted)@{}", &rest[at + 1..]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn router_open_log_redacts_secrets() {
        let open = serde_json::json!({"op": "create", "spec": {"name": "a\nb", "source": {"kind": "cloud",
            "user": {"login": "u", "password": "Cop-Secret-9"}, "root_password": "r00t-Secret", "hostname": null}}});
        let line = redacted(open.as_object().unwrap());
        assert!(!line.contains("Cop-Secret-9") && !line.contains("r00t-Secret") && !line.contains('\n'), "{line}");
        assert!(line.contains(r#""password":"(redacted)""#) && line.contains(r#""login":"u""#), "{line}");
        assert!(line.contains(r#""hostname":null"#) && line.contains(r#""name":"a\nb""#), "{line}");
        let url = serde_json::json!({"source": {"kind": "url", "url": "http://alice:s3cret@mirror.example/os/?a=b@c"}});
        let line = redacted(url.as_object().unwrap());
        assert!(line.contains("http://(redacted)@mirror.example/os/?a=b@c") && !line.contains("s3cret"), "{line}");
        assert_eq!(without_url_credentials("http://mirror.example/a@b"), "http://mirror.example/a@b");
    }
}
