// SPDX-License-Identifier: LGPL-2.1-or-later
// The create dialog with the helper's `create-options` and `create` ops, on libvirt's test driver (nothing
// boots): the helper's host-side checks shown inline on the field, "Import and edit" defining a VM and opening its
// page, "Import and run" starting it. Skipped, saying why, while the helper under test lacks the ops.

import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { launchBrowser, openVirtPage, snapOnFailure, vmRow, waitLoaded, waitVmState } from "../harness/browser.mjs";
import { startCockpitWs } from "../harness/cockpit-ws.mjs";

const URI = "test:///default";

describe("create dialog with the helper (test driver)", () => {
    let ws, browser, page, dir, disk, hidden, unsupported;

    before(async () => {
        dir = mkdtempSync(path.join(tmpdir(), "cvtest-create-"));
        chmodSync(dir, 0o755);
        disk = path.join(dir, "disk.img");
        writeFileSync(disk, "");
        truncateSync(disk, 16 * 1024 * 1024);
        // QEMU's user cannot enter a 0700 directory: cockpit-machines' "Permission denied" on start.
        mkdirSync(path.join(dir, "private"), { mode: 0o700 });
        hidden = path.join(dir, "private", "disk.img");
        writeFileSync(hidden, "");
        ws = await startCockpitWs();
        browser = await launchBrowser({ viewport: { width: 1280, height: 1000 } });
        page = await openVirtPage(browser, ws, { connections: [URI] });
        await waitLoaded(page);
        const problem = await page.evaluate(uri => new Promise(resolve => {
            const ch = window.cockpit.channel({ payload: "virt1", op: "create-options", uri });
            ch.addEventListener("close", (_ev, close) => resolve(close.problem ?? null));
        }), URI);
        unsupported = problem && `the helper under test answers op "create-options" with ${problem}`;
    });

    after(async () => {
        await browser?.close();
        await ws?.stop();
        rmSync(dir, { recursive: true, force: true });
    });

    async function openDialog(hash) {
        const d = page.locator('[data-test="create-dialog"]');
        await page.evaluate(() => { window.location.hash = "#/" });
        await d.waitFor({ state: "detached" });
        await page.evaluate(h => { window.location.hash = "#" + h }, hash);
        await d.waitFor();
        return d;
    }

    async function pickGenericOs() {
        await page.locator("#create-os").fill("generic");
        await page.getByRole("option", { name: /^Generic OS/ }).click();
    }

    test("the helper's checks show inline on the field, before submit", async t => {
        if (unsupported)
            return t.skip(unsupported);
        await snapOnFailure(page, "create-flow-host-check", async () => {
            await openDialog("/create?name=pg-check");
            await pickGenericOs();
            await page.locator("#create-source").fill("/nonexistent/pg.iso");
            const error = page.locator("#create-source-error");
            await error.getByText("/nonexistent", { exact: false }).waitFor();
            await page.locator("#create-source").fill(hidden);
            await error.getByText(`setfacl -m u:`, { exact: false }).waitFor();
            await page.locator("#create-source").fill(disk);
            await error.waitFor({ state: "detached" });
        });
    });

    test("Import and edit defines the VM and opens its page; Import and run starts it", async t => {
        if (unsupported)
            return t.skip(unsupported);
        await snapOnFailure(page, "create-flow-import", async () => {
            await openDialog(`/import?source=${encodeURIComponent(disk)}&name=pg-imported`);
            await pickGenericOs();
            await page.locator("#create-network").selectOption("none");
            await page.locator("#create-and-edit").click();
            await page.waitForURL(/#\/vm\/test%3A%2F%2F%2Fdefault\/pg-imported$/);
            await page.getByRole("heading", { name: "pg-imported", level: 1 }).waitFor();
            await page.getByText(disk, { exact: true }).waitFor();

            await openDialog(`/import?source=${encodeURIComponent(disk)}&name=pg-running`);
            await pickGenericOs();
            await page.locator("#create-and-run").click();
            await page.waitForURL(/\/pg-running$/);
            await page.evaluate(() => { window.location.hash = "#/" });
            await waitVmState(page, "pg-running", "running");
            await waitVmState(page, "pg-imported", "shutoff");
            assert.equal(await vmRow(page, "pg-running").count(), 1);
            assert.deepEqual(page.virtErrors, []);
        });
    });
});
