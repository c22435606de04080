//! libvirt's event loop thread and the domain/close callbacks, through `virt-sys` (the `virt`
//! crate has no safe wrapper for them).
//!
//! Callbacks run on the event-loop thread and must not call back into libvirt over the
//! network (that would stall keepalives), so each one only reads the domain's UUID (local) and
//! sends it to the hub thread, which does the reading.

use std::ffi::{CStr, c_char, c_int, c_void};
use std::sync::Mutex;
use std::sync::mpsc::Sender;

use log::{error, warn};
use virt::connect::Connect;
use virt_sys as sys;

use super::HubCommand;
use crate::problem::Problem;

/// Registers libvirt's default event loop and runs it on its own thread, once per process.
/// Must happen before the first connection is opened. A thread that cannot be started is
/// reported (the open fails with a problem) and tried again at the next open.
pub fn start_event_loop() -> Result<(), Problem> {
    static STATE: Mutex<(bool, bool)> = Mutex::new((false, false));
    let mut state = STATE.lock().unwrap();
    let (registered, running) = &mut *state;
    if !*registered {
        virt::event::event_register_default_impl()
            .map_err(|err| Problem::internal(format!("cannot register libvirt's event loop: {err}")))?;
        *registered = true;
    }
    if !*running {
        std::thread::Builder::new()
            .name("libvirt-events".into())
            .spawn(|| {
                loop {
                    if let Err(err) = virt::event::event_run_default_impl() {
                        error!("libvirt event loop iteration failed: {err}");
                        std::thread::sleep(std::time::Duration::from_millis(100));
                    }
                }
            })
            .map_err(|err| Problem::internal(format!("cannot start libvirt's event thread: {err}")))?;
        *running = true;
    }
    Ok(())
}

/// Where callbacks send what they saw. One per registration, freed by libvirt.
struct Sink {
    tx: Sender<HubCommand>,
    /// Which connection this is, so a late close callback of an old one is ignored.
    generation: u64,
}

unsafe fn sink<'a>(opaque: *mut c_void) -> &'a Sink {
    // SAFETY: every opaque we register is a leaked `Box<Sink>`, freed only by `free_sink`,
    // which libvirt calls after the last callback.
    unsafe { &*(opaque as *const Sink) }
}

unsafe extern "C" fn free_sink(opaque: *mut c_void) {
    // SAFETY: see `sink`; libvirt calls this exactly once per registration.
    drop(unsafe { Box::from_raw(opaque as *mut Sink) });
}

unsafe fn notify(dom: sys::virDomainPtr, opaque: *mut c_void) {
    let mut buf = [0 as c_char; sys::VIR_UUID_STRING_BUFLEN as usize];
    // SAFETY: `dom` is valid for the callback's duration; the buffer has libvirt's required size.
    if unsafe { sys::virDomainGetUUIDString(dom, buf.as_mut_ptr()) } < 0 {
        return;
    }
    // SAFETY: libvirt NUL-terminates the UUID string it wrote.
    let uuid = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned();
    let _ = unsafe { sink(opaque) }.tx.send(HubCommand::DomainChanged(uuid));
}

/// Defines one callback with the exact C signature of its event, all doing the same thing:
/// tell the hub which domain changed.
macro_rules! domain_callback {
    ($name:ident ( $($arg:ident : $ty:ty),* ) $(-> $ret:ty = $value:expr)?) => {
        unsafe extern "C" fn $name(
            _conn: sys::virConnectPtr,
            dom: sys::virDomainPtr,
            $($arg: $ty,)*
            opaque: *mut c_void,
        ) $(-> $ret)? {
            $(let _ = $arg;)*
            // SAFETY: called by libvirt with the pointers it was registered with.
            unsafe { notify(dom, opaque) };
            $($value)?
        }
    };
}

domain_callback!(on_lifecycle(event: c_int, detail: c_int) -> c_int = 0);
domain_callback!(on_generic());
domain_callback!(on_device(alias: *const c_char));
domain_callback!(on_metadata(kind: c_int, nsuri: *const c_char));
domain_callback!(on_params(params: sys::virTypedParameterPtr, nparams: c_int));
domain_callback!(on_disk_change(old: *const c_char, new: *const c_char, alias: *const c_char, reason: c_int));
domain_callback!(on_tray_change(alias: *const c_char, reason: c_int));
domain_callback!(on_agent(state: c_int, reason: c_int));
domain_callback!(on_balloon(actual: std::os::raw::c_ulonglong));

unsafe extern "C" fn on_close(_conn: sys::virConnectPtr, reason: c_int, opaque: *mut c_void) {
    // SAFETY: registered with a `Box<Sink>` opaque.
    let sink = unsafe { sink(opaque) };
    warn!("libvirt connection closed (reason {reason})");
    let _ = sink.tx.send(HubCommand::ConnectionLost(sink.generation));
}

