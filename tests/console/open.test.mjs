// SPDX-License-Identifier: LGPL-2.1-or-later
// op `console` refusals (docs/api.md): malformed opens, unknown VMs, stopped VMs and VMs without the console
// asked for, through both bridges. No guest boots here.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { Bridge, abbreviate, bridgeNames } from "../harness/bridge.mjs";
import { URI } from "../harness/libvirt.mjs";
import { defineConsoleGuest, removeConsoleGuest } from "./guests.mjs";

const TEST_URI = "test:///default";

for (const name of bridgeNames()) {
    describe(`console opens that fail, via bridge ${name}`, () => {
        let b, stopped;
        before(async () => {
            b = await Bridge.start(name);
            stopped = await defineConsoleGuest("off", { running: false });
        });
        after(async () => {
            await b?.closeBridge();
            await removeConsoleGuest(stopped);
        });

        /** Opens a console and resolves with the close that must come instead of ready. */
        async function refused(options) {
            const ch = b.open({ payload: "virt1", op: "console", binary: "raw", ...options });
            const msgs = await b.untilClose(ch, 20000);
            assert.ok(!msgs.some(m => m.command === "ready"), `ready before close:\n${msgs.map(abbreviate).join("\n")}`);
            return msgs.at(-1).control;
        }

        test("console_protocol_errors: missing binary, bad kind, bad index name the field", async () => {
            let close = await refused({ uri: TEST_URI, vm: "test", kind: "serial", binary: undefined });
            assert.equal(close.problem, "protocol-error");
            assert.match(close.message, /"binary"/);
            close = await refused({ uri: TEST_URI, vm: "test", kind: "spice" });
            assert.equal(close.problem, "protocol-error");
            assert.match(close.message, /field "kind"/);
            close = await refused({ uri: TEST_URI, vm: "test", kind: "serial", index: "0" });
            assert.match(close.message, /field "index"/);
            close = await refused({ uri: TEST_URI, kind: "serial" });
            assert.match(close.message, /vm/);
        });

        test("console_not_found: an unknown VM", async () => {
            const close = await refused({ uri: TEST_URI, vm: "nope", kind: "graphics" });
            assert.equal(close.problem, "not-found", JSON.stringify(close));
            assert.equal(close["libvirt-error"], 42);
        });

        test("console_no_display: a running VM without VNC or serial console gets a clear not-supported", async () => {
            let close = await refused({ uri: TEST_URI, vm: "test", kind: "graphics" });
            assert.equal(close.problem, "not-supported");
            assert.match(close.message, /no graphical display/);
            close = await refused({ uri: TEST_URI, vm: "test", kind: "serial" });
            assert.equal(close.problem, "not-supported");
            assert.match(close.message, /no serial console/);
        });

        test("console_not_running: a shut-off VM, both kinds, by name and by UUID", async () => {
            for (const kind of ["graphics", "serial"]) {
                for (const vm of [stopped.name, stopped.uuid]) {
                    const close = await refused({ uri: URI, vm, kind });
                    assert.equal(close.problem, "not-supported", JSON.stringify(close));
                    assert.equal(close.message, "The VM is not running");
                    assert.equal(close.reason, "not-running", "the page tells this case apart by its code");
                }
            }
        });
    });
}
