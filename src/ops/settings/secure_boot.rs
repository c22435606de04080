//! Secure boot: UEFI firmware with the `secure-boot` feature (libvirt picks such a firmware and its NVRAM
//! template at the next start), where domain capabilities offer it for the VM's machine type.

use super::check::{Findings, NO_DEFINITION, Plan};
use super::facts::Current;
use super::{Change, Firmware};
use crate::xml::first_boot::reset_nvram_edit;
use crate::xml::set::SetElement;

pub fn check(change: &Change, current: &Current, f: &mut Findings) {
    let Some(on) = change.secure_boot.filter(|on| *on != current.saved.secure_boot) else { return };
    let efi = change.firmware.map_or(current.saved.firmware == "efi", |fw| fw == Firmware::Efi);
    if !current.persistent {
        f.error("secureBoot", NO_DEFINITION);
    } else if current.running() {
        f.error("secureBoot", "Shut the VM down to change secure boot.");
    } else if on && !efi {
        f.error("secureBoot", "Secure boot needs UEFI firmware.");
    } else if on && current.secure_boot_available == Some(false) {
        f.error(
            "secureBoot",
            format!(
                "libvirt offers no secure boot firmware for this VM's machine type ({}); a q35 machine type has it \
                 where OVMF's secure boot images are installed.",
                current.machine
            ),
        );
    }
}

pub fn plan(change: &Change, current: &Current, plan: &mut Plan) {
    let saved = &current.saved;
    let firmware_changes = change.firmware.is_some_and(|fw| fw.as_str() != saved.firmware);
    let Some(on) = change.secure_boot.filter(|on| *on != saved.secure_boot || firmware_changes) else {
        return;
    };
    // The firmware features name what libvirt looks for in the firmware descriptors; the old ones go.
    plan.saved_edits.push(SetElement::remove(vec!["os", "firmware"]));
    plan.saved_edits.push(SetElement::remove(vec!["os", "loader"]));
    plan.saved_edits.push(SetElement::remove(vec!["os", "nvram"]));
    // Off is said too: without it libvirt picks its first firmware descriptor, which may be a secure boot one.
    plan.saved_edits.push(SetElement::attrs(
        vec!["os", "firmware", "feature"],
        vec![("enabled", Some(if on { "yes" } else { "no" }.into())), ("name", Some("secure-boot".into()))],
    ));
    if on {
        // Secure boot firmware keeps its variables safe from the guest OS with SMM.
        plan.saved_edits.push(SetElement::attrs(vec!["features", "smm"], vec![("state", Some("on".into()))]));
    }
    if !plan.saved_fields.contains(&"secureBoot") {
        plan.saved_fields.push("secureBoot");
    }
}

/// A UEFI VM whose firmware selection changed (UEFI from BIOS, secure boot on or off) needs its NVRAM made from
/// the new firmware's template, but libvirt keeps an NVRAM file it finds: the definition is marked for a fresh
/// one at its next start (`ops/action/start.rs`).
pub fn plan_fresh_nvram(change: &Change, current: &Current, plan: &mut Plan) {
    let efi = change.firmware.map_or(current.saved.firmware == "efi", |fw| fw == Firmware::Efi);
    if efi && (plan.saved_fields.contains(&"firmware") || plan.saved_fields.contains(&"secureBoot")) {
        plan.saved_edits.push(reset_nvram_edit());
    }
}
