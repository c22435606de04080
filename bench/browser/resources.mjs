#!/usr/bin/env node
// SPDX-License-Identifier: LGPL-2.1-or-later
// Storage pools and networks pages (issue 15), ours and cockpit-machines' side by side on one cockpit-ws, as root:
//
//   node bench/browser/resources.mjs [--pools 50] [--volumes 200] [--networks 50] [--started 25] [--runs 3]
//                                    [--scenarios storage,networks] [--timeout 60000] [--out .cache/bench/resources.json]
//                                    [--warmup 1]
//
// Makes `pools` transient dir pools cvtest-bench-pool-NN on a private tmpfs, each holding `volumes` sparse 1 MiB files
// (made as files before the pool starts, so libvirt finds them at its first scan), and `networks` persistent isolated
// networks cvtest-bench-net-NN, each with its own subnet 172.29.NN.0/24, no DHCP and DNS off (so no dnsmasq), of
// which the first `started` are started (a bridge each) and the rest only defined. Then, alternating which page goes
// first, a fresh browser context per run:
//   storage:  navigation to the pools page until every cvtest-bench-pool row is on screen. cockpit-machines lists
//             every pool's volumes while it loads them; ours lists a pool's volumes when its row opens, so ours also
//             reports "open one pool → all its volume rows".
//   networks: navigation to the networks page until every cvtest-bench-net row is on screen.
// --warmup 0 skips the unrecorded warm-up of each page (a cockpit-machines page that never shows every row costs the
// whole --timeout each time).
// Rows are counted by their text (a table row naming a cvtest-bench- object), the same test for both pages. The
// cvtest- prefix means a killed run's leftovers are also removed by the test suites' cleanupTestObjects().
// cockpit-machines is the start-up benchmark's (bench/browser/machines-side.mjs): Debian's 332 unpacked, with
// libvirt-dbus on a private system bus for this cockpit-ws only; nothing is installed. Our page is served by the same
// cockpit-ws (it uses no system bus). Everything is removed on exit, also on error.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import os, { tmpdir } from "node:os";
import path from "node:path";

import { chromium } from "playwright-core";

import { REPO } from "../../tests/harness/bridge.mjs";

import { startMachinesSide } from "./machines-side.mjs";

const URI = "qemu:///system";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"];
const opts = { pools: 50, volumes: 200, networks: 50, started: 25, runs: 3, scenarios: "storage,networks", timeout: 60000,
    warmup: 1, out: path.join(REPO, ".cache/bench/resources.json") };
