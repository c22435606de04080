//! Where a device change applies: the running VM ("now"), its saved definition ("next boot"), or
//! both; and the two-step change that takes the first step back when the second fails.

use serde_json::{Map, Value, json};
use virt::domain::Domain;
use virt_sys as sys;

use super::validate::invalid;
use crate::model::hostdev::HostdevKey;
use crate::model::{DomainConfig, NetInterface, VmDisk};
use crate::problem::Problem;
use crate::xml::edit::device::find_device;
use crate::xml::parse_domain;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    pub live: bool,
    pub config: bool,
}

impl Scope {
    /// What was asked, or by default everything the VM has: live while it runs, config when it is
    /// persistent. Asking for what the VM does not have is refused.
    pub fn resolve(domain: &Domain, live: Option<bool>, config: Option<bool>) -> Result<Scope, Problem> {
        let active = domain.is_active()?;
        let persistent = domain.is_persistent()?;
        let scope = Scope { live: live.unwrap_or(active), config: config.unwrap_or(persistent) };
        if scope.live && !active {
            return Err(invalid("The VM is not running, so the change cannot apply now; apply it to the next boot"));
        }
        if scope.config && !persistent {
            return Err(invalid("This VM is transient: it has no saved definition for its next boot"));
        }
        if !scope.live && !scope.config {
            return Err(invalid("Choose where the change applies: now, at the next boot, or both"));
        }
        Ok(scope)
    }

    /// The answer's common fields: where the change applied.
    pub fn answer(self) -> Map<String, Value> {
        let mut answer = Map::new();
        answer.insert("ok".into(), json!(true));
        answer.insert("live".into(), json!(self.live));
        answer.insert("config".into(), json!(self.config));
        answer
    }
}

/// The domain's XML: live, or its saved definition. SECURE keeps device secrets (passwords of
/// network disks) in what is handed back to libvirt.
pub fn domain_xml(domain: &Domain, saved: bool) -> Result<String, Problem> {
    let flags = if saved { sys::VIR_DOMAIN_XML_INACTIVE } else { 0 };
    Ok(domain.xml_desc(flags | sys::VIR_DOMAIN_XML_SECURE)?)
}

/// The exact XML of the disk with `target` in the live or saved definition, and what it says.
pub fn find_disk(domain: &Domain, saved: bool, target: &str) -> Result<Option<(String, VmDisk)>, Problem> {
    let found = find(domain, saved, "disk", |config| config.disks.first().is_some_and(|d| d.target == target))?;
    Ok(found.and_then(|(text, config)| config.disks.into_iter().next().map(|disk| (text, disk))))
}

/// The exact XML of the interface with `mac` in the live or saved definition, and what it says.
pub fn find_nic(domain: &Domain, saved: bool, mac: &str) -> Result<Option<(String, NetInterface)>, Problem> {
    let found = find(domain, saved, "interface", |config| {
        config.interfaces.first().and_then(|n| n.mac.as_deref()).is_some_and(|m| m.eq_ignore_ascii_case(mac))
    })?;
    Ok(found.and_then(|(text, config)| config.interfaces.into_iter().next().map(|nic| (text, nic))))
}

/// The exact XML of the host device with `key` in the live or saved definition.
pub fn find_hostdev(domain: &Domain, saved: bool, key: HostdevKey) -> Result<Option<String>, Problem> {
    let found = find(domain, saved, "hostdev", |config| config.hostdevs.first().is_some_and(|h| h.key == Some(key)))?;
    Ok(found.map(|(text, _)| text))
}

/// The exact XML of the shared directory with mount tag `tag` in the live or saved definition.
pub fn find_filesystem(domain: &Domain, saved: bool, tag: &str) -> Result<Option<String>, Problem> {
    let found = find(domain, saved, "filesystem", |config| config.filesystems.first().is_some_and(|f| f.tag == tag))?;
    Ok(found.map(|(text, _)| text))
}

fn parse_device(text: &str) -> Option<DomainConfig> {
    parse_domain(&format!("<domain><name>x</name><devices>{text}</devices></domain>")).ok()
}

fn find(
    domain: &Domain,
    saved: bool,
    element: &str,
    pick: impl Fn(&DomainConfig) -> bool,
) -> Result<Option<(String, DomainConfig)>, Problem> {
    let xml = domain_xml(domain, saved)?;
    let text = find_device(&xml, element, |text| parse_device(text).is_some_and(|c| pick(&c)))
        .map_err(|err| Problem::internal(format!("Cannot read the VM's devices: {err:#}")))?;
    Ok(text.and_then(|text| parse_device(&text).map(|config| (text, config))))
}

/// A device change in up to two libvirt calls: the saved definition first, then the running VM.
/// When the running VM refuses, the saved definition is put back exactly as it was (with whatever
/// libvirt added for the device, such as a controller), so a half-done change never stays; libvirt's
/// own message is what the user sees.
pub fn two_step(
    domain: &Domain,
    scope: Scope,
    config_step: impl FnOnce() -> Result<(), virt::error::Error>,
    live_step: impl FnOnce() -> Result<(), virt::error::Error>,
) -> Result<(), Problem> {
    let before = if scope.config && scope.live { Some(domain_xml(domain, true)?) } else { None };
    if scope.config {
        config_step()?;
    }
    if scope.live
        && let Err(err) = live_step()
    {
        if let Some(before) = before
            && let Err(undo) = domain.connect().and_then(|conn| conn.define_domain_xml(&before))
        {
            log::warn!("device: putting the saved definition back after a failed change failed too: {undo}");
        }
        return Err(err.into());
    }
    Ok(())
}

/// Detaches a device, in two steps, from where it is (`scope`: its XML in the running VM and in the saved
/// definition) and answers where that applied, and whether the running VM still has it (`still_there`):
/// a hot-unplug finishes when the guest lets go (libvirt waits a few seconds, then answers).
pub fn detach(
    domain: &Domain,
    scope: Scope,
    live_xml: &str,
    config_xml: &str,
    still_there: impl FnOnce() -> Result<bool, Problem>,
) -> Result<Map<String, Value>, Problem> {
    two_step(
        domain,
        scope,
        || domain.detach_device_flags(config_xml, CONFIG),
        || domain.detach_device_flags(live_xml, LIVE),
    )?;
    let mut answer = scope.answer();
    let pending = scope.live && domain.is_active()? && still_there()?;
    answer.insert("pending".into(), json!(pending));
    Ok(answer)
}

/// Changes a device in the saved definition: libvirt's update, or (`replace`: when what identifies the
/// device changes, which an update cannot do) a detach and an attach, attaching the old device again
/// when the new one is refused so that the device never goes missing. `what` names it in the log.
pub fn edit_saved(domain: &Domain, old_xml: &str, new_xml: &str, replace: bool, what: &str) -> Result<(), Problem> {
    if !replace {
        domain.update_device_flags(new_xml, CONFIG)?;
        return Ok(());
    }
    domain.detach_device_flags(old_xml, CONFIG)?;
    if let Err(err) = domain.attach_device_flags(new_xml, CONFIG) {
        if let Err(undo) = domain.attach_device_flags(old_xml, CONFIG) {
            log::warn!("device: putting {what} back failed too: {undo}");
        }
        return Err(err.into());
    }
    Ok(())
}

pub const LIVE: u32 = sys::VIR_DOMAIN_AFFECT_LIVE;
pub const CONFIG: u32 = sys::VIR_DOMAIN_AFFECT_CONFIG;
