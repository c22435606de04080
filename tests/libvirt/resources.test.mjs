// SPDX-License-Identifier: LGPL-2.1-or-later
// Storage pools and virtual networks on qemu:///system, through both bridges at once: the `resources` watch
// follows the helper's own ops and virsh behind its back (events, no rescans); `pool` and `network` ops act,
// checked with virsh; bad input is refused with the helper's verdict. Only cvtest-* objects, removed afterwards.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { Bridge } from "../harness/bridge.mjs";
import { PREFIX, URI, cleanupTestObjects, cleanupTestResources, defineTinyGuest, ensureLibvirtd, guestDir, virsh, waitFor }
    from "../harness/libvirt.mjs";

const PATCH_MS = 20000;

/** Whether the kernel's device-mapper answers (`dmsetup version` fails in a container without it). */
function deviceMapperWorks() {
    try {
        execFileSync("dmsetup", ["version"], { stdio: "ignore" });
        return true;
    } catch {
        return false;
    }
}
const suffix = Math.random().toString(16).slice(2, 8);
const octet = 100 + Math.floor(Math.random() * 100);

describe("pools and networks on qemu:///system", () => {
    const watchers = [];
    let scratch;
    before(async () => {
        await ensureLibvirtd();
        await guestDir();
        await cleanupTestResources();
        scratch = mkdtempSync(path.join(tmpdir(), PREFIX));
        chmodSync(scratch, 0o755);
        for (const name of ["337", "287"]) {
            const b = await Bridge.start(name);
            const channel = b.open({ payload: "virt1", op: "resources", uri: URI });
            const w = { name, b, channel, pools: {}, networks: {} };
            await expectOn(w, m => m.data?.synced, "the first snapshot");
            watchers.push(w);
        }
    });
    after(async () => {
        for (const w of watchers)
            await w.b.closeBridge();
        await cleanupTestResources();
        await cleanupTestObjects();
        rmSync(scratch, { recursive: true, force: true });
    });

    /** Applies messages to w's tables until one satisfies `check` (seen after applying). */
    async function expectOn(w, check, what) {
        await w.b.next(w.channel, m => {
            if (m.command === "close")
                throw new Error(`resources closed: ${JSON.stringify(m)}`);
            if (m.data?.reset) {
                w.pools = {};
                w.networks = {};
            }
            for (const [kind, table] of [["pools", w.pools], ["networks", w.networks]])
                for (const [id, v] of Object.entries(m.data?.[kind] ?? {}))
                    if (v === null) delete table[id]; else table[id] = v;
            return check(m, w);
        }, PATCH_MS).catch(e => { throw new Error(`bridge ${w.name}: nothing ${what}\n${e.message}`) });
    }
    const all = (check, what) => Promise.all(watchers.map(w => expectOn(w, (_, w) => check(w), what)));
    // libvirt has no event for autostart or DHCP host changes: only the helper that made them (the first
    // bridge's, which every tab of that session shares) knows at once.
    const own = (check, what) => expectOn(watchers[0], (_, w) => check(w), what);
    const byName = (table, name) => Object.values(table).find(o => o.name === name);

    async function op(kind, fields) {
        const b = watchers[0].b;
        const channel = b.open({ payload: "virt1", op: kind, uri: URI, ...fields });
        const messages = await b.untilClose(channel, 60000);
        return { results: messages.filter(m => !m.command).map(m => m.data), close: messages.at(-1).control };
    }

    test("resources_snapshot: drivers, and the host's own pools and networks listed", () => {
        for (const w of watchers) {
            const drivers = w.b.history(w.channel).find(m => m.data?.drivers).data.drivers;
            assert.equal(drivers.storage.state, "available");
            assert.equal(drivers.storage.poolTypes.dir, true);
            assert.deepEqual(drivers.network, { state: "available" });
            for (const pool of Object.values(w.pools))
                assert.ok(pool.id && pool.name && pool.type && pool.state, JSON.stringify(pool));
        }
    });

    test("pool_dir_lifecycle: create, virsh stop/start seen live, autostart, delete refused in use, delete", async () => {
        const name = `${PREFIX}pool-${suffix}`;
        // Bad input first: a path that does not exist, then a file.
        let r = await op("pool", { action: "create", pool: name, type: "dir", path: path.join(scratch, "missing") });
        assert.equal(r.close.problem, "invalid-argument");
        assert.match(r.close.message, /does not exist/);
        const file = path.join(scratch, "file");
        writeFileSync(file, "x");
        r = await op("pool", { action: "create", pool: name, type: "dir", path: file });
        assert.equal(r.close.problem, "invalid-argument");
        assert.match(r.close.message, /not a directory/);
        await assert.rejects(virsh("pool-info", name), "no pool was left behind");

        // A guest whose disk lies in the directory the pool will use.
        const g = await defineTinyGuest("pooluser", { disks: ["16M"] });
        r = await op("pool", { action: "create", pool: name, type: "dir", path: g.dir, autostart: true });
        assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
        assert.equal(r.results[0].pool.name, name);
        const xml = await virsh("pool-dumpxml", name);
        assert.match(xml, new RegExp(`<path>${g.dir}</path>`));
        await all(w => byName(w.pools, name)?.state === "running" && byName(w.pools, name).autostart === true &&
                  byName(w.pools, name).path === g.dir && byName(w.pools, name).capacity > 0, "for the new pool");

        await virsh("pool-destroy", name);
        await all(w => byName(w.pools, name)?.state === "inactive", "after virsh pool-destroy");
        await virsh("pool-start", name);
        await all(w => byName(w.pools, name)?.active === true, "after virsh pool-start");

        r = await op("pool", { action: "autostart", pool: name, enable: false });
        assert.equal(r.close.problem, undefined);
        assert.match(await virsh("pool-info", name), /Autostart:\s+no/);
        await own(w => byName(w.pools, name)?.autostart === false, "after autostart off");

        // Volumes: listed with their users, created, too big refused, resized, deleted (not while in use).
        r = await op("pool", { action: "volumes", pool: name });
        const disk0 = r.results[0].volumes.find(v => v.name === "disk0.qcow2");
        assert.deepEqual([disk0.format, disk0.usedBy], ["qcow2", [g.name]]);
        r = await op("pool", { action: "create-volume", pool: name, name: "cvtest-v1", capacity: 1 << 20, format: "qcow2" });
        assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
        assert.match(await virsh("vol-dumpxml", "--pool", name, "cvtest-v1"), /<format type='qcow2'\/>/);
        // A qcow2 overlay on it: <backingStore> names its path and format; a missing backing volume, a raw overlay
        // and an overlay smaller than its backing volume are refused, with the reason code.
        const v1Path = r.results[0].volume.path;
        for (const [fields, message] of [
            [{ backing: "cvtest-none" }, /no volume "cvtest-none"/],
            [{ backing: "cvtest-v1", format: "raw" }, /Only a qcow2 volume/],
            [{ backing: "cvtest-v1", capacity: 1 << 19 }, /at least that of the backing volume/],
        ]) {
            r = await op("pool", { action: "create-volume", pool: name, name: "cvtest-ov", capacity: 1 << 20, format: "qcow2", ...fields });
            assert.deepEqual([r.close.problem, r.close.reason], ["invalid-argument", "backing-volume"], JSON.stringify(r.close));
            assert.match(r.close.message, message);
        }
        await assert.rejects(virsh("vol-info", "--pool", name, "cvtest-ov"), "no overlay was left behind");
        r = await op("pool", { action: "create-volume", pool: name, name: "cvtest-ov", capacity: 1 << 20, format: "qcow2", backing: "cvtest-v1" });
        assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
        assert.match(await virsh("vol-dumpxml", "--pool", name, "cvtest-ov"),
                     new RegExp(`<backingStore>\\s*<path>${v1Path}</path>\\s*<format type='qcow2'/>`));
        r = await op("pool", { action: "create-volume", pool: name, name: "cvtest-big", capacity: 2 ** 60 });
        assert.equal(r.close.problem, "invalid-argument");
        assert.match(r.close.message, /more than the pool has available/);
        r = await op("pool", { action: "resize-volume", pool: name, name: "cvtest-v1", capacity: 2 << 20 });
        assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
        assert.match(await virsh("vol-info", "--pool", name, "cvtest-v1"), /Capacity:\s+2\.00 MiB/);
        r = await op("pool", { action: "delete-volumes", pool: name, names: ["cvtest-v1", "disk0.qcow2"] });
        assert.equal(r.close.problem, "invalid-argument");
        assert.ok(r.close.message.includes(`disk0.qcow2 (by ${g.name})`), r.close.message);
        assert.match(await virsh("vol-list", name), /cvtest-v1/, "nothing was deleted");
        r = await op("pool", { action: "delete-volumes", pool: name, names: ["cvtest-ov", "cvtest-v1"] });
        assert.deepEqual(r.results[0], { ok: true, deleted: ["cvtest-ov", "cvtest-v1"], errors: [] });
        assert.doesNotMatch(await virsh("vol-list", name), /cvtest-v1/);

        r = await op("pool", { action: "delete", pool: name, volumes: true });
        assert.equal(r.close.problem, "invalid-argument");
        assert.ok(r.close.message.includes(g.name), r.close.message);
        assert.match(await virsh("vol-list", name), /disk0\.qcow2/, "the volume is still there");

        r = await op("pool", { action: "stop", pool: name });
        assert.equal(r.close.problem, undefined);
        await all(w => byName(w.pools, name)?.active === false, "after stop");
        r = await op("pool", { action: "delete", pool: name });
        assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
        await all(w => byName(w.pools, name) === undefined, "after delete");
        await assert.rejects(virsh("pool-info", name));

        r = await op("pool", { action: "start", pool: name });
        assert.equal(r.close.problem, "not-found");
    });

    test("pool_logical: a volume group built on a loop device, a volume in it, all removed with the pool", async t => {
        const image = path.join(scratch, "vg.img");
        execFileSync("truncate", ["-s", "64M", image]);
        let loop;
        try {
            loop = execFileSync("losetup", ["-f", "--show", image], { encoding: "utf8" }).trim();
        } catch (e) {
            t.skip(`no loop device: ${e.message}`);
            return;
        }
        const name = `${PREFIX}vg-${suffix}`;
        try {
            let r = await op("pool", { action: "create", pool: "cvtest bad", type: "logical", device: loop });
            assert.equal(r.close.problem, "invalid-argument");
            r = await op("pool", { action: "create", pool: name, type: "logical", device: image });
            assert.equal(r.close.problem, "invalid-argument");
            assert.match(r.close.message, /not a block device/);
            r = await op("pool", { action: "create", pool: name, type: "logical", device: loop });
            assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
            assert.match(execFileSync("vgs", ["--noheadings", "-o", "vg_name"], { encoding: "utf8" }), new RegExp(name));
            await all(w => byName(w.pools, name)?.type === "logical" && byName(w.pools, name).source === loop &&
                      byName(w.pools, name).active, "for the logical pool");
            r = await op("pool", { action: "create-volume", pool: name, name: "lv1", capacity: 8 << 20, format: "raw" });
            if (deviceMapperWorks()) {
                assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
                assert.match(execFileSync("lvs", ["--noheadings", "-o", "lv_name", name], { encoding: "utf8" }), /lv1/);
            } else {
                // No device-mapper in this kernel (a container): lvcreate fails, and libvirt's message says why.
                t.diagnostic("no device-mapper in this kernel: logical volumes cannot be made here");
                assert.equal(r.close.problem, "internal-error");
                assert.match(r.close.message, /lvcreate.*device-mapper/s);
            }
            r = await op("pool", { action: "delete", pool: name, volumes: true });
            assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
            assert.doesNotMatch(execFileSync("vgs", ["--noheadings", "-o", "vg_name"], { encoding: "utf8" }), new RegExp(name));
            await assert.rejects(virsh("pool-info", name));
        } finally {
            await virsh("pool-destroy", name).catch(() => {});
            await virsh("pool-undefine", name).catch(() => {});
            try { execFileSync("vgremove", ["-f", name], { stdio: "ignore" }) } catch { /* not there */ }
            execFileSync("losetup", ["-d", loop]);
        }
    });

    test("pool_fs: an ext4 file system on a loop device, mounted by libvirt, a volume in it, unmounted on delete", async t => {
        const image = path.join(scratch, "fs.img");
        execFileSync("truncate", ["-s", "48M", image]);
        execFileSync("mkfs.ext4", ["-q", "-F", image]);
        let loop;
        try {
            loop = execFileSync("losetup", ["-f", "--show", image], { encoding: "utf8" }).trim();
        } catch (e) {
            t.skip(`no loop device: ${e.message}`);
            return;
        }
        const name = `${PREFIX}fs-${suffix}`;
        const mountPoint = path.join(scratch, "fs-mnt");
        const mounted = () => execFileSync("findmnt", ["-n", "-o", "SOURCE", mountPoint], { encoding: "utf8" }).trim();
        try {
            let r = await op("pool", { action: "create", pool: name, type: "fs", device: image, path: mountPoint });
            assert.equal(r.close.problem, "invalid-argument");
            assert.match(r.close.message, /not a block device/);
            r = await op("pool", { action: "create", pool: name, type: "fs", device: loop, path: mountPoint });
            assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
            assert.equal(mounted(), loop, "libvirt did not mount the device");
            const xml = await virsh("pool-dumpxml", name);
            assert.match(xml, /<pool type='fs'>/);
            assert.match(xml, new RegExp(`<device path='${loop}'/>`));
            await all(w => byName(w.pools, name)?.type === "fs" && byName(w.pools, name).active, "for the fs pool");
            r = await op("pool", { action: "create-volume", pool: name, name: "v1.qcow2", capacity: 4 << 20, format: "qcow2" });
            assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
            assert.match(await virsh("vol-list", name), /v1\.qcow2/);
            r = await op("pool", { action: "stop", pool: name });
            assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
            assert.throws(mounted, "still mounted after stop");
            r = await op("pool", { action: "delete", pool: name });
            assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
            await assert.rejects(virsh("pool-info", name));
        } finally {
            await virsh("pool-destroy", name).catch(() => {});
            await virsh("pool-undefine", name).catch(() => {});
            try { execFileSync("umount", [mountPoint], { stdio: "ignore" }) } catch { /* not mounted */ }
            execFileSync("losetup", ["-d", loop]);
        }
    });

    test("pool_netfs: an NFS export of a kernel NFS server", t => {
        // libvirt mounts the export with mount.nfs (the kernel's nfs client); serving one needs the kernel's nfsd.
        // /proc/filesystems lists what is built in or loaded; a module can only be loaded from /lib/modules.
        const loaded = new Set(readFileSync("/proc/filesystems", "utf8").split("\n").map(line => line.trim().split(/\s+/).at(-1)));
        const release = execFileSync("uname", ["-r"], { encoding: "utf8" }).trim();
        const modules = existsSync(path.join("/lib/modules", release));
        const missing = [["nfsd", "an NFS server (nfsd)"], ["nfs", "an NFS client file system (nfs)"]]
                .filter(([fs]) => !loaded.has(fs)).map(([, what]) => what);
        if (missing.length > 0) {
            t.skip(`kernel ${release} lacks ${missing.join(" and ")}: not in /proc/filesystems` +
                   (modules ? " (modules are not loaded by this suite)" : `, and no /lib/modules/${release} to load a module from`));
            return;
        }
        // Both are there, but serving an export means starting rpcbind, rpc.mountd and nfsd (nfs-kernel-server)
        // on a machine other workers share, which this suite does not do.
        t.skip("the kernel has nfsd and nfs, but this suite starts no NFS server (rpcbind, rpc.mountd, rpc.nfsd) on the shared machine");
    });

    test("pool_disk: a GPT label written on a loop device, a partition made and deleted as a volume", async t => {
        const image = path.join(scratch, "disk.img");
        execFileSync("truncate", ["-s", "64M", image]);
        let loop;
        try {
            // -P: the kernel reads the partition table, so each partition gets its node (/dev/loopNp1).
            loop = execFileSync("losetup", ["-P", "-f", "--show", image], { encoding: "utf8" }).trim();
        } catch (e) {
            t.skip(`no loop device: ${e.message}`);
            return;
        }
        const name = `${PREFIX}disk-${suffix}`;
        const label = () => execFileSync("parted", ["-s", "-m", loop, "unit", "B", "print"], { encoding: "utf8" });
        try {
            let r = await op("pool", { action: "create", pool: name, type: "disk", device: loop, format: "mac" });
            assert.equal(r.close.problem, "invalid-argument");
            r = await op("pool", { action: "create", pool: name, type: "disk", device: loop, format: "gpt" });
            assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
            assert.match(label(), new RegExp(`^${loop}:.*:gpt:`, "m"));
            assert.match(await virsh("pool-dumpxml", name), /<format type='gpt'\/>/);
            await all(w => byName(w.pools, name)?.type === "disk" && byName(w.pools, name).active, "for the disk pool");
            const part = `${path.basename(loop)}p1`;
            r = await op("pool", { action: "create-volume", pool: name, name: part, capacity: 8 << 20, format: "qcow2" });
            assert.equal(r.close.problem, "invalid-argument");
            r = await op("pool", { action: "create-volume", pool: name, name: part, capacity: 8 << 20, format: "raw" });
            assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
            assert.match(label(), /^1:\d+B:\d+B:8388608B:/m);
            assert.match(await virsh("vol-list", name), new RegExp(part));
            r = await op("pool", { action: "delete-volumes", pool: name, names: [part] });
            assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
            const result = r.results[0];
            if (result.ok) {
                assert.deepEqual(result.deleted, [part]);
            } else {
                // libvirt 11.3 takes a loop device's partition number as "p1" (parted: no such partition): the
                // volume is named in the answer with libvirt's message, and the test removes the partition itself.
                t.diagnostic(`libvirt could not delete ${part}: ${result.errors[0]?.message}`);
                assert.deepEqual([result.deleted, result.errors.map(e => e.name)], [[], [part]]);
                assert.match(result.errors[0].message, /parted .* rm --script p1/);
                execFileSync("parted", ["-s", loop, "rm", "1"]);
            }
            assert.doesNotMatch(label(), /^1:/m);
            r = await op("pool", { action: "delete", pool: name });
            assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
            await assert.rejects(virsh("pool-info", name));
        } finally {
            await virsh("pool-destroy", name).catch(() => {});
            await virsh("pool-undefine", name).catch(() => {});
            execFileSync("losetup", ["-d", loop]);
        }
    });

    describe("iSCSI, served by tgt's userspace target (tests/lib/iscsi-target.sh)", () => {
        const script = path.resolve(import.meta.dirname, "../lib/iscsi-target.sh");
        const initiator = "iqn.2026-01.org.cockpit-virt:cvtest-initiator";
        let portal, target;
        before(() => {
            try {
                [portal, target] = execFileSync(script, ["start"], { encoding: "utf8" }).trim().split(" ");
            } catch (e) {
                portal = null;
                target = e.status === 2 ? "tgt is not installed" : e.message;
            }
        });
        after(() => { if (portal) execFileSync(script, ["stop"]) });

        test("pool_iscsi_direct: libvirt's libiscsi logs in, the LUN is a volume, removed with the pool", async t => {
            if (!portal) {
                assert.equal(target, "tgt is not installed", "tests/lib/iscsi-target.sh start failed");
                t.skip(`no iSCSI target: ${target}`);
                return;
            }
            const [server, port] = portal.split(":");
            const name = `${PREFIX}iscsi-${suffix}`;
            const fields = { action: "create", pool: name, type: "iscsi-direct", server, port: Number(port), target, initiator };
            try {
                let r = await op("pool", { ...fields, initiator: "cvtest" });
                assert.equal(r.close.problem, "invalid-argument");
                assert.match(r.close.message, /initiator "cvtest" is not an iSCSI name/);
                r = await op("pool", fields);
                assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
                const xml = await virsh("pool-dumpxml", name);
                assert.match(xml, new RegExp(`<host name='${server}' port='${port}'/>`));
                assert.match(xml, new RegExp(`<device path='${target}'/>`));
                assert.match(xml, new RegExp(`<iqn name='${initiator}'/>`));
                await all(w => byName(w.pools, name)?.type === "iscsi-direct" && byName(w.pools, name).active,
                          "for the iscsi-direct pool");
                r = await op("pool", { action: "volumes", pool: name });
                assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
                // LUN 0 is tgt's controller (no storage); LUN 1 the 64 MiB file.
                const lun = r.results[0].volumes.find(v => v.path.endsWith("-lun-1"));
                assert.ok(lun, JSON.stringify(r.results[0].volumes));
                assert.equal(lun.name, "unit:0:0:1");
                assert.ok(lun.capacity > 60 << 20 && lun.capacity <= 64 << 20, JSON.stringify(lun));
                assert.match(await virsh("vol-list", name), /unit:0:0:1/);
                const volXml = await virsh("vol-dumpxml", "--pool", name, lun.name);
                assert.match(volXml, new RegExp(`<capacity unit='bytes'>${lun.capacity}</capacity>`));
                assert.ok(volXml.includes(`<path>${lun.path}</path>`), volXml);

                // The LUN as a shut-off guest's disk: a volume disk, and the pool's listing names its user.
                const g = await defineTinyGuest("iscsiuser");
                r = await op("device", { vm: g.uuid, action: "disk-add", source: { pool: name, volume: lun.name } });
                assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
                assert.match(await virsh("dumpxml", g.name), new RegExp(`<source pool='${name}' volume='unit:0:0:1'`));
                await waitFor(async () => {
                    const v = await op("pool", { action: "volumes", pool: name });
                    return v.results[0]?.volumes.find(x => x.name === lun.name)?.usedBy.includes(g.name);
                }, 20000, { what: "the LUN used by the guest" });
                await virsh("undefine", g.name);
                r = await op("pool", { action: "delete", pool: name });
                assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
                await assert.rejects(virsh("pool-info", name));
            } finally {
                await virsh("pool-destroy", name).catch(() => {});
                await virsh("pool-undefine", name).catch(() => {});
            }
        });

        test("pool_iscsi: the kernel initiator's pool; without iscsi_tcp its start fails with libvirt's message, nothing kept", async t => {
            if (!portal) {
                assert.equal(target, "tgt is not installed", "tests/lib/iscsi-target.sh start failed");
                t.skip(`no iSCSI target: ${target}`);
                return;
            }
            const [server, port] = portal.split(":");
            const name = `${PREFIX}kiscsi-${suffix}`;
            try {
                const r = await op("pool", { action: "create", pool: name, type: "iscsi", server, port: Number(port), target });
                if (r.close.problem) {
                    t.diagnostic(`iscsi start refused: ${r.close.message}`);
                    assert.equal(r.close.problem, "internal-error", JSON.stringify(r.close));
                    assert.ok(r.close.message.length > 0);
                } else {
                    assert.match(await virsh("vol-list", name), /lun-1/);
                    const d = await op("pool", { action: "delete", pool: name });
                    assert.equal(d.close.problem, undefined, JSON.stringify(d.close));
                }
                await assert.rejects(virsh("pool-info", name));
            } finally {
                await virsh("pool-destroy", name).catch(() => {});
                await virsh("pool-undefine", name).catch(() => {});
            }
        });
    });

    test("network_nat_and_isolated: create with DHCP, hosts, overlap and range refused, virsh seen live", async () => {
        const nat = `${PREFIX}nat-${suffix}`;
        const isolated = `${PREFIX}iso-${suffix}`;
        let r = await op("network", {
            action: "create", network: nat, forward: "nat",
            ipv4: { address: `10.213.${octet}.1`, prefix: 24, dhcp: { start: `10.213.${octet}.100`, end: `10.213.${octet}.200` } },
        });
        assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
        let xml = await virsh("net-dumpxml", nat);
        assert.match(xml, /<forward mode='nat'/);
        assert.match(xml, new RegExp(`<range start='10.213.${octet}.100' end='10.213.${octet}.200'`));
        await all(w => byName(w.networks, nat)?.active === true && byName(w.networks, nat).forward === "nat" &&
                  byName(w.networks, nat).ips[0]?.dhcpRanges[0]?.end === `10.213.${octet}.200`, "for the NAT network");

        // Overlapping subnet: named. Range outside: refused. Nothing defined.
        r = await op("network", { action: "create", network: isolated, ipv4: { address: `10.213.${octet}.129`, prefix: 25 } });
        assert.equal(r.close.problem, "invalid-argument");
        assert.ok(r.close.message.includes(nat), r.close.message);
        r = await op("network", {
            action: "create", network: isolated,
            ipv4: { address: `10.214.${octet}.1`, prefix: 24, dhcp: { start: `10.214.${octet}.10`, end: `10.215.${octet}.10` } },
        });
        assert.equal(r.close.problem, "invalid-argument");
        assert.match(r.close.message, /outside/);
        r = await op("network", { action: "create", network: isolated, ipv4: { address: "127.0.0.2", prefix: 8 } });
        assert.equal(r.close.problem, "invalid-argument");
        assert.match(r.close.message, /host's address 127\.0\.0\.1\/8 on lo/);
        await assert.rejects(virsh("net-info", isolated));

        r = await op("network", {
            action: "create", network: isolated, forward: "isolated",
            ipv4: { address: `10.214.${octet}.1`, prefix: 24, dhcp: { start: `10.214.${octet}.10`, end: `10.214.${octet}.20` } },
        });
        assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
        assert.doesNotMatch(await virsh("net-dumpxml", isolated), /<forward/);
        await all(w => byName(w.networks, isolated)?.forward === null, "for the isolated network");

        // Static host, live and in the definition.
        r = await op("network", { action: "add-host", network: nat, mac: "52:54:00:aa:bb:cc", name: "cvhost", ip: `10.213.${octet}.50` });
        assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
        assert.match(await virsh("net-dumpxml", "--inactive", nat), /<host mac='52:54:00:aa:bb:cc' name='cvhost' ip='10\.213\.\d+\.50'\/>/);
        await own(w => byName(w.networks, nat)?.ips[0]?.hosts.length === 1, "with the static host");
        r = await op("network", { action: "remove-host", network: nat, mac: "52:54:00:aa:bb:cc", name: "cvhost", ip: `10.213.${octet}.50` });
        assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
        assert.doesNotMatch(await virsh("net-dumpxml", nat), /cvhost/);

        r = await op("network", { action: "leases", network: nat });
        assert.deepEqual(r.results, [{ leases: [] }]);

        // A tiny guest on the NAT network: a static host entry for its MAC, so its lease is that address.
        const mac = `52:54:00:${octet.toString(16)}:7e:01`;
        r = await op("network", { action: "add-host", network: nat, mac, ip: `10.213.${octet}.60` });
        assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
        const g = await defineTinyGuest("netlease");
        await virsh("detach-interface", g.name, "user", "--config");
        await virsh("attach-interface", g.name, "network", nat, "--model", "virtio", "--mac", mac, "--config");
        await virsh("start", g.name);
        const lease = await waitFor(async () => {
            const got = await op("network", { action: "leases", network: nat });
            return got.results[0]?.leases.find(l => l.mac === mac);
        }, 90000, { interval: 1000, what: `a DHCP lease for ${mac}` });
        assert.deepEqual([lease.ip, lease.prefix, lease.family], [`10.213.${octet}.60`, 24, "ipv4"]);
        assert.match(await virsh("net-dhcp-leases", nat), new RegExp(`${mac}.*10\\.213\\.${octet}\\.60/24`));
        await virsh("destroy", g.name);
        r = await op("network", { action: "remove-host", network: nat, mac, ip: `10.213.${octet}.60` });
        assert.equal(r.close.problem, undefined, JSON.stringify(r.close));

        // Behind the helper's back.
        await virsh("net-destroy", isolated);
        await all(w => byName(w.networks, isolated)?.active === false, "after virsh net-destroy");
        await virsh("net-undefine", isolated);
        await all(w => byName(w.networks, isolated) === undefined, "after virsh net-undefine");

        r = await op("network", { action: "delete", network: nat });
        assert.equal(r.close.problem, undefined);
        await all(w => byName(w.networks, nat) === undefined, "after delete");
        await assert.rejects(virsh("net-info", nat));
    });

    test("network_open_route_mtu: open and routed forwarding and the MTU in libvirt's XML; an MTU out of bounds refused", async () => {
        const open = `${PREFIX}open-${suffix}`;
        const routed = `${PREFIX}route-${suffix}`;
        try {
            for (const mtu of [1279, 65536]) {
                const r = await op("network", { action: "create", network: open, forward: "open", mtu, ipv4: { address: `10.218.${octet}.1`, prefix: 24 } });
                assert.equal(r.close.problem, "invalid-argument", JSON.stringify(r.close));
                assert.match(r.close.message, new RegExp(`between 1280 and 65535 bytes, not ${mtu}`));
            }
            await assert.rejects(virsh("net-info", open), "no network was left behind");

            let r = await op("network", { action: "create", network: open, forward: "open", mtu: 9000, ipv4: { address: `10.218.${octet}.1`, prefix: 24 } });
            assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
            let xml = await virsh("net-dumpxml", open);
            assert.match(xml, /<forward mode='open'\/>/);
            assert.match(xml, /<mtu size='9000'\/>/);
            await all(w => byName(w.networks, open)?.forward === "open" && byName(w.networks, open).mtu === 9000 &&
                      byName(w.networks, open).active, "for the open network with its MTU");

            r = await op("network", { action: "create", network: routed, forward: "route", ipv4: { address: `10.219.${octet}.1`, prefix: 24 } });
            assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
            xml = await virsh("net-dumpxml", routed);
            assert.match(xml, /<forward mode='route'\/>/);
            assert.doesNotMatch(xml, /<mtu/);
            await all(w => byName(w.networks, routed)?.forward === "route" && byName(w.networks, routed).mtu === null &&
                      byName(w.networks, routed).active, "for the routed network");

            for (const name of [open, routed]) {
                r = await op("network", { action: "delete", network: name });
                assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
                await assert.rejects(virsh("net-info", name));
            }
        } finally {
            for (const name of [open, routed]) {
                await virsh("net-destroy", name).catch(() => {});
                await virsh("net-undefine", name).catch(() => {});
            }
        }
    });
});
