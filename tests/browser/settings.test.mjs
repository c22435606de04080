// SPDX-License-Identifier: LGPL-2.1-or-later
// The settings dialogs of the VM page against a real libvirtd (qemu:///system) and one tiny guest: the helper's
// verdicts appear under the fields as you type (a topology whose product is wrong, a name that exists or has a
// "/"), Save changes libvirt (checked with virsh: also a boot order moved with the keyboard, a CPU model, a vCPU
// and emulator pin, a TPM and a watchdog), a rename follows the VM to its new page, and a change for the
// next boot of a running VM shows the pending-changes banner whose "Shut down and restart" brings it back with
// the new value. Edit XML: an edit typed in the editor, reviewed and saved; a concurrent virsh change refused with a
// reload. Screenshots of the dialogs, light and dark, land in test-results/.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { dialog, launchBrowser, openVirtPage, screenshot, snapOnFailure } from "../harness/browser.mjs";
import { startCockpitWs } from "../harness/cockpit-ws.mjs";
import { READY, URI, defineTinyGuest, domExists, ensureLibvirtd, guestDir, removeGuest, virsh, waitFor, waitForSerial } from "../harness/libvirt.mjs";

const vmUrl = (ws, name) => `${ws.pageUrl}#/vm/system/${encodeURIComponent(name)}`;

