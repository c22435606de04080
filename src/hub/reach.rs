//! Whether a remote libvirt host's port answers: "no such host", "nothing answers" and "refused" told
//! apart by the socket error rather than by libvirt's (translated) message. Used before a migration, by
//! op `connections`, and by a hub whose remote connection fails (its status then carries the reason).

use std::io;
use std::net::ToSocketAddrs;
use std::time::Duration;

use crate::model::uri::Uri;
use crate::problem::{Problem, ProblemCode, Reason};

/// How long the reachability check waits for the destination's port.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Connects to the port libvirt's remote driver will use, so that "no such host", "nothing answers" and
/// "refused" are told apart by the socket error rather than by libvirt's (translated) message.
/// Blocking: name resolution has no timeout of its own, so callers run it on a worker under a deadline.
pub fn probe(host: &str, port: u16) -> Result<(), Problem> {
    let addresses: Vec<_> = match (host, port).to_socket_addrs() {
        Ok(addresses) => addresses.collect(),
        Err(err) => {
            return Err(unreachable(format!("Cannot reach {host}: the name does not resolve ({err})")));
        }
    };
    let mut last = None;
    for address in &addresses {
        match std::net::TcpStream::connect_timeout(address, PROBE_TIMEOUT) {
            Ok(_) => return Ok(()),
            Err(err) => last = Some(err),
        }
    }
    let err = last.unwrap_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address"));
    if err.kind() == io::ErrorKind::ConnectionRefused {
        Err(Problem::new(ProblemCode::InternalError, format!("{host} refused the connection on port {port}: {err}"))
            .with_reason(Reason::PortClosed))
    } else {
        Err(unreachable(format!("Cannot reach {host} on port {port}: {err}")))
    }
}

pub fn unreachable(message: String) -> Problem {
    Problem::new(ProblemCode::InternalError, message).with_reason(Reason::HostUnreachable)
}

/// Why a connection to `uri` failed when it was not a refused login: the reason of its port probe, or
/// `None` for a local URI or a port that answers.
pub fn reason_for(uri: &Uri) -> Option<Reason> {
    let (host, port) = uri.remote_endpoint()?;
    probe(&host, port).err().and_then(|problem| problem.reason)
}
