#!/usr/bin/env node
// SPDX-License-Identifier: LGPL-2.1-or-later
// Page start-up through the Cockpit shell (issue 17), run as root:
//
//   node bench/startup.mjs [--scenarios machines50,ours50,ours200,ours1000,test1000,test10000] [--runs 5]
//                          [--fresh 0|1] [--out .cache/bench/startup.json] [--preload 0] [--override 0]
//                          [--resources 1] [--arrive url|menu]
//
// Each run opens `http://127.0.0.1:PORT/virt` (cockpit-machines: `/machines`) in a fresh browser context, so the
// shell loads first and the page in its iframe (--arrive menu: from the shell's menu, below). Times, all in ms:
// - total: the top page's navigation start → every row's data shown (ours: the list's data-loaded="true" and the
//   count says ≥ N; cockpit-machines: N rows `tr[data-row-id^="vm-cvbrow-"]`) with rows in view (the shell has
//   shown the frame), polled every animation frame;
// - shell: the top page's navigation start → the iframe's time origin (the shell's part);
// - own: the iframe's time origin → every row's data shown (the page's own part, the target);
// - firstScreen: the iframe's time origin → the rows in view first shown (as many as are in view at the end);
// - visible: → the first animation frame with the frame shown (the shell shows it some time after its load event,
//   `breakdown.load`); dataReady: → the first animation frame with every row's data in the list, shown or not;
//   `own` is about the later of the two;
// - the page's breakdown on the iframe's clock: its scripts' responses (cockpit.js, index.js), DOMContentLoaded,
//   its `virt:*` performance marks (pkg/boot.ts and the store), and the helper's debug log lines (millisecond wall
//   clock, mapped onto the iframe's clock).
// --arrive menu: the shell is opened at its overview (`/system`) and left to settle (the preloaded pages load then),
// and the page is opened from the menu, as a user does after login; `total` then runs from the click.
// `static<N>`: the floor any page has under the same shell: our page's rows at N test:/// VMs, rendered once,
// served as a static index.html with its stylesheet and fonts and no script.
// `ours<N>` / `machines<N>`: N tiny VMs defined (not running) on qemu:///system, named cvbrow-NNNN, removed at the
// end (the browser benchmark's VMs, bench/browser/vms.mjs; running TCG guests would load the 2 CPUs far more than
// the pages do); `test<N>`: ours on a test:/// node file of N domains. cockpit-machines comes unpacked, with
// libvirt-dbus on a private system bus (bench/browser/machines-side.mjs): nothing is installed.
// --fresh 1 starts a new cockpit-ws for every run (a new bridge and helper, a new libvirt connection: the first
// visit after login); --preload 0: the shell preloads no page beside ours (bench/startup-common.mjs, noPreload());
// --override 0 (ours<N> only): the page is not told its connections (localStorage["virt:connections"]), so it
// asks for the user and the saved hosts (op `connections` `list`) as it does for users;
// by default one ws per scenario after one unrecorded warm-up run, so the helper is running
// and keeps its libvirt connection between runs (a later visit, as the issue measured).

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os, { tmpdir } from "node:os";
import path from "node:path";

import { chromium } from "playwright-core";

import { REPO } from "../tests/harness/bridge.mjs";
import { BROWSER_ARGS } from "../tests/harness/browser.mjs";
import { startCockpitWs } from "../tests/harness/cockpit-ws.mjs";

import { startMachinesSide } from "./browser/machines-side.mjs";
import { URI, allDomainCount, benchVms } from "./browser/vms.mjs";
import {
    HELPER_ENV, arriveByMenu, frameBreakdown, helperLog, medians, noPreload, openThroughShell, probe, round, testNode,
} from "./startup-common.mjs";

const opts = { scenarios: "machines50,ours50,ours200,ours1000,test10000", runs: 5, fresh: 0, preload: "1",
    arrive: "url", override: "1", out: path.join(REPO, ".cache/bench/startup.json") };
for (let i = 2; i < process.argv.length; i += 2)
    opts[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
opts.runs = Number(opts.runs);
opts.fresh = Number(opts.fresh) === 1;

const TIMEOUT = 60000;
const tmp = mkdtempSync(path.join(tmpdir(), "cvbrow-"));
const vms = benchVms("cvbrow-", tmp);
const log = (...a) => console.error(new Date().toISOString().slice(11, 23), ...a);

/** The helper's start-up moments we look for in its debug log, by a pattern of the line. */
const HELPER_MOMENTS = {
    helperStarted: /^started$/,
    initSent: /^init sent$/,
    watchOpened: /^watch .*: opened$/,
    connected: /: connected, \d+ VMs/,
    snapshotSent: /^watch: snapshot sent/,
};

let browser;

/** A fresh browser context whose frames run the probe, with the page told its connection. */
async function probedContext(kind, n, uri) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript(({ uri, override }) => {
        if (override)
            localStorage.setItem("virt:connections", JSON.stringify([uri]));
        localStorage.setItem("shell:style", "light");
        // cockpit-machines' "Hardware virtualization is disabled" screen (no usable /dev/kvm here) otherwise
        localStorage.setItem("virtualization-disabled-ignored", "true");
    }, { uri, override: opts.override !== "0" });
    await context.addInitScript(probe, { kind: kind === "static" ? "ours" : kind, n });
    return context;
}

