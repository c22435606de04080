// runAction: one `virt1` `action` channel (docs/api.md) per call.

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
export class ActionError extends Error {
    readonly problem: string;

    constructor(problem: string, message: string) {
        super(message);
        this.name = "ActionError";
        this.problem = problem;
    }
}

export type ActionParams = Record<string, cockpit.JsonValue>;

/**
 * Runs `action` on the VM `vmId` (UUID) of connection `uri`. Resolves with the result message once the channel
 * closes without a problem; rejects with an ActionError otherwise.
 */
export function runAction(uri: string, vmId: string, action: VmAction, params: ActionParams = {}): Promise<ActionResult> {
    return new Promise((resolve, reject) => {
        const channel = cockpit.channel({ ...params, payload: "virt1", op: "action", uri, vm: vmId, action });
        let result: ActionResult = { ok: true };
        channel.addEventListener("message", (_ev, data) => {
            try {
                const parsed: unknown = JSON.parse(data);
                if (typeof parsed === "object" && parsed !== null)
                    result = parsed as ActionResult;
            } catch {
                console.warn("virt1 action: ignoring a message that is not JSON:", data);
            }
        });
        channel.addEventListener("close", (_ev, options) => {
            if (options.problem)
                reject(new ActionError(options.problem, options.message ?? cockpit.message(options.problem)));
            else
                resolve(result);
        });
    });
}
