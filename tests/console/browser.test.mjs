// SPDX-License-Identifier: LGPL-2.1-or-later
// The console card in a real browser (cockpit-ws --local-session, headless Chromium) against a tiny real guest
// with VNC and a serial console: serial commands and paste, the VNC canvas against `virsh screenshot`, keys typed
// into noVNC, the key menu's Ctrl+Alt+Del, paste as keystrokes, full screen, the pop-out window, one serial viewer
// at a time with take-over, and a stopped VM (Run from the card, reconnect by itself).
// CVIRT_BROWSER_BRIDGE=287 runs it against the other bridge.

import assert from "node:assert/strict";
import { randomInt } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { launchBrowser, openVirtPage, snapOnFailure } from "../harness/browser.mjs";
import { consoleOf, showTab, waitSerialText } from "../harness/console-ui.mjs";
import { startCockpitWs } from "../harness/cockpit-ws.mjs";
import { READY, URI, serialCount, virsh, waitFor, waitForSerial } from "../harness/libvirt.mjs";
import { defineConsoleGuest, removeConsoleGuest } from "./guests.mjs";
import { decodePng } from "./png.mjs";

const BOOT_MS = 90000;

/** Pixels of the noVNC canvas as RGB, at the framebuffer's own size. */
async function canvasRgb(page) {
    const { width, height, data } = await page.locator(".virt-console-vnc canvas").evaluate(canvas => {
        const ctx = canvas.getContext("2d");
        const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
        return { width: canvas.width, height: canvas.height, data: Array.from(img.data) };
    });
    const rgb = Buffer.alloc(width * height * 3);
    for (let i = 0, o = 0; i < data.length; i += 4, o += 3) {
        rgb[o] = data[i];
        rgb[o + 1] = data[i + 1];
        rgb[o + 2] = data[i + 2];
    }
    return { width, height, rgb };
}

