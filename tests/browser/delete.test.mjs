// SPDX-License-Identifier: LGPL-2.1-or-later
// The delete dialog on libvirt's test driver: which storage it offers and ticks, what deleting each kind means, what
// it sends, and how storage that could not be deleted is reported; then on the real libvirtd (effects checked with
// virsh): a VM made like Create VM makes it (a pool volume and a shared install ISO) deleted from its own page.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { chooseAction, dialog, launchBrowser, openVirtPage, screenshot, snapOnFailure, vmRow, waitLoaded } from "../harness/browser.mjs";
import { startCockpitWs } from "../harness/cockpit-ws.mjs";
import { GUESTS_DIR, URI, domExists, ensureLibvirtd, guestDir, tinyGuestXml, virsh } from "../harness/libvirt.mjs";

const TEST_POOL = "cvtest-pool";

function domainXml(name, state, { extraDisks = "" } = {}) {
    return `<domain type='test'>
  <name>${name}</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><source file='/nonexistent/${name}-root.qcow2'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='disk'><source file='/nonexistent/${name}-data.qcow2'/><target dev='vdb' bus='virtio'/></disk>${extraDisks}
    <disk type='file' device='cdrom'><source file='/nonexistent/shared.iso'/><target dev='sda' bus='sata'/><readonly/></disk>
    <disk type='file' device='cdrom'><target dev='sdb' bus='sata'/><readonly/></disk>
  </devices>
  <test:runstate xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>${state}</test:runstate>
</domain>`;
}

/** alpha's other disk kinds: a pool volume, a host block device, an NBD export. */
const ALPHA_DISKS = `
    <disk type='volume' device='disk'><source pool='${TEST_POOL}' volume='alpha.qcow2'/><target dev='vdc' bus='virtio'/></disk>
    <disk type='block' device='disk'><source dev='/dev/cvtest-none'/><target dev='vdd' bus='virtio'/></disk>
    <disk type='network' device='disk'><source protocol='nbd' name='cvtest-export'><host name='192.0.2.1' port='10809'/></source><target dev='vde' bus='virtio'/></disk>`;

const POOL_XML = `<pool type='dir'>
  <name>${TEST_POOL}</name>
  <uuid>35bb2ad9-388a-cdfe-461a-b8907f6e53fe</uuid>
  <capacity unit='GiB'>100</capacity><allocation>0</allocation><available unit='GiB'>100</available>
  <source/>
  <target><path>/cvtest-pool</path></target>
  <volume type='file'><name>alpha.qcow2</name><capacity unit='MiB'>16</capacity><allocation>0</allocation></volume>
</pool>`;

