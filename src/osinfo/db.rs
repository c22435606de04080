//! The OS list the create dialog offers: osinfo-db's `<os>` entries with `<derives-from>` and `<clones>`
//! resolved the way libosinfo resolves them, reduced to what creating an x86_64 VM needs.
//!
//! Inheritance (libosinfo `osinfo_product_foreach_related`): an OS, then each OS it derives from or
//! clones, depth first. Devices are the union over that chain minus any marked `supported="false"`
//! anywhere in it; firmware entries are taken nearest first per (arch, type); resource blocks inherit
//! missing values from the same arch of the chain only when marked `inherit="true"`. Names, dates,
//! media, trees and images are never inherited.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use log::warn;
use serde::Serialize;

use super::detect::{Interner, MediaPattern, TreePattern};
use super::parse::{RawOs, RawResources, parse_os_file};

/// Where osinfo-db may live, in order of preference; `$CVIRT_OSINFO_DIR` comes first.
const DB_DIRS: &[&str] = &["/etc/osinfo", "/usr/share/osinfo", "/usr/share/libosinfo/db"];

/// The arch VMs are created for.
const ARCH: &str = "x86_64";
/// Arches whose install media and images run on it.
const RUNS_ON_X86_64: &[&str] = &["x86_64", "i686", "i586", "i386", "all"];

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;

/// virtio PCI devices (vendor 1af4) in osinfo-db: legacy ids, then virtio 1.0 ids.
const VIRTIO_DISK: &[&str] = &["http://pcisig.com/pci/1af4/1001", "http://pcisig.com/pci/1af4/1042"];
const VIRTIO_NET: &[&str] = &["http://pcisig.com/pci/1af4/1000", "http://pcisig.com/pci/1af4/1041"];
const VIRTIO_GPU: &[&str] = &["http://pcisig.com/pci/1af4/1050"];

pub struct Db {
    /// The directory read, `None` when no osinfo-db is installed.
    pub dir: Option<PathBuf>,
    /// Sorted by vendor, then version, newest first.
    pub oses: Vec<Os>,
}

/// One OS as the `osinfo` op sends it (`docs/api.md`); the detection patterns stay in the helper.
#[derive(Debug, Serialize)]
pub struct Os {
    pub id: String,
    pub short_id: String,
    pub name: String,
    pub vendor: Option<String>,
    pub family: Option<String>,
    pub distro: Option<String>,
    pub version: Option<String>,
    pub release_date: Option<String>,
    pub eol_date: Option<String>,
    pub eol: bool,
    pub recommended: Resources,
    pub minimum: Resources,
    pub virtio: Virtio,
    pub firmware: &'static str,
    pub secure_boot: bool,
    pub tpm: bool,
    pub cloud_image: bool,
    pub tree: bool,
    pub media: bool,
    #[serde(skip)]
    pub release_status: Option<String>,
    #[serde(skip)]
    pub(super) media_patterns: Vec<MediaPattern>,
    #[serde(skip)]
    pub(super) tree_patterns: Vec<TreePattern>,
}

#[derive(Debug, Default, Serialize, PartialEq)]
pub struct Resources {
    pub memory_mib: Option<u64>,
    pub storage_gib: Option<u64>,
    pub vcpus: Option<u64>,
}

#[derive(Debug, Default, Serialize, PartialEq)]
pub struct Virtio {
    pub disk: bool,
    pub net: bool,
    pub video: bool,
}

impl Db {
    /// Reads the first of `$CVIRT_OSINFO_DIR` and [`DB_DIRS`] that has an `os/` directory.
    pub fn load_default() -> Db {
        let env = std::env::var_os("CVIRT_OSINFO_DIR").map(PathBuf::from);
        Db::load_first(env.into_iter().chain(DB_DIRS.iter().map(PathBuf::from)))
    }

