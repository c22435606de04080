// SPDX-License-Identifier: LGPL-2.1-or-later
// The page against a real libvirtd (qemu:///system, tests/lib/libvirtd.sh) with tiny real guests
// (tests/harness/libvirt.mjs): the effect of each click is checked in libvirt with virsh, and changes made with
// virsh show up on the page without a reload. Only cvtest-* guests made here are touched. The host may have many
// other VMs, and the list renders only the rows in view: each test first filters the list to its guest.

import assert from "node:assert/strict";
import { existsSync, unlinkSync } from "node:fs";
import { after, before, describe, test } from "node:test";

import { chooseAction, dialog, filterList, launchBrowser, openVirtPage, screenshot, snapOnFailure, vmRow, waitLoaded, waitVmState } from "../harness/browser.mjs";
import { startCockpitWs } from "../harness/cockpit-ws.mjs";
import { URI, defineTinyGuest, domExists, domState, ensureLibvirtd, guestDir, removeGuest, virsh, waitFor } from "../harness/libvirt.mjs";

describe(`real libvirt (${URI})`, () => {
    let ws, browser, page;
    const guests = [];

    before(async () => {
        await ensureLibvirtd();
        await guestDir();
        ws = await startCockpitWs();
        browser = await launchBrowser();
        page = await openVirtPage(browser, ws, { connections: [URI] });
        await waitLoaded(page, 30000);
    });

    after(async () => {
        await browser?.close();
        await ws?.stop();
        for (const g of guests)
            await removeGuest(g);
    });

    /** Defines a tiny guest and filters the list down to it. */
    async function newGuest(name, options) {
        const g = await defineTinyGuest(name, options);
        guests.push(g);
        await filterList(page, g.name);
        return g;
    }

    test("a VM defined with virsh appears; Run makes it run; Force shut down stops it", () => snapOnFailure(page, "libvirt-run", async () => {
        const g = await newGuest("brun");
        await waitVmState(page, g.name, "shutoff");
        await vmRow(page, g.name).getByRole("button", { name: `Run ${g.name}` }).click();
        await waitVmState(page, g.name, "running", 30000);
        assert.equal(await domState(g.name), "running");

        await chooseAction(page, g.name, "Force shut down");
        await dialog(page, `Force shut down ${g.name}?`).getByRole("button", { name: "Force shut down" }).click();
        await waitVmState(page, g.name, "shutoff", 30000);
        assert.equal(await domState(g.name), "shut off");
    }));

    test("renaming and undefining with virsh show up live", () => snapOnFailure(page, "libvirt-rename", async () => {
        const g = await newGuest("bren");
        await waitVmState(page, g.name, "shutoff");
        const renamed = `${g.name}-x`;
        await virsh("domrename", g.name, renamed);
        g.name = renamed;
        await vmRow(page, renamed).waitFor();
        await virsh("undefine", "--nvram", renamed);
        await vmRow(page, renamed).waitFor({ state: "detached" });
    }));

    test("a failing action shows libvirt's message next to the VM until dismissed", () => snapOnFailure(page, "libvirt-fail", async () => {
        const g = await newGuest("bfail", { disks: ["16M"] });
        await waitVmState(page, g.name, "shutoff");
        unlinkSync(g.disks[0]);
        await vmRow(page, g.name).getByRole("button", { name: `Run ${g.name}` }).click();
        const failure = page.locator(`tr[data-vm-failure="${g.uuid}"]`);
        await failure.getByText("Could not run the VM", { exact: false }).waitFor();
        await failure.getByText(g.disks[0], { exact: false }).waitFor();
        assert.equal(await domState(g.name), "shut off");
        await screenshot(page, "libvirt-failure");

        // The VM page shows it too, in full.
        await vmRow(page, g.name).getByRole("link", { name: g.name }).click();
        await page.getByRole("heading", { name: /Could not run the VM$/ }).waitFor();
        await page.getByText(g.disks[0], { exact: false }).first().waitFor();
        await screenshot(page, "libvirt-failure-vm-page");
        await page.getByRole("link", { name: "Virtual machines" }).click();
        await filterList(page, g.name);

        await page.getByRole("button", { name: `Dismiss the error about ${g.name}` }).click();
        await failure.waitFor({ state: "detached" });
    }));

    test("a VM QEMU refuses to start: QEMU's error in one sentence, its whole output behind Show details", () => snapOnFailure(page, "libvirt-start-detail", async () => {
        // 4 TiB of memory: QEMU cannot set it up (tests/libvirt/start-failure.test.mjs checks the protocol).
        const g = await newGuest("bqemu", { memoryMiB: 4 << 20 });
        await waitVmState(page, g.name, "shutoff");
        await vmRow(page, g.name).getByRole("button", { name: `Run ${g.name}` }).click();
        const failure = page.locator(`tr[data-vm-failure="${g.uuid}"]`);
        await failure.getByText("QEMU could not start the VM:", { exact: false }).waitFor();
        assert.doesNotMatch(await failure.innerText(), /qemu-system/, "the row shows the sentence, not QEMU's output");

        await vmRow(page, g.name).getByRole("link", { name: g.name }).click();
        const alert = page.locator(".virt-failure-alert");
        await alert.getByText("QEMU could not start the VM:", { exact: false }).waitFor();
        const detail = alert.locator(".virt-failure-detail-text");
        assert.equal(await detail.isVisible(), false, "the detail starts hidden");
        await alert.getByRole("button", { name: "Show details" }).click();
        await detail.getByText(/qemu-system-\w+: /).waitFor();
        await screenshot(page, "libvirt-start-failure-detail");
        await page.getByRole("link", { name: "Virtual machines" }).click();
        await filterList(page, g.name);
        await page.getByRole("button", { name: `Dismiss the error about ${g.name}` }).click();
        await failure.waitFor({ state: "detached" });
    }));

    test("Delete removes the VM and exactly the ticked disk", () => snapOnFailure(page, "libvirt-delete", async () => {
        const g = await newGuest("bdel", { disks: ["16M", "16M"] });
        await waitVmState(page, g.name, "shutoff");
        await chooseAction(page, g.name, "Delete");
        const d = dialog(page, `Delete ${g.name}?`);
        await d.getByRole("checkbox", { name: g.disks[1] }).uncheck();
        assert.equal(await d.getByRole("checkbox", { name: g.disks[0] }).isChecked(), true);
        await d.getByRole("button", { name: "Delete" }).click();
        await vmRow(page, g.name).waitFor({ state: "detached", timeout: 30000 });
        await waitFor(async () => !(await domExists(g.name)), 10000, { what: `${g.name} undefined` });
        assert.equal(existsSync(g.disks[0]), false, "the ticked disk is deleted");
        assert.equal(existsSync(g.disks[1]), true, "the unticked disk is left alone");
        assert.equal(await page.getByRole("heading", { name: /storage was not$/ }).count(), 0);
    }));

    test("Delete forces a running VM off first", () => snapOnFailure(page, "libvirt-delete-running", async () => {
        const g = await newGuest("bdelrun", { running: true });
        await waitVmState(page, g.name, "running", 30000);
        await chooseAction(page, g.name, "Delete");
        const d = dialog(page, `Delete ${g.name}?`);
        await d.getByText("It will be forced off first", { exact: false }).waitFor();
        await d.getByRole("button", { name: "Delete" }).click();
        await vmRow(page, g.name).waitFor({ state: "detached", timeout: 30000 });
        assert.equal(await domExists(g.name), false);
    }));
});

