//! Reading VMs from libvirt (blocking calls; only ever on the hub thread or a worker).

use std::collections::HashSet;

use log::warn;
use virt::connect::Connect;
use virt::domain::Domain;
use virt::error::Error;
use virt_sys as sys;

use crate::model::state::{reason_name, state_name};
use crate::model::{DomainConfig, Vm};
use crate::xml::parse_domain;

/// Domain-level flags that `list_all_domains` can answer for all domains in one call each.
struct ListFlags {
    autostart: HashSet<String>,
    managed_save: HashSet<String>,
    transient: HashSet<String>,
}

fn uuids(conn: &Connect, flag: sys::virConnectListAllDomainsFlags) -> Result<HashSet<String>, Error> {
    conn.list_all_domains(flag)?.iter().map(Domain::uuid_string).collect()
}

/// Every VM of the connection: one listing, three flag listings, then state and XML per VM.
/// A VM that vanishes mid-listing is skipped; one whose XML we cannot parse is still listed.
pub fn list_all(conn: &Connect, uri: &str) -> Result<Vec<Vm>, Error> {
    let domains = conn.list_all_domains(0)?;
    let flags = ListFlags {
        autostart: uuids(conn, sys::VIR_CONNECT_LIST_DOMAINS_AUTOSTART)?,
        managed_save: uuids(conn, sys::VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE)?,
        transient: uuids(conn, sys::VIR_CONNECT_LIST_DOMAINS_TRANSIENT)?,
    };
    let mut vms = Vec::with_capacity(domains.len());
    for domain in &domains {
        let uuid = domain.uuid_string()?;
        let persistent = !flags.transient.contains(&uuid);
        let autostart = flags.autostart.contains(&uuid);
        let managed_save = flags.managed_save.contains(&uuid);
        match read_vm(domain, uri, uuid, persistent, autostart, managed_save) {
            Ok(vm) => vms.push(vm),
            Err(err) if err.code().to_raw() == sys::VIR_ERR_NO_DOMAIN => {}
            Err(err) => return Err(err),
        }
    }
    Ok(vms)
}

/// The current state of one VM by UUID; `None` if it no longer exists.
pub fn read_one(conn: &Connect, uri: &str, uuid: &str) -> Result<Option<Vm>, Error> {
    let domain = match conn.lookup_domain_by_uuid_string(uuid) {
        Ok(domain) => domain,
        Err(err) if err.code().to_raw() == sys::VIR_ERR_NO_DOMAIN => return Ok(None),
        Err(err) => return Err(err),
    };
    let result = (|| {
        let persistent = domain.is_persistent()?;
        let autostart = if persistent { domain.autostart()? } else { false };
        let managed_save = persistent && domain.has_managed_save(0)?;
        read_vm(&domain, uri, uuid.to_string(), persistent, autostart, managed_save)
    })();
    match result {
        Ok(vm) => Ok(Some(vm)),
        Err(err) if err.code().to_raw() == sys::VIR_ERR_NO_DOMAIN => Ok(None),
        Err(err) => Err(err),
    }
}

fn read_vm(
    domain: &Domain,
    uri: &str,
    uuid: String,
    persistent: bool,
    autostart: bool,
    managed_save: bool,
) -> Result<Vm, Error> {
    let (state, reason) = state_of(domain)?;
    let xml = domain.xml_desc(0)?;
    let config = parse_domain(&xml).unwrap_or_else(|err| {
        warn!("VM {uuid}: {err:#}; listing it with partial data");
        DomainConfig { name: domain.name().unwrap_or_default(), ..DomainConfig::default() }
    });
    Ok(Vm {
        id: uuid,
        name: config.name.clone(),
        uri: uri.to_string(),
        state: state_name(state),
        reason: reason_name(state, reason),
        persistent,
        autostart,
        managed_save,
        config,
    })
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
