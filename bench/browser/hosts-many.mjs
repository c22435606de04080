#!/usr/bin/env node
// SPDX-License-Identifier: LGPL-2.1-or-later
// Issue 18's scale promise, "20 hosts × 500 VMs in one list stays as fast as 10,000 local VMs", as root:
//
//   node bench/browser/hosts-many.mjs [--hosts 20] [--vms 500] [--runs 5] [--events 10] [--idle 30]
//                                     [--parts nav,event,idle] [--out .cache/bench/hosts-many.json]
//
// Hosts: `hosts` libvirtds made by tests/lib/second-host.sh (cvtest-many-hNN, each in its own mount/UTS namespace,
// qemu+tcp://127.0.1.NN/system), each with `vms` shut-off domains cvtest-many-hNN-NNNN (32 MiB, no disk, the
// qemu driver: the helper's URI allow-list takes qemu+tcp:// but not test+tcp://), saved through op `connections`
// (`add`) in a throw-away HOME that cockpit-ws, the bridge and the helper get. Local: a test:/// node file of
// hosts × vms domains (bench/domains.py, the start-up benchmark's file), given to the page by
// localStorage["virt:connections"].
// nav:   through the shell (`/virt`, the page in its iframe, as users arrive from the menu), alternating local and
//        hosts each run: a new cockpit-ws (new bridge and helper: "fresh"), one navigation, then a second one in a
//        new browser context of the same ws ("warm"). Probe and breakdown of bench/startup-common.mjs: every
//        animation frame, until the list is data-loaded and its count says ≥ N (hosts: N = hosts × vms + the
//        machine's own qemu:///system domains, which the page watches too).
// event: one VM of host 1 running; the list filtered to it; `virsh suspend` through that host's URI → its row
//        says paused (a MutationObserver in the page), resume between; with all hosts in the page, and with that
//        one host only (localStorage override), on the same ws.
// idle:  a page loaded and left alone `idle` seconds: CPU time of the helper, of the rest of the ws session
//        (cockpit-ws, cockpit-bridge), of Chromium (every process), and of the hosts' libvirtds; all hosts vs local.
// Every host is stopped and the HOME removed on exit, also on error or Ctrl-C.

import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os, { tmpdir } from "node:os";
import path from "node:path";

import { chromium } from "playwright-core";

import { REPO } from "../../tests/harness/bridge.mjs";
import { BROWSER_ARGS } from "../../tests/harness/browser.mjs";
import { startCockpitWs } from "../../tests/harness/cockpit-ws.mjs";
import { saveConnections } from "./saved-hosts.mjs";
import { frameBreakdown, helperLog, median, medians, openThroughShell, probe, round, testNode } from "../startup-common.mjs";

const opts = { hosts: 20, vms: 500, runs: 5, events: 10, idle: 30, parts: "nav,event,idle",
    out: path.join(REPO, ".cache/bench/hosts-many.json") };
for (let i = 2; i < process.argv.length; i += 2)
    opts[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
for (const k of ["hosts", "vms", "runs", "events", "idle"])
    opts[k] = Number(opts[k]);
if (!(opts.hosts >= 1 && opts.hosts <= 60))
    throw new Error("--hosts must be 1–60");

const LOCAL = "qemu:///system";
const NAV_TIMEOUT = 60000;
const tmp = mkdtempSync(path.join(tmpdir(), "cvtest-bench-many-"));
const home = path.join(tmp, "home");
// The helper's start-up moments and every hub's "connected" line (info).
const ENV = { HOME: home, XDG_CONFIG_HOME: path.join(home, ".config"),
    CVIRT_LOG: "cockpit_virt_helper::hub::session=info,cockpit_virt_helper::startup=debug" };
const log = (...a) => console.error(new Date().toISOString().slice(11, 23), ...a);
const pad = (n, w) => String(n).padStart(w, "0");
const HOSTS = Array.from({ length: opts.hosts }, (_, i) => ({ name: `cvtest-many-h${pad(i + 1, 2)}`, address: `127.0.1.${i + 1}` }));
const hostUri = h => `qemu+tcp://${h.address}/system`;
const vmName = (h, i) => `${h.name}-${pad(i, 4)}`;
const SECOND_HOST = path.join(REPO, "tests/lib/second-host.sh");

// ---- processes ---------------------------------------------------------------------------------------------------

/** Runs a command to its end within `timeout` ms; its stdout. */
function run(cmd, args, { input, timeout = 60000 } = {}) {
    const r = spawnSync(cmd, args, { input, encoding: "utf8", timeout, killSignal: "SIGKILL", maxBuffer: 64 << 20 });
    if (r.error || r.status !== 0)
        throw new Error(`${cmd} ${args.slice(0, 4).join(" ")}: ${r.error?.message ?? r.stderr.trim().split("\n").slice(0, 3).join(" | ")}`);
    return r.stdout;
}

/** The same, without blocking the event loop (the setup defines on several hosts at once). */
function runAsync(cmd, args, { input, timeout = 120000 } = {}) {
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, { stdio: ["pipe", "ignore", "pipe"] });
        let stderr = "";
        child.stderr.on("data", d => { stderr = (stderr + d).slice(-4000) });
        const timer = setTimeout(() => child.kill("SIGKILL"), timeout);
        child.on("exit", (code, signal) => {
            clearTimeout(timer);
            if (code === 0)
                resolve();
            else
                reject(new Error(`${cmd} ${args.slice(0, 3).join(" ")}: ${signal ?? code}: ${stderr.trim().split("\n").slice(0, 3).join(" | ")}`));
        });
        child.stdin.end(input ?? "");
    });
}

