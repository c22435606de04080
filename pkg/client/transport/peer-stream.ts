// The helper run as root: cockpit's privileged bridge cannot load our manifest peer, but it runs built-in `stream`
// channels, so the page spawns the helper there and plays the bridge's part itself over that one byte stream: it
// answers the helper's `init`, opens and closes channels, passes data both ways and answers flow-control pings.
// PeerChannel behaves like a cockpit.channel() (events ready/message/control/close, send, control, close), so
// the clients above cannot tell the two transports apart.

import { FrameError, FrameReader, encodeControl, encodeFrame } from "./frames.ts";

type ControlMessage = Record<string, cockpit.JsonValue | undefined>;
type EventType = "ready" | "message" | "control" | "close";
type Listener = (ev: Event, arg: never) => void;

const decoder = new TextDecoder();

function isObject(value: unknown): value is Record<string, cockpit.JsonValue> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

export class PeerChannel {
    readonly options: cockpit.ChannelOptions;
    readonly #id: string;
    readonly #stream: PeerStream;
    readonly #listeners: Record<EventType, Set<Listener>> = {
        ready: new Set(), message: new Set(), control: new Set(), close: new Set(),
    };

    #closed: cockpit.CloseOptions | null = null;

    constructor(stream: PeerStream, id: string, options: cockpit.ChannelOptions) {
        this.#stream = stream;
        this.#id = id;
        this.options = options;
    }

    get valid(): boolean {
        return this.#closed === null;
    }

    addEventListener(type: EventType, listener: (ev: Event, arg: never) => void): void {
        this.#listeners[type].add(listener);
    }

    removeEventListener(type: EventType, listener: (...args: never[]) => void): void {
        this.#listeners[type].delete(listener as Listener);
    }

    send(data: string | Uint8Array): void {
        if (this.#closed === null)
            this.#stream.sendData(this.#id, data);
    }

    control(options: { command?: string; [field: string]: cockpit.JsonValue | undefined }): void {
        if (this.#closed === null)
            this.#stream.sendControl({ ...options, command: options.command ?? "options", channel: this.#id });
    }

    close(problem?: string | cockpit.CloseOptions): void {
        if (this.#closed !== null)
            return;
        const options: cockpit.CloseOptions = typeof problem === "string" ? { problem } : { ...problem };
        this.#stream.closeFromPage(this.#id, options);
        this.closed(options);
    }

    /** A data frame from the helper. */
    received(payload: Uint8Array): void {
        if (this.#closed === null)
            this.#dispatch("message", this.options.binary ? payload : decoder.decode(payload));
    }

    /** A control message from the helper for this channel (ping is answered by the stream). */
    receivedControl(message: ControlMessage): void {
        if (message.command === "close") {
            this.closed(message);
            return;
        }
        if (message.command === "ready") {
            this.#dispatch("ready", message);
        }
        this.#dispatch("control", message);
    }

    /** The channel's end, from either side or from the stream going away. */
    closed(options: cockpit.CloseOptions): void {
        if (this.#closed !== null)
            return;
        this.#closed = options;
        this.#dispatch("close", options);
    }

    #dispatch(type: EventType, arg: unknown): void {
        const event = new Event(type);
        for (const listener of [...this.#listeners[type]])
            listener(event, arg as never);
    }
}

/** One root helper behind one privileged `stream` channel, multiplexing any number of PeerChannels. */
export class PeerStream {
    #stream: cockpit.Channel | null = null;
    readonly #reader = new FrameReader();
    readonly #channels = new Map<string, PeerChannel>();
    /** ids the page closed whose echo from the helper has not come back yet */
    readonly #closing = new Set<string>();
    /** frames written before the helper's `init` arrived */
    #pending: Uint8Array[] | null = [];
    #nextId = 1;
    #ended: cockpit.CloseOptions | null = null;
    readonly #superuser: boolean;

    /**
     * `executable`: the helper's path (op `info` of the unprivileged helper); frames wait for it and for init.
     * `superuser`: spawn it in the privileged bridge (as root); false only for tests of the transport itself.
     */
    constructor(executable: Promise<string>, { superuser }: { superuser: boolean }) {
        this.#superuser = superuser;
        executable.then(path => this.#spawn(path),
                        (ex: unknown) => this.#end({ problem: "internal-error", message: String(ex) }));
    }

    #spawn(executable: string): void {
        if (this.#ended)
            return;
        const stream = cockpit.channel({
            payload: "stream", spawn: [executable, "--cockpit-peer"], binary: true,
            ...this.#superuser ? { superuser: "require" } : {},
        });
        this.#stream = stream;
        stream.addEventListener("message", (_ev, data: Uint8Array) => this.#receive(data));
        stream.addEventListener("close", (_ev, options) => {
            this.#end({
                problem: options.problem ?? "terminated",
                message: options.message ?? cockpit.message(options.problem ?? "terminated"),
            });
        });
    }

    get ended(): boolean {
        return this.#ended !== null;
    }

    open(options: cockpit.ChannelOptions): PeerChannel {
        const id = `p${this.#nextId++}`;
        const channel = new PeerChannel(this, id, options);
        if (this.#ended) {
            const ended = this.#ended;
            window.setTimeout(() => channel.closed(ended));
            return channel;
        }
        this.#channels.set(id, channel);
        const open: ControlMessage = { ...options, command: "open", channel: id, "flow-control": true };
        if (options.binary)
            open.binary = "raw";
        this.sendControl(open);
        return channel;
    }

    /** Ends the stream and every channel on it (the helper exits on EOF). */
    close(): void {
        this.#end({ problem: "terminated", message: cockpit.message("terminated") });
    }

    sendData(id: string, data: string | Uint8Array): void {
        this.#write(encodeFrame(id, data));
    }

    sendControl(message: ControlMessage): void {
        this.#write(encodeControl(message));
    }

    closeFromPage(id: string, options: cockpit.CloseOptions): void {
        if (!this.#channels.delete(id))
            return;
        this.#closing.add(id);
        this.sendControl({ ...options, command: "close", channel: id });
    }

    #write(frame: Uint8Array): void {
        if (this.#ended)
            return;
        if (this.#pending)
            this.#pending.push(frame);
        else
            this.#stream?.send(frame);
    }

    #receive(data: Uint8Array): void {
        let frames;
        try {
            frames = this.#reader.push(data);
        } catch (ex) {
            const message = ex instanceof FrameError ? ex.message : String(ex);
            console.error("virt: the privileged helper sent a malformed frame:", message);
            this.#end({ problem: "protocol-error", message });
            return;
        }
        for (const frame of frames) {
            if (this.#ended)
                return;
            if (frame.channel === "")
                this.#receiveControl(frame.payload);
            else
                this.#channels.get(frame.channel)?.received(frame.payload);
        }
    }

    #receiveControl(payload: Uint8Array): void {
        let message: unknown;
        try {
            message = JSON.parse(decoder.decode(payload));
        } catch {
            message = null;
        }
        if (!isObject(message) || typeof message.command !== "string") {
            this.#end({ problem: "protocol-error", message: "the privileged helper sent a malformed control message" });
            return;
        }
        const channelId = message.channel;
        if (message.command === "init" && channelId === undefined) {
            this.#init();
            return;
        }
        if (typeof channelId !== "string")
            return; // the helper sends no other transport-level message; ignore, as the bridge would
        if (this.#closing.has(channelId)) {
            if (message.command === "close")
                this.#closing.delete(channelId);
            return;
        }
        const channel = this.#channels.get(channelId);
        if (!channel)
            return;
        if (message.command === "ping") {
            // Flow control: the data before this ping was delivered synchronously above, so answer at once.
            this.sendControl({ ...message, command: "pong" });
            return;
        }
        if (message.command === "close")
            this.#channels.delete(channelId);
        channel.receivedControl(message);
    }

    #init(): void {
        const pending = this.#pending;
        const stream = this.#stream;
        if (!pending || !stream)
            return;
        this.#pending = null;
        stream.send(encodeControl({ command: "init", version: 1, host: "localhost" }));
        for (const frame of pending)
            stream.send(frame);
    }

    #end(options: cockpit.CloseOptions): void {
        if (this.#ended)
            return;
        this.#ended = options;
        this.#pending = null;
        if (this.#stream?.valid)
            this.#stream.close();
        const channels = [...this.#channels.values()];
        this.#channels.clear();
        this.#closing.clear();
        for (const channel of channels)
            channel.closed(options);
    }
}
