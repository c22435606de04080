// SPDX-License-Identifier: LGPL-2.1-or-later
// The VM page's Disks and Network interfaces cards and their dialogs on one real running tiny guest
// (qemu:///system): what only the browser shows. Every op and its refusals are proven at the protocol level in
// tests/libvirt/devices.test.mjs; here: a dialog sends what was typed, the helper's verdict shows inside the
// dialog, the new row appears, row menus act, and "now only" differences are labelled. Screenshots light and dark
// go to test-results/devices-*.png (set CVIRT_SCREENSHOTS=/some/dir to copy them elsewhere too).

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { RESULTS_DIR, dialog, launchBrowser, openVirtPage, screenshot, snapOnFailure } from "../harness/browser.mjs";
import { startCockpitWs } from "../harness/cockpit-ws.mjs";
import {
    GUESTS_DIR, PREFIX, READY, URI, cleanupTestObjects, defineTinyGuest, ensureLibvirtd, guestDir, virsh, waitFor,
    waitForSerial,
} from "../harness/libvirt.mjs";

const POOL = `${PREFIX}uipool`;
const POOL_DIR = path.join(GUESTS_DIR, `${PREFIX}uipool`);

/** A screenshot of the page, or with `card` of that element alone (the page scrolls in an inner box). */
async function shot(page, name, card) {
    let file;
    if (card) {
        mkdirSync(RESULTS_DIR, { recursive: true });
        file = path.join(RESULTS_DIR, `${name}.png`);
        await page.locator(card).screenshot({ path: file });
    } else {
        file = await screenshot(page, name);
    }
    if (process.env.CVIRT_SCREENSHOTS) {
        mkdirSync(process.env.CVIRT_SCREENSHOTS, { recursive: true });
        copyFileSync(file, path.join(process.env.CVIRT_SCREENSHOTS, `${name}.png`));
    }
}

