// SPDX-License-Identifier: LGPL-2.1-or-later
// Every `action` of docs/api.md on tiny real guests (qemu:///system, TCG), driven through a real cockpit-bridge,
// each effect checked with virsh or on the guest's serial console. Independent guests run concurrently.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, test } from "node:test";

import { Bridge } from "../harness/bridge.mjs";
import {
    READY, SHUTDOWN, URI, cleanupTestObjects, defineTinyGuest, domExists, domInfo, domState, domStateReason,
    ensureLibvirtd, guestDir, qemuPids, serialCount, virsh, waitFor, waitForSerial,
} from "../harness/libvirt.mjs";

const BOOT_MS = 90000;

/** Runs `action` and asserts docs/api.md's success shape: ready, exactly one result, close without problem. */
async function ok(b, vm, action, params = {}) {
    const r = await b.action(URI, vm, action, params);
    assert.equal(r.problem, undefined, `${action} failed:\n${r.trail}`);
    assert.ok(r.ready, `${action}: no ready:\n${r.trail}`);
    assert.equal(r.results.length, 1, `${action}: expected one result message:\n${r.trail}`);
    assert.equal(r.results[0].ok, true, r.trail);
    return r.results[0];
}

function waitState(name, state, timeoutMs = 30000) {
    return waitFor(async () => (await domState(name)) === state, timeoutMs, { what: `${name} to be ${state}` });
}

