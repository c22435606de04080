//! GET over http and https with ureq: rustls with the platform verifier (the system trust store;
//! `SSL_CERT_FILE`/`SSL_CERT_DIR` point it elsewhere), proxies from the environment (`http_proxy`,
//! `https_proxy`, `all_proxy`, `no_proxy`), one deadline for the whole exchange (DNS, connect,
//! redirects, body), and redirects followed by [`follow`]'s policy. Blocking: call it off the runtime.

use std::io::{self, Read};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ureq::tls::{RootCerts, TlsConfig, TlsProvider};
use ureq::unversioned::transport::DefaultConnector;
use ureq::{Agent, Body, Proxy};

use super::guard::{Guard, GuardedResolver};
use super::weburl::{UrlUse, WebUrl};

/// Redirects followed before giving up (mirrors redirect once or twice).
const MAX_REDIRECTS: usize = 5;
/// Response headers larger than this are not a web server we want to talk to.
const MAX_HEADER_BYTES: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("no answer from {0} within {1} s")]
    Timeout(String, u64),
    #[error("cannot connect to {0}: {1}")]
    Connect(String, String),
    #[error("{0} has no valid certificate for https: {1}")]
    Certificate(String, String),
    #[error("bad answer from {0}: {1}")]
    BadResponse(String, String),
    #[error("refused a redirect to {0}: {1}")]
    Redirect(String, String),
    #[error("{0} is larger than {1} MiB")]
    TooLarge(String, u64),
}

/// A response whose body has not been read yet.
pub struct Response {
    pub status: u16,
    /// The URL that answered (after redirects).
    pub url: WebUrl,
    /// `Content-Length`, if the server sent one.
    pub length: Option<u64>,
    body: Body,
}

impl Response {
    /// The body, failing with [`HttpError::TooLarge`] once more than `max` bytes arrive.
    pub fn reader(self, max: u64) -> BodyReader {
        let url = self.url.to_string();
        BodyReader { inner: Box::new(self.body.into_with_config().limit(max).reader()), url, max }
    }

    /// At most the first `max` bytes of the body (the rest is not read).
    pub fn first_bytes(self, max: usize) -> Result<Vec<u8>, HttpError> {
        let host = self.url.host();
        let mut bytes = Vec::new();
        self.body
            .into_reader()
            .take(max as u64)
            .read_to_end(&mut bytes)
            .map_err(|err| HttpError::BadResponse(host, err.to_string()))?;
        Ok(bytes)
    }
}

/// A body being read: `io::Read`, with an error that says when the size limit was hit.
pub struct BodyReader {
    inner: Box<dyn Read + Send>,
    url: String,
    max: u64,
}

impl BodyReader {
    /// The error of a failed read, for a message: the size limit, or what the connection said.
    pub fn explain(&self, err: &io::Error) -> String {
        let over = err.get_ref().and_then(|inner| inner.downcast_ref::<ureq::Error>());
        if matches!(over, Some(ureq::Error::BodyExceedsLimit(_))) {
            HttpError::TooLarge(self.url.clone(), self.max >> 20).to_string()
        } else {
            format!("{}: {err}", self.url)
        }
    }
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

/// GETs `url`, following redirects; `range` asks for bytes `start..=end`. The whole exchange,
/// body included, must end within `timeout`.
pub fn get(url: &WebUrl, range: Option<(u64, u64)>, timeout: Duration) -> Result<Response, HttpError> {
    let deadline = Instant::now() + timeout;
    let guard = Arc::new(Guard::default());
    let agent = agent(Arc::clone(&guard));
    let mut url = url.clone();
    for _ in 0..=MAX_REDIRECTS {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(HttpError::Timeout(url.host(), timeout.as_secs()));
        }
        let mut request = agent.get(url.as_str()).config().timeout_global(Some(left)).build();
        if let Some((start, end)) = range {
            request = request.header("Range", format!("bytes={start}-{end}"));
        }
        let response = request.call().map_err(|err| error(&url, &guard, timeout, err))?;
        let status = response.status().as_u16();
        if response.status().is_redirection() && status != 304 {
            let location = response.headers().get("location").and_then(|v| v.to_str().ok());
            let location =
                location.ok_or_else(|| HttpError::BadResponse(url.host(), "redirect without Location".into()))?;
            url = follow(&url, location)?;
            continue;
        }
        let length = response.body().content_length();
        return Ok(Response { status, url, length, body: response.into_body() });
    }
    Err(HttpError::Redirect(url.to_string(), format!("more than {MAX_REDIRECTS} redirects")))
}

