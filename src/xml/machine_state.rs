//! Where a VM keeps state outside its disks, as its definition says: the UEFI variable store
//! (`<os><nvram>`, its path as text or, since libvirt 8.5, as `<nvram type='file'><source file=…>`)
//! and an emulated TPM (`<tpm><backend type='emulator'>`, its state under libvirt's swtpm directory
//! unless `<source type='dir'|'file' path=…>` puts it elsewhere). Read by op `clone`, which copies
//! both; the edits point a clone's definition at its own copies.

use anyhow::{Context, Result};
use serde::Deserialize;

use super::set::SetElement;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MachineState {
    /// The NVRAM file; `None` without one, or when it is not a local file (`type='network'`, `'block'`).
    pub nvram: Option<String>,
    /// `<nvram>` is there but names no file this code can copy.
    pub nvram_unsupported: bool,
    pub tpm: Option<TpmState>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TpmState {
    /// `<backend><source path=…>`: state kept somewhere of the VM's owner's choosing.
    pub custom_path: Option<String>,
    /// `persistent_state='yes'`: libvirt keeps the state when the VM is undefined.
    pub persistent: bool,
}

#[derive(Deserialize, Default)]
struct Doc {
    #[serde(default)]
    os: OsDoc,
    #[serde(default)]
    devices: DevicesDoc,
}

#[derive(Deserialize, Default)]
struct OsDoc {
    nvram: Option<NvramDoc>,
}

#[derive(Deserialize)]
struct NvramDoc {
    #[serde(rename = "@type")]
    kind: Option<String>,
    #[serde(rename = "$text")]
    text: Option<String>,
    source: Option<SourceDoc>,
}

#[derive(Deserialize)]
struct SourceDoc {
    #[serde(rename = "@file")]
    file: Option<String>,
    #[serde(rename = "@path")]
    path: Option<String>,
}

#[derive(Deserialize, Default)]
struct DevicesDoc {
    #[serde(rename = "tpm", default)]
    tpms: Vec<TpmDoc>,
}

#[derive(Deserialize)]
struct TpmDoc {
    backend: Option<BackendDoc>,
}

#[derive(Deserialize)]
struct BackendDoc {
    #[serde(rename = "@type")]
    kind: Option<String>,
    #[serde(rename = "@persistent_state")]
    persistent_state: Option<String>,
    source: Option<SourceDoc>,
}

pub fn parse_machine_state(xml: &str) -> Result<MachineState> {
    let doc: Doc = quick_xml::de::from_str(xml).context("parsing domain XML")?;
    let mut state = MachineState::default();
    if let Some(nvram) = doc.os.nvram {
        let file = match nvram.kind.as_deref() {
            None | Some("file") => {
                nvram.source.and_then(|s| s.file).or(nvram.text.map(|t| t.trim().to_string())).filter(|p| !p.is_empty())
            }
            Some(_) => None,
        };
        state.nvram_unsupported = file.is_none() && nvram.kind.is_some();
        state.nvram = file;
    }
    state.tpm = doc
        .devices
        .tpms
        .into_iter()
        .filter_map(|tpm| tpm.backend)
        .find(|backend| backend.kind.as_deref() == Some("emulator"))
        .map(|backend| TpmState {
            custom_path: backend.source.and_then(|s| s.path).filter(|p| !p.is_empty()),
            persistent: backend.persistent_state.as_deref() == Some("yes"),
        });
    Ok(state)
}

/// Points `<os><nvram>` at `path` (as text: any `<source>` and `type` go; `template` and `format` stay).
pub fn nvram_edit(path: &str) -> SetElement {
    SetElement::text(vec!["os", "nvram"], vec![("type", None)], path.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::set::set_elements;

    #[test]
    fn reads_nvram_both_ways_and_the_emulated_tpm() {
        let old = parse_machine_state(
            "<domain><os><nvram template='/t.fd'>/var/lib/libvirt/qemu/nvram/a_VARS.fd</nvram></os>\
             <devices><tpm model='tpm-crb'><backend type='passthrough'/></tpm>\
             <tpm model='tpm-crb'><backend type='emulator' version='2.0' persistent_state='yes'/></tpm></devices></domain>",
        )
        .unwrap();
        assert_eq!(old.nvram.as_deref(), Some("/var/lib/libvirt/qemu/nvram/a_VARS.fd"));
        assert_eq!(old.tpm, Some(TpmState { custom_path: None, persistent: true }));
        let new = parse_machine_state(
            "<domain><os><nvram type='file'><source file='/n/b.fd'/></nvram></os><devices><tpm>\
             <backend type='emulator'><source type='dir' path='/s/x'/></backend></tpm></devices></domain>",
        )
        .unwrap();
        assert_eq!(new.nvram.as_deref(), Some("/n/b.fd"));
        assert_eq!(new.tpm.unwrap().custom_path.as_deref(), Some("/s/x"));
        let network =
            parse_machine_state("<domain><os><nvram type='network'><source protocol='nbd'/></nvram></os></domain>");
        assert!(network.as_ref().unwrap().nvram.is_none() && network.unwrap().nvram_unsupported);
        assert_eq!(parse_machine_state("<domain><os/></domain>").unwrap(), MachineState::default());
    }

    #[test]
    fn the_nvram_edit_keeps_the_template() {
        let xml = "<domain><os><nvram type='file' template='/t.fd'><source file='/n/b.fd'/></nvram></os></domain>";
        let edited = set_elements(xml, &[nvram_edit("/n/c&d.fd")]).unwrap();
        assert!(edited.contains("template='/t.fd'") || edited.contains("template=\"/t.fd\""), "{edited}");
        assert!(!edited.contains("source") && !edited.contains("type="), "{edited}");
        assert_eq!(parse_machine_state(&edited).unwrap().nvram.as_deref(), Some("/n/c&d.fd"));
    }
}
