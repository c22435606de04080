// SPDX-License-Identifier: LGPL-2.1-or-later
// Issue 12: https install media end to end. The suite's install tree (tests/lib/build-media.sh) is served over https
// on 127.0.0.1 with a certificate from a CA this test makes (tests/harness/tls.mjs), trusted by the helper through
// SSL_CERT_FILE only. op `create` (through bridge 337) reads its .treeinfo, downloads kernel and initrd over https
// and boots them; the guest prints the command line it got, with inst.repo=https://…. One guest, TCG.
// The refusals (no CA, https → http) are tests/protocol/https.test.mjs.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { after, before, describe, test } from "node:test";

import { Bridge, abbreviate } from "../harness/bridge.mjs";
import { PREFIX, URI, ensureLibvirtd, virsh } from "../harness/libvirt.mjs";
import { buildMedia, startHttpServer, testDir, waitForConsoleMarker } from "../harness/media.mjs";
import { makeTestCa } from "../harness/tls.mjs";

const BOOT_MS = 180000;

describe(`create from an install tree over https (${URI}, TCG)`, () => {
    let dir, srv, b;
    const name = `${PREFIX}https-tree-${randomUUID().slice(0, 6)}`;

    before(async () => {
        await ensureLibvirtd();
        const media = await buildMedia();
        dir = testDir("https-tree");
        const tls = makeTestCa(dir);
        srv = await startHttpServer(media.dir, { tls });
        b = await Bridge.start("337", { env: { SSL_CERT_FILE: tls.caFile } });
    });

    after(async () => {
        await virsh("destroy", name).catch(() => {});
        await virsh("undefine", name).catch(() => {});
        for (const vol of [`${name}-kernel`, `${name}-initrd`])
            await virsh("vol-delete", "--pool", "default", vol).catch(() => {});
        await b?.closeBridge();
        await srv?.close();
        if (dir)
            rmSync(dir, { recursive: true, force: true });
    });

    test("kernel and initrd are downloaded over https and boot with inst.repo=https://…", async () => {
        const url = srv.url("tree/");
        assert.match(url, /^https:\/\/127\.0\.0\.1:\d+\/tree\/$/);
        const spec = { name, os: "fedora37", source: { kind: "url", url }, memory_mib: 256, vcpus: 1,
                       storage: { kind: "none" }, network: { kind: "none" }, virt_type: "qemu", run: true };
        const channel = b.open({ payload: "virt1", op: "create", uri: URI, mode: "create", spec });
        const messages = await b.untilClose(channel, 120000);
        const close = messages.at(-1).control;
        assert.equal(close.problem, undefined, messages.map(abbreviate).join("\n"));
        const live = await virsh("dumpxml", name);
        assert.ok(live.includes(`<cmdline>inst.repo=${url}</cmdline>`), live);
        assert.ok(srv.requests.some(r => r.path === "/tree/images/pxeboot/initrd.img"), "the initrd came over https");
        const m = await waitForConsoleMarker(name, /TESTGUEST-MEDIA media=(\w+) cmdline=([^\r\n]*)/, BOOT_MS);
        assert.equal(m[1], "tree");
        assert.ok(m[2].includes(`inst.repo=${url}`), m[0]);
    });
});
