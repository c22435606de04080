//! [`WebUrl`]: a URL from the page (an install source) or from a server (`Location`, `.treeinfo`),
//! parsed once at the boundary. A `WebUrl` cannot hold whitespace or control characters in any part
//! (they are refused, not percent-encoded: the WHATWG parser would silently drop tabs and newlines),
//! has a host, carries no credentials and no fragment, and has a scheme its use allows. Its text is
//! therefore safe on an HTTP request line, in a log line and on a kernel command line.

use std::fmt;

use url::{Host, Url};

/// `url`'s path with its `%XX` escapes decoded; `None` when one is malformed or the result is not text
/// without control characters.
fn decode_path(url: &Url) -> Option<String> {
    let bytes = url.path().as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok().filter(|path| !path.chars().any(char::is_control))
}

/// Longer URLs are not install media (and would only bloat logs and domain XML).
const MAX_LEN: usize = 4096;

/// What a URL is for, which decides its allowed schemes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlUse {
    /// Read by the helper (detection, `.treeinfo`, a tree's kernel and initrd): http and https.
    Fetch,
    /// An ISO image QEMU reads itself: also ftp and nfs.
    Media,
}

impl UrlUse {
    fn schemes(self) -> &'static [&'static str] {
        match self {
            UrlUse::Fetch => &["http", "https"],
            UrlUse::Media => &["http", "https", "ftp", "nfs"],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("Enter a URL")]
    Empty,
    #[error("The URL is too long (at most {MAX_LEN} characters)")]
    TooLong,
    #[error("A URL cannot contain spaces or control characters")]
    BadCharacter,
    #[error("The URL's path has %-escapes that do not make a file name")]
    UndecodablePath,
    #[error("Enter a URL starting with {}", .0.join("://, ") + "://")]
    NoScheme(&'static [&'static str]),
    #[error("{scheme}:// is not supported here; use {}", allowed.join(", "))]
    Scheme { scheme: String, allowed: &'static [&'static str] },
    #[error("The URL has no host")]
    NoHost,
    #[error("A URL with a user name or password is not supported (it would be stored in the VM's definition)")]
    Credentials,
    #[error("Not a valid URL: {0}")]
    Invalid(String),
}

/// A checked absolute URL: see the module documentation.
#[derive(Clone, PartialEq, Eq)]
pub struct WebUrl(Url);

impl WebUrl {
    pub fn parse(text: &str, usage: UrlUse) -> Result<WebUrl, UrlError> {
        check_text(text)?;
        let schemes = usage.schemes();
        let Some((scheme, _)) = text.split_once("://") else { return Err(UrlError::NoScheme(schemes)) };
        let scheme = scheme.to_ascii_lowercase();
        if !schemes.contains(&scheme.as_str()) {
            return Err(UrlError::Scheme { scheme, allowed: schemes });
        }
        WebUrl::checked(Url::parse(text).map_err(invalid)?, usage)
    }

    /// `reference` (a `Location`, a `.treeinfo` path) resolved against this URL.
    pub fn join(&self, reference: &str, usage: UrlUse) -> Result<WebUrl, UrlError> {
        check_text(reference)?;
        WebUrl::checked(self.0.join(reference).map_err(invalid)?, usage)
    }

