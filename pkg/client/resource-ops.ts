// One `pool` or `network` channel per call (docs/api.md): resolves with the result message, rejects with an
// OpError (the close's problem and the helper's or libvirt's message).

import { openOneShot } from "./one-shot.ts";

export type Params = Record<string, cockpit.JsonValue>;

export async function runPoolAction(uri: string, pool: string, action: string, params: Params = {}): Promise<Record<string, unknown>> {
    const { messages } = await openOneShot({ ...params, op: "pool", uri, pool, action }).done;
    return messages.at(-1) ?? { ok: true };
}

export async function runNetworkAction(uri: string, network: string, action: string, params: Params = {}): Promise<Record<string, unknown>> {
    const { messages } = await openOneShot({ ...params, op: "network", uri, network, action }).done;
    return messages.at(-1) ?? { ok: true };
}
