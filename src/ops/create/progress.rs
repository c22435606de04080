//! Progress messages from the create worker to the channel, and the worker's view of a cancel:
//! the op's future is dropped when the browser closes the channel, which drops the receiver.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedSender;

/// Byte progress is sent at most this often.
const BYTES_INTERVAL: Duration = Duration::from_millis(200);

pub struct Progress {
    tx: UnboundedSender<Value>,
    last_bytes: Option<Instant>,
}

impl Progress {
    pub fn new(tx: UnboundedSender<Value>) -> Progress {
        Progress { tx, last_bytes: None }
    }

    /// The channel is gone, the page cancelled, or the helper is exiting: stop and roll back.
    pub fn cancelled(&self) -> bool {
        self.tx.is_closed() || super::inflight::stopping()
    }

    /// A new step begins.
    pub fn step(&mut self, step: &str, message: &str) {
        self.last_bytes = None;
        let _ = self.tx.send(json!({"progress": {"step": step, "message": message}}));
    }

    /// Bytes done of a step: the first and last always, others at most every 200 ms.
    pub fn bytes(&mut self, step: &str, message: &str, done: u64, total: u64) {
        let now = Instant::now();
        let due = self.last_bytes.is_none_or(|last| now.duration_since(last) >= BYTES_INTERVAL);
        if due || done == total {
            self.last_bytes = Some(now);
            let _ = self.tx.send(json!({"progress": {"step": step, "message": message, "done": done, "total": total}}));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_bytes_are_throttled_and_cancel_is_seen() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut progress = Progress::new(tx);
        progress.step("copy", "Copying…");
        for done in 0..=1000 {
            progress.bytes("copy", "Copying…", done, 1000);
        }
        let mut got = Vec::new();
        while let Ok(message) = rx.try_recv() {
            got.push(message);
        }
        // The step, the first byte count and the last: a tight loop takes far less than 200 ms.
        assert!(got.len() >= 3 && got.len() < 500, "not throttled: {} messages", got.len());
        assert_eq!(got[1]["progress"]["done"], 0);
        assert_eq!(got.last().unwrap()["progress"]["done"], 1000);
        assert!(!progress.cancelled());
        drop(rx);
        assert!(progress.cancelled());
    }
}
