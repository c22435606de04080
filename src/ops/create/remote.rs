//! Whether an ISO image by URL is there before the VM is defined, so that the create dialog says so
//! inline instead of QEMU failing at start: http and https are read (the ISO 9660 volume descriptor,
//! by a range request); ftp and nfs, which QEMU reads itself, are checked for a listening server.
//! Install trees are probed by [`super::tree::probe`].

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::http::{self, WebUrl};
use crate::media::iso9660;

/// How long a check may take (the page validates while the user types).
const TIMEOUT: Duration = Duration::from_secs(5);

/// `Err` is the message for field `source`.
pub fn check_iso(url: &WebUrl) -> Result<(), String> {
    match url.scheme() {
        "http" | "https" => {
            let bytes = match http::get_range(url, iso9660::PVD_OFFSET, iso9660::DESCRIPTORS_LEN, TIMEOUT) {
                Ok(Ok(bytes)) => bytes,
                Ok(Err(status)) => return Err(format!("{url} cannot be read: the server answered HTTP {status}")),
                Err(err) => return Err(format!("{url} cannot be read: {err}")),
            };
            match iso9660::parse(&bytes) {
                Ok(_) => Ok(()),
                Err(_) => Err(format!("{url} is not an ISO image (it has no ISO 9660 volume descriptor)")),
            }
        }
        _ => reachable(&url.host(), url.port()).map_err(|err| format!("{url} cannot be read: {err}")),
    }
}

/// Whether a TCP server listens at `host:port`, name resolution included, within [`TIMEOUT`].
fn reachable(host: &str, port: u16) -> Result<(), String> {
    let deadline = Instant::now() + TIMEOUT;
    let (tx, rx) = mpsc::channel();
    let target = (host.to_string(), port);
    // getaddrinfo has no timeout: it runs on its own thread and is abandoned at the deadline.
    std::thread::Builder::new()
        .name("resolve".into())
        .spawn(move || tx.send(target.to_socket_addrs().map(Vec::from_iter)))
        .map_err(|err| format!("cannot resolve {host}: {err}"))?;
    let addrs: Vec<SocketAddr> = match rx.recv_timeout(TIMEOUT) {
        Ok(Ok(addrs)) => addrs,
        Ok(Err(err)) => return Err(format!("cannot resolve {host}: {err}")),
        Err(_) => return Err(format!("cannot resolve {host} within {} s", TIMEOUT.as_secs())),
    };
    let mut last = format!("{host} has no address");
    for addr in addrs {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(format!("no answer from {host} within {} s", TIMEOUT.as_secs()));
        }
        match TcpStream::connect_timeout(&addr, left) {
            Ok(_) => return Ok(()),
            Err(err) => last = format!("cannot connect to {host}:{port}: {err}"),
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::UrlUse;
    use crate::http::testserver::{Server, ok, status};

    #[test]
    fn remote_iso_checks() {
        let iso = iso9660::tests::tiny_iso("Debian 12", "LINUX", "", "");
        let server = Server::start(vec![ok(&iso), ok(b"<html>not an iso</html>"), status("404 Not Found", "")]);
        let url = WebUrl::parse(&server.url("/x.iso"), UrlUse::Media).unwrap();
        assert_eq!(check_iso(&url), Ok(()));
        let html = check_iso(&url).unwrap_err();
        assert!(html.contains("is not an ISO image"), "{html}");
        let missing = check_iso(&url).unwrap_err();
        assert!(missing.contains("HTTP 404"), "{missing}");
        server.requests();

        // Nobody listens on port 1: refused at once, for every scheme.
        for scheme in ["http", "ftp", "nfs"] {
            let url = WebUrl::parse(&format!("{scheme}://127.0.0.1:1/x.iso"), UrlUse::Media).unwrap();
            let message = check_iso(&url).unwrap_err();
            assert!(message.contains("cannot be read") && message.contains("127.0.0.1"), "{scheme}: {message}");
        }
        let ftp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("ftp://127.0.0.1:{}/x.iso", ftp.local_addr().unwrap().port());
        assert_eq!(check_iso(&WebUrl::parse(&url, UrlUse::Media).unwrap()), Ok(()));
    }
}
