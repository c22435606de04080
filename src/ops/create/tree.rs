//! Install trees by URL, the way virt-install's `--location` does it: read `<url>/.treeinfo`, take the
//! installer's kernel and initrd from its `[images-<arch>]` section, download both into the pool as
//! volumes `<name>-kernel` and `<name>-initrd` (streamed: the server's bytes go straight into the
//! volume), and boot them directly with the URL on the kernel's
//! command line (`inst.repo=<url>` for Anaconda; see [`kernel_url_arg`]).
//!
//! Only `http://` trees are read (the helper's HTTP client has no TLS); other schemes are a
//! validation error on `source`.

use std::time::Duration;

use virt::connect::Connect;

use super::progress::Progress;
use super::storage::{self, Rollback};
use crate::osinfo::http::{self, HttpUrl};
use crate::problem::Problem;

/// How long reading `.treeinfo` may take (the page validates while the user types).
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one kernel or initrd download may take.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(1800);
/// A server that sends a file chunked (no `Content-Length`) has it read into memory, up to this.
const MAX_BUFFERED_BYTES: usize = 512 * 1024 * 1024;
const MAX_TREEINFO_BYTES: usize = 256 * 1024;

/// A tree's boot files, as URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree {
    pub url: String,
    pub kernel: String,
    pub initrd: String,
}

/// Whether a URL source is an install tree rather than an ISO image.
pub fn is_tree_url(url: &str) -> bool {
    let path = url.split(['?', '#']).next().unwrap_or("");
    !path.to_ascii_lowercase().ends_with(".iso")
}

/// Reads the tree's `.treeinfo` (or `treeinfo`); the error is the message for field `source`.
pub fn probe(url: &str, arch: &str) -> Result<Tree, String> {
    let Some(base) = HttpUrl::parse(&with_slash(url)) else {
        return Err("Install trees can only be read over http:// (for https, ftp or nfs use an ISO URL)".into());
    };
    // Older trees name the file `treeinfo`; virt-install and libosinfo try both.
    let mut response = None;
    for file in [".treeinfo", "treeinfo"] {
        let treeinfo = base.join(file).ok_or_else(|| format!("Cannot use the URL {url}"))?;
        let got = http::get(&treeinfo, None, MAX_TREEINFO_BYTES, PROBE_TIMEOUT)
            .map_err(|err| format!("Cannot read {treeinfo}: {err}"))?;
        let found = got.status == 200;
        response = Some((treeinfo, got));
        if found {
            break;
        }
    }
    let (treeinfo, response) = response.expect("two tries");
    if response.status != 200 {
        return Err(format!(
            "{url} is neither an ISO image nor an install tree: it has no .treeinfo ({treeinfo} answered HTTP {})",
            response.status
        ));
    }
    let (kernel, initrd) = boot_images(&String::from_utf8_lossy(&response.body), arch)
        .ok_or_else(|| format!("The install tree's .treeinfo names no kernel and initrd for {arch}"))?;
    let resolve = |path: &str| base.join(path).map(|u| u.to_string()).ok_or_else(|| format!("Cannot use {path}"));
    Ok(Tree { url: url.to_string(), kernel: resolve(&kernel)?, initrd: resolve(&initrd)? })
}

/// `url` with a trailing `/`, so that relative paths resolve inside the tree.
fn with_slash(url: &str) -> String {
    if url.ends_with('/') { url.to_string() } else { format!("{url}/") }
}

/// `kernel` and `initrd` of the `[images-<arch>]` group of a `.treeinfo` (a GKeyFile).
fn boot_images(text: &str, arch: &str) -> Option<(String, String)> {
    let wanted = format!("images-{arch}");
    let (mut kernel, mut initrd) = (None, None);
    let mut in_group = false;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(group) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_group = group.trim() == wanted;
            continue;
        }
        let Some((key, value)) = line.split_once('=').filter(|_| in_group) else { continue };
        let value = value.trim().trim_start_matches('/').to_string();
        match key.trim() {
            "kernel" if !value.is_empty() => kernel = Some(value),
            "initrd" if !value.is_empty() => initrd = Some(value),
            _ => {}
        }
    }
    Some((kernel?, initrd?))
}

/// The kernel argument that points an installer at its repository, as virt-install chooses it:
/// `install=` for SUSE, `method=` for Fedora < 19 and RHEL/CentOS < 7, else Anaconda's `inst.repo=`
/// (`.treeinfo` trees are Anaconda's). osinfo-db's `<kernel-url-argument>` says the same for the
/// entries that have it, but it is not inherited, so most releases lack it.
pub fn kernel_url_arg(distro: Option<&str>, version: Option<&str>) -> &'static str {
    let major = version.and_then(|v| v.split(['.', '-']).next()).and_then(|v| v.parse::<u32>().ok());
    match (distro.unwrap_or(""), major) {
        ("opensuse" | "sle" | "sles" | "sled" | "caasp", _) => "install",
        ("fedora", Some(v)) if v < 19 => "method",
        ("rhel" | "centos", Some(v)) if v < 7 => "method",
        _ => "inst.repo",
    }
}

