//! op `history`: the usage history the helper kept for one VM (up to an hour by default), sent
//! once as columns; the VM page then follows live usage on its watch channel.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::target::VmTarget;
use super::{Context, OpBody, OpResult, parse_options};
use crate::hub::Hub;
use crate::model::uri::Uri;
use crate::problem::Problem;
use crate::router::channel::ChannelIo;

#[derive(Deserialize)]
struct HistoryOptions {
    uri: Uri,
    /// The VM's UUID.
    vm: String,
}

pub fn open(options: &Map<String, Value>, ctx: &Arc<Context>) -> Result<OpBody, Problem> {
    let options: HistoryOptions = parse_options(options)?;
    let target = VmTarget::new(options.uri, options.vm)?;
    let hub = target.hub(ctx)?;
    Ok(Box::new(move |io| Box::pin(run(io, hub, target.vm))))
}

async fn run(mut io: ChannelIo, hub: Arc<Hub>, vm: String) -> OpResult {
    // Asking for history means someone looks at usage: keep the poller going meanwhile.
    let _subscription = hub.watch_usage();
    io.ready();
    let series = hub.usage.series(&vm).unwrap_or_default();
    io.writable().await;
    io.send_json(&json!({ "interval": hub.poll_config.tick.as_secs_f64(), "series": series }));
    Ok(Map::new())
}
