//! libvirt XML ↔ typed model. Knows neither channels nor connections.

pub mod build;
pub mod domain;
pub mod edit;
pub mod network;
pub mod pool;

pub use domain::parse_domain;
