//! The one place that decides whether a settings request may be carried out (errors by field, and
//! warnings the user should see), and what it takes: steps on the running VM and edits of the saved
//! definition. Pure: facts in, verdicts and plans out.

use std::collections::BTreeMap;

use serde::Serialize;

use super::facts::Current;
use super::pins::PinStep;
use super::{Change, Firmware};
use crate::xml::set::SetElement;
use crate::xml::vcpu::Topology;

const MIB: u64 = 1 << 20;
/// libvirt refuses longer domain names on some drivers; keep well inside every limit.
const MAX_NAME: usize = 200;
const MAX_TITLE: usize = 1024;
const MAX_DESCRIPTION: usize = 64 * 1024;

#[derive(Debug, Default, Serialize)]
pub struct Findings {
    pub errors: BTreeMap<&'static str, String>,
    pub warnings: BTreeMap<&'static str, String>,
}

impl Findings {
    pub fn ok(&self) -> bool {
        self.errors.is_empty()
    }
    pub(super) fn error(&mut self, field: &'static str, message: impl Into<String>) {
        self.errors.entry(field).or_insert_with(|| message.into());
    }
    pub(super) fn warn(&mut self, field: &'static str, message: impl Into<String>) {
        self.warnings.entry(field).or_insert_with(|| message.into());
    }
}

fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes / MIB)
}

pub(super) const NO_DEFINITION: &str = "This VM is transient: it has no saved definition to change.";

