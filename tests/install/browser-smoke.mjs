// SPDX-License-Identifier: LGPL-2.1-or-later
// Browser smoke test of the installed package: cockpit-ws (--local-session, bridge 337) serves the page from
// /usr/share/cockpit/virt and the bridge spawns the installed helper; headless Chromium lists test:///default's VM,
// force-shuts it down and runs it again.
//
//   node tests/install/browser-smoke.mjs HELPER        e.g. /usr/lib/cockpit/cockpit-virt-helper

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { chooseAction, dialog, launchBrowser, openVirtPage, snapOnFailure, vmRow, waitLoaded, waitVmState }
    from "../harness/browser.mjs";
import { startCockpitWs } from "../harness/cockpit-ws.mjs";

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
try {
    // What cockpit-ws serves is the installed bundle, byte for byte.
    for (const file of ["index.html", "index.js", "index.css"]) {
        const res = await fetch(`${ws.base}/cockpit/@localhost/virt/${file}`);
        assert.equal(res.status, 200, `GET virt/${file}`);
        assert.ok(Buffer.from(await res.arrayBuffer()).equals(readFileSync(path.join(INSTALLED, file))),
            `virt/${file} is not ${INSTALLED}/${file}`);
    }

    browser = await launchBrowser();
    const page = await openVirtPage(browser, ws, { connections: ["test:///default"] });
    await snapOnFailure(page, "install-smoke", async () => {
        await waitLoaded(page);
        await waitVmState(page, "test", "running");
        await vmRow(page, "test").getByText("Running", { exact: true }).waitFor();

        await chooseAction(page, "test", "Force shut down");
        await dialog(page, "Force shut down test?").getByRole("button", { name: "Force shut down" }).click();
        await waitVmState(page, "test", "shutoff");
        await vmRow(page, "test").getByText("Shut off", { exact: true }).waitFor();

        await vmRow(page, "test").getByRole("button", { name: "Run test" }).click();
        await waitVmState(page, "test", "running");
        assert.deepEqual(page.virtErrors, []);
    });
    console.log(`ok browser: ${ws.pageUrl} served ${INSTALLED}; listed, shut down and ran "test"`);
} finally {
    await browser?.close();
    await ws.stop();
    rmSync(emptyHome, { recursive: true, force: true });
}
