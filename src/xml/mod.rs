//! libvirt XML ↔ typed model. Knows neither channels nor connections.

pub mod boot;
pub mod boot_order;
pub mod build;
pub mod cpu_model;
pub mod cputune;
pub mod device;
pub mod domain;
pub mod edit;
pub mod first_boot;
pub mod guest_devices;
pub mod hostdev;
pub mod machine_state;
pub mod network;
pub mod nodedev;
pub mod pool;
pub mod pool_sources;
pub mod pool_spec;
pub mod pool_values;
pub mod set;
pub mod snapshot;
pub mod vcpu;

pub use domain::parse_domain;
