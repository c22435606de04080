//! Checks and plans for the boot order and the CPU model: both change the saved definition only (libvirt
//! cannot change them in a running VM), both are checked against what the VM and the host have.

use super::check::{Findings, NO_DEFINITION, Plan};
use super::facts::Current;
use super::{Change, CpuRequest};
use crate::xml::cpu_model::CpuMode;
use crate::xml::set::SetElement;

const MAX_MODEL: usize = 100;

pub fn check(change: &Change, current: &Current, f: &mut Findings) {
    if let Some(order) = &change.boot_order {
        let devices = &current.saved.boot.devices;
        if !current.persistent {
            f.error("bootOrder", NO_DEFINITION);
        } else if let Some(key) = order.iter().find(|key| !devices.iter().any(|d| d.key == **key)) {
            f.error("bootOrder", format!("The VM has no device \"{key}\" to boot from."));
        } else if order.iter().enumerate().any(|(i, key)| order[..i].contains(key)) {
            f.error("bootOrder", "A device can be in the boot order only once.");
        }
    }
    if let Some(reason) =
        change.cpu.as_ref().filter(|cpu| !same_cpu(cpu, current)).and_then(|cpu| cpu_refusal(cpu, current))
    {
        f.error("cpu", reason);
    }
}

fn same_cpu(cpu: &CpuRequest, current: &Current) -> bool {
    cpu.mode == current.saved.cpu.mode && cpu.model == current.saved.cpu.model
}

fn cpu_refusal(cpu: &CpuRequest, current: &Current) -> Option<String> {
    if !current.persistent {
        return Some(NO_DEFINITION.into());
    }
    let virt_type = &current.domain_type;
    let host = current.host_cpus.as_ref();
    match (&cpu.mode, cpu.model.as_deref()) {
        (CpuMode::Custom, None) => Some("Choose a CPU model.".into()),
        (CpuMode::Custom, Some(model)) => {
            if model.is_empty() || model.len() > MAX_MODEL || !model.chars().all(|c| c.is_ascii_graphic()) {
                return Some("A CPU model name is up to 100 letters, digits and punctuation.".into());
            }
            let known = host?.model(model);
            match known {
                None => Some(format!("This host does not know the CPU model \"{model}\" for {virt_type} VMs.")),
                Some(m) if !m.usable && m.blockers.is_empty() => {
                    Some(format!("This host cannot run the CPU model {model} for {virt_type} VMs."))
                }
                Some(m) if !m.usable => Some(format!(
                    "This host cannot run the CPU model {model} for {virt_type} VMs: it lacks {}.",
                    m.blockers.join(", ")
                )),
                Some(_) => None,
            }
        }
        (_, Some(_)) => Some("Only a custom CPU names a model.".into()),
        (CpuMode::HostPassthrough, None) if host.is_some_and(|h| !h.host_passthrough) => {
            Some(format!("This host cannot pass its CPU through to {virt_type} VMs (that takes KVM)."))
        }
        (CpuMode::HostModel, None) if host.is_some_and(|h| !h.host_model) => {
            Some(format!("This host offers no host-model CPU for {virt_type} VMs."))
        }
        (CpuMode::Maximum, None) => Some("Choose host-passthrough, host-model or a named model.".into()),
        _ => None,
    }
}

pub fn plan(change: &Change, current: &Current, plan: &mut Plan) {
    if let Some(order) = change.boot_order.as_ref().filter(|order| **order != current.saved.boot.order) {
        plan.boot_order = Some(order.clone());
        plan.saved_fields.push("bootOrder");
    }
    if let Some(cpu) = change.cpu.as_ref().filter(|cpu| !same_cpu(cpu, current)) {
        // The old model's vendor and feature list belong to it; topology, NUMA and cache settings stay.
        let custom = cpu.mode == CpuMode::Custom;
        plan.saved_edits.push(SetElement::attrs(
            vec!["cpu"],
            vec![
                ("mode", Some(cpu.mode.as_str().to_string())),
                ("match", custom.then(|| "exact".to_string())),
                ("check", None),
                ("migratable", None),
            ],
        ));
        for element in ["vendor", "feature"] {
            plan.saved_edits.push(SetElement::remove(vec!["cpu", element]));
        }
        plan.saved_edits.push(match &cpu.model {
            Some(model) => {
                SetElement::text(vec!["cpu", "model"], vec![("fallback", Some("forbid".into()))], model.clone())
            }
            None => SetElement::remove(vec!["cpu", "model"]),
        });
        plan.saved_fields.push("cpu");
    }
}
