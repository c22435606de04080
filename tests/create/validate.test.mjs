// SPDX-License-Identifier: LGPL-2.1-or-later
// Issue 5: the dialog's validation rules in the browser, each on its own: what is typed, and the message that
// must appear under the field (`<field-id>-error` or `-warning`, the contract's test hooks) before anything is
// sent. Page-side rules and the helper's host-side checks (`create` mode "validate": paths QEMU cannot read,
// paths that do not exist) alike. Nothing may be created by any of it.

import assert from "node:assert/strict";
import { chmodSync, copyFileSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { launchBrowser, snapOnFailure } from "../harness/browser.mjs";
import { startCockpitWs } from "../harness/cockpit-ws.mjs";
import { URI, defineTinyGuest, domExists, ensureLibvirtd, testDomains, virsh, waitFor } from "../harness/libvirt.mjs";
import { buildMedia, testDir } from "../harness/media.mjs";

import { fillDialog, openCreateDialog, removeCreated, settle, shownErrors } from "./dialog.mjs";

describe(`create dialog validation (${URI})`, () => {
    let ws, browser, existing, dir, media, domainsBefore;

    before(async () => {
        await ensureLibvirtd();
        media = await buildMedia();
        existing = await defineTinyGuest("validate-dup");
        dir = testDir("create-validate");
        domainsBefore = await testDomains();
        ws = await startCockpitWs();
        browser = await launchBrowser();
    });

    after(async () => {
        await browser?.close();
        await ws?.stop();
        if (existing) {
            await virsh("undefine", existing.name).catch(() => {});
            rmSync(existing.dir, { recursive: true, force: true });
        }
        if (dir) {
            chmodSync(dir, 0o755);
            rmSync(dir, { recursive: true, force: true });
        }
    });

    /**
     * Opens a fresh dialog, runs `fill(page)`, then waits for the message `kind` ("error" or "warning") of the
     * field with element id `id` to match `re`.
     */
    function rule(title, fill, id, re, { kind = "error", mode } = {}) {
        test(title, async () => {
            const { page } = await openCreateDialog(browser, ws, URI, { mode });
            await snapOnFailure(page, `create-validate-${id}`, async () => {
                await fill(page);
                const message = page.locator(`#${id}-${kind}`);
                await message.waitFor({ timeout: 15000 });
                assert.match(await message.innerText(), re);
            });
            await page.close();
        });
    }

    const kind = (page, k) => page.locator("#create-source-kind").selectOption(k);
    const type = (page, id, text) => page.locator(`#${id}`).fill(text);

    rule("empty name", async p => { await type(p, "create-name", "x"); await type(p, "create-name", "") },
        "create-name", /name/i);
    rule("name with a slash", p => type(p, "create-name", "a/b"), "create-name", /\//);
    rule("duplicate name", p => type(p, "create-name", existing.name), "create-name", /already exists/i);
    rule("nothing chosen: submitting marks the OS", p => p.locator("#create-and-run").click(),
        "create-os", /operating system/i);
    rule("nothing chosen: submitting marks the source", p => p.locator("#create-and-run").click(),
        "create-source", /path|media/i);
    rule("ISO path not absolute", async p => { await kind(p, "iso"); await type(p, "create-source", "tiny.iso") },
        "create-source", /absolute/i);
    rule("URL with an unsupported scheme", async p => { await kind(p, "url"); await type(p, "create-source", "gopher://example.org/x.iso") },
        "create-source", /http/i);
    rule("URL with a space", async p => { await kind(p, "url"); await type(p, "create-source", "http://example.org/a b.iso") },
        "create-source", /space/i);
    // Port 9 (discard) has no listener here: the helper cannot read the tree's .treeinfo and says so on the source.
    rule("URL of an install tree whose .treeinfo cannot be read", async p => {
        await kind(p, "url");
        await type(p, "create-source", "http://127.0.0.1:9/os/");
    }, "create-source", /\.treeinfo/);
    rule("PXE without a network", async p => { await kind(p, "pxe"); await p.locator("#create-and-run").click() },
        "create-source", /network|bridge/i);
    rule("memory 0", async p => { await type(p, "create-memory", "0") }, "create-memory", /more than 0/i);
    rule("memory above the host's", async p => {
        await p.locator("#create-memory-unit").selectOption("GiB");
        await type(p, "create-memory", "999999");
    }, "create-memory", /available/i);
    rule("vCPUs 0", p => type(p, "create-vcpus", "0"), "create-vcpus", /1 or more/i);
    rule("vCPUs above the host's", p => type(p, "create-vcpus", "999"), "create-vcpus", /host has/i);
    rule("new volume of size 0", async p => {
        await kind(p, "iso");
        await p.locator("#create-storage-kind").selectOption("new");
        await type(p, "create-storage-size", "0");
    }, "create-storage-size", /more than 0/i);

    const cloud = async p => { await kind(p, "cloud"); await type(p, "create-source", media.cloud) };
    rule("cloud: a login without password or key", async p => { await cloud(p); await type(p, "create-user-login", "alice") },
        "create-user-password", /password|key/i);
    rule("cloud: a password without a login", async p => { await cloud(p); await type(p, "create-user-password", "Secret-123x") },
        "create-user-login", /login/i);
    rule("cloud: SSH keys without a login", async p => { await cloud(p); await type(p, "create-ssh-keys", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFake x@y") },
        "create-user-login", /login/i);
    rule("cloud: a line that is not an SSH key", async p => {
        await cloud(p);
        await type(p, "create-user-login", "alice");
        await type(p, "create-ssh-keys", "not a key");
    }, "create-ssh-keys", /SSH/i);
    rule("cloud: a weak password is a warning", async p => {
        await cloud(p);
        await type(p, "create-user-login", "alice");
        await type(p, "create-user-password", "abc");
    }, "create-user-password", /weak/i, { kind: "warning" });
    rule("cloud: a weak root password is a warning", async p => { await cloud(p); await type(p, "create-root-password", "12345") },
        "create-root-password", /weak/i, { kind: "warning" });
    rule("cloud: a host name with bad characters", async p => { await cloud(p); await type(p, "create-hostname", "bad_host!") },
        "create-hostname", /host name/i);

    // Host-side (the helper's validate): the page cannot know these.
    rule("ISO that does not exist", async p => { await kind(p, "iso"); await type(p, "create-source", path.join(dir, "missing.iso")) },
        "create-source", /missing\.iso|not exist|no such|not found/i);
    rule("ISO that QEMU cannot read (the \"Permission denied\" bug)", async p => {
        const locked = path.join(dir, "locked");
        mkdirSync(locked, { recursive: true });
        copyFileSync(media.iso, path.join(locked, "tiny.iso"));
        chmodSync(locked, 0o700);
        await kind(p, "iso");
        await type(p, "create-source", path.join(locked, "tiny.iso"));
    }, "create-source", /qemu|permission|read/i);
    // Hostile or mistaken install sources, judged by the helper before submit: a disk image or a device as
    // "installation media" (the device is never opened), a file that is no ISO.
    rule("ISO that is really a qcow2 disk image", async p => {
        const disk = path.join(dir, "disk-as-iso.qcow2");
        copyFileSync(media.disk, disk);
        chmodSync(disk, 0o644);
        await kind(p, "iso");
        await type(p, "create-source", disk);
    }, "create-source", /qcow2 disk image, not installation media/);
    rule("ISO that is a character device", async p => { await kind(p, "iso"); await type(p, "create-source", "/dev/zero") },
        "create-source", /character device/);
    rule("ISO that is not ISO 9660 is a warning", async p => { await kind(p, "iso"); await type(p, "create-source", "/etc/hostname") },
        "create-source", /not an ISO 9660 image/, { kind: "warning" });
    rule("disk image to import that does not exist", async p => { await type(p, "create-source", path.join(dir, "missing.qcow2")) },
        "create-source", /missing\.qcow2|not exist|no such|not found/i, { mode: "import" });

    test("a name typed right before the click is taken: no older answer of the helper refuses it", async () => {
        const disk = path.join(dir, "quick.qcow2");
        copyFileSync(media.disk, disk);
        chmodSync(disk, 0o644);
        const name = `cvtest-create-quick-${process.pid}`;
        const { page } = await openCreateDialog(browser, ws, URI, { mode: "import" });
        try {
            await snapOnFailure(page, "create-validate-quick", async () => {
                await fillDialog(page, { sourceKind: "import", source: disk, os: "Debian 11", name: "", network: "user" });
                await settle(page);
                await page.locator("#create-name").fill(name);
                await page.locator("#create-and-edit").click();
                await waitFor(async () => {
                    if (await domExists(name))
                        return true;
                    const errors = await shownErrors(page);
                    if (errors["create-name"])
                        throw new Error(`the name was refused: ${errors["create-name"]}`);
                    return false;
                }, 30000, { interval: 100, what: `${name} to be defined` });
            });
        } finally {
            await page.close();
            await removeCreated(name);
        }
    });

    test("none of it created anything", async () => {
        assert.deepEqual((await testDomains()).sort(), domainsBefore.sort());
    });
});