describe("console card in the browser", () => {
    let ws, browser, page, guest;

    before(async () => {
        guest = await defineConsoleGuest("browser", { vnc: "address" });
        [ws, browser] = await Promise.all([startCockpitWs(), launchBrowser()]);
        await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: ws.base });
        await waitForSerial(guest, READY, BOOT_MS);
        page = await openVirtPage(browser, ws, { connections: [URI], path: `/vm/system/${guest.name}` });
    });

    after(async () => {
        await browser?.close();
        await ws?.stop();
        await removeConsoleGuest(guest);
    });

    test("console_graphics_shows_the_display: the canvas equals virsh screenshot; first frame timed", t => snapOnFailure(page, "console-graphics", async () => {
        await consoleOf(page, "graphics", "connected").waitFor({ timeout: 30000 });
        // Reconnect by switching tabs and time the first non-blank frame from the click.
        await showTab(page, "serial");
        await consoleOf(page, "serial", "connected").waitFor();
        const t0 = Date.now();
        await showTab(page, "graphics");
        await page.waitForFunction(() => {
            const canvas = document.querySelector(".virt-console-vnc canvas");
            if (!canvas || canvas.width < 100)
                return false;
            const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
            for (let i = 0; i < data.length; i += 4)
                if (data[i] + data[i + 1] + data[i + 2] > 0)
                    return true;
            return false;
        }, null, { timeout: 20000, polling: "raf" });
        t.diagnostic(`Graphics tab click → first non-blank frame: ${Date.now() - t0} ms`);

        const file = path.join(guest.dir, "screenshot.png");
        await virsh("screenshot", guest.name, file);
        const shot = decodePng(readFileSync(file));
        rmSync(file, { force: true });
        const canvas = await canvasRgb(page);
        assert.equal(`${canvas.width}x${canvas.height}`, `${shot.width}x${shot.height}`);
        let same = 0;
        for (let i = 0; i < canvas.rgb.length; i += 3)
            if (canvas.rgb[i] === shot.rgb[i] && canvas.rgb[i + 1] === shot.rgb[i + 1] && canvas.rgb[i + 2] === shot.rgb[i + 2])
                same++;
        const share = same / (canvas.width * canvas.height);
        t.diagnostic(`${(100 * share).toFixed(2)} % of canvas pixels equal virsh screenshot`);
        assert.ok(share > 0.99, `only ${(100 * share).toFixed(2)} % of the pixels match`);
    }));

    test("console_serial_command_and_paste: typed and pasted commands run; Copy copies the terminal", () => snapOnFailure(page, "console-serial", async () => {
        await showTab(page, "serial");
        await consoleOf(page, "serial", "connected").waitFor();
        await page.locator(".virt-console-serial").click();
        const n = randomInt(1e6, 1e9);
        await page.keyboard.type(`echo typed-$((${n}+1))\n`);
        await waitSerialText(page, new RegExp(`\\ntyped-${n + 1}\\n`));

        await page.getByRole("button", { name: "Paste" }).click();
        const dialog = page.getByRole("dialog").filter({ hasText: "Paste text" });
        await dialog.getByRole("textbox").fill(`echo pasted-$((${n}+2))\n`);
        await dialog.getByRole("button", { name: "Paste" }).click();
        await waitSerialText(page, new RegExp(`\\npasted-${n + 2}\\n`));
    }));

    test("console_graphics_keyboard_and_paste: keys typed into noVNC and pasted text run commands in the guest", () => snapOnFailure(page, "console-keys", async () => {
        await showTab(page, "graphics");
        await consoleOf(page, "graphics", "connected").waitFor();
        const typed = `cvtyped${randomInt(1e6, 1e9)}`;
        const pasted = `cvpasted${randomInt(1e6, 1e9)}`;
        await page.locator(".virt-console-vnc canvas").click();
        await page.keyboard.type(`touch /tmp/${typed}\n`, { delay: 20 });
        await page.getByRole("button", { name: "Paste" }).click();
        const dialog = page.getByRole("dialog").filter({ hasText: "Paste text" });
        // Shifted characters too: typed with Shift held.
        await dialog.getByRole("textbox").fill(`echo "${pasted}" > /tmp/${pasted}\n`);
        await dialog.getByRole("button", { name: "Type" }).click();

        await showTab(page, "serial");
        await consoleOf(page, "serial", "connected").waitFor();
        // QEMU feeds VNC keys to the guest 10 ms apart (key-delay-ms): ask again until all of them are in.
        const done = new RegExp(`${typed}[\\s\\S]*\\n${pasted}\\n`);
        await waitFor(async () => {
            await page.locator(".virt-console-serial").click(); // Copy took the focus
            await page.keyboard.type(`ls /tmp; cat /tmp/${pasted}\n`);
            return waitSerialText(page, done, 1500).then(() => true, () => false);
        }, 20000, { what: "the typed and pasted commands to have run" });
    }));

    test("console_ctrl_alt_del: the key menu's Ctrl+Alt+Del reboots the guest; the display stays connected", () => snapOnFailure(page, "console-cad", async () => {
        await showTab(page, "graphics");
        await consoleOf(page, "graphics", "connected").waitFor();
        const boots = serialCount(guest, READY);
        await page.getByRole("button", { name: "Send key" }).click();
        await page.getByRole("menuitem", { name: "Ctrl+Alt+Del" }).click();
        await waitForSerial(guest, READY, BOOT_MS, { count: boots + 1 });
        await consoleOf(page, "graphics", "connected").waitFor();
    }));

    test("console_full_screen: the console goes full screen and back", () => snapOnFailure(page, "console-fullscreen", async () => {
        await showTab(page, "graphics");
        await consoleOf(page, "graphics", "connected").waitFor();
        await page.getByRole("button", { name: "Full screen" }).click();
        await page.waitForFunction(() => document.fullscreenElement?.classList.contains("virt-console") ||
                                         document.querySelector(".virt-console-expanded") !== null);
        await page.getByRole("button", { name: "Exit full screen" }).click();
        await page.waitForFunction(() => !document.fullscreenElement && !document.querySelector(".virt-console-expanded"));
        await consoleOf(page, "graphics", "connected").waitFor();
    }));

    test("console_pop_out: a window of its own connects; the card steps aside and comes back when it closes", () => snapOnFailure(page, "console-popout", async () => {
        await showTab(page, "serial");
        await consoleOf(page, "serial", "connected").waitFor();
        const [popup] = await Promise.all([
            browser.context.waitForEvent("page"),
            page.getByRole("button", { name: "Open in a new window" }).click(),
        ]);
        assert.match(popup.url(), /#\/console\/system\/[^/]+\/serial$/);
        await popup.locator('.virt-console-window[data-console-kind="serial"][data-console-status="connected"]').waitFor({ timeout: 20000 });
        await consoleOf(page, "serial", "elsewhere").waitFor();
        // The pop-out works: a command runs there.
        await popup.locator(".virt-console-serial").click();
        const n = randomInt(1e6, 1e9);
        await popup.keyboard.type(`echo popped-$((${n}+1))\n`);
        await waitSerialText(popup, new RegExp(`\\npopped-${n + 1}\\n`));
        await popup.close();
        await consoleOf(page, "serial", "connected").waitFor({ timeout: 10000 });
    }));

    test("console_serial_take_over: a second viewer is told the console is in use and can take it over", () => snapOnFailure(page, "console-takeover", async () => {
        await showTab(page, "serial");
        await consoleOf(page, "serial", "connected").waitFor();
        const other = await openVirtPage(browser, ws, { connections: [URI], path: `/vm/system/${guest.name}` });
        try {
            await showTab(other, "serial");
            await consoleOf(other, "serial", "busy").waitFor({ timeout: 20000 });
            await other.getByRole("button", { name: "Take over" }).click();
            await consoleOf(other, "serial", "connected").waitFor();
            // The first viewer reconnects by itself, finds the console in use, and stays put (no tug of war).
            await consoleOf(page, "serial", "busy").waitFor({ timeout: 10000 });
            await new Promise(resolve => setTimeout(resolve, 2000));
            await consoleOf(other, "serial", "connected").waitFor({ timeout: 100 });
        } finally {
            await other.close();
        }
        await page.getByRole("button", { name: "Try again" }).click();
        await consoleOf(page, "serial", "connected").waitFor();
    }));

    test("console_stopped_vm: the card says so and offers Run; the console reconnects once the VM runs", () => snapOnFailure(page, "console-stopped", async () => {
        await showTab(page, "serial");
        await consoleOf(page, "serial", "connected").waitFor();
        await virsh("destroy", guest.name);
        await consoleOf(page, "serial", "stopped").waitFor({ timeout: 20000 });
        await page.getByRole("heading", { name: "The VM is not running" }).waitFor();
        await page.locator(".virt-console").getByRole("button", { name: "Run" }).click();
        await consoleOf(page, "serial", "connected").waitFor({ timeout: 30000 });
        await waitSerialText(page, /TESTGUEST-READY/, BOOT_MS);
        await showTab(page, "graphics");
        await consoleOf(page, "graphics", "connected").waitFor();
        assert.deepEqual(page.virtErrors, []);
    }));
});
