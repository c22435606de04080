// op `connections`, actions `host-key` and `trust` (docs/api.md): the SSH host key of a qemu+ssh host as the
// helper read it once, and trusting exactly that key (the helper adds it to the user's known_hosts).

import { openOneShot } from "./one-shot.ts";

/** The reason codes of an ssh host key check (docs/api.md "Problem codes"). */
export type HostKeyReason = "host-key-unknown" | "host-key-changed";

/** One host key as the helper scanned it; `trust` gets back exactly `type` and `key`. */
export interface OfferedHostKey {
    type: string;
    key: string;
    fingerprint: string;
}

export interface HostKeyState {
    uri: string;
    state: "known" | "unknown" | "changed";
    /** the key the host offers, when it is not known (or not the one known) */
    offered: OfferedHostKey | null;
}

function offeredKey(value: unknown): OfferedHostKey | null {
    if (typeof value !== "object" || value === null)
        return null;
    const { type, key, fingerprint } = value as Record<string, unknown>;
    return typeof type === "string" && typeof key === "string" && typeof fingerprint === "string"
        ? { type, key, fingerprint }
        : null;
}

/** Reads the host key `target` (a qemu+ssh URI or user@host) offers, and what known_hosts says of it. */
export async function readHostKey(target: string): Promise<HostKeyState> {
    const { close } = await openOneShot({ op: "connections", action: "host-key", target }).done;
    const answer = (close["host-key"] ?? {}) as Record<string, unknown>;
    const state = answer.state === "known" || answer.state === "changed" ? answer.state : "unknown";
    return { uri: typeof close.uri === "string" ? close.uri : target, state, offered: offeredKey(answer.offered) };
}

/** Trusts exactly `key` for `target`; rejects with an OpError (`host-key-changed` when another key is known). */
export async function trustHostKey(target: string, key: OfferedHostKey): Promise<void> {
    await openOneShot({ op: "connections", action: "trust", target, "host-key": { type: key.type, key: key.key } }).done;
}
