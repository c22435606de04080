// SPDX-License-Identifier: LGPL-2.1-or-later
// What the page says when there is nothing to list: no VMs, libvirt not reachable, one of several connections
// failing. Each state must say what to do and settle (data-loaded), never spin forever.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { launchBrowser, openVirtPage, screenshot, snapOnFailure, vmRow, waitLoaded } from "../harness/browser.mjs";
import { startCockpitWs } from "../harness/cockpit-ws.mjs";

// Nothing listens on port 1 of loopback: libvirt fails at once. (A socket= URI is refused by the helper.)
const UNREACHABLE = "qemu+tcp://127.0.0.1:1/system";

describe("empty and failing connections", () => {
    let ws, browser, dir, emptyUri;

    before(async () => {
        dir = mkdtempSync(path.join(tmpdir(), "cvtest-empty-"));
        const file = path.join(dir, "empty.xml");
        writeFileSync(file, "<node/>\n");
        emptyUri = `test://${file}`;
        ws = await startCockpitWs();
        browser = await launchBrowser();
    });

    after(async () => {
        await browser?.close();
        await ws?.stop();
        rmSync(dir, { recursive: true, force: true });
    });

    test("a connection without VMs says so and how to create one", async () => {
        const page = await openVirtPage(browser, ws, { connections: [emptyUri] });
        await snapOnFailure(page, "states-empty", async () => {
            await waitLoaded(page);
            await page.getByRole("heading", { name: "No virtual machines" }).waitFor();
            await page.getByRole("link", { name: "Create VM" }).waitFor();
            await page.getByRole("link", { name: "Import VM" }).waitFor();
            assert.equal(await page.getByRole("table").count(), 0);
            await screenshot(page, "empty");
            assert.deepEqual(page.virtErrors, []);
        });
        await page.close();
    });

    test("libvirt not reachable: libvirt's message, what to check, and that it retries", async () => {
        const page = await openVirtPage(browser, ws, { connections: [UNREACHABLE] });
        await snapOnFailure(page, "states-unreachable", async () => {
            await waitLoaded(page);
            // An alert's title is a heading, announced with its severity ("Danger alert: …").
            await page.getByRole("heading", { name: /libvirt is not reachable$/ }).waitFor();
            // libvirt's own message names what it could not reach.
            await page.getByText("127.0.0.1", { exact: false }).first().waitFor();
            await page.getByText("Make sure libvirt is running there", { exact: false }).waitFor();
            await page.getByText("reconnects automatically", { exact: false }).waitFor();
            assert.equal(await page.getByRole("heading", { name: "No virtual machines" }).count(), 0);
            await screenshot(page, "unreachable");
        });
        await page.close();
    });

    test("one failing connection among others: its alert, and the other's VMs", async () => {
        const page = await openVirtPage(browser, ws, { connections: ["test:///default", UNREACHABLE] });
        await snapOnFailure(page, "states-mixed", async () => {
            await waitLoaded(page);
            await vmRow(page, "test").waitFor();
            // A remote connection is named by its host, as in the list's Host column.
            await page.getByRole("heading", { name: "Danger alert: libvirt is not reachable (127.0.0.1:1)" }).waitFor();
            await screenshot(page, "mixed");
        });
        await page.close();
    });

    test("dark theme follows the shell's choice, also when it changes", async () => {
        const page = await openVirtPage(browser, ws, { connections: ["test:///default"], theme: "dark" });
        await snapOnFailure(page, "states-dark", async () => {
            await waitLoaded(page);
            await vmRow(page, "test").waitFor();
            const isDark = () => page.evaluate(() => document.documentElement.classList.contains("pf-v6-theme-dark"));
            assert.equal(await isDark(), true);
            await screenshot(page, "list-dark");

            // The shell writes localStorage in another frame; this page hears it as a `storage` event.
            const other = await openVirtPage(browser, ws, { connections: [emptyUri], theme: "dark" });
            await other.evaluate(() => localStorage.setItem("shell:style", "light"));
            await page.waitForFunction(() => !document.documentElement.classList.contains("pf-v6-theme-dark"));
            await other.close();

            await page.emulateMedia({ colorScheme: "dark" });
            await page.evaluate(() => {
                localStorage.setItem("shell:style", "auto");
                window.dispatchEvent(new StorageEvent("storage", { key: "shell:style" }));
            });
            await page.waitForFunction(() => document.documentElement.classList.contains("pf-v6-theme-dark"));
        });
        await page.close();
    });
});
