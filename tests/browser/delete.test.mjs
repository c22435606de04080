// SPDX-License-Identifier: LGPL-2.1-or-later
// The delete dialog on libvirt's test driver: which storage it offers and ticks, what it sends, and how storage
// that could not be deleted is reported. (Real files and libvirtd: tests/browser/libvirt.test.mjs.)

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { chooseAction, dialog, launchBrowser, openVirtPage, screenshot, snapOnFailure, vmRow, waitLoaded } from "../harness/browser.mjs";
import { startCockpitWs } from "../harness/cockpit-ws.mjs";

function domainXml(name, state) {
    return `<domain type='test'>
  <name>${name}</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><source file='/nonexistent/${name}-root.qcow2'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='disk'><source file='/nonexistent/${name}-data.qcow2'/><target dev='vdb' bus='virtio'/></disk>
    <disk type='file' device='cdrom'><source file='/nonexistent/${name}.iso'/><target dev='sda' bus='sata'/><readonly/></disk>
    <disk type='file' device='cdrom'><target dev='sdb' bus='sata'/><readonly/></disk>
  </devices>
  <test:runstate xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>${state}</test:runstate>
</domain>`;
}

describe("delete dialog (test driver)", () => {
    let ws, browser, page, dir;

    before(async () => {
        dir = mkdtempSync(path.join(tmpdir(), "cvtest-delete-"));
        const file = path.join(dir, "node.xml");
        // runstate 1 = running, 5 = shut off
        writeFileSync(file, `<node>\n${domainXml("alpha", 1)}\n${domainXml("beta", 5)}\n</node>\n`);
        ws = await startCockpitWs();
        browser = await launchBrowser();
        page = await openVirtPage(browser, ws, { connections: [`test://${file}`] });
        await waitLoaded(page);
    });

    after(async () => {
        await browser?.close();
        await ws?.stop();
        rmSync(dir, { recursive: true, force: true });
    });

    test("lists disks ticked and CD-ROMs unticked, and warns that a running VM is forced off", () => snapOnFailure(page, "delete-dialog", async () => {
        await chooseAction(page, "alpha", "Delete");
        const d = dialog(page, "Delete alpha?");
        await d.waitFor();
        await d.getByText("It will be forced off first", { exact: false }).waitFor();
        const box = path => d.getByRole("checkbox", { name: path });
        assert.equal(await box("/nonexistent/alpha-root.qcow2").isChecked(), true);
        assert.equal(await box("/nonexistent/alpha-data.qcow2").isChecked(), true);
        assert.equal(await box("/nonexistent/alpha.iso").isChecked(), false);
        await d.getByText("Disk vda", { exact: true }).waitFor();
        await d.getByText("CD/DVD sda", { exact: true }).waitFor();
        assert.equal(await d.getByRole("checkbox").count(), 3, "the empty CD-ROM has nothing to delete");
        await screenshot(page, "delete-dialog");
        await d.getByRole("button", { name: "Cancel" }).click();
        await d.waitFor({ state: "hidden" });
        await vmRow(page, "alpha").waitFor();
    }));

    test("deletes the VM with exactly the ticked storage, and shows what could not be deleted", () => snapOnFailure(page, "delete-storage", async () => {
        await chooseAction(page, "alpha", "Delete");
        const d = dialog(page, "Delete alpha?");
        await d.getByRole("checkbox", { name: "/nonexistent/alpha-data.qcow2" }).uncheck();
        await d.getByRole("checkbox", { name: "/nonexistent/alpha.iso" }).check();
        await d.getByRole("button", { name: "Delete" }).click();
        await vmRow(page, "alpha").waitFor({ state: "detached" });

        // The files don't exist, so the helper reports each ticked one: vda and sda, not vdb.
        const warning = page.getByRole("heading", { name: /alpha was deleted, but some of its storage was not$/ });
        await warning.waitFor();
        const alert = page.locator(".virt-notice").filter({ has: warning });
        await alert.getByText("vda", { exact: false }).waitFor();
        await alert.getByText("/nonexistent/alpha.iso", { exact: false }).waitFor();
        assert.equal(await alert.getByText("alpha-data", { exact: false }).count(), 0);
        await screenshot(page, "delete-storage-warning");
        await alert.getByRole("button", { name: "Dismiss" }).click();
        await warning.waitFor({ state: "detached" });
    }));

    test("deletes a shut off VM without its storage", () => snapOnFailure(page, "delete-plain", async () => {
        await chooseAction(page, "beta", "Delete");
        const d = dialog(page, "Delete beta?");
        await d.waitFor();
        assert.equal(await d.getByText("forced off", { exact: false }).count(), 0);
        for (const box of await d.getByRole("checkbox").all())
            await box.uncheck();
        await d.getByRole("button", { name: "Delete" }).click();
        await vmRow(page, "beta").waitFor({ state: "detached" });
        await page.getByRole("heading", { name: "No virtual machines" }).waitFor();
        assert.equal(await page.locator(".virt-notice").count(), 0);
    }));
});
