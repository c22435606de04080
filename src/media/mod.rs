//! Install media the helper writes or reads itself: the cloud-init NoCloud seed ISO.

// Used by ops::create (issue 5), which lands on its own branch.
#[allow(dead_code)]
pub mod nocloud;
