// SPDX-License-Identifier: LGPL-2.1-or-later
// The first exchange through each real bridge: a `watch` on test:///default (docs/api.md "op watch") and a
// one-shot `action` on the same connection.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { Bridge, abbreviate, bridgeNames } from "../harness/bridge.mjs";

const TEST_URI = "test:///default";
const TEST_VM = "6695eb01-f6a4-8304-79aa-97f2502e193f"; // the test driver's built-in "test" domain

for (const name of bridgeNames()) {
    describe(`handshake via bridge ${name}`, () => {
        let b;
        before(async () => { b = await Bridge.start(name) });
        after(async () => { await b?.closeBridge() });

        test("watch_snapshot: ready, connection, reset, vms, synced in that order", async () => {
            const ch = b.open({ payload: "virt1", op: "watch", uri: TEST_URI });
            const msgs = await b.collect(ch, m => m.data?.synced || m.command === "close", 15000);
            const trail = () => msgs.map(abbreviate).join("\n");
            assert.equal(msgs[0].command, "ready", `first message must be ready:\n${trail()}`);
            assert.ok(msgs.at(-1).data?.synced, `channel closed before synced:\n${trail()}`);

            const data = msgs.slice(1).map(m => {
                assert.equal(m.command, undefined, `unexpected control before synced: ${abbreviate(m)}`);
                assert.equal(typeof m.data, "object", `data frame is not a JSON object: ${abbreviate(m)}`);
                assert.ok(m.data && !Array.isArray(m.data), `data frame is not a JSON object: ${abbreviate(m)}`);
                return m.data;
            });
            // connection first; connecting may precede connected.
            const conns = [];
            while (data[0]?.connection)
                conns.push(data.shift().connection);
            assert.ok(conns.length >= 1, `no connection message first:\n${trail()}`);
            for (const c of conns)
                assert.equal(c.uri, TEST_URI);
            assert.equal(conns.at(-1).state, "connected", `last connection state before reset:\n${trail()}`);
            assert.ok(conns.slice(0, -1).every(c => c.state === "connecting"), trail());

            assert.deepEqual(data.shift(), { reset: true }, `reset must follow connected:\n${trail()}`);
            assert.deepEqual(data.pop(), { synced: true });
            const vms = {};
            for (const d of data) {
                assert.deepEqual(Object.keys(d), ["vms"], `only vms patches between reset and synced:\n${trail()}`);
                Object.assign(vms, d.vms);
            }
            assert.deepEqual(Object.keys(vms), [TEST_VM]);
            const vm = vms[TEST_VM];
            assert.equal(vm.id, TEST_VM);
            assert.equal(vm.name, "test");
            assert.equal(vm.uri, TEST_URI);
            assert.equal(vm.state, "running");
            assert.equal(vm.persistent, true);
            assert.equal(typeof vm.autostart, "boolean");
            assert.equal(vm.domainType, "test");
            assert.equal(typeof vm.vcpus, "number");
            assert.equal(typeof vm.memory, "number");
            assert.ok(Array.isArray(vm.disks) && Array.isArray(vm.interfaces));
            b.close(ch);
            await b.next(ch, m => m.command === "close");
        });

        test("action_result: ready, one {ok:true}, close without problem; the watch sees the change", async () => {
            const { channel: w, vms } = await b.watch(TEST_URI);
            assert.equal(vms[TEST_VM].state, "running");

            const run = async (action, expectState) => {
                const a = b.open({ payload: "virt1", op: "action", uri: TEST_URI, vm: TEST_VM, action });
                const msgs = await b.untilClose(a);
                const trail = msgs.map(abbreviate).join("\n");
                assert.equal(msgs.length, 3, `expected ready, result, close:\n${trail}`);
                assert.equal(msgs[0].command, "ready", trail);
                assert.deepEqual(msgs[1].data, { ok: true }, trail);
                assert.equal(msgs[2].command, "close", trail);
                assert.equal(msgs[2].control.problem, undefined, trail);
                // test:/// delivers events within the connection the helper shares between channels.
                const patch = await b.next(w, m => m.data?.vms?.[TEST_VM]?.state === expectState, 10000);
                assert.equal(patch.data.vms[TEST_VM].name, "test");
            };
            await run("suspend", "paused");
            await run("resume", "running");

            // A name works as well as the UUID.
            const byName = b.open({ payload: "virt1", op: "action", uri: TEST_URI, vm: "test", action: "suspend" });
            assert.deepEqual((await b.untilClose(byName)).map(m => m.command ?? m.data), ["ready", { ok: true }, "close"]);
            await b.next(w, m => m.data?.vms?.[TEST_VM]?.state === "paused", 10000);
            const back = b.open({ payload: "virt1", op: "action", uri: TEST_URI, vm: "test", action: "resume" });
            await b.untilClose(back);
            b.close(w);
            await b.next(w, m => m.command === "close");
        });

        test("action_not_found: ready, then close not-found with libvirt's error code, no result", async () => {
            const a = b.open({ payload: "virt1", op: "action", uri: TEST_URI, vm: "no-such-vm", action: "start" });
            const msgs = await b.untilClose(a);
            const close = msgs.at(-1).control;
            assert.equal(close.problem, "not-found", msgs.map(abbreviate).join("\n"));
            assert.equal(close["libvirt-error"], 42);
            assert.equal(typeof close.message, "string");
            assert.ok(msgs.every(m => m.command), `no data expected: ${msgs.map(abbreviate).join("\n")}`);
        });
    });
}
