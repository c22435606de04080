//! Domain XML (`virDomainGetXMLDesc`) → [`DomainConfig`]. Only what the page shows is read;
//! everything else in the document is ignored, so new libvirt elements never break parsing.

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::model::guest_devices::{VmTpm, VmVsock, Watchdog};
use crate::model::hostdev::{HostdevKey, PciAddress, UsbId, VmFilesystem, VmHostDevice, parse_hex_id};
use crate::model::{Console, DomainConfig, Graphics, NetInterface, VmDisk};
use crate::xml::cputune::CputuneDoc;
use crate::xml::vcpu::TopologyDoc;

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
    let cpu_mode = doc.cpu.as_ref().and_then(|c| c.mode.clone()).unwrap_or_else(|| "custom".into());
    let cpu_model = doc
        .cpu
        .as_ref()
        .filter(|_| cpu_mode == "custom")
        .and_then(|c| c.model.as_ref())
        .map(|m| m.value.trim().to_string())
        .filter(|m| !m.is_empty());
    let (vcpu_pins, emulator_pin) = doc.cputune.map(CputuneDoc::readable_pins).unwrap_or_default();
    let mut tpms: Vec<VmTpm> = devices.tpms.into_iter().filter_map(TpmDoc::into_model).collect();
    // An emulated TPM first: the one whose state lives on the host, and the one settings change.
    tpms.sort_by_key(|tpm| !tpm.emulated());
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
        cpu_mode,
        cpu_model,
        topology: doc.cpu.and_then(|c| c.topology).map(TopologyDoc::topology),
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
        tpm: tpms.into_iter().next(),
        // libvirt's default action.
        watchdog: devices.watchdogs.into_iter().next().map(|w| Watchdog {
            model: w.model.unwrap_or_default(),
            action: w.action.unwrap_or_else(|| "reset".into()),
        }),
        vsock: devices.vsock.map(|v| {
            let cid = v.cid.unwrap_or_default();
            let address = cid.address.as_deref().and_then(xml_number);
            VmVsock { auto: cid.auto.as_deref() == Some("yes") || address.is_none(), cid: address }
        }),
        vcpu_pins,
        emulator_pin,
        hostdevs: devices.hostdevs.into_iter().map(HostdevDoc::into_model).collect(),
        filesystems: devices.filesystems.into_iter().map(FilesystemDoc::into_model).collect(),
        shared_memory: doc
            .memory_backing
            .and_then(|m| m.access)
            .and_then(|a| a.mode)
            .is_some_and(|mode| mode == "shared"),
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
    cpu: Option<CpuDoc>,
    os: Option<OsDoc>,
    devices: Option<DevicesDoc>,
    #[serde(rename = "memoryBacking")]
    memory_backing: Option<MemoryBackingDoc>,
    cputune: Option<CputuneDoc>,
}

#[derive(Deserialize)]
struct MemoryBackingDoc {
    access: Option<AccessDoc>,
}

#[derive(Deserialize)]
struct AccessDoc {
    #[serde(rename = "@mode")]
    mode: Option<String>,
}

#[derive(Deserialize)]
struct CpuDoc {
    #[serde(rename = "@mode")]
    mode: Option<String>,
    model: Option<Text>,
    topology: Option<TopologyDoc>,
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
    #[serde(rename = "watchdog", default)]
    watchdogs: Vec<WatchdogDoc>,
    vsock: Option<VsockDoc>,
    #[serde(rename = "hostdev", default)]
    hostdevs: Vec<HostdevDoc>,
    #[serde(rename = "filesystem", default)]
    filesystems: Vec<FilesystemDoc>,
}

#[derive(Deserialize)]
struct HostdevDoc {
    #[serde(rename = "@type")]
    kind: Option<String>,
    source: Option<HostdevSourceDoc>,
}

#[derive(Deserialize, Default)]
struct HostdevSourceDoc {
    vendor: Option<IdDoc>,
    product: Option<IdDoc>,
    address: Option<HostdevAddressDoc>,
    adapter: Option<AdapterDoc>,
}

#[derive(Deserialize)]
struct IdDoc {
    #[serde(rename = "@id")]
    id: Option<String>,
}

#[derive(Deserialize)]
struct AdapterDoc {
    #[serde(rename = "@name")]
    name: Option<String>,
}

