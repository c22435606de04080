//! The creates running in this process, and stopping them when the helper must exit: on EOF,
//! SIGTERM, SIGHUP or a dead stdout, `main` calls [`stop_all`], which makes every worker's next
//! cancel check fail, so it rolls back, and waits a bounded time for them to finish. What a
//! worker could not undo in time stays in its journal (`journal.rs`) for the next start.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

static RUNNING: Mutex<usize> = Mutex::new(0);
static CHANGED: Condvar = Condvar::new();
static STOPPING: AtomicBool = AtomicBool::new(false);

/// Held by a create worker while it makes things; dropped after its rollback.
pub struct Running(());

pub fn start() -> Running {
    *RUNNING.lock().unwrap_or_else(|e| e.into_inner()) += 1;
    Running(())
}

impl Drop for Running {
    fn drop(&mut self) {
        *RUNNING.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        CHANGED.notify_all();
    }
}

/// The helper is exiting: workers stop and roll back.
pub fn stopping() -> bool {
    STOPPING.load(Ordering::Relaxed)
}

/// Asks every running create to roll back and waits at most `limit` for them; `true` if all ended.
pub fn stop_all(limit: Duration) -> bool {
    STOPPING.store(true, Ordering::Relaxed);
    let deadline = Instant::now() + limit;
    let mut running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
    if *running > 0 {
        log::info!("waiting for {} create(s) to roll back", *running);
    }
    while *running > 0 {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            log::warn!("{} create(s) still rolling back; their journals finish it at the next start", *running);
            return false;
        };
        running = CHANGED.wait_timeout(running, left).unwrap_or_else(|e| e.into_inner()).0;
    }
    true
}
