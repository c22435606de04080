// SPDX-License-Identifier: LGPL-2.1-or-later
// Add host over ssh in the page (the trust step, which only the page shows; the reason codes are proved at protocol
// level in tests/libvirt/ssh-hosts.test.mjs): a second libvirtd behind an sshd the test starts
// (tests/harness/sshd.mjs), the page run as a throw-away user with its own ~/.ssh. The unknown host key's
// fingerprint is shown, is the sshd's, "Trust and add" puts exactly that key in the user's known_hosts and the
// host's VM joins the list.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { dialog, filterList, launchBrowser, openVirtPage, snapOnFailure, vmRow } from "../harness/browser.mjs";
import { startCockpitWs } from "../harness/cockpit-ws.mjs";
import { GUESTS_DIR, ensureLibvirtd, guestDir, tinyGuestXml } from "../harness/libvirt.mjs";
import { startSshTestHost } from "../harness/sshd.mjs";

describe("a host added over ssh", () => {
    let ssh, ws, browser;
    const remoteName = `cvtest-bssh-${randomUUID().slice(0, 6)}`;
    const remoteDir = path.join(GUESTS_DIR, remoteName);

    before(async () => {
        await ensureLibvirtd();
        const kernelDir = await guestDir();
        ssh = await startSshTestHost({ name: "cvtest-sshbhost", address: "127.0.0.7", port: 2224,
                                       userName: "cvtest-sshbuser" });
        mkdirSync(remoteDir, { recursive: true, mode: 0o755 });
        const xmlPath = path.join(remoteDir, "domain.xml");
        writeFileSync(xmlPath, tinyGuestXml({
            name: remoteName, uuid: randomUUID(), kernel: path.join(kernelDir, "vmlinuz"),
            initrd: path.join(kernelDir, "initrd.img"), serialLog: path.join(remoteDir, "serial.log"),
        }));
        await ssh.host.virsh("define", xmlPath);
        ws = await startCockpitWs({ user: ssh.user.name, env: { SSH_AUTH_SOCK: "" } });
        browser = await launchBrowser();
    });

    after(async () => {
        await browser?.close();
        await ws?.stop();
        await ssh?.host.virsh("undefine", remoteName).catch(() => {});
        await ssh?.stop();
        rmSync(remoteDir, { recursive: true, force: true });
    });

    test("the unknown host key is shown, trusted as shown, and the host's VM joins the list", async () => {
        const page = await openVirtPage(browser, ws);
        await snapOnFailure(page, "ssh-hosts", async () => {
            await page.locator("#virt-add-host").click();
            const d = dialog(page, "Add host");
            await d.locator("#virt-add-host-target").fill(ssh.uriWith(ssh.goodKey));
            await d.getByRole("button", { name: "Add", exact: true }).click();
            const step = d.locator(".virt-add-host-key");
            await step.waitFor({ timeout: 30000 });
            assert.equal((await step.locator(".virt-add-host-fingerprint").textContent()).trim(), ssh.fingerprint());

            await d.getByRole("button", { name: "Trust and add" }).click();
            await d.waitFor({ state: "detached", timeout: 30000 });
            const key = ssh.sshd.hostKey().split(" ").slice(0, 2).join(" ");
            assert.equal(readFileSync(ssh.knownHosts, "utf8"), `[${ssh.host.address}]:2224 ${key}\n`);

            await filterList(page, remoteName);
            await vmRow(page, remoteName).waitFor({ timeout: 30000 });
        });
        await page.close();
    });
});
