//! What this host can offer a new VM (op `create-options`), and the facts validation needs:
//! memory and CPUs, KVM, firmware, pools, networks, bridges, interfaces and the QEMU user.

use std::ffi::{CStr, CString};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use virt::connect::Connect;

use super::kvm::{self, KvmStatus};
use crate::problem::Problem;

/// The default pool's place, as virt-install makes it.
pub const DEFAULT_POOL_PATH: &str = "/var/lib/libvirt/images";

#[derive(Debug, Clone, Serialize)]
pub struct HostOptions {
    pub host: HostInfo,
    pub kvm: KvmStatus,
    pub firmware: FirmwareSupport,
    pub pools: Vec<PoolInfo>,
    pub default_pool: DefaultPool,
    pub networks: Vec<NetworkInfo>,
    pub bridges: Vec<String>,
    /// The bridges that filter VLANs, so an interface on them can carry a VLAN tag.
    pub vlan_bridges: Vec<String>,
    pub interfaces: Vec<String>,
    /// Whether passt is installed, for user-mode interfaces with port forwards.
    pub passt: bool,
    pub qemu_user: Option<String>,
    /// Who QEMU runs as, for the file access checks (not sent).
    #[serde(skip)]
    pub qemu: Option<QemuUser>,
    /// Whether libvirt chowns disk images to the QEMU user at start (qemu.conf `dynamic_ownership`).
    #[serde(skip)]
    pub dynamic_ownership: bool,
    /// The connection is to another machine: local file checks say nothing about it.
    #[serde(skip)]
    pub remote: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct HostInfo {
    pub memory_mib: u64,
    pub cpus: u32,
    pub arch: String,
}

#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct FirmwareSupport {
    pub efi: bool,
    pub secure_boot: bool,
    pub tpm: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PoolInfo {
    pub name: String,
    pub active: bool,
    #[serde(rename = "type")]
    pub kind: String,
    pub path: Option<String>,
    pub capacity: u64,
    pub available: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DefaultPool {
    pub exists: bool,
    pub path: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NetworkInfo {
    pub name: String,
    pub active: bool,
}

/// The account QEMU processes run as, with its groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QemuUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<u32>,
}

impl HostOptions {
    pub fn pool(&self, name: &str) -> Option<&PoolInfo> {
        self.pools.iter().find(|pool| pool.name == name)
    }
    pub fn network(&self, name: &str) -> Option<&NetworkInfo> {
        self.networks.iter().find(|net| net.name == name)
    }
}

/// Reads everything from libvirt and the local system. Blocking: run it on a worker.
pub fn read(conn: &Connect, uri: &str) -> Result<HostOptions, Problem> {
    let node = conn.node_info()?;
    let caps = parse_capabilities(&conn.capabilities()?).unwrap_or_default();
    let arch = caps.host.cpu.arch.clone().unwrap_or_else(|| std::env::consts::ARCH.to_string());
    // q35 is where secure boot and TPM work; ask about it with the best virt type available.
    let kvm_caps = conn.domain_capabilities(None, Some(&arch), Some("q35"), Some("kvm"), 0).ok();
    let caps_xml = match &kvm_caps {
        Some(xml) => Some(xml.clone()),
        None => conn.domain_capabilities(None, Some(&arch), Some("q35"), Some("qemu"), 0).ok(),
    };
    let firmware = caps_xml.as_deref().and_then(|xml| parse_domcaps(xml).ok()).unwrap_or_default();
    let pools = list_pools(conn)?;
    let networks = conn
        .list_all_networks(0)?
        .iter()
        .map(|net| Ok(NetworkInfo { name: net.name()?, active: net.is_active()? }))
        .collect::<Result<Vec<_>, virt::error::Error>>()?;
    let session = is_session(uri);
    let qemu_conf = std::fs::read_to_string("/etc/libvirt/qemu.conf").unwrap_or_default();
    let qemu = qemu_user(session, &caps, &qemu_conf);
    let (bridges, interfaces) = host_net_devices();
    let default_exists = pools.iter().any(|pool| pool.name == "default");
    Ok(HostOptions {
        host: HostInfo { memory_mib: node.memory / 1024, cpus: node.cpus, arch: arch.clone() },
        kvm: kvm::detect(&arch, kvm_caps.is_some()),
        firmware,
        default_pool: DefaultPool { exists: default_exists, path: DEFAULT_POOL_PATH.into() },
        pools,
        networks,
        vlan_bridges: bridges.iter().filter(|b| vlan_filtering(b)).cloned().collect(),
        bridges,
        interfaces,
        passt: !is_remote(uri) && passt_installed(),
        qemu_user: qemu.as_ref().map(|user| user.name.clone()),
        qemu,
        // A session libvirt cannot chown: there QEMU runs as the user, who must be able to read the file.
        dynamic_ownership: !session && conf_value(&qemu_conf, "dynamic_ownership").is_none_or(|v| v != "0"),
        remote: is_remote(uri),
    })
}

/// Who QEMU runs as on this connection, and whether libvirt chowns images to it when it uses them
/// (`None` on a remote connection: its files are not ours to look at).
pub fn qemu_access(conn: &Connect, uri: &str) -> Option<(QemuUser, bool)> {
    if is_remote(uri) {
        return None;
    }
    let caps = conn.capabilities().ok().and_then(|xml| parse_capabilities(&xml).ok()).unwrap_or_default();
    let session = is_session(uri);
    let qemu_conf = std::fs::read_to_string("/etc/libvirt/qemu.conf").unwrap_or_default();
    let dynamic_ownership = !session && conf_value(&qemu_conf, "dynamic_ownership").is_none_or(|v| v != "0");
    qemu_user(session, &caps, &qemu_conf).map(|user| (user, dynamic_ownership))
}

fn is_session(uri: &str) -> bool {
    uri.trim_end_matches('/').ends_with("/session")
}

/// `qemu+ssh://host/system` is elsewhere; `qemu:///system` and `qemu+unix:///system` are here.
fn is_remote(uri: &str) -> bool {
    uri.split_once("://").is_some_and(|(_, rest)| !rest.starts_with('/') && !rest.starts_with("localhost/"))
}

fn list_pools(conn: &Connect) -> Result<Vec<PoolInfo>, Problem> {
    let mut pools = Vec::new();
    for pool in conn.list_all_storage_pools(0)? {
        let info = pool.info()?;
        let doc = pool.xml_desc(0).ok().and_then(|xml| quick_xml::de::from_str::<PoolDoc>(&xml).ok());
        pools.push(PoolInfo {
            name: pool.name()?,
            active: pool.is_active()?,
            kind: doc.as_ref().map(|d| d.kind.clone()).unwrap_or_default(),
            path: doc.and_then(|d| d.target).and_then(|t| t.path),
            capacity: info.capacity,
            available: info.available,
        });
    }
    pools.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(pools)
}

/// Host bridges (`/sys/class/net/*/bridge`) and physical interfaces (`…/device`), sorted.
fn host_net_devices() -> (Vec<String>, Vec<String>) {
    let mut bridges = Vec::new();
    let mut interfaces = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/sys/class/net") {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.path().join("bridge").exists() {
                bridges.push(name);
            } else if entry.path().join("device").exists() {
                interfaces.push(name);
            }
        }
    }
    bridges.sort();
    interfaces.sort();
    (bridges, interfaces)
}

