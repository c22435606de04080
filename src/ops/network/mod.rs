//! op `network`: one action on a virtual network (or a new one), answered with one message
//! (`docs/api.md`). The hub re-reads the network afterwards.

mod leases;
mod subnet;
mod subnet6;

use std::net::Ipv4Addr;
use std::sync::Arc;

use quick_xml::escape::escape;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use virt::connect::Connect;
use virt::network::Network;
use virt_sys as sys;

use super::target::{CONNECT_TIMEOUT, by_uuid_or_name};
use super::{Context, OpBody, OpResult, parse_options};
use crate::hub::Hub;
use crate::hub::resources::ResourceKind;
use crate::model::uri::Uri;
use crate::problem::{Problem, ProblemCode};
use crate::router::channel::ChannelIo;
use subnet::{Subnet, check_range};
use subnet6::{Subnet6, check_range6};

/// A subnet of a new network, IPv4 or IPv6: the host's address on it, the prefix, a DHCP range.
#[derive(Deserialize, Clone)]
struct IpSpec {
    address: String,
    prefix: u8,
    dhcp: Option<RangeSpec>,
}

#[derive(Deserialize, Clone)]
struct RangeSpec {
    start: String,
    end: String,
}

#[derive(Deserialize)]
struct NetworkOptions {
    uri: Uri,
    action: String,
    /// Name or UUID; for `create`, the new network's name.
    network: String,
    enable: Option<bool>,
    forward: Option<String>,
    ipv4: Option<IpSpec>,
    ipv6: Option<IpSpec>,
    #[serde(default)]
    autostart: bool,
    mac: Option<String>,
    ip: Option<String>,
    name: Option<String>,
    /// A new network's MTU in bytes (create); none: libvirt's default.
    mtu: Option<u32>,
    /// DNS host entries: the names for `ip`.
    #[serde(default)]
    hostnames: Vec<String>,
}

enum NetworkAction {
    Start,
    Stop,
    Autostart {
        enable: bool,
    },
    Delete,
    Leases,
    AddHost {
        host_xml: String,
    },
    RemoveHost {
        host_xml: String,
    },
    AddDnsHost {
        host_xml: String,
    },
    RemoveDnsHost {
        host_xml: String,
    },
    Create {
        forward: Option<&'static str>,
        ipv4: Option<IpSpec>,
        ipv6: Option<IpSpec>,
        mtu: Option<Mtu>,
        autostart: bool,
    },
}

/// A bridge MTU Linux and both IP families accept: from IPv6's minimum link MTU to the largest an Ethernet
/// device takes.
#[derive(Clone, Copy)]
struct Mtu(u32);

const MTU_MIN: u32 = 1280;
const MTU_MAX: u32 = 65535;

impl Mtu {
    fn parse(size: u32) -> Result<Mtu, Problem> {
        if !(MTU_MIN..=MTU_MAX).contains(&size) {
            return Err(invalid(format!("The MTU must be between {MTU_MIN} and {MTU_MAX} bytes, not {size}")));
        }
        Ok(Mtu(size))
    }
}

fn invalid(message: impl Into<String>) -> Problem {
    Problem::new(ProblemCode::InvalidArgument, message)
}

fn host_xml(options: &NetworkOptions) -> Result<String, Problem> {
    let ip = options.ip.as_deref().ok_or_else(|| Problem::protocol("a DHCP host needs \"ip\""))?;
    ip.parse::<Ipv4Addr>().map_err(|_| invalid(format!("\"{ip}\" is not an IPv4 address")))?;
    let mut xml = format!("<host ip='{ip}'");
    if let Some(mac) = &options.mac {
        let valid = mac.len() == 17 && mac.split(':').all(|b| b.len() == 2 && b.chars().all(|c| c.is_ascii_hexdigit()));
        if !valid {
            return Err(invalid(format!("\"{mac}\" is not a MAC address")));
        }
        xml.push_str(&format!(" mac='{mac}'"));
    }
    if let Some(name) = &options.name {
        xml.push_str(&format!(" name='{}'", escape(name.as_str())));
    }
    if options.mac.is_none() && options.name.is_none() {
        return Err(invalid("A DHCP host needs a MAC address or a name"));
    }
    xml.push_str("/>");
    Ok(xml)
}

