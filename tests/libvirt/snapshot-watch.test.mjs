// SPDX-License-Identifier: LGPL-2.1-or-later
// op `snapshot` action `watch` (docs/api.md) on the real libvirtd through both bridges: a snapshot made and one
// deleted with virsh (libvirt sends no event for either) reach the open watch without asking again; the watch
// sends nothing while nothing changes.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { Bridge } from "../harness/bridge.mjs";
import { URI, cleanupTestObjects, defineTinyGuest, ensureLibvirtd, guestDir, virsh } from "../harness/libvirt.mjs";

describe("snapshot watch", () => {
    let b337, b287, g;

    before(async () => {
        await ensureLibvirtd();
        await guestDir();
        await cleanupTestObjects();
        [b337, b287] = await Promise.all([Bridge.start("337"), Bridge.start("287")]);
        g = await defineTinyGuest("snapwatch", { disks: ["16M"] });
    });
    after(async () => {
        await Promise.all([b337?.closeBridge(), b287?.closeBridge()]);
        await cleanupTestObjects();
    });

    const names = message => message.data.snapshots.map(s => s.name);

    for (const [bridge, made, gone] of [["337", "w1", null], ["287", "w2", "w1"]]) {
        test(`via ${bridge}: ${gone ? `made ${made} and deleted ${gone}` : `made ${made}`} with virsh, seen live`, async () => {
            const b = bridge === "337" ? b337 : b287;
            const channel = b.open({ payload: "virt1", op: "snapshot", uri: URI, vm: g.uuid, action: "watch" });
            const first = await b.next(channel, m => m.command === "close" || Array.isArray(m.data?.snapshots), 20000);
            assert.ok(first.data, `the watch closed: ${b.describe(channel)}`);
            const before = names(first);
            if (!gone)
                assert.deepEqual(await b.quiet(channel, 2500), [], "nothing is sent while nothing changes");
            await virsh("snapshot-create-as", g.name, made);
            const started = Date.now();
            const added = await b.next(channel, m => m.command === "close" || Array.isArray(m.data?.snapshots), 10000);
            assert.deepEqual(names(added), [...before, made]);
            assert.equal(added.data.snapshots.find(s => s.name === made).current, true);
            assert.ok(Date.now() - started < 5000, "seen within two checks");
            if (gone) {
                await virsh("snapshot-delete", g.name, gone);
                const removed = await b.next(channel, m => m.command === "close" || Array.isArray(m.data?.snapshots), 10000);
                assert.deepEqual(names(removed), [...before, made].filter(n => n !== gone));
            }
            b.close(channel);
            await b.untilClose(channel, 10000);
            const lists = b.history(channel).filter(m => Array.isArray(m.data?.snapshots));
            assert.equal(lists.length, gone ? 3 : 2, "one list per change");
        });
    }
});
