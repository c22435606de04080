//! op `pool-sources`: what a new storage pool could be made from, as libvirt finds it
//! (`virConnectFindStoragePoolSources`): the host's LVM volume groups, a server's NFS exports or iSCSI targets.
//! One result message (`docs/api.md`).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::ops::target::CONNECT_TIMEOUT;
use crate::ops::{Context, OpBody, OpResult, parse_options};
use crate::problem::{Problem, ProblemCode};
use crate::router::channel::ChannelIo;
use crate::xml::pool_sources::{parse_sources, source_spec};

/// Discovery runs a program on the host (`vgs`, `showmount`, `iscsiadm`) that may wait on a silent server.
const DISCOVERY_DEADLINE: Duration = Duration::from_secs(30);

/// The pool types libvirt can discover sources for, and whether each needs a server to ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Discoverable {
    /// The volume groups of the host libvirtd runs on.
    Logical,
    /// The exports of an NFS server.
    Netfs,
    /// The targets of an iSCSI portal (sendtargets).
    Iscsi,
    /// The volumes of a Gluster server.
    Gluster,
}

impl Discoverable {
    fn parse(kind: &str) -> Option<Discoverable> {
        Some(match kind {
            "logical" => Discoverable::Logical,
            "netfs" => Discoverable::Netfs,
            "iscsi" => Discoverable::Iscsi,
            "gluster" => Discoverable::Gluster,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            Discoverable::Logical => "logical",
            Discoverable::Netfs => "netfs",
            Discoverable::Iscsi => "iscsi",
            Discoverable::Gluster => "gluster",
        }
    }
}

/// A server to ask: an IP address or a DNS name (labels of letters, digits and inner hyphens).
#[derive(Debug, Clone, PartialEq, Eq)]
struct ServerName(String);

impl ServerName {
    fn parse(host: &str) -> Option<ServerName> {
        let dns = host.len() <= 253
            && host.trim_end_matches('.').split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        (dns || host.parse::<IpAddr>().is_ok()).then(|| ServerName(host.to_owned()))
    }
}

#[derive(Debug, PartialEq, Eq)]
struct Request {
    kind: Discoverable,
    server: Option<ServerName>,
    port: Option<u16>,
}

#[derive(Deserialize)]
struct SourcesOptions {
    uri: crate::model::uri::Uri,
    #[serde(rename = "type")]
    kind: String,
    /// Not `host`: in an `open`, Cockpit's bridge takes `host` as the machine to route the channel to.
    server: Option<String>,
    port: Option<i64>,
}

fn invalid(message: String) -> Problem {
    Problem::new(ProblemCode::InvalidArgument, message)
}

fn validate(kind: &str, host: Option<&str>, port: Option<i64>) -> Result<Request, Problem> {
    let kind = Discoverable::parse(kind).ok_or_else(|| {
        Problem::new(ProblemCode::NotSupported, format!("libvirt cannot look for sources of \"{kind}\" pools"))
    })?;
    let port = match port {
        None => None,
        Some(p) => Some(
            u16::try_from(p)
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| invalid(format!("{p} is not a port (1 to 65535)")))?,
        ),
    };
    let server = match host {
        None | Some("") => None,
        Some(host) => {
            Some(ServerName::parse(host).ok_or_else(|| invalid(format!("\"{host}\" is not a host name or address")))?)
        }
    };
    match kind {
        Discoverable::Logical if server.is_some() || port.is_some() => {
            Err(invalid("Volume groups are looked for on the connection's own host: no server or port".into()))
        }
        Discoverable::Netfs | Discoverable::Iscsi | Discoverable::Gluster if server.is_none() => {
            Err(invalid(format!("Looking for {} sources needs a server", kind.as_str())))
        }
        Discoverable::Netfs | Discoverable::Gluster if port.is_some() => {
            Err(invalid(format!("Looking for {} sources takes no port", kind.as_str())))
        }
        _ => Ok(Request { kind, server, port }),
    }
}

pub fn open(options: &Map<String, Value>, ctx: &Arc<Context>) -> Result<OpBody, Problem> {
    let parsed: SourcesOptions = parse_options(options)?;
    let request = validate(&parsed.kind, parsed.server.as_deref(), parsed.port)?;
    let hub = ctx.hubs.get(&parsed.uri)?;
    Ok(Box::new(move |io| Box::pin(run(io, hub, request))))
}

async fn run(mut io: ChannelIo, hub: Arc<crate::hub::Hub>, request: Request) -> OpResult {
    io.ready();
    let kind = request.kind.as_str();
    let spec = request.server.as_ref().map(|server| source_spec(&server.0, request.port));
    let found = hub
        .call_within(CONNECT_TIMEOUT, DISCOVERY_DEADLINE, move |conn| {
            let xml = conn.find_storage_pool_sources(kind, spec.as_deref(), 0).map_err(discovery_problem)?;
            parse_sources(&xml).map_err(|err| Problem::internal(format!("{err:#}")))
        })
        .await
        .map_err(|mut problem| {
            if problem.code == ProblemCode::Timeout {
                problem.message = format!("Looking for {kind} sources gave up: {}", problem.message);
            }
            problem
        })?;
    io.send_json(&serde_json::to_value(&found).map_err(|err| Problem::internal(err.to_string()))?);
    Ok(Map::new())
}

/// libvirt's message as given; "operation failed" is what it says when a server has nothing to offer
/// (or cannot be reached), which the page shows as nothing found.
fn discovery_problem(err: virt::error::Error) -> Problem {
    let failed = err.code().to_raw() == virt_sys::VIR_ERR_OPERATION_FAILED;
    let mut problem = Problem::from(err);
    if failed {
        problem.code = ProblemCode::NotFound;
    }
    problem
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(kind: &str, host: Option<&str>, port: Option<i64>) -> &'static str {
        validate(kind, host, port).unwrap_err().code.as_str()
    }

    #[test]
    fn pool_sources_validate() {
        let logical = validate("logical", None, None).unwrap();
        assert_eq!(logical, Request { kind: Discoverable::Logical, server: None, port: None });
        let iscsi = validate("iscsi", Some("192.0.2.7"), Some(3260)).unwrap();
        assert_eq!(iscsi.server, Some(ServerName("192.0.2.7".into())));
        assert_eq!(iscsi.port, Some(3260));
        assert!(validate("netfs", Some("nfs-1.example.org"), None).is_ok());
        assert!(validate("netfs", Some("fe80::1"), None).is_ok());
        assert_eq!(code("dir", None, None), "not-supported");
        assert_eq!(code("disk", None, None), "not-supported");
        assert_eq!(code("netfs", None, None), "invalid-argument");
        assert_eq!(code("netfs", Some("nfs.example"), Some(2049)), "invalid-argument");
        assert_eq!(code("logical", Some("nfs.example"), None), "invalid-argument");
        for bad in ["a b", "-x.example", "x..y", "host/x", "h'x", "a_b", &"a".repeat(64)] {
            assert_eq!(code("netfs", Some(bad), None), "invalid-argument", "{bad}");
        }
        for port in [0, -1, 65536] {
            assert_eq!(code("iscsi", Some("192.0.2.7"), Some(port)), "invalid-argument", "{port}");
        }
    }
}