describe("delete dialog (test driver)", () => {
    let ws, browser, page, dir;

    before(async () => {
        dir = mkdtempSync(path.join(tmpdir(), "cvtest-delete-"));
        const file = path.join(dir, "node.xml");
        // runstate 1 = running, 5 = shut off
        writeFileSync(file, `<node>\n${domainXml("alpha", 1, { extraDisks: ALPHA_DISKS })}\n${domainXml("beta", 5)}\n${POOL_XML}\n</node>\n`);
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

    test("lists every disk kind with what deleting it means; shared and never-deleted storage cannot be ticked", () => snapOnFailure(page, "delete-dialog", async () => {
        await chooseAction(page, "alpha", "Delete");
        const d = dialog(page, "Delete alpha?");
        await d.waitFor();
        await d.getByText("It will be forced off first", { exact: false }).waitFor();
        const box = path => d.getByRole("checkbox", { name: path });
        await box("/nonexistent/alpha-root.qcow2").waitFor();
        assert.equal(await box("/nonexistent/alpha-root.qcow2").isChecked(), true);
        assert.equal(await box("/nonexistent/alpha-data.qcow2").isChecked(), true);
        await d.getByText("Disk vda · The file is removed", { exact: true }).waitFor();
        // The VM's own volume (what Create VM makes) is offered and ticked: deleted through its pool.
        assert.equal(await box("/cvtest-pool/alpha.qcow2").isChecked(), true);
        await d.getByText("Disk vdc · Volume alpha.qcow2 is deleted from pool cvtest-pool", { exact: true }).waitFor();
        // The ISO beta uses too: shown as used, never ticked, cannot be ticked.
        assert.equal(await box("/nonexistent/shared.iso").isChecked(), false);
        assert.equal(await box("/nonexistent/shared.iso").isDisabled(), true);
        await d.getByText("CD/DVD sda · Used by beta: kept", { exact: true }).waitFor();
        // Block devices and network disks are listed, and said to be only detached.
        for (const name of ["/dev/cvtest-none", "cvtest-export"]) {
            assert.equal(await box(name).isChecked(), false);
            assert.equal(await box(name).isDisabled(), true);
        }
        await d.getByText("Disk vdd · Block device: never deleted, only detached", { exact: true }).waitFor();
        await d.getByText("Disk vde · Network disk: never deleted, only detached", { exact: true }).waitFor();
        assert.equal(await d.getByRole("checkbox").count(), 6, "the empty CD-ROM has nothing to delete");
        await screenshot(page, "delete-dialog");
        await d.getByRole("button", { name: "Cancel" }).click();
        await d.waitFor({ state: "hidden" });
        await vmRow(page, "alpha").waitFor();
    }));

    test("deletes the VM with exactly the ticked storage, and shows what could not be deleted", () => snapOnFailure(page, "delete-storage", async () => {
        await chooseAction(page, "alpha", "Delete");
        const d = dialog(page, "Delete alpha?");
        await d.getByRole("checkbox", { name: "/nonexistent/alpha-data.qcow2" }).uncheck();
        await d.getByRole("button", { name: "Delete" }).click();
        await vmRow(page, "alpha").waitFor({ state: "detached" });

        // The files don't exist, so the helper reports the ticked one (vda); the volume went through its pool.
        const warning = page.getByRole("heading", { name: /alpha was deleted, but some of its storage was not$/ });
        await warning.waitFor();
        const alert = page.locator(".virt-notice").filter({ has: warning });
        await alert.getByText("vda", { exact: false }).waitFor();
        for (const untouched of ["alpha-data", "alpha.qcow2", "shared.iso"])
            assert.equal(await alert.getByText(untouched, { exact: false }).count(), 0, untouched);
        await screenshot(page, "delete-storage-warning");
        await alert.getByRole("button", { name: "Dismiss" }).click();
        await warning.waitFor({ state: "detached" });
    }));

    test("deletes a shut off VM without its storage", () => snapOnFailure(page, "delete-plain", async () => {
        await chooseAction(page, "beta", "Delete");
        const d = dialog(page, "Delete beta?");
        await d.waitFor();
        assert.equal(await d.getByText("forced off", { exact: false }).count(), 0);
        // The disks are listed once the helper's plan arrives: untick them all, not none.
        await d.getByRole("checkbox").first().waitFor();
        for (const box of await d.getByRole("checkbox").all())
            await box.uncheck();
        await d.getByRole("button", { name: "Delete" }).click();
        await vmRow(page, "beta").waitFor({ state: "detached" });
        await page.getByRole("heading", { name: "No virtual machines" }).waitFor();
        assert.equal(await page.locator(".virt-notice").count(), 0);
    }));
});

describe(`delete on the real libvirtd (${URI})`, () => {
    const pool = "cvtest-delete-bpool";
    const poolDir = "/tmp/cvtest-delete-bpool";
    const mediaDir = path.join(GUESTS_DIR, "cvtest-delete-bmedia");
    let ws, browser, page, vm, other, iso, volPath;

    async function removePool() {
        if (await virsh("pool-info", pool).then(() => true, () => false)) {
            await virsh("vol-delete", "--pool", pool, "vm.qcow2").catch(() => {});
            await virsh("pool-destroy", pool).catch(() => {});
            await virsh("pool-undefine", pool).catch(() => {});
        }
        rmSync(poolDir, { recursive: true, force: true });
    }

    async function define(name, disksXml) {
        const guest = await guestDir();
        const full = `cvtest-delb-${name}-${randomUUID().slice(0, 6)}`;
        const xml = tinyGuestXml({
            name: full, uuid: randomUUID(), kernel: path.join(guest, "vmlinuz"), initrd: path.join(guest, "initrd.img"),
            serialLog: path.join(mediaDir, `${full}.log`),
        }).replace("<serial type='pty'>", `${disksXml}\n    <serial type='pty'>`);
        const file = path.join(mediaDir, `${full}.xml`);
        writeFileSync(file, xml);
        await virsh("define", file);
        return full;
    }

    before(async () => {
        await ensureLibvirtd();
        await removePool();
        mkdirSync(poolDir, { recursive: true });
        await virsh("pool-define-as", pool, "dir", "--target", poolDir);
        await virsh("pool-start", pool);
        await virsh("vol-create-as", pool, "vm.qcow2", "16M", "--format", "qcow2");
        volPath = (await virsh("vol-path", "--pool", pool, "vm.qcow2")).trim();
        mkdirSync(mediaDir, { recursive: true });
        chmodSync(mediaDir, 0o755);
        iso = path.join(mediaDir, "install.iso");
        writeFileSync(iso, Buffer.alloc(64 * 1024));
        const cdrom = `<disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='${iso}'/>` +
            "<target dev='hdc' bus='ide'/><readonly/></disk>";
        vm = await define("vm", `<disk type='volume' device='disk'><driver name='qemu' type='qcow2'/>` +
            `<source pool='${pool}' volume='vm.qcow2'/><target dev='vda' bus='virtio'/></disk>${cdrom}`);
        other = await define("other", cdrom);
        ws = await startCockpitWs();
        browser = await launchBrowser();
        const segment = URI === "qemu:///system" ? "system" : encodeURIComponent(URI);
        page = await openVirtPage(browser, ws, { connections: [URI], path: `/vm/${segment}/${vm}` });
    });

    after(async () => {
        await browser?.close();
        await ws?.stop();
        for (const name of [vm, other].filter(Boolean)) {
            if (await domExists(name))
                await virsh("undefine", name).catch(() => {});
        }
        await removePool();
        rmSync(mediaDir, { recursive: true, force: true });
    });

    test("deleted from its own page: the volume goes, the ISO another VM uses stays, and the page returns to the list", () => snapOnFailure(page, "delete-vm-page", async () => {
        await page.getByRole("heading", { level: 1, name: vm }).waitFor({ timeout: 30000 });
        await chooseAction(page, vm, "Delete");
        const d = dialog(page, `Delete ${vm}?`);
        const volume = d.getByRole("checkbox", { name: volPath });
        await volume.waitFor();
        assert.equal(await volume.isChecked(), true, "the VM's own disk is offered and ticked");
        await d.getByText(`Disk vda · Volume vm.qcow2 is deleted from pool ${pool}`, { exact: true }).waitFor();
        const shared = d.getByRole("checkbox", { name: iso });
        assert.equal(await shared.isChecked(), false);
        assert.equal(await shared.isDisabled(), true);
        await d.getByText(`CD/DVD hdc · Used by ${other}: kept`, { exact: true }).waitFor();
        await screenshot(page, "delete-vm-page-dialog");
        await d.getByRole("button", { name: "Delete" }).click();

        await page.waitForURL(url => url.hash === "#/" || url.hash === "", { timeout: 10000 });
        await waitLoaded(page, 30000);
        await vmRow(page, vm).waitFor({ state: "detached", timeout: 30000 });
        assert.equal(await page.getByRole("heading", { name: "VM not found" }).count(), 0);
        assert.equal(await domExists(vm), false, "virsh no longer knows the VM");
        const vols = await virsh("vol-list", pool);
        assert.doesNotMatch(vols, /vm\.qcow2/, "the volume is gone from virsh vol-list");
        assert.equal(existsSync(iso), true, "the shared ISO stays");
        assert.equal(await domExists(other), true);
    }));
});
