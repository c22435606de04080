//! The one error type at the channel boundary: a Cockpit problem code plus a human message.
//!
//! Ops return `Result<_, Problem>`; the router turns it into exactly one
//! `{"command":"close","problem":…,"message":…}`. Codes come from Cockpit's own list
//! (`shared/cockpit-protocol.md` §8); we never invent new ones.

use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemCode {
    ProtocolError,
    NotSupported,
    NotFound,
    AccessDenied,
    /// A request the helper understood but will not carry out as asked (a create spec that fails validation).
    InvalidArgument,
    Timeout,
    Terminated,
    InternalError,
}

impl ProblemCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemCode::ProtocolError => "protocol-error",
            ProblemCode::NotSupported => "not-supported",
            ProblemCode::NotFound => "not-found",
            ProblemCode::AccessDenied => "access-denied",
            ProblemCode::InvalidArgument => "invalid-argument",
            ProblemCode::Timeout => "timeout",
            ProblemCode::Terminated => "terminated",
            ProblemCode::InternalError => "internal-error",
        }
    }
}

/// What exactly went wrong, where the page must act on it (never on the English message):
/// sent as `"reason"` beside `problem` (`docs/api.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// A console was asked of a VM that is shut off.
    NotRunning,
    /// A disk ticked for deletion holds other storage than the page showed.
    StorageChanged,
    /// Storage ticked for deletion is used by another VM.
    StorageInUse,
    /// op `migrate`: the destination's name does not resolve, or nothing answers at its address.
    HostUnreachable,
    /// op `migrate`: the destination host refused the connection (no libvirtd or sshd on that port).
    PortClosed,
    /// op `migrate`: the destination refused our credentials.
    AuthFailed,
    /// op `migrate`: copying storage needs a storage pool on the destination holding each disk's directory.
    NoSuchPool,
    /// op `migrate`: the destination's CPU cannot run the VM's CPU model.
    CpuIncompatible,
    /// op `migrate`: the destination is the VM's own host.
    SameHost,
    /// op `migrate`: libvirt cannot tell that a disk is on shared storage (a local file system): copy the
    /// storage, or say that the destination sees the same files (`unsafe`).
    StorageNotShared,
    /// op `connections`: the ssh host's key is not in the user's `known_hosts` (trust it first).
    HostKeyUnknown,
    /// op `connections`: the ssh host offers another key than `known_hosts` holds for it (or a revoked one).
    HostKeyChanged,
    /// A remote host accepts the connection, but libvirt there does not answer (a frozen libvirtd).
    NotAnswering,
    /// A remote host asks for a user name and password (SASL) the helper does not hold: ask the user.
    AuthNeeded,
    /// A remote host refused the user name and password the helper gave it.
    CredentialsRefused,
    /// op `pool` `create-volume`: the backing volume asked for is not in the pool or cannot back a qcow2 overlay.
    BackingVolume,
    /// op `snapshot` `revert`: libvirt refuses the revert unless forced (the running VM's devices differ from
    /// the snapshot's, so QEMU must be restarted; or the snapshot lacks what a safe revert needs).
    RevertRisky,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::NotRunning => "not-running",
            Reason::StorageChanged => "storage-changed",
            Reason::StorageInUse => "storage-in-use",
            Reason::HostUnreachable => "host-unreachable",
            Reason::PortClosed => "port-closed",
            Reason::AuthFailed => "auth-failed",
            Reason::NoSuchPool => "no-such-pool",
            Reason::CpuIncompatible => "cpu-incompatible",
            Reason::SameHost => "same-host",
            Reason::StorageNotShared => "storage-not-shared",
            Reason::HostKeyUnknown => "host-key-unknown",
            Reason::HostKeyChanged => "host-key-changed",
            Reason::NotAnswering => "not-answering",
            Reason::AuthNeeded => "auth-needed",
            Reason::CredentialsRefused => "credentials-refused",
            Reason::BackingVolume => "backing-volume",
            Reason::RevertRisky => "revert-risky",
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Problem {
    pub code: ProblemCode,
    pub message: String,
    /// libvirt's `virErrorNumber`, when libvirt is where it failed.
    pub libvirt_error: Option<i32>,
    pub reason: Option<Reason>,
    /// The full text behind a one-sentence `message` (QEMU's output when a VM could not start).
    pub detail: Option<String>,
}

