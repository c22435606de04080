// SPDX-License-Identifier: LGPL-2.1-or-later
// op `device` (docs/api.md) on tiny real guests through real cockpit-bridges (both: operations alternate between
// 337 and 287): the effect in `virsh dumpxml` live and --inactive and in `vol-list`, and inside the running guest
// where it shows (a hot-plugged disk is a block device, a grown disk has its new size, an inserted ISO's label is
// readable, an unplugged link is down).

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { Bridge } from "../harness/bridge.mjs";
import {
    GUESTS_DIR, PREFIX, READY, URI, cleanupTestObjects, defineTinyGuest, ensureLibvirtd, guestDir, qemuPid, virsh,
    guestOutput, waitFor, waitForSerial,
} from "../harness/libvirt.mjs";
import { startHttpServer } from "../harness/media.mjs";

const POOL = `${PREFIX}devpool`;
const POOL_DIR = path.join(GUESTS_DIR, `${PREFIX}devpool`);
// Host bridges of this test (interface names are at most 15 characters).
const VLAN_BRIDGE = "cvtestvlanbr";
const PLAIN_BRIDGE = "cvtestplainbr";

function removeBridge(name) {
    if (existsSync(`/sys/class/net/${name}`))
        execFileSync("ip", ["link", "del", name]);
}

/** Runs a device action; resolves with { answer, problem, message, trail }. */
async function device(b, vm, action, params = {}) {
    const channel = b.open({ payload: "virt1", op: "device", uri: URI, vm, action, ...params });
    const messages = await b.untilClose(channel, 60000);
    const close = messages.at(-1).control;
    const results = messages.filter(m => !m.command).map(m => m.data);
    return { answer: results[0], results, problem: close.problem, message: close.message, trail: messages.map(m => JSON.stringify(m.control ?? m.data)).join("\n") };
}

async function ok(b, vm, action, params) {
    const r = await device(b, vm, action, params);
    assert.equal(r.problem, undefined, `${action} failed: ${r.message}\n${r.trail}`);
    assert.equal(r.results.length, 1, r.trail);
    assert.equal(r.answer.ok, true, r.trail);
    return r.answer;
}

async function refused(b, vm, action, params, problem, pattern) {
    const r = await device(b, vm, action, params);
    assert.equal(r.problem, problem, `${action} ${JSON.stringify(params)}: ${r.trail}`);
    assert.equal(r.results.length, 0, r.trail);
    if (pattern)
        assert.match(r.message, pattern);
    return r;
}

const dumpxml = (name, inactive = false) => virsh("dumpxml", ...(inactive ? ["--inactive"] : []), name);


/** A small ISO 9660 image with volume label `label`. */
function makeIso(dir, label) {
    const src = path.join(dir, `${label}-src`);
    mkdirSync(src, { recursive: true });
    writeFileSync(path.join(src, "hello.txt"), label);
    const iso = path.join(dir, `${label}.iso`);
    execFileSync("xorriso", ["-as", "mkisofs", "-quiet", "-V", label, "-o", iso, src], { stdio: "ignore" });
    chmodSync(iso, 0o644);
    return iso;
}

