//! A minimal HTTP/1.1 GET over a plain TCP socket, enough to probe install media by URL: the volume
//! descriptor of an ISO (a range request) or a tree's `.treeinfo`. No TLS: only `http://` is probed.
//! Blocking, with one deadline for the whole exchange: call it off the async runtime.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Redirects followed before giving up (mirrors redirect once or twice).
const MAX_REDIRECTS: usize = 5;
/// Response headers larger than this are not a web server we want to talk to.
const MAX_HEADER_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    pub host: String,
    pub port: u16,
    /// Path and query, starting with `/`.
    pub path: String,
}

impl HttpUrl {
    /// `None` unless `url` is `http://host[:port][/path]`.
    pub fn parse(url: &str) -> Option<HttpUrl> {
        let rest = url.strip_prefix("http://")?;
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let path = path.split('#').next().unwrap_or("/");
        let path = if path.starts_with('/') { path.to_string() } else { format!("/{path}") };
        if authority.contains('@') {
            return None; // credentials in URLs: not for a probe
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']')?;
            (host, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        let port = match port {
            Some(p) => p.parse().ok()?,
            None => 80,
        };
        (!host.is_empty()).then(|| HttpUrl { host: host.to_string(), port, path })
    }

    /// The URL with `path` replaced by a reference resolved against it (`Location`, `.treeinfo`).
    pub fn join(&self, reference: &str) -> Option<HttpUrl> {
        if reference.contains("://") {
            return HttpUrl::parse(reference);
        }
        let path = if reference.starts_with('/') {
            reference.to_string()
        } else {
            let base = self.path.split('?').next().unwrap_or("/");
            format!("{}{reference}", &base[..=base.rfind('/').unwrap_or(0)])
        };
        Some(HttpUrl { path, ..self.clone() })
    }

    fn host_header(&self) -> String {
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        if self.port == 80 { host } else { format!("{host}:{}", self.port) }
    }
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "http://{}{}", self.host_header(), self.path)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("no answer from {0} within {1} s")]
    Timeout(String, u64),
    #[error("cannot connect to {0}: {1}")]
    Connect(String, io::Error),
    #[error("bad answer from {0}: {1}")]
    BadResponse(String, String),
    /// Redirected to something other than `http://` (usually https), which we do not follow.
    #[error("redirected to {0}")]
    NotHttp(String),
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

/// GETs `url` following redirects, keeping at most `max_body` bytes of the body. With `range`, asks for
/// those bytes (`Range: bytes=start-end`); a server that ignores it answers 200 with the whole resource,
/// of which only the first `max_body` bytes are read.
pub fn get(
    url: &HttpUrl,
    range: Option<(u64, u64)>,
    max_body: usize,
    timeout: Duration,
) -> Result<Response, HttpError> {
    let deadline = Instant::now() + timeout;
    let mut url = url.clone();
    for _ in 0..=MAX_REDIRECTS {
        let (status, location, body) = exchange(&url, range, max_body, deadline, timeout)?;
        if matches!(status, 301 | 302 | 303 | 307 | 308) {
            let location = location.ok_or_else(|| bad(&url, "redirect without Location"))?;
            url = url.join(&location).ok_or(HttpError::NotHttp(location))?;
            continue;
        }
        return Ok(Response { status, body });
    }
    Err(bad(&url, "too many redirects"))
}

/// Bytes `start..start + len` of `url`, whether the server honours the range (206) or not (200); fewer
/// (maybe none) for a shorter resource. Other HTTP answers come back as `Err(status)`.
pub fn get_range(url: &HttpUrl, start: u64, len: usize, timeout: Duration) -> Result<Result<Vec<u8>, u16>, HttpError> {
    let end = start + len as u64 - 1;
    let response = get(url, Some((start, end)), start as usize + len, timeout)?;
    let bytes = match response.status {
        206 => response.body,
        200 => response.body.get(start as usize..).map(<[u8]>::to_vec).unwrap_or_default(),
        // Asked past the end of a small file: it is not an ISO.
        416 => Vec::new(),
        status => return Ok(Err(status)),
    };
    Ok(Ok(bytes))
}

fn bad(url: &HttpUrl, what: impl Into<String>) -> HttpError {
    HttpError::BadResponse(url.host_header(), what.into())
}

