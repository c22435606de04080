//! Storage pool and network event callbacks through `virt-sys` (the `virt` crate has no safe wrapper),
//! on libvirt's event-loop thread like the domain ones (`events.rs`): each reads only the object's
//! UUID (local) and hands it to the hub thread. libvirt 11.3 has no volume events; volumes are
//! listed on demand.

use std::ffi::{CStr, c_char, c_int, c_void};
use std::sync::mpsc::Sender;

use log::warn;
use virt::connect::Connect;
use virt_sys as sys;

use super::HubCommand;
use super::resources::ResourceKind;

pub(super) struct ResourceSink {
    pub(super) tx: Sender<HubCommand>,
}

pub(super) unsafe extern "C" fn free_resource_sink(opaque: *mut c_void) {
    // SAFETY: every opaque we register is a leaked `Box<ResourceSink>`; libvirt frees it once.
    drop(unsafe { Box::from_raw(opaque as *mut ResourceSink) });
}

/// Reads the object's UUID with `uuid_into` (libvirt's `*GetUUIDString`) and hands it to the hub thread.
fn send_uuid(opaque: *mut c_void, kind: ResourceKind, uuid_into: impl FnOnce(*mut c_char) -> c_int) {
    let mut buf = [0 as c_char; sys::VIR_UUID_STRING_BUFLEN as usize];
    if uuid_into(buf.as_mut_ptr()) != 0 {
        return;
    }
    // SAFETY: libvirt NUL-terminated the UUID string; opaque is a live `ResourceSink` (see above).
    let uuid = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned();
    let sink = unsafe { &*(opaque as *const ResourceSink) };
    let _ = sink.tx.send(HubCommand::ResourceChanged(kind, uuid, 0));
}

unsafe extern "C" fn on_pool(_conn: sys::virConnectPtr, pool: sys::virStoragePoolPtr, opaque: *mut c_void) {
    // SAFETY: `pool` is valid during the callback; the buffer has libvirt's size.
    send_uuid(opaque, ResourceKind::Pool, |buf| unsafe { sys::virStoragePoolGetUUIDString(pool, buf) });
}

unsafe extern "C" fn on_pool_lifecycle(
    conn: sys::virConnectPtr,
    pool: sys::virStoragePoolPtr,
    _event: c_int,
    _detail: c_int,
    opaque: *mut c_void,
) {
    // SAFETY: forwarded as libvirt gave them.
    unsafe { on_pool(conn, pool, opaque) }
}

unsafe extern "C" fn on_network_lifecycle(
    _conn: sys::virConnectPtr,
    network: sys::virNetworkPtr,
    _event: c_int,
    _detail: c_int,
    opaque: *mut c_void,
) {
    // SAFETY: `network` is valid during the callback; the buffer has libvirt's size.
    send_uuid(opaque, ResourceKind::Network, |buf| unsafe { sys::virNetworkGetUUIDString(network, buf) });
}

unsafe extern "C" fn on_network_metadata(
    conn: sys::virConnectPtr,
    network: sys::virNetworkPtr,
    _kind: c_int,
    _nsuri: *const c_char,
    opaque: *mut c_void,
) {
    // SAFETY: forwarded as libvirt gave them; the event/detail values are not read.
    unsafe { on_network_lifecycle(conn, network, 0, 0, opaque) }
}

/// Pool and network registrations of one connection; dropping it deregisters them.
pub struct ResourceRegistration {
    conn: Connect,
    pool_ids: Vec<c_int>,
    network_ids: Vec<c_int>,
}

type PoolGeneric = unsafe extern "C" fn(sys::virConnectPtr, sys::virStoragePoolPtr, *mut c_void);
type NetworkGeneric = unsafe extern "C" fn(sys::virConnectPtr, sys::virNetworkPtr, *mut c_void);

impl ResourceRegistration {
    /// Registers pool lifecycle and refresh events and network lifecycle and metadata events. A driver
    /// without events (test:///, or the driver missing) is logged; ops refresh after their own changes.
    pub fn register(conn: &Connect, tx: &Sender<HubCommand>) -> ResourceRegistration {
        let conn_ptr = unsafe { conn.as_ptr() };
        // SAFETY: each callback is cast to the generic type and registered for the event id whose C
        // signature it has; libvirt calls it with that signature.
        let pools: [(u32, PoolGeneric); 2] = unsafe {
            [
                (
                    sys::VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE,
                    std::mem::transmute::<*const (), PoolGeneric>(on_pool_lifecycle as *const ()),
                ),
                (sys::VIR_STORAGE_POOL_EVENT_ID_REFRESH, on_pool as PoolGeneric),
            ]
        };
        let pool_ids = register_each("storage pool", &pools, tx, |event_id, callback, opaque| {
            // SAFETY: valid connection; libvirt frees opaque through `free_resource_sink`.
            unsafe {
                sys::virConnectStoragePoolEventRegisterAny(
                    conn_ptr,
                    std::ptr::null_mut(),
                    event_id,
                    Some(callback),
                    opaque,
                    Some(free_resource_sink),
                )
            }
        });
        let networks: [(u32, NetworkGeneric); 2] = unsafe {
            [
                (
                    sys::VIR_NETWORK_EVENT_ID_LIFECYCLE,
                    std::mem::transmute::<*const (), NetworkGeneric>(on_network_lifecycle as *const ()),
                ),
                (
                    sys::VIR_NETWORK_EVENT_ID_METADATA_CHANGE,
                    std::mem::transmute::<*const (), NetworkGeneric>(on_network_metadata as *const ()),
                ),
            ]
        };
        let network_ids = register_each("network", &networks, tx, |event_id, callback, opaque| {
            // SAFETY: as above.
            unsafe {
                sys::virConnectNetworkEventRegisterAny(
                    conn_ptr,
                    std::ptr::null_mut(),
                    event_id,
                    Some(callback),
                    opaque,
                    Some(free_resource_sink),
                )
            }
        });
        ResourceRegistration { conn: conn.clone(), pool_ids, network_ids }
    }
}

/// Registers each (event id, callback) through `register`, each with a sink of its own; returns the ids
/// libvirt gave, and logs the events it refused.
pub(super) fn register_each<F: Copy>(
    what: &str,
    events: &[(u32, F)],
    tx: &Sender<HubCommand>,
    register: impl Fn(c_int, F, *mut c_void) -> c_int,
) -> Vec<c_int> {
    let mut ids = Vec::new();
    for &(event_id, callback) in events {
        let opaque = Box::into_raw(Box::new(ResourceSink { tx: tx.clone() })) as *mut c_void;
        let id = register(event_id as c_int, callback, opaque);
        if id < 0 {
            // SAFETY: libvirt refused the registration, so the sink is still ours to free.
            unsafe { free_resource_sink(opaque) };
            warn!("cannot register {what} event {event_id}: {}", virt::error::Error::last_error().message());
        } else {
            ids.push(id);
        }
    }
    ids
}

impl Drop for ResourceRegistration {
    fn drop(&mut self) {
        let conn_ptr = unsafe { self.conn.as_ptr() };
        for id in self.pool_ids.drain(..) {
            // SAFETY: ids we registered on this connection; errors on a dead connection are fine.
            unsafe { sys::virConnectStoragePoolEventDeregisterAny(conn_ptr, id) };
        }
        for id in self.network_ids.drain(..) {
            // SAFETY: as above.
            unsafe { sys::virConnectNetworkEventDeregisterAny(conn_ptr, id) };
        }
    }
}