/// `<host ip='…'><hostname>…</hostname>…</host>` of `<dns>`.
fn dns_host_xml(options: &NetworkOptions) -> Result<String, Problem> {
    let ip = options.ip.as_deref().ok_or_else(|| Problem::protocol("a DNS host needs \"ip\""))?;
    let ip: std::net::IpAddr = ip.parse().map_err(|_| invalid(format!("\"{ip}\" is not an IP address")))?;
    if options.hostnames.is_empty() {
        return Err(invalid("A DNS host needs at least one host name"));
    }
    let mut xml = format!("<host ip='{ip}'>");
    for name in &options.hostnames {
        let valid = !name.is_empty()
            && name.len() <= 253
            && name.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            });
        if !valid {
            return Err(invalid(format!("\"{name}\" is not a host name")));
        }
        xml.push_str(&format!("<hostname>{name}</hostname>"));
    }
    xml.push_str("</host>");
    Ok(xml)
}

fn parse(options: &NetworkOptions) -> Result<NetworkAction, Problem> {
    Ok(match options.action.as_str() {
        "start" => NetworkAction::Start,
        "stop" => NetworkAction::Stop,
        "autostart" => NetworkAction::Autostart {
            enable: options.enable.ok_or_else(|| Problem::protocol("action \"autostart\" needs \"enable\""))?,
        },
        "delete" => NetworkAction::Delete,
        "leases" => NetworkAction::Leases,
        "add-host" => NetworkAction::AddHost { host_xml: host_xml(options)? },
        "remove-host" => NetworkAction::RemoveHost { host_xml: host_xml(options)? },
        "add-dns-host" => NetworkAction::AddDnsHost { host_xml: dns_host_xml(options)? },
        "remove-dns-host" => NetworkAction::RemoveDnsHost { host_xml: dns_host_xml(options)? },
        "create" => NetworkAction::Create {
            forward: match options.forward.as_deref() {
                Some("nat") => Some("nat"),
                Some("route") => Some("route"),
                Some("open") => Some("open"),
                Some("isolated") | None => None,
                Some(other) => return Err(Problem::protocol(format!("unknown forward mode \"{other}\""))),
            },
            ipv4: options.ipv4.clone(),
            ipv6: options.ipv6.clone(),
            mtu: options.mtu.map(Mtu::parse).transpose()?,
            autostart: options.autostart,
        },
        other => return Err(Problem::not_supported(format!("unknown network action \"{other}\""))),
    })
}

pub fn open(options: &Map<String, Value>, ctx: &Arc<Context>) -> Result<OpBody, Problem> {
    let parsed: NetworkOptions = parse_options(options)?;
    if parsed.network.is_empty() {
        return Err(Problem::protocol("\"network\" must not be empty"));
    }
    let action = parse(&parsed)?;
    let hub = ctx.hubs.get(&parsed.uri)?;
    Ok(Box::new(move |io| Box::pin(run(io, hub, parsed.uri.as_str().to_owned(), parsed.network, action))))
}

async fn run(mut io: ChannelIo, hub: Arc<Hub>, uri: String, network: String, action: NetworkAction) -> OpResult {
    io.ready();
    if let NetworkAction::Create { forward, ipv4, ipv6, mtu, autostart } = action {
        let plan = plan_create(&hub, &uri, &network, forward, ipv4.as_ref(), ipv6.as_ref(), mtu)?;
        let (uuid, answer) = hub.call(CONNECT_TIMEOUT, move |conn| create(conn, &plan, autostart)).await?;
        hub.refresh_resource(ResourceKind::Network, &uuid);
        io.send_json(&answer);
        return Ok(Map::new());
    }
    let (uuid, answer) = hub
        .call(CONNECT_TIMEOUT, move |conn| {
            let net = lookup(conn, &network)?;
            let uuid = net.uuid_string()?;
            let answer = perform(&net, &action)?;
            Ok((uuid, answer))
        })
        .await?;
    hub.refresh_resource(ResourceKind::Network, &uuid);
    io.send_json(&answer);
    Ok(Map::new())
}