/// Whether the Linux bridge filters VLANs (`vlan_filtering`): then libvirt can tag a guest's port on it.
pub fn vlan_filtering(bridge: &str) -> bool {
    std::fs::read_to_string(format!("/sys/class/net/{bridge}/bridge/vlan_filtering")).is_ok_and(|f| f.trim() == "1")
}

/// Whether the passt binary is on the helper's PATH (libvirt runs it from there too).
pub fn passt_installed() -> bool {
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
    std::env::split_paths(&path).any(|dir| dir.join("passt").is_file())
}

/// Who QEMU runs as: the session user; else the DAC base label libvirt reports, qemu.conf's
/// `user`, or Debian's `libvirt-qemu`.
fn qemu_user(session: bool, caps: &CapsDoc, qemu_conf: &str) -> Option<QemuUser> {
    if session {
        // SAFETY: geteuid cannot fail.
        return lookup_user_by_uid(unsafe { libc::geteuid() });
    }
    if let Some(user) = caps.dac_uid().and_then(lookup_user_by_uid) {
        return Some(user);
    }
    let name = conf_value(qemu_conf, "user").unwrap_or_else(|| "libvirt-qemu".into());
    match name.strip_prefix('+').and_then(|uid| uid.parse().ok()) {
        Some(uid) => lookup_user_by_uid(uid),
        None => lookup_user_by_name(&name),
    }
}

