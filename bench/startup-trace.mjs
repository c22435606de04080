#!/usr/bin/env node
// SPDX-License-Identifier: LGPL-2.1-or-later
// Where the page's start-up spends the renderer's main thread (issue 17), as CPU time, which the machine's load
// hardly changes (wall times on a shared machine scatter by ±30 %). Run as root:
//
//   node bench/startup-trace.mjs [--n 50,1000,10000] [--runs 3] [--out .cache/bench/startup-trace.json]
//                                [--keep DIR]   (also write each run's raw trace, for chrome://tracing or Perfetto)
//                                [--preload 0]  (0: the shell preloads no page: a merge patch removes the `preload`
//                                                of every installed package's manifest; how much those pages cost)
//                                [--arrive menu] (from the shell's menu once its overview has settled, as
//                                                 bench/startup.mjs --arrive menu)
//   node bench/startup-trace.mjs --from DIR      (analyse the traces kept in DIR again; no browser, no root)
//
// Each run opens `http://127.0.0.1:PORT/virt` through the shell in a fresh browser context, as bench/startup.mjs
// does, on a test:/// node file of N domains, with a Chromium trace recorded through CDP (Tracing.start on the top
// page's session; the shell and the page's iframe are same-site, so one renderer process and one main thread run
// both). From the trace it takes the renderer main thread's events and splits their *thread* time (CPU; `tdur`),
// self time only, by phase of the iframe's start-up (the page's `virt:*` marks, found in the trace as user-timing
// events) and by what it was: script (compile, evaluation, calls) per script file, garbage collection, HTML
// parsing, CSS parsing, style, layout, paint, other. Each event's time is charged to the frame (our page, the shell,
// or a page the shell preloads in a hidden frame) and the script file named by it or its nearest enclosing event.

import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { chromium } from "playwright-core";

import { REPO } from "../tests/harness/bridge.mjs";
import { BROWSER_ARGS } from "../tests/harness/browser.mjs";
import { startCockpitWs } from "../tests/harness/cockpit-ws.mjs";

import { HELPER_ENV, frameBreakdown, noPreload, openThroughShell, probe, testNode } from "./startup-common.mjs";

const opts = { n: "50,1000,10000", runs: 3, out: path.join(REPO, ".cache/bench/startup-trace.json"), keep: "",
    from: "", preload: "1", arrive: "url" };
for (let i = 2; i < process.argv.length; i += 2)
    opts[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
opts.runs = Number(opts.runs);

const TIMEOUT = 60000;
const log = (...a) => console.error(new Date().toISOString().slice(11, 23), ...a);

const CATEGORIES = [
    "toplevel", "devtools.timeline", "disabled-by-default-devtools.timeline", "v8", "v8.execute", "blink",
    "blink.user_timing", "loading", "disabled-by-default-v8.gc",
];

/** Records a trace of one page load through the shell; returns { events, probe, breakdown, topOrigin }. */
async function tracedRun(browser, ws, n, uri) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript(uri => {
        localStorage.setItem("virt:connections", JSON.stringify([uri]));
        localStorage.setItem("shell:style", "light");
    }, uri);
    await context.addInitScript(probe, { kind: "ours", n });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    const events = [];
    cdp.on("Tracing.dataCollected", ({ value }) => events.push(...value));
    const complete = new Promise(resolve => cdp.once("Tracing.tracingComplete", resolve));
    await cdp.send("Tracing.start", {
        transferMode: "ReportEvents",
        traceConfig: { includedCategories: CATEGORIES, recordMode: "recordAsMuchAsPossible" },
    });
    try {
        const frame = await openThroughShell(page, ws.base, TIMEOUT, { arrive: opts.arrive });
        // a little after the rows, so the last frame's paint is in the trace
        await page.waitForTimeout(300);
        const probeResult = await frame.evaluate(() => window.__startup);
        const breakdown = await frame.evaluate(frameBreakdown);
        const topOrigin = await page.evaluate(() => performance.timeOrigin);
        await cdp.send("Tracing.end");
        await complete;
        return { events, probe: probeResult, breakdown, topOrigin };
    } finally {
        await context.close();
    }
}

