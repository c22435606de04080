//! Reading VMs from libvirt (blocking calls; only ever on the hub thread or a worker).
//!
//! A VM whose XML is late (see `xml_reader.rs`) is listed from calls that need no job (name,
//! state, vCPUs, memory) or its last known config, and read again later.

use std::collections::{HashMap, HashSet};

use log::warn;
use virt::connect::Connect;
use virt::domain::Domain;
use virt::error::Error;
use virt_sys as sys;

use super::bulk_stats::{DomainRecord, domain_stats};
use super::xml_reader::{DomainXml, XmlReader};
use crate::model::state::{reason_name, state_name};
use crate::model::{DomainConfig, SavedConfig, Vm};
use crate::xml::{first_boot, parse_domain};

/// Domain-level flags that `list_all_domains` can answer for all domains in one call each.
struct ListFlags {
    autostart: HashSet<String>,
    managed_save: HashSet<String>,
    transient: HashSet<String>,
}

fn uuids(conn: &Connect, flag: sys::virConnectListAllDomainsFlags) -> Result<HashSet<String>, Error> {
    conn.list_all_domains(flag)?.iter().map(Domain::uuid_string).collect()
}

/// The result of a listing: every VM, and those whose XML was late (to be read again).
pub struct Listing {
    pub vms: Vec<Vm>,
    pub late: Vec<String>,
}

/// Every VM of the connection with round trips independent of the number of VMs, except the
/// XML: one listing, three flag listings, one bulk call for every state, then the XML of all VMs,
/// a few at a time. A VM that vanishes mid-listing is skipped; one whose XML we cannot parse, or
/// that is late, is still listed.
pub fn list_all(
    conn: &Connect,
    uri: &str,
    reader: &XmlReader,
    known: &dyn Fn(&str) -> Option<DomainConfig>,
) -> Result<Listing, Error> {
    let domains = conn.list_all_domains(0)?;
    let flags = ListFlags {
        autostart: uuids(conn, sys::VIR_CONNECT_LIST_DOMAINS_AUTOSTART)?,
        managed_save: uuids(conn, sys::VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE)?,
        transient: uuids(conn, sys::VIR_CONNECT_LIST_DOMAINS_TRANSIENT)?,
    };
    // The state group needs no QEMU job, so this never waits for a stuck VM.
    let states: HashMap<String, (i32, i32)> = domain_stats(conn, sys::VIR_DOMAIN_STATS_STATE, 0)?
        .iter()
        .map(|record| (record.uuid.clone(), state_from(record)))
        .collect();
    // A running persistent VM's saved definition may differ from its live one: read both.
    let want_saved: Vec<bool> = domains
        .iter()
        .map(|domain| {
            let uuid = domain.uuid_string().unwrap_or_default();
            let running = states.get(&uuid).is_some_and(|(state, _)| has_process(*state));
            running && !flags.transient.contains(&uuid)
        })
        .collect();
    let xmls = reader.read_all(&domains, &want_saved);
    let mut listing = Listing { vms: Vec::with_capacity(domains.len()), late: Vec::new() };
    for (domain, xml) in domains.iter().zip(xmls) {
        let uuid = domain.uuid_string()?;
        let result = (|| {
            let state = match states.get(&uuid) {
                Some(state) => *state,
                // Defined after the bulk call.
                None => state_of(domain)?,
            };
            let facts = Facts {
                state,
                persistent: !flags.transient.contains(&uuid),
                autostart: flags.autostart.contains(&uuid),
                managed_save: flags.managed_save.contains(&uuid),
            };
            build_vm(domain, uri, uuid.clone(), xml?, known(&uuid), facts)
        })();
        match result {
            Ok((vm, complete)) => {
                if !complete {
                    listing.late.push(uuid);
                }
                listing.vms.push(vm);
            }
            Err(err) if err.code().to_raw() == sys::VIR_ERR_NO_DOMAIN => {}
            Err(err) => return Err(err),
        }
    }
    Ok(listing)
}

fn state_from(record: &DomainRecord) -> (i32, i32) {
    let field = |name| record.get(name).unwrap_or(0.0) as i32;
    (field("state.state"), field("state.reason"))
}

/// What libvirt says about a VM besides its XML.
struct Facts {
    state: (i32, i32),
    persistent: bool,
    autostart: bool,
    managed_save: bool,
}

/// The current state of one VM by UUID; `None` if it no longer exists. The flag is false when
/// its XML was late (the VM is then described by `previous` or cheap calls).
pub fn read_one(
    conn: &Connect,
    uri: &str,
    uuid: &str,
    reader: &XmlReader,
    previous: Option<DomainConfig>,
) -> Result<Option<(Vm, bool)>, Error> {
    let domain = match conn.lookup_domain_by_uuid_string(uuid) {
        Ok(domain) => domain,
        Err(err) if err.code().to_raw() == sys::VIR_ERR_NO_DOMAIN => return Ok(None),
        Err(err) => return Err(err),
    };
    let result = (|| {
        let persistent = domain.is_persistent()?;
        let autostart = if persistent { domain.autostart()? } else { false };
        let managed_save = persistent && domain.has_managed_save(0)?;
        let facts = Facts { state: state_of(&domain)?, persistent, autostart, managed_save };
        let xml = reader.read(&domain, persistent && has_process(facts.state.0))?;
        build_vm(&domain, uri, uuid.to_string(), xml, previous, facts)
    })();
    match result {
        Ok(vm) => Ok(Some(vm)),
        Err(err) if err.code().to_raw() == sys::VIR_ERR_NO_DOMAIN => Ok(None),
        Err(err) => Err(err),
    }
}

