//! IPv4 subnets of a new network: parsed once, checked against the host's addresses and the other
//! networks, and the DHCP range against the subnet.

use std::net::Ipv4Addr;

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
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `list`, freed below with freeifaddrs; we only read while it lives.
    if unsafe { libc::getifaddrs(&mut list) } != 0 {
        return found;
    }
    let mut cursor = list;
    while !cursor.is_null() {
        // SAFETY: a node of the list getifaddrs returned.
        let ifa = unsafe { &*cursor };
        cursor = ifa.ifa_next;
        if ifa.ifa_addr.is_null() || ifa.ifa_netmask.is_null() {
            continue;
        }
        // SAFETY: the family says the sockaddrs are sockaddr_in.
        unsafe {
            if i32::from((*ifa.ifa_addr).sa_family) != libc::AF_INET {
                continue;
            }
            let addr = Ipv4Addr::from(u32::from_be((*(ifa.ifa_addr as *const libc::sockaddr_in)).sin_addr.s_addr));
            let mask = u32::from_be((*(ifa.ifa_netmask as *const libc::sockaddr_in)).sin_addr.s_addr);
            let name = std::ffi::CStr::from_ptr(ifa.ifa_name).to_string_lossy().into_owned();
            found.push((name, Subnet { address: addr, prefix: mask.leading_ones() as u8 }));
        }
    }
    // SAFETY: the list getifaddrs allocated.
    unsafe { libc::freeifaddrs(list) };
    found
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
    }
}
