// SPDX-License-Identifier: LGPL-2.1-or-later
// The create dialog with the helper's `create-options` and `create` ops, on libvirt's test driver (nothing
// boots): the helper's host-side checks shown inline on the field, "Import and edit" defining a VM and opening its
// page, "Import and run" starting it. Skipped, saying why, while the helper under test lacks the ops.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { launchBrowser, openVirtPage, snapOnFailure, vmRow, waitLoaded, waitVmState } from "../harness/browser.mjs";
import { freshDialog } from "../create/dialog.mjs";
import { startCockpitWs } from "../harness/cockpit-ws.mjs";

const URI = "test:///default";

describe("create dialog with the helper (test driver)", () => {
    let ws, browser, page, dir, disk, hidden, iso, unbootable, unsupported, osinfoUnsupported;

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
        // An ISO whose volume id is Debian 11's netinst (osinfo-db: "Debian 11.\d+.\d+ amd64 n").
        if (existsSync("/usr/bin/xorriso")) {
            // Bootable (an El Torito record): the helper, like libosinfo, detects no OS on an ISO that cannot boot.
            const root = path.join(dir, "iso-root");
            mkdirSync(root);
            writeFileSync(path.join(root, "README"), "not really Debian\n");
            writeFileSync(path.join(root, "boot.img"), Buffer.alloc(2048));
            const mkisofs = (out, boot) => execFileSync("xorriso", ["-as", "mkisofs", "-quiet", "-V", "Debian 11.6.0 amd64 n",
                ...boot ? ["-b", "boot.img", "-no-emul-boot", "-boot-load-size", "4"] : [], "-o", out, root], { stdio: "ignore" });
            iso = path.join(dir, "debian-netinst.iso");
            mkisofs(iso, true);
            unbootable = path.join(dir, "data.iso");
            mkisofs(unbootable, false);
        }
        ws = await startCockpitWs();
        browser = await launchBrowser({ viewport: { width: 1280, height: 1000 } });
        page = await openVirtPage(browser, ws, { connections: [URI] });
        await waitLoaded(page);
        const problem = options => page.evaluate(opts => new Promise(resolve => {
            const ch = window.cockpit.channel({ payload: "virt1", ...opts });
            ch.addEventListener("close", (_ev, close) => resolve(close.problem ?? null));
        }), options);
        const optionsProblem = await problem({ op: "create-options", uri: URI });
        unsupported = optionsProblem && `the helper under test answers op "create-options" with ${optionsProblem}`;
        const osinfoProblem = await problem({ op: "osinfo" });
        osinfoUnsupported = osinfoProblem && `the helper under test answers op "osinfo" with ${osinfoProblem}`;
    });

    after(async () => {
        await browser?.close();
        await ws?.stop();
        rmSync(dir, { recursive: true, force: true });
    });

    const openDialog = hash => freshDialog(page, hash);

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

    test("install media is detected: the OS is chosen, \"Detected: …\" shown, an OS picked by hand is kept; an ISO that cannot boot is flagged", async t => {
        if (osinfoUnsupported || !iso)
            return t.skip(osinfoUnsupported || "xorriso is not installed");
        await snapOnFailure(page, "create-flow-detect", async () => {
            await openDialog("/create");
            await page.locator("#create-source").fill(iso);
            await page.locator("#create-os-detected").getByText("Detected: Debian 11", { exact: true }).waitFor();
            await page.waitForFunction(() => document.getElementById("create-os")?.value === "Debian 11");
            assert.equal(await page.locator("#create-name").inputValue(), "debian11");

            await openDialog("/create");
            await pickGenericOs();
            await page.locator("#create-source").fill(iso);
            await page.locator("#create-os-detected").getByText("Detected: Debian 11", { exact: true }).waitFor();
            assert.equal(await page.locator("#create-os").inputValue(), "Generic OS");

            // The same volume id without a boot record: nothing detected, and a warning that it cannot boot.
            await page.locator("#create-source").fill(unbootable);
            await page.locator("#create-source-warning").getByText("not bootable", { exact: false }).waitFor();
            await page.locator("#create-os-detected").waitFor({ state: "detached" });
        });
    });

    test("Import and edit defines the VM and opens its page; Enter (Import and run) starts it", async t => {
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

            // Enter in a field of a valid form is "Import and run".
            await openDialog(`/import?source=${encodeURIComponent(disk)}&name=pg-running`);
            await pickGenericOs();
            await page.locator("#create-name").press("Enter");
            await page.waitForURL(/\/pg-running$/);
            await page.evaluate(() => { window.location.hash = "#/" });
            await waitVmState(page, "pg-running", "running");
            await waitVmState(page, "pg-imported", "shutoff");
            assert.equal(await vmRow(page, "pg-running").count(), 1);
            assert.deepEqual(page.virtErrors, []);
        });
    });
});
