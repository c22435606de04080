//! Storage pools and virtual networks as the page sees them.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pool {
    pub id: String,
    pub name: String,
    /// libvirt's pool type: `dir`, `fs`, `netfs`, `logical`, `disk`, `iscsi`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// `running`, `inactive`, `building`, `degraded`, `inaccessible`.
    pub state: &'static str,
    pub active: bool,
    pub persistent: bool,
    pub autostart: bool,
    /// Bytes, as libvirt last saw them (a refresh updates them).
    pub capacity: u64,
    pub allocation: u64,
    pub available: u64,
    /// `<target><path>`: the directory, volume group device or mount point.
    pub path: Option<String>,
    /// `<source>`: device, host, directory or VG name, when the type has one.
    pub source: Option<String>,
    /// Counts the helper's re-reads of this pool (after an event or its own operation), so a page that shows
    /// the pool's volumes knows to list them again (libvirt has no volume events).
    pub refreshed: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkConfig {
    pub name: String,
    pub uuid: String,
    /// `nat`, `route`, `open`, `bridge`, …; `null`: isolated (no `<forward>`).
    pub forward: Option<String>,
    pub bridge: Option<String>,
    pub ips: Vec<NetworkIp>,
    /// `<dns><host>`: names the network's DNS server answers with an address.
    pub dns_hosts: Vec<DnsHost>,
    /// `<mtu size=…/>`: the bridge's MTU in bytes; `null`: libvirt's default (that of the bridge's devices).
    pub mtu: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsHost {
    pub ip: String,
    pub hostnames: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkIp {
    /// `ipv4` or `ipv6`.
    pub family: &'static str,
    pub address: String,
    pub prefix: u8,
    pub dhcp_ranges: Vec<DhcpRange>,
    pub hosts: Vec<DhcpHost>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DhcpRange {
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DhcpHost {
    pub mac: Option<String>,
    pub name: Option<String>,
    pub ip: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Network {
    pub id: String,
    pub active: bool,
    pub persistent: bool,
    pub autostart: bool,
    #[serde(flatten)]
    pub config: NetworkConfig,
}

/// libvirt's `virStoragePoolState` as a word.
pub fn pool_state_name(state: u32) -> &'static str {
    match state {
        1 => "building",
        2 => "running",
        3 => "degraded",
        4 => "inaccessible",
        _ => "inactive",
    }
}
