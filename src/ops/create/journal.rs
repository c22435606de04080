//! A small journal of each create in progress, so that a helper killed mid-create (SIGKILL, a
//! crash, a rollback cut short by the exit deadline) leaves nothing behind for long.
//!
//! One file per create under `$XDG_RUNTIME_DIR/cockpit-virt/creates/` (else `/run/user/<uid>/…`,
//! or `/run/cockpit-virt/…` for root): a first line with the connection URI, then one JSON line
//! per object right after the worker made it (a volume by pool and name, a domain by UUID). The
//! worker holds an exclusive `flock` on its file; the file is removed once the create is
//! committed or fully rolled back. At start, [`recover`] takes every file whose lock it can get
//! (its helper is gone) and undoes what it lists, newest first, then removes it.
//!
//! Objects are journalled after they exist, never before, so recovery can only ever remove what a
//! create made; the price is a window of one libvirt reply in which a kill leaves an object unlisted.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use virt::connect::Connect;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum Entry {
    Uri(String),
    Volume { pool: String, name: String },
    Domain(String),
}

pub struct Journal {
    file: File,
    path: PathBuf,
}

/// Where journals live; `None` when this user has no runtime directory (journalling is then off).
pub fn dir() -> Option<PathBuf> {
    // SAFETY: getuid cannot fail.
    let uid = unsafe { libc::getuid() };
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|dir| dir.is_absolute() && dir.is_dir())
        .or_else(|| Some(PathBuf::from(format!("/run/user/{uid}"))).filter(|dir| dir.is_dir()))
        .or_else(|| (uid == 0).then(|| PathBuf::from("/run")))?;
    Some(base.join("cockpit-virt").join("creates"))
}

fn lock(file: &File, wait: bool) -> bool {
    let flags = if wait { libc::LOCK_EX } else { libc::LOCK_EX | libc::LOCK_NB };
    // SAFETY: flock on a descriptor we own.
    unsafe { libc::flock(file.as_raw_fd(), flags) == 0 }
}

impl Journal {
    /// Starts the journal of one create on `uri`; `None` (logged) if it cannot be written.
    pub fn begin(uri: &str) -> Option<Journal> {
        static SEQUENCE: AtomicU64 = AtomicU64::new(0);
        let dir = dir()?;
        let made = std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&dir);
        let path = dir.join(format!("{}-{}.jsonl", std::process::id(), SEQUENCE.fetch_add(1, Ordering::Relaxed)));
        let file = made.and_then(|()| {
            OpenOptions::new().write(true).create_new(true).mode(0o600).custom_flags(libc::O_CLOEXEC).open(&path)
        });
        let file = match file {
            Ok(file) if lock(&file, true) => file,
            Ok(_) => return None,
            Err(err) => {
                log::warn!("create journal {}: {err}; a killed helper's leftovers will not be removed", path.display());
                return None;
            }
        };
        let mut journal = Journal { file, path };
        journal.record(&Entry::Uri(uri.to_string()));
        Some(journal)
    }

    pub fn record(&mut self, entry: &Entry) {
        let mut line = serde_json::to_vec(entry).expect("entries serialize");
        line.push(b'\n');
        if let Err(err) = self.file.write_all(&line) {
            log::warn!("create journal {}: {err}", self.path.display());
        }
    }

    /// The create was committed or rolled back: nothing is left to undo.
    pub fn finish(self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The entries of one journal file, or `None` when it is still locked by a live helper.
fn take(path: &Path) -> Option<(File, Vec<Entry>)> {
    let file = OpenOptions::new().read(true).write(true).custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW).open(path);
    let file = file.ok()?;
    if !lock(&file, false) {
        return None;
    }
    let entries = BufReader::new(&file)
        .lines()
        .map_while(Result::ok)
        .filter_map(|line| serde_json::from_str(&line).ok())
        .collect();
    Some((file, entries))
}

/// Undoes the creates of helpers that died mid-create (see the module comment). Runs on a thread
/// of its own: connecting may take a while, and nothing waits for it.
pub fn recover() {
    let Some(dir) = dir() else { return };
    let Ok(listing) = std::fs::read_dir(&dir) else { return };
    let paths: Vec<PathBuf> = listing
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    if paths.is_empty() {
        return;
    }
    let spawned = std::thread::Builder::new().name("create-recover".into()).spawn(move || {
        for path in paths {
            if let Some((_lock, entries)) = take(&path)
                && undo(&entries)
            {
                let _ = std::fs::remove_file(&path);
            }
        }
    });
    if let Err(err) = spawned {
        log::warn!("cannot start the recovery of interrupted creates: {err}");
    }
}

/// Undoes `entries` newest first; `true` when nothing is left (or nothing can ever be undone).
fn undo(entries: &[Entry]) -> bool {
    let Some(Entry::Uri(uri)) = entries.first() else { return true };
    if entries.len() == 1 {
        return true;
    }
    // A journal is the user's own file, but never run a program for it (`qemu+ext://…?command=`).
    if uri.contains("+ext:") || uri.contains("command=") {
        log::warn!("not recovering an interrupted create on {uri:?}: that URI runs a program");
        return true;
    }
    let conn = match Connect::open(Some(uri)) {
        Ok(conn) => conn,
        Err(err) => {
            log::warn!("recovering an interrupted create on {uri:?}: {err}");
            return false;
        }
    };
    let mut done = true;
    for entry in entries[1..].iter().rev() {
        let result = match entry {
            Entry::Volume { pool, name } => super::storage::delete_volume(&conn, pool, name),
            Entry::Domain(uuid) => super::storage::remove_domain(&conn, uuid),
            Entry::Uri(_) => Ok(()),
        };
        match result {
            Ok(()) => log::info!("removed {entry:?}, left by an interrupted create"),
            // Already gone (removed by hand, or the rollback got that far): nothing to do.
            Err(err) if is_gone(&err) => {}
            Err(err) => {
                log::warn!("removing {entry:?}, left by an interrupted create: {err}");
                done = false;
            }
        }
    }
    done
}

fn is_gone(err: &virt::error::Error) -> bool {
    use virt_sys as sys;
    let code = err.code().to_raw();
    code == sys::VIR_ERR_NO_DOMAIN || code == sys::VIR_ERR_NO_STORAGE_VOL || code == sys::VIR_ERR_NO_STORAGE_POOL
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_lines_round_trip_and_a_live_lock_is_respected() {
        let entries = [
            Entry::Uri("test:///default".into()),
            Entry::Volume { pool: "default-pool".into(), name: "a\nb.qcow2".into() },
            Entry::Domain("6695eb01-f6a4-8304-79aa-97f2502e193f".into()),
        ];
        let dir = std::env::temp_dir().join(format!("cvirt-journal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("1-0.jsonl");
        let file = OpenOptions::new().write(true).create(true).truncate(true).open(&path).unwrap();
        let mut journal = Journal { file, path: path.clone() };
        assert!(lock(&journal.file, true));
        for entry in &entries {
            journal.record(entry);
        }
        // Held by a live worker: not taken (flock locks conflict across open files, even in one process).
        assert!(take(&path).is_none());
        drop(journal);
        let (_lock, read) = take(&path).unwrap();
        assert_eq!(read, entries);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn journal_undo_removes_what_a_dead_create_made() {
        // test:/// is private to each connection, so undo sees nothing and says so: done.
        assert!(undo(&[
            Entry::Uri("test:///default".into()),
            Entry::Volume { pool: "default-pool".into(), name: "cvtest-nothing.qcow2".into() }
        ]));
        assert!(undo(&[]));
    }
}
