// SPDX-License-Identifier: LGPL-2.1-or-later
// The VM page's Host devices and Shared directories cards and their dialogs on one shut-off tiny guest
// (qemu:///system, never started: the host's real PCI devices are only written into its definition). The ops and
// the guest mounting a shared directory are proven in tests/libvirt/host-devices.test.mjs; here: the add dialog
// lists the host's devices with who uses them, two chosen at once become rows, a row menu removes one, the
// helper's refusal of a relative path shows inside the share dialog, a shared directory becomes a row.
// Screenshots light and dark go to test-results/hostdevs-*.png.

import assert from "node:assert/strict";
import { chmodSync, mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { dialog, launchBrowser, openVirtPage, screenshot, snapOnFailure } from "../harness/browser.mjs";
import { startCockpitWs } from "../harness/cockpit-ws.mjs";
import { URI, cleanupTestObjects, defineTinyGuest, ensureLibvirtd, guestDir, removeGuest, virsh } from "../harness/libvirt.mjs";

describe("host devices and shared directories cards (real libvirt)", () => {
    let ws, browser, page, g;

    before(async () => {
        await ensureLibvirtd();
        await guestDir();
        await cleanupTestObjects();
        g = await defineTinyGuest("ui-hostdev");
        ws = await startCockpitWs();
        browser = await launchBrowser({ viewport: { width: 1400, height: 1000 } });
        page = await openVirtPage(browser, ws, { connections: [URI], path: `/vm/system/${g.name}` });
        await page.locator(".virt-card-hostdevs").waitFor();
    });

    after(async () => {
        await browser?.close();
        await ws?.stop();
        if (g)
            await removeGuest(g);
    });

    const hostdevRows = () => page.locator(".virt-card-hostdevs tbody tr");

    test("host devices: two added at once from the host's list (marked as the host's), one removed", () => snapOnFailure(page, "hostdevs-add", async () => {
        await page.locator(".virt-card-hostdevs").getByText("No host devices").waitFor();
        await page.locator("#virt-add-hostdev-button").click();
        const d = dialog(page, "Add host devices");
        await d.waitFor();
        const choices = d.locator(".virt-hostdev-choices tbody tr");
        await choices.first().waitFor();
        // This machine's PCI devices are bound to host drivers (virtio-pci): the dialog says so.
        await d.locator(".virt-hostdev-host-driver").first().waitFor();
        await screenshot(page, "hostdevs-add-dialog-light");
        const names = [];
        for (const i of [0, 1]) {
            await choices.nth(i).locator("input[type=checkbox]").check();
            names.push(await choices.nth(i).getAttribute("data-device"));
        }
        await d.locator("#virt-add-hostdev-submit").click();
        await d.waitFor({ state: "hidden" });
        await page.getByText("Added 2 host devices: at the next boot").waitFor();
        await assertCount(hostdevRows(), 2);
        const xml = await virsh("dumpxml", "--inactive", g.name);
        assert.equal(xml.match(/<hostdev /g)?.length, 2, xml);
        for (const name of names) {
            // pci_0000_00_05_0 → bus='0x00' slot='0x05' function='0x0'
            const [, , bus, slot, fn] = name.split("_");
            assert.match(xml, new RegExp(`bus='0x${bus}' slot='0x${slot}' function='0x${fn}'`));
        }
        assert.match(await hostdevRows().first().innerText(), /PCI/);
        await screenshot(page, "hostdevs-card-light");

        await hostdevRows().first().getByRole("button", { name: "Kebab toggle" }).click();
        await page.getByRole("menuitem", { name: "Remove…" }).click();
        const r = page.locator("#virt-remove-hostdev");
        await r.waitFor();
        await r.locator("#virt-remove-hostdev-submit").click();
        await r.waitFor({ state: "hidden" });
        await assertCount(hostdevRows(), 1);
        assert.equal((await virsh("dumpxml", "--inactive", g.name)).match(/<hostdev /g)?.length, 1);
    }));

    test("shared directory: a relative path refused in the dialog, then shared, with shared memory", () => snapOnFailure(page, "hostdevs-share", async () => {
        const share = path.join(g.dir, "share");
        mkdirSync(share);
        chmodSync(share, 0o755);
        await page.locator("#virt-add-filesystem-button").click();
        const d = dialog(page, "Share a host directory");
        await d.waitFor();
        await d.locator("#virt-add-filesystem-path").fill("share");
        await d.locator("#virt-add-filesystem-submit").click();
        await d.locator(".virt-device-failure").getByText("is not an absolute path", { exact: false }).waitFor();
        await d.locator("#virt-add-filesystem-path").fill(share);
        assert.equal(await d.locator("#virt-add-filesystem-tag").inputValue(), "share");
        await d.locator("#virt-add-filesystem-tag").fill("cvshare");
        await screenshot(page, "hostdevs-share-dialog-light");
        await d.locator("#virt-add-filesystem-submit").click();
        await d.waitFor({ state: "hidden" });
        const row = page.locator(".virt-card-filesystems tbody tr[data-tag='cvshare']");
        await row.getByText(share).waitFor();
        const xml = await virsh("dumpxml", "--inactive", g.name);
        assert.match(xml, /<access mode='shared'\/>/);
        assert.match(xml, new RegExp(`<source dir='${share}'/>\\s*<target dir='cvshare'/>`));
        await screenshot(page, "hostdevs-filesystems-light");
    }));

    test("dark theme: the cards and the add dialog", () => snapOnFailure(page, "hostdevs-dark", async () => {
        const dark = await openVirtPage(browser, ws, { connections: [URI], theme: "dark", path: `/vm/system/${g.name}` });
        await dark.locator(".virt-card-filesystems tbody tr").first().waitFor();
        await dark.locator(".virt-card-hostdevs").scrollIntoViewIfNeeded();
        await screenshot(dark, "hostdevs-cards-dark");
        await dark.locator("#virt-add-hostdev-button").click();
        await dialog(dark, "Add host devices").locator(".virt-hostdev-choices tbody tr").first().waitFor();
        await screenshot(dark, "hostdevs-add-dialog-dark");
        assert.deepEqual(dark.virtErrors, []);
        await dark.close();
    }));
});

async function assertCount(locator, n) {
    for (let i = 0; i < 100 && await locator.count() !== n; i++)
        await new Promise(resolve => setTimeout(resolve, 100));
    assert.equal(await locator.count(), n);
}