#[derive(Deserialize, Default)]
struct HostdevAddressDoc {
    #[serde(rename = "@domain")]
    domain: Option<String>,
    #[serde(rename = "@bus")]
    bus: Option<String>,
    #[serde(rename = "@slot")]
    slot: Option<String>,
    #[serde(rename = "@function")]
    function: Option<String>,
    #[serde(rename = "@device")]
    device: Option<String>,
    #[serde(rename = "@target")]
    target: Option<String>,
    #[serde(rename = "@unit")]
    unit: Option<String>,
    #[serde(rename = "@uuid")]
    uuid: Option<String>,
}

/// libvirt's numbers in XML: `0x1f` or `31`.
fn xml_number(text: &str) -> Option<u32> {
    let text = text.trim();
    match text.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

impl HostdevDoc {
    fn into_model(self) -> VmHostDevice {
        let kind = self.kind.unwrap_or_default();
        let source = self.source.unwrap_or_default();
        let a = source.address.unwrap_or_default();
        let num = |v: &Option<String>| v.as_deref().and_then(xml_number);
        let vendor = source.vendor.and_then(|v| v.id).as_deref().and_then(parse_hex_id);
        let product = source.product.and_then(|p| p.id).as_deref().and_then(parse_hex_id);
        let (key, address) = match kind.as_str() {
            "pci" => {
                let pci = (|| {
                    Some(PciAddress {
                        domain: u16::try_from(num(&a.domain).unwrap_or(0)).ok()?,
                        bus: u8::try_from(num(&a.bus)?).ok()?,
                        slot: u8::try_from(num(&a.slot)?).ok()?,
                        function: u8::try_from(num(&a.function)?).ok()?,
                    })
                })();
                (pci.map(HostdevKey::Pci), pci.map(|p| p.to_string()))
            }
            "usb" => {
                let at = (|| Some((u16::try_from(num(&a.bus)?).ok()?, u16::try_from(num(&a.device)?).ok()?)))();
                let key = match (vendor, product, at) {
                    (Some(vendor), Some(product), _) => Some(HostdevKey::Usb(UsbId { vendor, product })),
                    (_, _, Some((bus, device))) => Some(HostdevKey::UsbAt { bus, device }),
                    _ => None,
                };
                (key, at.map(|(bus, device)| format!("{bus}.{device}")))
            }
            "scsi" => {
                let adapter = source.adapter.and_then(|ad| ad.name).unwrap_or_default();
                let parts = [&a.bus, &a.target, &a.unit].map(|v| num(v).map_or("?".to_string(), |n| n.to_string()));
                (None, Some(format!("{adapter}:{}", parts.join(":"))))
            }
            "mdev" => (None, a.uuid),
            _ => (None, None),
        };
        VmHostDevice {
            kind,
            key,
            address,
            vendor_id: vendor.map(|v| format!("{v:04x}")),
            product_id: product.map(|p| format!("{p:04x}")),
        }
    }
}

#[derive(Deserialize)]
struct FilesystemDoc {
    driver: Option<TypeAttr>,
    source: Option<FsSourceDoc>,
    target: Option<FsTargetDoc>,
    readonly: Option<Empty>,
}

#[derive(Deserialize)]
struct FsSourceDoc {
    #[serde(rename = "@dir")]
    dir: Option<String>,
    #[serde(rename = "@file")]
    file: Option<String>,
    #[serde(rename = "@name")]
    name: Option<String>,
}

#[derive(Deserialize)]
struct FsTargetDoc {
    #[serde(rename = "@dir")]
    dir: Option<String>,
}

impl FilesystemDoc {
    fn into_model(self) -> VmFilesystem {
        VmFilesystem {
            driver: self.driver.and_then(|d| d.kind).unwrap_or_else(|| "path".into()),
            source: self.source.and_then(|s| s.dir.or(s.file).or(s.name)),
            tag: self.target.and_then(|t| t.dir).unwrap_or_default(),
            readonly: self.readonly.is_some(),
        }
    }
}

#[derive(Deserialize)]
struct TpmDoc {
    #[serde(rename = "@model")]
    model: Option<String>,
    backend: Option<TpmBackendDoc>,
}

#[derive(Deserialize)]
struct TpmBackendDoc {
    #[serde(rename = "@type")]
    kind: Option<String>,
    #[serde(rename = "@version")]
    version: Option<String>,
    #[serde(rename = "@persistent_state")]
    persistent_state: Option<String>,
}

impl TpmDoc {
    fn into_model(self) -> Option<VmTpm> {
        let backend = self.backend?;
        Some(VmTpm {
            backend: backend.kind?,
            model: self.model,
            version: backend.version,
            persistent_state: backend.persistent_state.as_deref() == Some("yes"),
        })
    }
}

#[derive(Deserialize)]
struct WatchdogDoc {
    #[serde(rename = "@model")]
    model: Option<String>,
    #[serde(rename = "@action")]
    action: Option<String>,
}

#[derive(Deserialize)]
struct VsockDoc {
    cid: Option<CidDoc>,
}

#[derive(Deserialize, Default)]
struct CidDoc {
    #[serde(rename = "@auto")]
    auto: Option<String>,
    #[serde(rename = "@address")]
    address: Option<String>,
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
    #[serde(rename = "@protocol")]
    protocol: Option<String>,
    #[serde(rename = "@query")]
    query: Option<String>,
    host: Option<HostDoc>,
}

#[derive(Deserialize)]
struct HostDoc {
    #[serde(rename = "@name")]
    name: Option<String>,
    #[serde(rename = "@port")]
    port: Option<String>,
}

impl DiskSourceDoc {
    /// Media QEMU reads by URL (its curl driver) shown as that URL; other network disks by their name.
    fn url(&self) -> Option<String> {
        let protocol = self.protocol.as_deref().filter(|p| ["http", "https", "ftp", "ftps"].contains(p))?;
        let host = self.host.as_ref()?.name.as_deref()?;
        let host = if host.contains(':') { format!("[{host}]") } else { host.to_string() };
        let port = self.host.as_ref()?.port.as_deref().map(|p| format!(":{p}")).unwrap_or_default();
        let name = self.name.as_deref().unwrap_or("/");
        let slash = if name.starts_with('/') { "" } else { "/" };
        let query = self.query.as_deref().map(|q| format!("?{q}")).unwrap_or_default();
        Some(format!("{protocol}://{host}{port}{slash}{name}{query}"))
    }
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
            s.file
                .clone()
                .or_else(|| s.dev.clone())
                .or_else(|| s.dir.clone())
                .or_else(|| s.url())
                .or_else(|| s.name.clone())
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
    vlan: Option<VlanDoc>,
    backend: Option<TypeAttr>,
}

#[derive(Deserialize)]
struct VlanDoc {
    #[serde(default)]
    tag: Vec<VlanTagDoc>,
}

#[derive(Deserialize)]
struct VlanTagDoc {
    #[serde(rename = "@id")]
    id: Option<String>,
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
            // A trunk has several tags; the first is the one shown.
            vlan: self.vlan.and_then(|v| v.tag.first().and_then(|t| t.id.as_deref()?.parse().ok())),
            backend: self.backend.and_then(|b| b.kind).filter(|k| k != "default"),
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
    use std::collections::BTreeMap;
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
    fn domain_xml_host_devices_filesystems_and_shared_memory() {
        let config = parse_domain(
            "<domain><name>n</name><memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>
             <devices>
              <hostdev mode='subsystem' type='usb' managed='yes'><source><vendor id='0x046d'/><product id='0x0825'/>
                <address bus='1' device='5'/></source></hostdev>
              <hostdev mode='subsystem' type='usb'><source><address bus='2' device='3'/></source></hostdev>
              <hostdev mode='subsystem' type='pci' managed='yes'><source>
                <address domain='0x0000' bus='0x06' slot='0x12' function='0x5'/></source></hostdev>
              <hostdev mode='subsystem' type='scsi'><source><adapter name='scsi_host0'/>
                <address bus='0' target='1' unit='2'/></source></hostdev>
              <hostdev mode='subsystem' type='mdev' model='vfio-pci'><source>
                <address uuid='c2177883-f1bb-47f0-914d-32a22e3a8804'/></source></hostdev>
              <filesystem type='mount' accessmode='passthrough'><driver type='virtiofs'/>
                <source dir='/srv/a &amp; b'/><target dir='share'/><readonly/></filesystem>
             </devices></domain>",
        )
        .unwrap();
        assert!(config.shared_memory);
        let keys: Vec<String> =
            config.hostdevs.iter().map(|h| h.key.map(|k| k.to_string()).unwrap_or_default()).collect();
        assert_eq!(keys, ["usb:046d:0825", "usb-at:2.3", "pci:0000:06:12.5", "", ""]);
        let addresses: Vec<Option<&str>> = config.hostdevs.iter().map(|h| h.address.as_deref()).collect();
        assert_eq!(
            addresses,
            [
                Some("1.5"),
                Some("2.3"),
                Some("0000:06:12.5"),
                Some("scsi_host0:0:1:2"),
                Some("c2177883-f1bb-47f0-914d-32a22e3a8804")
            ]
        );
        assert_eq!(
            config.filesystems,
            [VmFilesystem {
                driver: "virtiofs".into(),
                source: Some("/srv/a & b".into()),
                tag: "share".into(),
                readonly: true
            }]
        );
        assert!(!parse_domain("<domain><name>n</name></domain>").unwrap().shared_memory);
    }

    #[test]
    fn domain_xml_errors_are_reported() {
        assert!(parse_domain("<domain><name>x</name><memory unit='parsecs'>1</memory></domain>").is_err());
        assert!(parse_domain("<domain><name>x</name><memory>lots</memory></domain>").is_err());
        assert!(parse_domain("not xml").is_err());
    }

    #[test]
    fn domain_xml_media_by_url_shown_as_the_url() {
        let source = |disk: &str| {
            let xml = format!(
                "<domain><name>n</name><devices><disk type='network' device='cdrom'>{disk}<target dev='sda'/></disk></devices></domain>"
            );
            parse_domain(&xml).unwrap().disks[0].source.clone()
        };
        let https = "<source protocol='https' name='/isos/a b.iso'><host name='mirror.example' port='8443'/></source>";
        assert_eq!(source(https).as_deref(), Some("https://mirror.example:8443/isos/a b.iso"));
        let v6 = "<source protocol='http' name='x.iso'><host name='fd00::1'/></source>";
        assert_eq!(source(v6).as_deref(), Some("http://[fd00::1]/x.iso"));
        let nbd = "<source protocol='nbd' name='export'><host name='192.0.2.1' port='10809'/></source>";
        assert_eq!(source(nbd).as_deref(), Some("export"));
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

    fn devices(devices: &str) -> DomainConfig {
        parse_domain(&format!("<domain><name>n</name><devices>{devices}</devices></domain>")).unwrap()
    }

    #[test]
    fn domain_xml_tpm_and_its_state() {
        let tpm = |xml: &str| devices(xml).tpm;
        assert_eq!(tpm(""), None);
        let crb = tpm("<tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>").unwrap();
        assert!(crb.emulated() && !crb.persistent_state);
        assert_eq!((crb.model.as_deref(), crb.version.as_deref()), (Some("tpm-crb"), Some("2.0")));
        assert!(tpm("<tpm><backend type='emulator' persistent_state='yes'/></tpm>").unwrap().persistent_state);
        let host = "<tpm><backend type='passthrough'><device path='/dev/tpm0'/></backend></tpm>";
        assert!(!tpm(host).unwrap().emulated());
        let both = tpm(&format!("{host}<tpm model='tpm-spapr'><backend type='emulator'/></tpm>")).unwrap();
        assert!(both.emulated(), "the emulated one is shown");
    }

    #[test]
    fn domain_xml_watchdog_vsock_and_pins() {
        let config = devices(
            "<watchdog model='i6300esb' action='poweroff'/><watchdog model='itco'/>\
             <vsock model='virtio'><cid auto='no' address='7'/></vsock>",
        );
        assert_eq!(config.watchdog, Some(Watchdog { model: "i6300esb".into(), action: "poweroff".into() }));
        assert_eq!(config.vsock, Some(VmVsock { cid: Some(7), auto: false }));
        let running_auto = devices("<watchdog model='itco'/><vsock><cid auto='yes' address='3'/></vsock>");
        assert_eq!(running_auto.watchdog.unwrap().action, "reset", "libvirt's default");
        let vsock = running_auto.vsock.unwrap();
        assert_eq!(
            (vsock, vsock.requested()),
            (VmVsock { cid: Some(3), auto: true }, VmVsock { cid: None, auto: true })
        );
        assert_eq!(devices("<vsock/>").vsock, Some(VmVsock { cid: None, auto: true }));
        let empty = devices("");
        assert_eq!((empty.watchdog, empty.vsock), (None, None));

        let pinned = parse_domain(
            "<domain><name>n</name><cputune><vcpupin vcpu='0' cpuset='0-2,^1'/><vcpupin vcpu='1' cpuset='x'/>\
             <emulatorpin cpuset='1'/></cputune></domain>",
        )
        .unwrap();
        assert_eq!(pinned.vcpu_pins, BTreeMap::from([(0, vec![0, 2])]), "an unreadable cpuset is left out");
        assert_eq!(pinned.emulator_pin, Some(vec![1]));
        let json = serde_json::to_value(&pinned).unwrap();
        assert_eq!(
            (&json["vcpuPins"], &json["emulatorPin"]),
            (&serde_json::json!({"0": [0, 2]}), &serde_json::json!([1]))
        );
        assert!(json.get("tpm").is_none() && json.get("watchdog").is_none(), "left out when absent: {json}");
    }
}