/// Bytes `start..start + len` of `url`, whether the server honours the range (206) or not (200); fewer
/// (maybe none) for a shorter resource. Other HTTP answers come back as `Err(status)`.
pub fn get_range(url: &WebUrl, start: u64, len: usize, timeout: Duration) -> Result<Result<Vec<u8>, u16>, HttpError> {
    let end = start + len as u64 - 1;
    let response = get(url, Some((start, end)), timeout)?;
    Ok(Ok(match response.status {
        206 => response.first_bytes(len)?,
        200 => {
            let bytes = response.first_bytes(start as usize + len)?;
            bytes.get(start as usize..).map(<[u8]>::to_vec).unwrap_or_default()
        }
        // Asked past the end of a small file: it is not an ISO.
        416 => Vec::new(),
        status => return Ok(Err(status)),
    }))
}

/// The redirect policy: at most [`MAX_REDIRECTS`] hops; `Location` is parsed like any URL (no control
/// characters, no credentials, http or https only); never from https down to http. Another host is
/// allowed (download redirectors send users to mirrors), but the resolver of the fetch refuses internal
/// addresses once a public one was reached ([`super::guard`]).
fn follow(from: &WebUrl, location: &str) -> Result<WebUrl, HttpError> {
    // Shown escaped: a hostile Location may hold line breaks, which must not reach a message or a log line.
    let shown: String = location.chars().take(200).flat_map(char::escape_debug).collect();
    let to = from.join(location, UrlUse::Fetch).map_err(|err| HttpError::Redirect(shown.clone(), err.to_string()))?;
    if from.is_https() && !to.is_https() {
        return Err(HttpError::Redirect(to.to_string(), "from https down to http".into()));
    }
    log::debug!("following a redirect from {from} to {to}");
    Ok(to)
}

/// An agent for one fetch: its own resolver guard, no redirects of its own (see [`follow`]).
fn agent(guard: Arc<Guard>) -> Agent {
    let tls = TlsConfig::builder().provider(TlsProvider::Rustls).root_certs(RootCerts::PlatformVerifier).build();
    let config = Agent::config_builder()
        .tls_config(tls)
        .proxy(Proxy::try_from_env())
        .max_redirects(0)
        .max_redirects_will_error(false)
        .http_status_as_error(false)
        .max_response_header_size(MAX_HEADER_BYTES)
        .user_agent("cockpit-virt")
        .accept_encoding("identity")
        .max_idle_connections(0)
        .build();
    Agent::with_parts(config, DefaultConnector::new(), GuardedResolver::new(guard))
}

fn error(url: &WebUrl, guard: &Guard, timeout: Duration, err: ureq::Error) -> HttpError {
    let host = url.host();
    match err {
        _ if guard.refused() => HttpError::Redirect(url.to_string(), "it is an internal address".into()),
        ureq::Error::Timeout(_) => HttpError::Timeout(host, timeout.as_secs()),
        ureq::Error::HostNotFound => HttpError::Connect(host, "host not found".into()),
        ureq::Error::Io(err) if err.kind() == io::ErrorKind::TimedOut => HttpError::Timeout(host, timeout.as_secs()),
        ureq::Error::Io(err) if err.kind() == io::ErrorKind::InvalidData && url.is_https() => {
            tls_error(host, err.get_ref().map_or_else(|| err.to_string(), ToString::to_string))
        }
        ureq::Error::Io(err) => HttpError::Connect(host, err.to_string()),
        ureq::Error::ConnectionFailed => HttpError::Connect(host, "connection failed".into()),
        ureq::Error::Rustls(err) => tls_error(host, err.to_string()),
        ureq::Error::Tls(err) => tls_error(host, err.into()),
        ureq::Error::BodyExceedsLimit(max) => HttpError::TooLarge(url.to_string(), max >> 20),
        err => HttpError::BadResponse(host, err.to_string()),
    }
}

