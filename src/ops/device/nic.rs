//! Network interfaces: add, remove (hot-unplug), link up/down, and the guest's IP addresses.

use std::collections::BTreeMap;
use std::io::Read;

use serde_json::{Map, Value, json};
use virt::connect::Connect;
use virt::domain::Domain;
use virt_sys as sys;

use super::scope::{CONFIG, LIVE, Scope, detach, edit_saved, find_nic, two_step};
use super::validate::invalid;
use crate::ops::action::storage::definitions;
use crate::ops::create::host::{passt_installed, vlan_filtering};
use crate::problem::{Problem, ProblemCode};
use crate::xml::device::{NicDevice, NicSource, interface_xml, nic_source_xml};
use crate::xml::edit::device::{DeviceEdit, edit_device};

/// Every MAC address the connection's VMs use, now or at their next boot, asked of libvirt (every
/// domain's live and saved XML) rather than the watch's table: a VM defined a moment ago, or one the
/// watch has not listed yet, counts too.
pub fn macs_in_use(conn: &Connect) -> Result<Vec<String>, Problem> {
    let mut macs = Vec::new();
    for domain in conn.list_all_domains(0)? {
        let name = domain.name().unwrap_or_default();
        for config in definitions(&domain, &name)? {
            macs.extend(config.interfaces.iter().filter_map(|nic| nic.mac.as_deref()).map(str::to_ascii_lowercase));
        }
    }
    Ok(macs)
}

/// Adds an interface. Without a MAC the helper picks one (in QEMU's 52:54:00 range, unused), so the
/// running VM and its saved definition get the same one.
pub fn add(domain: &Domain, scope: Scope, nic: &NicDevice, in_use: &[String]) -> Result<Map<String, Value>, Problem> {
    if let Some(tag) = nic.vlan {
        check_vlan(&nic.source, tag)?;
    }
    if matches!(nic.source, NicSource::Passt { .. }) && !passt_installed() {
        return Err(invalid("passt is not installed on this host (Debian and Fedora package \"passt\")"));
    }
    let mac = match &nic.mac {
        Some(mac) if in_use.contains(mac) => {
            return Err(invalid(format!("The MAC address {mac} is already used by a VM on this connection")));
        }
        Some(mac) => mac.clone(),
        None => fresh_mac(in_use)?,
    };
    let xml = interface_xml(&NicDevice { mac: Some(mac.clone()), ..nic.clone() })
        .map_err(|err| Problem::internal(format!("{err:#}")))?;
    two_step(domain, scope, || domain.attach_device_flags(&xml, CONFIG), || domain.attach_device_flags(&xml, LIVE))?;
    let mut answer = scope.answer();
    answer.insert("mac".into(), json!(mac));
    Ok(answer)
}

/// Whether the source can carry an 802.1Q tag: a Linux bridge that filters VLANs (libvirt then sets the
/// tap's VLAN on the bridge port), or macvtap in passthrough mode (libvirt sets it on the SR-IOV VF).
fn check_vlan(source: &NicSource, tag: u16) -> Result<(), Problem> {
    match source {
        NicSource::Bridge(bridge) => {
            if vlan_filtering(bridge) {
                Ok(())
            } else {
                Err(invalid(format!(
                    "The bridge \"{bridge}\" does not filter VLANs, so it cannot tag this interface with VLAN {tag}; \
                     turn on its vlan_filtering, or leave the tag out"
                )))
            }
        }
        NicSource::Direct { mode: "passthrough", .. } => Ok(()),
        NicSource::Direct { .. } => {
            Err(invalid("A VLAN tag on a direct attachment needs mode passthrough (an SR-IOV VF)"))
        }
        _ => Err(invalid("A VLAN tag needs a host bridge or a direct attachment in passthrough mode")),
    }
}

fn fresh_mac(in_use: &[String]) -> Result<String, Problem> {
    let mut random = [0u8; 3];
    for _ in 0..16 {
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut random))
            .map_err(|err| Problem::internal(format!("Cannot pick a MAC address: {err}")))?;
        let mac = format!("52:54:00:{:02x}:{:02x}:{:02x}", random[0], random[1], random[2]);
        if !in_use.contains(&mac) {
            return Ok(mac);
        }
    }
    Err(Problem::internal("Cannot pick an unused MAC address"))
}

pub fn remove(domain: &Domain, scope: Scope, mac: &str) -> Result<Map<String, Value>, Problem> {
    let live = if scope.live { find_nic(domain, false, mac)? } else { None };
    let config = if scope.config { find_nic(domain, true, mac)? } else { None };
    let scope = Scope { live: live.is_some(), config: config.is_some() };
    if !scope.live && !scope.config {
        return Err(not_found(mac));
    }
    let (live_xml, config_xml) = (live.map(|l| l.0).unwrap_or_default(), config.map(|c| c.0).unwrap_or_default());
    detach(domain, scope, &live_xml, &config_xml, || Ok(find_nic(domain, false, mac)?.is_some()))
}