/// One request and its response: status, `Location`, body.
fn exchange(
    url: &HttpUrl,
    range: Option<(u64, u64)>,
    max_body: usize,
    deadline: Instant,
    timeout: Duration,
) -> Result<(u16, Option<String>, Vec<u8>), HttpError> {
    let started = request(url, range, deadline, timeout)?;
    let Started { status, location, chunked, length, mut reader, mut body } = started;
    if (300..400).contains(&status) {
        return Ok((status, location, Vec::new()));
    }
    let io_error = |err| io_error(url, timeout, err);
    let want = length.map_or(max_body, |l| l.min(max_body as u64) as usize);
    if chunked {
        body = read_chunked(&mut reader, body, max_body).map_err(|err| match err.kind() {
            io::ErrorKind::InvalidData => bad(url, err.to_string()),
            _ => io_error(err),
        })?;
    } else {
        while body.len() < want {
            if reader.fill(&mut body).map_err(io_error)? == 0 {
                break;
            }
        }
        body.truncate(want);
    }
    Ok((status, location, body))
}

fn io_error(url: &HttpUrl, timeout: Duration, err: io::Error) -> HttpError {
    match err.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => HttpError::Timeout(url.host_header(), timeout.as_secs()),
        _ => HttpError::Connect(url.host_header(), err),
    }
}

/// A request whose response headers have arrived; `body` holds what came with them.
struct Started {
    status: u16,
    location: Option<String>,
    chunked: bool,
    length: Option<u64>,
    reader: DeadlineReader,
    body: Vec<u8>,
}

