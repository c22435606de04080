// Ops `volume-upload` and `volume-download` (docs/api.md): a volume's bytes over a binary channel. An upload sends
// the file in slices and keeps at most WINDOW bytes unacknowledged (the helper acks a frame once it took it), so the
// acknowledged count is real progress; closing the channel cancels, and the helper then deletes the half volume.

import { OpError } from "./one-shot.ts";
import { openChannel } from "./transport/channels.ts";

/** Slices read from the file and sent as one frame each. */
const SLICE = 64 * 1024;
/** The most sent and not yet acknowledged. */
export const WINDOW = 1024 * 1024;

export interface Transfer {
    /** Resolves once the helper closed cleanly (upload: committed; download: with the bytes). */
    done: Promise<Blob | null>;
    /** Stops it; for an upload, the helper deletes what was written. `done` then rejects with "cancelled". */
    cancel(): void;
}

function closeError(close: cockpit.CloseOptions): OpError {
    return new OpError(close.problem ?? "internal-error", close.message ?? cockpit.message(close.problem ?? "internal-error"));
}

/** The channel's close settles the transfer: a close after our own cancel rejects with "cancelled". */
function onClose(channel: cockpit.Channel, state: { over: boolean }, succeed: () => void,
                 reject: (err: OpError) => void): void {
    channel.addEventListener("close", (_ev, close) => {
        const cancelled = state.over;
        state.over = true;
        if (cancelled)
            reject(new OpError("cancelled", "cancelled"));
        else if (close.problem)
            reject(closeError(close));
        else
            succeed();
    });
}

function cancel(channel: cockpit.Channel, state: { over: boolean }): void {
    if (!state.over) {
        state.over = true;
        channel.close();
    }
}

export function uploadVolume(uri: string, pool: string, volume: string, file: Blob,
                             onProgress: (done: number, total: number) => void): Transfer {
    const size = file.size;
    const channel = openChannel({
        payload: "virt1", op: "volume-upload", uri, pool, volume, size, binary: true, "send-acks": "bytes",
    });
    let sent = 0;
    let acked = 0;
    // Object fields: set from event listeners, read across awaits.
    const state = { pumping: false, over: false };
    const ended = () => state.over;
    const pump = async () => {
        if (state.pumping || state.over)
            return;
        state.pumping = true;
        try {
            while (!ended() && sent < size && sent - acked < WINDOW) {
                const end = Math.min(sent + SLICE, size);
                const bytes = new Uint8Array(await file.slice(sent, end).arrayBuffer());
                if (ended())
                    return;
                channel.send(bytes);
                sent = end;
            }
            if (!ended() && sent === size && size > 0)
                channel.control({ command: "done" });
        } finally {
            state.pumping = false;
        }
    };
    const done = new Promise<Blob | null>((resolve, reject) => {
        channel.addEventListener("ready", () => void pump().catch(reject));
        channel.addEventListener("control", (_ev: Event, message: cockpit.CloseOptions) => {
            if (message.command === "ack" && typeof message.bytes === "number") {
                acked += message.bytes;
                onProgress(acked, size);
                if (sent < size)
                    void pump().catch(reject);
            }
        });
        onClose(channel, state, () => resolve(null), reject);
    });
    return { done, cancel: () => cancel(channel, state) };
}

export function downloadVolume(uri: string, pool: string, volume: string,
                               onProgress: (done: number, total: number) => void): Transfer {
    const channel = openChannel({ payload: "virt1", op: "volume-download", uri, pool, volume, binary: true });
    const parts: Uint8Array[] = [];
    let received = 0;
    let total = 0;
    const state = { over: false };
    const done = new Promise<Blob | null>((resolve, reject) => {
        channel.addEventListener("ready", (_ev: Event, options: cockpit.CloseOptions) => {
            total = typeof options.size === "number" ? options.size : 0;
            onProgress(0, total);
        });
        channel.addEventListener("message", (_ev: Event, data: Uint8Array) => {
            parts.push(data.slice());
            received += data.length;
            onProgress(received, Math.max(total, received));
        });
        onClose(channel, state, () => resolve(new Blob(parts as BlobPart[])), reject);
    });
    return { done, cancel: () => cancel(channel, state) };
}

/** Hands `blob` to the browser as a file download named `name`. */
export function saveBlob(blob: Blob, name: string): void {
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 60000);
}
