// SPDX-License-Identifier: LGPL-2.1-or-later
// op host-devices and the device op's host-device and shared-directory actions through the real bridges, on the
// test driver with faked node devices (tests/data/host-devices-node.xml): the snapshot with vendor, product,
// address and key, the VMs using each device (live from the VM table: a definition saved with a PCI device shows
// it as used at once), and the helper's refusals of bad input before libvirt is asked. Adding to and removing
// from a real VM: tests/libvirt/host-devices.test.mjs.

import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { Bridge, REPO, abbreviate, bridgeNames } from "../harness/bridge.mjs";

const VM_A = "c0ffee00-0000-4000-8000-00000000000a";
const VM_B = "c0ffee00-0000-4000-8000-00000000000b";

for (const name of bridgeNames()) {
    describe(`host devices via bridge ${name}`, () => {
        let b, channel, dir, uri;
        const devices = {};

        before(async () => {
            // Each bridge gets its own copy: the test driver keeps a file's state per connecting process.
            dir = mkdtempSync(path.join(tmpdir(), "cvtest-hostdev-"));
            copyFileSync(path.join(REPO, "tests/data/host-devices-node.xml"), path.join(dir, "node.xml"));
            uri = `test://${dir}/node.xml`;
            b = await Bridge.start(name);
            channel = b.open({ payload: "virt1", op: "host-devices", uri });
            await until(m => m.data?.synced, "the snapshot");
        });
        after(() => {
            b.closeBridge();
            rmSync(dir, { recursive: true, force: true });
        });

        function until(check, what) {
            return b.next(channel, m => {
                assert.notEqual(m.command, "close", `host-devices closed: ${abbreviate(m)}`);
                for (const [id, v] of Object.entries(m.data?.devices ?? {}))
                    if (v === null) delete devices[id]; else devices[id] = v;
                return check(m);
            }, 10000).catch(e => { throw new Error(`nothing ${what}: ${e.message}`) });
        }

        async function op(fields) {
            const id = b.open({ payload: "virt1", uri, ...fields });
            const messages = await b.untilClose(id);
            return { results: messages.filter(m => !m.command).map(m => m.data), close: messages.at(-1).control };
        }

        test("host_devices_snapshot_and_users: PCI and USB listed with ids, names and keys; the VMs using them", async () => {
            assert.deepEqual(Object.keys(devices).sort(), ["pci_0000_02_00_0", "pci_0000_03_00_0", "usb_1_5"]);
            const usb = devices.usb_1_5;
            assert.deepEqual(
                [usb.type, usb.vendor, usb.product, usb.vendorId, usb.productId, usb.address, usb.key],
                ["usb_device", "Logitech, Inc.", "Webcam C270", "046d", "0825", "1.5", "usb:046d:0825"]);
            assert.deepEqual(usb.usedBy, [{ id: VM_A, name: "cvtest-hd-a" }]);
            const nic = devices.pci_0000_02_00_0;
            assert.deepEqual([nic.type, nic.address, nic.key, nic.vendor, nic.class],
                             ["pci", "0000:02:00.0", "pci:0000:02:00.0", "Intel Corporation", "0x020000"]);
            assert.deepEqual(nic.usedBy, []);

            // A definition saved with the PCI device: the VM table changes, and so does this channel's table.
            let r = await op({ op: "domain-xml", vm: VM_B });
            const base = r.results[0].xml;
            const hostdev = "<hostdev mode='subsystem' type='pci' managed='yes'><source>" +
                "<address domain='0x0000' bus='0x02' slot='0x00' function='0x0'/></source></hostdev>";
            r = await op({ op: "domain-xml", vm: VM_B, base, define: base.replace("<devices>", `<devices>${hostdev}`) });
            assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
            await until(() => devices.pci_0000_02_00_0.usedBy.some(u => u.id === VM_B), "for the PCI device in use");
            assert.deepEqual(devices.pci_0000_03_00_0.usedBy, []);
        });

        test("host_devices_refusals: bad keys, names, paths and tags are refused by the helper with their codes", async () => {
            const device = (action, params) => op({ op: "device", vm: VM_B, action, ...params });
            const cases = [
                ["hostdev-remove", { hostdev: "pci:0000:02:20.0" }, "invalid-argument"],
                ["hostdev-remove", { hostdev: "usb:046d" }, "invalid-argument"],
                ["hostdev-add", { devices: [] }, "invalid-argument"],
                ["hostdev-add", { devices: ["usb_1_5'/><x"] }, "invalid-argument"],
                ["hostdev-add", { devices: "usb_1_5" }, "protocol-error"],
                ["hostdev-add", { devices: ["cvtest_none"] }, "not-found"],
                ["hostdev-add", { devices: ["computer"] }, "invalid-argument"],
                ["hostdev-remove", { hostdev: "usb:1234:5678" }, "not-found"],
                ["filesystem-add", { path: "srv", tag: "t" }, "invalid-argument"],
                ["filesystem-add", { path: "/srv/../etc", tag: "t" }, "invalid-argument"],
                ["filesystem-add", { path: "/srv", tag: "a tag" }, "invalid-argument"],
                ["filesystem-add", { path: "/srv", tag: "t".repeat(37) }, "invalid-argument"],
                ["filesystem-remove", { tag: "cvtest-none" }, "not-found"],
            ];
            for (const [action, params, problem] of cases) {
                const r = await device(action, params);
                assert.equal(r.close.problem, problem, `${action} ${JSON.stringify(params)}: ${JSON.stringify(r.close)}`);
                assert.equal(r.results.length, 0);
            }
            // A connection that cannot be made: its state, and no snapshot.
            const id = b.open({ payload: "virt1", op: "host-devices", uri: "test:///no/such/file.xml" });
            const m = await b.next(id, m => m.command === "close" || m.data?.connection?.state === "unreachable" || m.data?.synced);
            assert.equal(m.data?.connection?.state, "unreachable", abbreviate(m));
            b.close(id);
        });
    });
}
