//! The hub thread of one URI: connect, list, follow events, and on a lost connection retry
//! with backoff and list again (libvirt does not replay missed events).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use log::{info, warn};
use virt::connect::Connect;

use super::auth_open::{self, OpenError};
use super::events::Registration;
use super::first_boot;
use super::node_device_events::NodeDeviceRegistration;
use super::node_devices;
use super::reach;
use super::read;
use super::resource_events::ResourceRegistration;
use super::resources;
use super::slow_open::{OpenWatch, SLOW_OPEN};
use super::xml_reader::XmlReader;
use super::{ConnState, ConnectionStatus, Hub, HubCommand};
use crate::model::credentials::Credentials;
use crate::problem::Reason;

/// When to read a VM's XML again after it came late (its QEMU did not answer).
const LATE_XML_RETRY: Duration = Duration::from_secs(20);

/// Keepalive: a ping every 5 s, the connection is dead after 3 missed answers.
const KEEPALIVE_INTERVAL: i32 = 5;
const KEEPALIVE_COUNT: u32 = 3;

pub fn spawn(hub: Arc<Hub>, tx: Sender<HubCommand>, rx: Receiver<HubCommand>, idle: Duration) -> std::io::Result<()> {
    let name = format!("hub {}", hub.uri);
    std::thread::Builder::new().name(name).spawn(move || {
        let session = Session {
            hub,
            tx,
            rx,
            generation: 0,
            reader: XmlReader::new(),
            retry: HashMap::new(),
            idle,
            unused_since: None,
            node_devices_listed: false,
        };
        session.run()
    })?;
    Ok(())
}

struct Session {
    hub: Arc<Hub>,
    tx: Sender<HubCommand>,
    rx: Receiver<HubCommand>,
    generation: u64,
    reader: XmlReader,
    /// VMs whose XML came late, and when to try again.
    retry: HashMap<String, Instant>,
    /// How long the hub may stay unused before it closes.
    idle: Duration,
    unused_since: Option<Instant>,
    /// The host devices were listed on this connection (they are, once someone watches them).
    node_devices_listed: bool,
}

/// Why `sleep` returned.
enum Slept {
    Waited,
    Closed,
    /// A reconnect was asked for: try now.
    Asked,
}

/// Why `serve` returned.
enum Served {
    Lost,
    Closed,
}

fn publish_status(hub: &Hub, state: ConnState, message: Option<String>, reason: Option<&'static str>) {
    let status = ConnectionStatus { uri: hub.uri.to_string(), state, message, reason };
    let changed = hub.status.send_if_modified(|current| {
        let changed = *current != status;
        *current = status.clone();
        changed
    });
    if changed {
        if state != ConnState::Connected {
            info!("{}: {:?} {}", hub.uri, state, status.message.as_deref().unwrap_or(""));
        }
        hub.table.status_changed();
    }
}

/// Delay before the next connection attempt: quick at first (a restarting libvirtd is back
/// within seconds), then every 10 s; refusals are retried slowly, they rarely change. A host that
/// wants a password is not tried again until the user gives one (a reconnect): retrying could only be
/// refused again, and refused logins may lock the account.
fn backoff(attempt: u32, state: ConnState, refused: Option<Reason>) -> Option<Duration> {
    if matches!(refused, Some(Reason::AuthNeeded | Reason::CredentialsRefused)) {
        return None;
    }
    let seconds = match state {
        ConnState::AccessDenied => 30,
        _ => [1, 1, 2, 4, 8].get(attempt as usize).copied().unwrap_or(10),
    };
    Some(Duration::from_secs(seconds))
}

impl Session {
    fn run(mut self) {
        let mut attempt = 0;
        let mut was_connected = false;
        loop {
            let login = self.hub.logins.get(&self.hub.uri);
            match self.connect_and_list(login.as_deref()) {
                Ok((conn, registration, resource_registration)) => {
                    // The held credentials stay in `Logins` only (a removed host's are dropped there).
                    drop(login);
                    attempt = 0;
                    let node_device_registration = NodeDeviceRegistration::register(&conn, &self.tx);
                    self.node_devices_listed = false;
                    self.list_node_devices(&conn);
                    was_connected = true;
                    let served = self.serve(&conn);
                    *self.hub.conn.write().unwrap() = None;
                    drop(registration);
                    drop(resource_registration);
                    drop(node_device_registration);
                    drop(conn);
                    if let Served::Closed = served {
                        break;
                    }
                    self.set_status(ConnState::Reconnecting, None, None);
                }
                Err(failure) => {
                    let refused = failure.auth_reason();
                    let state = if refused.is_some() {
                        ConnState::AccessDenied
                    } else if was_connected && attempt < 5 {
                        ConnState::Reconnecting
                    } else {
                        ConnState::Unreachable
                    };
                    let reason = refused.or_else(|| reach::reason_for(&self.hub.uri));
                    if let (Some(Reason::CredentialsRefused), Some(used)) = (refused, &login) {
                        self.hub.logins.forget_refused(&self.hub.uri, used);
                    }
                    drop(login);
                    self.set_status(state, Some(failure.error.message().to_string()), reason.map(Reason::as_str));
                    match self.sleep(backoff(attempt, state, refused)) {
                        Slept::Closed => break,
                        Slept::Waited => attempt += 1,
                        Slept::Asked => {
                            // Shown at once; the attempt's outcome follows.
                            let retrying = if was_connected { ConnState::Reconnecting } else { ConnState::Connecting };
                            self.set_status(retrying, None, None);
                        }
                    }
                }
            }
        }
        log::info!("{}: closed, unused for {} s", self.hub.uri, self.idle.as_secs());
    }

