//! cloud-init NoCloud seed: the `user-data` and `meta-data` texts, and the ISO9660 image (volume id `cidata`)
//! that carries them to the guest as a CD-ROM, written in pure Rust (no genisoimage at run time).
//!
//! cloud-init finds the seed by its volume label and reads the files by name. ISO9660 names are upper case and
//! may not hold `-`, so the real names travel in Rock Ridge `NM` entries, which Linux's isofs, blkid and
//! xorriso read; the plain ISO9660 names (`USER-DATA.;1`) still map to `user-data` on a reader without Rock
//! Ridge, as Linux's `map=normal` lowercases them and drops the `.;1`.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail, ensure};

use super::iso9660::SECTOR_SIZE;

/// What the guest is told on its first boot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedConfig {
    /// Changes whenever cloud-init should run its once-per-instance modules again (the VM's UUID is a good one).
    pub instance_id: String,
    pub hostname: Option<String>,
    pub user: Option<SeedUser>,
    pub root_password: Option<Password>,
    /// A network-config (v1 or v2) document, passed through as is; without one cloud-init runs DHCP on the first NIC.
    pub network_config: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedUser {
    pub login: String,
    pub password: Option<Password>,
    pub ssh_keys: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Password {
    Plain(String),
    /// A crypt(3) hash (`$6$…`, `$y$…`).
    Hashed(String),
}

pub const VOLUME_ID: &str = "cidata";

impl Password {
    /// A password as the seed carries it: SHA-512 crypt (`$6$`, glibc's default, read by every
    /// cloud-init and `/etc/shadow`) with a fresh random salt, so the seed never holds the password.
    pub fn hashed(plain: &str) -> Result<Password> {
        use sha_crypt::{PasswordHasher, ShaCrypt};
        let mut salt = [0u8; 12];
        // SAFETY: getrandom writes at most `len` bytes into the buffer.
        let n = unsafe { libc::getrandom(salt.as_mut_ptr().cast(), salt.len(), 0) };
        ensure!(n == salt.len() as isize, "no random salt: {}", std::io::Error::last_os_error());
        let hash = ShaCrypt::SHA512
            .hash_password_with_salt(plain.as_bytes(), &salt)
            .map_err(|err| anyhow::anyhow!("hashing a password: {err}"))?;
        Ok(Password::Hashed(hash.to_string()))
    }
}

/// Writes the seed ISO for `config` to `path` (created or truncated).
pub fn write_seed_iso(path: &Path, config: &SeedConfig) -> Result<()> {
    let image = seed_iso(config, SystemTime::now())?;
    std::fs::write(path, image).with_context(|| format!("writing {}", path.display()))
}

pub fn seed_iso(config: &SeedConfig, now: SystemTime) -> Result<Vec<u8>> {
    let user_data = render_user_data(config);
    let meta_data = render_meta_data(config);
    let mut files: Vec<(&str, &[u8])> = vec![("user-data", user_data.as_bytes()), ("meta-data", meta_data.as_bytes())];
    if let Some(network) = &config.network_config {
        files.push(("network-config", network.as_bytes()));
    }
    iso_image(VOLUME_ID, &files, now)
}

/// `#cloud-config` user-data. Every user value is a double-quoted YAML scalar ([`yaml_str`]).
pub fn render_user_data(config: &SeedConfig) -> String {
    let mut out = String::from("#cloud-config\n");
    if let Some(hostname) = &config.hostname {
        out += &format!("hostname: {}\n", yaml_str(hostname));
    }
    let mut password_login = false;
    if let Some(user) = &config.user {
        out += &format!("users:\n  - name: {}\n", yaml_str(&user.login));
        match &user.password {
            Some(password) => {
                password_login = true;
                let (key, value) = match password {
                    Password::Plain(p) => ("plain_text_passwd", p),
                    Password::Hashed(h) => ("hashed_passwd", h),
                };
                out += &format!("    lock_passwd: false\n    {key}: {}\n", yaml_str(value));
                out += "    sudo: \"ALL=(ALL) ALL\"\n";
            }
            // A key-only user has no password to give sudo.
            None => out += "    sudo: \"ALL=(ALL) NOPASSWD:ALL\"\n",
        }
        out += "    shell: \"/bin/bash\"\n";
        // Keys pasted from a file end in a newline, and a blank line is no key.
        let keys: Vec<&str> = user.ssh_keys.iter().map(|k| k.trim()).filter(|k| !k.is_empty()).collect();
        if !keys.is_empty() {
            out += "    ssh_authorized_keys:\n";
            for key in keys {
                out += &format!("      - {}\n", yaml_str(key));
            }
        }
    }
    if let Some(password) = &config.root_password {
        password_login = true;
        let (kind, value) = match password {
            Password::Plain(p) => ("text", p),
            Password::Hashed(h) => ("hash", h),
        };
        out += "chpasswd:\n  expire: false\n  users:\n";
        out += &format!("    - name: \"root\"\n      password: {}\n      type: \"{kind}\"\n", yaml_str(value));
    }
    if password_login {
        out += "ssh_pwauth: true\n";
    }
    out
}

pub fn render_meta_data(config: &SeedConfig) -> String {
    let mut out = format!("instance-id: {}\n", yaml_str(&config.instance_id));
    if let Some(hostname) = &config.hostname {
        out += &format!("local-hostname: {}\n", yaml_str(hostname));
    }
    out
}

/// A YAML double-quoted scalar that YAML 1.1 (PyYAML, as cloud-init uses) and 1.2 read back unchanged. Like a
/// JSON string, but every character outside printable ASCII is escaped: PyYAML rejects C1 controls in its input
/// and folds U+0085/U+2028/U+2029 as line breaks, and JSON's surrogate pairs would come back as lone surrogates.
pub fn yaml_str(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            c if (c as u32) <= 0xffff => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// System area (16 sectors), primary volume descriptor, terminator, L and M path tables, then the root directory.
const PVD_LBA: usize = 16;
const L_PATH_LBA: u32 = 18;
const M_PATH_LBA: u32 = 19;
const ROOT_LBA: u32 = 20;
const FIRST_FILE_LBA: u32 = 21;

/// A one-directory ISO9660 image with Rock Ridge names: `files` are (name, contents).
fn iso_image(volume_id: &str, files: &[(&str, &[u8])], now: SystemTime) -> Result<Vec<u8>> {
    ensure!(volume_id.len() <= 32, "volume id {volume_id:?} is longer than 32 bytes");
    let secs = now.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let date = RecordDate::from_unix(secs);

    let mut entries: Vec<(String, &str, &[u8])> = Vec::new();
    for &(name, data) in files {
        ensure!(!name.is_empty() && name.len() <= 64 && !name.contains('/'), "bad file name {name:?}");
        ensure!(u32::try_from(data.len()).is_ok(), "{name} is too large for ISO9660");
        entries.push((iso_name(name), name, data));
    }
    // ISO9660 directories are sorted by identifier.
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some(pair) = entries.windows(2).find(|p| p[0].0 == p[1].0) {
        bail!("{} and {} have the same ISO9660 name", pair[0].1, pair[1].1);
    }

    let mut root = Vec::with_capacity(SECTOR_SIZE);
    let mut dot_su = sp_entry();
    dot_su.extend(px_entry(0o040555, 2));
    dot_su.extend(er_entry());
    root.extend(dir_record(&[0], ROOT_LBA, SECTOR_SIZE as u32, true, &date, &dot_su)?);
    root.extend(dir_record(&[1], ROOT_LBA, SECTOR_SIZE as u32, true, &date, &px_entry(0o040555, 2))?);
    let mut lba = FIRST_FILE_LBA;
    for (iso, name, data) in &entries {
        let mut su = px_entry(0o100444, 1);
        su.extend(nm_entry(name));
        root.extend(dir_record(iso.as_bytes(), lba, data.len() as u32, false, &date, &su)?);
        lba += sectors(data.len()) as u32;
    }
    // Keeping the directory in one sector keeps the layout fixed; the seed has three small names.
    ensure!(root.len() <= SECTOR_SIZE, "too many files for a one-sector directory");

    let total = lba as usize;
    let mut image = vec![0u8; total * SECTOR_SIZE];
    image[PVD_LBA * SECTOR_SIZE..][..SECTOR_SIZE].copy_from_slice(&primary_volume_descriptor(
        volume_id,
        total as u32,
        &date,
    ));
    let terminator = &mut image[(PVD_LBA + 1) * SECTOR_SIZE..][..7];
    terminator.copy_from_slice(&[255, b'C', b'D', b'0', b'0', b'1', 1]);
    image[L_PATH_LBA as usize * SECTOR_SIZE..][..10].copy_from_slice(&path_table(u32::to_le_bytes, u16::to_le_bytes));
    image[M_PATH_LBA as usize * SECTOR_SIZE..][..10].copy_from_slice(&path_table(u32::to_be_bytes, u16::to_be_bytes));
    image[ROOT_LBA as usize * SECTOR_SIZE..][..root.len()].copy_from_slice(&root);
    let mut lba = FIRST_FILE_LBA as usize;
    for (_, _, data) in &entries {
        image[lba * SECTOR_SIZE..][..data.len()].copy_from_slice(data);
        lba += sectors(data.len());
    }
    Ok(image)
}

fn sectors(len: usize) -> usize {
    len.div_ceil(SECTOR_SIZE).max(1)
}

/// `user-data` → `USER-DATA.;1`: upper case, `-` kept (Linux maps it back without Rock Ridge), other
/// characters outside d-characters become `_`.
fn iso_name(name: &str) -> String {
    let mut iso: String = name
        .chars()
        .map(|c| match c.to_ascii_uppercase() {
            c @ ('A'..='Z' | '0'..='9' | '_' | '-' | '.') => c,
            _ => '_',
        })
        .take(30)
        .collect();
    if !iso.contains('.') {
        iso.push('.');
    }
    iso + ";1"
}

fn both16(v: u16) -> [u8; 4] {
    let (le, be) = (v.to_le_bytes(), v.to_be_bytes());
    [le[0], le[1], be[0], be[1]]
}

fn both32(v: u32) -> [u8; 8] {
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(&v.to_le_bytes());
    out[4..].copy_from_slice(&v.to_be_bytes());
    out
}

/// The 7-byte date of a directory record (UTC), and the 17-byte text date of a volume descriptor.
struct RecordDate {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

impl RecordDate {
    fn from_unix(secs: u64) -> Self {
        let days = (secs / 86400) as i64;
        let rem = (secs % 86400) as u32;
        // Days to civil date (proleptic Gregorian), after Howard Hinnant's `civil_from_days`.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        RecordDate { year, month, day, hour: rem / 3600, minute: rem / 60 % 60, second: rem % 60 }
    }

    fn record(&self) -> [u8; 7] {
        let year = (self.year - 1900).clamp(0, 255) as u8;
        [year, self.month as u8, self.day as u8, self.hour as u8, self.minute as u8, self.second as u8, 0]
    }

    fn descriptor(&self) -> [u8; 17] {
        let text = format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}00",
            self.year.clamp(0, 9999),
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second
        );
        let mut out = [0u8; 17];
        out[..16].copy_from_slice(text.as_bytes());
        out
    }
}

fn dir_record(name: &[u8], lba: u32, size: u32, is_dir: bool, date: &RecordDate, system_use: &[u8]) -> Result<Vec<u8>> {
    let mut r = vec![0u8; 33];
    r[2..10].copy_from_slice(&both32(lba));
    r[10..18].copy_from_slice(&both32(size));
    r[18..25].copy_from_slice(&date.record());
    r[25] = if is_dir { 2 } else { 0 };
    r[28..32].copy_from_slice(&both16(1));
    r[32] = name.len() as u8;
    r.extend_from_slice(name);
    // The system use area starts at an even offset, and records have even lengths.
    if name.len().is_multiple_of(2) {
        r.push(0);
    }
    r.extend_from_slice(system_use);
    if !r.len().is_multiple_of(2) {
        r.push(0);
    }
    r[0] = u8::try_from(r.len()).context("directory record longer than 255 bytes")?;
    Ok(r)
}

/// SUSP "SP": marks the use of the System Use Sharing Protocol (only in the root's `.` record).
fn sp_entry() -> Vec<u8> {
    vec![b'S', b'P', 7, 1, 0xbe, 0xef, 0]
}

/// SUSP "ER": names the extension in use, Rock Ridge (RRIP 1.10).
fn er_entry() -> Vec<u8> {
    const ID: &[u8] = b"RRIP_1991A";
    const DES: &[u8] = b"THE ROCK RIDGE INTERCHANGE PROTOCOL PROVIDES SUPPORT FOR POSIX FILE SYSTEM SEMANTICS";
    const SRC: &[u8] = b"PLEASE CONTACT DISC PUBLISHER FOR SPECIFICATION SOURCE.";
    let mut e = vec![b'E', b'R', (8 + ID.len() + DES.len() + SRC.len()) as u8, 1];
    e.extend([ID.len() as u8, DES.len() as u8, SRC.len() as u8, 1]);
    e.extend_from_slice(ID);
    e.extend_from_slice(DES);
    e.extend_from_slice(SRC);
    e
}

/// RRIP "PX": POSIX mode and link count, owner root.
fn px_entry(mode: u32, links: u32) -> Vec<u8> {
    let mut e = vec![b'P', b'X', 36, 1];
    e.extend(both32(mode));
    e.extend(both32(links));
    e.extend(both32(0));
    e.extend(both32(0));
    e
}

/// RRIP "NM": the file's real name.
fn nm_entry(name: &str) -> Vec<u8> {
    let mut e = vec![b'N', b'M', (5 + name.len()) as u8, 1, 0];
    e.extend_from_slice(name.as_bytes());
    e
}

fn path_table(u32_bytes: fn(u32) -> [u8; 4], u16_bytes: fn(u16) -> [u8; 2]) -> [u8; 10] {
    let mut t = [0u8; 10];
    t[0] = 1; // identifier length: the root's is one zero byte
    t[2..6].copy_from_slice(&u32_bytes(ROOT_LBA));
    t[6..8].copy_from_slice(&u16_bytes(1)); // parent: itself
    t
}

fn primary_volume_descriptor(volume_id: &str, total_sectors: u32, date: &RecordDate) -> [u8; SECTOR_SIZE] {
    let mut d = [0u8; SECTOR_SIZE];
    d[0] = 1;
    d[1..6].copy_from_slice(b"CD001");
    d[6] = 1;
    let text = |d: &mut [u8; SECTOR_SIZE], at: usize, len: usize, value: &str| {
        d[at..at + len].fill(b' ');
        d[at..at + value.len()].copy_from_slice(value.as_bytes());
    };
    text(&mut d, 8, 32, "LINUX");
    text(&mut d, 40, 32, volume_id);
    d[80..88].copy_from_slice(&both32(total_sectors));
    d[120..124].copy_from_slice(&both16(1)); // volume set size
    d[124..128].copy_from_slice(&both16(1)); // volume sequence number
    d[128..132].copy_from_slice(&both16(SECTOR_SIZE as u16));
    d[132..140].copy_from_slice(&both32(10)); // path table size
    d[140..144].copy_from_slice(&L_PATH_LBA.to_le_bytes());
    d[148..152].copy_from_slice(&M_PATH_LBA.to_be_bytes());
    let root = dir_record(&[0], ROOT_LBA, SECTOR_SIZE as u32, true, date, &[]).expect("34-byte record");
    d[156..190].copy_from_slice(&root);
    text(&mut d, 190, 128, ""); // volume set
    text(&mut d, 318, 128, ""); // publisher
    text(&mut d, 446, 128, ""); // data preparer
    text(&mut d, 574, 128, "COCKPIT-VIRT");
    text(&mut d, 702, 37 * 3, ""); // copyright, abstract, bibliographic files
    let created = date.descriptor();
    d[813..830].copy_from_slice(&created);
    d[830..847].copy_from_slice(&created);
    // Expiration and effective dates: "not specified".
    d[847..863].fill(b'0');
    d[864..880].fill(b'0');
    d[881] = 1; // file structure version
    d
}

#[cfg(test)]
mod tests;
