//! Typed VM data as the page sees it. The hub fills it from libvirt; ops serialize it.

pub mod state;
pub mod vm;

pub use vm::{Console, DomainConfig, Graphics, NetInterface, Vm, VmDisk};
