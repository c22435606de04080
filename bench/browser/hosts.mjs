#!/usr/bin/env node
// SPDX-License-Identifier: LGPL-2.1-or-later
// Many hosts in one list (issue 18), as root:
//
//   node bench/browser/hosts.mjs [--vms 1000] [--runs 5] [--scenarios healthy,stopped,frozen] [--timeout 45000]
//                                [--frozen-runs 3] [--frozen-timeout 20000] [--out .cache/bench/hosts.json]
//
// Three hosts: the machine's own libvirtd (qemu:///system) and two more made by tests/lib/second-host.sh
// (cvtest-bench-h2 and -h3: libvirtd in its own mount/UTS namespace, qemu+tcp://127.0.0.12/system and .13), each
// with `vms` shut-off domains cvtest-bench-vm-NNNN (32 MiB, no disk) defined by one virsh batch. The helper's URI
// allow-list takes qemu+tcp:// but not test+tcp://, so the remote VMs are real qemu-driver definitions, not test
// driver ones; none runs. The two remote hosts are saved through the helper's op `connections` (action `add`) in a
// throw-away HOME given to cockpit-ws, the bridge and the helper; the page then watches qemu:///system and both saved
// connections, as it does for a user with two saved hosts.
//
// Each run starts a new cockpit-ws (so a new bridge and helper: nothing connected yet, "fresh"), navigates once,
// then navigates again in a new browser context of the same ws (the helper's hubs still connected, "warm"). A
// recorder installed before the page's own scripts notes, every animation frame, when the list's count text
// ("N VMs", every VM of every connection; the list renders only visible rows) first reaches each mark and when the
// list says data-loaded="true" (every connection synced or given up: unreachable, access denied).
// Scenarios:
//   healthy:  all three hosts answer. Marks: the reachable VMs (all 3 × vms and the machine's other VMs).
//   stopped:  cvtest-bench-h3's libvirtd stopped (tests/lib/host-libvirtd.sh stop): its port is closed.
//   frozen:   cvtest-bench-h3's libvirtd stopped with SIGSTOP: the kernel still accepts TCP connections on its
//             port, nothing answers (a hung or overloaded host). SIGCONT after each navigation pair.
// Marks for stopped/frozen: the two healthy hosts' VMs, and data-loaded (when the slow host is given up).
// Everything (domains, hosts, HOME) is removed on exit, also on error or Ctrl-C.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os, { tmpdir } from "node:os";
import path from "node:path";

import { chromium } from "playwright-core";

import { REPO } from "../../tests/harness/bridge.mjs";
import { startCockpitWs } from "../../tests/harness/cockpit-ws.mjs";
import { saveConnections } from "./saved-hosts.mjs";

const LOCAL = "qemu:///system";
const PREFIX = "cvtest-bench-vm-";
const HOSTS = [{ name: "cvtest-bench-h2", address: "127.0.0.12" }, { name: "cvtest-bench-h3", address: "127.0.0.13" }];
const SLOW = HOSTS[1];
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"];

const opts = { vms: 1000, runs: 5, frozenRuns: 3, scenarios: "healthy,stopped,frozen", timeout: 45000, frozenTimeout: 20000,
    out: path.join(REPO, ".cache/bench/hosts.json") };
for (let i = 2; i < process.argv.length; i += 2)
    opts[process.argv[i].replace(/^--/, "").replace(/-(\w)/g, (_, c) => c.toUpperCase())] = process.argv[i + 1];
for (const k of ["vms", "runs", "frozenRuns", "timeout", "frozenTimeout"])
    opts[k] = Number(opts[k]);

const tmp = mkdtempSync(path.join(tmpdir(), "cvtest-bench-hosts-"));
const home = path.join(tmp, "home");
const log = (...a) => console.error(new Date().toISOString().slice(11, 19), ...a);
const vmName = i => `${PREFIX}${String(i).padStart(4, "0")}`;
const hostUri = h => `qemu+tcp://${h.address}/system`;
const secondHost = (...args) => execFileSync(path.join(REPO, "tests/lib/second-host.sh"), args, { encoding: "utf8" });
const hostLibvirtd = (action, h) =>
    execFileSync(path.join(REPO, "tests/lib/host-libvirtd.sh"), [action, h.name], { stdio: ["ignore", "ignore", "inherit"] });
