//! op `device`: one change to one VM's disks, removable media or network interfaces, answered with
//! one result saying where it applied (`docs/api.md`). Everything the user typed is checked here
//! (`validate.rs`) before libvirt is asked; libvirt's own message is passed on when it refuses.

mod disk;
mod filesystem;
mod hostdev;
mod media;
mod nic;
mod scope;
mod validate;

pub use validate::network_source;

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::target::{VmTarget, reply_once};
use super::{Context, OpBody, parse_options};
use crate::model::hostdev::HostdevKey;
use crate::model::uri::Uri;
use crate::problem::Problem;
use crate::xml::device::{DiskSource, NicDevice, NicSource};
use crate::xml::hostdev::SharedDirectory;
use disk::{DiskChange, NewDisk, NewSource};
use nic::NicChange;
use scope::Scope;
use validate::{BUSES, CACHES, DIRECT_MODES, FORMATS, MODELS, invalid, word};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeviceOptions {
    uri: Uri,
    vm: String,
    action: String,
    /// Apply to the running VM; default: when it runs.
    live: Option<bool>,
    /// Apply to the saved definition (next boot); default: when the VM is persistent.
    config: Option<bool>,
    /// A disk's target (`vda`, `sdb`).
    target: Option<String>,
    source: Option<SourceOptions>,
    #[serde(default)]
    force: bool,
    bus: Option<String>,
    cache: Option<String>,
    serial: Option<String>,
    /// `disk` (default) or `cdrom`.
    device: Option<String>,
    #[serde(default)]
    delete_storage: bool,
    /// Bytes; a number so that 0, negative and fractional sizes get a clear answer.
    size: Option<f64>,
    mac: Option<String>,
    up: Option<bool>,
    readonly: Option<bool>,
    shareable: Option<bool>,
    /// nic-edit: the interface's new MAC.
    new_mac: Option<String>,
    /// nic-add: an 802.1Q tag, 1–4094.
    vlan: Option<f64>,
    model: Option<String>,
    /// hostdev-add: the host's node device names (`pci_0000_00_1f_3`, `usb_1_5`).
    devices: Option<Vec<String>>,
    /// hostdev-remove: the VM's host device key (`pci:0000:00:1f.3`, `usb:046d:0825`, `usb-at:1.5`).
    hostdev: Option<String>,
    /// filesystem-add: the host directory.
    path: Option<String>,
    /// filesystem-add and -remove: the mount tag.
    tag: Option<String>,
}

/// Exactly one group of these is set: `file`, `block`, `pool`+`volume`, `url` (media only),
/// `pool`+`name`+`size` (+`format`), `network`, `bridge`, or `user`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SourceOptions {
    file: Option<String>,
    block: Option<String>,
    /// CD/DVD media QEMU reads by URL (http, https, ftp, nfs).
    url: Option<String>,
    pool: Option<String>,
    volume: Option<String>,
    name: Option<String>,
    size: Option<f64>,
    format: Option<String>,
    network: Option<String>,
    bridge: Option<String>,
    /// A host interface for macvtap, with `mode`.
    direct: Option<String>,
    mode: Option<String>,
    #[serde(default)]
    user: bool,
    /// With `user`: passt as the backend, which can forward host ports.
    #[serde(default)]
    passt: bool,
    #[serde(default)]
    forwards: Vec<ForwardOptions>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ForwardOptions {
    proto: String,
    host: f64,
    guest: f64,
}

#[derive(Debug, Clone, PartialEq)]
enum Request {
    Media { target: String, source: Option<DiskSource>, force: bool },
    DiskAdd(NewDisk),
    DiskRemove { target: String, delete_storage: bool },
    DiskResize { target: String, size: u64 },
    NicAdd(NicDevice),
    NicRemove { mac: String },
    NicLink { mac: String, up: bool },
    NicAddresses,
    DiskSizes,
    DiskEdit { target: String, change: DiskChange },
    NicEdit { mac: String, change: NicChange },
    HostdevAdd { devices: Vec<String> },
    HostdevRemove { key: HostdevKey },
    FilesystemAdd(SharedDirectory),
    FilesystemRemove { tag: String },
}

fn required<'a, T>(value: &'a Option<T>, field: &str, action: &str) -> Result<&'a T, Problem> {
    value.as_ref().ok_or_else(|| Problem::protocol(format!("action \"{action}\" needs \"{field}\"")))
}

