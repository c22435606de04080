//! libvirt XML ↔ typed model. Knows neither channels nor connections.

// Used by ops::create (issue 5), which lands on its own branch.
#[allow(dead_code)]
pub mod build;
pub mod domain;
pub mod edit;

pub use domain::parse_domain;
