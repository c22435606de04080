//! Why a migration failed, as a `reason` code the page can act on. Everything here runs before or around
//! libvirt's calls; libvirt's own message is always kept as the problem's message.

use virt_sys as sys;

use crate::problem::{Problem, ProblemCode, Reason, is_access_error};

// The reachability check lives with the hubs, which also tell a lost host's reason by it.
pub use crate::hub::reach::{PROBE_TIMEOUT, probe, unreachable};

/// Opening the destination's connection failed (after the port answered).
pub fn connect_error(err: virt::error::Error) -> Problem {
    let access = is_access_error(&err);
    let mut problem = Problem::from(err);
    problem.message = format!("Cannot connect to the destination: {}", problem.message);
    if access {
        problem.reason = Some(Reason::AuthFailed);
    } else if problem.libvirt_error == Some(sys::VIR_ERR_SYSTEM_ERROR as i32) {
        // A transport that dies after the TCP handshake (ssh that cannot resolve or reach the host itself).
        problem.reason = Some(Reason::HostUnreachable);
    }
    problem
}

/// The migration call failed.
pub fn migrate_error(err: virt::error::Error) -> Problem {
    let raw = err.code().to_raw();
    let access = is_access_error(&err);
    let mut problem = Problem::from(err);
    problem.reason = if access {
        Some(Reason::AuthFailed)
    } else if raw == sys::VIR_ERR_NO_STORAGE_POOL {
        // libvirt precreates copied disks in the destination pool whose directory holds them.
        problem.code = ProblemCode::InvalidArgument;
        Some(Reason::NoSuchPool)
    } else if raw == sys::VIR_ERR_MIGRATE_UNSAFE {
        problem.code = ProblemCode::InvalidArgument;
        Some(Reason::StorageNotShared)
    } else if raw == sys::VIR_ERR_CPU_INCOMPATIBLE {
        problem.code = ProblemCode::InvalidArgument;
        Some(Reason::CpuIncompatible)
    } else {
        None
    };
    if raw == sys::VIR_ERR_OPERATION_ABORTED {
        problem.code = ProblemCode::Terminated;
    }
    problem
}

/// The host UUID in a capabilities document (`<host><uuid>`).
pub fn host_uuid(capabilities: &str) -> Option<&str> {
    let host = &capabilities[capabilities.find("<host>")?..];
    let start = host.find("<uuid>")? + "<uuid>".len();
    let end = start + host[start..].find("</uuid>")?;
    Some(host[start..end].trim())
}

pub fn same_host() -> Problem {
    Problem::new(ProblemCode::InvalidArgument, "The destination is this VM's own host (the same host UUID)")
        .with_reason(Reason::SameHost)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrate_probe_tells_closed_port_from_unknown_host() {
        // A port nothing listens on: bind one, learn its number, close it.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        assert_eq!(probe("127.0.0.1", port).unwrap_err().reason, Some(Reason::PortClosed));
        assert_eq!(probe("cvtest-no-such-host.invalid", 22).unwrap_err().reason, Some(Reason::HostUnreachable));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe("127.0.0.1", listener.local_addr().unwrap().port()).unwrap();
    }

    #[test]
    fn migrate_host_uuid_comes_from_the_host_element() {
        let caps = "<capabilities><host><uuid>11111111-2222-3333-4444-555555555555</uuid><cpu/></host>\
                    <guest><uuid>x</uuid></guest></capabilities>";
        assert_eq!(host_uuid(caps), Some("11111111-2222-3333-4444-555555555555"));
        assert_eq!(host_uuid("<capabilities/>"), None);
    }
}
