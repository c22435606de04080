// op `migrate` (docs/api.md): one channel per migration, progress messages while libvirt's job runs, cancel.

import { type OneShot, openOneShot } from "./one-shot.ts";

export type MigrateStorage = "shared" | "copy-full" | "copy-incremental";

export interface MigrateRequest {
    destination: string;
    live: boolean;
    storage: MigrateStorage;
    persist: boolean;
    undefine_source: boolean;
    bandwidth_mib: number | null;
    auto_converge: boolean;
    post_copy: boolean;
    unsafe: boolean;
}

/** A progress message's fields (each figure only when libvirt reported it). */
export interface MigrateProgress {
    phase: "connecting" | "migrating" | "post-copy";
    data_total?: number;
    data_processed?: number;
    data_remaining?: number;
    memory_bps?: number;
    dirty_rate?: number;
    disk_total?: number;
    disk_remaining?: number;
}

/** The reason codes the dialog explains (docs/api.md "Problem codes"). */
export type MigrateReason = "host-unreachable" | "port-closed" | "auth-failed" | "no-such-pool" | "cpu-incompatible" |
    "same-host" | "storage-not-shared";

export interface Migration {
    channel: OneShot;
    /** Asks the helper to abort libvirt's job; `channel.done` then rejects with problem `terminated`. */
    cancel(): void;
}

export function startMigration(uri: string, vmId: string, request: MigrateRequest,
                               onProgress: (progress: MigrateProgress) => void): Migration {
    const options: Record<string, cockpit.JsonValue> = {
        op: "migrate", uri, vm: vmId, destination: request.destination, live: request.live, storage: request.storage,
        persist: request.persist, undefine_source: request.undefine_source, auto_converge: request.auto_converge,
        post_copy: request.post_copy, unsafe: request.unsafe,
    };
    if (request.bandwidth_mib !== null)
        options.bandwidth_mib = request.bandwidth_mib;
    const channel = openOneShot(options, message => {
        if (typeof message.progress === "object" && message.progress !== null)
            onProgress(message.progress as MigrateProgress);
    });
    return { channel, cancel: () => channel.send({ cancel: true }) };
}