pub fn check(change: &Change, current: &Current, name_taken: bool) -> Findings {
    let mut f = Findings::default();
    let saved = &current.saved;
    let max_memory = change.max_memory.unwrap_or(saved.max_memory);
    let memory = change.memory.unwrap_or(saved.memory);

    if let Some(m) = change.memory {
        if m == 0 {
            f.error("memory", "Memory must be more than 0.");
        } else if m < MIB {
            f.error("memory", "Memory must be at least 1 MiB.");
        } else if m > current.host_memory {
            f.error("memory", format!("Memory cannot be more than the host's {}.", mib(current.host_memory)));
        } else if m > max_memory {
            f.error("memory", format!("Memory cannot be more than the maximum memory, {}.", mib(max_memory)));
        } else if let Some(live) = current.live.as_ref().filter(|live| live.memory != m) {
            let not_now = if !live.balloon {
                Some("The VM has no memory balloon device, so its memory cannot change while it runs".to_string())
            } else if m > live.max_memory {
                Some(format!("While the VM runs, its memory can grow only up to {}", mib(live.max_memory)))
            } else {
                None
            };
            match not_now {
                Some(reason) if current.persistent => {
                    f.warn("memory", format!("{reason}; the new size takes effect after it shuts down."))
                }
                Some(reason) => f.error("memory", format!("{reason}.")),
                None => {}
            }
        }
    }
    if let Some(m) = change.max_memory {
        if !current.persistent {
            f.error("maxMemory", NO_DEFINITION);
        } else if m == 0 {
            f.error("maxMemory", "Maximum memory must be more than 0.");
        } else if m > current.host_memory {
            f.error(
                "maxMemory",
                format!("Maximum memory cannot be more than the host's {}.", mib(current.host_memory)),
            );
        } else if m < memory {
            f.error("maxMemory", format!("Maximum memory cannot be less than the memory, {}.", mib(memory)));
        }
    }

    let max_vcpus = change.max_vcpus.unwrap_or(saved.max_vcpus);
    if let Some(v) = change.vcpus {
        if v == 0 {
            f.error("vcpus", "A VM needs at least 1 vCPU.");
        } else if v > max_vcpus {
            f.error("vcpus", format!("vCPUs cannot be more than the maximum, {max_vcpus}."));
        } else if let Some(live) = current.live.as_ref().filter(|live| live.vcpus != v && v > live.max_vcpus) {
            let reason = format!("While the VM runs it can have at most {} vCPUs", live.max_vcpus);
            if current.persistent {
                f.warn("vcpus", format!("{reason}; the new count takes effect after it shuts down."));
            } else {
                f.error("vcpus", format!("{reason}."));
            }
        }
    }
    if let Some(v) = change.max_vcpus {
        if !current.persistent {
            f.error("maxVcpus", NO_DEFINITION);
        } else if v == 0 {
            f.error("maxVcpus", "The maximum must be at least 1 vCPU.");
        } else if let Some(limit) = current.host_max_vcpus.filter(|limit| v > *limit) {
            f.error("maxVcpus", format!("This host supports at most {limit} vCPUs per VM."));
        }
    }
    match (change.topology, saved.topology) {
        (Some(_), _) if !current.persistent => f.error("topology", NO_DEFINITION),
        (Some(t), _) => {
            if [t.sockets, t.dies, t.cores, t.threads].contains(&0) {
                f.error("topology", "Sockets, dies, cores and threads must each be at least 1.");
            } else if t.product() != Some(max_vcpus) {
                f.error(
                    "topology",
                    format!(
                        "Sockets × dies × cores × threads is {}, but must equal the maximum number of vCPUs, {max_vcpus}.",
                        t.product().map_or("too large".to_string(), |p| p.to_string())
                    ),
                );
            }
        }
        (None, Some(t)) if change.max_vcpus.is_some() && t.product() != Some(max_vcpus) => f.error(
            "topology",
            format!(
                "The VM's topology holds {} vCPUs; change it along with the maximum.",
                t.product().unwrap_or(u32::MAX)
            ),
        ),
        _ => {}
    }

    if let Some(name) = &change.name {
        if name.is_empty() {
            f.error("name", "A name is required.");
        } else if name.contains('/') {
            f.error("name", "A name cannot contain \"/\".");
        } else if name.chars().any(char::is_control) {
            f.error("name", "A name cannot contain control characters.");
        } else if name.chars().count() > MAX_NAME {
            f.error("name", format!("A name can have at most {MAX_NAME} characters."));
        } else if *name != current.name {
            if !current.persistent {
                f.error("name", NO_DEFINITION);
            } else if current.running() {
                f.error("name", "Shut the VM down to rename it.");
            } else if name_taken {
                f.error("name", format!("A VM named \"{name}\" already exists."));
            }
        }
    }
    if let Some(title) = &change.title {
        if title.chars().any(char::is_control) {
            f.error("title", "A title is one line without control characters.");
        } else if title.len() > MAX_TITLE {
            f.error("title", format!("A title can have at most {MAX_TITLE} bytes."));
        }
    }
    if let Some(description) = &change.description {
        if description.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
            f.error("description", "A description cannot contain control characters.");
        } else if description.len() > MAX_DESCRIPTION {
            f.error("description", format!("A description can have at most {MAX_DESCRIPTION} bytes."));
        }
    }
    if change.boot_menu.is_some() && !current.persistent {
        f.error("bootMenu", NO_DEFINITION);
    }
    if let Some(firmware) = change.firmware.filter(|fw| fw.as_str() != saved.firmware) {
        if !current.persistent {
            f.error("firmware", NO_DEFINITION);
        } else if current.running() {
            f.error("firmware", "Shut the VM down to change its firmware.");
        } else if firmware == Firmware::Efi && current.efi_available == Some(false) {
            f.error("firmware", "libvirt offers no UEFI firmware for this VM's machine type (is OVMF installed?).");
        }
    }
    super::boot_cpu::check(change, current, &mut f);
    super::pins::check(change, current, &mut f);
    super::guest_devices::check(change, current, &mut f);
    super::secure_boot::check(change, current, &mut f);
    f
}

/// One change to the running VM; `old` is what undoing it sets back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveStep {
    /// KiB, through the balloon.
    Memory {
        new: u64,
        old: u64,
    },
    Vcpus {
        new: u32,
        old: u32,
    },
    Title {
        new: String,
        old: String,
    },
    Description {
        new: String,
        old: String,
    },
}

