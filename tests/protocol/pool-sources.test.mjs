// SPDX-License-Identifier: LGPL-2.1-or-later
// op `pool-sources` (docs/api.md) through the real bridges against qemu:///system: libvirt finds an LVM volume group
// made on a loop device for this test, an NFS server that does not exist is `not-found` with libvirt's message, an
// iSCSI portal without an initiator fails with iscsiadm's story, and bad types, hosts and ports are refused first.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { Bridge, bridgeNames } from "../harness/bridge.mjs";
import { ensureLibvirtd } from "../harness/libvirt.mjs";

const URI = "qemu:///system";
const VG = `cvtest-ps-${process.pid}`;

let scratch, loop, noLoop;

before(async () => {
    await ensureLibvirtd();
    scratch = mkdtempSync(path.join(tmpdir(), "cvtest-ps-"));
    const image = path.join(scratch, "vg.img");
    execFileSync("truncate", ["-s", "16M", image]);
    try {
        loop = execFileSync("losetup", ["-f", "--show", image], { encoding: "utf8" }).trim();
        execFileSync("vgcreate", ["-q", VG, loop], { stdio: "ignore" });
    } catch (e) {
        noLoop = e.message;
    }
});

after(() => {
    try { execFileSync("vgremove", ["-f", VG], { stdio: "ignore" }) } catch { /* not made */ }
    if (loop)
        execFileSync("losetup", ["-d", loop]);
    rmSync(scratch, { recursive: true, force: true });
});

for (const name of bridgeNames()) {
    describe(`pool-sources via bridge ${name}`, () => {
        let b;
        before(async () => { b = await Bridge.start(name) });
        after(() => b.closeBridge());

        async function sources(fields) {
            const id = b.open({ payload: "virt1", op: "pool-sources", uri: URI, ...fields });
            const messages = await b.untilClose(id, 40000);
            return { results: messages.filter(m => !m.command).map(m => m.data), close: messages.at(-1).control };
        }

        test("pool_sources_logical: the volume group on the loop device is found, with its physical volume", async t => {
            if (noLoop) {
                t.skip(`no loop device or volume group: ${noLoop}`);
                return;
            }
            const r = await sources({ type: "logical" });
            assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
            assert.equal(r.results.length, 1);
            assert.equal(r.results[0].truncated, false);
            const vg = r.results[0].sources.find(s => s.name === VG);
            assert.ok(vg, `${VG} not among ${JSON.stringify(r.results[0].sources)}`);
            assert.deepEqual(vg.devices, [loop]);
            assert.equal(vg.format, "lvm2");
        });

        test("pool_sources_failures: an unknown NFS server, an iSCSI portal without initiator, refusals", async t => {
            let r = await sources({ type: "netfs", server: "cvtest-nohost.invalid" });
            assert.equal(r.close.problem, "not-found", JSON.stringify(r.close));
            assert.match(r.close.message, /cvtest-nohost\.invalid/);
            assert.equal(typeof r.close["libvirt-error"], "number");
            assert.equal(r.results.length, 0);

            if (existsSync("/sys/module/iscsi_tcp")) {
                t.diagnostic("this kernel has an iSCSI initiator: the no-initiator failure is not shown here");
            } else {
                r = await sources({ type: "iscsi", server: "127.0.0.1", port: 3260 });
                assert.equal(r.close.problem, "internal-error", JSON.stringify(r.close));
                assert.match(r.close.message, /iscsiadm/);
            }

            for (const [fields, problem] of [
                [{ type: "iscsi", server: "127.0.0.1", port: 0 }, "invalid-argument"],
                [{ type: "iscsi", server: "127.0.0.1", port: 65536 }, "invalid-argument"],
                [{ type: "netfs", server: "bad host" }, "invalid-argument"],
                [{ type: "netfs", server: "x'><source/>" }, "invalid-argument"],
                [{ type: "netfs" }, "invalid-argument"],
                [{ type: "logical", server: "nfs.example" }, "invalid-argument"],
                [{ type: "dir" }, "not-supported"],
                [{ type: "iscsi", server: "127.0.0.1", port: "3260" }, "protocol-error"],
                [{ server: "127.0.0.1" }, "protocol-error"],
            ]) {
                r = await sources(fields);
                assert.equal(r.close.problem, problem, `${JSON.stringify(fields)}: ${JSON.stringify(r.close)}`);
                assert.equal(r.results.length, 0);
            }
        });
    });
}
