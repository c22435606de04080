//! Typed VM data as the page sees it. The hub fills it from libvirt; ops serialize it.

pub mod credentials;
pub mod guest_devices;
pub mod history;
pub mod hostdev;
pub mod name_order;
pub mod resources;
pub mod state;
pub mod topology;
pub mod uri;
pub mod usage;
pub mod vm;

pub use topology::Topology;
pub use vm::{Console, DomainConfig, Graphics, NetInterface, SavedConfig, Vm, VmDisk};