const libvirtdPid = h => Number(readFileSync(`/run/cvtest-hosts/${h.name}/libvirtd.pid`, "utf8").trim());

function virshBatch(uri, lines) {
    if (!lines.length)
        return;
    const r = spawnSync("virsh", ["-q", "-c", uri], { input: lines.join("\n") + "\n", encoding: "utf8", maxBuffer: 64 << 20 });
    if (r.status !== 0)
        log(`virsh ${uri}:`, r.stderr.trim().split("\n").slice(0, 3).join(" | "));
}

function domains(uri) {
    return execFileSync("virsh", ["-q", "-c", uri, "list", "--all", "--name"], { encoding: "utf8" })
        .split("\n").map(s => s.trim()).filter(Boolean);
}

function defineVms(uri) {
    const dir = path.join(tmp, "xml");
    mkdirSync(dir, { recursive: true });
    const lines = [];
    for (let i = 0; i < opts.vms; i++) {
        const file = path.join(dir, `${vmName(i)}.xml`);
        writeFileSync(file, `<domain type='qemu'><name>${vmName(i)}</name><memory unit='MiB'>32</memory>` +
            "<vcpu>1</vcpu>\n<os><type arch='x86_64' machine='pc'>hvm</type></os></domain>\n");
        lines.push(`define ${file}`);
    }
    const t = Date.now();
    virshBatch(uri, lines);
    log(`${uri}: defined ${opts.vms} domains in ${Date.now() - t} ms`);
}

function removeLocalVms() {
    const names = domains(LOCAL).filter(n => n.startsWith(PREFIX));
    virshBatch(LOCAL, names.map(n => `undefine ${n}`));
    if (names.length)
        log(`removed ${names.length} local ${PREFIX} domains`);
}

let cleaned = false;
function cleanup() {
    if (cleaned)
        return;
    cleaned = true;
    for (const h of HOSTS) {
        try {
            process.kill(libvirtdPid(h), "SIGCONT");
        } catch {
            // not running
        }
        spawnSync(path.join(REPO, "tests/lib/second-host.sh"), ["stop", h.name], { stdio: "ignore" });
    }
    try {
        removeLocalVms();
    } catch (e) {
        log("cleanup:", e.message);
    }
    rmSync(tmp, { recursive: true, force: true });
}
for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143]])
    process.on(sig, () => { cleanup(); process.exit(code) });
process.on("exit", cleanup);

const ENV = { HOME: home, XDG_CONFIG_HOME: path.join(home, ".config") };

/** Saves the remote hosts as a user would (saved-hosts.mjs), and logs the file that holds them. */
async function saveHosts() {
    await saveConnections(HOSTS.map(hostUri), ENV);
    log("saved:", readFileSync(path.join(ENV.XDG_CONFIG_HOME, "cockpit-virt/connections.json"), "utf8").trim());
}

let browser;

/**
 * One navigation: page.goto() until every mark ({name, total}) is reached by the count text and the list is
 * data-loaded, or the timeout. The recorder runs in the page from its first script on, every animation frame.
 */
