// SPDX-License-Identifier: LGPL-2.1-or-later
// The page's own frame router (pkg/client/transport/): with Administrative access the page spawns the helper
// through a `stream` channel and plays the bridge's part itself. Here localStorage["virt:transport"] = "stream"
// sends every virt1 channel that way without superuser, so the whole path — init, open/ready/close, data both
// ways, flow control, a binary console, the stream dying — is proved as root, on both bridges' stream channels.
// The real superuser path (a sudoer's login) is tests/login.

import assert from "node:assert/strict";
import { randomInt } from "node:crypto";
import { after, before, describe, test } from "node:test";

import { chooseAction, filterList, launchBrowser, openVirtPage, snapOnFailure, vmRow, waitLoaded, waitVmState } from "../harness/browser.mjs";
import { startCockpitWs } from "../harness/cockpit-ws.mjs";
import { consoleOf, showTab, waitSerialText } from "../harness/console-ui.mjs";
import { READY, URI, domState, waitFor, waitForSerial } from "../harness/libvirt.mjs";
import { defineConsoleGuest, removeConsoleGuest } from "../console/guests.mjs";

const BOOT_MS = 90000;

let guest;

before(async () => {
    guest = await defineConsoleGuest("transport", { vnc: "address" });
    await waitForSerial(guest, READY, BOOT_MS);
});

after(async () => {
    await removeConsoleGuest(guest);
});

for (const bridge of ["337", "287"]) {
    describe(`the page through a stream-spawned helper (bridge ${bridge})`, () => {
        let ws, browser, page;

        before(async () => {
            [ws, browser] = await Promise.all([startCockpitWs({ bridge }), launchBrowser()]);
            await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: ws.base });
            page = await openVirtPage(browser, ws, { connections: [URI], transport: "stream" });
            await waitLoaded(page, 30000);
            await filterList(page, guest.name);
        });

        after(async () => {
            await browser?.close();
            await ws?.stop();
        });

        test("lists, acts and shows the serial console through the frame router", () => snapOnFailure(page, `transport-${bridge}`, async () => {
            await waitVmState(page, guest.name, "running");
            // Two helpers: the bridge's manifest peer (it answered op `info`) and the one on the stream.
            await waitFor(() => ws.helperPids().length === 2, 10000, { what: "a second, stream-spawned helper" });

            await chooseAction(page, guest.name, "Pause");
            await waitVmState(page, guest.name, "paused");
            assert.equal(await domState(guest.name), "paused");
            await chooseAction(page, guest.name, "Resume");
            await waitVmState(page, guest.name, "running");
            assert.equal(await domState(guest.name), "running");

            await vmRow(page, guest.name).getByRole("link", { name: guest.name }).click();
            await showTab(page, "serial");
            await consoleOf(page, "serial", "connected").waitFor({ timeout: 20000 });
            await page.locator(".virt-console-serial").click();
            const n = randomInt(1000, 9999);
            await page.keyboard.type(`echo streamed-$((${n} + 1))\n`);
            await waitSerialText(page, new RegExp(`\\nstreamed-${n + 1}\\n`));
            assert.deepEqual(page.virtErrors.filter(e => !/virt: /.test(e)), []);
        }));

        test("a stream helper that dies is replaced and the list resyncs", () => snapOnFailure(page, `transport-${bridge}-respawn`, async () => {
            await page.getByRole("link", { name: "Virtual machines" }).click();
            await filterList(page, guest.name);
            const streamHelper = Math.max(...ws.helperPids());
            process.kill(streamHelper, "SIGKILL");
            await waitFor(() => ws.helperPids().length === 2 && !ws.helperPids().includes(streamHelper), 20000,
                          { what: "a new stream-spawned helper" });
            await waitVmState(page, guest.name, "running", 20000);
            await chooseAction(page, guest.name, "Pause");
            await waitVmState(page, guest.name, "paused");
            assert.equal(await domState(guest.name), "paused");
            await chooseAction(page, guest.name, "Resume");
            await waitVmState(page, guest.name, "running");
        }));
    });
}
