//! Carrying out a checked plan: the running VM first (balloon, vCPUs, metadata), then the saved
//! definition in one define (validated by libvirt), then a rename. A step that fails undoes the steps
//! before it, newest first, and the request fails with libvirt's message.

use log::warn;
use serde::Serialize;
use virt::connect::Connect;
use virt::domain::Domain;
use virt_sys as sys;

use super::check::{LiveStep, Plan};
use super::pins::PinStep;
use crate::problem::Problem;
use crate::xml::boot_order::set_boot_order;
use crate::xml::cputune::cpumap;
use crate::xml::set::set_elements;

/// What was changed: fields of the running VM and of the saved definition.
#[derive(Debug, Default, Serialize)]
pub struct Done {
    pub live: Vec<&'static str>,
    pub saved: Vec<&'static str>,
}

enum Undo {
    Live(LiveStep),
    Pin(PinStep),
    Define(String),
}

pub fn apply(conn: &Connect, domain: &Domain, plan: &Plan) -> Result<Done, Problem> {
    let mut done = Done::default();
    let mut undo: Vec<Undo> = Vec::new();
    let result = run(conn, domain, plan, &mut done, &mut undo);
    match result {
        Ok(()) => Ok(done),
        Err(mut problem) => {
            let failed_undo: Vec<String> = undo
                .into_iter()
                .rev()
                .filter_map(|step| undo_step(conn, domain, step).err())
                .map(|p| p.message)
                .collect();
            if !failed_undo.is_empty() {
                warn!("settings: undoing after \"{}\" failed: {}", problem.message, failed_undo.join("; "));
                problem.message = format!(
                    "{} Undoing the changes made before failed too: {}",
                    problem.message,
                    failed_undo.join("; ")
                );
            }
            Err(problem)
        }
    }
}

fn run(conn: &Connect, domain: &Domain, plan: &Plan, done: &mut Done, undo: &mut Vec<Undo>) -> Result<(), Problem> {
    for step in &plan.live {
        live_step(domain, step, false)?;
        undo.push(Undo::Live(step.clone()));
        done.live.push(step.field());
    }
    for step in &plan.pins {
        pin(domain, step, false)?;
        undo.push(Undo::Pin(step.clone()));
        let changed = if step.config { &mut done.saved } else { &mut done.live };
        if !changed.contains(&step.field()) {
            changed.push(step.field());
        }
    }
    if !plan.saved_edits.is_empty() || plan.boot_order.is_some() {
        // SECURE: the definition is written back whole, display passwords included.
        let original = domain.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE | sys::VIR_DOMAIN_XML_SECURE)?;
        let cannot = |err: anyhow::Error| Problem::internal(format!("Cannot edit the VM's definition: {err:#}"));
        let mut edited = set_elements(&original, &plan.saved_edits).map_err(cannot)?;
        if let Some(order) = &plan.boot_order {
            edited = set_boot_order(&edited, order).map_err(cannot)?;
        }
        conn.define_domain_xml_flags(&edited, sys::VIR_DOMAIN_DEFINE_VALIDATE)?;
        undo.push(Undo::Define(original));
        done.saved.extend(&plan.saved_fields);
    }
    if let Some(name) = &plan.rename {
        // libvirt refuses what it cannot carry along (a managed-save image); the NVRAM path is its business.
        domain.rename(name, 0)?;
        done.saved.push("name");
    }
    Ok(())
}

/// Applies `step` to the running VM (with `back`, its undo).
fn live_step(domain: &Domain, step: &LiveStep, back: bool) -> Result<(), Problem> {
    match step {
        LiveStep::Memory { new, old } => domain.set_memory_flags(pick(back, *new, *old), sys::VIR_DOMAIN_MEM_LIVE)?,
        LiveStep::Vcpus { new, old } => domain.set_vcpus_flags(pick(back, *new, *old), sys::VIR_DOMAIN_VCPU_LIVE)?,
        LiveStep::Title { new, old } => set_metadata(domain, sys::VIR_DOMAIN_METADATA_TITLE, pick(back, new, old))?,
        LiveStep::Description { new, old } => {
            set_metadata(domain, sys::VIR_DOMAIN_METADATA_DESCRIPTION, pick(back, new, old))?
        }
    }
    Ok(())
}

fn pin(domain: &Domain, step: &PinStep, back: bool) -> Result<(), Problem> {
    let map = cpumap(pick(back, &step.new, &step.old), step.host_cpus);
    let flags = if step.config { sys::VIR_DOMAIN_AFFECT_CONFIG } else { sys::VIR_DOMAIN_AFFECT_LIVE };
    match step.vcpu {
        Some(vcpu) => domain.pin_vcpu_flags(vcpu, &map, flags)?,
        None => domain.pin_emulator(&map, flags)?,
    }
    Ok(())
}

fn pick<T>(back: bool, new: T, old: T) -> T {
    if back { old } else { new }
}

fn set_metadata(domain: &Domain, kind: sys::virDomainMetadataType, text: &str) -> Result<(), Problem> {
    let text = (!text.is_empty()).then_some(text);
    domain.set_metadata(kind as i32, text, None, None, sys::VIR_DOMAIN_AFFECT_LIVE)?;
    Ok(())
}

fn undo_step(conn: &Connect, domain: &Domain, step: Undo) -> Result<(), Problem> {
    match step {
        Undo::Live(step) => live_step(domain, &step, true),
        Undo::Pin(step) => pin(domain, &step, true),
        Undo::Define(xml) => conn.define_domain_xml(&xml).map(|_| ()).map_err(Problem::from),
    }
}
