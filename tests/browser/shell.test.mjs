// SPDX-License-Identifier: LGPL-2.1-or-later
// The page as people reach it: inside the Cockpit shell, from its "Virtual machines" menu entry, with the VM
// page's deep link carried in the shell's own URL; beside cockpit-machines the two entries read differently.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, test } from "node:test";

import { launchBrowser, openVirtPage, screenshot, snapOnFailure, vmRow, waitLoaded } from "../harness/browser.mjs";
import { startCockpitWs } from "../harness/cockpit-ws.mjs";
import { besideMachinesPrefix } from "../harness/machines.mjs";

// Cockpit 337's shell builds its menu from what the bridge reports; with the 287 bridge under it the menu stays
// empty. That is a mismatch of the two Cockpits, not of this page, whose own tests do run on 287.
const BRIDGE_287 = process.env.CVIRT_BROWSER_BRIDGE === "287";

// Our label: "Virtual machines", or where cockpit-machines is installed (our manifest's conditions) the other one.
const MACHINES_INSTALLED = ["/usr/share", "/usr/local/share"].some(d => existsSync(`${d}/cockpit/machines/manifest.json`));
const OUR_LABEL = MACHINES_INSTALLED ? "Virtual machines (virt)" : "Virtual machines";

describe("in the Cockpit shell", { skip: BRIDGE_287 && "the 337 shell with the 287 bridge has no menu" }, () => {
    let ws, browser;

    before(async () => {
        ws = await startCockpitWs();
        browser = await launchBrowser();
    });

    after(async () => {
        await browser?.close();
        await ws?.stop();
    });

    const virtFrame = page => page.frameLocator('iframe[name="cockpit1:localhost/virt"]');

    test("the menu entry opens the list; a VM link becomes the shell's URL", async () => {
        const page = await openVirtPage(browser, ws, { connections: ["test:///default"], url: `${ws.base}/` });
        await snapOnFailure(page, "shell-menu", async () => {
            await page.getByRole("link", { name: OUR_LABEL, exact: true }).and(page.locator('[href="/virt"]')).click();
            const frame = virtFrame(page);
            await waitLoaded(frame);
            await vmRow(frame, "test").getByRole("link", { name: "test" }).click();
            await frame.getByRole("heading", { level: 1, name: "test" }).waitFor();
            await page.waitForURL(url => url.pathname === "/virt" && url.hash === "#/vm/test%3A%2F%2F%2Fdefault/test");
            await screenshot(page, "shell-vm-page");
        });
        await page.close();
    });

    test("a shell URL with a deep link opens that VM's page", async () => {
        const page = await openVirtPage(browser, ws, {
            connections: ["test:///default"], url: `${ws.base}/virt`, path: "/vm/test%3A%2F%2F%2Fdefault/test",
        });
        await snapOnFailure(page, "shell-deeplink", async () => {
            const frame = virtFrame(page);
            await frame.getByRole("heading", { level: 1, name: "test" }).waitFor();
            await frame.getByRole("link", { name: "Virtual machines" }).click();
            await waitLoaded(frame);
            await page.waitForURL(url => url.pathname === "/virt" && (url.hash === "" || url.hash === "#/"));
            assert.equal(await vmRow(frame, "test").count(), 1);
        });
        await page.close();
    });

    test("a shell URL with a create link opens the dialog prefilled; Cancel goes back to the list", async () => {
        const page = await openVirtPage(browser, ws, {
            connections: ["test:///default"], url: `${ws.base}/virt`, path: "/create?source=/x.iso&name=from-shell",
        });
        await snapOnFailure(page, "shell-create", async () => {
            const frame = virtFrame(page);
            await frame.locator('[data-test="create-dialog"]').waitFor();
            assert.equal(await frame.locator("#create-name").inputValue(), "from-shell");
            assert.equal(await frame.locator("#create-source").inputValue(), "/x.iso");
            await frame.locator("#create-cancel").click();
            await page.waitForURL(url => url.pathname === "/virt" && (url.hash === "" || url.hash === "#/"));
            await frame.getByRole("link", { name: "Create VM" }).click();
            await frame.locator('[data-test="create-dialog"]').waitFor();
            await page.waitForURL(url => url.pathname === "/virt" && url.hash === "#/create");
        });
        await page.close();
    });
});

describe("in the Cockpit shell beside cockpit-machines", { skip: BRIDGE_287 && "the 337 shell with the 287 bridge has no menu" }, () => {
    let ws, browser;

    before(async () => {
        // cockpit-ws and its bridge see Debian's cockpit-machines in /usr/local/share (a private mount namespace).
        ws = await startCockpitWs({ wrap: besideMachinesPrefix() });
        browser = await launchBrowser();
    });

    after(async () => {
        await browser?.close();
        await ws?.stop();
    });

    test("the menu tells the two entries apart; ours opens the list", async () => {
        const page = await openVirtPage(browser, ws, { connections: ["test:///default"], url: `${ws.base}/` });
        await snapOnFailure(page, "shell-beside-machines", async () => {
            const theirs = page.getByRole("link", { name: "Virtual machines", exact: true });
            const ours = page.getByRole("link", { name: "Virtual machines (virt)", exact: true });
            await ours.waitFor();
            assert.equal(await theirs.getAttribute("href"), "/machines");
            assert.equal(await ours.getAttribute("href"), "/virt");
            await screenshot(page, "shell-beside-machines");
            await ours.click();
            await waitLoaded(page.frameLocator('iframe[name="cockpit1:localhost/virt"]'));
            await page.waitForURL(url => url.pathname === "/virt");
        });
        await page.close();
    });
});
