//! Storage pool source discovery (`virConnectFindStoragePoolSources`): the source spec sent, and the
//! `<sources>` answer read into a bounded list.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use quick_xml::escape::escape;

/// At most this many sources are kept from one answer (a host with thousands of exports or targets).
pub const MAX_SOURCES: usize = 500;
/// At most this many devices per source (an LVM group's physical volumes).
const MAX_DEVICES: usize = 64;

/// One source a pool of the asked type could be made from.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
pub struct PoolSource {
    /// The volume group (logical) or the Gluster volume.
    pub name: Option<String>,
    /// The server (netfs, iscsi, gluster).
    pub host: Option<String>,
    pub port: Option<u16>,
    /// The export (netfs) or the path in the volume (gluster).
    pub dir: Option<String>,
    /// Physical volumes (logical) or the target's IQN (iscsi).
    pub devices: Vec<String>,
    /// `lvm2`, `nfs`, `glusterfs`, …
    pub format: Option<String>,
}

/// The sources found, and whether more were left off than [`MAX_SOURCES`].
#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct PoolSources {
    pub sources: Vec<PoolSource>,
    pub truncated: bool,
}

#[derive(Deserialize, Default)]
struct SourcesDoc {
    #[serde(default)]
    source: Vec<SourceDoc>,
}

#[derive(Deserialize)]
struct SourceDoc {
    #[serde(default)]
    host: Vec<HostDoc>,
    #[serde(default)]
    device: Vec<PathDoc>,
    dir: Option<PathDoc>,
    name: Option<String>,
    format: Option<FormatDoc>,
}

#[derive(Deserialize)]
struct HostDoc {
    #[serde(rename = "@name")]
    name: String,
    #[serde(rename = "@port")]
    port: Option<u16>,
}

#[derive(Deserialize)]
struct PathDoc {
    #[serde(rename = "@path")]
    path: String,
}

#[derive(Deserialize)]
struct FormatDoc {
    #[serde(rename = "@type")]
    kind: String,
}

/// The source spec naming the server to ask: `<source><host name=… port=…/></source>`.
pub fn source_spec(host: &str, port: Option<u16>) -> String {
    let port = port.map(|p| format!(" port='{p}'")).unwrap_or_default();
    format!("<source><host name='{}'{port}/></source>", escape(host))
}

pub fn parse_sources(xml: &str) -> Result<PoolSources> {
    let doc: SourcesDoc = quick_xml::de::from_str(xml).context("parsing storage pool sources XML")?;
    let truncated = doc.source.len() > MAX_SOURCES;
    let sources = doc
        .source
        .into_iter()
        .take(MAX_SOURCES)
        .map(|s| {
            let host = s.host.into_iter().next();
            PoolSource {
                name: s.name.filter(|n| !n.is_empty()),
                port: host.as_ref().and_then(|h| h.port),
                host: host.map(|h| h.name),
                dir: s.dir.map(|d| d.path),
                devices: s.device.into_iter().take(MAX_DEVICES).map(|d| d.path).collect(),
                format: s.format.map(|f| f.kind),
            }
        })
        .collect();
    Ok(PoolSources { sources, truncated })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_sources_logical_netfs_iscsi() {
        let logical = parse_sources(
            "<sources>\n  <source>\n    <device path='/dev/loop3'/>\n    <device path='/dev/loop4'/>\n    \
             <name>cvtest-vg</name>\n    <format type='lvm2'/>\n  </source>\n</sources>\n",
        )
        .unwrap();
        assert_eq!(
            logical.sources,
            vec![PoolSource {
                name: Some("cvtest-vg".into()),
                devices: vec!["/dev/loop3".into(), "/dev/loop4".into()],
                format: Some("lvm2".into()),
                ..PoolSource::default()
            }]
        );
        assert!(!logical.truncated);
        let netfs = parse_sources(
            "<sources><source><host name='nfs.example'/><dir path='/srv/a'/><format type='nfs'/></source>\
             <source><host name='nfs.example'/><dir path='/srv/b'/><format type='nfs'/></source></sources>",
        )
        .unwrap();
        let dirs: Vec<_> = netfs.sources.iter().map(|s| s.dir.as_deref().unwrap()).collect();
        assert_eq!(dirs, ["/srv/a", "/srv/b"]);
        assert_eq!(netfs.sources[0].host.as_deref(), Some("nfs.example"));
        let iscsi = parse_sources(
            "<sources><source><host name='10.0.0.1' port='3260'/>\
             <device path='iqn.2026-01.example:disk1'/></source></sources>",
        )
        .unwrap();
        assert_eq!(iscsi.sources[0].port, Some(3260));
        assert_eq!(iscsi.sources[0].devices, ["iqn.2026-01.example:disk1"]);
    }

    #[test]
    fn pool_sources_empty_and_bounded() {
        let empty = parse_sources("<sources>\n</sources>\n").unwrap();
        assert_eq!(empty, PoolSources { sources: vec![], truncated: false });
        let many = format!("<sources>{}</sources>", "<source><name>vg</name></source>".repeat(MAX_SOURCES + 3));
        let parsed = parse_sources(&many).unwrap();
        assert_eq!(parsed.sources.len(), MAX_SOURCES);
        assert!(parsed.truncated);
        assert!(parse_sources("<sources><source><host name='h' port='99999'/></source></sources>").is_err());
    }

    #[test]
    fn pool_sources_spec_escapes_the_host() {
        assert_eq!(source_spec("nfs.example", None), "<source><host name='nfs.example'/></source>");
        assert_eq!(source_spec("10.0.0.1", Some(3260)), "<source><host name='10.0.0.1' port='3260'/></source>");
        assert!(source_spec("a'b<c", None).contains("a&apos;b&lt;c"));
    }
}
