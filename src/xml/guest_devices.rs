//! The small devices a VM's settings turn on or off: an emulated TPM, a watchdog and a vsock, as the settings op
//! compares them (read by `xml/domain.rs`).

use serde::{Deserialize, Serialize};

use crate::model::DomainConfig;
pub use crate::model::guest_devices::Watchdog;

/// `cid` None: libvirt picks a free one at start (`<cid auto='yes'/>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vsock {
    pub cid: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct GuestDevices {
    /// An emulated TPM (`<backend type='emulator'>`); a passthrough one counts as none to change here.
    pub tpm: bool,
    /// Any TPM at all, emulated or passed through.
    #[serde(skip)]
    pub any_tpm: bool,
    pub watchdog: Option<Watchdog>,
    pub vsock: Option<Vsock>,
}

impl GuestDevices {
    pub fn of(config: &DomainConfig) -> GuestDevices {
        GuestDevices {
            tpm: config.tpm.as_ref().is_some_and(|tpm| tpm.emulated()),
            any_tpm: config.tpm.is_some(),
            watchdog: config.watchdog.clone(),
            vsock: config.vsock.map(|v| Vsock { cid: v.requested().cid }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse_domain;

    #[test]
    fn reads_tpm_watchdog_vsock() {
        let of = |devices: &str| {
            GuestDevices::of(
                &parse_domain(&format!("<domain><name>n</name><devices>{devices}</devices></domain>")).unwrap(),
            )
        };
        let d = of("<tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>\
                    <watchdog model='i6300esb' action='poweroff'/><vsock model='virtio'><cid auto='no' address='7'/>\
                    </vsock>");
        assert!(d.tpm && d.any_tpm);
        assert_eq!(d.watchdog, Some(Watchdog { model: "i6300esb".into(), action: "poweroff".into() }));
        assert_eq!(d.vsock, Some(Vsock { cid: Some(7) }));
        assert_eq!(of("<vsock><cid auto='yes' address='3'/></vsock>").vsock, Some(Vsock { cid: None }));
        let host = of("<tpm><backend type='passthrough'/></tpm>");
        assert!(!host.tpm && host.any_tpm);
        assert_eq!(of(""), GuestDevices::default());
    }
}
