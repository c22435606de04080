// SPDX-License-Identifier: LGPL-2.1-or-later
// The bytes of one binary console channel as a stream, and the little of RFB 3.8 (RFC 6143) the graphics tests
// speak through the relay: handshake, raw framebuffer updates, key events.

/** Reads the data of `channel` on Bridge `b` as one byte stream. */
export class ChannelBytes {
    constructor(b, channel) {
        this.b = b;
        this.channel = channel;
        this.buf = Buffer.alloc(0);
        this.close = null;
        this.total = 0;
    }

    async #more(timeoutMs) {
        const m = await this.b.next(this.channel, m => !m.command || m.command === "close", timeoutMs);
        if (m.command === "close") {
            this.close = m.control;
            const err = new Error(`channel ${this.channel} closed: ${m.text}`);
            err.close = m.control;
            throw err;
        }
        this.total += m.raw.length;
        this.buf = Buffer.concat([this.buf, m.raw]);
    }

    /** Exactly `n` bytes, waiting for them. */
    async read(n, timeoutMs = 10000) {
        const deadline = Date.now() + timeoutMs;
        while (this.buf.length < n)
            await this.#more(Math.max(1, deadline - Date.now()));
        const out = this.buf.subarray(0, n);
        this.buf = this.buf.subarray(n);
        return out;
    }

    /** Reads until `re` matches the text read so far (latin1); returns that text and consumes it. */
    async until(re, timeoutMs = 10000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            const text = this.buf.toString("latin1");
            if (re.test(text)) {
                this.buf = Buffer.alloc(0);
                return text;
            }
            try {
                await this.#more(Math.max(1, deadline - Date.now()));
            } catch (e) {
                e.message += `\nread so far: ${JSON.stringify(text.slice(-600))}`;
                throw e;
            }
        }
    }

    /** Everything buffered now, consumed. */
    take() {
        const out = this.buf;
        this.buf = Buffer.alloc(0);
        return out;
    }
}

/** RFB 3.8 up to ServerInit with security type None; resolves with what the server said. */
export async function rfbHandshake(bytes, send) {
    const version = (await bytes.read(12)).toString("latin1");
    send(Buffer.from("RFB 003.008\n"));
    const count = (await bytes.read(1))[0];
    if (count === 0) {
        const len = (await bytes.read(4)).readUInt32BE(0);
        throw new Error(`VNC server refused: ${(await bytes.read(len)).toString()}`);
    }
    const types = [...await bytes.read(count)];
    if (!types.includes(1))
        throw new Error(`VNC server offers no "None" security: ${types}`);
    send(Buffer.from([1]));
    const result = (await bytes.read(4)).readUInt32BE(0);
    send(Buffer.from([1])); // ClientInit: shared
    const init = await bytes.read(24);
    const pixelFormat = {
        bitsPerPixel: init[4], depth: init[5], bigEndian: init[6], trueColor: init[7],
        redShift: init[14], greenShift: init[15], blueShift: init[16],
    };
    const name = (await bytes.read(init.readUInt32BE(20))).toString("utf8");
    return { version, types, result, width: init.readUInt16BE(0), height: init.readUInt16BE(2), pixelFormat, name };
}

/** SetEncodings: raw only, so updates are plain pixels. */
export function setRawEncoding(send) {
    const msg = Buffer.alloc(8);
    msg.writeUInt8(2, 0);
    msg.writeUInt16BE(1, 2);
    msg.writeInt32BE(0, 4);
    send(msg);
}

export function requestUpdate(send, { width, height }, incremental = false) {
    const msg = Buffer.alloc(10);
    msg.writeUInt8(3, 0);
    msg.writeUInt8(incremental ? 1 : 0, 1);
    msg.writeUInt16BE(width, 6);
    msg.writeUInt16BE(height, 8);
    send(msg);
}

/**
 * Reads server messages until a FramebufferUpdate; resolves with its rectangles ({x, y, w, h, pixels}).
 * Bells and cut text are skipped; only raw rectangles are expected (setRawEncoding).
 */
export async function readUpdate(bytes, bytesPerPixel, timeoutMs = 20000) {
    for (;;) {
        const type = (await bytes.read(1, timeoutMs))[0];
        if (type === 2) // Bell
            continue;
        if (type === 3) { // ServerCutText
            const head = await bytes.read(7, timeoutMs);
            await bytes.read(head.readUInt32BE(3), timeoutMs);
            continue;
        }
        if (type !== 0)
            throw new Error(`unexpected RFB server message type ${type}`);
        const count = (await bytes.read(3, timeoutMs)).readUInt16BE(1);
        const rects = [];
        for (let i = 0; i < count; i++) {
            const h = await bytes.read(12, timeoutMs);
            const rect = { x: h.readUInt16BE(0), y: h.readUInt16BE(2), w: h.readUInt16BE(4), h: h.readUInt16BE(6), encoding: h.readInt32BE(8) };
            if (rect.encoding !== 0)
                throw new Error(`unexpected encoding ${rect.encoding}`);
            rect.pixels = Buffer.from(await bytes.read(rect.w * rect.h * bytesPerPixel, timeoutMs));
            rects.push(rect);
        }
        return rects;
    }
}

export function keyEvent(send, keysym, down) {
    const msg = Buffer.alloc(8);
    msg.writeUInt8(4, 0);
    msg.writeUInt8(down ? 1 : 0, 1);
    msg.writeUInt32BE(keysym, 4);
    send(msg);
}

export const KEY = { Return: 0xff0d, Control_L: 0xffe3, Alt_L: 0xffe9, Delete: 0xffff };

/** Types `text` (lower case letters, digits, space, "/" and "-" only: no Shift needed) and Return. */
export function typeLine(send, text) {
    for (const ch of text) {
        if (!/[a-z0-9 /.-]/.test(ch))
            throw new Error(`typeLine cannot type ${JSON.stringify(ch)} without Shift`);
        keyEvent(send, ch.charCodeAt(0), true);
        keyEvent(send, ch.charCodeAt(0), false);
    }
    keyEvent(send, KEY.Return, true);
    keyEvent(send, KEY.Return, false);
}
