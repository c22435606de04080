// SPDX-License-Identifier: LGPL-2.1-or-later
// libvirtd restarting under an open watch (docs/api.md, op `watch`): the connection goes `reconnecting`, then
// `connected`, and a fresh reset…synced lists every VM exactly once, without a page reload; patches and usage work
// again afterwards. Restarts only a libvirtd that tests/lib/libvirtd.sh started (its state file says so): anyone
// else's daemon is left alone and the test is skipped.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { Bridge } from "../harness/bridge.mjs";
import { REPO, URI, ensureLibvirtd, guestDir, testDomains, virsh, waitFor } from "../harness/libvirt.mjs";
import { HELPER_ENV, UsageWatch, defineOwnedGuest, history, removeGuests, removeLeftovers } from "./usage-guests.mjs";

const LIBVIRTD_SH = path.join(REPO, "tests/lib/libvirtd.sh");
const STATE = "/run/cockpit-virt-test/started";
const RESYNC_MS = 60000;

/** Why the suite must not restart libvirtd, or null if it started the running one itself. */
function notOurs() {
    if (URI !== "qemu:///system")
        return `the tests run against ${URI}, not the suite's qemu:///system`;
    let recorded, running;
    try {
        recorded = readFileSync(STATE, "utf8").match(/^libvirtd (\d+)$/m)?.[1];
    } catch {
        return `libvirtd was not started by the test suite (no ${STATE})`;
    }
    try {
        running = readFileSync("/run/libvirtd.pid", "utf8").trim();
    } catch {
        running = null;
    }
    if (!recorded || recorded !== running)
        return `the running libvirtd (${running ?? "no pid file"}) is not the one the test suite started ` +
               `(${recorded ?? "none recorded"} in ${STATE})`;
    return null;
}

/** tests/lib/libvirtd.sh restart: resolves with its exit code (3: not ours) and stderr. */
function restartLibvirtd() {
    return new Promise(resolve => {
        execFile(LIBVIRTD_SH, ["restart"], { timeout: 90000 }, (err, _stdout, stderr) =>
            resolve({ code: err ? err.code ?? err.signal : 0, stderr }));
    });
}

describe("libvirtd restarting under an open watch", () => {
    const owned = [];
    let b, w, running, off;
    let skip = null;

    before(async () => {
        await ensureLibvirtd();
        skip = notOurs();
        if (skip)
            return;
        await guestDir();
        await removeLeftovers("restart-");
        [running, off] = await Promise.all([
            defineOwnedGuest(owned, "restart-run", { running: true }),
            defineOwnedGuest(owned, "restart-off"),
        ]);
        b = await Bridge.start("337", { env: HELPER_ENV });
    });
    after(async () => {
        await b?.closeBridge();
        await removeGuests(owned);
    });

    test("restart_resync: reconnecting, connected, one fresh snapshot with every VM once, patches work again", async t => {
        if (skip) {
            t.skip(`not restarting libvirtd: ${skip}`);
            return;
        }
        w = new UsageWatch(b, URI);
        await w.synced1();
        for (const g of [running, off])
            assert.ok(w.vms[g.uuid], `${g.name} missing from the first snapshot`);
        await w.until(w => w.latest[running.uuid]?.usage, RESYNC_MS, `usage of ${running.name} before the restart`);
        assert.deepEqual(w.connections, ["connecting", "connected"]);

        const before = new Set(await testDomains());
        w.pump();
        const states = w.connections.length;
        const r = await restartLibvirtd();
        if (r.code === 3) {
            t.skip(`not restarting libvirtd: ${r.stderr.trim()}`);
            return;
        }
        assert.equal(r.code, 0, `tests/lib/libvirtd.sh restart failed: ${r.stderr}`);
        const restartedAt = Date.now() / 1000;

        await w.until(w => w.synced >= 2, RESYNC_MS, "a fresh snapshot after the restart");
        const after = new Set(await testDomains());
        const changes = w.connections.slice(states);
        t.diagnostic(`connection states after the restart: ${changes.join(", ")}`);
        assert.equal(changes[0], "reconnecting", `connection states after the restart: ${changes}`);
        assert.equal(changes.at(-1), "connected", `connection states after the restart: ${changes}`);
        assert.ok(changes.every(s => ["reconnecting", "connecting", "connected"].includes(s)),
                  `connection states after the restart: ${changes}`);
        assert.equal(w.resets, 2, "one fresh reset");
        // The kinds after the restart: connection states, then reset, vms…, synced.
        const kinds = w.kinds.slice(w.kinds.lastIndexOf("reset"));
        const syncedAt = kinds.indexOf("synced");
        assert.ok(kinds.slice(1, syncedAt).every(k => k === "vms"), `inside the snapshot: ${kinds.slice(0, syncedAt + 1)}`);

        const snapshot = w.snapshots.at(-1);
        assert.ok(snapshot.complete);
        const counts = new Map();
        for (const id of snapshot.ids)
            counts.set(id, (counts.get(id) ?? 0) + 1);
        const twice = [...counts].filter(([, n]) => n > 1).map(([id]) => w.vms[id]?.name ?? id);
        assert.deepEqual(twice, [], "VMs sent more than once in the fresh snapshot");
        assert.equal(Object.keys(w.vms).length, counts.size);
        // Every cvtest- VM that existed throughout is listed (others may come and go meanwhile), under its own name.
        const listed = Object.values(w.vms).map(vm => vm.name);
        for (const name of before)
            if (after.has(name))
                assert.equal(listed.filter(n => n === name).length, 1, `${name} listed ${listed.filter(n => n === name).length} times`);
        for (const g of [running, off])
            assert.ok(w.vms[g.uuid]?.name === g.name, `${g.name} after the restart: ${JSON.stringify(w.vms[g.uuid])?.slice(0, 200)}`);
        assert.equal(w.vms[running.uuid].state, "running", "the guest kept running across the restart");
        assert.equal(w.vms[off.uuid].state, "shutoff");
        for (const vm of Object.values(w.vms))
            if (vm.name.startsWith("cvtest-"))
                assert.ok(before.has(vm.name) || after.has(vm.name), `${vm.name} is listed but libvirt does not have it`);

        // Events work again: a new VM appears, a state change arrives.
        const fresh = await defineOwnedGuest(owned, "restart-new");
        await w.until(w => w.vms[fresh.uuid]?.name === fresh.name, RESYNC_MS, `${fresh.name} defined after the restart`);
        await virsh("start", off.name);
        await w.until(w => w.vms[off.uuid]?.state === "running", RESYNC_MS, `${off.name} started after the restart`);
        // Usage polling resumes on the new connection: ticks advance and the running guest's history grows.
        const tick = w.lastTick;
        await w.until(w => w.lastTick >= tick + 2, RESYNC_MS, "ticks after the restart");
        let last;
        await waitFor(async () => {
            const h = await history(b, URI, running.uuid);
            assert.equal(h.close.problem, undefined, h.trail);
            last = h.data[0]?.series?.time?.at(-1);
            return last > restartedAt + 1;
        }, RESYNC_MS, { interval: 1000, what: `history of ${running.name} after the restart` })
            .catch(e => { e.message += ` (last point at ${last}, restart done at ${restartedAt})`; throw e });
        if (w.latest[running.uuid]?.tick > tick)
            assert.equal(w.latest[running.uuid].usage?.responding, true, JSON.stringify(w.latest[running.uuid]));
        assert.equal(w.resets, 2, "no further reset");
        assert.equal(w.connections.at(-1), "connected");
        await w.close();
    });
});
