//! What the page asked for, checked once, and the libvirt flags and parameters it becomes.

use serde::Deserialize;
use virt::domain::MigrateParameters;
use virt_sys as sys;

use crate::model::uri::Uri;
use crate::problem::{Problem, ProblemCode};

/// Where the disks' contents come from on the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum StorageMode {
    /// The destination sees the same disk files (shared storage): nothing is copied.
    #[default]
    Shared,
    /// Every writable disk is copied whole (NBD); the destination needs a pool holding each disk's directory.
    CopyFull,
    /// Only what differs from a destination disk that already holds the same backing image.
    CopyIncremental,
}

/// The largest bandwidth limit taken, in MiB/s (libvirt's own ceiling is far above any real link).
pub const MAX_BANDWIDTH_MIB: u64 = 1 << 20;

#[derive(Debug, Clone, Deserialize)]
pub struct MigrateOptions {
    pub uri: Uri,
    pub vm: String,
    pub destination: Uri,
    /// A running VM keeps running while its memory is copied; `false` pauses it for the copy.
    #[serde(default = "yes")]
    pub live: bool,
    #[serde(default)]
    pub storage: StorageMode,
    /// Define the VM on the destination (otherwise it is transient there and gone once it stops).
    #[serde(default = "yes")]
    pub persist: bool,
    /// Remove the VM's definition from the source once it runs on the destination.
    #[serde(default)]
    pub undefine_source: bool,
    /// MiB/s; `None` is libvirt's default (unlimited).
    #[serde(default)]
    pub bandwidth_mib: Option<u64>,
    /// Slow the guest's vCPUs down when its memory changes faster than it can be sent.
    #[serde(default)]
    pub auto_converge: bool,
    /// Switch to post-copy once the first pass over memory is done (the VM then runs on the destination
    /// while the rest of its memory follows on demand).
    #[serde(default)]
    pub post_copy: bool,
    /// Shared storage libvirt does not recognise as shared (a cluster file system it does not know, or a
    /// directory both hosts see): migrate anyway (`VIR_MIGRATE_UNSAFE`).
    #[serde(default, rename = "unsafe")]
    pub unsafe_storage: bool,
}

fn yes() -> bool {
    true
}

fn refuse(message: impl Into<String>) -> Problem {
    Problem::new(ProblemCode::InvalidArgument, message)
}

impl MigrateOptions {
    /// The checks that need no libvirt: a remote destination other than the source, a sane bandwidth, and
    /// no flag combination libvirt would refuse half-way.
    pub fn check(&self) -> Result<(), Problem> {
        if self.vm.is_empty() {
            return Err(Problem::protocol("\"vm\" must not be empty"));
        }
        if self.destination.remote_endpoint().is_none() {
            return Err(refuse("The destination must be a qemu+ssh://, qemu+tls:// or qemu+tcp:// URI"));
        }
        if self.destination == self.uri {
            return Err(refuse("The destination is the VM's own connection"));
        }
        if let Some(mib) = self.bandwidth_mib
            && !(1..=MAX_BANDWIDTH_MIB).contains(&mib)
        {
            return Err(refuse(format!("The bandwidth limit must be between 1 and {MAX_BANDWIDTH_MIB} MiB/s")));
        }
        if self.undefine_source && !self.persist {
            return Err(refuse("A VM undefined on the source must be kept defined on the destination"));
        }
        if self.post_copy && !self.live {
            return Err(refuse("Post-copy needs a live migration"));
        }
        Ok(())
    }