    fn checked(mut url: Url, usage: UrlUse) -> Result<WebUrl, UrlError> {
        let schemes = usage.schemes();
        if !schemes.contains(&url.scheme()) {
            return Err(UrlError::Scheme { scheme: url.scheme().to_string(), allowed: schemes });
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(UrlError::NoHost);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(UrlError::Credentials);
        }
        url.set_fragment(None);
        // QEMU is given media's path decoded (see `decoded_path`), so it must decode to text.
        if usage == UrlUse::Media && decode_path(&url).is_none() {
            return Err(UrlError::UndecodablePath);
        }
        // The serializer percent-encodes what it must; this holds for every input, not just checked text.
        debug_assert!(url.as_str().bytes().all(|b| b.is_ascii_graphic()), "{url}");
        if !url.as_str().bytes().all(|b| b.is_ascii_graphic()) {
            return Err(UrlError::BadCharacter);
        }
        Ok(WebUrl(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn scheme(&self) -> &str {
        self.0.scheme()
    }

    pub fn is_https(&self) -> bool {
        self.0.scheme() == "https"
    }

    /// The host as libvirt and sockets want it: an IPv6 address without brackets.
    pub fn host(&self) -> String {
        match self.0.host() {
            Some(Host::Ipv6(addr)) => addr.to_string(),
            Some(host) => host.to_string(),
            None => String::new(),
        }
    }

    /// The port, or the scheme's default one.
    pub fn port(&self) -> u16 {
        self.0.port_or_known_default().unwrap_or(match self.0.scheme() {
            "nfs" => 2049,
            _ => 0,
        })
    }

    /// The path with its `%XX` escapes decoded (what libvirt wants as a network disk's `name`: it escapes the
    /// path itself when it builds QEMU's URL); `None` when an escape is malformed or makes no text or a control
    /// character.
    pub fn decoded_path(&self) -> Option<String> {
        decode_path(&self.0)
    }

    /// The query, without its `?`.
    pub fn query(&self) -> Option<&str> {
        self.0.query()
    }

    /// Whether the path names an ISO image (`….iso`) rather than an install tree.
    pub fn is_iso(&self) -> bool {
        self.0.path().to_ascii_lowercase().ends_with(".iso")
    }

    /// The URL as a directory (a trailing `/` on the path), so that relative references stay inside it.
    pub fn as_dir(&self) -> WebUrl {
        let mut url = self.0.clone();
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        WebUrl(url)
    }

    /// Whether `other` lies under this URL: same scheme, host and port, and a path inside this one's
    /// directory (`..` is resolved by the parser, so it cannot climb out).
    pub fn contains(&self, other: &WebUrl) -> bool {
        let dir = self.as_dir();
        dir.0.scheme() == other.0.scheme()
            && dir.0.host() == other.0.host()
            && dir.port() == other.port()
            && other.0.path().starts_with(dir.0.path())
    }
}

fn invalid(err: url::ParseError) -> UrlError {
    match err {
        url::ParseError::EmptyHost => UrlError::NoHost,
        err => UrlError::Invalid(err.to_string()),
    }
}

/// Before the parser sees it: no whitespace or control character anywhere, and a sane length.
fn check_text(text: &str) -> Result<(), UrlError> {
    if text.is_empty() {
        return Err(UrlError::Empty);
    }
    if text.len() > MAX_LEN {
        return Err(UrlError::TooLong);
    }
    if text.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(UrlError::BadCharacter);
    }
    Ok(())
}

impl fmt::Display for WebUrl {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

impl fmt::Debug for WebUrl {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "WebUrl({})", self.0.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetch(text: &str) -> Result<WebUrl, UrlError> {
        WebUrl::parse(text, UrlUse::Fetch)
    }

    #[test]
    fn weburl_media_path_decodes() {
        let media = |text| WebUrl::parse(text, UrlUse::Media);
        assert_eq!(media("http://h/a%20b%C3%BC.iso?x=1").unwrap().decoded_path().as_deref(), Some("/a bü.iso"));
        assert_eq!(media("http://h/a.iso?x=1").unwrap().query(), Some("x=1"));
        for text in ["http://h/a%0Ab.iso", "http://h/a%FF.iso", "http://h/a%zz.iso", "http://h/a%2"] {
            assert_eq!(media(text), Err(UrlError::UndecodablePath), "{text}");
        }
        // Fetch URLs keep their escapes as they are: the helper sends them on the request line.
        assert!(fetch("http://h/a%FF.iso").is_ok());
    }

    #[test]
    fn weburl_refuses_hostile_text() {
        for text in [
            "http://127.0.0.1:6379/\r\nSET x 1",
            "http://h/a\nb",
            "http://h/a b",
            "http://h/a\0",
            "http://h/a\tb",
            "http://h/\u{85}",
            "http://h/\u{2028}",
            "http://h/\u{a0}",
            " http://h/",
            "http://h\r\n/",
        ] {
            assert_eq!(fetch(text), Err(UrlError::BadCharacter), "{text:?}");
            assert_eq!(WebUrl::parse(text, UrlUse::Media), Err(UrlError::BadCharacter), "{text:?}");
        }
        assert_eq!(fetch(""), Err(UrlError::Empty));
        assert_eq!(fetch(&format!("http://h/{}", "a".repeat(MAX_LEN))), Err(UrlError::TooLong));
        assert_eq!(fetch("http://user:pw@h/x"), Err(UrlError::Credentials));
        assert_eq!(fetch("http://user@h/x"), Err(UrlError::Credentials));
        assert_eq!(fetch("http://"), Err(UrlError::NoHost));
        assert_eq!(fetch("http://[::1/"), Err(UrlError::Invalid("invalid IPv6 address".into())));
        assert!(matches!(fetch("ftp://h/x.iso"), Err(UrlError::Scheme { scheme, .. }) if scheme == "ftp"));
        assert!(matches!(fetch("file:///etc/shadow"), Err(UrlError::NoScheme(_)) | Err(UrlError::Scheme { .. })));
        assert!(matches!(fetch("h/x.iso"), Err(UrlError::NoScheme(_))));
        assert!(WebUrl::parse("ftp://h/x.iso", UrlUse::Media).is_ok());
        assert!(WebUrl::parse("nfs://h/x.iso", UrlUse::Media).is_ok());
        assert!(matches!(WebUrl::parse("gopher://h/x", UrlUse::Media), Err(UrlError::Scheme { .. })));
        assert_eq!(
            UrlError::NoScheme(UrlUse::Fetch.schemes()).to_string(),
            "Enter a URL starting with http://, https://"
        );
    }

    #[test]
    fn weburl_parts_and_escapes() {
        let url = fetch("HTTP://Mirror.Example:8080/pub/x.ISO?a=b#frag").unwrap();
        assert_eq!(url.as_str(), "http://mirror.example:8080/pub/x.ISO?a=b");
        assert_eq!((url.host(), url.port(), url.query()), ("mirror.example".into(), 8080, Some("a=b")));
        assert!(url.is_iso());
        let v6 = fetch("https://[::1]/t").unwrap();
        assert_eq!((v6.host(), v6.port()), ("::1".into(), 443));
        assert_eq!(WebUrl::parse("nfs://h/p", UrlUse::Media).unwrap().port(), 2049);
        // Percent-encoded CR/LF stay encoded: harmless on a request line.
        assert_eq!(fetch("http://h/%0D%0ASET").unwrap().as_str(), "http://h/%0D%0ASET");
        // Non-ASCII is encoded, never raw.
        assert_eq!(fetch("http://h/ü").unwrap().as_str(), "http://h/%C3%BC");
    }

    #[test]
    fn weburl_join_and_containment() {
        let tree = fetch("http://h/pub/os").unwrap().as_dir();
        assert_eq!(tree.as_str(), "http://h/pub/os/");
        let kernel = tree.join("images/pxeboot/vmlinuz", UrlUse::Fetch).unwrap();
        assert_eq!(kernel.as_str(), "http://h/pub/os/images/pxeboot/vmlinuz");
        assert!(tree.contains(&kernel));
        for outside in
            ["../../etc/passwd", "/etc/passwd", "http://other/pub/os/k", "http://h:81/pub/os/k", "https://h/pub/os/k"]
        {
            let url = tree.join(outside, UrlUse::Fetch).unwrap();
            assert!(!tree.contains(&url), "{outside} -> {url}");
        }
        assert!(!tree.contains(&tree.join("/pub/osx/k", UrlUse::Fetch).unwrap()));
        assert_eq!(tree.join("/a\nb", UrlUse::Fetch), Err(UrlError::BadCharacter));
        assert!(matches!(tree.join("ftp://h/x", UrlUse::Fetch), Err(UrlError::Scheme { .. })));
        assert_eq!(tree.join("http://u:p@h/x", UrlUse::Fetch), Err(UrlError::Credentials));
    }
}
