//! Domain XML reads with a deadline, a few at a time.
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

type Reply = mpsc::Sender<Result<String, Error>>;
type Request = (Domain, Reply);

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
                    let Ok((domain, reply)) = next else { break };
                    let _ = reply.send(domain.xml_desc(0));
                }
                workers.fetch_sub(1, Ordering::SeqCst);
            })
            .expect("spawn XML reader thread");
    }

    /// The live XML of each domain, in order; `Ok(None)` where it did not come in time.
    pub fn read_all(&self, domains: &[Domain]) -> Vec<Result<Option<String>, Error>> {
        let pending: Vec<mpsc::Receiver<Result<String, Error>>> = domains
            .iter()
            .map(|domain| {
                let (reply_tx, reply_rx) = mpsc::channel();
                self.tx.send((domain.clone(), reply_tx)).expect("the reader owns its queue");
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

    pub fn read(&self, domain: &Domain) -> Result<Option<String>, Error> {
        self.read_all(std::slice::from_ref(domain)).pop().expect("one answer per domain")
    }
}
