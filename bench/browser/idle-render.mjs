#!/usr/bin/env node
// SPDX-License-Identifier: LGPL-2.1-or-later
// What the list costs the renderer once it is loaded: left alone, and scrolled through. Run as root:
//
//   node bench/browser/idle-render.mjs [--n 1000] [--seconds 30] [--frames 100] [--runs 3]
//                                      [--out .cache/bench/idle-render.json]
//
// Opens the page (its own URL, no shell) on a test:/// node file of N domains, waits until it is loaded and the
// idle prefetch is over, then reads Chromium's own counters (CDP Performance.getMetrics) around two parts: `seconds`
// left alone (per second), and `frames` animation frames that each scroll the table by 6 rows (so every frame
// mounts new rows; totals). Counters: the main thread's task time and, of it, script, layout and style time, and
// how many layouts ran. The page's JavaScript heap at the end is reported too.

import path from "node:path";

import { chromium } from "playwright-core";

import { REPO } from "../../tests/harness/bridge.mjs";
import { BROWSER_ARGS } from "../../tests/harness/browser.mjs";
import { startCockpitWs } from "../../tests/harness/cockpit-ws.mjs";
import { writeFileSync, mkdirSync } from "node:fs";
import os from "node:os";

import { testNode } from "../startup-common.mjs";

const opts = { n: 1000, seconds: 30, frames: 100, runs: 3, out: path.join(REPO, ".cache/bench/idle-render.json") };
for (let i = 2; i < process.argv.length; i += 2)
    opts[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
for (const k of ["n", "seconds", "frames", "runs"])
    opts[k] = Number(opts[k]);

const METRICS = ["TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration", "LayoutCount"];
const round = x => Math.round(x * 10) / 10;
const median = a => [...a].sort((x, y) => x - y)[(a.length - 1) >> 1];

async function metrics(cdp) {
    const { metrics } = await cdp.send("Performance.getMetrics");
    return Object.fromEntries(metrics.filter(m => METRICS.includes(m.name) || m.name === "JSHeapUsedSize")
        .map(m => [m.name, m.value]));
}

const uri = testNode(opts.n);
const ws = await startCockpitWs();
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: BROWSER_ARGS });
const runs = [];
try {
    for (let r = 0; r < opts.runs; r++) {
        const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        await context.addInitScript(uri => {
            localStorage.setItem("virt:connections", JSON.stringify([uri]));
            localStorage.setItem("shell:style", "light");
        }, uri);
        const page = await context.newPage();
        const cdp = await context.newCDPSession(page);
        await cdp.send("Performance.enable");
        await page.goto(ws.pageUrl);
        await page.locator('.virt-vm-list[data-loaded="true"]').waitFor({ state: "attached", timeout: 60000 });
        await page.waitForTimeout(3000); // the first ticks, and the idle prefetch of the lazy views
        const start = await metrics(cdp);
        const load0 = os.loadavg()[0];
        await page.waitForTimeout(opts.seconds * 1000);
        const end = await metrics(cdp);
        const perSecond = Object.fromEntries(METRICS.map(k =>
            [k, round((end[k] - start[k]) * (k === "LayoutCount" ? 1 : 1000) / opts.seconds)]));
        const rows = await page.locator("tr[data-vm-name]").count();
        await page.evaluate(async frames => {
            const table = document.querySelector(".virt-table-scroll");
            for (let i = 0; i < frames; i++) {
                table.scrollTop += 6 * 49;
                await new Promise(resolve => requestAnimationFrame(() => resolve()));
            }
        }, 1); // warm: the code paths of a scroll compiled
        const before = await metrics(cdp);
        const scrollMs = await page.evaluate(async frames => {
            const table = document.querySelector(".virt-table-scroll");
            table.scrollTop = 0;
            const t0 = performance.now();
            for (let i = 0; i < frames; i++) {
                table.scrollTop += 6 * 49;
                await new Promise(resolve => requestAnimationFrame(() => resolve()));
            }
            return performance.now() - t0;
        }, opts.frames);
        const after = await metrics(cdp);
        const scroll = Object.fromEntries(METRICS.map(k =>
            [k, round((after[k] - before[k]) * (k === "LayoutCount" ? 1 : 1000))]));
        runs.push({ perSecond, scroll: { ...scroll, wallMs: round(scrollMs) }, rows,
            heapMiB: round(end.JSHeapUsedSize / 2 ** 20), load: [round(load0), round(os.loadavg()[0])] });
        console.error(`run ${r + 1}: ${JSON.stringify(runs.at(-1))}`);
        await context.close();
    }
} finally {
    await browser.close();
    await ws.stop();
}
const result = { date: new Date().toISOString(), n: opts.n, seconds: opts.seconds, runs,
    median: {
        idlePerSecond: Object.fromEntries(METRICS.map(k => [k, median(runs.map(r => r.perSecond[k]))])),
        scroll: Object.fromEntries([...METRICS, "wallMs"].map(k => [k, median(runs.map(r => r.scroll[k]))])),
        heapMiB: median(runs.map(r => r.heapMiB)),
    } };
mkdirSync(path.dirname(opts.out), { recursive: true });
writeFileSync(opts.out, JSON.stringify(result, null, 2));
console.log(JSON.stringify(result.median));