describe("device changes on tiny real guests", () => {
    let b337, b287, running, off, iso;
    let vlanFiltering = false;

    before(async () => {
        await ensureLibvirtd();
        await guestDir();
        await cleanupTestObjects();
        await virsh("pool-destroy", POOL).catch(() => {});
        await virsh("pool-undefine", POOL).catch(() => {});
        mkdirSync(POOL_DIR, { recursive: true });
        chmodSync(GUESTS_DIR, 0o755);
        chmodSync(POOL_DIR, 0o755);
        await virsh("pool-define-as", POOL, "dir", "--target", POOL_DIR);
        await virsh("pool-start", POOL);
        [b337, b287] = await Promise.all([Bridge.start("337"), Bridge.start("287")]);
        running = await defineTinyGuest("dev-run", { agent: true });
        // A virtio-scsi controller, so that the guest (which has virtio_scsi and sr_mod) sees SCSI CD/DVD drives.
        const ctl = path.join(running.dir, "scsi.xml");
        writeFileSync(ctl, "<controller type='scsi' model='virtio-scsi'/>");
        await virsh("attach-device", running.name, ctl, "--config");
        off = await defineTinyGuest("dev-off", { disks: ["32M"] });
        // Two host bridges: one that filters VLANs (so libvirt can tag a guest's port), one that does not.
        // Some kernels are built without bridge VLAN filtering: then only the refusals can be shown here.
        for (const br of [VLAN_BRIDGE, PLAIN_BRIDGE]) {
            removeBridge(br);
            execFileSync("ip", ["link", "add", br, "type", "bridge"]);
            execFileSync("ip", ["link", "set", br, "up"]);
        }
        try {
            execFileSync("ip", ["link", "set", VLAN_BRIDGE, "type", "bridge", "vlan_filtering", "1"], { stdio: "pipe" });
            vlanFiltering = true;
        } catch (e) {
            console.log(`# this kernel cannot filter VLANs on a bridge (${String(e.stderr).trim()}): VLAN tags only refused`);
        }
        iso = makeIso(running.dir, "CVTESTMEDIA");
    });
    after(async () => {
        await Promise.all([b337?.closeBridge(), b287?.closeBridge()]);
        await cleanupTestObjects();
        await virsh("pool-destroy", POOL).catch(() => {});
        await virsh("pool-undefine", POOL).catch(() => {});
        removeBridge(VLAN_BRIDGE);
        removeBridge(PLAIN_BRIDGE);
    });

    test("a shut-off VM: an empty CD/DVD drive, a new volume, grow, refusals, remove with its image", async () => {
        // Only the saved definition exists: live is refused, the default is config only.
        await refused(b337, off.uuid, "disk-add", { device: "cdrom", live: true }, "invalid-argument", /not running/);
        const cd = await ok(b337, off.uuid, "disk-add", { device: "cdrom", bus: "sata" });
        assert.deepEqual([cd.live, cd.config, cd.target], [false, true, "sda"]);
        assert.match(await dumpxml(off.name, true), /<disk type='file' device='cdrom'>[\s\S]*?<target dev='sda' bus='sata'\/>/);

        // Media from a pool volume into the empty drive (saved definition only: the VM is off).
        copyFileSync(iso, path.join(POOL_DIR, "media ü.iso"));
        await virsh("pool-refresh", POOL);
        await ok(b287, off.uuid, "media-insert", { target: "sda", source: { pool: POOL, volume: "media ü.iso" } });
        assert.match(await dumpxml(off.name, true), /<disk type='volume' device='cdrom'>[\s\S]*?<source pool='cvtest-devpool' volume='media ü.iso'\/>/);
        await ok(b337, off.uuid, "media-eject", { target: "sda" });
        assert.match(await dumpxml(off.name, true), /<disk type='\w+' device='cdrom'>\s*<driver name='qemu' type='raw'\/>\s*<target dev='sda'/, "sda is empty");

        // An existing file on SCSI, and an interface on a virtual network with a MAC the helper picks.
        const file = path.join(off.dir, "extra.raw");
        execFileSync("qemu-img", ["create", "-q", "-f", "raw", file, "4M"]);
        chmodSync(file, 0o644);
        const scsi = await ok(b287, off.uuid, "disk-add", { source: { file }, bus: "scsi" });
        assert.equal(scsi.target, "sdb");
        assert.match(await dumpxml(off.name, true), new RegExp(`<driver name='qemu' type='raw'/>\\s*<source file='${file}'/>\\s*<target dev='sdb' bus='scsi'/>`));
        // Edit it: SCSI → SATA (same sd* name), cache, serial; libvirt's own refusal of a read-only SATA disk.
        const edited = await ok(b337, off.uuid, "disk-edit", { target: "sdb", bus: "sata", cache: "writeback", serial: "SN-1" });
        assert.deepEqual([edited.live, edited.config, edited.target], [false, true, "sdb"]);
        const sdb = (await dumpxml(off.name, true)).match(/<disk[^>]*>(?:(?!<\/disk>)[\s\S])*?<target dev='sdb'[\s\S]*?<\/disk>/)[0];
        assert.match(sdb, /cache='writeback'/);
        assert.match(sdb, /<target dev='sdb' bus='sata'\/>/);
        assert.match(sdb, /<serial>SN-1<\/serial>/);
        await refused(b287, off.uuid, "disk-edit", { target: "sdb", readonly: true }, "internal-error", /readonly sata disks are not supported/);
        await refused(b337, off.uuid, "disk-edit", { target: "sdb", serial: "has space" }, "invalid-argument", /serial/);
        const net = await ok(b337, off.uuid, "nic-add", { source: { network: "default" }, model: "e1000e" });
        assert.match(net.mac, /^52:54:00(:[0-9a-f]{2}){3}$/);
        assert.match(await dumpxml(off.name, true), new RegExp(`<mac address='${net.mac}'/>\\s*<source network='default'/>\\s*<model type='e1000e'/>`));
        // macvtap on a host interface, in VEPA mode (the saved definition only: nothing is opened until a boot).
        const hostIf = readdirSync("/sys/class/net").find(n => n !== "lo" && existsSync(`/sys/class/net/${n}/device`)) ?? "lo";
        const direct = await ok(b337, off.uuid, "nic-add", { source: { direct: hostIf, mode: "vepa" } });
        assert.match(await dumpxml(off.name, true), new RegExp(`<interface type='direct'>\\s*<mac address='${direct.mac}'/>\\s*<source dev='${hostIf}' mode='vepa'/>`));
        await ok(b337, off.uuid, "nic-remove", { mac: direct.mac });
        await refused(b337, off.uuid, "nic-add", { source: { direct: hostIf, mode: "weird" } }, "invalid-argument", /Unknown mode/);
        // A VLAN tag on a bridge that filters VLANs; refused where the source cannot carry one.
        if (vlanFiltering) {
            const tagged = await ok(b287, off.uuid, "nic-add", { source: { bridge: VLAN_BRIDGE }, vlan: 42 });
            assert.match(await dumpxml(off.name, true), new RegExp(`<mac address='${tagged.mac}'/>\\s*<source bridge='${VLAN_BRIDGE}'/>\\s*<vlan>\\s*<tag id='42'/>`));
            await ok(b337, off.uuid, "nic-remove", { mac: tagged.mac });
        }
        await refused(b337, off.uuid, "nic-add", { source: { bridge: PLAIN_BRIDGE }, vlan: 42 }, "invalid-argument", /does not filter VLANs/);
        await refused(b287, off.uuid, "nic-add", { source: { network: "default" }, vlan: 42 }, "invalid-argument", /needs a host bridge/);
        await refused(b337, off.uuid, "nic-add", { source: { bridge: VLAN_BRIDGE }, vlan: 4095 }, "invalid-argument", /1 to 4094/);
        // passt with port forwards; bad forwards refused before libvirt is asked.
        const passt = await ok(b337, off.uuid, "nic-add", { source: { user: true, passt: true, forwards: [{ proto: "tcp", host: 20022, guest: 22 }] } });
        const passtXml = (await dumpxml(off.name, true)).match(new RegExp(`<interface type='user'>\\s*<mac address='${passt.mac}'/>[\\s\\S]*?</interface>`))[0];
        assert.match(passtXml, /<backend type='passt'\/>/);
        assert.match(passtXml, /<portForward proto='tcp'>\s*<range start='20022' to='22'\/>/);
        await ok(b287, off.uuid, "nic-remove", { mac: passt.mac });
        await refused(b287, off.uuid, "nic-add", { source: { user: true, passt: true, forwards: [{ proto: "tcp", host: 80, guest: 80 }] } }, "invalid-argument", /1024/);
        await refused(b287, off.uuid, "nic-add", { source: { user: true, forwards: [{ proto: "tcp", host: 20022, guest: 22 }] } }, "invalid-argument", /passt/);

        // Edit it: user-mode, virtio, a new MAC.
        const moved = await ok(b287, off.uuid, "nic-edit", { mac: net.mac, source: { user: true }, model: "virtio", newMac: "52:54:00:cf:00:99" });
        assert.deepEqual([moved.live, moved.config, moved.mac], [false, true, "52:54:00:cf:00:99"]);
        const inactive = await dumpxml(off.name, true);
        assert.ok(!inactive.includes(net.mac), "the old MAC is gone");
        assert.match(inactive, /<interface type='user'>\s*<mac address='52:54:00:cf:00:99'\/>\s*<model type='virtio'\/>/);
        await ok(b287, off.uuid, "nic-remove", { mac: "52:54:00:CF:00:99" });
        assert.ok(!(await dumpxml(off.name, true)).includes("52:54:00:cf:00:99"));

        const name = "new \"disk\" ü 1.qcow2";
        const added = await ok(b287, off.uuid, "disk-add", { source: { pool: POOL, name, size: 16 << 20 }, bus: "virtio", cache: "none" });
        assert.equal(added.target, "vdb");
        assert.ok((await virsh("vol-list", POOL)).includes(name));
        const xml = await dumpxml(off.name, true);
        assert.match(xml, /<driver name='qemu' type='qcow2' cache='none'\/>\s*<source pool='cvtest-devpool' volume='new &quot;disk&quot; ü 1.qcow2'\/>/);

        await refused(b337, off.uuid, "disk-add", { source: { pool: POOL, name, size: 1 << 20 } }, "invalid-argument", /already has a volume/);
        await refused(b337, off.uuid, "disk-add", { source: { pool: POOL, name: "huge", size: 2 ** 49 } }, "invalid-argument", /more than the pool/);
        await refused(b337, off.uuid, "disk-resize", { target: "vdb", size: 0 }, "invalid-argument", /larger than 0/);
        await refused(b337, off.uuid, "disk-resize", { target: "vdb", size: -1 }, "invalid-argument", /larger than 0/);
        await refused(b337, off.uuid, "disk-resize", { target: "vdb", size: 8 << 20 }, "invalid-argument", /Shrinking is refused/);
        await refused(b337, off.uuid, "disk-resize", { target: "sda", size: 8 << 20 }, "invalid-argument", /not a disk/);

        // Grow: the volume (virStorageVolResize) and a plain file outside any pool (qemu-img).
        const grown = await ok(b287, off.uuid, "disk-resize", { target: "vdb", size: 48 << 20 });
        assert.deepEqual([grown.previous, grown.size], [16 << 20, 48 << 20]);
        assert.match(await virsh("vol-info", "--bytes", "--pool", POOL, name), /Capacity:\s+50331648 bytes/);
        await ok(b337, off.uuid, "disk-resize", { target: "vda", size: 40 << 20 });
        assert.match(execFileSync("qemu-img", ["info", off.disks[0]]).toString(), /virtual size: 40 MiB/);
        const { sizes } = await ok(b287, off.uuid, "disk-sizes", {});
        assert.equal(sizes.vda.capacity, 40 << 20);
        assert.equal(sizes.vdb.capacity, 48 << 20);
        assert.ok(sizes.vdb.allocation > 0 && sizes.vdb.allocation < 48 << 20, JSON.stringify(sizes));
        assert.equal(sizes.sda, undefined, "an empty drive has no size");

        // Another VM uses the image: deleting it is refused, nothing changes.
        const other = await defineTinyGuest("dev-other");
        const share = path.join(other.dir, "share.xml");
        writeFileSync(share, `<disk type='volume' device='disk'><source pool='${POOL}' volume='${name.replace(/"/g, "&quot;")}'/><target dev='vdc' bus='virtio'/></disk>`);
        await virsh("attach-device", other.name, share, "--config");
        await waitFor(async () => {
            const r = await device(b337, off.uuid, "disk-remove", { target: "vdb", deleteStorage: true });
            assert.ok(r.problem, r.trail);
            return r.problem === "invalid-argument" && /also used by cvtest-dev-other/.test(r.message) ? r : r.message;
        }, 10000, { what: "the helper to see the other VM's disk" });
        assert.match(await dumpxml(off.name, true), /<target dev='vdb'/);
        await virsh("undefine", other.name);

        const gone = await waitFor(async () => {
            const r = await device(b287, off.uuid, "disk-remove", { target: "vdb", deleteStorage: true });
            return r.problem === "invalid-argument" && /also used/.test(r.message) ? null : r;
        }, 10000, { what: "the helper to see the other VM gone" });
        assert.equal(gone.problem, undefined, gone.trail);
        assert.deepEqual([gone.answer.live, gone.answer.config, gone.answer.pending], [false, true, false]);
        assert.match(gone.answer.deleted, /new "disk" ü 1\.qcow2$/);
        assert.doesNotMatch(await dumpxml(off.name, true), /<target dev='vdb'/);
        assert.ok(!(await virsh("vol-list", POOL)).includes(name), "the volume is gone");
    });

    test("a running VM: media, hot-plug, grow, NICs, each seen by the guest", async () => {
        // An empty SCSI CD/DVD drive before boot, then boot.
        await ok(b337, running.uuid, "disk-add", { device: "cdrom", bus: "scsi" });
        await virsh("start", running.name);
        await waitForSerial(running, READY, 90000);
        let xml = await dumpxml(running.name);
        assert.match(xml, /<disk type='file' device='cdrom'>\s*<driver name='qemu'[^>]*\/>\s*<target dev='sda' bus='scsi'\/>/);

        // Insert: now and next boot; the guest reads the ISO's volume label.
        const inserted = await ok(b287, running.uuid, "media-insert", { target: "sda", source: { file: iso } });
        assert.deepEqual([inserted.live, inserted.config], [true, true]);
        for (const inactive of [false, true])
            assert.match(await dumpxml(running.name, inactive), new RegExp(`<source file='${iso}'`));
        const label = await guestOutput(running, "dd if=/dev/sr0 bs=1 skip=32808 count=11 2>/dev/null");
        assert.equal(label, "CVTESTMEDIA");

        // Eject, now only: the saved definition keeps the ISO, and the watch reports the difference.
        await ok(b337, running.uuid, "media-eject", { target: "sda", config: false, force: true });
        assert.doesNotMatch(await dumpxml(running.name), /<source file=/);
        assert.match(await dumpxml(running.name, true), new RegExp(`<source file='${iso}'`));
        const w = await b337.watch(URI);
        const vm = Object.values(w.vms).find(v => v.id === running.uuid);
        assert.equal(vm.disks.find(d => d.target === "sda").source, null);
        assert.equal(vm.saved?.disks.find(d => d.target === "sda").source, iso, JSON.stringify(vm.saved));
        b337.close(w.channel);
        await refused(b287, running.uuid, "media-insert", { target: "vda", source: { file: iso } }, "not-found", /no drive "vda"/);
        await refused(b287, running.uuid, "media-insert", { target: "sda", source: { file: "/nonexistent/x.iso" } }, "invalid-argument", /No such file/);
        // A directory QEMU's user cannot enter: refused before libvirt is asked, with the create dialog's advice.
        const hidden = path.join(running.dir, "private");
        mkdirSync(hidden, { mode: 0o700 });
        const hiddenIso = path.join(hidden, "x.iso");
        copyFileSync(iso, hiddenIso);
        const qemuUid = Number(readFileSync(`/proc/${qemuPid(running.name)}/status`, "utf8").match(/^Uid:\s+(\d+)/m)[1]);
        assert.notEqual(qemuUid, 0, "QEMU runs as its own user (qemu.conf user)");
        await refused(b337, running.uuid, "media-insert", { target: "sda", source: { file: hiddenIso } }, "invalid-argument", /cannot enter .*private.*setfacl/s);

        // Media by URL (QEMU's curl driver): checked first (an ISO there), then read by QEMU; the guest sees its label.
        const served = path.join(running.dir, "served");
        mkdirSync(served, { recursive: true });
        copyFileSync(makeIso(running.dir, "CVTESTURLCD"), path.join(served, "by url.iso"));
        writeFileSync(path.join(served, "notes.txt"), "not an ISO image\n".repeat(4096));
        const http = await startHttpServer(served);
        try {
            await refused(b287, running.uuid, "media-insert", { target: "sda", source: { url: http.url("notes.txt") } }, "invalid-argument", /not an ISO image/);
            await refused(b337, running.uuid, "media-insert", { target: "sda", source: { url: http.url("missing.iso") } }, "invalid-argument", /HTTP 404/);
            await refused(b337, running.uuid, "media-insert", { target: "sda", source: { url: `http://u:p@127.0.0.1:${http.port}/x.iso` } }, "invalid-argument", /password/);
            const byUrl = await ok(b337, running.uuid, "media-insert", { target: "sda", source: { url: http.url("by%20url.iso") } });
            assert.deepEqual([byUrl.live, byUrl.config], [true, true]);
            for (const inactive of [false, true]) {
                assert.match(await dumpxml(running.name, inactive),
                             new RegExp(`<disk type='network' device='cdrom'>[\\s\\S]*?<source protocol='http' name='/by url.iso'[^>]*>\\s*<host name='127.0.0.1' port='${http.port}'/>`));
            }
            await waitFor(async () => (await guestOutput(running, "echo 3 > /proc/sys/vm/drop_caches; dd if=/dev/sr0 bs=1 skip=32808 count=11 2>/dev/null")) === "CVTESTURLCD",
                          20000, { what: "the guest to read the ISO served by URL" });
            assert.ok(http.requests.some(r => r.range && r.path === "/by url.iso"), "QEMU read it by ranges");
            const w2 = await b287.watch(URI);
            const shown = Object.values(w2.vms).find(v => v.id === running.uuid).disks.find(d => d.target === "sda");
            assert.equal(shown.source, `http://127.0.0.1:${http.port}/by url.iso`);
            b287.close(w2.channel);
            await ok(b287, running.uuid, "media-eject", { target: "sda", force: true });
            assert.doesNotMatch(await dumpxml(running.name), /protocol='http'/);
        } finally {
            await http.close();
        }

        // Hot-plug a new volume: a block device appears in the guest; grow it live.
        const disk = await ok(b287, running.uuid, "disk-add", { source: { pool: POOL, name: "hot.qcow2", size: 8 << 20, format: "qcow2" } });
        assert.deepEqual([disk.live, disk.config, disk.target], [true, true, "vda"]);
        await waitFor(async () => (await guestOutput(running, "cat /sys/block/vda/size 2>/dev/null")).trim() === String((8 << 20) / 512),
                      20000, { what: "vda in the guest" });
        await ok(b337, running.uuid, "disk-resize", { target: "vda", size: 24 << 20 });
        await waitFor(async () => (await guestOutput(running, "cat /sys/block/vda/size")).trim() === String((24 << 20) / 512),
                      20000, { what: "the guest to see vda grown" });
        await refused(b337, running.uuid, "disk-resize", { target: "vda", size: 8 << 20 }, "invalid-argument", /Shrinking/);
        assert.equal((await ok(b337, running.uuid, "disk-sizes", {})).sizes.vda.capacity, 24 << 20);
        await refused(b287, running.uuid, "media-insert", { target: "vda", source: { file: iso } }, "invalid-argument", /not a CD\/DVD drive/);
        // An edit of a running VM's disk is for its next boot.
        const cached = await ok(b287, running.uuid, "disk-edit", { target: "vda", cache: "none" });
        assert.deepEqual([cached.live, cached.config], [false, true]);
        assert.match(await dumpxml(running.name, true), /<driver name='qemu' type='qcow2' cache='none'\/>/);
        assert.doesNotMatch(await dumpxml(running.name), /cache='none'/);

        // NICs: a given MAC (a taken one and a malformed one are refused), link down and up, then unplug.
        const mac = "52:54:00:cf:00:01";
        const nic = await ok(b287, running.uuid, "nic-add", { source: { user: true }, model: "virtio", mac });
        assert.equal(nic.mac, mac);
        for (const inactive of [false, true])
            assert.match(await dumpxml(running.name, inactive), new RegExp(`<mac address='${mac}'/>`));
        await waitFor(async () => (await device(b337, running.uuid, "nic-add", { source: { user: true }, mac })).problem === "invalid-argument",
                      10000, { what: "the taken MAC to be refused" });
        await refused(b337, running.uuid, "nic-add", { source: { user: true }, mac: "52:54:00:zz:00:01" }, "invalid-argument", /not a MAC/);
        const ifname = async () => (await guestOutput(running, `grep -l ${mac} /sys/class/net/*/address`)).trim().split("/")[4];
        const dev = await waitFor(ifname, 20000, { what: "the new NIC in the guest" });
        await guestOutput(running, `ip link set ${dev} up`);
        await ok(b337, running.uuid, "nic-link", { mac, up: false });
        assert.match(await dumpxml(running.name), /<link state='down'\/>/);
        assert.match(await dumpxml(running.name, true), /<link state='down'\/>/);
        await waitFor(async () => (await guestOutput(running, `cat /sys/class/net/${dev}/carrier`)).trim() === "0", 10000, { what: "carrier 0" });
        await ok(b287, running.uuid, "nic-link", { mac, up: true });
        await waitFor(async () => (await guestOutput(running, `cat /sys/class/net/${dev}/carrier`)).trim() === "1", 10000, { what: "carrier 1" });

        // Hot-plugged on the VLAN-filtering bridge with a tag: libvirt puts the guest's port on VLAN 42.
        if (vlanFiltering) {
            const vlanNic = await ok(b287, running.uuid, "nic-add", { source: { bridge: VLAN_BRIDGE }, vlan: 42 });
            const tap = (await dumpxml(running.name)).match(new RegExp(`<mac address='${vlanNic.mac}'/>[\\s\\S]*?<target dev='([^']+)'/>`))[1];
            assert.match(execFileSync("bridge", ["vlan", "show", "dev", tap]).toString(), /\b42\b/);
            await ok(b337, running.uuid, "nic-remove", { mac: vlanNic.mac });
        }
        // Hot-plugged through passt: passt listens on the forwarded host port.
        const passtNic = await ok(b337, running.uuid, "nic-add", { source: { user: true, passt: true, forwards: [{ proto: "tcp", host: 20023, guest: 23 }] } });
        await waitFor(() => / 127\.0\.0\.1:20023 | \*:20023 | 0\.0\.0\.0:20023 | \[::\]:20023 /.test(` ${execFileSync("ss", ["-Hltn"]).toString().replace(/\s+/g, " ")} `),
                      10000, { what: "passt to listen on host port 20023" });
        await ok(b287, running.uuid, "nic-remove", { mac: passtNic.mac });

        const addrs = await ok(b337, running.uuid, "nic-addresses", {});
        assert.ok(Object.values(addrs.addresses).flat().some(a => a.address === "10.0.2.15" && a.source === "agent"), JSON.stringify(addrs));

        const removed = await ok(b337, running.uuid, "nic-remove", { mac });
        assert.equal(removed.live, true);
        await waitFor(async () => !(await dumpxml(running.name)).includes(mac), 20000, { what: "the NIC to leave the live XML" });
        assert.ok(!(await dumpxml(running.name, true)).includes(mac));

        // Live refused, config undone: a SATA disk cannot be hot-plugged on this machine, so nothing is left behind,
        // not even the volume made for it.
        const before = await dumpxml(running.name, true);
        const r = await device(b287, running.uuid, "disk-add", { source: { pool: POOL, name: "undone.qcow2", size: 1 << 20 }, bus: "sata" });
        assert.ok(!(await virsh("vol-list", POOL)).includes("undone.qcow2"), "the new volume was deleted again");
        assert.equal(r.problem, "not-supported", r.trail);
        assert.match(r.message, /cannot be hotplugged/, "libvirt's own message");
        assert.equal(await dumpxml(running.name, true), before, "the saved half (with the SATA controller libvirt added) was undone");
    });
});
