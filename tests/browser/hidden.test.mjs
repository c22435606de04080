// SPDX-License-Identifier: LGPL-2.1-or-later
// While the page is hidden (cockpit.hidden: another shell page is shown, or the tab is in the background) its
// watch channels are closed; when it is shown again it reopens them and catches up.
// Two tabs share one helper, so a change made in one tab reaches the other through the helper's events.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { chooseAction, launchBrowser, openVirtPage, snapOnFailure, vmRow, waitLoaded, waitVmState } from "../harness/browser.mjs";
import { startCockpitWs } from "../harness/cockpit-ws.mjs";

/** Makes cockpit.js believe the document's visibility changed (it reads document.hidden). */
function setHidden(page, hidden) {
    return page.evaluate(value => {
        Object.defineProperty(document, "hidden", { configurable: true, get: () => value });
        document.dispatchEvent(new Event("visibilitychange"));
    }, hidden);
}

describe("pausing while hidden", () => {
    let ws, browser;

    before(async () => {
        ws = await startCockpitWs();
        browser = await launchBrowser();
    });

    after(async () => {
        await browser?.close();
        await ws?.stop();
    });

    test("a hidden tab gets no updates and catches up when shown", async () => {
        const watcher = await openVirtPage(browser, ws, { connections: ["test:///default"] });
        const actor = await openVirtPage(browser, ws, { connections: ["test:///default"] });
        await snapOnFailure(watcher, "hidden", async () => {
            await waitLoaded(watcher);
            await waitLoaded(actor);

            // Shown: a change in the other tab arrives live.
            await chooseAction(actor, "test", "Pause");
            await waitVmState(watcher, "test", "paused");

            // Hidden: it does not; the rows stay as they were.
            await setHidden(watcher, true);
            assert.equal(await watcher.evaluate(() => window.cockpit.hidden), true);
            await vmRow(actor, "test").getByRole("button", { name: "Resume test" }).click();
            await waitVmState(actor, "test", "running");
            await watcher.waitForTimeout(1000);
            assert.equal(await vmRow(watcher, "test").getAttribute("data-vm-state"), "paused");

            // Shown again: a fresh snapshot brings it up to date.
            await setHidden(watcher, false);
            await waitVmState(watcher, "test", "running");
        });
        await watcher.close();
        await actor.close();
    });
});
