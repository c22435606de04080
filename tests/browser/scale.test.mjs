// SPDX-License-Identifier: LGPL-2.1-or-later
// 1,000 VMs (a test:/// node file): the list loads, keeps only the visible rows in the DOM, and still filters,
// sorts, scrolls to the end and updates one row live.

import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { chooseAction, launchBrowser, openVirtPage, screenshot, snapOnFailure, vmRow, waitLoaded, waitVmState } from "../harness/browser.mjs";
import { startCockpitWs } from "../harness/cockpit-ws.mjs";
import { testVmName, writeTestNode } from "../harness/testdriver.mjs";

const COUNT = 1000;

describe(`${COUNT} VMs`, () => {
    let ws, browser, page, uri;

    before(async () => {
        uri = writeTestNode(COUNT);
        ws = await startCockpitWs();
        browser = await launchBrowser();
        const start = Date.now();
        page = await openVirtPage(browser, ws, { connections: [uri] });
        await waitLoaded(page, 60000);
        await vmRow(page, testVmName(0)).waitFor();
        console.log(`${COUNT} VMs: navigation to first rows shown took ${Date.now() - start} ms`);
    });

    after(async () => {
        await browser?.close();
        await ws?.stop();
        if (uri)
            rmSync(path.dirname(fileURLToPath(uri.replace(/^test:/, "file:"))), { recursive: true, force: true });
    });

    const rowsInDom = () => page.locator("tr[data-vm-id]").count();

    test("renders only the rows in view", () => snapOnFailure(page, "scale-window", async () => {
        await page.getByText(`${COUNT} VMs`, { exact: true }).waitFor();
        const n = await rowsInDom();
        assert.ok(n > 5 && n < 80, `${n} rows in the DOM`);
        assert.equal(await page.getByRole("table", { name: "Virtual machines" }).getAttribute("aria-rowcount"),
                     String(COUNT + 1));
        await screenshot(page, "scale-top");
    }));

    test("scrolls to the last VM", () => snapOnFailure(page, "scale-scroll", async () => {
        const last = testVmName(COUNT - 1);
        await page.locator(".virt-table-scroll").evaluate(el => { el.scrollTop = el.scrollHeight });
        await vmRow(page, last).getByRole("link", { name: last }).waitFor();
        assert.ok(await rowsInDom() < 80);
        await page.locator(".virt-table-scroll").evaluate(el => { el.scrollTop = 0 });
        await vmRow(page, testVmName(0)).waitFor();
    }));

    test("sorts by name both ways", () => snapOnFailure(page, "scale-sort", async () => {
        const firstRowName = () => page.locator("tr[data-vm-id]").first().getAttribute("data-vm-name");
        await page.getByRole("button", { name: "Name" }).click();
        await page.waitForFunction(name => document.querySelector("tr[data-vm-id]")?.dataset.vmName === name,
                                   testVmName(COUNT - 1));
        await page.getByRole("button", { name: "Name" }).click();
        await page.waitForFunction(name => document.querySelector("tr[data-vm-id]")?.dataset.vmName === name,
                                   testVmName(0));
        assert.equal(await firstRowName(), testVmName(0));
    }));

    test("filters by name and state", () => snapOnFailure(page, "scale-filter", async () => {
        const search = page.getByRole("textbox", { name: "Filter by name" });
        await search.fill(testVmName(500));
        await page.getByText(`1 of ${COUNT} VMs`).waitFor();
        await vmRow(page, testVmName(500)).waitFor();
        assert.equal(await rowsInDom(), 1);
        await search.fill("");

        await page.getByRole("button", { name: "State filter: All states" }).click();
        await page.getByRole("option", { name: "Shut off" }).click();
        const shutoff = Math.floor(COUNT / 3); // writeTestNode: every third VM is shut off
        await page.getByText(`${shutoff} of ${COUNT} VMs`).waitFor();
        await page.getByRole("button", { name: "State filter: Shut off" }).click();
        await page.getByRole("option", { name: "All states" }).click();
        await page.getByText(`${COUNT} VMs`, { exact: true }).waitFor();
    }));

    test("one VM changes live among a thousand", () => snapOnFailure(page, "scale-live", async () => {
        const name = testVmName(0);
        await chooseAction(page, name, "Pause");
        await waitVmState(page, name, "paused");
        await vmRow(page, name).getByRole("button", { name: `Resume ${name}` }).click();
        await waitVmState(page, name, "running");
    }));
});