fn lookup(conn: &Connect, network: &str) -> Result<Network, Problem> {
    by_uuid_or_name(network, |uuid| conn.lookup_network_by_uuid_string(uuid), |name| conn.lookup_network_by_name(name))
}

fn perform(net: &Network, action: &NetworkAction) -> Result<Value, Problem> {
    // Host changes go to the definition, and to the running network too when it runs.
    let update_flags = || {
        let mut flags = sys::VIR_NETWORK_UPDATE_AFFECT_CONFIG;
        if net.is_active().unwrap_or(false) {
            flags |= sys::VIR_NETWORK_UPDATE_AFFECT_LIVE;
        }
        flags
    };
    match action {
        NetworkAction::Start => net.create()?,
        NetworkAction::Stop => net.destroy()?,
        NetworkAction::Autostart { enable } => net.set_autostart(*enable)?,
        NetworkAction::Delete => {
            if net.is_active()? {
                net.destroy()?;
            }
            if net.is_persistent()? {
                net.undefine()?;
            }
        }
        NetworkAction::Leases => return Ok(json!({ "leases": leases::leases(net)? })),
        NetworkAction::AddHost { host_xml } => net.update(
            sys::VIR_NETWORK_UPDATE_COMMAND_ADD_LAST,
            sys::VIR_NETWORK_SECTION_IP_DHCP_HOST,
            -1,
            host_xml,
            update_flags(),
        )?,
        NetworkAction::RemoveHost { host_xml } => net.update(
            sys::VIR_NETWORK_UPDATE_COMMAND_DELETE,
            sys::VIR_NETWORK_SECTION_IP_DHCP_HOST,
            -1,
            host_xml,
            update_flags(),
        )?,
        NetworkAction::AddDnsHost { host_xml } => net.update(
            sys::VIR_NETWORK_UPDATE_COMMAND_ADD_LAST,
            sys::VIR_NETWORK_SECTION_DNS_HOST,
            -1,
            host_xml,
            update_flags(),
        )?,
        NetworkAction::RemoveDnsHost { host_xml } => net.update(
            sys::VIR_NETWORK_UPDATE_COMMAND_DELETE,
            sys::VIR_NETWORK_SECTION_DNS_HOST,
            -1,
            host_xml,
            update_flags(),
        )?,
        NetworkAction::Create { .. } => unreachable!("handled by create"),
    }
    Ok(json!({"ok": true}))
}

struct CreatePlan {
    name: String,
    xml: String,
}

