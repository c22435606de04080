#!/usr/bin/env node
// SPDX-License-Identifier: LGPL-2.1-or-later
// Browser benchmarks of issue 4 (items 3 and 4), run as root:
//
//   node bench/browser/run.mjs [--scenarios running50,defined200,event200,defined1000,event1000,test1000,test10000] [--runs 3]
//                              [--events 20] [--out .cache/bench/browser.json]
//
// 3. Navigation to all rows, our page and cockpit-machines side by side on one cockpit-ws (--local-session, as
//    root), alternating, a fresh browser context per run. Ours: from page.goto() until the list's data-loaded="true"
//    and the count text ("N VMs") shows at least the number of cvbrow- VMs (it counts every VM on the connection).
//    cockpit-machines (bench/browser/machines-side.mjs: Debian's 332 unpacked, libvirt-dbus on a private system bus
//    for this cockpit-ws only, nothing installed): until the rows `tr[data-row-id^="vm-cvbrow-"]`
//    number N, or 60 s ("did not finish").
//    test<N>: ours alone on a libvirt test:/// node file with N domains (bench/domains.py; a third shut off): how
//    the page scales past what a shared libvirtd should hold for a benchmark (cockpit-machines cannot open
//    test:/// URIs, and stops loading at about 100 VMs anyway).
// 4. Event to screen: with the list filtered to one running cvbrow- VM, `virsh suspend` it; time from just before
//    spawning virsh to the moment (a MutationObserver in the page, Date.now() on both sides) its row gets
//    data-vm-state="paused"; resume between runs.
//
// Creates only domains named cvbrow-*, on qemu:///system, and removes them on exit (also on error or Ctrl-C).

import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os, { tmpdir } from "node:os";
import path from "node:path";

import { chromium } from "playwright-core";

import { REPO } from "../../tests/harness/bridge.mjs";

import { startMachinesSide } from "./machines-side.mjs";
import { URI, allDomainCount, benchVms, virsh } from "./vms.mjs";

const PREFIX = "cvbrow-";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"];
const MACHINES_TIMEOUT = 60000;

const opts = { scenarios: "running50,defined200,event200,defined1000,event1000", runs: 3, events: 20,
    out: path.join(REPO, ".cache/bench/browser.json") };
for (let i = 2; i < process.argv.length; i += 2)
    opts[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
opts.runs = Number(opts.runs);
opts.events = Number(opts.events);

const tmp = mkdtempSync(path.join(tmpdir(), "cvbrow-"));
const log = (...a) => console.error(new Date().toISOString().slice(11, 19), ...a);

// ---- libvirt -------------------------------------------------------------------------------------------------

const vms = benchVms(PREFIX, tmp);
const { vmName, defineRange, startRange, removeAll } = vms;
const ourDomains = vms.ours;

// ---- measurements --------------------------------------------------------------------------------------------

let browser;
let ws;
let side;

async function newPage(uri = URI) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript(uri => {
        localStorage.setItem("virt:connections", JSON.stringify([uri]));
        localStorage.setItem("shell:style", "light");
        // cockpit-machines' "Hardware virtualization is disabled" screen (no usable /dev/kvm here): its Ignore
        // button stores this; without it the list never shows.
        localStorage.setItem("virtualization-disabled-ignored", "true");
    }, uri);
    const page = await context.newPage();
    return { context, page };
}

async function measureOurs(n, uri = URI) {
    const { context, page } = await newPage(uri);
    try {
        const t0 = Date.now();
        await page.goto(ws.pageUrl);
        const end = await page.waitForFunction(n => {
            const list = document.querySelector('.virt-vm-list[data-loaded="true"]');
            const count = document.querySelector(".virt-list-count");
            const m = count && /^(\d+) VMs?$/.exec(count.textContent.trim().replace(/,/g, ""));
            return list && m && Number(m[1]) >= n ? { t: Date.now(), total: Number(m[1]) } : false;
        }, n, { polling: "raf", timeout: 30000 });
        const { t, total } = await end.jsonValue();
        // Where the time went: the page's own load (DOMContentLoaded, on the same wall clock) and the rest.
        const dcl = await page.evaluate(() => performance.timing.domContentLoadedEventEnd);
        return { ms: t - t0, total, domContentLoadedMs: dcl - t0 };
    } catch (e) {
        return { ms: null, error: e.message.split("\n")[0] };
    } finally {
        await context.close();
    }
}