    /// Reads the first of `dirs` that has an `os/` directory; none gives an empty list.
    fn load_first(mut dirs: impl Iterator<Item = PathBuf>) -> Db {
        let empty = Db { dir: None, oses: Vec::new() };
        match dirs.find(|dir| dir.join("os").is_dir()) {
            Some(dir) => Db::load(&dir).unwrap_or_else(|err| {
                warn!("cannot read osinfo-db at {}: {err:#}", dir.display());
                empty
            }),
            None => empty,
        }
    }

    /// Reads `<dir>/os/<vendor>/*.xml`. A file that does not parse is skipped with a warning.
    pub fn load(dir: &Path) -> Result<Db> {
        let raw = read_tree(&dir.join("os"))?;
        let today = today();
        let mut oses = resolve(raw, &today);
        oses.sort_by(|a, b| {
            let vendor = |os: &Os| os.vendor.as_deref().unwrap_or("").to_lowercase();
            vendor(a)
                .cmp(&vendor(b))
                .then_with(|| compare_versions(b.version.as_deref(), a.version.as_deref()))
                .then_with(|| a.name.cmp(&b.name))
        });
        Ok(Db { dir: Some(dir.to_path_buf()), oses })
    }

    pub fn by_short_id(&self, short_id: &str) -> Option<&Os> {
        self.oses.iter().find(|os| os.short_id == short_id)
    }
}

/// Every `*.xml` one level below `os/`, in path order. The `<name>.d/` directories next to some files
/// only hold driver lists, which VM creation does not use.
fn read_tree(os_dir: &Path) -> Result<Vec<RawOs>> {
    let mut files = Vec::new();
    for vendor in std::fs::read_dir(os_dir).with_context(|| format!("reading {}", os_dir.display()))? {
        let vendor = vendor?.path();
        if !vendor.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(&vendor).with_context(|| format!("reading {}", vendor.display()))? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "xml") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut oses = Vec::with_capacity(files.len());
    let mut patterns = Interner::default();
    for path in files {
        let parsed =
            std::fs::read_to_string(&path).context("reading").and_then(|xml| parse_os_file(&xml, &mut patterns));
        match parsed {
            Ok(found) => oses.extend(found),
            Err(err) => warn!("skipping {}: {err:#}", path.display()),
        }
    }
    Ok(oses)
}

/// Raw entries → the OS list, each OS with what it inherits.
fn resolve(raw: Vec<RawOs>, today: &str) -> Vec<Os> {
    let index: HashMap<&str, usize> = raw.iter().enumerate().map(|(i, os)| (os.id.as_str(), i)).collect();
    let chains: Vec<Vec<usize>> = (0..raw.len()).map(|i| chain(&raw, &index, i)).collect();
    let mut oses = Vec::with_capacity(raw.len());
    for (os, chain) in raw.iter().zip(&chains) {
        let ancestors = &chain[1..];
        let minimum = resources(&os.minimum, ancestors.iter().map(|&a| &raw[a].minimum));
        let recommended = resources(&os.recommended, ancestors.iter().map(|&a| &raw[a].recommended));
        let devices = supported_devices(chain.iter().map(|&a| &raw[a]));
        let (firmware, secure_boot, tpm) = firmware(os, chain.iter().map(|&a| &raw[a]));
        let has = |list: &[&str]| list.iter().any(|id| devices.contains(id));
        oses.push(Os {
            id: os.id.clone(),
            short_id: os.short_id.clone().unwrap_or_else(|| os.id.clone()),
            name: os.name.clone().unwrap_or_else(|| os.id.clone()),
            vendor: os.vendor.clone(),
            family: os.family.clone(),
            distro: os.distro.clone(),
            version: os.version.clone(),
            release_date: os.release_date.clone(),
            eol_date: os.eol_date.clone(),
            eol: is_eol(os.release_date.as_deref(), os.eol_date.as_deref(), today),
            recommended,
            minimum,
            virtio: Virtio { disk: has(VIRTIO_DISK), net: has(VIRTIO_NET), video: has(VIRTIO_GPU) },
            firmware,
            secure_boot,
            tpm,
            cloud_image: os.images.iter().any(|img| img.cloud_init && RUNS_ON_X86_64.contains(&img.arch.as_str())),
            tree: os.trees.iter().any(|t| RUNS_ON_X86_64.contains(&t.arch.as_str())),
            media: os.media.iter().any(|m| RUNS_ON_X86_64.contains(&m.arch.as_str())),
            release_status: os.release_status.clone(),
            // Cheap: patterns are shared, not copied.
            media_patterns: os.media.clone(),
            tree_patterns: os.trees.clone(),
        });
    }
    oses
}

