// SPDX-License-Identifier: LGPL-2.1-or-later
// Add host (op `connections`) in the page against a second libvirtd (tests/harness/second-host.mjs): refusals by
// their codes (a malformed URI, a closed port), then the host added by URI; its VM joins the one list with its host
// in the Connection column, runs and is forced off from its row; its libvirtd stopped marks only its rows
// "Host unreachable", started again they resync; a new page lists it from the saved connections.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import {
    chooseAction, dialog, filterList, launchBrowser, openVirtPage, snapOnFailure, vmRow, waitLoaded, waitVmState,
} from "../harness/browser.mjs";
import { startCockpitWs } from "../harness/cockpit-ws.mjs";
import { GUESTS_DIR, REPO, defineTinyGuest, ensureLibvirtd, guestDir, removeGuest, tinyGuestXml } from "../harness/libvirt.mjs";
import { startSecondHost } from "../harness/second-host.mjs";

function hostLibvirtd(action, name) {
    return new Promise((resolve, reject) => execFile(path.join(REPO, "tests/lib/host-libvirtd.sh"), [action, name],
        (err, _out, stderr) => err ? reject(new Error(`host-libvirtd.sh ${action}: ${stderr || err.message}`)) : resolve()));
}

describe("many hosts in one list", () => {
    let ws, browser, host, local, config;
    const tag = randomUUID().slice(0, 6);
    const remoteName = `cvtest-bhosts-r-${tag}`;
    const remoteDir = path.join(GUESTS_DIR, remoteName);

    before(async () => {
        await ensureLibvirtd();
        const kernelDir = await guestDir();
        host = await startSecondHost();
        local = await defineTinyGuest(`bhosts-l-${tag}`);
        mkdirSync(remoteDir, { recursive: true, mode: 0o755 });
        const xmlPath = path.join(remoteDir, "domain.xml");
        writeFileSync(xmlPath, tinyGuestXml({
            name: remoteName, uuid: randomUUID(), kernel: path.join(kernelDir, "vmlinuz"),
            initrd: path.join(kernelDir, "initrd.img"), serialLog: path.join(remoteDir, "serial.log"),
        }));
        await host.virsh("define", xmlPath);
        config = mkdtempSync(path.join(tmpdir(), "cvtest-config-"));
        ws = await startCockpitWs({ env: { XDG_CONFIG_HOME: config } });
        browser = await launchBrowser();
    });

    after(async () => {
        await browser?.close();
        await ws?.stop();
        if (host) {
            await hostLibvirtd("start", host.name).catch(() => {});
            await host.stop();
        }
        if (local)
            await removeGuest(local);
        rmSync(remoteDir, { recursive: true, force: true });
        if (config)
            rmSync(config, { recursive: true, force: true });
    });

    test("add a host, one list, its rows unreachable and back", async () => {
        // No override: the page watches the local system connection and the saved ones (none yet).
        const page = await openVirtPage(browser, ws);
        await snapOnFailure(page, "hosts", async () => {
            await waitLoaded(page, 30000);
            await page.locator("#virt-add-host").click();
            const d = dialog(page, "Add host");
            const input = d.locator("#virt-add-host-target");
            await input.fill("qemu+ext:///system?command=/bin/sh");
            await d.getByRole("button", { name: "Add", exact: true }).click();
            await d.locator('.virt-add-host-error[data-problem="invalid-argument"]').waitFor({ timeout: 10000 });
            await input.fill("qemu+tcp://127.0.0.1:1/system");
            await d.getByRole("button", { name: "Add", exact: true }).click();
            await d.locator('.virt-add-host-error[data-reason="port-closed"]').waitFor({ timeout: 10000 });
            await input.fill(host.uri);
            await d.getByRole("button", { name: "Add", exact: true }).click();
            await d.waitFor({ state: "detached", timeout: 20000 });

            await filterList(page, `-${tag}`);
            const remote = vmRow(page, remoteName);
            await remote.waitFor({ timeout: 20000 });
            assert.equal((await remote.locator(".virt-cell-connection").textContent()).trim(), host.address);
            await vmRow(page, local.name).waitFor();

            await remote.getByRole("button", { name: `Run ${remoteName}`, exact: true }).click();
            await waitVmState(page, remoteName, "running", 30000);
            assert.equal((await host.virsh("domstate", remoteName)).trim(), "running");

            await hostLibvirtd("stop", host.name);
            await page.locator(`tr[data-vm-name="${remoteName}"][data-host-unreachable="true"]`)
                .waitFor({ timeout: 20000 });
            assert.equal(await vmRow(page, local.name).getAttribute("data-host-unreachable"), null);
            await hostLibvirtd("start", host.name);
            await page.locator(`tr[data-vm-name="${remoteName}"]:not([data-host-unreachable])`)
                .waitFor({ timeout: 30000 });
            await waitVmState(page, remoteName, "running");

            await chooseAction(page, remoteName, "Force shut down");
            await dialog(page, `Force shut down ${remoteName}?`).getByRole("button", { name: "Force shut down" }).click();
            await waitVmState(page, remoteName, "shutoff", 30000);
            assert.deepEqual(page.virtErrors, []);
        });
        await page.close();

        // A new page lists the saved host without being told.
        const again = await openVirtPage(browser, ws);
        await snapOnFailure(again, "hosts-reload", async () => {
            await waitLoaded(again, 30000);
            await filterList(again, `-${tag}`);
            await vmRow(again, remoteName).waitFor({ timeout: 20000 });
        });
        await again.close();
    });
});
