// runAction: one `virt1` `action` channel (docs/api.md) per call.

import { openOneShot } from "./one-shot.ts";

export type VmAction =
    "start" | "shutdown" | "destroy" | "reboot" | "reset" | "suspend" | "resume" | "nmi" | "autostart" | "add-vnc" | "delete";

export interface StorageError {
    target: string;
    path: string;
    message: string;
}

export interface ActionResult {
    ok: boolean;
    /** add-vnc: the display appears at the VM's next start (it runs now) */
    next_start?: boolean;
    /** delete: the paths whose storage was removed */
    deleted?: string[];
    /** delete: storage that could not be removed (the VM itself is gone) */
    storageErrors?: StorageError[];
}

/** How a failed action rejects: the channel's close problem and libvirt's message. */
export { OpError as ActionError } from "./one-shot.ts";

export type ActionParams = Record<string, cockpit.JsonValue>;

/**
 * Runs `action` on the VM `vmId` (UUID) of connection `uri`. Resolves with the result message once the channel
 * closes without a problem; rejects with an ActionError otherwise.
 */
export async function runAction(uri: string, vmId: string, action: VmAction, params: ActionParams = {}): Promise<ActionResult> {
    const { messages } = await openOneShot({ ...params, op: "action", uri, vm: vmId, action }).done;
    return (messages.at(-1) as ActionResult | undefined) ?? { ok: true };
}
