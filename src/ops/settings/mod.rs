//! op `settings`: read or change one VM's settings (memory, vCPUs and topology, name, title,
//! description, boot menu, firmware, boot order, CPU model, CPU pinning, TPM, watchdog, vsock, secure boot). A change is applied to the running VM where libvirt can (balloon, vCPU hot-plug,
//! metadata) and to its saved definition (one lossless XML edit, defined with validation); the answer
//! says which of the two changed. Every request is checked here first (`check.rs`); a failure undoes
//! what was already applied (`apply.rs`). `docs/api.md` has the fields.

mod apply;
mod boot_cpu;
mod check;
mod facts;
mod guest_devices;
mod pins;
mod secure_boot;
pub mod xml;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::target::{CONNECT_TIMEOUT, VmTarget};
use super::{Context, OpBody, parse_options};
use crate::model::uri::Uri;
use crate::problem::{Problem, ProblemCode};
use crate::xml::cpu_model::CpuMode;
use crate::xml::guest_devices::{Vsock, Watchdog};
use crate::xml::vcpu::Topology;
use check::Findings;

/// What a request asks to change; `None`: leave as it is. Sizes are bytes.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub memory: Option<u64>,
    pub max_memory: Option<u64>,
    pub vcpus: Option<u32>,
    pub max_vcpus: Option<u32>,
    pub topology: Option<Topology>,
    pub name: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub boot_menu: Option<bool>,
    pub firmware: Option<Firmware>,
    /// UEFI with the secure-boot feature (with `firmware: "efi"` or an EFI VM).
    pub secure_boot: Option<bool>,
    /// Device keys (`disk:vda`, `interface:<mac>`, `hostdev:<n>`), first tried first; absent ones do not boot.
    pub boot_order: Option<Vec<String>>,
    pub cpu: Option<CpuRequest>,
    /// Host CPUs by vCPU number (JSON keys are strings: `{"0": [1, 2]}`; `pins.rs` reads them); an empty list:
    /// any host CPU.
    pub vcpu_pins: Option<BTreeMap<String, Vec<u32>>>,
    /// Host CPUs for the emulator threads; empty: any.
    pub emulator_pin: Option<Vec<u32>>,
    /// An emulated TPM on or off.
    pub tpm: Option<bool>,
    /// `{"model","action"}`; `null` removes it.
    #[serde(default, deserialize_with = "guest_devices::present")]
    pub watchdog: Option<Option<Watchdog>>,
    /// `{"cid": N|null}` (null: automatic); `null` removes it.
    #[serde(default, deserialize_with = "guest_devices::present")]
    pub vsock: Option<Option<Vsock>>,
}

/// `{"mode": "host-passthrough"|"host-model"|"custom", "model": NAME}` (a model only with `custom`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CpuRequest {
    pub mode: CpuMode,
    #[serde(default)]
    pub model: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Firmware {
    Bios,
    Efi,
}

impl Firmware {
    pub fn as_str(self) -> &'static str {
        match self {
            Firmware::Bios => "bios",
            Firmware::Efi => "efi",
        }
    }
}

#[derive(Deserialize)]
struct SettingsOptions {
    uri: Uri,
    vm: String,
    /// Only check (and report the current values and limits); change nothing.
    #[serde(default)]
    validate: bool,
    #[serde(flatten)]
    change: Change,
}

pub fn open(options: &Map<String, Value>, ctx: &Arc<Context>) -> Result<OpBody, Problem> {
    let options: SettingsOptions = parse_options(options)?;
    let target = VmTarget::new(options.uri, options.vm)?;
    let hub = target.hub(ctx)?;
    let (validate, change) = (options.validate, options.change);
    Ok(Box::new(move |mut io| {
        Box::pin(async move {
            io.ready();
            let (uuid, outcome) = hub
                .call(CONNECT_TIMEOUT, move |conn| {
                    let domain = target.lookup(conn)?;
                    let uuid = domain.uuid_string()?;
                    let current = facts::read(conn, &domain)?;
                    let name_taken = change
                        .name
                        .as_deref()
                        .is_some_and(|name| name != current.name && conn.lookup_domain_by_name(name).is_ok());
                    let findings = check::check(&change, &current, name_taken);
                    if validate {
                        return Ok((uuid, Outcome::Checked(findings, Some(Box::new(current)))));
                    }
                    if !findings.ok() {
                        return Ok((uuid, Outcome::Checked(findings, None)));
                    }
                    let plan = check::plan(&change, &current);
                    let done = apply::apply(conn, &domain, &plan)?;
                    Ok((uuid, Outcome::Applied(done, findings)))
                })
                .await?;
            match outcome {
                Outcome::Checked(findings, Some(current)) => {
                    io.send_json(&json!({
                        "current": current.to_json(),
                        "limits": current.limits_json(),
                        "errors": findings.errors,
                        "warnings": findings.warnings,
                    }));
                    Ok(Map::new())
                }
                Outcome::Checked(findings, None) => Ok(invalid(&findings)),
                Outcome::Applied(done, findings) => {
                    hub.refresh(&uuid);
                    io.send_json(&json!({
                        "ok": true,
                        "live": done.live,
                        "saved": done.saved,
                        "warnings": findings.warnings,
                    }));
                    Ok(Map::new())
                }
            }
        })
    }))
}

enum Outcome {
    /// Validation only (with the current values), or a request that failed it (without).
    Checked(Findings, Option<Box<facts::Current>>),
    Applied(apply::Done, Findings),
}

/// The close of a request that failed validation: `invalid-argument` with the errors by field.
fn invalid(findings: &Findings) -> Map<String, Value> {
    let first = findings.errors.values().next().cloned().unwrap_or_default();
    let mut fields = Problem::new(ProblemCode::InvalidArgument, first).close_fields();
    fields.insert("errors".into(), json!(findings.errors));
    fields.insert("warnings".into(), json!(findings.warnings));
    fields
}
