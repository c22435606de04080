//! CPU pinning in a domain XML (`<cputune><vcpupin vcpu cpuset/><emulatorpin cpuset/>`) and libvirt's cpuset
//! syntax (`0-3,^2,6`) read from it.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

/// Host CPU numbers above this are refused (libvirt's own limit is far lower for real hosts).
pub const MAX_HOST_CPU: u32 = 4095;

/// The pins of a definition: host CPUs by vCPU, and the emulator's; absent means "any host CPU".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pins {
    pub vcpus: BTreeMap<u32, BTreeSet<u32>>,
    pub emulator: Option<BTreeSet<u32>>,
}

#[derive(Deserialize)]
struct Doc {
    cputune: Option<CputuneDoc>,
}

#[derive(Deserialize)]
pub(super) struct CputuneDoc {
    #[serde(default)]
    vcpupin: Vec<PinDoc>,
    emulatorpin: Option<PinDoc>,
}

impl CputuneDoc {
    /// The pins as the watch shows them: a pin whose cpuset cannot be read is left out, not an error.
    pub(super) fn readable_pins(self) -> (BTreeMap<u32, Vec<u32>>, Option<Vec<u32>>) {
        let cpus = |pin: &PinDoc| parse_cpuset(&pin.cpuset).ok().map(|set| set.into_iter().collect::<Vec<u32>>());
        let vcpus = self.vcpupin.iter().filter_map(|pin| Some((pin.vcpu?, cpus(pin)?))).collect();
        (vcpus, self.emulatorpin.as_ref().and_then(cpus))
    }
}

#[derive(Deserialize)]
struct PinDoc {
    #[serde(rename = "@vcpu")]
    vcpu: Option<u32>,
    #[serde(rename = "@cpuset")]
    cpuset: String,
}

pub fn parse_pins(domain_xml: &str) -> Result<Pins> {
    let doc: Doc = quick_xml::de::from_str(domain_xml).context("parsing the domain XML")?;
    let Some(tune) = doc.cputune else { return Ok(Pins::default()) };
    let mut pins = Pins::default();
    for pin in tune.vcpupin {
        let Some(vcpu) = pin.vcpu else { continue };
        pins.vcpus.insert(vcpu, parse_cpuset(&pin.cpuset)?);
    }
    pins.emulator = tune.emulatorpin.map(|p| parse_cpuset(&p.cpuset)).transpose()?;
    Ok(pins)
}

/// `0-3,^2,6` → {0, 1, 3, 6}.
pub fn parse_cpuset(text: &str) -> Result<BTreeSet<u32>> {
    let mut set = BTreeSet::new();
    let mut excluded = BTreeSet::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (target, part) = match part.strip_prefix('^') {
            Some(rest) => (&mut excluded, rest),
            None => (&mut set, part),
        };
        let (from, to) = match part.split_once('-') {
            Some((a, b)) => (number(a)?, number(b)?),
            None => (number(part)?, number(part)?),
        };
        if from > to {
            bail!("the CPU range {part} runs backwards");
        }
        target.extend(from..=to);
    }
    Ok(&set - &excluded)
}

fn number(text: &str) -> Result<u32> {
    let n: u32 = text.trim().parse().with_context(|| format!("\"{text}\" is not a CPU number"))?;
    if n > MAX_HOST_CPU {
        bail!("CPU {n} is above {MAX_HOST_CPU}");
    }
    Ok(n)
}

/// The bitmap libvirt's pin calls take: bit n of byte n/8 for host CPU n, for `host_cpus` CPUs.
pub fn cpumap(set: &BTreeSet<u32>, host_cpus: u32) -> Vec<u8> {
    let mut map = vec![0u8; host_cpus.div_ceil(8) as usize];
    for cpu in set.iter().filter(|c| **c < host_cpus) {
        map[(*cpu / 8) as usize] |= 1 << (cpu % 8);
    }
    map
}

