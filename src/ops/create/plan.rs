//! From a validated SPEC to a defined (and maybe running) VM: storage first, then the
//! [`DomainPlan`] (devices chosen by the OS and the host), `virDomainDefineXML`, and
//! `virDomainCreate` when asked. Every step checks for a cancel first.

use std::time::SystemTime;

use serde::Deserialize;
use virt::connect::Connect;

use super::host::HostOptions;
use super::os::OsHints;
use super::progress::Progress;
use super::spec::{FirmwareChoice, Network, Source, Spec, Storage, VirtType, gib_to_bytes};
use super::storage::{self, Rollback};
use super::tree;
use super::validate::Facts;
use crate::hub::first_boot;
use crate::media::nocloud::{self, Password, SeedConfig, SeedUser};
use crate::ops::device::network_source;
use crate::ops::start_failure::start_failed;
use crate::problem::{Problem, ProblemCode};
use crate::xml::build::{
    BootDev, DirectKernel, DiskDevice, DiskPlan, DiskSource, DomainPlan, Firmware, Machine, NicPlan,
    VirtType as PlanVirtType, build_domain_xml,
};
use crate::xml::first_boot::FirstBoot;

/// Creates the VM; returns its UUID. What it made is in `rollback` for the caller to undo.
pub fn create(
    conn: &Connect,
    spec: &Spec,
    facts: &Facts,
    progress: &mut Progress,
    rollback: &mut Rollback,
) -> Result<String, Problem> {
    check_cancel(progress)?;
    let tree_volumes = spec.tree_volumes().into_iter().flatten();
    let uses_default_pool =
        spec.new_disk_volume().into_iter().chain(spec.seed_volume()).chain(tree_volumes).any(|(p, _)| p == "default");
    if uses_default_pool && !facts.host.pool("default").is_some_and(|p| p.active) {
        progress.step("volume", "Creating the default storage pool…");
        storage::ensure_default_pool(conn)?;
    }
    let disks = make_disks(conn, spec, progress, rollback)?;
    check_cancel(progress)?;
    let os = facts.os.hints();
    let kernel = match &facts.tree {
        Some(Ok(tree)) if spec.is_tree() => Some(tree_kernel(conn, spec, &os, tree, progress, rollback)?),
        Some(Err(message)) if spec.is_tree() => return Err(Problem::protocol(message.clone())),
        _ => None,
    };
    check_cancel(progress)?;

    let mut plan = domain_plan(spec, &os, &facts.host, disks);
    let build = |plan: &DomainPlan| build_domain_xml(plan).map_err(|err| Problem::internal(format!("{err:#}")));
    // What only the first boot needs: the installer's kernel and initrd of a tree, the cloud-init seed
    // (it holds the password hashes). A VM that runs now is defined without them and started once with
    // them, as virt-install does: `virDomainCreateXML` of the same name and UUID gives the persistent
    // domain a transient live config. Once QEMU runs it holds them open (the kernel is loaded, the
    // seed's file is open), so their volumes are deleted at once. Not run now, they stay in the
    // defined config for the first start, marked: the helper removes them once it sees the VM run
    // (`hub/first_boot.rs`), however it was started.
    let once: Vec<(String, String)> =
        spec.seed_volume().into_iter().chain(spec.tree_volumes().into_iter().flatten()).collect();
    let seed = spec.seed_volume();
    let is_seed = |disk: &DiskPlan| matches!(&disk.source, DiskSource::Volume { pool, volume } if seed.as_ref() == Some(&(pool.clone(), volume.clone())));
    let first_boot = spec.run.then(|| {
        let mut live = plan.clone();
        live.kernel = kernel.clone();
        live
    });
    match &first_boot {
        Some(_) => plan.disks.retain(|disk| !is_seed(disk)),
        None => {
            plan.kernel = kernel.clone();
            plan.first_boot = (!once.is_empty()).then(|| FirstBoot {
                volumes: once.clone(),
                direct_kernel: kernel.is_some(),
                reset_nvram: false,
            });
        }
    }
    progress.step("define", "Defining the VM…");
    let domain = conn.define_domain_xml(&build(&plan)?)?;
    let uuid = domain.uuid_string()?;
    rollback.domain(&uuid);
    check_cancel(progress)?;

    if let Some(mut live) = first_boot {
        progress.step("start", "Starting the VM…");
        if once.is_empty() {
            domain.create().map_err(start_failed)?;
        } else {
            live.uuid = Some(uuid.clone());
            conn.create_domain_xml(&build(&live)?, 0).map_err(start_failed)?;
            first_boot::delete_volumes(conn, &once);
        }
    }
    Ok(uuid)
}

