// SPDX-License-Identifier: LGPL-2.1-or-later
// The VM list against libvirt's test driver (test:///default: one running VM called "test"), through the real
// helper, cockpit-bridge and cockpit-ws, in headless Chromium. test:/// state lives in the helper process, so
// these tests share one cockpit-ws and run in order; each leaves "test" running as it found it. The first one checks
// that the list uses the watch channel the page's first script opened (pkg/boot.ts), not a second one.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import {
    actionMenuItems, chooseAction, dialog, launchBrowser, openVirtPage, screenshot, snapOnFailure, vmRow, waitLoaded,
    waitVmState,
} from "../harness/browser.mjs";
import { startCockpitWs } from "../harness/cockpit-ws.mjs";

const URI = "test:///default";

describe("VM list (test:///default)", () => {
    let ws, browser, page;

    before(async () => {
        // the helper's start-up moments: which watch channels it opened
        ws = await startCockpitWs({ env: { CVIRT_LOG: "cockpit_virt_helper::startup=debug" } });
        browser = await launchBrowser();
        page = await openVirtPage(browser, ws, { connections: [URI] });
        await waitLoaded(page);
    });

    after(async () => {
        await browser?.close();
        await ws?.stop();
    });

    test("the list's watch is the one the first script opened: one channel, not two", async () => {
        assert.equal(await page.evaluate(() => performance.getEntriesByName("virt:boot").length), 1);
        const opened = ws.stderr().split("\n").filter(line => line.includes(`watch ${URI}: opened`));
        assert.equal(opened.length, 1, ws.stderr());
    });

    test("the pool and network cards hold their place until their counts come: the list does not move", async () => {
        // The resources channel's messages are held back (the page's socket is routed) until the rows are shown.
        let channel = null;
        let holding = true;
        const held = [];
        let toPage = null;
        const prepare = p => p.routeWebSocket(/\/cockpit\/socket$/, route => {
            const server = route.connectToServer();
            toPage = message => route.send(message);
            route.onMessage(message => {
                const open = typeof message === "string" && message.startsWith("\n") ? JSON.parse(message.slice(1)) : null;
                if (open?.command === "open" && open.op === "resources")
                    channel = open.channel;
                server.send(message);
            });
            server.onMessage(message => {
                const mine = channel !== null && typeof message === "string" &&
                    (message.startsWith(`${channel}\n`) || message.includes(`"channel":"${channel}"`) ||
                     message.includes(`"channel": "${channel}"`));
                if (mine && holding)
                    held.push(message);
                else
                    route.send(message);
            });
        });
        const heldPage = await openVirtPage(browser, ws, { connections: [URI], prepare });
        await snapOnFailure(heldPage, "list-cards-placeholder", async () => {
            await vmRow(heldPage, "test").waitFor();
            const card = heldPage.locator('[data-card="storage"]');
            await card.locator(".pf-v6-c-skeleton").waitFor();
            assert.equal(await card.locator("[data-count]").count(), 0);
            assert.ok(channel !== null, "the page opened a resources channel");
            await heldPage.evaluate(() => document.fonts.ready.then(() => null)); // no font swap in between
            await screenshot(heldPage, "list-cards-loading");
            const top = (await heldPage.locator(".virt-vm-table").boundingBox()).y;
            holding = false;
            for (const message of held.splice(0))
                toPage(message);
            await card.locator('[data-count="active"]').waitFor();
            assert.equal(await card.locator(".pf-v6-c-skeleton").count(), 0);
            assert.equal((await heldPage.locator(".virt-vm-table").boundingBox()).y, top);
        });
        await heldPage.close();
    });

    test("shows the test VM with its state, vCPUs and memory; one connection needs no Host column", () => snapOnFailure(page, "list-row", async () => {
        const row = vmRow(page, "test");
        await waitVmState(page, "test", "running");
        await row.getByRole("link", { name: "test" }).waitFor();
        for (const text of ["Running", "2 GiB"])
            await row.getByText(text, { exact: true }).waitFor();
        assert.equal(await page.getByRole("columnheader", { name: "Host" }).count(), 0);
        assert.equal(await row.getByText(URI, { exact: true }).count(), 0);
        await row.getByText("2", { exact: true }).waitFor(); // vCPUs
        await page.getByText("1 VM", { exact: true }).waitFor();
        assert.deepEqual(page.virtErrors, []);
    }));

    test("the action menu offers what makes sense for a running VM", () => snapOnFailure(page, "list-menu", async () => {
        assert.deepEqual(await actionMenuItems(page, "test"), [
            "Shut down", "Force shut down", "Reboot", "Force reboot", "Pause", "Send non-maskable interrupt",
            "Migrate…", "Enable autostart", "Delete",
        ]);
    }));

    test("Pause shows Paused without a reload; Resume brings it back", () => snapOnFailure(page, "list-pause", async () => {
        await chooseAction(page, "test", "Pause");
        await waitVmState(page, "test", "paused");
        const row = vmRow(page, "test");
        await row.getByText("Paused", { exact: true }).waitFor();
        assert.deepEqual(await actionMenuItems(page, "test"), ["Resume", "Force shut down", "Migrate…", "Enable autostart", "Delete"]);

        await row.getByRole("button", { name: "Resume test" }).click();
        await waitVmState(page, "test", "running");
        await row.getByText("Running", { exact: true }).waitFor();
    }));

    test("the action menu works from the keyboard", () => snapOnFailure(page, "list-keyboard", async () => {
        const toggle = page.getByRole("button", { name: "Actions for test" });
        await toggle.focus();
        await page.keyboard.press("Enter");
        const pause = page.getByRole("menuitem", { name: "Pause" });
        await page.getByRole("menuitem", { name: "Shut down", exact: true }).and(page.locator(":focus")).waitFor();
        for (let i = 0; i < 4; i++)
            await page.keyboard.press("ArrowDown");
        await pause.and(page.locator(":focus")).waitFor();
        await page.keyboard.press("Enter");
        await waitVmState(page, "test", "paused");
        await page.getByRole("button", { name: "Resume test" }).press("Enter");
        await waitVmState(page, "test", "running");
    }));

    test("Force shut down asks first, naming the VM; Run starts it again", () => snapOnFailure(page, "list-force-off", async () => {
        await chooseAction(page, "test", "Force shut down");
        const confirm = dialog(page, "Force shut down test?");
        await confirm.waitFor();
        await confirm.getByRole("button", { name: "Cancel" }).click();
        await confirm.waitFor({ state: "hidden" });
        assert.equal(await vmRow(page, "test").getAttribute("data-vm-state"), "running");

        await chooseAction(page, "test", "Force shut down");
        await confirm.getByRole("button", { name: "Force shut down" }).click();
        await waitVmState(page, "test", "shutoff");
        const row = vmRow(page, "test");
        await row.getByText("Shut off", { exact: true }).waitFor();
        assert.deepEqual(await actionMenuItems(page, "test"), ["Run", "Migrate…", "Enable autostart", "Delete"]);

        await row.getByRole("button", { name: "Run test" }).click();
        await waitVmState(page, "test", "running");
    }));

    test("Shut down and Send NMI ask for confirmation too", () => snapOnFailure(page, "list-confirm", async () => {
        for (const [item, title] of [["Shut down", "Shut down test?"], ["Reboot", "Reboot test?"],
            ["Force reboot", "Force reboot test?"], ["Send non-maskable interrupt", "Send a non-maskable interrupt to test?"]]) {
            await chooseAction(page, "test", item);
            const confirm = dialog(page, title);
            await confirm.waitFor();
            await confirm.getByRole("button", { name: "Cancel" }).click();
            await confirm.waitFor({ state: "hidden" });
        }
        // The NMI itself: the test driver accepts it and nothing changes.
        await chooseAction(page, "test", "Send non-maskable interrupt");
        await dialog(page, "non-maskable interrupt").getByRole("button", { name: "Send NMI" }).click();
        await dialog(page, "non-maskable interrupt").waitFor({ state: "hidden" });
        await page.getByRole("button", { name: "Actions for test" }).and(page.locator(":enabled")).waitFor();
        assert.equal(await page.locator("[data-vm-failure]").count(), 0);
        assert.equal(await vmRow(page, "test").getAttribute("data-vm-state"), "running");
    }));

    test("autostart can be turned on and off from the menu", () => snapOnFailure(page, "list-autostart", async () => {
        await chooseAction(page, "test", "Enable autostart");
        await waitFor(async () => (await actionMenuItems(page, "test")).includes("Disable autostart"));
        await chooseAction(page, "test", "Disable autostart");
        await waitFor(async () => (await actionMenuItems(page, "test")).includes("Enable autostart"));
    }));

    test("filters by name and by state", () => snapOnFailure(page, "list-filter", async () => {
        const search = page.getByRole("textbox", { name: "Filter by name" });
        await search.fill("nomatch");
        await page.getByText("No matching virtual machines").waitFor();
        await page.getByText("0 of 1 VMs").waitFor();
        await page.getByRole("button", { name: "Clear all filters" }).click();
        await vmRow(page, "test").waitFor();

        await search.fill("TES");
        await vmRow(page, "test").waitFor();
        await search.fill("");

        await page.getByRole("button", { name: "State filter: All states" }).click();
        await page.getByRole("option", { name: "Shut off" }).click();
        await page.getByText("No matching virtual machines").waitFor();
        await page.getByRole("button", { name: "State filter: Shut off" }).click();
        await page.getByRole("option", { name: "Running" }).click();
        await vmRow(page, "test").waitFor();
        await page.getByRole("button", { name: "State filter: Running" }).click();
        await page.getByRole("option", { name: "All states" }).click();
        await page.getByText("1 VM", { exact: true }).waitFor();
    }));

    test("the VM name opens its deep-linked page; the breadcrumb leads back", () => snapOnFailure(page, "list-deeplink", async () => {
        await page.getByRole("textbox", { name: "Filter by name" }).fill("tes");
        await vmRow(page, "test").getByRole("link", { name: "test" }).click();
        await page.getByRole("heading", { level: 1, name: "test" }).waitFor();
        assert.equal(new URL(page.url()).hash, "#/vm/test%3A%2F%2F%2Fdefault/test");
        const overview = page.getByRole("heading", { name: "Overview" });
        await overview.waitFor();
        for (const term of ["vCPUs", "Memory", "Autostart", "Persistent", "Domain type", "Architecture", "Firmware"])
            await page.getByText(term, { exact: true }).first().waitFor();
        await page.getByRole("table", { name: "Disks" }).getByRole("cell", { name: "vda" }).waitFor();
        await page.getByRole("table", { name: "Network interfaces" }).getByRole("cell", { name: "default" }).waitFor();
        // The same actions as the row.
        await page.getByRole("button", { name: "Shut down test" }).waitFor();

        // Live there too: the primary button follows the state.
        await chooseAction(page, "test", "Pause");
        await page.getByRole("button", { name: "Resume test" }).click();
        await page.getByRole("button", { name: "Shut down test" }).waitFor();

        await page.getByRole("link", { name: "Virtual machines" }).click();
        await waitLoaded(page);
        await vmRow(page, "test").waitFor();
        assert.equal(new URL(page.url()).hash, "#/");
        // The list is filtered as it was left.
        assert.equal(await page.getByRole("textbox", { name: "Filter by name" }).inputValue(), "tes");
        await page.getByRole("textbox", { name: "Filter by name" }).fill("");
    }));

    test("a VM page for a VM that is not there says so, with a way back", () => snapOnFailure(page, "list-notfound", async () => {
        await page.goto(`${ws.pageUrl}#/vm/test%3A%2F%2F%2Fdefault/nope`);
        await page.getByRole("heading", { name: "VM not found" }).waitFor();
        await page.getByText('There is no virtual machine "nope" on test:///default.', { exact: false }).waitFor();
        await page.getByRole("link", { name: "Go to the list of virtual machines" }).click();
        await waitLoaded(page);
        await vmRow(page, "test").waitFor();
    }));
});

async function waitFor(fn, timeoutMs = 10000) {
    const deadline = Date.now() + timeoutMs;
    while (!(await fn())) {
        if (Date.now() > deadline)
            throw new Error(`timed out: ${fn}`);
        await new Promise(resolve => setTimeout(resolve, 100));
    }
}
