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
    info!("{uuid}: ran its first boot; its definition no longer has the first-boot devices");
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
