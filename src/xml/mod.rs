//! libvirt XML ↔ typed model. Knows neither channels nor connections.

pub mod boot;
pub mod build;
pub mod device;
pub mod domain;
pub mod edit;
pub mod first_boot;
pub mod network;
pub mod pool;
pub mod set;
pub mod vcpu;

pub use domain::parse_domain;
