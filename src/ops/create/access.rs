//! Can QEMU open this file? The classic "Permission denied" of install media under /root or a
//! home directory: libvirt chowns the image itself to the QEMU user at start (DAC
//! `dynamic_ownership`), but every directory above it must let that user through (`x`).
//! Checked from mode bits and ownership, so the answer does not depend on who runs the helper.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::host::QemuUser;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Read,
    ReadWrite,
}

/// `Ok` when `user` can reach (and, without dynamic ownership, open) `path`; else a sentence
/// naming what blocks and how to fix it.
pub fn check(path: &Path, user: &QemuUser, need: Need, dynamic_ownership: bool) -> Result<(), String> {
    if user.uid == 0 {
        return Ok(());
    }
    let mut ancestors: Vec<&Path> = path.ancestors().skip(1).collect();
    ancestors.reverse();
    for dir in ancestors {
        let meta = std::fs::metadata(dir).map_err(|err| format!("{}: {err}", dir.display()))?;
        if !allowed(&meta, user, 0o1) {
            return Err(format!(
                "QEMU runs as {user} and cannot enter {shown} (mode {mode:04o}, owner {owner}). Allow it with \
                 \"setfacl -m {acl} {dir}\" or \"chmod o+x {dir}\", or copy the file into a storage pool.",
                user = user.name,
                shown = dir.display(),
                acl = shell_quote(&format!("u:{}:x", user.name)),
                dir = shell_quote(&dir.to_string_lossy()),
                mode = meta.mode() & 0o7777,
                owner = meta.uid(),
            ));
        }
    }
    if dynamic_ownership {
        // libvirt hands the file itself to the QEMU user when the VM starts.
        return Ok(());
    }
    let meta = std::fs::metadata(path).map_err(|err| format!("{}: {err}", path.display()))?;
    let bits = if need == Need::ReadWrite { 0o6 } else { 0o4 };
    if !allowed(&meta, user, bits) {
        let what = if need == Need::ReadWrite { "read and write" } else { "read" };
        return Err(format!(
            "QEMU runs as {} and cannot {what} {} (mode {:04o}, owner {}). Change its owner or mode, or copy it \
             into a storage pool.",
            user.name,
            path.display(),
            meta.mode() & 0o7777,
            meta.uid()
        ));
    }
    Ok(())
}

/// `value` as one shell word, safe to paste: as is when it has only plain characters, else in single
/// quotes (a `'` inside becomes `'\''`), so `$(…)`, `;` or a newline in a path run nothing.
pub fn shell_quote(value: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+:,=@%".contains(c);
    if !value.is_empty() && value.chars().all(plain) {
        return value.to_string();
    }
    format!("'{}'", value.replace('\'', "'\\''"))
}

/// Whether the permission class that applies to `user` has all of `bits` (rwx as 0o4/0o2/0o1).
fn allowed(meta: &std::fs::Metadata, user: &QemuUser, bits: u32) -> bool {
    let mode = meta.mode();
    let class = if meta.uid() == user.uid {
        mode >> 6
    } else if meta.gid() == user.gid || user.groups.contains(&meta.gid()) {
        mode >> 3
    } else {
        mode
    };
    class & bits == bits
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{PermissionsExt, chown};

    fn qemu() -> QemuUser {
        QemuUser { name: "libvirt-qemu".into(), uid: 64055, gid: 64055, groups: vec![64055, 107] }
    }

    fn chmod(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    /// A fresh directory tree `<tmp>/cop-access-<tag>/home/x.iso`, all mode 0755/0644.
    fn tree(tag: &str) -> (std::path::PathBuf, std::path::PathBuf) {
        let top = std::env::temp_dir().join(format!("cop-access-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&top);
        std::fs::create_dir_all(top.join("home")).unwrap();
        let file = top.join("home/x.iso");
        std::fs::write(&file, b"iso").unwrap();
        chmod(&top, 0o755);
        chmod(&top.join("home"), 0o755);
        chmod(&file, 0o644);
        (top, file)
    }

    #[test]
    fn access_a_closed_parent_is_named() {
        let (top, file) = tree("parent");
        assert_eq!(check(&file, &qemu(), Need::Read, true), Ok(()));
        chmod(&top.join("home"), 0o750);
        let err = check(&file, &qemu(), Need::Read, true).unwrap_err();
        assert!(err.contains(&format!("cannot enter {}", top.join("home").display())), "{err}");
        assert!(err.contains("setfacl -m u:libvirt-qemu:x"), "{err}");
        // Group membership lets it through.
        chown(top.join("home"), None, Some(107)).unwrap();
        assert_eq!(check(&file, &qemu(), Need::Read, true), Ok(()));
        std::fs::remove_dir_all(&top).unwrap();
    }

    #[test]
    fn access_shell_quote_makes_one_inert_word() {
        assert_eq!(shell_quote("/var/lib/libvirt/images"), "/var/lib/libvirt/images");
        assert_eq!(shell_quote("u:libvirt-qemu:x"), "u:libvirt-qemu:x");
        assert_eq!(shell_quote("/home/a b"), "'/home/a b'");
        assert_eq!(shell_quote("/tmp/$(reboot)"), "'/tmp/$(reboot)'");
        assert_eq!(shell_quote("/tmp/it's\n;x"), "'/tmp/it'\\''s\n;x'");
        assert_eq!(shell_quote(""), "''");
        // What the shell reads back is the value itself.
        for value in ["/tmp/$(reboot)", "/a'b\"c", "/x\ny`z`"] {
            let script = format!("printf %s {}", shell_quote(value));
            let out = std::process::Command::new("sh").arg("-c").arg(script).output().unwrap();
            assert_eq!(String::from_utf8(out.stdout).unwrap(), value);
        }
    }

    #[test]
    fn access_file_mode_matters_only_without_dynamic_ownership() {
        let (top, file) = tree("file");
        chmod(&file, 0o600);
        assert_eq!(check(&file, &qemu(), Need::Read, true), Ok(()));
        let err = check(&file, &qemu(), Need::Read, false).unwrap_err();
        assert!(err.contains("cannot read"), "{err}");
        chmod(&file, 0o644);
        assert_eq!(check(&file, &qemu(), Need::Read, false), Ok(()));
        assert!(check(&file, &qemu(), Need::ReadWrite, false).unwrap_err().contains("read and write"));
        chown(&file, Some(64055), None).unwrap();
        assert_eq!(check(&file, &qemu(), Need::ReadWrite, false), Ok(()));
        // root reads anything.
        let root = QemuUser { name: "root".into(), uid: 0, gid: 0, groups: vec![0] };
        chmod(&top, 0o700);
        assert_eq!(check(&file, &root, Need::ReadWrite, false), Ok(()));
        std::fs::remove_dir_all(&top).unwrap();
    }
}
