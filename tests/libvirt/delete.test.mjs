// SPDX-License-Identifier: LGPL-2.1-or-later
// Deleting VMs (docs/api.md: op `delete-plan`, action `delete`) against the real libvirtd through both bridges:
// a volume disk is deleted through its pool, storage another VM uses is refused and kept, and after a live media
// change the source the page showed no longer matches and nothing is deleted. Effects checked with virsh.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { Bridge, bridgeNames } from "../harness/bridge.mjs";
import {
    GUESTS_DIR, URI, cleanupTestObjects, domExists, domState, ensureLibvirtd, guestDir, tinyGuestXml, virsh, waitFor,
} from "../harness/libvirt.mjs";

const POOL = "cvtest-delete-pool";
const POOL_DIR = "/tmp/cvtest-delete-pool";

function xmlEscape(s) {
    return String(s).replace(/[<>&'"]/g, c => `&#${c.charCodeAt(0)};`);
}

const volumeDisk = (volume, dev) => `<disk type='volume' device='disk'><driver name='qemu' type='qcow2'/>` +
    `<source pool='${POOL}' volume='${xmlEscape(volume)}'/><target dev='${dev}' bus='virtio'/></disk>`;
const fileDisk = (file, dev) => `<disk type='file' device='disk'><driver name='qemu' type='raw'/>` +
    `<source file='${xmlEscape(file)}'/><target dev='${dev}' bus='virtio'/></disk>`;
const cdrom = (file, dev) => `<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>` +
    `<source file='${xmlEscape(file)}'/><target dev='${dev}' bus='ide'/><readonly/></disk>`;

/** Defines a tiny guest cvtest-del-<name>-… whose devices include `disksXml`; files go in its own directory. */
async function defineGuest(name, disksXml, { paused = false } = {}) {
    const guest = await guestDir();
    const full = `cvtest-del-${name}-${randomUUID().slice(0, 6)}`;
    const dir = path.join(GUESTS_DIR, full);
    mkdirSync(dir, { recursive: true });
    const uuid = randomUUID();
    const xml = tinyGuestXml({
        name: full, uuid, kernel: path.join(guest, "vmlinuz"), initrd: path.join(guest, "initrd.img"),
        serialLog: path.join(dir, "serial.log"),
    }).replace("<serial type='pty'>", `${disksXml}\n    <serial type='pty'>`);
    const xmlPath = path.join(dir, "domain.xml");
    writeFileSync(xmlPath, xml);
    await virsh("define", xmlPath);
    // Started paused: QEMU runs (live definition, media changes) but the guest never gets to lock the CD tray.
    if (paused)
        await virsh("start", "--paused", full);
    return { name: full, uuid, dir };
}

/** A small readable file standing in for an ISO (the guests never read it). */
function mediaFile(dir, name) {
    mkdirSync(dir, { recursive: true });
    chmodSync(GUESTS_DIR, 0o755);
    chmodSync(dir, 0o755);
    const file = path.join(dir, name);
    writeFileSync(file, Buffer.alloc(64 * 1024));
    chmodSync(file, 0o644);
    return file;
}

async function volumes() {
    return (await virsh("vol-list", POOL)).split("\n").slice(2).map(l => l.trim().split(/\s+/)[0]).filter(Boolean);
}

async function removePool() {
    if (await virsh("pool-info", POOL).then(() => true, () => false)) {
        for (const vol of await volumes().catch(() => []))
            await virsh("vol-delete", "--pool", POOL, vol).catch(() => {});
        await virsh("pool-destroy", POOL).catch(() => {});
        await virsh("pool-undefine", POOL).catch(() => {});
    }
    rmSync(POOL_DIR, { recursive: true, force: true });
}

/** op `delete-plan` for `vm`: its one message, after a clean close. */
async function deletePlan(b, vm) {
    const channel = b.open({ payload: "virt1", op: "delete-plan", uri: URI, vm });
    const messages = await b.untilClose(channel, 60000);
    const close = messages.at(-1).control;
    assert.equal(close.problem, undefined, JSON.stringify(close));
    const data = messages.filter(m => !m.command).map(m => m.data);
    assert.equal(data.length, 1, "one plan message");
    return data[0];
}

for (const bridge of bridgeNames()) {
    describe(`delete through bridge ${bridge}`, () => {
        let b;
        before(async () => {
            await ensureLibvirtd();
            await cleanupTestObjects();
            await removePool();
            mkdirSync(POOL_DIR, { recursive: true });
            await virsh("pool-define-as", POOL, "dir", "--target", POOL_DIR);
            await virsh("pool-start", POOL);
            b = await Bridge.start(bridge);
        });
        after(async () => {
            await b?.closeBridge();
            await cleanupTestObjects();
            await removePool();
        });

        test("delete_volume: the plan lists volume disks, and delete removes them through the pool", async () => {
            const vol = `cvtest-del-${bridge}.qcow2`;
            const byPath = `cvtest-del-${bridge}-file.qcow2`;
            await virsh("vol-create-as", POOL, vol, "16M", "--format", "qcow2");
            await virsh("vol-create-as", POOL, byPath, "16M", "--format", "qcow2");
            const volPath = (await virsh("vol-path", "--pool", POOL, vol)).trim();
            const filePath = (await virsh("vol-path", "--pool", POOL, byPath)).trim();
            // vdb names a pool's volume by its path, as an imported disk does: it goes through the pool too.
            const g = await defineGuest("vol", volumeDisk(vol, "vda") + fileDisk(filePath, "vdb"));

            const plan = await deletePlan(b, g.uuid);
            assert.equal(plan.disks.length, 2, JSON.stringify(plan));
            assert.deepEqual(plan.disks[0], {
                target: "vda", device: "disk", type: "volume", source: volPath, pool: POOL, volume: vol,
                readonly: false, removal: "volume", kept: null, usedBy: [],
            });
            assert.deepEqual(plan.disks[1], {
                target: "vdb", device: "disk", type: "file", source: filePath, pool: POOL, volume: byPath,
                readonly: false, removal: "volume", kept: null, usedBy: [],
            });

            const r = await b.action(URI, g.uuid, "delete", {
                storage: [{ target: "vda", source: volPath }, { target: "vdb", source: filePath }],
            });
            assert.equal(r.problem, undefined, r.trail);
            assert.deepEqual(r.results[0], { ok: true, deleted: [volPath, filePath], storageErrors: [] });
            assert.equal(await domExists(g.name), false);
            const left = await volumes();
            assert.ok(!left.includes(vol) && !left.includes(byPath), `gone from virsh vol-list: ${left}`);
            assert.equal(existsSync(volPath), false);
        });

        test("delete_shared: storage another VM uses is refused with storage-in-use and kept", async () => {
            const shared = mediaFile(path.join(GUESTS_DIR, `cvtest-del-media-${bridge}`), "shared.iso");
            const other = await defineGuest("other", cdrom(shared, "hdc"));
            const own = path.join(GUESTS_DIR, `cvtest-del-media-${bridge}`, "own.img");
            writeFileSync(own, Buffer.alloc(4096));
            const g = await defineGuest("shared", fileDisk(own, "vda") + cdrom(shared, "hdc"));

            const plan = await deletePlan(b, g.uuid);
            const iso = plan.disks.find(d => d.target === "hdc");
            assert.equal(iso.source, shared);
            assert.deepEqual(iso.usedBy, [other.name], JSON.stringify(plan));
            assert.deepEqual(plan.disks.find(d => d.target === "vda").usedBy, []);

            const refused = await b.action(URI, g.uuid, "delete", {
                storage: [{ target: "vda", source: own }, { target: "hdc", source: shared }],
            });
            assert.equal(refused.problem, "invalid-argument", refused.trail);
            assert.equal(refused.close.reason, "storage-in-use");
            assert.ok(refused.close.message.includes(other.name), refused.close.message);
            assert.equal(await domExists(g.name), true, "nothing happened: the VM is still defined");
            assert.ok(existsSync(shared) && existsSync(own), "and every file is still there");

            // A bare target (the old form) is not accepted any more.
            const bare = await b.action(URI, g.uuid, "delete", { storage: ["vda"] });
            assert.equal(bare.problem, "protocol-error", bare.trail);
            assert.equal(await domExists(g.name), true);

            const r = await b.action(URI, g.uuid, "delete", { storage: [{ target: "vda", source: own }] });
            assert.equal(r.problem, undefined, r.trail);
            assert.deepEqual(r.results[0].deleted, [own]);
            assert.equal(await domExists(g.name), false);
            assert.equal(existsSync(own), false);
            assert.equal(existsSync(shared), true, "the shared ISO stays");
            assert.equal(await domExists(other.name), true);
        });

        test("delete_changed_media: after a live change-media the shown source is refused; users in either definition count", async () => {
            const dir = path.join(GUESTS_DIR, `cvtest-del-media-${bridge}`);
            const oldIso = mediaFile(dir, "old.iso");
            const newIso = mediaFile(dir, "new.iso");
            const g = await defineGuest("live", cdrom(oldIso, "hdc"), { paused: true });
            await waitFor(async () => (await domState(g.name)) === "paused", 30000, { what: `${g.name} paused` });
            const before = await deletePlan(b, g.uuid);
            assert.equal(before.disks.find(d => d.target === "hdc").source, oldIso);

            await virsh("change-media", g.name, "hdc", newIso, "--update", "--live", "--force");
            assert.match(await virsh("dumpxml", g.name), new RegExp(`file='${newIso}'`));
            assert.match(await virsh("dumpxml", "--inactive", g.name), new RegExp(`file='${oldIso}'`));

            // The page still shows the old medium (the persistent definition's too): refused, nothing changes.
            const refused = await b.action(URI, g.uuid, "delete", { storage: [{ target: "hdc", source: oldIso }] });
            assert.equal(refused.problem, "invalid-argument", refused.trail);
            assert.equal(refused.close.reason, "storage-changed");
            assert.ok(refused.close.message.includes(newIso), refused.close.message);
            assert.equal(await domState(g.name), "paused", "the VM was not forced off");
            assert.ok(existsSync(oldIso) && existsSync(newIso));

            const after = await deletePlan(b, g.uuid);
            assert.equal(after.disks.find(d => d.target === "hdc").source, newIso, "the plan shows the live medium");

            // Another VM sees both media as used by the paused one: the new in its live, the old in its
            // persistent definition.
            const other = await defineGuest("both", cdrom(oldIso, "hdc") + cdrom(newIso, "hdd"));
            const plan = await deletePlan(b, other.uuid);
            assert.deepEqual(plan.disks.find(d => d.target === "hdc").usedBy, [g.name]);
            assert.deepEqual(plan.disks.find(d => d.target === "hdd").usedBy, [g.name]);

            const r = await b.action(URI, g.uuid, "delete", { storage: [] });
            assert.equal(r.problem, undefined, r.trail);
            assert.equal(await domExists(g.name), false);
            assert.ok(existsSync(oldIso) && existsSync(newIso), "no storage was ticked, none deleted");
        });
    });
}