for (let i = 2; i < process.argv.length; i += 2)
    opts[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
for (const k of ["pools", "volumes", "networks", "started", "runs", "timeout", "warmup"])
    opts[k] = Number(opts[k]);
const TIMEOUT = opts.timeout;
const scenarios = opts.scenarios.split(",");

const tmp = mkdtempSync(path.join(tmpdir(), "cvbrow-res-"));
const poolRoot = path.join(tmp, "pools");
const log = (...a) => console.error(new Date().toISOString().slice(11, 19), ...a);
const pad = i => String(i).padStart(2, "0");
const PREFIX = "cvtest-bench-";
const poolName = i => `${PREFIX}pool-${pad(i)}`;
const netName = i => `${PREFIX}net-${pad(i)}`;

function virshBatch(lines) {
    if (!lines.length)
        return;
    const r = spawnSync("virsh", ["-q", "-c", URI], { input: lines.join("\n") + "\n", encoding: "utf8", maxBuffer: 64 << 20 });
    if (r.status !== 0)
        log("virsh batch:", r.stderr.trim().split("\n").slice(0, 3).join(" | "));
}

function names(kind) {
    const out = execFileSync("virsh", ["-q", "-c", URI, `${kind}-list`, "--all", "--name"], { encoding: "utf8" });
    return out.split("\n").map(s => s.trim()).filter(n => n.startsWith(PREFIX));
}

function setup() {
    mkdirSync(poolRoot);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=256m,mode=0755", "cvbrow-pools", poolRoot]);
    const lines = [];
    let t = Date.now();
    for (let i = 0; i < opts.pools; i++) {
        const dir = path.join(poolRoot, pad(i));
        mkdirSync(dir);
        for (let v = 0; v < opts.volumes; v++) {
            writeFileSync(path.join(dir, `vol-${String(v).padStart(3, "0")}.img`), "");
            truncateSync(path.join(dir, `vol-${String(v).padStart(3, "0")}.img`), 1 << 20);
        }
        lines.push(`pool-create-as ${poolName(i)} dir --target ${dir}`);
    }
    virshBatch(lines);
    log(`${opts.pools} pools × ${opts.volumes} volumes in ${Date.now() - t} ms`);
    t = Date.now();
    const nets = [];
    for (let i = 0; i < opts.networks; i++) {
        const file = path.join(tmp, `${netName(i)}.xml`);
        writeFileSync(file, `<network><name>${netName(i)}</name><bridge name='cvtbnet${pad(i)}'/><dns enable='no'/>` +
            `<ip address='172.29.${i}.1' netmask='255.255.255.0'/></network>\n`);
        nets.push(`net-define ${file}`);
        if (i < opts.started)
            nets.push(`net-start ${netName(i)}`);
    }
    virshBatch(nets);
    log(`${opts.networks} networks (${Math.min(opts.started, opts.networks)} started) in ${Date.now() - t} ms`);
}

let cleaned = false;
function cleanup() {
    if (cleaned)
        return;
    cleaned = true;
    try {
        // One virsh per object: a batch stops being read when one command hangs or virsh is interrupted.
        for (const kind of ["pool", "net"])
            for (const n of names(kind))
                for (const verb of ["destroy", "undefine"])
                    spawnSync("virsh", ["-q", "-c", URI, `${kind}-${verb}`, n], { stdio: "ignore", timeout: 30000 });
    } catch (e) {
        log("cleanup:", e.message);
    }
    spawnSync("umount", [poolRoot]);
    rmSync(tmp, { recursive: true, force: true });
}
for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143]])
    process.on(sig, () => { cleanup(); process.exit(code) });
process.on("exit", cleanup);

let browser;

/** Table rows naming an object that starts with `prefix`, counted the same way on both pages (runs in the page). */
const countRows = prefix => [...document.querySelectorAll("tbody tr")].filter(tr => tr.textContent.includes(prefix)).length;

async function timeToRows(url, prefix, n) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript(uri => {
        localStorage.setItem("virt:connections", JSON.stringify([uri]));
        localStorage.setItem("shell:style", "light");
        localStorage.setItem("virtualization-disabled-ignored", "true");
    }, URI);
    const page = await context.newPage();
    // cockpit-machines reports a failed or timed-out libvirt-dbus call only as a console warning, and drops its row.
    const warnings = [];
    page.on("console", m => {
        if (m.type() === "warning" || m.type() === "error")
            warnings.push(m.location()?.url ? `${m.text()} (${m.location().url})` : m.text());
    });
    const warned = () => warnings.length
        ? { warnings: warnings.length, someWarnings: [...new Set(warnings.map(w => w.slice(0, 200)))].slice(0, 5) } : {};
    const t0 = Date.now();
    try {
        await page.goto(url);
        const end = await page.waitForFunction(([prefix, n]) => {
            const rows = [...document.querySelectorAll("tbody tr")].filter(tr => tr.textContent.includes(prefix)).length;
            // when the count last changed, for a page that never shows them all
            const seen = window.__rowsSeen ??= [];
            if (rows !== (seen.at(-1)?.rows ?? 0))
                seen.push({ t: Date.now(), rows });
            return rows >= n ? { t: Date.now(), rows } : false;
        }, [prefix, n], { polling: "raf", timeout: TIMEOUT });
        const { t, rows } = await end.jsonValue();
        const firstRows = await page.evaluate(() => window.__rowsSeen?.[0]?.t);
        const result = { ms: t - t0, rows, firstRowMs: firstRows - t0 };
        if (url.includes("/virt/") && prefix === `${PREFIX}pool-`) {
            // Ours lists volumes when a pool opens: time that too.
            const t1 = Date.now();
            await page.locator(`tr[data-pool="${poolName(0)}"]`).getByRole("button", { name: "Details" }).click();
            await page.locator(`[data-volumes="${poolName(0)}"] tr[data-volume]`).nth(opts.volumes - 1)
                    .waitFor({ state: "attached", timeout: TIMEOUT });
            result.openPoolMs = Date.now() - t1;
        }
        return { ...result, ...warned() };
    } catch (e) {
        const rows = await page.evaluate(countRows, prefix).catch(() => null);
        // how many rows it had shown by when (ms after navigation)
        const seen = await page.evaluate(() => window.__rowsSeen ?? []).catch(() => []);
        const rowsBy = seen.map(({ t, rows }) => [t - t0, rows]).slice(-5);
        return { ms: null, error: e.message.split("\n")[0], rows, rowsBy, ...warned() };
    } finally {
        await context.close();
    }
}