const SCRIPT = new Set(["EvaluateScript", "v8.compile", "v8.compileModule", "v8.evaluateModule", "FunctionCall",
    "v8.run", "V8.Execute", "v8.callFunction", "RunMicrotasks", "TimerFire", "EventDispatch", "FireAnimationFrame",
    "FireIdleCallback", "v8.produceCache", "v8.produceModuleCache", "v8.parseOnBackground", "V8.CompileCode",
    "XHRReadyStateChange", "XHRLoad"]);
const KIND_OF = name =>
    SCRIPT.has(name) || name.startsWith("V8.") && !name.startsWith("V8.GC") ? "script"
    : /GC|BlinkGC|Sweep|Scavenge|Mark/.test(name) ? "gc"
    : name === "ParseHTML" ? "html"
    : name === "ParseAuthorStyleSheet" || name.startsWith("CSSParser") ? "css parse"
    : name === "UpdateLayoutTree" || name === "RecalculateStyles" || name === "ScheduleStyleRecalculation" ? "style"
    : name === "Layout" || name.startsWith("LocalFrameView::") && /Layout/.test(name) ? "layout"
    : /Paint|Layer|Composit|Commit|Raster/.test(name) ? "paint"
    : "other";

/** The script file an event names (basename; the page's chunks as one). */
function scriptOf(e) {
    const url = e.args?.data?.url ?? e.args?.data?.scriptName ?? e.args?.data?.stackTrace?.[0]?.url
        ?? e.args?.fileName ?? null;
    if (!url)
        return null;
    const base = url.replace(/[?#].*$/, "").split("/").pop();
    return /^chunk-[A-Z0-9]+\.js$/.test(base) ? "index.js chunks" : base || url;
}

/** The frame an event names, if any. */
const frameOf = e => e.args?.data?.frame ?? e.args?.beginData?.frame ?? e.args?.frame ?? null;

/**
 * Names for the frames of the trace, by id: "page" (ours), "shell" (the top page), or the shell's frame name
 * without its host ("system", "system/services": pages the shell preloads in hidden frames).
 */
function frameNames(events) {
    const names = new Map();
    for (const e of events) {
        const d = e.args?.data;
        if (!d?.frame || !(e.name === "FrameCommittedInBrowser" || e.name === "CommitLoad"))
            continue;
        if (d.isOutermostMainFrame)
            names.set(d.frame, "shell");
        else if (/\/virt\/index\.html/.test(d.url ?? "") || /\/virt$/.test(d.name ?? ""))
            names.set(d.frame, "page");
        else if (d.name)
            names.set(d.frame, d.name.replace(/^cockpit1:[^/]*\//, ""));
    }
    return names;
}

/**
 * The renderer's main thread: the thread whose events evaluate the page's boot.js. Returns its complete events
 * (B/E pairs joined) sorted for nesting, and the frame id of the page's iframe.
 */
function mainThread(events) {
    const boot = events.find(e => e.name === "EvaluateScript" && /\/virt\/boot\.js/.test(e.args?.data?.url ?? ""));
    if (!boot)
        throw new Error("no evaluation of boot.js in the trace");
    const own = events.filter(e => e.pid === boot.pid && e.tid === boot.tid);
    const complete = [];
    const open = [];
    for (const e of own.sort((a, b) => a.ts - b.ts)) {
        if (e.ph === "X")
            complete.push(e);
        else if (e.ph === "B")
            open.push(e);
        else if (e.ph === "E") {
            const b = open.pop();
            if (b)
                complete.push({ ...b, ph: "X", dur: e.ts - b.ts, tdur: (e.tts ?? 0) - (b.tts ?? 0),
                    args: { ...b.args, ...e.args } });
        }
    }
    complete.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
    return { complete, marks: own.concat(events.filter(e => e.pid === boot.pid))
        .filter(e => e.cat?.includes("blink.user_timing")) };
}

/**
 * Self times (thread time, falling back to wall time when an event has none) of the main thread's events, as
 * [start ts, self µs, kind, frame, script]: the frame ("page", "shell", a preloaded page, "?") and script file of
 * the nearest enclosing event that names one.
 */
function selfTimes(complete, frames) {
    const out = [];
    const stack = [];
    const close = until => {
        while (stack.length && stack[stack.length - 1].end <= until) {
            const s = stack.pop();
            out.push([s.e.ts, Math.max(0, s.self), s.kind, s.frame, s.script]);
        }
    };
    for (const e of complete) {
        if (!(e.dur >= 0))
            continue;
        close(e.ts);
        const parent = stack[stack.length - 1];
        const cpu = typeof e.tdur === "number" ? e.tdur : e.dur;
        if (parent)
            parent.self -= cpu;
        const id = frameOf(e);
        const frame = id ? frames.get(id) ?? "?" : parent?.frame ?? "?";
        const script = scriptOf(e) ?? parent?.script ?? null;
        const kind = KIND_OF(e.name);
        stack.push({ e, end: e.ts + e.dur, self: cpu, kind: kind === "other" && parent ? parent.kind : kind, frame,
            script });
    }
    close(Infinity);
    return out;
}

/** Sums `key(self time)` over each phase [name, from, to) of trace time; largest first. */
function byPhase(selfs, phases, key) {
    const result = {};
    for (const [name, from, to] of phases) {
        const sums = {};
        let total = 0;
        for (const item of selfs) {
            const [ts, self] = item;
            const k = key(item);
            if (ts >= from && ts < to && self > 0 && k !== null) {
                sums[k] = (sums[k] ?? 0) + self;
                total += self;
            }
        }
        const top = Object.entries(sums).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, ms(v)]);
        result[name] = { wallMs: ms(to - from), cpuMs: ms(total), parts: Object.fromEntries(top) };
    }
    return result;
}

const byFrame = ([, , , frame]) => frame;
/** Our page's own work, by kind and script file (ours are boot.js, index.js and its chunks). */
const pageWork = ([, , kind, frame, script]) =>
    frame !== "page" ? null : kind === "script" || kind === "gc" ? `${kind} ${script ?? "?"}` : kind;

const ms = us => Math.round(us / 100) / 10;

function analyse(run) {
    const { complete, marks } = mainThread(run.events);
    const bootMark = marks.find(e => e.name === "virt:boot");
    const pageMarks = run.breakdown.marks;
    if (!bootMark || pageMarks["virt:boot"] == null)
        throw new Error("no virt:boot mark in the trace");
    // trace µs of the iframe's time origin: a mark's trace time less its performance.now()
    const origin = bootMark.ts - pageMarks["virt:boot"] * 1000;
    const at = name => pageMarks[name] == null ? null : origin + pageMarks[name] * 1000;
    const topOrigin = origin - (run.breakdown.timeOrigin - run.topOrigin) * 1000;
    const done = origin + run.probe.done * 1000;
    const edges = [["top page", topOrigin], ["iframe origin", origin], ["boot.js", at("virt:boot")],
        ["index.js evaluated", at("virt:main")], ["watch taken", at("virt:watch-open")],
        ["first watch message", at("virt:watch-first")], ["synced", at("virt:synced")],
        ["first rows", at("virt:rows")], ["all rows' data", done]]
        .filter(([, t]) => t !== null && t <= done).sort((a, b) => a[1] - b[1]);
    const phases = [];
    for (let i = 0; i + 1 < edges.length; i++)
        phases.push([`${edges[i][0]} → ${edges[i + 1][0]}`, edges[i][1], edges[i + 1][1]]);
    const selfs = selfTimes(complete, frameNames(run.events));
    const own = [["own part", origin, done]];
    return {
        own: round(run.probe.done), firstScreen: round(run.probe.firstRows),
        shell: round(run.breakdown.timeOrigin - run.topOrigin),
        ownByFrame: byPhase(selfs, own, byFrame)["own part"],
        ownPageWork: byPhase(selfs, own, pageWork)["own part"],
        // rendering the rows: from the first watch message the store gets to every row's data shown
        rowsWork: byPhase(selfs, [["rows", at("virt:watch-first") ?? origin, done]], pageWork).rows,
        phasesByFrame: byPhase(selfs, phases, byFrame),
        phasesPageWork: byPhase(selfs, phases, pageWork),
        marks: Object.fromEntries(Object.entries(pageMarks).map(([k, v]) => [k, round(v)])),
    };
}

const round = x => Math.round(x * 10) / 10;

/** Prints the analysis of runs. */
function report(results) {
    const parts = (p, n = 8) => Object.entries(p.parts).slice(0, n).map(([k, v]) => `${k} ${v}`).join(", ");
    const median = xs => {
        const sorted = [...xs].sort((a, b) => a - b);
        const mid = sorted.length >> 1;
        return sorted.length % 2 ? sorted[mid] : round((sorted[mid - 1] + sorted[mid]) / 2);
    };
    for (const s of results.scenarios) {
        const rows = s.runs.map(r => r.rowsWork);
        console.log(`N=${s.n}, medians of ${s.runs.length}: own ${median(s.runs.map(r => r.own))} ms, ` +
            `main-thread CPU ${median(s.runs.map(r => r.ownByFrame.cpuMs))} ms, the page's ` +
            `${median(s.runs.map(r => r.ownPageWork.cpuMs))} ms; first watch message → all rows' data: ` +
            `wall ${median(rows.map(w => w.wallMs))}, the page's CPU ${median(rows.map(w => w.cpuMs))}`);
    }
    for (const s of results.scenarios) {
        console.log(`\n=== ${s.n} VMs (load ${s.load.map(x => x.toFixed(1)).join("→")}) ===`);
        for (const r of s.runs) {
            console.log(`own ${r.own} ms (first screen ${r.firstScreen}; shell before it ${r.shell}); ` +
                `main-thread CPU ${r.ownByFrame.cpuMs} ms: ${parts(r.ownByFrame)}`);
            console.log(`  the page's own work: ${parts(r.ownPageWork, 12)}`);
            for (const [name, p] of Object.entries(r.phasesByFrame)) {
                console.log(`  ${name}: wall ${p.wallMs}, CPU ${p.cpuMs}: ${parts(p)}`);
                console.log(`      page: ${parts(r.phasesPageWork[name], 6)}`);
            }
        }
    }
}

/** --from DIR: the traces of an earlier --keep, analysed again. */
function fromKept(dir) {
    const scenarios = new Map();
    for (const file of readdirSync(dir).filter(f => /^trace-\d+-\d+\.json$/.test(f)).sort()) {
        const n = Number(file.split("-")[1]);
        const { traceEvents, ...rest } = JSON.parse(readFileSync(path.join(dir, file), "utf8"));
        if (!scenarios.has(n))
            scenarios.set(n, { n, load: [], runs: [] });
        scenarios.get(n).runs.push(analyse({ events: traceEvents, ...rest }));
    }
    report({ scenarios: [...scenarios.values()] });
}

async function main() {
    if (opts.from)
        return fromKept(opts.from);
    if (process.getuid() !== 0)
        throw new Error("run as root");
    const keep = opts.keep ? path.resolve(opts.keep) : null;
    if (keep)
        mkdirSync(keep, { recursive: true });

    const browser = await chromium.launch({ executablePath: process.env.CVIRT_CHROMIUM ?? "/usr/bin/chromium",
        headless: true, args: BROWSER_ARGS });
    const results = { date: new Date().toISOString(), runs: opts.runs, scenarios: [] };
    try {
        for (const n of opts.n.split(",").map(Number)) {
            const uri = testNode(n);
            const ws = await startCockpitWs({ env: { ...HELPER_ENV, ...opts.preload === "0" ? noPreload() : {} } });
            const res = { n, uri, load: [os.loadavg()[0]], runs: [] };
            try {
                await tracedRun(browser, ws, n, uri); // warm-up: the helper is running and connected afterwards
                for (let r = 0; r < opts.runs; r++) {
                    const run = await tracedRun(browser, ws, n, uri);
                    if (keep)
                        writeFileSync(path.join(keep, `trace-${n}-${r + 1}.json`), JSON.stringify({ traceEvents: run.events, probe: run.probe, breakdown: run.breakdown, topOrigin: run.topOrigin }));
                    const a = analyse(run);
                    res.runs.push(a);
                    log(`n=${n} run ${r + 1}: own ${a.own} ms, CPU ${a.ownByFrame.cpuMs} ms, of it the page's ${a.ownPageWork.cpuMs}`);
                }
            } finally {
                await ws.stop();
            }
            res.load.push(os.loadavg()[0]);
            results.scenarios.push(res);
        }
    } finally {
        await browser.close();

        mkdirSync(path.dirname(opts.out), { recursive: true });
        writeFileSync(opts.out, JSON.stringify(results, null, 2));
    }
    report(results);
}

main().catch(e => { console.error(e); process.exit(1) });