fn disk_source(source: &SourceOptions) -> Result<Option<DiskSource>, Problem> {
    if let Some(url) = &source.url {
        if source.file.is_some() || source.block.is_some() || source.pool.is_some() || source.volume.is_some() {
            return Ok(None);
        }
        return validate::network_source(&validate::media_url(url)?).map(Some);
    }
    Ok(match (&source.file, &source.block, &source.pool, &source.volume) {
        (Some(file), None, None, None) => Some(DiskSource::File(validate::path(file)?)),
        (None, Some(block), None, None) => Some(DiskSource::Block(validate::path(block)?)),
        (None, None, Some(pool), Some(volume)) => {
            Some(DiskSource::Volume { pool: validate::name("pool", pool)?, volume: validate::name("volume", volume)? })
        }
        _ => None,
    })
}

fn nic_source(s: &SourceOptions) -> Result<NicSource, Problem> {
    Ok(match (&s.network, &s.bridge, &s.direct, s.user) {
        (Some(network), None, None, false) => NicSource::Network(validate::name("network", network)?),
        (None, Some(bridge), None, false) => NicSource::Bridge(validate::name("bridge", bridge)?),
        (None, None, Some(dev), false) => NicSource::Direct {
            dev: validate::name("host interface", dev)?,
            mode: word("mode", s.mode.as_deref().unwrap_or("bridge"), DIRECT_MODES)?,
        },
        (None, None, None, true) if s.passt => NicSource::Passt {
            forwards: validate::forwards(s.forwards.iter().map(|f| (f.proto.as_str(), f.host, f.guest)))?,
        },
        (None, None, None, true) if s.forwards.is_empty() => NicSource::User,
        (None, None, None, true) => return Err(invalid("Port forwards need the passt backend")),
        _ => return Err(invalid("Give the interface one source: a network, a bridge, a host interface or user-mode")),
    })
}

