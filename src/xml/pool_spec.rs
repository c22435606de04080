//! A new storage pool's definition by type (`virStoragePoolDefineXML`), built only from values already parsed
//! (`pool_values`), so every one of them is valid and reaches the XML escaped.

use quick_xml::escape::escape;

use super::pool_values::{AbsPath, HostName, Iqn, Port, ScsiHost, SecretUsage, SourceName};

/// The partition table a `disk` pool writes on its device when built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskLabel {
    Gpt,
    Dos,
}

impl DiskLabel {
    pub fn parse(label: &str) -> Result<Self, String> {
        match label {
            "gpt" => Ok(DiskLabel::Gpt),
            "dos" => Ok(DiskLabel::Dos),
            _ => Err(format!("Unknown partition table \"{label}\" (gpt or dos)")),
        }
    }
    fn as_str(self) -> &'static str {
        match self {
            DiskLabel::Gpt => "gpt",
            DiskLabel::Dos => "dos",
        }
    }
}

/// A user and the libvirt secret (by usage name) holding their CHAP password or Ceph key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Auth {
    pub username: SourceName,
    pub secret: SecretUsage,
}

/// A host and, if not the protocol's default, its port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: HostName,
    pub port: Option<Port>,
}

/// Where a new pool's storage is, by type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolSpec {
    /// A directory.
    Dir { path: AbsPath },
    /// A block device holding a file system, mounted at `path`.
    Fs { device: AbsPath, path: AbsPath },
    /// An NFS export `host:dir`, mounted at `path`.
    Netfs { host: HostName, dir: AbsPath, path: AbsPath },
    /// An LVM volume group named like the pool; with `device`, built on it (pvcreate, vgcreate).
    Logical { device: Option<AbsPath> },
    /// A partitioned block device; each partition a volume. Built: a new, empty partition table.
    Disk { device: AbsPath, label: DiskLabel },
    /// The LUNs of an iSCSI target, logged in by the kernel's initiator (open-iscsi), under /dev/disk/by-path.
    Iscsi { portal: Endpoint, target: Iqn, initiator: Option<Iqn>, auth: Option<Auth> },
    /// The LUNs of an iSCSI target reached by QEMU and libvirt themselves (libiscsi), no kernel initiator.
    IscsiDirect { portal: Endpoint, target: Iqn, initiator: Iqn, auth: Option<Auth> },
    /// The LUNs behind one SCSI host adapter.
    Scsi { adapter: ScsiHost },
    /// The host's multipath devices (/dev/mapper).
    Mpath,
    /// A ZFS pool; with `device`, built on it (zpool create).
    Zfs { pool: SourceName, device: Option<AbsPath> },
    /// A Ceph RADOS pool, reached through its monitors.
    Rbd { monitors: Vec<Endpoint>, pool: SourceName, auth: Option<Auth> },
    /// A directory of a Gluster volume.
    Gluster { host: HostName, volume: SourceName, dir: AbsPath },
}

impl PoolSpec {
    pub fn kind(&self) -> &'static str {
        match self {
            PoolSpec::Dir { .. } => "dir",
            PoolSpec::Fs { .. } => "fs",
            PoolSpec::Netfs { .. } => "netfs",
            PoolSpec::Logical { .. } => "logical",
            PoolSpec::Disk { .. } => "disk",
            PoolSpec::Iscsi { .. } => "iscsi",
            PoolSpec::IscsiDirect { .. } => "iscsi-direct",
            PoolSpec::Scsi { .. } => "scsi",
            PoolSpec::Mpath => "mpath",
            PoolSpec::Zfs { .. } => "zfs",
            PoolSpec::Rbd { .. } => "rbd",
            PoolSpec::Gluster { .. } => "gluster",
        }
    }

    /// Whether `virStoragePoolBuild` must make the storage before the pool can start.
    pub fn needs_build(&self) -> bool {
        match self {
            PoolSpec::Fs { .. } | PoolSpec::Netfs { .. } | PoolSpec::Disk { .. } => true,
            PoolSpec::Logical { device } | PoolSpec::Zfs { device, .. } => device.is_some(),
            _ => false,
        }
    }
}

fn device(path: &AbsPath) -> String {
    format!("<device path='{}'/>", escape(path.as_str()))
}

fn host(endpoint: &Endpoint) -> String {
    match endpoint.port {
        Some(port) => format!("<host name='{}' port='{}'/>", escape(endpoint.host.as_str()), port.get()),
        None => format!("<host name='{}'/>", escape(endpoint.host.as_str())),
    }
}

