//! Node device lifecycle and update callbacks through `virt-sys`, on libvirt's event-loop thread like the
//! pool and network ones (`resource_events.rs`, whose sink and registration they share): each reads only the
//! device's name (local) and hands it to the hub thread, which re-reads that one device.

use std::ffi::{CStr, c_int, c_void};
use std::sync::mpsc::Sender;

use virt::connect::Connect;
use virt_sys as sys;

use super::HubCommand;
use super::resource_events::{ResourceSink, free_resource_sink, register_each};

unsafe extern "C" fn on_device(_conn: sys::virConnectPtr, dev: sys::virNodeDevicePtr, opaque: *mut c_void) {
    // SAFETY: `dev` is valid during the callback; its name is owned by it (not freed here).
    let name = unsafe { sys::virNodeDeviceGetName(dev) };
    if name.is_null() {
        return;
    }
    // SAFETY: NUL-terminated by libvirt; opaque is a live `ResourceSink` (registered below).
    let name = unsafe { CStr::from_ptr(name) }.to_string_lossy().into_owned();
    let sink = unsafe { &*(opaque as *const ResourceSink) };
    let _ = sink.tx.send(HubCommand::NodeDeviceChanged(name, 0));
}

unsafe extern "C" fn on_device_lifecycle(
    conn: sys::virConnectPtr,
    dev: sys::virNodeDevicePtr,
    _event: c_int,
    _detail: c_int,
    opaque: *mut c_void,
) {
    // SAFETY: forwarded as libvirt gave them.
    unsafe { on_device(conn, dev, opaque) }
}

type DeviceGeneric = unsafe extern "C" fn(sys::virConnectPtr, sys::virNodeDevicePtr, *mut c_void);

/// Node device registrations of one connection; dropping it deregisters them.
pub struct NodeDeviceRegistration {
    conn: Connect,
    ids: Vec<c_int>,
}

impl NodeDeviceRegistration {
    /// A driver without node device events (or without the nodedev driver) is logged; the table then
    /// changes only when listed again.
    pub fn register(conn: &Connect, tx: &Sender<HubCommand>) -> NodeDeviceRegistration {
        let conn_ptr = unsafe { conn.as_ptr() };
        // SAFETY: each callback is cast to the generic type and registered for the event id whose C
        // signature it has; libvirt calls it with that signature.
        let events: [(u32, DeviceGeneric); 2] = unsafe {
            [
                (
                    sys::VIR_NODE_DEVICE_EVENT_ID_LIFECYCLE,
                    std::mem::transmute::<*const (), DeviceGeneric>(on_device_lifecycle as *const ()),
                ),
                (sys::VIR_NODE_DEVICE_EVENT_ID_UPDATE, on_device as DeviceGeneric),
            ]
        };
        let ids = register_each("node device", &events, tx, |event_id, callback, opaque| {
            // SAFETY: valid connection; libvirt frees opaque through `free_resource_sink`.
            unsafe {
                sys::virConnectNodeDeviceEventRegisterAny(
                    conn_ptr,
                    std::ptr::null_mut(),
                    event_id,
                    Some(callback),
                    opaque,
                    Some(free_resource_sink),
                )
            }
        });
        NodeDeviceRegistration { conn: conn.clone(), ids }
    }
}

impl Drop for NodeDeviceRegistration {
    fn drop(&mut self) {
        let conn_ptr = unsafe { self.conn.as_ptr() };
        for id in self.ids.drain(..) {
            // SAFETY: ids we registered on this connection; errors on a dead connection are fine.
            unsafe { sys::virConnectNodeDeviceEventDeregisterAny(conn_ptr, id) };
        }
    }
}
