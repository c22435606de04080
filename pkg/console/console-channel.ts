// The `virt1` `console` channel (docs/api.md): a binary cockpit.channel to a VM's VNC display or serial console,
// and how its end is read (clean end, stopped VM, busy, unsupported, failure).

import { openChannel } from "../client/transport/channels.ts";

export type ConsoleKind = "graphics" | "serial";

export interface ConsoleTarget {
    uri: string;
    /** the VM's UUID */
    id: string;
}

export function openConsoleChannel(target: ConsoleTarget, kind: ConsoleKind, force = false): cockpit.Channel {
    return openChannel({
        payload: "virt1", op: "console", uri: target.uri, vm: target.id, kind, binary: true,
        ...(force ? { force: true } : {}),
    });
}

/** How a console channel ended, from its close message. */
export type ConsoleEnd =
    /** closed without a problem: the VM stopped, or another viewer took the serial console over */
    { kind: "ended" } |
    { kind: "not-running" } |
    /** serial: someone else holds the console (libvirt-error 9); opening with force takes it over */
    { kind: "busy"; message: string } |
    /** this VM has no such console: retrying will not help */
    { kind: "unsupported"; message: string } |
    { kind: "failed"; message: string };

export function consoleEnd(options: cockpit.CloseOptions): ConsoleEnd {
    const message = options.message ?? (options.problem ? cockpit.message(options.problem) : "");
    if (!options.problem)
        return { kind: "ended" };
    if (options.problem === "not-supported" && message === "The VM is not running")
        return { kind: "not-running" };
    if (options.problem === "internal-error" && options["libvirt-error"] === 9)
        return { kind: "busy", message };
    if (options.problem === "not-supported")
        return { kind: "unsupported", message };
    return { kind: "failed", message };
}

/**
 * Ends a console channel gracefully: `done` lets the helper deliver what was sent before (keys typed or text pasted
 * just before the console closes) and then close the channel itself; closed here if that takes too long.
 */
export function finishChannel(channel: cockpit.Channel, timeoutMs = 2500): void {
    channel.control({ command: "done" });
    const timer = window.setTimeout(() => channel.close(), timeoutMs);
    channel.addEventListener("close", () => window.clearTimeout(timer));
}

/**
 * A WebSocket look-alike over a console channel, for noVNC's RFB (which accepts "a WebSocket or RTCDataChannel":
 * any object with these members). Frames keep their order and flow control is cockpit's own: cockpit.js answers
 * the helper's pings once the data before them was handed to onmessage.
 */
export class ChannelSocket {
    binaryType = "arraybuffer";
    protocol = "";
    readyState: number = WebSocket.CONNECTING;
    onopen: ((ev: Event) => void) | null = null;
    onmessage: ((ev: { data: ArrayBuffer }) => void) | null = null;
    onclose: ((ev: { code: number; reason: string; wasClean: boolean }) => void) | null = null;
    onerror: ((ev: Event) => void) | null = null;
    /** The channel's close message, once it closed. */
    closeOptions: cockpit.CloseOptions | null = null;
    private readonly channel: cockpit.Channel;

    constructor(channel: cockpit.Channel) {
        this.channel = channel;
        channel.addEventListener("ready", () => {
            this.readyState = WebSocket.OPEN;
            this.onopen?.(new Event("open"));
        });
        channel.addEventListener("message", (_ev: Event, data: Uint8Array) => {
            // cockpit.js hands out a view into the whole WebSocket message; RFB wants the bytes alone.
            this.onmessage?.({ data: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer });
        });
        channel.addEventListener("close", (_ev, options) => {
            this.closeOptions = options;
            this.readyState = WebSocket.CLOSED;
            const clean = !options.problem;
            const event = { code: clean ? 1000 : 1011, reason: options.message ?? options.problem ?? "", wasClean: clean };
            // Like a WebSocket's, the close event comes after close() returned (RFB starts a timer in between).
            window.setTimeout(() => this.onclose?.(event));
        });
    }

    send(data: Uint8Array): void {
        // RFB reuses its send buffer: copy, in case cockpit.js queues the message (transport not ready yet).
        if (this.readyState === WebSocket.OPEN)
            this.channel.send(data.slice());
    }

    close(): void {
        if (this.readyState === WebSocket.OPEN) {
            this.readyState = WebSocket.CLOSING;
            finishChannel(this.channel);
        } else if (this.readyState === WebSocket.CONNECTING) {
            this.readyState = WebSocket.CLOSED;
            this.channel.close();
        }
    }
}
