// SPDX-License-Identifier: LGPL-2.1-or-later
// The Migrate dialog against the real libvirtd: opened from a VM's actions, it offers the user's saved connections
// (op `connections`) as destinations, first one chosen, or a typed URI; it sends op `migrate` and shows the failure
// by its reason code with libvirt's (here the helper's) message; the VM stays. Screenshots light and dark.
// Successful migrations are proven in tests/libvirt/migrate.test.mjs against a second libvirtd.

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { chooseAction, dialog, filterList, launchBrowser, openVirtPage, screenshot, snapOnFailure, waitLoaded } from "../harness/browser.mjs";
import { startCockpitWs } from "../harness/cockpit-ws.mjs";
import { URI, defineTinyGuest, domState, ensureLibvirtd, guestDir, removeGuest, waitFor } from "../harness/libvirt.mjs";

describe("Migrate dialog", () => {
    let ws, browser, guest, config;

    before(async () => {
        await ensureLibvirtd();
        await guestDir();
        guest = await defineTinyGuest("bmig");
        // One saved connection, to a port nothing listens on (the page watches only URI: no unreachable host shown).
        config = mkdtempSync(path.join(tmpdir(), "cvtest-config-"));
        mkdirSync(path.join(config, "cockpit-virt"));
        writeFileSync(path.join(config, "cockpit-virt/connections.json"),
                      JSON.stringify({ connections: [{ uri: "qemu+tcp://127.0.0.2:1/system" }] }));
        ws = await startCockpitWs({ env: { XDG_CONFIG_HOME: config } });
        browser = await launchBrowser();
    });

    after(async () => {
        await browser?.close();
        await ws?.stop();
        if (guest)
            await removeGuest(guest);
        if (config)
            rmSync(config, { recursive: true, force: true });
    });

    test("a saved host or a typed URI; a closed port is shown as such, the VM stays; light and dark", async () => {
        for (const theme of ["light", "dark"]) {
            const page = await openVirtPage(browser, ws, { connections: [URI], theme });
            await snapOnFailure(page, `migrate-${theme}`, async () => {
                await waitLoaded(page, 30000);
                await filterList(page, guest.name);
                await chooseAction(page, guest.name, "Migrate…");
                const d = dialog(page, `Migrate ${guest.name}`);
                // A shut-off VM moves only its definition: copying storage is not offered.
                assert.equal(await d.locator("#virt-migrate-storage-copy-full").isDisabled(), true);
                // The saved host is offered and chosen; in dark, another host is typed instead.
                const host = d.locator("#virt-migrate-host");
                await waitFor(async () => await host.inputValue() === "qemu+tcp://127.0.0.2:1/system", 10000);
                assert.equal(await d.locator("#virt-migrate-destination").count(), 0);
                const address = theme === "light" ? "127.0.0.2" : "127.0.0.3";
                if (theme === "dark") {
                    await host.selectOption({ label: "Another host (libvirt URI)" });
                    await d.locator("#virt-migrate-destination").fill("qemu+tcp://127.0.0.3:1/system");
                }
                await d.getByRole("button", { name: "Migrate", exact: true }).click();
                const failure = d.locator('.virt-migrate-failure[data-reason="port-closed"]');
                await failure.waitFor({ timeout: 20000 });
                assert.match(await failure.textContent(), new RegExp(`${address} refused the connection on port 1`));
                // It can be tried again at once.
                assert.equal(await d.getByRole("button", { name: "Migrate", exact: true }).isEnabled(), true);
                await screenshot(page, `migrate-dialog-${theme}`);
                await d.getByRole("button", { name: "Cancel", exact: true }).click();
                await d.waitFor({ state: "detached" });
                assert.equal(await domState(guest.name), "shut off");
                assert.deepEqual(page.virtErrors, []);
            });
            await page.close();
        }
    });
});
