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
    READY, URI, cleanupTestObjects, defineTinyGuest, domInfo, ensureLibvirtd, guestDir, qemuPid, waitForSerial,
} from "../harness/libvirt.mjs";
import { HELPER_ENV, UsageWatch } from "./usage-guests.mjs";

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

// A frozen QEMU that no job touches: a running guest without disks or memory balloon (so no stats group of its own
// needs the monitor), its QEMU stopped with nothing else pending on it. It must not stay "running, 0 %" for good:
// the helper notices that its monitor does not answer and flags it not responding, and takes the flag back once
// QEMU runs again. Meanwhile the helper (same PID) still answers on another channel.
describe("a frozen QEMU nobody talks to", () => {
    let frozen, pid, b, stopped = false;
    before(async () => {
        await ensureLibvirtd();
        await guestDir();
        frozen = await defineTinyGuest("frozen", { running: true, balloon: false });
        await waitForSerial(frozen, READY, 90000);
        pid = qemuPid(frozen.name);
        assert.ok(pid, "no QEMU process for the frozen guest");
        b = await Bridge.start("337", { env: HELPER_ENV });
    });
    after(async () => {
        if (stopped)
            process.kill(pid, "SIGCONT");
        await b?.closeBridge();
        await cleanupTestObjects();
    });

    test("frozen_qemu: flagged not responding while stopped, responding again once it runs", async () => {
        const w = new UsageWatch(b, URI);
        await w.synced1();
        await w.until(w => w.latest[frozen.uuid]?.usage?.responding === true, TICKS_MS, "the guest responding");
        const helper = b.helperPids();
        assert.equal(helper.length, 1, "one helper process");

        process.kill(pid, "SIGSTOP");
        stopped = true;
        await w.until(w => w.latest[frozen.uuid]?.usage?.responding === false, TICKS_MS,
                      `${frozen.name} (QEMU ${pid} stopped) to show responding: false`);
        assert.equal(w.vms[frozen.uuid]?.state, "running", "still listed as running");
        assert.deepEqual(b.helperPids(), helper, "the helper's PID is unchanged");
        const bystander = b.open({ payload: "virt1", op: "watch", uri: URI });
        b.control({ command: "ping", channel: bystander, sequence: 7 });
        await b.next(bystander, m => m.command === "pong", 10000);
        b.close(bystander);

        process.kill(pid, "SIGCONT");
        stopped = false;
        await w.until(w => w.latest[frozen.uuid]?.usage?.responding === true, TICKS_MS,
                      `${frozen.name} responding again after SIGCONT`);
        await w.close();
    });
});
