// SPDX-License-Identifier: LGPL-2.1-or-later
// The page under real logins (tests/harness/login.mjs): a sudoer outside the libvirt group gets the no-access
// state with the page's own "Turn on administrative access" button; once access is on, the system VMs appear
// without a reload and run, stop, show their serial console, and are created and deleted through the helper the
// page spawned as root (each effect checked with virsh); turned off in the shell, the state is back with no stale
// row. A libvirt-group member sees system VMs without admin access; a user with neither gets the libvirt-group
// state. Logins use the installed bridge (337): cockpit-session starts its own.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { chooseAction, dialog, filterList, screenshot, snapOnFailure, vmRow, waitLoaded, waitVmState } from "../harness/browser.mjs";
import { consoleOf, showTab } from "../harness/console-ui.mjs";
import { adminAccessOn, launchChromium, login, openVirtPage, setAdminAccess, startLoginSession } from "../harness/login.mjs";
import { URI, defineTinyGuest, domExists, domState, ensureLibvirtd, guestDir, virsh, waitFor } from "../harness/libvirt.mjs";
import { createAndRun, fillDialog } from "../create/dialog.mjs";

const SYSTEM_ONLY = [URI];

describe("the page with real logins", { skip: URI !== "qemu:///system" && "needs qemu:///system" }, () => {
    let session, browser, guest, importDir;
    const created = `cvtest-admin-import-${process.pid}`;

    before(async () => {
        await ensureLibvirtd();
        [session, browser, guest] = await Promise.all([
            startLoginSession(), launchChromium(), defineTinyGuest("loginsys"),
        ]);
        importDir = await guestDir();
    });

    after(async () => {
        await virsh("destroy", created).catch(() => {});
        await virsh("undefine", "--nvram", created).catch(() => {});
        await virsh("destroy", guest?.name ?? "").catch(() => {});
        await virsh("undefine", "--nvram", guest?.name ?? "").catch(() => {});
        if (guest)
            rmSync(guest.dir, { recursive: true, force: true });
        await browser?.close();
        await session?.stop();
    });

    test("a sudoer turns access on from the page; system VMs appear, run, show a console, are created and deleted; off again leaves no row", async () => {
        const { admin } = session.users;
        const page = await login(browser, session, "admin", { connections: SYSTEM_ONLY });
        const frame = await openVirtPage(page, session);
        await snapOnFailure(page, "login-virt-admin", async () => {
            assert.equal(await adminAccessOn(page), false);
            const help = frame.locator('.virt-system-access[data-remedy="admin-access"]');
            await help.waitFor({ timeout: 30000 });
            assert.equal(await vmRow(frame, guest.name).count(), 0);
            await screenshot(page, "login-admin-no-access");

            // The page's own button: the shell's superuser service asks for the password in our dialog.
            await help.getByRole("button", { name: "Turn on administrative access" }).click();
            const password = frame.locator("#virt-admin-access-password");
            await password.waitFor({ timeout: 30000 });
            await password.fill(admin.password);
            await screenshot(page, "login-admin-access-dialog");
            const t0 = Date.now();
            await frame.getByRole("button", { name: "Authenticate" }).click();
            await filterList(frame, guest.name);
            await vmRow(frame, guest.name).waitFor({ timeout: 30000 });
            console.log(`# access on → system VM row shown: ${Date.now() - t0} ms (no reload)`);
            assert.equal(await adminAccessOn(page), true, "the shell's indicator follows");
            assert.equal(await help.count(), 0);

            // Run, the serial console, Force shut down: all through the root helper.
            await vmRow(frame, guest.name).getByRole("button", { name: `Run ${guest.name}` }).click();
            await waitVmState(frame, guest.name, "running", 30000);
            assert.equal(await domState(guest.name), "running");
            await vmRow(frame, guest.name).getByRole("link", { name: guest.name }).click();
            await showTab(frame, "serial");
            await consoleOf(frame, "serial", "connected").waitFor({ timeout: 30000 });
            await frame.getByRole("link", { name: "Virtual machines" }).click();
            await filterList(frame, guest.name);
            await chooseAction(frame, guest.name, "Force shut down");
            await dialog(frame, `Force shut down ${guest.name}?`).getByRole("button", { name: "Force shut down" }).click();
            await waitVmState(frame, guest.name, "shutoff", 30000);
            assert.equal(await domState(guest.name), "shut off");

            // Import an existing disk as a new system VM, then delete it with its disk.
            const disk = path.join(importDir, `${created}.qcow2`);
            execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", disk, "16M"]);
            await frame.locator("#virt-import-vm").click();
            await frame.locator('[data-test="create-dialog"]').waitFor();
            await frame.locator("#create-network option").nth(1).waitFor({ state: "attached", timeout: 30000 });
            await fillDialog(frame, { sourceKind: "import", source: disk, os: "Debian 11", name: created, network: "user" });
            await createAndRun(frame, created);
            assert.match(await virsh("dumpxml", created), new RegExp(disk.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
            await frame.getByRole("link", { name: "Virtual machines" }).click();
            await filterList(frame, created);
            await chooseAction(frame, created, "Delete");
            await dialog(frame, `Delete ${created}?`).getByRole("button", { name: "Delete" }).click();
            await vmRow(frame, created).waitFor({ state: "detached", timeout: 30000 });
            await waitFor(async () => !(await domExists(created)), 15000, { what: `${created} undefined` });

            // Limited again through the shell: the no-access state, and no row that only root could see.
            await setAdminAccess(page, false, admin);
            await help.waitFor({ timeout: 30000 });
            assert.equal(await frame.locator("tbody tr").count(), 0, "no row outlives the access that showed it");
        });
        await page.context().close();
    });

    test("a libvirt-group member sees system VMs without admin access", async () => {
        const page = await login(browser, session, "virt", { connections: SYSTEM_ONLY });
        const frame = await openVirtPage(page, session);
        await snapOnFailure(page, "login-virt-group", async () => {
            await waitLoaded(frame, 30000);
            await filterList(frame, guest.name);
            await vmRow(frame, guest.name).waitFor({ timeout: 20000 });
            assert.equal(await frame.locator(".virt-system-access").count(), 0);
        });
        await page.context().close();
    });

    test("a user with neither is told about the libvirt group, with libvirt's refusal behind a toggle", async () => {
        const page = await login(browser, session, "plain", { connections: SYSTEM_ONLY, theme: "dark" });
        const frame = await openVirtPage(page, session);
        await snapOnFailure(page, "login-virt-plain", async () => {
            const help = frame.locator('.virt-system-access[data-remedy="libvirt-group"]');
            await help.waitFor({ timeout: 30000 });
            await help.getByText(`adduser ${session.users.plain.name} libvirt`).waitFor();
            assert.equal(await frame.getByRole("button", { name: "Turn on administrative access" }).count(), 0);
            assert.equal(await vmRow(frame, guest.name).count(), 0);
            await help.getByRole("button", { name: "Show details" }).click();
            await help.locator(".virt-libvirt-message").getByText(/polkit|denied|authentication/i).waitFor();
            await screenshot(page, "login-plain-no-access-dark");
        });
        await page.context().close();
    });
});
