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
use std::sync::atomic::{AtomicUsize, Ordering};

use log::{debug, info, warn};
use serde_json::{Map, Value};
use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;

use crate::ops::{self, Context};
use crate::problem::{Problem, ProblemCode};
use crate::protocol::channel_id::ChannelId;
use crate::protocol::control::{self, Inbound};
use crate::protocol::frame::Frame;
use crate::protocol::transport::{Incoming, Outbound};
use channel::{ChannelInput, ChannelIo, ChannelKey, MAX_UNREAD_INPUT, OpMessage, SEND_WINDOW};

struct Entry {
    /// Which open this is; messages of an earlier op on the same id are dropped.
    serial: u64,
    input: mpsc::UnboundedSender<ChannelInput>,
    /// Data bytes sent to the op and not yet received by it.
    unread: Arc<AtomicUsize>,
    window: watch::Sender<u64>,
    task: AbortHandle,
    group: Option<String>,
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
    channels: HashMap<ChannelId, Entry>,
    /// Serial of the next open.
    next_serial: u64,
    /// The host name from the bridge's init; `kill` for another host is ignored.
    host: String,
    op_tx: mpsc::UnboundedSender<OpMessage>,
    op_rx: mpsc::UnboundedReceiver<OpMessage>,
}

impl Router {
    pub fn new(out: Outbound, ctx: Arc<Context>) -> Router {
        let (op_tx, op_rx) = mpsc::unbounded_channel();
        Router { out, ctx, channels: HashMap::new(), next_serial: 1, host: "localhost".into(), op_tx, op_rx }
    }

