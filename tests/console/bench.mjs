#!/usr/bin/env node
// SPDX-License-Identifier: LGPL-2.1-or-later
// Console benchmarks on a tiny real guest (not part of the test suite; run by hand):
//   node tests/console/bench.mjs [--bridge 337|287] [--frames N]
// - open → first byte (graphics: QEMU's greeting) or ready (serial) (helper and libvirt already connected: a watch channel is open first);
// - serial keystroke echo latency (median, p90) through the bridge;
// - VNC relay throughput: full raw framebuffer updates one after another, through the helper's channel (acked like
//   cockpit.js does) vs a direct TCP connection to the same QEMU VNC server.

import net from "node:net";
import { parseArgs } from "node:util";

import { Bridge } from "../harness/bridge.mjs";
import { READY, URI, virsh, waitForSerial } from "../harness/libvirt.mjs";
import { defineConsoleGuest, removeConsoleGuest } from "./guests.mjs";
import { ChannelBytes, readUpdate, requestUpdate, rfbHandshake, setRawEncoding } from "./rfb.mjs";

const { values: args } = parseArgs({ options: { bridge: { type: "string", default: "337" }, frames: { type: "string", default: "60" } } });
const FRAMES = Number(args.frames);

/** The ChannelBytes interface over a plain socket. */
class SocketBytes {
    constructor(socket) {
        this.buf = Buffer.alloc(0);
        this.waiter = null;
        socket.on("data", d => { this.buf = Buffer.concat([this.buf, d]); this.waiter?.() });
    }

    async read(n) {
        while (this.buf.length < n)
            await new Promise(resolve => { this.waiter = resolve });
        const out = this.buf.subarray(0, n);
        this.buf = this.buf.subarray(n);
        return out;
    }
}

async function throughput(bytes, send) {
    const init = await rfbHandshake(bytes, send);
    setRawEncoding(send);
    const bpp = init.pixelFormat.bitsPerPixel / 8;
    requestUpdate(send, init);
    await readUpdate(bytes, bpp); // warm-up
    const t0 = performance.now();
    let total = 0;
    for (let i = 0; i < FRAMES; i++) {
        requestUpdate(send, init);
        for (const r of await readUpdate(bytes, bpp))
            total += r.pixels.length;
    }
    const s = (performance.now() - t0) / 1000;
    return { fps: FRAMES / s, mbps: total / s / 1e6, frame: `${init.width}x${init.height}x${bpp}` };
}

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

const guest = await defineConsoleGuest("bench", { vnc: "address" });
const b = await Bridge.start(args.bridge);
try {
    await waitForSerial(guest, READY, 90000);
    await b.watch(URI); // the page has a watch open before any console

    // open → first byte
    const firsts = { graphics: [], serial: [] };
    for (let i = 0; i < 10; i++) {
        for (const kind of ["graphics", "serial"]) {
            const t0 = performance.now();
            const ch = b.open({ payload: "virt1", op: "console", uri: URI, vm: guest.uuid, kind, binary: "raw" });
            // A serial console is silent until the guest writes (and busybox's shell may sit on a cursor
            // position query): time it to ready. Graphics: QEMU's RFB greeting.
            await b.next(ch, m => (kind === "serial" ? m.command === "ready" : !m.command));
            firsts[kind].push(performance.now() - t0);
            b.close(ch);
            await b.next(ch, m => m.command === "close");
        }
    }

    // echo latency
    const ch = b.open({ payload: "virt1", op: "console", uri: URI, vm: guest.uuid, kind: "serial", binary: "raw" });
    await b.next(ch, m => m.command === "ready");
    const serial = new ChannelBytes(b, ch);
    b.send(ch, "\r");
    await serial.until(/\/ # /);
    const echoes = [];
    for (let i = 0; i < 100; i++) {
        const c = "abcdefghijklmnopqrstuvwxyz"[i % 26];
        const t0 = performance.now();
        b.send(ch, c);
        await serial.until(new RegExp(c));
        echoes.push(performance.now() - t0);
        if (i % 26 === 25) {
            b.send(ch, "\x15");
            await new Promise(resolve => setTimeout(resolve, 50));
            serial.take();
        }
    }
    b.close(ch);

    // relay vs direct
    const g = b.open({ payload: "virt1", op: "console", uri: URI, vm: guest.uuid, kind: "graphics", binary: "raw" });
    await b.next(g, m => m.command === "ready");
    const relay = await throughput(new ChannelBytes(b, g), data => b.send(g, data));
    b.close(g);
    const display = (await virsh("domdisplay", guest.name)).trim(); // vnc://127.0.0.1:N
    const port = 5900 + Number(display.split(":").pop());
    const socket = net.connect(port, "127.0.0.1");
    await new Promise((resolve, reject) => { socket.once("connect", resolve); socket.once("error", reject) });
    const direct = await throughput(new SocketBytes(socket), data => socket.write(data));
    socket.destroy();

    const ms = x => `${x.toFixed(1)} ms`;
    console.log(`bridge ${args.bridge}, TCG guest, ${FRAMES} raw frames of ${relay.frame}`);
    for (const kind of ["graphics", "serial"])
        console.log(`open → ${kind === "serial" ? "ready" : "first byte"}, ${kind}: median ${ms(pct(firsts[kind], 0.5))}, max ${ms(Math.max(...firsts[kind]))}`);
    console.log(`serial keystroke echo: median ${ms(pct(echoes, 0.5))}, p90 ${ms(pct(echoes, 0.9))}`);
    console.log(`VNC relay: ${relay.mbps.toFixed(1)} MB/s (${relay.fps.toFixed(1)} frames/s); direct TCP: ` +
                `${direct.mbps.toFixed(1)} MB/s (${direct.fps.toFixed(1)} frames/s); relay/direct ${(100 * relay.mbps / direct.mbps).toFixed(0)} %`);
} finally {
    await b.closeBridge();
    await removeConsoleGuest(guest);
}
