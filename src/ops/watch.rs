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
use crate::model::name_order::compare_names;
use crate::model::uri::Uri;
use crate::problem::Problem;
use crate::router::channel::{ChannelInput, ChannelIo};

/// Keep each data frame well below Cockpit's 1 MiB frame guidance.
const MAX_MESSAGE_BYTES: usize = 128 * 1024;
/// The snapshot's first message: more rows than any screen shows at once.
const FIRST_MESSAGE_VMS: usize = 100;

/// Seconds of CPU history sent for each VM's sparkline when usage starts.
const SPARKLINE_SECONDS: u64 = 300;

#[derive(Deserialize)]
struct WatchOptions {
    uri: Uri,
    /// Also send live usage of the running VMs each tick.
    #[serde(default)]
    usage: bool,
}

pub fn open(options: &Map<String, Value>, ctx: &Arc<Context>) -> Result<OpBody, Problem> {
    let options: WatchOptions = parse_options(options)?;
    let hub = ctx.hubs.get(&options.uri)?;
    log::debug!(target: crate::STARTUP_LOG, "watch {}: opened", options.uri);
    let usage = options.usage;
    Ok(Box::new(move |io| Box::pin(run(io, hub, usage))))
}

async fn run(mut io: ChannelIo, hub: Arc<Hub>, usage: bool) -> OpResult {
    let watcher = hub.subscribe();
    // Keeps the poller running for as long as this channel is open.
    let _usage_subscription = usage.then(|| hub.watch_usage());
    io.ready();
    let mut sent_epoch = 0;
    let mut sent_status: Option<ConnectionStatus> = None;
    let mut sent_usage_tick: Option<u64> = None;
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
        if usage && sent_epoch > 0 && sent_usage_tick != Some(hub.usage.tick()) {
            sent_usage_tick = Some(send_usage(&mut io, &hub, sent_usage_tick).await);
        }
    }
}

/// Usage changed since the tick last sent (`None`: first time, everything plus sparklines).
async fn send_usage(io: &mut ChannelIo, hub: &Hub, since: Option<u64>) -> u64 {
    if since.is_none() {
        let points = (SPARKLINE_SECONDS * 1000 / hub.poll_config.tick.as_millis().max(1) as u64) as usize;
        let sparklines: Vec<(String, String)> = hub
            .usage
            .recent_cpu(points)
            .into_iter()
            .map(|(id, cpu)| (id, serde_json::to_string(&cpu).expect("numbers serialize")))
            .collect();
        send_split(io, "{\"sparklines\":{", sparklines, true).await;
    }
    let changes = hub.usage.changes_since(since.unwrap_or(0));
    let mut head = json!({ "tick": changes.tick, "interval": hub.poll_config.tick.as_secs_f64() });
    if since.is_none() {
        head["reset"] = true.into();
    }
    if let Some(host) = &changes.host {
        head["host"] = serde_json::from_str(host.get()).expect("host usage is JSON");
    }
    let head = head.to_string();
    // {<head fields>, "usage": {id: usage|null, …}}
    let open = format!("{},\"usage\":{{", &head[..head.len() - 1]);
    let items: Vec<(String, String)> = changes
        .vms
        .into_iter()
        .map(|(id, usage)| (id, usage.as_ref().map_or("null", |u| u.get()).to_string()))
        .collect();
    // A first message, or one with host numbers, goes out even without VMs.
    send_split(io, &open, items, since.is_none() || changes.host.is_some()).await;
    changes.tick
}

/// In-band requests are reserved for later versions; anything but a JSON object is an error.
fn check_request(data: &[u8]) -> Result<(), Problem> {
    match serde_json::from_slice::<Value>(data) {
        Ok(Value::Object(_)) => Ok(()),
        _ => Err(Problem::protocol("watch channel data must be JSON objects")),
    }
}

async fn send_snapshot(io: &mut ChannelIo, hub: &Hub) -> u64 {
    let (epoch, mut entries) = hub.snapshot();
    // The list's default order: the page can show its first screenful from the first message.
    entries.sort_by(|a, b| compare_names(&a.vm.name, &b.vm.name));
    io.send_json(&json!({"reset": true}));
    // Each VM's text is copied as its message is filled, so the first message (the first screenful) leaves
    // before the rest of a large table is touched. The rest waits until the page has that first message: sent at
    // once, megabytes of it queued in the bridge and cockpit-ws ahead of the page held the first one back
    // (~200 ms at 10,000 VMs).
    let mut items = entries.into_iter().map(|entry| (entry.vm.id.clone(), entry.json.get().to_string()));
    let first: Vec<(String, String)> = items.by_ref().take(FIRST_MESSAGE_VMS).collect();
    let more = first.len() == FIRST_MESSAGE_VMS;
    send_split(io, "{\"vms\":{", first, false).await;
    if more {
        io.drained().await;
        send_split(io, "{\"vms\":{", items, false).await;
    }
    io.send_json(&json!({"synced": true}));
    log::debug!(target: crate::STARTUP_LOG, "watch: snapshot sent, epoch {epoch}");
    epoch
}

/// Sends `{"vms": {id: vm|null, …}}` messages of bounded size.
async fn send_vms(io: &mut ChannelIo, changes: Vec<(String, Option<Arc<VmEntry>>)>) {
    let items: Vec<(String, String)> = changes
        .into_iter()
        .map(|(id, entry)| (id, entry.as_ref().map_or("null", |entry| entry.json.get()).to_string()))
        .collect();
    send_split(io, "{\"vms\":{", items, false).await;
}

/// Sends `<open>"id":json,…}}` messages, each at most about [`MAX_MESSAGE_BYTES`], waiting for
/// the browser's window before each. `open` ends inside the object that maps ids to values.
/// With `even_if_empty`, an empty map is still sent once.
async fn send_split(
    io: &mut ChannelIo,
    open: &str,
    items: impl IntoIterator<Item = (String, String)>,
    even_if_empty: bool,
) {
    let mut message = String::from(open);
    let mut count = 0;
    let mut sent_any = false;
    for (id, json) in items {
        if count > 0 {
            message.push(',');
        }
        count += 1;
        message.push_str(&serde_json::to_string(&id).expect("strings serialize"));
        message.push(':');
        message.push_str(&json);
        if message.len() >= MAX_MESSAGE_BYTES {
            flush(io, &mut message).await;
            message.push_str(open);
            count = 0;
            sent_any = true;
        }
    }
    if count > 0 || (even_if_empty && !sent_any) {
        flush(io, &mut message).await;
    }
}

async fn flush(io: &mut ChannelIo, message: &mut String) {
    message.push_str("}}\n");
    io.writable().await;
    io.send_data(std::mem::take(message).into_bytes());
    // The router runs on this thread too: let it pass the message on while we fill the next one.
    tokio::task::yield_now().await;
}
