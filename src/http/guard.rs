//! The SSRF guard of one fetch: a name resolver that remembers whether the fetch has reached a public
//! address, and from then on refuses internal ones (loopback, private, link-local, unique-local,
//! unspecified, multicast). The URL a user typed may name an internal mirror; a public server may not
//! redirect the helper into the host's own network. Through a proxy the proxy resolves the target, and
//! the proxy's own address is not judged. DNS runs inside the fetch's deadline (ureq's
//! resolver does it on a thread when a timeout is set).

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// Whether an address belongs to the host or its local networks rather than the internet.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                // 100.64.0.0/10, carrier-grade NAT: not reachable from the internet either.
                || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link local
        }
    }
}

/// State shared between a fetch and its resolver.
#[derive(Debug, Default)]
pub struct Guard {
    /// Set once a resolution gave only public addresses.
    reached_public: AtomicBool,
    /// Set when an internal address was refused (the fetch reports why).
    refused: AtomicBool,
}

impl Guard {
    pub fn refused(&self) -> bool {
        self.refused.load(Ordering::Relaxed)
    }
}

#[derive(Debug)]
pub struct GuardedResolver {
    inner: DefaultResolver,
    guard: Arc<Guard>,
}

impl GuardedResolver {
    pub fn new(guard: Arc<Guard>) -> GuardedResolver {
        GuardedResolver { inner: DefaultResolver::default(), guard }
    }
}

impl Resolver for GuardedResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let addrs = self.inner.resolve(uri, config, timeout)?;
        // The proxy from the environment is the administrator's choice, wherever it is.
        if config.proxy().is_some_and(|proxy| uri.host() == Some(proxy.host())) {
            return Ok(addrs);
        }
        let internal = addrs.iter().any(|addr| is_internal(addr.ip()));
        if internal && self.guard.reached_public.load(Ordering::Relaxed) {
            self.guard.refused.store(true, Ordering::Relaxed);
            return Err(ureq::Error::HostNotFound);
        }
        if !internal {
            self.guard.reached_public.store(true, Ordering::Relaxed);
        }
        Ok(addrs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_classifies_addresses() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "224.0.0.1",
        ] {
            assert!(is_internal(internal.parse().unwrap()), "{internal}");
        }
        for public in ["1.1.1.1", "151.101.1.1", "2a00:1450::1", "::ffff:8.8.8.8", "100.128.0.1"] {
            assert!(!is_internal(public.parse().unwrap()), "{public}");
        }
    }
}