const TICKS = 100; // USER_HZ
/** utime + stime of a process in seconds, null when it is gone. */
function cpuSeconds(pid) {
    try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return (Number(f[11]) + Number(f[12])) / TICKS;
    } catch {
        return null;
    }
}

function rssMiB(pid) {
    try {
        const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
        return m ? Math.round(Number(m[1]) / 102.4) / 10 : null;
    } catch {
        return null;
    }
}

/** pid → ppid and pgid of every process. */
function processTable() {
    const table = new Map();
    for (const entry of readdirSync("/proc")) {
        if (!/^\d+$/.test(entry))
            continue;
        try {
            const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
            const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
            table.set(Number(entry), { ppid: Number(f[1]), pgid: Number(f[2]) });
        } catch {
            // gone
        }
    }
    return table;
}

function descendants(root, table = processTable()) {
    const out = [root];
    for (let i = 0; i < out.length; i++)
        for (const [pid, p] of table)
            if (p.ppid === out[i])
                out.push(pid);
    return out;
}

/** Chromium's processes: this script's descendants called chrom*. */
function chromiumPids(table) {
    return descendants(process.pid, table).filter(pid => {
        try {
            return readFileSync(`/proc/${pid}/comm`, "utf8").startsWith("chrom");
        } catch {
            return false;
        }
    });
}

const hostPid = h => Number(readFileSync(`/run/cvtest-hosts/${h.name}/libvirtd.pid`, "utf8").trim());

// ---- hosts -------------------------------------------------------------------------------------------------------

function domainXml(name) {
    return `<domain type='qemu'><name>${name}</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>` +
        "<os><type arch='x86_64' machine='pc'>hvm</type></os></domain>\n";
}

async function defineVms(h) {
    const dir = path.join(tmp, "xml", h.name);
    mkdirSync(dir, { recursive: true });
    const lines = [];
    for (let i = 0; i < opts.vms; i++) {
        const file = path.join(dir, `${i}.xml`);
        writeFileSync(file, domainXml(vmName(h, i)));
        lines.push(`define ${file}`);
    }
    await runAsync("virsh", ["-q", "-c", hostUri(h)], { input: lines.join("\n") + "\n" });
}

async function startHosts() {
    const t = Date.now();
    for (const h of HOSTS)
        run(SECOND_HOST, ["start", h.name, h.address], { timeout: 90000 });
    const started = Date.now() - t;
    log(`${HOSTS.length} hosts started in ${started} ms`);
    // Three at a time: each define is a round trip, the CPU is shared with the libvirtds.
    const queue = [...HOSTS];
    const t2 = Date.now();
    await Promise.all([0, 1, 2].map(async () => {
        for (let h; (h = queue.shift());)
            await defineVms(h);
    }));
    const defined = Date.now() - t2;
    log(`${HOSTS.length} × ${opts.vms} domains defined in ${defined} ms`);
    return { startMs: started, defineMs: defined };
}

