// SPDX-License-Identifier: LGPL-2.1-or-later
// op `console` kind "graphics" on tiny real guests (qemu:///system, TCG), through both bridges: an RFB client
// speaks to QEMU's VNC server through the relay (virDomainOpenGraphicsFD, no TCP port involved) and checks the
// handshake, the framebuffer against `virsh screenshot`, keyboard input, shared viewers, release on close, a reader
// that stops acking, and the VM stopping.

import assert from "node:assert/strict";
import { randomInt } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { Bridge, abbreviate, bridgeNames } from "../harness/bridge.mjs";
import { READY, URI, serialCount, virsh, waitFor, waitForSerial } from "../harness/libvirt.mjs";
import { defineConsoleGuest, fdCount, removeConsoleGuest, rssKiB } from "./guests.mjs";
import { decodePng } from "./png.mjs";
import { ChannelBytes, KEY, keyEvent, readUpdate, requestUpdate, rfbHandshake, setRawEncoding, typeLine } from "./rfb.mjs";

const BOOT_MS = 90000;
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

/** Opens the graphical console of `vm`; resolves with { ch, bytes, send } once ready, rejects with the close. */
async function openGraphics(b, vm, extra = {}) {
    const ch = b.open({ payload: "virt1", op: "console", uri: URI, vm, kind: "graphics", binary: "raw", ...extra });
    const m = await b.next(ch, m => m.command === "ready" || m.command === "close", 20000);
    if (m.command === "close")
        throw Object.assign(new Error(`graphics console refused: ${abbreviate(m)}`), { close: m.control });
    return { ch, ready: m.control, bytes: new ChannelBytes(b, ch), send: data => b.send(ch, data) };
}

async function closeChannel(b, ch) {
    b.close(ch);
    const m = await b.next(ch, m => m.command === "close");
    assert.equal(m.control.problem, undefined, abbreviate(m));
}

/** Waits until `ls /tmp` on the guest's serial console (a channel of its own) lists `token`. */
async function waitGuestFile(b, guest, token) {
    const serial = b.open({ payload: "virt1", op: "console", uri: URI, vm: guest.uuid, kind: "serial", binary: "raw" });
    await b.next(serial, m => m.command === "ready", 10000);
    const out = new ChannelBytes(b, serial);
    await waitFor(async () => {
        b.send(serial, "ls /tmp\r");
        return out.until(new RegExp(token), 1000).then(() => true, () => false);
    }, 15000, { what: `/tmp/${token} in the guest` });
    await closeChannel(b, serial);
}

/** The raw framebuffer as RGB, from rectangles in the server's pixel format. */
function toRgb(rects, init) {
    const { width, height, pixelFormat: pf } = init;
    const bpp = pf.bitsPerPixel / 8;
    const rgb = Buffer.alloc(width * height * 3);
    for (const r of rects) {
        for (let y = 0; y < r.h; y++) {
            for (let x = 0; x < r.w; x++) {
                const at = (y * r.w + x) * bpp;
                const v = pf.bigEndian ? r.pixels.readUIntBE(at, bpp) : r.pixels.readUIntLE(at, bpp);
                const o = ((r.y + y) * width + r.x + x) * 3;
                rgb[o] = (v >> pf.redShift) & 0xff;
                rgb[o + 1] = (v >> pf.greenShift) & 0xff;
                rgb[o + 2] = (v >> pf.blueShift) & 0xff;
            }
        }
    }
    return rgb;
}

/** Handshake, raw encoding, one full update: resolves with { init, rgb }. */
async function fullFrame(con) {
    const init = await rfbHandshake(con.bytes, con.send);
    setRawEncoding(con.send);
    requestUpdate(con.send, init);
    const rects = await readUpdate(con.bytes, init.pixelFormat.bitsPerPixel / 8);
    return { init, rgb: toRgb(rects, init) };
}

