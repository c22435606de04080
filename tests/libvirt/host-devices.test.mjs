// SPDX-License-Identifier: LGPL-2.1-or-later
// Host devices and shared directories on real VMs through real cockpit-bridges (operations alternate between 337
// and 287). Host devices: the machine's real PCI devices as op host-devices lists them (bound to host drivers, so
// marked as the host's), two added at once to a shut-off VM that is never started (nothing is taken from the
// host), seen in `virsh dumpxml --inactive` and as used by that VM, then removed. USB: a device named by vendor and
// product removed from a saved definition (no hardware needed); adding one needs a USB node device, so on a machine
// without a USB bus that part is skipped, saying so. Shared directory: a host
// directory added to a tiny guest (which gets shared memory for it), the guest booted, the directory mounted over
// virtiofs and a file the host wrote read in the guest and printed on its serial console.

import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { Bridge, abbreviate } from "../harness/bridge.mjs";
import {
    READY, URI, cleanupTestObjects, defineTinyGuest, ensureLibvirtd, guestDir, guestRun, removeGuest, virsh,
    waitForSerial,
} from "../harness/libvirt.mjs";

async function device(b, vm, action, params = {}) {
    const channel = b.open({ payload: "virt1", op: "device", uri: URI, vm, action, ...params });
    const messages = await b.untilClose(channel, 60000);
    const close = messages.at(-1).control;
    const results = messages.filter(m => !m.command).map(m => m.data);
    assert.equal(close.problem, undefined, `${action} failed: ${close.message}`);
    assert.equal(results.length, 1);
    return results[0];
}

const inactiveXml = name => virsh("dumpxml", "--inactive", name);

