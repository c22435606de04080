//! op `action`: one lifecycle action on one VM, answered with one result message
//! (`docs/api.md`). The libvirt call runs on a worker thread with the hub's shared connection.

mod add_vnc;
pub(crate) mod delete;

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use virt::connect::Connect;
use virt::domain::Domain;
use virt_sys as sys;

use super::target::{VmTarget, reply_once};
use super::{Context, OpBody, parse_options};
use crate::problem::Problem;

/// One action; the libvirt call is named in each variant.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// `virDomainCreate`: run a shut-off VM.
    Start,
    /// `virDomainShutdown`: ask the guest to power off (ACPI or agent).
    Shutdown,
    /// `virDomainDestroy`: force off.
    Destroy,
    /// `virDomainReboot`: ask the guest to reboot.
    Reboot,
    /// `virDomainReset`: force reboot.
    Reset,
    /// `virDomainSuspend`: pause a running VM.
    Suspend,
    /// `virDomainResume`: resume a paused VM.
    Resume,
    /// `virDomainInjectNMI`.
    Nmi,
    /// `virDomainSetAutostart` (persistent VMs).
    Autostart { enable: bool },
    /// Add a VNC display on a local socket to the persistent definition (effective at the next start).
    AddVnc,
    /// Force off, undefine with metadata, delete the storage of the listed disk targets.
    Delete { storage: Vec<String> },
}

#[derive(Deserialize)]
struct ActionOptions {
    uri: String,
    vm: String,
    action: String,
    enable: Option<bool>,
    #[serde(default)]
    storage: Vec<String>,
}

impl Action {
    fn from_options(options: &ActionOptions) -> Result<Action, Problem> {
        Ok(match options.action.as_str() {
            "start" => Action::Start,
            "shutdown" => Action::Shutdown,
            "destroy" => Action::Destroy,
            "reboot" => Action::Reboot,
            "reset" => Action::Reset,
            "suspend" => Action::Suspend,
            "resume" => Action::Resume,
            "nmi" => Action::Nmi,
            "autostart" => Action::Autostart {
                enable: options.enable.ok_or_else(|| Problem::protocol("action \"autostart\" needs \"enable\""))?,
            },
            "add-vnc" => Action::AddVnc,
            "delete" => Action::Delete { storage: options.storage.clone() },
            other => return Err(Problem::not_supported(format!("unknown action \"{other}\""))),
        })
    }
}

pub fn open(options: &Map<String, Value>, ctx: &Arc<Context>) -> Result<OpBody, Problem> {
    let options: ActionOptions = parse_options(options)?;
    let target = VmTarget::new(options.uri.clone(), options.vm.clone())?;
    let action = Action::from_options(&options)?;
    let hub = target.hub(ctx);
    Ok(Box::new(move |io| Box::pin(reply_once(io, hub, target, move |conn, domain| perform(conn, domain, &action)))))
}

fn perform(conn: &Connect, domain: &Domain, action: &Action) -> Result<Value, Problem> {
    match action {
        Action::Start => domain.create()?,
        Action::Shutdown => domain.shutdown()?,
        Action::Destroy => domain.destroy()?,
        Action::Reboot => domain.reboot(0)?,
        Action::Reset => domain.reset()?,
        Action::Suspend => domain.suspend()?,
        Action::Resume => domain.resume()?,
        Action::Nmi => {
            // SAFETY: a valid domain; the `virt` crate has no wrapper for this call.
            if unsafe { sys::virDomainInjectNMI(domain.as_ptr(), 0) } < 0 {
                return Err(virt::error::Error::last_error().into());
            }
        }
        Action::Autostart { enable } => domain.set_autostart(*enable)?,
        Action::AddVnc => return add_vnc::add_vnc(conn, domain),
        Action::Delete { storage } => return delete::delete(conn, domain, storage),
    }
    Ok(json!({"ok": true}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::ProblemCode;

    fn options(action: &str, enable: Option<bool>) -> ActionOptions {
        ActionOptions {
            uri: "test:///default".into(),
            vm: "test".into(),
            action: action.into(),
            enable,
            storage: vec![],
        }
    }

    #[test]
    fn action_names_parse() {
        assert_eq!(Action::from_options(&options("nmi", None)).unwrap(), Action::Nmi);
        assert_eq!(
            Action::from_options(&options("autostart", Some(true))).unwrap(),
            Action::Autostart { enable: true }
        );
        assert_eq!(Action::from_options(&options("autostart", None)).unwrap_err().code, ProblemCode::ProtocolError);
        assert_eq!(Action::from_options(&options("explode", None)).unwrap_err().code, ProblemCode::NotSupported);
    }
}
