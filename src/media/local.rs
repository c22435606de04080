//! Opening a local file the user named (install media, a cloud or disk image): the one way the helper
//! reads a user-given path.
//!
//! A path is hostile input: `/dev/watchdog` arms the host's watchdog when opened, a FIFO blocks its
//! reader until a writer comes, a terminal can become our controlling tty. So the path is `stat`ed
//! (following symlinks, as `open` will) and anything but a regular file, or a block device where the
//! only a regular file or a block device (a disk, a CD drive) is read; anything else is refused *before* it is opened. The open itself is `O_RDONLY | O_NONBLOCK |
//! O_NOCTTY` (never `O_CREAT`), and `fstat` on the open descriptor must show the same kind of file,
//! device and inode, so a path swapped between the two calls is refused too.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

/// A checked absolute path: starts with `/`, has no NUL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalPath(String);

impl LocalPath {
    pub fn parse(path: &str) -> Result<LocalPath, LocalError> {
        if !path.starts_with('/') {
            return Err(LocalError::NotAbsolute);
        }
        if path.contains('\0') {
            return Err(LocalError::Nul);
        }
        Ok(LocalPath(path.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LocalPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Escapes newlines and controls, so a crafted name cannot forge lines in a message or log.
        write!(f, "{}", self.0.escape_debug())
    }
}

/// What kind of file the path names when it is not one we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Directory,
    CharDevice,
    Fifo,
    Socket,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Directory => "a directory",
            Kind::CharDevice => "a character device",
            Kind::Fifo => "a FIFO (named pipe)",
            Kind::Socket => "a socket",
        }
    }
}

#[derive(Debug)]
pub enum LocalError {
    NotAbsolute,
    Nul,
    /// Missing, no permission, …: the I/O error of `stat` or `open`.
    Io(io::Error),
    /// Not a kind of file this use reads.
    WrongKind(Kind),
    /// The path named another file by the time it was opened.
    Changed,
}

impl LocalError {
    /// A sentence for the user, naming the path.
    pub fn describe(&self, path: &str) -> String {
        let path = path.escape_debug();
        match self {
            LocalError::NotAbsolute => "Enter an absolute path (starting with \"/\")".into(),
            LocalError::Nul => "A path cannot contain a NUL character".into(),
            LocalError::Io(err) if err.kind() == io::ErrorKind::NotFound => format!("{path} does not exist"),
            LocalError::Io(err) => format!("Cannot read {path}: {err}"),
            LocalError::WrongKind(kind) => format!("{path} is {}, not a file", kind.name()),
            LocalError::Changed => format!("{path} changed while it was opened"),
        }
    }

    pub fn io_kind(&self) -> Option<io::ErrorKind> {
        match self {
            LocalError::Io(err) => Some(err.kind()),
            _ => None,
        }
    }
}

/// An open local file of an accepted kind.
#[derive(Debug)]
pub struct LocalFile {
    pub file: File,
    /// Bytes: the file's length, or the block device's size.
    pub size: u64,
}

/// The kind of `meta` when it is neither a regular file nor a block device.
fn refused(meta: &std::fs::Metadata) -> Option<Kind> {
    let kind = meta.file_type();
    if kind.is_file() || kind.is_block_device() {
        return None;
    }
    Some(if kind.is_dir() {
        Kind::Directory
    } else if kind.is_char_device() {
        Kind::CharDevice
    } else if kind.is_fifo() {
        Kind::Fifo
    } else {
        Kind::Socket
    })
}

/// `stat` only: the checks of [`open`] that need no open (a path QEMU opens, not the helper).
pub fn check(path: &LocalPath) -> Result<std::fs::Metadata, LocalError> {
    let meta = std::fs::metadata(Path::new(path.as_str())).map_err(LocalError::Io)?;
    match refused(&meta) {
        Some(kind) => Err(LocalError::WrongKind(kind)),
        None => Ok(meta),
    }
}

/// Opens `path` for reading if it is a regular file or a block device (see the module comment).
pub fn open(path: &LocalPath) -> Result<LocalFile, LocalError> {
    let before = check(path)?;
    let mut file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path.as_str())
        .map_err(LocalError::Io)?;
    let after = file.metadata().map_err(LocalError::Io)?;
    if refused(&after).is_some() || after.dev() != before.dev() || after.ino() != before.ino() {
        return Err(LocalError::Changed);
    }
    let size = if after.file_type().is_block_device() {
        let size = file.seek(SeekFrom::End(0)).map_err(LocalError::Io)?;
        file.seek(SeekFrom::Start(0)).map_err(LocalError::Io)?;
        size
    } else {
        after.len()
    };
    Ok(LocalFile { file, size })
}

/// Opens a path given as a string: [`LocalPath::parse`], then [`open`].
pub fn open_str(path: &str) -> Result<LocalFile, LocalError> {
    open(&LocalPath::parse(path)?)
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use std::io::Read;
    use std::time::{Duration, Instant};

    pub fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("cvirt-local-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn mkfifo(path: &Path) {
        let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    }

    fn kind_of(result: Result<LocalFile, LocalError>) -> Kind {
        match result {
            Err(LocalError::WrongKind(kind)) => kind,
            other => panic!("expected a refused kind, got {other:?}"),
        }
    }

    #[test]
    fn local_path_is_absolute_without_nul() {
        assert!(matches!(LocalPath::parse("x.iso"), Err(LocalError::NotAbsolute)));
        assert!(matches!(LocalPath::parse(""), Err(LocalError::NotAbsolute)));
        assert!(matches!(LocalPath::parse("/a\0b"), Err(LocalError::Nul)));
        assert_eq!(LocalPath::parse("/a\nb").unwrap().to_string(), "/a\\nb");
    }

    #[test]
    fn local_open_refuses_devices_fifos_and_directories_without_blocking() {
        let dir = scratch("kinds");
        let fifo = dir.join("fifo");
        mkfifo(&fifo);
        let link = dir.join("link-to-fifo");
        std::os::unix::fs::symlink(&fifo, &link).unwrap();
        let started = Instant::now();
        assert_eq!(kind_of(open_str(fifo.to_str().unwrap())), Kind::Fifo);
        assert_eq!(kind_of(open_str(link.to_str().unwrap())), Kind::Fifo);
        assert_eq!(kind_of(open_str("/dev/zero")), Kind::CharDevice);
        assert_eq!(kind_of(open_str("/dev/null")), Kind::CharDevice);
        assert_eq!(kind_of(open_str(dir.to_str().unwrap())), Kind::Directory);
        assert!(started.elapsed() < Duration::from_secs(2));
        let message = open_str("/dev/zero").unwrap_err().describe("/dev/zero");
        assert_eq!(message, "/dev/zero is a character device, not a file");
        let missing = open_str("/nonexistent/cvirt").unwrap_err();
        assert_eq!(missing.io_kind(), Some(io::ErrorKind::NotFound));
        assert_eq!(missing.describe("/nonexistent/cvirt"), "/nonexistent/cvirt does not exist");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn local_open_reads_a_regular_file_through_a_symlink() {
        let dir = scratch("regular");
        let file = dir.join("disk.img");
        std::fs::write(&file, b"hello").unwrap();
        let link = dir.join("link.img");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        let mut opened = open_str(link.to_str().unwrap()).unwrap();
        assert_eq!(opened.size, 5);
        let mut text = String::new();
        opened.file.read_to_string(&mut text).unwrap();
        assert_eq!(text, "hello");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
