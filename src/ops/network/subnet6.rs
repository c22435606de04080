//! IPv6 subnets of a new network, the counterpart of `subnet.rs`: parsed once, checked against the
//! host's addresses and the other networks, and the DHCPv6 range against the subnet.

use std::net::Ipv6Addr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subnet6 {
    pub address: Ipv6Addr,
    pub prefix: u8,
}

impl Subnet6 {
    pub fn parse(address: &str, prefix: u8) -> Result<Subnet6, String> {
        let address: Ipv6Addr = address.parse().map_err(|_| format!("\"{address}\" is not an IPv6 address"))?;
        if !(8..=126).contains(&prefix) {
            return Err("The IPv6 prefix length must be between 8 and 126".into());
        }
        let bits = u128::from(address);
        // Loopback, link-local (fe80::/10) and multicast (ff00::/8) cannot be a network's subnet.
        if address.is_loopback() || address.is_unspecified() || bits >> 118 == 0x3fa || bits >> 120 == 0xff {
            return Err(format!("{address} is not a unicast address a network can use"));
        }
        let subnet = Subnet6 { address, prefix };
        if address == subnet.network() {
            return Err(format!("{address} is the network's own subnet address"));
        }
        Ok(subnet)
    }

    pub fn from_host(address: Ipv6Addr, prefix: u8) -> Subnet6 {
        Subnet6 { address, prefix }
    }

    fn mask(&self) -> u128 {
        if self.prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(self.prefix)) }
    }

    pub fn network(&self) -> Ipv6Addr {
        Ipv6Addr::from(u128::from(self.address) & self.mask())
    }

    /// Whether an address is a usable host address of this subnet.
    pub fn holds(&self, ip: Ipv6Addr) -> bool {
        u128::from(ip) & self.mask() == u128::from(self.network()) && ip != self.network()
    }

    pub fn overlaps(&self, other: &Subnet6) -> bool {
        let mask = self.mask() & other.mask();
        u128::from(self.address) & mask == u128::from(other.address) & mask
    }
}

impl std::fmt::Display for Subnet6 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network(), self.prefix)
    }
}

/// A DHCPv6 range inside the subnet, start ≤ end, not containing the network's own address.
pub fn check_range6(subnet: &Subnet6, start: &str, end: &str) -> Result<(Ipv6Addr, Ipv6Addr), String> {
    let parse = |s: &str| s.parse::<Ipv6Addr>().map_err(|_| format!("\"{s}\" is not an IPv6 address"));
    let (start, end) = (parse(start)?, parse(end)?);
    for ip in [start, end] {
        if !subnet.holds(ip) {
            return Err(format!("{ip} is outside the network {subnet}"));
        }
    }
    if u128::from(start) > u128::from(end) {
        return Err(format!("The range starts after it ends ({start} > {end})"));
    }
    if (u128::from(start)..=u128::from(end)).contains(&u128::from(subnet.address)) {
        return Err(format!("The range includes the network's own address {}", subnet.address));
    }
    Ok((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnet6_parse_and_overlap() {
        let a = Subnet6::parse("fd00:1:2:3::1", 64).unwrap();
        assert_eq!(a.to_string(), "fd00:1:2:3::/64");
        assert!(a.overlaps(&Subnet6::parse("fd00:1:2:3::99", 80).unwrap()));
        assert!(a.overlaps(&Subnet6::parse("fd00:1::1", 32).unwrap()));
        assert!(!a.overlaps(&Subnet6::parse("fd00:1:2:4::1", 64).unwrap()));
        assert!(Subnet6::parse("fd00:1:2:3::", 64).is_err());
        assert!(Subnet6::parse("fe80::1", 64).is_err());
        assert!(Subnet6::parse("ff02::1", 64).is_err());
        assert!(Subnet6::parse("::1", 64).is_err());
        assert!(Subnet6::parse("fd00::1", 127).is_err());
        assert!(Subnet6::parse("192.168.1.1", 64).is_err());
    }

    #[test]
    fn subnet6_dhcp_range() {
        let a = Subnet6::parse("fd00:9::1", 64).unwrap();
        assert!(check_range6(&a, "fd00:9::100", "fd00:9::1ff").is_ok());
        assert!(check_range6(&a, "fd00:9::100", "fd00:a::1").unwrap_err().contains("outside"));
        assert!(check_range6(&a, "fd00:9::200", "fd00:9::100").is_err());
        assert!(check_range6(&a, "fd00:9::1", "fd00:9::10").unwrap_err().contains("own address"));
        assert!(check_range6(&a, "10.0.0.1", "fd00:9::10").is_err());
    }
}
