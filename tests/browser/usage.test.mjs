// SPDX-License-Identifier: LGPL-2.1-or-later
// Live usage on the page: a running tiny guest's CPU and memory in its row (a shut-off one shows "—"), sorting by
// CPU with a guest that burns CPU, the VM page's graphs, a guest whose QEMU is stopped (SIGSTOP) shown as not
// responding while the others go on, and 1,000 test:/// VMs with the usage columns still rendering only a window.
// The helper ticks every second here (CVIRT_TICK_MS through cockpit-ws and the bridge). These tests wait
// (generously: TCG guests on a busy machine) for things to show; they time nothing.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { filterList, launchBrowser, openVirtPage, screenshot, snapOnFailure, vmRow, waitLoaded, waitVmState } from "../harness/browser.mjs";
import { startCockpitWs } from "../harness/cockpit-ws.mjs";
import { READY, REPO, URI, defineTinyGuest, ensureLibvirtd, guestDir, guestRun, qemuPid, removeGuest, virsh, waitFor, waitForSerial } from "../harness/libvirt.mjs";
import { removeTestNode, testVmName, writeTestNode } from "../harness/testdriver.mjs";

const HELPER_ENV = { CVIRT_TICK_MS: "1000" };
const BOOT_MS = 180000;
const TICKS_MS = 30000;
/** Whether the tiny guest burns CPU from boot with `cvtest.burn=1` on its kernel command line. */
const GUEST_BURNS = readFileSync(path.join(REPO, "tests/lib/build-guest.sh"), "utf8").includes("cvtest.burn");

const CPU_TEXT = /^\d+(\.\d)? %$/;
const MEMORY_TEXT = /^\d+(\.\d)? [KMG]iB( \/ \d+(\.\d)? [KMG]iB| assigned)$/;

const cell = (frame, name, label) => vmRow(frame, name).locator(`td[data-label="${label}"]`);
const cellText = async (frame, name, label) => (await cell(frame, name, label).innerText()).replace(/\s+/g, " ").trim();

/** Waits until the first rows of the list are `names`, in that order. */
async function waitFirstRows(page, names, timeout) {
    await page.waitForFunction(names => {
        const rows = [...document.querySelectorAll("tr[data-vm-id]")].map(tr => tr.dataset.vmName);
        return names.every((name, i) => rows[i] === name);
    }, names, { timeout, polling: 200 });
}

