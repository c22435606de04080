//! The boot settings of a domain XML beyond `DomainConfig`: whether the boot menu is on.

use anyhow::{Context, Result};
use serde::Deserialize;

#[derive(Deserialize)]
struct Doc {
    os: Option<OsDoc>,
}

#[derive(Deserialize)]
struct OsDoc {
    bootmenu: Option<BootMenuDoc>,
}

#[derive(Deserialize)]
struct BootMenuDoc {
    #[serde(rename = "@enable")]
    enable: Option<String>,
}

/// `<os><bootmenu enable='yes'/>`.
pub fn boot_menu(xml: &str) -> Result<bool> {
    let doc: Doc = quick_xml::de::from_str(xml).context("parsing the domain XML")?;
    Ok(doc.os.and_then(|os| os.bootmenu).and_then(|m| m.enable).as_deref() == Some("yes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_boot_menu() {
        assert!(
            boot_menu("<domain><os><type>hvm</type><bootmenu enable='yes' timeout='3000'/></os></domain>").unwrap()
        );
        assert!(!boot_menu("<domain><os><bootmenu enable='no'/></os></domain>").unwrap());
        assert!(!boot_menu("<domain><os/></domain>").unwrap());
        assert!(!boot_menu("<domain/>").unwrap());
    }
}
