//! Typed control messages (frames on the empty channel): parsing what the bridge sends and
//! building what the helper may send. The helper only ever emits compact JSON.

use serde_json::{Map, Value, json};

use super::channel_id::ChannelId;

/// A control message from the bridge, parsed far enough to route it.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    Init {
        version: Option<i64>,
        host: Option<String>,
    },
    /// The whole open message; ops read their own fields from it.
    Open {
        channel: ChannelId,
        options: Map<String, Value>,
    },
    Close {
        channel: ChannelId,
    },
    Done {
        channel: ChannelId,
    },
    Options {
        channel: ChannelId,
        fields: Map<String, Value>,
    },
    /// A channel ping; the reply is a pong with identical fields.
    Ping {
        channel: ChannelId,
        fields: Map<String, Value>,
    },
    Pong {
        channel: ChannelId,
        sequence: Option<u64>,
    },
    Kill {
        host: Option<String>,
        group: Option<String>,
    },
    /// A command naming a channel id the helper will not use (see [`ChannelId`]); the raw id
    /// may still be answered inside a control message, where JSON escapes it.
    BadChannel {
        command: String,
        channel: String,
        reason: String,
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
        let raw_channel = match fields.get("channel") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(ControlError(format!("\"{command}\" with an invalid \"channel\""))),
        };
        let channel = match raw_channel.as_deref().map(ChannelId::parse) {
            None => None,
            Some(Ok(id)) => Some(id),
            Some(Err(reason)) => {
                let channel = raw_channel.unwrap_or_default();
                return Ok(Inbound::BadChannel { command, channel, reason });
            }
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
        assert_eq!(channel.as_str(), "1:2!1");
        assert_eq!(options["op"], "watch");
    }

    #[test]
    fn control_rejects_malformed() {
        for bad in [
            &b"nope"[..],
            b"[1]",
            b"{\"channel\":\"x\"}",
            b"{\"command\":\"open\"}",
            b"{\"command\":\"close\",\"channel\":7}",
        ] {
            assert!(Inbound::parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn control_bad_channel_ids_are_named_not_used() {
        for (payload, channel) in [
            (&br#"{"command":"open","channel":"a\nb","op":"watch"}"#[..], "a\nb"),
            (br#"{"command":"close","channel":""}"#, ""),
            (br#"{"command":"open","channel":"x\u0000"}"#, "x\0"),
        ] {
            let parsed = Inbound::parse(payload).unwrap();
            let Inbound::BadChannel { channel: raw, .. } = parsed else { panic!("{parsed:?}") };
            assert_eq!(raw, channel);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 3000, ..Default::default() })]
        /// Any bytes: an error or a message, never a panic; a routed channel is always a valid id.
        #[test]
        fn control_parse_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let _ = Inbound::parse(&bytes);
        }

        #[test]
        fn control_parse_json_shapes(
            command in "open|close|done|options|ping|pong|kill|init|[a-z]{0,6}",
            channel in proptest::option::of("\\PC{0,12}|[\\x00-\\x7f]{0,12}"),
            extra in proptest::option::of(proptest::prelude::any::<i64>()),
        ) {
            let mut message = json!({"command": command, "sequence": extra, "version": extra});
            if let Some(channel) = &channel {
                message["channel"] = json!(channel);
            }
            let parsed = Inbound::parse(message.to_string().as_bytes());
            if let Ok(Inbound::Open { channel, .. } | Inbound::Close { channel } | Inbound::Done { channel }) = parsed {
                proptest::prop_assert!(channel.as_str().chars().all(|c| c.is_ascii_graphic()) && !channel.as_str().is_empty());
            }
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
