//! A clone's own copies of the original's UEFI variable store and emulated TPM state, taken from the
//! original's saved definition at clone time.
//!
//! libvirt has no call that copies either. An NVRAM file that is a storage volume is copied by
//! libvirt (`virStorageVolCreateXMLFrom`, on any connection); otherwise both are files this process
//! copies itself, which works only on this machine's `qemu:///system` / `qemu:///session`. Their paths
//! come from a definition another client may have written, so only regular files inside libvirt's own
//! NVRAM and swtpm directories are copied: opened without following symlinks (directories walked by
//! descriptor), at most [`MAX_BYTES`] in all, with the owner and mode of the original.
//!
//! The copies are made after the clone is defined, at the paths its definition names: rolling the clone
//! back undefines it with `VIR_DOMAIN_UNDEFINE_NVRAM` (its NVRAM goes) and libvirt removes the TPM
//! state of an undefined VM; a TPM copy that fails half-way is removed here first.

use std::ffi::CString;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use virt::connect::Connect;
use virt::domain::Domain;
use virt::storage_vol::StorageVol;
use virt_sys as sys;

use super::invalid;
use crate::problem::{Problem, ProblemCode};
use crate::xml::machine_state::{MachineState, parse_machine_state};
use crate::xml::pool::parse_pool;

/// NVRAM stores are a few MiB, TPM state some KiB: anything bigger is not what libvirt made.
const MAX_BYTES: u64 = 64 << 20;
/// Entries in a TPM state directory (libvirt's holds `tpm2/` with two files).
const MAX_ENTRIES: usize = 64;
const MAX_DEPTH: usize = 3;

/// libvirt's own directories for one local connection.
struct LocalDirs {
    nvram: PathBuf,
    swtpm: PathBuf,
}

fn local_dirs(conn: &Connect) -> Option<LocalDirs> {
    match conn.uri().ok()?.as_str() {
        "qemu:///system" => {
            Some(LocalDirs { nvram: "/var/lib/libvirt/qemu/nvram".into(), swtpm: "/var/lib/libvirt/swtpm".into() })
        }
        "qemu:///session" => {
            let config = std::env::var_os("XDG_CONFIG_HOME")
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
            let qemu = config.join("libvirt").join("qemu");
            Some(LocalDirs { nvram: qemu.join("nvram"), swtpm: qemu.join("swtpm") })
        }
        _ => None,
    }
}

#[derive(Debug)]
enum NvramCopy {
    /// The store is a volume: libvirt copies it into `name` in the same pool.
    Volume { source: String, pool: String, name: String },
    /// A file in libvirt's NVRAM directory (`source` may not exist yet: the VM never started).
    File { source: PathBuf },
}

#[derive(Debug)]
pub struct StatePlan {
    /// The clone's NVRAM path, for its definition.
    pub nvram_path: Option<String>,
    nvram: Option<NvramCopy>,
    /// The original's swtpm state directory and where the clone's go.
    tpm: Option<(PathBuf, PathBuf)>,
}

fn remote_refusal(what: &str) -> Problem {
    Problem::not_supported(format!(
        "The VM's {what} can only be copied on this machine's own connections (qemu:///system, qemu:///session)"
    ))
}

/// What to copy, checked before anything is made; `clone_name` names the clone's NVRAM.
pub fn plan(conn: &Connect, source: &Domain, clone_name: &str) -> Result<StatePlan, Problem> {
    let xml = source.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE)?;
    let state: MachineState = parse_machine_state(&xml).map_err(|err| Problem::internal(format!("{err:#}")))?;
    let dirs = local_dirs(conn);
    if state.nvram_unsupported {
        return Err(Problem::not_supported("The VM's UEFI variable store is not a file; it cannot be copied"));
    }
    let file_name = format!("{clone_name}_VARS.fd");
    let (nvram_path, nvram) = match &state.nvram {
        None => (None, None),
        Some(path) => match conn.lookup_storage_vol_by_path(path) {
            Ok(volume) => {
                let pool = volume.lookup_storage_pool()?;
                let pool_path = parse_pool(&pool.xml_desc(0)?)
                    .ok()
                    .and_then(|p| p.path)
                    .ok_or_else(|| Problem::not_supported("The UEFI variable store's pool has no directory"))?;
                if pool.lookup_storage_vol_by_name(&file_name).is_ok() {
                    return Err(invalid(format!("Volume {file_name} already exists in the NVRAM's pool")));
                }
                let target = Path::new(&pool_path).join(&file_name).display().to_string();
                let copy = NvramCopy::Volume { source: path.clone(), pool: pool.name()?, name: file_name };
                (Some(target), Some(copy))
            }
            Err(_) => {
                let dirs = dirs.as_ref().ok_or_else(|| remote_refusal("UEFI variable store"))?;
                let source = PathBuf::from(path);
                if !inside(&source, &dirs.nvram) {
                    return Err(Problem::not_supported(format!(
                        "The VM's UEFI variable store {path} is outside {}; it is not copied",
                        dirs.nvram.display()
                    )));
                }
                let target = dirs.nvram.join(&file_name);
                if target.symlink_metadata().is_ok() {
                    return Err(invalid(format!("{} already exists", target.display())));
                }
                (Some(target.display().to_string()), Some(NvramCopy::File { source }))
            }
        },
    };
    let tpm = match &state.tpm {
        None => None,
        Some(tpm) if tpm.custom_path.is_some() => {
            return Err(Problem::not_supported(
                "The VM keeps its TPM state at a path of its own (<backend><source>); it is not copied",
            ));
        }
        Some(_) => {
            let dirs = dirs.as_ref().ok_or_else(|| remote_refusal("TPM state"))?;
            let source_dir = dirs.swtpm.join(source.uuid_string()?);
            // Never started: no state yet, the clone gets a fresh one at its first start too.
            source_dir.symlink_metadata().is_ok().then(|| (source_dir, dirs.swtpm.clone()))
        }
    };
    Ok(StatePlan { nvram_path, nvram, tpm })
}

