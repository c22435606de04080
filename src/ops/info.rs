//! op `info`: facts about this helper that the page needs, answered on a clean `close`. Today the
//! path of the running executable, which the page spawns as root through the privileged bridge's
//! `stream` channel while Administrative access is on (that bridge cannot load our manifest peer).

use std::sync::Arc;

use serde_json::{Map, Value};

use super::{Context, OpBody, OpResult};
use crate::problem::Problem;
use crate::router::channel::ChannelIo;

pub fn open(_options: &Map<String, Value>, _ctx: &Arc<Context>) -> Result<OpBody, Problem> {
    Ok(Box::new(|io| Box::pin(run(io))))
}

async fn run(io: ChannelIo) -> OpResult {
    let executable = std::env::current_exe()
        .map_err(|err| Problem::internal(format!("cannot tell the helper's own path: {err}")))?;
    let executable = executable.to_str().ok_or_else(|| Problem::internal("the helper's own path is not UTF-8"))?;
    io.ready();
    let mut fields = Map::new();
    fields.insert("executable".into(), Value::String(executable.to_owned()));
    fields.insert("version".into(), Value::String(env!("CARGO_PKG_VERSION").to_owned()));
    // SAFETY: getuid has no preconditions and cannot fail.
    fields.insert("uid".into(), Value::from(unsafe { libc::getuid() }));
    Ok(fields)
}
