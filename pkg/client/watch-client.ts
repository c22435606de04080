// VirtWatchClient: one `virt1` `watch` channel (docs/api.md) for one libvirt connection URI.
//
// It applies the helper's messages to its own copy of the VM table and emits typed changes:
// - a snapshot (`reset` … `vms` … `synced`) is gathered off to the side and emitted as one change once it is
//   complete, as a diff against the previous table, so a reconnect neither blinks nor re-renders unchanged rows;
//   only on the first load (nothing shown yet) its first message is emitted at once, the first screenful;
// - a later `vms` patch is emitted as it comes, minus entries equal to what we already had;
// - a channel that closes with a problem is reopened: at once quietly ("reconnecting") the first time, then with
//   backoff and a visible failure; the table is kept meanwhile (rows stay).
// It asks for live usage too (`"usage": true`): `sparklines` and each tick are passed on as typed `usage` events,
// unchanged; store/usage-store.ts keeps them.

import type { ConnectionState, HostUsage, Vm, VmUsage } from "../types.ts";

import { markOnce } from "../marks.ts";

import { Emitter } from "./emitter.ts";
import { sameJson } from "./same-json.ts";
import { openChannel } from "./transport/channels.ts";
import { watchOptions } from "./transport/early-watch.ts";

export interface WatchChange {
    /** VMs added or changed, whole */
    upserts: Vm[];
    /** ids of VMs that are gone */
    removed: string[];
}

export interface WatchStatus {
    state: ConnectionState | "loading" | "failed";
    message: string | null;
    problem: string | null;
    synced: boolean;
    /** why the helper's connection is down, a problem reason code (only from the helper's `connection`) */
    reason?: string | null;
}

/** Usage messages (docs/api.md, "Usage"): the recent CPU % per VM once, then one or more messages per tick. */
export type UsageMessage =
    | { kind: "sparklines"; sparklines: Map<string, number[]> }
    | {
        kind: "tick";
        tick: number;
        /** seconds between ticks */
        interval: number;
        /** `usage` holds every running VM (the first tick after `sparklines`) */
        reset: boolean;
        host: HostUsage | null;
        /** id → usage, or null: the VM stopped */
        usage: Map<string, VmUsage | null>;
    };

interface WatchEvents extends Record<string, unknown> {
    change: WatchChange;
    status: WatchStatus;
    usage: UsageMessage;
}

const CONNECTION_STATES: readonly string[] = ["connecting", "connected", "reconnecting", "unreachable", "access-denied"];
const RETRY_QUICK_MS = 1000;
const RETRY_FIRST_MS = 2000;
const RETRY_MAX_MS = 30000;

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

const USAGE_NUMBERS = ["cpu", "memoryUsed", "memoryTotal", "diskRead", "diskWrite", "netRx", "netTx"] as const;

function isUsage(value: Record<string, unknown>): boolean {
    return USAGE_NUMBERS.every(k => typeof value[k] === "number") && typeof value.memoryFromGuest === "boolean" &&
        typeof value.responding === "boolean";
}

function isHostUsage(value: unknown): value is HostUsage {
    return isObject(value) && typeof value.cpus === "number" && typeof value.cpu === "number" &&
        typeof value.memoryTotal === "number" && typeof value.memoryUsed === "number";
}

export class VirtWatchClient extends Emitter<WatchEvents> {
    readonly uri: string;
    #channel: cockpit.Channel | null = null;
    #table = new Map<string, Vm>();
    #snapshot: Map<string, Vm> | null = null;
    #status: WatchStatus = { state: "loading", message: null, problem: null, synced: false };
    #retryTimer: number | null = null;
    #retryDelay = RETRY_FIRST_MS;
    /** channel failures since the connection was last "connected" */
    #failures = 0;

    constructor(uri: string) {
        super();
        this.uri = uri;
    }

    get status(): WatchStatus {
        return this.#status;
    }

    get running(): boolean {
        return this.#channel !== null || this.#retryTimer !== null;
    }

