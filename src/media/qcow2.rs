//! The qcow2 header fields that make an image read other files: a backing file (`qemu-img create -b`)
//! and an external data file (`-o data_file=`). An image from the internet or another user that names
//! `/etc/shadow` or `/dev/sda` there would hand that file to the guest, so the helper refuses such an
//! image as a VM's disk.

use std::io::{self, Read, Seek, SeekFrom};

pub const MAGIC: &[u8; 4] = b"QFI\xfb";
/// Version 3 headers are at least 104 bytes; we read what we need of them.
const HEADER_LEN: usize = 104;
/// `incompatible_features` bit 2: the guest data lives in an external file.
const EXTERNAL_DATA_FILE: u64 = 1 << 2;

/// What a qcow2 header makes QEMU open besides the image itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Qcow2Refs {
    pub backing_file: bool,
    pub external_data_file: bool,
}

impl Qcow2Refs {
    /// The reason an image with these references cannot be a VM's disk, if any.
    pub fn refusal(&self) -> Option<&'static str> {
        if self.backing_file {
            Some("is a qcow2 image with a backing file; convert it to a standalone image first (qemu-img convert)")
        } else if self.external_data_file {
            Some(
                "is a qcow2 image with an external data file; convert it to a standalone image first (qemu-img convert)",
            )
        } else {
            None
        }
    }
}

/// `Some` for a qcow2 image (by its magic), with what its header refers to; `None` for anything else.
pub fn inspect(mut file: impl Read + Seek) -> io::Result<Option<Qcow2Refs>> {
    let mut header = [0u8; HEADER_LEN];
    file.seek(SeekFrom::Start(0))?;
    let mut filled = 0;
    while filled < HEADER_LEN {
        match file.read(&mut header[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    file.seek(SeekFrom::Start(0))?;
    Ok(parse(&header[..filled]))
}

pub fn parse(header: &[u8]) -> Option<Qcow2Refs> {
    if header.len() < 8 || &header[..4] != MAGIC {
        return None;
    }
    let be64 = |at: usize| header.get(at..at + 8).map(|b| u64::from_be_bytes(b.try_into().expect("8 bytes")));
    let version = u32::from_be_bytes(header[4..8].try_into().expect("4 bytes"));
    // A header too short to say is treated as the worst case: QEMU would refuse it anyway.
    let backing_file = be64(8).is_none_or(|offset| offset != 0);
    let external_data_file = version >= 3 && be64(72).is_none_or(|features| features & EXTERNAL_DATA_FILE != 0);
    Some(Qcow2Refs { backing_file, external_data_file })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn qcow2_parse_reads_backing_and_data_file() {
        assert_eq!(parse(b"not a qcow2 image"), None);
        let mut header = vec![0u8; HEADER_LEN];
        header[..4].copy_from_slice(MAGIC);
        header[4..8].copy_from_slice(&3u32.to_be_bytes());
        assert_eq!(parse(&header), Some(Qcow2Refs::default()));
        header[8..16].copy_from_slice(&0x200u64.to_be_bytes());
        assert!(parse(&header).unwrap().backing_file);
        header[8..16].copy_from_slice(&0u64.to_be_bytes());
        header[72..80].copy_from_slice(&EXTERNAL_DATA_FILE.to_be_bytes());
        assert!(parse(&header).unwrap().external_data_file);
        // Version 2 has no feature bits; a cut header is refused.
        header[4..8].copy_from_slice(&2u32.to_be_bytes());
        assert_eq!(parse(&header), Some(Qcow2Refs::default()));
        assert!(parse(&header[..12]).unwrap().backing_file);
    }

    /// Images made by qemu-img itself (skipped where it is not installed).
    #[test]
    fn qcow2_inspect_images_made_by_qemu_img() {
        let dir = std::env::temp_dir().join(format!("cvirt-qcow2-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let image = |name: &str, args: &[&str]| {
            let path = dir.join(name);
            let status =
                Command::new("qemu-img").args(["create", "-q", "-f", "qcow2"]).args(args).arg(&path).arg("1M").status();
            match status {
                Ok(status) if status.success() => Some(path),
                _ => None,
            }
        };
        let Some(plain) = image("plain.qcow2", &[]) else {
            eprintln!("qemu-img is not installed; skipped");
            return;
        };
        let inspect_path = |path: &std::path::Path| inspect(std::fs::File::open(path).unwrap()).unwrap();
        assert_eq!(inspect_path(&plain), Some(Qcow2Refs::default()));
        let backed = image("backed.qcow2", &["-u", "-F", "raw", "-b", "/etc/shadow"]).unwrap();
        assert!(inspect_path(&backed).unwrap().refusal().unwrap().contains("backing file"));
        let data = dir.join("data.raw");
        let external = image("external.qcow2", &["-o", &format!("data_file={}", data.display())]).unwrap();
        let refs = inspect_path(&external).unwrap();
        assert!(refs.external_data_file && !refs.backing_file);
        assert!(refs.refusal().unwrap().contains("external data file"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
