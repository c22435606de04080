//! A libvirt connection URI the helper agrees to open, parsed once at the open boundary.
//!
//! libvirt URIs can run programs (`ext` transport, `command=`), reach arbitrary sockets
//! (`socket=`, `netcat=`, `proxy=`) or name another URI for the remote side (`name=`); a crafted
//! link must not reach any of that. So only an allow-list passes:
//! - `qemu:///system`, `qemu:///session`;
//! - `test:///default` and `test:///<absolute path>` (the test driver, for tests and benchmarks);
//! - `test+unix:///default`: the test driver's default state in the local libvirtd, shared by every client
//!   connected at once (in-process test drivers are private to each process), so a test can change what
//!   the helper watches;
//! - `qemu+ssh://`, `qemu+tls://`, `qemu+tcp://` `[user@]host[:port]/system|session`, with a few
//!   harmless query parameters.
//!
//! Everything is plain printable ASCII without `%`: libvirt decodes percent escapes, so
//! `%63ommand` would be `command` behind our back.

use std::fmt;

use serde::Deserialize;

/// Longer than any sane URI; refuses absurd ones before anything else looks at them.
pub const MAX_URI_BYTES: usize = 1024;

/// Query parameters of remote URIs that neither run programs nor pick sockets.
const SAFE_PARAMS: &[&str] =
    &["no_verify", "no_tty", "keyfile", "known_hosts", "known_hosts_verify", "sshauth", "pkipath"];

const REMOTE_SCHEMES: &[&str] = &["qemu+ssh", "qemu+tls", "qemu+tcp"];

#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct Uri(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UriError(String);

fn refuse(why: impl fmt::Display) -> UriError {
    UriError(format!("the libvirt URI is refused: {why}"))
}

