//! Install media as files: reading what is on them, writing what the guest needs.

pub mod iso9660;
