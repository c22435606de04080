//! The boot settings of a domain XML beyond `DomainConfig`: whether the boot menu and secure boot are on.

use anyhow::{Context, Result};
use serde::Deserialize;

#[derive(Deserialize)]
struct Doc {
    os: Option<OsDoc>,
}

#[derive(Deserialize)]
struct OsDoc {
    bootmenu: Option<BootMenuDoc>,
    loader: Option<LoaderDoc>,
    firmware: Option<FirmwareDoc>,
}

#[derive(Deserialize)]
struct LoaderDoc {
    #[serde(rename = "@secure")]
    secure: Option<String>,
}

#[derive(Deserialize)]
struct FirmwareDoc {
    #[serde(default)]
    feature: Vec<FeatureDoc>,
}

#[derive(Deserialize)]
struct FeatureDoc {
    #[serde(rename = "@name")]
    name: Option<String>,
    #[serde(rename = "@enabled")]
    enabled: Option<String>,
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

/// `<os><firmware><feature name='secure-boot' enabled='yes'/>` (asked of libvirt's firmware selection) or
/// `<os><loader secure='yes'>` (a firmware image chosen by path).
pub fn secure_boot(xml: &str) -> Result<bool> {
    let doc: Doc = quick_xml::de::from_str(xml).context("parsing the domain XML")?;
    let Some(os) = doc.os else { return Ok(false) };
    let by_feature = os.firmware.is_some_and(|fw| {
        fw.feature.iter().any(|f| f.name.as_deref() == Some("secure-boot") && f.enabled.as_deref() == Some("yes"))
    });
    Ok(by_feature || os.loader.and_then(|l| l.secure).as_deref() == Some("yes"))
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

    #[test]
    fn reads_secure_boot() {
        let by_feature = "<domain><os firmware='efi'><firmware><feature enabled='yes' name='secure-boot'/>\
                          <feature enabled='no' name='enrolled-keys'/></firmware></os></domain>";
        assert!(secure_boot(by_feature).unwrap());
        assert!(secure_boot("<domain><os><loader secure='yes' type='pflash'>/x.fd</loader></os></domain>").unwrap());
        assert!(!secure_boot("<domain><os firmware='efi'/></domain>").unwrap());
    }
}
