//! osinfo-db, read by the helper itself (no libosinfo at run time): the OS list of the create dialog
//! and the detection of install media and trees. Knows neither channels nor libvirt.

pub mod db;
pub mod detect;
mod parse;

use std::sync::OnceLock;
use std::time::Instant;

use log::info;

pub use db::{Db, Os};

/// The database, read on first use and kept for the life of the helper.
pub fn db() -> &'static Db {
    static DB: OnceLock<Db> = OnceLock::new();
    DB.get_or_init(|| {
        let started = Instant::now();
        let db = Db::load_default();
        let from = db.dir.as_ref().map_or_else(|| "nowhere".to_string(), |d| d.display().to_string());
        info!("osinfo-db: {} OSes from {from} in {} ms", db.oses.len(), started.elapsed().as_millis());
        db
    })
}