    /// Sends our init (unprompted, first), then routes until stdin ends.
    pub async fn run(mut self, mut incoming: mpsc::Receiver<Incoming>) -> Stop {
        self.out.send_control(&control::init());
        log::debug!(target: crate::STARTUP_LOG, "init sent");
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
                    self.out.send_control(&control::close(channel.as_str(), Map::new()));
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
            Inbound::BadChannel { command, channel, reason } => {
                warn!("ignoring \"{command}\" with {reason}");
                // Refuse the open inside a control message, where JSON escapes the id; an empty
                // id would mean every channel, so that one gets no answer.
                if command == "open" && !channel.is_empty() {
                    let problem = Problem::protocol(format!("The bridge opened a channel with {reason}"));
                    self.out.send_control(&control::close(&channel, problem.close_fields()));
                }
            }
            Inbound::Other { command } => debug!("ignoring control command {command:?}"),
        }
    }

    fn on_data(&mut self, frame: Frame) {
        let Some((id, entry)) = self.channels.get_key_value(frame.channel.as_str()) else {
            return debug!("data for unknown channel {:?}", frame.channel);
        };
        let length = frame.payload.len();
        if entry.unread.fetch_add(length, Ordering::SeqCst) + length > MAX_UNREAD_INPUT {
            let id = id.clone();
            let problem = Problem::protocol(format!(
                "More than {} MiB of input arrived that the helper has not read yet",
                MAX_UNREAD_INPUT >> 20
            ));
            return self.close_with(&id, problem);
        }
        // With "send-acks", the op acknowledges the frame once it has taken it (`ChannelIo::recv`).
        let _ = entry.input.send(ChannelInput::Data(frame.payload));
    }

    /// Closes a live channel from our side: cancels its op, sends one `close` with the problem.
    fn close_with(&mut self, id: &ChannelId, problem: Problem) {
        if let Some(entry) = self.channels.remove(id) {
            entry.task.abort();
            info!("channel {id}: {} ({})", problem.message, problem.code.as_str());
            self.out.send_control(&control::close(id.as_str(), problem.close_fields()));
        }
    }

    /// The entry of this very open of a channel, if it is still live.
    fn live(&self, key: &ChannelKey) -> bool {
        self.channels.get(&key.id).is_some_and(|entry| entry.serial == key.serial)
    }

    fn deliver(&mut self, channel: &ChannelId, input: ChannelInput) {
        if let Some(entry) = self.channels.get(channel) {
            let _ = entry.input.send(input);
        }
    }

    fn on_open(&mut self, channel: ChannelId, options: Map<String, Value>) {
        if self.channels.contains_key(&channel) {
            // Cockpit never reuses ids; answering would close the live channel, so don't.
            return warn!("ignoring second open of channel {channel}");
        }
        let body = match ops::open(&options, &self.ctx) {
            Ok(body) => body,
            Err(problem) => {
                info!("channel {channel}: refused open: {}", problem.message.escape_debug());
                return self.out.send_control(&control::close(channel.as_str(), problem.close_fields()));
            }
        };
        let flow_control = options.get("flow-control").and_then(Value::as_bool).unwrap_or(false);
        let (window_tx, window_rx) = watch::channel(if flow_control { SEND_WINDOW } else { u64::MAX });
        // Unbounded in messages, bounded in bytes by `on_data`; the router never waits on an op.
        let (input_tx, input_rx) = mpsc::unbounded_channel();
        let unread = Arc::new(AtomicUsize::new(0));
        let serial = self.next_serial;
        self.next_serial += 1;
        let key = ChannelKey { id: channel.clone(), serial };
        let send_acks = options.get("send-acks").and_then(Value::as_str) == Some("bytes");
        let io = ChannelIo::new(key.clone(), self.op_tx.clone(), (input_rx, unread.clone()), window_rx, flow_control)
            .with_acks(send_acks);

        let task = tokio::spawn(body(io));
        let abort = task.abort_handle();
        // A second task turns the op's end (or its panic) into `Finished`; a cancelled op
        // (browser close, kill) was already closed by the router and reports nothing.
        let op_tx = self.op_tx.clone();
        tokio::spawn(async move {
            let result = match task.await {
                Ok(result) => result,
                Err(err) if err.is_cancelled() => return,
                Err(err) => {
                    log::error!("channel {}: op panicked: {err}", key.id);
                    Err(Problem::internal("The helper hit an internal error (panic); see its log"))
                }
            };
            let _ = op_tx.send(OpMessage::Finished { channel: key, result });
        });

        let group = options.get("group").and_then(Value::as_str).map(str::to_string);
        let entry = Entry { serial, input: input_tx, unread, window: window_tx, task: abort, group };
        self.channels.insert(channel, entry);
    }

    fn on_kill(&mut self, host: Option<String>, group: Option<String>) {
        if host.is_some_and(|host| host != self.host) {
            return;
        }
        let doomed: Vec<ChannelId> = self
            .channels
            .iter()
            .filter(|(_, entry)| group.is_none() || entry.group == group)
            .map(|(id, _)| id.clone())
            .collect();
        for id in doomed {
            let entry = self.channels.remove(&id).expect("listed above");
            entry.task.abort();
            let problem = Problem::new(ProblemCode::Terminated, "Channel killed");
            self.out.send_control(&control::close(id.as_str(), problem.close_fields()));
        }
    }

    fn on_op_message(&mut self, message: OpMessage) {
        match message {
            OpMessage::Ready { channel, extra } => {
                if self.live(&channel) {
                    self.out.send_control(&control::ready(channel.id.as_str(), extra));
                }
            }
            OpMessage::Data { channel, payload } => {
                if self.live(&channel) {
                    self.out.send_frame(&channel.id, &payload);
                }
            }
            OpMessage::Control { channel, message } => {
                if self.live(&channel) {
                    self.out.send_control(&message);
                }
            }
            OpMessage::Finished { channel, result } => {
                if self.live(&channel) {
                    self.channels.remove(&channel.id);
                    let fields = match result {
                        Ok(fields) => fields,
                        Err(problem) => {
                            info!(
                                "channel {}: {} ({})",
                                channel.id,
                                problem.message.escape_debug(),
                                problem.code.as_str()
                            );
                            problem.close_fields()
                        }
                    };
                    self.out.send_control(&control::close(channel.id.as_str(), fields));
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
    use crate::hub::{Hubs, PollConfig};
    use crate::protocol::frame::FrameDecoder;
    use serde_json::json;

    fn router() -> (Router, std::sync::mpsc::Receiver<Vec<u8>>) {
        let (out, written) = Outbound::capture();
        let ctx = Arc::new(Context { hubs: Hubs::new(PollConfig::from_env()) });
        (Router::new(out, ctx), written)
    }

    fn control(message: Value) -> Frame {
        Frame { channel: String::new(), payload: message.to_string().into_bytes() }
    }

    /// Every frame written so far, as (channel, JSON of the payload).
    fn written(rx: &std::sync::mpsc::Receiver<Vec<u8>>) -> Vec<(String, Value)> {
        let mut decoder = FrameDecoder::new();
        rx.try_iter().for_each(|bytes| decoder.push(&bytes));
        std::iter::from_fn(|| decoder.next_frame().unwrap())
            .map(|f| (f.channel, serde_json::from_slice(&f.payload).unwrap_or(Value::Null)))
            .collect()
    }

    fn key(id: &str, serial: u64) -> ChannelKey {
        ChannelKey { id: ChannelId::parse(id).unwrap(), serial }
    }

    fn open_history(router: &mut Router, id: &str) {
        let open = json!({"command": "open", "channel": id, "op": "history", "uri": "test:///default", "vm": "x"});
        router.on_frame(control(open));
    }

    #[tokio::test]
    async fn router_reused_id_never_gets_the_old_ops_messages() {
        let (mut router, rx) = router();
        open_history(&mut router, "r");
        router.on_frame(control(json!({"command": "close", "channel": "r"})));
        open_history(&mut router, "r");
        written(&rx);
        // What the first op had queued arrives after the reopen: dropped.
        router.on_op_message(OpMessage::Data { channel: key("r", 1), payload: b"{\"old\":1}\n".to_vec() });
        router.on_op_message(OpMessage::Finished { channel: key("r", 1), result: Err(Problem::internal("old")) });
        assert_eq!(written(&rx), vec![]);
        assert!(router.channels.contains_key("r"));
        router.on_op_message(OpMessage::Data { channel: key("r", 2), payload: b"{\"new\":1}\n".to_vec() });
        assert_eq!(written(&rx), vec![("r".to_string(), json!({"new": 1}))]);
    }

    #[tokio::test]
    async fn router_bad_channel_ids_are_refused_in_json_never_framed() {
        let (mut router, rx) = router();
        for id in ["x\ny", "x\0", "a b", ""] {
            router
                .on_frame(control(json!({"command": "open", "channel": id, "op": "watch", "uri": "test:///default"})));
        }
        let frames = written(&rx);
        assert!(frames.iter().all(|(channel, _)| channel.is_empty()), "{frames:?}");
        let closed: Vec<&str> = frames.iter().filter_map(|(_, m)| m["channel"].as_str()).collect();
        assert_eq!(closed, ["x\ny", "x\0", "a b"], "an empty id gets no answer");
        assert!(frames.iter().all(|(_, m)| m["problem"] == "protocol-error"));
        assert!(router.channels.is_empty());
    }

    #[tokio::test]
    async fn router_unread_input_is_bounded() {
        let (mut router, rx) = router();
        open_history(&mut router, "in");
        written(&rx);
        // The op never reads its input (history doesn't): the channel closes at the bound.
        let chunk = vec![b'x'; 1024 * 1024];
        for _ in 0..=MAX_UNREAD_INPUT / chunk.len() {
            router.on_frame(Frame { channel: "in".into(), payload: chunk.clone() });
        }
        let frames = written(&rx);
        let close = frames.iter().find(|(_, m)| m["command"] == "close").expect("closed");
        assert_eq!(close.1["problem"], "protocol-error");
        assert!(close.1["message"].as_str().unwrap().contains("not read"), "{close:?}");
        assert!(!router.channels.contains_key("in"));
    }

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