    /** Opens the channel (no-op when open). */
    start(): void {
        if (this.#channel)
            return;
        this.#clearRetry();
        markOnce("virt:watch-open");
        const channel = openChannel(watchOptions(this.uri));
        this.#channel = channel;
        channel.addEventListener("message", (_ev, data) => {
            if (this.#channel === channel)
                this.#onMessage(data);
        });
        channel.addEventListener("close", (_ev, options) => {
            if (this.#channel === channel)
                this.#onClose(options);
        });
    }

    /** Closes the channel and cancels any retry; the table is kept until the next snapshot. */
    stop(): void {
        this.#clearRetry();
        const channel = this.#channel;
        this.#channel = null;
        this.#snapshot = null;
        channel?.close();
    }

    /**
     * Starts over on another transport (Administrative access turned on or off): what the old one showed is
     * dropped at once, so no row outlives the access that showed it.
     */
    restart(): void {
        const wasRunning = this.running;
        this.stop();
        const removed = [...this.#table.keys()];
        this.#table = new Map();
        this.#failures = 0;
        this.#retryDelay = RETRY_FIRST_MS;
        if (removed.length > 0)
            this.emit("change", { upserts: [], removed });
        this.#setStatus({ state: "loading", message: null, problem: null, synced: false });
        if (wasRunning)
            this.start();
    }

    #clearRetry(): void {
        if (this.#retryTimer !== null)
            window.clearTimeout(this.#retryTimer);
        this.#retryTimer = null;
    }

    #setStatus(patch: Partial<WatchStatus>): void {
        const next = { ...this.#status, ...patch };
        if (!sameJson(next, this.#status)) {
            this.#status = next;
            this.emit("status", next);
        }
    }

    #onClose(options: cockpit.CloseOptions): void {
        this.#channel = null;
        this.#snapshot = null;
        const problem = options.problem ?? "disconnected";
        const message = options.message ?? cockpit.message(problem);
        this.#failures++;
        let delay;
        if (problem === "not-supported") {
            // A helper that is missing or too old won't appear by itself soon: say so, retry slowly.
            this.#setStatus({ state: "failed", problem, message });
            delay = RETRY_MAX_MS;
        } else if (this.#failures === 1) {
            // The helper went away (crashed, restarted): a quiet badge and a quick retry; the rows stay.
            this.#setStatus({ state: "reconnecting", problem: null, message });
            delay = RETRY_QUICK_MS;
        } else {
            this.#setStatus({ state: "failed", problem, message });
            delay = this.#retryDelay;
            this.#retryDelay = Math.min(this.#retryDelay * 2, RETRY_MAX_MS);
        }
        this.#retryTimer = window.setTimeout(() => {
            this.#retryTimer = null;
            this.start();
        }, delay);
    }

    #onMessage(data: string): void {
        markOnce("virt:watch-first");
        let msg: unknown;
        try {
            msg = JSON.parse(data);
        } catch {
            console.warn("virt1 watch: ignoring a message that is not JSON:", data);
            return;
        }
        if (!isObject(msg)) {
            console.warn("virt1 watch: ignoring a message that is not an object:", data);
            return;
        }

        if (typeof msg.tick === "number") {
            this.#onTick(msg); // its `reset` is about usage, not the VM table
            return;
        }
        if (isObject(msg.sparklines))
            this.#onSparklines(msg.sparklines);
        if (isObject(msg.connection))
            this.#onConnection(msg.connection);
        if (msg.reset === true)
            this.#snapshot = new Map();
        if (isObject(msg.vms))
            this.#onVms(msg.vms);
        if (msg.synced === true)
            this.#onSynced();
    }

    #onSparklines(sparklines: Record<string, unknown>): void {
        const lines = new Map<string, number[]>();
        for (const [id, values] of Object.entries(sparklines)) {
            if (Array.isArray(values))
                lines.set(id, values.filter(v => typeof v === "number"));
        }
        this.emit("usage", { kind: "sparklines", sparklines: lines });
    }

    #onTick(msg: Record<string, unknown>): void {
        const usage = new Map<string, VmUsage | null>();
        if (isObject(msg.usage)) {
            for (const [id, value] of Object.entries(msg.usage)) {
                if (value === null)
                    usage.set(id, null);
                else if (isObject(value) && isUsage(value))
                    usage.set(id, value as unknown as VmUsage);
                else
                    console.warn("virt1 watch: ignoring malformed usage of", id, value);
            }
        }
        this.emit("usage", {
            kind: "tick",
            tick: msg.tick as number,
            interval: typeof msg.interval === "number" && msg.interval > 0 ? msg.interval : 5,
            reset: msg.reset === true,
            host: isHostUsage(msg.host) ? msg.host : null,
            usage,
        });
    }

    #onConnection(connection: Record<string, unknown>): void {
        const state = connection.state;
        if (typeof state !== "string" || !CONNECTION_STATES.includes(state))
            return;
        if (state === "connected") {
            this.#retryDelay = RETRY_FIRST_MS;
            this.#failures = 0;
        }
        const message = typeof connection.message === "string" ? connection.message : null;
        const reason = typeof connection.reason === "string" ? connection.reason : null;
        this.#setStatus({ state: state as ConnectionState, message, problem: null, reason });
    }

    #onVms(patch: Record<string, unknown>): void {
        if (this.#snapshot) {
            for (const [id, vm] of Object.entries(patch)) {
                if (isObject(vm))
                    this.#snapshot.set(id, vm as unknown as Vm);
                else
                    this.#snapshot.delete(id);
            }
            this.#showFirstPart();
            return;
        }

        const change: WatchChange = { upserts: [], removed: [] };
        for (const [id, vm] of Object.entries(patch)) {
            if (isObject(vm)) {
                const old = this.#table.get(id);
                if (old === undefined || !sameJson(old, vm)) {
                    this.#table.set(id, vm as unknown as Vm);
                    change.upserts.push(vm as unknown as Vm);
                }
            } else if (this.#table.delete(id)) {
                change.removed.push(id);
            }
        }
        if (change.upserts.length > 0 || change.removed.length > 0)
            this.emit("change", change);
    }

    /**
     * With nothing shown yet (the first load), the snapshot's first message is shown at once: the helper sends the
     * VMs in the list's default order, so that is the first screenful. The rest follows at `synced`, as a diff.
     */
    #showFirstPart(): void {
        const snapshot = this.#snapshot;
        if (this.#table.size > 0 || !snapshot || snapshot.size === 0)
            return;
        this.#table = new Map(snapshot);
        this.emit("change", { upserts: [...snapshot.values()], removed: [] });
    }

    #onSynced(): void {
        markOnce("virt:synced");
        const snapshot = this.#snapshot;
        this.#snapshot = null;
        if (snapshot) {
            const change: WatchChange = { upserts: [], removed: [] };
            for (const id of this.#table.keys()) {
                if (!snapshot.has(id))
                    change.removed.push(id);
            }
            for (const [id, vm] of snapshot) {
                const old = this.#table.get(id);
                if (old === undefined || !sameJson(old, vm))
                    change.upserts.push(vm);
                else
                    snapshot.set(id, old); // keep the old object: identity is what tells rows nothing changed
            }
            this.#table = snapshot;
            if (change.upserts.length > 0 || change.removed.length > 0)
                this.emit("change", change);
        }
        this.#setStatus({ synced: true });
    }
}