/// Downloads a tree's kernel and initrd into the pool; the command line points the installer
/// at the tree (`inst.repo=<url>`) and says nothing else, as virt-install without `--extra-args`.
fn tree_kernel(
    conn: &Connect,
    spec: &Spec,
    os: &OsHints,
    tree: &tree::Tree,
    progress: &mut Progress,
    rollback: &mut Rollback,
) -> Result<DirectKernel, Problem> {
    let [(pool, _), _] = spec.tree_volumes().ok_or_else(|| Problem::internal("not an install tree"))?;
    let (kernel, initrd) = tree::download(conn, rollback, progress, tree, &pool, &spec.name)?;
    Ok(DirectKernel { kernel, initrd: Some(initrd), cmdline: Some(format!("{}={}", os.kernel_url_arg, tree.url)) })
}

fn check_cancel(progress: &Progress) -> Result<(), Problem> {
    if progress.cancelled() { Err(storage::cancelled()) } else { Ok(()) }
}

/// The disks in boot order: the VM's own disk first, install media after it (an empty disk
/// does not boot, so firmware falls through to the media, and after the install the disk wins).
fn make_disks(
    conn: &Connect,
    spec: &Spec,
    progress: &mut Progress,
    rollback: &mut Rollback,
) -> Result<Vec<DiskPlan>, Problem> {
    let mut disks = Vec::new();
    match &spec.source {
        Source::Import { path, copy_to_pool: None } => {
            // An image the helper cannot read is given to QEMU as raw, so its header is never followed.
            let format = match storage::open_image(path) {
                Ok(image) => image.format,
                Err(problem) if problem.code == ProblemCode::AccessDenied => "raw",
                Err(problem) => return Err(problem),
            };
            disks.push(file_disk(path, format));
        }
        Source::Import { path, copy_to_pool: Some(_) } => {
            let (pool, name) = spec.new_disk_volume().expect("an import copy names its volume");
            progress.step("copy", &format!("Copying {path}…"));
            let (_, format) = storage::copy_file(conn, rollback, progress, path, &pool, &name)?;
            disks.push(volume_disk(&pool, &name, format));
        }
        Source::Cloud { image, .. } => {
            // The seed first: nothing is made if it cannot be written.
            let seed = seed_iso(spec)?;
            let (pool, name) = spec.new_disk_volume().expect("a cloud image names its volume");
            progress.step("copy", &format!("Copying {image}…"));
            let (_, format) = storage::copy_file(conn, rollback, progress, image, &pool, &name)?;
            if let Some(size_gib) = spec.size_gib() {
                storage::grow_volume(conn, &pool, &name, gib_to_bytes(size_gib))?;
            }
            disks.push(volume_disk(&pool, &name, format));
            check_cancel(progress)?;
            let (pool, name) = spec.seed_volume().expect("a cloud image has a seed");
            progress.step("seed", "Writing the cloud-init seed…");
            storage::upload_bytes(conn, rollback, &pool, &name, &seed)?;
            disks.push(DiskPlan {
                device: DiskDevice::Cdrom,
                source: DiskSource::Volume { pool, volume: name },
                format: Some("raw".into()),
                readonly: true,
            });
        }
        Source::Iso { .. } | Source::Url { .. } | Source::Pxe { .. } => {
            if let Some(disk) = storage_disk(conn, spec, progress, rollback)? {
                disks.push(disk);
            }
        }
    }
    match &spec.source {
        Source::Iso { path } => disks.push(DiskPlan {
            device: DiskDevice::Cdrom,
            source: DiskSource::local(path.clone()),
            format: Some("raw".into()),
            readonly: true,
        }),
        Source::Url { .. } if spec.is_tree() => {}
        Source::Url { .. } => disks.push(DiskPlan {
            device: DiskDevice::Cdrom,
            source: network_source(
                &spec.source_url().expect("a url source").map_err(|err| Problem::protocol(err.to_string()))?,
            )?,
            format: Some("raw".into()),
            readonly: true,
        }),
        _ => {}
    }
    Ok(disks)
}

