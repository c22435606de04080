//! The user's saved libvirt connections: `connections.json` under the user's config directory
//! (`$XDG_CONFIG_HOME/cockpit-virt/`, else `~/.config/cockpit-virt/`). It holds URIs only, never a
//! password. Whatever the file says is parsed again through the URI allow-list: the file is the
//! user's own, but anything may have written it. Writes go to a new file that replaces the old one
//! (`rename`), so a crash leaves either the old list or the new one.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::model::uri::Uri;
use crate::problem::Problem;

/// More hosts than anyone lists in one page; the helper keeps at most 16 connections open anyway.
pub const MAX_CONNECTIONS: usize = 64;
/// 64 URIs of at most 1 KiB each, with room for the JSON around them.
const MAX_FILE_BYTES: u64 = 80 * 1024;

/// One helper per login session, but several channels may change the list at once.
static WRITER: Mutex<()> = Mutex::new(());

#[derive(Debug, Serialize, Deserialize)]
struct File {
    connections: Vec<Entry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    uri: String,
}

/// Where the list lives for this user.
pub fn default_path() -> Result<PathBuf, Problem> {
    let config = match std::env::var_os("XDG_CONFIG_HOME").filter(|v| Path::new(v).is_absolute()) {
        Some(dir) => PathBuf::from(dir),
        None => match std::env::var_os("HOME").filter(|v| Path::new(v).is_absolute()) {
            Some(home) => PathBuf::from(home).join(".config"),
            None => return Err(Problem::internal("neither XDG_CONFIG_HOME nor HOME names a directory")),
        },
    };
    Ok(config.join("cockpit-virt").join("connections.json"))
}

/// The saved URIs, in the order they were added. A missing file is an empty list; entries the
/// allow-list refuses are left out (and logged), so one bad line never hides the others.
pub fn load(path: &Path) -> Result<Vec<Uri>, Problem> {
    let file = match fs::File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(Problem::internal(format!("cannot read {}: {err}", path.display()))),
    };
    let mut text = String::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|err| Problem::internal(format!("cannot read {}: {err}", path.display())))?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(Problem::internal(format!("{} is larger than {MAX_FILE_BYTES} bytes", path.display())));
    }
    let parsed: File = serde_json::from_str(&text)
        .map_err(|err| Problem::internal(format!("{} is not a list of connections: {err}", path.display())))?;
    let mut uris: Vec<Uri> = Vec::new();
    for entry in parsed.connections.into_iter().take(MAX_CONNECTIONS) {
        match Uri::parse(&entry.uri) {
            Ok(uri) if !uris.contains(&uri) => uris.push(uri),
            Ok(_) => {}
            Err(err) => log::warn!("{}: skipping a saved connection: {err}", path.display()),
        }
    }
    Ok(uris)
}

/// Adds `uri` at the end (nothing changes when it is there already). True when it was added.
pub fn add(path: &Path, uri: &Uri) -> Result<bool, Problem> {
    let _writer = WRITER.lock().unwrap();
    let mut uris = load(path)?;
    if uris.contains(uri) {
        return Ok(false);
    }
    if uris.len() >= MAX_CONNECTIONS {
        return Err(Problem::new(
            crate::problem::ProblemCode::InvalidArgument,
            format!("At most {MAX_CONNECTIONS} connections can be saved; remove one first"),
        ));
    }
    uris.push(uri.clone());
    save(path, &uris)?;
    Ok(true)
}

/// Removes `uri`. True when it was saved.
pub fn remove(path: &Path, uri: &Uri) -> Result<bool, Problem> {
    let _writer = WRITER.lock().unwrap();
    let mut uris = load(path)?;
    let before = uris.len();
    uris.retain(|u| u != uri);
    if uris.len() == before {
        return Ok(false);
    }
    save(path, &uris)?;
    Ok(true)
}

/// Writes the whole list to a new file beside the old one (mode 0600), flushed to disk, then
/// renamed over it.
fn save(path: &Path, uris: &[Uri]) -> Result<(), Problem> {
    let fail = |what: &str, err: std::io::Error| Problem::internal(format!("cannot {what} {}: {err}", path.display()));
    let dir = path.parent().ok_or_else(|| Problem::internal("the connections file has no directory"))?;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|err| fail("create the directory of", err))?;
    let file = File { connections: uris.iter().map(|u| Entry { uri: u.as_str().to_string() }).collect() };
    let mut text = serde_json::to_string_pretty(&file).map_err(|err| Problem::internal(err.to_string()))?;
    text.push('\n');
    let temporary = dir.join(format!(".connections.json.{}", std::process::id()));
    let written = (|| {
        let mut out = fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&temporary)?;
        out.write_all(text.as_bytes())?;
        out.sync_all()?;
        fs::rename(&temporary, path)
    })();
    if let Err(err) = written {
        let _ = fs::remove_file(&temporary);
        return Err(fail("write", err));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_every_saved_host_fits_in_the_helper() {
        // Each saved host is one hub, beside the user's system and session connections.
        const { assert!(MAX_CONNECTIONS + 2 < crate::hub::MAX_HUBS) };
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("cvtest-connections-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir.join("cockpit-virt").join("connections.json")
    }

    #[test]
    fn connections_store_adds_removes_and_keeps_order() {
        let path = scratch("order");
        assert!(load(&path).unwrap().is_empty());
        let a = Uri::parse("qemu+ssh://root@a.example/system").unwrap();
        let b = Uri::parse("qemu+tcp://127.0.0.2/system").unwrap();
        assert!(add(&path, &a).unwrap());
        assert!(add(&path, &b).unwrap());
        assert!(!add(&path, &a).unwrap());
        assert_eq!(load(&path).unwrap(), vec![a.clone(), b.clone()]);
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(remove(&path, &a).unwrap());
        assert!(!remove(&path, &a).unwrap());
        assert_eq!(load(&path).unwrap(), vec![b]);
        fs::remove_dir_all(path.parent().unwrap().parent().unwrap()).unwrap();
    }

    #[test]
    fn connections_store_skips_refused_entries_and_bounds_the_file() {
        let path = scratch("hostile");
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(
            &path,
            r#"{"connections":[{"uri":"qemu+ext:///system?command=/bin/sh"},{"uri":"qemu+tcp://h/system"},
               {"uri":"qemu+tcp://h/system"}]}"#,
        )
        .unwrap();
        assert_eq!(load(&path).unwrap(), vec![Uri::parse("qemu+tcp://h/system").unwrap()]);
        fs::write(&path, "x".repeat(MAX_FILE_BYTES as usize + 1)).unwrap();
        assert!(load(&path).unwrap_err().message.contains("larger than"));
        fs::write(&path, "[]").unwrap();
        assert!(load(&path).is_err());
        fs::remove_dir_all(path.parent().unwrap().parent().unwrap()).unwrap();
    }

    #[test]
    fn connections_store_refuses_more_than_the_bound() {
        let path = scratch("bound");
        for i in 0..MAX_CONNECTIONS {
            add(&path, &Uri::parse(&format!("qemu+tcp://h{i}/system")).unwrap()).unwrap();
        }
        let err = add(&path, &Uri::parse("qemu+tcp://one-too-many/system").unwrap()).unwrap_err();
        assert!(err.message.contains("At most"), "{}", err.message);
        fs::remove_dir_all(path.parent().unwrap().parent().unwrap()).unwrap();
    }
}
