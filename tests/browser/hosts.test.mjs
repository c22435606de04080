// SPDX-License-Identifier: LGPL-2.1-or-later
// Many hosts in one list (op `connections`) against two more libvirtds (tests/harness/second-host.mjs): Add host
// refuses a malformed URI and a closed port by their codes, then saves both hosts by URI; their VMs join the one
// list with a Host column, a Host filter and a hosts panel (state, running/total VMs); a VM runs on each. One
// host's libvirtd stopped marks only its rows "Host unreachable" and its panel row unreachable with the reason in
// words (screenshots, light and dark); a new page lists the saved hosts without being told; started again,
// Reconnect resyncs it; each VM is shut down; Remove (confirmed) takes a host's rows out of the list. A host that asks
// for a SASL user name and password: Add host shows the fields, a wrong password is refused with the fields kept,
// the right one (submitted with Enter) adds it and its VM joins the list; its password changed and its libvirtd
// restarted, the hosts panel says the login was refused and Log in (a dialog) connects it again.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import {
    chooseAction, dialog, filterList, launchBrowser, openVirtPage, screenshot, snapOnFailure, vmRow, waitLoaded,
    waitVmState,
} from "../harness/browser.mjs";
import { startCockpitWs } from "../harness/cockpit-ws.mjs";
import { GUESTS_DIR, REPO, defineTinyGuest, ensureLibvirtd, guestDir, removeGuest, tinyGuestXml } from "../harness/libvirt.mjs";
import { startSecondHost } from "../harness/second-host.mjs";

function hostLibvirtd(action, name) {
    return new Promise((resolve, reject) => execFile(path.join(REPO, "tests/lib/host-libvirtd.sh"), [action, name],
        (err, _out, stderr) => err ? reject(new Error(`host-libvirtd.sh ${action}: ${stderr || err.message}`)) : resolve()));
}

/** Screenshots `name`-light and `name`-dark of the page as it is now (the theme class toggled for the second). */
async function lightAndDark(page, name) {
    await screenshot(page, `${name}-light`);
    await page.evaluate(() => document.documentElement.classList.add("pf-v6-theme-dark"));
    await screenshot(page, `${name}-dark`);
    await page.evaluate(() => document.documentElement.classList.remove("pf-v6-theme-dark"));
}

