// SPDX-License-Identifier: LGPL-2.1-or-later
// Storage pools and networks pages against the real libvirtd: the status cards, creating a dir pool and a NAT
// network through their dialogs (the helper's refusal shown as given), changes made with virsh seen live, a
// static DHCP host, an MTU, delete; a qcow2 overlay on a backing volume; deep links to one pool or network (and
// to none); a file uploaded into a volume and downloaded again (checksums); effects checked with virsh.
// Screenshots light and dark. Only cvtest-* objects.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { dialog, filterList, launchBrowser, openVirtPage, screenshot, snapOnFailure, waitLoaded } from "../harness/browser.mjs";
import { startCockpitWs } from "../harness/cockpit-ws.mjs";
import { PREFIX, URI, cleanupTestObjects, cleanupTestResources, defineTinyGuest, ensureLibvirtd, guestDir, virsh, waitFor }
    from "../harness/libvirt.mjs";

const suffix = Math.random().toString(16).slice(2, 8);
const octet = 100 + Math.floor(Math.random() * 100);

describe("storage pools and networks pages", () => {
    let ws, browser, page, scratch;

    before(async () => {
        await ensureLibvirtd();
        await guestDir();
        await cleanupTestResources();
        scratch = mkdtempSync(path.join(tmpdir(), PREFIX));
        chmodSync(scratch, 0o755);
        ws = await startCockpitWs();
        browser = await launchBrowser();
        page = await openVirtPage(browser, ws, { connections: [URI] });
        await waitLoaded(page, 30000);
    });

    after(async () => {
        await browser?.close();
        await ws?.stop();
        await cleanupTestResources();
        await cleanupTestObjects();
        rmSync(scratch, { recursive: true, force: true });
    });

    // Pages of one browser share localStorage: a dark page's "shell:style" turns the others dark through their
    // `storage` event. Closing one sets the style back to light first, as the shell would, and the light
    // screenshots of the shared page check that it is light.
    async function closePage(p) {
        await p.evaluate(() => localStorage.setItem("shell:style", "light"));
        await p.close();
    }
    async function lightScreenshot(name) {
        await page.waitForFunction(() => !document.documentElement.classList.contains("pf-v6-theme-dark"), null, { timeout: 5000 });
        await screenshot(page, name);
    }

    const poolRow = name => page.locator(`tr[data-pool="${name}"]`);
    const networkRow = name => page.locator(`tr[data-network="${name}"]`);

    test("pool_types_dialog: iscsi-direct's fields, the helper's IQN verdict shown, rbd disabled; light and dark", async () => {
        for (const theme of ["light", "dark"]) {
            const p = await openVirtPage(browser, ws, { connections: [URI], theme, path: "/storage" });
            await snapOnFailure(p, `resources-pool-types-${theme}`, async () => {
                await p.locator('[data-page="storage"][data-loaded="true"]').waitFor();
                await p.getByRole("button", { name: "Create storage pool" }).click();
                const d = dialog(p, "Create storage pool");
                assert.equal(await d.locator('#create-pool-type option[value="rbd"]').isDisabled(), true);
                await d.locator("#create-pool-type").selectOption("iscsi-direct");
                await d.getByLabel("Name").fill(`${PREFIX}iscsi-${suffix}`);
                await d.getByLabel("Target host").fill("127.0.0.1");
                await d.getByLabel("Port").fill("3261");
                await d.getByLabel("Target IQN").fill("iqn.2026-01.org.cockpit-virt:cvtest-target");
                await d.getByLabel("Initiator IQN").fill("cvtest-initiator");
                await d.getByRole("button", { name: "Create" }).click();
                await d.locator('[data-test="create-pool-error"]').filter({ hasText: 'initiator "cvtest-initiator" is not an iSCSI name' })
                        .waitFor();
                await screenshot(p, `resources-create-pool-iscsi-direct-${theme}`);
                assert.deepEqual(p.virtErrors, []);
            });
            await closePage(p);
        }
        await assert.rejects(virsh("pool-info", `${PREFIX}iscsi-${suffix}`));
    });

    test("pools: card, create (refused, then made), virsh stop seen live, delete", () => snapOnFailure(page, "resources-pools", async () => {
        const card = page.locator('[data-card="storage"]');
        await card.waitFor();
        const active = Number(await card.locator('[data-count="active"]').innerText());
        assert.ok(active >= 0);
        await card.getByRole("link", { name: "Storage pools" }).click();
        await page.locator('[data-page="storage"][data-loaded="true"]').waitFor();

        const name = `${PREFIX}bpool-${suffix}`;
        await page.getByRole("button", { name: "Create storage pool" }).click();
        const d = dialog(page, "Create storage pool");
        // Types without a backend name their package (this host has no rbd backend installed).
        await d.locator('[data-test="other-pool-types"]')
                .filter({ hasText: "rbd (needs libvirt-daemon-driver-storage-rbd)" }).waitFor();
        await d.getByLabel("Name").fill(name);
        await d.getByLabel("Directory").fill(path.join(scratch, "missing"));
        await d.getByRole("button", { name: "Create" }).click();
        await d.locator('[data-test="create-pool-error"]').filter({ hasText: "does not exist" }).waitFor();
        await lightScreenshot("resources-create-pool-light");
        await d.getByLabel("Directory").fill(scratch);
        await d.getByRole("button", { name: "Create" }).click();
        await d.waitFor({ state: "detached" });
        await poolRow(name).and(page.locator('[data-state="running"]')).waitFor();
        assert.match(await virsh("pool-dumpxml", name), new RegExp(`<path>${scratch}</path>`));
        // The status card follows.
        await page.goto(ws.pageUrl);
        await waitFor(async () => Number(await card.locator('[data-count="active"]').innerText()) === active + 1,
                      10000, { what: "the card counting the new pool" });
        await page.goto(ws.pageUrl + "#/storage");

        // Volumes: created in the dialog; one made with virsh shows after virsh pool-refresh (its event);
        // both deleted at once.
        await poolRow(name).getByRole("button", { name: "Details" }).click();
        const volumes = page.locator(`[data-volumes="${name}"][data-loaded="true"]`);
        await volumes.getByRole("button", { name: "Create volume" }).click();
        const vd = dialog(page, "Create volume");
        await vd.getByLabel("Name").fill("cvtest-vol-a");
        await vd.getByLabel("Size (MiB)").fill("8");
        await vd.getByRole("button", { name: "Create" }).click();
        await volumes.locator('tr[data-volume="cvtest-vol-a"]').waitFor();
        assert.match(await virsh("vol-list", name), /cvtest-vol-a/);
        // A qcow2 overlay on it, chosen as backing volume in the dialog.
        await volumes.getByRole("button", { name: "Create volume" }).click();
        const od = dialog(page, "Create volume");
        await od.getByLabel("Name").fill("cvtest-vol-c");
        await od.getByLabel("Size (MiB)").fill("1");
        await od.getByLabel("Backing volume").selectOption("cvtest-vol-a");
        assert.equal(await od.getByLabel("Size (MiB)").inputValue(), "8", "the overlay starts at its backing volume's size");
        await od.getByRole("button", { name: "Create" }).click();
        await volumes.locator('tr[data-volume="cvtest-vol-c"]').waitFor();
        assert.match(await virsh("vol-dumpxml", "--pool", name, "cvtest-vol-c"),
                     new RegExp(`<backingStore>\\s*<path>${scratch}/cvtest-vol-a</path>\\s*<format type='qcow2'/>`));
        await virsh("vol-create-as", name, "cvtest-vol-b", "4M", "--format", "raw");
        await virsh("pool-refresh", name);
        await volumes.locator('tr[data-volume="cvtest-vol-b"]').waitFor();
        await lightScreenshot("resources-volumes-light");
        for (const v of ["cvtest-vol-a", "cvtest-vol-b", "cvtest-vol-c"])
            await volumes.locator(`tr[data-volume="${v}"]`).getByRole("checkbox").check();
        await volumes.getByRole("button", { name: "Delete selected (3)" }).click();
        await volumes.locator('tr[data-volume="cvtest-vol-a"]').waitFor({ state: "detached" });
        await volumes.locator('tr[data-volume="cvtest-vol-b"]').waitFor({ state: "detached" });
        await volumes.locator('tr[data-volume="cvtest-vol-c"]').waitFor({ state: "detached" });
        assert.doesNotMatch(await virsh("vol-list", name), /cvtest-vol/);

        await virsh("pool-destroy", name);
        await poolRow(name).and(page.locator('[data-state="inactive"]')).waitFor();
        await lightScreenshot("resources-storage-light");

        await poolRow(name).getByRole("button", { name: "Delete" }).click();
        await dialog(page, `Delete storage pool ${name}?`).getByRole("button", { name: "Delete" }).click();
        await poolRow(name).waitFor({ state: "detached" });
        await assert.rejects(virsh("pool-info", name));
    }));

    test("volumes: a file uploaded from the browser lands unchanged, the download gives it back", () => snapOnFailure(page, "resources-upload", async () => {
        const name = `${PREFIX}xpool-${suffix}`;
        const dir = path.join(scratch, "xfer");
        mkdirSync(dir);
        chmodSync(dir, 0o755);
        await virsh("pool-create-as", name, "dir", "--target", dir);
        const sha = buf => createHash("sha256").update(buf).digest("hex");
        // An odd size, so the last slice is short; big enough that the progress shows for a moment.
        const data = randomBytes(16 * 1024 * 1024 + 777);
        const file = path.join(scratch, "cvtest-upload.iso");
        writeFileSync(file, data);
        try {
            await page.goto(ws.pageUrl + "#/storage");
            await poolRow(name).getByRole("button", { name: "Details" }).click();
            const volumes = page.locator(`[data-volumes="${name}"][data-loaded="true"]`);
            await volumes.locator('[data-test="volume-upload-file"]').setInputFiles(file);
            const progress = volumes.locator('.virt-volume-transfer[data-transfer="upload"]');
            await progress.waitFor();
            await lightScreenshot("resources-upload-light");
            await progress.waitFor({ state: "detached", timeout: 60000 });
            assert.equal(await volumes.locator('[data-test="volume-error"]').count(), 0,
                         await volumes.locator('[data-test="volume-error"]').allInnerTexts().then(t => t.join()));
            await volumes.locator('tr[data-volume="cvtest-upload.iso"]').waitFor();
            assert.equal(sha(readFileSync(path.join(dir, "cvtest-upload.iso"))), sha(data), "the volume differs from the file");

            const [download] = await Promise.all([
                page.waitForEvent("download", { timeout: 60000 }),
                volumes.locator('tr[data-volume="cvtest-upload.iso"]').getByRole("button", { name: "Download" }).click(),
            ]);
            assert.equal(download.suggestedFilename(), "cvtest-upload.iso");
            assert.equal(sha(readFileSync(await download.path())), sha(data), "the download differs from the file");

            const dark = await openVirtPage(browser, ws, { connections: [URI], theme: "dark", path: "/storage" });
            await dark.locator(`tr[data-pool="${name}"]`).getByRole("button", { name: "Details" }).click();
            await dark.locator(`[data-volumes="${name}"] tr[data-volume="cvtest-upload.iso"]`).waitFor();
            await screenshot(dark, "resources-volumes-dark");
            await closePage(dark);
        } finally {
            await virsh("pool-destroy", name).catch(() => {});
        }
    }));

    test("networks: create NAT with DHCP, virsh stop seen live, static host, delete", () => snapOnFailure(page, "resources-networks", async () => {
        await page.goto(ws.pageUrl + "#/networks");
        await page.locator('[data-page="networks"][data-loaded="true"]').waitFor();
        const name = `${PREFIX}bnet-${suffix}`;
        await page.getByRole("button", { name: "Create network" }).click();
        const d = dialog(page, "Create network");
        await d.getByLabel("Name").fill(name);
        await d.locator("#create-network-address").fill(`10.216.${octet}.1`);
        await d.locator("#create-network-dhcp-start").fill(`10.216.${octet}.10`);
        await d.locator("#create-network-dhcp-end").fill(`10.217.${octet}.10`);
        await d.getByRole("button", { name: "Create" }).click();
        await d.locator('[data-test="create-network-error"]').filter({ hasText: "outside the network" }).waitFor();
        await lightScreenshot("resources-create-network-light");
        await d.locator("#create-network-dhcp-end").fill(`10.216.${octet}.50`);
        // IPv6 beside it, with a DHCPv6 range.
        await d.getByLabel("IPv6", { exact: true }).check();
        await d.locator("#create-network-address6").fill(`fd00:216:${octet}::1`);
        await d.locator("#create-network-dhcp6-start").fill(`fd00:216:${octet}::100`);
        await d.locator("#create-network-dhcp6-end").fill(`fd00:216:${octet}::1ff`);
        // An MTU out of bounds: the helper's verdict; then one it takes, shown in the row.
        await d.locator("#create-network-mtu").fill("100");
        await d.getByRole("button", { name: "Create" }).click();
        await d.locator('[data-test="create-network-error"][data-problem="invalid-argument"]')
                .filter({ hasText: "between 1280 and 65535 bytes" }).waitFor();
        await d.locator("#create-network-mtu").fill("9000");
        await d.getByRole("button", { name: "Create" }).click();
        await d.waitFor({ state: "detached" });
        await networkRow(name).and(page.locator('[data-active="true"]')).waitFor();
        await networkRow(name).locator('[data-test="network-mtu"]').filter({ hasText: "MTU 9000" }).waitFor();
        const xml = await virsh("net-dumpxml", name);
        assert.match(xml, /<mtu size='9000'\/>/);
        assert.match(xml, new RegExp(`<range start='10.216.${octet}.10' end='10.216.${octet}.50'`));
        assert.match(xml, new RegExp(`<ip family='ipv6' address='fd00:216:${octet}::1' prefix='64'>\\s*<dhcp>\\s*<range start='fd00:216:${octet}::100' end='fd00:216:${octet}::1ff'`));
        await networkRow(name).locator('[data-test="network-addresses"]').filter({ hasText: `fd00:216:${octet}::1/64` }).waitFor();

        await networkRow(name).getByRole("button", { name: "Details" }).click();
        const details = page.locator(`[data-details="${name}"]`);
        await details.locator('[data-test="no-leases"]').waitFor();
        await details.locator(`#host-mac-${name}`).fill("52:54:00:12:34:56");
        await details.locator(`#host-ip-${name}`).fill(`10.216.${octet}.20`);
        await details.getByRole("button", { name: "Add", exact: true }).click();
        await details.locator(`tr[data-host="10.216.${octet}.20"]`).waitFor();
        assert.match(await virsh("net-dumpxml", name), /<host mac='52:54:00:12:34:56' ip='10\.216\.\d+\.20'\/>/);
        // A DNS host entry, live.
        await details.locator(`#dns-ip-${name}`).fill(`10.216.${octet}.30`);
        await details.locator(`#dns-names-${name}`).fill("db db.lab");
        await details.getByRole("button", { name: "Add DNS host" }).click();
        await details.locator(`tr[data-dns-host="10.216.${octet}.30"]`).filter({ hasText: "db, db.lab" }).waitFor();
        assert.match(await virsh("net-dumpxml", name), /<host ip='10\.216\.\d+\.30'>\s*<hostname>db<\/hostname>\s*<hostname>db\.lab<\/hostname>/);
        await lightScreenshot("resources-networks-light");

        await virsh("net-destroy", name);
        await networkRow(name).and(page.locator('[data-active="false"]')).waitFor();

        const dark = await openVirtPage(browser, ws, { connections: [URI], theme: "dark", path: "/networks" });
        await dark.locator(`tr[data-network="${name}"][data-active="false"]`).waitFor();
        assert.ok(await dark.evaluate(() => document.documentElement.classList.contains("pf-v6-theme-dark")));
        assert.ok(await dark.getByRole("button", { name: "Create network" }).isEnabled());
        await screenshot(dark, "resources-networks-dark");
        await dark.goto(ws.pageUrl + "#/storage");
        await dark.locator('[data-page="storage"][data-loaded="true"]').waitFor();
        await screenshot(dark, "resources-storage-dark");
        await dark.goto(ws.pageUrl);
        await dark.locator('[data-card="networks"]').waitFor();
        await screenshot(dark, "resources-cards-dark");
        await closePage(dark);

        // A VM with an interface on it is named in the delete dialog (the VM itself is only defined).
        const g = await defineTinyGuest("netuser");
        await virsh("attach-interface", g.name, "network", name, "--config");
        // Seen by the page's VM list first (the dialog names VMs from it), then back to the networks.
        await page.goto(ws.pageUrl);
        await filterList(page, g.name);
        await page.locator(`tr[data-vm-name="${g.name}"]`).waitFor();
        await page.evaluate(() => { window.location.hash = "#/networks" });
        await networkRow(name).getByRole("button", { name: "Delete" }).click();
        const del = dialog(page, `Delete network ${name}?`);
        await del.filter({ hasText: `In use by ${g.name}` }).waitFor();
        await del.getByRole("button", { name: "Delete" }).click();
        await networkRow(name).waitFor({ state: "detached" });
        await assert.rejects(virsh("net-info", name));
    }));

    test("deep links: one pool or network alone, details open, the host unchanged; a hostile name not found; light and dark", async () => {
        const pool = `${PREFIX}lpool-${suffix}`;
        const net = `${PREFIX}lnet-${suffix}`;
        const dir = path.join(scratch, "deep");
        mkdirSync(dir);
        chmodSync(dir, 0o755);
        // An inactive pool (the link must not start it) and a running pool with a volume; an isolated network.
        await virsh("pool-define-as", pool, "dir", "--target", dir);
        const other = `${PREFIX}lpool2-${suffix}`;
        const otherDir = path.join(scratch, "deep2");
        mkdirSync(otherDir);
        chmodSync(otherDir, 0o755);
        await virsh("pool-create-as", other, "dir", "--target", otherDir);
        await virsh("vol-create-as", other, "cvtest-deep.qcow2", "1M", "--format", "qcow2");
        const netXml = path.join(scratch, "deep-net.xml");
        writeFileSync(netXml, `<network><name>${net}</name></network>`);
        await virsh("net-create", netXml);
        // Quotes, a slash, markup and 3000 characters: one path segment, never a selector or markup.
        const hostile = `${PREFIX}"it's"/<b>&amp;` + "x".repeat(3000);
        const link = (page, name) => `${ws.pageUrl}#/${page}/system/${encodeURIComponent(name)}`;
        try {
            for (const theme of ["light", "dark"]) {
                const p = await openVirtPage(browser, ws, { connections: [URI], theme });
                await snapOnFailure(p, `resources-deep-links-${theme}`, async () => {
                    await p.goto(link("storage", other));
                    const loaded = p.locator('[data-page="storage"][data-loaded="true"]');
                    await loaded.locator(`[data-volumes="${other}"] tr[data-volume="cvtest-deep.qcow2"]`).waitFor();
                    assert.equal(await loaded.locator("tr[data-pool]").count(), 1, "only the linked pool");
                    await screenshot(p, `resources-deep-link-pool-${theme}`);

                    await p.goto(link("storage", pool));
                    await p.locator(`tr[data-pool="${pool}"][data-state="inactive"]`).waitFor();
                    await p.locator(`[data-page="storage"]`).getByText("Start the pool to see its volumes.").waitFor();

                    await p.goto(link("networks", net));
                    await p.locator(`[data-page="networks"] [data-details="${net}"]`).waitFor();
                    assert.equal(await p.locator("tr[data-network]").count(), 1, "only the linked network");
                    await screenshot(p, `resources-deep-link-network-${theme}`);

                    await p.goto(link("storage", hostile));
                    const missing = p.locator('[data-page="storage"][data-loaded="true"] [data-test="resource-not-found"]');
                    // The message shows the name's first 100 characters.
                    await missing.filter({ hasText: `There is no storage pool "${hostile.slice(0, 100)}…" on System.` }).waitFor();
                    assert.equal(await p.locator("tr[data-pool]").count(), 0);
                    // The long name wraps: the page does not scroll sideways.
                    assert.ok(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1));
                    await screenshot(p, `resources-deep-link-missing-${theme}`);
                    await p.goto(link("networks", hostile));
                    await p.locator('[data-page="networks"] [data-test="resource-not-found"]').waitFor();
                    await p.getByRole("link", { name: "Show all networks" }).click();
                    await p.locator(`tr[data-network="${net}"]`).waitFor();
                    assert.deepEqual(p.virtErrors, []);
                });
                await closePage(p);
            }
            // Showing never changed the host.
            assert.match(await virsh("pool-info", pool), /State:\s+inactive/);
        } finally {
            await virsh("pool-undefine", pool).catch(() => {});
            await virsh("pool-destroy", other).catch(() => {});
            await virsh("net-destroy", net).catch(() => {});
        }
    });

    test("pool sources: Find lists the host's volume group and fills the dialog; an unknown NFS server is not found", async t => {
        const image = path.join(scratch, "find-vg.img");
        execFileSync("truncate", ["-s", "16M", image]);
        const vg = `${PREFIX}bvg-${suffix}`;
        let loop;
        try {
            loop = execFileSync("losetup", ["-f", "--show", image], { encoding: "utf8" }).trim();
            execFileSync("vgcreate", ["-q", vg, loop], { stdio: "ignore" });
        } catch (e) {
            if (loop)
                execFileSync("losetup", ["-d", loop]);
            t.skip(`no loop device or volume group: ${e.message}`);
            return;
        }
        try {
            await snapOnFailure(page, "resources-pool-sources", async () => {
                await page.goto(ws.pageUrl + "#/storage");
                await page.locator('[data-page="storage"][data-loaded="true"]').waitFor();
                await page.getByRole("button", { name: "Create storage pool" }).click();
                const d = dialog(page, "Create storage pool");
                await d.getByLabel("Type").selectOption("netfs");
                await d.getByLabel("NFS server").fill("cvtest-nohost.invalid");
                await d.getByRole("button", { name: "Find exports" }).click();
                await d.locator('[data-test="pool-sources-error"][data-problem="not-found"]')
                        .filter({ hasText: "cvtest-nohost.invalid" }).waitFor();

                await d.getByLabel("Type").selectOption("logical");
                await d.getByRole("button", { name: "Find volume groups" }).click();
                const choice = d.locator("#pool-sources-choice");
                await choice.locator("option", { hasText: vg }).waitFor({ state: "attached" });
                await choice.selectOption({ label: `${vg} (${loop})` });
                assert.equal(await d.locator("#create-pool-name").inputValue(), vg);
                await lightScreenshot("resources-pool-sources-light");
                await d.getByRole("button", { name: "Create" }).click();
                await d.waitFor({ state: "detached" });
                await poolRow(vg).and(page.locator('[data-state="running"]')).waitFor();
                assert.match(await virsh("pool-dumpxml", vg), new RegExp(`<name>${vg}</name>`));
            });
        } finally {
            await virsh("pool-destroy", vg).catch(() => {});
            await virsh("pool-undefine", vg).catch(() => {});
            try { execFileSync("vgremove", ["-f", vg], { stdio: "ignore" }) } catch { /* gone */ }
            execFileSync("losetup", ["-d", loop]);
        }
    });
});