describe("a user without access to system VMs", { skip: URI !== "qemu:///system" && "needs qemu:///system" }, () => {
    let ws, browser;

    before(async () => {
        await ensureLibvirtd();
        ws = await startCockpitWs({ user: "nobody" });
        browser = await launchBrowser();
    });

    after(async () => {
        await browser?.close();
        await ws?.stop();
    });

    test("says so, says how to get access, and still lists the other connection's VMs", async () => {
        const page = await openVirtPage(browser, ws, { connections: [URI, "test:///default"] });
        await snapOnFailure(page, "libvirt-access-denied", async () => {
            await waitLoaded(page);
            await page.getByRole("heading", { name: /No access to system VMs$/ }).waitFor();
            // Not a sudoer: the libvirt group is the way, and libvirt's own refusal waits behind a toggle.
            const help = page.locator('.virt-system-access[data-remedy="libvirt-group"]');
            await help.getByText('adding you to the "libvirt" group', { exact: false }).waitFor();
            await help.getByText("adduser nobody libvirt").waitFor();
            assert.equal(await page.getByRole("button", { name: "Turn on administrative access" }).count(), 0);
            const refusal = help.locator(".virt-libvirt-message");
            assert.equal(await refusal.isVisible(), false);
            await help.getByRole("button", { name: "Show details" }).click();
            await refusal.getByText(/authentication|access|denied|polkit/i).waitFor();
            await page.getByText("still shown", { exact: false }).waitFor();
            await vmRow(page, "test").waitFor();
            await screenshot(page, "access-denied");
        });
        await page.close();
    });
});
