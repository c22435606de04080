// SPDX-License-Identifier: LGPL-2.1-or-later
// An interrupted `create` leaves nothing behind (docs/architecture.md, "Interrupted creates"): a cancel from the
// page closes the channel only after the rollback (an immediate retry with the same name works), SIGTERM and EOF
// roll back before the helper exits, and what a SIGKILLed helper left is removed by the next helper at its start.
// Everything here is named coi-*: pool coi-pool under /var/tmp/coi-pool and the domains and volumes of each test.

import assert from "node:assert/strict";
import { closeSync, ftruncateSync, mkdirSync, openSync, rmSync } from "node:fs";
import { after, before, describe, test } from "node:test";

import { Bridge, abbreviate, bridgeNames, processAlive } from "../harness/bridge.mjs";
import { URI, domExists, ensureLibvirtd, libvirtdDrained, virsh, waitFor } from "../harness/libvirt.mjs";

const POOL = "coi-pool";
const POOL_DIR = "/var/tmp/coi-pool";
const SRC_DIR = "/var/tmp/coi-src";
/** A sparse disk image large enough that its copy is still running when the test interrupts it. */
const HUGE = `${SRC_DIR}/huge.img`;
const HUGE_SIZE = 4 * 1024 * 1024 * 1024;

async function quietly(...args) {
    try {
        return await virsh(...args);
    } catch {
        return null;
    }
}

async function volumes() {
    const out = await virsh("vol-list", POOL);
    return out.split("\n").map(line => line.trim().split(/\s+/)[0]).filter(Boolean);
}

async function cleanup() {
    const names = (await virsh("list", "--all", "--name")).split("\n").map(s => s.trim()).filter(n => n.startsWith("coi-"));
    for (const name of names) {
        await quietly("destroy", name);
        await quietly("undefine", "--nvram", name);
    }
    if (await quietly("pool-info", POOL)) {
        for (const vol of await volumes().catch(() => []))
            await quietly("vol-delete", "--pool", POOL, vol);
        await quietly("pool-destroy", POOL);
        await quietly("pool-undefine", POOL);
    }
    rmSync(POOL_DIR, { recursive: true, force: true });
    rmSync(SRC_DIR, { recursive: true, force: true });
}

function spec(name) {
    return {
        name, os: null, source: { kind: "import", path: HUGE, copy_to_pool: POOL },
        memory_mib: 128, vcpus: 1, storage: { kind: "none" }, network: { kind: "user" },
        virt_type: "qemu", firmware: "bios", run: false,
    };
}