describe("device cards and dialogs (real libvirt)", () => {
    let ws, browser, page, g;

    before(async () => {
        await ensureLibvirtd();
        await guestDir();
        await cleanupTestObjects();
        await virsh("pool-destroy", POOL).catch(() => {});
        await virsh("pool-undefine", POOL).catch(() => {});
        mkdirSync(POOL_DIR, { recursive: true });
        chmodSync(GUESTS_DIR, 0o755);
        chmodSync(POOL_DIR, 0o755);
        await virsh("pool-define-as", POOL, "dir", "--target", POOL_DIR);
        await virsh("pool-start", POOL);
        g = await defineTinyGuest("ui-dev", { agent: true });
        // A CD/DVD drive with an ISO path in it, on virtio-scsi (the guest has its driver).
        const iso = path.join(g.dir, "install.iso");
        const src = path.join(g.dir, "iso-src");
        mkdirSync(src);
        writeFileSync(path.join(src, "hello.txt"), "hello");
        execFileSync("xorriso", ["-as", "mkisofs", "-quiet", "-V", "CVTEST", "-o", iso, src], { stdio: "ignore" });
        chmodSync(iso, 0o644);
        const cd = path.join(g.dir, "cd.xml");
        writeFileSync(cd, `<controller type='scsi' model='virtio-scsi'/>`);
        await virsh("attach-device", g.name, cd, "--config");
        writeFileSync(cd, `<disk type='file' device='cdrom'><source file='${iso}'/><target dev='sda' bus='scsi'/><readonly/></disk>`);
        await virsh("attach-device", g.name, cd, "--config");
        await virsh("start", g.name);
        await waitForSerial(g, READY, 90000);
        ws = await startCockpitWs();
        browser = await launchBrowser({ viewport: { width: 1400, height: 1000 } });
        page = await openVirtPage(browser, ws, { connections: [URI], path: `/vm/system/${g.name}` });
        await page.locator(".virt-card-disks").waitFor();
    });

    after(async () => {
        await browser?.close();
        await ws?.stop();
        await cleanupTestObjects();
        await virsh("pool-destroy", POOL).catch(() => {});
        await virsh("pool-undefine", POOL).catch(() => {});
    });

    const diskRow = target => page.locator(`.virt-card-disks tr[data-target="${target}"]`);
    const nicRow = mac => page.locator(`.virt-card-interfaces tr[data-mac="${mac}"]`);
    const rowMenu = async (row, item) => {
        await row.getByRole("button", { name: "Kebab toggle" }).click();
        await page.getByRole("menuitem", { name: new RegExp(`^${item}`) }).click();
    };

    test("add disk: the helper's refusal shows in the dialog; a new volume appears as a row, now and at next boot", () => snapOnFailure(page, "devices-add-disk", async () => {
        await page.locator("#virt-add-disk-button").click();
        const d = dialog(page, "Add disk");
        await d.waitFor();
        await d.locator("#virt-add-disk-pool").selectOption(POOL);
        await d.locator("#virt-add-disk-name").fill("ui \"disk\" ü");
        await d.locator("#virt-add-disk-size").fill("0");
        await d.locator("#virt-add-disk-submit").click();
        await d.locator(".virt-device-failure").getByText("The size must be larger than 0").waitFor();
        await shot(page, "devices-add-disk-error-light");
        await d.locator("#virt-add-disk-size-unit").selectOption("MiB");
        await d.locator("#virt-add-disk-size").fill("8");
        await d.locator("#virt-add-disk-serial").fill("UI-0");
        await d.locator("#virt-add-disk-submit").click();
        await d.waitFor({ state: "hidden" });
        await diskRow("vda").waitFor();
        assert.equal(await diskRow("vda").getAttribute("data-presence"), "both");
        assert.match(await diskRow("vda").locator(".virt-disk-source").innerText(), /ui "disk" ü \(pool cvtest-uipool\)/);
        await page.getByText("Added vda: now and at the next boot").waitFor();
        assert.equal(await diskRow("vda").locator(".virt-disk-serial").innerText(), "UI-0");
        assert.match(await virsh("vol-list", POOL), /ui "disk" ü/);
    }));

    test("grow and eject from the row menus; a now-only eject is labelled", () => snapOnFailure(page, "devices-menus", async () => {
        await rowMenu(diskRow("vda"), "Grow");
        const d = dialog(page, "Grow disk vda");
        await d.waitFor();
        await d.locator("#virt-resize-disk-size-unit").selectOption("MiB");
        await d.locator("#virt-resize-disk-size").fill("4");
        await d.locator("#virt-resize-disk-submit").click();
        await d.locator(".virt-device-failure").getByText("Shrinking is refused", { exact: false }).waitFor();
        await d.locator("#virt-resize-disk-size").fill("16");
        await d.locator("#virt-resize-disk-submit").click();
        await d.waitFor({ state: "hidden" });
        await page.getByText("vda grown from 8 MiB to 16 MiB").waitFor();
        await diskRow("vda").locator(".virt-disk-size").getByText("16 MiB").waitFor();

        // Edit: for the next boot only, so the row says "Changes at next boot".
        await rowMenu(diskRow("vda"), "Edit");
        const e = dialog(page, "Edit vda");
        await e.waitFor();
        await e.locator("#virt-edit-disk-cache").selectOption("writeback");
        await e.locator("#virt-edit-disk-serial").fill("UI-1");
        await shot(page, "devices-edit-disk-light");
        await e.locator("#virt-edit-disk-submit").click();
        await e.waitFor({ state: "hidden" });
        await diskRow("vda").getByText("Changes at next boot").waitFor();
        // The row is the running disk (its serial as added); the saved definition has the new one.
        assert.equal(await diskRow("vda").locator(".virt-disk-serial").innerText(), "UI-0");
        assert.match(await virsh("dumpxml", "--inactive", g.name), /cache='writeback'[\s\S]*<serial>UI-1<\/serial>/);

        // Eject only now, through the dialog-less menu item with the VM's saved definition keeping the ISO.
        await virsh("change-media", g.name, "sda", "--eject", "--live");
        await waitFor(async () => await diskRow("sda").getAttribute("data-presence") === "changed", 10000, { what: "sda to be marked changed" });
        assert.equal(await diskRow("sda").locator(".virt-disk-source").innerText(), "Empty");
        await diskRow("sda").getByText("Changes at next boot").waitFor();
        await rowMenu(diskRow("sda"), "Insert media");
        const m = dialog(page, "Insert media into sda");
        await m.waitFor();
        await shot(page, "devices-insert-media-light");
        // An existing volume is picked from the pool's list (vda's new volume is in it).
        await m.locator("#virt-insert-media-volume").check();
        await m.locator("#virt-insert-media-pool").selectOption(POOL);
        await m.locator('#virt-insert-media-volume-name option[value="ui \\"disk\\" ü"]').waitFor({ state: "attached" });
        // A URL goes to the helper, which reads it before the drive changes: its verdict shows in the dialog.
        await m.locator("#virt-insert-media-url").check();
        await m.locator("#virt-insert-media-url-input").fill("http://127.0.0.1:1/install.iso");
        await m.locator("#virt-insert-media-submit").click();
        await m.locator(".virt-device-failure").getByText("cannot be read", { exact: false }).waitFor();
        await shot(page, "devices-insert-media-url-light");
        await m.getByRole("button", { name: "Cancel" }).click();
    }));

    test("interfaces: add with a given MAC, unplug the cable, remove; guest addresses show", () => snapOnFailure(page, "devices-nics", async () => {
        const mac = "52:54:00:cf:11:22";
        await page.locator("#virt-add-nic-button").click();
        const d = dialog(page, "Add network interface");
        await d.waitFor();
        await d.locator("#virt-add-nic-user").check();
        // passt is installed here (install-deps): its port forwards are offered; this interface stays QEMU's own.
        await d.locator("#virt-add-nic-forward-add").click();
        await d.locator("#virt-add-nic-forward-host-0").fill("20022");
        await d.locator("#virt-add-nic-forward-guest-0").fill("22");
        await shot(page, "devices-add-nic-passt-light");
        await d.locator("#virt-add-nic-passt").uncheck();
        await d.locator("#virt-add-nic-mac-given").check();
        await d.locator("#virt-add-nic-mac").fill("52:54:00:cf:11");
        await d.locator("#virt-add-nic-submit").click();
        await d.locator(".virt-device-failure").getByText("is not a MAC address", { exact: false }).waitFor();
        await d.locator("#virt-add-nic-mac").fill(mac);
        await d.locator("#virt-add-nic-submit").click();
        await d.waitFor({ state: "hidden" });
        await nicRow(mac).waitFor();
        await rowMenu(nicRow(mac), "Unplug cable");
        await nicRow(mac).locator(".virt-nic-link").getByText("Down").waitFor();
        assert.match(await virsh("dumpxml", g.name), /<link state='down'\/>/);
        // The first interface (user-mode, the agent answers) shows the guest's address.
        await page.locator(".virt-card-interfaces .virt-nic-addresses").getByText("10.0.2.15/24").waitFor({ timeout: 40000 });
        await shot(page, "devices-disks-light", ".virt-card-disks");
        await shot(page, "devices-interfaces-light", ".virt-card-interfaces");
        await rowMenu(nicRow(mac), "Edit");
        const e = dialog(page, `Edit interface ${mac}`);
        await e.locator("#virt-edit-nic-model").selectOption("e1000e");
        await e.locator("#virt-edit-nic-submit").click();
        await e.waitFor({ state: "hidden" });
        await nicRow(mac).getByText("Changes at next boot").waitFor();
        assert.match(await virsh("dumpxml", "--inactive", g.name), new RegExp(`<mac address='${mac}'/>[\\s\\S]*?<model type='e1000e'/>`));
        await rowMenu(nicRow(mac), "Remove");
        const r = dialog(page, `Remove interface ${mac}?`);
        await r.locator("#virt-remove-nic-submit").click();
        await r.waitFor({ state: "hidden" });
        await waitFor(async () => !(await virsh("dumpxml", g.name)).includes(mac), 20000, { what: "the NIC to be unplugged" });
        await nicRow(mac).waitFor({ state: "detached", timeout: 20000 });
    }));

    test("dark theme: cards and a dialog", () => snapOnFailure(page, "devices-dark", async () => {
        const dark = await openVirtPage(browser, ws, { connections: [URI], theme: "dark", path: `/vm/system/${g.name}` });
        await dark.locator(".virt-card-interfaces .virt-nic-addresses").getByText("10.0.2.15/24").waitFor({ timeout: 40000 });
        await shot(dark, "devices-disks-dark", ".virt-card-disks");
        await shot(dark, "devices-interfaces-dark", ".virt-card-interfaces");
        await dark.locator("#virt-add-disk-button").click();
        await dialog(dark, "Add disk").waitFor();
        await shot(dark, "devices-add-disk-dark");
        assert.deepEqual(dark.virtErrors, []);
        await dark.close();
        assert.deepEqual(page.virtErrors, []);
    }));
});
