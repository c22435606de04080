// SPDX-License-Identifier: LGPL-2.1-or-later
// The display beyond the in-page console, in a real browser against tiny real guests: the "Desktop viewer" link
// and .vv file point at the VNC server QEMU really listens on (an RFB handshake on that address proves it), the
// console's own route (the pop-out's deep link) connects, and "Add VNC display" on a VM without one edits its
// definition so that after its next start the page shows its display.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import net from "node:net";
import { after, before, describe, test } from "node:test";

import { launchBrowser, openVirtPage, snapOnFailure } from "../harness/browser.mjs";
import { startCockpitWs } from "../harness/cockpit-ws.mjs";
import { READY, URI, virsh, waitForSerial } from "../harness/libvirt.mjs";
import { defineConsoleGuest, removeConsoleGuest } from "./guests.mjs";

const BOOT_MS = 90000;

function consoleOf(page, kind, status) {
    return page.locator(`.virt-console[data-console-kind="${kind}"]${status ? `[data-console-status="${status}"]` : ""}`);
}

/** The first 12 bytes a VNC server sends: its protocol version. */
function rfbGreeting(host, port) {
    return new Promise((resolve, reject) => {
        const socket = net.connect({ host, port });
        let data = Buffer.alloc(0);
        socket.setTimeout(10000, () => socket.destroy(new Error(`no RFB greeting from ${host}:${port}`)));
        socket.on("data", chunk => {
            data = Buffer.concat([data, chunk]);
            if (data.length >= 12) {
                socket.destroy();
                resolve(data.subarray(0, 12).toString("latin1"));
            }
        });
        socket.on("error", reject);
    });
}

/** The VNC port QEMU listens on, from the live XML. */
async function livePort(name) {
    const xml = await virsh("dumpxml", name);
    const m = xml.match(/<graphics type='vnc' port='(\d+)'/);
    assert.ok(m, `no VNC port in the live XML of ${name}`);
    return Number(m[1]);
}

describe("display: desktop viewer, console route, add VNC", () => {
    let ws, browser, withVnc, withoutVnc;

    before(async () => {
        [withVnc, withoutVnc] = await Promise.all([
            defineConsoleGuest("viewer", { vnc: "address" }),
            defineConsoleGuest("novnc", { vnc: false }),
        ]);
        [ws, browser] = await Promise.all([startCockpitWs(), launchBrowser()]);
        await Promise.all([waitForSerial(withVnc, READY, BOOT_MS), waitForSerial(withoutVnc, READY, BOOT_MS)]);
    });

    after(async () => {
        await browser?.close();
        await ws?.stop();
        await removeConsoleGuest(withVnc);
        await removeConsoleGuest(withoutVnc);
    });

    test("display_desktop_viewer: the vnc:// link and the .vv file reach QEMU's VNC server", async () => {
        const page = await openVirtPage(browser, ws, { connections: [URI], path: `/vm/system/${withVnc.name}` });
        await snapOnFailure(page, "display-viewer", async () => {
            const port = await livePort(withVnc.name);
            await page.getByRole("button", { name: "Desktop viewer" }).click();
            const link = page.locator(".virt-vnc-link");
            await link.waitFor();
            assert.equal(await link.getAttribute("href"), `vnc://127.0.0.1:${port}`);

            const [download] = await Promise.all([page.waitForEvent("download"), page.locator(".virt-vv-download").click()]);
            assert.equal(download.suggestedFilename(), `${withVnc.name}.vv`);
            const vv = readFileSync(await download.path(), "utf8");
            assert.match(vv, /^\[virt-viewer\]\ntype=vnc\nhost=127\.0\.0\.1\n/);
            assert.match(vv, new RegExp(`\\nport=${port}\\n`));

            assert.match(await rfbGreeting("127.0.0.1", port), /^RFB 003\.\d{3}\n$/);
        });
        await page.close();
    });

    test("display_console_route: #/console/<conn>/<name>/graphics shows only the display, connected", async () => {
        const page = await openVirtPage(browser, ws, { connections: [URI], path: `/console/system/${withVnc.name}/graphics` });
        await snapOnFailure(page, "display-route", async () => {
            await page.locator('.virt-console-window[data-console-kind="graphics"][data-console-status="connected"]')
                    .waitFor({ timeout: 30000 });
            assert.equal(await page.locator(".virt-card-console").count(), 0, "the VM page's cards are not there");
            await page.waitForFunction(name => document.title.startsWith(name), withVnc.name);
        });
        await page.close();
    });

    test("display_add_vnc: a VM without a display gets one at its next start", async () => {
        const page = await openVirtPage(browser, ws, { connections: [URI], path: `/vm/system/${withoutVnc.name}` });
        await snapOnFailure(page, "display-add-vnc", async () => {
            await page.locator(".virt-card-console").waitFor();
            assert.equal(await page.getByRole("tab", { name: "Graphics" }).count(), 0);
            await page.locator(".virt-add-vnc-button").click();
            // It runs, so the display comes with the next start, and the page says so.
            await page.locator(".virt-add-vnc-pending").waitFor();
            const inactive = await virsh("dumpxml", "--inactive", withoutVnc.name);
            assert.match(inactive, /<graphics type='vnc'[^>]*>\s*<listen type='socket'\/>/);
            assert.doesNotMatch(await virsh("dumpxml", withoutVnc.name), /<graphics/, "the running VM is unchanged");

            await virsh("destroy", withoutVnc.name);
            await virsh("start", withoutVnc.name);
            await page.getByRole("tab", { name: "Graphics" }).click({ timeout: 20000 });
            await consoleOf(page, "graphics", "connected").waitFor({ timeout: 30000 });
            assert.equal(await page.locator(".virt-add-vnc").count(), 0, "the offer is gone");
            // A display on a socket: the viewer section explains the SSH way instead of a link.
            await page.getByRole("button", { name: "Desktop viewer" }).click();
            await page.locator('.virt-desktop-viewer[data-reachable="socket"] .virt-viewer-ssh').waitFor();
        });
        await page.close();
    });
});
