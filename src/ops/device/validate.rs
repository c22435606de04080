//! The device op's input, checked once into values that cannot be wrong: sizes, paths, names, MACs,
//! and the few words (bus, cache, model, format) libvirt would otherwise reject later or not at all.

use crate::http::{UrlUse, WebUrl};
use crate::problem::{Problem, ProblemCode};
use crate::xml::device::DiskSource;

/// Largest size accepted for a disk (1 PiB): above it, a typo rather than a wish.
pub const MAX_SIZE: u64 = 1 << 50;

pub fn invalid(message: impl Into<String>) -> Problem {
    Problem::new(ProblemCode::InvalidArgument, message)
}

/// A size in bytes from JSON: a whole number above 0 and at most [`MAX_SIZE`].
pub fn size(value: f64) -> Result<u64, Problem> {
    if !value.is_finite() || value.fract() != 0.0 {
        return Err(invalid("The size must be a whole number of bytes"));
    }
    if value <= 0.0 {
        return Err(invalid("The size must be larger than 0"));
    }
    if value > MAX_SIZE as f64 {
        return Err(invalid(format!("The size must be at most {}", human(MAX_SIZE))));
    }
    Ok(value as u64)
}

/// Binary units, as the page shows them.
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

/// An absolute path without control characters.
pub fn path(value: &str) -> Result<String, Problem> {
    if !value.starts_with('/') {
        return Err(invalid(format!("\"{value}\" is not an absolute path")));
    }
    if value.len() > 4096 || value.chars().any(char::is_control) {
        return Err(invalid("The path contains characters a file name cannot have"));
    }
    Ok(value.to_string())
}

/// A URL QEMU reads media from itself (http, https, ftp, nfs), parsed as the create dialog parses one.
pub fn media_url(value: &str) -> Result<WebUrl, Problem> {
    WebUrl::parse(value.trim(), UrlUse::Media).map_err(|err| invalid(err.to_string()))
}

/// The drive's `<source>` for media at `url`. libvirt builds QEMU's URL from `name` and `query` and
/// escapes the path itself, so `name` is the decoded path (`/a b.iso`, not `/a%20b.iso`).
pub fn network_source(url: &WebUrl) -> Result<DiskSource, Problem> {
    let name = url.decoded_path().ok_or_else(|| invalid("The URL's path has escapes that are not text"))?;
    let query = url.query().map(str::to_string);
    Ok(DiskSource::Network { protocol: url.scheme().to_string(), host: url.host(), port: url.port(), name, query })
}

/// Refuses a file QEMU could not open, with the create dialog's advice (which directory blocks it and
/// how to allow it). `readonly`: media and read-only drives need only reading.
pub fn qemu_can_open(conn: &virt::connect::Connect, path: &str, readonly: bool) -> Result<(), Problem> {
    use crate::ops::create::access::{Need, check};
    let meta = std::fs::metadata(path).map_err(|err| invalid(format!("{path}: {err}")))?;
    use std::os::unix::fs::FileTypeExt;
    if !meta.is_file() && !meta.file_type().is_block_device() {
        return Err(invalid(format!("{path} is not a file or block device")));
    }
    let uri = conn.uri().unwrap_or_default();
    if let Some((user, dynamic_ownership)) = crate::ops::create::host::qemu_access(conn, &uri) {
        let need = if readonly { Need::Read } else { Need::ReadWrite };
        check(std::path::Path::new(path), &user, need, dynamic_ownership).map_err(invalid)?;
    }
    Ok(())
}

/// A disk serial: up to 20 letters, digits, `-`, `_` or `.` (QEMU's limit for most buses); empty clears it.
pub fn serial(value: &str) -> Result<String, Problem> {
    let value = value.trim();
    if value.len() > 20 || !value.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        return Err(invalid("A disk serial is at most 20 letters, digits, '-', '_' or '.'"));
    }
    Ok(value.to_string())
}

/// A pool, volume, network or bridge name: not empty, no control characters or `/`; spaces, quotes
/// and unicode are fine (XML escaping carries them).
pub fn name(what: &str, value: &str) -> Result<String, Problem> {
    if value.trim().is_empty() {
        return Err(invalid(format!("The {what} name must not be empty")));
    }
    if value.len() > 255 || value.contains('/') || value.chars().any(char::is_control) {
        return Err(invalid(format!("\"{value}\" is not a valid {what} name")));
    }
    Ok(value.to_string())
}

