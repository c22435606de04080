// SPDX-License-Identifier: LGPL-2.1-or-later
// Outbound flow control (shared/cockpit-protocol.md §7): with "flow-control": true the helper sends a ping with
// `sequence` = data bytes sent so far whenever it crosses a 16 KiB boundary, and never goes more than one frame
// past (last pong's sequence + 2 MiB). A snapshot's first screenful (its first 100 VMs) goes alone: the rest waits
// until the page has answered a ping for it, so it never queues behind the rest on the way. Driven by a ~4.4 MB
// test:/// snapshot and a browser that does not answer.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { Bridge, abbreviate, bridgeNames } from "../harness/bridge.mjs";
import { removeTestNode, writeTestNode } from "../harness/testdriver.mjs";

const WINDOW = 2 * 1024 * 1024;
const BOUNDARY = 16384;
const VMS = 2000;

/** Waits until `channel` has been silent for `silenceMs` (at most `timeoutMs`). */
async function settle(b, channel, silenceMs = 600, timeoutMs = 30000) {
    const deadline = Date.now() + timeoutMs;
    let n = -1;
    while (Date.now() < deadline) {
        const now = b.history(channel).length;
        if (now === n)
            return;
        n = now;
        await new Promise(resolve => setTimeout(resolve, silenceMs));
    }
    throw new Error(`channel ${channel} never went quiet`);
}

/**
 * Checks the pings in `history` against the data around them and returns { seq, maxFrame, pings, synced }:
 * every ping carries the byte count of the data before it, and every data frame that crosses a 16 KiB
 * boundary is followed by a ping before the next data frame.
 */
function audit(history) {
    let seq = 0;
    let maxFrame = 0;
    let owed = null; // sequence of a crossing not yet pinged
    const pings = [];
    let synced = false;
    for (const m of history) {
        if (m.command === "ping") {
            assert.equal(m.control.sequence, seq, `ping sequence ≠ data bytes sent (${seq}): ${abbreviate(m)}`);
            pings.push(m.control.sequence);
            owed = null;
        } else if (!m.command) {
            assert.equal(owed, null, `no ping after crossing ${owed}; next frame: ${abbreviate(m)}`);
            const before = seq;
            seq += m.raw.length;
            maxFrame = Math.max(maxFrame, m.raw.length);
            if (Math.floor(seq / BOUNDARY) !== Math.floor(before / BOUNDARY))
                owed = seq;
            if (m.data?.synced)
                synced = true;
        }
    }
    return { seq, maxFrame, pings, synced, owed };
}

for (const name of bridgeNames()) {
    describe(`flow control via bridge ${name}`, () => {
        let b;
        let uri;
        before(async () => {
            uri = writeTestNode(VMS, { descriptionBytes: 1500 });
            b = await Bridge.start(name);
        });
        after(async () => {
            await b?.closeBridge();
            removeTestNode(uri);
        });

        test("window: the first screenful alone, then 2 MiB + one frame per pong, completes", async () => {
            b.autoPong = false;
            const ch = b.open({ payload: "virt1", op: "watch", uri });
            await b.next(ch, m => m.data?.reset || m.command === "close", 30000);
            await settle(b, ch);

            // Without a pong: the first screenful, then a ping for exactly what was sent, and nothing more.
            let a = audit(b.history(ch));
            assert.ok(!a.synced, `the whole ${VMS}-VM snapshot came without a single pong (${a.seq} bytes)`);
            // (100 VMs with 1.5 kB descriptions: two frames of at most 128 KiB)
            const firstVms = b.history(ch).flatMap(m => Object.keys(m.data?.vms ?? {}));
            assert.equal(firstVms.length, 100, "not the first screenful alone before its pong");
            assert.equal(b.history(ch).at(-1).command, "ping");
            assert.equal(a.pings.at(-1), a.seq);

            // Its pong: the rest, up to that sequence + 2 MiB + one frame, then it stops again.
            b.control({ command: "pong", channel: ch, sequence: a.pings.at(-1) });
            const first = a.seq;
            await settle(b, ch);
            a = audit(b.history(ch));
            assert.ok(!a.synced, `the rest of the ${VMS}-VM snapshot came after one pong (${a.seq} bytes)`);
            assert.ok(a.seq <= first + WINDOW + a.maxFrame,
                      `sent ${a.seq - first} bytes after the first pong: more than 2 MiB + one frame (${a.maxFrame})`);
            assert.ok(a.seq >= first + WINDOW - a.maxFrame, `stopped early at ${a.seq - first} bytes, window is ${WINDOW}`);
            assert.ok(a.pings.length > 1);

            // Answer the last ping only: the window moves to its sequence + 2 MiB.
            const pong = a.pings.at(-1);
            b.control({ command: "pong", channel: ch, sequence: pong });
            await settle(b, ch);
            a = audit(b.history(ch));
            if (!a.synced) {
                assert.ok(a.seq <= pong + WINDOW + a.maxFrame,
                          `after pong ${pong}: sent ${a.seq} bytes, beyond the window + one frame`);
                assert.ok(a.seq >= pong + WINDOW - a.maxFrame, `after pong ${pong}: stopped early at ${a.seq}`);
            }

            // From now on answer everything, as cockpit.js does.
            b.autoPong = true;
            for (const seq of a.pings.filter(s => s > pong))
                b.control({ command: "pong", channel: ch, sequence: seq });
            b.control({ command: "pong", channel: ch, sequence: a.pings.at(-1) });
            await b.next(ch, m => m.data?.synced || m.command === "close", 30000);
            a = audit(b.history(ch));
            assert.ok(a.synced, b.describe(ch));
            assert.equal(a.owed, null, "the last crossing was never pinged");
            const ids = new Set();
            for (const m of b.history(ch))
                for (const id of Object.keys(m.data?.vms ?? {}))
                    ids.add(id);
            assert.equal(ids.size, VMS);
            b.close(ch);
            await b.next(ch, m => m.command === "close");
        });

        test("no_flow_control_no_wait: without the option the snapshot completes with no pong at all", async () => {
            b.autoPong = false;
            try {
                const ch = b.open({ payload: "virt1", op: "watch", uri, "flow-control": false });
                await b.next(ch, m => m.data?.synced || m.command === "close", 30000);
                assert.ok(b.history(ch).at(-1).data?.synced, b.describe(ch));
                b.close(ch);
                await b.next(ch, m => m.command === "close");
            } finally {
                b.autoPong = true;
            }
        });

        test("no_flow_control_no_pings: without the option no pings are sent (§7: only with flow-control)", async () => {
            const ch = b.open({ payload: "virt1", op: "watch", uri, "flow-control": false });
            await b.next(ch, m => m.data?.synced || m.command === "close", 30000);
            const pings = b.history(ch).filter(m => m.command === "ping");
            assert.equal(pings.length, 0, `pings without flow-control: ${pings.slice(0, 2).map(abbreviate)}`);
            b.close(ch);
            await b.next(ch, m => m.command === "close");
        });
    });
}