describe("interrupted create", () => {
    before(async () => {
        await ensureLibvirtd();
        await cleanup();
        mkdirSync(POOL_DIR, { recursive: true });
        mkdirSync(SRC_DIR, { recursive: true });
        await virsh("pool-define-as", POOL, "dir", "--target", POOL_DIR);
        await virsh("pool-start", POOL);
        const fd = openSync(HUGE, "w");
        ftruncateSync(fd, HUGE_SIZE);
        closeSync(fd);
    });
    after(cleanup);

    /** Opens a create of `name` and resolves once its copy has started: { channel }. */
    async function copying(b, name) {
        const channel = b.open({ payload: "virt1", op: "create", uri: URI, mode: "create", spec: spec(name) });
        const m = await b.next(channel, m => m.command === "close" || m.data?.progress?.done > 0, 30000);
        assert.equal(m.command, undefined, `closed before copying: ${b.describe(channel)}`);
        assert.ok((await volumes()).includes(`${name}.img`), "the volume exists while copying");
        return channel;
    }

    async function leftovers(name) {
        return { domain: await domExists(name), volumes: (await volumes()).filter(v => v.startsWith(name)) };
    }

    for (const bridge of bridgeNames()) {
        describe(`via bridge ${bridge}`, () => {
            let b;
            before(async () => { b = await Bridge.start(bridge) });
            after(async () => { await b?.closeBridge() });

            test("cancel: the close comes after the rollback, and a retry with the same name works at once", async () => {
                const name = `coi-cancel-${bridge}`;
                const channel = await copying(b, name);
                const pids = b.helperPids();
                assert.equal(pids.length, 1, "one helper");
                b.send(channel, JSON.stringify({ cancel: true }));
                const close = await b.next(channel, m => m.command === "close", 30000);
                assert.equal(close.control.problem, "terminated", abbreviate(close));
                // Checked at once, no waiting: the close promised it.
                assert.deepEqual(await leftovers(name), { domain: false, volumes: [] });
                const retry = b.open({ payload: "virt1", op: "create", uri: URI, mode: "create", spec: spec(name) });
                await b.next(retry, m => m.command === "close" || m.data?.progress?.done > 0, 30000);
                b.send(retry, JSON.stringify({ cancel: true }));
                const again = await b.next(retry, m => m.command === "close", 30000);
                assert.equal(again.control.problem, "terminated", `the retry was refused: ${b.describe(retry)}`);
                assert.deepEqual(await leftovers(name), { domain: false, volumes: [] });
                assert.deepEqual(b.helperPids(), pids, "the helper was not restarted");
            });

            test("SIGTERM mid-copy: the helper rolls back before it exits", async () => {
                const name = `coi-term-${bridge}`;
                const [pid] = b.helperPids();
                const channel = await copying(b, name);
                process.kill(pid, "SIGTERM");
                await b.next(channel, m => m.command === "close", 30000);
                await waitFor(() => !processAlive(pid), 30000, { what: "the helper to exit" });
                assert.deepEqual(await leftovers(name), { domain: false, volumes: [] });
            });

            test("SIGKILL mid-copy: the next helper removes what the dead one made", async () => {
                const name = `coi-kill-${bridge}`;
                // A fresh helper: the previous test's one is gone.
                const probe = b.open({ payload: "virt1", op: "create-options", uri: URI });
                await b.next(probe, m => m.command === "close", 30000);
                const [pid] = b.helperPids();
                const channel = await copying(b, name);
                // Stopped first, killed once libvirtd has taken in all it sent: libvirt 11.3 deadlocks when stream
                // data of a client that is gone is still queued (docs/architecture.md). A user's helper may die
                // that way too; this test is about what the next helper does, not about that libvirt bug.
                process.kill(pid, "SIGSTOP");
                await libvirtdDrained();
                process.kill(pid, "SIGKILL");
                await b.next(channel, m => m.command === "close", 30000);
                await waitFor(() => !processAlive(pid), 10000, { what: "the helper to die" });
                assert.deepEqual((await leftovers(name)).volumes, [`${name}.img`], "the dead helper's volume is left");
                // Any open starts the next helper, which recovers at its start.
                const next = b.open({ payload: "virt1", op: "create-options", uri: URI });
                await b.next(next, m => m.command === "close", 30000);
                await waitFor(async () => (await leftovers(name)).volumes.length === 0, 30000,
                              { what: `the volume of ${name} to be removed by the next helper` });
                assert.equal(await domExists(name), false);
            });
        });
    }

    test("SIGHUP mid-copy: the helper rolls back before it exits", async () => {
        const name = "coi-hup";
        const p = await Bridge.peer();
        await copying(p, name);
        p.proc.kill("SIGHUP");
        const status = await p.exited;
        assert.equal(status.signal, "SIGHUP", JSON.stringify(status));
        assert.deepEqual(await leftovers(name), { domain: false, volumes: [] });
    });

    test("stdout gone mid-copy: the helper rolls back before it exits", async () => {
        const name = "coi-stdout";
        const p = await Bridge.peer();
        await copying(p, name);
        // The reading end closes: the helper's next progress write fails with EPIPE.
        p.proc.stdout.destroy();
        const status = await p.exited;
        assert.equal(status.code, 0, JSON.stringify(status));
        assert.deepEqual(await leftovers(name), { domain: false, volumes: [] });
    });

    test("EOF on stdin mid-copy: the helper rolls back before it exits", async () => {
        const name = "coi-eof";
        const p = await Bridge.peer();
        const channel = await copying(p, name);
        p.proc.stdin.end();
        const status = await p.exited;
        assert.equal(status.code, 0, JSON.stringify(status));
        assert.ok(channel);
        assert.deepEqual(await leftovers(name), { domain: false, volumes: [] });
    });
});
