// SPDX-License-Identifier: LGPL-2.1-or-later
// Channel lifetime rules (shared/cockpit-protocol.md §4, §6): exactly one close per channel, the echo of a
// browser close, kill by group, channel ping → pong, and storms of opens and closes.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { Bridge, abbreviate, bridgeNames } from "../harness/bridge.mjs";

const TEST_URI = "test:///default";
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

for (const name of bridgeNames()) {
    describe(`channels via bridge ${name}`, () => {
        let b;
        before(async () => { b = await Bridge.start(name) });
        after(async () => { await b?.closeBridge() });

        /** After a while, `ch` must have exactly one close and nothing after it. */
        async function assertOneClose(ch, settleMs = 300) {
            await sleep(settleMs);
            const hist = b.history(ch);
            const closes = hist.filter(m => m.command === "close");
            assert.equal(closes.length, 1, `channel ${ch}: ${closes.length} closes\n${b.describe(ch)}`);
            assert.equal(hist.at(-1).command, "close", `channel ${ch}: messages after close\n${b.describe(ch)}`);
        }

        /** A working watch proves the helper and the bridge's link to it are still fine. */
        async function assertAlive() {
            const { channel } = await b.watch(TEST_URI);
            b.close(channel);
            await b.next(channel, m => m.command === "close");
        }

        test("close_echo: a browser close after synced is echoed once, then silence", async () => {
            const { channel } = await b.watch(TEST_URI);
            const pid = b.helperPids();
            assert.equal(pid.length, 1, "one helper process");
            b.close(channel, "disconnected");
            const close = await b.next(channel, m => m.command === "close");
            assert.equal(close.control.problem, undefined, abbreviate(close));
            await assertOneClose(channel, 500);
            assert.deepEqual(b.helperPids(), pid);
        });

        test("close_echo_before_ready: open and close in one write; one close back", async () => {
            for (const op of ["watch", "action"]) {
                const ch = `q:${op}`;
                b.write(Buffer.concat([
                    frameOf({ command: "open", channel: ch, payload: "virt1", op, uri: TEST_URI, vm: "test", action: "nmi", "flow-control": true }),
                    frameOf({ command: "close", channel: ch, problem: "disconnected" }),
                ]));
                await b.next(ch, m => m.command === "close");
                await assertOneClose(ch, 300);
            }
            await assertAlive();
        });

        test("ping_pong: a channel ping comes back as pong with identical fields", async () => {
            const { channel } = await b.watch(TEST_URI);
            const ping = { command: "ping", channel, sequence: 123456, extra: { nested: [1, "two", null] }, text: "päß" };
            b.control(ping);
            const pong = await b.next(channel, m => m.command === "pong");
            assert.deepEqual(pong.control, { ...ping, command: "pong" });
            b.close(channel);
            await assertOneClose(channel);
        });

        test("kill_group: kill with a group closes exactly that group's channels with terminated", async () => {
            const g1 = [await openSynced("g1"), await openSynced("g1")];
            const g2 = [await openSynced("g2")];
            const none = [await openSynced(undefined)];
            b.control({ command: "kill", group: "g1", host: "localhost" });
            for (const ch of g1) {
                const close = await b.next(ch, m => m.command === "close");
                assert.equal(close.control.problem, "terminated", abbreviate(close));
            }
            // The others stay open: no close, and they still answer a ping.
            for (const ch of [...g2, ...none]) {
                b.control({ command: "ping", channel: ch, sequence: 1 });
                await b.next(ch, m => m.command === "pong");
                assert.equal(b.history(ch).filter(m => m.command === "close").length, 0, b.describe(ch));
            }
            // A kill for another host is not for us.
            b.control({ command: "kill", host: "elsewhere.example" });
            await sleep(300);
            for (const ch of [...g2, ...none])
                assert.equal(b.history(ch).filter(m => m.command === "close").length, 0, b.describe(ch));
            for (const ch of g1)
                await assertOneClose(ch, 0);

            b.control({ command: "kill" });
            for (const ch of [...g2, ...none]) {
                const close = await b.next(ch, m => m.command === "close");
                assert.equal(close.control.problem, "terminated", abbreviate(close));
            }
            for (const ch of [...g1, ...g2, ...none])
                await assertOneClose(ch, 100);
            await assertAlive();
        });

        test("storm: 400 opens with interleaved browser closes; one close each; helper survives", async () => {
            const pidsBefore = (await assertAlive(), b.helperPids());
            const channels = [];
            const writes = [];
            const closedByBrowser = new Set();
            for (let i = 0; i < 400; i++) {
                const ch = `storm:${i}`;
                channels.push(ch);
                const open = i % 4 === 3
                    ? { command: "open", channel: ch, payload: "virt1", op: "action", uri: TEST_URI, vm: i % 8 === 3 ? "nope" : "test", action: "nmi" }
                    : { command: "open", channel: ch, payload: "virt1", op: "watch", uri: TEST_URI };
                writes.push(frameOf({ ...open, "flow-control": true }));
                // Close every other channel at once, in the same write as its open.
                if (i % 2 === 0) {
                    writes.push(frameOf({ command: "close", channel: ch, problem: "disconnected" }));
                    closedByBrowser.add(ch);
                }
                // And some a few channels later, racing their snapshot.
                if (i % 6 === 1 && i > 10) {
                    writes.push(frameOf({ command: "close", channel: `storm:${i - 8}` }));
                    closedByBrowser.add(`storm:${i - 8}`);
                }
                if (writes.length >= 16) {
                    b.write(Buffer.concat(writes.splice(0)));
                    await sleep(1);
                }
            }
            b.write(Buffer.concat(writes));
            // Whatever is still open after its snapshot gets closed by the browser now (once: cockpit.js never
            // closes a channel twice).
            await Promise.all(channels.map(async ch => {
                const first = await b.next(ch, m => m.command === "close" || m.data?.synced, 30000);
                if (first.command !== "close") {
                    if (!closedByBrowser.has(ch))
                        b.close(ch, "disconnected");
                    await b.next(ch, m => m.command === "close", 30000);
                }
            }));
            await sleep(500);
            const bad = channels.filter(ch => {
                const h = b.history(ch);
                return h.filter(m => m.command === "close").length !== 1 || h.at(-1).command !== "close";
            });
            assert.deepEqual(bad, [], bad.slice(0, 3).map(ch => b.describe(ch)).join("\n"));
            assert.deepEqual(b.helperPids(), pidsBefore, "the helper was restarted");
            await assertAlive();
        });

        async function openSynced(group) {
            const { channel } = await b.watch(TEST_URI, group ? { group } : {});
            return channel;
        }
    });
}

function frameOf(obj) {
    const body = Buffer.from("\n" + JSON.stringify(obj));
    return Buffer.concat([Buffer.from(`${body.length}\n`), body]);
}