describe("actions on tiny real guests", { concurrency: true }, () => {
    before(async () => {
        await ensureLibvirtd();
        await guestDir();
        await cleanupTestObjects();
    });
    after(async () => { await cleanupTestObjects() });

    test("lifecycle_337: start, suspend, resume, nmi, reboot, shutdown", async t => {
        const b = await Bridge.start("337");
        t.after(() => b.closeBridge());
        const g = await defineTinyGuest("life");

        await t.test("start: the guest boots", async () => {
            const t0 = Date.now();
            await ok(b, g.uuid, "start");
            assert.equal(await domState(g.name), "running");
            await waitForSerial(g, READY, BOOT_MS);
            t.diagnostic(`start → TESTGUEST-READY: ${Date.now() - t0} ms`);
        });
        await t.test("suspend: paused (user)", async () => {
            await ok(b, g.uuid, "suspend");
            assert.equal(await domStateReason(g.name), "paused (user)");
        });
        await t.test("resume: running again", async () => {
            await ok(b, g.uuid, "resume");
            assert.equal(await domState(g.name), "running");
        });
        await t.test("nmi: the guest kernel logs the NMI", async () => {
            await ok(b, g.uuid, "nmi");
            await waitForSerial(g, /NMI received/, 10000);
            assert.equal(await domState(g.name), "running");
        });
        await t.test("reboot: the same domain boots a second time", async () => {
            const id = (await virsh("domid", g.name)).trim();
            const t0 = Date.now();
            await ok(b, g.uuid, "reboot");
            await waitForSerial(g, READY, BOOT_MS, { count: 2 });
            t.diagnostic(`reboot → second TESTGUEST-READY: ${Date.now() - t0} ms`);
            assert.equal(serialCount(g, SHUTDOWN), 1, "the guest went through its shutdown once");
            assert.equal(await domState(g.name), "running");
            assert.equal((await virsh("domid", g.name)).trim(), id, "a reboot keeps the domain id");
        });
        await t.test("shutdown: the guest powers itself off on ACPI", async () => {
            const t0 = Date.now();
            await ok(b, g.uuid, "shutdown");
            await waitForSerial(g, SHUTDOWN, 30000, { count: 2 });
            await waitState(g.name, "shut off");
            t.diagnostic(`shutdown → shut off: ${Date.now() - t0} ms`);
            assert.equal(await domStateReason(g.name), "shut off (shutdown)");
        });
    });

    for (const name of ["337", "287"]) {
        test(`start_destroy_${name}: the guest boots, then is forced off`, async t => {
            const b = await Bridge.start(name);
            t.after(() => b.closeBridge());
            const g = await defineTinyGuest(`sd${name}`);
            await ok(b, g.name, "start"); // by name
            assert.equal(await domState(g.name), "running");
            await waitForSerial(g, READY, BOOT_MS);
            await ok(b, g.uuid, "destroy");
            assert.equal(await domStateReason(g.name), "shut off (destroyed)");
            assert.equal(serialCount(g, SHUTDOWN), 0, "destroy is not a graceful shutdown");
            assert.deepEqual(qemuPids(g.name), []);
        });
    }

    test("autostart_toggle: on and off, as virsh dominfo shows", async t => {
        const b = await Bridge.start("337");
        t.after(() => b.closeBridge());
        const g = await defineTinyGuest("auto");
        assert.equal((await domInfo(g.name)).Autostart, "disable");
        await ok(b, g.uuid, "autostart", { enable: true });
        assert.equal((await domInfo(g.name)).Autostart, "enable");
        await ok(b, g.uuid, "autostart", { enable: false });
        assert.equal((await domInfo(g.name)).Autostart, "disable");
    });

    test("delete_keep_storage: the domain goes, its disk stays", async t => {
        const b = await Bridge.start("337");
        t.after(() => b.closeBridge());
        const g = await defineTinyGuest("delkeep", { disks: ["16M"] });
        const res = await ok(b, g.uuid, "delete", { storage: [] });
        assert.deepEqual(res.deleted, []);
        assert.deepEqual(res.storageErrors, []);
        assert.equal(await domExists(g.name), false);
        assert.ok(existsSync(g.disks[0]), "the disk file must remain");
    });

    test("delete_one_of_two_disks: exactly the ticked disk goes", async t => {
        const b = await Bridge.start("337");
        t.after(() => b.closeBridge());
        const g = await defineTinyGuest("delone", { disks: ["16M", "16M"] });
        const res = await ok(b, g.uuid, "delete", { storage: [{ target: "vdb", source: g.disks[1] }] });
        assert.equal(await domExists(g.name), false);
        assert.deepEqual(res.deleted, [g.disks[1]]);
        assert.deepEqual(res.storageErrors, []);
        assert.ok(existsSync(g.disks[0]), "vda was not ticked and must remain");
        assert.ok(!existsSync(g.disks[1]), "vdb was ticked and must be gone");
    });

    test("delete_running: forced off, then removed with its storage", async t => {
        const b = await Bridge.start("337");
        t.after(() => b.closeBridge());
        const g = await defineTinyGuest("delrun", { disks: ["16M"], running: true });
        assert.equal(await domState(g.name), "running");
        assert.notDeepEqual(qemuPids(g.name), []);
        const res = await ok(b, g.uuid, "delete", { storage: [{ target: "vda", source: g.disks[0] }] });
        assert.equal(await domExists(g.name), false);
        assert.deepEqual(qemuPids(g.name), [], "QEMU must be gone");
        assert.deepEqual(res.deleted, [g.disks[0]]);
        assert.ok(!existsSync(g.disks[0]));
    });

    test("add_vnc: a VNC display on a socket joins the definition; the rest stays; twice adds one", async t => {
        const b = await Bridge.start("337");
        t.after(() => b.closeBridge());
        const g = await defineTinyGuest("addvnc", { disks: ["16M"] });
        const before = await virsh("dumpxml", "--inactive", g.name);
        assert.doesNotMatch(before, /<graphics/);
        const res = await ok(b, g.uuid, "add-vnc");
        assert.deepEqual(res, { ok: true, added: true, next_start: false });
        const after = await virsh("dumpxml", "--inactive", g.name);
        assert.match(after, /<graphics type='vnc'[^>]*>\s*<listen type='socket'\/>/);
        // Everything else is as it was: the disk, the serial log, the kernel.
        for (const part of [g.disks[0], g.serialLog, "<kernel>"])
            assert.ok(after.includes(part), `${part} is still in the definition`);
        assert.deepEqual(await ok(b, g.uuid, "add-vnc"), { ok: true, added: false, next_start: false });
        assert.equal((await virsh("dumpxml", "--inactive", g.name)).match(/<graphics /g).length, 1);
    });

    test("add_vnc_transient: refused with not-supported, the running VM unchanged", async t => {
        const b = await Bridge.start("337");
        t.after(() => b.closeBridge());
        const g = await defineTinyGuest("addvnct");
        // Make it transient: start it, then drop its definition.
        await virsh("start", g.name);
        await virsh("undefine", g.name);
        t.after(() => virsh("destroy", g.name).catch(() => {}));
        const r = await b.action(URI, g.uuid, "add-vnc");
        assert.equal(r.problem, "not-supported", r.trail);
        assert.match(r.close.message, /transient/, r.trail);
        assert.deepEqual(r.results, [], r.trail);
        assert.doesNotMatch(await virsh("dumpxml", g.name), /<graphics/);
    });

    test("action_not_found: not-found with libvirt's error, no result", async t => {
        const b = await Bridge.start("337");
        t.after(() => b.closeBridge());
        for (const vm of ["cvtest-does-not-exist", "00000000-0000-4000-8000-00000000dead"]) {
            for (const action of ["start", "delete"]) {
                const r = await b.action(URI, vm, action, action === "delete" ? { storage: [] } : {});
                assert.equal(r.problem, "not-found", r.trail);
                assert.equal(r.close["libvirt-error"], 42, r.trail);
                assert.deepEqual(r.results, [], r.trail);
            }
        }
    });
});
