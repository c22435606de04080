//! op `watch`: the live VM list of one connection (`docs/api.md`).
//!
//! Sends the connection state, a snapshot (`reset`, `vms`…, `synced`) and then merge patches of
//! the VMs that changed. It only sends while the browser keeps up; meanwhile changes gather in
//! the hub's watcher as a set of ids, so a slow browser gets the latest state, not a backlog.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Context, OpBody, OpResult, parse_options};
use crate::hub::{ConnectionStatus, Hub, VmEntry};
use crate::problem::Problem;
use crate::router::channel::{ChannelInput, ChannelIo};

/// Keep each data frame well below Cockpit's 1 MiB frame guidance.
const MAX_MESSAGE_BYTES: usize = 128 * 1024;

#[derive(Deserialize)]
struct WatchOptions {
    uri: String,
}

pub fn open(options: &Map<String, Value>, ctx: &Arc<Context>) -> Result<OpBody, Problem> {
    let options: WatchOptions = parse_options(options)?;
    if options.uri.is_empty() {
        return Err(Problem::protocol("\"uri\" must not be empty"));
    }
    let hub = ctx.hubs.get(&options.uri);
    Ok(Box::new(move |io| Box::pin(run(io, hub))))
}

async fn run(mut io: ChannelIo, hub: Arc<Hub>) -> OpResult {
    let watcher = hub.subscribe();
    io.ready();
    let mut sent_epoch = 0;
    let mut sent_status: Option<ConnectionStatus> = None;
    loop {
        tokio::select! {
            _ = watcher.wake.notified() => {}
            input = io.recv() => match input {
                None => return Ok(Map::new()),
                Some(ChannelInput::Data(data)) => check_request(&data)?,
                Some(ChannelInput::Options | ChannelInput::Done) => {}
            },
        }
        io.writable().await;
        let pending = watcher.take();
        let status = hub.status();
        if sent_status.as_ref() != Some(&status) {
            io.send_json(&json!({ "connection": status }));
            sent_status = Some(status);
        }
        if hub.epoch() != sent_epoch {
            // The snapshot is read after `take`, so it covers every pending change.
            sent_epoch = send_snapshot(&mut io, &hub).await;
        } else if !pending.dirty.is_empty() {
            let changes: Vec<(String, Option<Arc<VmEntry>>)> = pending
                .dirty
                .into_iter()
                .map(|id| {
                    let entry = hub.get(&id);
                    (id, entry)
                })
                .collect();
            send_vms(&mut io, changes).await;
        }
    }
}

/// In-band requests are reserved for later versions; anything but a JSON object is an error.
fn check_request(data: &[u8]) -> Result<(), Problem> {
    match serde_json::from_slice::<Value>(data) {
        Ok(Value::Object(_)) => Ok(()),
        _ => Err(Problem::protocol("watch channel data must be JSON objects")),
    }
}

async fn send_snapshot(io: &mut ChannelIo, hub: &Hub) -> u64 {
    let (epoch, entries) = hub.snapshot();
    io.send_json(&json!({"reset": true}));
    send_vms(io, entries.into_iter().map(|entry| (entry.vm.id.clone(), Some(entry))).collect()).await;
    io.send_json(&json!({"synced": true}));
    epoch
}

/// Sends `{"vms": {id: vm|null, …}}` messages of bounded size, waiting for the browser between them.
async fn send_vms(io: &mut ChannelIo, changes: Vec<(String, Option<Arc<VmEntry>>)>) {
    let mut message = String::new();
    for (id, entry) in changes {
        if message.is_empty() {
            message.push_str("{\"vms\":{");
        } else {
            message.push(',');
        }
        message.push_str(&serde_json::to_string(&id).expect("strings serialize"));
        message.push(':');
        message.push_str(entry.as_ref().map_or("null", |entry| entry.json.get()));
        if message.len() >= MAX_MESSAGE_BYTES {
            flush(io, &mut message).await;
        }
    }
    if !message.is_empty() {
        flush(io, &mut message).await;
    }
}

async fn flush(io: &mut ChannelIo, message: &mut String) {
    message.push_str("}}\n");
    io.writable().await;
    io.send_data(std::mem::take(message).into_bytes());
}