    /// How often an idle check runs while nothing else wakes the hub thread.
    fn idle_check_interval(&self) -> Duration {
        (self.idle / 4).clamp(Duration::from_millis(100), Duration::from_secs(5))
    }

    /// True once the hub was unused for its whole idle time (it is then out of the registry).
    fn idle_expired(&mut self) -> bool {
        if !self.hub.unused() {
            self.unused_since = None;
            return self.hub.is_closed();
        }
        let since = *self.unused_since.get_or_insert_with(Instant::now);
        (since.elapsed() >= self.idle && self.hub.close_if_unused()) || self.hub.is_closed()
    }

    fn connect_and_list(
        &mut self,
        login: Option<&Credentials>,
    ) -> Result<(Connect, Registration, ResourceRegistration), OpenError> {
        let watch = self.watch_slow_open();
        // A remote host may ask for credentials through the auth callback; a local one never does.
        let opened = if self.hub.uri.remote_endpoint().is_some() {
            auth_open::open(&self.hub.uri, login)
        } else {
            Connect::open(Some(&self.hub.uri.for_open())).map_err(OpenError::from)
        };
        if let Some(watch) = watch {
            watch.finish();
        }
        let conn = opened?;
        self.generation += 1;
        let registration = Registration::register(&conn, &self.tx, self.generation);
        let resource_registration = ResourceRegistration::register(&conn, &self.tx);
        // Drivers without a network link (test:///) refuse keepalive; that is fine.
        let _ = conn.set_keep_alive(KEEPALIVE_INTERVAL, KEEPALIVE_COUNT);
        let table = &self.hub.table;
        let listing = read::list_all(&conn, self.hub.uri.as_str(), &self.reader, &|id| {
            table.get(id).map(|e| e.vm.config.clone())
        })?;
        let vms = listing.vms;
        let first_booted: Vec<String> =
            vms.iter().filter(|vm| vm.config.first_boot_pending).map(|vm| vm.id.clone()).collect();
        self.retry = listing.late.into_iter().map(|id| (id, Instant::now() + LATE_XML_RETRY)).collect();
        info!("{}: connected, {} VMs, {} event types", self.hub.uri, vms.len(), registration.event_count());
        *self.hub.conn.write().unwrap() = Some(conn.clone());
        // Status first, then the table: watchers send `connected` before the snapshot.
        self.set_status(ConnState::Connected, None, None);
        self.hub.table.replace_all(vms);
        self.hub.resources.replace_all(resources::list_all(&conn));
        for uuid in first_booted {
            self.finish_first_boot(&conn, &uuid);
        }
        Ok((conn, registration, resource_registration))
    }

    /// Lists the host devices once per connection, once someone wants them.
    fn list_node_devices(&mut self, conn: &Connect) {
        if self.node_devices_listed || !self.hub.node_devices.wanted() {
            return;
        }
        self.node_devices_listed = true;
        self.hub.node_devices.replace_all(node_devices::list_all(conn));
    }