/// Checks the name and the IPv4 and IPv6 setup against the host and the other networks, and writes the XML.
fn plan_create(
    hub: &Hub,
    uri: &str,
    name: &str,
    forward: Option<&'static str>,
    ipv4: Option<&IpSpec>,
    ipv6: Option<&IpSpec>,
    mtu: Option<Mtu>,
) -> Result<CreatePlan, Problem> {
    if name.contains('/') || name.chars().any(char::is_control) || name.len() > 200 {
        return Err(invalid("A network name may not contain \"/\" or control characters"));
    }
    let others = hub.resources.snapshot();
    if others.network_values.values().any(|n| n.config.name == name) {
        return Err(invalid(format!("A network named \"{name}\" already exists")));
    }
    let local = uri.split_once(":///").is_some_and(|(scheme, _)| !scheme.contains('+') && scheme != "test");
    let mut xml = format!("<network><name>{}</name>", escape(name));
    if let Some(mode) = forward {
        xml.push_str(&format!("<forward mode='{mode}'/>"));
    }
    if let Some(Mtu(size)) = mtu {
        xml.push_str(&format!("<mtu size='{size}'/>"));
    }
    if let Some(spec) = ipv4 {
        let subnet = Subnet::parse(&spec.address, spec.prefix).map_err(invalid)?;
        for other in others.network_values.values() {
            for ip in other.config.ips.iter().filter(|ip| ip.family == "ipv4") {
                if let Ok(theirs) = Subnet::parse(&ip.address, ip.prefix)
                    && subnet.overlaps(&theirs)
                {
                    return Err(invalid(format!("{subnet} overlaps network \"{}\" ({theirs})", other.config.name)));
                }
            }
        }
        if local {
            let bridges: Vec<&str> =
                others.network_values.values().filter_map(|n| n.config.bridge.as_deref()).collect();
            for (interface, theirs) in subnet::host_subnets() {
                if !bridges.contains(&interface.as_str()) && subnet.overlaps(&theirs) {
                    return Err(invalid(format!(
                        "{subnet} overlaps the host's address {}/{} on {interface}",
                        theirs.address, theirs.prefix
                    )));
                }
            }
        }
        xml.push_str(&format!("<ip address='{}' netmask='{}'>", subnet.address, subnet.netmask()));
        if let Some(range) = &spec.dhcp {
            let (start, end) = check_range(&subnet, &range.start, &range.end).map_err(invalid)?;
            xml.push_str(&format!("<dhcp><range start='{start}' end='{end}'/></dhcp>"));
        }
        xml.push_str("</ip>");
    } else if forward == Some("nat") || (forward.is_some() && ipv6.is_none()) {
        return Err(invalid(
            "A forwarding network needs an IPv4 address (NAT), or an IPv4 or IPv6 address (routed, open)",
        ));
    }
    if let Some(spec) = ipv6 {
        xml.push_str(&ipv6_xml(&others, local, spec)?);
    }
    xml.push_str("</network>");
    Ok(CreatePlan { name: name.to_string(), xml })
}

/// The `<ip family='ipv6'>` of a new network, refused when it overlaps another network's IPv6
/// subnet or, on local URIs, an address of the host outside libvirt's bridges.
fn ipv6_xml(others: &crate::hub::resources::ResourceSnapshot, local: bool, spec: &IpSpec) -> Result<String, Problem> {
    let subnet = Subnet6::parse(&spec.address, spec.prefix).map_err(invalid)?;
    for other in others.network_values.values() {
        for ip in other.config.ips.iter().filter(|ip| ip.family == "ipv6") {
            if let Ok(theirs) = ip.address.parse().map(|a| Subnet6::from_host(a, ip.prefix))
                && subnet.overlaps(&theirs)
            {
                return Err(invalid(format!("{subnet} overlaps network \"{}\" ({theirs})", other.config.name)));
            }
        }
    }
    if local {
        let bridges: Vec<&str> = others.network_values.values().filter_map(|n| n.config.bridge.as_deref()).collect();
        for (interface, theirs) in subnet::host_subnets6() {
            let link_local = u128::from(theirs.address) >> 118 == 0x3fa;
            if !link_local && !bridges.contains(&interface.as_str()) && subnet.overlaps(&theirs) {
                return Err(invalid(format!(
                    "{subnet} overlaps the host's address {}/{} on {interface}",
                    theirs.address, theirs.prefix
                )));
            }
        }
    }
    let mut xml = format!("<ip family='ipv6' address='{}' prefix='{}'>", subnet.address, subnet.prefix);
    if let Some(range) = &spec.dhcp {
        let (start, end) = check_range6(&subnet, &range.start, &range.end).map_err(invalid)?;
        xml.push_str(&format!("<dhcp><range start='{start}' end='{end}'/></dhcp>"));
    }
    xml.push_str("</ip>");
    Ok(xml)
}

/// Defines, starts and (optionally) autostarts; a failure after the define undefines again.
fn create(conn: &Connect, plan: &CreatePlan, autostart: bool) -> Result<(String, Value), Problem> {
    let net = conn.define_network_xml(&plan.xml)?;
    // Autostart before the start: the start's event then shows it to every other session (autostart has no event).
    let started = if autostart { net.set_autostart(true) } else { Ok(()) }.and_then(|_| net.create());
    if let Err(err) = started {
        let _ = net.destroy();
        let _ = net.undefine();
        return Err(err.into());
    }
    let uuid = net.uuid_string()?;
    Ok((uuid.clone(), json!({"ok": true, "network": {"id": uuid, "name": plan.name}})))
}