/// The events that can change what a VM looks like in the page (its XML, state or
/// autostart). Each pair is the event id and its callback cast to the generic type, as
/// `virConnectDomainEventRegisterAny` requires.
type Generic = unsafe extern "C" fn(sys::virConnectPtr, sys::virDomainPtr, *mut c_void);

/// Casts a callback to the generic type.
///
/// SAFETY: `callback` must be one of this module's callbacks, and it must be registered for the
/// event id whose C signature it was defined with; libvirt then calls it with that signature.
unsafe fn generic(callback: *const ()) -> sys::virConnectDomainEventGenericCallback {
    Some(unsafe { std::mem::transmute::<*const (), Generic>(callback) })
}

fn domain_events() -> Vec<(c_int, sys::virConnectDomainEventGenericCallback)> {
    // SAFETY: each callback is paired with the event id it was written for.
    unsafe {
        vec![
            (sys::VIR_DOMAIN_EVENT_ID_LIFECYCLE as c_int, generic(on_lifecycle as *const ())),
            (sys::VIR_DOMAIN_EVENT_ID_REBOOT as c_int, Some(on_generic as Generic)),
            (sys::VIR_DOMAIN_EVENT_ID_CONTROL_ERROR as c_int, Some(on_generic as Generic)),
            (sys::VIR_DOMAIN_EVENT_ID_DEVICE_ADDED as c_int, generic(on_device as *const ())),
            (sys::VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED as c_int, generic(on_device as *const ())),
            (sys::VIR_DOMAIN_EVENT_ID_METADATA_CHANGE as c_int, generic(on_metadata as *const ())),
            (sys::VIR_DOMAIN_EVENT_ID_TUNABLE as c_int, generic(on_params as *const ())),
            (sys::VIR_DOMAIN_EVENT_ID_JOB_COMPLETED as c_int, generic(on_params as *const ())),
            (sys::VIR_DOMAIN_EVENT_ID_DISK_CHANGE as c_int, generic(on_disk_change as *const ())),
            (sys::VIR_DOMAIN_EVENT_ID_TRAY_CHANGE as c_int, generic(on_tray_change as *const ())),
            // The live current memory is the balloon's actual size, which settles a while after a change
            // (and after boot): without this the watch would keep a stale size and a false pending change.
            (sys::VIR_DOMAIN_EVENT_ID_BALLOON_CHANGE as c_int, generic(on_balloon as *const ())),
            (sys::VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE as c_int, generic(on_agent as *const ())),
        ]
    }
}

/// Event and close-callback registrations of one connection; dropping it deregisters them.
pub struct Registration {
    conn: Connect,
    callback_ids: Vec<c_int>,
    close_registered: bool,
}

impl Registration {
    /// Registers every domain event for all domains (NULL domain) and the close callback.
    /// Failures are logged, not fatal: a driver without events still gets listed and refreshed
    /// after our own actions.
    pub fn register(conn: &Connect, tx: &Sender<HubCommand>, generation: u64) -> Registration {
        let mut callback_ids = Vec::new();
        let conn_ptr = unsafe { conn.as_ptr() };
        for (event_id, callback) in domain_events() {
            let opaque = Box::into_raw(Box::new(Sink { tx: tx.clone(), generation })) as *mut c_void;
            // SAFETY: valid connection; opaque is freed by libvirt through `free_sink`.
            let id = unsafe {
                sys::virConnectDomainEventRegisterAny(
                    conn_ptr,
                    std::ptr::null_mut(),
                    event_id,
                    callback,
                    opaque,
                    Some(free_sink),
                )
            };
            if id < 0 {
                // libvirt did not take the opaque, so we free it.
                unsafe { free_sink(opaque) };
                warn!("cannot register domain event {event_id}: {}", virt::error::Error::last_error().message());
            } else {
                callback_ids.push(id);
            }
        }
        let opaque = Box::into_raw(Box::new(Sink { tx: tx.clone(), generation })) as *mut c_void;
        // SAFETY: as above.
        let close_registered =
            unsafe { sys::virConnectRegisterCloseCallback(conn_ptr, Some(on_close), opaque, Some(free_sink)) } == 0;
        if !close_registered {
            unsafe { free_sink(opaque) };
        }
        Registration { conn: conn.clone(), callback_ids, close_registered }
    }

    pub fn event_count(&self) -> usize {
        self.callback_ids.len()
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let conn_ptr = unsafe { self.conn.as_ptr() };
        for id in self.callback_ids.drain(..) {
            // SAFETY: ids we registered on this connection. Errors on a dead connection are fine.
            unsafe { sys::virConnectDomainEventDeregisterAny(conn_ptr, id) };
        }
        if self.close_registered {
            // SAFETY: the callback we registered.
            unsafe { sys::virConnectUnregisterCloseCallback(conn_ptr, Some(on_close)) };
        }
    }
}
