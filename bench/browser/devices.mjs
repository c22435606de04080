#!/usr/bin/env node
// SPDX-License-Identifier: LGPL-2.1-or-later
// Benchmarks of issue 13: the VM page of a VM with 16 disks and 8 interfaces, open → all cards shown; and the
// time from "Add" in the Add disk dialog to the new row.
//
//   node bench/browser/devices.mjs [--runs 10] [--adds 5] [--out .cache/bench/devices.json]
//
// Root, qemu:///system. Defines one shut-off VM `cvbench-devices` (16 raw disks of 1 MiB, vda…vdp, and 8 user-mode
// interfaces) and a directory pool `cvbench-devpool`, and removes both on exit (also on error). One cockpit-ws
// --local-session (one helper, as for one user) and headless Chromium:
// - open → all cards: a new browser context per run (empty cache); from page.goto() of #/vm/system/cvbench-devices
//   until the Disks card has 16 rows whose Size cells hold a number (disk-sizes answered) and the Network
//   interfaces card has 8 rows; polled every animation frame, so at most one frame late.
// - Add → new row: in one page, the Add disk dialog filled (a new 1 MiB qcow2 volume in the pool), then from the
//   click on "Add" (the page's clock, capture phase) until the new row is in the Disks card (a MutationObserver):
//   the op device round trip (volume created, attached to the saved definition), the watch's event and React.

import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { chromium } from "playwright-core";

import { REPO } from "../../tests/harness/bridge.mjs";
import { startCockpitWs } from "../../tests/harness/cockpit-ws.mjs";

const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"];
const opts = { runs: 10, adds: 5, out: path.join(REPO, ".cache/bench/devices.json") };
for (let i = 2; i < process.argv.length; i += 2)
    opts[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
opts.runs = Number(opts.runs);
opts.adds = Number(opts.adds);

const VM = "cvbench-devices";
const POOL = "cvbench-devpool";
const DIR = "/var/lib/libvirt/images/cvbench-devices";
const DISKS = 16;
const NICS = 8;

const log = (...a) => console.error(new Date().toISOString().slice(11, 19), ...a);
const median = xs => { const s = [...xs].sort((a, b) => a - b); return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : null };
const virsh = (...args) => execFileSync("virsh", ["-c", "qemu:///system", ...args], { encoding: "utf8", stdio: "pipe" });
const quiet = fn => { try { fn() } catch { /* not there */ } };

function cleanup() {
    quiet(() => virsh("undefine", VM));
    quiet(() => virsh("pool-destroy", POOL));
    quiet(() => virsh("pool-undefine", POOL));
    rmSync(DIR, { recursive: true, force: true });
}

function defineVm() {
    mkdirSync(path.join(DIR, "pool"), { recursive: true });
    const disks = [];
    for (let i = 0; i < DISKS; i++) {
        const file = path.join(DIR, `disk${i}.raw`);
        execFileSync("qemu-img", ["create", "-q", "-f", "raw", file, "1M"]);
        disks.push(`<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${file}'/>` +
            `<target dev='vd${String.fromCharCode(97 + i)}' bus='virtio'/></disk>`);
    }
    const nics = Array.from({ length: NICS }, (_, i) =>
        `<interface type='user'><mac address='52:54:00:be:00:0${i}'/><model type='virtio'/></interface>`);
    const xml = path.join(DIR, "domain.xml");
    writeFileSync(xml, `<domain type='qemu'><name>${VM}</name><memory unit='MiB'>32</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>${disks.join("")}${nics.join("")}</devices></domain>`);
    virsh("define", xml);
    virsh("pool-define-as", POOL, "dir", "--target", path.join(DIR, "pool"));
    virsh("pool-start", POOL);
}

async function openContext(browser) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    await context.addInitScript(() => {
        localStorage.setItem("virt:connections", JSON.stringify(["qemu:///system"]));
        localStorage.setItem("shell:style", "light");
    });
    return context;
}

/** page.goto() → 16 disk rows with sizes and 8 interface rows, ms on the test's clock. */
async function openToCards(browser, ws) {
    const context = await openContext(browser);
    const page = await context.newPage();
    const t0 = performance.now();
    await page.goto(`${ws.pageUrl}#/vm/system/${VM}`);
    await page.waitForFunction(({ disks, nics }) => {
        const sizes = [...document.querySelectorAll(".virt-card-disks tr[data-target] .virt-disk-size")];
        return sizes.length === disks && sizes.every(td => /\d/.test(td.textContent)) &&
            document.querySelectorAll(".virt-card-interfaces tr[data-mac]").length === nics;
    }, { disks: DISKS, nics: NICS }, { polling: "raf", timeout: 60000 });
    const ms = performance.now() - t0;
    await context.close();
    return ms;
}

/** Add disk dialog filled; click "Add" → the new row `target` is in the card, on the page's clock. */
async function addToRow(page, name, target) {
    await page.locator("#virt-add-disk-button").click();
    const d = page.getByRole("dialog", { name: "Add disk" });
    await d.waitFor();
    await d.locator("#virt-add-disk-pool").selectOption(POOL);
    await d.locator("#virt-add-disk-name").fill(name);
    await d.locator("#virt-add-disk-size-unit").selectOption("MiB");
    await d.locator("#virt-add-disk-size").fill("1");
    await page.evaluate(t => {
        window.__addMs = new Promise(resolve => {
            let t0 = null;
            document.addEventListener("click", ev => {
                if (ev.target.closest?.("#virt-add-disk-submit"))
                    t0 = performance.now();
            }, { capture: true, once: true });
            new MutationObserver((_m, obs) => {
                if (t0 !== null && document.querySelector(`.virt-card-disks tr[data-target="${t}"]`)) {
                    obs.disconnect();
                    resolve(performance.now() - t0);
                }
            }).observe(document.body, { subtree: true, childList: true, attributes: true });
        });
    }, target);
    await d.locator("#virt-add-disk-submit").click();
    const ms = await page.evaluate(() => window.__addMs);
    await d.waitFor({ state: "hidden" });
    return ms;
}

async function main() {
    cleanup();
    defineVm();
    const ws = await startCockpitWs();
    const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ARGS });
    try {
        log("warm-up");
        await openToCards(browser, ws);
        const open = [];
        for (let i = 0; i < opts.runs; i++) {
            open.push(await openToCards(browser, ws));
            log(`open → all cards, run ${i + 1}: ${open.at(-1).toFixed(0)} ms`);
        }
        const context = await openContext(browser);
        const page = await context.newPage();
        await page.goto(`${ws.pageUrl}#/vm/system/${VM}`);
        await page.locator(".virt-card-disks tr[data-target]").nth(DISKS - 1).waitFor();
        const add = [];
        for (let i = 0; i < opts.adds; i++) {
            add.push(await addToRow(page, `bench-${i}.qcow2`, `vd${String.fromCharCode(97 + DISKS + i)}`));
            log(`Add → new row, run ${i + 1}: ${add.at(-1).toFixed(0)} ms`);
        }
        await context.close();
        const result = {
            when: new Date().toISOString(), machine: { cpus: os.cpus().length, load: os.loadavg() },
            disks: DISKS, nics: NICS, openMs: open, openMedianMs: median(open), addMs: add, addMedianMs: median(add),
        };
        mkdirSync(path.dirname(opts.out), { recursive: true });
        writeFileSync(opts.out, JSON.stringify(result, null, 2));
        console.log(JSON.stringify(result, null, 2));
    } finally {
        await browser.close();
        await ws.stop();
        cleanup();
    }
}

process.on("SIGINT", () => { cleanup(); process.exit(130) });
await main();
