// op `connections` (docs/api.md): the user's saved connections to other hosts. The helper parses and checks
// every target (a URI or user@host) and tests it before saving; the page only shows its verdicts.

import { openOneShot } from "./one-shot.ts";

/** The reason codes the add dialog explains (docs/api.md "Problem codes"). */
export type ConnectionReason = "host-unreachable" | "port-closed" | "auth-failed" | "not-answering";

export interface AddedConnection {
    uri: string;
    hostname: string;
    added: boolean;
}

async function run(options: Record<string, cockpit.JsonValue>): Promise<cockpit.CloseOptions> {
    return (await openOneShot({ op: "connections", ...options }).done).close;
}

/** The saved URIs, in the order they were added. */
export async function savedConnectionUris(): Promise<string[]> {
    const close = await run({ action: "list" });
    const list = Array.isArray(close.connections) ? close.connections : [];
    return list.flatMap(c => typeof c === "object" && c !== null && !Array.isArray(c) && typeof c.uri === "string"
        ? [c.uri] : []);
}

/** Tests `target` (a libvirt URI or user@host) and saves the URI it means; rejects with an OpError. */
export async function addConnection(target: string): Promise<AddedConnection> {
    const close = await run({ action: "add", target });
    return {
        uri: typeof close.uri === "string" ? close.uri : target,
        hostname: typeof close.hostname === "string" ? close.hostname : "",
        added: close.added === true,
    };
}

export async function removeConnection(uri: string): Promise<void> {
    await run({ action: "remove", target: uri });
}

/** Has the helper's connection to `uri` try again now (when it waits to retry); resolves with the outcome's
 * state (as op `watch` names it, or "idle") and reason code. */
export async function reconnectConnection(uri: string): Promise<{ state: string; reason: string | null }> {
    const close = await run({ action: "reconnect", target: uri });
    return {
        state: typeof close.state === "string" ? close.state : "idle",
        reason: typeof close.reason === "string" ? close.reason : null,
    };
}
