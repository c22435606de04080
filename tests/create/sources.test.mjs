// SPDX-License-Identifier: LGPL-2.1-or-later
// Issue 5: a real guest created through the page's dialog from every kind of source, with media this suite builds
// itself (tests/lib/build-media.sh), on qemu:///system under software emulation. Each guest must really boot from
// the chosen source — its init prints which medium it came from (TESTGUEST-MEDIA media=…) and, from a cloud image,
// the user and host name it read from the cloud-init seed — and `virsh dumpxml` must show the devices that source
// needs.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { after, before, describe, test } from "node:test";

import { launchBrowser, snapOnFailure } from "../harness/browser.mjs";
import { startCockpitWs } from "../harness/cockpit-ws.mjs";
import { URI, ensureLibvirtd, virsh } from "../harness/libvirt.mjs";
import {
    CLOUD_MARKER, MEDIA_MARKER, PXE_NETWORK, buildMedia, copyMedium, definePxeNetwork, removePxeNetwork,
    startHttpServer, waitForConsoleMarker,
} from "../harness/media.mjs";

import { BOOT_MS, createAndRun, disks, domainXml, fillDialog, guestName, interfaces, openCreateDialog, removeCreated } from "./dialog.mjs";

const esc = s => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe(`create a VM from each source (${URI}, TCG)`, () => {
    let ws, browser, media;
    const made = [];
    const dirs = [];

    before(async () => {
        await ensureLibvirtd();
        media = await buildMedia();
        ws = await startCockpitWs();
        browser = await launchBrowser();
    });

    after(async () => {
        await browser?.close();
        await ws?.stop();
        for (const name of made)
            await removeCreated(name);
        for (const dir of dirs)
            rmSync(dir, { recursive: true, force: true });
    });

    /** A copy of a medium for one test (the guest may write to it, libvirt relabels it). */
    function medium(file, what) {
        const copy = copyMedium(file, `create-${what}`);
        dirs.push(copy.dir);
        return copy.path;
    }

    /** Opens the dialog, fills it, creates and runs; resolves with { page, name, xml }. */
    async function create(what, values, { mode } = {}) {
        const name = guestName(what);
        made.push(name);
        const { page } = await openCreateDialog(browser, ws, URI, { mode });
        await snapOnFailure(page, `create-${what}`, async () => {
            await fillDialog(page, { name, memoryMiB: 1024, vcpus: 1, ...values });
            await createAndRun(page, name);
        });
        return { page, name, xml: await domainXml(name) };
    }

    test("local ISO: the OS is detected from the volume id, the guest boots from the CD-ROM", async () => {
        const iso = medium(media.iso, "iso");
        const { page, name, xml } = await create("iso", {
            sourceKind: "iso", source: iso, osDetected: "Debian 11", storage: "new", size: 10, network: "user",
        });
        await page.close();
        assert.match(xml, /<domain type='qemu'/);
        assert.match(xml, /<libosinfo:os id=["']http:\/\/debian\.org\/debian\/11["']\/>/); // metadata keeps its quotes
        const cdrom = disks(xml).find(d => /device='cdrom'/.test(d));
        assert.ok(cdrom, `a CD-ROM in\n${xml}`);
        assert.match(cdrom, new RegExp(`<source file='${esc(iso)}'`));
        const disk = disks(xml).find(d => /device='disk'/.test(d));
        assert.ok(disk, "a new volume as the disk");
        assert.match(xml, /<serial type='pty'>/);
        const m = await waitForConsoleMarker(name, MEDIA_MARKER, BOOT_MS);
        assert.equal(m[1], "iso");
    });

    test("URL: an ISO served over HTTP becomes a network CD-ROM that QEMU reads with range requests", async () => {
        const http = await startHttpServer(media.dir);
        try {
            const url = http.url("tiny.iso");
            const { page, name, xml } = await create("url", {
                sourceKind: "url", source: url, osDetected: "Debian 11", storage: "none", network: "user",
            });
            await page.close();
            const cdrom = disks(xml).find(d => /device='cdrom'/.test(d));
            assert.ok(cdrom, `a CD-ROM in\n${xml}`);
            assert.match(cdrom, /<disk type='network' device='cdrom'>/);
            assert.match(cdrom, /<source protocol='http' name='\/tiny\.iso'>/);
            assert.match(cdrom, new RegExp(`<host name='127\\.0\\.0\\.1' port='${http.port}'/>`));
            const m = await waitForConsoleMarker(name, MEDIA_MARKER, BOOT_MS);
            assert.equal(m[1], "iso");
            assert.ok(http.requests.some(r => r.method === "GET" && r.path === "/tiny.iso" && r.range),
                `QEMU read the ISO with range requests: ${JSON.stringify(http.requests.slice(0, 5))}`);
        } finally {
            await http.close();
        }
    });

    test("URL of an install tree: the helper downloads its kernel and initrd and boots them with inst.repo=", async () => {
        const http = await startHttpServer(media.dir);
        try {
            const url = http.url("tree/");
            const { page, name, xml } = await create("tree", {
                sourceKind: "url", source: url, osDetected: "Fedora Linux 37", storage: "new", size: 1, network: "user",
            });
            await page.close();
            // The running VM boots the downloaded kernel; its defined config boots the disk (as virt-install).
            assert.doesNotMatch(xml, /<kernel>/, xml);
            const live = await virsh("dumpxml", name);
            assert.match(live, /<libosinfo:os id=["']http:\/\/fedoraproject\.org\/fedora\/37["']\/>/);
            assert.match(live, new RegExp(`<kernel>[^<]*/${esc(name)}-kernel</kernel>`), live);
            assert.match(live, new RegExp(`<initrd>[^<]*/${esc(name)}-initrd</initrd>`), live);
            assert.ok(live.includes(`<cmdline>inst.repo=${url}</cmdline>`), live);
            assert.ok(!disks(live).some(d => /device='cdrom'/.test(d)), `no CD-ROM in\n${live}`);
            assert.ok(disks(xml).some(d => /device='disk'/.test(d)), `the new disk in\n${xml}`);
            assert.ok(http.requests.some(r => r.path === "/tree/.treeinfo"), "the dialog and the helper read .treeinfo");
            assert.ok(http.requests.some(r => r.path === "/tree/images/pxeboot/initrd.img"), "the initrd was downloaded");
            const m = await waitForConsoleMarker(name, /TESTGUEST-MEDIA media=(\w+) cmdline=([^\r\n]*)/, BOOT_MS);
            assert.equal(m[1], "tree");
            assert.ok(m[2].includes(`inst.repo=${url}`), m[0]);
        } finally {
            await http.close();
        }
    });

    test("PXE: the guest boots the kernel that cvtest-pxe's TFTP serves", async () => {
        await definePxeNetwork();
        try {
            const { page, name, xml } = await create("pxe", {
                sourceKind: "pxe", pxe: `network:${PXE_NETWORK}`, os: "Debian 11", storage: "none",
                network: `network:${PXE_NETWORK}`,
            });
            await page.close();
            const nic = interfaces(xml).find(i => i.includes(`<source network='${PXE_NETWORK}'`));
            assert.ok(nic, `an interface on ${PXE_NETWORK} in\n${xml}`);
            assert.equal(disks(xml).length, 0, "no disk: the guest can only have come from the network");
            const m = await waitForConsoleMarker(name, MEDIA_MARKER, BOOT_MS);
            assert.equal(m[1], "pxe");
            await removeCreated(name); // before its network goes
        } finally {
            await removePxeNetwork();
        }
    });

    test("cloud image: the copy boots and its init reads the user and host name typed in the dialog", async () => {
        const image = medium(media.cloud, "cloud");
        const login = `u${Math.random().toString(36).slice(2, 8)}`;
        const hostname = `cv-${Math.random().toString(36).slice(2, 8)}`;
        const { page, name, xml } = await create("cloud", {
            sourceKind: "cloud", source: image, os: "Debian 11", login, password: "correct horse battery staple",
            hostname, network: "user",
        });
        await page.close();
        const [disk, ...rest] = disks(xml).filter(d => /device='disk'/.test(d));
        assert.ok(disk && rest.length === 0, `one disk in\n${xml}`);
        assert.doesNotMatch(disk, new RegExp(esc(image)), "the base image was copied into the pool, not used");
        // The first boot has the seed; the definition does not, and its volume is gone once QEMU holds it open.
        assert.ok(!disks(xml).some(d => /cidata/.test(d)), `no seed in the defined VM:\n${xml}`);
        const live = await virsh("dumpxml", name);
        const seed = disks(live).find(d => /device='cdrom'/.test(d));
        assert.ok(seed && /cidata\.iso/.test(seed), `the NoCloud seed as a CD-ROM in\n${live}`);
        const pool = seed.match(/pool='([^']+)'/)[1];
        const vols = await virsh("vol-list", pool);
        assert.ok(!vols.includes(`${name}-cidata.iso`), `the seed volume is deleted:\n${vols}`);
        // The guest reads the seed through QEMU's open file: login and host name arrive all the same.
        const m = await waitForConsoleMarker(name, CLOUD_MARKER, BOOT_MS);
        assert.equal(m[1], login);
        assert.equal(m[2], hostname);
        // The guest got the password only as a crypt hash, and glibc's crypt(3), which its login uses, takes the
        // typed password for it.
        const line = await waitForConsoleMarker(name, /TESTGUEST-CLOUD .* pwhash=(\S+) plain=(\d+)/, BOOT_MS);
        assert.match(line[1], /^\$6\$/, line[0]);
        assert.equal(line[2], "0", "the seed has a plain_text_passwd");
        const verdict = execFileSync("python3", ["-c", "import crypt,sys; print(crypt.crypt(sys.argv[1], sys.argv[2]) == sys.argv[2])",
            "correct horse battery staple", line[1]]).toString().trim();
        assert.equal(verdict, "True", line[0]);
    });

    test("import: the existing disk is used in place and boots", async () => {
        const disk = medium(media.disk, "import");
        const { page, name, xml } = await create("import", {
            sourceKind: "import", source: disk, os: "Debian 11", network: "user",
        }, { mode: "import" });
        await page.close();
        const d = disks(xml).filter(x => /device='disk'/.test(x));
        assert.equal(d.length, 1, xml);
        assert.match(d[0], new RegExp(`<source file='${esc(disk)}'`));
        assert.match(d[0], /<driver name='qemu' type='qcow2'/);
        const m = await waitForConsoleMarker(name, MEDIA_MARKER, BOOT_MS);
        assert.equal(m[1], "disk");
    });
});