/// rustls reports its failures as `InvalidData` I/O errors wrapping its own error: a certificate the
/// trust store does not vouch for, or another handshake failure.
fn tls_error(host: String, detail: String) -> HttpError {
    if detail.contains("certificate") {
        HttpError::Certificate(host, detail)
    } else {
        HttpError::BadResponse(host, format!("TLS: {detail}"))
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use super::*;
    use crate::http::testserver::{Server, ok, status};

    fn url(text: &str) -> WebUrl {
        WebUrl::parse(text, UrlUse::Fetch).unwrap()
    }

    #[test]
    fn http_range_honoured_ignored_and_redirected() {
        let whole: Vec<u8> = (0..100u8).collect();
        let mut partial = b"HTTP/1.1 206 Partial Content\r\nContent-Length: 10\r\n\r\n".to_vec();
        partial.extend_from_slice(&whole[40..50]);
        let redirect = status("302 Found", "Location: /other.iso\r\n");
        let server = Server::start(vec![ok(&whole), redirect, partial]);
        let iso = url(&server.url("/dir/x.iso"));
        let timeout = Duration::from_secs(5);
        assert_eq!(get_range(&iso, 40, 10, timeout).unwrap().unwrap(), &whole[40..50]);
        assert_eq!(get_range(&iso, 40, 10, timeout).unwrap().unwrap(), &whole[40..50]);
        let requests = server.requests();
        assert!(requests[0].starts_with("GET /dir/x.iso HTTP/1.1\r\n"), "{}", requests[0]);
        assert!(requests[0].to_ascii_lowercase().contains("\r\nrange: bytes=40-49\r\n"), "{}", requests[0]);
        assert!(requests[2].starts_with("GET /other.iso HTTP/1.1\r\n"), "{}", requests[2]);
    }

    /// Percent-encoded CR/LF stay encoded on the request line; raw ones never get that far.
    #[test]
    fn http_request_line_cannot_be_injected() {
        let server = Server::start(vec![status("404 Not Found", "")]);
        let hostile = url(&server.url("/%0D%0ASET%20x%201%0D%0A"));
        assert_eq!(get(&hostile, None, Duration::from_secs(5)).unwrap().status, 404);
        let requests = server.requests();
        assert!(requests[0].starts_with("GET /%0D%0ASET%20x%201%0D%0A HTTP/1.1\r\n"), "{:?}", requests[0]);
        assert!(!requests[0].contains("\r\nSET"), "{:?}", requests[0]);
    }

    /// A `Location` with a bare `\n` (or any control character) is not followed.
    #[test]
    fn http_hostile_location_is_not_followed() {
        for location in ["/a\nSET x 1", "/a\rSET x 1", "/a\u{0}b"] {
            let server = Server::start(vec![status("302 Found", &format!("Location: {location}\r\n"))]);
            let err = get(&url(&server.url("/x")), None, Duration::from_secs(5)).err().unwrap();
            assert!(matches!(err, HttpError::Redirect(..) | HttpError::BadResponse(..)), "{location:?}: {err:?}");
            assert_eq!(server.requests().len(), 1, "{location:?}");
        }
    }

    #[test]
    fn http_redirect_policy() {
        let from = url("https://mirror.example/pub/x.iso");
        assert_eq!(follow(&from, "/a/y.iso").unwrap().as_str(), "https://mirror.example/a/y.iso");
        assert_eq!(follow(&from, "https://other.example/y.iso").unwrap().as_str(), "https://other.example/y.iso");
        let down = follow(&from, "http://mirror.example/x.iso").unwrap_err().to_string();
        assert!(down.contains("from https down to http"), "{down}");
        assert!(follow(&url("http://h/x"), "https://h/x").is_ok(), "http to https is an upgrade");
        for bad in ["file:///etc/shadow", "ftp://h/x.iso", "http://u:p@h/x", "/a b"] {
            assert!(matches!(follow(&from, bad), Err(HttpError::Redirect(..))), "{bad}");
        }
        let message = follow(&from, "/a\r\nSET x").unwrap_err().to_string();
        assert!(message.contains("/a\\r\\nSET x") && !message.contains('\n'), "{message}");
        // A loop: five redirects are followed, the sixth is refused.
        let server = Server::start(vec![status("302 Found", "Location: /again\r\n"); 6]);
        let err = get(&url(&server.url("/x")), None, Duration::from_secs(5)).err().unwrap();
        assert!(err.to_string().contains("more than 5 redirects"), "{err}");
        server.requests();
    }

    /// A public origin cannot send the fetch to an internal address (the user's own URL may be internal).
    #[test]
    fn http_guard_refuses_internal_after_public() {
        let config = ureq::config::Config::default();
        let resolve = |resolver: &GuardedResolver, uri: &str| {
            let timeout = ureq::unversioned::transport::NextTimeout::default();
            ureq::unversioned::resolver::Resolver::resolve(resolver, &uri.parse().unwrap(), &config, timeout)
        };
        let guard = Arc::new(Guard::default());
        let resolver = GuardedResolver::new(Arc::clone(&guard));
        assert!(resolve(&resolver, "http://127.0.0.1/").is_ok(), "the user's own URL may be internal");
        assert!(resolve(&resolver, "http://1.1.1.1/").is_ok());
        for internal in ["http://127.0.0.1/", "http://169.254.169.254/", "http://10.0.0.1/", "http://[::1]/"] {
            assert!(resolve(&resolver, internal).is_err(), "{internal}");
        }
        assert!(guard.refused());
    }

    /// A chunk size larger than memory, or one that overflows, and an endless body: bounded, clear errors.
    #[test]
    fn http_chunked_bomb_and_endless_body_are_bounded() {
        let endless = |size: &str| {
            let mut response = format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{size}\r\n").into_bytes();
            response.extend(std::iter::repeat_n(b'x', 3 << 20));
            response
        };
        let server = Server::start(vec![
            endless("7fffffffffffffff"),
            endless("7fffffffffffffff"),
            endless("ffffffffffffffffffffffff"),
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999\r\n\r\nxyz".to_vec(),
        ]);
        let timeout = Duration::from_secs(5);
        let first = get(&url(&server.url("/x")), None, timeout).unwrap().first_bytes(1000).unwrap();
        assert_eq!(first.len(), 1000);
        let mut reader = get(&url(&server.url("/x")), None, timeout).unwrap().reader(1 << 20);
        let err = io::copy(&mut reader, &mut io::sink()).unwrap_err();
        assert!(reader.explain(&err).contains("larger than 1 MiB"), "{}", reader.explain(&err));
        let overflow = get(&url(&server.url("/x")), None, timeout).unwrap().first_bytes(1000).unwrap_err();
        assert!(matches!(overflow, HttpError::BadResponse(..)), "{overflow:?}");
        let claimed = get(&url(&server.url("/x")), None, timeout).unwrap();
        assert_eq!(claimed.length, Some(99999999999999), "a claim is reported, the caller refuses it");
        server.requests();
    }

    #[test]
    fn http_timeout_and_refused() {
        // A server that accepts and never answers: the deadline ends the wait.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let silent = url(&format!("http://127.0.0.1:{}/", listener.local_addr().unwrap().port()));
        let started = Instant::now();
        let err = get(&silent, None, Duration::from_millis(300)).err().unwrap();
        assert!(matches!(err, HttpError::Timeout(..)), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(3));
        drop(listener);
        let err = get(&silent, None, Duration::from_secs(5)).err().unwrap();
        assert!(matches!(err, HttpError::Connect(..)), "{err:?}");
    }
}