let staticHtml = null;

/**
 * static<N>: our page as rendered through the shell at N VMs (once), served in its place as a static index.html:
 * the shipped head without its scripts and module preloads (the stylesheet and the font preloads stay), and the
 * rendered body.
 */
async function serveStatic(ws, n, uri) {
    if (staticHtml === null) {
        const context = await probedContext("ours", n, uri);
        try {
            const frame = await openThroughShell(await context.newPage(), ws.base, TIMEOUT);
            const { htmlClass, body } = await frame.evaluate(() =>
                ({ htmlClass: document.documentElement.className, body: document.body.innerHTML }));
            staticHtml = readFileSync(path.join(REPO, "dist/index.html"), "utf8")
                .replace(/<script\b[^>]*>[\s\S]*?<\/script>\s*/g, "")
                .replace(/<link rel="modulepreload"[^>]*>\s*/g, "")
                .replace(/<html([^>]*)>/, (_, attrs) => `<html${attrs} class="${htmlClass}">`)
                .replace(/<body>[\s\S]*<\/body>/, () => `<body>${body}</body>`);
        } finally {
            await context.close();
        }
    }
    const file = path.join(ws.dataDir, "cockpit/virt/index.html");
    rmSync(file); // the staged link to dist/
    writeFileSync(file, staticHtml);
}

async function measure(ws, kind, n, uri) {
    const context = await probedContext(kind, n, uri);
    const page = await context.newPage();
    const since = Date.now();
    const pagePath = kind === "machines" ? "machines" : "virt";
    try {
        const clickedAt = opts.arrive === "menu" ? await arriveByMenu(page, ws.base, pagePath, TIMEOUT)
            : (await page.goto(`${ws.base}/${pagePath}`, { waitUntil: "commit" }), 0);
        const name = `cockpit1:localhost/${pagePath}`;
        const deadline = Date.now() + TIMEOUT;
        let frame;
        while (!(frame = page.frame({ name })) && Date.now() < deadline)
            await page.waitForTimeout(20);
        if (!frame)
            throw new Error("the shell made no iframe for the page");
        await frame.waitForFunction(() => window.__startup?.done != null, null,
            { polling: 50, timeout: Math.max(1000, deadline - Date.now()) });
        const probeResult = await frame.evaluate(() => window.__startup);
        const inner = await frame.evaluate(frameBreakdown);
        const topOrigin = await page.evaluate(() => performance.timeOrigin);
        const shell = inner.timeOrigin - topOrigin;
        const resources = opts.resources === "1" ? await everyFramesResources(page, inner.timeOrigin) : undefined;
        const helper = {};
        if (kind !== "machines") {
            const lines = helperLog(ws.stderr(), since); // this run's lines only
            for (const [key, pattern] of Object.entries(HELPER_MOMENTS)) {
                const hit = lines.find(([, text]) => pattern.test(text));
                if (hit)
                    helper[key] = hit[0] - inner.timeOrigin;
            }
        }
        return {
            total: round(shell + probeResult.done - clickedAt), shell: round(shell - clickedAt),
            own: round(probeResult.done),
            firstScreen: round(probeResult.firstRows), rowsInView: probeResult.rowsInView,
            visible: round(probeResult.visible), dataReady: round(probeResult.dataReady),
            rowsSeen: probeResult.seen.map(s => [round(s.t), s.rows]), // [ms, rows in view] at each change
            breakdown: roundAll({ ...inner, timeOrigin: undefined }), helper: roundAll(helper), resources,
        };
    } catch (e) {
        return { total: null, error: e.message.split("\n")[0] };
    } finally {
        await context.close();
    }
}

/**
 * --resources 1: every frame's fetches (the shell's, the preloaded pages', the page's), on the page's iframe clock,
 * in the order they were asked for: [frame, path, asked, sent, first byte, last byte, bytes received]. "asked" →
 * "sent" is the wait for one of the browser's six connections to cockpit-ws.
 */
async function everyFramesResources(page, origin) {
    const rows = [];
    for (const frame of page.frames()) {
        let got;
        try {
            got = await frame.evaluate(() => ({
                origin: performance.timeOrigin,
                entries: [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")]
                    .map(e => [e.name, e.startTime, e.requestStart, e.responseStart, e.responseEnd, e.transferSize]),
            }));
        } catch {
            continue; // a frame gone meanwhile
        }
        const shift = got.origin - origin;
        const frameName = frame === page.mainFrame() ? "shell" : frame.name().replace(/^cockpit1:localhost\//, "");
        for (const [name, ...times] of got.entries) {
            const [start, sent, first, end, size] = times;
            if (/^wss?:/.test(name))
                continue;
            rows.push([frameName, new URL(name).pathname.replace(/^\/cockpit\/[^/]+\//, ""),
                ...[start, sent, first, end].map(t => round(t + shift)), size]);
        }
    }
    return rows.sort((a, b) => a[2] - b[2]);
}

const roundAll = v => typeof v === "number" ? round(v)
    : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, roundAll(x)])) : v;


