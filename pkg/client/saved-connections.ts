// op `connections` (docs/api.md): the user's saved connections to other hosts. The helper parses and checks
// every target (a URI or user@host) and tests it before saving; the page only shows its verdicts.

import { listedUris } from "./connection-list.ts";
import { openOneShot } from "./one-shot.ts";

/** The reason codes the add dialog explains (docs/api.md "Problem codes"). */
export type ConnectionReason = "host-unreachable" | "port-closed" | "auth-failed" | "not-answering" | "auth-needed" |
    "credentials-refused";

/** A user name and password for a host that asks for them (SASL); the helper checks them and holds them in its
 * memory for that host only. */
export interface Login {
    username: string;
    password: string;
}

/** Reasons a user name and password can answer: the host asked, or refused the ones given. */
export function wantsLogin(reason: string | null | undefined): boolean {
    return reason === "auth-needed" || reason === "credentials-refused";
}

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
    return listedUris(await run({ action: "list" }));
}

/** Tests `target` (a libvirt URI or user@host) and saves the URI it means; rejects with an OpError. `login`, for a
 * host that asked for one, is held by the helper for its connection once it worked. */
export async function addConnection(target: string, login?: Login): Promise<AddedConnection> {
    const close = await run({ action: "add", target, ...login ? { credentials: { ...login } } : {} });
    return {
        uri: typeof close.uri === "string" ? close.uri : target,
        hostname: typeof close.hostname === "string" ? close.hostname : "",
        added: close.added === true,
    };
}

export async function removeConnection(uri: string): Promise<void> {
    await run({ action: "remove", target: uri });
}

/** Has the helper's connection to `uri` try again now (when it waits to retry), with `login` when given; resolves
 * with the outcome's state (as op `watch` names it, or "idle"), reason code and message. */
export async function reconnectConnection(uri: string, login?: Login):
        Promise<{ state: string; reason: string | null; message: string | null }> {
    const close = await run({ action: "reconnect", target: uri, ...login ? { credentials: { ...login } } : {} });
    return {
        state: typeof close.state === "string" ? close.state : "idle",
        reason: typeof close.reason === "string" ? close.reason : null,
        message: typeof close.message === "string" ? close.message : null,
    };
}