describe(`live usage on the page (${URI})`, () => {
    const run = `u${randomUUID().slice(0, 4)}`; // in every guest name here: the list is filtered to it
    const guests = [];
    // Dark pages get a browser of their own: the theme is in localStorage, which pages of one profile share (and
    // the page follows its changes), so a dark page would turn the light one dark too.
    let ws, browser, darkBrowser, page, idle, off, burner;
    let stoppedPid = null;

    before(async () => {
        await ensureLibvirtd();
        await guestDir();
        [idle, off, burner] = await Promise.all([
            defineTinyGuest(`${run}-idle`, { running: true }),
            defineTinyGuest(`${run}-off`),
            defineTinyGuest(`${run}-burn`, { agent: true }),
        ]);
        guests.push(idle, off, burner);
        // cvtest.burn=1: a guest that burns CPU from boot (tests/lib/build-guest.sh); an older guest ignores it
        // and is given a busy loop through its agent below.
        const xml = readFileSync(burner.xmlPath, "utf8").replace("</cmdline>", " cvtest.burn=1</cmdline>");
        writeFileSync(burner.xmlPath, xml);
        await virsh("define", burner.xmlPath);
        await virsh("start", burner.name);
        await Promise.all([idle, burner].map(g => waitForSerial(g, READY, BOOT_MS)));
        if (!GUEST_BURNS)
            await guestRun(burner, "while :; do :; done");

        ws = await startCockpitWs({ env: HELPER_ENV });
        browser = await launchBrowser();
        darkBrowser = await launchBrowser();
        page = await openVirtPage(browser, ws, { connections: [URI] });
        await waitLoaded(page, 30000);
        await filterList(page, run);
    });

    after(async () => {
        if (stoppedPid)
            try { process.kill(stoppedPid, "SIGCONT") } catch { /* gone */ }
        await browser?.close();
        await darkBrowser?.close();
        await ws?.stop();
        for (const g of guests)
            await removeGuest(g);
    });

    test("a running VM's row shows its CPU % and memory; a shut-off VM shows —", () => snapOnFailure(page, "usage-row", async () => {
        await waitVmState(page, idle.name, "running");
        await waitVmState(page, off.name, "shutoff");
        await waitFor(async () => CPU_TEXT.test(await cellText(page, idle.name, "CPU")), TICKS_MS,
                      { what: `a CPU % in ${idle.name}'s row` });
        await waitFor(async () => MEMORY_TEXT.test(await cellText(page, idle.name, "Memory use")), TICKS_MS,
                      { what: `a memory value in ${idle.name}'s row` });
        assert.match(await cellText(page, idle.name, "Disk"), /^R \d+(\.\d)? (B|KiB|MiB|GiB)\/s W \d/);
        assert.match(await cellText(page, idle.name, "Network"), /^↓ \d+(\.\d)? (B|KiB|MiB|GiB)\/s ↑ \d/);
        for (const label of ["CPU", "Memory use", "Disk", "Network"])
            assert.equal(await cellText(page, off.name, label), "—", `${off.name}: ${label}`);
        // The sparkline has a point per tick: wait for a line, not a dot.
        await waitFor(async () => (await vmRow(page, idle.name).locator(".virt-sparkline polyline")
            .getAttribute("points"))?.split(" ").length >= 3, TICKS_MS, { what: "a sparkline of three ticks" });
        assert.deepEqual(page.virtErrors, []);
    }));

    test("sorting by CPU puts the VM that burns CPU first, and follows the numbers", () => snapOnFailure(page, "usage-sort", async () => {
        await waitVmState(page, burner.name, "running");
        const header = page.getByRole("columnheader", { name: "CPU", exact: true });
        await header.getByRole("button").click(); // ascending
        await header.getByRole("button").click(); // descending
        assert.equal(await header.getAttribute("aria-sort"), "descending");
        try {
            await waitFirstRows(page, [burner.name, idle.name], 120000);
        } catch (e) {
            e.message += `\nCPU: ${burner.name} ${await cellText(page, burner.name, "CPU")}, ` +
                `${idle.name} ${await cellText(page, idle.name, "CPU")}`;
            throw e;
        }
        assert.match(await cellText(page, burner.name, "CPU"), CPU_TEXT);
        await screenshot(page, "usage-sort-cpu");

        // Ascending: the idle one first; the shut-off one has no CPU and comes last either way.
        await header.getByRole("button").click();
        assert.equal(await header.getAttribute("aria-sort"), "ascending");
        await waitFirstRows(page, [idle.name, burner.name, off.name], 60000);

        // Back to name order for the other tests.
        await page.getByRole("columnheader", { name: "Name", exact: true }).getByRole("button").click();
        assert.equal(await page.getByRole("columnheader", { name: "Name", exact: true }).getAttribute("aria-sort"), "ascending");
    }));

    test("the VM page shows usage graphs that grow with the ticks", () => snapOnFailure(page, "usage-vm-page", async () => {
        await vmRow(page, burner.name).getByRole("link", { name: burner.name }).click();
        const card = page.locator(".virt-card-usage");
        await card.getByRole("heading", { name: "Usage" }).waitFor();
        await page.locator('.virt-card-usage[data-history-loaded="true"]').waitFor();
        const charts = ["CPU", "Memory", "Disk I/O", "Network"];
        const points = async () => Promise.all(charts.map(async name =>
            Number(await card.getByRole("figure", { name, exact: true }).getAttribute("data-points"))));
        await waitFor(async () => (await points()).every(n => n >= 2), TICKS_MS,
                      { what: "two points or more in each graph" });
        // A few more, for a line worth looking at.
        await waitFor(async () => Math.min(...await points()) >= 15, TICKS_MS, { what: "15 points in each graph" });
        await screenshot(page, "usage-vm-page-light", { fullPage: true });

        const dark = await openVirtPage(darkBrowser, ws, { connections: [URI], theme: "dark", path: `/vm/system/${burner.name}` });
        await snapOnFailure(dark, "usage-vm-page-dark", async () => {
            const darkCard = dark.locator(".virt-card-usage");
            await waitFor(async () => Number(await darkCard.getByRole("figure", { name: "CPU", exact: true })
                .getAttribute("data-points")) >= 5, TICKS_MS, { what: "the dark page's CPU graph" });
            await screenshot(dark, "usage-vm-page-dark", { fullPage: true });
            assert.deepEqual(dark.virtErrors, []);
        });
        await dark.close();

        await page.getByRole("link", { name: "Virtual machines" }).click();
        await filterList(page, run);
        await vmRow(page, idle.name).waitFor();
        assert.deepEqual(page.virtErrors, []);
    }));

    test("a VM whose QEMU does not answer shows Not responding while the others go on", () => snapOnFailure(page, "usage-stuck", async () => {
        const sparkline = () => vmRow(page, burner.name).locator(".virt-sparkline polyline").getAttribute("points");
        stoppedPid = qemuPid(idle.name);
        process.kill(stoppedPid, "SIGSTOP");
        await vmRow(page, idle.name).and(page.locator('[data-vm-not-responding="true"]')).waitFor({ timeout: TICKS_MS });
        await vmRow(page, idle.name).getByText("Not responding", { exact: true }).waitFor();
        const seen = await sparkline();
        await waitFor(async () => (await sparkline()) !== seen, TICKS_MS,
                      { what: `${burner.name}'s sparkline to move on while ${idle.name} is stopped` });
        await screenshot(page, "usage-not-responding");

        process.kill(stoppedPid, "SIGCONT");
        stoppedPid = null;
        await vmRow(page, idle.name).getByText("Not responding", { exact: true }).waitFor({ state: "detached", timeout: TICKS_MS });
        await vmRow(page, idle.name).getByText("Running", { exact: true }).waitFor();
    }));

    test("the host summary counts the running VMs", () => snapOnFailure(page, "usage-summary", async () => {
        const summary = page.getByRole("region", { name: "Host summary" });
        const count = async (...args) => (await virsh("list", "--name", ...args)).split("\n").filter(s => s.trim()).length;
        // Other VMs on this host may come and go meanwhile: compare again until both agree.
        let expected;
        await waitFor(async () => {
            expected = `Running VMs ${await count("--state-running")} of ${await count("--all")}`;
            return (await summary.innerText()).replace(/\s+/g, " ").includes(expected);
        }, TICKS_MS, { what: "the summary to match virsh list", interval: 500 });
    }));

    // The helper asks virNodeGetCPUStats/virNodeGetMemoryStats for 16 parameters where libvirt wants exactly 4, so
    // real connections send no `host` yet (src/hub/bulk_stats.rs, node_params).
    test("the host summary shows the host's CPU and memory", () => snapOnFailure(page, "usage-summary-host", async () => {
        const summary = page.getByRole("region", { name: "Host summary" });
        await summary.getByText("Host CPU", { exact: true }).waitFor({ timeout: 15000 });
        assert.match((await summary.innerText()).replace(/\s+/g, " "), /Host CPU \d+(\.\d)? % of \d+ CPUs? Host memory \d/);
    }));

    test("screenshots of the whole host, light and dark", () => snapOnFailure(page, "usage-host", async () => {
        await filterList(page, "");
        await screenshot(page, "usage-list-light");
        const dark = await openVirtPage(darkBrowser, ws, { connections: [URI], theme: "dark" });
        await waitLoaded(dark, 30000);
        await filterList(dark, run);
        await waitFor(async () => CPU_TEXT.test(await cellText(dark, burner.name, "CPU")), TICKS_MS,
                      { what: "the dark page's numbers" });
        await filterList(dark, "");
        await screenshot(dark, "usage-list-dark");
        await dark.close();
    }));
});