/// `i`, then what it derives from, then what it clones, each followed by its own chain (depth first,
/// libosinfo's order). An OS met twice, or a cycle, is visited once.
fn chain(raw: &[RawOs], index: &HashMap<&str, usize>, i: usize) -> Vec<usize> {
    fn visit(raw: &[RawOs], index: &HashMap<&str, usize>, i: usize, seen: &mut HashSet<usize>, out: &mut Vec<usize>) {
        if !seen.insert(i) {
            return;
        }
        out.push(i);
        for parent in raw[i].derives_from.iter().chain(&raw[i].clones) {
            if let Some(&p) = index.get(parent.as_str()) {
                visit(raw, index, p, seen, out);
            }
        }
    }
    let mut out = Vec::new();
    visit(raw, index, i, &mut HashSet::new(), &mut out);
    out
}

/// The x86_64 values: the OS's own blocks, inheriting ones filled from the same arch up the chain; per
/// value, the `x86_64` block if it has one, else the `all` block (as virt-install reads them).
fn resources<'a>(own: &[RawResources], ancestors: impl Iterator<Item = &'a Vec<RawResources>> + Clone) -> Resources {
    let filled: Vec<RawResources> = own
        .iter()
        .map(|block| {
            let mut block = block.clone();
            if block.inherit {
                for parent in ancestors.clone().flatten().filter(|p| p.arch == block.arch) {
                    block.n_cpus = block.n_cpus.or(parent.n_cpus);
                    block.ram = block.ram.or(parent.ram);
                    block.storage = block.storage.or(parent.storage);
                }
            }
            block
        })
        .collect();
    let pick = |get: fn(&RawResources) -> Option<u64>| {
        [ARCH, "all"].iter().find_map(|arch| filled.iter().filter(|b| b.arch == *arch).find_map(get))
    };
    Resources {
        memory_mib: pick(|b| b.ram).map(|ram| ram.div_ceil(MIB)),
        storage_gib: pick(|b| b.storage).map(|storage| storage.div_ceil(GIB)),
        vcpus: pick(|b| b.n_cpus),
    }
}

/// Device ids linked anywhere in the chain, minus those any link marks unsupported.
fn supported_devices<'a>(chain: impl Iterator<Item = &'a RawOs> + Clone) -> HashSet<&'a str> {
    let links = chain.flat_map(|os| &os.devices);
    let unsupported: HashSet<&str> = links.clone().filter(|l| !l.supported).map(|l| l.id.as_str()).collect();
    links.map(|l| l.id.as_str()).filter(|id| !unsupported.contains(id)).collect()
}

/// `efi` when BIOS is marked unsupported on x86_64 (nearest entry wins), else `bios`. osinfo-db of this
/// era has no element for Secure Boot or TPM; Windows that needs UEFI (Windows 11) needs both too.
fn firmware<'a>(os: &RawOs, chain: impl Iterator<Item = &'a RawOs>) -> (&'static str, bool, bool) {
    let mut nearest: HashMap<&str, bool> = HashMap::new();
    for fw in chain.flat_map(|os| &os.firmware).filter(|fw| fw.arch == ARCH) {
        nearest.entry(fw.kind.as_str()).or_insert(fw.supported);
    }
    let needs_efi = nearest.get("bios") == Some(&false) && nearest.get("efi") != Some(&false);
    let windows = os.distro.as_deref() == Some("win") || os.family.as_deref() == Some("winnt");
    if needs_efi { ("efi", windows, windows) } else { ("bios", false, false) }
}

