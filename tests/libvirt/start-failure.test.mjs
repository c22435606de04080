// SPDX-License-Identifier: LGPL-2.1-or-later
// A VM whose QEMU refuses to start (4 TiB of memory: beyond what the host or the CPU's address bits allow): the
// `start` action's problem is one sentence, QEMU's own error without timestamps or the command line, and libvirt's
// whole text comes as `detail` (the page shows it behind "Show details"). Through both bridges.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { Bridge, bridgeNames } from "../harness/bridge.mjs";
import { URI, defineTinyGuest, domState, ensureLibvirtd, guestDir, removeGuest } from "../harness/libvirt.mjs";

describe("a VM QEMU cannot start", () => {
    let guest;
    before(async () => {
        await ensureLibvirtd();
        await guestDir();
        guest = await defineTinyGuest("startfail", { memoryMiB: 4 << 20 });
    });
    after(async () => {
        if (guest)
            await removeGuest(guest);
    });

    for (const bridge of bridgeNames()) {
        test(`start_failure_one_sentence via bridge ${bridge}: QEMU's error as the message, libvirt's text as detail`, async () => {
            const b = await Bridge.start(bridge);
            try {
                const r = await b.action(URI, guest.uuid, "start", {}, 60000);
                assert.equal(r.problem, "internal-error", r.trail);
                const gist = r.close.message.match(/^QEMU could not start the VM: (\S.*)$/)?.[1];
                assert.ok(gist, r.trail);
                assert.doesNotMatch(gist, /qemu-system|\n|\d{4}-\d\d-\d\dT/, r.trail);
                assert.match(r.close.detail, /qemu-system-\w+: /, r.trail);
                assert.ok(r.close.detail.includes(gist), r.trail);
                assert.equal(await domState(guest.name), "shut off");
            } finally {
                await b.closeBridge();
            }
        });
    }
});