impl Request {
    fn from_options(o: &DeviceOptions) -> Result<Request, Problem> {
        let action = o.action.as_str();
        let target = || required(&o.target, "target", action).cloned();
        let mac = || validate::mac(required(&o.mac, "mac", action)?);
        Ok(match action {
            "media-insert" => {
                let source = required(&o.source, "source", action)?;
                let source = disk_source(source)?
                    .filter(|s| !matches!(s, DiskSource::Block(_)))
                    .ok_or_else(|| invalid("Media come from a file, a pool volume or a URL"))?;
                Request::Media { target: target()?, source: Some(source), force: o.force }
            }
            "media-eject" => Request::Media { target: target()?, source: None, force: o.force },
            "disk-add" => {
                let cdrom = match o.device.as_deref().unwrap_or("disk") {
                    "disk" => false,
                    "cdrom" => true,
                    other => return Err(invalid(format!("Unknown device \"{other}\"; expected disk or cdrom"))),
                };
                let source = match &o.source {
                    None => NewSource::Empty,
                    Some(s) if s.name.is_some() || s.size.is_some() => NewSource::Volume {
                        pool: validate::name("pool", required(&s.pool, "source.pool", action)?)?,
                        name: validate::name("volume", required(&s.name, "source.name", action)?)?,
                        size: validate::size(*required(&s.size, "source.size", action)?)?,
                        format: word("format", s.format.as_deref().unwrap_or("qcow2"), FORMATS)?,
                    },
                    Some(s) => NewSource::Existing(disk_source(s)?.ok_or_else(|| {
                        invalid("Give the disk one source: a file, a block device, a pool volume or a new volume")
                    })?),
                };
                let cache = word("cache", o.cache.as_deref().unwrap_or("default"), CACHES)?;
                let serial = o.serial.as_deref().map(validate::serial).transpose()?.filter(|s| !s.is_empty());
                Request::DiskAdd(NewDisk {
                    cdrom,
                    source,
                    bus: word("bus", o.bus.as_deref().unwrap_or(if cdrom { "sata" } else { "virtio" }), BUSES)?,
                    cache: (cache != "default").then_some(cache),
                    serial,
                })
            }
            "disk-remove" => Request::DiskRemove { target: target()?, delete_storage: o.delete_storage },
            "disk-resize" => {
                Request::DiskResize { target: target()?, size: validate::size(*required(&o.size, "size", action)?)? }
            }
            "nic-add" => {
                let source = nic_source(required(&o.source, "source", action)?)?;
                let mac = o.mac.as_deref().map(validate::mac).transpose()?;
                Request::NicAdd(NicDevice {
                    source,
                    model: word("model", o.model.as_deref().unwrap_or("virtio"), MODELS)?,
                    mac,
                    vlan: o.vlan.map(validate::vlan).transpose()?,
                })
            }
            "nic-edit" => Request::NicEdit {
                mac: mac()?,
                change: NicChange {
                    source: match o.source.as_ref().map(nic_source).transpose()? {
                        Some(NicSource::Passt { .. }) => {
                            return Err(invalid("A passt interface is added anew, not made from another one"));
                        }
                        source => source,
                    },
                    model: o.model.as_deref().map(|m| word("model", m, MODELS)).transpose()?,
                    mac: o.new_mac.as_deref().map(validate::mac).transpose()?,
                },
            },
            "nic-remove" => Request::NicRemove { mac: mac()? },
            "nic-link" => Request::NicLink { mac: mac()?, up: *required(&o.up, "up", action)? },
            "nic-addresses" => Request::NicAddresses,
            "disk-sizes" => Request::DiskSizes,
            "disk-edit" => Request::DiskEdit {
                target: target()?,
                change: DiskChange {
                    bus: o.bus.as_deref().map(|b| word("bus", b, BUSES)).transpose()?,
                    cache: o.cache.as_deref().map(|c| word("cache", c, CACHES)).transpose()?,
                    readonly: o.readonly,
                    shareable: o.shareable,
                    serial: o.serial.as_deref().map(validate::serial).transpose()?,
                },
            },
            "hostdev-add" => {
                let devices = required(&o.devices, "devices", action)?;
                if devices.is_empty() || devices.len() > 64 {
                    return Err(invalid("Choose 1 to 64 host devices"));
                }
                Request::HostdevAdd {
                    devices: devices.iter().map(|d| validate::node_device_name(d)).collect::<Result<_, _>>()?,
                }
            }
            "hostdev-remove" => {
                let key = required(&o.hostdev, "hostdev", action)?;
                Request::HostdevRemove {
                    key: HostdevKey::parse(key)
                        .ok_or_else(|| invalid(format!("\"{key}\" is not a USB or PCI host device address")))?,
                }
            }
            "filesystem-add" => Request::FilesystemAdd(SharedDirectory {
                path: validate::directory(required(&o.path, "path", action)?)?,
                tag: validate::mount_tag(required(&o.tag, "tag", action)?)?,
                readonly: o.readonly.unwrap_or(false),
            }),
            "filesystem-remove" => {
                Request::FilesystemRemove { tag: validate::mount_tag(required(&o.tag, "tag", action)?)? }
            }
            other => return Err(Problem::not_supported(format!("unknown device action \"{other}\""))),
        })
    }
}

