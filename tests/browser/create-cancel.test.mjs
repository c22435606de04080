// SPDX-License-Identifier: LGPL-2.1-or-later
// Cancelling a create from the dialog on a real libvirtd: an import copied into a pool is cancelled while the
// copy runs; the dialog says so and libvirt is left as it was (no volume in the pool, no domain). Objects are
// named $CVIRT_TEST_PREFIX* (default cvtest-): a pool in a temporary directory and the VM. Skipped, saying
// why, without root, without libvirtd, or while the helper under test lacks the create ops.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { launchBrowser, openVirtPage, screenshot, snapOnFailure } from "../harness/browser.mjs";
import { startCockpitWs } from "../harness/cockpit-ws.mjs";
import { virshAt, waitFor } from "../harness/libvirt.mjs";

const URI = "qemu:///system";
const PREFIX = process.env.CVIRT_TEST_PREFIX ?? "cvtest-";
const POOL = `${PREFIX}create-pool`;
const VM = `${PREFIX}create-cancel`;
// Big enough that the copy runs for a while (zeros stream through libvirt), small enough for any test disk.
const SOURCE_BYTES = 3 * 1024 ** 3;

function libvirtProblem() {
    if (process.getuid() !== 0)
        return "needs root (qemu:///system)";
    try {
        execFileSync("virsh", ["-c", URI, "uri"], { stdio: "ignore", timeout: 10000 });
        return null;
    } catch {
        return `libvirtd does not answer on ${URI}`;
    }
}

async function removeObjects() {
    await virshAt(URI, "destroy", VM).catch(() => {});
    await virshAt(URI, "undefine", VM, "--nvram").catch(() => {});
    await virshAt(URI, "pool-destroy", POOL).catch(() => {});
    await virshAt(URI, "pool-undefine", POOL).catch(() => {});
}

describe("cancelling a create (libvirtd)", () => {
    let ws, browser, page, dir, source, skip = libvirtProblem();

    before(async () => {
        if (skip)
            return;
        dir = mkdtempSync(path.join(tmpdir(), `${PREFIX}create-`));
        chmodSync(dir, 0o755);
        source = path.join(dir, "big.img");
        writeFileSync(source, "");
        truncateSync(source, SOURCE_BYTES);
        const poolDir = path.join(dir, "pool");
        mkdirSync(poolDir);
        await removeObjects();
        await virshAt(URI, "pool-define-as", POOL, "dir", "--target", poolDir);
        await virshAt(URI, "pool-start", POOL);

        ws = await startCockpitWs();
        browser = await launchBrowser({ viewport: { width: 1280, height: 1000 } });
        page = await openVirtPage(browser, ws, { connections: [URI] });
        const problem = await page.evaluate(uri => new Promise(resolve => {
            const ch = window.cockpit.channel({ payload: "virt1", op: "create-options", uri });
            ch.addEventListener("close", (_ev, close) => resolve(close.problem ?? null));
        }), URI);
        if (problem)
            skip = `the helper under test answers op "create-options" with ${problem}`;
    });

    after(async () => {
        await browser?.close();
        await ws?.stop();
        if (dir) {
            await removeObjects();
            rmSync(dir, { recursive: true, force: true });
        }
    });

    test("Cancel during the copy says nothing was left behind, and nothing is", async t => {
        if (skip)
            return t.skip(skip);
        await snapOnFailure(page, "create-cancel", async () => {
            await page.evaluate(hash => { window.location.hash = hash },
                                `#/import?source=${encodeURIComponent(source)}&name=${encodeURIComponent(VM)}`);
            const d = page.locator('[data-test="create-dialog"]');
            await d.waitFor();
            await page.locator("#create-os").fill("generic");
            await page.getByRole("option", { name: /^Generic OS/ }).click();
            await page.locator("#create-import-copy").check();
            await page.locator("#create-import-pool").selectOption(POOL);
            await page.locator("#create-network").selectOption("none");
            await page.locator("#create-and-edit").click();

            await d.locator('.virt-create-progress[data-step="copy"]').waitFor({ timeout: 30000 });
            await screenshot(page, "create-progress");
            assert.notEqual((await virshAt(URI, "vol-list", POOL)).trim(), "", "the copy's volume exists meanwhile");
            await page.locator("#create-cancel").click();
            await d.getByText("Cancelled; nothing was left behind").waitFor();
            // The form is back, with what was typed.
            assert.equal(await page.locator("#create-name").inputValue(), VM);

            // The helper rolls back once it sees the channel closed: the copy's volume goes, no domain is defined.
            await waitFor(async () => (await virshAt(URI, "vol-list", POOL)).trim() === "", 30000,
                          { what: `pool ${POOL} to be empty` });
            await assert.rejects(virshAt(URI, "dominfo", VM));
        });
    });
});
