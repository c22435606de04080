// SPDX-License-Identifier: LGPL-2.1-or-later
// op `snapshot` (docs/api.md) on one tiny real guest through real cockpit-bridges (337 and 287 alternate): a marker
// written on the guest's disk is back after a revert; an external snapshot of the running VM is deleted by merging
// its overlay back (the source in dumpxml is the original image again and what was written meanwhile stays); a
// revert libvirt refuses as risky (a disk-only snapshot under a managed-save state) has its reason, then is forced;
// the effect in `virsh snapshot-list --tree` and `dumpxml`. op `clone` on the same guest: a clone from an internal
// or external snapshot boots with the snapshot's marker; a clone of the shut-off VM boots with new UUID and MAC and leaves the
// original's definition as it was; an overlay clone's volume is backed by the original's image.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { Bridge } from "../harness/bridge.mjs";
import {
    PREFIX, URI, cleanupTestObjects, cleanupTestResources, defineTinyGuest, ensureLibvirtd, guestDir, guestOutput, virsh, waitForSerial,
} from "../harness/libvirt.mjs";

const POOL = `${PREFIX}snappool`;

/** Runs a clone; resolves like snapshotOp. */
async function cloneOp(b, vm, params) {
    const channel = b.open({ payload: "virt1", op: "clone", uri: URI, vm, ...params });
    const messages = await b.untilClose(channel, 120000);
    const close = messages.at(-1).control;
    const data = messages.filter(m => !m.command).map(m => m.data);
    assert.equal(close.problem, undefined, `clone failed: ${close.message}\n${JSON.stringify(data)}`);
    return { answer: data.find(d => d.vm || d.suggestedName), progress: data.filter(d => d.progress) };
}

const macs = xml => [...xml.matchAll(/<mac address='([^']+)'/g)].map(m => m[1]);
const uuidOf = xml => xml.match(/<uuid>([^<]+)<\/uuid>/)[1];

/** Runs a snapshot action; resolves with { answer, progress, problem, message, trail }. */
export async function snapshotOp(b, vm, action, params = {}) {
    const channel = b.open({ payload: "virt1", op: "snapshot", uri: URI, vm, action, ...params });
    const messages = await b.untilClose(channel, 120000);
    const close = messages.at(-1).control;
    const data = messages.filter(m => !m.command).map(m => m.data);
    return {
        answer: data.find(d => !d.progress),
        progress: data.filter(d => d.progress),
        problem: close.problem,
        message: close.message,
        close,
        trail: messages.map(m => JSON.stringify(m.control ?? m.data)).join("\n").slice(-3000),
    };
}

async function ok(b, vm, action, params) {
    const r = await snapshotOp(b, vm, action, params);
    assert.equal(r.problem, undefined, `${action} failed: ${r.message}\n${r.trail}`);
    return r.answer;
}


/** Writes `marker` into the first sector of the guest's vda, past its page cache. */
export const writeMarker = (g, marker) =>
    guestOutput(g, `printf '%s\\n' '${marker}' | dd of=/dev/vda bs=512 count=1 conv=sync,fsync 2>/dev/null; sync`);
/** The marker on the guest's vda, read past its page cache. */
export const readMarker = async g =>
    (await guestOutput(g, "sync; echo 3 > /proc/sys/vm/drop_caches; dd if=/dev/vda bs=512 count=1 2>/dev/null | head -n 1")).trim();

