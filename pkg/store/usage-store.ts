// The usage store: live usage of every running VM by key (vmKey(uri, id)), with its CPU sparkline, and each
// connection's host usage. Only the watch clients write it (store/feed.ts), one tick at a time.
//
// Subscribers, so that a tick costs only what changed:
// - one VM (a row, the VM page): notified when that VM's entry changes: its numbers, or its sparkline's picture.
//   An unchanged VM (the helper does not send it again) gets its repeated point without a notification once its
//   sparkline is full and flat, since the picture is then the same;
// - the order (a list sorted by a usage column): notified at most once per tick, after all of the tick's
//   messages, and only when some VM's numbers changed;
// - hosts (the summary above the list), and each connection's tick (the VM page's graphs).

import type { UsageMessage } from "../client/watch-client.ts";
import { type HostUsage, type VmUsage, vmKey } from "../types.ts";

import { KeyedListeners, Listeners } from "./listeners.ts";

/** How much CPU history a row's sparkline shows. */
export const SPARKLINE_SECONDS = 300;
/** A tick's messages arrive back to back; the order is recomputed once they are all in. */
const ORDER_DELAY_MS = 100;

/** What a row shows of one running VM. Immutable: a new object whenever something shown changes. */
export interface UsageEntry {
    usage: VmUsage;
    /** CPU % per tick, oldest first, at most sparkCap values */
    spark: readonly number[];
    /** how many values the sparkline holds when full (5 minutes of ticks) */
    sparkCap: number;
}

interface Track {
    entry: UsageEntry;
    /** the tick of the sparkline's last value */
    sparkTick: number;
    /** every value of the sparkline equals its last one */
    flat: boolean;
    /** the usage stream (one `sparklines` + reset tick) this track was last refreshed in */
    epoch: number;
}

interface Connection {
    tracks: Map<string, Track>;
    tick: number;
    /** the time of the last tick, in browser milliseconds */
    tickTime: number;
    interval: number;
    epoch: number;
    /** between `sparklines` and the first ordinary tick: the reset tick's messages are arriving */
    resetting: boolean;
    pendingSpark: Map<string, number[]>;
    host: HostUsage | null;
}

function isFlat(values: readonly number[]): boolean {
    const last = values.at(-1);
    return values.every(v => v === last);
}

function sameUsage(a: VmUsage, b: VmUsage): boolean {
    return a.cpu === b.cpu && a.memoryUsed === b.memoryUsed && a.memoryTotal === b.memoryTotal &&
        a.memoryFromGuest === b.memoryFromGuest && a.diskRead === b.diskRead && a.diskWrite === b.diskWrite &&
        a.netRx === b.netRx && a.netTx === b.netTx && a.responding === b.responding;
}

function sameHost(a: HostUsage | null, b: HostUsage | null): boolean {
    return a === b || (a !== null && b !== null && a.cpus === b.cpus && a.cpu === b.cpu &&
        a.memoryTotal === b.memoryTotal && a.memoryUsed === b.memoryUsed);
}

function sparkCapOf(interval: number): number {
    return Math.max(2, Math.round(SPARKLINE_SECONDS / interval));
}

/** `values` followed by `count` copies of `value`, keeping the last `cap`. */
function appended(values: readonly number[], value: number, count: number, cap: number): number[] {
    const n = Math.min(count, cap);
    const keep = Math.max(0, Math.min(values.length, cap - n));
    const out = values.slice(values.length - keep);
    for (let i = 0; i < n; i++)
        out.push(value);
    return out;
}

export class UsageStore {
    #connections = new Map<string, Connection>();
    #entries = new Map<string, UsageEntry>();
    #orderVersion = 0;
    #orderTimer: number | null = null;
    #orderDirty = false;
    #hosts: readonly { uri: string; host: HostUsage }[] = [];

    readonly vmListeners = new KeyedListeners();
    readonly orderListeners = new Listeners();
    readonly hostListeners = new Listeners();
    /** keyed by connection URI: notified after each tick message of that connection */
    readonly tickListeners = new KeyedListeners();

