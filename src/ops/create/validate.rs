//! Host-side validation of a SPEC: every rule the page cannot check alone (issue 5 and
//! cockpit-machines' create dialog), answered as `{errors, warnings}` keyed by field name.
//! Errors stop `create`; warnings are shown and allowed.
//!
//! A new volume larger than the pool's available space is an error even though qcow2 is
//! sparse: a guest that fills its disk on a full pool is paused by QEMU mid-write.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::access::{self, Need};
use super::host::HostOptions;
use super::os::OsLookup;
use super::spec::{CloudUser, FirmwareChoice, MAX_SIZE_GIB, Network, Source, Spec, Storage, VirtType, gib_to_bytes};
use super::tree::Tree;
use crate::media::local::{self, LocalPath};
use crate::media::{iso9660, qcow2};
use crate::model::Vm;

#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct Findings {
    pub errors: BTreeMap<String, String>,
    pub warnings: BTreeMap<String, String>,
}

impl Findings {
    /// Keeps the first message per field: the most basic problem is the one to fix first.
    fn error(&mut self, field: &str, message: impl Into<String>) {
        self.errors.entry(field.into()).or_insert_with(|| message.into());
    }
    fn warn(&mut self, field: &str, message: impl Into<String>) {
        self.warnings.entry(field.into()).or_insert_with(|| message.into());
    }
    pub fn ok(&self) -> bool {
        self.errors.is_empty()
    }
}

/// What libvirt and the system said, gathered before validation.
pub struct Facts {
    pub host: HostOptions,
    /// A domain of that name exists on this connection.
    pub name_taken: bool,
    pub os: OsLookup,
    /// The (pool, volume) pairs of [`volumes_to_check`] that exist.
    pub existing_volumes: Vec<(String, String)>,
    /// The VMs whose disks use the existing volume `storage` names.
    pub volume_users: Vec<String>,
    /// An install tree source's `.treeinfo`, read (or the reason it cannot be, for `source`).
    pub tree: Option<Result<Tree, String>>,
    /// Why an ISO image by URL cannot be used (unreachable, not an ISO), for `source`.
    pub url_problem: Option<String>,
}

impl Facts {
    fn volume_exists(&self, pool: &str, volume: &str) -> bool {
        self.existing_volumes.iter().any(|(p, v)| p == pool && v == volume)
    }
}

/// The names of the VMs with a disk on `pool`/`volume`, by pool and volume or by its path.
pub fn volume_users<'a>(
    vms: impl Iterator<Item = &'a Vm>,
    pool: &str,
    volume: &str,
    path: Option<&str>,
) -> Vec<String> {
    let mut users: Vec<String> = vms
        .filter(|vm| {
            vm.config.disks.iter().any(|disk| {
                (disk.pool.as_deref() == Some(pool) && disk.volume.as_deref() == Some(volume))
                    || (path.is_some() && disk.source.as_deref() == path)
            })
        })
        .map(|vm| vm.name.clone())
        .collect();
    users.sort();
    users
}

/// The volumes whose existence matters: those we would create (must not exist) and the one
/// the spec uses (must exist).
pub fn volumes_to_check(spec: &Spec) -> Vec<(String, String)> {
    let mut volumes: Vec<_> = spec.new_disk_volume().into_iter().chain(spec.seed_volume()).collect();
    volumes.extend(spec.tree_volumes().into_iter().flatten());
    if let Storage::Volume { pool, volume } = spec.storage() {
        volumes.push((pool.clone(), volume.clone()));
    }
    volumes
}

pub fn validate(spec: &Spec, facts: &Facts) -> Findings {
    let mut findings = Findings::default();
    check_name(spec, facts, &mut findings);
    if let OsLookup::Unknown(id) = &facts.os {
        findings.error("os", format!("osinfo-db has no operating system \"{id}\""));
    }
    check_source(spec, facts, &mut findings);
    check_resources(spec, facts, &mut findings);
    check_storage(spec, facts, &mut findings);
    check_network(spec, facts, &mut findings);
    check_platform(spec, facts, &mut findings);
    findings
}

fn check_name(spec: &Spec, facts: &Facts, findings: &mut Findings) {
    let name = &spec.name;
    if name.trim().is_empty() {
        findings.error("name", "Enter a name for the VM");
    } else if name.contains('/') {
        findings.error("name", "The name cannot contain \"/\"");
    } else if name.chars().any(char::is_control) {
        findings.error("name", "The name cannot contain control characters");
    } else if name.len() > 200 {
        findings.error("name", "The name is too long (at most 200 bytes)");
    } else if facts.name_taken {
        findings.error("name", format!("A VM named \"{name}\" already exists"));
    }
}