/// An uncommented `key = value` of qemu.conf, quotes removed.
fn conf_value(conf: &str, key: &str) -> Option<String> {
    conf.lines().filter_map(|line| line.split_once('=')).find_map(|(k, v)| {
        (k.trim() == key).then(|| v.split('#').next().unwrap_or("").trim().trim_matches('"').to_string())
    })
}

fn lookup_user_by_uid(uid: u32) -> Option<QemuUser> {
    passwd_entry(|pwd, buf, result| unsafe { libc::getpwuid_r(uid, pwd, buf.as_mut_ptr(), buf.len(), result) })
}

fn lookup_user_by_name(name: &str) -> Option<QemuUser> {
    let name = CString::new(name).ok()?;
    passwd_entry(|pwd, buf, result| unsafe {
        libc::getpwnam_r(name.as_ptr(), pwd, buf.as_mut_ptr(), buf.len(), result)
    })
}

/// Runs one `getpw*_r` call and reads the entry with its supplementary groups.
fn passwd_entry(
    call: impl Fn(&mut libc::passwd, &mut Vec<libc::c_char>, &mut *mut libc::passwd) -> libc::c_int,
) -> Option<QemuUser> {
    // SAFETY: passwd is plain data; the call fills it and points its strings into `buf`.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    let mut result = std::ptr::null_mut();
    if call(&mut pwd, &mut buf, &mut result) != 0 || result.is_null() {
        return None;
    }
    // SAFETY: pw_name points into `buf`, NUL-terminated by libc.
    let name = unsafe { CStr::from_ptr(pwd.pw_name) };
    let mut groups = vec![0 as libc::gid_t; 256];
    let mut count = groups.len() as libc::c_int;
    // SAFETY: `groups` has room for `count` entries; libc writes at most that many.
    let found = unsafe { libc::getgrouplist(name.as_ptr(), pwd.pw_gid, groups.as_mut_ptr(), &mut count) };
    groups.truncate(if found < 0 { 0 } else { count as usize });
    Some(QemuUser { name: name.to_string_lossy().into_owned(), uid: pwd.pw_uid, gid: pwd.pw_gid, groups })
}

/// What `virConnectGetDomainCapabilities` says about UEFI, secure boot and TPM.
pub(crate) fn parse_domcaps(xml: &str) -> Result<FirmwareSupport> {
    let doc: DomCapsDoc = quick_xml::de::from_str(xml).context("parsing domain capabilities")?;
    let values = |enums: &[EnumDoc], name: &str| -> Vec<String> {
        enums.iter().filter(|e| e.name == name).flat_map(|e| e.values.clone()).collect()
    };
    let os = doc.os.unwrap_or_default();
    let loader = os.loader.unwrap_or_default();
    let efi = values(&os.enums, "firmware").iter().any(|v| v == "efi")
        || (loader.supported.as_deref() == Some("yes") && !loader.values.is_empty());
    let secure_boot = efi && values(&loader.enums, "secure").iter().any(|v| v == "yes");
    let tpm = doc.devices.and_then(|d| d.tpm).is_some_and(|tpm| {
        tpm.supported.as_deref() == Some("yes") && values(&tpm.enums, "backendModel").iter().any(|v| v == "emulator")
    });
    Ok(FirmwareSupport { efi, secure_boot, tpm })
}

