//! ISO 9660 (ECMA-119) volume descriptors: the identifiers install media are recognised by, and whether
//! the medium is bootable (an El Torito boot record right after the primary descriptor, which is where
//! libosinfo looks for it and where mastering tools put it).
//!
//! Works on a byte slice so the same code reads a local file and an HTTP range response.

use std::io::{self, Read, Seek, SeekFrom};

/// The first volume descriptor sits in logical sector 16 (sectors 0–15 are the system area).
pub const PVD_OFFSET: u64 = 16 * SECTOR_SIZE as u64;
pub const SECTOR_SIZE: usize = 2048;
/// What [`parse`] wants from [`PVD_OFFSET`] on: the primary descriptor and the one after it.
pub const DESCRIPTORS_LEN: usize = 2 * SECTOR_SIZE;

const EL_TORITO: &str = "EL TORITO SPECIFICATION";

/// The identifiers of a primary volume descriptor, as libosinfo reads them: each field cut at the first
/// NUL and stripped of its trailing padding; an empty field is `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VolumeDescriptor {
    pub system_id: Option<String>,
    pub volume_id: Option<String>,
    pub publisher_id: Option<String>,
    pub application_id: Option<String>,
    /// Volume space size × logical block size, in bytes.
    pub volume_size: u64,
    /// Sector 17 is an El Torito boot record.
    pub bootable: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Iso9660Error {
    #[error("too short for an ISO 9660 volume descriptor ({0} bytes)")]
    Truncated(usize),
    #[error("not an ISO 9660 image (no primary volume descriptor in sector 16)")]
    NotIso,
}

/// Parses the bytes found at [`PVD_OFFSET`]: the primary volume descriptor, and, if they reach that
/// far ([`DESCRIPTORS_LEN`]), the next descriptor to see whether it is a boot record.
pub fn parse(bytes: &[u8]) -> Result<VolumeDescriptor, Iso9660Error> {
    if bytes.len() < SECTOR_SIZE {
        return Err(Iso9660Error::Truncated(bytes.len()));
    }
    let sector = &bytes[..SECTOR_SIZE];
    // Type 1 (primary), standard identifier "CD001", version 1.
    if sector[0] != 1 || &sector[1..6] != b"CD001" {
        return Err(Iso9660Error::NotIso);
    }
    // Both-endian fields: the little-endian half comes first.
    let blocks = u32::from_le_bytes(sector[80..84].try_into().expect("4 bytes"));
    let block_size = u16::from_le_bytes(sector[128..130].try_into().expect("2 bytes"));
    Ok(VolumeDescriptor {
        system_id: identifier(&sector[8..40]),
        volume_id: identifier(&sector[40..72]),
        publisher_id: identifier(&sector[318..446]),
        application_id: identifier(&sector[574..702]),
        volume_size: u64::from(blocks) * u64::from(block_size),
        bootable: bytes.get(SECTOR_SIZE..DESCRIPTORS_LEN).is_some_and(is_boot_record),
    })
}

/// Type 0 (boot record), "CD001", boot system id "EL TORITO SPECIFICATION".
fn is_boot_record(sector: &[u8]) -> bool {
    sector[0] == 0 && &sector[1..6] == b"CD001" && identifier(&sector[7..39]).as_deref() == Some(EL_TORITO)
}

/// Reads the volume descriptors of an open image (see `media::local` for opening one). A file too
/// short or without them gives `Ok(None)` (it is simply not an ISO); I/O errors are errors.
pub fn read(mut file: impl Read + Seek) -> io::Result<Option<VolumeDescriptor>> {
    file.seek(SeekFrom::Start(PVD_OFFSET))?;
    let mut bytes = Vec::with_capacity(DESCRIPTORS_LEN);
    file.take(DESCRIPTORS_LEN as u64).read_to_end(&mut bytes)?;
    Ok(parse(&bytes).ok())
}

