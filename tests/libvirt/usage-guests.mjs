// SPDX-License-Identifier: LGPL-2.1-or-later
// Shared pieces of the usage and restart tests: tiny guests these files own (and remove themselves, never every
// cvtest-* domain: other test files may be running their guests meanwhile), programs run inside a guest through
// its guest agent (CPU burners), the QEMU pid of a guest, and UsageWatch, a `watch` channel with `"usage": true`
// whose messages are folded into a VM table, connection states and per-tick usage.

import { abbreviate, applyPatch } from "../harness/bridge.mjs";
import { defineTinyGuest, removeGuest, testDomains, virsh } from "../harness/libvirt.mjs";

/** The helper's environment for these tests: a 1 s tick keeps them short. */
export const HELPER_ENV = { CVIRT_TICK_MS: "1000" };

/**
 * Defines (and with `running`, starts) a tiny guest named cvtest-<what>-<random> through the harness and
 * remembers it in `owned`, so that removeGuests(owned) removes exactly what this file made.
 */
export async function defineOwnedGuest(owned, what, options = {}) {
    const g = await defineTinyGuest(what, options);
    owned.push(g);
    return g;
}

/** Destroys and undefines `guests` and removes their directories. */
export async function removeGuests(guests) {
    await Promise.all(guests.map(removeGuest));
}

/** Removes leftovers of an earlier, interrupted run of the same file: cvtest-<prefix>* domains only. */
export async function removeLeftovers(prefix) {
    for (const name of await testDomains()) {
        if (name.startsWith(`cvtest-${prefix}`)) {
            await virsh("destroy", name).catch(() => {});
            await virsh("undefine", name).catch(() => {});
        }
    }
}

/** A shell loop that keeps one vCPU busy. */
export const BURN_FULL = "while :; do :; done";

/**
 * A shell loop that keeps one vCPU busy part of the time: its CPU % is never 0 and never clamped at 100, so it
 * changes (and is sent) every tick.
 */
export const BURN_PART = "while :; do i=0; while [ $i -lt 200 ]; do i=$((i+1)); done; sleep 0.05; done";

export const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * A `watch` channel with `"usage": true` on bridge `b`, its messages folded as they are consumed:
 *   vms           the VM table (merge patches since the last reset)
 *   connections   every connection state, in order
 *   resets, synced  how many of each
 *   snapshots     for each reset…synced: { ids: [every id in its vms messages, repeats kept] }
 *   sparklines    the first sparklines message's object; kinds: the kind of every data message, in order
 *   ticks         tick number → { tick, interval, host, usage: {id: usage|null} } (split messages merged)
 *   tickOrder     tick numbers in arrival order (one entry per message)
 *   latest        id → { tick, usage } from the last tick that carried that VM
 *   closed        the close control, if the channel closed
 */
export class UsageWatch {
    constructor(b, uri, extra = {}) {
        this.b = b;
        this.uri = uri;
        this.channel = b.open({ payload: "virt1", op: "watch", uri, usage: true, ...extra });
        this.vms = {};
        this.connections = [];
        this.resets = 0;
        this.synced = 0;
        this.snapshots = [];
        this.inSnapshot = false;
        this.sparklines = null;
        this.kinds = [];
        this.ticks = new Map();
        this.tickOrder = [];
        this.latest = {};
        this.closed = null;
    }