/// The NoCloud seed ISO of a cloud source: user, root password, host name (default: the VM's
/// name made into a host name). The instance id is new for every VM.
fn seed_iso(spec: &Spec) -> Result<Vec<u8>, Problem> {
    let Source::Cloud { user, root_password, hostname, .. } = &spec.source else {
        return Err(Problem::internal("a seed for a source that is not a cloud image"));
    };
    let non_empty = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
    let hashed = |s: &Option<String>| -> Result<Option<Password>, Problem> {
        non_empty(s)
            .map(|plain| Password::hashed(&plain))
            .transpose()
            .map_err(|err| Problem::internal(format!("{err:#}")))
    };
    let password = user.as_ref().map(|u| hashed(&u.password)).transpose()?.flatten();
    let config = SeedConfig {
        instance_id: format!("cockpit-virt-{}", random_hex()),
        hostname: non_empty(hostname).or_else(|| default_hostname(&spec.name)),
        user: user.as_ref().filter(|u| !u.login.trim().is_empty()).map(|u| SeedUser {
            login: u.login.trim().to_string(),
            password,
            ssh_keys: u.ssh_keys.clone(),
        }),
        root_password: hashed(root_password)?,
        network_config: None,
    };
    nocloud::seed_iso(&config, SystemTime::now()).map_err(|err| Problem::internal(format!("{err:#}")))
}

/// The VM's name as a host name: letters, digits and `-` only, at most 63.
fn default_hostname(name: &str) -> Option<String> {
    let host: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect::<String>()
        .trim_matches('-')
        .chars()
        .take(63)
        .collect();
    let host = host.trim_end_matches('-').to_string();
    (!host.is_empty()).then_some(host)
}

