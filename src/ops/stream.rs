//! A non-blocking libvirt stream driven by libvirt's event loop the way `virsh console` drives it:
//! a serial console (`virDomainOpenConsole`) and a volume upload or download (`virStorageVolUpload`,
//! `virStorageVolDownload`) share it.
//!
//! All stream I/O happens in the stream's event callback on the `libvirt-events` thread: it
//! drains what libvirt received into a bounded inbox and sends the outbox while the stream is
//! writable. The op only moves bytes between these buffers and its channel, so no libvirt call
//! (and no lock held across one) ever runs on the router's thread, and send and receive never
//! race on one stream from two threads.
//!
//! Why drain at all while the browser does not read: libvirt's RPC client reads every stream
//! packet off the connection into a queue of its own, without limit ("this buffer is
//! unbounded", `virnetclientstream.c`), whether we call `virStreamRecv` or not. Not reading
//! would only move the growth there. So a console reads, keeps at most [`INBOX_LIMIT`] bytes, and
//! drops the oldest output beyond that (a terminal that fell that far behind has scrolled it away).
//! A download must not lose a byte: it stops reading at [`INBOX_LIMIT`] ([`Overflow::Pause`]) and
//! leaves the rest queued in libvirt until the browser caught up.

use std::collections::VecDeque;
use std::ffi::{c_char, c_int, c_void};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;
use virt::connect::Connect;
use virt::error::Error;
use virt_sys as sys;

/// Guest output kept for a browser that does not keep up; older output is dropped beyond it.
pub const INBOX_LIMIT: usize = 256 * 1024;
/// Browser input waiting for a guest that does not read; the op stops taking input beyond it,
/// so what the browser sends next waits in the channel (bounded there, `router/channel.rs`).
pub const OUTBOX_LIMIT: usize = 256 * 1024;
/// The most one `virStreamRecv` asks for.
const RECV_CHUNK: usize = 16 * 1024;

const READABLE: c_int = sys::VIR_STREAM_EVENT_READABLE as c_int;
const WRITABLE: c_int = sys::VIR_STREAM_EVENT_WRITABLE as c_int;
const ERROR: c_int = sys::VIR_STREAM_EVENT_ERROR as c_int;
const HANGUP: c_int = sys::VIR_STREAM_EVENT_HANGUP as c_int;

/// What a stream carries, which decides what happens to output the browser has not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Use {
    /// Both ways; output beyond [`INBOX_LIMIT`] drops the oldest (a terminal scrolls it away).
    #[default]
    Console,
    /// Output only; reading pauses at [`INBOX_LIMIT`] until the browser took some.
    Download,
    /// Input only; nothing is read.
    Upload,
}

/// How the stream ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// libvirt closed it: the guest's QEMU exited, or another viewer took the console over.
    Eof,
    /// libvirt reported an error (e.g. the connection to libvirtd was lost).
    Error(String),
}

#[derive(Default)]
struct State {
    inbox: VecDeque<Vec<u8>>,
    inbox_bytes: usize,
    /// Output dropped because the browser was more than [`INBOX_LIMIT`] behind.
    dropped: u64,
    outbox: Vec<u8>,
    end: Option<End>,
    /// The events the callback is registered for right now.
    interest: c_int,
    usage: Use,
}

impl State {
    fn push(&mut self, chunk: Vec<u8>) {
        self.inbox_bytes += chunk.len();
        self.inbox.push_back(chunk);
        while self.usage == Use::Console && self.inbox_bytes > INBOX_LIMIT {
            let Some(old) = self.inbox.pop_front() else { break };
            self.inbox_bytes -= old.len();
            self.dropped += old.len() as u64;
        }
    }

    /// Up to `max` bytes from the front of the inbox, coalescing small chunks.
    fn take(&mut self, max: usize) -> Option<Vec<u8>> {
        let mut out = self.inbox.pop_front()?;
        if out.len() > max {
            let rest = out.split_off(max);
            self.inbox.push_front(rest);
        }
        while let Some(next) = self.inbox.front() {
            if out.len() + next.len() > max {
                break;
            }
            out.extend_from_slice(&self.inbox.pop_front().expect("front exists"));
        }
        self.inbox_bytes -= out.len();
        Some(out)
    }

    /// Whether the callback should read now.
    fn wants_output(&self) -> bool {
        self.end.is_none()
            && match self.usage {
                Use::Console => true,
                Use::Download => self.inbox_bytes < INBOX_LIMIT,
                Use::Upload => false,
            }
    }