/// `path` is a plain name directly inside `dir` (no `..`, no trailing slash games).
fn inside(path: &Path, dir: &Path) -> bool {
    path.is_absolute()
        && path.parent() == Some(dir)
        && path.file_name().is_some_and(|name| name != ".." && name != ".")
        && !path.as_os_str().as_bytes().ends_with(b"/")
}

/// Makes the clone's copies (the clone is defined, with UUID `uuid`).
pub fn copy(conn: &Connect, plan: &StatePlan, uuid: &str) -> Result<(), Problem> {
    let mut budget = MAX_BYTES;
    match (&plan.nvram, &plan.nvram_path) {
        (Some(NvramCopy::Volume { source, pool, name }), _) => {
            let source = conn.lookup_storage_vol_by_path(source)?;
            let pool = conn.lookup_storage_pool_by_name(pool)?;
            let xml = format!("<volume><name>{}</name></volume>", quick_xml::escape::escape(name.as_str()));
            StorageVol::create_xml_from(&pool, &xml, &source, 0)?;
        }
        // No file yet (the VM never started): libvirt makes the clone's from the template, as it would have.
        (Some(NvramCopy::File { source }), Some(target)) if source.symlink_metadata().is_ok() => {
            let parent = open_dir(source.parent().expect("checked by plan"))?;
            let name = source.file_name().expect("checked by plan");
            copy_file_at(&parent, Path::new(name), Path::new(target), &mut budget)?;
        }
        _ => {}
    }
    if let Some((source_dir, swtpm)) = &plan.tpm {
        let target = swtpm.join(uuid);
        let source = open_dir(source_dir)?;
        if let Err(problem) = copy_tree(&source, &target, 0, &mut budget) {
            // Half a TPM state is worse than none; the rest of the clone is rolled back by the caller.
            let _ = std::fs::remove_dir_all(&target);
            return Err(problem);
        }
    }
    Ok(())
}

fn io_problem(what: &Path, err: std::io::Error) -> Problem {
    let code = if err.kind() == std::io::ErrorKind::PermissionDenied {
        ProblemCode::AccessDenied
    } else {
        ProblemCode::InternalError
    };
    Problem::new(code, format!("{}: {err}", what.display()))
}

fn open_dir(path: &Path) -> Result<OwnedFd, Problem> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .map_err(|err| io_problem(path, err))?;
    Ok(file.into())
}

/// Opens `name` inside `dir` without following a symlink.
fn open_at(dir: &OwnedFd, name: &Path, flags: i32) -> std::io::Result<File> {
    let name = CString::new(name.as_os_str().as_bytes()).map_err(|_| std::io::ErrorKind::InvalidInput)?;
    // SAFETY: a valid descriptor and a NUL-terminated name; the result is owned below.
    let fd = unsafe { libc::openat(dir.as_raw_fd(), name.as_ptr(), flags | libc::O_NOFOLLOW | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: openat returned a fresh descriptor.
    Ok(unsafe { File::from_raw_fd(fd) })
}

fn chown(path: &Path, uid: u32, gid: u32) -> std::io::Result<()> {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid))
}

