// SPDX-License-Identifier: LGPL-2.1-or-later
// The saved hosts' watches open from the page's first script (pkg/boot.ts), before the main script: with index.js
// held back by the test, boot.js alone asks for the saved connections and opens the remote host's watch; once
// index.js runs, the store takes that channel over and the remote host's VM is listed.

import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { Bridge } from "../harness/bridge.mjs";
import { collectErrors, filterList, launchBrowser, snapOnFailure, vmRow, waitLoaded } from "../harness/browser.mjs";
import { startCockpitWs } from "../harness/cockpit-ws.mjs";
import { ensureLibvirtd } from "../harness/libvirt.mjs";
import { startSecondHost } from "../harness/second-host.mjs";

describe("saved hosts' early watches", () => {
    let host, ws, browser, config;
    const vm = `cvtest-early-${randomUUID().slice(0, 6)}`;

    before(async () => {
        await ensureLibvirtd();
        config = mkdtempSync(path.join(tmpdir(), "cvtest-config-"));
        host = await startSecondHost({ name: "cvtest-early-host", address: "127.0.0.14" });
        const xml = path.join(config, "domain.xml");
        writeFileSync(xml, `<domain type='qemu'><name>${vm}</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>` +
            "<os><type arch='x86_64' machine='pc'>hvm</type></os></domain>\n");
        await host.virsh("define", xml);
        const env = { XDG_CONFIG_HOME: config };
        const b = await Bridge.start("337", { env });
        try {
            const ch = b.open({ payload: "virt1", op: "connections", action: "add", target: host.uri });
            const close = (await b.untilClose(ch, 30000)).at(-1).control;
            if (close.added !== true)
                throw new Error(`connections add: ${JSON.stringify(close)}`);
        } finally {
            await b.closeBridge();
        }
        ws = await startCockpitWs({ env });
        browser = await launchBrowser();
    });

    after(async () => {
        await browser?.close();
        await ws?.stop();
        await host?.stop();
        if (config)
            rmSync(config, { recursive: true, force: true });
    });

    test("boot.js opens the saved host's watch; the store takes it over", async () => {
        let release;
        const held = new Promise(resolve => { release = resolve });
        await browser.context.route(/\/virt\/index\.js$/, async route => {
            await held;
            await route.continue();
        });
        const page = await browser.context.newPage();
        collectErrors(page);
        await page.addInitScript(() => {
            localStorage.removeItem("virt:connections"); // the saved connections, as a user has them
            localStorage.setItem("shell:style", "light");
        });
        try {
            // Not until "load": that needs index.js.
            await page.goto(ws.pageUrl, { waitUntil: "commit" });
            await snapOnFailure(page, "hosts-early", async () => {
                // Only boot.js has run: the saved host's channel is open and waiting to be taken.
                await page.waitForFunction(uri => window.virtEarlyWatches?.channels.has(uri) === true, host.uri,
                                           { timeout: 15000 });
                release();
                await waitLoaded(page, 30000);
                await filterList(page, vm);
                await vmRow(page, vm).waitFor({ timeout: 10000 });
                // Taken over (or closed once the store started): none is left waiting.
                await page.waitForFunction(() => window.virtEarlyWatches?.channels.size === 0, null, { timeout: 10000 });
            });
        } finally {
            release();
            await page.close();
            await browser.context.unroute(/\/virt\/index\.js$/);
        }
    });
});