async function measureMachines(n) {
    const { context, page } = await newPage();
    try {
        const t0 = Date.now();
        await page.goto(`${ws.base}/cockpit/@localhost/machines/index.html`);
        const end = await page.waitForFunction(n => {
            const rows = document.querySelectorAll('tbody tr[data-row-id^="vm-cvbrow-"]').length;
            return rows >= n ? { t: Date.now(), rows } : false;
        }, n, { polling: "raf", timeout: MACHINES_TIMEOUT });
        const { t, rows } = await end.jsonValue();
        const dcl = await page.evaluate(() => performance.timing.domContentLoadedEventEnd);
        return { ms: t - t0, rows, domContentLoadedMs: dcl - t0 };
    } catch {
        const rows = await page.evaluate(() => ({
            ours: document.querySelectorAll('tbody tr[data-row-id^="vm-cvbrow-"]').length,
            all: document.querySelectorAll('tbody tr[data-row-id^="vm-"]').length,
        })).catch(() => null);
        return { ms: null, error: "did not finish in 60 s", rows };
    } finally {
        await context.close();
    }
}

const median = xs => {
    const s = xs.filter(x => x !== null).sort((a, b) => a - b);
    if (!s.length)
        return null;
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const p95 = xs => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.ceil(0.95 * s.length) - 1)];
};

/** Our page alone on a test:/// node file of n domains. */
async function testDriverNavigation(n) {
    const file = path.join(REPO, `.cache/bench/browser-node-${n}.xml`);
    const uri = execFileSync("python3", ["-c", "import sys, domains; print(domains.write_test_node(sys.argv[1], int(sys.argv[2])))",
        file, String(n)], { cwd: path.join(REPO, "bench"), encoding: "utf8" }).trim();
    await measureOurs(n, uri); // unrecorded warm-up
    const res = { scenario: `${n} on test:///`, n, uri, loadBefore: os.loadavg()[0], ours: [] };
    for (let r = 0; r < opts.runs; r++) {
        const m = await measureOurs(n, uri);
        res.ours.push(m);
        log(res.scenario, `run ${r + 1}:`, JSON.stringify(m));
    }
    res.loadAfter = os.loadavg()[0];
    res.oursMedian = median(res.ours.map(m => m.ms));
    log(res.scenario, "median: ours", res.oursMedian);
    return res;
}

async function navigation(label, n) {
    const load = os.loadavg()[0];
    const res = { scenario: label, n, domainsOnHost: allDomainCount(), loadBefore: load, ours: [], machines: [] };
    for (let r = 0; r < opts.runs; r++) {
        // Alternate which page goes first.
        const order = r % 2 ? ["machines", "ours"] : ["ours", "machines"];
        for (const which of order) {
            const m = which === "ours" ? await measureOurs(n) : await measureMachines(n);
            res[which].push(m);
            log(label, which, `run ${r + 1}:`, JSON.stringify(m));
        }
    }
    res.loadAfter = os.loadavg()[0];
    res.oursMedian = median(res.ours.map(m => m.ms));
    const mach = res.machines.map(m => m.ms);
    res.machinesFinished = mach.filter(x => x !== null).length;
    res.machinesMedian = res.machinesFinished === mach.length ? median(mach) : null;
    log(label, "medians: ours", res.oursMedian, "machines", res.machinesMedian ?? "did not finish");
    return res;
}