    /// Flags and parameters for `virDomainMigrate3`. `running`: the VM runs (or is paused) now; a shut-off
    /// VM moves only its definition (`VIR_MIGRATE_OFFLINE`), which libvirt allows only when persisted and
    /// without copying storage.
    pub fn libvirt_call(&self, running: bool) -> Result<(u32, MigrateParameters), Problem> {
        let mut flags = 0;
        if running {
            if self.live {
                flags |= sys::VIR_MIGRATE_LIVE;
            }
            flags |= match self.storage {
                StorageMode::Shared => 0,
                StorageMode::CopyFull => sys::VIR_MIGRATE_NON_SHARED_DISK,
                StorageMode::CopyIncremental => sys::VIR_MIGRATE_NON_SHARED_INC,
            };
            if self.auto_converge {
                flags |= sys::VIR_MIGRATE_AUTO_CONVERGE;
            }
            if self.post_copy {
                flags |= sys::VIR_MIGRATE_POSTCOPY;
            }
            if self.unsafe_storage {
                flags |= sys::VIR_MIGRATE_UNSAFE;
            }
            // A failed storage copy must not leave a half-written VM running on the destination.
            flags |= sys::VIR_MIGRATE_ABORT_ON_ERROR;
        } else {
            if !self.persist {
                return Err(refuse(
                    "A VM that is shut off can only move its definition: keep it defined on the destination",
                ));
            }
            if self.storage != StorageMode::Shared {
                return Err(refuse(
                    "A VM that is shut off cannot copy its storage: libvirt copies disks only while QEMU runs",
                ));
            }
            flags |= sys::VIR_MIGRATE_OFFLINE;
        }
        if self.persist {
            flags |= sys::VIR_MIGRATE_PERSIST_DEST;
        }
        if self.undefine_source {
            flags |= sys::VIR_MIGRATE_UNDEFINE_SOURCE;
        }
        let params = MigrateParameters { bandwidth: self.bandwidth_mib, ..MigrateParameters::default() };
        Ok((flags, params))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn options(extra: serde_json::Value) -> Result<MigrateOptions, serde_json::Error> {
        let mut base = json!({"uri": "qemu:///system", "vm": "a", "destination": "qemu+tcp://127.0.0.2/system"});
        base.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        serde_json::from_value(base)
    }

    #[test]
    fn migrate_plan_defaults_are_live_shared_persisted() {
        let o = options(json!({})).unwrap();
        o.check().unwrap();
        let (flags, params) = o.libvirt_call(true).unwrap();
        assert_eq!(flags, sys::VIR_MIGRATE_LIVE | sys::VIR_MIGRATE_PERSIST_DEST | sys::VIR_MIGRATE_ABORT_ON_ERROR);
        assert_eq!(params.bandwidth, None);
    }

    #[test]
    fn migrate_plan_flags_follow_the_choices() {
        let o = options(json!({"live": false, "storage": "copy-incremental", "persist": true, "undefine_source": true,
                               "bandwidth_mib": 10, "auto_converge": true, "unsafe": true}))
        .unwrap();
        o.check().unwrap();
        let (flags, params) = o.libvirt_call(true).unwrap();
        assert_eq!(flags & sys::VIR_MIGRATE_LIVE, 0);
        assert_ne!(flags & sys::VIR_MIGRATE_NON_SHARED_INC, 0);
        assert_ne!(flags & sys::VIR_MIGRATE_UNDEFINE_SOURCE, 0);
        assert_ne!(flags & sys::VIR_MIGRATE_AUTO_CONVERGE, 0);
        assert_ne!(flags & sys::VIR_MIGRATE_UNSAFE, 0);
        assert_eq!(params.bandwidth, Some(10));
        let full = options(json!({"storage": "copy-full", "post_copy": true})).unwrap().libvirt_call(true).unwrap().0;
        assert_ne!(full & sys::VIR_MIGRATE_NON_SHARED_DISK, 0);
        assert_ne!(full & sys::VIR_MIGRATE_POSTCOPY, 0);
    }

    #[test]
    fn migrate_plan_shut_off_vm_moves_only_its_definition() {
        let (flags, _) = options(json!({})).unwrap().libvirt_call(false).unwrap();
        assert_eq!(flags, sys::VIR_MIGRATE_OFFLINE | sys::VIR_MIGRATE_PERSIST_DEST);
        assert!(options(json!({"persist": false})).unwrap().libvirt_call(false).is_err());
        assert!(options(json!({"storage": "copy-full"})).unwrap().libvirt_call(false).is_err());
    }

    #[test]
    fn migrate_plan_refuses_bad_requests() {
        for bad in [
            json!({"destination": "qemu:///system"}),
            json!({"destination": "test:///default"}),
            json!({"bandwidth_mib": 0}),
            json!({"bandwidth_mib": MAX_BANDWIDTH_MIB + 1}),
            json!({"persist": false, "undefine_source": true}),
            json!({"live": false, "post_copy": true}),
            json!({"vm": ""}),
        ] {
            assert!(options(bad.clone()).unwrap().check().is_err(), "{bad} was accepted");
        }
        for malformed in [
            json!({"destination": "qemu+ssh://h/system?command=/bin/sh"}),
            json!({"storage": "copy"}),
            json!({"bandwidth_mib": -1}),
        ] {
            assert!(options(malformed.clone()).is_err(), "{malformed} was parsed");
        }
    }
}
