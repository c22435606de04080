// SPDX-License-Identifier: LGPL-2.1-or-later
// Browser smoke test of the installed package: cockpit-ws (--local-session, bridge 337) serves the page from
// /usr/share/cockpit/virt and the bridge spawns the installed helper; headless Chromium lists a tiny real guest on
// qemu:///system, runs it (the guest boots: its serial marker appears) and shuts it down gracefully (ACPI: the
// guest powers itself off).
//
//   node tests/install/browser-smoke.mjs HELPER        e.g. /usr/lib/cockpit/cockpit-virt-helper

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";

import {
    chooseAction, dialog, filterList, launchBrowser, openVirtPage, snapOnFailure, vmRow, waitLoaded, waitVmState,
} from "../harness/browser.mjs";
import { startCockpitWs } from "../harness/cockpit-ws.mjs";
import { READY, SHUTDOWN, defineTinyGuest, domState, virsh, waitFor, waitForSerial } from "../harness/libvirt.mjs";

const helper = process.argv[2];
if (!helper) {
    console.error("usage: browser-smoke.mjs HELPER");
    process.exit(2);
}
const INSTALLED = "/usr/share/cockpit/virt";

// startCockpitWs() stages the work tree's page in a data home of its own; an empty XDG_DATA_HOME hides it, so
// cockpit-ws and the bridge see only the system's data dirs.
const emptyHome = mkdtempSync(path.join(tmpdir(), "cvtest-install-home-"));
const ws = await startCockpitWs({
    helper,
    env: { XDG_DATA_HOME: emptyHome, XDG_DATA_DIRS: "/usr/local/share:/usr/share" },
});
let browser;
let guest;
try {
    // What cockpit-ws serves is the installed bundle, byte for byte; index.js and index.css are installed
    // gzipped and served with Content-Encoding gzip (fetch decompresses).
    for (const [file, installed] of [["index.html", "index.html"], ["index.js", "index.js.gz"], ["index.css", "index.css.gz"]]) {
        const res = await fetch(`${ws.base}/cockpit/@localhost/virt/${file}`);
        assert.equal(res.status, 200, `GET virt/${file}`);
        let expected = readFileSync(path.join(INSTALLED, installed));
        if (installed.endsWith(".gz")) {
            assert.equal(res.headers.get("content-encoding"), "gzip", `virt/${file} is served gzipped`);
            expected = gunzipSync(expected);
        }
        assert.ok(Buffer.from(await res.arrayBuffer()).equals(expected), `virt/${file} is not ${INSTALLED}/${installed}`);
    }

    guest = await defineTinyGuest("install");
    browser = await launchBrowser();
    const page = await openVirtPage(browser, ws, { connections: ["qemu:///system"] });
    await snapOnFailure(page, "install-smoke", async () => {
        await waitLoaded(page);
        // The host may have many VMs and only visible rows are rendered: look for ours by name.
        await filterList(page, guest.name);
        await waitVmState(page, guest.name, "shutoff");

        await vmRow(page, guest.name).getByRole("button", { name: `Run ${guest.name}` }).click();
        await waitVmState(page, guest.name, "running");
        await waitForSerial(guest, READY, 90000);

        await chooseAction(page, guest.name, "Shut down");
        await dialog(page, `Shut down ${guest.name}?`).getByRole("button", { name: "Shut down" }).click();
        await waitForSerial(guest, SHUTDOWN, 60000);
        await waitFor(async () => await domState(guest.name) === "shut off", 60000, { what: "the guest powered off" });
        await waitVmState(page, guest.name, "shutoff", 30000);
        assert.deepEqual(page.virtErrors, []);
    });
    console.log(`ok browser: ${ws.pageUrl} served ${INSTALLED}; ran and shut down the tiny guest ${guest.name}`);
} finally {
    await browser?.close();
    await ws.stop();
    if (guest) {
        await virsh("destroy", guest.name).catch(() => {});
        await virsh("undefine", guest.name).catch(() => {});
        rmSync(guest.dir, { recursive: true, force: true });
    }
    rmSync(emptyHome, { recursive: true, force: true });
}
