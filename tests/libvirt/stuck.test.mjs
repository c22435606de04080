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