fn parse_capabilities(xml: &str) -> Result<CapsDoc> {
    quick_xml::de::from_str(xml).context("parsing host capabilities")
}

#[derive(Deserialize, Default)]
struct DomCapsDoc {
    os: Option<OsCapsDoc>,
    devices: Option<DevicesCapsDoc>,
}

#[derive(Deserialize, Default)]
struct OsCapsDoc {
    #[serde(rename = "enum", default)]
    enums: Vec<EnumDoc>,
    loader: Option<LoaderDoc>,
}

#[derive(Deserialize, Default)]
struct LoaderDoc {
    #[serde(rename = "@supported")]
    supported: Option<String>,
    #[serde(rename = "value", default)]
    values: Vec<String>,
    #[serde(rename = "enum", default)]
    enums: Vec<EnumDoc>,
}

#[derive(Deserialize, Default)]
struct DevicesCapsDoc {
    tpm: Option<TpmCapsDoc>,
}

#[derive(Deserialize, Default)]
struct TpmCapsDoc {
    #[serde(rename = "@supported")]
    supported: Option<String>,
    #[serde(rename = "enum", default)]
    enums: Vec<EnumDoc>,
}

#[derive(Deserialize, Default, Clone)]
struct EnumDoc {
    #[serde(rename = "@name")]
    name: String,
    #[serde(rename = "value", default)]
    values: Vec<String>,
}

#[derive(Deserialize, Default)]
struct CapsDoc {
    #[serde(default)]
    host: CapsHostDoc,
}

#[derive(Deserialize, Default)]
struct CapsHostDoc {
    #[serde(default)]
    cpu: CapsCpuDoc,
    #[serde(default)]
    secmodel: Vec<SecModelDoc>,
}

#[derive(Deserialize, Default)]
struct CapsCpuDoc {
    arch: Option<String>,
}

#[derive(Deserialize, Default)]
struct SecModelDoc {
    #[serde(default)]
    model: String,
    #[serde(default)]
    baselabel: Vec<BaseLabelDoc>,
}

#[derive(Deserialize, Default)]
struct BaseLabelDoc {
    #[serde(rename = "@type")]
    kind: Option<String>,
    #[serde(rename = "$text", default)]
    label: String,
}

impl CapsDoc {
    /// The uid in the DAC model's base label (`+64055:+64055`).
    fn dac_uid(&self) -> Option<u32> {
        let dac = self.host.secmodel.iter().find(|model| model.model == "dac")?;
        let label = dac.baselabel.iter().find(|l| l.kind.as_deref() == Some("kvm")).or(dac.baselabel.first())?;
        label.label.trim().split(':').next()?.trim_start_matches('+').parse().ok()
    }
}

#[derive(Deserialize)]
struct PoolDoc {
    #[serde(rename = "@type")]
    kind: String,
    target: Option<PoolTargetDoc>,
}

#[derive(Deserialize)]
struct PoolTargetDoc {
    path: Option<String>,
}