/// End of life: an eol date before today, or no eol date and a release more than ten years ago.
/// Dates are ISO 8601 (`YYYY-MM-DD`), so they compare as strings.
fn is_eol(release_date: Option<&str>, eol_date: Option<&str>, today: &str) -> bool {
    match (eol_date, release_date) {
        (Some(eol), _) => eol < today,
        (None, Some(release)) => {
            let ten_years_ago = today
                .split_once('-')
                .and_then(|(year, rest)| Some(format!("{:04}-{rest}", year.parse::<u32>().ok()?.checked_sub(10)?)));
            ten_years_ago.is_some_and(|limit| release < limit.as_str())
        }
        (None, None) => false,
    }
}

/// Today (UTC) as `YYYY-MM-DD`.
fn today() -> String {
    let days = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() / 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 → proleptic Gregorian (year, month, day) (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Versions by their numeric parts ("9.10" after "9.9"), then as text; no version sorts last.
fn compare_versions(a: Option<&str>, b: Option<&str>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(a), Some(b)) => natural(a).cmp(&natural(b)),
    }
}

/// A version split into runs of digits (compared as numbers) and other text; text sorts above numbers
/// so "rawhide" or "testing" come before any numbered release when sorted newest first.
fn natural(version: &str) -> Vec<(u8, u64, String)> {
    let mut parts = Vec::new();
    let mut rest = version;
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 {
            parts.push((0, rest[..digits].parse().unwrap_or(u64::MAX), String::new()));
            rest = &rest[digits..];
        } else {
            let text = rest.len() - rest.trim_start_matches(|c: char| !c.is_ascii_digit()).len();
            let word = rest[..text].trim_matches(|c: char| c == '.' || c == '-' || c == '_');
            if !word.is_empty() {
                parts.push((1, 0, word.to_lowercase()));
            }
            rest = &rest[text..];
        }
    }
    parts
}

#[cfg(test)]
pub mod tests {
    use std::sync::OnceLock;

    use super::*;

