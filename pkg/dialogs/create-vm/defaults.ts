// The create form's starting values: from a deep link, then from what the host offers, then from the chosen
// OS's recommendations. A value the user typed is never overwritten (`edited`).

import type { CreateOptions } from "../../client/create.ts";
import type { OsInfo } from "../../client/osinfo.ts";

import { type CreateForm, GENERIC_OS, type SourceKind } from "./form.ts";
import { defaultNetwork } from "./network-fields.tsx";
import { DEFAULT_POOL, poolChoices } from "./storage-fields.tsx";
import { suggestName } from "./validate.ts";

export type Edited = ReadonlySet<keyof CreateForm>;

/** What a `#/create?…` or `#/import?…` link sets. */
export interface Prefill {
    mode: "create" | "import";
    source: string | null;
    os: string | null;
    name: string | null;
}

export const DEFAULT_MEMORY_MIB = 1024;
export const DEFAULT_SIZE_GIB = 10;

/** The kind of source a prefilled text is: a path is media (or the disk, for import), anything else a URL. */
function sourceKindOf(prefill: Prefill): SourceKind {
    if (prefill.mode === "import")
        return "import";
    if (prefill.source && !prefill.source.startsWith("/") && /^[a-z]+:\/\//i.test(prefill.source))
        return "url";
    return "iso";
}

/** Memory as the form shows it: whole GiB when it is some, else MiB. */
export function memoryText(mib: number): Pick<CreateForm, "memory" | "memoryUnit"> {
    return mib >= 1024 && mib % 512 === 0
        ? { memory: String(mib / 1024), memoryUnit: "GiB" }
        : { memory: String(mib), memoryUnit: "MiB" };
}

export function initialForm(prefill: Prefill, uri: string): CreateForm {
    return {
        uri,
        name: prefill.name ?? "",
        os: prefill.os,
        sourceKind: sourceKindOf(prefill),
        source: prefill.source ?? "",
        pxe: "",
        copyToPool: null,
        login: "",
        password: "",
        sshKeys: "",
        rootPassword: "",
        hostname: "",
        ...memoryText(DEFAULT_MEMORY_MIB),
        vcpus: "1",
        storageKind: "new",
        pool: DEFAULT_POOL,
        size: String(DEFAULT_SIZE_GIB),
        volume: "",
        network: "user",
        virtType: "kvm",
        firmware: "auto",
    };
}

/** The fields prefilled by a link count as typed by the user. */
export function prefillEdited(prefill: Prefill): Set<keyof CreateForm> {
    const edited = new Set<keyof CreateForm>();
    if (prefill.name !== null)
        edited.add("name");
    if (prefill.os !== null)
        edited.add("os");
    return edited;
}

/** Host-dependent defaults: network, pool, KVM or TCG. */
export function withOptions(form: CreateForm, options: CreateOptions, edited: Edited): CreateForm {
    const pools = poolChoices(options);
    const pool = pools.find(p => p.name === DEFAULT_POOL) ?? pools.find(p => p.active) ?? pools[0];
    return {
        ...form,
        network: edited.has("network") ? form.network : defaultNetwork(options),
        pool: edited.has("pool") || !pool ? form.pool : pool.name,
        virtType: edited.has("virtType") ? form.virtType : options.kvm.usable ? "kvm" : "qemu",
    };
}

/** The name suggested for an OS: its short id (also when the OS list does not know it), "vm" for a generic one. */
function nameBase(shortId: string | null): string {
    if (shortId === null)
        return "";
    return shortId === GENERIC_OS ? "vm" : shortId;
}

/** The OS's recommendations (capped by the host; defaults for an OS the list does not have), and a name. */
export function withOs(form: CreateForm, os: OsInfo | null, edited: Edited, existingNames: ReadonlySet<string>,
                       options: CreateOptions | null): CreateForm {
    const next = { ...form };
    const base = nameBase(form.os);
    if (!edited.has("name"))
        next.name = base ? suggestName(base, existingNames) : "";
    const host = options?.host;
    if (!edited.has("memory") && !edited.has("memoryUnit")) {
        let mib = os?.recommended.memory_mib ?? os?.minimum.memory_mib ?? DEFAULT_MEMORY_MIB;
        if (host)
            mib = Math.min(mib, Math.max(host.memory_mib - 512, os?.minimum.memory_mib ?? 256));
        Object.assign(next, memoryText(mib));
    }
    if (!edited.has("vcpus")) {
        const vcpus = os?.recommended.vcpus ?? 1;
        next.vcpus = String(host ? Math.max(1, Math.min(vcpus, host.cpus)) : vcpus);
    }
    if (!edited.has("size"))
        next.size = String(os?.recommended.storage_gib ?? os?.minimum.storage_gib ?? DEFAULT_SIZE_GIB);
    return next;
}
