// SPDX-License-Identifier: LGPL-2.1-or-later
// The helper going away under the page: the rows stay, a quiet "reconnecting" badge shows, and the page
// reopens its channels by itself once the bridge has started a new helper.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { chooseAction, launchBrowser, openVirtPage, snapOnFailure, vmRow, waitLoaded, waitVmState } from "../harness/browser.mjs";
import { startCockpitWs } from "../harness/cockpit-ws.mjs";

describe("helper restarts", () => {
    let ws, browser, page;

    before(async () => {
        ws = await startCockpitWs();
        browser = await launchBrowser();
        page = await openVirtPage(browser, ws, { connections: ["test:///default"] });
        await waitLoaded(page);
    });

    after(async () => {
        await browser?.close();
        await ws?.stop();
    });

    test("a killed helper: rows stay, the page reconnects and works again", () => snapOnFailure(page, "resilience", async () => {
        const [pid] = ws.helperPids();
        assert.ok(pid, "the helper runs");
        process.kill(pid, "SIGKILL");

        await page.getByText("test:///default: reconnecting…").waitFor();
        assert.equal(await vmRow(page, "test").count(), 1, "the row stays");
        await page.getByText("test:///default: reconnecting…").waitFor({ state: "detached" });
        assert.notDeepEqual(ws.helperPids(), [pid]);
        assert.equal(await page.getByRole("heading", { name: /Cannot list virtual machines$/ }).count(), 0);

        await chooseAction(page, "test", "Pause");
        await waitVmState(page, "test", "paused");
    }));
});