fn identifier(field: &[u8]) -> Option<String> {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    let text = String::from_utf8_lossy(&field[..end]);
    let text = text.trim_end();
    (!text.is_empty()).then(|| text.to_string())
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A minimal image: an empty system area, a primary volume descriptor with the given ids,
    /// space-padded as mastering tools write them, and an El Torito boot record.
    pub fn tiny_iso(volume_id: &str, system_id: &str, publisher_id: &str, application_id: &str) -> Vec<u8> {
        let mut image = vec![0u8; PVD_OFFSET as usize + DESCRIPTORS_LEN];
        let boot = &mut image[PVD_OFFSET as usize + SECTOR_SIZE..];
        boot[1..6].copy_from_slice(b"CD001");
        boot[6] = 1;
        boot[7..7 + EL_TORITO.len()].copy_from_slice(EL_TORITO.as_bytes());
        let pvd = &mut image[PVD_OFFSET as usize..PVD_OFFSET as usize + SECTOR_SIZE];
        pvd[0] = 1;
        pvd[1..6].copy_from_slice(b"CD001");
        pvd[6] = 1;
        let mut put = |range: std::ops::Range<usize>, value: &str| {
            pvd[range.clone()].fill(b' ');
            pvd[range.start..range.start + value.len()].copy_from_slice(value.as_bytes());
        };
        put(8..40, system_id);
        put(40..72, volume_id);
        put(318..446, publisher_id);
        put(574..702, application_id);
        pvd[80..84].copy_from_slice(&200u32.to_le_bytes());
        pvd[84..88].copy_from_slice(&200u32.to_be_bytes());
        pvd[128..130].copy_from_slice(&2048u16.to_le_bytes());
        pvd[130..132].copy_from_slice(&2048u16.to_be_bytes());
        image
    }

    #[test]
    fn iso9660_reads_the_identifiers() {
        let image = tiny_iso("Debian 12.0.0 amd64 n", "LINUX", "Debian Project", "XORRISO");
        let pvd = parse(&image[PVD_OFFSET as usize..]).unwrap();
        assert_eq!(
            pvd,
            VolumeDescriptor {
                system_id: Some("LINUX".into()),
                volume_id: Some("Debian 12.0.0 amd64 n".into()),
                publisher_id: Some("Debian Project".into()),
                application_id: Some("XORRISO".into()),
                volume_size: 200 * 2048,
                bootable: true,
            }
        );
        // Only the primary descriptor (a short range answer), or no boot record after it: not bootable.
        assert!(!parse(&image[PVD_OFFSET as usize..][..SECTOR_SIZE]).unwrap().bootable);
        let mut image = image;
        image[PVD_OFFSET as usize + SECTOR_SIZE] = 2; // a supplementary descriptor instead
        assert!(!parse(&image[PVD_OFFSET as usize..]).unwrap().bootable);
    }

    #[test]
    fn iso9660_blank_fields_are_none_and_nul_ends_a_field() {
        let mut image = tiny_iso("CCCOMA_X64FRE_EN-US_DV9", "", "", "");
        // Some tools pad with NULs instead of spaces: the field ends there.
        image[PVD_OFFSET as usize + 8..PVD_OFFSET as usize + 40].fill(0);
        let pvd = parse(&image[PVD_OFFSET as usize..]).unwrap();
        assert_eq!(pvd.volume_id.as_deref(), Some("CCCOMA_X64FRE_EN-US_DV9"));
        assert_eq!(pvd.system_id, None);
        assert_eq!(pvd.publisher_id, None);
    }

    #[test]
    fn iso9660_rejects_what_is_not_a_primary_descriptor() {
        assert_eq!(parse(&[1u8; 100]), Err(Iso9660Error::Truncated(100)));
        assert_eq!(parse(&[0u8; SECTOR_SIZE]), Err(Iso9660Error::NotIso));
        let mut image = tiny_iso("X", "", "", "");
        image[PVD_OFFSET as usize] = 2; // a supplementary descriptor
        assert_eq!(parse(&image[PVD_OFFSET as usize..]), Err(Iso9660Error::NotIso));
    }

    #[test]
    fn iso9660_read_from_a_file() {
        let dir = std::env::temp_dir().join(format!("cvirt-iso9660-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let iso = dir.join("tiny.iso");
        std::fs::write(&iso, tiny_iso("Fedora-S-dvd-x86_64-37", "LINUX", "", "")).unwrap();
        let short = dir.join("short.img");
        std::fs::write(&short, [0u8; 4096]).unwrap();

        let pvd = read(std::fs::File::open(&iso).unwrap()).unwrap().unwrap();
        assert_eq!(pvd.volume_id.as_deref(), Some("Fedora-S-dvd-x86_64-37"));
        assert_eq!(read(std::fs::File::open(&short).unwrap()).unwrap(), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
