//! A VM's CPU topology, as libvirt's `<cpu><topology>` has it.

use serde::{Deserialize, Serialize};

/// `<cpu><topology sockets dies cores threads/>`; missing attributes count as 1, as in libvirt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topology {
    pub sockets: u32,
    pub dies: u32,
    pub cores: u32,
    pub threads: u32,
}

impl Topology {
    /// The number of vCPUs this topology holds (None on overflow).
    pub fn product(&self) -> Option<u32> {
        self.sockets.checked_mul(self.dies)?.checked_mul(self.cores)?.checked_mul(self.threads)
    }
}