async function eventToScreen(label, name) {
    const { context, page } = await newPage();
    const res = { scenario: label, vm: name, domainsOnHost: allDomainCount(), loadBefore: os.loadavg()[0],
        ms: [], virshMs: [] };
    try {
        await page.goto(ws.pageUrl);
        await page.locator('.virt-vm-list[data-loaded="true"]').waitFor({ state: "attached", timeout: 30000 });
        await page.getByRole("textbox", { name: "Filter by name" }).fill(name);
        const row = `tr[data-vm-name="${name}"]`;
        await page.locator(`${row}[data-vm-state="running"]`).waitFor({ timeout: 20000 });
        for (let i = 0; i < opts.events; i++) {
            await page.evaluate(sel => {
                window.__cvbrowT = null;
                const check = () => {
                    if (window.__cvbrowT === null && document.querySelector(sel)) {
                        window.__cvbrowT = Date.now();
                        window.__cvbrowObs.disconnect();
                    }
                };
                window.__cvbrowObs = new MutationObserver(check);
                window.__cvbrowObs.observe(document.body, { subtree: true, attributes: true, childList: true });
            }, `${row}[data-vm-state="paused"]`);
            const t0 = Date.now();
            const done = new Promise(resolve => spawn("virsh", ["-q", "-c", URI, "suspend", name], { stdio: "ignore" })
                .on("exit", () => resolve(Date.now())));
            await page.waitForFunction(() => window.__cvbrowT !== null, null, { polling: 5, timeout: 20000 });
            const t1 = await page.evaluate(() => window.__cvbrowT);
            const tv = await done;
            res.ms.push(t1 - t0);
            res.virshMs.push(tv - t0);
            virsh("resume", name);
            await page.locator(`${row}[data-vm-state="running"]`).waitFor({ timeout: 20000 });
            await new Promise(resolve => setTimeout(resolve, 300));
        }
    } finally {
        await context.close();
    }
    res.loadAfter = os.loadavg()[0];
    res.median = median(res.ms);
    res.p95 = p95(res.ms);
    res.virshMedian = median(res.virshMs);
    log(label, "event to screen ms:", res.ms.join(" "), "median", res.median, "p95", res.p95);
    return res;
}

// ---- main ----------------------------------------------------------------------------------------------------

let cleaned = false;
function cleanup() {
    if (cleaned)
        return;
    cleaned = true;
    try { removeAll() } catch (e) { log("cleanup:", e.message) }
    rmSync(tmp, { recursive: true, force: true });
}
for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143]])
    process.on(sig, () => {
        cleanup();
        Promise.resolve(ws?.stop()).finally(() => process.exit(code));
    });
process.on("exit", cleanup);

async function main() {
    if (process.getuid() !== 0)
        throw new Error("run as root");
    const scenarios = opts.scenarios.split(",");
    const results = { date: new Date().toISOString(), nproc: os.cpus().length, kernel: os.release(),
        commit: execFileSync("git", ["-C", REPO, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim(),
        runs: opts.runs, scenarios: [] };
    const save = () => {
        mkdirSync(path.dirname(opts.out), { recursive: true });
        writeFileSync(opts.out, JSON.stringify(results, null, 2));
    };
    removeAll();
    side = await startMachinesSide();
    ({ ws } = side);
    browser = await chromium.launch({ executablePath: process.env.CVIRT_CHROMIUM ?? "/usr/bin/chromium",
        headless: true, args: ARGS });
    try {
        let defined = 0;
        for (const s of scenarios) {
            if (s.startsWith("test")) {
                const n = Number(s.slice("test".length));
                results.scenarios.push(await testDriverNavigation(n));
            } else if (s === "running50") {
                removeAll(); defined = 0;
                defineRange(0, 50); defined = 50;
                startRange(0, 50);
                log("started 50, waiting 20 s");
                await new Promise(resolve => setTimeout(resolve, 20000));
                // One unrecorded warm-up of each page (activates libvirt-dbus, fills caches).
                await measureOurs(50); await measureMachines(50);
                results.scenarios.push(await navigation("50 running", 50));
            } else if (s.startsWith("defined")) {
                const n = Number(s.slice("defined".length));
                if (defined > n || defined === 50) {
                    removeAll(); defined = 0;
                }
                defineRange(defined, n); defined = n;
                const running = ourDomains().length && virsh("list", "--name").split("\n")
                    .filter(x => x.trim().startsWith(PREFIX)).length;
                results.scenarios.push(await navigation(`${n} defined${running ? ` (${running} of them running)` : ""}`, n));
            } else if (s.startsWith("event")) {
                const n = Number(s.slice("event".length));
                if (defined < n) {
                    defineRange(defined, n); defined = n;
                }
                const runningNow = virsh("list", "--name").split("\n").map(x => x.trim()).filter(x => x.startsWith(PREFIX));
                if (runningNow.length < 3) {
                    startRange(0, 3);
                    log("started 3, waiting 10 s");
                    await new Promise(resolve => setTimeout(resolve, 10000));
                }
                results.scenarios.push({ event: true, n, ...await eventToScreen(`event, ${n} defined, 3 running`, vmName(1)) });
            }
            save();
        }
    } finally {
        await browser.close();
        await side.stop();
        cleanup();
        save();
    }
    console.log(JSON.stringify(results, null, 2));
}

main().catch(e => { console.error(e); cleanup(); process.exit(1) });
