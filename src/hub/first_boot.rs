//! After a VM's first boot: what only that boot needed (a cloud-init seed holding password hashes, an
//! installer's kernel and initrd) leaves the saved definition and its volumes are deleted. QEMU keeps
//! them open (the kernel is loaded, the seed's file is open), so the running guest is not disturbed.
//!
//! A VM that create starts itself never has them in its saved definition; create deletes the volumes
//! at once with [`delete_volumes`]. A VM defined without starting carries the marker of
//! `xml/first_boot.rs` instead: the hub thread calls [`finish`] when it sees that VM running, however
//! it was started.

use anyhow::{Context, Result};
use log::{info, warn};
use virt::connect::Connect;
use virt_sys as sys;

use crate::xml::first_boot::{Marked, find_marker, strip};

/// Deletes each (pool, volume); one that cannot be deleted is logged and left.
pub fn delete_volumes(conn: &Connect, volumes: &[(String, String)]) {
    for (pool, name) in volumes {
        let deleted =
            conn.lookup_storage_pool_by_name(pool).and_then(|p| p.lookup_storage_vol_by_name(name)?.delete(0));
        match deleted {
            Ok(()) => info!("deleted first-boot volume {pool}/{name}"),
            Err(err) => warn!("deleting first-boot volume {pool}/{name}: {err}"),
        }
    }
}

/// If the running VM `uuid`'s saved definition carries the first-boot marker: defines it without
/// the marker and what it names, then deletes those volumes. True if it did.
pub fn finish(conn: &Connect, uuid: &str) -> Result<bool> {
    let domain = conn.lookup_domain_by_uuid_string(uuid)?;
    if !domain.is_active()? || !domain.is_persistent()? {
        return Ok(false);
    }
    // SECURE: the definition is written back whole, display passwords included.
    let saved = domain.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE | sys::VIR_DOMAIN_XML_SECURE)?;
    let Some(marked) = find_marker(&saved)? else { return Ok(false) };
    let volumes: Vec<(String, String)> = marked
        .first_boot
        .volumes
        .iter()
        .filter(|(pool, name)| {
            let used = used_by_definition(conn, &marked, pool, name);
            if !used {
                warn!("{uuid}: first-boot volume {pool}/{name} is not used by the VM's definition; it is kept");
            }
            used
        })
        .cloned()
        .collect();
    let stripped = strip(&saved, &marked).context("removing the first-boot devices")?;
    conn.define_domain_xml(&stripped)?;
    info!("{uuid}: runs; its saved definition no longer has the first-boot marker or what it names");
    delete_volumes(conn, &volumes);
    Ok(true)
}

/// The marker is part of a definition anyone with access to libvirt may write: only a volume the
/// definition itself uses as a disk, or as the installer's kernel or initrd, is deleted.
fn used_by_definition(conn: &Connect, marked: &Marked, pool: &str, name: &str) -> bool {
    if marked.disk_volumes.contains(&(pool.to_string(), name.to_string())) {
        return true;
    }
    marked.first_boot.direct_kernel
        && conn
            .lookup_storage_pool_by_name(pool)
            .and_then(|p| p.lookup_storage_vol_by_name(name)?.path())
            .is_ok_and(|path| marked.boot_files.contains(&path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::first_boot::{FirstBoot, write_marker};
    use virt::storage_vol::StorageVol;

    /// On the test driver's running VM: the marker names the seed it uses and a volume it does not;
    /// the seed leaves the definition and the pool, the other volume stays.
    #[test]
    fn first_boot_finish_deletes_only_what_the_definition_uses() {
        let conn = Connect::open(Some("test:///default")).unwrap();
        let pool = conn.lookup_storage_pool_by_name("default-pool").unwrap();
        for name in ["seed.iso", "bystander.img"] {
            let xml = format!("<volume><name>{name}</name><capacity>1024</capacity></volume>");
            StorageVol::create_xml(&pool, &xml, 0).unwrap();
        }
        let domain = conn.lookup_domain_by_name("test").unwrap();
        let uuid = domain.uuid_string().unwrap();
        let marker = FirstBoot {
            volumes: vec![("default-pool".into(), "seed.iso".into()), ("default-pool".into(), "bystander.img".into())],
            direct_kernel: false,
            reset_nvram: false,
        };
        let mut w = quick_xml::Writer::new(Vec::new());
        write_marker(&mut w, &marker).unwrap();
        let marker = String::from_utf8(w.into_inner()).unwrap();
        let saved = domain.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE).unwrap();
        let seed = "<disk type='volume' device='cdrom'><source pool='default-pool' volume='seed.iso'/>\
                    <target dev='hdc' bus='ide'/><readonly/></disk>";
        let marked = saved.replacen("</uuid>", &format!("</uuid><metadata>{marker}</metadata>"), 1).replacen(
            "</devices>",
            &format!("{seed}</devices>"),
            1,
        );
        conn.define_domain_xml(&marked).unwrap();
        assert!(finish(&conn, &uuid).unwrap());
        let after = domain.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE).unwrap();
        assert!(!after.contains("seed.iso") && !after.contains("first-boot"), "{after}");
        assert!(pool.lookup_storage_vol_by_name("seed.iso").is_err(), "the seed volume is deleted");
        assert!(pool.lookup_storage_vol_by_name("bystander.img").is_ok(), "a volume the VM does not use stays");
        assert!(!finish(&conn, &uuid).unwrap(), "nothing left to do");
    }
}
