// The list's `watch` channels opened by the page's early scripts (early-open.ts), before the main script is even
// fetched: the helper spawns, connects to libvirt and sends its snapshot while React and PatternFly are parsed.
// Until the store takes a channel over, its messages and its close are buffered here. The store takes a channel
// only if it would open the very same one on the very same route (channels.ts: the user's own bridge); whatever is
// not taken is closed once the store has started its watches, or after EARLY_TIMEOUT_MS.
// The early scripts and index.js are separate bundles: they meet on a window property, not on module state.

import { listedUris } from "../connection-list.ts";

import { type EarlyTransportChannel, openEarlyTransportChannel } from "./own-socket.ts";

/** The options the list's watch client opens a connection's channel with (watch-client.ts). */
export function watchOptions(uri: string): cockpit.ChannelOptions {
    return { payload: "virt1", op: "watch", uri, usage: true };
}

/** An early channel not taken over by then is closed (its buffer dropped). */
const EARLY_TIMEOUT_MS = 30000;
/** A buffer that grows past this is dropped with its channel; the store then opens its own. */
const MAX_BUFFERED_CHARS = 64 << 20;
/**
 * Replayed at once when taken: about the helper's first `vms` message (≤ ~128 KiB, the list's first screenful). The
 * rest of a buffered snapshot follows after the next frame, so those rows are painted before it is parsed.
 */
const FIRST_SLICE_CHARS = 64 << 10;
/** The rest follows after this even if no frame comes (a browser tab in the background runs no animation frames). */
const REST_AFTER_MS = 100;

type Listener = (ev: Event, arg: never) => void;
type Buffered = { type: "message"; ev: Event; data: string } | { type: "close"; ev: Event; options: cockpit.CloseOptions };

