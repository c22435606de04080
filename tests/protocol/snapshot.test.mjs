// SPDX-License-Identifier: LGPL-2.1-or-later
// ops snapshot and clone through the real bridges on test:///default (docs/api.md): the op surface and its
// refusals with their codes (creating, reverting and deleting on real guests: tests/libvirt/snapshots.test.mjs).

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { Bridge, bridgeNames } from "../harness/bridge.mjs";

const URI = "test:///default";

for (const name of bridgeNames()) {
    describe(`snapshot and clone ops via bridge ${name}`, () => {
        let b;
        before(async () => { b = await Bridge.start(name) });
        after(() => b.closeBridge());

        async function op(kind, fields) {
            const id = b.open({ payload: "virt1", op: kind, uri: URI, vm: "test", ...fields });
            const messages = await b.untilClose(id, 20000);
            return { results: messages.filter(m => !m.command).map(m => m.data), close: messages.at(-1).control };
        }

        test("options, and libvirt's own refusal passed on", async () => {
            // test:///default's VM runs with a raw disk: internal is refused with the reason, external is the default.
            const { results: [options] } = await op("snapshot", { action: "options" });
            assert.deepEqual([options.location, options.running, options.suggestedName], ["external", true, "snapshot-1"]);
            assert.match(options.internalRefused, /not qcow2/);
            const internal = await op("snapshot", { action: "create", name: "i", location: "internal" });
            assert.equal(internal.close.problem, "invalid-argument");
            assert.match(internal.close.message, /not qcow2/);
            // The test driver takes no disk-only snapshots: libvirt's message, with its error number.
            const diskOnly = await op("snapshot", { action: "create", name: "a", memory: false });
            assert.match(diskOnly.close.message, /unsupported flags/);
            assert.equal(typeof diskOnly.close["libvirt-error"], "number");
            assert.deepEqual(diskOnly.results.filter(m => !m.progress), []);
            const { results: [list] } = await op("snapshot", { action: "list" });
            assert.deepEqual(list, { snapshots: [], truncated: false });
        });

        test("watch: the list at once, the channel stays open until closed; a missing VM is not-found", async () => {
            const id = b.open({ payload: "virt1", op: "snapshot", uri: URI, vm: "test", action: "watch" });
            const first = await b.next(id, m => m.command === "close" || m.data !== undefined, 20000);
            assert.deepEqual(first.data, { snapshots: [], truncated: false }, b.describe(id));
            b.close(id);
            const closed = await b.untilClose(id);
            assert.equal(closed.at(-1).control.problem, undefined, JSON.stringify(closed.at(-1)));
            const missing = await op("snapshot", { action: "watch", vm: "no-such-vm" });
            assert.equal(missing.close.problem, "not-found");
            assert.deepEqual(missing.results, []);
        });

        test("refusals carry their codes and no result", async () => {
            for (const [fields, problem] of [
                [{ action: "create", name: "a/b" }, "invalid-argument"],
                [{ action: "create", name: " " }, "invalid-argument"],
                [{ action: "create", name: "x", location: "cloud" }, "protocol-error"],
                [{ action: "revert" }, "protocol-error"],
                [{ action: "delete", name: "never-made" }, "not-found"],
                [{ action: "explode" }, "not-supported"],
                [{ action: "list", vm: "no-such-vm" }, "not-found"],
            ]) {
                const r = await op("snapshot", fields);
                assert.equal(r.close.problem, problem, JSON.stringify(fields) + " " + r.close.message);
                assert.deepEqual(r.results, [], JSON.stringify(fields));
            }
            for (const [fields, problem] of [
                [{ action: "clone", name: "c" }, "protocol-error"],
                [{ action: "clone", name: "", pool: "default-pool" }, "invalid-argument"],
                [{ action: "clone", name: "test", pool: "default-pool" }, "invalid-argument"],
                [{ action: "clone", name: "c", pool: "p", overlay: true, snapshot: "s" }, "invalid-argument"],
                [{ action: "fork" }, "not-supported"],
            ]) {
                const r = await op("clone", fields);
                assert.equal(r.close.problem, problem, JSON.stringify(fields) + " " + r.close.message);
            }
        });
    });
}