impl LiveStep {
    pub fn field(&self) -> &'static str {
        match self {
            LiveStep::Memory { .. } => "memory",
            LiveStep::Vcpus { .. } => "vcpus",
            LiveStep::Title { .. } => "title",
            LiveStep::Description { .. } => "description",
        }
    }
}

#[derive(Debug, Default, PartialEq)]
pub struct Plan {
    pub live: Vec<LiveStep>,
    /// One edit of the saved definition, and the fields it changes.
    pub saved_edits: Vec<SetElement>,
    pub saved_fields: Vec<&'static str>,
    /// Device keys, applied after `saved_edits` in the same define.
    pub boot_order: Option<Vec<String>>,
    /// Pin calls, after the live steps and before the define (which then keeps what they saved).
    pub pins: Vec<PinStep>,
    pub rename: Option<String>,
}

/// What a checked request takes. Values equal to the current ones are left alone.
pub fn plan(change: &Change, current: &Current) -> Plan {
    let mut plan = Plan::default();
    let saved = &current.saved;
    if let Some(live) = &current.live {
        if let Some(m) = change.memory.filter(|m| *m != live.memory && live.balloon && *m <= live.max_memory) {
            plan.live.push(LiveStep::Memory { new: m / 1024, old: live.memory / 1024 });
        }
        if let Some(v) = change.vcpus.filter(|v| *v != live.vcpus && *v <= live.max_vcpus) {
            plan.live.push(LiveStep::Vcpus { new: v, old: live.vcpus });
        }
        if let Some(t) = change.title.as_ref().filter(|t| **t != live.title) {
            plan.live.push(LiveStep::Title { new: t.clone(), old: live.title.clone() });
        }
        if let Some(d) = change.description.as_ref().filter(|d| **d != live.description) {
            plan.live.push(LiveStep::Description { new: d.clone(), old: live.description.clone() });
        }
    }
    if !current.persistent {
        return plan;
    }
    let kib = |bytes: u64| (bytes / 1024).to_string();
    let unit = || vec![("unit", Some("KiB".to_string()))];
    if let Some(m) = change.max_memory.filter(|m| *m != saved.max_memory) {
        plan.saved_edits.push(SetElement::text(vec!["memory"], unit(), kib(m)));
        plan.saved_fields.push("maxMemory");
    }
    if let Some(m) = change.memory.filter(|m| *m != saved.memory) {
        plan.saved_edits.push(SetElement::text(vec!["currentMemory"], unit(), kib(m)));
        plan.saved_fields.push("memory");
    }
    let vcpus = change.vcpus.unwrap_or(saved.vcpus);
    let max_vcpus = change.max_vcpus.unwrap_or(saved.max_vcpus);
    if vcpus != saved.vcpus || max_vcpus != saved.max_vcpus {
        let current_attr = (vcpus < max_vcpus).then(|| vcpus.to_string());
        plan.saved_edits.push(SetElement::text(vec!["vcpu"], vec![("current", current_attr)], max_vcpus.to_string()));
        if max_vcpus != saved.max_vcpus {
            // Per-vCPU hot-plug settings name vCPU ids of the old maximum.
            plan.saved_edits.push(SetElement::remove(vec!["vcpus"]));
            plan.saved_fields.push("maxVcpus");
        }
        if vcpus != saved.vcpus {
            plan.saved_fields.push("vcpus");
        }
    }
    if let Some(t) = change.topology.filter(|t| Some(*t) != saved.topology) {
        plan.saved_edits.push(topology_edit(t));
        plan.saved_fields.push("topology");
    }
    for (field, new, old) in
        [("title", &change.title, &saved.title), ("description", &change.description, &saved.description)]
    {
        if let Some(new) = new.as_ref().filter(|new| *new != old) {
            plan.saved_edits.push(if new.is_empty() {
                SetElement::remove(vec![field])
            } else {
                SetElement::text(vec![field], vec![], new.clone())
            });
            plan.saved_fields.push(field);
        }
    }
    if let Some(on) = change.boot_menu.filter(|on| *on != saved.boot_menu) {
        let enable = if on { "yes" } else { "no" };
        plan.saved_edits.push(SetElement::attrs(vec!["os", "bootmenu"], vec![("enable", Some(enable.into()))]));
        plan.saved_fields.push("bootMenu");
    }
    if let Some(firmware) = change.firmware.filter(|fw| fw.as_str() != saved.firmware) {
        // libvirt picks the firmware image and creates the NVRAM from its template at the next start; the
        // old loader, NVRAM path and firmware features belong to the other kind.
        let attr = (firmware == Firmware::Efi).then(|| "efi".to_string());
        plan.saved_edits.push(SetElement::attrs(vec!["os"], vec![("firmware", attr)]));
        for element in ["loader", "nvram", "firmware"] {
            plan.saved_edits.push(SetElement::remove(vec!["os", element]));
        }
        plan.saved_fields.push("firmware");
    }
    super::boot_cpu::plan(change, current, &mut plan);
    super::pins::plan(change, current, &mut plan);
    super::guest_devices::plan(change, current, &mut plan);
    super::secure_boot::plan(change, current, &mut plan);
    super::secure_boot::plan_fresh_nvram(change, current, &mut plan);
    plan.rename = change.name.clone().filter(|name| *name != current.name);
    plan
}

