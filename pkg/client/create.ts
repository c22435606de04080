// Ops `create-options` and `create` (docs/api.md): what the host offers the create dialog, host-side validation
// of a spec, and the creation itself with progress. Closing a `create` channel cancels it; the helper then
// removes whatever it had made.

import { OpError, openOneShot, stringRecord } from "./one-shot.ts";

export { OpError };

export interface PoolInfo {
    name: string;
    active: boolean;
    type: string;
    path: string | null;
    /** bytes */
    capacity: number;
    available: number;
}

export interface CreateOptions {
    host: { memory_mib: number; cpus: number; arch: string };
    kvm: { usable: boolean; reason: string };
    firmware: { efi: boolean; secure_boot: boolean; tpm: boolean };
    pools: PoolInfo[];
    default_pool: { exists: boolean; path: string };
    networks: { name: string; active: boolean }[];
    bridges: string[];
    /** bridges that filter VLANs: an interface on them may carry a VLAN tag */
    vlan_bridges: string[];
    interfaces: string[];
    /** passt is installed: user-mode interfaces can forward host ports */
    passt: boolean;
    qemu_user: string | null;
}

export type SourceSpec =
    { kind: "iso"; path: string } |
    { kind: "url"; url: string } |
    { kind: "pxe"; network: string } | { kind: "pxe"; bridge: string } |
    {
        kind: "cloud"; image: string;
        user: { login: string; password: string | null; ssh_keys: string[] } | null;
        root_password: string | null; hostname: string | null;
    } |
    { kind: "import"; path: string; copy_to_pool: string | null };

export type StorageSpec =
    { kind: "new"; pool: string; size_gib: number } |
    { kind: "volume"; pool: string; volume: string } |
    { kind: "none" };

export type NetworkSpec =
    { kind: "network"; name: string } | { kind: "bridge"; name: string } | { kind: "direct"; dev: string } |
    { kind: "user" } | { kind: "none" };

export interface CreateSpec {
    name: string;
    /** osinfo short id; null: generic */
    os: string | null;
    source: SourceSpec;
    memory_mib: number;
    vcpus: number;
    storage: StorageSpec;
    network: NetworkSpec;
    virt_type: "kvm" | "qemu";
    firmware: "auto" | "bios" | "efi";
    run: boolean;
}

/** FIELD (docs/api.md op `create`) → message. */
export interface ValidationAnswer {
    errors: Record<string, string>;
    warnings: Record<string, string>;
}

export interface Progress {
    step: string;
    message: string;
    done: number | null;
    total: number | null;
}

export interface CreatedVm {
    id: string;
    name: string;
}

/** The spec as a JSON value for the channel's open message. */
function specJson(spec: CreateSpec): cockpit.JsonValue {
    return JSON.parse(JSON.stringify(spec)) as cockpit.JsonValue;
}

function isCreateOptions(value: unknown): value is CreateOptions {
    if (typeof value !== "object" || value === null)
        return false;
    const o = value as Record<string, unknown>;
    return typeof o.host === "object" && o.host !== null && typeof o.kvm === "object" && o.kvm !== null &&
        Array.isArray(o.pools) && Array.isArray(o.networks);
}

/** What `uri`'s host offers: memory, CPUs, KVM, firmware, pools, networks, bridges. */
export async function fetchCreateOptions(uri: string): Promise<CreateOptions> {
    const { messages } = await openOneShot({ op: "create-options", uri }).done;
    const last = messages.at(-1);
    if (!isCreateOptions(last))
        throw new OpError("protocol-error", "The helper's create options have an unexpected shape.");
    return {
        ...last,
        bridges: Array.isArray(last.bridges) ? last.bridges : [],
        interfaces: Array.isArray(last.interfaces) ? last.interfaces : [],
        vlan_bridges: Array.isArray(last.vlan_bridges) ? last.vlan_bridges : [],
    };
}

/** The helper's checks of `spec` on the host (names, paths, pool space…); `signal` abandons the question. */
export async function validateOnHost(uri: string, spec: CreateSpec, signal?: AbortSignal): Promise<ValidationAnswer> {
    const shot = openOneShot({ op: "create", uri, spec: specJson(spec), mode: "validate" });
    signal?.addEventListener("abort", () => void shot.close());
    const last = (await shot.done).messages.at(-1) ?? {};
    return { errors: stringRecord(last.errors), warnings: stringRecord(last.warnings) };
}

function parseProgress(value: unknown): Progress | null {
    if (typeof value !== "object" || value === null)
        return null;
    const p = value as Record<string, unknown>;
    if (typeof p.step !== "string")
        return null;
    return {
        step: p.step,
        message: typeof p.message === "string" ? p.message : "",
        done: typeof p.done === "number" ? p.done : null,
        total: typeof p.total === "number" ? p.total : null,
    };
}

export interface Creation {
    /** Resolves with the new VM; rejects with an OpError (`errors` per field for `invalid-argument`). */
    done: Promise<CreatedVm>;
    /**
     * Cancels: asks the helper to stop; it removes what it made and only then closes the channel, so a retry
     * with the same name works at once. Resolves once the channel is closed (closing it ourselves after
     * CANCEL_WAIT_MS if the helper does not answer): `true` when the creation stopped, `false` when it had
     * finished already (then `done` has the VM).
     */
    cancel(): Promise<boolean>;
}

/** Creates the VM of `spec` on `uri`, reporting each progress message. */
export function createVm(uri: string, spec: CreateSpec, onProgress: (progress: Progress) => void): Creation {
    let vm: CreatedVm | null = null;
    const readVm = (value: unknown) => {
        const created = value as Partial<CreatedVm> | undefined;
        if (created && typeof created.id === "string" && typeof created.name === "string")
            vm = { id: created.id, name: created.name };
    };
    const shot = openOneShot({ op: "create", uri, spec: specJson(spec), mode: "create" }, message => {
        const progress = parseProgress(message.progress);
        if (progress)
            onProgress(progress);
        readVm(message.vm);
    });
    return {
        done: shot.done.then(({ close }) => {
            // The result comes with the clean close; a last data message carrying it is read as well.
            readVm(close.vm);
            if (vm)
                return vm;
            throw new OpError("protocol-error", "The helper did not say which VM it created.");
        }),
        cancel: async () => {
            shot.send({ cancel: true });
            let timer = 0;
            const waited = new Promise<boolean>(resolve => { timer = window.setTimeout(() => resolve(true), CANCEL_WAIT_MS) });
            const stopped = await Promise.race([shot.done.then(() => false, () => true), waited]);
            window.clearTimeout(timer);
            await shot.close();
            return stopped;
        },
    };
}

/** How long a cancel waits for the helper's rollback before closing the channel itself. */
const CANCEL_WAIT_MS = 60_000;