/// Plugs the virtual cable in (`up`) or pulls it out.
pub fn link(domain: &Domain, scope: Scope, mac: &str, up: bool) -> Result<Map<String, Value>, Problem> {
    let live = if scope.live { find_nic(domain, false, mac)?.map(|found| found.0) } else { None };
    let config = if scope.config { find_nic(domain, true, mac)?.map(|found| found.0) } else { None };
    if live.is_none() && config.is_none() {
        return Err(not_found(mac));
    }
    let scope = Scope { live: live.is_some(), config: config.is_some() };
    let state = if up { "up" } else { "down" };
    let edit =
        DeviceEdit { children: vec![("link", Some(format!("<link state=\"{state}\"/>")))], ..DeviceEdit::default() };
    let edited = |old: &Option<String>| {
        edit_device(old.as_deref().unwrap_or_default(), &edit)
            .map_err(|err| Problem::internal(format!("Cannot edit the interface: {err:#}")))
    };
    let (live_new, config_new) = (edited(&live)?, edited(&config)?);
    two_step(
        domain,
        scope,
        || domain.update_device_flags(&config_new, CONFIG),
        || domain.update_device_flags(&live_new, LIVE),
    )?;
    let mut answer = scope.answer();
    answer.insert("up".into(), json!(up));
    Ok(answer)
}

fn not_found(mac: &str) -> Problem {
    Problem::new(ProblemCode::NotFound, format!("The VM has no network interface with MAC address {mac}"))
}

/// The guest's addresses by MAC: from libvirt's DHCP leases, else the guest agent, else the host's ARP
/// table, per interface whichever answers first.
pub fn addresses(domain: &Domain) -> Result<Map<String, Value>, Problem> {
    if !domain.is_active()? {
        return Err(Problem::not_supported("The VM is not running"));
    }
    let sources = [
        (sys::VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE, "lease"),
        (sys::VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT, "agent"),
        (sys::VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP, "arp"),
    ];
    let mut by_mac: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (source, name) in sources {
        let Ok(interfaces) = domain.interface_addresses(source, 0) else { continue };
        let mut found: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for interface in interfaces {
            let Some(mac) = interface.hwaddr.map(|m| m.to_ascii_lowercase()) else { continue };
            for addr in interface.addrs {
                let family = if addr.typed == sys::VIR_IP_ADDR_TYPE_IPV6 as i64 { "ipv6" } else { "ipv4" };
                found
                    .entry(mac.clone())
                    .or_default()
                    .push(json!({"address": addr.addr, "prefix": addr.prefix, "family": family, "source": name}));
            }
        }
        for (mac, addrs) in found {
            by_mac.entry(mac).or_insert(addrs);
        }
    }
    let mut answer = Map::new();
    answer.insert("ok".into(), json!(true));
    answer.insert("addresses".into(), json!(by_mac));
    Ok(answer)
}

/// What `nic-edit` changes; `None` leaves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NicChange {
    pub source: Option<NicSource>,
    pub model: Option<&'static str>,
    pub mac: Option<String>,
}

/// Edits an interface in the saved definition (its next boot): source, model, MAC. libvirt finds the
/// interface to update by its MAC, so a new MAC is a detach and an attach of the edited element.
pub fn edit(domain: &Domain, mac: &str, change: &NicChange, in_use: &[String]) -> Result<Map<String, Value>, Problem> {
    if !domain.is_persistent()? {
        return Err(invalid("This VM is transient: it has no saved definition to edit"));
    }
    let Some((xml, _)) = find_nic(domain, true, mac)? else {
        return Err(not_found(mac));
    };
    let new_mac = change.mac.clone().filter(|m| m != mac);
    if let Some(new_mac) = &new_mac
        && in_use.contains(new_mac)
    {
        return Err(invalid(format!("The MAC address {new_mac} is already used by a VM on this connection")));
    }
    let mut edit = DeviceEdit::default();
    if let Some(source) = &change.source {
        edit.attributes.push(("type", Some(source.interface_type())));
        let source_xml = nic_source_xml(source).map_err(|err| Problem::internal(format!("{err:#}")))?;
        edit.children.push(("source", source_xml));
    }
    if let Some(model) = change.model {
        edit.children.push(("model", Some(format!("<model type=\"{model}\"/>"))));
    }
    if let Some(new_mac) = &new_mac {
        edit.children.push(("mac", Some(format!("<mac address=\"{new_mac}\"/>"))));
    }
    let edited =
        edit_device(&xml, &edit).map_err(|err| Problem::internal(format!("Cannot edit the interface: {err:#}")))?;
    edit_saved(domain, &xml, &edited, new_mac.is_some(), &format!("interface {mac}"))?;
    let mut answer = Scope { live: false, config: true }.answer();
    answer.insert("mac".into(), json!(new_mac.as_deref().unwrap_or(mac)));
    Ok(answer)
}
