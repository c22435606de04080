//! The small devices a VM's settings turn on or off: an emulated TPM, a watchdog and a vsock.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watchdog {
    pub model: String,
    pub action: String,
}

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

#[derive(Deserialize)]
struct Doc {
    devices: Option<DevicesDoc>,
}

#[derive(Deserialize)]
struct DevicesDoc {
    #[serde(default)]
    tpm: Vec<TpmDoc>,
    #[serde(default)]
    watchdog: Vec<WatchdogDoc>,
    vsock: Option<VsockDoc>,
}

#[derive(Deserialize)]
struct TpmDoc {
    backend: Option<TypeDoc>,
}

#[derive(Deserialize)]
struct TypeDoc {
    #[serde(rename = "@type")]
    kind: Option<String>,
}

#[derive(Deserialize)]
struct WatchdogDoc {
    #[serde(rename = "@model")]
    model: Option<String>,
    #[serde(rename = "@action")]
    action: Option<String>,
}

#[derive(Deserialize)]
struct VsockDoc {
    cid: Option<CidDoc>,
}

#[derive(Deserialize)]
struct CidDoc {
    #[serde(rename = "@auto")]
    auto: Option<String>,
    #[serde(rename = "@address")]
    address: Option<u32>,
}

pub fn parse_guest_devices(domain_xml: &str) -> Result<GuestDevices> {
    let doc: Doc = quick_xml::de::from_str(domain_xml).context("parsing the domain XML")?;
    let Some(devices) = doc.devices else { return Ok(GuestDevices::default()) };
    let tpm = devices.tpm.iter().any(|t| t.backend.as_ref().and_then(|b| b.kind.as_deref()) == Some("emulator"));
    let watchdog = devices.watchdog.into_iter().next().map(|w| Watchdog {
        model: w.model.unwrap_or_default(),
        // libvirt's default action.
        action: w.action.unwrap_or_else(|| "reset".into()),
    });
    let vsock = devices
        .vsock
        .map(|v| Vsock { cid: v.cid.filter(|c| c.auto.as_deref() != Some("yes")).and_then(|c| c.address) });
    Ok(GuestDevices { tpm, any_tpm: !devices.tpm.is_empty(), watchdog, vsock })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tpm_watchdog_vsock() {
        let xml = "<domain><devices><tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>\
                   <watchdog model='i6300esb' action='poweroff'/><vsock model='virtio'><cid auto='no' address='7'/>\
                   </vsock></devices></domain>";
        let d = parse_guest_devices(xml).unwrap();
        assert!(d.tpm && d.any_tpm);
        assert_eq!(d.watchdog, Some(Watchdog { model: "i6300esb".into(), action: "poweroff".into() }));
        assert_eq!(d.vsock, Some(Vsock { cid: Some(7) }));
        let auto =
            parse_guest_devices("<domain><devices><vsock><cid auto='yes' address='3'/></vsock></devices></domain>");
        assert_eq!(auto.unwrap().vsock, Some(Vsock { cid: None }));
        assert_eq!(parse_guest_devices("<domain/>").unwrap(), GuestDevices::default());
    }
}