impl Uri {
    pub fn parse(text: &str) -> Result<Uri, UriError> {
        if text.is_empty() {
            return Err(refuse("it is empty"));
        }
        if text.len() > MAX_URI_BYTES {
            return Err(refuse(format_args!("longer than {MAX_URI_BYTES} bytes")));
        }
        if let Some(c) = text.chars().find(|c| !c.is_ascii_graphic()) {
            return Err(refuse(format_args!("it contains {c:?} (only printable ASCII without spaces)")));
        }
        if text.contains('%') || text.contains('#') {
            return Err(refuse("percent escapes and fragments are not accepted"));
        }
        let Some((scheme, rest)) = text.split_once("://") else {
            return Err(refuse("it has no scheme"));
        };
        match scheme {
            "qemu" if rest == "/system" || rest == "/session" => {}
            "test" => check_test_path(rest)?,
            "test+unix" if rest == "/default" => {}
            _ if REMOTE_SCHEMES.contains(&scheme) => check_remote(rest)?,
            _ => {
                return Err(refuse(format_args!(
                    "{scheme}:// is not one of qemu:///system, qemu:///session, test:///…, {}",
                    REMOTE_SCHEMES.iter().map(|s| format!("{s}://")).collect::<Vec<_>>().join(", ")
                )));
            }
        }
        Ok(Uri(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URI libvirt is given: a `qemu+ssh` URI gets `no_tty=1` unless it says otherwise, so libvirt runs ssh
    /// in batch mode (no prompt for a password, passphrase or unknown host key: there is no terminal to answer).
    pub fn for_open(&self) -> String {
        if !self.0.starts_with("qemu+ssh://") || self.0.contains("no_tty=") {
            return self.0.clone();
        }
        let separator = if self.0.contains('?') { '&' } else { '?' };
        format!("{}{separator}no_tty=1", self.0)
    }

    /// For `qemu+ssh`, `qemu+tls` and `qemu+tcp` URIs: the host and the TCP port libvirt's remote driver
    /// connects to (the URI's, else the transport's default: 22, 16514, 16509). `None` for local URIs.
    pub fn remote_endpoint(&self) -> Option<(String, u16)> {
        let (scheme, rest) = self.0.split_once("://")?;
        let default_port = match scheme {
            "qemu+ssh" => 22,
            "qemu+tls" => 16514,
            "qemu+tcp" => 16509,
            _ => return None,
        };
        // Parsing accepted it, so the authority is `[user@]host[:port]` or `[user@][v6][:port]`.
        let authority = &rest[..rest.find('/')?];
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
        let (host, port) = match host_port.strip_prefix('[') {
            Some(v6) => {
                let (address, after) = v6.split_once(']')?;
                (address, after.strip_prefix(':'))
            }
            None => match host_port.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (host_port, None),
            },
        };
        let port = port.map_or(Some(default_port), |p| p.parse().ok())?;
        Some((host.to_string(), port))
    }
}

/// `/default` or an absolute file path, no host, no query.
fn check_test_path(rest: &str) -> Result<(), UriError> {
    let path_char = |c: char| c.is_ascii_alphanumeric() || "/._-+".contains(c);
    if rest.starts_with('/') && rest.len() > 1 && rest.chars().all(path_char) {
        Ok(())
    } else {
        Err(refuse("test:// takes /default or an absolute file path"))
    }
}

/// `[user@]host[:port]/system|session[?param=value&…]`.
fn check_remote(rest: &str) -> Result<(), UriError> {
    let (authority, path_query) = rest.split_at(rest.find('/').ok_or_else(|| refuse("no /system or /session"))?);
    let (path, query) = path_query.split_once('?').unwrap_or((path_query, ""));
    if path != "/system" && path != "/session" {
        return Err(refuse("a remote URI names /system or /session"));
    }
    let host_port = match authority.rsplit_once('@') {
        Some((user, host)) => {
            let user_char = |c: char| c.is_ascii_alphanumeric() || "._-".contains(c);
            if user.is_empty() || !user.chars().all(user_char) {
                return Err(refuse("invalid user name"));
            }
            host
        }
        None => authority,
    };
    let (host, port) = match host_port.strip_prefix('[') {
        Some(v6) => {
            let (address, after) = v6.split_once(']').ok_or_else(|| refuse("unclosed [ in the host"))?;
            if address.is_empty() || !address.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.') {
                return Err(refuse("invalid IPv6 address"));
            }
            (address, after.strip_prefix(':'))
        }
        None => match host_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        },
    };
    let host_char = |c: char| c.is_ascii_alphanumeric() || ".-:".contains(c);
    if host.is_empty() || host.starts_with('-') || !host.chars().all(host_char) {
        return Err(refuse("a remote URI needs a host name"));
    }
    if let Some(port) = port
        && port.parse::<u16>().map_or(true, |p| p == 0)
    {
        return Err(refuse("invalid port"));
    }
    for param in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = param.split_once('=').unwrap_or((param, ""));
        if !SAFE_PARAMS.contains(&name) {
            return Err(refuse(format_args!("the parameter {name:?} is not accepted")));
        }
        let value_char = |c: char| c.is_ascii_alphanumeric() || "/._-~,:+".contains(c);
        if !value.chars().all(value_char) {
            return Err(refuse(format_args!("the value of {name:?} has characters that are not accepted")));
        }
    }
    Ok(())
}

impl TryFrom<String> for Uri {
    type Error = UriError;
    fn try_from(text: String) -> Result<Uri, UriError> {
        Uri::parse(&text)
    }
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_allows_the_local_test_and_remote_forms() {
        for ok in [
            "qemu:///system",
            "qemu:///session",
            "test:///default",
            "test:///path/to/file.xml",
            "test:///tmp/cvtest-1000_vms.xml",
            "test+unix:///default",
            "qemu+ssh://root@host.example/system",
            "qemu+ssh://host:2222/session?keyfile=/home/u/.ssh/id_ed25519&no_verify=1",
            "qemu+tls://[fe80::1]:16514/system",
            "qemu+tcp://10.0.0.1/system",
        ] {
            assert_eq!(Uri::parse(ok).map(|u| u.to_string()), Ok(ok.to_string()), "{ok}");
        }
    }

