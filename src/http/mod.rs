//! Everything the helper fetches over the network (OS detection of a URL, an install tree's
//! `.treeinfo`, kernel and initrd) goes through here: the typed [`WebUrl`] at the boundary and one
//! kept HTTP library (ureq) behind [`get`]. Knows neither channels nor libvirt.

mod client;
mod guard;
mod weburl;

pub use client::{BodyReader, HttpError, get, get_range};
pub use weburl::{UrlError, UrlUse, WebUrl};

#[cfg(test)]
pub mod testserver;
