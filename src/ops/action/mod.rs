//! op `action`: one lifecycle action on one VM, answered with one result message
//! (`docs/api.md`). The libvirt call runs on a worker thread with the hub's shared connection.
//! Also op `delete-plan`, which tells the delete dialog what action `delete` would do.

mod add_vnc;
pub(crate) mod delete;
mod start;
pub(crate) mod storage;

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use virt::connect::Connect;
use virt::domain::Domain;
use virt_sys as sys;

use super::target::{CONNECT_TIMEOUT, VmTarget, reply_once};
use super::{Context, OpBody, parse_options};
use crate::model::guest_devices::VmTpm;
use crate::model::uri::Uri;
use crate::problem::Problem;
use delete::StorageChoice;

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
    /// Force off, undefine with metadata, delete the storage of the listed disks (target and source).
    Delete { storage: Vec<StorageChoice> },
}

#[derive(Deserialize)]
struct ActionOptions {
    uri: Uri,
    vm: String,
    action: String,
    enable: Option<bool>,
    #[serde(default)]
    storage: Vec<StorageChoice>,
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
    let hub = target.hub(ctx)?;
    Ok(Box::new(move |io| Box::pin(reply_once(io, hub, target, move |conn, domain| perform(conn, domain, &action)))))
}

#[derive(Deserialize)]
struct PlanOptions {
    uri: Uri,
    vm: String,
}

/// op `delete-plan`: what deleting a VM would do to each of its disks, and which other VMs use
/// their storage; one message, then a clean close.
pub fn open_plan(options: &Map<String, Value>, ctx: &Arc<Context>) -> Result<OpBody, Problem> {
    let options: PlanOptions = parse_options(options)?;
    let target = VmTarget::new(options.uri, options.vm)?;
    let hub = target.hub(ctx)?;
    Ok(Box::new(move |mut io| {
        Box::pin(async move {
            io.ready();
            let plan = hub.call(CONNECT_TIMEOUT, move |conn| delete_plan(conn, &target.lookup(conn)?)).await?;
            io.send_json(&plan);
            Ok(Map::new())
        })
    }))
}

fn delete_plan(conn: &Connect, domain: &Domain) -> Result<Value, Problem> {
    let config = storage::shown_config(domain)?;
    let users = storage::StorageUsers::collect(conn, &domain.uuid_string()?)?;
    let disks: Vec<Value> = config
        .disks
        .iter()
        .filter_map(|disk| storage::resolve(conn, disk))
        .map(|storage| storage::plan_entry(&storage, &users.of(&storage)))
        .collect();
    // NVRAM and TPM state go as libvirt's undefine takes them (see delete.rs).
    let tpm = config.tpm.filter(VmTpm::emulated).map(|tpm| if tpm.persistent_state { "kept" } else { "removed" });
    Ok(json!({"disks": disks, "nvram": config.nvram, "tpm": tpm}))
}

fn perform(conn: &Connect, domain: &Domain, action: &Action) -> Result<Value, Problem> {
    match action {
        Action::Start => start::start(domain)?,
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
            uri: Uri::parse("test:///default").unwrap(),
            vm: "test".into(),
            action: action.into(),
            enable,
            storage: vec![],
        }
    }

    #[test]
    fn action_delete_takes_target_and_source_only() {
        let parse = |storage: Value| {
            let open = json!({"uri": "test:///default", "vm": "t", "action": "delete", "storage": storage});
            parse_options::<ActionOptions>(open.as_object().unwrap()).map(|o| o.storage)
        };
        assert_eq!(
            parse(json!([{"target": "vda", "source": "/a.img"}])).unwrap(),
            vec![StorageChoice { target: "vda".into(), source: "/a.img".into() }]
        );
        assert!(parse(json!(["vda"])).is_err(), "a bare target no longer says which storage the page showed");
        assert!(parse(json!([{"target": "vda"}])).is_err());
        assert!(parse(json!([{"target": "vda", "source": "/a", "force": true}])).is_err());
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