/// Copies regular file `name` of `dir` to the new file `target`, same mode and owner.
fn copy_file_at(dir: &OwnedFd, name: &Path, target: &Path, budget: &mut u64) -> Result<(), Problem> {
    let mut source = open_at(dir, name, libc::O_RDONLY | libc::O_NONBLOCK).map_err(|err| io_problem(name, err))?;
    let meta = source.metadata().map_err(|err| io_problem(name, err))?;
    if !meta.file_type().is_file() {
        return Err(Problem::not_supported(format!("{} is not a regular file; it is not copied", name.display())));
    }
    if meta.len() > *budget {
        return Err(Problem::not_supported(format!("{} is larger than VM state can be", name.display())));
    }
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(target)
        .map_err(|err| io_problem(target, err))?;
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = source.read(&mut buffer).map_err(|err| io_problem(name, err))?;
        if n == 0 {
            break;
        }
        *budget = budget
            .checked_sub(n as u64)
            .ok_or_else(|| Problem::not_supported(format!("{} grew too large to copy", name.display())))?;
        out.write_all(&buffer[..n]).map_err(|err| io_problem(target, err))?;
    }
    out.sync_all().map_err(|err| io_problem(target, err))?;
    chown(target, meta.uid(), meta.gid()).map_err(|err| io_problem(target, err))?;
    out.set_permissions(std::fs::Permissions::from_mode(meta.mode() & 0o7777))
        .map_err(|err| io_problem(target, err))?;
    Ok(())
}

/// Copies the directory open as `source` to the new directory `target`: subdirectories and regular
/// files with their modes and owners; anything else (symlinks, sockets) is left out.
fn copy_tree(source: &OwnedFd, target: &Path, depth: usize, budget: &mut u64) -> Result<(), Problem> {
    let meta = File::from(source.try_clone().map_err(|err| io_problem(target, err))?)
        .metadata()
        .map_err(|err| io_problem(target, err))?;
    std::fs::DirBuilder::new().mode(0o700).create(target).map_err(|err| io_problem(target, err))?;
    let listing =
        std::fs::read_dir(format!("/proc/self/fd/{}", source.as_raw_fd())).map_err(|err| io_problem(target, err))?;
    for (count, entry) in listing.enumerate() {
        if count >= MAX_ENTRIES {
            return Err(Problem::not_supported("The TPM state directory holds more than TPM state"));
        }
        let entry = entry.map_err(|err| io_problem(target, err))?;
        let name = PathBuf::from(entry.file_name());
        let kind = entry.file_type().map_err(|err| io_problem(&name, err))?;
        if kind.is_dir() {
            if depth >= MAX_DEPTH {
                return Err(Problem::not_supported("The TPM state directory is nested too deep"));
            }
            let child =
                open_at(source, &name, libc::O_RDONLY | libc::O_DIRECTORY).map_err(|err| io_problem(&name, err))?;
            copy_tree(&child.into(), &target.join(&name), depth + 1, budget)?;
        } else if kind.is_file() {
            copy_file_at(source, &name, &target.join(&name), budget)?;
        } else {
            log::info!("clone: leaving {:?} of the TPM state out (not a file or directory)", name);
        }
    }
    chown(target, meta.uid(), meta.gid()).map_err(|err| io_problem(target, err))?;
    std::fs::set_permissions(target, std::fs::Permissions::from_mode(meta.mode() & 0o7777))
        .map_err(|err| io_problem(target, err))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_inside_the_directory() {
        let dir = Path::new("/var/lib/libvirt/qemu/nvram");
        assert!(inside(Path::new("/var/lib/libvirt/qemu/nvram/a_VARS.fd"), dir));
        assert!(!inside(Path::new("/var/lib/libvirt/qemu/nvram/../x"), dir));
        assert!(!inside(Path::new("/var/lib/libvirt/qemu/nvram/sub/a.fd"), dir));
        assert!(!inside(Path::new("/etc/shadow"), dir));
        assert!(!inside(Path::new("nvram/a.fd"), dir));
    }

    #[test]
    fn a_tree_copy_keeps_modes_and_leaves_symlinks_out() {
        let base = std::env::temp_dir().join(format!("cvirt-clone-state-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let source = base.join("src");
        std::fs::create_dir_all(source.join("tpm2")).unwrap();
        std::fs::write(source.join("tpm2/tpm2-00.permall"), b"state").unwrap();
        std::fs::set_permissions(source.join("tpm2/tpm2-00.permall"), std::fs::Permissions::from_mode(0o640)).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", source.join("tpm2/link")).unwrap();
        let mut budget = MAX_BYTES;
        copy_tree(&open_dir(&source).unwrap(), &base.join("dst"), 0, &mut budget).unwrap();
        let copied = base.join("dst/tpm2/tpm2-00.permall");
        assert_eq!(std::fs::read(&copied).unwrap(), b"state");
        assert_eq!(copied.metadata().unwrap().mode() & 0o777, 0o640);
        assert!(base.join("dst/tpm2/link").symlink_metadata().is_err(), "a symlink is not copied");
        // A symlinked state directory is refused, not followed.
        std::os::unix::fs::symlink(&source, base.join("linked")).unwrap();
        assert!(open_dir(&base.join("linked")).is_err());
        // The budget bounds the copy.
        let mut small = 2;
        assert!(copy_tree(&open_dir(&source).unwrap(), &base.join("dst2"), 0, &mut small).is_err());
        std::fs::remove_dir_all(&base).unwrap();
    }
}