/** A cockpit.Channel whose events before the first listeners are kept and replayed to them. */
class EarlyChannel implements cockpit.Channel {
    readonly #channel: EarlyTransportChannel;
    readonly #options: cockpit.ChannelOptions;
    #buffer: Buffered[] | null = [];
    #bufferedChars = 0;
    #taken = false;
    readonly #listeners = {
        message: new Set<Listener>(), close: new Set<Listener>(), ready: new Set<Listener>(), control: new Set<Listener>(),
    };

    constructor(options: cockpit.ChannelOptions) {
        const channel = openEarlyTransportChannel(options);
        this.#channel = channel;
        this.#options = options;
        channel.addEventListener("message", (ev, data) => this.#event({ type: "message", ev, data }, data.length));
        channel.addEventListener("close", (ev, options) => this.#event({ type: "close", ev, options }, 0));
        // ready and control messages are not buffered: a watch's first listeners are added before either matters
        channel.addEventListener("ready", (ev, options) => this.#forward("ready", ev, options));
        channel.addEventListener("control", (ev, message) => this.#forward("control", ev, message));
    }

    get valid(): boolean {
        return this.#channel.valid;
    }

    get options(): cockpit.ChannelOptions {
        return this.#options;
    }

    /** Whether nothing made it unusable: still buffering, not dropped. */
    get usable(): boolean {
        return this.#buffer !== null;
    }

    send(data: string | Uint8Array): void {
        this.#channel.send(data as string);
    }

    control(options: { command?: string; [field: string]: cockpit.JsonValue | undefined }): void {
        this.#channel.control(options);
    }

    close(problem?: string | cockpit.CloseOptions): void {
        this.#buffer = null;
        this.#channel.close(problem);
    }

    addEventListener(type: "message" | "ready" | "close" | "control", listener: Listener): void {
        this.#listeners[type].add(listener);
    }

    removeEventListener(type: "message" | "ready" | "close" | "control", listener: (...args: never[]) => void): void {
        this.#listeners[type].delete(listener as Listener);
    }

    #forward(type: "ready" | "control", ev: Event, options: cockpit.CloseOptions): void {
        for (const listener of [...this.#listeners[type]])
            listener(ev, options as never);
    }

    /**
     * Hands the channel over: what was buffered is delivered once the caller has added its listeners, its first
     * ~FIRST_SLICE_CHARS at once and the rest after the next frame; until then new events queue behind it.
     */
    take(): void {
        this.#taken = true;
        queueMicrotask(() => {
            let replayed = 0;
            while (this.#buffer && this.#buffer.length > 0 && replayed < FIRST_SLICE_CHARS) {
                const item = this.#buffer.shift() as Buffered;
                replayed += item.type === "message" ? item.data.length : 0;
                this.#dispatch(item);
            }
            if (this.#buffer && this.#buffer.length > 0)
                afterNextFrame(() => this.#replayRest());
            else
                this.#buffer = null;
        });
    }

    #replayRest(): void {
        const buffer = this.#buffer;
        this.#buffer = null;
        for (const item of buffer ?? [])
            this.#dispatch(item);
    }

    #event(item: Buffered, chars: number): void {
        if (item.type === "message" && this.#bufferedChars === 0 && !this.#taken)
            performance.mark("virt:early-first"); // the helper's first message, buffered
        if (this.#buffer === null) {
            if (this.#taken)
                this.#dispatch(item);
            return;
        }
        if (this.#taken) {
            this.#buffer.push(item); // behind the rest of the replay
            return;
        }
        this.#buffer.push(item);
        this.#bufferedChars += chars;
        if (this.#bufferedChars > MAX_BUFFERED_CHARS)
            this.close();
    }

    #dispatch(item: Buffered): void {
        if (item.type === "message") {
            for (const listener of [...this.#listeners.message])
                listener(item.ev, item.data as never);
        } else {
            for (const listener of [...this.#listeners.close])
                listener(item.ev, item.options as never);
        }
    }
}

/** Runs `fn` once, after the next frame was painted (or after REST_AFTER_MS without frames). */
function afterNextFrame(fn: () => void): void {
    let done = false;
    const once = () => {
        if (!done) {
            done = true;
            fn();
        }
    };
    requestAnimationFrame(() => window.setTimeout(once, 0));
    window.setTimeout(once, REST_AFTER_MS);
}

interface Registry {
    channels: Map<string, EarlyChannel>;
    /** the store has started its watches: no early one opens any more */
    released: boolean;
    /** the saved connections' URIs (null: not known), once the helper has listed them */
    saved?: Promise<string[] | null>;
}

declare global {
    interface Window {
        virtEarlyWatches?: Registry;
    }
}

/** early-open.ts: opens the watch of each of `uris` now (through the user's own bridge, as channels.ts would). */
export function openEarlyWatches(uris: readonly string[]): void {
    const registry = window.virtEarlyWatches ??= { channels: new Map(), released: false };
    if (registry.released)
        return;
    for (const uri of uris) {
        if (!registry.channels.has(uri))
            registry.channels.set(uri, new EarlyChannel(watchOptions(uri)));
    }
    window.setTimeout(releaseEarlyWatches, EARLY_TIMEOUT_MS);
}

/** early-open.ts: asks for the user's saved connections (op `connections`, `list`) and opens their watches too, so the
 * remote hosts' snapshots need not wait for the main script. The store reads the same answer (earlySavedUris). */
export function openSavedConnectionWatches(): void {
    const registry = window.virtEarlyWatches ??= { channels: new Map(), released: false };
    registry.saved = new Promise(resolve => {
        const channel = openEarlyTransportChannel({ payload: "virt1", op: "connections", action: "list" });
        channel.addEventListener("close", (_ev, options) => {
            if (options.problem) {
                resolve(null);
                return;
            }
            const uris = listedUris(options);
            openEarlyWatches(uris);
            resolve(uris);
        });
    });
}

/** The saved connections' URIs as the early scripts were told them; null if it did not ask or was refused. */
export function earlySavedUris(): Promise<string[] | null> {
    return window.virtEarlyWatches?.saved ?? Promise.resolve(null);
}

function sameOptions(a: cockpit.ChannelOptions, b: cockpit.ChannelOptions): boolean {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every(k => a[k] === b[k]);
}

/** channels.ts: the early channel for exactly these options, taken over (once), or null. */
export function takeEarlyWatch(options: cockpit.ChannelOptions): cockpit.Channel | null {
    const uri = options.uri;
    const channels = window.virtEarlyWatches?.channels;
    if (typeof uri !== "string" || !channels)
        return null;
    const early = channels.get(uri);
    if (!early)
        return null;
    channels.delete(uri);
    if (!early.usable || !sameOptions(early.options, options)) {
        early.close();
        return null;
    }
    early.take();
    return early;
}

/** Closes the early channels nobody took (another route, another connection list). */
export function releaseEarlyWatches(): void {
    const registry = window.virtEarlyWatches ??= { channels: new Map(), released: true };
    registry.released = true;
    for (const early of registry.channels.values())
        early.close();
    registry.channels.clear();
}