    /// Follows events until the connection is lost or the hub closes.
    fn serve(&mut self, conn: &Connect) -> Served {
        loop {
            if self.idle_expired() {
                return Served::Closed;
            }
            let now = Instant::now();
            let idle_check = now + self.idle_check_interval();
            let wake = self.retry.values().min().copied().map_or(idle_check, |at| at.min(idle_check));
            let first = match self.rx.recv_timeout(wake.saturating_duration_since(now)) {
                Ok(command) => Some(command),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return Served::Lost,
            };
            // Drain what else is queued: a burst of events re-reads each VM once.
            let mut changed = BTreeSet::new();
            let now = Instant::now();
            let due: Vec<String> = self.retry.iter().filter(|(_, at)| **at <= now).map(|(id, _)| id.clone()).collect();
            for id in due {
                self.retry.remove(&id);
                changed.insert(id);
            }
            let mut lost = false;
            let mut resources_changed = std::collections::BTreeMap::new();
            let mut devices_changed = std::collections::BTreeMap::new();
            let mut list_devices = false;
            for command in first.into_iter().chain(self.rx.try_iter()) {
                match command {
                    HubCommand::DomainChanged(uuid) => {
                        changed.insert(uuid);
                    }
                    HubCommand::ConnectionLost(generation) => lost |= generation == self.generation,
                    HubCommand::ResourceChanged(kind, uuid, failures) => {
                        let seen = resources_changed.entry((kind, uuid)).or_insert(failures);
                        *seen = (*seen).max(failures);
                    }
                    HubCommand::NodeDeviceChanged(name, failures) => {
                        let seen = devices_changed.entry(name).or_insert(failures);
                        *seen = (*seen).max(failures);
                    }
                    HubCommand::ListNodeDevices => list_devices = true,
                    HubCommand::Reconnect => {}
                }
            }
            if lost {
                return Served::Lost;
            }
            for ((kind, uuid), failures) in resources_changed {
                match resources::read_one(conn, kind, &uuid) {
                    Ok(read) => self.hub.resources.apply(&uuid, read),
                    Err(err) => {
                        warn!("{}: re-reading {kind:?} {uuid} failed: {err}", self.hub.uri);
                        resources::retry_later(&self.tx, kind, uuid, failures);
                    }
                }
            }
            if list_devices {
                self.list_node_devices(conn);
            }
            if self.node_devices_listed {
                for (name, failures) in devices_changed {
                    match node_devices::read_one(conn, &name) {
                        Ok(device) => self.hub.node_devices.update(&name, device),
                        Err(err) => {
                            warn!("{}: re-reading node device {name} failed: {err}", self.hub.uri);
                            node_devices::retry_later(&self.tx, name, failures);
                        }
                    }
                }
            }
            for uuid in changed {
                let previous = self.hub.table.get(&uuid).map(|e| e.vm.config.clone());
                match read::read_one(conn, self.hub.uri.as_str(), &uuid, &self.reader, previous) {
                    Ok(Some((vm, complete))) => {
                        if !complete {
                            self.retry.insert(uuid.clone(), Instant::now() + LATE_XML_RETRY);
                        }
                        let first_booted = vm.config.first_boot_pending;
                        self.hub.table.update(&uuid, Some(vm));
                        if first_booted {
                            self.finish_first_boot(conn, &uuid);
                        }
                    }
                    Ok(None) => {
                        self.retry.remove(&uuid);
                        self.hub.usage.forget(&uuid);
                        self.hub.table.update(&uuid, None)
                    }
                    Err(err) => {
                        warn!("{}: re-reading {uuid} failed: {err}", self.hub.uri);
                        if !conn.is_alive().unwrap_or(false) {
                            return Served::Lost;
                        }
                    }
                }
            }
        }
    }

    /// A VM created without starting ran: drop what only its first boot needed. Its new definition
    /// brings an event, and the re-read shows it without the marker. No call here waits for QEMU.
    fn finish_first_boot(&self, conn: &Connect, uuid: &str) {
        if let Err(err) = first_boot::finish(conn, uuid) {
            warn!("{}: {uuid}: removing the first-boot devices failed: {err:#}", self.hub.uri);
        }
    }

    fn set_status(&self, state: ConnState, message: Option<String>, reason: Option<&'static str>) {
        publish_status(&self.hub, state, message, reason);
    }

    /// For a remote host: marks it not answering if the open below takes too long (see `slow_open`).
    fn watch_slow_open(&self) -> Option<OpenWatch> {
        let (host, port) = self.hub.uri.remote_endpoint()?;
        let hub = self.hub.clone();
        Some(OpenWatch::start(SLOW_OPEN, move || {
            let message = format!(
                "{host} accepts connections on port {port}, but libvirt there has not answered for {} s",
                SLOW_OPEN.as_secs()
            );
            publish_status(&hub, ConnState::Unreachable, Some(message), Some(Reason::NotAnswering.as_str()));
        }))
    }

    /// Waits before retrying, ignoring events of the dead connection, until the time is up (never
    /// for `None`), the hub closed, or someone asked for a reconnect now.
    fn sleep(&mut self, duration: Option<Duration>) -> Slept {
        let deadline = duration.map(|d| Instant::now() + d);
        loop {
            if self.idle_expired() {
                return Slept::Closed;
            }
            let left = deadline.map_or(Duration::MAX, |at| at.saturating_duration_since(Instant::now()));
            if left.is_zero() {
                return Slept::Waited;
            }
            match self.rx.recv_timeout(left.min(self.idle_check_interval())) {
                Ok(HubCommand::Reconnect) => return Slept::Asked,
                Ok(_) | Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return Slept::Waited,
            }
        }
    }
}
