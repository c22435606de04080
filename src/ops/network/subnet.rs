//! IPv4 subnets of a new network: parsed once, checked against the host's addresses and the other
//! networks, and the DHCP range against the subnet.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::subnet6::Subnet6;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subnet {
    pub address: Ipv4Addr,
    pub prefix: u8,
}

impl Subnet {
    pub fn parse(address: &str, prefix: u8) -> Result<Subnet, String> {
        let address: Ipv4Addr = address.parse().map_err(|_| format!("\"{address}\" is not an IPv4 address"))?;
        if !(8..=30).contains(&prefix) {
            return Err("The prefix length must be between 8 and 30".into());
        }
        let subnet = Subnet { address, prefix };
        if address == subnet.network() || address == subnet.broadcast() {
            return Err(format!("{address} is the network's own network or broadcast address"));
        }
        Ok(subnet)
    }

    fn mask(&self) -> u32 {
        u32::MAX << (32 - u32::from(self.prefix))
    }

    pub fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.address) & self.mask())
    }

    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.address) | !self.mask())
    }

    pub fn netmask(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.mask())
    }

    /// Whether an address is a usable host address of this subnet.
    pub fn holds(&self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & self.mask() == u32::from(self.network()) && ip != self.network() && ip != self.broadcast()
    }

    pub fn overlaps(&self, other: &Subnet) -> bool {
        let mask = self.mask() & other.mask();
        u32::from(self.address) & mask == u32::from(other.address) & mask
    }
}

impl std::fmt::Display for Subnet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network(), self.prefix)
    }
}

/// A DHCP range inside the subnet, start ≤ end, not containing the network's own address.
pub fn check_range(subnet: &Subnet, start: &str, end: &str) -> Result<(Ipv4Addr, Ipv4Addr), String> {
    let parse = |s: &str| s.parse::<Ipv4Addr>().map_err(|_| format!("\"{s}\" is not an IPv4 address"));
    let (start, end) = (parse(start)?, parse(end)?);
    for ip in [start, end] {
        if !subnet.holds(ip) {
            return Err(format!("{ip} is outside the network {subnet}"));
        }
    }
    if u32::from(start) > u32::from(end) {
        return Err(format!("The range starts after it ends ({start} > {end})"));
    }
    if (u32::from(start)..=u32::from(end)).contains(&u32::from(subnet.address)) {
        return Err(format!("The range includes the network's own address {}", subnet.address));
    }
    Ok((start, end))
}

/// The host's IPv4 addresses with their interface names (`getifaddrs`).
pub fn host_subnets() -> Vec<(String, Subnet)> {
    let mut found = Vec::new();
    each_host_address(|name, addr, mask| {
        // SAFETY: per `each_host_address`; the family says both sockaddrs are sockaddr_in.
        if i32::from(unsafe { (*addr).sa_family }) == libc::AF_INET {
            let (addr, mask) = unsafe { (&*(addr as *const libc::sockaddr_in), &*(mask as *const libc::sockaddr_in)) };
            let address = Ipv4Addr::from(u32::from_be(addr.sin_addr.s_addr));
            let prefix = u32::from_be(mask.sin_addr.s_addr).leading_ones() as u8;
            found.push((name.to_owned(), Subnet { address, prefix }));
        }
    });
    found
}

/// The host's IPv6 addresses with their interface names.
pub fn host_subnets6() -> Vec<(String, Subnet6)> {
    let mut found = Vec::new();
    each_host_address(|name, addr, mask| {
        // SAFETY: per `each_host_address`; the family says both sockaddrs are sockaddr_in6.
        if i32::from(unsafe { (*addr).sa_family }) == libc::AF_INET6 {
            let (addr, mask) =
                unsafe { (&*(addr as *const libc::sockaddr_in6), &*(mask as *const libc::sockaddr_in6)) };
            let address = Ipv6Addr::from(addr.sin6_addr.s6_addr);
            let prefix = u128::from_be_bytes(mask.sin6_addr.s6_addr).leading_ones() as u8;
            found.push((name.to_owned(), Subnet6::from_host(address, prefix)));
        }
    });
    found
}

/// Calls `f` with each interface address of the host and its netmask (`getifaddrs`): non-null
/// pointers to sockaddrs of the family in the address's `sa_family`, valid during the call.
fn each_host_address(mut f: impl FnMut(&str, *const libc::sockaddr, *const libc::sockaddr)) {
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `list`, freed below with freeifaddrs; we only read while it lives.
    if unsafe { libc::getifaddrs(&mut list) } != 0 {
        return;
    }
    let mut cursor = list;
    while !cursor.is_null() {
        // SAFETY: a node of the list getifaddrs returned.
        let ifa = unsafe { &*cursor };
        cursor = ifa.ifa_next;
        if ifa.ifa_addr.is_null() || ifa.ifa_netmask.is_null() {
            continue;
        }
        // SAFETY: non-null pointers into the live list; the name is a C string.
        unsafe {
            let name = std::ffi::CStr::from_ptr(ifa.ifa_name).to_string_lossy();
            f(&name, ifa.ifa_addr, ifa.ifa_netmask);
        }
    }
    // SAFETY: the list getifaddrs allocated.
    unsafe { libc::freeifaddrs(list) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnet_parse_and_overlap() {
        let a = Subnet::parse("192.168.100.1", 24).unwrap();
        assert_eq!(a.to_string(), "192.168.100.0/24");
        assert_eq!(a.netmask().to_string(), "255.255.255.0");
        assert!(a.overlaps(&Subnet::parse("192.168.100.200", 28).unwrap()));
        assert!(a.overlaps(&Subnet::parse("192.168.0.1", 16).unwrap()));
        assert!(!a.overlaps(&Subnet::parse("192.168.101.1", 24).unwrap()));
        assert!(Subnet::parse("192.168.100.0", 24).is_err());
        assert!(Subnet::parse("192.168.100.255", 24).is_err());
        assert!(Subnet::parse("10.0.0.1", 31).is_err());
        assert!(Subnet::parse("nope", 24).is_err());
    }

    #[test]
    fn subnet_dhcp_range() {
        let a = Subnet::parse("192.168.100.1", 24).unwrap();
        assert!(check_range(&a, "192.168.100.2", "192.168.100.254").is_ok());
        assert!(check_range(&a, "192.168.100.2", "192.168.101.10").unwrap_err().contains("outside"));
        assert!(check_range(&a, "192.168.100.50", "192.168.100.10").is_err());
        assert!(check_range(&a, "192.168.100.1", "192.168.100.10").unwrap_err().contains("own address"));
        assert!(check_range(&a, "192.168.100.2", "192.168.100.255").is_err());
    }

    #[test]
    fn subnet_host_has_loopback() {
        assert!(host_subnets().iter().any(|(_, s)| s.address == Ipv4Addr::LOCALHOST));
        // Loopback ::1/128 where the kernel has IPv6.
        if std::path::Path::new("/proc/net/if_inet6").exists() {
            assert!(host_subnets6().iter().any(|(_, s)| s.address == Ipv6Addr::LOCALHOST && s.prefix == 128));
        }
    }
}