    /// Registers for what we need now: output unless ended (or paused), writability only with
    /// pending input (libvirt fires a writable stream's callback continuously).
    ///
    /// SAFETY: `st` must be a stream whose callback is registered.
    unsafe fn update_interest(&mut self, st: sys::virStreamPtr) {
        let read = if self.wants_output() { READABLE } else { 0 };
        let want = match self.end {
            Some(_) => 0,
            None if self.outbox.is_empty() => read,
            None => read | WRITABLE,
        };
        if want != self.interest {
            // SAFETY: per this function's contract. A failure leaves the old interest, which
            // at worst wakes the callback once more.
            if unsafe { sys::virStreamEventUpdateCallback(st, want) } == 0 {
                self.interest = want;
            }
        }
    }
}

/// What the event callback and the op share. The callback's reference is an `Arc` given to
/// libvirt as the opaque and released by libvirt through [`release_shared`].
#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    wake: Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The callback never panics while holding the lock; tolerate poisoning anyway rather
        // than panicking inside an `extern "C"` callback.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

unsafe extern "C" fn on_stream_event(st: sys::virStreamPtr, events: c_int, opaque: *mut c_void) {
    // SAFETY: the opaque is the `Arc<Shared>` registered in `LibvirtStream::open`, alive until
    // libvirt calls `release_shared`, which it does only after the last callback.
    let shared = unsafe { &*(opaque as *const Shared) };
    let mut state = shared.lock();
    let mut wake = false;
    if events & (ERROR | HANGUP) != 0 && state.usage == Use::Upload && state.end.is_none() {
        state.end = Some(End::Error("libvirt closed the stream".into()));
    }
    if events & (READABLE | ERROR | HANGUP) != 0 && state.end.is_none() {
        let mut buf = [0u8; RECV_CHUNK];
        while state.wants_output() {
            // SAFETY: a live stream (libvirt holds a reference during the callback) and a
            // buffer of the length we pass.
            let n = unsafe { sys::virStreamRecv(st, buf.as_mut_ptr() as *mut c_char, buf.len()) };
            match n {
                -2 => break,
                0 => {
                    state.end = Some(End::Eof);
                    break;
                }
                n if n > 0 => {
                    state.push(buf[..n as usize].to_vec());
                    wake = true;
                }
                _ => {
                    state.end = Some(End::Error(Error::last_error().message().to_string()));
                    break;
                }
            }
        }
    }
    if events & WRITABLE != 0 && state.end.is_none() && !state.outbox.is_empty() {
        // SAFETY: as above; the outbox outlives the call.
        let n = unsafe { sys::virStreamSend(st, state.outbox.as_ptr() as *const c_char, state.outbox.len()) };
        if n > 0 {
            state.outbox.drain(..n as usize);
            // Someone may wait for the input to be out (a browser that said `done`).
            wake |= state.outbox.is_empty();
        } else if n == -1 {
            state.end = Some(End::Error(Error::last_error().message().to_string()));
        }
    }
    wake |= state.end.is_some();
    // SAFETY: the callback is registered (we are in it).
    unsafe { state.update_interest(st) };
    drop(state);
    if wake {
        shared.wake.notify_one();
    }
}

unsafe extern "C" fn release_shared(opaque: *mut c_void) {
    // SAFETY: the reference `LibvirtStream::open` leaked with `Arc::into_raw`; libvirt calls
    // this exactly once per successful registration.
    drop(unsafe { Arc::from_raw(opaque as *const Shared) });
}

/// An open stream. Dropping it removes the callback and aborts and frees the stream (on a
/// short-lived thread: `virStreamAbort` is a round trip to libvirtd, and drops happen on the
/// router's thread when the browser closes the channel); [`LibvirtStream::finish`] ends it cleanly.
pub struct LibvirtStream {
    ptr: sys::virStreamPtr,
    shared: Arc<Shared>,
    opened: bool,
    callback: bool,
}

// SAFETY: libvirt streams are thread safe (the RPC client stream locks itself); the pointer is
// only used through libvirt calls.
unsafe impl Send for LibvirtStream {}
unsafe impl Sync for LibvirtStream {}