/// Connects, sends the GET and reads the response headers.
fn request(
    url: &HttpUrl,
    range: Option<(u64, u64)>,
    deadline: Instant,
    timeout: Duration,
) -> Result<Started, HttpError> {
    let timed_out = || HttpError::Timeout(url.host_header(), timeout.as_secs());
    let io_error = |err| io_error(url, timeout, err);
    let remaining = || deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero());

    let addrs: Vec<_> = (url.host.as_str(), url.port).to_socket_addrs().map_err(io_error)?.collect();
    let mut last_error = io::Error::new(io::ErrorKind::NotFound, "no address");
    let mut stream = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, remaining().ok_or_else(timed_out)?) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(err) => last_error = err,
        }
    }
    let mut stream = stream.ok_or_else(|| io_error(last_error))?;

    let mut request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: cockpit-virt\r\nAccept: */*\r\nConnection: close\r\n",
        url.path,
        url.host_header()
    );
    if let Some((start, end)) = range {
        request.push_str(&format!("Range: bytes={start}-{end}\r\n"));
    }
    request.push_str("\r\n");
    stream.set_write_timeout(remaining()).map_err(io_error)?;
    stream.write_all(request.as_bytes()).map_err(io_error)?;

    let mut reader = DeadlineReader { stream, deadline };
    let mut buf = Vec::new();
    let header_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > MAX_HEADER_BYTES {
            return Err(bad(url, "headers too large"));
        }
        if reader.fill(&mut buf).map_err(io_error)? == 0 {
            return Err(bad(url, "connection closed before the headers ended"));
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).into_owned();
    let body = buf.split_off(header_end + 4);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .strip_prefix("HTTP/1.")
        .and_then(|rest| rest.get(2..5))
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| bad(url, format!("not an HTTP status line: {status_line:?}")))?;
    let header = |name: &str| {
        head.split("\r\n").skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim().to_string())
        })
    };
    Ok(Started {
        status,
        location: header("location"),
        chunked: header("transfer-encoding").is_some_and(|te| te.to_ascii_lowercase().contains("chunked")),
        length: header("content-length").and_then(|l| l.parse::<u64>().ok()),
        reader,
        body,
    })
}

/// A GET whose body is read as it arrives (a download into a volume): see [`download`].
pub struct Download {
    pub status: u16,
    /// The body's length (`Content-Length`, or the size of a chunked body read whole).
    pub length: u64,
    prefix: io::Cursor<Vec<u8>>,
    rest: Option<io::Take<DeadlineReader>>,
}

/// GETs `url` following redirects, for a download: the body is not read yet but streamed through
/// [`Download`]'s `Read`. `timeout` bounds the whole download. A chunked body (rare for files) is read
/// whole, at most `max_buffered` bytes; any other body needs a `Content-Length`.
pub fn download(url: &HttpUrl, max_buffered: usize, timeout: Duration) -> Result<Download, HttpError> {
    let deadline = Instant::now() + timeout;
    let mut url = url.clone();
    for _ in 0..=MAX_REDIRECTS {
        let mut started = request(&url, None, deadline, timeout)?;
        if matches!(started.status, 301 | 302 | 303 | 307 | 308) {
            let location = started.location.ok_or_else(|| bad(&url, "redirect without Location"))?;
            url = url.join(&location).ok_or(HttpError::NotHttp(location))?;
            continue;
        }
        if started.chunked || started.status != 200 {
            let body = read_chunked_or_none(&mut started, max_buffered).map_err(|err| io_error(&url, timeout, err))?;
            return Ok(Download {
                status: started.status,
                length: body.len() as u64,
                prefix: io::Cursor::new(body),
                rest: None,
            });
        }
        let length = started.length.ok_or_else(|| bad(&url, "no Content-Length"))?;
        let mut prefix = started.body;
        prefix.truncate(length as usize);
        let rest = started.reader.take(length - prefix.len() as u64);
        return Ok(Download { status: started.status, length, prefix: io::Cursor::new(prefix), rest: Some(rest) });
    }
    Err(bad(&url, "too many redirects"))
}

/// The body of an answer that is not streamed: chunked, or an error page (not read).
fn read_chunked_or_none(started: &mut Started, max: usize) -> io::Result<Vec<u8>> {
    if started.status == 200 {
        read_chunked(&mut started.reader, std::mem::take(&mut started.body), max)
    } else {
        Ok(Vec::new())
    }
}

impl Read for Download {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.prefix.read(buf)?;
        if n > 0 {
            return Ok(n);
        }
        match &mut self.rest {
            Some(rest) => rest.read(buf),
            None => Ok(0),
        }
    }
}

/// Reads from the socket with the time left before the deadline as read timeout.
struct DeadlineReader {
    stream: TcpStream,
    deadline: Instant,
}

impl DeadlineReader {
    /// Appends what one read returns; 0 at end of stream.
    fn fill(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.read(&mut chunk)?;
        buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }
}

impl Read for DeadlineReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let remaining = self.deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero());
        self.stream.set_read_timeout(Some(remaining.ok_or_else(|| io::Error::from(io::ErrorKind::TimedOut))?))?;
        self.stream.read(buf)
    }
}

/// Decodes a chunked body (`<hex size>[;ext]\r\n<data>\r\n`… `0\r\n\r\n`), keeping at most `max` bytes.
fn read_chunked(reader: &mut DeadlineReader, mut raw: Vec<u8>, max: usize) -> io::Result<Vec<u8>> {
    let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
    let mut body = Vec::new();
    let mut pos = 0;
    loop {
        let line_end = loop {
            if let Some(i) = raw[pos..].windows(2).position(|w| w == b"\r\n") {
                break pos + i;
            }
            if reader.fill(&mut raw)? == 0 {
                return Err(invalid("chunked body ended early"));
            }
        };
        let size_text = String::from_utf8_lossy(&raw[pos..line_end]);
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| invalid("bad chunk size"))?;
        if size == 0 {
            return Ok(body);
        }
        let data = line_end + 2;
        while raw.len() < data + size + 2 {
            if reader.fill(&mut raw)? == 0 {
                return Err(invalid("chunked body ended early"));
            }
        }
        body.extend_from_slice(&raw[data..data + size]);
        if body.len() >= max {
            body.truncate(max);
            return Ok(body);
        }
        pos = data + size + 2;
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;
    use std::thread;

    use super::*;

    #[test]
    fn http_url_parsing() {
        let url = HttpUrl::parse("http://mirror.example:8080/pub/x.iso?a=b#frag").unwrap();
        assert_eq!(url, HttpUrl { host: "mirror.example".into(), port: 8080, path: "/pub/x.iso?a=b".into() });
        assert_eq!(HttpUrl::parse("http://[::1]/t").unwrap().host, "::1");
        assert_eq!(HttpUrl::parse("http://h").unwrap().path, "/");
        assert_eq!(HttpUrl::parse("http://[::1]:8080/t").unwrap().to_string(), "http://[::1]:8080/t");
        assert_eq!(HttpUrl::parse("http://h:80/t?q").unwrap().to_string(), "http://h/t?q");
        assert_eq!(HttpUrl::parse("https://h/x.iso"), None);
        assert_eq!(HttpUrl::parse("ftp://h/x.iso"), None);
        assert_eq!(HttpUrl::parse("http://user:pw@h/"), None);
        assert_eq!(HttpUrl::parse("http://h:notaport/"), None);
        let base = HttpUrl::parse("http://h/a/b/").unwrap();
        assert_eq!(base.join(".treeinfo").unwrap().path, "/a/b/.treeinfo");
        assert_eq!(base.join("/c").unwrap().path, "/c");
        assert_eq!(base.join("http://o:81/d").unwrap(), HttpUrl { host: "o".into(), port: 81, path: "/d".into() });
        assert_eq!(base.join("https://o/d"), None);
    }

    /// Serves each connection one canned response, after reading its request.
    fn serve(responses: Vec<Vec<u8>>) -> (HttpUrl, thread::JoinHandle<Vec<String>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let handle = thread::spawn(move || {
            let mut requests = Vec::new();
            for response in responses {
                let (mut conn, _) = listener.accept().unwrap();
                let mut request = Vec::new();
                let mut byte = [0u8; 1];
                while !request.ends_with(b"\r\n\r\n") && conn.read(&mut byte).unwrap() == 1 {
                    request.push(byte[0]);
                }
                requests.push(String::from_utf8(request).unwrap());
                let _ = conn.write_all(&response);
            }
            requests
        });
        (HttpUrl { host: "127.0.0.1".into(), port, path: "/dir/x.iso".into() }, handle)
    }

    #[test]
    fn http_range_honoured_ignored_and_redirected() {
        let whole: Vec<u8> = (0..100u8).collect();
        let mut ignored = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n".to_vec();
        ignored.extend_from_slice(&whole);
        let mut partial = b"HTTP/1.1 206 Partial Content\r\nContent-Length: 10\r\n\r\n".to_vec();
        partial.extend_from_slice(&whole[40..50]);
        let redirect = b"HTTP/1.1 302 Found\r\nLocation: /other.iso\r\nContent-Length: 0\r\n\r\n".to_vec();
        let (url, server) = serve(vec![ignored, redirect, partial]);
        let timeout = Duration::from_secs(5);

        assert_eq!(get_range(&url, 40, 10, timeout).unwrap().unwrap(), &whole[40..50]);
        assert_eq!(get_range(&url, 40, 10, timeout).unwrap().unwrap(), &whole[40..50]);
        let requests = server.join().unwrap();
        assert!(requests[0].starts_with("GET /dir/x.iso HTTP/1.1\r\n"), "{}", requests[0]);
        assert!(requests[0].contains("\r\nRange: bytes=40-49\r\n"), "{}", requests[0]);
        assert!(requests[0].contains(&format!("\r\nHost: 127.0.0.1:{}\r\n", url.port)), "{}", requests[0]);
        assert!(requests[2].starts_with("GET /other.iso HTTP/1.1\r\n"), "{}", requests[2]);
    }

    #[test]
    fn http_download_streams_the_body() {
        let whole: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut plain = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", whole.len()).into_bytes();
        plain.extend_from_slice(&whole);
        plain.extend_from_slice(b"trailing junk past the length");
        let redirect = b"HTTP/1.1 301 Moved\r\nLocation: /k\r\nContent-Length: 0\r\n\r\n".to_vec();
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n".to_vec();
        let missing = b"HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\ngone".to_vec();
        let (url, server) = serve(vec![redirect, plain, chunked, missing]);
        let timeout = Duration::from_secs(5);
        let read_all = |mut d: Download| {
            let mut body = Vec::new();
            d.read_to_end(&mut body).unwrap();
            (d.status, d.length, body)
        };
        assert_eq!(read_all(download(&url, 100, timeout).unwrap()), (200, whole.len() as u64, whole));
        assert_eq!(read_all(download(&url, 100, timeout).unwrap()), (200, 3, b"abc".to_vec()));
        assert_eq!(read_all(download(&url, 100, timeout).unwrap()), (404, 0, vec![]));
        let requests = server.join().unwrap();
        assert!(requests[1].starts_with("GET /k HTTP/1.1\r\n"), "{}", requests[1]);
    }

    #[test]
    fn http_chunked_body_errors_and_timeout() {
        let chunked =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7;x=y\r\n, world\r\n0\r\n\r\n";
        let (url, server) = serve(vec![chunked.to_vec(), b"HTTP/1.0 404 Not Found\r\n\r\ngone".to_vec()]);
        let timeout = Duration::from_secs(5);
        assert_eq!(get(&url, None, 1000, timeout).unwrap().body, b"hello, world");
        let missing = get(&url, None, 1000, timeout).unwrap();
        assert_eq!((missing.status, missing.body.as_slice()), (404, b"gone".as_slice()));
        server.join().unwrap();

        // A server that accepts and never answers: the deadline ends the wait.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = HttpUrl { host: "127.0.0.1".into(), port: listener.local_addr().unwrap().port(), path: "/".into() };
        let err = get(&url, None, 10, Duration::from_millis(300)).unwrap_err();
        assert!(matches!(err, HttpError::Timeout(..)), "{err:?}");
        drop(listener);
        // Nobody listening: a connection error, not a timeout.
        let err = get(&url, None, 10, Duration::from_secs(5)).unwrap_err();
        assert!(matches!(err, HttpError::Connect(..)), "{err:?}");
    }
}
