// Cockpit's stdio framing (`<length>\n<channel>\n<payload>`, length in decimal bytes of channel + 1 + payload),
// both ways, for the helper spoken to over a raw `stream` channel. The bytes come from a root process, but they are
// still checked: a bad frame ends the stream instead of being guessed at.

const encoder = new TextEncoder();

/** Longest accepted length prefix (the C bridge's limit is 8 digits); frames stay far below that. */
const MAX_LENGTH_DIGITS = 8;

export interface Frame {
    /** "" for a control message */
    channel: string;
    payload: Uint8Array;
}

export function encodeFrame(channel: string, payload: string | Uint8Array): Uint8Array {
    const body = typeof payload === "string" ? encoder.encode(payload) : payload;
    const head = encoder.encode(channel + "\n");
    const prefix = encoder.encode(`${head.length + body.length}\n`);
    const frame = new Uint8Array(prefix.length + head.length + body.length);
    frame.set(prefix, 0);
    frame.set(head, prefix.length);
    frame.set(body, prefix.length + head.length);
    return frame;
}

export function encodeControl(message: Record<string, cockpit.JsonValue | undefined>): Uint8Array {
    return encodeFrame("", JSON.stringify(message));
}

export class FrameError extends Error {}

/** Collects stream bytes and hands out whole frames, however the bytes were split. */
export class FrameReader {
    #buffer = new Uint8Array(0);

    /** Adds `bytes` and returns every frame now complete; throws FrameError on a malformed frame. */
    push(bytes: Uint8Array): Frame[] {
        const joined = new Uint8Array(this.#buffer.length + bytes.length);
        joined.set(this.#buffer, 0);
        joined.set(bytes, this.#buffer.length);
        const frames: Frame[] = [];
        let offset = 0;
        for (;;) {
            const frame = readFrame(joined, offset);
            if (!frame)
                break;
            frames.push(frame.frame);
            offset = frame.next;
        }
        this.#buffer = joined.slice(offset);
        return frames;
    }
}

function readFrame(bytes: Uint8Array, start: number): { frame: Frame; next: number } | null {
    let length = 0;
    let i = start;
    for (; i < bytes.length && bytes[i] !== 0x0a; i++) {
        const digit = (bytes[i] ?? 0) - 0x30;
        if (digit < 0 || digit > 9 || (i === start && digit === 0) || i - start >= MAX_LENGTH_DIGITS)
            throw new FrameError("bad frame length");
        length = length * 10 + digit;
    }
    if (i >= bytes.length)
        return null;
    if (i === start)
        throw new FrameError("empty frame length");
    const bodyStart = i + 1;
    const end = bodyStart + length;
    if (end > bytes.length)
        return null;
    const newline = bytes.indexOf(0x0a, bodyStart);
    if (newline < 0 || newline >= end)
        throw new FrameError("frame without a channel line");
    const channel = new TextDecoder().decode(bytes.subarray(bodyStart, newline));
    return { frame: { channel, payload: bytes.slice(newline + 1, end) }, next: end };
}
