//! Install media as files: reading what is on them (ISO 9660 descriptors), writing what the guest needs (the
//! cloud-init NoCloud seed ISO).

pub mod iso9660;
pub mod local;
// ops::create uses the seed in memory (passwords hashed); writing it to a path waits for a user.
#[allow(dead_code)]
pub mod nocloud;
pub mod qcow2;
