// The create dialog's form: its state, the element id of each field, and the spec it becomes (docs/api.md).

import type { CreateSpec, NetworkSpec, SourceSpec, StorageSpec } from "../../client/create.ts";

export type SourceKind = "iso" | "url" | "pxe" | "cloud" | "import";
export type StorageKind = "new" | "volume" | "none";
export type MemoryUnit = "MiB" | "GiB";

/** The OS picker's value for "no particular OS", which the user must pick on purpose. */
export const GENERIC_OS = "generic";

export interface CreateForm {
    uri: string;
    name: string;
    /** osinfo short id, GENERIC_OS, or null: none chosen yet */
    os: string | null;
    sourceKind: SourceKind;
    /** a path (iso, cloud, import) or a URL */
    source: string;
    /** PXE: "network:<name>" or "bridge:<name>" */
    pxe: string;
    /** import: copy the disk into this pool, or use it in place (null) */
    copyToPool: string | null;
    login: string;
    password: string;
    sshKeys: string;
    rootPassword: string;
    hostname: string;
    memory: string;
    memoryUnit: MemoryUnit;
    vcpus: string;
    storageKind: StorageKind;
    pool: string;
    /** GiB */
    size: string;
    volume: string;
    /** "network:<name>", "bridge:<name>", "direct:<dev>", "user" or "none" */
    network: string;
    virtType: "kvm" | "qemu";
    firmware: "auto" | "bios" | "efi";
}

/** FIELD names of docs/api.md (op `create`) → the element ids of the dialog's fields (the test hooks). */
export const FIELD_IDS = {
    name: "create-name",
    os: "create-os",
    source: "create-source",
    "source.user.login": "create-user-login",
    "source.user.password": "create-user-password",
    "source.user.ssh_keys": "create-ssh-keys",
    "source.root_password": "create-root-password",
    "source.hostname": "create-hostname",
    memory_mib: "create-memory",
    vcpus: "create-vcpus",
    storage: "create-storage-kind",
    "storage.size_gib": "create-storage-size",
    "storage.pool": "create-storage-pool",
    network: "create-network",
    virt_type: "create-virt-type",
    firmware: "create-firmware",
} as const;

export type Field = keyof typeof FIELD_IDS;

/** Fields in the order they appear, so the first invalid one can take the focus. */
export const FIELD_ORDER = Object.keys(FIELD_IDS) as Field[];

export type Messages = Partial<Record<Field, string>>;

/** What every group of fields gets: the form, a way to change it, and the messages to show now. */
export interface FieldsProps {
    form: CreateForm;
    /** Changes the form; the fields named in `patch` count as touched (their messages show from then on). */
    update: (patch: Partial<CreateForm>) => void;
    errors: Messages;
    warnings: Messages;
}

export function isField(name: string): name is Field {
    return Object.hasOwn(FIELD_IDS, name);
}

/** Whether the source kind puts the VM on a new or existing volume chosen in the storage fields. */
export function usesStorageChoice(kind: SourceKind): boolean {
    return kind === "iso" || kind === "url" || kind === "pxe";
}

/** A decimal number typed by the user, or NaN. */
export function parseNumber(text: string): number {
    const trimmed = text.trim();
    return /^\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : NaN;
}

export function memoryMib(form: Pick<CreateForm, "memory" | "memoryUnit">): number {
    const value = parseNumber(form.memory);
    return Math.round(form.memoryUnit === "GiB" ? value * 1024 : value);
}

export function sshKeyLines(text: string): string[] {
    return text.split("\n").map(line => line.trim()).filter(line => line !== "");
}

function sourceSpec(form: CreateForm): SourceSpec {
    const source = form.source.trim();
    switch (form.sourceKind) {
    case "iso":
        return { kind: "iso", path: source };
    case "url":
        return { kind: "url", url: source };
    case "pxe":
        return form.pxe.startsWith("bridge:")
            ? { kind: "pxe", bridge: form.pxe.slice("bridge:".length) }
            : { kind: "pxe", network: form.pxe.replace(/^network:/, "") };
    case "cloud": {
        const keys = sshKeyLines(form.sshKeys);
        const login = form.login.trim();
        return {
            kind: "cloud",
            image: source,
            // Sent whenever anything of it is filled in: the helper judges a password without a login too.
            user: login || form.password || keys.length > 0 ? { login, password: form.password || null, ssh_keys: keys } : null,
            root_password: form.rootPassword || null,
            hostname: form.hostname.trim() || null,
        };
    }
    case "import":
        return { kind: "import", path: source, copy_to_pool: form.copyToPool };
    }
}

function storageSpec(form: CreateForm): StorageSpec {
    if (form.sourceKind === "cloud")
        return { kind: "new", pool: form.pool, size_gib: parseNumber(form.size) || 0 };
    if (!usesStorageChoice(form.sourceKind) || form.storageKind === "none")
        return { kind: "none" };
    if (form.storageKind === "volume")
        return { kind: "volume", pool: form.pool, volume: form.volume.trim() };
    return { kind: "new", pool: form.pool, size_gib: parseNumber(form.size) || 0 };
}

export function networkSpec(value: string): NetworkSpec {
    const [kind = "", ...rest] = value.split(":");
    const name = rest.join(":");
    switch (kind) {
    case "network": return { kind: "network", name };
    case "bridge": return { kind: "bridge", name };
    case "direct": return { kind: "direct", dev: name };
    case "user": return { kind: "user" };
    default: return { kind: "none" };
    }
}

export function toSpec(form: CreateForm, run: boolean): CreateSpec {
    return {
        name: form.name,
        os: form.os === GENERIC_OS ? null : form.os,
        source: sourceSpec(form),
        memory_mib: memoryMib(form) || 0,
        vcpus: parseNumber(form.vcpus) || 0,
        storage: storageSpec(form),
        network: networkSpec(form.network),
        virt_type: form.virtType,
        firmware: form.firmware,
        run,
    };
}
