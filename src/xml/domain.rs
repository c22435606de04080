//! Domain XML (`virDomainGetXMLDesc`) → [`DomainConfig`]. Only what the page shows is read;
//! everything else in the document is ignored, so new libvirt elements never break parsing.

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::model::{Console, DomainConfig, Graphics, NetInterface, TpmEmulator, VmDisk};

pub fn parse_domain(xml: &str) -> Result<DomainConfig> {
    let doc: DomainDoc = quick_xml::de::from_str(xml).context("parsing domain XML")?;
    let memory_max = doc.memory.as_ref().map(SizedValue::bytes).transpose()?.unwrap_or(0);
    let memory_current = doc.current_memory.as_ref().map(SizedValue::bytes).transpose()?.unwrap_or(memory_max);
    let os = doc.os.unwrap_or_default();
    let os_type = os.os_type.unwrap_or_default();
    let firmware = match (os.firmware.as_deref(), os.loader.as_ref()) {
        (Some("efi"), _) => "efi",
        (_, Some(loader)) if loader.kind.as_deref() == Some("pflash") => "efi",
        _ => "bios",
    };
    let devices = doc.devices.unwrap_or_default();
    Ok(DomainConfig {
        name: doc.name.text(),
        uuid: doc.uuid.map(Text::text).unwrap_or_default(),
        title: doc.title.map(Text::text).unwrap_or_default(),
        description: doc.description.map(Text::text).unwrap_or_default(),
        domain_type: doc.kind.unwrap_or_default(),
        os_type: os_type.value.unwrap_or_default().trim().to_string(),
        arch: os_type.arch.unwrap_or_default(),
        machine: os_type.machine.unwrap_or_default(),
        firmware: firmware.to_string(),
        nvram: os
            .nvram
            .and_then(|n| n.path.or(n.template_text.map(|t| t.trim().to_string())))
            .filter(|s| !s.is_empty()),
        vcpus: doc.vcpu.map(|v| v.current.unwrap_or(v.count)).unwrap_or(1),
        memory: memory_current,
        max_memory: memory_max,
        disks: devices.disks.into_iter().map(DiskDoc::into_model).collect(),
        interfaces: devices.interfaces.into_iter().map(InterfaceDoc::into_model).collect(),
        graphics: devices.graphics.into_iter().map(GraphicsDoc::into_model).collect(),
        consoles: devices
            .consoles
            .into_iter()
            .map(|c| Console { kind: c.kind.unwrap_or_default(), target: c.target.and_then(|t| t.kind) })
            .collect(),
        tpm: devices.tpms.into_iter().find_map(TpmDoc::into_model),
        saved: None,
        first_boot_pending: false,
    })
}

#[derive(Deserialize)]
struct DomainDoc {
    #[serde(rename = "@type")]
    kind: Option<String>,
    name: Text,
    uuid: Option<Text>,
    title: Option<Text>,
    description: Option<Text>,
    memory: Option<SizedValue>,
    #[serde(rename = "currentMemory")]
    current_memory: Option<SizedValue>,
    vcpu: Option<VcpuDoc>,
    os: Option<OsDoc>,
    devices: Option<DevicesDoc>,
}

/// An element with only text content; empty elements give "".
#[derive(Deserialize)]
struct Text {
    #[serde(rename = "$text", default)]
    value: String,
}

impl Text {
    fn text(self) -> String {
        self.value
    }
}

#[derive(Deserialize)]
struct SizedValue {
    #[serde(rename = "@unit")]
    unit: Option<String>,
    #[serde(rename = "$text")]
    value: String,
}

impl SizedValue {
    /// libvirt's scaled integers: the unit defaults to KiB for memory.
    fn bytes(&self) -> Result<u64> {
        let value: u64 = self.value.trim().parse().with_context(|| format!("bad memory size {:?}", self.value))?;
        let scale: u64 = match self.unit.as_deref().unwrap_or("KiB") {
            "b" | "bytes" => 1,
            "KB" => 1000,
            "k" | "KiB" => 1 << 10,
            "MB" => 1000 * 1000,
            "M" | "MiB" => 1 << 20,
            "GB" => 1000 * 1000 * 1000,
            "G" | "GiB" => 1 << 30,
            "TB" => 1000u64.pow(4),
            "T" | "TiB" => 1 << 40,
            other => anyhow::bail!("unknown memory unit {other:?}"),
        };
        value.checked_mul(scale).context("memory size overflows")
    }
}

#[derive(Deserialize)]
struct VcpuDoc {
    #[serde(rename = "@current")]
    current: Option<u32>,
    #[serde(rename = "$text")]
    count: u32,
}

#[derive(Deserialize, Default)]
struct OsDoc {
    #[serde(rename = "@firmware")]
    firmware: Option<String>,
    #[serde(rename = "type")]
    os_type: Option<OsTypeDoc>,
    loader: Option<LoaderDoc>,
    nvram: Option<NvramDoc>,
}

