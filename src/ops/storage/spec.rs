//! `pool` action `create`: the request's fields parsed into a `PoolSpec` by type. A missing field is a
//! `protocol-error` (the page always sends it); a value that is not what the type needs is `invalid-argument`,
//! with a sentence naming the field; a type this helper does not create is `not-supported`.

use serde::Deserialize;

use super::PoolOptions;
use crate::problem::{Problem, ProblemCode};
use crate::xml::pool_spec::{Auth, DiskLabel, Endpoint, PoolSpec};
use crate::xml::pool_values::{AbsPath, HostName, Iqn, Port, ScsiHost, SecretUsage, SourceName};

/// A Ceph monitor (`rbd`): `{"server","port"?}`.
#[derive(Deserialize, Debug)]
pub struct HostOption {
    server: String,
    port: Option<u64>,
}

/// CHAP (`iscsi`, `iscsi-direct`) or Ceph (`rbd`) credentials: a user and a libvirt secret's usage name.
#[derive(Deserialize, Debug)]
pub struct AuthOption {
    username: String,
    secret: String,
}

/// At most this many Ceph monitors.
const MAX_MONITORS: usize = 16;

fn invalid(message: String) -> Problem {
    Problem::new(ProblemCode::InvalidArgument, message)
}

fn required<'a>(value: &'a Option<String>, field: &str) -> Result<&'a str, Problem> {
    value.as_deref().ok_or_else(|| Problem::protocol(format!("action needs \"{field}\"")))
}

fn path(value: &Option<String>, field: &str, what: &str) -> Result<AbsPath, Problem> {
    AbsPath::parse(what, required(value, field)?).map_err(invalid)
}

fn optional_path(value: &Option<String>, what: &str) -> Result<Option<AbsPath>, Problem> {
    value.as_deref().filter(|v| !v.is_empty()).map(|v| AbsPath::parse(what, v).map_err(invalid)).transpose()
}

fn host(value: &Option<String>) -> Result<HostName, Problem> {
    HostName::parse(required(value, "server")?).map_err(invalid)
}

fn port(value: Option<u64>) -> Result<Option<Port>, Problem> {
    value.map(|p| Port::parse(p).map_err(invalid)).transpose()
}

fn source_name(value: &Option<String>, what: &str) -> Result<SourceName, Problem> {
    SourceName::parse(what, required(value, "source")?).map_err(invalid)
}

fn auth(value: &Option<AuthOption>) -> Result<Option<Auth>, Problem> {
    value
        .as_ref()
        .map(|a| {
            Ok(Auth {
                username: SourceName::parse("user name", &a.username).map_err(invalid)?,
                secret: SecretUsage::parse(&a.secret).map_err(invalid)?,
            })
        })
        .transpose()
}

fn iqn(value: &Option<String>, field: &str, what: &str) -> Result<Iqn, Problem> {
    Iqn::parse(what, required(value, field)?).map_err(invalid)
}

pub fn pool_spec(options: &PoolOptions) -> Result<PoolSpec, Problem> {
    let o = options;
    Ok(match o.kind.as_deref() {
        Some("dir") => PoolSpec::Dir { path: path(&o.path, "path", "path")? },
        Some("fs") => {
            PoolSpec::Fs { device: path(&o.device, "device", "device")?, path: path(&o.path, "path", "mount point")? }
        }
        Some("netfs") => PoolSpec::Netfs {
            host: host(&o.server)?,
            dir: path(&o.dir, "dir", "export")?,
            path: path(&o.path, "path", "mount point")?,
        },
        Some("logical") => PoolSpec::Logical { device: optional_path(&o.device, "device")? },
        Some("disk") => PoolSpec::Disk {
            device: path(&o.device, "device", "device")?,
            label: DiskLabel::parse(o.format.as_deref().unwrap_or("gpt")).map_err(invalid)?,
        },
        Some("iscsi") => PoolSpec::Iscsi {
            portal: Endpoint { host: host(&o.server)?, port: port(o.port)? },
            target: iqn(&o.target, "target", "target")?,
            initiator: match o.initiator.as_deref().filter(|i| !i.is_empty()) {
                Some(i) => Some(Iqn::parse("initiator", i).map_err(invalid)?),
                None => None,
            },
            auth: auth(&o.auth)?,
        },
        Some("iscsi-direct") => PoolSpec::IscsiDirect {
            portal: Endpoint { host: host(&o.server)?, port: port(o.port)? },
            target: iqn(&o.target, "target", "target")?,
            initiator: iqn(&o.initiator, "initiator", "initiator")?,
            auth: auth(&o.auth)?,
        },
        Some("scsi") => PoolSpec::Scsi { adapter: ScsiHost::parse(required(&o.adapter, "adapter")?).map_err(invalid)? },
        Some("mpath") => PoolSpec::Mpath,
        Some("zfs") => {
            PoolSpec::Zfs { pool: source_name(&o.source, "ZFS pool")?, device: optional_path(&o.device, "device")? }
        }
        Some("rbd") => {
            if o.monitors.is_empty() || o.monitors.len() > MAX_MONITORS {
                return Err(invalid(format!("A Ceph pool needs 1 to {MAX_MONITORS} monitor hosts")));
            }
            let monitors = o
                .monitors
                .iter()
                .map(|h| Ok(Endpoint { host: HostName::parse(&h.server).map_err(invalid)?, port: port(h.port)? }))
                .collect::<Result<_, Problem>>()?;
            PoolSpec::Rbd { monitors, pool: source_name(&o.source, "Ceph pool")?, auth: auth(&o.auth)? }
        }
        Some("gluster") => PoolSpec::Gluster {
            host: host(&o.server)?,
            volume: source_name(&o.source, "Gluster volume")?,
            dir: match &o.dir {
                Some(_) => path(&o.dir, "dir", "directory")?,
                None => AbsPath::parse("directory", "/").map_err(invalid)?,
            },
        },
        Some(other) => return Err(Problem::not_supported(format!("creating \"{other}\" pools is not supported here"))),
        None => return Err(Problem::protocol("action \"create\" needs \"type\"")),
    })
}