impl Problem {
    pub fn new(code: ProblemCode, message: impl Into<String>) -> Problem {
        Problem { code, message: message.into(), libvirt_error: None, reason: None, detail: None }
    }
    pub fn with_reason(mut self, reason: Reason) -> Problem {
        self.reason = Some(reason);
        self
    }
    pub fn with_detail(mut self, detail: String) -> Problem {
        self.detail = Some(detail);
        self
    }
    pub fn protocol(message: impl Into<String>) -> Problem {
        Problem::new(ProblemCode::ProtocolError, message)
    }
    pub fn not_supported(message: impl Into<String>) -> Problem {
        Problem::new(ProblemCode::NotSupported, message)
    }
    pub fn internal(message: impl Into<String>) -> Problem {
        Problem::new(ProblemCode::InternalError, message)
    }

    /// The fields this problem adds to a `close` control message.
    pub fn close_fields(&self) -> Map<String, Value> {
        let mut fields = Map::new();
        fields.insert("problem".into(), self.code.as_str().into());
        fields.insert("message".into(), self.message.clone().into());
        if let Some(code) = self.libvirt_error {
            fields.insert("libvirt-error".into(), code.into());
        }
        if let Some(reason) = self.reason {
            fields.insert("reason".into(), reason.as_str().into());
        }
        if let Some(detail) = &self.detail {
            fields.insert("detail".into(), detail.clone().into());
        }
        fields
    }
}

/// Whether a libvirt error means "this user may not do this" rather than "it failed".
pub fn is_access_error(err: &virt::error::Error) -> bool {
    let code = err.code().to_raw();
    matches!(
        code,
        virt_sys::VIR_ERR_AUTH_FAILED
            | virt_sys::VIR_ERR_AUTH_CANCELLED
            | virt_sys::VIR_ERR_AUTH_UNAVAILABLE
            | virt_sys::VIR_ERR_ACCESS_DENIED
            | virt_sys::VIR_ERR_OPERATION_DENIED
    ) || err.message().contains("Permission denied")
}

impl From<virt::error::Error> for Problem {
    fn from(err: virt::error::Error) -> Problem {
        let raw = err.code().to_raw();
        let code = if is_access_error(&err) {
            ProblemCode::AccessDenied
        } else {
            match raw {
                virt_sys::VIR_ERR_NO_DOMAIN
                | virt_sys::VIR_ERR_NO_STORAGE_VOL
                | virt_sys::VIR_ERR_NO_STORAGE_POOL
                | virt_sys::VIR_ERR_NO_NETWORK => ProblemCode::NotFound,
                virt_sys::VIR_ERR_NO_SUPPORT
                | virt_sys::VIR_ERR_ARGUMENT_UNSUPPORTED
                | virt_sys::VIR_ERR_OPERATION_UNSUPPORTED => ProblemCode::NotSupported,
                virt_sys::VIR_ERR_OPERATION_TIMEOUT => ProblemCode::Timeout,
                _ => ProblemCode::InternalError,
            }
        };
        Problem {
            code,
            message: err.message().to_string(),
            libvirt_error: Some(raw as i32),
            reason: None,
            detail: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_fields_carry_code_message_and_libvirt_error() {
        let mut problem = Problem::new(ProblemCode::NotFound, "no such VM: x");
        problem.libvirt_error = Some(42);
        let fields = problem.close_fields();
        assert_eq!(fields["problem"], "not-found");
        assert_eq!(fields["message"], "no such VM: x");
        assert_eq!(fields["libvirt-error"], 42);
        assert!(!Problem::protocol("bad").close_fields().contains_key("libvirt-error"));
        assert!(!Problem::protocol("bad").close_fields().contains_key("reason"));
        let stopped = Problem::not_supported("The VM is not running").with_reason(Reason::NotRunning);
        assert_eq!(stopped.close_fields()["reason"], "not-running");
    }
}