pub fn open(options: &Map<String, Value>, ctx: &Arc<Context>) -> Result<OpBody, Problem> {
    let options: DeviceOptions = parse_options(options)?;
    let target = VmTarget::new(options.uri.clone(), options.vm.clone())?;
    let request = Request::from_options(&options)?;
    // Media by URL are read before the drive changes (an ISO there, the server answering), as create does.
    let media_url = match &request {
        Request::Media { .. } | Request::DiskAdd(_) => {
            options.source.as_ref().and_then(|s| s.url.as_deref()).map(validate::media_url).transpose()?
        }
        _ => None,
    };
    let hub = target.hub(ctx)?;
    let (live, config) = (options.live, options.config);
    Ok(Box::new(move |io| {
        Box::pin(reply_once(io, hub, target, move |conn, domain| {
            let scope = || Scope::resolve(domain, live, config);
            if let Some(url) = &media_url {
                crate::ops::create::remote::check_iso(url).map_err(invalid)?;
            }
            let answer = match &request {
                Request::Media { target, source, force } => {
                    media::change(domain, scope()?, target, source.as_ref(), *force)?
                }
                Request::DiskAdd(disk) => disk::add(conn, domain, scope()?, disk)?,
                Request::DiskRemove { target, delete_storage } => {
                    disk::remove(conn, domain, scope()?, target, *delete_storage)?
                }
                Request::DiskResize { target, size } => disk::resize(conn, domain, target, *size)?,
                Request::NicAdd(nic) => nic::add(domain, scope()?, nic, &nic::macs_in_use(conn)?)?,
                Request::NicRemove { mac } => nic::remove(domain, scope()?, mac)?,
                Request::NicLink { mac, up } => nic::link(domain, scope()?, mac, *up)?,
                Request::NicAddresses => nic::addresses(domain)?,
                Request::DiskSizes => disk::sizes(domain)?,
                Request::DiskEdit { target, change } => disk::edit(domain, target, change)?,
                Request::NicEdit { mac, change } => nic::edit(domain, mac, change, &nic::macs_in_use(conn)?)?,
                Request::HostdevAdd { devices } => hostdev::add(conn, domain, scope()?, devices)?,
                Request::HostdevRemove { key } => hostdev::remove(domain, scope()?, *key)?,
                Request::FilesystemAdd(fs) => {
                    let live = filesystem::default_live(domain, live)?;
                    filesystem::add(domain, Scope::resolve(domain, live, config)?, fs)?
                }
                Request::FilesystemRemove { tag } => filesystem::remove(domain, scope()?, tag)?,
            };
            Ok(Value::Object(answer))
        }))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::ProblemCode;

    fn request(value: Value) -> Result<Request, Problem> {
        let mut options = serde_json::json!({"uri": "test:///default", "vm": "test"});
        options.as_object_mut().unwrap().extend(value.as_object().unwrap().clone());
        let options: DeviceOptions = parse_options(options.as_object().unwrap())?;
        Request::from_options(&options)
    }

    #[test]
    fn device_requests_parse_into_types() {
        let r =
            request(serde_json::json!({"action": "media-insert", "target": "sda", "source": {"file": "/x y ü.iso"}}));
        assert_eq!(
            r.unwrap(),
            Request::Media { target: "sda".into(), source: Some(DiskSource::File("/x y ü.iso".into())), force: false }
        );
        let r = request(
            serde_json::json!({"action": "disk-add", "source": {"pool": "default", "name": "n \"q\"", "size": 1048576}}),
        );
        let Request::DiskAdd(disk) = r.unwrap() else { panic!() };
        assert_eq!(disk.bus, "virtio");
        assert_eq!(
            disk.source,
            NewSource::Volume { pool: "default".into(), name: "n \"q\"".into(), size: 1 << 20, format: "qcow2" }
        );
        let r = request(
            serde_json::json!({"action": "media-insert", "target": "sdb", "source": {"url": "https://h:8443/a.iso"}}),
        );
        let Request::Media { source: Some(DiskSource::Network { protocol, host, port, name, .. }), .. } = r.unwrap()
        else {
            panic!()
        };
        assert_eq!((protocol.as_str(), host.as_str(), port, name.as_str()), ("https", "h", 8443, "/a.iso"));
        let r = request(serde_json::json!({"action": "nic-add", "vlan": 42, "source": {"user": true, "passt": true,
            "forwards": [{"proto": "tcp", "host": 2222, "guest": 22}]}}));
        let Request::NicAdd(nic) = r.unwrap() else { panic!() };
        assert_eq!(nic.vlan, Some(42));
        assert_eq!(
            nic.source,
            NicSource::Passt {
                forwards: vec![crate::xml::device::PortForward { proto: "tcp", host: 2222, guest: 22 }]
            }
        );
        let r = request(serde_json::json!({"action": "disk-add", "device": "cdrom"})).unwrap();
        assert!(matches!(r, Request::DiskAdd(NewDisk { cdrom: true, bus: "sata", source: NewSource::Empty, .. })));
    }

    #[test]
    fn device_bad_input_is_refused_with_a_reason() {
        let code = |v: Value| request(v).unwrap_err().code;
        for size in [0, -5] {
            assert_eq!(
                code(serde_json::json!({"action": "disk-resize", "target": "vda", "size": size})),
                ProblemCode::InvalidArgument
            );
        }
        assert_eq!(code(serde_json::json!({"action": "disk-resize", "target": "vda"})), ProblemCode::ProtocolError);
        assert_eq!(code(serde_json::json!({"action": "nic-remove", "mac": "52:54:00"})), ProblemCode::InvalidArgument);
        assert_eq!(
            code(serde_json::json!({"action": "disk-add", "bus": "ide", "source": {"file": "/a"}})),
            ProblemCode::InvalidArgument
        );
        assert_eq!(
            code(serde_json::json!({"action": "disk-add", "source": {"file": "rel"}})),
            ProblemCode::InvalidArgument
        );
        assert_eq!(
            code(serde_json::json!({"action": "disk-add", "source": {"file": "/a"}, "serial": "has space"})),
            ProblemCode::InvalidArgument
        );
        assert_eq!(
            code(serde_json::json!({"action": "nic-add", "source": {"network": "a", "bridge": "b"}})),
            ProblemCode::InvalidArgument
        );
        assert_eq!(
            code(serde_json::json!({"action": "media-insert", "target": "sda", "source": {"block": "/dev/sr0"}})),
            ProblemCode::InvalidArgument
        );
        assert_eq!(
            code(serde_json::json!({"action": "media-insert", "target": "sda", "source": {"fil": "/a"}})),
            ProblemCode::ProtocolError
        );
        assert_eq!(code(serde_json::json!({"action": "explode"})), ProblemCode::NotSupported);
        for vlan in [0.0, 4095.0, -1.0, 1.5] {
            let nic = serde_json::json!({"action": "nic-add", "source": {"bridge": "br0"}, "vlan": vlan});
            assert_eq!(code(nic), ProblemCode::InvalidArgument, "{vlan}");
        }
        let slirp_forward = serde_json::json!({"action": "nic-add", "source": {"user": true,
            "forwards": [{"proto": "tcp", "host": 2222, "guest": 22}]}});
        assert_eq!(code(slirp_forward), ProblemCode::InvalidArgument);
        let edit_passt = serde_json::json!({"action": "nic-edit", "mac": "52:54:00:00:00:01",
            "source": {"user": true, "passt": true}});
        assert_eq!(code(edit_passt), ProblemCode::InvalidArgument);
        let url = |u: &str| serde_json::json!({"action": "media-insert", "target": "sda", "source": {"url": u}});
        assert_eq!(code(url("gopher://h/x.iso")), ProblemCode::InvalidArgument);
        assert_eq!(code(url("https://u:p@h/x.iso")), ProblemCode::InvalidArgument);
        let both = serde_json::json!({"action": "media-insert", "target": "sda", "source": {"url": "https://h/x.iso", "file": "/a"}});
        assert_eq!(code(both), ProblemCode::InvalidArgument);
        assert_eq!(
            code(serde_json::json!({"action": "disk-edit", "target": "vda", "bus": "ide"})),
            ProblemCode::InvalidArgument
        );
        assert_eq!(
            code(serde_json::json!({"action": "disk-edit", "target": "vda", "serial": "a\"b"})),
            ProblemCode::InvalidArgument
        );
    }

    #[test]
    fn host_device_and_shared_directory_requests_are_typed() {
        let r = request(serde_json::json!({"action": "hostdev-remove", "hostdev": "pci:0000:00:05.0"})).unwrap();
        assert_eq!(r, Request::HostdevRemove { key: HostdevKey::parse("pci:0000:00:05.0").unwrap() });
        let r = request(serde_json::json!({"action": "filesystem-add", "path": "/srv/x/", "tag": "share"})).unwrap();
        assert_eq!(
            r,
            Request::FilesystemAdd(SharedDirectory { path: "/srv/x".into(), tag: "share".into(), readonly: false })
        );
        let code = |v: Value| request(v).unwrap_err().code;
        for bad in [
            serde_json::json!({"action": "hostdev-remove", "hostdev": "pci:0000:00:20.0"}),
            serde_json::json!({"action": "hostdev-remove", "hostdev": "usb:1"}),
            serde_json::json!({"action": "hostdev-add", "devices": []}),
            serde_json::json!({"action": "hostdev-add", "devices": ["pci_0000_00_05_0", "a b"]}),
            serde_json::json!({"action": "hostdev-add", "devices": ["../x"]}),
            serde_json::json!({"action": "filesystem-add", "path": "rel", "tag": "t"}),
            serde_json::json!({"action": "filesystem-add", "path": "/", "tag": "t"}),
            serde_json::json!({"action": "filesystem-add", "path": "/srv/../etc", "tag": "t"}),
            serde_json::json!({"action": "filesystem-add", "path": "/srv", "tag": "has space"}),
            serde_json::json!({"action": "filesystem-add", "path": "/srv", "tag": "x".repeat(37)}),
            serde_json::json!({"action": "filesystem-remove", "tag": ""}),
        ] {
            assert_eq!(code(bad.clone()), ProblemCode::InvalidArgument, "{bad}");
        }
        assert_eq!(code(serde_json::json!({"action": "hostdev-add"})), ProblemCode::ProtocolError);
    }
}
