//! One hub per libvirt URI, shared by every channel of the session: one connection, one event
//! registration, one VM table. Ops read the table and subscribe to changes; they never talk to
//! the hub thread's libvirt loop directly. The hub knows nothing about channels or frames.

pub mod auth_open;
mod bulk_stats;
mod events;
pub mod first_boot;
pub mod job;
pub mod logins;
mod node_device_events;
pub mod node_devices;
mod poller;
pub mod reach;
mod read;
mod resource_events;
pub mod resources;
mod session;
mod slow_open;
mod table;
mod unresponsive;
mod usage_table;
mod xml_reader;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex, RwLock, Weak};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{Semaphore, watch};
use virt::connect::Connect;

use crate::model::uri::Uri;
use crate::problem::{Problem, ProblemCode};
pub use poller::PollConfig;
pub use table::{VmEntry, Watcher};
pub use usage_table::UsageTable;

/// libvirtd serves at most 5 requests per client at a time; keep one slot for the hub thread.
const MAX_CONCURRENT_CALLS: usize = 4;
/// How long an op waits for one of those slots before it reports libvirt as busy.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(20);
/// How long an op waits for one blocking call. libvirt gives up waiting for a VM's job after
/// 30 s, so a call that takes longer is stuck on something that does not answer.
pub const CALL_DEADLINE: Duration = Duration::from_secs(60);
/// Connections the helper keeps at once (one hub, its threads and its libvirt connection each): every saved
/// host of a user who saved the most, their system and session connections, and a few more a page asked for
/// (a migration's destination, a host being tested).
pub const MAX_HUBS: usize = 72;
/// How long a hub nobody uses keeps its connection before it is closed and its threads end.
const HUB_IDLE: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConnState {
    Connecting,
    Connected,
    Reconnecting,
    Unreachable,
    AccessDenied,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionStatus {
    pub uri: String,
    pub state: ConnState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Why it is not connected, as a problem reason code (`auth-failed`, `host-unreachable`, `port-closed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

/// Work for the hub thread.
#[derive(Debug)]
pub enum HubCommand {
    /// A libvirt event named this domain (UUID): re-read it.
    DomainChanged(String),
    /// The connection of this generation was lost.
    ConnectionLost(u64),
    /// A pool or network event named this object (UUID): re-read it. The number counts earlier failed
    /// re-reads of it (a re-read that fails is tried again a few times, so a transient error leaves no
    /// stale row).
    ResourceChanged(resources::ResourceKind, String, u8),
    /// A node device event named this device: re-read it (the number counts failed re-reads).
    NodeDeviceChanged(String, u8),
    /// Someone started watching host devices: list them now if this connection has not.
    ListNodeDevices,
    /// Waiting to retry a lost connection: try now (a user asked).
    Reconnect,
}

pub struct Hub {
    uri: Uri,
    table: table::Table,
    /// Storage pools and virtual networks.
    pub resources: resources::ResourceTable,
    /// Host devices VMs can be given (listed once someone watches them).
    pub node_devices: node_devices::NodeDeviceTable,
    /// The live connection, for ops' calls; `None` while disconnected.
    conn: RwLock<Option<Connect>>,
    status: watch::Sender<ConnectionStatus>,
    commands: Mutex<Sender<HubCommand>>,
    /// Bounds libvirt calls made on behalf of ops.
    calls: Arc<Semaphore>,
    pub poll_config: PollConfig,
    /// Live usage and history of the running VMs.
    pub usage: UsageTable,
    /// Channels that want usage; the poller sleeps while this is 0.
    usage_watchers: AtomicUsize,
    poll_wake: (Mutex<()>, Condvar),
    /// Whether the poller thread runs (it holds a reference to the hub, see [`Hub::unused`]).
    poller_started: Mutex<bool>,
    /// Set when the hub leaves the registry: its threads end.
    closed: AtomicBool,
    /// The registry, so the hub thread can remove an idle hub.
    registry: Weak<Registry>,
    /// Credentials given for remote hosts (shared by every hub), which this hub's opens answer from.
    logins: Arc<logins::Logins>,
}

/// Keeps the usage poller running while held (one per channel that watches usage).
pub struct UsageSubscription(Arc<Hub>);

impl Drop for UsageSubscription {
    fn drop(&mut self) {
        self.0.usage_watchers.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Hub {
    pub fn subscribe(&self) -> Arc<Watcher> {
        self.table.subscribe()
    }

    /// Starts (or keeps) the usage poller running until the subscription is dropped.
    pub fn watch_usage(self: &Arc<Self>) -> UsageSubscription {
        self.usage_watchers.fetch_add(1, Ordering::SeqCst);
        {
            let mut started = self.poller_started.lock().unwrap();
            if !*started {
                // Without the thread there is no usage, but the channel and the helper live on.
                match poller::spawn(self.clone()) {
                    Ok(()) => *started = true,
                    Err(err) => log::error!("{}: cannot start the usage poller: {err}", self.uri),
                }
            }
        }
        let _guard = self.poll_wake.0.lock().unwrap();
        self.poll_wake.1.notify_all();
        UsageSubscription(self.clone())
    }

    /// Fires when the connection state changes.
    pub fn status_receiver(&self) -> watch::Receiver<ConnectionStatus> {
        self.status.subscribe()
    }

    pub fn status(&self) -> ConnectionStatus {
        self.status.borrow().clone()
    }

    /// Increments with every complete listing; a watcher that saw an older one must resync.
    pub fn epoch(&self) -> u64 {
        self.table.epoch()
    }

    /// Every VM, in no particular order, and the epoch they belong to.
    pub fn snapshot(&self) -> (u64, Vec<Arc<VmEntry>>) {
        self.table.snapshot()
    }

    pub fn get(&self, id: &str) -> Option<Arc<VmEntry>> {
        self.table.get(id)
    }

    /// Asks the hub thread to re-read one VM (after our own actions, for drivers without events).
    pub fn refresh(&self, uuid: &str) {
        let _ = self.commands.lock().unwrap().send(HubCommand::DomainChanged(uuid.to_string()));
    }

    /// Asks the hub thread to re-read one pool or network (after our own changes).
    pub fn refresh_resource(&self, kind: resources::ResourceKind, uuid: &str) {
        let _ = self.commands.lock().unwrap().send(HubCommand::ResourceChanged(kind, uuid.to_string(), 0));
    }

    /// Asks the hub thread to try connecting now when it waits to retry (nothing happens while connected).
    pub fn reconnect(&self) {
        let _ = self.commands.lock().unwrap().send(HubCommand::Reconnect);
    }

    /// Starts following the host devices: the hub thread lists them once per connection from now on.
    pub fn watch_node_devices(&self) {
        if self.node_devices.want() {
            let _ = self.commands.lock().unwrap().send(HubCommand::ListNodeDevices);
        }
    }

    /// Runs a blocking libvirt call on a worker thread with the hub's connection, waiting up
    /// to `connect_timeout` for a connection if the hub is still (re)connecting, and at most
    /// [`CALL_DEADLINE`] for the call.
    pub async fn call<T, F>(&self, connect_timeout: Duration, f: F) -> Result<T, Problem>
    where
        T: Send + 'static,
        F: FnOnce(&Connect) -> Result<T, Problem> + Send + 'static,
    {
        self.call_within(connect_timeout, CALL_DEADLINE, f).await
    }

    /// [`Hub::call`] with its own deadline. When the op gives up (deadline, or its channel
    /// closed), the worker keeps its permit until libvirt returns: at most
    /// [`MAX_CONCURRENT_CALLS`] calls are ever really in flight.
    pub async fn call_within<T, F>(&self, connect_timeout: Duration, deadline: Duration, f: F) -> Result<T, Problem>
    where
        T: Send + 'static,
        F: FnOnce(&Connect) -> Result<T, Problem> + Send + 'static,
    {
        let conn = self.connection(connect_timeout).await?;
        // A call with a short deadline does not wait longer than that for its slot either.
        let acquire_timeout = ACQUIRE_TIMEOUT.min(deadline);
        let permit = match tokio::time::timeout(acquire_timeout, self.calls.clone().acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) => return Err(Problem::internal("the hub is shutting down")),
            Err(_) => {
                return Err(Problem::new(
                    ProblemCode::Timeout,
                    format!(
                        "libvirt at {} is busy: {MAX_CONCURRENT_CALLS} calls have not returned for {:.1} s",
                        self.uri,
                        acquire_timeout.as_secs_f64()
                    ),
                ));
            }
        };
        let work = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            f(&conn)
        });
        match tokio::time::timeout(deadline, work).await {
            Ok(joined) => {
                joined.map_err(|err| Problem::internal(format!("libvirt call failed unexpectedly: {err}")))?
            }
            Err(_) => Err(Problem::new(
                ProblemCode::Timeout,
                format!(
                    "libvirt at {} did not answer within {:.1} s (a QEMU may not respond); the call may still complete",
                    self.uri,
                    deadline.as_secs_f64()
                ),
            )),
        }
    }

    async fn connection(&self, timeout: Duration) -> Result<Connect, Problem> {
        let mut status = self.status.subscribe();
        let settled = |s: &ConnectionStatus| !matches!(s.state, ConnState::Connecting | ConnState::Reconnecting);
        let _ = tokio::time::timeout(timeout, status.wait_for(|s| settled(s))).await;
        if let Some(conn) = self.conn.read().unwrap().clone() {
            return Ok(conn);
        }
        let status = self.status();
        let detail = status.message.unwrap_or_else(|| "still connecting".into());
        Err(match status.state {
            ConnState::AccessDenied => {
                Problem::new(ProblemCode::AccessDenied, format!("No access to {}: {detail}", self.uri))
            }
            _ => Problem::internal(format!("libvirt is not reachable at {}: {detail}", self.uri)),
        })
    }
}

impl Hub {
    /// Nobody but the hub's own threads and the registry holds it. Those hold one reference
    /// each (hub thread, registry, poller once started); every op, watcher subscription or
    /// call holds another.
    fn unused(self: &Arc<Self>) -> bool {
        let own = 2 + usize::from(*self.poller_started.lock().unwrap());
        Arc::strong_count(self) <= own
    }

    /// Called by the hub thread: removes the hub from the registry if nobody uses it, under the
    /// registry's lock so that no `Hubs::get` can hand it out meanwhile. True: the hub is closed.
    fn close_if_unused(self: &Arc<Self>) -> bool {
        let Some(registry) = self.registry.upgrade() else { return true };
        let mut hubs = registry.hubs.lock().unwrap();
        if !self.unused() {
            return false;
        }
        hubs.remove(&self.uri);
        self.close();
        true
    }

    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let _guard = self.poll_wake.0.lock().unwrap();
        self.poll_wake.1.notify_all();
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }
}

struct Registry {
    hubs: Mutex<HashMap<Uri, Arc<Hub>>>,
}

/// The hubs of this process, by URI: created on first use, closed when unused for [`HUB_IDLE`]
/// (or at once when [`MAX_HUBS`] are open and a new one is needed).
pub struct Hubs {
    registry: Arc<Registry>,
    /// Credentials given for remote hosts, in memory only.
    pub logins: Arc<logins::Logins>,
    poll_config: PollConfig,
    idle: Duration,
}

impl Hubs {
    pub fn new(poll_config: PollConfig) -> Hubs {
        // Tests shorten the idle time through the manifest's environment.
        let idle = std::env::var("CVIRT_HUB_IDLE_MS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .map_or(HUB_IDLE, Duration::from_millis);
        Hubs::with_idle(poll_config, idle)
    }

    fn with_idle(poll_config: PollConfig, idle: Duration) -> Hubs {
        Hubs {
            registry: Arc::new(Registry { hubs: Mutex::new(HashMap::new()) }),
            logins: Arc::default(),
            poll_config,
            idle,
        }
    }

    pub fn get(&self, uri: &Uri) -> Result<Arc<Hub>, Problem> {
        let mut hubs = self.registry.hubs.lock().unwrap();
        if let Some(hub) = hubs.get(uri) {
            return Ok(hub.clone());
        }
        if hubs.len() >= MAX_HUBS {
            // Make room from hubs nobody uses any more, before their idle time is up.
            hubs.retain(|_, hub| {
                let unused = hub.unused();
                if unused {
                    hub.close();
                }
                !unused
            });
        }
        if hubs.len() >= MAX_HUBS {
            return Err(Problem::new(
                ProblemCode::AccessDenied,
                format!("The helper already keeps {MAX_HUBS} libvirt connections open; close some pages first"),
            ));
        }
        events::start_event_loop()?;
        let (tx, rx) = std::sync::mpsc::channel();
        let (status, _) = watch::channel(ConnectionStatus {
            uri: uri.to_string(),
            state: ConnState::Connecting,
            message: None,
            reason: None,
        });
        let hub = Arc::new(Hub {
            uri: uri.clone(),
            table: table::Table::default(),
            resources: resources::ResourceTable::default(),
            node_devices: node_devices::NodeDeviceTable::default(),
            conn: RwLock::new(None),
            status,
            commands: Mutex::new(tx.clone()),
            calls: Arc::new(Semaphore::new(MAX_CONCURRENT_CALLS)),
            poll_config: self.poll_config,
            usage: UsageTable::new(self.poll_config.history_points),
            usage_watchers: AtomicUsize::new(0),
            poll_wake: (Mutex::new(()), Condvar::new()),
            poller_started: Mutex::new(false),
            closed: AtomicBool::new(false),
            registry: Arc::downgrade(&self.registry),
            logins: self.logins.clone(),
        });
        session::spawn(hub.clone(), tx, rx, self.idle)
            .map_err(|err| Problem::internal(format!("cannot start a thread for {uri}: {err}")))?;
        hubs.insert(uri.clone(), hub.clone());
        Ok(hub)
    }

    /// The state of the connection to `uri`, when a hub for it is open (nothing is opened here).
    pub fn status_of(&self, uri: &Uri) -> Option<ConnectionStatus> {
        self.registry.hubs.lock().unwrap().get(uri).map(|hub| hub.status())
    }

    /// The hub of `uri` when one is open (nothing is opened here).
    pub fn open_hub(&self, uri: &Uri) -> Option<Arc<Hub>> {
        self.registry.hubs.lock().unwrap().get(uri).cloned()
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.registry.hubs.lock().unwrap().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missing(i: usize) -> Uri {
        Uri::parse(&format!("test:///tmp/cvtest-no-such-{i}.xml")).unwrap()
    }

    fn wait_until(what: &str, done: impl Fn() -> bool) {
        let start = std::time::Instant::now();
        while !done() {
            assert!(start.elapsed() < Duration::from_secs(10), "timed out waiting until {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Calls that outlive their deadline keep their permits until libvirt returns; while all are
    /// taken, the next call gives up after the acquire timeout instead of waiting for ever.
    #[tokio::test]
    async fn hub_call_deadline_and_acquire_timeout_hold_permits_until_the_work_ends() {
        let hubs = Hubs::with_idle(PollConfig::from_env(), HUB_IDLE);
        let hub = hubs.get(&Uri::parse("test:///default").unwrap()).unwrap();
        let (connect, deadline) = (Duration::from_secs(10), Duration::from_millis(200));
        let (release, released) = std::sync::mpsc::channel::<()>();
        let released = Arc::new(Mutex::new(released));
        for _ in 0..MAX_CONCURRENT_CALLS {
            let released = released.clone();
            let blocked = move |_: &Connect| {
                let _ = released.lock().unwrap().recv();
                Ok(())
            };
            let err = hub.call_within(connect, deadline, blocked).await.expect_err("the deadline passes first");
            assert_eq!(err.code, ProblemCode::Timeout);
            assert!(err.message.contains("did not answer within 0.2 s"), "{}", err.message);
        }
        assert_eq!(hub.calls.available_permits(), 0, "abandoned calls still hold their permits");
        let busy = hub.call_within(connect, deadline, |_| Ok(())).await.expect_err("no permit");
        assert_eq!(busy.code, ProblemCode::Timeout);
        assert!(busy.message.contains("is busy"), "{}", busy.message);
        drop(release);
        let start = std::time::Instant::now();
        while hub.calls.available_permits() < MAX_CONCURRENT_CALLS {
            assert!(start.elapsed() < Duration::from_secs(10), "permits not returned");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let count = hub.call(connect, |conn| conn.num_of_domains().map_err(Problem::from)).await.unwrap();
        assert_eq!(count, 1);
    }

    /// A hub that waits to retry tries at once when asked: well before its backoff (by then 4 s) is up.
    #[test]
    fn hub_reconnect_tries_at_once() {
        let path = std::env::temp_dir().join(format!("cvtest-reconnect-{}.xml", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let hubs = Hubs::with_idle(PollConfig::from_env(), HUB_IDLE);
        let hub = hubs.get(&Uri::parse(&format!("test://{}", path.display())).unwrap()).unwrap();
        wait_until("the first attempt fails", || hub.status().state == ConnState::Unreachable);
        assert_eq!(hub.status().reason, None, "a local URI has no port to probe");
        // Attempts at 0, 1, 2 and 4 s; the next would be at 8 s.
        std::thread::sleep(Duration::from_millis(4500));
        std::fs::write(&path, "<node/>").unwrap();
        let asked = std::time::Instant::now();
        hub.reconnect();
        wait_until("connected", || hub.status().state == ConnState::Connected);
        assert!(asked.elapsed() < Duration::from_secs(2), "took {:?}", asked.elapsed());
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn hubs_bounded_by_count_and_freed_when_idle() {
        let hubs = Hubs::with_idle(PollConfig::from_env(), Duration::from_millis(300));
        let held: Vec<Arc<Hub>> = (0..MAX_HUBS).map(|i| hubs.get(&missing(i)).unwrap()).collect();
        let refused = hubs.get(&missing(MAX_HUBS)).err().expect("one hub too many");
        assert_eq!(refused.code, ProblemCode::AccessDenied);
        assert!(refused.message.contains("libvirt connections open"), "{}", refused.message);
        // A hub in use stays however long it idles; the same URI gives the same hub.
        std::thread::sleep(Duration::from_millis(600));
        assert_eq!(hubs.len(), MAX_HUBS);
        assert!(Arc::ptr_eq(&hubs.get(&missing(0)).unwrap(), &held[0]));
        // Unused hubs make room at once for a new one…
        drop(held);
        let extra = hubs.get(&missing(MAX_HUBS)).unwrap();
        assert!(hubs.len() <= MAX_HUBS);
        // …and the rest are freed after their idle time, their threads gone.
        let weak = Arc::downgrade(&extra);
        drop(extra);
        wait_until("every hub is closed", || hubs.len() == 0);
        wait_until("the hub is dropped by its threads", || weak.upgrade().is_none());
    }
}
