// SPDX-License-Identifier: LGPL-2.1-or-later
// Node-device events through the real helper and bridges: op host-devices on the test driver's default state in
// the suite's libvirtd (test+unix:///default, which every client connected at once shares), while another client
// (virsh) creates a vHBA on its Fibre Channel adapter and destroys it again; the device appears in the channel's
// patches and goes, with no reload. libvirt 11.3's test driver emits node-device events only for this (it has no
// virNodeDeviceDefineXML for mediated devices), and this machine has no udev to announce real devices.

import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { Bridge, abbreviate, bridgeNames } from "../harness/bridge.mjs";
import { ensureLibvirtd, virshAt } from "../harness/libvirt.mjs";

const URI = "test+unix:///default";
const VHBA = path.join(tmpdir(), "cvtest-vhba.xml");

describe("node-device events", () => {
    before(async () => {
        await ensureLibvirtd();
        writeFileSync(VHBA, "<device><parent>scsi_host1</parent><capability type='scsi_host'>" +
                            "<capability type='fc_host'/></capability></device>");
    });
    after(() => rmSync(VHBA, { force: true }));

    for (const name of bridgeNames()) {
        describe(`via bridge ${name}`, () => {
            let b;
            before(async () => { b = await Bridge.start(name) });
            after(() => b?.closeBridge());

            test("node_device_events_vhba: created elsewhere, listed; destroyed, gone", async () => {
                const devices = {};
                const channel = b.open({ payload: "virt1", op: "host-devices", uri: URI });
                const until = (check, what) => b.next(channel, m => {
                    assert.notEqual(m.command, "close", abbreviate(m));
                    for (const [id, v] of Object.entries(m.data?.devices ?? {}))
                        if (v === null) delete devices[id]; else devices[id] = v;
                    return check(m);
                }, 10000).catch(e => { throw new Error(`nothing ${what}: ${e.message}`) });
                await until(m => m.data?.synced, "the snapshot");
                const adapter = devices.scsi_host1;
                assert.deepEqual([adapter?.type, adapter?.address, adapter?.key], ["scsi_host", "1000000012341234", null],
                                 JSON.stringify(devices));
                const before = Object.keys(devices).sort();

                // Another client of the same libvirtd: the helper hears of it only through libvirt's events.
                await virshAt(URI, "nodedev-create", VHBA);
                let created;
                try {
                    await until(() => (created = Object.keys(devices).find(d => !before.includes(d))), "for the vHBA");
                    assert.ok((await virshAt(URI, "nodedev-list", "--all")).split("\n").includes(created), created);
                    assert.equal(devices[created].type, "scsi_host");
                    assert.equal(devices[created].parent, "scsi_host1");
                    assert.match(devices[created].address, /^[0-9a-f]{16}$/);
                } finally {
                    if (created)
                        await virshAt(URI, "nodedev-destroy", created);
                }
                await until(() => !devices[created], `for ${created} gone`);
                assert.deepEqual(Object.keys(devices).sort(), before);
                b.close(channel);
            });
        });
    }
});