describe("usage columns with 1,000 VMs, and an empty host", () => {
    const COUNT = 1000;
    let ws, browser, uri, emptyDir, emptyUri;

    before(async () => {
        uri = writeTestNode(COUNT);
        emptyDir = mkdtempSync(path.join(tmpdir(), "cvtest-empty-"));
        writeFileSync(path.join(emptyDir, "empty.xml"), "<node/>\n");
        emptyUri = `test://${path.join(emptyDir, "empty.xml")}`;
        ws = await startCockpitWs({ env: HELPER_ENV });
        browser = await launchBrowser();
    });

    after(async () => {
        await browser?.close();
        await ws?.stop();
        if (uri)
            removeTestNode(uri);
        if (emptyDir)
            rmSync(emptyDir, { recursive: true, force: true });
    });

    for (const theme of ["light", "dark"]) {
        test(`a thousand VMs render only a window of rows, with usage (${theme})`, async () => {
            const page = await openVirtPage(browser, ws, { connections: [uri], theme });
            await snapOnFailure(page, `usage-scale-${theme}`, async () => {
                await waitLoaded(page, 60000);
                for (const name of ["CPU", "Memory use", "Disk", "Network"])
                    await page.getByRole("columnheader", { name, exact: true }).waitFor();
                const running = testVmName(0);
                const shutoff = testVmName(2); // writeTestNode: every third VM is shut off
                await waitFor(async () => CPU_TEXT.test(await cellText(page, running, "CPU")), TICKS_MS,
                              { what: `a CPU % in ${running}'s row` });
                assert.match(await cellText(page, running, "Memory use"), MEMORY_TEXT);
                assert.equal(await cellText(page, shutoff, "CPU"), "—");
                const rows = await page.locator("tr[data-vm-id]").count();
                assert.ok(rows > 5 && rows < 80, `${rows} rows in the DOM`);
                await page.getByText("Running VMs", { exact: true }).waitFor();
                await screenshot(page, `usage-scale-${theme}`);

                // By CPU, descending: the running VMs first (all at 0 % here, then by name), the shut-off last.
                const header = page.getByRole("columnheader", { name: "CPU", exact: true });
                await header.getByRole("button").click();
                await header.getByRole("button").click();
                let lastRunning = COUNT - 1;
                while (lastRunning % 3 === 2)
                    lastRunning--;
                await waitFirstRows(page, [testVmName(lastRunning)], 20000);
                assert.ok(await page.locator("tr[data-vm-id]").count() < 80);
                await page.locator(".virt-table-scroll").evaluate(el => { el.scrollTop = el.scrollHeight });
                await page.waitForFunction(() => [...document.querySelectorAll("tr[data-vm-id]")].at(-1)?.dataset.vmState === "shutoff");
                assert.deepEqual(page.virtErrors, []);
            });
            await page.close();
        });
    }

    for (const theme of ["light", "dark"]) {
        test(`an empty host (${theme})`, async () => {
            const page = await openVirtPage(browser, ws, { connections: [emptyUri], theme });
            await snapOnFailure(page, `usage-empty-${theme}`, async () => {
                await waitLoaded(page);
                await page.getByRole("heading", { name: "No virtual machines" }).waitFor();
                await screenshot(page, `usage-empty-${theme}`);
                assert.deepEqual(page.virtErrors, []);
            });
            await page.close();
        });
    }
});
