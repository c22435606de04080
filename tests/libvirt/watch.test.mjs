// SPDX-License-Identifier: LGPL-2.1-or-later
// A watch on qemu:///system follows changes made behind its back with virsh, live, through both bridges at once:
// define → the VM appears, domrename → same id with the new name, start/suspend/destroy → state patches,
// undefine → null.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { Bridge, applyPatch } from "../harness/bridge.mjs";
import { URI, cleanupTestObjects, defineTinyGuest, ensureLibvirtd, guestDir, virsh } from "../harness/libvirt.mjs";

const PATCH_MS = 20000;

describe("watch on qemu:///system follows virsh", () => {
    const watchers = [];
    before(async () => {
        await ensureLibvirtd();
        await guestDir();
        await cleanupTestObjects();
        for (const name of ["337", "287"]) {
            const b = await Bridge.start(name);
            const w = await b.watch(URI, {}, 60000);
            watchers.push({ name, b, channel: w.channel, vms: w.vms });
        }
    });
    after(async () => {
        for (const w of watchers)
            await w.b.closeBridge();
        await cleanupTestObjects();
    });

    /** Waits until every watcher has received a patch for `id` satisfying `check` (null = removed). */
    async function expectPatch(id, check, what) {
        await Promise.all(watchers.map(async w => {
            const m = await w.b.next(w.channel, m => m.data?.vms && id in m.data.vms && check(m.data.vms[id]), PATCH_MS)
                .catch(e => { throw new Error(`bridge ${w.name}: no patch ${what}\n${e.message}`) });
            applyPatch(w.vms, m.data.vms);
            assert.equal(m.data.vms[id] === null ? null : m.data.vms[id].id, m.data.vms[id] === null ? null : id);
        }));
    }

    test("watch_follows_virsh: define, rename, start, suspend, destroy, undefine arrive as patches", async () => {
        for (const w of watchers)
            assert.equal(Object.values(w.vms).filter(vm => vm.name.startsWith("cvtest-")).length, 0);

        const g = await defineTinyGuest("watch");
        await expectPatch(g.uuid, vm => vm?.name === g.name && vm.state === "shutoff" && vm.persistent === true,
                          "for the defined VM");

        const renamed = `${g.name}-renamed`;
        await virsh("domrename", g.name, renamed);
        await expectPatch(g.uuid, vm => vm?.name === renamed, `renaming to ${renamed}`);
        for (const w of watchers)
            assert.equal(Object.values(w.vms).filter(vm => vm.name === g.name).length, 0, "the old name is gone");

        await virsh("start", renamed);
        await expectPatch(g.uuid, vm => vm?.state === "running", "with state running");

        await virsh("suspend", renamed);
        await expectPatch(g.uuid, vm => vm?.state === "paused", "with state paused");

        await virsh("destroy", renamed);
        await expectPatch(g.uuid, vm => vm?.state === "shutoff", "with state shutoff after destroy");

        await virsh("undefine", renamed);
        await expectPatch(g.uuid, vm => vm === null, "removing the VM (null)");
        for (const w of watchers)
            assert.equal(w.vms[g.uuid], undefined);
    });

    test("watch_transient: a transient VM appears while it runs and goes when it stops", async () => {
        const g = await defineTinyGuest("transient");
        await expectPatch(g.uuid, vm => vm?.persistent === true, "for the defined VM");
        await virsh("undefine", g.name);
        await expectPatch(g.uuid, vm => vm === null, "removing the undefined VM");
        await virsh("create", g.xmlPath);
        await expectPatch(g.uuid, vm => vm?.state === "running" && vm.persistent === false, "for the transient VM");
        await virsh("destroy", g.name);
        await expectPatch(g.uuid, vm => vm === null, "removing the transient VM once destroyed");
    });
});