fn check_source(spec: &Spec, facts: &Facts, findings: &mut Findings) {
    match &spec.source {
        Source::Iso { path } => check_file(path, Role::InstallMedia, facts, findings),
        Source::Url { .. } => {
            if let Some(Err(err)) = spec.source_url() {
                findings.error("source", err.to_string());
            }
            if let Some(Err(message)) = &facts.tree {
                findings.error("source", message.clone());
            }
            if let Some(message) = &facts.url_problem {
                findings.error("source", message.clone());
            }
        }
        Source::Pxe { network, bridge } => match (network, bridge) {
            (Some(network), None) => check_libvirt_network("source", network, facts, findings),
            (None, Some(bridge)) => check_bridge("source", bridge, facts, findings),
            _ => findings.error("source", "Choose either a network or a bridge to boot from"),
        },
        Source::Cloud { image, user, root_password, hostname } => {
            check_file(image, Role::CopiedImage, facts, findings);
            check_user(user.as_ref(), findings);
            if let Some(weak) = root_password.as_deref().filter(|p| !p.is_empty()).and_then(weak_password) {
                findings.warn("source.root_password", weak);
            }
            if hostname.as_deref().is_some_and(|h| !h.is_empty() && !valid_hostname(h)) {
                findings.error(
                    "source.hostname",
                    "A host name has letters, digits and \"-\", in dot-separated labels of at most 63",
                );
            }
        }
        Source::Import { path, copy_to_pool: None } => check_file(path, Role::DiskInPlace, facts, findings),
        Source::Import { path, copy_to_pool: Some(_) } => check_file(path, Role::CopiedImage, facts, findings),
    }
}

/// What a local file source is to the VM.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Install media QEMU opens read-only.
    InstallMedia,
    /// A disk QEMU opens in place (read and write).
    DiskInPlace,
    /// An image the helper copies into a pool: QEMU never opens the original.
    CopiedImage,
}

/// A local file: absolute, existing, a regular file (or block device), reachable by QEMU where QEMU
/// opens it, readable by the helper where it copies it, and of the right kind: no qcow2 image that
/// names other files as a disk, no disk image as install media. Opened only through `media::local`.
fn check_file(path: &str, role: Role, facts: &Facts, findings: &mut Findings) {
    if path.is_empty() {
        return findings.error("source", "Choose a file");
    }
    let local_path = match LocalPath::parse(path) {
        Ok(local_path) => local_path,
        Err(err) => return findings.error("source", err.describe(path)),
    };
    if facts.host.remote {
        return;
    }
    if let Err(err) = local::check(&local_path) {
        return findings.error("source", err.describe(path));
    }
    let need = match role {
        Role::InstallMedia => Some(Need::Read),
        Role::DiskInPlace => Some(Need::ReadWrite),
        Role::CopiedImage => None,
    };
    if let (Some(need), Some(user)) = (need, &facts.host.qemu)
        && let Err(message) = access::check(Path::new(path), user, need, facts.host.dynamic_ownership)
    {
        return findings.error("source", message);
    }
    let opened = match local::open(&local_path) {
        Ok(opened) => opened,
        Err(err) if role == Role::CopiedImage => return findings.error("source", err.describe(path)),
        // QEMU may reach what the helper cannot (libvirt hands it the file); its header stays unread.
        Err(err) => {
            let check = if role == Role::InstallMedia { "that it is installation media" } else { "its format" };
            return findings.warn("source", format!("{}; cannot check {check}", err.describe(path)));
        }
    };
    let shown = local_path.to_string();
    let refs = match qcow2::inspect(&opened.file) {
        Ok(refs) => refs,
        Err(err) => return findings.error("source", format!("Cannot read {shown}: {err}")),
    };
    match role {
        Role::InstallMedia if refs.is_some() => findings.error(
            "source",
            format!("{shown} is a qcow2 disk image, not installation media; import it as a disk instead"),
        ),
        Role::InstallMedia => {
            if !matches!(iso9660::read(&opened.file), Ok(Some(_))) {
                findings.warn("source", format!("{shown} is not an ISO 9660 image; the VM may not boot from it"));
            }
        }
        Role::DiskInPlace | Role::CopiedImage => {
            if let Some(refusal) = refs.as_ref().and_then(|refs| refs.refusal()) {
                findings.error("source", format!("{shown} {refusal}"));
            }
        }
    }
}