describe("many hosts in one list", () => {
    let ws, browser, local, config;
    const tag = randomUUID().slice(0, 6);
    /** Two more hosts, each with one tiny guest of its own. */
    const remotes = [
        { name: "cvtest-host2", address: "127.0.0.2" },
        { name: "cvtest-host3", address: "127.0.0.3" },
    ].map((h, i) => ({ ...h, vm: `cvtest-bhosts-r${i}-${tag}`, dir: path.join(GUESTS_DIR, `cvtest-bhosts-r${i}-${tag}`) }));

    before(async () => {
        await ensureLibvirtd();
        const kernelDir = await guestDir();
        local = await defineTinyGuest(`bhosts-l-${tag}`);
        await Promise.all(remotes.map(async r => {
            r.host = await startSecondHost({ name: r.name, address: r.address });
            mkdirSync(r.dir, { recursive: true, mode: 0o755 });
            const xmlPath = path.join(r.dir, "domain.xml");
            writeFileSync(xmlPath, tinyGuestXml({
                name: r.vm, uuid: randomUUID(), kernel: path.join(kernelDir, "vmlinuz"),
                initrd: path.join(kernelDir, "initrd.img"), serialLog: path.join(r.dir, "serial.log"),
            }));
            await r.host.virsh("define", xmlPath);
        }));
        config = mkdtempSync(path.join(tmpdir(), "cvtest-config-"));
        ws = await startCockpitWs({ env: { XDG_CONFIG_HOME: config } });
        browser = await launchBrowser();
    });

    after(async () => {
        await browser?.close();
        await ws?.stop();
        for (const r of remotes) {
            if (r.host) {
                await hostLibvirtd("start", r.name).catch(() => {});
                await r.host.stop();
            }
            rmSync(r.dir, { recursive: true, force: true });
        }
        if (local)
            await removeGuest(local);
        if (config)
            rmSync(config, { recursive: true, force: true });
    });

    test("add two hosts, one list, one host's rows unreachable and back, remove", async () => {
        const [two, three] = remotes;
        const hostRow = (frame, r) => frame.locator(`.virt-host-row[data-connection="${r.host.uri}"]`);
        // No override: the page watches the local system connection and the saved ones (none yet).
        const page = await openVirtPage(browser, ws);
        await snapOnFailure(page, "hosts", async () => {
            await waitLoaded(page, 30000);
            assert.equal(await page.locator(".virt-hosts-panel").count(), 0, "no hosts panel with one connection");
            assert.equal(await page.locator("th.virt-cell-connection").count(), 0, "no Host column either");
            await page.locator("#virt-add-host").click();
            const d = dialog(page, "Add host");
            const input = d.locator("#virt-add-host-target");
            await input.fill("qemu+ext:///system?command=/bin/sh");
            await d.getByRole("button", { name: "Add", exact: true }).click();
            await d.locator('.virt-add-host-error[data-problem="invalid-argument"]').waitFor({ timeout: 10000 });
            await input.fill("qemu+tcp://127.0.0.1:1/system");
            await d.getByRole("button", { name: "Add", exact: true }).click();
            await d.locator('.virt-add-host-error[data-reason="port-closed"]').waitFor({ timeout: 10000 });
            await input.fill(two.host.uri);
            await d.getByRole("button", { name: "Add", exact: true }).click();
            await d.waitFor({ state: "detached", timeout: 20000 });
            await page.locator("#virt-add-host").click();
            await input.fill(three.host.uri);
            await d.getByRole("button", { name: "Add", exact: true }).click();
            await d.waitFor({ state: "detached", timeout: 20000 });

            await filterList(page, `-${tag}`);
            for (const r of remotes) {
                await vmRow(page, r.vm).waitFor({ timeout: 20000 });
                assert.equal((await vmRow(page, r.vm).locator(".virt-cell-connection").textContent()).trim(), r.address);
                await hostRow(page, r).and(page.locator('[data-connection-state="connected"]')).waitFor({ timeout: 20000 });
            }
            await vmRow(page, local.name).waitFor();
            assert.equal(await page.locator(".virt-host-row").count(), 3);

            // The Host filter: one host's rows only, then all again.
            await page.locator(".virt-host-filter").click();
            await page.getByRole("option", { name: three.address, exact: true }).click();
            await vmRow(page, two.vm).waitFor({ state: "detached" });
            assert.equal(await vmRow(page, three.vm).count(), 1);
            assert.equal(await vmRow(page, local.name).count(), 0);
            await page.locator(".virt-host-filter").click();
            await page.getByRole("option", { name: "All hosts", exact: true }).click();
            await vmRow(page, two.vm).waitFor();

            // Run a VM on each host; the panel counts them per host.
            for (const r of remotes)
                await vmRow(page, r.vm).getByRole("button", { name: `Run ${r.vm}`, exact: true }).click();
            for (const r of remotes) {
                await waitVmState(page, r.vm, "running", 30000);
                assert.equal((await r.host.virsh("domstate", r.vm)).trim(), "running");
                await hostRow(page, r).locator(".virt-host-vms", { hasText: "1 of 1" }).waitFor({ timeout: 10000 });
            }

            await hostLibvirtd("stop", three.name);
            await page.locator(`tr[data-vm-name="${three.vm}"][data-host-unreachable="true"]`).waitFor({ timeout: 20000 });
            assert.equal(await vmRow(page, two.vm).getAttribute("data-host-unreachable"), null);
            assert.equal(await vmRow(page, local.name).getAttribute("data-host-unreachable"), null);
            const down = hostRow(page, three).and(page.locator('[data-reason="port-closed"]'));
            await down.waitFor({ timeout: 20000 });
            assert.match(await down.locator(".virt-host-reason").textContent(), /Nothing answers/);
            // Reconnect while it is still down: tried at once, still down, for the same reason.
            await down.getByRole("button", { name: `Reconnect ${three.address}` }).click();
            await down.getByRole("button", { name: `Reconnect ${three.address}` }).and(page.locator(":enabled"))
                .waitFor({ timeout: 20000 });
            await down.waitFor();
            assert.equal(await hostRow(page, two).getAttribute("data-connection-state"), "connected");
            await screenshot(page, "hosts-unreachable-light", { fullPage: true });
            assert.deepEqual(page.virtErrors, []);
        });
        await page.close();

        // A new page lists the saved hosts without being told, the stopped one marked; started again, Reconnect.
        const again = await openVirtPage(browser, ws, { theme: "dark" });
        await snapOnFailure(again, "hosts-reload", async () => {
            await waitLoaded(again, 40000);
            await filterList(again, `-${tag}`);
            await waitVmState(again, two.vm, "running", 20000);
            await again.locator(`tr[data-vm-name="${three.vm}"][data-host-unreachable="true"]`)
                .waitFor({ timeout: 20000 });
            await hostRow(again, three).and(again.locator('[data-reason="port-closed"]')).waitFor({ timeout: 20000 });
            await screenshot(again, "hosts-unreachable-dark", { fullPage: true });

            await hostLibvirtd("start", three.name);
            // The helper may have retried by itself meanwhile (then the button is gone); the op's own answer is
            // proved in tests/libvirt/hosts.test.mjs.
            await hostRow(again, three).getByRole("button", { name: `Reconnect ${three.address}` })
                .click({ timeout: 2000 }).catch(() => {});
            await again.locator(`tr[data-vm-name="${three.vm}"]:not([data-host-unreachable])`)
                .waitFor({ timeout: 30000 });
            await waitVmState(again, three.vm, "running");
            assert.equal(await hostRow(again, three).getAttribute("data-connection-state"), "connected");

            for (const r of remotes) {
                await chooseAction(again, r.vm, "Force shut down");
                await dialog(again, `Force shut down ${r.vm}?`).getByRole("button", { name: "Force shut down" }).click();
                await waitVmState(again, r.vm, "shutoff", 30000);
            }

            // Remove asks first; its rows leave the list, the other host's stay.
            await hostRow(again, two).getByRole("button", { name: `Remove ${two.address}` }).click();
            const confirm = dialog(again, `Remove ${two.address}?`);
            await confirm.getByRole("button", { name: "Remove", exact: true }).click();
            await confirm.waitFor({ state: "detached", timeout: 10000 });
            await vmRow(again, two.vm).waitFor({ state: "detached", timeout: 10000 });
            assert.equal(await hostRow(again, two).count(), 0);
            assert.equal(await vmRow(again, three.vm).count(), 1);
            assert.deepEqual(again.virtErrors, []);
        });
        await again.close();
    });

    test("a host that asks for a password: the fields, a refusal, then its VM", async () => {
        const sasl = await startSecondHost({ name: "cvtest-bsasl", address: "127.0.0.10", auth: "sasldb" });
        const password = `cvtest-pw-${tag}`;
        const vm = `cvtest-bsasl-${tag}`;
        const dir = mkdtempSync(path.join(tmpdir(), "cvtest-bsasl-"));
        try {
            await sasl.saslUser("cvtest-user", password);
            const xml = path.join(dir, "domain.xml");
            writeFileSync(xml, `<domain type='qemu'><name>${vm}</name><uuid>${randomUUID()}</uuid>
                <memory unit='MiB'>32</memory><os><type arch='x86_64'>hvm</type></os></domain>`);
            await sasl.exec("timeout", "20", "virsh", "-q", "-c", "qemu:///system", "define", xml);

            const page = await openVirtPage(browser, ws);
            await snapOnFailure(page, "hosts-sasl", async () => {
                await waitLoaded(page, 30000);
                await page.locator("#virt-add-host").click();
                const d = dialog(page, "Add host");
                await d.locator("#virt-add-host-target").fill(sasl.uri);
                await d.getByRole("button", { name: "Add", exact: true }).click();
                await d.locator(".virt-add-host-login").waitFor({ timeout: 20000 });
                await d.getByLabel("User name").fill("cvtest-user");
                await d.getByLabel("Password").fill("wrong");
                await d.getByRole("button", { name: "Add", exact: true }).click();
                await d.locator('.virt-add-host-error[data-reason="credentials-refused"]').waitFor({ timeout: 20000 });
                assert.equal(await d.getByLabel("Password").inputValue(), "", "a refused password is not kept");
                assert.equal(await d.getByLabel("User name").inputValue(), "cvtest-user");
                await lightAndDark(page, "hosts-login-refused");
                await d.getByLabel("Password").fill(password);
                await d.getByLabel("Password").press("Enter");
                await d.waitFor({ state: "detached", timeout: 20000 });
                await filterList(page, vm);
                await vmRow(page, vm).waitFor({ timeout: 20000 });
                assert.equal((await vmRow(page, vm).locator(".virt-cell-connection").textContent()).trim(), sasl.address);

                await sasl.saslUser("cvtest-user", `${password}-new`);
                await hostLibvirtd("stop", sasl.name);
                await hostLibvirtd("start", sasl.name);
                const row = page.locator(`.virt-host-row[data-connection="${sasl.uri}"][data-reason="credentials-refused"]`);
                await row.waitFor({ timeout: 30000 });
                await row.getByRole("button", { name: `Log in to ${sasl.address}` }).click();
                const login = dialog(page, `Log in to ${sasl.address}`);
                await login.getByLabel("Password").waitFor();
                await lightAndDark(page, "hosts-login-again");
                await login.getByLabel("User name").fill("cvtest-user");
                await login.getByLabel("Password").fill(`${password}-new`);
                await login.getByLabel("Password").press("Enter");
                await login.waitFor({ state: "detached", timeout: 30000 });
                await page.locator(`.virt-host-row[data-connection="${sasl.uri}"][data-connection-state="connected"]`)
                    .waitFor({ timeout: 20000 });
                await vmRow(page, vm).waitFor({ timeout: 20000 });
                assert.deepEqual(page.virtErrors, []);
            });
            await page.close();
        } finally {
            await sasl.stop();
            rmSync(dir, { recursive: true, force: true });
        }
    });
});