/// Downloads the kernel and initrd into volumes `<name>-kernel` and `<name>-initrd` of `pool`
/// (recorded in `rollback`); returns their paths.
pub fn download(
    conn: &Connect,
    rollback: &mut Rollback,
    progress: &mut Progress,
    tree: &Tree,
    pool: &str,
    name: &str,
) -> Result<(String, String), Problem> {
    let mut paths = Vec::new();
    for (url, volume) in [(&tree.kernel, format!("{name}-kernel")), (&tree.initrd, format!("{name}-initrd"))] {
        if progress.cancelled() {
            return Err(storage::cancelled());
        }
        let message = format!("Downloading {url}…");
        progress.step("copy", &message);
        let body = open(url)?;
        let length = body.length;
        let vol = storage::upload_with_progress(conn, rollback, progress, &message, pool, &volume, body, length)?;
        paths.push(vol.path()?);
    }
    let initrd = paths.pop().expect("two downloads");
    Ok((paths.pop().expect("two downloads"), initrd))
}

/// Starts downloading `url`: its length and a reader of its bytes, streamed into the volume.
fn open(url: &str) -> Result<http::Download, Problem> {
    let parsed = HttpUrl::parse(url).ok_or_else(|| Problem::protocol(format!("Cannot download {url}")))?;
    let body = http::download(&parsed, MAX_BUFFERED_BYTES, DOWNLOAD_TIMEOUT)
        .map_err(|err| Problem::internal(format!("Downloading {url}: {err}")))?;
    if body.status != 200 {
        return Err(Problem::internal(format!("Downloading {url}: HTTP {}", body.status)));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FEDORA: &str = "[header]\ntype = productmd.treeinfo\nversion = 1.2\n\n[general]\nfamily = Fedora\n\
        version = 37\narch = x86_64\n\n[images-x86_64]\nkernel = images/pxeboot/vmlinuz\n\
        initrd = images/pxeboot/initrd.img\nboot.iso = images/boot.iso\n\n[images-aarch64]\nkernel = a/k\ninitrd = a/i\n";

    #[test]
    fn tree_boot_images_by_arch() {
        let images = |arch| boot_images(FEDORA, arch);
        assert_eq!(images("x86_64"), Some(("images/pxeboot/vmlinuz".into(), "images/pxeboot/initrd.img".into())));
        assert_eq!(images("aarch64"), Some(("a/k".into(), "a/i".into())));
        assert_eq!(images("s390x"), None);
        assert_eq!(boot_images("[images-x86_64]\nkernel = /k\n", "x86_64"), None, "no initrd");
        assert_eq!(boot_images("[images-x86_64]\nkernel=/k\ninitrd=/i\n", "x86_64"), Some(("k".into(), "i".into())));
    }

    #[test]
    fn tree_urls_and_kernel_args() {
        assert!(is_tree_url("http://h/fedora/37/os/"));
        assert!(is_tree_url("http://h/fedora/37/os"));
        assert!(!is_tree_url("http://h/x.ISO"));
        assert!(!is_tree_url("http://h/x.iso?mirror=1"));
        assert_eq!(with_slash("http://h/os"), "http://h/os/");
        assert_eq!(kernel_url_arg(Some("fedora"), Some("37")), "inst.repo");
        assert_eq!(kernel_url_arg(Some("fedora"), Some("18")), "method");
        assert_eq!(kernel_url_arg(Some("rhel"), Some("6.10")), "method");
        assert_eq!(kernel_url_arg(Some("centos"), Some("8")), "inst.repo");
        assert_eq!(kernel_url_arg(Some("opensuse"), Some("15.4")), "install");
        assert_eq!(kernel_url_arg(None, None), "inst.repo");
        assert!(probe("https://h/os/", "x86_64").unwrap_err().contains("http://"));
        assert!(probe("ftp://h/os/", "x86_64").unwrap_err().contains("http://"));
    }

    #[test]
    fn tree_probe_reads_treeinfo_over_http() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let mut paths = Vec::new();
            for body in [Some(FEDORA), None, None] {
                let (mut conn, _) = listener.accept().unwrap();
                let mut request = Vec::new();
                let mut byte = [0u8; 1];
                while !request.ends_with(b"\r\n\r\n") && conn.read(&mut byte).unwrap() == 1 {
                    request.push(byte[0]);
                }
                paths.push(String::from_utf8(request).unwrap().split(' ').nth(1).unwrap().to_string());
                let response = match body {
                    Some(body) => format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len()),
                    None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".into(),
                };
                conn.write_all(response.as_bytes()).unwrap();
            }
            paths
        });
        let url = format!("http://127.0.0.1:{port}/pub/os");
        let tree = probe(&url, "x86_64").unwrap();
        assert_eq!(tree.kernel, format!("http://127.0.0.1:{port}/pub/os/images/pxeboot/vmlinuz"));
        assert_eq!(tree.initrd, format!("http://127.0.0.1:{port}/pub/os/images/pxeboot/initrd.img"));
        let missing = probe(&url, "x86_64").unwrap_err();
        assert!(missing.contains("neither an ISO image nor an install tree") && missing.contains("404"), "{missing}");
        assert!(missing.contains("/pub/os/treeinfo answered"), "{missing}");
        assert_eq!(server.join().unwrap(), ["/pub/os/.treeinfo", "/pub/os/.treeinfo", "/pub/os/treeinfo"]);
    }
}
