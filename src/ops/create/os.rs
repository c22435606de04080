//! What creating a VM needs to know about its operating system, taken from the osinfo entry
//! (or defaults for a generic OS).

use crate::osinfo::Os;

/// The OS facts that choose devices, firmware and limits.
#[derive(Debug, Clone, PartialEq)]
pub struct OsHints {
    /// osinfo id URL (`http://debian.org/debian/12`), for the domain's metadata.
    pub id: Option<String>,
    pub name: String,
    pub virtio_disk: bool,
    pub virtio_net: bool,
    pub virtio_video: bool,
    pub efi: bool,
    pub secure_boot: bool,
    pub tpm: bool,
    pub minimum_memory_mib: Option<u64>,
    pub minimum_storage_gib: Option<f64>,
    /// The kernel argument naming an install tree's URL (`inst.repo`): [`super::tree::kernel_url_arg`].
    pub kernel_url_arg: &'static str,
}

impl OsHints {
    /// No OS chosen: modern defaults (virtio, BIOS, no minimums).
    pub fn generic() -> OsHints {
        OsHints {
            id: None,
            name: "Generic OS".into(),
            virtio_disk: true,
            virtio_net: true,
            virtio_video: true,
            efi: false,
            secure_boot: false,
            tpm: false,
            minimum_memory_mib: None,
            minimum_storage_gib: None,
            kernel_url_arg: super::tree::kernel_url_arg(None, None),
        }
    }

    /// Whether to use the q35 machine: yes for anything with virtio, UEFI or a TPM; old OSes
    /// that know none of these get the i440fx `pc` machine they were made for.
    pub fn wants_q35(&self) -> bool {
        self.virtio_disk || self.efi || self.tpm
    }
}

/// How the OS was found for a spec.
#[derive(Debug, Clone, PartialEq)]
pub enum OsLookup {
    /// `"os": null`.
    Generic,
    /// A short id the osinfo-db does not know.
    Unknown(String),
    Known(OsHints),
}

impl OsLookup {
    pub fn hints(&self) -> OsHints {
        match self {
            OsLookup::Known(hints) => hints.clone(),
            _ => OsHints::generic(),
        }
    }
}

/// The spec's OS by short id, from the helper's osinfo-db.
pub fn lookup(short_id: Option<&str>) -> OsLookup {
    match short_id {
        None => OsLookup::Generic,
        Some(id) => match crate::osinfo::db().by_short_id(id) {
            Some(os) => OsLookup::Known(OsHints::from(os)),
            None => OsLookup::Unknown(id.to_string()),
        },
    }
}

impl From<&Os> for OsHints {
    fn from(os: &Os) -> OsHints {
        OsHints {
            id: Some(os.id.clone()),
            name: os.name.clone(),
            virtio_disk: os.virtio.disk,
            virtio_net: os.virtio.net,
            virtio_video: os.virtio.video,
            efi: os.firmware == "efi",
            secure_boot: os.secure_boot,
            tpm: os.tpm,
            minimum_memory_mib: os.minimum.memory_mib,
            minimum_storage_gib: os.minimum.storage_gib.map(|gib| gib as f64),
            kernel_url_arg: super::tree::kernel_url_arg(os.distro.as_deref(), os.version.as_deref()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_lookup_by_short_id() {
        assert_eq!(lookup(None), OsLookup::Generic);
        assert_eq!(lookup(Some("cop-no-such-os")), OsLookup::Unknown("cop-no-such-os".into()));
        let testdata = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/osinfo/testdata");
        let db = crate::osinfo::Db::load(&testdata).unwrap();
        let win = OsHints::from(db.by_short_id("demowin").unwrap());
        assert_eq!(
            (win.id.as_deref(), win.name.as_str(), win.efi),
            (Some("http://example.org/demowin/11"), "Demo Windows", true)
        );
        // Whichever OS the installed osinfo-db lists first maps over with its id and name.
        if let Some(os) = crate::osinfo::db().oses.first() {
            let OsLookup::Known(hints) = lookup(Some(&os.short_id)) else { panic!("{} not found", os.short_id) };
            assert_eq!((hints.id.as_deref(), hints.name.as_str()), (Some(os.id.as_str()), os.name.as_str()));
            assert_eq!(hints.efi, os.firmware == "efi");
        }
    }
}
