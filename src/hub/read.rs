//! Reading VMs from libvirt (blocking calls; only ever on the hub thread or a worker).
//!
//! A VM's XML needs its QEMU job, so reading it blocks while that QEMU does not answer (a
//! stopped process, a hung monitor: measured 30 s, then libvirt gives up). XML is therefore read
//! by an [`XmlReader`] with a deadline; a VM whose XML is late is listed from calls that need no
//! job (name, state, vCPUs, memory) or its last known config, and read again later.

use std::collections::HashSet;
use std::sync::mpsc;
use std::time::Duration;

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

/// How long a VM's XML may take before we list the VM without it and retry later.
const XML_DEADLINE: Duration = Duration::from_secs(3);

type XmlRequest = (Domain, mpsc::Sender<Result<String, Error>>);

/// Reads domain XML on a worker thread, waiting at most [`XML_DEADLINE`]. A worker stuck in
/// libvirt is abandoned (it finishes when libvirt gives up) and replaced.
pub struct XmlReader {
    tx: mpsc::Sender<XmlRequest>,
}

impl XmlReader {
    pub fn new() -> XmlReader {
        let (tx, rx) = mpsc::channel::<XmlRequest>();
        std::thread::Builder::new()
            .name("xml reader".into())
            .spawn(move || {
                for (domain, reply) in rx {
                    let _ = reply.send(domain.xml_desc(0));
                }
            })
            .expect("spawn XML reader thread");
        XmlReader { tx }
    }

    /// The live XML, or `Ok(None)` if it did not come in time.
    fn read(&mut self, domain: &Domain) -> Result<Option<String>, Error> {
        let (reply_tx, reply_rx) = mpsc::channel();
        if self.tx.send((domain.clone(), reply_tx.clone())).is_err() {
            *self = XmlReader::new();
            let _ = self.tx.send((domain.clone(), reply_tx));
        }
        match reply_rx.recv_timeout(XML_DEADLINE) {
            Ok(result) => result.map(Some),
            Err(_) => {
                warn!(
                    "reading the XML of {} takes too long; its QEMU may not answer",
                    domain.name().unwrap_or_default()
                );
                *self = XmlReader::new();
                Ok(None)
            }
        }
    }
}

/// The result of a listing: every VM, and those whose XML was late (to be read again).
pub struct Listing {
    pub vms: Vec<Vm>,
    pub late: Vec<String>,
}

/// Every VM of the connection: one listing, three flag listings, then state and XML per VM.
/// A VM that vanishes mid-listing is skipped; one whose XML we cannot parse, or that is late, is
/// still listed.
pub fn list_all(
    conn: &Connect,
    uri: &str,
    reader: &mut XmlReader,
    known: &dyn Fn(&str) -> Option<DomainConfig>,
) -> Result<Listing, Error> {
    let domains = conn.list_all_domains(0)?;
    let flags = ListFlags {
        autostart: uuids(conn, sys::VIR_CONNECT_LIST_DOMAINS_AUTOSTART)?,
        managed_save: uuids(conn, sys::VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE)?,
        transient: uuids(conn, sys::VIR_CONNECT_LIST_DOMAINS_TRANSIENT)?,
    };
    let mut listing = Listing { vms: Vec::with_capacity(domains.len()), late: Vec::new() };
    for domain in &domains {
        let uuid = domain.uuid_string()?;
        let persistent = !flags.transient.contains(&uuid);
        let autostart = flags.autostart.contains(&uuid);
        let managed_save = flags.managed_save.contains(&uuid);
        let previous = known(&uuid);
        match read_vm(domain, uri, uuid.clone(), reader, previous, (persistent, autostart, managed_save)) {
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

/// The current state of one VM by UUID; `None` if it no longer exists. The flag is false when
/// its XML was late (the VM is then described by `previous` or cheap calls).
pub fn read_one(
    conn: &Connect,
    uri: &str,
    uuid: &str,
    reader: &mut XmlReader,
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
        read_vm(&domain, uri, uuid.to_string(), reader, previous, (persistent, autostart, managed_save))
    })();
    match result {
        Ok(vm) => Ok(Some(vm)),
        Err(err) if err.code().to_raw() == sys::VIR_ERR_NO_DOMAIN => Ok(None),
        Err(err) => Err(err),
    }
}

/// One VM; the flag is false if its XML was late.
fn read_vm(
    domain: &Domain,
    uri: &str,
    uuid: String,
    reader: &mut XmlReader,
    previous: Option<DomainConfig>,
    (persistent, autostart, managed_save): (bool, bool, bool),
) -> Result<(Vm, bool), Error> {
    let (state, reason) = state_of(domain)?;
    let (config, complete) = match reader.read(domain)? {
        Some(xml) => {
            let config = parse_domain(&xml).unwrap_or_else(|err| {
                warn!("VM {uuid}: {err:#}; listing it with partial data");
                DomainConfig { name: domain.name().unwrap_or_default(), ..DomainConfig::default() }
            });
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

/// What libvirt tells without taking the VM's job: name, vCPUs and memory.
fn config_without_job(domain: &Domain) -> Result<DomainConfig, Error> {
    let info = domain.info()?;
    Ok(DomainConfig {
        name: domain.name()?,
        vcpus: info.nr_virt_cpu,
        memory: info.memory * 1024,
        max_memory: info.max_mem * 1024,
        ..DomainConfig::default()
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