/// cloud-init user rules: a login needs a password or a key, and both need a login.
fn check_user(user: Option<&CloudUser>, findings: &mut Findings) {
    let Some(user) = user else { return };
    let login = user.login.trim();
    let password = user.password.as_deref().filter(|p| !p.is_empty());
    let keys: Vec<&String> = user.ssh_keys.iter().filter(|k| !k.trim().is_empty()).collect();
    if login.is_empty() {
        if password.is_some() {
            findings.error("source.user.login", "Enter a user login for this password");
        }
        if !keys.is_empty() {
            findings.error("source.user.login", "Enter a user login for these SSH keys");
        }
    } else if !valid_login(login) {
        findings.error(
            "source.user.login",
            "A login is made of letters, digits, \"_\", \".\" and \"-\", and starts with a letter or \"_\"",
        );
    } else if password.is_none() && keys.is_empty() {
        findings.error("source.user.password", format!("Set a password or an SSH key for user \"{login}\""));
    }
    if let Some(bad) = keys.iter().find(|key| !looks_like_ssh_key(key)) {
        let shown: String = bad.chars().take(20).collect();
        findings.error("source.user.ssh_keys", format!("\"{shown}…\" is not an SSH public key"));
    }
    if let Some(weak) = password.and_then(weak_password) {
        findings.warn("source.user.password", weak);
    }
}