fn auth(kind: &str, auth: &Option<Auth>) -> String {
    auth.as_ref()
        .map(|a| {
            format!(
                "<auth type='{kind}' username='{}'><secret usage='{}'/></auth>",
                escape(a.username.as_str()),
                escape(a.secret.as_str())
            )
        })
        .unwrap_or_default()
}

fn initiator(iqn: &Iqn) -> String {
    format!("<initiator><iqn name='{}'/></initiator>", escape(iqn.as_str()))
}

fn target(path: &str) -> String {
    format!("<target><path>{}</path></target>", escape(path))
}

pub fn pool_xml(name: &str, spec: &PoolSpec) -> String {
    let kind = spec.kind();
    let name = escape(name);
    let (source, target) = match spec {
        PoolSpec::Dir { path } => (String::new(), target(path.as_str())),
        PoolSpec::Fs { device: dev, path } => (format!("{}<format type='auto'/>", device(dev)), target(path.as_str())),
        PoolSpec::Netfs { host, dir, path } => (
            format!(
                "<host name='{}'/><dir path='{}'/><format type='auto'/>",
                escape(host.as_str()),
                escape(dir.as_str())
            ),
            target(path.as_str()),
        ),
        PoolSpec::Logical { device: dev } => (
            format!("{}<name>{name}</name><format type='lvm2'/>", dev.as_ref().map(device).unwrap_or_default()),
            target(&format!("/dev/{name}")),
        ),
        PoolSpec::Disk { device: dev, label } => {
            (format!("{}<format type='{}'/>", device(dev), label.as_str()), target("/dev"))
        }
        PoolSpec::Iscsi { portal, target: iqn, initiator: ini, auth: a } => (
            format!(
                "{}<device path='{}'/>{}{}",
                host(portal),
                escape(iqn.as_str()),
                ini.as_ref().map(initiator).unwrap_or_default(),
                auth("chap", a)
            ),
            target("/dev/disk/by-path"),
        ),
        PoolSpec::IscsiDirect { portal, target: iqn, initiator: ini, auth: a } => (
            format!("{}<device path='{}'/>{}{}", host(portal), escape(iqn.as_str()), initiator(ini), auth("chap", a)),
            String::new(),
        ),
        PoolSpec::Scsi { adapter } => {
            (format!("<adapter type='scsi_host' name='{}'/>", escape(adapter.as_str())), target("/dev/disk/by-path"))
        }
        PoolSpec::Mpath => (String::new(), target("/dev/mapper")),
        PoolSpec::Zfs { pool, device: dev } => (
            format!("<name>{}</name>{}", escape(pool.as_str()), dev.as_ref().map(device).unwrap_or_default()),
            String::new(),
        ),
        PoolSpec::Rbd { monitors, pool, auth: a } => (
            format!(
                "<name>{}</name>{}{}",
                escape(pool.as_str()),
                monitors.iter().map(host).collect::<String>(),
                auth("ceph", a)
            ),
            String::new(),
        ),
        PoolSpec::Gluster { host, volume, dir } => (
            format!(
                "<name>{}</name><host name='{}'/><dir path='{}'/>",
                escape(volume.as_str()),
                escape(host.as_str()),
                escape(dir.as_str())
            ),
            String::new(),
        ),
    };
    let source = if source.is_empty() { source } else { format!("<source>{source}</source>") };
    format!("<pool type='{kind}'><name>{name}</name>{source}{target}</pool>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::pool::parse_pool;

    fn path(p: &str) -> AbsPath {
        AbsPath::parse("path", p).unwrap()
    }
    fn at(h: &str, port: Option<u64>) -> Endpoint {
        Endpoint { host: HostName::parse(h).unwrap(), port: port.map(|p| Port::parse(p).unwrap()) }
    }
    fn iqn(s: &str) -> Iqn {
        Iqn::parse("target", s).unwrap()
    }
    fn named(s: &str) -> SourceName {
        SourceName::parse("name", s).unwrap()
    }

    #[test]
    fn pool_spec_xml_escapes_and_parses_back() {
        assert_eq!(
            pool_xml("a<b", &PoolSpec::Dir { path: path("/tmp/x&y") }),
            "<pool type='dir'><name>a&lt;b</name><target><path>/tmp/x&amp;y</path></target></pool>"
        );
        let xml = pool_xml("vg1", &PoolSpec::Logical { device: Some(path("/dev/loop3")) });
        assert_eq!(parse_pool(&xml).unwrap().source.as_deref(), Some("/dev/loop3"));
        assert!(xml.contains("<name>vg1</name><format type='lvm2'/></source><target><path>/dev/vg1</path>"));
        let netfs = PoolSpec::Netfs { host: HostName::parse("h").unwrap(), dir: path("/e"), path: path("/mnt/n") };
        assert_eq!(parse_pool(&pool_xml("n", &netfs)).unwrap().source.as_deref(), Some("h:/e"));
    }

    #[test]
    fn pool_spec_block_and_iscsi() {
        let disk = PoolSpec::Disk { device: path("/dev/loop7"), label: DiskLabel::Gpt };
        assert_eq!(
            pool_xml("d", &disk),
            "<pool type='disk'><name>d</name><source><device path='/dev/loop7'/><format type='gpt'/></source>\
             <target><path>/dev</path></target></pool>"
        );
        assert!(disk.needs_build());
        assert_eq!(DiskLabel::parse("dos"), Ok(DiskLabel::Dos));
        assert!(DiskLabel::parse("mac").is_err());

        let direct = PoolSpec::IscsiDirect {
            portal: at("127.0.0.1", Some(3261)),
            target: iqn("iqn.2026-01.org.x:t"),
            initiator: iqn("iqn.2026-01.org.x:i"),
            auth: None,
        };
        assert_eq!(
            pool_xml("i", &direct),
            "<pool type='iscsi-direct'><name>i</name><source><host name='127.0.0.1' port='3261'/>\
             <device path='iqn.2026-01.org.x:t'/><initiator><iqn name='iqn.2026-01.org.x:i'/></initiator>\
             </source></pool>"
        );
        assert!(!direct.needs_build());
        let iscsi = PoolSpec::Iscsi {
            portal: at("san.example", None),
            target: iqn("iqn.2026-01.org.x:t"),
            initiator: None,
            auth: Some(Auth { username: named("me"), secret: SecretUsage::parse("san's chap").unwrap() }),
        };
        assert_eq!(
            pool_xml("s", &iscsi),
            "<pool type='iscsi'><name>s</name><source><host name='san.example'/><device path='iqn.2026-01.org.x:t'/>\
             <auth type='chap' username='me'><secret usage='san&apos;s chap'/></auth></source>\
             <target><path>/dev/disk/by-path</path></target></pool>"
        );
        assert_eq!(parse_pool(&pool_xml("s", &iscsi)).unwrap().source.as_deref(), Some("san.example"));
    }

    #[test]
    fn pool_spec_scsi_mpath_zfs_rbd_gluster() {
        assert_eq!(
            pool_xml("h", &PoolSpec::Scsi { adapter: ScsiHost::parse("host3").unwrap() }),
            "<pool type='scsi'><name>h</name><source><adapter type='scsi_host' name='host3'/></source>\
             <target><path>/dev/disk/by-path</path></target></pool>"
        );
        assert_eq!(
            pool_xml("m", &PoolSpec::Mpath),
            "<pool type='mpath'><name>m</name><target><path>/dev/mapper</path></target></pool>"
        );
        let zfs = PoolSpec::Zfs { pool: named("tank"), device: Some(path("/dev/sdc")) };
        assert_eq!(
            pool_xml("z", &zfs),
            "<pool type='zfs'><name>z</name><source><name>tank</name><device path='/dev/sdc'/></source></pool>"
        );
        assert!(zfs.needs_build() && !PoolSpec::Zfs { pool: named("tank"), device: None }.needs_build());
        let rbd = PoolSpec::Rbd {
            monitors: vec![at("mon1.example", Some(6789)), at("fd00::2", None)],
            pool: named("rbd"),
            auth: Some(Auth { username: named("admin"), secret: SecretUsage::parse("ceph-admin").unwrap() }),
        };
        assert_eq!(
            pool_xml("r", &rbd),
            "<pool type='rbd'><name>r</name><source><name>rbd</name><host name='mon1.example' port='6789'/>\
             <host name='fd00::2'/><auth type='ceph' username='admin'><secret usage='ceph-admin'/></auth>\
             </source></pool>"
        );
        let gluster = PoolSpec::Gluster { host: HostName::parse("gl").unwrap(), volume: named("vol0"), dir: path("/") };
        assert_eq!(
            pool_xml("g", &gluster),
            "<pool type='gluster'><name>g</name><source><name>vol0</name><host name='gl'/><dir path='/'/></source></pool>"
        );
        assert_eq!(parse_pool(&pool_xml("g", &gluster)).unwrap().source.as_deref(), Some("gl:/"));
    }
}
