// Op `osinfo` (docs/api.md): the host's osinfo-db as a list of OSes, and OS detection from install media or a URL.
// The list is asked for once per page load and kept: it only changes when the osinfo-db package does.

import { openOneShot } from "./one-shot.ts";

export interface OsResources {
    memory_mib: number | null;
    storage_gib: number | null;
    vcpus: number | null;
}

export interface OsInfo {
    id: string;
    short_id: string;
    name: string;
    /** null for some entries (rolling releases have no version) */
    vendor: string | null;
    family: string | null;
    distro: string | null;
    version: string | null;
    release_date: string | null;
    eol_date: string | null;
    eol: boolean;
    recommended: OsResources;
    minimum: OsResources;
    virtio: { disk: boolean; net: boolean; video: boolean };
    firmware: "bios" | "efi";
    secure_boot: boolean;
    tpm: boolean;
    cloud_image: boolean;
    tree: boolean;
    media: boolean;
}

export interface OsList {
    oses: readonly OsInfo[];
    /** why the list is empty, e.g. "osinfo-db is not installed" */
    message: string | null;
}

export interface OsRef {
    short_id: string;
    name: string;
}

export interface Detection {
    detected: OsRef | null;
    volumeId: string | null;
    /** an ISO has an El Torito boot record; null when not known (install trees, older helpers) */
    bootable: boolean | null;
}

function isOsInfo(value: unknown): value is OsInfo {
    if (typeof value !== "object" || value === null)
        return false;
    const os = value as Record<string, unknown>;
    return typeof os.short_id === "string" && typeof os.name === "string" && typeof os.eol === "boolean" &&
        typeof os.recommended === "object" && os.recommended !== null;
}

let cached: Promise<OsList> | null = null;

/** The OS list, once per page load; a failure is not kept, so the next call asks again. */
export function listOses(): Promise<OsList> {
    if (!cached) {
        cached = openOneShot({ op: "osinfo" }).done.then(({ messages }) => {
            const last = messages.at(-1) ?? {};
            const oses = Array.isArray(last.oses) ? last.oses.filter(isOsInfo) : [];
            return { oses, message: typeof last.message === "string" ? last.message : null };
        });
        cached.catch(() => { cached = null });
    }
    return cached;
}

/** Which OS the install media (an absolute path on the host) or URL holds; `signal` abandons the question. */
export function detectOs(source: { media: string } | { url: string }, signal?: AbortSignal): Promise<Detection> {
    const shot = openOneShot({ op: "osinfo", detect: source });
    signal?.addEventListener("abort", () => void shot.close());
    return shot.done.then(({ messages }) => {
        const last = messages.at(-1) ?? {};
        const detected = last.detected as Partial<OsRef> | null | undefined;
        return {
            detected: detected && typeof detected.short_id === "string"
                ? { short_id: detected.short_id, name: typeof detected.name === "string" ? detected.name : detected.short_id }
                : null,
            volumeId: typeof last.volume_id === "string" ? last.volume_id : null,
            bootable: typeof last.bootable === "boolean" ? last.bootable : null,
        };
    });
}
