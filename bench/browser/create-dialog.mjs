#!/usr/bin/env node
// SPDX-License-Identifier: LGPL-2.1-or-later
// Benchmarks of issue 5: the create dialog's open → usable, and OS search per keystroke.
//
//   node bench/browser/create-dialog.mjs [--runs 10] [--uri qemu:///system] [--out .cache/bench/create-dialog.json]
//
// One cockpit-ws --local-session (one bridge, one helper for every page, as for one logged-in user) and headless
// Chromium. The page is loaded with the list; then:
// - open → usable: from the click on "Create VM" until the dialog has data-loaded="true" (the osinfo list and the
//   host's create-options are in, so the OS picker searches and the defaults are set). The first open after the
//   helper started also reads osinfo-db ("cold"); later opens in new tabs ask a warm helper (each tab loads the
//   list once). Measured with the page's clock (performance.now()) from the click event to a MutationObserver.
// - search: the OS input focused, the query "debian 11" typed and erased one key at a time; per key, from the
//   keydown (capture phase) to the first DOM change of the option list after it (a MutationObserver), i.e. the
//   JavaScript work of filtering the whole list and React's commit. Keys that change nothing are not counted.
// Creates nothing in libvirt.

import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { chromium } from "playwright-core";

import { REPO, helperPath } from "../../tests/harness/bridge.mjs";
import { startCockpitWs } from "../../tests/harness/cockpit-ws.mjs";

const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"];
const opts = { runs: 10, uri: "qemu:///system", out: path.join(REPO, ".cache/bench/create-dialog.json") };
for (let i = 2; i < process.argv.length; i += 2)
    opts[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
opts.runs = Number(opts.runs);

const log = (...a) => console.error(new Date().toISOString().slice(11, 19), ...a);
const median = xs => { const s = [...xs].sort((a, b) => a - b); return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : null };
const p95 = xs => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil(0.95 * s.length) - 1)] };

async function newPage(browser, ws) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript(uri => {
        localStorage.setItem("virt:connections", JSON.stringify([uri]));
        localStorage.setItem("shell:style", "light");
    }, opts.uri);
    const page = await context.newPage();
    await page.goto(ws.pageUrl);
    await page.locator('.virt-vm-list[data-loaded="true"]').waitFor({ state: "attached", timeout: 30000 });
    return { context, page };
}

/** Click "Create VM" → dialog data-loaded="true", on the page's clock. */
async function openToUsable(page) {
    await page.evaluate(() => {
        window.__openMs = new Promise(resolve => {
            let t0 = null;
            document.addEventListener("click", ev => {
                if (ev.target.closest?.("#virt-create-vm"))
                    t0 = performance.now();
            }, { capture: true, once: true });
            const done = () => document.querySelector('[data-test="create-dialog"][data-loaded="true"]');
            new MutationObserver((_m, obs) => {
                if (t0 !== null && done()) {
                    obs.disconnect();
                    resolve(performance.now() - t0);
                }
            }).observe(document.body, { subtree: true, childList: true, attributes: true });
        });
    });
    await page.locator("#virt-create-vm").click();
    return page.evaluate(() => window.__openMs);
}

/** Types `query` into the OS input, then erases it, one key at a time; ms per key that changed the list. */
async function searchKeys(page, query) {
    await page.locator("#create-os").click();
    await page.locator("#create-os-list").waitFor();
    await page.evaluate(() => {
        window.__keys = [];
        let t0 = null;
        document.addEventListener("keydown", () => { t0 = performance.now() }, { capture: true });
        const list = document.getElementById("create-os-list");
        new MutationObserver(() => {
            if (t0 !== null) {
                window.__keys.push(performance.now() - t0);
                t0 = null;
            }
        }).observe(list, { subtree: true, childList: true, characterData: true });
    });
    for (const ch of query) {
        await page.keyboard.press(ch === " " ? "Space" : ch);
        await page.waitForTimeout(30);
    }
    for (let i = 0; i < query.length; i++) {
        await page.keyboard.press("Backspace");
        await page.waitForTimeout(30);
    }
    const count = await page.locator("#create-os-list [role=option]").count();
    return { ms: await page.evaluate(() => window.__keys), optionsShown: count };
}

async function main() {
    const helper = helperPath();
    const ws = await startCockpitWs();
    const browser = await chromium.launch({ executablePath: process.env.CVIRT_CHROMIUM ?? "/usr/bin/chromium",
        headless: true, args: ARGS });
    const results = { date: new Date().toISOString(), nproc: os.cpus().length, helper, uri: opts.uri,
        loadavgStart: os.loadavg()[0], open: [], search: [] };
    try {
        for (let r = 0; r < opts.runs; r++) {
            const { context, page } = await newPage(browser, ws);
            const ms = await openToUsable(page);
            results.open.push(ms);
            const keys = await searchKeys(page, "debian 11");
            results.search.push(...keys.ms);
            log(`run ${r + 1}: open → usable ${ms.toFixed(1)} ms; search keys ${keys.ms.map(x => x.toFixed(1)).join(" ")}`);
            await context.close();
        }
    } finally {
        await browser.close();
        await ws.stop();
    }
    results.loadavgEnd = os.loadavg()[0];
    results.openCold = results.open[0];
    results.openWarmMedian = median(results.open.slice(1));
    results.openWarmMax = Math.max(...results.open.slice(1));
    results.searchMedian = median(results.search);
    results.searchP95 = p95(results.search);
    results.searchMax = Math.max(...results.search);
    mkdirSync(path.dirname(opts.out), { recursive: true });
    writeFileSync(opts.out, JSON.stringify(results, null, 2));
    log(`open → usable: cold ${results.openCold.toFixed(1)} ms, warm median ${results.openWarmMedian.toFixed(1)} ms ` +
        `(max ${results.openWarmMax.toFixed(1)}); search per key: median ${results.searchMedian.toFixed(1)} ms, ` +
        `p95 ${results.searchP95.toFixed(1)}, max ${results.searchMax.toFixed(1)} (n = ${results.search.length})`);
}

await main();
