//! The SPEC of op `create` (`docs/api.md`, contract): what the page asks for, typed at the edge.
//! Unknown fields are refused: a misspelt field silently ignored would create a different VM.

use serde::Deserialize;

use crate::http::{UrlError, UrlUse, WebUrl};

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub name: String,
    /// osinfo short id; `None` for a generic OS with default settings.
    #[serde(default)]
    pub os: Option<String>,
    pub source: Source,
    pub memory_mib: u64,
    pub vcpus: u32,
    pub storage: Storage,
    pub network: Network,
    #[serde(default)]
    pub virt_type: VirtType,
    #[serde(default)]
    pub firmware: FirmwareChoice,
    #[serde(default)]
    pub run: bool,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Source {
    /// Install media on the host.
    Iso { path: String },
    /// An ISO image or an install tree (a URL not ending in `.iso`) by URL.
    Url { url: String },
    /// Network boot on a libvirt network or a host bridge.
    Pxe {
        #[serde(default)]
        network: Option<String>,
        #[serde(default)]
        bridge: Option<String>,
    },
    /// A cloud base image, copied into the pool, with a NoCloud seed.
    Cloud {
        image: String,
        #[serde(default)]
        user: Option<CloudUser>,
        #[serde(default)]
        root_password: Option<String>,
        #[serde(default)]
        hostname: Option<String>,
    },
    /// An existing disk image, used in place or copied into a pool.
    Import {
        path: String,
        #[serde(default)]
        copy_to_pool: Option<String>,
    },
}

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct CloudUser {
    #[serde(default)]
    pub login: String,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub ssh_keys: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Storage {
    New { pool: String, size_gib: f64 },
    Volume { pool: String, volume: String },
    None,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
#[allow(clippy::enum_variant_names)] // the variants are the JSON kinds
pub enum Network {
    Network { name: String },
    Bridge { name: String },
    Direct { dev: String },
    User,
    None,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum VirtType {
    #[default]
    Kvm,
    Qemu,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum FirmwareChoice {
    #[default]
    Auto,
    Bios,
    Efi,
}

impl Spec {
    /// Whether the source brings its own disk (cloud, import): then `storage` is ignored.
    pub fn source_has_disk(&self) -> bool {
        matches!(self.source, Source::Cloud { .. } | Source::Import { .. })
    }

    /// Storage in effect: `None` for sources that bring their own disk.
    pub fn storage(&self) -> &Storage {
        if self.source_has_disk() { &Storage::None } else { &self.storage }
    }

    /// The pool and name of the disk volume this spec creates, if any: a new empty volume, the
    /// copy of a cloud image, or the copy of an imported disk.
    pub fn new_disk_volume(&self) -> Option<(String, String)> {
        match (&self.source, &self.storage) {
            (Source::Cloud { .. }, _) => Some((self.cloud_pool(), format!("{}.qcow2", self.name))),
            (Source::Import { path, copy_to_pool: Some(pool) }, _) => {
                let ext = std::path::Path::new(path).extension().and_then(|e| e.to_str()).unwrap_or("img");
                Some((pool.clone(), format!("{}.{ext}", self.name)))
            }
            (Source::Import { .. }, _) => None,
            (_, Storage::New { pool, .. }) => Some((pool.clone(), format!("{}.qcow2", self.name))),
            _ => None,
        }
    }

    /// The NoCloud seed volume of a cloud source.
    pub fn seed_volume(&self) -> Option<(String, String)> {
        matches!(self.source, Source::Cloud { .. }).then(|| (self.cloud_pool(), format!("{}-cidata.iso", self.name)))
    }

    /// The URL of a `url` source, parsed for [`UrlUse::Media`] (the error is for field `source`).
    pub fn source_url(&self) -> Option<Result<WebUrl, UrlError>> {
        match &self.source {
            Source::Url { url } => Some(WebUrl::parse(url, UrlUse::Media)),
            _ => None,
        }
    }

    /// Whether the source is an install tree by URL (booted from its kernel and initrd): a valid URL
    /// whose path does not end in `.iso`.
    pub fn is_tree(&self) -> bool {
        matches!(self.source_url(), Some(Ok(url)) if !url.is_iso())
    }

    /// The volumes an install tree's kernel and initrd are downloaded to.
    pub fn tree_volumes(&self) -> Option<[(String, String); 2]> {
        self.is_tree().then(|| {
            let pool = self.cloud_pool();
            [(pool.clone(), format!("{}-kernel", self.name)), (pool, format!("{}-initrd", self.name))]
        })
    }

    /// Cloud images and tree boot files go to the pool `storage` names, else to `default`.
    fn cloud_pool(&self) -> String {
        match &self.storage {
            Storage::New { pool, .. } | Storage::Volume { pool, .. } => pool.clone(),
            Storage::None => "default".into(),
        }
    }

    /// The new disk's size: `storage.size_gib` for new volumes and cloud images.
    pub fn size_gib(&self) -> Option<f64> {
        match &self.storage {
            Storage::New { size_gib, .. } if !matches!(self.source, Source::Import { .. }) => Some(*size_gib),
            _ => None,
        }
    }
}

/// The largest size a volume may be given: 1 PiB (libvirt and qcow2 would refuse far less anyway).
pub const MAX_SIZE_GIB: f64 = 1024.0 * 1024.0;

/// The size of a new volume in bytes, rounded up to whole MiB; NaN, negative and huge sizes
/// saturate (0 or `u64::MAX`) instead of wrapping, and validation refuses them.
pub fn gib_to_bytes(size_gib: f64) -> u64 {
    // `as` saturates for floats: NaN and negatives become 0, overlarge values u64::MAX.
    let mib = (size_gib * 1024.0).ceil().max(0.0) as u64;
    mib.saturating_mul(1024 * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: serde_json::Value) -> Result<Spec, String> {
        serde_json::from_value(value).map_err(|err| err.to_string())
    }

    fn base() -> serde_json::Value {
        json!({
            "name": "debian12", "os": "debian12",
            "source": {"kind": "iso", "path": "/var/lib/libvirt/images/x.iso"},
            "memory_mib": 1024, "vcpus": 1,
            "storage": {"kind": "new", "pool": "default", "size_gib": 10},
            "network": {"kind": "network", "name": "default"},
            "virt_type": "qemu", "firmware": "auto", "run": true
        })
    }

    #[test]
    fn spec_parses_the_contract_example() {
        let spec = parse(base()).unwrap();
        assert_eq!(spec.source, Source::Iso { path: "/var/lib/libvirt/images/x.iso".into() });
        assert_eq!(spec.storage, Storage::New { pool: "default".into(), size_gib: 10.0 });
        assert_eq!(spec.virt_type, VirtType::Qemu);
        assert!(spec.run);
    }

    #[test]
    fn spec_parses_every_source_kind() {
        let sources = [
            json!({"kind": "url", "url": "http://host/x.iso"}),
            json!({"kind": "pxe", "network": "default"}),
            json!({"kind": "pxe", "bridge": "br0"}),
            json!({"kind": "cloud", "image": "/b.qcow2", "user": {"login": "u", "password": "p", "ssh_keys": ["ssh-ed25519 AAAA"]},
                   "root_password": null, "hostname": "h"}),
            json!({"kind": "cloud", "image": "/b.qcow2", "user": null}),
            json!({"kind": "import", "path": "/d.qcow2", "copy_to_pool": null}),
        ];
        for source in sources {
            let mut value = base();
            value["source"] = source.clone();
            parse(value).unwrap_or_else(|err| panic!("{source}: {err}"));
        }
    }

    #[test]
    fn spec_refuses_unknown_and_misspelt_fields() {
        let mut value = base();
        value["memory"] = json!(1);
        assert!(parse(value).unwrap_err().contains("unknown field `memory`"));
        let mut value = base();
        value["source"] = json!({"kind": "iso", "paht": "/x.iso"});
        assert!(parse(value).is_err());
        let mut value = base();
        value["network"] = json!({"kind": "wifi"});
        assert!(parse(value).unwrap_err().contains("unknown variant `wifi`"));
    }

    #[test]
    fn spec_storage_is_ignored_for_sources_with_a_disk() {
        let mut value = base();
        value["source"] = json!({"kind": "import", "path": "/d.qcow2"});
        assert_eq!(parse(value).unwrap().storage(), &Storage::None);
        assert_eq!(gib_to_bytes(1.0), 1 << 30);
        assert_eq!(gib_to_bytes(0.5), 512 << 20);
        assert_eq!(gib_to_bytes(1e300), u64::MAX);
        assert_eq!(gib_to_bytes(f64::INFINITY), u64::MAX);
        assert_eq!(gib_to_bytes(f64::NAN), 0);
        assert_eq!(gib_to_bytes(-3.0), 0);
    }
}
