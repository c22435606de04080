//! The wire: bytes ↔ frames ([`frame`]), typed control messages ([`control`]) and the stdio
//! threads ([`transport`]). Nothing above this module sees bytes of the framing.

pub mod channel_id;
pub mod control;
pub mod frame;
pub mod transport;