describe("settings dialogs (real libvirt)", () => {
    let ws, browser, page;
    const guests = [];

    before(async () => {
        await ensureLibvirtd();
        await guestDir();
        ws = await startCockpitWs();
        browser = await launchBrowser();
    });
    after(async () => {
        await browser?.close();
        await ws?.stop();
        for (const g of guests)
            await removeGuest(g);
    });

    test("vCPUs, rename, memory for the next boot, Shut down and restart", async () => {
        const g = await defineTinyGuest("bset", { disks: ["16M"] });
        const other = await defineTinyGuest("bset-other");
        guests.push(g, other);
        page = await openVirtPage(browser, ws, { connections: [URI], url: vmUrl(ws, g.name) });
        await snapOnFailure(page, "settings", async () => {
            await page.locator(".virt-vm-title", { hasText: g.name }).waitFor({ timeout: 30000 });

            // vCPUs: a wrong topology is refused under the field; a right one is saved.
            await page.locator("#virt-settings-edit-vcpus").click();
            const vcpus = dialog(page, "vCPUs of");
            await vcpus.locator("#virt-settings-max-vcpus").fill("4");
            assert.equal(await vcpus.locator("#virt-settings-sockets").inputValue(), "4", "sockets refit to the maximum");
            await vcpus.locator("#virt-settings-cores").fill("2");
            await vcpus.locator("#virt-settings-topology-error").getByText("must equal the maximum number of vCPUs, 4").waitFor();
            assert.equal(await vcpus.getByRole("button", { name: "Save" }).isDisabled(), true);
            await vcpus.locator("#virt-settings-sockets").fill("2");
            await vcpus.locator("#virt-settings-vcpus").fill("2");
            await vcpus.locator("#virt-settings-topology-error").waitFor({ state: "detached" });
            await screenshot(page, "settings-vcpus-light");
            await vcpus.getByRole("button", { name: "Save" }).click();
            await vcpus.waitFor({ state: "detached" });
            const xml = await virsh("dumpxml", "--inactive", g.name);
            assert.match(xml, /<vcpu placement='static' current='2'>4<\/vcpu>/);
            assert.match(xml, /<topology sockets='2' dies='1'( clusters='1')? cores='2' threads='1'\/>/);

            // Rename: an existing name and a "/" are refused; a free one renames and the page follows.
            await page.locator("#virt-settings-edit-name").click();
            const names = dialog(page, "Name and description of");
            const nameInput = names.locator("#virt-settings-name");
            await nameInput.fill(other.name);
            await names.locator("#virt-settings-name-error").getByText("already exists").waitFor();
            await nameInput.fill("cvtest-a/b");
            await names.locator("#virt-settings-name-error").getByText("cannot contain \"/\"").waitFor();
            const renamed = `${g.name}-r`;
            await nameInput.fill(renamed);
            await names.locator("#virt-settings-description").fill("A tiny test guest");
            await names.locator("#virt-settings-name-error").waitFor({ state: "detached" });
            await screenshot(page, "settings-name-light");
            await names.getByRole("button", { name: "Save" }).click();
            await names.waitFor({ state: "detached" });
            await page.locator(".virt-vm-title", { hasText: renamed }).waitFor({ timeout: 20000 });
            assert.equal(await domExists(g.name), false);
            g.name = renamed;
            assert.match(await virsh("dumpxml", "--inactive", renamed), /<description>A tiny test guest<\/description>/);
            await page.getByText("A tiny test guest").waitFor();


            // Boot options: the boot menu (the firmware switch is proven at protocol level).
            await page.locator("#virt-settings-edit-boot").click();
            const boot = dialog(page, "Boot options of");
            await boot.locator("#virt-settings-firmware-bios").waitFor();
            assert.equal(await boot.locator("#virt-settings-firmware-bios").isChecked(), true);
            await boot.getByText("Offer a boot menu at start").click();
            // Boot order: the network interface moved above the disk with the keyboard, and checked.
            const rows = boot.locator(".virt-boot-order-row");
            assert.equal(await rows.count(), 2);
            assert.match(await rows.nth(1).getAttribute("data-key"), /^interface:/);
            await rows.nth(1).locator(".virt-boot-up").focus();
            await page.keyboard.press("Enter");
            await rows.nth(0).locator("input[type=checkbox]").focus();
            await page.keyboard.press("Space");
            assert.match(await rows.nth(0).getAttribute("data-key"), /^interface:/);
            await screenshot(page, "settings-boot-light");
            await boot.getByRole("button", { name: "Save" }).click();
            await boot.waitFor({ state: "detached" });
            const bootXml = await virsh("dumpxml", "--inactive", g.name);
            assert.match(bootXml, /<bootmenu enable='yes'\/>/);
            assert.doesNotMatch(bootXml, /<boot dev=/);
            assert.match(bootXml, /<interface type='user'>[^]*<boot order='1'\/>[^]*<\/interface>/);
            assert.match(bootXml, /<target dev='vda' bus='virtio'\/>\s*<boot order='2'\/>/);

            // CPU model: models the host cannot run are offered disabled with the reason; a usable one is saved.
            await page.locator("#virt-settings-edit-cpu").click();
            const cpu = dialog(page, "CPU model of");
            await cpu.locator("#virt-settings-cpu-custom").check();
            const blocked = cpu.locator("#virt-settings-cpu-model option:disabled", { hasText: "the host lacks" });
            assert.ok(await blocked.count() > 0, "unusable models are listed disabled with their blockers");
            await cpu.locator("#virt-settings-cpu-model").selectOption("kvm64");
            await screenshot(page, "settings-cpu-light");
            await cpu.getByRole("button", { name: "Save" }).click();
            await cpu.waitFor({ state: "detached" });
            assert.match(await virsh("dumpxml", "--inactive", g.name), /<model fallback='forbid'>kvm64<\/model>/);
            await page.locator("#virt-cpu-model").getByText("kvm64").waitFor();

            // CPU pinning: the host's CPUs listed; a CPU it lacks refused under the field; a pin saved.
            await page.locator("#virt-settings-edit-pins").click();
            const pins = dialog(page, "CPU pinning of");
            await pins.locator("#virt-settings-host-cpus").waitFor();
            assert.ok(await pins.locator("#virt-settings-host-cpus tbody tr").count() >= 1);
            await pins.locator("#virt-settings-pin-0").fill("4095");
            await pins.locator("#virt-settings-vcpu-pins-error").getByText("This host has no CPU 4095").waitFor();
            await pins.locator("#virt-settings-pin-0").fill("0");
            await pins.locator("#virt-settings-emulator-pin").fill("0");
            await pins.locator("#virt-settings-vcpu-pins-error").waitFor({ state: "detached" });
            await screenshot(page, "settings-pins-light");
            await pins.getByRole("button", { name: "Save" }).click();
            await pins.waitFor({ state: "detached" });
            assert.match(await virsh("vcpupin", g.name, "--config"), /^\s*0\s+0\s*$/m);
            assert.equal((await virsh("emulatorpin", g.name, "--config")).split(":").at(-1).trim(), "0");
            await page.locator("#virt-cpu-pins").getByText("vCPU 0 → 0; emulator → 0").waitFor();

            // TPM and watchdog saved; a reserved vsock CID refused under the field.
            await page.locator("#virt-settings-edit-extras").click();
            const extras = dialog(page, "TPM, watchdog and vsock of");
            await extras.getByText("Emulated TPM 2.0 (swtpm)").click();
            await extras.locator("#virt-settings-watchdog-model").selectOption("i6300esb");
            await extras.locator("#virt-settings-watchdog-action").selectOption("poweroff");
            await extras.getByText("A socket between host and guest").click();
            await extras.locator("#virt-settings-vsock-cid").fill("2");
            await extras.locator("#virt-settings-vsock-error").getByText("reserved").waitFor();
            await screenshot(page, "settings-extras-light");
            await extras.getByText("A socket between host and guest").click();
            await extras.locator("#virt-settings-vsock-error").waitFor({ state: "detached" });
            await extras.getByRole("button", { name: "Save" }).click();
            await extras.waitFor({ state: "detached" });
            const extrasXml = await virsh("dumpxml", "--inactive", g.name);
            assert.match(extrasXml, /<backend type='emulator' version='2.0'\/>/);
            assert.match(extrasXml, /<watchdog model='i6300esb' action='poweroff'\/?>/);
            assert.doesNotMatch(extrasXml, /<vsock/);
            await page.locator("#virt-guest-devices").getByText("TPM 2.0 (emulated); watchdog i6300esb → poweroff").waitFor();

            // Edit XML: an edit typed into the editor, reviewed as changed lines, saved; then a concurrent
            // virsh change makes a second save refuse with a reload offer.
            await page.locator("#virt-settings-edit-xml").click();
            const xmlDialog = page.locator("#virt-xml-dialog");
            const crashLine = xmlDialog.locator(".cm-line", { hasText: "<on_crash>destroy</on_crash>" });
            await crashLine.waitFor({ timeout: 20000 });
            assert.ok(await xmlDialog.locator(".cm-lineNumbers").isVisible(), "line numbers");
            await crashLine.click();
            await page.keyboard.press("End");
            for (let i = 0; i < "</on_crash>".length; i++)
                await page.keyboard.press("ArrowLeft");
            for (let i = 0; i < "destroy".length; i++)
                await page.keyboard.press("Backspace");
            await page.keyboard.type("restart");
            await screenshot(page, "settings-xml-light");
            await xmlDialog.locator("#virt-xml-review").click();
            await xmlDialog.locator(".virt-xml-diff-remove", { hasText: "<on_crash>destroy</on_crash>" }).waitFor();
            await xmlDialog.locator(".virt-xml-diff-add", { hasText: "<on_crash>restart</on_crash>" }).waitFor();
            assert.equal(await xmlDialog.locator(".virt-xml-diff-add, .virt-xml-diff-remove").count(), 2);
            await screenshot(page, "settings-xml-review-light");
            // Back to editing keeps the edit.
            await xmlDialog.getByRole("button", { name: "Back to editing" }).click();
            await xmlDialog.locator(".cm-line", { hasText: "<on_crash>restart</on_crash>" }).waitFor();
            await xmlDialog.locator("#virt-xml-review").click();
            await xmlDialog.locator("#virt-xml-save").click();
            await xmlDialog.waitFor({ state: "detached" });
            assert.match(await virsh("dumpxml", "--inactive", g.name), /<on_crash>restart<\/on_crash>/);

            // Malformed XML: libvirt's message, and a way to the line it names.
            await page.locator("#virt-settings-edit-xml").click();
            await xmlDialog.locator(".cm-line", { hasText: "<on_crash>restart</on_crash>" }).click();
            await page.keyboard.press("End");
            await page.keyboard.press("ArrowLeft");
            await page.keyboard.press("Backspace");
            await xmlDialog.locator("#virt-xml-review").click();
            await xmlDialog.locator("#virt-xml-save").click();
            await xmlDialog.locator(".virt-xml-failure").getByText(/at line \d+/).waitFor();
            await xmlDialog.locator("#virt-xml-goto").click();
            await screenshot(page, "settings-xml-error-light");
            await xmlDialog.getByRole("button", { name: "Cancel" }).click();
            await xmlDialog.waitFor({ state: "detached" });
            assert.match(await virsh("dumpxml", "--inactive", g.name), /<on_crash>restart<\/on_crash>/);

            await page.locator("#virt-settings-edit-xml").click();
            await xmlDialog.locator(".cm-line", { hasText: "<on_crash>restart</on_crash>" }).click();
            await page.keyboard.press("End");
            await page.keyboard.type("<!-- mine -->");
            await virsh("desc", g.name, "--config", "--title", "changed by virsh");
            await xmlDialog.locator("#virt-xml-review").click();
            await xmlDialog.locator("#virt-xml-save").click();
            await xmlDialog.locator(".virt-xml-failure").getByText("changed elsewhere since you opened it").waitFor();
            await xmlDialog.locator("#virt-xml-reload").click();
            await xmlDialog.locator(".cm-line", { hasText: "changed by virsh" }).waitFor();
            await xmlDialog.getByRole("button", { name: "Cancel" }).click();
            await xmlDialog.waitFor({ state: "detached" });
            assert.doesNotMatch(await virsh("dumpxml", "--inactive", g.name), /mine/);

            // A running VM: maximum memory for the next boot → banner and label; restart applies it.
            await virsh("start", g.name);
            await waitForSerial(g, READY, 90000);
            await page.locator("#virt-settings-edit-memory").click();
            const memory = dialog(page, "Memory of");
            await memory.locator("#virt-settings-max-memory").fill("192");
            await memory.locator("#virt-settings-memory").fill("100000000");
            await memory.locator("#virt-settings-memory-error").getByText("host").waitFor();
            await memory.locator("#virt-settings-memory").fill("128");
            await memory.locator("#virt-settings-memory-error").waitFor({ state: "detached" });
            await screenshot(page, "settings-memory-light");
            await memory.getByRole("button", { name: "Save" }).click();
            await memory.waitFor({ state: "detached" });
            const banner = page.locator(".virt-pending-changes");
            await banner.getByText("Changes take effect after the VM shuts down").waitFor({ timeout: 20000 });
            await page.locator("#virt-next-boot-maxMemory").getByText("Maximum at next boot: 192 MiB").waitFor();
            // The watchdog changes in the saved definition only: the card says what the next boot gets.
            await page.locator("#virt-settings-edit-extras").click();
            const runningExtras = dialog(page, "TPM, watchdog and vsock of");
            await runningExtras.locator("#virt-settings-watchdog-action").selectOption("reset");
            await runningExtras.getByRole("button", { name: "Save" }).click();
            await runningExtras.waitFor({ state: "detached" });
            await page.locator("#virt-next-boot-watchdog").getByText("Next boot: watchdog i6300esb → reset").waitFor();
            await page.locator("#virt-guest-devices").getByText("watchdog i6300esb → poweroff").waitFor();
            await screenshot(page, "settings-pending-light");
            await page.locator("#virt-pending-restart").click();
            await dialog(page, "Shut down and restart").getByRole("button", { name: "Shut down and restart" }).click();
            // The VM goes down and comes back: its running maximum is now the one saved, so the banner goes.
            await banner.waitFor({ state: "detached", timeout: 60000 });
            await waitFor(async () => (await virsh("domstate", g.name)).trim() === "running", 20000);
            assert.match(await virsh("dumpxml", g.name), /<memory unit='KiB'>196608<\/memory>/);
            await page.locator("#virt-guest-devices").getByText("watchdog i6300esb → reset").waitFor();
            assert.equal(await page.locator("#virt-next-boot-watchdog").count(), 0);
            assert.deepEqual(page.virtErrors, []);
        });
    });

    test("dark theme: the dialogs", async () => {
        const g = guests[0];
        const dark = await openVirtPage(browser, ws, { connections: [URI], url: vmUrl(ws, g.name), theme: "dark" });
        await snapOnFailure(dark, "settings-dark", async () => {
            await dark.locator(".virt-vm-title", { hasText: g.name }).waitFor({ timeout: 30000 });
            await dark.locator("#virt-settings-edit-xml").click();
            await dark.locator("#virt-xml-dialog .cm-line").first().waitFor({ timeout: 20000 });
            await screenshot(dark, "settings-xml-dark");
            await dark.locator("#virt-xml-dialog").getByRole("button", { name: "Cancel" }).click();
            for (const [kind, title] of [["vcpus", "vCPUs of"], ["memory", "Memory of"], ["name", "Name and description of"], ["boot", "Boot options of"], ["cpu", "CPU model of"], ["pins", "CPU pinning of"],
                ["extras", "TPM, watchdog and vsock of"]]) {
                await dark.locator(`#virt-settings-edit-${kind}`).click();
                const d = dialog(dark, title);
                await d.locator("input").first().waitFor();
                await screenshot(dark, `settings-${kind}-dark`);
                await d.getByRole("button", { name: "Cancel" }).click();
                await d.waitFor({ state: "detached" });
            }
        });
        await dark.close();
    });
});