/// A unicast MAC address, written `52:54:00:ab:cd:ef` (any case; answered in lower case).
pub fn mac(value: &str) -> Result<String, Problem> {
    let octets: Vec<Option<u8>> =
        value.split(':').map(|o| (o.len() == 2).then(|| u8::from_str_radix(o, 16).ok()).flatten()).collect();
    let Some(octets) = (octets.len() == 6).then(|| octets.into_iter().collect::<Option<Vec<u8>>>()).flatten() else {
        return Err(invalid(format!(
            "\"{value}\" is not a MAC address (six pairs of hex digits, like 52:54:00:12:34:56)"
        )));
    };
    if octets[0] & 1 == 1 {
        return Err(invalid(format!("{value} is a multicast address; a network interface needs a unicast one")));
    }
    if octets.iter().all(|&o| o == 0) {
        return Err(invalid("00:00:00:00:00:00 is not a usable MAC address"));
    }
    Ok(value.to_ascii_lowercase())
}

/// An 802.1Q VLAN tag: 1 to 4094 (0 and 4095 are reserved).
pub fn vlan(value: f64) -> Result<u16, Problem> {
    if value.fract() != 0.0 || !(1.0..=4094.0).contains(&value) {
        return Err(invalid("A VLAN tag is a whole number from 1 to 4094"));
    }
    Ok(value as u16)
}

/// Most port forwards one interface takes: more is a typo or a script gone wrong.
pub const MAX_FORWARDS: usize = 32;

/// passt's port forwards, `(proto, host port, guest port)`: TCP or UDP, host ports from 1024 (passt
/// runs as QEMU's unprivileged user), guest ports from 1, each host port once per protocol.
pub fn forwards<'a>(
    given: impl ExactSizeIterator<Item = (&'a str, f64, f64)>,
) -> Result<Vec<crate::xml::device::PortForward>, Problem> {
    if given.len() > MAX_FORWARDS {
        return Err(invalid(format!("At most {MAX_FORWARDS} port forwards")));
    }
    let port = |what: &str, value: f64, lowest: f64| {
        if value.fract() != 0.0 || !(lowest..=65535.0).contains(&value) {
            return Err(invalid(format!("The {what} port must be a whole number from {lowest} to 65535")));
        }
        Ok(value as u16)
    };
    let mut forwards: Vec<crate::xml::device::PortForward> = Vec::new();
    for (proto, host, guest) in given {
        let proto = word("protocol", proto, &["tcp", "udp"])?;
        let forward = crate::xml::device::PortForward {
            proto,
            host: port("host", host, 1024.0)?,
            guest: port("guest", guest, 1.0)?,
        };
        if forwards.iter().any(|f| f.proto == forward.proto && f.host == forward.host) {
            return Err(invalid(format!("Host port {} ({proto}) is forwarded twice", forward.host)));
        }
        forwards.push(forward);
    }
    Ok(forwards)
}

