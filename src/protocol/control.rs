//! Typed control messages (frames on the empty channel): parsing what the bridge sends and
//! building what the helper may send. The helper only ever emits compact JSON.

use serde_json::{Map, Value, json};

/// A control message from the bridge, parsed far enough to route it.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    Init {
        version: Option<i64>,
        host: Option<String>,
    },
    /// The whole open message; ops read their own fields from it.
    Open {
        channel: String,
        options: Map<String, Value>,
    },
    Close {
        channel: String,
    },
    Done {
        channel: String,
    },
    Options {
        channel: String,
        fields: Map<String, Value>,
    },
    /// A channel ping; the reply is a pong with identical fields.
    Ping {
        channel: String,
        fields: Map<String, Value>,
    },
    Pong {
        channel: String,
        sequence: Option<u64>,
    },
    Kill {
        host: Option<String>,
        group: Option<String>,
    },
    /// Anything else (ignored by the router, logged).
    Other {
        command: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlError(pub String);

impl std::fmt::Display for ControlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Inbound {
    pub fn parse(payload: &[u8]) -> Result<Inbound, ControlError> {
        let value: Value =
            serde_json::from_slice(payload).map_err(|e| ControlError(format!("control message is not JSON: {e}")))?;
        let Value::Object(fields) = value else {
            return Err(ControlError("control message is not a JSON object".into()));
        };
        let command = match fields.get("command") {
            Some(Value::String(s)) => s.clone(),
            _ => return Err(ControlError("control message without a string \"command\"".into())),
        };
        let string = |key: &str| fields.get(key).and_then(Value::as_str).map(str::to_string);
        let channel = match fields.get("channel") {
            None => None,
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(_) => return Err(ControlError(format!("\"{command}\" with an invalid \"channel\""))),
        };
        let need_channel = || channel.clone().ok_or_else(|| ControlError(format!("\"{command}\" without a channel")));
        Ok(match command.as_str() {
            "init" => Inbound::Init { version: fields.get("version").and_then(Value::as_i64), host: string("host") },
            "open" => Inbound::Open { channel: need_channel()?, options: fields },
            "close" => Inbound::Close { channel: need_channel()? },
            "done" => Inbound::Done { channel: need_channel()? },
            "options" => Inbound::Options { channel: need_channel()?, fields },
            "ping" if channel.is_some() => Inbound::Ping { channel: need_channel()?, fields },
            "pong" => {
                Inbound::Pong { channel: need_channel()?, sequence: fields.get("sequence").and_then(Value::as_u64) }
            }
            "kill" => Inbound::Kill { host: string("host"), group: string("group") },
            _ => Inbound::Other { command },
        })
    }
}

/// The helper's own init: first, unprompted, `version` 1 and nothing the C bridge could reject.
pub fn init() -> Value {
    json!({"command": "init", "version": 1})
}

pub fn ready(channel: &str, extra: Map<String, Value>) -> Value {
    with_fields(json!({"command": "ready", "channel": channel}), extra)
}

pub fn close(channel: &str, extra: Map<String, Value>) -> Value {
    with_fields(json!({"command": "close", "channel": channel}), extra)
}

pub fn ping(channel: &str, sequence: u64) -> Value {
    json!({"command": "ping", "channel": channel, "sequence": sequence})
}

pub fn ack(channel: &str, bytes: usize) -> Value {
    json!({"command": "ack", "channel": channel, "bytes": bytes})
}

/// A pong echoing every field of the ping.
pub fn pong(mut ping_fields: Map<String, Value>) -> Value {
    ping_fields.insert("command".into(), "pong".into());
    Value::Object(ping_fields)
}

fn with_fields(mut base: Value, extra: Map<String, Value>) -> Value {
    if let Value::Object(map) = &mut base {
        for (key, value) in extra {
            if key != "command" && key != "channel" {
                map.insert(key, value);
            }
        }
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_parses_pretty_printed_337_open() {
        let payload = b"{\n  \"command\": \"open\",\n  \"channel\": \"1:2!1\",\n  \"payload\": \"virt1\",\n  \"op\": \"watch\",\n  \"host\": \"localhost\",\n  \"flow-control\": true\n}\n";
        let Inbound::Open { channel, options } = Inbound::parse(payload).unwrap() else { panic!("not an open") };
        assert_eq!(channel, "1:2!1");
        assert_eq!(options["op"], "watch");
    }

    #[test]
    fn control_rejects_malformed() {
        for bad in [
            &b"nope"[..],
            b"[1]",
            b"{\"channel\":\"x\"}",
            b"{\"command\":\"open\"}",
            b"{\"command\":\"close\",\"channel\":\"\"}",
        ] {
            assert!(Inbound::parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn control_ping_without_channel_is_other() {
        assert_eq!(Inbound::parse(br#"{"command":"ping"}"#).unwrap(), Inbound::Other { command: "ping".into() });
    }

    #[test]
    fn control_pong_echoes_ping_fields() {
        let Inbound::Ping { fields, .. } =
            Inbound::parse(br#"{"command":"ping","channel":"c","sequence":5,"x":[1]}"#).unwrap()
        else {
            panic!()
        };
        assert_eq!(pong(fields), json!({"command":"pong","channel":"c","sequence":5,"x":[1]}));
    }

    #[test]
    fn control_close_keeps_extra_fields_but_not_command() {
        let mut extra = Map::new();
        extra.insert("problem".into(), "not-found".into());
        extra.insert("command".into(), "evil".into());
        assert_eq!(close("c", extra), json!({"command":"close","channel":"c","problem":"not-found"}));
    }
}
