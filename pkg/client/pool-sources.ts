// op `pool-sources` (docs/api.md): what libvirt finds that a new storage pool could be made from. One channel per
// search; closing it gives up on the answer (the helper's wait is bounded either way).

import { type OneShot, openOneShot } from "./one-shot.ts";

/** One found source; absent values are null. */
export interface PoolSource {
    /** the volume group (logical) or Gluster volume */
    name: string | null;
    host: string | null;
    port: number | null;
    /** the NFS export */
    dir: string | null;
    /** physical volumes (logical) or the target's IQN (iscsi) */
    devices: string[];
    format: string | null;
}

export interface PoolSources {
    sources: PoolSource[];
    /** the helper kept only the first of more */
    truncated: boolean;
}

const text = (v: unknown): string | null => typeof v === "string" ? v : null;

function toSource(value: unknown): PoolSource | null {
    if (typeof value !== "object" || value === null)
        return null;
    const v = value as Record<string, unknown>;
    return {
        name: text(v.name),
        host: text(v.host),
        port: typeof v.port === "number" ? v.port : null,
        dir: text(v.dir),
        devices: Array.isArray(v.devices) ? v.devices.filter((d): d is string => typeof d === "string") : [],
        format: text(v.format),
    };
}

/** Starts a search; `result` rejects with an OpError carrying the helper's problem code. */
export function findPoolSources(uri: string, type: string, host?: string, port?: number): { result: Promise<PoolSources>; channel: OneShot } {
    const fields: Record<string, cockpit.JsonValue> = { op: "pool-sources", uri, type };
    // `server`, not `host`: Cockpit routes a channel whose open names a `host` to that machine.
    if (host !== undefined)
        fields.server = host;
    if (port !== undefined)
        fields.port = port;
    const channel = openOneShot(fields);
    const result = channel.done.then(({ messages }) => {
        const last = messages.at(-1) ?? {};
        const sources = Array.isArray(last.sources) ? last.sources.map(toSource).filter(s => s !== null) : [];
        return { sources, truncated: last.truncated === true };
    });
    return { result, channel };
}
