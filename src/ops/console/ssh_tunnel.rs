//! The graphical console of a VM on a `qemu+ssh://` host. libvirt cannot hand over QEMU's VNC socket across ssh
//! (`virDomainOpenGraphicsFD` needs a local UNIX socket to pass the descriptor), so the helper runs the user's own
//! ssh with `-W address:port`: ssh connects to the VNC port on the remote host itself and carries the bytes on its
//! stdin and stdout, which are one end of a socketpair. No port is opened on either machine; the other end is
//! relayed like a local VNC socket, and the ssh process ends with the console (killed on drop).

use std::io::Read;
use std::net::IpAddr;
use std::process::{Child, Command, Stdio};

use crate::model::uri::Uri;
use crate::problem::Problem;

/// How long ssh may take to reach the host (ssh's own `ConnectTimeout`).
const CONNECT_TIMEOUT_SECS: u32 = 10;

/// A running `ssh -W`; the socket is the console's end.
pub struct Tunnel {
    child: Child,
    pub socket: std::os::unix::net::UnixStream,
}

impl Tunnel {
    /// ssh's complaint, once it has ended (why the console closed without a byte).
    pub fn failure(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut text = String::new();
        if let Some(stderr) = self.child.stderr.take() {
            let _ = stderr.take(4096).read_to_string(&mut text);
        }
        text.trim().to_string()
    }
}

impl Drop for Tunnel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where the remote VNC server is reached from the remote host: its listen address (any-address means its
/// loopback), which must be an IP address (the remote host's XML is not trusted to name an ssh option).
pub fn vnc_address(listen: Option<&str>) -> Result<IpAddr, Problem> {
    let refused = || Problem::not_supported("The VM's VNC display does not listen on an IP address");
    let address: IpAddr = listen.unwrap_or("127.0.0.1").parse().map_err(|_| refused())?;
    Ok(match address {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::from([127, 0, 0, 1]),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        other => other,
    })
}

/// The ssh command libvirt's ssh transport would run for `uri` (user, port, `keyfile=`), in batch mode, forwarding
/// stdio to `address:port` on that host.
fn command(uri: &Uri, address: IpAddr, port: u16) -> Result<Command, Problem> {
    let text = uri.as_str();
    let rest = text.strip_prefix("qemu+ssh://").ok_or_else(|| Problem::internal("not a qemu+ssh URI"))?;
    let (authority, path_query) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (user, host_port) = match authority.rsplit_once('@') {
        Some((user, host)) => (Some(user), host),
        None => (None, authority),
    };
    let (host, ssh_port) = match host_port.strip_prefix('[') {
        Some(v6) => {
            let (address, after) = v6.split_once(']').unwrap_or((v6, ""));
            (address, after.strip_prefix(':'))
        }
        None => match host_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        },
    };
    let keyfile = path_query
        .split_once('?')
        .map(|(_, query)| query)
        .unwrap_or("")
        .split('&')
        .find_map(|param| param.strip_prefix("keyfile="));
    let mut ssh = Command::new("ssh");
    ssh.args(["-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes", "-T"])
        .arg("-o")
        .arg(format!("ConnectTimeout={CONNECT_TIMEOUT_SECS}"));
    if let Some(port) = ssh_port {
        ssh.arg("-p").arg(port);
    }
    if let Some(user) = user {
        ssh.arg("-l").arg(user);
    }
    if let Some(keyfile) = keyfile {
        ssh.arg("-i").arg(keyfile);
    }
    let target = match address {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    };
    ssh.arg("-W").arg(target).arg("--").arg(host);
    Ok(ssh)
}

/// Starts `ssh -W` to the VNC server at `address:port` on the host of `uri`.
pub fn open(uri: &Uri, address: IpAddr, port: u16) -> Result<Tunnel, Problem> {
    let fail = |err: std::io::Error| Problem::internal(format!("Cannot start ssh for the console: {err}"));
    let (ours, theirs) = std::os::unix::net::UnixStream::pair().map_err(fail)?;
    let theirs_out = theirs.try_clone().map_err(fail)?;
    let child = command(uri, address, port)?
        .stdin(Stdio::from(std::os::fd::OwnedFd::from(theirs)))
        .stdout(Stdio::from(std::os::fd::OwnedFd::from(theirs_out)))
        .stderr(Stdio::piped())
        .spawn()
        .map_err(fail)?;
    Ok(Tunnel { child, socket: ours })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(uri: &str, address: &str, port: u16) -> Vec<String> {
        let ssh = command(&Uri::parse(uri).unwrap(), address.parse().unwrap(), port).unwrap();
        ssh.get_args().map(|a| a.to_string_lossy().into_owned()).collect()
    }

    #[test]
    fn ssh_tunnel_runs_the_users_ssh_in_batch_mode_to_the_vnc_port() {
        let args = argv("qemu+ssh://root@h.example:2222/system?no_tty=1&keyfile=/home/u/.ssh/k", "127.0.0.1", 5900);
        let tail: Vec<&str> = args.iter().map(String::as_str).skip(5).collect();
        assert_eq!(
            tail,
            [
                "-o",
                "ConnectTimeout=10",
                "-p",
                "2222",
                "-l",
                "root",
                "-i",
                "/home/u/.ssh/k",
                "-W",
                "127.0.0.1:5900",
                "--",
                "h.example"
            ]
        );
        assert!(args.contains(&"BatchMode=yes".to_string()));
        let args = argv("qemu+ssh://[fe80::1]/system", "::1", 5901);
        assert_eq!(&args[args.len() - 3..], ["[::1]:5901", "--", "fe80::1"]);
    }

    #[test]
    fn ssh_tunnel_reaches_any_address_displays_on_the_remote_loopback() {
        assert_eq!(vnc_address(None).unwrap().to_string(), "127.0.0.1");
        assert_eq!(vnc_address(Some("0.0.0.0")).unwrap().to_string(), "127.0.0.1");
        assert_eq!(vnc_address(Some("::")).unwrap().to_string(), "::1");
        assert_eq!(vnc_address(Some("192.0.2.5")).unwrap().to_string(), "192.0.2.5");
        assert!(vnc_address(Some("-oProxyCommand=x")).is_err());
        assert!(vnc_address(Some("host.example")).is_err());
    }
}
