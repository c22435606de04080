// SPDX-License-Identifier: LGPL-2.1-or-later
// ops `volume-upload` and `volume-download` (docs/api.md) through the real bridges against qemu:///system: bytes
// uploaded with acks land in the volume unchanged (checksum of the file libvirt wrote), the download gives them back
// inside the flow-control window, a wipe zeroes it, and a cancelled or short upload leaves no volume behind.
// Everything lives in pool cvtest-xfer, a dir pool in a temporary directory, removed afterwards.

import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { Bridge, abbreviate, bridgeNames } from "../harness/bridge.mjs";
import { ensureLibvirtd, virsh, waitFor } from "../harness/libvirt.mjs";

const URI = "qemu:///system";
const POOL = "cvtest-xfer";
const FRAME = 64 * 1024;
/** The most the test leaves unacknowledged, as the page does (pkg/client/upload.ts). */
const WINDOW = 1024 * 1024;
const sha = buf => createHash("sha256").update(buf).digest("hex");

let dir;

before(async () => {
    await ensureLibvirtd();
    await virsh("pool-destroy", POOL).catch(() => {});
    await virsh("pool-undefine", POOL).catch(() => {});
    dir = mkdtempSync(path.join(tmpdir(), "cvtest-xfer-"));
    await virsh("pool-create-as", POOL, "dir", "--target", dir);
});

after(async () => {
    await virsh("pool-destroy", POOL).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
});

/** Sends `data` in frames, never more than WINDOW past the acks; resolves with the acked byte count. */
async function sendWithAcks(b, channel, data, { stopAt = data.length } = {}) {
    let acked = 0;
    let sent = 0;
    while (sent < stopAt) {
        while (sent - acked >= WINDOW) {
            const ack = await b.next(channel, m => m.command === "ack" || m.command === "close", 20000);
            assert.equal(ack.command, "ack", `upload closed: ${abbreviate(ack)}`);
            acked += ack.control.bytes;
        }
        const end = Math.min(sent + FRAME, stopAt);
        b.send(channel, data.subarray(sent, end));
        sent = end;
    }
    return { sent, acked };
}

const volumes = async () => (await virsh("vol-list", POOL)).split("\n").map(l => l.trim().split(/\s+/)[0])
        .filter(Boolean);