    #take(m) {
        if (m.command === "close") {
            this.closed = m.control;
            return;
        }
        if (m.command)
            return;
        const d = m.data;
        if (!d || typeof d !== "object")
            throw new Error(`not a JSON object on the watch: ${abbreviate(m)}`);
        if (d.connection) {
            this.kinds.push("connection");
            this.connections.push(d.connection.state);
        } else if (d.reset === true && !("tick" in d)) {
            this.kinds.push("reset");
            this.resets++;
            this.inSnapshot = true;
            this.snapshots.push({ ids: [], complete: false });
            for (const id of Object.keys(this.vms))
                delete this.vms[id];
        } else if (d.vms) {
            this.kinds.push("vms");
            if (this.inSnapshot)
                this.snapshots.at(-1).ids.push(...Object.keys(d.vms));
            applyPatch(this.vms, d.vms);
        } else if (d.synced) {
            this.kinds.push("synced");
            this.synced++;
            this.inSnapshot = false;
            if (this.snapshots.length)
                this.snapshots.at(-1).complete = true;
        } else if (d.sparklines) {
            this.kinds.push("sparklines");
            this.sparklines ??= d.sparklines;
        } else if (typeof d.tick === "number") {
            this.kinds.push("tick");
            this.tickOrder.push(d.tick);
            const t = this.ticks.get(d.tick) ?? { tick: d.tick, interval: d.interval, host: d.host, usage: {} };
            t.host ??= d.host;
            Object.assign(t.usage, d.usage ?? {});
            this.ticks.set(d.tick, t);
            for (const [id, u] of Object.entries(d.usage ?? {}))
                this.latest[id] = { tick: d.tick, usage: u };
        } else {
            this.kinds.push("other");
        }
    }

    /** Folds every message that has arrived but was not consumed yet, so lastTick and friends are current. */
    pump() {
        const queue = this.b.queues.get(this.channel) ?? [];
        while (queue.length && !this.error) {
            try {
                this.#take(queue.shift());
            } catch (e) {
                this.error = e;
            }
        }
    }

    /** The highest tick number received so far (-1 before any). */
    get lastTick() {
        return this.tickOrder.length ? Math.max(...this.tickOrder) : -1;
    }

    /** Ticks received with a number above `after`, in order. */
    ticksAfter(after) {
        return [...this.ticks.values()].filter(t => t.tick > after).sort((a, b) => a.tick - b.tick);
    }

    /**
     * Consumes messages until `predicate(this)` holds (checked before the first message too); rejects after
     * `timeoutMs`, or when the channel closes first, with the channel's last frames.
     */
    async until(predicate, timeoutMs, what) {
        this.pump();
        if (this.error)
            throw new Error(`waiting for ${what}: ${this.error.message}\n${this.b.describe(this.channel)}`);
        if (predicate(this))
            return this;
        try {
            await this.b.next(this.channel, m => {
                try {
                    this.#take(m);
                    return Boolean(this.closed) || predicate(this);
                } catch (e) {
                    // Thrown from inside the bridge's frame handler: keep it for after the wait.
                    this.error ??= e;
                    return true;
                }
            }, timeoutMs);
        } catch (e) {
            e.message = `waiting for ${what}: ${e.message}`;
            throw e;
        }
        if (this.error)
            throw new Error(`waiting for ${what}: ${this.error.message}\n${this.b.describe(this.channel)}`);
        if (this.closed && !predicate(this))
            throw new Error(`waiting for ${what}: the watch closed: ${JSON.stringify(this.closed)}\n` +
                            this.b.describe(this.channel));
        return this;
    }

    /** Waits for the first synced. */
    synced1(timeoutMs = 60000) {
        return this.until(w => w.synced >= 1, timeoutMs, "the first synced");
    }

    /** Closes the channel and waits for the helper's close. */
    async close() {
        if (this.closed)
            return;
        this.b.close(this.channel);
        await this.until(w => w.closed, 10000, "the close");
    }
}

/** Runs op `history` for `vm` to its close; resolves with { messages, data: [data messages], close }. */
export async function history(b, uri, vm) {
    const ch = b.open({ payload: "virt1", op: "history", uri, vm });
    const messages = await b.untilClose(ch, 20000);
    return {
        messages,
        ready: messages.some(m => m.command === "ready"),
        data: messages.filter(m => !m.command).map(m => m.data),
        close: messages.at(-1).control,
        trail: messages.map(abbreviate).join("\n"),
    };
}