    #[test]
    fn uri_refuses_programs_sockets_and_garbage() {
        let long = format!("test:///{}", "a".repeat(MAX_URI_BYTES));
        for bad in [
            "",
            "qemu+ext:///system?command=/bin/sh",
            "ext:///system",
            "qemu+ssh://host/system?command=/bin/sh",
            "qemu+ssh://host/system?%63ommand=/bin/sh",
            "qemu+ssh://host/system?socket=/run/x.sock",
            "qemu+ssh://host/system?netcat=/bin/nc",
            "qemu+ssh://host/system?proxy=native",
            "qemu+ssh://host/system?name=qemu+ext:///system",
            "qemu+ssh://host/system?keyfile=/a b",
            "qemu+unix:///system?socket=/tmp/s",
            "qemu:///system?socket=/tmp/s",
            "qemu:///embed?root=/tmp",
            "qemu://host/system",
            "qemu:///system\0",
            "qemu:///system\n",
            "qemu+ssh://-oProxyCommand=x/system",
            "qemu+ssh://host:0/system",
            "qemu+ssh://host:99999/system",
            "qemu+ssh://host/other",
            "qemu+ssh:///system",
            "test://",
            "test:///",
            "test:///a?b",
            "test+unix:///etc/shadow",
            "test+unix:///default?socket=/tmp/s",
            "test+unix://host/default",
            "test+tcp://host/default",
            "lxc:///system",
            "vbox:///session",
            "qemu:///systém",
            &long,
        ] {
            assert!(Uri::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn uri_remote_endpoint_has_the_transport_default_port() {
        let endpoint = |text: &str| Uri::parse(text).unwrap().remote_endpoint();
        assert_eq!(endpoint("qemu:///system"), None);
        assert_eq!(endpoint("test:///default"), None);
        assert_eq!(endpoint("qemu+tcp://127.0.0.2/system"), Some(("127.0.0.2".into(), 16509)));
        assert_eq!(endpoint("qemu+tls://h.example/system"), Some(("h.example".into(), 16514)));
        assert_eq!(endpoint("qemu+ssh://root@h.example:2222/system?no_tty=1"), Some(("h.example".into(), 2222)));
        assert_eq!(endpoint("qemu+ssh://[fe80::1]/session"), Some(("fe80::1".into(), 22)));
    }

    #[test]
    fn uri_for_open_runs_ssh_in_batch_mode() {
        let open = |text: &str| Uri::parse(text).unwrap().for_open();
        assert_eq!(open("qemu+ssh://h/system"), "qemu+ssh://h/system?no_tty=1");
        assert_eq!(open("qemu+ssh://h/system?keyfile=/k"), "qemu+ssh://h/system?keyfile=/k&no_tty=1");
        assert_eq!(open("qemu+ssh://h/system?no_tty=0"), "qemu+ssh://h/system?no_tty=0");
        assert_eq!(open("qemu+tcp://h/system"), "qemu+tcp://h/system");
    }

    #[test]
    fn uri_from_json_names_the_reason() {
        let err = serde_json::from_value::<Uri>(serde_json::json!("qemu+ext:///system?command=/x")).unwrap_err();
        assert!(err.to_string().contains("qemu+ext:// is not one of"), "{err}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 2000, ..Default::default() })]
        #[test]
        fn uri_never_panics_and_accepts_only_printable_ascii(text in "\\PC{0,80}|[ -~\\x00\\n]{0,80}") {
            if let Ok(uri) = Uri::parse(&text) {
                proptest::prop_assert!(uri.as_str().chars().all(|c| c.is_ascii_graphic()));
                proptest::prop_assert!(!uri.as_str().contains('%'));
            }
        }
    }
}
