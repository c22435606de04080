//! op `resources`: the live storage pools and virtual networks of one connection (`docs/api.md`).
//!
//! Sends the connection state, a snapshot (`reset`, `drivers`, `pools`, `networks`, `synced`) and
//! then merge patches of what changed, diffed against what this channel sent last, so a browser
//! that lags gets each object's latest state once.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::{Context, OpBody, OpResult, parse_options};
use crate::hub::{ConnectionStatus, Hub};
use crate::model::uri::Uri;
use crate::problem::Problem;
use crate::router::channel::{ChannelInput, ChannelIo};

#[derive(Deserialize)]
struct ResourcesOptions {
    uri: Uri,
}

pub fn open(options: &Map<String, Value>, ctx: &Arc<Context>) -> Result<OpBody, Problem> {
    let options: ResourcesOptions = parse_options(options)?;
    let hub = ctx.hubs.get(&options.uri)?;
    Ok(Box::new(move |io| Box::pin(run(io, hub))))
}

type Sent = HashMap<String, Arc<RawValue>>;

async fn run(mut io: ChannelIo, hub: Arc<Hub>) -> OpResult {
    let mut version = hub.resources.subscribe();
    let mut status_rx = hub.status_receiver();
    io.ready();
    let mut sent_status: Option<ConnectionStatus> = None;
    let mut sent_epoch = 0;
    let (mut sent_pools, mut sent_networks) = (Sent::new(), Sent::new());
    let mut sent_drivers = Value::Null;
    loop {
        io.writable().await;
        let status = hub.status();
        if sent_status.as_ref() != Some(&status) {
            io.send_json(&json!({ "connection": status }));
            sent_status = Some(status);
        }
        let snapshot = hub.resources.snapshot();
        if snapshot.epoch > 0 {
            let drivers = json!({"storage": snapshot.pool_driver, "network": snapshot.network_driver});
            let fresh = snapshot.epoch != sent_epoch;
            if fresh {
                io.send_json(&json!({"reset": true}));
                sent_pools.clear();
                sent_networks.clear();
            }
            if fresh || drivers != sent_drivers {
                io.send_json(&json!({ "drivers": drivers }));
                sent_drivers = drivers;
            }
            send_patch(&mut io, "pools", &snapshot.pools, &mut sent_pools, fresh);
            send_patch(&mut io, "networks", &snapshot.networks, &mut sent_networks, fresh);
            if fresh {
                io.send_json(&json!({"synced": true}));
                sent_epoch = snapshot.epoch;
            }
        }
        tokio::select! {
            _ = version.changed() => {}
            _ = status_rx.changed() => {}
            input = io.recv() => match input {
                None => return Ok(Map::new()),
                Some(ChannelInput::Data(data)) => match serde_json::from_slice::<Value>(&data) {
                    Ok(Value::Object(_)) => {}
                    _ => return Err(Problem::protocol("resources channel data must be JSON objects")),
                },
                Some(ChannelInput::Options | ChannelInput::Done) => {}
            },
        }
    }
}

/// `{"<key>":{id: object|null, …}}` with what differs from `sent` (everything when `fresh`).
fn send_patch(io: &mut ChannelIo, key: &str, now: &HashMap<String, Arc<RawValue>>, sent: &mut Sent, fresh: bool) {
    let mut patch = Map::new();
    for (id, value) in now {
        if sent.get(id).is_none_or(|old| !Arc::ptr_eq(old, value)) {
            patch.insert(id.clone(), serde_json::from_str(value.get()).expect("stored JSON"));
        }
    }
    for id in sent.keys() {
        if !now.contains_key(id) {
            patch.insert(id.clone(), Value::Null);
        }
    }
    if !patch.is_empty() || fresh {
        let mut message = Map::new();
        message.insert(key.to_string(), Value::Object(patch));
        io.send_json(&Value::Object(message));
    }
    *sent = now.clone();
}
