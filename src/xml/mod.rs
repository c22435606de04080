//! libvirt XML ↔ typed model. Knows neither channels nor connections.

pub mod build;
pub mod device;
pub mod domain;
pub mod edit;

pub use domain::parse_domain;