fn random_hex() -> String {
    let mut bytes = [0u8; 8];
    // SAFETY: getrandom writes at most `len` bytes into the buffer.
    let n = unsafe { libc::getrandom(bytes.as_mut_ptr().cast(), bytes.len(), 0) };
    if n != bytes.len() as isize {
        let nanos = SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        bytes = (nanos as u64 ^ std::process::id() as u64).to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The disk `storage` asks for: a new qcow2 volume, an existing volume, or none.
fn storage_disk(
    conn: &Connect,
    spec: &Spec,
    progress: &mut Progress,
    rollback: &mut Rollback,
) -> Result<Option<DiskPlan>, Problem> {
    Ok(match spec.storage() {
        Storage::New { pool, size_gib } => {
            let name = format!("{}.qcow2", spec.name);
            progress.step("volume", &format!("Creating volume {name}…"));
            storage::create_volume(conn, rollback, pool, &name, gib_to_bytes(*size_gib), "qcow2")?;
            Some(volume_disk(pool, &name, "qcow2"))
        }
        Storage::Volume { pool, volume } => {
            let vol = conn.lookup_storage_pool_by_name(pool)?.lookup_storage_vol_by_name(volume)?;
            let format = quick_xml::de::from_str::<VolumeDoc>(&vol.xml_desc(0)?)
                .ok()
                .and_then(|doc| doc.target.format)
                .map(|f| f.kind)
                .unwrap_or_else(|| "raw".into());
            Some(volume_disk(pool, volume, &format))
        }
        Storage::None => None,
    })
}

#[derive(Deserialize)]
struct VolumeDoc {
    target: VolumeTargetDoc,
}

#[derive(Deserialize)]
struct VolumeTargetDoc {
    format: Option<VolumeFormatDoc>,
}

#[derive(Deserialize)]
struct VolumeFormatDoc {
    #[serde(rename = "@type")]
    kind: String,
}

fn file_disk(path: &str, format: &str) -> DiskPlan {
    DiskPlan {
        device: DiskDevice::Disk,
        source: DiskSource::local(path.into()),
        format: Some(format.into()),
        readonly: false,
    }
}

fn volume_disk(pool: &str, volume: &str, format: &str) -> DiskPlan {
    DiskPlan {
        device: DiskDevice::Disk,
        source: DiskSource::Volume { pool: pool.into(), volume: volume.into() },
        format: Some(format.into()),
        readonly: false,
    }
}

/// Devices, firmware and machine from the OS and the host; the user's firmware choice wins
/// where the host has it.
pub fn domain_plan(spec: &Spec, os: &OsHints, host: &HostOptions, disks: Vec<DiskPlan>) -> DomainPlan {
    let efi = match spec.firmware {
        FirmwareChoice::Auto => os.efi && host.firmware.efi,
        FirmwareChoice::Efi => true,
        FirmwareChoice::Bios => false,
    };
    let secure_boot = efi && os.secure_boot && host.firmware.secure_boot;
    let tpm = os.tpm && host.firmware.tpm;
    let machine = if os.wants_q35() || secure_boot { Machine::Q35 } else { Machine::Pc };
    let mut interfaces = Vec::new();
    let mut boot = vec![BootDev::Hd];
    match &spec.source {
        Source::Pxe { network: Some(name), .. } => interfaces.push(NicPlan::Network(name.clone())),
        Source::Pxe { bridge: Some(name), .. } => interfaces.push(NicPlan::Bridge(name.clone())),
        _ => {}
    }
    if interfaces.is_empty() {
        interfaces.extend(match &spec.network {
            Network::Network { name } => Some(NicPlan::Network(name.clone())),
            Network::Bridge { name } => Some(NicPlan::Bridge(name.clone())),
            Network::Direct { dev } => Some(NicPlan::Direct(dev.clone())),
            Network::User => Some(NicPlan::User),
            Network::None => None,
        });
    }
    match &spec.source {
        Source::Url { .. } if spec.is_tree() => {} // the kernel boots first, then the disk
        Source::Iso { .. } | Source::Url { .. } => boot.push(BootDev::Cdrom),
        Source::Pxe { .. } => boot.push(BootDev::Network),
        _ => {}
    }
    DomainPlan {
        name: spec.name.clone(),
        uuid: None,
        virt_type: match spec.virt_type {
            VirtType::Kvm => PlanVirtType::Kvm,
            VirtType::Qemu => PlanVirtType::Qemu,
        },
        arch: host.host.arch.clone(),
        machine,
        firmware: if efi { Firmware::Efi { secure_boot } } else { Firmware::Bios },
        tpm,
        memory_mib: spec.memory_mib,
        vcpus: spec.vcpus,
        os_id: os.id.clone(),
        disks,
        interfaces,
        boot,
        kernel: None,
        virtio: os.virtio_disk,
        graphics_vnc: true,
        serial_console: true,
        guest_agent_channel: true,
        first_boot: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::create::host::test_host;

    fn spec(value: serde_json::Value) -> Spec {
        let mut base = serde_json::json!({
            "name": "cop-plan", "os": null, "source": {"kind": "iso", "path": "/x.iso"},
            "memory_mib": 512, "vcpus": 1, "storage": {"kind": "none"},
            "network": {"kind": "network", "name": "default"}, "virt_type": "qemu"
        });
        for (key, v) in value.as_object().unwrap() {
            base[key] = v.clone();
        }
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn plan_devices_follow_the_os() {
        let host = test_host();
        let modern = domain_plan(&spec(serde_json::json!({})), &OsHints::generic(), &host, vec![]);
        assert_eq!(
            (modern.machine, modern.firmware, modern.tpm, modern.virtio),
            (Machine::Q35, Firmware::Bios, false, true)
        );
        assert_eq!(modern.boot, vec![BootDev::Hd, BootDev::Cdrom]);
        assert_eq!(modern.interfaces, vec![NicPlan::Network("default".into())]);
        assert_eq!(modern.virt_type, PlanVirtType::Qemu);

        let old = OsHints { virtio_disk: false, virtio_net: false, virtio_video: false, ..OsHints::generic() };
        let old = domain_plan(&spec(serde_json::json!({})), &old, &host, vec![]);
        assert_eq!((old.machine, old.virtio), (Machine::Pc, false));

        let win = OsHints { efi: true, secure_boot: true, tpm: true, virtio_disk: false, ..OsHints::generic() };
        let mut full = test_host();
        full.firmware = crate::ops::create::host::FirmwareSupport { efi: true, secure_boot: true, tpm: true };
        let plan = domain_plan(&spec(serde_json::json!({})), &win, &full, vec![]);
        assert_eq!((plan.machine, plan.firmware, plan.tpm), (Machine::Q35, Firmware::Efi { secure_boot: true }, true));
        // Without secure boot or swtpm on the host: plain UEFI, no TPM.
        let plan = domain_plan(&spec(serde_json::json!({})), &win, &host, vec![]);
        assert_eq!((plan.firmware, plan.tpm), (Firmware::Efi { secure_boot: false }, false));
        // The user's BIOS choice wins over the OS's UEFI.
        let bios = OsHints { efi: true, ..OsHints::generic() };
        let bios = domain_plan(&spec(serde_json::json!({"firmware": "bios"})), &bios, &host, vec![]);
        assert_eq!(bios.firmware, Firmware::Bios);
    }

    #[test]
    fn plan_pxe_boots_from_its_network() {
        let pxe = spec(serde_json::json!({"source": {"kind": "pxe", "bridge": "br0"}, "network": {"kind": "none"}}));
        let plan = domain_plan(&pxe, &OsHints::generic(), &test_host(), vec![]);
        assert_eq!(plan.interfaces, vec![NicPlan::Bridge("br0".into())]);
        assert_eq!(plan.boot, vec![BootDev::Hd, BootDev::Network]);
        let plain =
            spec(serde_json::json!({"source": {"kind": "import", "path": "/d.qcow2"}, "network": {"kind": "user"}}));
        let plan = domain_plan(&plain, &OsHints::generic(), &test_host(), vec![]);
        assert_eq!((plan.interfaces, plan.boot), (vec![NicPlan::User], vec![BootDev::Hd]));
    }

    #[test]
    fn plan_default_hostname() {
        assert_eq!(default_hostname("My VM \"2\" ü").as_deref(), Some("my-vm--2"));
        assert_eq!(default_hostname("ü"), None);
        assert_eq!(default_hostname(&"a".repeat(100)).map(|h| h.len()), Some(63));
    }

    #[test]
    fn plan_seed_carries_the_user() {
        let cloud = spec(serde_json::json!({"source": {"kind": "cloud", "image": "/b.qcow2",
            "user": {"login": "alice", "password": "pw", "ssh_keys": []}, "root_password": "", "hostname": null}}));
        let iso = seed_iso(&cloud).unwrap();
        assert_eq!(&iso[0x8001..0x8006], b"CD001");
        let text = String::from_utf8_lossy(&iso);
        assert!(text.contains("alice") && text.contains("cop-plan"), "user and default host name in the seed");
    }
}
