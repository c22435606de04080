// SPDX-License-Identifier: LGPL-2.1-or-later
// Malformed opens and data close only the channel concerned, with the problem code of docs/api.md, and the
// helper process lives on.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { Bridge, abbreviate, bridgeNames } from "../harness/bridge.mjs";

const TEST_URI = "test:///default";

// [case name, open fields (payload virt1 is added), expected problem, word the message must mention]
const BAD_OPENS = [
    ["open_without_op", { uri: TEST_URI }, "protocol-error", "op"],
    ["open_op_not_string", { op: 5, uri: TEST_URI }, "protocol-error", "op"],
    ["open_op_null", { op: null, uri: TEST_URI }, "protocol-error", "op"],
    ["open_unknown_op", { op: "frobnicate", uri: TEST_URI }, "not-supported", "frobnicate"],
    ["watch_without_uri", { op: "watch" }, "protocol-error", "uri"],
    ["watch_uri_not_string", { op: "watch", uri: ["test:///default"] }, "protocol-error", "uri"],
    ["action_without_vm", { op: "action", uri: TEST_URI, action: "start" }, "protocol-error", "vm"],
    ["action_without_action", { op: "action", uri: TEST_URI, vm: "test" }, "protocol-error", "action"],
    ["action_unknown_action", { op: "action", uri: TEST_URI, vm: "test", action: "explode" }, "not-supported", "explode"],
    ["autostart_without_enable", { op: "action", uri: TEST_URI, vm: "test", action: "autostart" }, "protocol-error", "enable"],
    ["delete_storage_not_list", { op: "action", uri: TEST_URI, vm: "test", action: "delete", storage: "vda" }, "protocol-error", "storage"],
];

// Data frames a watch channel must refuse: [case name, payload bytes]
const BAD_DATA = [
    ["data_not_json", "this is not JSON"],
    ["data_json_array", "[1, 2, 3]"],
    ["data_json_string", "\"hello\""],
    ["data_truncated_json", "{\"a\": "],
    ["data_invalid_utf8", Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
];

for (const name of bridgeNames()) {
    describe(`malformed input via bridge ${name}`, () => {
        let b;
        let bystander; // a watch that must survive everything below
        let pids;
        before(async () => {
            b = await Bridge.start(name);
            bystander = (await b.watch(TEST_URI)).channel;
            pids = b.helperPids();
            assert.equal(pids.length, 1);
        });
        after(async () => { await b?.closeBridge() });

        async function assertBystanderAlive() {
            b.control({ command: "ping", channel: bystander, sequence: 42 });
            await b.next(bystander, m => m.command === "pong" || m.command === "close");
            assert.equal(b.history(bystander).filter(m => m.command === "close").length, 0, b.describe(bystander));
            assert.deepEqual(b.helperPids(), pids, "the helper process changed");
        }

        for (const [label, fields, problem, word] of BAD_OPENS) {
            test(`${label}: close ${problem} naming "${word}"`, async () => {
                const ch = b.open({ payload: "virt1", ...fields });
                const msgs = await b.untilClose(ch);
                const close = msgs.at(-1).control;
                const trail = msgs.map(abbreviate).join("\n");
                assert.equal(close.problem, problem, trail);
                assert.match(close.message ?? "", new RegExp(word), `message should name ${word}:\n${trail}`);
                assert.ok(msgs.every(m => m.command), `no data on a refused channel:\n${trail}`);
                await assertBystanderAlive();
            });
        }

        for (const [label, payload] of BAD_DATA) {
            test(`${label}: the watch closes with protocol-error, others live on`, async () => {
                const { channel } = await b.watch(TEST_URI);
                b.send(channel, payload);
                const close = await b.next(channel, m => m.command === "close");
                assert.equal(close.control.problem, "protocol-error", b.describe(channel));
                await new Promise(resolve => setTimeout(resolve, 200));
                assert.equal(b.history(channel).filter(m => m.command === "close").length, 1, b.describe(channel));
                await assertBystanderAlive();
            });
        }

        test("data_on_action_channel: ignored or refused, never fatal to others", async () => {
            const ch = b.open({ payload: "virt1", op: "action", uri: TEST_URI, vm: "test", action: "nmi" });
            b.send(ch, "garbage");
            const msgs = await b.untilClose(ch);
            assert.equal(msgs.filter(m => m.command === "close").length, 1);
            await assertBystanderAlive();
        });

        test("unknown_channel_controls: options/done/close for channels never opened are ignored", async () => {
            b.control({ command: "options", channel: "never:1", foo: 1 });
            b.control({ command: "done", channel: "never:2" });
            b.control({ command: "close", channel: "never:3" });
            b.control({ command: "ping", channel: "never:4", sequence: 5 });
            b.control({ command: "frobnicate", channel: bystander });
            await new Promise(resolve => setTimeout(resolve, 300));
            for (const ch of ["never:1", "never:2", "never:3"])
                assert.deepEqual(b.history(ch).map(abbreviate), [], `nothing may come back for ${ch}`);
            await assertBystanderAlive();
            // And a fresh watch still works end to end.
            const { channel } = await b.watch(TEST_URI);
            b.close(channel);
            await b.next(channel, m => m.command === "close");
        });
    });
}