impl LibvirtStream {
    /// Opens a new non-blocking stream of `conn` and lets `start` attach it (`virDomainOpenConsole`,
    /// `virStorageVolUpload`, …; it returns libvirt's status), then registers the event callback.
    ///
    /// A console this process just closed is released on a thread of its own (see `Drop`); if
    /// libvirt says "in use" while such a release is under way, the open waits for it (up to
    /// [`RELEASE_WAIT`]) and tries once more, so a page that closes and reopens is not refused.
    pub fn open(
        conn: &Connect,
        usage: Use,
        start: impl Fn(sys::virStreamPtr) -> c_int,
    ) -> Result<LibvirtStream, Error> {
        match Self::open_once(conn, usage, &start) {
            Err(err) if err.code().to_raw() == sys::VIR_ERR_OPERATION_FAILED && wait_for_releases() => {
                Self::open_once(conn, usage, &start)
            }
            result => result,
        }
    }

    fn open_once(
        conn: &Connect,
        usage: Use,
        start: &dyn Fn(sys::virStreamPtr) -> c_int,
    ) -> Result<LibvirtStream, Error> {
        // SAFETY: a valid connection.
        let ptr = unsafe { sys::virStreamNew(conn.as_ptr(), sys::VIR_STREAM_NONBLOCK) };
        if ptr.is_null() {
            return Err(Error::last_error());
        }
        // From here on, Drop frees the stream, also on the error paths below.
        let mut stream = LibvirtStream { ptr, shared: Arc::new(Shared::default()), opened: false, callback: false };
        if start(ptr) < 0 {
            return Err(Error::last_error());
        }
        stream.opened = true;
        let interest = if usage == Use::Upload { 0 } else { READABLE };
        {
            let mut state = stream.shared.lock();
            state.usage = usage;
            state.interest = interest;
        }
        let opaque = Arc::into_raw(stream.shared.clone()) as *mut c_void;
        // SAFETY: valid stream; libvirt releases the opaque through `release_shared`.
        let registered = unsafe {
            sys::virStreamEventAddCallback(ptr, interest, Some(on_stream_event), opaque, Some(release_shared))
        };
        if registered < 0 {
            let err = Error::last_error();
            // SAFETY: libvirt did not take the opaque, so we release it.
            unsafe { release_shared(opaque) };
            return Err(err);
        }
        stream.callback = true;
        Ok(stream)
    }

    /// Ends the stream cleanly (`virStreamFinish`: an upload's last bytes are committed); blocks
    /// for a round trip to libvirtd, so call it off the router's thread. Consumes the stream.
    pub fn finish(mut self) -> Result<(), Error> {
        // SAFETY: we own a reference; the callback is removed before the finish, and the stream
        // is freed exactly once (Drop sees `ptr` null).
        unsafe {
            if self.callback {
                sys::virStreamEventRemoveCallback(self.ptr);
                self.callback = false;
            }
            let finished = if sys::virStreamFinish(self.ptr) < 0 { Err(Error::last_error()) } else { Ok(()) };
            if finished.is_err() {
                sys::virStreamAbort(self.ptr);
            }
            sys::virStreamFree(self.ptr);
            self.ptr = std::ptr::null_mut();
            finished
        }
    }

    /// Aborts the stream now, on this thread (a round trip: call it off the router's thread).
    /// Unlike a drop, it returns only once libvirt has let go of the stream.
    pub fn abort(mut self) {
        let (ptr, callback, opened) = (StreamPtr(self.ptr), self.callback, self.opened);
        self.ptr = std::ptr::null_mut();
        *RELEASING.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) += 1;
        release(ptr, callback, opened);
    }

    /// Up to `max` bytes of output, oldest first; `None` if there is none now.
    pub fn take_output(&self, max: usize) -> Option<Vec<u8>> {
        let mut state = self.shared.lock();
        let out = state.take(max);
        if out.is_some() && state.interest & READABLE == 0 {
            // A paused download reads again. SAFETY: the callback is registered while `self` lives.
            unsafe { state.update_interest(self.ptr) };
        }
        out
    }

    /// How the stream ended, once it has and all its output was taken.
    pub fn ended(&self) -> Option<End> {
        let state = self.shared.lock();
        if state.inbox.is_empty() { state.end.clone() } else { None }
    }

    /// Bytes of output dropped so far because the browser was too far behind.
    fn dropped(&self) -> u64 {
        self.shared.lock().dropped
    }

    /// Queues input for the other end (a guest, a volume); the event callback sends it.
    pub fn write(&self, data: &[u8]) {
        let mut state = self.shared.lock();
        if state.end.is_some() {
            return;
        }
        state.outbox.extend_from_slice(data);
        // SAFETY: the callback is registered for as long as `self` lives. Updating under the
        // state lock keeps this and the callback's own update in order.
        unsafe { state.update_interest(self.ptr) };
    }

    /// Whether as much input waits for the other end as we hold ([`OUTBOX_LIMIT`]).
    pub fn input_full(&self) -> bool {
        let state = self.shared.lock();
        state.end.is_none() && state.outbox.len() >= OUTBOX_LIMIT
    }

    /// Whether input is still waiting to be sent.
    pub fn input_pending(&self) -> bool {
        let state = self.shared.lock();
        state.end.is_none() && !state.outbox.is_empty()
    }

    /// Resolves when output arrived, input went out, or the stream ended since the last call.
    pub async fn changed(&self) {
        self.shared.wake.notified().await;
    }
}

