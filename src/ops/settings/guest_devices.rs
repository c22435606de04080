//! An emulated TPM (swtpm), a watchdog and a vsock: each added, changed or removed in the saved definition (the
//! next boot; libvirt cannot hot-plug them here), checked against what libvirt offers.

use serde::{Deserialize, Deserializer};

use super::Change;
use super::check::{Findings, NO_DEFINITION, Plan};
use super::facts::Current;
use crate::xml::guest_devices::{Vsock, Watchdog};
use crate::xml::set::SetElement;

pub const WATCHDOG_MODELS: [&str; 4] = ["i6300esb", "itco", "ib700", "diag288"];
pub const WATCHDOG_ACTIONS: [&str; 7] = ["reset", "shutdown", "poweroff", "pause", "none", "dump", "inject-nmi"];
/// CIDs 0–2 are the hypervisor's, the host's and reserved; u32::MAX is "any".
const MIN_CID: u32 = 3;

/// A field that may be absent (no change), `null` (remove) or a value (set).
pub fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

pub fn check(change: &Change, current: &Current, f: &mut Findings) {
    let saved = &current.saved.devices;
    if let Some(tpm) = change.tpm.filter(|tpm| *tpm != saved.tpm) {
        if !current.persistent {
            f.error("tpm", NO_DEFINITION);
        } else if tpm && saved.any_tpm {
            f.error("tpm", "The VM has a TPM passed through from the host; remove it in the XML first.");
        } else if tpm && current.tpm_available == Some(false) {
            f.error("tpm", "libvirt offers no emulated TPM for this VM (is swtpm installed?).");
        }
    }
    if let Some(watchdog) = change.watchdog.as_ref().filter(|w| **w != saved.watchdog) {
        if !current.persistent {
            f.error("watchdog", NO_DEFINITION);
        } else if let Some(w) = watchdog {
            if !WATCHDOG_MODELS.contains(&w.model.as_str()) {
                f.error("watchdog", format!("The watchdog model is one of {}.", WATCHDOG_MODELS.join(", ")));
            } else if !WATCHDOG_ACTIONS.contains(&w.action.as_str()) {
                f.error("watchdog", format!("The watchdog action is one of {}.", WATCHDOG_ACTIONS.join(", ")));
            }
        }
    }
    if let Some(vsock) = change.vsock.as_ref().filter(|v| **v != saved.vsock) {
        if !current.persistent {
            f.error("vsock", NO_DEFINITION);
        } else if let Some(cid) = vsock.as_ref().and_then(|v| v.cid).filter(|cid| *cid < MIN_CID || *cid == u32::MAX) {
            f.error("vsock", format!("CID {cid} is reserved: choose one from {MIN_CID} to {}.", u32::MAX - 1));
        }
    }
}

pub fn plan(change: &Change, current: &Current, plan: &mut Plan) {
    if !current.persistent {
        return;
    }
    let saved = &current.saved.devices;
    if let Some(tpm) = change.tpm.filter(|tpm| *tpm != saved.tpm) {
        // libvirt picks the model for the machine type, and keeps the TPM's state beside the VM.
        plan.saved_edits.push(if tpm {
            SetElement::attrs(
                vec!["devices", "tpm", "backend"],
                vec![("type", Some("emulator".into())), ("version", Some("2.0".into()))],
            )
        } else {
            SetElement::remove(vec!["devices", "tpm"])
        });
        plan.saved_fields.push("tpm");
    }
    if let Some(watchdog) = change.watchdog.as_ref().filter(|w| **w != saved.watchdog) {
        plan.saved_edits.push(match watchdog {
            Some(Watchdog { model, action }) => SetElement::attrs(
                vec!["devices", "watchdog"],
                vec![("model", Some(model.clone())), ("action", Some(action.clone()))],
            ),
            None => SetElement::remove(vec!["devices", "watchdog"]),
        });
        plan.saved_fields.push("watchdog");
    }
    if let Some(vsock) = change.vsock.as_ref().filter(|v| **v != saved.vsock) {
        plan.saved_edits.push(match vsock {
            Some(Vsock { cid: Some(cid) }) => SetElement::attrs(
                vec!["devices", "vsock", "cid"],
                vec![("auto", Some("no".into())), ("address", Some(cid.to_string()))],
            ),
            Some(Vsock { cid: None }) => SetElement::attrs(
                vec!["devices", "vsock", "cid"],
                vec![("auto", Some("yes".into())), ("address", None)],
            ),
            None => SetElement::remove(vec!["devices", "vsock"]),
        });
        plan.saved_fields.push("vsock");
    }
}
