// SPDX-License-Identifier: LGPL-2.1-or-later
// The install media of tests/lib/build-media.sh boot the tiny guest by themselves, each the way the create op
// attaches it (q35, SATA CD-ROM, virtio disk, http CD-ROM through QEMU's curl driver, PXE on cvtest-pxe), under
// software emulation and without the page: when a create test fails, this tells whether the medium or the page
// is at fault. Domains are cvtest-media-<what>-<random>, with their serial log in their own directory.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { TCG_FEATURE, URI, ensureLibvirtd, virsh, waitForSerial } from "../harness/libvirt.mjs";
import {
    CLOUD_MARKER, MEDIA_MARKER, PXE_NETWORK, buildMedia, definePxeNetwork, removePxeNetwork, startHttpServer,
    testDir, waitForConsoleMarker,
} from "../harness/media.mjs";

import { BOOT_MS } from "./dialog.mjs";

const xmlEscape = s => String(s).replace(/[<>&'"]/g, c => `&#${c.charCodeAt(0)};`);

/** A q35 TCG domain with `devices` (XML) and a logged pty serial console. */
function domainXml(name, serialLog, devices) {
    return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <features><acpi/><apic/>${TCG_FEATURE}</features>
  <on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot><on_crash>destroy</on_crash>
  <devices>
    ${devices}
    <serial type='pty'><log file='${xmlEscape(serialLog)}' append='off'/><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
`;
}

const cdrom = file => `<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>
      <source file='${xmlEscape(file)}'/><target dev='sda' bus='sata'/><readonly/></disk>`;
const disk = file => `<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
      <source file='${xmlEscape(file)}'/><target dev='vda' bus='virtio'/><boot order='1'/></disk>`;

describe(`install media boot under TCG (${URI})`, () => {
    let media;
    const guests = [];

    before(async () => {
        await ensureLibvirtd();
        media = await buildMedia();
    });

    after(async () => {
        for (const g of guests) {
            await virsh("destroy", g.name).catch(() => {});
            await virsh("undefine", g.name).catch(() => {});
            rmSync(g.dir, { recursive: true, force: true });
        }
    });

    /** Defines and starts cvtest-media-<what>-<random>; `devices(dir)` gives its device XML. */
    async function boot(what, devices) {
        const name = `cvtest-media-${what}-${randomUUID().slice(0, 6)}`;
        const dir = testDir(`media-${what}-files`);
        const g = { name, dir, serialLog: path.join(dir, "serial.log") };
        guests.push(g);
        const xmlPath = path.join(dir, "domain.xml");
        writeFileSync(xmlPath, domainXml(name, g.serialLog, devices(dir)));
        await virsh("define", xmlPath);
        await virsh("start", name);
        return g;
    }

    async function marker(g, re) {
        const text = await waitForSerial(g, re, BOOT_MS);
        return text.match(re);
    }

    test("tiny.iso has the volume id osinfo-db matches and boots from a SATA CD-ROM", async () => {
        const volid = execFileSync("xorriso", ["-indev", media.iso, "-pvd_info"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
            .match(/^Volume Id\s*:\s*(.*)$/m)?.[1];
        assert.match(volid ?? "", /^Debian \d+\.\d+\.\d+ amd64 n$/);
        const g = await boot("iso", dir => cdrom(copyInto(media.iso, dir)).replace("<readonly/>", "<readonly/><boot order='1'/>"));
        assert.equal((await marker(g, MEDIA_MARKER))[1], "iso");
    });

    test("tiny-disk.qcow2 boots from a virtio disk", async () => {
        const g = await boot("disk", dir => disk(copyInto(media.disk, dir)));
        assert.equal((await marker(g, MEDIA_MARKER))[1], "disk");
    });

    test("tiny-cloud.qcow2 reads a NoCloud seed on a SATA CD-ROM and prints its user and host name", async () => {
        const g = await boot("cloud", dir => {
            const seed = path.join(dir, "seed");
            mkdirSync(seed);
            writeFileSync(path.join(seed, "user-data"),
                '#cloud-config\nusers:\n  - name: "cvuser"\n    lock_passwd: false\n    plain_text_passwd: "x y"\n');
            writeFileSync(path.join(seed, "meta-data"), 'instance-id: "iid-cv"\nlocal-hostname: "cv-seed-host"\n');
            execFileSync("xorriso", ["-as", "mkisofs", "-quiet", "-o", path.join(dir, "seed.iso"), "-V", "cidata",
                "-J", "-r", seed], { stdio: "ignore" });
            return `${disk(copyInto(media.cloud, dir))}\n    ${cdrom(path.join(dir, "seed.iso"))}`;
        });
        const m = await marker(g, CLOUD_MARKER);
        assert.deepEqual([m[1], m[2]], ["cvuser", "cv-seed-host"]);
    });

    test("tiny.iso over HTTP as a network CD-ROM (QEMU curl driver, range requests); markers read on the console", async () => {
        const http = await startHttpServer(media.dir);
        try {
            const g = await boot("http", () => `<disk type='network' device='cdrom'><driver name='qemu' type='raw'/>
      <source protocol='http' name='/tiny.iso'><host name='127.0.0.1' port='${http.port}'/></source>
      <target dev='sda' bus='sata'/><readonly/><boot order='1'/></disk>`);
            // As for the page's guests, whose serial has no log: read the marker on the console.
            const m = await waitForConsoleMarker(g.name, MEDIA_MARKER, BOOT_MS);
            assert.equal(m[1], "iso");
            assert.ok(http.requests.some(r => r.method === "GET" && r.range), JSON.stringify(http.requests.slice(0, 3)));
        } finally {
            await http.close();
        }
    });

    test("PXE from cvtest-pxe (dnsmasq TFTP + bootp pxelinux.0)", async () => {
        await definePxeNetwork();
        try {
            const g = await boot("pxe", () => `<interface type='network'><source network='${PXE_NETWORK}'/>
      <model type='virtio'/><boot order='1'/></interface>`);
            assert.equal((await marker(g, MEDIA_MARKER))[1], "pxe");
            await virsh("destroy", g.name);
        } finally {
            await removePxeNetwork();
        }
    });
});

function copyInto(file, dir) {
    const dest = path.join(dir, path.basename(file));
    copyFileSync(file, dest);
    chmodSync(dest, 0o644);
    return dest;
}