for (const name of bridgeNames()) {
    describe(`volume upload and download via bridge ${name}`, () => {
        let b;
        before(async () => { b = await Bridge.start(name) });
        after(() => b.closeBridge());

        const open = (op, fields) => b.open({ payload: "virt1", op, uri: URI, pool: POOL, binary: "raw", ...fields });

        test("volume_upload_download_checksum: uploaded bytes land unchanged, the download returns them", async () => {
            const vol = `cvtest-up-${name}.iso`;
            // Not a multiple of the frame size, so the last frame is short.
            const data = randomBytes(3 * 1024 * 1024 + 12345);
            const up = open("volume-upload", { volume: vol, size: data.length, "send-acks": "bytes" });
            const ready = await b.next(up, m => m.command === "ready" || m.command === "close", 20000);
            assert.equal(ready.command, "ready", abbreviate(ready));
            assert.equal(ready.control.size, data.length);
            await sendWithAcks(b, up, data);
            b.control({ command: "done", channel: up });
            const rest = await b.untilClose(up, 30000);
            const close = rest.at(-1).control;
            assert.equal(close.problem, undefined, JSON.stringify(close));
            assert.equal(close.bytes, data.length);
            // Every byte was acknowledged, and only once taken.
            const acked = b.history(up).filter(m => m.command === "ack").reduce((n, m) => n + m.control.bytes, 0);
            assert.equal(acked, data.length);
            assert.equal(sha(readFileSync(path.join(dir, vol))), sha(data), "the volume's file differs from the upload");
            assert.ok((await volumes()).includes(vol));

            const down = open("volume-download", { volume: vol });
            const messages = await b.untilClose(down, 30000);
            const dready = messages.find(m => m.command === "ready");
            assert.equal(dready?.control.size, data.length);
            const frames = messages.filter(m => !m.command).map(m => m.raw);
            assert.ok(frames.every(f => f.length <= 16384), "a download frame above 16 KiB");
            const dclose = messages.at(-1).control;
            assert.equal(dclose.problem, undefined, JSON.stringify(dclose));
            assert.equal(dclose.bytes, data.length);
            assert.equal(sha(Buffer.concat(frames)), sha(data), "the download differs from the upload");
            // Flow control: pings on the way, as for every flow-controlled channel.
            assert.ok(messages.some(m => m.command === "ping"), "no ping during a 3 MiB download");

            // Wipe (op pool): zeros. libvirt writes whole allocated blocks, so the file may end on a 4 KiB boundary.
            const wipe = b.open({ payload: "virt1", op: "pool", uri: URI, pool: POOL, action: "wipe-volume", name: vol });
            const wclose = (await b.untilClose(wipe, 30000)).at(-1).control;
            assert.equal(wclose.problem, undefined, JSON.stringify(wclose));
            const wiped = readFileSync(path.join(dir, vol));
            assert.ok(wiped.length >= data.length && wiped.length < data.length + 4096, `wiped file of ${wiped.length} bytes`);
            assert.ok(wiped.every(byte => byte === 0), "the wiped volume still holds data");
            await virsh("vol-delete", "--pool", POOL, vol);
        });

        test("volume_upload_cancel_leaves_nothing: a closed or short upload deletes its volume", async () => {
            const vol = `cvtest-cancel-${name}.img`;
            const data = randomBytes(8 * 1024 * 1024);
            const up = open("volume-upload", { volume: vol, size: data.length, "send-acks": "bytes" });
            const ready = await b.next(up, m => m.command === "ready" || m.command === "close", 20000);
            assert.equal(ready.command, "ready", abbreviate(ready));
            assert.ok((await volumes()).includes(vol), "the volume exists while uploading");
            await sendWithAcks(b, up, data, { stopAt: 2 * 1024 * 1024 });
            b.close(up);
            await waitFor(async () => !(await volumes()).includes(vol), 15000, { what: "the cancelled volume to go" });
            assert.equal(existsSync(path.join(dir, vol)), false, "the cancelled upload's file stayed");

            const short = open("volume-upload", { volume: vol, size: data.length, "send-acks": "bytes" });
            await b.next(short, m => m.command === "ready", 20000);
            await sendWithAcks(b, short, data, { stopAt: 100000 });
            b.control({ command: "done", channel: short });
            const close = (await b.untilClose(short, 20000)).at(-1).control;
            assert.equal(close.problem, "invalid-argument");
            assert.match(close.message, /after 100000 of 8388608 bytes/);
            await waitFor(async () => !(await volumes()).includes(vol), 15000, { what: "the short volume to go" });
        });

        test("volume_transfer_refusals: text channels, sizes, names, missing volumes", async () => {
            const closeOf = async fields => {
                const id = b.open({ payload: "virt1", uri: URI, pool: POOL, ...fields });
                return (await b.untilClose(id, 20000)).at(-1).control;
            };
            let c = await closeOf({ op: "volume-upload", volume: "cvtest-x", size: 10 });
            assert.equal(c.problem, "protocol-error");
            assert.match(c.message, /binary/);
            c = await closeOf({ op: "volume-upload", volume: "cvtest-x", binary: "raw" });
            assert.equal(c.problem, "protocol-error");
            assert.match(c.message, /size/);
            c = await closeOf({ op: "volume-upload", volume: "a/b", size: 10, binary: "raw" });
            assert.equal(c.problem, "invalid-argument");
            c = await closeOf({ op: "volume-upload", volume: "cvtest-huge", size: 2 ** 60, binary: "raw" });
            assert.equal(c.problem, "invalid-argument");
            assert.match(c.message, /available/);
            c = await closeOf({ op: "volume-download", volume: "cvtest-none", binary: "raw" });
            assert.equal(c.problem, "not-found");
            assert.deepEqual((await volumes()).filter(v => v.includes(name)), []);
        });
    });
}