/// A POSIX-ish user name as useradd takes it: `[A-Za-z_][A-Za-z0-9_.-]*`, an optional final `$`.
fn valid_login(login: &str) -> bool {
    let name = login.strip_suffix('$').unwrap_or(login);
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// The key types OpenSSH's `authorized_keys` takes.
const SSH_KEY_TYPES: &[&str] = &[
    "ssh-rsa",
    "ssh-dss",
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
];

/// `type base64 [comment]`, the format of `authorized_keys` lines (options are not allowed).
fn looks_like_ssh_key(key: &str) -> bool {
    let mut parts = key.split_whitespace();
    let kind = parts.next().unwrap_or("");
    let data = parts.next().unwrap_or("");
    let base64 = data.trim_end_matches('=');
    SSH_KEY_TYPES.contains(&kind)
        && base64.len() >= 16
        && data.len() - base64.len() <= 2
        && base64.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/'))
        && !key.contains(['\n', '\r'])
}

/// A warning for a weak password: shorter than 8 characters, or of one kind only (lower case,
/// upper case, digits, anything else).
pub fn weak_password(password: &str) -> Option<String> {
    if password.chars().count() < 8 {
        return Some("Weak password: shorter than 8 characters".into());
    }
    let class = |c: char| match c {
        'a'..='z' => 0,
        'A'..='Z' => 1,
        '0'..='9' => 2,
        _ => 3,
    };
    let first = class(password.chars().next().unwrap_or('a'));
    if password.chars().all(|c| class(c) == first) {
        return Some("Weak password: mix letters, digits and symbols".into());
    }
    None
}

fn valid_hostname(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

fn check_resources(spec: &Spec, facts: &Facts, findings: &mut Findings) {
    let host = &facts.host.host;
    let os = facts.os.hints();
    if spec.memory_mib == 0 {
        findings.error("memory_mib", "Memory must be more than 0");
    } else if spec.memory_mib > host.memory_mib {
        findings.error("memory_mib", format!("The host has only {} MiB of memory", host.memory_mib));
    } else if let Some(minimum) = os.minimum_memory_mib.filter(|m| spec.memory_mib < *m) {
        findings.warn("memory_mib", format!("{} needs at least {minimum} MiB", os.name));
    }
    if spec.vcpus == 0 {
        findings.error("vcpus", "At least 1 vCPU is needed");
    } else if spec.vcpus > host.cpus {
        findings.error("vcpus", format!("The host has only {} CPUs", host.cpus));
    }
}

fn check_storage(spec: &Spec, facts: &Facts, findings: &mut Findings) {
    if let Some(size_gib) = spec.size_gib() {
        let os = facts.os.hints();
        if size_gib.is_nan() || size_gib <= 0.0 {
            findings.error("storage.size_gib", "The size must be more than 0");
        } else if size_gib > MAX_SIZE_GIB {
            findings.error("storage.size_gib", "The size is too large (at most 1 PiB)");
        } else if let Some((pool, _)) = spec.new_disk_volume() {
            if let Some(info) = facts.host.pool(&pool)
                && info.active
                && gib_to_bytes(size_gib) > info.available
            {
                let available = info.available as f64 / (1u64 << 30) as f64;
                findings.error("storage.size_gib", format!("Pool \"{pool}\" has only {available:.1} GiB available"));
            }
            if let Some(minimum) = os.minimum_storage_gib.filter(|m| size_gib < *m) {
                findings.warn("storage.size_gib", format!("{} needs at least {minimum} GiB", os.name));
            }
        }
    }
    // An imported disk's pool is part of the source; the volume is named after the VM.
    let pool_field = if matches!(spec.source, Source::Import { .. }) { "source" } else { "storage.pool" };
    let tree_volumes = spec.tree_volumes().into_iter().flatten();
    for (pool, volume) in spec.new_disk_volume().into_iter().chain(spec.seed_volume()).chain(tree_volumes) {
        if check_pool(pool_field, &pool, true, facts, findings) && facts.volume_exists(&pool, &volume) {
            findings.error("name", format!("Pool \"{pool}\" already has a volume \"{volume}\": choose another name"));
        }
    }
    if let Storage::Volume { pool, volume } = spec.storage()
        && check_pool("storage.pool", pool, false, facts, findings)
        && !facts.volume_exists(pool, volume)
    {
        findings.error("storage", format!("Pool \"{pool}\" has no volume \"{volume}\""));
    }
    if !facts.volume_users.is_empty() {
        let users = facts.volume_users.join("\", \"");
        findings.warn("storage", format!("The volume is already used by \"{users}\""));
    }
}

/// The pool must exist and run; `default` may be missing where create would make it
/// (`may_create`). Returns whether volumes in it can be looked at.
fn check_pool(field: &str, pool: &str, may_create: bool, facts: &Facts, findings: &mut Findings) -> bool {
    match facts.host.pool(pool) {
        Some(info) if info.active => true,
        Some(_) => {
            findings.error(field, format!("Storage pool \"{pool}\" is not active"));
            false
        }
        None if pool == "default" && may_create => false,
        None => {
            findings.error(field, format!("There is no storage pool \"{pool}\""));
            false
        }
    }
}

fn check_network(spec: &Spec, facts: &Facts, findings: &mut Findings) {
    match &spec.network {
        Network::Network { name } => check_libvirt_network("network", name, facts, findings),
        Network::Bridge { name } => check_bridge("network", name, facts, findings),
        Network::Direct { dev } => {
            if !valid_interface_name(dev) {
                findings.error("network", format!("\"{}\" is not a network interface name", dev.escape_debug()));
            } else if !facts.host.interfaces.contains(dev) && !Path::new("/sys/class/net").join(dev).exists() {
                findings.error("network", format!("The host has no network interface \"{dev}\""));
            }
        }
        Network::User | Network::None => {}
    }
}

/// Linux's rule for interface names (`dev_valid_name`): 1–15 bytes, not `.` or `..`, no `/`,
/// `:` or white space. Checked before the name is looked up under /sys/class/net.
fn valid_interface_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() < 16
        && name != "."
        && name != ".."
        && !name.chars().any(|c| c == '/' || c == ':' || c.is_whitespace() || c.is_control())
}

fn check_libvirt_network(field: &str, name: &str, facts: &Facts, findings: &mut Findings) {
    match facts.host.network(name) {
        None => findings.error(field, format!("There is no virtual network \"{name}\"")),
        Some(net) if !net.active => {
            findings.warn(field, format!("Virtual network \"{name}\" is not active: the VM cannot start until it is"))
        }
        Some(_) => {}
    }
}

fn check_bridge(field: &str, name: &str, facts: &Facts, findings: &mut Findings) {
    if !facts.host.bridges.iter().any(|b| b == name) {
        findings.error(field, format!("The host has no bridge \"{name}\""));
    }
}

fn check_platform(spec: &Spec, facts: &Facts, findings: &mut Findings) {
    let host = &facts.host;
    if spec.virt_type == VirtType::Kvm && !host.kvm.usable {
        findings.error(
            "virt_type",
            format!("KVM cannot be used here: {}. Use software emulation (qemu).", host.kvm.reason),
        );
    }
    let os = facts.os.hints();
    let wants_efi = match spec.firmware {
        FirmwareChoice::Efi => true,
        FirmwareChoice::Bios => false,
        FirmwareChoice::Auto => os.efi,
    };
    if wants_efi && !host.firmware.efi {
        findings.error("firmware", "UEFI firmware (OVMF) is not installed on the host");
    } else if wants_efi && os.secure_boot && !host.firmware.secure_boot {
        findings
            .warn("firmware", format!("{} expects Secure Boot, which this host's firmware does not offer", os.name));
    }
    if os.tpm && !host.firmware.tpm {
        findings.warn("firmware", format!("{} expects a TPM; install swtpm to offer one", os.name));
    }
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
