//! The CPU a VM shows its guest: its `<cpu mode>` and named model, and which of them the host offers
//! (`virConnectGetDomainCapabilities` for the VM's own virt type, arch and machine).

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// `<cpu mode>`; libvirt's default (no `<cpu>` or no mode) is `custom`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CpuMode {
    HostPassthrough,
    HostModel,
    Maximum,
    Custom,
}

impl CpuMode {
    pub fn as_str(&self) -> &'static str {
        match self {
            CpuMode::HostPassthrough => "host-passthrough",
            CpuMode::HostModel => "host-model",
            CpuMode::Maximum => "maximum",
            CpuMode::Custom => "custom",
        }
    }
}

/// A domain's CPU: its mode and, for `custom`, the model (None: the hypervisor's default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CpuChoice {
    pub mode: CpuMode,
    pub model: Option<String>,
}

#[derive(Deserialize)]
struct Doc {
    cpu: Option<CpuDoc>,
}

#[derive(Deserialize)]
struct CpuDoc {
    #[serde(rename = "@mode")]
    mode: Option<String>,
    model: Option<TextDoc>,
}

#[derive(Deserialize)]
struct TextDoc {
    #[serde(rename = "$text")]
    text: Option<String>,
}

pub fn parse_cpu_choice(domain_xml: &str) -> Result<CpuChoice> {
    let doc: Doc = quick_xml::de::from_str(domain_xml).context("parsing the domain XML")?;
    let cpu = doc.cpu;
    let mode = match cpu.as_ref().and_then(|c| c.mode.as_deref()) {
        Some("host-passthrough") => CpuMode::HostPassthrough,
        Some("host-model") => CpuMode::HostModel,
        Some("maximum") => CpuMode::Maximum,
        _ => CpuMode::Custom,
    };
    let model = (mode == CpuMode::Custom)
        .then(|| cpu.and_then(|c| c.model).and_then(|m| m.text).map(|t| t.trim().to_string()))
        .flatten()
        .filter(|m| !m.is_empty());
    Ok(CpuChoice { mode, model })
}

/// One named model the hypervisor knows, and why the host cannot run it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CpuModel {
    pub name: String,
    pub usable: bool,
    /// The CPU features the host lacks for it (libvirt's `<blockers>`; empty where libvirt does not say).
    pub blockers: Vec<String>,
}

/// What the host offers a VM of this virt type, arch and machine.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HostCpus {
    pub host_passthrough: bool,
    pub host_model: bool,
    /// The model host-model expands to, if libvirt says.
    pub host_model_name: Option<String>,
    pub models: Vec<CpuModel>,
}

impl HostCpus {
    pub fn model(&self, name: &str) -> Option<&CpuModel> {
        self.models.iter().find(|m| m.name == name)
    }
}

#[derive(Deserialize)]
struct CapsDoc {
    cpu: Option<CapsCpuDoc>,
}

#[derive(Deserialize)]
struct CapsCpuDoc {
    #[serde(default)]
    mode: Vec<ModeDoc>,
}

#[derive(Deserialize)]
struct ModeDoc {
    #[serde(rename = "@name")]
    name: String,
    #[serde(rename = "@supported")]
    supported: Option<String>,
    #[serde(default)]
    model: Vec<ModelDoc>,
    #[serde(default)]
    blockers: Vec<BlockersDoc>,
}

#[derive(Deserialize)]
struct ModelDoc {
    #[serde(rename = "@usable")]
    usable: Option<String>,
    #[serde(rename = "$text")]
    name: Option<String>,
}

#[derive(Deserialize)]
struct BlockersDoc {
    #[serde(rename = "@model")]
    model: String,
    #[serde(default)]
    feature: Vec<FeatureDoc>,
}

#[derive(Deserialize)]
struct FeatureDoc {
    #[serde(rename = "@name")]
    name: String,
}

/// The `<cpu>` part of domain capabilities.
pub fn parse_host_cpus(domcaps_xml: &str) -> Result<HostCpus> {
    let doc: CapsDoc = quick_xml::de::from_str(domcaps_xml).context("parsing domain capabilities")?;
    let mut host = HostCpus::default();
    for mode in doc.cpu.map(|c| c.mode).unwrap_or_default() {
        let supported = mode.supported.as_deref() == Some("yes");
        match mode.name.as_str() {
            "host-passthrough" => host.host_passthrough = supported,
            "host-model" => {
                host.host_model = supported;
                host.host_model_name = mode.model.first().and_then(|m| m.name.clone());
            }
            "custom" if supported => {
                for model in mode.model {
                    let Some(name) = model.name else { continue };
                    let blockers = mode
                        .blockers
                        .iter()
                        .filter(|b| b.model == name)
                        .flat_map(|b| b.feature.iter().map(|f| f.name.clone()))
                        .collect();
                    // `usable='unknown'` (libvirt could not tell) is offered: QEMU checks at start.
                    host.models.push(CpuModel { usable: model.usable.as_deref() != Some("no"), name, blockers });
                }
            }
            _ => {}
        }
    }
    Ok(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_domain_cpu() {
        let choice = |xml| parse_cpu_choice(xml).unwrap();
        assert_eq!(choice("<domain/>"), CpuChoice { mode: CpuMode::Custom, model: None });
        assert_eq!(
            choice("<domain><cpu mode='host-passthrough' check='none'/></domain>").mode,
            CpuMode::HostPassthrough
        );
        assert_eq!(
            choice("<domain><cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model></cpu></domain>"),
            CpuChoice { mode: CpuMode::Custom, model: Some("qemu64".into()) }
        );
        assert_eq!(choice("<domain><cpu><topology sockets='1'/></cpu></domain>").model, None);
    }

    #[test]
    fn reads_host_cpus_with_blockers() {
        let caps = "<domainCapabilities><cpu>\
            <mode name='host-passthrough' supported='no'/>\
            <mode name='host-model' supported='yes'><model fallback='forbid'>EPYC</model><vendor>AMD</vendor></mode>\
            <mode name='custom' supported='yes'><model usable='yes' vendor='unknown'>qemu64</model>\
            <model usable='no' vendor='Intel'>Broadwell</model>\
            <blockers model='Broadwell'><feature name='hle'/><feature name='rtm'/></blockers>\
            <model usable='unknown'>x</model></mode></cpu></domainCapabilities>";
        let host = parse_host_cpus(caps).unwrap();
        assert!(!host.host_passthrough && host.host_model);
        assert_eq!(host.host_model_name.as_deref(), Some("EPYC"));
        assert_eq!(host.models.len(), 3);
        assert!(host.model("qemu64").unwrap().usable);
        let broadwell = host.model("Broadwell").unwrap();
        assert!(!broadwell.usable);
        assert_eq!(broadwell.blockers, ["hle", "rtm"]);
        assert!(host.model("x").unwrap().usable);
        assert_eq!(parse_host_cpus("<domainCapabilities/>").unwrap(), HostCpus::default());
    }
}