#[derive(Deserialize, Default)]
struct OsTypeDoc {
    #[serde(rename = "@arch")]
    arch: Option<String>,
    #[serde(rename = "@machine")]
    machine: Option<String>,
    #[serde(rename = "$text")]
    value: Option<String>,
}

#[derive(Deserialize)]
struct LoaderDoc {
    #[serde(rename = "@type")]
    kind: Option<String>,
}

#[derive(Deserialize)]
struct NvramDoc {
    /// libvirt ≥ 8.5 may put the path in a `<source file=…>`; older ones as text.
    #[serde(rename = "$text")]
    template_text: Option<String>,
    #[serde(rename = "@path")]
    path: Option<String>,
}

#[derive(Deserialize, Default)]
struct DevicesDoc {
    #[serde(rename = "disk", default)]
    disks: Vec<DiskDoc>,
    #[serde(rename = "interface", default)]
    interfaces: Vec<InterfaceDoc>,
    #[serde(rename = "graphics", default)]
    graphics: Vec<GraphicsDoc>,
    #[serde(rename = "console", default)]
    consoles: Vec<ConsoleDoc>,
    #[serde(rename = "tpm", default)]
    tpms: Vec<TpmDoc>,
}

#[derive(Deserialize)]
struct TpmDoc {
    backend: Option<TpmBackendDoc>,
}

#[derive(Deserialize)]
struct TpmBackendDoc {
    #[serde(rename = "@type")]
    kind: Option<String>,
    #[serde(rename = "@persistent_state")]
    persistent_state: Option<String>,
}

impl TpmDoc {
    /// Only an emulated TPM (swtpm) has state on the host.
    fn into_model(self) -> Option<TpmEmulator> {
        let backend = self.backend?;
        (backend.kind.as_deref() == Some("emulator"))
            .then(|| TpmEmulator { persistent_state: backend.persistent_state.as_deref() == Some("yes") })
    }
}

#[derive(Deserialize)]
struct DiskDoc {
    #[serde(rename = "@type")]
    kind: Option<String>,
    #[serde(rename = "@device")]
    device: Option<String>,
    driver: Option<DriverDoc>,
    source: Option<DiskSourceDoc>,
    target: Option<TargetDoc>,
    readonly: Option<Empty>,
    shareable: Option<Empty>,
    serial: Option<Text>,
}

#[derive(Deserialize)]
struct Empty {}

#[derive(Deserialize)]
struct DriverDoc {
    #[serde(rename = "@type")]
    format: Option<String>,
    #[serde(rename = "@cache")]
    cache: Option<String>,
}

#[derive(Deserialize)]
struct DiskSourceDoc {
    #[serde(rename = "@file")]
    file: Option<String>,
    #[serde(rename = "@dev")]
    dev: Option<String>,
    #[serde(rename = "@dir")]
    dir: Option<String>,
    #[serde(rename = "@name")]
    name: Option<String>,
    #[serde(rename = "@pool")]
    pool: Option<String>,
    #[serde(rename = "@volume")]
    volume: Option<String>,
}

#[derive(Deserialize)]
struct TargetDoc {
    #[serde(rename = "@dev")]
    dev: Option<String>,
    #[serde(rename = "@bus")]
    bus: Option<String>,
}

impl DiskDoc {
    fn into_model(self) -> VmDisk {
        let source = self.source;
        let path = source.as_ref().and_then(|s| {
            s.file.clone().or_else(|| s.dev.clone()).or_else(|| s.dir.clone()).or_else(|| s.name.clone())
        });
        VmDisk {
            target: self.target.as_ref().and_then(|t| t.dev.clone()).unwrap_or_default(),
            device: self.device.unwrap_or_else(|| "disk".into()),
            kind: self.kind.unwrap_or_else(|| "file".into()),
            bus: self.target.and_then(|t| t.bus),
            format: self.driver.as_ref().and_then(|d| d.format.clone()),
            cache: self.driver.and_then(|d| d.cache),
            source: path,
            pool: source.as_ref().and_then(|s| s.pool.clone()),
            volume: source.and_then(|s| s.volume),
            readonly: self.readonly.is_some(),
            shareable: self.shareable.is_some(),
            serial: self.serial.map(Text::text).filter(|s| !s.is_empty()),
        }
    }
}

#[derive(Deserialize)]
struct InterfaceDoc {
    #[serde(rename = "@type")]
    kind: Option<String>,
    mac: Option<AddressDoc>,
    model: Option<TypeAttr>,
    source: Option<InterfaceSourceDoc>,
    link: Option<LinkDoc>,
    target: Option<TargetDoc>,
}

#[derive(Deserialize)]
struct LinkDoc {
    #[serde(rename = "@state")]
    state: Option<String>,
}

#[derive(Deserialize)]
struct AddressDoc {
    #[serde(rename = "@address")]
    address: Option<String>,
}

