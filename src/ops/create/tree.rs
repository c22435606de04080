//! Install trees by URL, the way virt-install's `--location` does it: read `<url>/.treeinfo`, take the
//! installer's kernel and initrd from its `[images-<arch>]` section, download both into the pool as
//! volumes `<name>-kernel` and `<name>-initrd` (streamed: the server's bytes go straight into the
//! volume), and boot them directly with the URL on the kernel's
//! command line (`inst.repo=<url>` for Anaconda; see [`kernel_url_arg`]).
//!
//! Trees are read over http or https ([`crate::http`]). The kernel and initrd must lie under the
//! tree's own URL (as virt-install requires), and each is at most [`MAX_BOOT_FILE`] bytes.

use std::fs::File;
use std::io::{self, Read, Seek};
use std::time::Duration;

use virt::connect::Connect;

use super::progress::Progress;
use super::storage::{self, Rollback};
use crate::http::{self, UrlUse, WebUrl};
use crate::problem::Problem;

/// How long reading `.treeinfo` may take (the page validates while the user types).
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one kernel or initrd download may take.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(1800);
/// The largest kernel or initrd we download (real ones are 10 to 150 MiB).
pub const MAX_BOOT_FILE: u64 = 1 << 30;
const MAX_TREEINFO_BYTES: usize = 256 * 1024;

/// A tree's URL (with a trailing `/`) and its boot files under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree {
    pub url: WebUrl,
    pub kernel: WebUrl,
    pub initrd: WebUrl,
}

/// Reads the tree's `.treeinfo` (or `treeinfo`); the error is the message for field `source`.
pub fn probe(url: &WebUrl, arch: &str) -> Result<Tree, String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err("Install trees can only be read over http:// or https:// (for ftp or nfs use an ISO URL)".into());
    }
    let base = url.as_dir();
    // Older trees name the file `treeinfo`; virt-install and libosinfo try both.
    let mut answer = None;
    for file in [".treeinfo", "treeinfo"] {
        let treeinfo = base.join(file, UrlUse::Fetch).map_err(|err| err.to_string())?;
        let got = http::get(&treeinfo, None, PROBE_TIMEOUT).map_err(|err| format!("Cannot read {treeinfo}: {err}"))?;
        let found = got.status == 200;
        answer = Some((treeinfo, got));
        if found {
            break;
        }
    }
    let (treeinfo, response) = answer.expect("two tries");
    if response.status != 200 {
        return Err(format!(
            "{url} is neither an ISO image nor an install tree: it has no .treeinfo ({treeinfo} answered HTTP {})",
            response.status
        ));
    }
    let text = response.first_bytes(MAX_TREEINFO_BYTES).map_err(|err| format!("Cannot read {treeinfo}: {err}"))?;
    let (kernel, initrd) = boot_images(&String::from_utf8_lossy(&text), arch)
        .ok_or_else(|| format!("The install tree's .treeinfo names no kernel and initrd for {arch}"))?;
    let resolve = |path: &str| {
        let file = base.join(path, UrlUse::Fetch).map_err(|err| format!("The install tree's .treeinfo: {err}"))?;
        if !base.contains(&file) {
            return Err(format!("The install tree's .treeinfo names {file}, which is not inside {base}"));
        }
        Ok(file)
    };
    Ok(Tree { url: base.clone(), kernel: resolve(&kernel)?, initrd: resolve(&initrd)? })
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
        let vol = match open(url)? {
            (body, Some(length)) => {
                storage::upload_with_progress(conn, rollback, progress, &message, pool, &volume, body, length)?
            }
            // No Content-Length (chunked): spooled to an unlinked temporary file first, never into memory.
            (mut body, None) => {
                let (file, length) = spool(&mut body).map_err(|err| Problem::internal(format!("reading: {err}")))?;
                storage::upload_with_progress(conn, rollback, progress, &message, pool, &volume, file, length)?
            }
        };
        paths.push(vol.path()?);
    }
    let initrd = paths.pop().expect("two downloads");
    Ok((paths.pop().expect("two downloads"), initrd))
}

/// Starts downloading `url`: a reader of its bytes (failing past [`MAX_BOOT_FILE`]) and the length
/// the server announced, refused when over the cap.
fn open(url: &WebUrl) -> Result<(Reader, Option<u64>), Problem> {
    let response =
        http::get(url, None, DOWNLOAD_TIMEOUT).map_err(|err| Problem::internal(format!("Downloading {url}: {err}")))?;
    if response.status != 200 {
        return Err(Problem::internal(format!("Downloading {url}: HTTP {}", response.status)));
    }
    if let Some(length) = response.length.filter(|&length| length > MAX_BOOT_FILE) {
        return Err(Problem::internal(format!(
            "Downloading {url}: the server announces {} MiB, more than a kernel or initrd may be ({} MiB)",
            length >> 20,
            MAX_BOOT_FILE >> 20
        )));
    }
    let length = response.length;
    Ok((Reader(response.reader(MAX_BOOT_FILE)), length))
}

