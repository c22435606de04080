// SPDX-License-Identifier: LGPL-2.1-or-later
// The VM page's Snapshots card on one shut-off tiny guest (qemu:///system): what only the browser shows. The ops
// themselves (markers in a running guest, external snapshots, clones that boot) are proven in
// tests/libvirt/snapshots.test.mjs; here: the create dialog used from the keyboard, the tree (a child indented
// under its parent, the current one marked), confirmations for revert and delete, the clone dialog, libvirt's
// refusal inside a dialog, and a snapshot made and deleted with virsh showing up live. Screenshots go to
// test-results/snapshots-*.png (the card light and dark; the dialogs after that follow the dark theme, which the
// browser context shares).

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { dialog, launchBrowser, openVirtPage, screenshot, snapOnFailure } from "../harness/browser.mjs";
import { startCockpitWs } from "../harness/cockpit-ws.mjs";
import {
    PREFIX, URI, cleanupTestObjects, cleanupTestResources, defineTinyGuest, ensureLibvirtd, guestDir, virsh, waitFor,
} from "../harness/libvirt.mjs";

const POOL = `${PREFIX}uisnappool`;

describe("snapshots card (real libvirt)", () => {
    let ws, browser, page, g;

    before(async () => {
        await ensureLibvirtd();
        await guestDir();
        await cleanupTestObjects();
        g = await defineTinyGuest("ui-snap", { disks: ["32M"] });
        await virsh("pool-create-as", POOL, "dir", "--target", g.dir);
        ws = await startCockpitWs();
        browser = await launchBrowser({ viewport: { width: 1400, height: 1000 } });
        page = await openVirtPage(browser, ws, { connections: [URI], path: `/vm/system/${g.name}` });
        await page.locator(".virt-card-snapshots").getByText("No snapshots").waitFor();
    });

    after(async () => {
        await browser?.close();
        await ws?.stop();
        await cleanupTestObjects();
        await cleanupTestResources();
    });

    const row = name => page.locator(`.virt-card-snapshots tr[data-snapshot="${name}"]`);
    const rowMenu = async (name, item) => {
        await row(name).getByRole("button", { name: "Kebab toggle" }).click();
        await page.getByRole("menuitem", { name: new RegExp(`^${item}`) }).click();
    };

    test("create from the keyboard, the tree, a taken name refused in the dialog", () => snapOnFailure(page, "snapshots-create", async () => {
        await page.locator("#virt-create-snapshot-button").click();
        const d = dialog(page, `Create snapshot of ${g.name}`);
        await d.waitFor();
        const name = d.locator("#virt-create-snapshot-name");
        await waitFor(async () => (await name.inputValue()) === "snapshot-1", 10000, { what: "the suggested name" });
        assert.ok(await d.locator("#virt-create-snapshot-internal").isChecked(), "a shut-off qcow2 VM defaults to internal");
        await screenshot(page, "snapshots-create-light");
        await name.focus();
        await page.keyboard.press("Control+A");
        await page.keyboard.type("first");
        await page.keyboard.press("Tab");
        await page.keyboard.type("clean install");
        await name.focus();
        await page.keyboard.press("Enter");
        await d.waitFor({ state: "hidden" });
        await row("first").getByText("Current").waitFor();
        assert.match(await row("first").innerText(), /clean install[\s\S]*Shut off[\s\S]*Internal, disks only/);

        await page.locator("#virt-create-snapshot-button").click();
        await d.waitFor();
        await waitFor(async () => (await name.inputValue()) === "snapshot-1", 10000, { what: "the suggested name again" });
        await name.fill("first");
        await d.locator("#virt-create-snapshot-submit").click();
        await d.locator("#virt-create-snapshot-failure").getByText('A snapshot named "first" already exists').waitFor();
        await name.fill("second");
        await d.locator("#virt-create-snapshot-submit").click();
        await d.waitFor({ state: "hidden" });
        await row("second").getByText("Current").waitFor();
        assert.equal(await row("second").getAttribute("aria-level"), "2", "a child of first");
        assert.equal(await row("first").getByText("Current").count(), 0);
        assert.match(await virsh("snapshot-list", "--tree", g.name), /first\s*\n\s*\|\s*\n\s*\+- second/);
        await page.locator(".virt-card-snapshots").screenshot({ path: await screenshot(page, "snapshots-card-light") });
        const dark = await openVirtPage(browser, ws, { connections: [URI], path: `/vm/system/${g.name}`, theme: "dark" });
        await dark.locator('.virt-card-snapshots tr[data-snapshot="second"]').waitFor();
        await dark.locator(".virt-card-snapshots").screenshot({ path: await screenshot(dark, "snapshots-card-dark") });
        await dark.close();
    }));

    test("a snapshot made and deleted with virsh appears and goes without a reload", () => snapOnFailure(page, "snapshots-virsh", async () => {
        await virsh("snapshot-create-as", g.name, "from-virsh");
        await row("from-virsh").waitFor({ timeout: 10000 });
        await virsh("snapshot-delete", g.name, "from-virsh");
        await row("from-virsh").waitFor({ state: "detached", timeout: 10000 });
    }));

    test("revert and delete ask first; clone from a snapshot", () => snapOnFailure(page, "snapshots-revert", async () => {
        await rowMenu("first", "Revert");
        const revert = dialog(page, `Revert ${g.name} to snapshot first?`);
        await revert.waitFor();
        await screenshot(page, "snapshots-revert");
        await revert.locator("#virt-revert-snapshot-submit").click();
        await revert.waitFor({ state: "hidden" });
        await row("first").getByText("Current").waitFor();
        assert.equal((await virsh("snapshot-current", "--name", g.name)).trim(), "first");

        await rowMenu("second", "Delete");
        const del = dialog(page, "Delete snapshot second?");
        await del.waitFor();
        await del.locator("#virt-delete-snapshot-cancel").click();
        await del.waitFor({ state: "hidden" });
        assert.match(await virsh("snapshot-list", "--name", g.name), /second/, "cancel deletes nothing");
        await rowMenu("second", "Delete");
        await del.locator("#virt-delete-snapshot-submit").click();
        await del.waitFor({ state: "hidden" });
        await row("second").waitFor({ state: "detached" });
        assert.doesNotMatch(await virsh("snapshot-list", "--name", g.name), /second/);

        await rowMenu("first", "Clone");
        const clone = dialog(page, `Clone ${g.name} from snapshot first`);
        await clone.waitFor();
        await waitFor(async () => (await clone.locator("#virt-clone-name").inputValue()) === `${g.name}-clone`, 10000, { what: "the suggested clone name" });
        assert.equal(await clone.locator("#virt-clone-pool").inputValue(), POOL);
        await screenshot(page, "snapshots-clone");
        await clone.locator("#virt-clone-submit").click();
        await clone.waitFor({ state: "hidden", timeout: 60000 });
        await page.getByText(`Created ${g.name}-clone`).waitFor();
        assert.match(await virsh("dumpxml", "--inactive", `${g.name}-clone`), new RegExp(`volume='${g.name}-clone-vda.qcow2'`));
    }));
});
