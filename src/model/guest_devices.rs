//! The small devices of a VM the Overview card shows: its TPM, watchdog and vsock (`xml/domain.rs` reads them).

use serde::{Deserialize, Serialize};

/// A TPM: `backend` is `emulator` (swtpm, its state on the host), `passthrough` or `external`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct VmTpm {
    pub backend: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `persistent_state='yes'`: libvirt keeps an emulated TPM's state when the VM is undefined.
    #[serde(skip)]
    pub persistent_state: bool,
}

impl VmTpm {
    pub fn emulated(&self) -> bool {
        self.backend == "emulator"
    }
}

/// A watchdog device and what happens when the guest stops feeding it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watchdog {
    pub model: String,
    pub action: String,
}

/// A vsock: `auto`, libvirt picks a free CID at start (then `cid` is the one it picked, while the VM runs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VmVsock {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cid: Option<u32>,
    pub auto: bool,
}

impl VmVsock {
    /// What a definition asks for: the CID an automatic one got at start belongs to that run only.
    pub fn requested(self) -> VmVsock {
        if self.auto { VmVsock { cid: None, auto: true } } else { self }
    }
}