async function navigate(ws, marks, timeout) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript(marks => {
        localStorage.setItem("shell:style", "light");
        const got = { states: {} };
        window.__benchMarks = got;
        const tick = () => {
            const count = document.querySelector(".virt-list-count");
            const m = count && /(\d+) VMs?$/.exec(count.textContent.trim().replace(/,/g, ""));
            const total = m ? Number(m[1]) : 0;
            got.total = total;
            for (const k of marks)
                if (!(k.name in got) && total >= k.total)
                    got[k.name] = Date.now();
            if (!("loaded" in got) && document.querySelector('.virt-vm-list[data-loaded="true"]'))
                got.loaded = Date.now();
            // When each connection first showed each state (its badge or alert).
            for (const el of document.querySelectorAll("[data-connection-state]")) {
                const key = `${el.dataset.connection} ${el.dataset.connectionState}`;
                got.states[key] ??= Date.now();
            }
            if (!marks.every(k => k.name in got) || !("loaded" in got))
                requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
    }, marks);
    const page = await context.newPage();
    try {
        const t0 = Date.now();
        await page.goto(ws.pageUrl);
        const names = [...marks.map(k => k.name), "loaded"];
        let got;
        try {
            got = await (await page.waitForFunction(names => {
                const g = window.__benchMarks;
                return g && names.every(n => n in g) ? g : false;
            }, names, { polling: 100, timeout })).jsonValue();
        } catch {
            got = await page.evaluate(() => window.__benchMarks);
            got.timedOut = true;
        }
        const res = { total: got.total, states: Object.fromEntries(Object.entries(got.states)
            .filter(([k]) => !k.startsWith("qemu:///")).map(([k, t]) => [k.replace(/^qemu\+tcp:\/\/|\/system/g, ""), t - t0])) };
        for (const n of names)
            res[n] = n in got ? got[n] - t0 : null;
        if (got.timedOut)
            res.timedOut = true;
        res.unreachableRows = await page.locator('tr[data-host-unreachable="true"]').count();
        return res;
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

async function scenario(label, marks, { before = () => {}, after = () => {}, runs = opts.runs, timeout = opts.timeout } = {}) {
    const res = { scenario: label, marks, timeout, loadBefore: os.loadavg(), fresh: [], warm: [] };
    for (let r = 0; r < runs; r++) {
        before();
        const ws = await startCockpitWs({ env: ENV });
        try {
            const fresh = await navigate(ws, marks, timeout);
            const warm = await navigate(ws, marks, timeout);
            res.fresh.push(fresh);
            res.warm.push(warm);
            log(label, `run ${r + 1}: fresh`, JSON.stringify(fresh), "warm", JSON.stringify(warm));
        } finally {
            await ws.stop();
            after();
        }
    }
    res.loadAfter = os.loadavg();
    for (const kind of ["fresh", "warm"]) {
        res[`${kind}Median`] = Object.fromEntries([...marks.map(k => k.name), "loaded"]
            .map(n => [n, median(res[kind].map(m => m[n]))]));
    }
    log(label, "medians:", JSON.stringify({ fresh: res.freshMedian, warm: res.warmMedian }));
    return res;
}

async function main() {
    if (process.getuid() !== 0)
        throw new Error("run as root");
    const results = { date: new Date().toISOString(), nproc: os.cpus().length, kernel: os.release(),
        commit: execFileSync("git", ["-C", REPO, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim(),
        ...opts, scenarios: [] };
    removeLocalVms();
    mkdirSync(home, { recursive: true, mode: 0o700 });
    for (const h of HOSTS) {
        secondHost("stop", h.name);
        log(h.name, secondHost("start", h.name, h.address).trim());
        defineVms(hostUri(h));
    }
    defineVms(LOCAL);
    const local = domains(LOCAL).length;
    results.localDomains = local;
    await saveHosts();

    browser = await chromium.launch({ executablePath: process.env.CVIRT_CHROMIUM ?? "/usr/bin/chromium", headless: true,
        args: ARGS });
    try {
        const scenarios = opts.scenarios.split(",");
        const healthyTwo = { name: "twoHosts", total: local + opts.vms };
        if (scenarios.includes("healthy"))
            results.scenarios.push(await scenario(`healthy: 3 hosts × ${opts.vms}`,
                                                  [healthyTwo, { name: "allHosts", total: local + 2 * opts.vms }]));
        if (scenarios.includes("stopped")) {
            hostLibvirtd("stop", SLOW);
            try {
                results.scenarios.push(await scenario(`stopped: ${SLOW.name}'s libvirtd stopped`, [healthyTwo]));
            } finally {
                hostLibvirtd("start", SLOW);
            }
        }
        if (scenarios.includes("frozen")) {
            // Frozen only while navigating: a helper left behind by a run must not keep a hung connection.
            results.scenarios.push(await scenario(`frozen: ${SLOW.name}'s libvirtd SIGSTOPped`, [healthyTwo], {
                before: () => process.kill(libvirtdPid(SLOW), "SIGSTOP"),
                after: () => process.kill(libvirtdPid(SLOW), "SIGCONT"),
                runs: opts.frozenRuns, timeout: opts.frozenTimeout,
            }));
        }
    } finally {
        await browser.close();
        mkdirSync(path.dirname(opts.out), { recursive: true });
        writeFileSync(opts.out, JSON.stringify(results, null, 2));
    }
    console.log(JSON.stringify(results, null, 2));
}

main().catch(e => { console.error(e); cleanup(); process.exit(1) });
