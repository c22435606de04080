// SPDX-License-Identifier: LGPL-2.1-or-later
// A 2,000-VM snapshot from libvirt's test driver: every VM arrives between reset and synced, and every frame is
// one complete UTF-8 JSON object of at most 1 MiB (shared/cockpit-protocol.md §3), even with multibyte text.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { Bridge, abbreviate, bridgeNames } from "../harness/bridge.mjs";
import { removeTestNode, testVmDescription, testVmName, testVmUuid, writeTestNode } from "../harness/testdriver.mjs";

const VMS = 2000;
const MAX_FRAME = 1024 * 1024;

for (const name of bridgeNames()) {
    describe(`2,000-VM snapshot via bridge ${name}`, () => {
        let b;
        let uri;
        before(async () => {
            uri = writeTestNode(VMS, { descriptionBytes: 400, unicode: true });
            b = await Bridge.start(name);
        });
        after(async () => {
            await b?.closeBridge();
            removeTestNode(uri);
        });

        test("snapshot_2000: all VMs between reset and synced, valid frames ≤ 1 MiB", async () => {
            const t0 = Date.now();
            const ch = b.open({ payload: "virt1", op: "watch", uri });
            const msgs = await b.collect(ch, m => m.data?.synced || m.command === "close", 60000);
            const elapsed = Date.now() - t0;
            assert.ok(msgs.at(-1).data?.synced, b.describe(ch));

            for (const m of msgs) {
                assert.ok(!m.utf8Error, `a frame is not valid UTF-8 (${m.raw.length} bytes)`);
                assert.ok(!m.jsonError, `a frame is not JSON: ${abbreviate(m)}`);
                if (!m.command) {
                    assert.ok(m.data && typeof m.data === "object" && !Array.isArray(m.data), abbreviate(m));
                    assert.ok(m.raw.length <= MAX_FRAME, `a ${m.raw.length}-byte data frame (limit ${MAX_FRAME})`);
                }
                assert.ok(m.frameLength <= MAX_FRAME + 64, `a ${m.frameLength}-byte frame`);
            }
            const data = msgs.filter(m => !m.command).map(m => m.data);
            const resetAt = data.findIndex(d => d.reset);
            assert.ok(resetAt >= 0, "no reset");
            assert.ok(data.slice(0, resetAt).every(d => d.connection), "only connection messages before reset");
            const between = data.slice(resetAt + 1, -1);
            const vms = {};
            for (const d of between) {
                assert.deepEqual(Object.keys(d), ["vms"], `unexpected message in the snapshot: ${JSON.stringify(d).slice(0, 200)}`);
                for (const [id, vm] of Object.entries(d.vms)) {
                    assert.ok(!(id in vms), `VM ${id} sent twice in one snapshot`);
                    assert.notEqual(vm, null, `null for ${id} inside a snapshot`);
                    vms[id] = vm;
                }
            }
            assert.equal(Object.keys(vms).length, VMS);
            for (let i = 0; i < VMS; i++) {
                const vm = vms[testVmUuid(i)];
                assert.ok(vm, `VM ${i} (${testVmUuid(i)}) missing`);
                assert.equal(vm.name, testVmName(i));
                assert.equal(vm.state, i % 3 === 2 ? "shutoff" : "running", `state of ${vm.name}`);
                assert.equal(vm.description, testVmDescription(400, true), `description of ${vm.name}`);
                assert.equal(vm.memory, (128 + (i % 8) * 64) * 1024 * 1024, `memory of ${vm.name}`);
            }
            assert.ok(elapsed < 30000, `snapshot took ${elapsed} ms`);
            b.close(ch);
            await b.next(ch, m => m.command === "close");
        });

        test("snapshot_shared: a second watch on the same URI gets the same 2,000 VMs", async () => {
            const [one, two] = await Promise.all([b.watch(uri, {}, 60000), b.watch(uri, {}, 60000)]);
            assert.equal(Object.keys(one.vms).length, VMS);
            assert.deepEqual(one.vms, two.vms);
            for (const ch of [one.channel, two.channel]) {
                b.close(ch);
                await b.next(ch, m => m.command === "close");
            }
        });
    });
}
