// SPDX-License-Identifier: LGPL-2.1-or-later
// Tiny real guests for the console tests: tests/harness/libvirt.mjs's guest plus a VNC display, named
// cvtest-console-<what>-<random> so the suite's cleanup (cleanupTestObjects) also removes leftovers. These tests
// remove only their own guests, never every cvtest-* domain: other test files may be running guests.

import { randomUUID } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

import { GUESTS_DIR, ensureLibvirtd, guestDir, tinyGuestXml, virsh } from "../harness/libvirt.mjs";

/** The <graphics> element for `vnc`: "address" (VNC on 127.0.0.1, a TCP port), "socket" (a UNIX socket), false. */
function graphicsXml(vnc) {
    if (vnc === "address")
        return "<graphics type='vnc' listen='127.0.0.1' autoport='yes'/>";
    if (vnc === "socket")
        return "<graphics type='vnc'><listen type='socket'/></graphics>";
    return "";
}

/**
 * Defines (and with `running`, starts) a tiny guest with a serial console and, per `vnc`, a VNC display on
 * a VGA card. Resolves with { name, uuid, serialLog, dir }.
 */
export async function defineConsoleGuest(what, { vnc = "address", running = true } = {}) {
    await ensureLibvirtd();
    const guest = await guestDir();
    const name = `cvtest-console-${what}-${randomUUID().slice(0, 6)}`;
    const dir = path.join(GUESTS_DIR, name);
    mkdirSync(dir, { recursive: true });
    chmodSync(GUESTS_DIR, 0o755);
    chmodSync(dir, 0o755);
    const uuid = randomUUID();
    const serialLog = path.join(dir, "serial.log");
    let xml = tinyGuestXml({
        name, uuid, kernel: path.join(guest, "vmlinuz"), initrd: path.join(guest, "initrd.img"), serialLog,
    });
    if (vnc)
        xml = xml.replace("</devices>", `  ${graphicsXml(vnc)}\n    <video><model type='vga'/></video>\n  </devices>`);
    const xmlPath = path.join(dir, "domain.xml");
    writeFileSync(xmlPath, xml);
    await virsh("define", xmlPath);
    if (running)
        await virsh("start", name);
    return { name, uuid, serialLog, dir };
}

/** Destroys and undefines `guest` and removes its files. */
export async function removeConsoleGuest(guest) {
    if (!guest)
        return;
    await virsh("destroy", guest.name).catch(() => {});
    await virsh("undefine", guest.name).catch(() => {});
    rmSync(guest.dir, { recursive: true, force: true });
}

/** The helper's resident set in KiB. */
export function rssKiB(pid) {
    const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+) kB/m);
    return m ? Number(m[1]) : NaN;
}

/** Number of open file descriptors of `pid`. */
export function fdCount(pid) {
    return readdirSync(`/proc/${pid}/fd`).length;
}
