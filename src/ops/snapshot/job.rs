//! A snapshot op that runs as a libvirt job: the call on a worker (one deadline), its progress from
//! the job's statistics every half second while it runs, and `{"cancel": true}` from the page
//! aborting the job. Ends with one answer, or the call's problem (`terminated` after a cancel).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};
use virt::domain::Domain;

use super::JOB_DEADLINE;
use crate::hub::{Hub, job};
use crate::ops::OpResult;
use crate::ops::create::is_cancel;
use crate::ops::target::{CONNECT_TIMEOUT, VmTarget};
use crate::problem::{Problem, ProblemCode};
use crate::router::channel::{ChannelInput, ChannelIo};

const PROGRESS_INTERVAL: Duration = Duration::from_millis(500);
/// A statistics or abort call answers at once; a stuck one must not hold the op.
const SIDE_CALL_DEADLINE: Duration = Duration::from_secs(5);

pub async fn run<F>(mut io: ChannelIo, hub: Arc<Hub>, target: VmTarget, f: F) -> OpResult
where
    F: FnOnce(&Domain) -> Result<Value, Problem> + Send + 'static,
{
    io.ready();
    let main_target = target.clone();
    let work = hub.call_within(CONNECT_TIMEOUT, JOB_DEADLINE, move |conn| {
        let domain = main_target.lookup(conn)?;
        let uuid = domain.uuid_string()?;
        Ok((uuid, f(&domain)))
    });
    tokio::pin!(work);
    let mut tick = tokio::time::interval(PROGRESS_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    let (mut listening, mut cancelled) = (true, false);
    let (uuid, answer) = loop {
        tokio::select! {
            result = &mut work => break result?,
            _ = tick.tick() => {
                let t = target.clone();
                let progress = hub
                    .call_within(CONNECT_TIMEOUT, SIDE_CALL_DEADLINE, move |conn| {
                        Ok(job::progress(&t.lookup(conn)?).ok().flatten())
                    })
                    .await;
                if let Ok(Some(progress)) = progress {
                    io.send_json(&json!({"progress": progress}));
                }
            }
            input = io.recv(), if listening => match input {
                Some(ChannelInput::Data(data)) if is_cancel(&data) && !cancelled => {
                    cancelled = true;
                    let t = target.clone();
                    let aborted = hub
                        .call_within(CONNECT_TIMEOUT, SIDE_CALL_DEADLINE, move |conn| {
                            Ok(job::abort(&t.lookup(conn)?)?)
                        })
                        .await;
                    if let Err(problem) = aborted {
                        // libvirt's word on why this job cannot be aborted, beside the job that goes on.
                        io.send_json(&json!({"cancel": {"problem": problem.code.as_str(), "message": problem.message}}));
                    }
                }
                Some(_) => {}
                None => listening = false,
            },
        }
    };
    hub.refresh(&uuid);
    match answer {
        Ok(answer) => {
            io.send_json(&answer);
            Ok(Map::new())
        }
        Err(problem) if cancelled => Err(Problem { code: ProblemCode::Terminated, ..problem }),
        Err(problem) => Err(problem),
    }
}
