// SPDX-License-Identifier: LGPL-2.1-or-later
// What the start-up benchmarks (bench/startup.mjs, bench/startup-trace.mjs) run inside the page's iframe: probe() is
// an init script that watches every animation frame for the rows, frameBreakdown() reads the iframe's own timings;
// testNode() writes a test:/// node file of N domains; noPreload() is the environment of a shell that preloads no page;
// helperLog() reads the helper's timestamped log lines.

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { REPO } from "../tests/harness/bridge.mjs";

// CVIRT_LOG: the manifest's `environ` sets RUST_LOG
export const HELPER_ENV = { CVIRT_LOG: "cockpit_virt_helper::startup=debug" };

/**
 * Runs in every frame before its scripts: in the page's iframe, watches every animation frame for the rows and
 * records when the rows in view first showed and when all rows' data did, on screen (performance.now() of the
 * iframe).
 */
export function probe({ kind, n }) {
    if (window === window.top || !/\/(virt|machines)\//.test(location.pathname))
        return;
    const rowSelector = kind === "machines" ? 'tbody tr[data-row-id^="vm-cvbrow-"]' : "tr[data-vm-name]";
    const seen = [];
    const result = { firstRows: null, done: null, visible: null, dataReady: null, seen };
    window.__startup = result;
    const inView = () => {
        let count = 0;
        for (const row of document.querySelectorAll(rowSelector)) {
            const rect = row.getBoundingClientRect();
            if (rect.height > 0 && rect.top < window.innerHeight)
                count++;
        }
        return count;
    };
    const finished = () => {
        if (kind === "machines")
            return document.querySelectorAll(rowSelector).length >= n;
        const list = document.querySelector('.virt-vm-list[data-loaded="true"]');
        const count = document.querySelector(".virt-list-count");
        const m = count && /^(\d+) VMs?$/.exec(count.textContent.trim().replace(/,/g, ""));
        return Boolean(list && m && Number(m[1]) >= n);
    };
    const tick = () => {
        // measuring the rows lays the page out if it is not yet: taken after that, so a page that leaves its
        // layout to the frame does not look faster than one that forces it earlier
        const rows = inView();
        const t = performance.now();
        // the shell shows the frame (display: none → block) only after the frame's load event
        if (result.visible === null && window.innerHeight > 0)
            result.visible = t;
        if (rows > 0 && (seen.length === 0 || seen[seen.length - 1].rows !== rows))
            seen.push({ t, rows });
        // Rows in view too: the shell keeps the frame hidden (display: none, no rows in view) until the frame's
        // load event, and a page that has its data before then has shown nothing yet.
        const complete = finished();
        if (result.dataReady === null && complete)
            result.dataReady = t; // every row's data in the list, shown or not
        if (rows > 0 && complete) {
            result.done = t;
            result.rowsInView = rows;
            // the first frame that showed as many rows in view as the end does
            result.firstRows = seen.find(s => s.rows >= rows)?.t ?? t;
            return;
        }
        requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
}

/** What the iframe knows about its own start, on its own clock. */
export function frameBreakdown() {
    const nav = performance.getEntriesByType("navigation")[0];
    const resource = name => {
        const e = performance.getEntriesByType("resource").find(r => new URL(r.name).pathname.endsWith(name));
        return e ? { start: e.startTime, end: e.responseEnd } : null;
    };
    const chunkSpan = entries => entries.length === 0 ? null : {
        count: entries.length,
        start: Math.min(...entries.map(e => e.startTime)),
        end: Math.max(...entries.map(e => e.responseEnd)),
    };
    const marks = {};
    for (const m of performance.getEntriesByType("mark"))
        marks[m.name] ??= m.startTime;
    return {
        timeOrigin: performance.timeOrigin,
        domContentLoaded: nav?.domContentLoadedEventEnd ?? null,
        load: nav?.loadEventStart || null,
        // index.html itself: request sent, first byte, last byte
        html: nav ? { start: nav.requestStart, firstByte: nav.responseStart, end: nav.responseEnd } : null,
        cockpitJs: resource("/base1/cockpit.js"),
        bootJs: resource("/boot.js"),
        indexJs: resource("/index.js"),
        indexCss: resource("/index.css"),
        // the shared chunks index.js imports: fetched once index.js is parsed, unless preloaded
        chunks: chunkSpan(performance.getEntriesByType("resource").filter(r => /\/chunk-[^/]*\.js$/.test(r.name))),
        // web fonts still in flight hold the load event back, and with it the shell's showing the frame
        fonts: chunkSpan(performance.getEntriesByType("resource").filter(r => /\.woff2?$/.test(r.name))),
        marks,
    };
}

/** The helper's log lines of the last run with a millisecond timestamp, as [epoch ms, text]. */
export function helperLog(stderr, since) {
    const lines = [];
    for (const line of stderr.split("\n")) {
        const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (\w+)\s+([\w:]+)\] (.*)$/.exec(line);
        if (m && m[3].startsWith("cockpit_virt_helper")) {
            const t = Date.parse(m[1]);
            if (t >= since)
                lines.push([t, m[4]]);
        }
    }
    return lines;
}

/** A test:/// node file of `n` domains (bench/domains.py), made once; returns its URI. */
export function testNode(n) {
    const file = path.join(REPO, `.cache/bench/browser-node-${n}.xml`);
    mkdirSync(path.dirname(file), { recursive: true });
    return execFileSync("python3", ["-c", "import sys, domains; print(domains.write_test_node(sys.argv[1], int(sys.argv[2])))",
        file, String(n)], { cwd: path.join(REPO, "bench"), encoding: "utf8" }).trim();
}

/**
 * The environment for a cockpit-ws whose shell preloads no page: Cockpit applies `<package>.override.json` from
 * $XDG_CONFIG_DIRS/cockpit to that package's manifest (a JSON merge patch), here `"preload": null` for each.
 */
export function noPreload() {
    const dir = mkdtempSync(path.join(os.tmpdir(), "cvbrow-nopreload-"));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(path.join(dir, "cockpit"));
    for (const name of readdirSync("/usr/share/cockpit")) {
        try {
            if (JSON.parse(readFileSync(path.join("/usr/share/cockpit", name, "manifest.json"), "utf8")).preload)
                writeFileSync(path.join(dir, "cockpit", `${name}.override.json`), JSON.stringify({ preload: null }));
        } catch {
            // not a package
        }
    }
    return { XDG_CONFIG_DIRS: dir };
}

/** Rounds to a tenth (null and undefined stay). */
export const round = x => x === null || x === undefined ? x : Math.round(x * 10) / 10;

/** The median of the numbers among `xs` (null if there are none). */
export const median = xs => {
    const s = xs.filter(x => typeof x === "number").sort((a, b) => a - b);
    if (!s.length)
        return null;
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Medians of every numeric leaf of the runs' results. */
export function medians(runs) {
    const out = {};
    const walk = (prefix, value) => {
        if (typeof value === "number")
            (out[prefix] ??= []).push(value);
        else if (value && typeof value === "object")
            for (const [k, v] of Object.entries(value))
                walk(prefix ? `${prefix}.${k}` : k, v);
    };
    for (const r of runs)
        walk("", r);
    return Object.fromEntries(Object.entries(out).map(([k, xs]) => [k, round(median(xs))]));
}

/**
 * Arrival from the menu, as a user after login: opens the shell at its overview (`/system`), waits until its frame
 * has loaded and the shell has been idle for a second (the pages it preloads are loaded by then), and clicks
 * `pagePath`'s entry in the menu. Returns the click's moment on the top page's clock.
 */
export async function arriveByMenu(page, base, pagePath, timeoutMs) {
    await page.goto(`${base}/system`);
    await page.frameLocator('iframe[name="cockpit1:localhost/system"]').locator("body").waitFor({ timeout: timeoutMs });
    await page.waitForLoadState("networkidle", { timeout: timeoutMs });
    await page.waitForTimeout(1000);
    const link = page.locator(`nav a[href="/${pagePath}"]`).first();
    await link.waitFor({ timeout: timeoutMs });
    const clickedAt = await page.evaluate(() => performance.now());
    await link.click();
    return clickedAt;
}

/**
 * Opens our page through the shell on `page`: `/virt` typed, or from the menu with { arrive: "menu" }. Waits until
 * the probe (see probe()) saw every row, at most `timeoutMs` in all; resolves with the page's iframe.
 */
export async function openThroughShell(page, base, timeoutMs, { arrive = "url" } = {}) {
    if (arrive === "menu")
        await arriveByMenu(page, base, "virt", timeoutMs);
    else
        await page.goto(`${base}/virt`, { waitUntil: "commit" });
    const deadline = Date.now() + timeoutMs;
    let frame;
    while (!(frame = page.frame({ name: "cockpit1:localhost/virt" })) && Date.now() < deadline)
        await page.waitForTimeout(20);
    if (!frame)
        throw new Error("the shell made no iframe for the page");
    await frame.waitForFunction(() => window.__startup?.done != null, null,
        { polling: 50, timeout: Math.max(1000, deadline - Date.now()) });
    return frame;
}
