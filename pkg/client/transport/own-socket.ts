// A WebSocket of the page's own to cockpit-ws, for the list's early channels (early-open.ts, run by the page's
// first script, pkg/first.ts, inline in index.html before cockpit.js; or by boot.js).
//
// In the shell's frame, cockpit.js sends every message through the shell's page: nothing leaves before the shell
// has answered the frame's `init`, and every message each way is one more task on the renderer thread the shell,
// the pages it preloads and this page share. That handshake waited 40–100 ms behind their scripts. cockpit-ws
// takes more than one WebSocket per login (each with its own channel seed) and routes them to the same bridge, so
// the same channel opened here reaches the same helper, without the shell in the way.
//
// The channels are opened as soon as the socket is open, not after cockpit-ws's `init`: on the shared thread each
// event waits for a slot (40–80 ms with the shell's preloaded pages), and that `init` carries nothing the opens need
// but a channel-id seed. cockpit-ws only asks that ids be unique within the login, so this socket makes its own
// prefix, random and not a number like cockpit-ws's seeds (`1:`), which another tab's socket cannot repeat.
//
// Used only in a frame of the local host's page (the shell's other hosts go through the shell's transport). If the
// socket fails before a channel saw anything, that channel goes through cockpit.js after all, unseen by its user;
// cockpit.js may not have run yet then (the first script runs before it), so the move waits for it.

import { cockpitSocketUrl } from "./socket-url.ts";

type Listener = (ev: Event, arg: never) => void;
type EventType = "message" | "ready" | "close" | "control";

/** cockpit-ws's `init` must come by then, or the channels go through cockpit.js. */
const INIT_TIMEOUT_MS = 5000;
/** A message over this is refused (the socket closes): the early watches' snapshot comes in ≤ ~128 KiB messages. */
const MAX_MESSAGE_CHARS = 16 << 20;

/** The subset of cockpit.Channel the early watches use. */
export interface EarlyTransportChannel {
    readonly valid: boolean;
    send(data: string): void;
    control(options: { command?: string; [field: string]: cockpit.JsonValue | undefined }): void;
    close(problem?: string | cockpit.CloseOptions): void;
    addEventListener(type: "message", listener: (ev: Event, data: string) => void): void;
    addEventListener(type: "ready" | "close" | "control", listener: (ev: Event, options: cockpit.CloseOptions) => void): void;
}

type ControlMessage = { command: string; channel?: string; [field: string]: cockpit.JsonValue | undefined };

/** A channel-id prefix of this socket's own: `virt-` and 64 random bits in hex. */
function channelPrefix(): string {
    const bits = crypto.getRandomValues(new Uint32Array(2));
    return `virt-${[...bits].map(n => n.toString(16).padStart(8, "0")).join("")}:`;
}

class OwnSocket {
    readonly #ws: WebSocket;
    /** Set once the socket is open and its init sent: channels can be opened from then on. */
    #prefix: string | null = null;
    #heardInit = false;
    #next = 0;
    #ended = false;
    #heardData = false;
    readonly #channels = new Map<string, OwnChannel>();
    readonly #waiting = new Set<OwnChannel>();