describe("snapshots of a running tiny guest", () => {
    let b337, b287, g;

    before(async () => {
        await ensureLibvirtd();
        await guestDir();
        await cleanupTestObjects();
        [b337, b287] = await Promise.all([Bridge.start("337"), Bridge.start("287")]);
        g = await defineTinyGuest("snap", { disks: ["32M"], agent: true, running: true });
        // The guest's directory as a pool: its image is a volume (cloned by libvirt), and clones land beside it.
        await virsh("pool-create-as", POOL, "dir", "--target", g.dir);
        await waitForSerial(g, /TESTGUEST-READY ip=\S+ agent=yes/);
    });
    after(async () => {
        await Promise.all([b337?.closeBridge(), b287?.closeBridge()]);
        await cleanupTestObjects();
        await cleanupTestResources();
    });

    test("internal snapshot with memory: the marker is back after a revert; delete", async () => {
        await writeMarker(g, "MARK-A");
        assert.equal(await readMarker(g), "MARK-A");
        const options = await ok(b337, g.uuid, "options");
        assert.equal(options.suggestedName, "snapshot-1");
        assert.equal(options.running, true);
        assert.equal(options.location, "external", "a running VM defaults to external");
        assert.equal(options.internalRefused, null);
        assert.equal(options.directory, g.dir);
        assert.ok(options.free > 0, JSON.stringify(options));

        const made = await ok(b287, g.uuid, "create", { name: "s1", description: "before B", location: "internal" });
        assert.deepEqual([made.name, made.location], ["s1", "internal"]);
        await writeMarker(g, "MARK-B");
        assert.equal(await readMarker(g), "MARK-B");

        const { snapshots } = await ok(b337, g.uuid, "list");
        assert.equal(snapshots.length, 1);
        assert.deepEqual(
            [snapshots[0].name, snapshots[0].description, snapshots[0].state, snapshots[0].location, snapshots[0].memory, snapshots[0].current],
            ["s1", "before B", "running", "internal", true, true]);
        assert.match(await virsh("snapshot-list", "--tree", g.name), /^s1$/m);

        // A name that is taken, and a snapshot that does not exist.
        const taken = await snapshotOp(b337, g.uuid, "create", { name: "s1" });
        assert.equal(taken.problem, "invalid-argument", taken.trail);
        const missing = await snapshotOp(b287, g.uuid, "revert", { name: "nope" });
        assert.equal(missing.problem, "not-found", missing.trail);

        await ok(b287, g.uuid, "revert", { name: "s1" });
        assert.equal((await virsh("domstate", g.name)).trim(), "running");
        assert.equal(await readMarker(g), "MARK-A");

        await ok(b337, g.uuid, "delete", { name: "s1" });
        assert.equal((await virsh("snapshot-list", "--name", g.name)).trim(), "");
    });

    test("external snapshot with memory of the running VM, a clone from it, deleted by merging back", async () => {
        await writeMarker(g, "MARK-C");
        const made = await ok(b337, g.uuid, "create", { name: "e1" });
        assert.equal(made.location, "external");
        const xml = await virsh("dumpxml", g.name);
        assert.match(xml, new RegExp(`<source file='${g.dir}/disk0\\.e1'`), "vda runs on its overlay");
        assert.ok(existsSync(`${g.dir}/${g.name}.e1.mem`), "the memory file beside the disk");
        const { snapshots } = await ok(b287, g.uuid, "list");
        assert.deepEqual([snapshots[0].name, snapshots[0].location, snapshots[0].memory], ["e1", "external", true]);

        // Written after the snapshot, into the overlay: merged into the image by the delete.
        await writeMarker(g, "MARK-D");
        // A clone from the external snapshot copies the image below the overlay: the snapshot's marker.
        const fromExternal = `${g.name}-e1`;
        await cloneOp(b337, g.uuid, { action: "clone", name: fromExternal, pool: POOL, snapshot: "e1" });
        await virsh("start", fromExternal);
        assert.equal(await readMarker({ name: fromExternal }), "MARK-C");
        await virsh("destroy", fromExternal);
        await ok(b287, g.uuid, "delete", { name: "e1" });
        assert.equal((await virsh("snapshot-list", "--name", g.name)).trim(), "");
        const after = await virsh("dumpxml", g.name);
        assert.match(after, new RegExp(`<source file='${g.disks[0]}'`), "vda is on its own image again");
        assert.ok(!existsSync(`${g.dir}/disk0.e1`), "the overlay is gone");
        assert.equal(await readMarker(g), "MARK-D");
    });

    test("clone from an internal snapshot boots with the snapshot's marker", async () => {
        await writeMarker(g, "MARK-S");
        await ok(b337, g.uuid, "create", { name: "s2", location: "internal" });
        await writeMarker(g, "MARK-T");
        const name = `${g.name}-s2`;
        const { answer, progress } = await cloneOp(b287, g.uuid, { action: "clone", name, pool: POOL, snapshot: "s2" });
        assert.equal(answer.vm.name, name);
        assert.ok(progress.some(p => p.progress.step === "copy"), JSON.stringify(progress));
        await virsh("start", name);
        const clone = { name };
        assert.equal(await readMarker(clone), "MARK-S");
        assert.equal(await readMarker(g), "MARK-T", "the original keeps its own disk");
        await virsh("destroy", name);
    });

    test("clone of the shut-off VM: new UUID and MAC, boots, original untouched; an overlay clone", async () => {
        await virsh("destroy", g.name);
        const before = await virsh("dumpxml", "--inactive", g.name);
        const { answer: options } = await cloneOp(b337, g.uuid, { action: "options" });
        assert.equal(options.suggestedName, `${g.name}-clone`);
        assert.equal(options.pool, POOL, "the pool holding the disk");
        assert.deepEqual(options.disks, ["vda"]);

        const { answer } = await cloneOp(b337, g.uuid, { action: "clone", name: options.suggestedName, pool: POOL });
        const xml = await virsh("dumpxml", "--inactive", answer.vm.name);
        assert.equal(uuidOf(xml), answer.vm.id);
        assert.notEqual(uuidOf(xml), g.uuid);
        assert.equal(macs(xml).length, 1);
        assert.notDeepEqual(macs(xml), macs(before));
        assert.match(xml, new RegExp(`<source pool='${POOL}' volume='${options.suggestedName}-vda.qcow2'/>`));
        assert.equal(await virsh("dumpxml", "--inactive", g.name), before, "the original's definition is untouched");
        await virsh("start", answer.vm.name);
        assert.equal(await readMarker({ name: answer.vm.name }), "MARK-T");
        await virsh("destroy", answer.vm.name);

        const overlay = `${g.name}-ov`;
        await cloneOp(b287, g.uuid, { action: "clone", name: overlay, pool: POOL, overlay: true });
        const vol = await virsh("vol-dumpxml", "--pool", POOL, `${overlay}-vda.qcow2`);
        assert.match(vol, new RegExp(`<backingStore>\\s*<path>${g.disks[0]}</path>`));
    });

    test("force revert: a disk-only snapshot over a saved memory state is refused as risky, then forced", async () => {
        // The VM is shut off (previous test). Its disk as the guest sees it: sector 0, written here while off.
        const disk = g.disks[0];
        const qemuIo = (...cmd) => execFileSync("qemu-io", ["-f", "qcow2", "-c", cmd.join(" "), disk], { encoding: "utf8", timeout: 20000 });
        qemuIo("write", "-P", "0x41", "0", "512");
        await ok(b337, g.uuid, "create", { name: "off1", location: "internal" });
        qemuIo("write", "-P", "0x42", "0", "512");
        await ok(b287, g.uuid, "create", { name: "off2", location: "internal" });
        // A memory state saved for the next start (managed save): reverting the disk under it would corrupt
        // the guest once that state is restored, so libvirt wants force.
        await virsh("start", g.name);
        await virsh("managedsave", g.name);
        assert.match(await virsh("dominfo", g.name), /Managed save:\s+yes/);

        const refused = await snapshotOp(b337, g.uuid, "revert", { name: "off1" });
        assert.deepEqual([refused.problem, refused.close.reason, refused.close["libvirt-error"]],
                         ["internal-error", "revert-risky", 77], refused.trail); // VIR_ERR_SNAPSHOT_REVERT_RISKY
        assert.equal((await virsh("snapshot-current", "--name", g.name)).trim(), "off2");
        assert.doesNotMatch(qemuIo("read", "-P", "0x42", "0", "512"), /verification failed/, "nothing was reverted");

        await ok(b287, g.uuid, "revert", { name: "off1", force: true });
        assert.equal((await virsh("snapshot-current", "--name", g.name)).trim(), "off1");
        assert.doesNotMatch(qemuIo("read", "-P", "0x41", "0", "512"), /verification failed/, "the disk is off1's");
        await virsh("managedsave-remove", g.name).catch(() => {});
        for (const name of ["off2", "off1"])
            await ok(b337, g.uuid, "delete", { name });
    });

    test("a clone cancelled while it copies leaves nothing behind", async () => {
        // A second disk outside any pool: it is streamed with byte progress, so the cancel lands mid-copy.
        const extraDir = `${g.dir}-extra`;
        mkdirSync(extraDir, { recursive: true });
        chmodSync(extraDir, 0o755);
        const big = path.join(extraDir, "big.raw");
        execFileSync("qemu-img", ["create", "-q", "-f", "raw", big, "2G"]);
        chmodSync(big, 0o644);
        await virsh("attach-disk", g.name, big, "vdb", "--config", "--driver", "qemu", "--subdriver", "raw");
        const name = `${g.name}-cancel`;
        const channel = b337.open({ payload: "virt1", op: "clone", uri: URI, vm: g.uuid, action: "clone", name, pool: POOL });
        const copying = await b337.next(channel, m => m.command === "close" ||
            (m.data?.progress?.step === "copy" && m.data.progress.total === 2 ** 31 && m.data.progress.done > 0), 60000);
        assert.equal(copying.command, undefined, `closed before copying vdb: ${b337.describe(channel)}`);
        b337.send(channel, { cancel: true });
        const close = await b337.next(channel, m => m.command === "close", 60000);
        assert.equal(close.control?.problem ?? close.problem, "terminated", JSON.stringify(close));
        await virsh("pool-refresh", POOL);
        assert.doesNotMatch(await virsh("vol-list", POOL), new RegExp(name), "no copied volume is left");
        assert.equal((await virsh("list", "--all", "--name")).split("\n").includes(name), false, "no VM is left");
    });
});