/// A host for tests: 4 GiB, 2 CPUs, no KVM, OVMF without secure boot, pools `images` (5 GiB
/// free) and `off` (inactive), networks `nat` and `sleepy` (inactive), bridge br0, eth0.
#[cfg(test)]
pub fn test_host() -> HostOptions {
    HostOptions {
        host: HostInfo { memory_mib: 4096, cpus: 2, arch: "x86_64".into() },
        kvm: KvmStatus { usable: false, reason: "no hardware virtualization (vmx/svm) in /proc/cpuinfo".into() },
        firmware: FirmwareSupport { efi: true, secure_boot: false, tpm: false },
        pools: vec![
            PoolInfo {
                name: "images".into(),
                active: true,
                kind: "dir".into(),
                path: Some("/var/tmp".into()),
                capacity: 20 << 30,
                available: 5 << 30,
            },
            PoolInfo { name: "off".into(), active: false, kind: "dir".into(), path: None, capacity: 0, available: 0 },
        ],
        default_pool: DefaultPool { exists: false, path: DEFAULT_POOL_PATH.into() },
        networks: vec![
            NetworkInfo { name: "nat".into(), active: true },
            NetworkInfo { name: "sleepy".into(), active: false },
        ],
        bridges: vec!["br0".into()],
        vlan_bridges: vec![],
        interfaces: vec!["eth0".into()],
        passt: false,
        qemu_user: Some("libvirt-qemu".into()),
        qemu: Some(QemuUser { name: "libvirt-qemu".into(), uid: 64055, gid: 64055, groups: vec![64055] }),
        dynamic_ownership: true,
        remote: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOMCAPS: &str = "<domainCapabilities><path>/usr/bin/qemu-system-x86_64</path><domain>kvm</domain>
      <os supported='yes'><enum name='firmware'><value>efi</value></enum>
        <loader supported='yes'><value>/usr/share/OVMF/OVMF_CODE_4M.ms.fd</value><value>/usr/share/OVMF/OVMF_CODE_4M.fd</value>
          <enum name='type'><value>rom</value><value>pflash</value></enum>
          <enum name='readonly'><value>yes</value><value>no</value></enum>
          <enum name='secure'><value>yes</value><value>no</value></enum></loader></os>
      <cpu><mode name='host-passthrough' supported='yes'/></cpu>
      <devices><disk supported='yes'/><tpm supported='yes'><enum name='model'><value>tpm-crb</value></enum>
        <enum name='backendModel'><value>passthrough</value><value>emulator</value></enum></tpm></devices>
      </domainCapabilities>";

    #[test]
    fn host_domcaps_firmware_and_tpm() {
        let support = parse_domcaps(DOMCAPS).unwrap();
        assert_eq!(support, FirmwareSupport { efi: true, secure_boot: true, tpm: true });
        // i440fx answers secure='no' only; no TPM emulator; no OVMF at all.
        let pc =
            DOMCAPS.replace("<value>yes</value><value>no</value></enum></loader>", "<value>no</value></enum></loader>");
        let pc = pc.replace("<value>emulator</value>", "");
        assert_eq!(parse_domcaps(&pc).unwrap(), FirmwareSupport { efi: true, secure_boot: false, tpm: false });
        let bare = "<domainCapabilities><os supported='yes'><loader supported='no'/></os></domainCapabilities>";
        assert_eq!(parse_domcaps(bare).unwrap(), FirmwareSupport::default());
    }

    #[test]
    fn host_capabilities_dac_label() {
        let xml = "<capabilities><host><uuid>x</uuid><cpu><arch>x86_64</arch></cpu>
          <secmodel><model>none</model><doi>0</doi></secmodel>
          <secmodel><model>dac</model><doi>0</doi><baselabel type='kvm'>+64055:+107</baselabel>
            <baselabel type='qemu'>+64055:+107</baselabel></secmodel></host><guest/></capabilities>";
        let caps = parse_capabilities(xml).unwrap();
        assert_eq!(caps.dac_uid(), Some(64055));
        assert_eq!(caps.host.cpu.arch.as_deref(), Some("x86_64"));
    }

    #[test]
    fn host_qemu_conf_values() {
        let conf = "#user = \"qemu\"\n user = \"libvirt-qemu\"  # who\ndynamic_ownership = 0\n";
        assert_eq!(conf_value(conf, "user").as_deref(), Some("libvirt-qemu"));
        assert_eq!(conf_value(conf, "dynamic_ownership").as_deref(), Some("0"));
        assert_eq!(conf_value(conf, "group"), None);
    }

    #[test]
    fn host_uris() {
        assert!(is_session("qemu:///session"));
        assert!(!is_session("qemu:///system"));
        assert!(!is_remote("qemu:///system"));
        assert!(is_remote("qemu+ssh://root@host/system"));
    }

    #[test]
    fn host_user_lookup_reads_root() {
        let root = lookup_user_by_uid(0).unwrap();
        assert_eq!((root.name.as_str(), root.gid), ("root", 0));
        assert!(root.groups.contains(&0));
        assert_eq!(lookup_user_by_name("root"), Some(root));
        assert_eq!(lookup_user_by_name("no-such-user-cop"), None);
    }
}
