//! Starting a VM. A saved definition whose firmware changed since its NVRAM was made carries the marker of
//! `xml/first_boot.rs`: this start asks libvirt to make the NVRAM afresh from the firmware's template
//! (`VIR_DOMAIN_START_RESET_NVRAM`). A VM with a managed save resumes as it was saved, its NVRAM untouched.

use log::{info, warn};
use virt::domain::Domain;
use virt_sys as sys;

use crate::ops::start_failure::start_failed;
use crate::problem::Problem;
use crate::xml::first_boot::reset_nvram_pending;

pub fn start(domain: &Domain) -> Result<(), Problem> {
    let fresh = fresh_nvram_wanted(domain);
    if fresh {
        info!("{}: its firmware changed; starting it with a fresh NVRAM", domain.name().unwrap_or_default());
    }
    let flags = if fresh { sys::VIR_DOMAIN_START_RESET_NVRAM } else { 0 };
    domain.create_with_flags(flags).map_err(start_failed)
}

/// Whether the saved definition asks for a fresh NVRAM; where that cannot be read, the start goes on without.
fn fresh_nvram_wanted(domain: &Domain) -> bool {
    let wanted = (|| -> anyhow::Result<bool> {
        if !domain.is_persistent()? || domain.has_managed_save(0)? {
            return Ok(false);
        }
        reset_nvram_pending(&domain.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE)?)
    })();
    wanted.unwrap_or_else(|err| {
        warn!("reading whether a VM needs a fresh NVRAM: {err:#}");
        false
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::first_boot::reset_nvram_edit;
    use crate::xml::set::set_elements;
    use virt::connect::Connect;

    /// On the test driver: only a marked saved definition without a managed save asks for a fresh NVRAM.
    #[test]
    fn fresh_nvram_only_for_a_marked_definition() {
        let conn = Connect::open(Some("test:///default")).unwrap();
        let plain = "<domain type='test'><name>cvtest-nvram</name><memory>1024</memory>\
                     <os><type>hvm</type></os></domain>";
        let domain = conn.define_domain_xml(plain).unwrap();
        assert!(!fresh_nvram_wanted(&domain));
        let saved = domain.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE).unwrap();
        conn.define_domain_xml(&set_elements(&saved, &[reset_nvram_edit()]).unwrap()).unwrap();
        assert!(fresh_nvram_wanted(&domain));
        domain.create().unwrap();
        domain.managed_save(0).unwrap();
        assert!(!fresh_nvram_wanted(&domain), "a managed save resumes with the NVRAM it had");
        domain.managed_save_remove(0).unwrap();
        domain.undefine().unwrap();
    }
}