/// A stream pointer moved to the cleanup thread.
#[derive(Clone, Copy)]
struct StreamPtr(sys::virStreamPtr);
// SAFETY: see `LibvirtStream`.
unsafe impl Send for StreamPtr {}

/// How long an open waits for this process's own releases before trying again.
const RELEASE_WAIT: Duration = Duration::from_secs(2);

/// Streams of this process being released right now.
static RELEASING: (Mutex<usize>, Condvar) = (Mutex::new(0), Condvar::new());

/// Waits until no release of ours is under way (at most [`RELEASE_WAIT`]); whether there was one.
fn wait_for_releases() -> bool {
    let (count, done) = &RELEASING;
    let guard = count.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if *guard == 0 {
        return false;
    }
    let _ = done.wait_timeout_while(guard, RELEASE_WAIT, |n| *n > 0);
    true
}

/// Removes the callback, aborts the stream and gives up our reference.
fn release(ptr: StreamPtr, callback: bool, opened: bool) {
    // SAFETY: we own one reference to the stream and give it up here, last. Removing the
    // callback first stops events; libvirt then releases the callback's opaque. Errors (a
    // stream that already ended) change nothing.
    unsafe {
        if callback {
            sys::virStreamEventRemoveCallback(ptr.0);
        }
        if opened {
            sys::virStreamAbort(ptr.0);
        }
        sys::virStreamFree(ptr.0);
    }
    log::debug!("libvirt stream released");
    let (count, done) = &RELEASING;
    *count.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) -= 1;
    done.notify_all();
}

impl Drop for LibvirtStream {
    fn drop(&mut self) {
        if self.ptr.is_null() {
            return; // finished
        }
        let dropped = self.dropped();
        if dropped > 0 {
            log::info!("stream: dropped {dropped} bytes of output the browser did not read in time");
        }
        let (ptr, callback, opened) = (StreamPtr(self.ptr), self.callback, self.opened);
        *RELEASING.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) += 1;
        let spawned =
            std::thread::Builder::new().name("stream-close".into()).spawn(move || release(ptr, callback, opened));
        if let Err(err) = spawned {
            log::warn!("cannot spawn a thread to close a libvirt stream ({err}); closing it here");
            release(ptr, callback, opened);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_inbox_drops_oldest_beyond_limit() {
        let mut state = State::default();
        for i in 0..(INBOX_LIMIT / 1000 + 10) {
            state.push(vec![(i % 251) as u8; 1000]);
        }
        assert!(state.inbox_bytes <= INBOX_LIMIT);
        assert_eq!(state.dropped, 10_000);
        // The newest output is what is kept.
        assert_eq!(state.inbox.back().unwrap()[0], ((INBOX_LIMIT / 1000 + 9) % 251) as u8);
    }

    #[test]
    fn stream_download_keeps_everything_and_pauses() {
        let mut state = State { usage: Use::Download, ..State::default() };
        assert!(state.wants_output());
        for _ in 0..(INBOX_LIMIT / 1000 + 10) {
            state.push(vec![1; 1000]);
        }
        assert_eq!(state.dropped, 0);
        assert!(state.inbox_bytes > INBOX_LIMIT);
        // Full: the callback stops reading until the browser took some.
        assert!(!state.wants_output());
        while state.inbox_bytes >= INBOX_LIMIT {
            state.take(16 * 1024);
        }
        assert!(state.wants_output());
        // An upload never reads.
        assert!(!State { usage: Use::Upload, ..State::default() }.wants_output());
    }

    #[test]
    fn console_take_coalesces_and_splits() {
        let mut state = State::default();
        state.push(b"ab".to_vec());
        state.push(b"cd".to_vec());
        state.push(vec![b'x'; 10]);
        assert_eq!(state.take(5).unwrap(), b"abcd");
        assert_eq!(state.take(4).unwrap(), b"xxxx");
        assert_eq!(state.take(100).unwrap(), b"xxxxxx");
        assert_eq!(state.inbox_bytes, 0);
        assert!(state.take(100).is_none());
    }
}