/// One host CPU and where it sits (`virConnectGetCapabilities`' `<host><topology>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostCpu {
    pub id: u32,
    pub node: u32,
    pub socket: Option<u32>,
    pub core: Option<u32>,
    /// The CPUs sharing its core (itself included), as a cpuset.
    pub siblings: Option<String>,
}

#[derive(Deserialize)]
struct CapsDoc {
    host: Option<CapsHostDoc>,
}

#[derive(Deserialize)]
struct CapsHostDoc {
    topology: Option<CapsTopologyDoc>,
}

#[derive(Deserialize)]
struct CapsTopologyDoc {
    cells: Option<CellsDoc>,
}

#[derive(Deserialize)]
struct CellsDoc {
    #[serde(default)]
    cell: Vec<CellDoc>,
}

#[derive(Deserialize)]
struct CellDoc {
    #[serde(rename = "@id")]
    id: u32,
    cpus: Option<CellCpusDoc>,
}

#[derive(Deserialize)]
struct CellCpusDoc {
    #[serde(default)]
    cpu: Vec<CellCpuDoc>,
}

#[derive(Deserialize)]
struct CellCpuDoc {
    #[serde(rename = "@id")]
    id: u32,
    #[serde(rename = "@socket_id")]
    socket: Option<u32>,
    #[serde(rename = "@core_id")]
    core: Option<u32>,
    #[serde(rename = "@siblings")]
    siblings: Option<String>,
}

/// The host's CPUs by NUMA node, socket and core, sorted by id (empty where libvirt does not say).
pub fn parse_host_topology(caps_xml: &str) -> Result<Vec<HostCpu>> {
    let doc: CapsDoc = quick_xml::de::from_str(caps_xml).context("parsing host capabilities")?;
    let cells = doc.host.and_then(|h| h.topology).and_then(|t| t.cells).map(|c| c.cell).unwrap_or_default();
    let mut cpus: Vec<HostCpu> = cells
        .into_iter()
        .flat_map(|cell| {
            let node = cell.id;
            cell.cpus.map(|c| c.cpu).unwrap_or_default().into_iter().map(move |cpu| HostCpu {
                id: cpu.id,
                node,
                socket: cpu.socket,
                core: cpu.core,
                siblings: cpu.siblings,
            })
        })
        .collect();
    cpus.sort_by_key(|c| c.id);
    Ok(cpus)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpusets_round_trip() {
        let set = parse_cpuset("0-3,^2,6").unwrap();
        assert_eq!(set.iter().copied().collect::<Vec<_>>(), [0, 1, 3, 6]);
        assert!(parse_cpuset("3-1").is_err());
        assert!(parse_cpuset("x").is_err());
        assert!(parse_cpuset("99999").is_err());
        assert_eq!(cpumap(&set, 10), [0b0100_1011, 0]);
    }

    #[test]
    fn reads_pins() {
        let pins =
            parse_pins("<domain><cputune><vcpupin vcpu='1' cpuset='0,1'/><emulatorpin cpuset='1'/></cputune></domain>")
                .unwrap();
        assert_eq!(pins.vcpus[&1].len(), 2);
        assert_eq!(pins.emulator.unwrap().into_iter().collect::<Vec<_>>(), [1]);
        assert_eq!(parse_pins("<domain/>").unwrap(), Pins::default());
    }

    #[test]
    fn reads_the_host_topology() {
        let caps = "<capabilities><host><cpu><arch>x86_64</arch></cpu><topology><cells num='1'><cell id='0'>\
            <memory unit='KiB'>1</memory><cpus num='2'><cpu id='1' socket_id='0' core_id='1' siblings='1'/>\
            <cpu id='0' socket_id='0' core_id='0' siblings='0'/></cpus></cell></cells></topology></host></capabilities>";
        let cpus = parse_host_topology(caps).unwrap();
        assert_eq!(cpus.iter().map(|c| c.id).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(cpus[1].core, Some(1));
        assert!(parse_host_topology("<capabilities/>").unwrap().is_empty());
    }
}
