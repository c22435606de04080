//! `watch`: the `list` answer now, and again whenever the VM's snapshots change, until the channel
//! closes. libvirt has no snapshot events (a snapshot made with `virsh` or virt-manager changes no
//! domain event for an inactive VM), so while a page shows one VM's snapshots the helper checks
//! every [`INTERVAL`] the two cheap facts every change moves: how many there are and which is current
//! (a create adds one and makes it current, a delete removes one, a revert moves current). One watch
//! per open snapshots card, never per VM: nothing is checked for VMs nobody looks at.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Map;
use virt::domain::Domain;
use virt::domain_snapshot::DomainSnapshot;
use virt_sys as sys;

use super::list;
use crate::hub::Hub;
use crate::ops::OpResult;
use crate::ops::target::{CONNECT_TIMEOUT, VmTarget};
use crate::problem::Problem;
use crate::router::channel::{ChannelInput, ChannelIo};

const INTERVAL: Duration = Duration::from_secs(2);

/// What a change of the snapshot set moves: their number and the current one's name.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fingerprint {
    count: i32,
    current: Option<String>,
}

fn fingerprint(domain: &Domain) -> Result<Fingerprint, Problem> {
    // SAFETY: a valid domain; virDomainSnapshotNum only reads.
    let count = unsafe { sys::virDomainSnapshotNum(domain.as_ptr(), 0) };
    if count < 0 {
        return Err(virt::error::Error::last_error().into());
    }
    // SAFETY: a valid domain; a non-null result is a new reference, owned (and freed) by DomainSnapshot.
    let current = unsafe { sys::virDomainSnapshotCurrent(domain.as_ptr(), 0) };
    let current =
        (!current.is_null()).then(|| unsafe { DomainSnapshot::from_ptr(current) }).and_then(|s| s.name().ok());
    Ok(Fingerprint { count, current })
}

pub async fn run(mut io: ChannelIo, hub: Arc<Hub>, target: VmTarget) -> OpResult {
    io.ready();
    let mut seen: Option<Fingerprint> = None;
    loop {
        let target = target.clone();
        let last = seen.clone();
        let (now, answer) = hub
            .call(CONNECT_TIMEOUT, move |conn| {
                let domain = target.lookup(conn)?;
                let now = fingerprint(&domain)?;
                // Read before the list: a change in between is listed now and seen again next time.
                let answer = if last.as_ref() == Some(&now) { None } else { Some(list::list(&domain)?) };
                Ok((now, answer))
            })
            .await?;
        if let Some(answer) = answer {
            io.send_json(&answer);
        }
        seen = Some(now);
        let deadline = tokio::time::sleep(INTERVAL);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                _ = &mut deadline => break,
                input = io.recv() => match input {
                    None => return Ok(Map::new()),
                    Some(ChannelInput::Data(_) | ChannelInput::Options | ChannelInput::Done) => {}
                },
            }
        }
    }
}