describe("graphical console of tiny real guests", () => {
    let guest, socketGuest;
    before(async () => {
        [guest, socketGuest] = await Promise.all([
            defineConsoleGuest("vnc", { vnc: "address" }),
            defineConsoleGuest("vncsock", { vnc: "socket" }),
        ]);
        await Promise.all([waitForSerial(guest, READY, BOOT_MS), waitForSerial(socketGuest, READY, BOOT_MS)]);
    });
    after(async () => { await Promise.all([removeConsoleGuest(guest), removeConsoleGuest(socketGuest)]) });

    for (const name of bridgeNames()) {
        describe(`via bridge ${name}`, () => {
            let b;
            before(async () => { b = await Bridge.start(name) });
            after(async () => { await b?.closeBridge() });

            test("graphics_handshake: QEMU's RFB greeting arrives through the relay, for both VNC listen types", async t => {
                // The first open also starts the helper and connects it to libvirt; the others show the op alone.
                for (const [i, g] of [guest, socketGuest, guest].entries()) {
                    const t0 = performance.now();
                    const con = await openGraphics(b, g.uuid);
                    const greeting = (await con.bytes.read(12)).toString("latin1");
                    t.diagnostic(`${g.name}${i ? "" : " (first channel of the session)"}: open → first byte: ` +
                                 `${(performance.now() - t0).toFixed(1)} ms`);
                    assert.equal(greeting, "RFB 003.008\n");
                    assert.equal(con.ready.index, 0);
                    con.bytes.buf = Buffer.concat([Buffer.from(greeting, "latin1"), con.bytes.buf]);
                    const init = await rfbHandshake(con.bytes, con.send);
                    assert.equal(init.result, 0, "security result OK");
                    assert.equal(init.name, `QEMU (${g.name})`, "QEMU names the desktop after the domain");
                    assert.ok(init.width >= 640 && init.height >= 400, `${init.width}x${init.height}`);
                    await closeChannel(b, con.ch);
                }
            });

            test("graphics_framebuffer: the frame matches virsh screenshot", async t => {
                const con = await openGraphics(b, guest.uuid);
                const { init, rgb } = await fullFrame(con);
                const file = path.join(guest.dir, "screenshot.png");
                await virsh("screenshot", guest.name, file);
                const shot = decodePng(readFileSync(file));
                rmSync(file, { force: true });
                assert.equal(`${shot.width}x${shot.height}`, `${init.width}x${init.height}`);
                let same = 0, lit = 0;
                for (let i = 0; i < rgb.length; i += 3) {
                    if (rgb[i] === shot.rgb[i] && rgb[i + 1] === shot.rgb[i + 1] && rgb[i + 2] === shot.rgb[i + 2])
                        same++;
                    if (rgb[i] + rgb[i + 1] + rgb[i + 2] > 0)
                        lit++;
                }
                const pixels = init.width * init.height;
                t.diagnostic(`${(100 * same / pixels).toFixed(2)} % of pixels equal to the screenshot; ${lit} lit pixels`);
                assert.ok(lit > 1000, "the text console is not blank");
                assert.ok(same / pixels > 0.99, `only ${same} of ${pixels} pixels match the screenshot`);
                await closeChannel(b, con.ch);
            });

            test("graphics_keys: keystrokes typed through VNC run a command in the guest (seen on the serial console)", async () => {
                const con = await openGraphics(b, guest.uuid);
                await fullFrame(con);
                const token = `cvtok${randomInt(1e6, 1e9)}`;
                typeLine(con.send, `touch /tmp/${token}`);
                await waitGuestFile(b, guest, token);
                await closeChannel(b, con.ch);
            });

            test("graphics_done: keys sent just before done reach the guest; QEMU then closes and so does the channel", async () => {
                const con = await openGraphics(b, guest.uuid);
                await fullFrame(con);
                const token = `cvdone${randomInt(1e6, 1e9)}`;
                typeLine(con.send, `touch /tmp/${token}`);
                b.control({ command: "done", channel: con.ch });
                const end = await b.next(con.ch, m => m.command === "close", 10000);
                assert.equal(end.control.problem, undefined, abbreviate(end));
                // QEMU feeds VNC keys to the guest 10 ms apart (key-delay-ms): look until they are all in.
                await waitGuestFile(b, guest, token);
            });

            test("graphics_shared: two viewers at once both get frames", async () => {
                const [one, two] = await Promise.all([openGraphics(b, guest.uuid), openGraphics(b, guest.uuid)]);
                const [a, c] = await Promise.all([fullFrame(one), fullFrame(two)]);
                assert.equal(a.init.name, c.init.name);
                await Promise.all([closeChannel(b, one.ch), closeChannel(b, two.ch)]);
            });

            test("graphics_close_frees: descriptors come back after close, also when the browser just goes away", async () => {
                const warm = await openGraphics(b, guest.uuid);
                await closeChannel(b, warm.ch);
                await sleep(200);
                const [pid] = b.helperPids();
                const fds = fdCount(pid);
                const cons = await Promise.all([1, 2, 3, 4].map(() => openGraphics(b, guest.uuid)));
                assert.ok(fdCount(pid) >= fds + 4, "each viewer holds its socket");
                for (const con of cons)
                    b.close(con.ch, "disconnected");
                await waitFor(() => fdCount(pid) <= fds, 5000, { what: `helper descriptors back to ${fds}` });
                const again = await openGraphics(b, guest.uuid);
                await fullFrame(again);
                await closeChannel(b, again.ch);
            });

            test("graphics_slow_reader: a reader that stops acking stops the relay; the helper's memory stays bounded", async t => {
                const con = await openGraphics(b, guest.uuid);
                try {
                    const { init } = await fullFrame(con);
                    const [pid] = b.helperPids();
                    const rss0 = rssKiB(pid);
                    const pings = () => b.history(con.ch).filter(m => m.command === "ping");
                    b.autoPong = false;
                    // Everything up to here was acked (pong); the helper may send 2 MiB past the last ack.
                    const acked = pings().at(-1)?.control.sequence ?? 0;
                    let lastPing;
                    try {
                        // Each full update is ~1.1 MB of raw pixels; ask for many more than the window allows.
                        const received0 = b.bytesIn;
                        for (let i = 0; i < 40; i++) {
                            requestUpdate(con.send, init);
                            await sleep(100);
                        }
                        const stalled = b.bytesIn;
                        let rssMax = 0;
                        for (let i = 0; i < 10; i++) {
                            requestUpdate(con.send, init);
                            await sleep(300);
                            rssMax = Math.max(rssMax, rssKiB(pid));
                        }
                        lastPing = pings().at(-1);
                        const late = b.bytesIn - stalled;
                        t.diagnostic(`relayed ${stalled - received0} bytes, then ${late} in 3 s without acks; ` +
                                     `helper RSS ${rss0} KiB → max ${rssMax} KiB`);
                        const unacked = lastPing.control.sequence - acked;
                        assert.ok(unacked <= 2 * 1024 * 1024 + 16384, `${unacked} bytes sent past the last ack`);
                        assert.ok(late < 64 * 1024, `the relay went on without acks: ${late} bytes`);
                        assert.ok(rssMax - rss0 < 16 * 1024, `helper RSS grew by ${rssMax - rss0} KiB`);
                    } finally {
                        b.autoPong = true;
                        lastPing ??= pings().at(-1);
                        if (lastPing)
                            b.control({ ...lastPing.control, command: "pong" });
                    }
                    // Acking again resumes the relay: the queued updates arrive.
                    const before = b.bytesIn;
                    await waitFor(() => b.bytesIn > before + 1024 * 1024, 20000, { what: "the relay to resume" });
                } finally {
                    await closeChannel(b, con.ch);
                }
            });

            test("graphics_ctrl_alt_del: the key combination reboots the guest", async () => {
                const con = await openGraphics(b, guest.uuid);
                await fullFrame(con);
                const boots = serialCount(guest, READY);
                for (const key of [KEY.Control_L, KEY.Alt_L, KEY.Delete])
                    keyEvent(con.send, key, true);
                for (const key of [KEY.Delete, KEY.Alt_L, KEY.Control_L])
                    keyEvent(con.send, key, false);
                await waitForSerial(guest, READY, BOOT_MS, { count: boots + 1 });
                // The VNC connection survives the in-guest reboot (same QEMU process).
                requestUpdate(con.send, { width: 16, height: 16 }, false);
                await readUpdate(con.bytes, 4);
                await closeChannel(b, con.ch);
            });

            test("graphics_vm_stops: the channel closes cleanly when the VM is destroyed; it opens again after start", async () => {
                const con = await openGraphics(b, guest.uuid);
                await fullFrame(con);
                await virsh("destroy", guest.name);
                const end = await b.next(con.ch, m => m.command === "close", 10000);
                assert.equal(end.control.problem, undefined, abbreviate(end));
                const err = await openGraphics(b, guest.uuid).then(() => null, e => e);
                assert.equal(err?.close?.message, "The VM is not running");
                const boots = serialCount(guest, READY);
                await virsh("start", guest.name);
                const again = await openGraphics(b, guest.uuid);
                await fullFrame(again);
                await closeChannel(b, again.ch);
                await waitForSerial(guest, READY, BOOT_MS, { count: Math.min(boots, 1) });
            });
        });
    }
});
