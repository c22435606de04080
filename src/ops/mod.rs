//! The op registry: the `op` field of an `open` picks one module here. Each op validates its
//! open fields before `ready` (a bad field closes the channel with `protocol-error`) and returns
//! its body, which the router runs with the channel.

pub mod action;
pub mod clone;
pub mod connections;
pub mod console;
pub mod create;
pub mod device;
pub mod history;
pub mod host_devices;
pub mod info;
pub mod migrate;
pub mod network;
pub mod osinfo;
pub mod resources;
pub mod settings;
pub mod snapshot;
pub mod start_failure;
pub mod storage;
pub mod stream;
pub mod target;
pub mod watch;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::hub::Hubs;
use crate::problem::Problem;
use crate::router::channel::ChannelIo;

/// What every op can reach: the shared libvirt hubs.
pub struct Context {
    pub hubs: Hubs,
}

/// An op's end: fields for a clean `close`, or the problem to close with.
pub type OpResult = Result<Map<String, Value>, Problem>;
pub type OpFuture = Pin<Box<dyn Future<Output = OpResult> + Send>>;
/// An accepted open: the op's body, waiting for its channel.
pub type OpBody = Box<dyn FnOnce(ChannelIo) -> OpFuture + Send>;

/// Validates an op's open fields and returns its body.
pub type OpenFn = fn(&Map<String, Value>, &Arc<Context>) -> Result<OpBody, Problem>;

/// Every op, by name. `docs/api.md` documents each; a unit test checks it does.
pub const OPS: &[(&str, OpenFn)] = &[
    ("watch", watch::open),
    ("action", action::open),
    ("delete-plan", action::open_plan),
    ("history", history::open),
    ("console", console::open),
    ("create-options", create::open_options),
    ("create", create::open),
    ("osinfo", osinfo::open),
    ("info", info::open),
    ("settings", settings::open),
    ("domain-xml", settings::xml::open),
    ("device", device::open),
    // Storage pools and virtual networks (issue #15).
    ("resources", resources::open),
    ("pool", storage::open),
    ("network", network::open),
    ("volume-upload", storage::transfer::open_upload),
    ("volume-download", storage::transfer::open_download),
    ("pool-sources", storage::sources::open),
    // Snapshots and clones (issue #16).
    ("snapshot", snapshot::open),
    ("clone", clone::open),
    // Migration to another host (issue #16).
    ("migrate", migrate::open),
    // Host devices VMs can be given (issue #16).
    ("host-devices", host_devices::open),
    // Saved connections to other hosts (issue #18).
    ("connections", connections::open),
];

pub fn open(options: &Map<String, Value>, ctx: &Arc<Context>) -> Result<OpBody, Problem> {
    let op = match options.get("op") {
        Some(Value::String(op)) => op,
        Some(_) => return Err(Problem::protocol("\"op\" must be a string")),
        None => return Err(Problem::protocol("the open message has no \"op\"")),
    };
    match OPS.iter().find(|(name, _)| name == op) {
        Some((_, open)) => open(options, ctx),
        None => Err(Problem::not_supported(format!("unknown op \"{op}\""))),
    }
}

/// Reads an op's typed open fields; the error names the field ("field \"uri\": invalid type…").
pub fn parse_options<T: DeserializeOwned>(options: &Map<String, Value>) -> Result<T, Problem> {
    serde_path_to_error::deserialize(Value::Object(options.clone())).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if path == "." {
            Problem::protocol(format!("invalid open message: {inner}"))
        } else {
            Problem::protocol(format!("invalid open message: field \"{path}\": {inner}"))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Example {
        uri: String,
        #[serde(default)]
        storage: Vec<String>,
    }

    #[test]
    fn ops_parse_options_names_the_field() {
        let options = |v: Value| v.as_object().unwrap().clone();
        let err = parse_options::<Example>(&options(serde_json::json!({"uri": [1]}))).unwrap_err();
        assert!(err.message.contains("field \"uri\""), "{}", err.message);
        let err = parse_options::<Example>(&options(serde_json::json!({"uri": "x", "storage": "vda"}))).unwrap_err();
        assert!(err.message.contains("field \"storage\""), "{}", err.message);
        let err = parse_options::<Example>(&options(serde_json::json!({}))).unwrap_err();
        assert!(err.message.contains("missing field `uri`"), "{}", err.message);
    }

    #[test]
    fn ops_every_op_is_documented_in_api_md() {
        let api = include_str!("../../docs/api.md");
        for (name, _) in OPS {
            assert!(api.contains(&format!("## op `{name}`")), "docs/api.md has no section for op {name}");
        }
    }

    /// Random open messages for every op: each open either refuses with a problem or accepts,
    /// never panics; a URI outside the allow-list is always refused.
    mod fuzz {
        use std::sync::{Arc, OnceLock};

        use proptest::prelude::*;
        use serde_json::{Map, Value, json};

        use super::super::{Context, OPS, open};
        use crate::hub::{Hubs, PollConfig};

        fn context() -> Arc<Context> {
            static CONTEXT: OnceLock<Arc<Context>> = OnceLock::new();
            CONTEXT.get_or_init(|| Arc::new(Context { hubs: Hubs::new(PollConfig::from_env()) })).clone()
        }

        fn leaf() -> impl Strategy<Value = Value> {
            prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                any::<f64>().prop_map(|f| json!(f)),
                "\\PC{0,24}".prop_map(Value::from),
                "[\\x00-\\x7f]{0,24}".prop_map(Value::from),
                prop::sample::select(vec![
                    "test:///default",
                    "qemu+ext:///system?command=/bin/true",
                    "qemu:///system\0",
                    "",
                    "raw",
                    "serial",
                    "graphics",
                    "validate",
                    "create",
                    "delete",
                    "autostart",
                    "/dev/watchdog",
                    "vda",
                ])
                .prop_map(Value::from),
            ]
        }

        fn value() -> impl Strategy<Value = Value> {
            leaf().prop_recursive(3, 24, 6, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                    prop::collection::btree_map("[a-z]{1,8}", inner, 0..4)
                        .prop_map(|m| Value::Object(m.into_iter().collect())),
                ]
            })
        }

        const FIELDS: &[&str] = &[
            "uri",
            "vm",
            "action",
            "enable",
            "storage",
            "kind",
            "binary",
            "index",
            "force",
            "usage",
            "spec",
            "mode",
            "detect",
            "media",
            "url",
            "group",
            "flow-control",
            "send-acks",
            "pool",
            "volume",
            "size",
            "network",
            "ipv6",
            "hostnames",
        ];

        fn open_message() -> impl Strategy<Value = (usize, Map<String, Value>)> {
            let field = (prop::sample::select(FIELDS), value());
            (0..OPS.len(), prop::collection::vec(field, 0..8)).prop_map(|(op, fields)| {
                let mut map: Map<String, Value> = fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
                map.insert("op".into(), OPS[op].0.into());
                (op, map)
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]
            #[test]
            fn ops_open_refuses_or_accepts_never_panics((_, options) in open_message()) {
                let uri_refused = options.get("uri").is_some_and(|uri| uri.as_str() != Some("test:///default"));
                let result = open(&options, &context());
                if uri_refused {
                    // Ops without a connection ignore the field.
                    let takes_uri = !matches!(options["op"].as_str(), Some("osinfo" | "info"));
                    prop_assert!(result.is_err() || !takes_uri, "accepted {options:?}");
                }
            }
        }
    }
}