/** Stops every host, all at once (one by one, 20 libvirtds of 500 domains each take minutes to end). */
function stopHosts() {
    const r = spawnSync("bash", ["-c", 'for n in "${@:2}"; do "$1" stop "$n" & done; wait', "stop-hosts", SECOND_HOST,
        ...HOSTS.map(h => h.name)], { stdio: "ignore", timeout: 90000, killSignal: "SIGKILL" });
    if (r.status !== 0)
        log(`cleanup: second-host.sh stop: ${r.error?.message ?? r.status}`);
}

let cleaned = false;
function cleanup() {
    if (cleaned)
        return;
    cleaned = true;
    stopHosts();
    rmSync(tmp, { recursive: true, force: true });
}
for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]])
    process.on(sig, () => { cleanup(); process.exit(code) });
process.on("exit", cleanup);


// ---- measurements ------------------------------------------------------------------------------------------------

let browser;

async function newContext(override) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript(override => {
        if (override)
            localStorage.setItem("virt:connections", JSON.stringify(override));
        localStorage.setItem("shell:style", "light");
    }, override);
    return context;
}


/** One navigation through the shell until all `n` rows' data is shown; times on the iframe's clock. */
async function navigate(ws, override, n) {
    const context = await newContext(override);
    await context.addInitScript(probe, { kind: "ours", n });
    const page = await context.newPage();
    const since = Date.now();
    try {
        const frame = await openThroughShell(page, ws.base, NAV_TIMEOUT);
        const probeResult = await frame.evaluate(() => window.__startup);
        const inner = await frame.evaluate(frameBreakdown);
        const shell = inner.timeOrigin - await page.evaluate(() => performance.timeOrigin);
        // The helper's moments: its start, each hub connected (first, last), each watch's snapshot sent.
        const lines = helperLog(ws.stderr(), since).map(([t, text]) => [t - inner.timeOrigin, text]);
        const times = re => lines.filter(([, text]) => re.test(text)).map(([t]) => t);
        const connected = times(/: connected, \d+ VMs/);
        const snapshots = times(/^watch: snapshot sent/);
        return {
            total: round(shell + probeResult.done), shell: round(shell), own: round(probeResult.done),
            firstScreen: round(probeResult.firstRows),
            marks: Object.fromEntries(Object.entries(inner.marks).map(([k, v]) => [k, round(v)])),
            helper: {
                started: round(times(/^started$/)[0]), hubsConnected: connected.length,
                firstConnected: round(connected.length ? Math.min(...connected) : null),
                lastConnected: round(connected.length ? Math.max(...connected) : null),
                snapshots: snapshots.length, lastSnapshot: round(snapshots.length ? Math.max(...snapshots) : null),
            },
        };
    } catch (e) {
        return { total: null, error: e.message.split("\n")[0] };
    } finally {
        await context.close();
    }
}


function localDomainCount() {
    return run("virsh", ["-q", "-c", LOCAL, "list", "--all", "--name"], { timeout: 30000 })
        .split("\n").filter(s => s.trim()).length;
}

async function navigation(variants) {
    const res = Object.fromEntries(variants.map(v => [v.key, { ...v, fresh: [], warm: [], load: [] }]));
    for (let r = 0; r < opts.runs; r++) {
        const order = r % 2 ? [...variants].reverse() : variants;
        for (const v of order) {
            const out = res[v.key];
            out.load.push(round(os.loadavg()[0]));
            const ws = await startCockpitWs({ env: ENV });
            try {
                const fresh = await navigate(ws, v.override, v.n);
                const warm = await navigate(ws, v.override, v.n);
                out.fresh.push(fresh);
                out.warm.push(warm);
                const brief = m => m.error ?? `total ${m.total} own ${m.own} first ${m.firstScreen} ` +
                    `hubs ${m.helper.hubsConnected} last connected ${m.helper.lastConnected}`;
                log(v.key, `run ${r + 1}: fresh`, brief(fresh), "| warm", brief(warm));
            } finally {
                await ws.stop();
            }
        }
    }
    for (const out of Object.values(res)) {
        out.load.push(round(os.loadavg()[0]));
        for (const kind of ["fresh", "warm"]) {
            out[`${kind}Finished`] = out[kind].filter(m => m.total !== null).length;
            out[`${kind}Median`] = medians(out[kind]);
        }
        log(out.key, "medians: fresh own", out.freshMedian.own, "total", out.freshMedian.total,
            "| warm own", out.warmMedian.own, "total", out.warmMedian.total);
    }
    return Object.values(res);
}