const median = xs => {
    const s = xs.filter(x => x !== null && x !== undefined).sort((a, b) => a - b);
    if (!s.length)
        return null;
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function sideBySide(label, ours, machines, prefix, n) {
    const res = { scenario: label, n, loadBefore: os.loadavg()[0], ours: [], machines: [] };
    // One unrecorded warm-up of each (libvirt-dbus activation, caches).
    if (opts.warmup) {
        await timeToRows(ours, prefix, n);
        await timeToRows(machines, prefix, n);
    }
    for (let r = 0; r < opts.runs; r++) {
        const order = r % 2 ? ["machines", "ours"] : ["ours", "machines"];
        for (const which of order) {
            const m = await timeToRows(which === "ours" ? ours : machines, prefix, n);
            res[which].push(m);
            log(label, which, `run ${r + 1}:`, JSON.stringify(m));
        }
    }
    res.loadAfter = os.loadavg()[0];
    res.oursMedian = median(res.ours.map(m => m.ms));
    res.oursOpenPoolMedian = median(res.ours.map(m => m.openPoolMs));
    const mach = res.machines.map(m => m.ms);
    res.machinesMedian = mach.every(x => x !== null) ? median(mach) : null;
    log(label, "medians: ours", res.oursMedian, "machines", res.machinesMedian ?? "did not finish");
    return res;
}

async function main() {
    if (process.getuid() !== 0)
        throw new Error("run as root");
    const results = { date: new Date().toISOString(), nproc: os.cpus().length, kernel: os.release(),
        commit: execFileSync("git", ["-C", REPO, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim(),
        ...opts, scenarios: [] };
    cleanupStale();
    setup();
    const side = await startMachinesSide();
    const { ws } = side;
    try {
        browser = await chromium.launch({ executablePath: process.env.CVIRT_CHROMIUM ?? "/usr/bin/chromium", headless: true,
            args: ARGS });
        const machines = `${ws.base}/cockpit/@localhost/machines/index.html`;
        if (scenarios.includes("storage"))
            results.scenarios.push(await sideBySide(`storage: ${opts.pools} pools × ${opts.volumes} volumes`,
                                                    ws.pageUrl + "#/storage", machines + "#/storages", `${PREFIX}pool-`, opts.pools));
        if (scenarios.includes("networks"))
            results.scenarios.push(await sideBySide(`networks: ${opts.networks}`,
                                                    ws.pageUrl + "#/networks", machines + "#/networks", `${PREFIX}net-`, opts.networks));
    } finally {
        await browser?.close();
        await side.stop();
        mkdirSync(path.dirname(opts.out), { recursive: true });
        writeFileSync(opts.out, JSON.stringify(results, null, 2));
    }
    console.log(JSON.stringify(results, null, 2));
}

/** Objects a killed earlier run left. */
function cleanupStale() {
    virshBatch(["pool", "net"].flatMap(kind => names(kind).flatMap(n => [`${kind}-destroy ${n}`, `${kind}-undefine ${n}`])));
}

main().catch(e => { console.error(e); cleanup(); process.exit(1) });
