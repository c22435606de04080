//! The op registry: the `op` field of an `open` picks one module here. Each op validates its
//! open fields before `ready` (a bad field closes the channel with `protocol-error`) and returns
//! its body, which the router runs with the channel.

pub mod action;
pub mod console;
pub mod create;
pub mod history;
pub mod network;
pub mod osinfo;
pub mod resources;
pub mod storage;
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
    ("history", history::open),
    ("console", console::open),
    ("create-options", create::open_options),
    ("create", create::open),
    ("osinfo", osinfo::open),
    // Storage pools and virtual networks (issue #15).
    ("resources", resources::open),
    ("pool", storage::open),
    ("network", network::open),
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
}