/** Loads the page straight (no shell) and waits for all rows' data. */
async function openList(ws, override, n) {
    const context = await newContext(override);
    const page = await context.newPage();
    await page.goto(ws.pageUrl);
    await page.waitForFunction(n => {
        const list = document.querySelector('.virt-vm-list[data-loaded="true"]');
        const count = document.querySelector(".virt-list-count");
        const m = count && /^(\d+) VMs?$/.exec(count.textContent.trim().replace(/,/g, ""));
        return Boolean(list && m && Number(m[1]) >= n);
    }, n, { polling: 100, timeout: NAV_TIMEOUT });
    return { context, page };
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

/** Event to screen: `virsh suspend` of host 1's running VM → its row says paused. */
async function eventToScreen(ws, label, override, n, h, name) {
    const uri = hostUri(h);
    const { context, page } = await openList(ws, override, n);
    const res = { scenario: label, vm: name, load: [round(os.loadavg()[0])], ms: [], virshMs: [] };
    try {
        await page.getByRole("textbox", { name: "Filter by name" }).fill(name);
        const row = `tr[data-vm-name="${name}"]`;
        await page.locator(`${row}[data-vm-state="running"]`).waitFor({ timeout: 20000 });
        for (let i = 0; i < opts.events; i++) {
            await page.evaluate(sel => {
                window.__benchT = null;
                const obs = new MutationObserver(() => {
                    if (window.__benchT === null && document.querySelector(sel)) {
                        window.__benchT = Date.now();
                        obs.disconnect();
                    }
                });
                obs.observe(document.body, { subtree: true, attributes: true, childList: true });
            }, `${row}[data-vm-state="paused"]`);
            const t0 = Date.now();
            const exited = runAsync("virsh", ["-q", "-c", uri, "suspend", name], { timeout: 20000 }).then(() => Date.now());
            await page.waitForFunction(() => window.__benchT !== null, null, { polling: 5, timeout: 20000 });
            res.ms.push(await page.evaluate(() => window.__benchT) - t0);
            res.virshMs.push(await exited - t0);
            run("virsh", ["-q", "-c", uri, "resume", name], { timeout: 20000 });
            await page.locator(`${row}[data-vm-state="running"]`).waitFor({ timeout: 20000 });
            await sleep(300);
        }
    } finally {
        await context.close();
    }
    res.load.push(round(os.loadavg()[0]));
    const sorted = [...res.ms].sort((a, b) => a - b);
    Object.assign(res, { median: median(res.ms), max: sorted.at(-1), virshMedian: median(res.virshMs) });
    log(label, "event → screen ms:", res.ms.join(" "), "median", res.median, "| virsh exits median", res.virshMedian);
    return res;
}

async function events() {
    const h = HOSTS[0];
    const name = vmName(h, 1);
    run("virsh", ["-q", "-c", hostUri(h), "start", name], { timeout: 60000 });
    const ws = await startCockpitWs({ env: ENV });
    try {
        const all = opts.hosts * opts.vms + localDomainCount();
        // Unrecorded first load: every hub connected before the first event.
        await (await openList(ws, null, all)).context.close();
        return [
            await eventToScreen(ws, `${opts.hosts} hosts in the page`, null, all, h, name),
            await eventToScreen(ws, "that host only in the page", [hostUri(h)], opts.vms, h, name),
        ];
    } finally {
        await ws.stop();
        run("virsh", ["-q", "-c", hostUri(h), "destroy", name], { timeout: 60000 });
    }
}

/** CPU seconds of each group of processes over `idle` seconds with the loaded page left alone. */
async function idleCpu(label, override, n) {
    const ws = await startCockpitWs({ env: ENV });
    try {
        const { context } = await openList(ws, override, n);
        try {
            await sleep(3000); // the first ticks after the snapshot
            const table = processTable();
            const helper = ws.helperPids();
            const wsGroup = [...table].filter(([, p]) => p.pgid === table.get(helper[0])?.pgid).map(([pid]) => pid)
                .filter(pid => !helper.includes(pid));
            const groups = {
                helper, session: wsGroup, chromium: chromiumPids(table),
                libvirtds: override ? [] : HOSTS.map(hostPid),
            };
            const sample = () => Object.fromEntries(Object.entries(groups)
                .map(([k, pids]) => [k, pids.reduce((s, pid) => s + (cpuSeconds(pid) ?? 0), 0)]));
            const before = sample();
            const load = [round(os.loadavg()[0])];
            await sleep(opts.idle * 1000);
            const after = sample();
            load.push(round(os.loadavg()[0]));
            const cpu = Object.fromEntries(Object.keys(groups).map(k => [k, round((after[k] - before[k]) * 100) / 100]));
            const percentOfCore = Object.fromEntries(Object.entries(cpu).map(([k, s]) => [k, round(100 * s / opts.idle)]));
            const rss = { helper: helper.reduce((s, pid) => s + (rssMiB(pid) ?? 0), 0),
                libvirtds: groups.libvirtds.reduce((s, pid) => s + (rssMiB(pid) ?? 0), 0) };
            const res = { scenario: label, seconds: opts.idle, load, cpuSeconds: cpu, percentOfCore, rssMiB: rss,
                processes: Object.fromEntries(Object.entries(groups).map(([k, pids]) => [k, pids.length])) };
            log(label, "idle:", JSON.stringify({ cpu, percentOfCore, rss }));
            return res;
        } finally {
            await context.close();
        }
    } finally {
        await ws.stop();
    }
}

async function main() {
    if (process.getuid() !== 0)
        throw new Error("run as root");
    const parts = opts.parts.split(",");
    const results = {
        date: new Date().toISOString(), nproc: os.cpus().length, kernel: os.release(),
        memTotalMiB: Math.round(os.totalmem() / 1048576), memFreeMiBBefore: Math.round(os.freemem() / 1048576),
        loadBefore: os.loadavg().map(round),
        commit: execFileSync("git", ["-C", REPO, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim(),
        ...opts, nav: [], events: [], idle: [],
    };
    const save = () => {
        mkdirSync(path.dirname(opts.out), { recursive: true });
        writeFileSync(opts.out, JSON.stringify(results, null, 2));
    };
    mkdirSync(home, { recursive: true, mode: 0o700 });
    stopHosts(); // left over by a killed run
    results.setup = await startHosts();
    results.setup.libvirtdRssMiB = round(HOSTS.reduce((s, h) => s + (rssMiB(hostPid(h)) ?? 0), 0));
    results.memFreeMiBAfterSetup = Math.round(os.freemem() / 1048576);
    await saveConnections(HOSTS.map(hostUri), ENV);
    const testUri = testNode(opts.hosts * opts.vms);
    const localOnHost = localDomainCount();
    results.systemDomains = localOnHost;
    log("setup:", JSON.stringify(results.setup), `qemu:///system has ${localOnHost} domains`);

    browser = await chromium.launch({ executablePath: process.env.CVIRT_CHROMIUM ?? "/usr/bin/chromium",
        headless: true, args: BROWSER_ARGS });
    try {
        const total = opts.hosts * opts.vms;
        const local = { key: `local: ${total} on test:///`, override: [testUri], n: total };
        const hosts = { key: `hosts: ${opts.hosts} × ${opts.vms} (+ qemu:///system's ${localOnHost})`, override: null,
            n: total + localOnHost };
        if (parts.includes("nav")) {
            results.nav = await navigation([local, hosts]);
            save();
        }
        if (parts.includes("event")) {
            results.events = await events();
            save();
        }
        if (parts.includes("idle")) {
            results.idle.push(await idleCpu(hosts.key, null, hosts.n));
            results.idle.push(await idleCpu(local.key, local.override, local.n));
        }
    } finally {
        await browser.close();
        results.loadAfter = os.loadavg().map(round);
        save();
    }
    console.log(JSON.stringify({ setup: results.setup, nav: results.nav.map(v => ({ key: v.key, load: v.load,
        fresh: v.freshMedian, warm: v.warmMedian })), events: results.events.map(e => ({ scenario: e.scenario,
        median: e.median, max: e.max })), idle: results.idle }, null, 2));
}

main().catch(e => { console.error(e); cleanup(); process.exit(1) });
