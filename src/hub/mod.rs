//! One hub per libvirt URI, shared by every channel of the session: one connection, one event
//! registration, one VM table. Ops read the table and subscribe to changes; they never talk to
//! the hub thread's libvirt loop directly. The hub knows nothing about channels or frames.

mod bulk_stats;
mod events;
mod poller;
mod read;
mod resource_events;
pub mod resources;
mod session;
mod table;
mod usage_table;
mod xml_reader;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex, Once, RwLock};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{Semaphore, watch};
use virt::connect::Connect;

use crate::problem::Problem;
pub use poller::PollConfig;
pub use table::{VmEntry, Watcher};
pub use usage_table::UsageTable;

/// libvirtd serves at most 5 requests per client at a time; keep one slot for the hub thread.
const MAX_CONCURRENT_CALLS: usize = 4;

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
}

pub struct Hub {
    uri: String,
    table: table::Table,
    /// Storage pools and virtual networks.
    pub resources: resources::ResourceTable,
    /// The live connection, for ops' calls; `None` while disconnected.
    conn: RwLock<Option<Connect>>,
    status: watch::Sender<ConnectionStatus>,
    commands: Mutex<Sender<HubCommand>>,
    /// Bounds libvirt calls made on behalf of ops.
    calls: Semaphore,
    pub poll_config: PollConfig,
    /// Live usage and history of the running VMs.
    pub usage: UsageTable,
    /// Channels that want usage; the poller sleeps while this is 0.
    usage_watchers: AtomicUsize,
    poll_wake: (Mutex<()>, Condvar),
    poller_started: Once,
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
        self.poller_started.call_once(|| poller::spawn(self.clone()));
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

    /// Runs a blocking libvirt call on a worker thread with the hub's connection, waiting up
    /// to `connect_timeout` for a connection if the hub is still (re)connecting.
    pub async fn call<T, F>(&self, connect_timeout: Duration, f: F) -> Result<T, Problem>
    where
        T: Send + 'static,
        F: FnOnce(&Connect) -> Result<T, Problem> + Send + 'static,
    {
        let conn = self.connection(connect_timeout).await?;
        let _permit = self.calls.acquire().await.map_err(|_| Problem::internal("the hub is shutting down"))?;
        tokio::task::spawn_blocking(move || f(&conn))
            .await
            .map_err(|err| Problem::internal(format!("libvirt call failed unexpectedly: {err}")))?
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
                Problem::new(crate::problem::ProblemCode::AccessDenied, format!("No access to {}: {detail}", self.uri))
            }
            _ => Problem::internal(format!("libvirt is not reachable at {}: {detail}", self.uri)),
        })
    }
}

/// The hubs of this process, by URI. Created on first use, kept for the session.
pub struct Hubs {
    hubs: Mutex<HashMap<String, Arc<Hub>>>,
    poll_config: PollConfig,
}

impl Hubs {
    pub fn new(poll_config: PollConfig) -> Hubs {
        Hubs { hubs: Mutex::new(HashMap::new()), poll_config }
    }

    pub fn get(&self, uri: &str) -> Arc<Hub> {
        let mut hubs = self.hubs.lock().unwrap();
        if let Some(hub) = hubs.get(uri) {
            return hub.clone();
        }
        events::start_event_loop();
        let (tx, rx) = std::sync::mpsc::channel();
        let (status, _) =
            watch::channel(ConnectionStatus { uri: uri.to_string(), state: ConnState::Connecting, message: None });
        let hub = Arc::new(Hub {
            uri: uri.to_string(),
            table: table::Table::default(),
            resources: resources::ResourceTable::default(),
            conn: RwLock::new(None),
            status,
            commands: Mutex::new(tx.clone()),
            calls: Semaphore::new(MAX_CONCURRENT_CALLS),
            poll_config: self.poll_config,
            usage: UsageTable::new(self.poll_config.history_points),
            usage_watchers: AtomicUsize::new(0),
            poll_wake: (Mutex::new(()), Condvar::new()),
            poller_started: Once::new(),
        });
        session::spawn(hub.clone(), tx, rx);
        hubs.insert(uri.to_string(), hub.clone());
        hub
    }
}