/// A download's body, whose read errors say what went wrong (size limit, connection).
struct Reader(http::BodyReader);

impl Read for Reader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf).map_err(|err| io::Error::other(self.0.explain(&err)))
    }
}

/// Copies `body` into a temporary file that is unlinked at once, rewound, with its length.
fn spool(body: &mut Reader) -> io::Result<(File, u64)> {
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("cockpit-virt-download-{}-{n}", std::process::id()));
    let mut file = std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(&path)?;
    std::fs::remove_file(&path)?;
    let length = io::copy(body, &mut file)?;
    file.rewind()?;
    Ok((file, length))
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
    fn tree_kernel_args() {
        assert_eq!(kernel_url_arg(Some("fedora"), Some("37")), "inst.repo");
        assert_eq!(kernel_url_arg(Some("fedora"), Some("18")), "method");
        assert_eq!(kernel_url_arg(Some("rhel"), Some("6.10")), "method");
        assert_eq!(kernel_url_arg(Some("centos"), Some("8")), "inst.repo");
        assert_eq!(kernel_url_arg(Some("opensuse"), Some("15.4")), "install");
        assert_eq!(kernel_url_arg(None, None), "inst.repo");
        let ftp = WebUrl::parse("ftp://h/os/", UrlUse::Media).unwrap();
        assert!(probe(&ftp, "x86_64").unwrap_err().contains("https://"));
    }

    fn url(text: &str) -> WebUrl {
        WebUrl::parse(text, UrlUse::Fetch).unwrap()
    }

    #[test]
    fn tree_probe_reads_treeinfo() {
        use crate::http::testserver::{Server, ok, status};
        let missing = || status("404 Not Found", "");
        let server = Server::start(vec![ok(FEDORA.as_bytes()), missing(), missing()]);
        let base = url(&server.url("/pub/os"));
        let tree = probe(&base, "x86_64").unwrap();
        assert_eq!(tree.url.to_string(), server.url("/pub/os/"));
        assert_eq!(tree.kernel.to_string(), server.url("/pub/os/images/pxeboot/vmlinuz"));
        assert_eq!(tree.initrd.to_string(), server.url("/pub/os/images/pxeboot/initrd.img"));
        let missing = probe(&base, "x86_64").unwrap_err();
        assert!(missing.contains("neither an ISO image nor an install tree") && missing.contains("404"), "{missing}");
        assert!(missing.contains("/pub/os/treeinfo answered"), "{missing}");
        let paths: Vec<String> = server.requests().iter().map(|r| r.split(' ').nth(1).unwrap().to_string()).collect();
        assert_eq!(paths, ["/pub/os/.treeinfo", "/pub/os/.treeinfo", "/pub/os/treeinfo"]);
    }

    /// A claimed length over the cap is refused before anything is made; a chunked body is spooled to disk.
    #[test]
    fn tree_download_size_cap_and_chunked_spool() {
        use crate::http::testserver::{Server, ok};
        let huge = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\nxyz", 2 * MAX_BOOT_FILE).into_bytes();
        let chunked =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n".to_vec();
        let server = Server::start(vec![huge, chunked, ok(b"kernel")]);
        let err = open(&url(&server.url("/k"))).err().unwrap();
        assert!(
            err.message.contains("announces 2048 MiB, more than a kernel or initrd may be (1024 MiB)"),
            "{}",
            err.message
        );
        let (mut body, length) = open(&url(&server.url("/k"))).ok().unwrap();
        assert_eq!(length, None);
        let (mut file, length) = spool(&mut body).unwrap();
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        assert_eq!((length, text.as_str()), (11, "hello world"));
        let (_, length) = open(&url(&server.url("/k"))).ok().unwrap();
        assert_eq!(length, Some(6));
        server.requests();
    }

    /// A `.treeinfo` may not send the helper to another host, or out of the tree.
    #[test]
    fn tree_boot_files_must_lie_inside_the_tree() {
        use crate::http::testserver::{Server, ok};
        let hostile = [
            "kernel = http://169.254.169.254/latest/meta-data\ninitrd = i\n",
            "kernel = ../../../etc/k\ninitrd = i\n",
            "kernel = k\ninitrd = http://other.example/pub/os/i\n",
            "kernel = k\ninitrd = https://127.0.0.1/pub/os/i\n",
        ];
        let server =
            Server::start(hostile.iter().map(|images| ok(format!("[images-x86_64]\n{images}").as_bytes())).collect());
        for images in hostile {
            let message = probe(&url(&server.url("/pub/os/")), "x86_64").unwrap_err();
            assert!(message.contains("which is not inside") && message.contains("/pub/os/"), "{images}: {message}");
        }
        server.requests();
    }
}
