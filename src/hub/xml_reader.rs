//! Domain XML reads with a deadline, a few at a time: the live XML, and for a running persistent VM
//! also its saved (inactive) definition, which is what the next boot gets.
//!
//! Reading a VM's XML takes its QEMU job, so it blocks while that QEMU does not answer (a
//! stopped process, a hung monitor: measured 30 s, then libvirt gives up; even for the inactive
//! XML). A small pool of worker threads pulls requests from one queue, so a stuck read holds only
//! its own worker; the caller waits for a whole batch at most [`XML_DEADLINE`] (one deadline for
//! all, so many hung QEMUs cost 3 s, not 3 s each) and treats what is late as "not now". Requests
//! of a batch the caller gave up on are skipped by the workers. A late worker is replaced, up to
//! a bound; it rejoins the pool when libvirt lets it go.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

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
/// A domain, whether to read its saved definition too, where to answer, and whether the caller
/// still waits for it.
type Request = (Domain, bool, Reply, Arc<AtomicBool>);

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

    /// A worker that cannot be started is logged; fewer workers only make more XML late.
    fn spawn_worker(&self) {
        let rx = self.rx.clone();
        let workers = self.workers.clone();
        workers.fetch_add(1, Ordering::SeqCst);
        let spawned = std::thread::Builder::new().name("xml reader".into()).spawn(move || {
            loop {
                // The lock is held only while waiting for the next request, not while reading.
                let next = rx.lock().unwrap().recv();
                let Ok((domain, saved, reply, abandoned)) = next else { break };
                if !abandoned.load(Ordering::SeqCst) {
                    let _ = reply.send(read_xml(&domain, saved));
                }
            }
            workers.fetch_sub(1, Ordering::SeqCst);
        });
        if let Err(err) = spawned {
            self.workers.fetch_sub(1, Ordering::SeqCst);
            warn!("cannot start an XML reader thread: {err}");
        }
    }

    /// The XML of each domain, in order; `Ok(None)` where it did not come in time (one deadline for
    /// the batch, both reads of a VM included). `saved[i]`: also read domain i's saved definition (it
    /// runs and is persistent).
    pub fn read_all(&self, domains: &[Domain], saved: &[bool]) -> Vec<Result<Option<DomainXml>, Error>> {
        let deadline = Instant::now() + XML_DEADLINE;
        let abandoned = Arc::new(AtomicBool::new(false));
        let pending: Vec<mpsc::Receiver<Result<DomainXml, Error>>> = domains
            .iter()
            .zip(saved)
            .map(|(domain, saved)| {
                let (reply_tx, reply_rx) = mpsc::channel();
                // The receiving end lives as long as the reader, so this cannot fail.
                let _ = self.tx.send((domain.clone(), *saved, reply_tx, abandoned.clone()));
                reply_rx
            })
            .collect();
        let mut late = 0;
        let results = pending
            .into_iter()
            .zip(domains)
            .map(|(reply, domain)| match reply.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(result) => result.map(Some),
                Err(_) => {
                    abandoned.store(true, Ordering::SeqCst);
                    late += 1;
                    warn!("the XML of {} is late; its QEMU may not answer", domain.name().unwrap_or_default());
                    Ok(None)
                }
            })
            .collect();
        // Replace workers that may be stuck, up to the bound.
        for _ in 0..late.min(WORKERS) {
            if self.workers.load(Ordering::SeqCst) < MAX_WORKERS {
                self.spawn_worker();
            }
        }
        results
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