    /** The usage of a running VM, or undefined (not running, or no tick yet). */
    get = (key: string): UsageEntry | undefined => this.#entries.get(key);

    /** Bumped (at most once per tick) when a sort by usage may come out differently. */
    getOrderVersion = (): number => this.#orderVersion;

    /** The connections that report their host, in the order they first did. */
    getHosts = (): readonly { uri: string; host: HostUsage }[] => this.#hosts;

    /** The last tick of `uri` and when it arrived (browser ms), or null before the first one. */
    getTick(uri: string): { tick: number; time: number; interval: number } | null {
        const conn = this.#connections.get(uri);
        return conn && conn.tick >= 0 ? { tick: conn.tick, time: conn.tickTime, interval: conn.interval } : null;
    }

    #connection(uri: string): Connection {
        let conn = this.#connections.get(uri);
        if (!conn) {
            conn = {
                tracks: new Map(), tick: -1, tickTime: 0, interval: 5, epoch: 0, resetting: false,
                pendingSpark: new Map(), host: null,
            };
            this.#connections.set(uri, conn);
        }
        return conn;
    }

    apply(uri: string, message: UsageMessage): void {
        const conn = this.#connection(uri);
        if (message.kind === "sparklines") {
            conn.epoch++;
            conn.resetting = true;
            conn.pendingSpark = message.sparklines;
            return;
        }

        const { tick, interval, reset, host, usage } = message;
        conn.interval = interval;
        const cap = sparkCapOf(interval);
        const changed: string[] = [];
        let orderChanged = false;

        if (reset && !conn.resetting) { // a reset tick without sparklines before it
            conn.epoch++;
            conn.resetting = true;
            conn.pendingSpark = new Map();
        }
        if (!reset && conn.resetting) {
            // The reset is complete: whatever it did not mention is not running.
            for (const [id, track] of conn.tracks) {
                if (track.epoch !== conn.epoch) {
                    conn.tracks.delete(id);
                    this.#entries.delete(vmKey(uri, id));
                    changed.push(vmKey(uri, id));
                    orderChanged = true;
                }
            }
            conn.resetting = false;
            conn.pendingSpark = new Map();
        }

        // The first message of a new tick: VMs it does not mention kept their numbers for this tick.
        if (!reset && tick > conn.tick) {
            for (const [id, track] of conn.tracks) {
                if (!usage.has(id) && this.#advance(track, tick, cap)) {
                    this.#entries.set(vmKey(uri, id), track.entry);
                    changed.push(vmKey(uri, id));
                }
            }
        }

        for (const [id, next] of usage) {
            const key = vmKey(uri, id);
            const track = conn.tracks.get(id);
            if (next === null) {
                if (track) {
                    conn.tracks.delete(id);
                    this.#entries.delete(key);
                    changed.push(key);
                    orderChanged = true;
                }
                continue;
            }
            if (!track || !sameUsage(track.entry.usage, next))
                orderChanged = true;
            const updated = reset
                ? this.#resetTrack(track, next, conn.pendingSpark.get(id), tick, cap, conn.epoch)
                : this.#updateTrack(track, next, tick, cap, conn.epoch);
            if (track !== undefined && updated.entry === track.entry) {
                track.sparkTick = updated.sparkTick;
                track.epoch = updated.epoch;
            } else {
                conn.tracks.set(id, updated);
                this.#entries.set(key, updated.entry);
                changed.push(key);
            }
        }

        conn.tick = Math.max(conn.tick, tick);
        conn.tickTime = Date.now();
        if (host && !sameHost(host, conn.host)) {
            conn.host = host;
            this.#hosts = this.#hosts.some(h => h.uri === uri)
                ? this.#hosts.map(h => h.uri === uri ? { uri, host } : h)
                : [...this.#hosts, { uri, host }];
            this.hostListeners.notify();
        }

        for (const key of changed)
            this.vmListeners.notify(key);
        this.tickListeners.notify(uri);
        if (orderChanged)
            this.#scheduleOrder();
    }

    /** Forgets a connection the page no longer lists: its host and its VMs' usage. */
    forgetConnection(uri: string): void {
        const conn = this.#connections.get(uri);
        for (const id of conn ? [...conn.tracks.keys()] : [])
            this.remove(uri, id);
        this.#connections.delete(uri);
        if (this.#hosts.some(h => h.uri === uri)) {
            this.#hosts = this.#hosts.filter(h => h.uri !== uri);
            this.hostListeners.notify();
        }
    }

    /** Forgets a VM that is gone (undefined). */
    remove(uri: string, id: string): void {
        const conn = this.#connections.get(uri);
        if (conn?.tracks.delete(id)) {
            this.#entries.delete(vmKey(uri, id));
            this.vmListeners.notify(vmKey(uri, id));
            this.#scheduleOrder();
        }
    }

    /** A VM the tick did not mention: its last value repeats. True when its entry changed. */
    #advance(track: Track, tick: number, cap: number): boolean {
        const { entry } = track;
        const count = tick - track.sparkTick;
        track.sparkTick = tick;
        // A VM that does not respond gets no history points (the helper keeps none either).
        if (count <= 0 || !entry.usage.responding)
            return false;
        const last = entry.spark.at(-1) ?? entry.usage.cpu;
        if (track.flat && last === entry.usage.cpu && entry.spark.length >= cap && entry.sparkCap === cap)
            return false; // same picture
        const spark = appended(entry.spark, last, count, cap);
        track.entry = { ...entry, spark, sparkCap: cap };
        track.flat = isFlat(spark);
        return true;
    }

    #resetTrack(track: Track | undefined, usage: VmUsage, sent: number[] | undefined, tick: number, cap: number,
                epoch: number): Track {
        // The helper's sparkline already holds this tick's value.
        const spark = sent && sent.length > 0 ? sent.slice(-cap) : [usage.cpu];
        if (track && sameUsage(track.entry.usage, usage) && track.entry.sparkCap === cap &&
            track.entry.spark.length === spark.length && track.entry.spark.every((v, i) => v === spark[i]))
            return { ...track, sparkTick: tick, epoch };
        return { entry: { usage, spark, sparkCap: cap }, sparkTick: tick, flat: isFlat(spark), epoch };
    }

    #updateTrack(track: Track | undefined, usage: VmUsage, tick: number, cap: number, epoch: number): Track {
        if (!track || track.epoch !== epoch)
            return { entry: { usage, spark: [usage.cpu], sparkCap: cap }, sparkTick: tick, flat: true, epoch };
        const old = track.entry;
        let spark: readonly number[];
        if (!usage.responding) {
            spark = old.spark; // no point while it does not answer
        } else if (track.sparkTick >= tick) {
            // This tick's value was already added (as the last one repeated): replace it.
            spark = old.spark.length > 0 ? [...old.spark.slice(0, -1), usage.cpu] : [usage.cpu];
        } else {
            const last = old.spark.at(-1) ?? usage.cpu;
            spark = appended(appended(old.spark, last, tick - track.sparkTick - 1, cap), usage.cpu, 1, cap);
        }
        if (spark === old.spark && sameUsage(old.usage, usage))
            return { ...track, sparkTick: Math.max(track.sparkTick, tick) };
        return {
            entry: { usage, spark, sparkCap: cap },
            sparkTick: Math.max(track.sparkTick, tick),
            flat: isFlat(spark),
            epoch,
        };
    }

    #scheduleOrder(): void {
        this.#orderDirty = true;
        if (this.#orderTimer !== null)
            return;
        this.#orderTimer = window.setTimeout(() => {
            this.#orderTimer = null;
            if (this.#orderDirty) {
                this.#orderDirty = false;
                this.#orderVersion++;
                this.orderListeners.notify();
            }
        }, ORDER_DELAY_MS);
    }
}

export const usageStore = new UsageStore();
