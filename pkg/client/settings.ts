// One `virt1` `settings` channel per call (docs/api.md): read a VM's settings and the helper's verdict on a
// change, or apply it.

import { openOneShot, stringRecord } from "./one-shot.ts";

export interface Topology {
    sockets: number;
    dies: number;
    cores: number;
    threads: number;
}

/** One definition's values; sizes in bytes. */
export interface SettingsValues {
    memory: number;
    maxMemory: number;
    vcpus: number;
    maxVcpus: number;
    topology: Topology | null;
    title: string;
    description: string;
    balloon: boolean;
    firmware: "bios" | "efi";
    bootMenu: boolean;
    /** devices that can boot, in the definition's order */
    bootDevices: BootDevice[];
    /** keys of the devices the VM boots from, first tried first */
    bootOrder: string[];
    cpu: CpuChoice;
    /** host CPUs by vCPU number (absent: any) */
    vcpuPins: Record<string, number[]>;
    emulatorPin: number[] | null;
    /** an emulated TPM */
    tpm: boolean;
    watchdog: { model: string; action: string } | null;
    /** cid null: automatic */
    vsock: { cid: number | null } | null;
    secureBoot: boolean;
}

/** A host CPU and where it sits. */
export interface HostCpu {
    id: number;
    node: number;
    socket: number | null;
    core: number | null;
    siblings: string | null;
}

export interface BootDevice {
    /** `disk:vda`, `interface:<mac>`, `hostdev:<n>` */
    key: string;
    kind: "disk" | "cdrom" | "floppy" | "interface" | "hostdev";
    label: string;
}

export type CpuMode = "host-passthrough" | "host-model" | "maximum" | "custom";

export interface CpuChoice {
    mode: CpuMode;
    /** for `custom`: the named model (null: the hypervisor's default) */
    model: string | null;
}

/** A named CPU model of the host's domain capabilities; `blockers`: the features the host lacks for it. */
export interface CpuModel {
    name: string;
    usable: boolean;
    blockers: string[];
}

export interface HostCpus {
    hostPassthrough: boolean;
    hostModel: boolean;
    hostModelName: string | null;
    models: CpuModel[];
}

export interface SettingsCheck {
    current: {
        name: string;
        persistent: boolean;
        running: boolean;
        /** the saved definition: the next boot */
        saved: SettingsValues;
        live: SettingsValues | null;
    };
    /** efi: whether libvirt offers UEFI for the VM's machine type (null: it did not say) */
    limits: {
        hostMemory: number; maxVcpus: number | null; efi: boolean | null;
        /** the VM's `<domain type>` (`kvm`, `qemu`): what `cpus` was asked for */
        domainType: string;
        cpus: HostCpus | null;
        /** the host's CPUs are numbered 0 to hostCpus − 1 */
        hostCpus: number;
        hostTopology: HostCpu[];
        /** whether libvirt offers an emulated TPM (null: it did not say) */
        tpm: boolean | null;
        /** whether libvirt offers secure boot firmware for `machine` (null: it did not say) */
        secureBoot: boolean | null;
        machine: string;
    };
    errors: Record<string, string>;
    warnings: Record<string, string>;
}

export interface SettingsChange {
    memory?: number;
    maxMemory?: number;
    vcpus?: number;
    maxVcpus?: number;
    topology?: Topology;
    name?: string;
    title?: string;
    description?: string;
    bootMenu?: boolean;
    firmware?: "bios" | "efi";
    bootOrder?: string[];
    cpu?: { mode: CpuMode; model?: string };
    /** an empty list: any host CPU */
    vcpuPins?: Record<string, number[]>;
    emulatorPin?: number[];
    tpm?: boolean;
    /** null removes it */
    watchdog?: { model: string; action: string } | null;
    vsock?: { cid: number | null } | null;
    secureBoot?: boolean;
}

export interface SettingsResult {
    /** fields changed in the running VM */
    live: string[];
    /** fields changed in the saved definition */
    saved: string[];
    warnings: Record<string, string>;
}

function changeOptions(change: SettingsChange): Record<string, cockpit.JsonValue> {
    return JSON.parse(JSON.stringify(change)) as Record<string, cockpit.JsonValue>;
}

/** The current values, the host's limits and the helper's verdict on `change`; changes nothing. */
export async function checkSettings(uri: string, vmId: string, change: SettingsChange = {}): Promise<SettingsCheck> {
    const { messages } = await openOneShot({ ...changeOptions(change), op: "settings", uri, vm: vmId, validate: true }).done;
    const answer = messages.at(-1) as unknown as SettingsCheck;
    return { ...answer, errors: stringRecord(answer.errors), warnings: stringRecord(answer.warnings) };
}

/** Applies `change`; rejects with an OpError (with `errors` by field when the helper refused it). */
export async function applySettings(uri: string, vmId: string, change: SettingsChange): Promise<SettingsResult> {
    const { messages } = await openOneShot({ ...changeOptions(change), op: "settings", uri, vm: vmId }).done;
    return messages.at(-1) as unknown as SettingsResult;
}
