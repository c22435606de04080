//! Virtual network XML (`virNetworkGetXMLDesc`) → [`NetworkConfig`]: forward mode, bridge, addresses,
//! DHCP ranges and static hosts, DNS host entries, MTU.

use std::net::Ipv4Addr;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::model::resources::{DhcpHost, DhcpRange, DnsHost, NetworkConfig, NetworkIp};

#[derive(Deserialize)]
struct NetworkDoc {
    name: String,
    uuid: Option<String>,
    forward: Option<ForwardDoc>,
    bridge: Option<BridgeDoc>,
    #[serde(default)]
    ip: Vec<IpDoc>,
    dns: Option<DnsDoc>,
    mtu: Option<MtuDoc>,
}

#[derive(Deserialize)]
struct MtuDoc {
    #[serde(rename = "@size")]
    size: Option<u32>,
}

#[derive(Deserialize)]
struct DnsDoc {
    #[serde(default)]
    host: Vec<DnsHostDoc>,
}

#[derive(Deserialize)]
struct DnsHostDoc {
    #[serde(rename = "@ip")]
    ip: Option<String>,
    #[serde(default)]
    hostname: Vec<String>,
}

#[derive(Deserialize)]
struct ForwardDoc {
    #[serde(rename = "@mode")]
    mode: Option<String>,
}

#[derive(Deserialize)]
struct BridgeDoc {
    #[serde(rename = "@name")]
    name: Option<String>,
}

#[derive(Deserialize)]
struct IpDoc {
    #[serde(rename = "@family")]
    family: Option<String>,
    #[serde(rename = "@address")]
    address: Option<String>,
    #[serde(rename = "@netmask")]
    netmask: Option<String>,
    #[serde(rename = "@prefix")]
    prefix: Option<u8>,
    dhcp: Option<DhcpDoc>,
}

#[derive(Deserialize, Default)]
struct DhcpDoc {
    #[serde(default)]
    range: Vec<RangeDoc>,
    #[serde(default)]
    host: Vec<HostDoc>,
}

#[derive(Deserialize)]
struct RangeDoc {
    #[serde(rename = "@start")]
    start: String,
    #[serde(rename = "@end")]
    end: String,
}

#[derive(Deserialize)]
struct HostDoc {
    #[serde(rename = "@mac")]
    mac: Option<String>,
    #[serde(rename = "@name")]
    name: Option<String>,
    #[serde(rename = "@ip")]
    ip: Option<String>,
}

pub fn parse_network(xml: &str) -> Result<NetworkConfig> {
    let doc: NetworkDoc = quick_xml::de::from_str(xml).context("parsing network XML")?;
    let mut ips = Vec::new();
    for ip in doc.ip {
        let Some(address) = ip.address else { continue };
        let family = if ip.family.as_deref() == Some("ipv6") || address.contains(':') { "ipv6" } else { "ipv4" };
        let prefix = match (ip.prefix, ip.netmask.as_deref()) {
            (Some(prefix), _) => prefix,
            (None, Some(mask)) => netmask_prefix(mask)?,
            (None, None) if family == "ipv6" => 64,
            (None, None) => 24,
        };
        let dhcp = ip.dhcp.unwrap_or_default();
        ips.push(NetworkIp {
            family,
            address,
            prefix,
            dhcp_ranges: dhcp.range.into_iter().map(|r| DhcpRange { start: r.start, end: r.end }).collect(),
            hosts: dhcp
                .host
                .into_iter()
                .filter_map(|h| Some(DhcpHost { mac: h.mac, name: h.name, ip: h.ip? }))
                .collect(),
        });
    }
    Ok(NetworkConfig {
        name: doc.name,
        uuid: doc.uuid.unwrap_or_default(),
        // `<forward/>` without a mode is NAT.
        forward: doc.forward.map(|f| f.mode.unwrap_or_else(|| "nat".into())),
        bridge: doc.bridge.and_then(|b| b.name),
        ips,
        dns_hosts: doc
            .dns
            .map(|dns| dns.host)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|h| Some(DnsHost { ip: h.ip?, hostnames: h.hostname }))
            .collect(),
        mtu: doc.mtu.and_then(|m| m.size),
    })
}

fn netmask_prefix(mask: &str) -> Result<u8> {
    let bits = u32::from(mask.parse::<Ipv4Addr>().context("netmask")?);
    if bits.leading_ones() + bits.trailing_zeros() != 32 {
        bail!("netmask {mask} is not contiguous");
    }
    Ok(bits.leading_ones() as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_default_nat() {
        let net = parse_network(
            "<network><name>default</name><uuid>u</uuid><forward mode='nat'><nat><port start='1024' end='65535'/></nat></forward>\
             <bridge name='virbr0' stp='on' delay='0'/><mac address='52:54:00:0a:0b:0c'/>\
             <ip address='192.168.122.1' netmask='255.255.255.0'><dhcp><range start='192.168.122.2' end='192.168.122.254'/>\
             <host mac='52:54:00:00:00:01' name='a' ip='192.168.122.10'/></dhcp></ip>\
             <dns><host ip='192.168.122.5'><hostname>db</hostname><hostname>db.lab</hostname></host></dns>\
             <ip family='ipv6' address='fd00::1' prefix='64'/></network>",
        )
        .unwrap();
        assert_eq!(net.forward.as_deref(), Some("nat"));
        assert_eq!(net.bridge.as_deref(), Some("virbr0"));
        assert_eq!(net.ips.len(), 2);
        assert_eq!((net.ips[0].family, net.ips[0].prefix), ("ipv4", 24));
        assert_eq!(
            net.ips[0].dhcp_ranges,
            vec![DhcpRange { start: "192.168.122.2".into(), end: "192.168.122.254".into() }]
        );
        assert_eq!(net.ips[0].hosts[0].ip, "192.168.122.10");
        assert_eq!((net.ips[1].family, net.ips[1].prefix), ("ipv6", 64));
        assert_eq!(
            net.dns_hosts,
            vec![DnsHost { ip: "192.168.122.5".into(), hostnames: vec!["db".into(), "db.lab".into()] }]
        );
    }

    #[test]
    fn network_isolated_has_no_forward() {
        let net = parse_network("<network><name>iso</name><bridge name='virbr9'/></network>").unwrap();
        assert_eq!(net.forward, None);
        assert_eq!(net.mtu, None);
        assert!(net.ips.is_empty());
        let net = parse_network("<network><name>j</name><forward mode='open'/><mtu size='9000'/></network>").unwrap();
        assert_eq!((net.forward.as_deref(), net.mtu), (Some("open"), Some(9000)));
        assert!(
            parse_network("<network><name>x</name><ip address='10.0.0.1' netmask='255.0.255.0'/></network>").is_err()
        );
    }
}
