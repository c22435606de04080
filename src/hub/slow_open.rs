//! A remote libvirt that accepts the connection and then never answers (a frozen libvirtd, a stuck
//! ssh) keeps `virConnectOpen` blocked, and libvirt has no timeout of its own for it: keepalive starts
//! only once the open returns. While the hub thread waits there, this marks the connection unreachable
//! after a while, so the page stops waiting for that host's rows and says why. The hub's own status
//! takes over as soon as the open returns.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// How long an open may take before its host counts as not answering.
pub const SLOW_OPEN: Duration = Duration::from_secs(10);

/// Watches one open; dropping it (or [`OpenWatch::finish`]) says the open returned.
pub struct OpenWatch {
    done: Arc<(Mutex<bool>, Condvar)>,
}

impl OpenWatch {
    /// Calls `mark` after `after` unless the open returned first. `mark` runs with the watch's lock
    /// held, so once [`OpenWatch::finish`] returned it never runs.
    pub fn start(after: Duration, mark: impl FnOnce() + Send + 'static) -> OpenWatch {
        let done = Arc::new((Mutex::new(false), Condvar::new()));
        let shared = done.clone();
        let spawned = std::thread::Builder::new().name("slow open".into()).spawn(move || {
            let (lock, wake) = &*shared;
            let guard = lock.lock().unwrap();
            let (guard, _) = wake.wait_timeout_while(guard, after, |finished| !*finished).unwrap();
            if !*guard {
                mark();
            }
        });
        if let Err(err) = spawned {
            log::warn!("cannot watch a slow connection open: {err}");
        }
        OpenWatch { done }
    }

    pub fn finish(&self) {
        let (lock, wake) = &*self.done;
        *lock.lock().unwrap() = true;
        wake.notify_all();
    }
}

impl Drop for OpenWatch {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Instant;

    #[test]
    fn slow_open_marks_only_when_late() {
        let marked = Arc::new(AtomicBool::new(false));
        let flag = marked.clone();
        let watch = OpenWatch::start(Duration::from_millis(50), move || flag.store(true, Ordering::SeqCst));
        let start = Instant::now();
        while !marked.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(marked.load(Ordering::SeqCst), "an open still running after the limit is marked");
        drop(watch);

        let marked = Arc::new(AtomicBool::new(false));
        let flag = marked.clone();
        let watch = OpenWatch::start(Duration::from_millis(100), move || flag.store(true, Ordering::SeqCst));
        watch.finish();
        std::thread::sleep(Duration::from_millis(200));
        assert!(!marked.load(Ordering::SeqCst), "an open that returned in time is never marked");
    }
}