/// One of `allowed`, by its exact spelling.
pub fn word(what: &str, value: &str, allowed: &[&'static str]) -> Result<&'static str, Problem> {
    allowed
        .iter()
        .find(|w| **w == value)
        .copied()
        .ok_or_else(|| invalid(format!("Unknown {what} \"{value}\"; expected one of: {}", allowed.join(", "))))
}

pub const BUSES: &[&str] = &["virtio", "scsi", "sata", "usb"];
pub const CACHES: &[&str] = &["default", "none", "writeback", "writethrough", "directsync", "unsafe"];
pub const FORMATS: &[&str] = &["qcow2", "raw"];
pub const MODELS: &[&str] = &["virtio", "e1000e", "e1000", "rtl8139"];
pub const DIRECT_MODES: &[&str] = &["bridge", "vepa", "private", "passthrough"];

/// A libvirt node device name (`pci_0000_00_1f_3`, `usb_1_5`, `mdev_<uuid>_…`).
pub fn node_device_name(value: &str) -> Result<String, Problem> {
    let ok = !value.is_empty()
        && value.len() <= 200
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'));
    if !ok {
        return Err(invalid(format!("\"{value}\" is not a host device name")));
    }
    Ok(value.to_string())
}

/// A virtiofs mount tag: what the guest mounts the directory by (`mount -t virtiofs TAG /mnt`). The kernel
/// takes up to 36 bytes; letters, digits, `-`, `_` and `.` keep it one word in any shell or fstab.
pub fn mount_tag(value: &str) -> Result<String, Problem> {
    if value.is_empty() || value.len() > 36 {
        return Err(invalid("The mount tag must be 1 to 36 characters long"));
    }
    if !value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')) {
        return Err(invalid("The mount tag may contain only letters, digits, \"-\", \"_\" and \".\""));
    }
    Ok(value.to_string())
}

/// A directory to share: an absolute path ([`path`]) that is not `/` and has no `..` or `.` step, so what
/// is shown is what is shared. Whether it exists is libvirt's to say (the helper may not see the host
/// libvirt runs on).
pub fn directory(value: &str) -> Result<String, Problem> {
    let path = path(value)?;
    if path.split('/').any(|step| step == ".." || step == ".") {
        return Err(invalid("The directory must be given without \".\" or \"..\" steps"));
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return Err(invalid("The host's whole file system cannot be shared; choose a directory"));
    }
    Ok(trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(size(1024.0).unwrap(), 1024);
        for bad in [0.0, -1.0, 1.5, f64::NAN, f64::INFINITY, (MAX_SIZE as f64) * 2.0] {
            assert_eq!(size(bad).unwrap_err().code, ProblemCode::InvalidArgument, "{bad}");
        }
        assert!(size(-1.0).unwrap_err().message.contains("larger than 0"));
    }

    #[test]
    fn macs() {
        assert_eq!(mac("52:54:00:AB:cd:EF").unwrap(), "52:54:00:ab:cd:ef");
        for bad in [
            "",
            "52:54:00:ab:cd",
            "52:54:00:ab:cd:ef:01",
            "52-54-00-ab-cd-ef",
            "5:54:00:ab:cd:ef0",
            "zz:54:00:ab:cd:ef",
        ] {
            assert!(mac(bad).unwrap_err().message.contains("not a MAC"), "{bad}");
        }
        assert!(mac("01:00:5e:00:00:01").unwrap_err().message.contains("multicast"));
        assert!(mac("00:00:00:00:00:00").is_err());
    }

    #[test]
    fn names_and_paths() {
        assert_eq!(name("volume", "my \"disk\" ü.qcow2").unwrap(), "my \"disk\" ü.qcow2");
        assert!(name("volume", " ").is_err());
        assert!(name("volume", "a/b").is_err());
        assert!(name("volume", "a\nb").is_err());
        assert!(path("relative.iso").is_err());
        assert!(path("/tmp/a\u{7}.iso").is_err());
        assert_eq!(path("/tmp/with space ü.iso").unwrap(), "/tmp/with space ü.iso");
    }

    #[test]
    fn media_urls() {
        let DiskSource::Network { protocol, host, port, name, query } =
            network_source(&media_url("https://Mirror.example/isos/debian%2012%C3%BC.iso?x=1#frag").unwrap()).unwrap()
        else {
            panic!()
        };
        assert_eq!((protocol.as_str(), host.as_str(), port), ("https", "mirror.example", 443));
        assert_eq!((name.as_str(), query.as_deref()), ("/isos/debian 12ü.iso", Some("x=1")));
        assert!(media_url("http://h/a%0Ab.iso").unwrap_err().message.contains("escapes"));
        assert!(media_url("http://h/a%FF.iso").unwrap_err().message.contains("escapes"));
        assert!(media_url("file:///etc/passwd").unwrap_err().message.contains("not supported"));
        assert!(media_url("https://user:pw@h/x.iso").unwrap_err().message.contains("password"));
        assert!(media_url("https://h/a\nb.iso").is_err());
        assert!(media_url("").is_err());
        assert!(media_url("https://h/a b.iso").unwrap_err().message.contains("spaces"));
        let port = |url| match network_source(&media_url(url).unwrap()).unwrap() {
            DiskSource::Network { host, port, .. } => (host, port),
            _ => panic!("a network source"),
        };
        assert_eq!(port("https://h:8443/x.iso"), ("h".into(), 8443));
        assert_eq!(port("https://h/x.iso").1, 443);
        assert_eq!(port("ftp://h/x.iso").1, 21);
        assert_eq!(port("nfs://h/x.iso").1, 2049);
        assert_eq!(port("http://[::1]:8080/x.iso"), ("::1".into(), 8080));
        assert_eq!(port("http://[::1]/x.iso"), ("::1".into(), 80));
    }

    #[test]
    fn vlans_and_forwards() {
        assert_eq!(vlan(1.0).unwrap(), 1);
        assert_eq!(vlan(4094.0).unwrap(), 4094);
        for bad in [0.0, 4095.0, -3.0, 2.5, f64::NAN] {
            assert!(vlan(bad).is_err(), "{bad}");
        }
        let ok = forwards([("tcp", 2222.0, 22.0), ("udp", 2222.0, 53.0)].into_iter()).unwrap();
        assert_eq!(ok.len(), 2);
        assert!(forwards([("tcp", 80.0, 80.0)].into_iter()).unwrap_err().message.contains("1024"));
        assert!(forwards([("tcp", 2222.0, 0.0)].into_iter()).is_err());
        assert!(forwards([("tcp", 70000.0, 22.0)].into_iter()).is_err());
        assert!(forwards([("sctp", 2222.0, 22.0)].into_iter()).is_err());
        assert!(
            forwards([("tcp", 2222.0, 22.0), ("tcp", 2222.0, 23.0)].into_iter()).unwrap_err().message.contains("twice")
        );
        assert!(forwards(vec![("tcp", 2000.0, 1.0); MAX_FORWARDS + 1].into_iter()).is_err());
    }

    #[test]
    fn words() {
        assert_eq!(word("bus", "sata", BUSES).unwrap(), "sata");
        assert!(word("bus", "ide", BUSES).unwrap_err().message.contains("virtio, scsi"));
        assert_eq!(human(3 << 30), "3.0 GiB");
    }
}