describe("host devices and shared directories on real VMs", () => {
    let b337, b287, off, guest;

    before(async () => {
        await ensureLibvirtd();
        await guestDir();
        await cleanupTestObjects();
        [b337, b287] = await Promise.all([Bridge.start("337"), Bridge.start("287")]);
        [off, guest] = await Promise.all([defineTinyGuest("hostdev-off"), defineTinyGuest("virtiofs", { agent: true })]);
    });
    after(async () => {
        await Promise.all([b337?.closeBridge(), b287?.closeBridge()]);
        await Promise.all([off, guest].filter(Boolean).map(removeGuest));
    });

    test("host PCI devices: listed as the host's, two added at once to a shut-off VM, shown as used, removed", async () => {
        const devices = {};
        const channel = b337.open({ payload: "virt1", op: "host-devices", uri: URI });
        const until = (check, what) => b337.next(channel, m => {
            assert.notEqual(m.command, "close", abbreviate(m));
            for (const [id, v] of Object.entries(m.data?.devices ?? {}))
                if (v === null) delete devices[id]; else devices[id] = v;
            return check(m);
        }, 20000).catch(e => { throw new Error(`nothing ${what}: ${e.message}`) });
        await until(m => m.data?.synced, "the snapshot");
        const pci = Object.values(devices).filter(d => d.type === "pci" && d.key && d.hostDriver).slice(0, 2);
        assert.equal(pci.length, 2, `two PCI devices bound to host drivers: ${JSON.stringify(devices)}`);
        for (const d of pci) {
            assert.match(d.address, /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/);
            assert.match(d.vendorId, /^[0-9a-f]{4}$/);
            assert.deepEqual(d.usedBy, []);
        }

        const added = await device(b287, off.uuid, "hostdev-add", { devices: pci.map(d => d.name) });
        assert.deepEqual([added.live, added.config, added.hostdevs], [false, true, pci.map(d => d.key)]);
        let xml = await inactiveXml(off.name);
        for (const d of pci) {
            const [dom, bus, slotFn] = d.address.split(":");
            const [slot, fn] = slotFn.split(".");
            assert.match(xml, new RegExp(`<hostdev mode='subsystem' type='pci' managed='yes'>\\s*<source>\\s*` +
                `<address domain='0x${dom}' bus='0x${bus}' slot='0x${slot}' function='0x${fn}'/>`));
        }
        await until(() => pci.every(d => devices[d.name].usedBy.some(u => u.id === off.uuid)), "for the devices in use");

        // Once added, again: refused before libvirt is asked.
        const again = b337.open({ payload: "virt1", op: "device", uri: URI, vm: off.uuid, action: "hostdev-add", devices: [pci[0].name] });
        assert.equal((await b337.untilClose(again)).at(-1).control.problem, "invalid-argument");

        for (const [i, d] of pci.entries())
            await device(i ? b337 : b287, off.uuid, "hostdev-remove", { hostdev: d.key });
        xml = await inactiveXml(off.name);
        assert.doesNotMatch(xml, /<hostdev/);
        await until(() => pci.every(d => devices[d.name].usedBy.length === 0), "for the devices free again");
        b337.close(channel);
    });

    test("host USB device: one named by vendor and product in a saved definition is removed", async () => {
        // Removal needs no hardware: a saved definition may name a USB device by vendor and product that is not
        // plugged in (libvirt looks for it only when the VM starts).
        const xml = (await inactiveXml(off.name))
            .replace(/<controller type='usb'[^>]*model='none'[^>]*\/>/, "<controller type='usb' model='qemu-xhci'/>")
            .replace("</devices>", "<hostdev mode='subsystem' type='usb' managed='yes'>" +
                     "<source><vendor id='0x046d'/><product id='0x0825'/></source></hostdev></devices>");
        const file = path.join(off.dir, "with-usb.xml");
        writeFileSync(file, xml);
        await virsh("define", file);
        assert.match(await inactiveXml(off.name), /<vendor id='0x046d'\/>\s*<product id='0x0825'\/>/);
        const removed = await device(b287, off.uuid, "hostdev-remove", { hostdev: "usb:046d:0825" });
        assert.deepEqual([removed.live, removed.config], [false, true]);
        assert.doesNotMatch(await inactiveXml(off.name), /<hostdev/);
    });

    test("host USB device: added by vendor and product, then removed (needs a USB device on this machine)", async t => {
        // Adding takes a node device of the host (virNodeDeviceLookupByName): only a machine with USB devices has one.
        const devices = {};
        const channel = b337.open({ payload: "virt1", op: "host-devices", uri: URI });
        await b337.next(channel, m => {
            assert.notEqual(m.command, "close", abbreviate(m));
            Object.assign(devices, m.data?.devices);
            return m.data?.synced;
        }, 20000);
        b337.close(channel);
        const usb = Object.values(devices).find(d => d?.type === "usb_device" && d.key);
        if (!usb) {
            // The listing of USB devices is proven from faked node-device XML (tests/protocol/host-devices.test.mjs).
            const why = existsSync("/sys/bus/usb") ? "this machine's USB bus has no devices" : "this machine has no USB bus (no /sys/bus/usb)";
            t.skip(`${why}: no USB node device to add to a VM`);
            return;
        }
        const added = await device(b337, off.uuid, "hostdev-add", { devices: [usb.name] });
        assert.deepEqual(added.hostdevs, [usb.key]);
        const [, vendor, product] = usb.key.split(":");
        assert.match(await inactiveXml(off.name), new RegExp(`<vendor id='0x${vendor}'/>\\s*<product id='0x${product}'/>`));
        await device(b287, off.uuid, "hostdev-remove", { hostdev: usb.key });
        assert.doesNotMatch(await inactiveXml(off.name), /<hostdev/);
    });

    test("shared directory: added with shared memory, mounted over virtiofs in the booted guest, a host file read", async () => {
        const share = path.join(guest.dir, "share dir");
        mkdirSync(share);
        chmodSync(share, 0o755);
        const marker = `CVTEST-VIRTIOFS-${Date.now()}`;
        writeFileSync(path.join(share, "hello.txt"), `${marker}\n`);

        const added = await device(b287, guest.uuid, "filesystem-add", { path: share, tag: "cvshare" });
        assert.deepEqual([added.live, added.config, added.sharedMemory], [false, true, true]);
        const xml = await inactiveXml(guest.name);
        assert.match(xml, /<memoryBacking>\s*<source type='memfd'\/>\s*<access mode='shared'\/>\s*<\/memoryBacking>/);
        assert.match(xml, new RegExp(`<filesystem type='mount' accessmode='passthrough'>\\s*<driver type='virtiofs'/>` +
            `[\\s\\S]*<source dir='${share}'/>\\s*<target dir='cvshare'/>`));

        await virsh("start", guest.name);
        await waitForSerial(guest, READY, 90000);
        await guestRun(guest, "mkdir -p /mnt/s && mount -t virtiofs cvshare /mnt/s && cat /mnt/s/hello.txt > /dev/console");
        await waitForSerial(guest, new RegExp(marker), 30000);

        // The running VM's memory is shared now: a second directory goes in live (and for the next boot) by default.
        const share2 = path.join(guest.dir, "second");
        mkdirSync(share2);
        chmodSync(share2, 0o755);
        writeFileSync(path.join(share2, "hello.txt"), `${marker}-LIVE\n`);
        const live = await device(b337, guest.uuid, "filesystem-add", { path: share2, tag: "cvlive", readonly: true });
        assert.deepEqual([live.live, live.config, live.sharedMemory], [true, true, false]);
        // The hot-plugged device shows in the guest a moment after libvirt answers: mount retries for up to 10 s.
        await guestRun(guest, "mkdir -p /mnt/l; for i in $(seq 50); do mount -t virtiofs cvlive /mnt/l 2>/dev/null && break; " +
                              "sleep 0.2; done; cat /mnt/l/hello.txt > /dev/console || echo CVTEST-MOUNT-FAILED > /dev/console");
        await waitForSerial(guest, new RegExp(`${marker}-LIVE`), 30000);

        // Removed from the saved definition (the running VM keeps it until it stops).
        const removed = await device(b337, guest.uuid, "filesystem-remove", { tag: "cvshare", live: false });
        assert.deepEqual([removed.live, removed.config], [false, true]);
        assert.doesNotMatch(await inactiveXml(guest.name), /<target dir='cvshare'\/>/);
        assert.match(await virsh("dumpxml", guest.name), /<target dir='cvshare'\/>/);
        // The live one from both (a hot-unplug, which the guest may finish later: `pending`).
        const gone = await device(b287, guest.uuid, "filesystem-remove", { tag: "cvlive" });
        assert.deepEqual([gone.live, gone.config], [true, true]);
        assert.doesNotMatch(await inactiveXml(guest.name), /<filesystem/);
    });
});
