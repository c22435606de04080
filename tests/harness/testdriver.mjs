// SPDX-License-Identifier: LGPL-2.1-or-later
// Node files for libvirt's test driver: `test:///<absolute path>` serves the domains of such a file, in the
// connecting process only, so thousands of defined VMs cost nothing.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** The UUID of VM number `i` of a generated node file (stable, so tests can look rows up). */
export function testVmUuid(i) {
    return `c0ffee00-0000-4000-8000-${(i + 1).toString(16).padStart(12, "0")}`;
}

/** The <description> writeTestNode() gives every VM. */
export function testVmDescription(descriptionBytes, unicode) {
    const unit = unicode ? "ä€😀" : "x";
    return unit.repeat(Math.ceil(descriptionBytes / Buffer.byteLength(unit)));
}

export function testVmName(i) {
    return `vm-${String(i).padStart(5, "0")}`;
}

/**
 * Writes a node file with `count` domains (every third one shut off, the rest running) and returns its
 * test:/// URI. `descriptionBytes` pads each domain's <description> to make the snapshot big; `unicode` puts
 * multibyte characters into the descriptions, so that a frame split inside a character would show.
 */
export function writeTestNode(count, { descriptionBytes = 0, unicode = false, dir } = {}) {
    dir ??= mkdtempSync(path.join(tmpdir(), "cvtest-node-"));
    const file = path.join(dir, `node-${count}.xml`);
    const description = testVmDescription(descriptionBytes, unicode);
    const out = ["<node>"];
    for (let i = 0; i < count; i++) {
        out.push(`<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
  <name>${testVmName(i)}</name>
  <uuid>${testVmUuid(i)}</uuid>
  <title>Test VM ${i}</title>
  <description>${description}</description>
  <memory unit='MiB'>${128 + (i % 8) * 64}</memory>
  <vcpu>${1 + (i % 4)}</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><source file='/var/lib/libvirt/images/${testVmName(i)}.qcow2'/><target dev='vda' bus='virtio'/></disk>
    <interface type='user'><mac address='52:54:00:${hex(i >> 16)}:${hex(i >> 8)}:${hex(i)}'/><model type='virtio'/></interface>
  </devices>
  <test:runstate>${i % 3 === 2 ? 5 : 1}</test:runstate>
</domain>`);
    }
    out.push("</node>");
    writeFileSync(file, out.join("\n") + "\n");
    return `test://${file}`;
}

function hex(n) {
    return (n & 0xff).toString(16).padStart(2, "0");
}

/** Removes the directory writeTestNode() made for `uri`. */
export function removeTestNode(uri) {
    const dir = path.dirname(uri.slice("test://".length));
    if (path.basename(dir).startsWith("cvtest-node-"))
        rmSync(dir, { recursive: true, force: true });
}