fn topology_edit(t: Topology) -> SetElement {
    SetElement::attrs(
        vec!["cpu", "topology"],
        vec![
            ("sockets", Some(t.sockets.to_string())),
            ("dies", Some(t.dies.to_string())),
            ("cores", Some(t.cores.to_string())),
            ("threads", Some(t.threads.to_string())),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::super::CpuRequest;
    use super::super::facts::Values;
    use super::*;
    use crate::xml::cpu_model::{CpuChoice, CpuMode, CpuModel, HostCpus};

    fn values() -> Values {
        Values {
            memory: 128 * MIB,
            max_memory: 256 * MIB,
            vcpus: 1,
            max_vcpus: 2,
            topology: None,
            title: String::new(),
            description: String::new(),
            balloon: true,
            firmware: "bios".into(),
            boot_menu: false,
            boot: crate::xml::boot_order::boot_order(
                "<domain><devices><disk><target dev='vda'/></disk>\
                 <interface type='user'><mac address='52:54:00:00:00:01'/></interface></devices></domain>",
            )
            .unwrap(),
            cpu: CpuChoice { mode: CpuMode::Custom, model: Some("qemu64".into()) },
            pins: Default::default(),
            devices: Default::default(),
            secure_boot: false,
        }
    }

    fn current(running: bool) -> Current {
        Current {
            name: "vm".into(),
            persistent: true,
            saved: values(),
            live: running.then(values),
            host_memory: 1024 * MIB,
            host_max_vcpus: Some(8),
            efi_available: Some(false),
            domain_type: "qemu".into(),
            host_cpus_online: 2,
            host_topology: vec![],
            tpm_available: Some(false),
            secure_boot_available: Some(false),
            machine: "pc".into(),
            host_cpus: Some(HostCpus {
                host_passthrough: false,
                host_model: true,
                host_model_name: None,
                models: vec![
                    CpuModel { name: "qemu64".into(), usable: true, blockers: vec![] },
                    CpuModel { name: "max".into(), usable: true, blockers: vec![] },
                    CpuModel { name: "Broadwell".into(), usable: false, blockers: vec!["hle".into()] },
                ],
            }),
        }
    }

    fn errors(change: Change, current: &Current, taken: bool) -> Vec<&'static str> {
        check(&change, current, taken).errors.into_keys().collect()
    }

    #[test]
    fn memory_limits() {
        let c = current(false);
        assert_eq!(errors(Change { memory: Some(0), ..Default::default() }, &c, false), ["memory"]);
        assert_eq!(errors(Change { memory: Some(2048 * MIB), ..Default::default() }, &c, false), ["memory"]);
        // More than the saved maximum, unless the maximum grows too.
        assert_eq!(errors(Change { memory: Some(300 * MIB), ..Default::default() }, &c, false), ["memory"]);
        let both = Change { memory: Some(300 * MIB), max_memory: Some(512 * MIB), ..Default::default() };
        assert!(errors(both, &c, false).is_empty());
        assert_eq!(errors(Change { max_memory: Some(64 * MIB), ..Default::default() }, &c, false), ["maxMemory"]);
        assert_eq!(errors(Change { max_memory: Some(4096 * MIB), ..Default::default() }, &c, false), ["maxMemory"]);
    }

    #[test]
    fn memory_while_running_goes_live_or_waits_for_shutdown() {
        let mut c = current(true);
        let change = Change { memory: Some(192 * MIB), ..Default::default() };
        let p = plan(&change, &c);
        assert_eq!(p.live, [LiveStep::Memory { new: 192 * 1024, old: 128 * 1024 }]);
        assert_eq!(p.saved_fields, ["memory"]);
        c.live.as_mut().unwrap().balloon = false;
        assert!(check(&change, &c, false).warnings.contains_key("memory"));
        assert!(plan(&change, &c).live.is_empty());
    }

    #[test]
    fn vcpus_and_topology() {
        let c = current(false);
        assert_eq!(errors(Change { vcpus: Some(0), ..Default::default() }, &c, false), ["vcpus"]);
        assert_eq!(errors(Change { vcpus: Some(3), ..Default::default() }, &c, false), ["vcpus"]);
        assert_eq!(errors(Change { max_vcpus: Some(9), ..Default::default() }, &c, false), ["maxVcpus"]);
        let wrong = Topology { sockets: 1, dies: 1, cores: 2, threads: 2 };
        let change = Change { max_vcpus: Some(2), topology: Some(wrong), ..Default::default() };
        assert_eq!(errors(change, &c, false), ["topology"]);
        let right = Topology { sockets: 1, dies: 1, cores: 2, threads: 2 };
        let change = Change { vcpus: Some(3), max_vcpus: Some(4), topology: Some(right), ..Default::default() };
        assert!(errors(change.clone(), &c, false).is_empty());
        let p = plan(&change, &c);
        assert_eq!(p.saved_fields, ["maxVcpus", "vcpus", "topology"]);
        assert!(p.live.is_empty());
        // A kept topology must still fit a new maximum.
        let mut with_topology = current(false);
        with_topology.saved.topology = Some(Topology { sockets: 2, dies: 1, cores: 1, threads: 1 });
        assert_eq!(errors(Change { max_vcpus: Some(4), ..Default::default() }, &with_topology, false), ["topology"]);
    }

    #[test]
    fn names() {
        let c = current(false);
        let named = |n: &str| Change { name: Some(n.into()), ..Default::default() };
        assert_eq!(errors(named(""), &c, false), ["name"]);
        assert_eq!(errors(named("a/b"), &c, false), ["name"]);
        assert_eq!(errors(named("other"), &c, true), ["name"]);
        assert!(errors(named("other"), &c, false).is_empty());
        assert_eq!(plan(&named("other"), &c).rename.as_deref(), Some("other"));
        assert_eq!(errors(named("other"), &current(true), false), ["name"]);
        // The same name is no change.
        assert_eq!(plan(&named("vm"), &c), Plan::default());
    }

    #[test]
    fn firmware_and_boot_menu() {
        let mut c = current(false);
        let efi = Change { firmware: Some(Firmware::Efi), boot_menu: Some(true), ..Default::default() };
        assert_eq!(errors(efi.clone(), &c, false), ["firmware"]);
        c.efi_available = Some(true);
        assert!(errors(efi.clone(), &c, false).is_empty());
        let p = plan(&efi, &c);
        assert_eq!(p.saved_fields, ["bootMenu", "firmware"]);
        let fresh = crate::xml::first_boot::reset_nvram_edit();
        assert!(p.saved_edits.contains(&fresh), "an NVRAM left from an earlier UEFI time is not reused");
        assert_eq!(errors(efi, &current(true), false), ["firmware"]);
        // The same firmware is no change, even while running.
        let bios = Change { firmware: Some(Firmware::Bios), ..Default::default() };
        assert!(errors(bios.clone(), &current(true), false).is_empty());
        assert_eq!(plan(&bios, &c), Plan::default());
    }

    #[test]
    fn title_and_description_live_and_saved() {
        let c = current(true);
        let change = Change { title: Some("T".into()), description: Some(String::new()), ..Default::default() };
        let p = plan(&change, &c);
        assert_eq!(p.live, [LiveStep::Title { new: "T".into(), old: String::new() }]);
        assert_eq!(p.saved_fields, ["title"]);
        assert_eq!(errors(Change { title: Some("a\nb".into()), ..Default::default() }, &c, false), ["title"]);
    }

    #[test]
    fn boot_order_keys_must_exist_once() {
        let c = current(true);
        let order = |keys: &[&str]| Change {
            boot_order: Some(keys.iter().map(|k| k.to_string()).collect()),
            ..Default::default()
        };
        assert_eq!(errors(order(&["disk:vdz"]), &c, false), ["bootOrder"]);
        assert_eq!(errors(order(&["disk:vda", "disk:vda"]), &c, false), ["bootOrder"]);
        let net_first = order(&["interface:52:54:00:00:00:01", "disk:vda"]);
        assert!(errors(net_first.clone(), &c, false).is_empty());
        let p = plan(&net_first, &c);
        assert_eq!(p.saved_fields, ["bootOrder"]);
        assert_eq!(p.boot_order.unwrap().len(), 2);
        // No device at all is a valid order (libvirt's default then).
        assert!(errors(order(&[]), &c, false).is_empty());
    }

    #[test]
    fn cpu_models_the_host_can_run() {
        let c = current(false);
        let cpu = |mode, model: Option<&str>| Change {
            cpu: Some(CpuRequest { mode, model: model.map(String::from) }),
            ..Default::default()
        };
        let broadwell = check(&cpu(CpuMode::Custom, Some("Broadwell")), &c, false);
        assert!(broadwell.errors["cpu"].contains("lacks hle"), "{broadwell:?}");
        assert_eq!(errors(cpu(CpuMode::Custom, Some("Nonesuch")), &c, false), ["cpu"]);
        assert_eq!(errors(cpu(CpuMode::Custom, None), &c, false), ["cpu"]);
        assert_eq!(errors(cpu(CpuMode::HostPassthrough, None), &c, false), ["cpu"]);
        assert_eq!(errors(cpu(CpuMode::HostModel, Some("max")), &c, false), ["cpu"]);
        assert!(errors(cpu(CpuMode::HostModel, None), &c, false).is_empty());
        let max = cpu(CpuMode::Custom, Some("max"));
        assert!(errors(max.clone(), &c, false).is_empty());
        assert_eq!(plan(&max, &c).saved_fields, ["cpu"]);
        // The current model is no change.
        assert_eq!(plan(&cpu(CpuMode::Custom, Some("qemu64")), &c), Plan::default());
    }

    #[test]
    fn pins_live_and_saved() {
        let c = current(true);
        let pin = |vcpus: &[(u32, &[u32])], emulator: Option<&[u32]>| Change {
            vcpu_pins: Some(vcpus.iter().map(|(v, cpus)| (v.to_string(), cpus.to_vec())).collect()),
            emulator_pin: emulator.map(<[u32]>::to_vec),
            ..Default::default()
        };
        assert_eq!(errors(pin(&[(2, &[0])], None), &c, false), ["vcpuPins"]);
        assert_eq!(errors(pin(&[(0, &[2])], None), &c, false), ["vcpuPins"]);
        assert_eq!(errors(pin(&[], Some(&[5])), &c, false), ["emulatorPin"]);
        let not_a_number = Change { vcpu_pins: Some([("x".to_string(), vec![0])].into()), ..Default::default() };
        assert_eq!(errors(not_a_number, &c, false), ["vcpuPins"]);
        // vCPU 0 is online (live and saved), vCPU 1 only in the definition; the emulator both.
        let change = pin(&[(0, &[1]), (1, &[0])], Some(&[0]));
        assert!(errors(change.clone(), &c, false).is_empty());
        let steps: Vec<(Option<u32>, bool)> = plan(&change, &c).pins.iter().map(|s| (s.vcpu, s.config)).collect();
        assert_eq!(steps, [(None, false), (None, true), (Some(0), false), (Some(0), true), (Some(1), true)]);
        // "Any CPU" is what an unpinned vCPU has already.
        assert!(plan(&pin(&[(0, &[])], None), &c).pins.is_empty());
    }

    #[test]
    fn tpm_watchdog_vsock() {
        use crate::xml::guest_devices::{Vsock, Watchdog};
        let mut c = current(true);
        let tpm = Change { tpm: Some(true), ..Default::default() };
        assert_eq!(errors(tpm.clone(), &c, false), ["tpm"]);
        c.tpm_available = Some(true);
        assert!(errors(tpm.clone(), &c, false).is_empty());
        assert_eq!(plan(&tpm, &c).saved_fields, ["tpm"]);
        let watchdog = |model: &str, action: &str| Change {
            watchdog: Some(Some(Watchdog { model: model.into(), action: action.into() })),
            ..Default::default()
        };
        assert_eq!(errors(watchdog("i6300esb", "explode"), &c, false), ["watchdog"]);
        assert_eq!(errors(watchdog("nope", "reset"), &c, false), ["watchdog"]);
        assert!(errors(watchdog("i6300esb", "poweroff"), &c, false).is_empty());
        let vsock = |cid| Change { vsock: Some(Some(Vsock { cid })), ..Default::default() };
        assert_eq!(errors(vsock(Some(2)), &c, false), ["vsock"]);
        assert!(errors(vsock(Some(3)), &c, false).is_empty());
        assert!(errors(vsock(None), &c, false).is_empty());
        // Removing what is not there is no change.
        assert_eq!(plan(&Change { vsock: Some(None), ..Default::default() }, &c), Plan::default());
    }

    #[test]
    fn absent_null_and_value_differ() {
        let parse = |json: &str| serde_json::from_str::<Change>(json).unwrap();
        assert_eq!(parse("{}").watchdog, None);
        assert_eq!(parse(r#"{"watchdog":null}"#).watchdog, Some(None));
        assert_eq!(
            parse(r#"{"vsock":{"cid":null}}"#).vsock,
            Some(Some(crate::xml::guest_devices::Vsock { cid: None }))
        );
    }

    #[test]
    fn secure_boot_needs_uefi_and_firmware_that_has_it() {
        let mut c = current(false);
        c.efi_available = Some(true);
        let sb = |firmware| Change { secure_boot: Some(true), firmware, ..Default::default() };
        assert_eq!(errors(sb(None), &c, false), ["secureBoot"]);
        let with_efi = sb(Some(Firmware::Efi));
        assert!(check(&with_efi, &c, false).errors["secureBoot"].contains("(pc)"));
        c.secure_boot_available = Some(true);
        assert!(errors(with_efi.clone(), &c, false).is_empty());
        assert_eq!(plan(&with_efi, &c).saved_fields, ["firmware", "secureBoot"]);
        assert_eq!(errors(sb(Some(Firmware::Efi)), &current(true), false), ["firmware", "secureBoot"]);
        // On or off on a UEFI VM: its next start makes the NVRAM from the other template; BIOS needs none.
        let fresh = crate::xml::first_boot::reset_nvram_edit();
        c.saved.firmware = "efi".into();
        let off = Change { secure_boot: Some(false), ..Default::default() };
        c.saved.secure_boot = true;
        assert!(plan(&off, &c).saved_edits.contains(&fresh));
        c.saved.secure_boot = false;
        assert!(plan(&sb(None), &c).saved_edits.contains(&fresh));
        assert_eq!(plan(&off, &c), Plan::default(), "no change, no fresh NVRAM");
        let to_bios = Change { firmware: Some(Firmware::Bios), ..Default::default() };
        assert!(!plan(&to_bios, &c).saved_edits.contains(&fresh));
    }
}