    /// The osinfo-db installed on this machine (Debian's `osinfo-db` package), read once for all tests.
    pub fn system_db() -> &'static Db {
        static DB: OnceLock<Db> = OnceLock::new();
        DB.get_or_init(|| {
            let dir = Path::new("/usr/share/osinfo");
            assert!(dir.join("os").is_dir(), "these tests need osinfo-db installed at {}", dir.display());
            Db::load(dir).unwrap()
        })
    }

    fn fixture() -> Db {
        Db::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src/osinfo/testdata")).unwrap()
    }

    #[test]
    fn db_first_directory_with_an_os_tree_wins() {
        let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/osinfo/testdata");
        let dirs = [PathBuf::from("/nonexistent"), testdata.join("os"), testdata.clone(), "/usr/share/osinfo".into()];
        let db = Db::load_first(dirs.into_iter());
        assert_eq!(db.dir.as_deref(), Some(testdata.as_path()));
        // The broken file is skipped, the others are read.
        assert_eq!(db.oses.len(), 6);
        let none = Db::load_first([PathBuf::from("/nonexistent")].into_iter());
        assert!(none.dir.is_none() && none.oses.is_empty());
    }

    #[test]
    fn db_inheritance_of_resources_devices_and_firmware() {
        let db = fixture();
        let child = db.by_short_id("demo2").unwrap();
        // Own `all` values, plus the inheriting x86_64 block filled from demo1's x86_64 block.
        assert_eq!(child.minimum, Resources { memory_mib: Some(2048), storage_gib: Some(10), vcpus: Some(2) });
        assert_eq!(child.recommended, Resources { memory_mib: Some(4096), storage_gib: Some(30), vcpus: None });
        // virtio-block from the parent, virtio-net through the clone, gpu unsupported in the child.
        assert_eq!(child.virtio, Virtio { disk: true, net: true, video: false });
        assert_eq!((child.firmware, child.secure_boot, child.tpm), ("bios", false, false));
        // Not inherited: dates and images.
        assert_eq!(child.release_date.as_deref(), Some("2020-01-01"));
        assert!(!child.cloud_image);

        let parent = db.by_short_id("demo1").unwrap();
        assert_eq!(parent.virtio, Virtio { disk: true, net: false, video: true });
        assert!(parent.cloud_image && parent.media && !parent.tree);
        // A block without inherit="true" stays as written, even if a parent has more.
        let plain = db.by_short_id("demo3").unwrap();
        assert_eq!(plain.recommended, Resources { memory_mib: Some(512), storage_gib: None, vcpus: None });
    }

    #[test]
    fn db_windows_that_needs_uefi_gets_secure_boot_and_tpm() {
        let db = fixture();
        let win = db.by_short_id("demowin").unwrap();
        assert_eq!((win.firmware, win.secure_boot, win.tpm), ("efi", true, true));
        let win = system_db().by_short_id("win11").unwrap();
        assert_eq!((win.firmware, win.secure_boot, win.tpm), ("efi", true, true));
        let win = system_db().by_short_id("win10").unwrap();
        assert_eq!((win.firmware, win.secure_boot, win.tpm), ("bios", false, false));
    }

    #[test]
    fn db_sorted_by_vendor_then_newest_version() {
        let db = fixture();
        let order: Vec<&str> = db.oses.iter().map(|os| os.short_id.as_str()).collect();
        assert_eq!(order, ["demo10", "demo3", "demo2", "demo1", "demowin", "other"]);
        assert_eq!(compare_versions(Some("9.10"), Some("9.9")), Ordering::Greater);
        assert_eq!(compare_versions(Some("testing"), Some("12")), Ordering::Greater);
        assert_eq!(compare_versions(None, Some("1")), Ordering::Less);
    }

    #[test]
    fn db_eol_rule() {
        let today = "2026-11-25";
        assert!(is_eol(None, Some("2026-11-24"), today));
        assert!(!is_eol(None, Some("2026-11-25"), today));
        // An eol date in the future wins over an old release.
        assert!(!is_eol(Some("2001-01-01"), Some("2030-01-01"), today));
        assert!(is_eol(Some("2016-11-24"), None, today));
        assert!(!is_eol(Some("2016-11-26"), None, today));
        assert!(!is_eol(None, None, today));
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_517), (2026, 3, 5));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn db_installed_entries_look_right() {
        let db = system_db();
        assert!(db.oses.len() > 400, "{} entries", db.oses.len());
        let debian = db.by_short_id("debian11").unwrap();
        assert_eq!(debian.id, "http://debian.org/debian/11");
        assert_eq!(debian.name, "Debian 11");
        assert_eq!(debian.vendor.as_deref(), Some("Debian Project"));
        assert_eq!((debian.family.as_deref(), debian.distro.as_deref()), (Some("linux"), Some("debian")));
        assert_eq!(debian.release_date.as_deref(), Some("2021-08-14"));
        assert_eq!(debian.recommended, Resources { memory_mib: Some(1024), storage_gib: Some(20), vcpus: None });
        assert_eq!(debian.minimum, Resources { memory_mib: Some(1024), storage_gib: Some(10), vcpus: Some(1) });
        // virtio disk and net come from older Debian releases up the derives-from chain.
        assert_eq!(debian.virtio, Virtio { disk: true, net: true, video: true });
        assert!(debian.cloud_image && debian.media && debian.tree && !debian.eol);
        assert!(db.by_short_id("debian6").unwrap().eol);
        // Windows XP has no virtio drivers in the box.
        assert_eq!(db.by_short_id("winxp").unwrap().virtio, Virtio::default());
        // Short ids are unique, which the page relies on.
        let mut ids: Vec<&str> = db.oses.iter().map(|os| os.short_id.as_str()).collect();
        ids.sort();
        let before = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), before, "duplicate short ids");
    }
}
