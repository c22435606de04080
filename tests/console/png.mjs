// SPDX-License-Identifier: LGPL-2.1-or-later
// Just enough PNG to read `virsh screenshot` output (8-bit RGB or RGBA, not interlaced) and compare it with the
// framebuffer a VNC client received.

import { inflateSync } from "node:zlib";

/** Decodes a PNG; resolves with { width, height, rgb } (3 bytes per pixel, rows top to bottom). */
export function decodePng(buf) {
    if (buf.readUInt32BE(0) !== 0x89504e47)
        throw new Error("not a PNG");
    let off = 8, width, height, channels;
    const idat = [];
    while (off < buf.length) {
        const len = buf.readUInt32BE(off);
        const type = buf.toString("latin1", off + 4, off + 8);
        const data = buf.subarray(off + 8, off + 8 + len);
        if (type === "IHDR") {
            width = data.readUInt32BE(0);
            height = data.readUInt32BE(4);
            const [depth, colorType, , , interlace] = data.subarray(8, 13);
            if (depth !== 8 || ![2, 6].includes(colorType) || interlace !== 0)
                throw new Error(`unsupported PNG: depth ${depth}, color type ${colorType}, interlace ${interlace}`);
            channels = colorType === 2 ? 3 : 4;
        } else if (type === "IDAT") {
            idat.push(data);
        }
        off += 12 + len;
    }
    const raw = inflateSync(Buffer.concat(idat));
    const stride = width * channels;
    const out = Buffer.alloc(width * height * 3);
    let prev = Buffer.alloc(stride);
    for (let y = 0; y < height; y++) {
        const filter = raw[y * (stride + 1)];
        const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
        for (let i = 0; i < stride; i++) {
            const a = i >= channels ? line[i - channels] : 0;
            const b = prev[i];
            const c = i >= channels ? prev[i - channels] : 0;
            let p;
            switch (filter) {
            case 0: p = 0; break;
            case 1: p = a; break;
            case 2: p = b; break;
            case 3: p = (a + b) >> 1; break;
            case 4: {
                const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
                p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
                break;
            }
            default: throw new Error(`bad PNG filter ${filter}`);
            }
            line[i] = (line[i] + p) & 0xff;
        }
        for (let x = 0; x < width; x++)
            line.copy(out, (y * width + x) * 3, x * channels, x * channels + 3);
        prev = line;
    }
    return { width, height, rgb: out };
}