    constructor(url: string) {
        this.#ws = new WebSocket(url, "cockpit1");
        this.#ws.addEventListener("open", () => this.#opened());
        this.#ws.addEventListener("message", ev => this.#receive(ev.data));
        this.#ws.addEventListener("close", () => this.#end());
        this.#ws.addEventListener("error", () => this.#end());
        window.setTimeout(() => {
            if (!this.#heardInit)
                this.#close();
        }, INIT_TIMEOUT_MS);
    }

    #opened(): void {
        performance.mark("virt:socket-open");
        this.#ws.send(`\n${JSON.stringify({ command: "init", version: 1 })}`);
        this.#prefix = channelPrefix();
        const waiting = [...this.#waiting];
        this.#waiting.clear();
        for (const channel of waiting)
            this.attach(channel);
        if (this.#channels.size === 0)
            this.#close(); // its channels were closed while it connected
    }

    /** Whether channels can still be opened here (no failure, no close). */
    get usable(): boolean {
        return !this.#ended;
    }

    /** Opens `channel` on this socket now, or once the socket is open. */
    attach(channel: OwnChannel): void {
        if (this.#prefix === null) {
            this.#waiting.add(channel);
            return;
        }
        const id = `${this.#prefix}${++this.#next}`;
        this.#channels.set(id, channel);
        this.sendControl({ ...channel.options, command: "open", channel: id, "flow-control": true });
        channel.opened(id);
    }

    /** `channel` is done with the socket (`id`: the one it was opened with; null: not opened yet). */
    detach(channel: OwnChannel, id: string | null): void {
        if (id === null)
            this.#waiting.delete(channel);
        else
            this.#channels.delete(id);
        // The socket is for the early watches only: once none is left, it goes.
        if (this.#channels.size === 0 && this.#waiting.size === 0 && this.#prefix !== null)
            this.#close();
    }

    sendControl(message: ControlMessage): void {
        if (!this.#ended)
            this.#ws.send(`\n${JSON.stringify(message)}`);
    }

    sendData(id: string, data: string): void {
        if (!this.#ended)
            this.#ws.send(`${id}\n${data}`);
    }

    #receive(raw: unknown): void {
        if (typeof raw !== "string" || raw.length > MAX_MESSAGE_CHARS) {
            this.#close();
            return;
        }
        const newline = raw.indexOf("\n");
        if (newline < 0) {
            this.#close();
            return;
        }
        const id = raw.slice(0, newline);
        const payload = raw.slice(newline + 1);
        if (id) {
            if (!this.#heardInit) {
                this.#close(); // cockpit-ws speaks its init first
                return;
            }
            if (!this.#heardData) {
                this.#heardData = true;
                performance.mark("virt:socket-data");
            }
            this.#channels.get(id)?.data(payload);
            return;
        }
        let message: unknown;
        try {
            message = JSON.parse(payload);
        } catch {
            this.#close();
            return;
        }
        if (typeof message !== "object" || message === null || typeof (message as ControlMessage).command !== "string") {
            this.#close();
            return;
        }
        this.#control(message as ControlMessage);
    }

    #control(message: ControlMessage): void {
        if (message.command === "init") {
            if (this.#heardInit || message.version !== 1) {
                this.#close();
                return;
            }
            performance.mark("virt:socket-init");
            this.#heardInit = true;
            return;
        }
        // cockpit-ws speaks its init first
        if (!this.#heardInit) {
            this.#close();
            return;
        }
        if (message.command === "ping") {
            this.sendControl({ ...message, command: "pong" });
            return;
        }
        if (typeof message.channel === "string")
            this.#channels.get(message.channel)?.controlled(message);
    }

    #close(): void {
        if (!this.#ended)
            this.#ws.close();
        this.#end();
    }

    #end(): void {
        if (this.#ended)
            return;
        this.#ended = true;
        const all = [...this.#waiting, ...this.#channels.values()];
        this.#waiting.clear();
        this.#channels.clear();
        for (const channel of all)
            channel.socketEnded();
        if (window.virtOwnSocket === this)
            window.virtOwnSocket = undefined;
    }
}

/**
 * One channel on the page's own socket. Until the other end has sent anything on it, a failure of the socket moves
 * it to cockpit.js's transport (the open and the data sent so far go again there); afterwards it closes as
 * "disconnected", as a cockpit.js channel does when its transport goes.
 */
class OwnChannel implements EarlyTransportChannel {
    readonly options: cockpit.ChannelOptions;
    #socket: OwnSocket | null;
    #id: string | null = null;
    #heard = false;
    #closed = false;
    #fallback: cockpit.Channel | null = null;
    /** Data sent before the other end said anything: sent again if the channel moves to cockpit.js. */
    #unanswered: string[] = [];
    readonly #listeners: Record<EventType, Set<Listener>> = {
        message: new Set(), ready: new Set(), close: new Set(), control: new Set(),
    };

    /** `socket` null: none could be opened, so the channel goes to cockpit.js's transport at once (or once it ran). */
    constructor(socket: OwnSocket | null, options: cockpit.ChannelOptions) {
        this.options = options;
        this.#socket = socket;
        if (socket)
            socket.attach(this);
        else
            this.socketEnded();
    }

    get valid(): boolean {
        return this.#fallback ? this.#fallback.valid : !this.#closed;
    }

    addEventListener(type: EventType, listener: (ev: Event, arg: never) => void): void {
        this.#listeners[type].add(listener);
        this.#fallback?.addEventListener(type as "message", listener as never);
    }

    send(data: string): void {
        if (this.#fallback) {
            this.#fallback.send(data);
            return;
        }
        if (this.#closed)
            return;
        if (!this.#heard)
            this.#unanswered.push(data);
        if (this.#id !== null)
            this.#socket?.sendData(this.#id, data);
    }

    control(options: { command?: string; [field: string]: cockpit.JsonValue | undefined }): void {
        if (this.#fallback)
            this.#fallback.control(options);
        else if (this.#id !== null && !this.#closed)
            this.#socket?.sendControl({ ...options, command: options.command ?? "options", channel: this.#id });
    }

    close(problem?: string | cockpit.CloseOptions): void {
        if (this.#fallback) {
            this.#fallback.close(problem);
            return;
        }
        if (this.#closed)
            return;
        const options = typeof problem === "string" ? { problem } : problem ?? {};
        if (this.#id !== null)
            this.#socket?.sendControl({ ...options, command: "close", channel: this.#id });
        this.#finish({ ...options, command: "close" });
    }

    /** The socket gave it an id and sent its open: what was sent before follows it. */
    opened(id: string): void {
        this.#id = id;
        for (const data of this.#unanswered)
            this.#socket?.sendData(id, data);
    }

    data(payload: string): void {
        this.#answered();
        this.#emit("message", payload);
    }

    controlled(message: ControlMessage): void {
        this.#answered();
        if (message.command === "close") {
            this.#finish(message);
            return;
        }
        if (message.command === "ready")
            this.#emit("ready", message);
        this.#emit("control", message);
    }

    socketEnded(): void {
        if (this.#closed)
            return;
        if (this.#heard) {
            this.#finish({ command: "close", problem: "disconnected" });
            return;
        }
        // Nothing came yet: the same open through the shell's transport, with the listeners moved over.
        this.#detach();
        whenCockpit(() => this.#moveToCockpit());
    }

    /** Until then (cockpit.js had not run yet) data sent is kept, controls dropped; a close ends it here. */
    #moveToCockpit(): void {
        if (this.#closed)
            return;
        if (typeof cockpit === "undefined") {
            this.#finish({ command: "close", problem: "disconnected" });
            return;
        }
        const fallback = cockpit.channel(this.options);
        this.#fallback = fallback;
        for (const [type, listeners] of Object.entries(this.#listeners)) {
            for (const listener of listeners)
                fallback.addEventListener(type as "message", listener as never);
        }
        for (const data of this.#unanswered)
            fallback.send(data);
        this.#unanswered = [];
    }

    #answered(): void {
        this.#heard = true;
        this.#unanswered = [];
    }

    #finish(message: ControlMessage | cockpit.CloseOptions): void {
        this.#closed = true;
        this.#detach();
        this.#emit("close", message);
    }

    #detach(): void {
        const socket = this.#socket;
        this.#socket = null;
        socket?.detach(this, this.#id);
    }

    #emit(type: EventType, arg: unknown): void {
        const ev = new Event(type);
        for (const listener of [...this.#listeners[type]])
            listener(ev, arg as never);
    }
}

declare global {
    interface Window {
        /** The socket of the early channels; shared by first.js and boot.js, separate bundles. */
        virtOwnSocket?: OwnSocket | undefined;
    }
}

/**
 * Runs `fn` once cockpit.js has run: now, or when the document's scripts have all run. cockpit.js is a deferred
 * script, so the document is no longer "loading" before it runs: DOMContentLoaded is what follows it.
 */
function whenCockpit(fn: () => void): void {
    const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
    if (typeof cockpit !== "undefined" || (nav?.domContentLoadedEventStart ?? 1) > 0)
        fn();
    else
        document.addEventListener("DOMContentLoaded", fn, { once: true });
}

/** Whether this page runs in the shell's frame for the local host (the only case the own socket is for). */
function inLocalShellFrame(): boolean {
    return window.parent !== window && window.name.startsWith("cockpit1:localhost/");
}

/** The early channels' socket, opened now if there is none that is usable; null if none can be opened. */
function ownSocket(): OwnSocket | null {
    const current = window.virtOwnSocket;
    if (current?.usable)
        return current;
    const url = cockpitSocketUrl();
    if (url === null)
        return null;
    try {
        window.virtOwnSocket = new OwnSocket(url);
    } catch (ex) {
        // a policy that forbids the connection: the shell's transport it is
        console.warn("virt: no socket of the page's own:", ex);
        return null;
    }
    return window.virtOwnSocket;
}

/** Whether early channels can go through a socket of the page's own here (tried once, by pkg/first.ts). */
export function ownSocketUsable(): boolean {
    return inLocalShellFrame() && ownSocket() !== null;
}

/**
 * A channel for `options` on the page's own socket in the shell's frame for the local host (if that socket cannot be
 * opened, through cockpit.js once it has run); elsewhere (no shell, or another host) cockpit.js's own channel, whose
 * transport is as direct as it gets.
 */
export function openEarlyTransportChannel(options: cockpit.ChannelOptions): EarlyTransportChannel {
    return inLocalShellFrame() ? new OwnChannel(ownSocket(), options) : cockpit.channel(options);
}
