// SPDX-License-Identifier: LGPL-2.1-or-later
// The watch's TPM, watchdog, vsock and CPU pins of a VM (docs/api.md, "VM fields") through both real bridges, on the
// test driver's running VM: set through op `settings` (the TPM and the pins through `domain-xml`: the test driver offers
// no TPM and pins no running vCPU), TPM, watchdog and vsock wait for the next boot in `saved`
// (an automatic CID compared as asked for), and after a restart the VM has them and `saved` is gone.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { Bridge, abbreviate, applyPatch, bridgeNames } from "../harness/bridge.mjs";

const URI = "test:///default";

for (const name of bridgeNames()) {
    describe(`guest devices in the watch via bridge ${name}`, () => {
        let b, channel, vms, id;

        before(async () => {
            b = await Bridge.start(name);
            ({ channel, vms } = await b.watch(URI));
            id = Object.values(vms).find(vm => vm.name === "test").id;
        });
        after(() => b.closeBridge());

        /** Resolves with the VM once `check` holds for it. */
        async function until(check, what) {
            await b.next(channel, m => {
                assert.notEqual(m.command, "close", `watch closed: ${abbreviate(m)}`);
                applyPatch(vms, m.data?.vms);
                return check(vms[id]);
            }, 10000).catch(e => { throw new Error(`nothing ${what}: ${e.message}`) });
            return vms[id];
        }

        async function op(fields) {
            const ch = b.open({ payload: "virt1", uri: URI, vm: id, ...fields });
            const messages = await b.untilClose(ch, 20000);
            const close = messages.at(-1).control;
            assert.equal(close.problem, undefined, messages.map(abbreviate).join("\n"));
            return messages.filter(m => !m.command).map(m => m.data);
        }

        test("next-boot TPM, watchdog and vsock in saved; after a restart, the VM's own, and its pins", async () => {
            const vm = vms[id];
            for (const field of ["tpm", "watchdog", "vsock", "vcpuPins", "emulatorPin"])
                assert.equal(vm[field], undefined, `left out when absent: ${field}`);

            const [changed] = await op({
                op: "settings", watchdog: { model: "i6300esb", action: "poweroff" }, vsock: { cid: null },
            });
            assert.deepEqual(changed.saved.sort(), ["vsock", "watchdog"]);
            const [{ xml: base }] = await op({ op: "domain-xml" });
            const tpm = "<tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>";
            const pins = "<cputune><vcpupin vcpu='0' cpuset='0-1'/><emulatorpin cpuset='1'/></cputune>";
            const define = base.replace("</devices>", `${tpm}</devices>`).replace("<os>", `${pins}<os>`);
            await op({ op: "domain-xml", base, define });
            const pending = await until(vm => vm.saved?.tpm, "for the next boot's devices");
            assert.deepEqual(pending.saved.tpm, { backend: "emulator", model: "tpm-crb", version: "2.0" });
            assert.deepEqual(pending.saved.watchdog, { model: "i6300esb", action: "poweroff" });
            assert.deepEqual(pending.saved.vsock, { auto: true });
            assert.equal(pending.tpm, undefined, "the running VM has none yet");

            await op({ op: "action", action: "destroy" });
            await op({ op: "action", action: "start" });
            const restarted = await until(vm => vm.state === "running" && vm.tpm, "for the restarted VM's devices");
            assert.equal(restarted.tpm.backend, "emulator");
            assert.deepEqual(restarted.watchdog, { model: "i6300esb", action: "poweroff" });
            assert.equal(restarted.vsock.auto, true);
            assert.deepEqual(restarted.vcpuPins, { 0: [0, 1] });
            assert.deepEqual(restarted.emulatorPin, [1]);
            assert.equal(restarted.saved, null, "the next boot is what runs");
        });
    });
}
