//! Domain XML reads with a deadline, a few at a time: the live XML, and for a running persistent VM
//! also its saved (inactive) definition, which is what the next boot gets.
//!
//! Reading a VM's XML takes its QEMU job, so it blocks while that QEMU does not answer (a
//! stopped process, a hung monitor: measured 30 s, then libvirt gives up; even for the inactive
//! XML). A small pool of worker threads pulls requests from one queue, so a stuck read holds only
//! its own worker; the caller waits for each answer at most [`XML_DEADLINE`] and treats a late
//! one as "not now". A late worker is replaced, up to a bound; it rejoins the pool when libvirt
//! lets it go.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use log::warn;
use virt::domain::Domain;
use virt::error::Error;

/// How long a VM's XML may take before we list the VM without it.
const XML_DEADLINE: Duration = Duration::from_secs(3);
/// Reads in flight at once: libvirtd serves 5 requests per client; keep room for the rest.
const WORKERS: usize = 3;
/// Workers there may be in all, counting those stuck in libvirt.
const MAX_WORKERS: usize = WORKERS + 3;

/// A VM's XML: live, and saved when it runs and has a persistent definition that may differ.
pub struct DomainXml {
    pub live: String,
    pub saved: Option<String>,
}

type Reply = mpsc::Sender<Result<DomainXml, Error>>;
/// A domain, whether to read its saved definition too, and where to answer.
type Request = (Domain, bool, Reply);

pub struct XmlReader {
    tx: mpsc::Sender<Request>,
    rx: Arc<Mutex<mpsc::Receiver<Request>>>,
    workers: Arc<AtomicUsize>,
}

impl XmlReader {
    pub fn new() -> XmlReader {
        let (tx, rx) = mpsc::channel::<Request>();
        let reader = XmlReader { tx, rx: Arc::new(Mutex::new(rx)), workers: Arc::new(AtomicUsize::new(0)) };
        for _ in 0..WORKERS {
            reader.spawn_worker();
        }
        reader
    }

    fn spawn_worker(&self) {
        let rx = self.rx.clone();
        let workers = self.workers.clone();
        workers.fetch_add(1, Ordering::SeqCst);
        std::thread::Builder::new()
            .name("xml reader".into())
            .spawn(move || {
                loop {
                    // The lock is held only while waiting for the next request, not while reading.
                    let next = rx.lock().unwrap().recv();
                    let Ok((domain, saved, reply)) = next else { break };
                    let _ = reply.send(read_xml(&domain, saved));
                }
                workers.fetch_sub(1, Ordering::SeqCst);
            })
            .expect("spawn XML reader thread");
    }

    /// The XML of each domain, in order; `Ok(None)` where it did not come in time (both reads of a
    /// VM share one deadline).
    /// `saved[i]`: also read domain i's saved definition (it runs and is persistent).
    pub fn read_all(&self, domains: &[Domain], saved: &[bool]) -> Vec<Result<Option<DomainXml>, Error>> {
        let pending: Vec<mpsc::Receiver<Result<DomainXml, Error>>> = domains
            .iter()
            .zip(saved)
            .map(|(domain, saved)| {
                let (reply_tx, reply_rx) = mpsc::channel();
                self.tx.send((domain.clone(), *saved, reply_tx)).expect("the reader owns its queue");
                reply_rx
            })
            .collect();
        pending
            .into_iter()
            .zip(domains)
            .map(|(reply, domain)| match reply.recv_timeout(XML_DEADLINE) {
                Ok(result) => result.map(Some),
                Err(_) => {
                    warn!("the XML of {} is late; its QEMU may not answer", domain.name().unwrap_or_default());
                    if self.workers.load(Ordering::SeqCst) < MAX_WORKERS {
                        self.spawn_worker();
                    }
                    Ok(None)
                }
            })
            .collect()
    }

    pub fn read(&self, domain: &Domain, saved: bool) -> Result<Option<DomainXml>, Error> {
        self.read_all(std::slice::from_ref(domain), &[saved]).pop().expect("one answer per domain")
    }
}

/// Both XMLs of one VM. The saved one is only asked for while the VM runs (a shut-off VM's live XML
/// is its saved one; the caller knows from its listing); a VM that lost its definition or ended
/// between the calls simply has none.
fn read_xml(domain: &Domain, saved: bool) -> Result<DomainXml, Error> {
    let live = domain.xml_desc(0)?;
    let saved = if saved { domain.xml_desc(virt_sys::VIR_DOMAIN_XML_INACTIVE).ok() } else { None };
    Ok(DomainXml { live, saved })
}
