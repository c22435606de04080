//! The running VMs whose QEMU monitor does not answer, as the usage poller knows them.
//!
//! A monitor call to a frozen QEMU never returns, and nothing in libvirt times it out. So a VM is
//! flagged only after one of the poller's stats calls blocked: `virDomainGetControlInfo` (no job,
//! no monitor, answers at once) then names every VM whose monitor has been busy with one call for
//! [`STUCK_AFTER_MS`]. Flagged VMs are left out of later stats calls and only their control info is
//! asked each tick; once it says the monitor is free again, they are polled like the others.

use std::collections::HashSet;

use log::{info, warn};
use virt::connect::Connect;
use virt::domain::Domain;
use virt::error::Error;
use virt_sys as sys;

/// How long one monitor call may run before its QEMU counts as not answering. QEMU answers stats
/// queries in milliseconds even on a busy host.
const STUCK_AFTER_MS: u64 = 1000;

#[derive(Debug, Default)]
pub struct Unresponsive {
    uuids: HashSet<String>,
}

impl Unresponsive {
    pub fn uuids(&self) -> &HashSet<String> {
        &self.uuids
    }

    /// After a stats call blocked: flags every running VM whose monitor is stuck in a call.
    /// One control-info call per running VM, only when a call blocked. Returns how many are new.
    pub fn find_stuck(&mut self, conn: &Connect) -> usize {
        let running = match conn.list_all_domains(sys::VIR_CONNECT_LIST_DOMAINS_ACTIVE) {
            Ok(running) => running,
            Err(err) => {
                warn!("cannot list the running VMs to find a stuck QEMU: {err}");
                return 0;
            }
        };
        let mut found = 0;
        for domain in running {
            let Ok(uuid) = domain.uuid_string() else { continue };
            if !self.uuids.contains(&uuid) && monitor_stuck(&domain).unwrap_or(false) {
                warn!("{uuid}: its QEMU monitor does not answer; polled without it until it does");
                self.uuids.insert(uuid);
                found += 1;
            }
        }
        found
    }

    /// Forgets the flagged VMs whose monitor is free again, or that stopped. One control-info call
    /// per flagged VM.
    pub fn recheck(&mut self, conn: &Connect) {
        self.uuids.retain(|uuid| {
            let stuck = conn.lookup_domain_by_uuid_string(uuid).and_then(|domain| monitor_stuck(&domain));
            if !matches!(stuck, Ok(true)) {
                info!("{uuid}: its QEMU monitor answers again (or it stopped)");
            }
            matches!(stuck, Ok(true))
        });
    }
}

/// Whether the VM's monitor has been waiting for QEMU's answer to one call for [`STUCK_AFTER_MS`].
fn monitor_stuck(domain: &Domain) -> Result<bool, Error> {
    let mut info = sys::virDomainControlInfo { state: 0, details: 0, stateTime: 0 };
    // SAFETY: a valid domain and an out-struct of the size libvirt fills.
    if unsafe { sys::virDomainGetControlInfo(domain.as_ptr(), &mut info, 0) } < 0 {
        return Err(Error::last_error());
    }
    Ok(is_stuck(info.state, info.stateTime))
}

fn is_stuck(state: u32, state_time_ms: u64) -> bool {
    state == sys::VIR_DOMAIN_CONTROL_OCCUPIED && state_time_ms >= STUCK_AFTER_MS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unresponsive_only_a_monitor_busy_for_a_second() {
        assert!(is_stuck(sys::VIR_DOMAIN_CONTROL_OCCUPIED, 1000));
        assert!(!is_stuck(sys::VIR_DOMAIN_CONTROL_OCCUPIED, 20), "a call in progress is not stuck yet");
        assert!(!is_stuck(sys::VIR_DOMAIN_CONTROL_JOB, 60_000), "a long job (migration) talks to its QEMU");
        assert!(!is_stuck(sys::VIR_DOMAIN_CONTROL_OK, 0));
    }

    /// The test driver's running VM answers; a VM that is not there is not kept flagged.
    #[test]
    fn unresponsive_recheck_forgets_answering_and_gone_vms() {
        let conn = Connect::open(Some("test:///default")).unwrap();
        let mut flagged = Unresponsive::default();
        assert_eq!(flagged.find_stuck(&conn), 0);
        let running = conn.list_all_domains(sys::VIR_CONNECT_LIST_DOMAINS_ACTIVE).unwrap();
        flagged.uuids.insert(running[0].uuid_string().unwrap());
        flagged.uuids.insert("00000000-0000-0000-0000-00000000cafe".into());
        flagged.recheck(&conn);
        assert!(flagged.uuids().is_empty());
    }
}