#[derive(Deserialize)]
struct TypeAttr {
    #[serde(rename = "@type")]
    kind: Option<String>,
}

#[derive(Deserialize)]
struct InterfaceSourceDoc {
    #[serde(rename = "@network")]
    network: Option<String>,
    #[serde(rename = "@bridge")]
    bridge: Option<String>,
    #[serde(rename = "@dev")]
    dev: Option<String>,
}

impl InterfaceDoc {
    fn into_model(self) -> NetInterface {
        NetInterface {
            kind: self.kind.unwrap_or_default(),
            mac: self.mac.and_then(|m| m.address),
            model: self.model.and_then(|m| m.kind),
            source: self.source.and_then(|s| s.network.or(s.bridge).or(s.dev)),
            link_up: self.link.and_then(|l| l.state).as_deref() != Some("down"),
            tap: self.target.and_then(|t| t.dev),
        }
    }
}

#[derive(Deserialize)]
struct GraphicsDoc {
    #[serde(rename = "@type")]
    kind: Option<String>,
    #[serde(rename = "@port")]
    port: Option<i32>,
    #[serde(rename = "@listen")]
    listen: Option<String>,
    #[serde(rename = "@socket")]
    socket: Option<String>,
    #[serde(rename = "listen", default)]
    listens: Vec<ListenDoc>,
}

#[derive(Deserialize)]
struct ListenDoc {
    #[serde(rename = "@type")]
    kind: Option<String>,
    #[serde(rename = "@address")]
    address: Option<String>,
}

impl GraphicsDoc {
    fn into_model(self) -> Graphics {
        let first = self.listens.into_iter().next();
        let socket = self.socket.is_some() || first.as_ref().and_then(|l| l.kind.as_deref()) == Some("socket");
        let listen = if socket { None } else { first.and_then(|l| l.address).or(self.listen) };
        Graphics {
            kind: self.kind.unwrap_or_default(),
            // -1 (autoport, not running) and 0 mean "no port".
            port: self.port.filter(|p| *p > 0).and_then(|p| u16::try_from(p).ok()),
            listen,
            socket,
        }
    }
}

#[derive(Deserialize)]
struct ConsoleDoc {
    #[serde(rename = "@type")]
    kind: Option<String>,
    target: Option<TypeAttr>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// Each `testdata/<name>.xml` must parse to exactly `testdata/<name>.json`.
    /// `UPDATE_GOLDEN=1 cargo test` rewrites the .json files after a deliberate change.
    #[test]
    fn domain_xml_golden_files() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/xml/testdata");
        let mut checked = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("xml") {
                continue;
            }
            let xml = std::fs::read_to_string(&path).unwrap();
            let config = parse_domain(&xml).unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
            let mut value = serde_json::to_value(&config).unwrap();
            // name and uuid are skipped by Vm's serialization; golden files check them too.
            value["name"] = config.name.clone().into();
            value["uuid"] = config.uuid.clone().into();
            let actual = serde_json::to_string_pretty(&value).unwrap() + "\n";
            let golden = path.with_extension("json");
            if std::env::var_os("UPDATE_GOLDEN").is_some() {
                std::fs::write(&golden, &actual).unwrap();
            }
            let expected = std::fs::read_to_string(&golden).unwrap_or_default();
            assert_eq!(actual, expected, "{} differs from its golden file", path.display());
            checked += 1;
        }
        assert!(checked >= 3, "expected golden files in {}", dir.display());
    }

    #[test]
    fn domain_xml_errors_are_reported() {
        assert!(parse_domain("<domain><name>x</name><memory unit='parsecs'>1</memory></domain>").is_err());
        assert!(parse_domain("<domain><name>x</name><memory>lots</memory></domain>").is_err());
        assert!(parse_domain("not xml").is_err());
    }

    #[test]
    fn domain_xml_minimal_defaults() {
        let config = parse_domain("<domain type='test'><name>n</name><memory>1024</memory></domain>").unwrap();
        assert_eq!(config.name, "n");
        assert_eq!(config.memory, 1024 * 1024);
        assert_eq!(config.max_memory, 1024 * 1024);
        assert_eq!(config.vcpus, 1);
        assert_eq!(config.firmware, "bios");
    }

    #[test]
    fn domain_xml_tpm_emulator_and_its_state() {
        let tpm = |devices: &str| {
            parse_domain(&format!("<domain><name>n</name><devices>{devices}</devices></domain>")).unwrap().tpm
        };
        assert_eq!(tpm(""), None);
        assert_eq!(
            tpm("<tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>"),
            Some(TpmEmulator { persistent_state: false })
        );
        assert_eq!(
            tpm("<tpm><backend type='emulator' persistent_state='yes'/></tpm>"),
            Some(TpmEmulator { persistent_state: true })
        );
        assert_eq!(tpm("<tpm><backend type='passthrough'><device path='/dev/tpm0'/></backend></tpm>"), None);
    }
}
