//! The CPU and memory-balloon facts of a domain XML that the settings need beyond `DomainConfig`:
//! the maximum vCPU count, the topology and whether the guest has a balloon device.

use anyhow::{Context, Result};
use serde::Deserialize;

pub use crate::model::Topology;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuFacts {
    /// `<vcpu>`'s text: the most vCPUs the VM may have.
    pub max_vcpus: u32,
    pub topology: Option<Topology>,
    /// A `<memballoon>` whose model is not `none`.
    pub balloon: bool,
}

#[derive(Deserialize)]
struct Doc {
    vcpu: Option<VcpuDoc>,
    cpu: Option<CpuDoc>,
    devices: Option<DevicesDoc>,
}

#[derive(Deserialize)]
struct VcpuDoc {
    #[serde(rename = "$text")]
    count: u32,
}

#[derive(Deserialize)]
struct CpuDoc {
    topology: Option<TopologyDoc>,
}

/// `<topology>` as written: each attribute may be missing.
#[derive(Deserialize)]
pub(crate) struct TopologyDoc {
    #[serde(rename = "@sockets")]
    sockets: Option<u32>,
    #[serde(rename = "@dies")]
    dies: Option<u32>,
    #[serde(rename = "@cores")]
    cores: Option<u32>,
    #[serde(rename = "@threads")]
    threads: Option<u32>,
}

#[derive(Deserialize)]
struct DevicesDoc {
    #[serde(default)]
    memballoon: Vec<BalloonDoc>,
}

#[derive(Deserialize)]
struct BalloonDoc {
    #[serde(rename = "@model")]
    model: Option<String>,
}

impl TopologyDoc {
    pub(crate) fn topology(self) -> Topology {
        Topology {
            sockets: self.sockets.unwrap_or(1),
            dies: self.dies.unwrap_or(1),
            cores: self.cores.unwrap_or(1),
            threads: self.threads.unwrap_or(1),
        }
    }
}

pub fn parse_cpu_facts(xml: &str) -> Result<CpuFacts> {
    let doc: Doc = quick_xml::de::from_str(xml).context("parsing the domain XML")?;
    Ok(CpuFacts {
        max_vcpus: doc.vcpu.map(|v| v.count).unwrap_or(1),
        topology: doc.cpu.and_then(|c| c.topology).map(TopologyDoc::topology),
        balloon: doc.devices.is_some_and(|d| d.memballoon.iter().any(|b| b.model.as_deref() != Some("none"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_maximum_topology_and_balloon() {
        let facts = parse_cpu_facts(
            "<domain><vcpu placement='static' current='2'>4</vcpu><cpu mode='host-model'>\
             <topology sockets='1' cores='2' threads='2'/></cpu><devices><memballoon model='virtio'/></devices></domain>",
        )
        .unwrap();
        assert_eq!(facts.max_vcpus, 4);
        assert_eq!(facts.topology, Some(Topology { sockets: 1, dies: 1, cores: 2, threads: 2 }));
        assert_eq!(facts.topology.unwrap().product(), Some(4));
        assert!(facts.balloon);
    }

    #[test]
    fn defaults_without_elements() {
        let facts = parse_cpu_facts("<domain><devices><memballoon model='none'/></devices></domain>").unwrap();
        assert_eq!(facts, CpuFacts { max_vcpus: 1, topology: None, balloon: false });
        assert!(!parse_cpu_facts("<domain/>").unwrap().balloon);
        let big = Topology { sockets: u32::MAX, dies: 2, cores: 1, threads: 1 };
        assert_eq!(big.product(), None);
    }
}
