// SPDX-License-Identifier: LGPL-2.1-or-later
// One hung guest must not take the whole connection down. A cvtest guest's QEMU is stopped (SIGSTOP) while a
// monitor job is pending on it (a `virsh domstats` that cannot finish), so every libvirt call that needs that
// domain's job waits up to libvirt's 30 s and then fails with "cannot acquire state change lock". Actions on
// other VMs and the watch of the same URI must keep working.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, test } from "node:test";

import { Bridge } from "../harness/bridge.mjs";
import {
    READY, URI, cleanupTestObjects, defineTinyGuest, domInfo, ensureLibvirtd, guestDir, guestRun, qemuPid,
    waitForSerial,
} from "../harness/libvirt.mjs";
import { BURN_PART, HELPER_ENV, UsageWatch } from "./usage-guests.mjs";

/** Generous: a tick is 1 s, but TCG guests on a busy 2-core machine can be slow. */
const TICKS_MS = 30000;

describe("a hung guest", () => {
    let stuck, other, pid, hung, b;
    before(async () => {
        await ensureLibvirtd();
        await guestDir();
        await cleanupTestObjects();
        stuck = await defineTinyGuest("stuck", { running: true });
        other = await defineTinyGuest("other");
        await waitForSerial(stuck, READY, 90000);
        pid = qemuPid(stuck.name);
        assert.ok(pid, "no QEMU process for the stuck guest");
        process.kill(pid, "SIGSTOP");
        // A monitor job that cannot finish holds the domain's job lock.
        hung = spawn("virsh", ["-q", "-c", URI, "domstats", stuck.name], { stdio: "ignore" });
        await new Promise(resolve => setTimeout(resolve, 1000));
        b = await Bridge.start("337");
    });
    after(async () => {
        if (pid)
            process.kill(pid, "SIGCONT");
        hung?.kill();
        await b?.closeBridge();
        await cleanupTestObjects();
    });

    test("stuck_other_action: an action on another VM still works", async () => {
        const t0 = Date.now();
        const r = await b.action(URI, other.uuid, "autostart", { enable: true }, 60000);
        assert.equal(r.problem, undefined, `after ${Date.now() - t0} ms:\n${r.trail}`);
        assert.equal((await domInfo(other.name)).Autostart, "enable");
        assert.ok(Date.now() - t0 < 10000, `the action took ${Date.now() - t0} ms`);
    });

    test("stuck_watch: the watch still reaches synced and lists the other VM", async () => {
        const ch = b.open({ payload: "virt1", op: "watch", uri: URI });
        const msgs = await b.collect(ch, m => m.data?.synced || m.command === "close", 45000);
        assert.ok(msgs.at(-1).data?.synced, b.describe(ch));
        assert.ok(msgs.some(m => m.data?.vms?.[other.uuid]), `${other.name} missing from the snapshot`);
        const states = msgs.map(m => m.data?.connection?.state).filter(Boolean);
        assert.ok(!states.includes("unreachable"), `connection states: ${states.join(", ")}`);
        b.close(ch);
        await b.next(ch, m => m.command === "close");
    });
});

// Frozen QEMUs that no job touches: running guests without disks or memory balloon, their QEMUs stopped with
// nothing else pending on them. They must not stay "running, 0 %" for good: the poller's own stats call asks every
// running QEMU's monitor and blocks on a frozen one; the helper stops waiting, finds the stuck monitor through
// virDomainGetControlInfo, flags that VM not responding and leaves it out of later calls, so the other guest's
// numbers keep coming (up to three frozen at once), and the flags go once QEMU runs again. Meanwhile the helper (same
// PID) still answers on another channel.
describe("frozen QEMUs nobody talks to", () => {
    let frozen, frozen2, healthy, b, w, helper;
    const stopped = new Set();
    const stop = g => { const pid = qemuPid(g.name); assert.ok(pid, g.name); process.kill(pid, "SIGSTOP"); stopped.add(pid) };
    before(async () => {
        await ensureLibvirtd();
        await guestDir();
        [frozen, frozen2, healthy] = await Promise.all(["frozen", "frozen2", "healthy"].map(
            name => defineTinyGuest(name, { running: true, balloon: false, agent: name === "healthy" })));
        await Promise.all([frozen, frozen2, healthy].map(g => waitForSerial(g, READY, 120000)));
        // Its numbers change every tick, so every tick carries it while it is polled.
        await guestRun(healthy, BURN_PART);
        b = await Bridge.start("337", { env: HELPER_ENV });
        w = new UsageWatch(b, URI);
        await w.synced1();
        helper = b.helperPids();
        assert.equal(helper.length, 1, "one helper process");
        await w.until(w => [frozen, frozen2, healthy].every(g => w.latest[g.uuid]?.usage?.responding === true),
                      TICKS_MS, "all three guests responding");
    });
    after(async () => {
        for (const pid of stopped)
            process.kill(pid, "SIGCONT");
        await b?.closeBridge();
        await cleanupTestObjects();
    });

    async function assertHelperAnswers() {
        assert.deepEqual(b.helperPids(), helper, "the helper's PID is unchanged");
        const bystander = b.open({ payload: "virt1", op: "watch", uri: URI });
        b.control({ command: "ping", channel: bystander, sequence: 7 });
        await b.next(bystander, m => m.command === "pong", 10000);
        b.close(bystander);
    }

    test("frozen_qemu: one frozen QEMU is flagged not responding and stays listed as running", async () => {
        stop(frozen);
        await w.until(w => w.latest[frozen.uuid]?.usage?.responding === false, TICKS_MS,
                      `${frozen.name} (QEMU stopped) to show responding: false`);
        assert.equal(w.vms[frozen.uuid]?.state, "running");
        await assertHelperAnswers();
    });

    test("frozen_qemus: with two frozen, both are flagged and the other guest keeps updating", async () => {
        stop(frozen2);
        await w.until(w => w.latest[frozen2.uuid]?.usage?.responding === false, TICKS_MS,
                      `${frozen2.name} (QEMU stopped) to show responding: false`);
        assert.equal(w.vms[frozen2.uuid]?.state, "running");
        const flaggedAt = w.latest[frozen2.uuid].tick;
        await w.until(w => w.ticksAfter(flaggedAt).filter(t => t.usage[healthy.uuid]).length >= 3, TICKS_MS,
                      `three more ticks updating ${healthy.name}`);
        assert.equal(w.latest[healthy.uuid].usage.responding, true);
        assert.equal(w.latest[frozen.uuid].usage.responding, false, "the first frozen guest is still flagged");
        await assertHelperAnswers();
    });

    test("frozen_recovered: after SIGCONT both respond again", async () => {
        for (const pid of stopped)
            process.kill(pid, "SIGCONT");
        stopped.clear();
        await w.until(w => [frozen, frozen2].every(g => w.latest[g.uuid]?.usage?.responding === true), TICKS_MS,
                      "both responding again after SIGCONT");
        await w.close();
    });
});