async function scenario(label, kind, n, uri) {
    const res = { scenario: label, kind, n, uri, fresh: opts.fresh, preload: opts.preload !== "0",
        override: opts.override !== "0", arrive: opts.arrive,
        load: [os.loadavg()[0]], runs: [] };
    if (uri === URI)
        res.domainsOnHost = allDomainCount();
    // cockpit-machines: its own ws, with libvirt-dbus on a private system bus (bench/browser/machines-side.mjs)
    const start = async () => {
        if (kind !== "machines") {
            const ws = await startCockpitWs({ env: { ...HELPER_ENV, ...opts.preload === "0" ? noPreload() : {} } });
            if (kind === "static")
                await serveStatic(ws, n, uri);
            return ws;
        }
        const side = await startMachinesSide();
        return { ...side.ws, stop: () => side.stop() };
    };
    let ws = await start();
    try {
        const warm = await measure(ws, kind, n, uri);
        log(label, "warm-up:", warm.total ?? warm.error);
        for (let r = 0; r < opts.runs; r++) {
            if (opts.fresh) {
                await ws.stop();
                ws = await start();
            }
            const m = await measure(ws, kind, n, uri);
            res.runs.push(m);
            log(label, `run ${r + 1}:`, m.error ?? `total ${m.total} shell ${m.shell} own ${m.own} first ${m.firstScreen} visible ${m.visible} data ${m.dataReady}`);
        }
    } finally {
        await ws.stop();
    }
    res.load.push(os.loadavg()[0]);
    res.finished = res.runs.filter(r => r.total !== null).length;
    res.median = res.finished === res.runs.length ? medians(res.runs) : null;
    log(label, "median:", res.median ? `total ${res.median.total} own ${res.median.own} first ${res.median.firstScreen}`
        : `${res.finished} of ${res.runs.length} finished`);
    return res;
}


// Only the ours<N> and machines<N> scenarios define VMs on qemu:///system: test:/// alone needs no libvirtd (the
// shell still needs a system bus: tests/lib/libvirtd.sh start gives both).
const definesVms = opts.scenarios.split(",").some(s => /^(ours|machines)\d+$/.test(s));

let cleaned = false;
function cleanup() {
    if (cleaned)
        return;
    cleaned = true;
    if (definesVms) {
        try { vms.removeAll() } catch (e) { log("cleanup:", e.message) }
    }
    rmSync(tmp, { recursive: true, force: true });
}
for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143]])
    process.on(sig, () => { cleanup(); process.exit(code) });
process.on("exit", cleanup);

async function main() {
    if (process.getuid() !== 0)
        throw new Error("run as root");
    const results = {
        date: new Date().toISOString(), nproc: os.cpus().length, kernel: os.release(),
        commit: execFileSync("git", ["-C", REPO, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim(),
        runs: opts.runs, fresh: opts.fresh, scenarios: [],
    };
    const save = () => {
        mkdirSync(path.dirname(opts.out), { recursive: true });
        writeFileSync(opts.out, JSON.stringify(results, null, 2));
    };
    // without one the shell waits for it and every run would end at the timeout
    try {
        execFileSync("dbus-send", ["--system", "--dest=org.freedesktop.DBus", "--print-reply", "/",
            "org.freedesktop.DBus.GetId"], { stdio: "ignore", timeout: 5000 });
    } catch {
        throw new Error("the system bus does not answer: start it with tests/lib/libvirtd.sh start");
    }
    if (definesVms)
        vms.removeAll();
    let defined = 0;
    browser = await chromium.launch({ executablePath: process.env.CVIRT_CHROMIUM ?? "/usr/bin/chromium",
        headless: true, args: BROWSER_ARGS });
    try {
        for (const s of opts.scenarios.split(",")) {
            const [, kind, count] = /^(machines|ours|test|static)(\d+)$/.exec(s) ?? [];
            if (!kind)
                throw new Error(`unknown scenario ${s}`);
            const n = Number(count);
            if (kind === "test" || kind === "static") {
                if (opts.override === "0")
                    throw new Error("test:/// scenarios need the override (--override 1)");
                results.scenarios.push(kind === "test" ? await scenario(`ours, ${n} on test:///`, "ours", n, testNode(n))
                    : await scenario(`static page of ours, ${n} on test:///`, "static", n, testNode(n)));
            } else {
                if (defined > n) {
                    vms.removeAll();
                    defined = 0;
                }
                if (defined < n) {
                    vms.defineRange(defined, n);
                    defined = n;
                }
                const who = kind === "machines" ? "cockpit-machines" : "ours";
                results.scenarios.push(await scenario(`${who}, ${n} defined on ${URI}`, kind, n, URI));
            }
            save();
        }
    } finally {
        await browser.close();
        cleanup();
        save();
    }
    console.log(JSON.stringify(results.scenarios.map(s => ({ scenario: s.scenario, load: s.load, median: s.median })),
        null, 2));
}

main().catch(e => { console.error(e); cleanup(); process.exit(1) });
