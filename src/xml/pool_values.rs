//! The values a new storage pool's source is made of, each parsed once from the page's strings into a type that
//! cannot hold a bad one: absolute paths, host names, ports, iSCSI qualified names, SCSI host adapters and the
//! names Ceph, Gluster and ZFS give their pools. A refusal is an English sentence naming the field.

use std::fmt;
use std::net::IpAddr;

/// An absolute path without control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbsPath(String);

impl AbsPath {
    pub fn parse(what: &str, path: &str) -> Result<Self, String> {
        if !path.starts_with('/') || path.chars().any(char::is_control) || path.len() > 4096 {
            return Err(format!("The {what} must be an absolute path"));
        }
        Ok(AbsPath(path.to_owned()))
    }
}

/// A DNS name (letters, digits and hyphens in dot-separated labels) or an IPv4 or IPv6 address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostName(String);

impl HostName {
    pub fn parse(host: &str) -> Result<Self, String> {
        let refuse = || Err(format!("\"{host}\" is not a host name or IP address"));
        if host.parse::<IpAddr>().is_ok() {
            return Ok(HostName(host.to_owned()));
        }
        let name = host.strip_suffix('.').unwrap_or(host);
        if name.is_empty() || name.len() > 253 {
            return refuse();
        }
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        // An all-digit dotted name is a mistyped IPv4 address, not a host name.
        if !name.split('.').all(label_ok) || name.split('.').all(|l| l.chars().all(|c| c.is_ascii_digit())) {
            return refuse();
        }
        Ok(HostName(host.to_owned()))
    }
}

/// A TCP port, 1 to 65535.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Port(u16);

impl Port {
    pub fn parse(port: u64) -> Result<Self, String> {
        match u16::try_from(port) {
            Ok(p) if p > 0 => Ok(Port(p)),
            _ => Err(format!("{port} is not a TCP port (1 to 65535)")),
        }
    }
}

/// An iSCSI qualified name (RFC 3720): `iqn.YYYY-MM.reversed.domain[:anything]`, `eui.` and 16 hex digits, or
/// `naa.` and 16 or 32 hex digits; at most 223 bytes of lower-case letters, digits, `.`, `-` and `:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Iqn(String);

impl Iqn {
    pub fn parse(what: &str, iqn: &str) -> Result<Self, String> {
        let refuse =
            || Err(format!("The {what} \"{iqn}\" is not an iSCSI name (iqn.YYYY-MM.domain:name, eui.… or naa.…)"));
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | ':');
        if iqn.is_empty() || iqn.len() > 223 || !iqn.chars().all(allowed) {
            return refuse();
        }
        let hex = |s: &str| s.chars().all(|c| c.is_ascii_hexdigit());
        let ok = if let Some(rest) = iqn.strip_prefix("iqn.") {
            // YYYY-MM, a dot, then the naming authority (a reversed domain) with at least one character.
            let b = rest.as_bytes();
            rest.len() > 8
                && b[..4].iter().all(u8::is_ascii_digit)
                && b[4] == b'-'
                && b[5..7].iter().all(u8::is_ascii_digit)
                && b[7] == b'.'
                && !rest[8..].starts_with([':', '.'])
        } else if let Some(rest) = iqn.strip_prefix("eui.") {
            rest.len() == 16 && hex(rest)
        } else if let Some(rest) = iqn.strip_prefix("naa.") {
            (rest.len() == 16 || rest.len() == 32) && hex(rest)
        } else {
            false
        };
        if !ok {
            return refuse();
        }
        Ok(Iqn(iqn.to_owned()))
    }
}

/// A SCSI host adapter as the kernel names it: `host` and a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScsiHost(String);

impl ScsiHost {
    pub fn parse(adapter: &str) -> Result<Self, String> {
        match adapter.strip_prefix("host") {
            Some(n) if !n.is_empty() && n.len() <= 9 && n.chars().all(|c| c.is_ascii_digit()) => {
                Ok(ScsiHost(adapter.to_owned()))
            }
            _ => Err(format!("\"{adapter}\" is not a SCSI host adapter (host0, host1, …)")),
        }
    }
}

/// The name of a Ceph pool, a Gluster volume or a ZFS pool, or a user name: letters, digits and `_ . -` (and `:`
/// for ZFS), not starting with `-` or `.`, at most 255 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceName(String);

impl SourceName {
    pub fn parse(what: &str, name: &str) -> Result<Self, String> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | ':');
        if name.is_empty() || name.len() > 255 || name.starts_with(['-', '.']) || !name.chars().all(allowed) {
            return Err(format!("The {what} \"{name}\" may only have letters, digits and _ . - :"));
        }
        Ok(SourceName(name.to_owned()))
    }
}

/// A libvirt secret's usage name (`virsh secret-list --details`): any text without control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretUsage(String);

impl SecretUsage {
    pub fn parse(usage: &str) -> Result<Self, String> {
        if usage.is_empty() || usage.len() > 255 || usage.chars().any(char::is_control) {
            return Err("The secret's usage name may not be empty or contain control characters".into());
        }
        Ok(SecretUsage(usage.to_owned()))
    }
}

macro_rules! as_str {
    ($($t:ty),*) => {$(
        impl $t {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    )*};
}
as_str!(AbsPath, HostName, Iqn, ScsiHost, SourceName, SecretUsage);

impl Port {
    pub fn get(self) -> u16 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_values_accept_and_refuse() {
        assert!(AbsPath::parse("path", "/srv/x").is_ok());
        assert!(AbsPath::parse("path", "srv/x").is_err());
        assert!(AbsPath::parse("path", "/a\nb").is_err());
        for ok in ["127.0.0.1", "::1", "fd00::5", "ceph-mon1.example.org", "nas", "nas."] {
            assert!(HostName::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a b", "-x.org", "x-.org", "a..b", "999.1.1.1", "host/dir", "[::1]", "a_b"] {
            assert!(HostName::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Port::parse(3260).unwrap().get(), 3260);
        assert!(Port::parse(0).is_err() && Port::parse(70000).is_err());
        for ok in [
            "iqn.2026-01.org.cockpit-virt:cvtest-target",
            "iqn.2003-01.org.linux-iscsi.host.x8664",
            "eui.02004567a425678d",
            "naa.52004567ba64678d",
        ] {
            assert!(Iqn::parse("target", ok).is_ok(), "{ok}");
        }
        for bad in ["", "iqn.2026-1.org.x", "iqn.2026-01.", "iqn.2026-01:x", "IQN.2026-01.org.x", "eui.12", "x"] {
            assert!(Iqn::parse("target", bad).is_err(), "{bad}");
        }
        assert!(Iqn::parse("target", "iqn.2026-01.org.x y").unwrap_err().contains("target"));
        assert!(ScsiHost::parse("host12").is_ok());
        for bad in ["host", "hostx", "scsi_host0", "host1 "] {
            assert!(ScsiHost::parse(bad).is_err(), "{bad}");
        }
        assert!(SourceName::parse("Ceph pool", "rbd-pool_1").is_ok());
        for bad in ["", "-x", ".x", "a/b", "a b"] {
            assert!(SourceName::parse("Ceph pool", bad).is_err(), "{bad}");
        }
        assert!(SecretUsage::parse("client.admin secret").is_ok());
        assert!(SecretUsage::parse("").is_err());
    }
}
