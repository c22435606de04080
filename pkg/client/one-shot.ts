// A one-shot channel: open, take the JSON messages sent on it, settle on close. `virt1` (docs/api.md) unless the
// options name another payload (the create dialog's path completion uses Cockpit's `fslist1`).

import { openChannel } from "./transport/channels.ts";

/** How a one-shot op fails: the channel's close problem, its message and, for `create`, errors per field. */
export class OpError extends Error {
    readonly problem: string;
    /** create: FIELD → message (docs/api.md op `create`) */
    readonly errors: Readonly<Record<string, string>>;
    /** the close's `reason` code, where the op gives one (docs/api.md "Problem codes") */
    readonly reason: string | null;
    /** the full text behind a one-sentence message (QEMU's output when a VM could not start) */
    readonly detail: string | undefined;

    constructor(problem: string, message: string, errors: Record<string, string> = {},
                reason: string | null = null, detail?: string) {
        super(message);
        this.name = "OpError";
        this.problem = problem;
        this.errors = errors;
        this.reason = reason;
        this.detail = detail;
    }
}

/** The string values of a JSON object, dropping the rest. */
export function stringRecord(value: unknown): Record<string, string> {
    const result: Record<string, string> = {};
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
        for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
            if (typeof v === "string")
                result[key] = v;
        }
    }
    return result;
}

export interface OneShotResult {
    /** the data messages, in order */
    messages: Record<string, unknown>[];
    /** the fields of the clean `close` (an op's result may come there) */
    close: cockpit.CloseOptions;
}

export interface OneShot {
    /** Resolves once the channel closes cleanly. */
    done: Promise<OneShotResult>;
    /** Closes the channel (the helper stops and cleans up); resolves once it is closed. `done` never settles. */
    close(): Promise<void>;
    /** Sends one JSON message to the op (while the channel is open). */
    send(message: Record<string, cockpit.JsonValue>): void;
}

/**
 * Opens a channel (`virt1` unless `options.payload` says otherwise) with `options` and gathers its JSON object
 * messages; each is also passed to `onMessage` as it arrives. A close with a problem rejects with an OpError.
 */
export function openOneShot(options: Record<string, cockpit.JsonValue>,
                            onMessage?: (message: Record<string, unknown>) => void): OneShot {
    const channel = openChannel({ payload: "virt1", ...options });
    let closedByUs = false;
    let closed = false;
    const closedWaiters: (() => void)[] = [];
    const done = new Promise<OneShotResult>((resolve, reject) => {
        const messages: Record<string, unknown>[] = [];
        channel.addEventListener("message", (_ev, data) => {
            try {
                const parsed: unknown = JSON.parse(data);
                if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
                    const message = parsed as Record<string, unknown>;
                    messages.push(message);
                    onMessage?.(message);
                    return;
                }
            } catch {
                // below
            }
            console.warn(`${JSON.stringify(options.payload ?? "virt1")} ${JSON.stringify(options.op ?? null)}: ignoring a message that is not a JSON object:`, data);
        });
        channel.addEventListener("close", (_ev, close) => {
            closed = true;
            for (const waiter of closedWaiters.splice(0))
                waiter();
            if (closedByUs)
                return;
            if (close.problem) {
                reject(new OpError(close.problem, close.message ?? cockpit.message(close.problem),
                                   stringRecord(close.errors),
                                   typeof close.reason === "string" ? close.reason : null,
                                   typeof close.detail === "string" ? close.detail : undefined));
            } else {
                resolve({ messages, close });
            }
        });
    });
    return {
        done,
        close() {
            const whenClosed = new Promise<void>(resolve => {
                if (closed)
                    resolve();
                else
                    closedWaiters.push(resolve);
            });
            if (!closedByUs && !closed) {
                closedByUs = true;
                channel.close();
            }
            return whenClosed;
        },
        send(message) {
            if (!closed && !closedByUs)
                channel.send(JSON.stringify(message));
        },
    };
}
