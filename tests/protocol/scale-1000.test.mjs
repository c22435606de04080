// SPDX-License-Identifier: LGPL-2.1-or-later
// A 1,000-VM test:/// node file watched through each real bridge: every VM arrives between reset and synced,
// exactly once, with its own name and state; and the same with "usage": true, where the snapshot is followed by
// the sparklines and the ticks, never interleaved with the VM rows.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { Bridge, abbreviate, bridgeNames } from "../harness/bridge.mjs";
import { removeTestNode, testVmName, testVmUuid, writeTestNode } from "../harness/testdriver.mjs";

const VMS = 1000;

/**
 * Checks one watch's messages up to its first synced: only connection messages before reset, only vms messages
 * between reset and synced, all VMS VMs exactly once with their names and states. Returns the data messages.
 */
function checkSnapshot(msgs, describe) {
    const data = msgs.filter(m => !m.command).map(m => m.data);
    const states = data.filter(d => d.connection).map(d => d.connection.state);
    assert.ok(states.includes("connected"), `connection states ${states}\n${describe()}`);
    const resetAt = data.findIndex(d => d.reset === true);
    assert.ok(resetAt >= 0, `no reset\n${describe()}`);
    assert.ok(data.slice(0, resetAt).every(d => d.connection), "only connection messages before reset");
    const syncedAt = data.findIndex(d => d.synced === true);
    assert.ok(syncedAt > resetAt, `synced at ${syncedAt}, reset at ${resetAt}`);
    const seen = new Map();
    for (const d of data.slice(resetAt + 1, syncedAt)) {
        assert.deepEqual(Object.keys(d), ["vms"], `inside the snapshot: ${JSON.stringify(d).slice(0, 200)}`);
        for (const [id, vm] of Object.entries(d.vms)) {
            assert.ok(!seen.has(id), `VM ${id} sent twice in one snapshot`);
            assert.notEqual(vm, null, `null for ${id} inside a snapshot`);
            assert.equal(vm.id, id);
            seen.set(id, vm);
        }
    }
    assert.equal(seen.size, VMS, `${seen.size} VMs in the snapshot`);
    for (let i = 0; i < VMS; i++) {
        const vm = seen.get(testVmUuid(i));
        assert.ok(vm, `VM ${i} (${testVmUuid(i)}) missing`);
        assert.equal(vm.name, testVmName(i));
        assert.equal(vm.state, i % 3 === 2 ? "shutoff" : "running", `state of ${vm.name}`);
    }
    return data;
}

for (const name of bridgeNames()) {
    describe(`1,000-VM test:/// watch via bridge ${name}`, () => {
        let b;
        let uri;
        before(async () => {
            uri = writeTestNode(VMS);
            b = await Bridge.start(name, { env: { CVIRT_TICK_MS: "1000" } });
        });
        after(async () => {
            await b?.closeBridge();
            removeTestNode(uri);
        });

        test(`watch_1000_test_driver_${name}: all 1,000 VMs between reset and synced, exactly once`, async () => {
            const ch = b.open({ payload: "virt1", op: "watch", uri });
            const msgs = await b.collect(ch, m => m.data?.synced || m.command === "close", 60000);
            assert.ok(msgs.at(-1).data?.synced, b.describe(ch));
            for (const m of msgs)
                assert.ok(!m.jsonError && !m.utf8Error, `not a JSON frame: ${abbreviate(m)}`);
            checkSnapshot(msgs, () => b.describe(ch));
            // Nothing but patches (there are none: nothing changes in a test:/// file) follows the snapshot.
            const later = await b.quiet(ch, 1500);
            for (const m of later)
                assert.ok(m.command === "ping" || (m.data && !m.data.reset && !m.data.synced && !m.data.tick),
                          `after synced: ${abbreviate(m)}`);
            b.close(ch);
            await b.next(ch, m => m.command === "close");
        });

        test(`watch_1000_usage_${name}: with usage, the snapshot is whole and then sparklines and ticks follow`, async () => {
            const ch = b.open({ payload: "virt1", op: "watch", uri, usage: true });
            const msgs = await b.collect(ch, m => m.data?.tick !== undefined || m.command === "close", 60000);
            assert.ok(msgs.at(-1).data?.tick !== undefined, b.describe(ch));
            const data = checkSnapshot(msgs, () => b.describe(ch));
            const afterSynced = data.slice(data.findIndex(d => d.synced) + 1);
            assert.ok(afterSynced[0]?.sparklines, `first after synced: ${JSON.stringify(afterSynced[0])?.slice(0, 200)}`);
            assert.equal(afterSynced.at(-1).reset, true, "the first tick message carries reset");
            // The test driver's running VMs get usage after two ticks; every id is one of the file's running VMs.
            const running = new Set([...Array(VMS).keys()].filter(i => i % 3 !== 2).map(testVmUuid));
            const usage = {};
            await b.next(ch, m => {
                Object.assign(usage, m.data?.usage ?? {});
                return Object.keys(usage).length >= running.size;
            }, 30000).catch(e => {
                e.message = `usage for ${Object.keys(usage).length} of ${running.size} running VMs: ${e.message}`;
                throw e;
            });
            for (const [id, u] of Object.entries(usage)) {
                assert.ok(running.has(id), `usage for ${id}, which is not a running VM of the file`);
                assert.ok(u && typeof u.cpu === "number" && u.cpu >= 0 && u.cpu <= 100, `${id}: ${JSON.stringify(u)}`);
            }
            b.close(ch);
            await b.next(ch, m => m.command === "close");
        });
    });
}