/// One VM from its XML (`None`: late); the flag is false if the XML was late.
fn build_vm(
    domain: &Domain,
    uri: &str,
    uuid: String,
    xml: Option<DomainXml>,
    previous: Option<DomainConfig>,
    facts: Facts,
) -> Result<(Vm, bool), Error> {
    let Facts { state: (state, reason), persistent, autostart, managed_save } = facts;
    let (config, complete) = match xml {
        Some(xml) => {
            let mut config = parse_domain(&xml.live).unwrap_or_else(|err| {
                warn!("VM {uuid}: {err:#}; listing it with partial data");
                DomainConfig { name: domain.name().unwrap_or_default(), ..DomainConfig::default() }
            });
            config.saved = xml.saved.as_deref().and_then(|saved| saved_differences(&uuid, &config, saved));
            // `saved` is read only while QEMU runs: the first boot has happened.
            config.first_boot_pending = xml.saved.as_deref().is_some_and(|saved| saved.contains(first_boot::NAMESPACE));
            (config, true)
        }
        None => (previous.map_or_else(|| config_without_job(domain), Ok)?, false),
    };
    let vm = Vm {
        id: uuid,
        name: config.name.clone(),
        uri: uri.to_string(),
        state: state_name(state),
        reason: reason_name(state, reason),
        persistent,
        autostart,
        managed_save,
        config,
    };
    Ok((vm, complete))
}

/// The saved definition's facts when they differ from the live ones (an unreadable one counts as
/// "no difference known").
fn saved_differences(uuid: &str, live: &DomainConfig, saved_xml: &str) -> Option<Box<SavedConfig>> {
    let saved = match parse_domain(saved_xml) {
        Ok(saved) => SavedConfig::of(&saved),
        Err(err) => {
            warn!("VM {uuid}: its saved definition: {err:#}");
            return None;
        }
    };
    (saved != SavedConfig::of(live)).then(|| Box::new(saved))
}

/// What libvirt tells without taking the VM's job: name, vCPUs and memory.
fn config_without_job(domain: &Domain) -> Result<DomainConfig, Error> {
    let info = domain.info()?;
    Ok(DomainConfig {
        name: domain.name()?,
        vcpus: info.nr_virt_cpu,
        memory: info.memory.saturating_mul(1024),
        max_memory: info.max_mem.saturating_mul(1024),
        ..DomainConfig::default()
    })
}

/// States in which the VM has a QEMU process, and so a live definition of its own.
fn has_process(state: i32) -> bool {
    !matches!(state as u32, sys::VIR_DOMAIN_SHUTOFF | sys::VIR_DOMAIN_NOSTATE)
}

/// `virDomainGetState` with its error checked (the `virt` wrapper ignores it).
fn state_of(domain: &Domain) -> Result<(i32, i32), Error> {
    let (mut state, mut reason) = (0, 0);
    // SAFETY: a valid domain and two out-parameters.
    if unsafe { sys::virDomainGetState(domain.as_ptr(), &mut state, &mut reason, 0) } < 0 {
        return Err(Error::last_error());
    }
    Ok((state, reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIVE: &str = "<domain><name>a</name><vcpu>1</vcpu><devices>\
        <disk type='file' device='disk'><source file='/a.qcow2' index='1'/><target dev='vda' bus='virtio'/></disk>\
        <interface type='user'><mac address='52:54:00:00:00:01'/><target dev='vnet0'/></interface>\
        </devices></domain>";

    #[test]
    fn saved_differences_ignore_live_only_facts() {
        let live = parse_domain(LIVE).unwrap();
        let saved = LIVE.replace(" index='1'", "").replace("<target dev='vnet0'/>", "");
        assert_eq!(saved_differences("u", &live, &saved), None);
        assert_eq!(saved_differences("u", &live, "<not xml"), None);
    }

    #[test]
    fn saved_differences_carry_the_next_boot() {
        let live = parse_domain(LIVE).unwrap();
        let saved = LIVE
            .replace("</devices>", "<disk type='file' device='cdrom'><target dev='sda' bus='sata'/></disk></devices>");
        let differences = saved_differences("u", &live, &saved).expect("a disk only in the saved definition");
        let targets: Vec<_> = differences.disks.iter().map(|d| d.target.as_str()).collect();
        assert_eq!(targets, ["vda", "sda"]);
        assert_eq!(differences.interfaces[0].tap, None);
    }
}
