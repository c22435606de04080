// SPDX-License-Identifier: LGPL-2.1-or-later
// op `connections` (docs/api.md) and a second host in the same session: bad targets refused before anything
// connects, unreachable hosts by their reason code, the second libvirtd (tests/harness/second-host.mjs) added by
// URI into a per-test config directory, a VM on it started and forced off through its own watch while the local
// watch carries on, its libvirtd stopped (only its watch leaves `connected`) and started again (a fresh
// reset … synced with the same VM), with its reason code while down and `reconnect` trying at once; a frozen
// libvirtd (accepts, never answers) marked `not-answering` rather than waited for. Through both
// bridges for the refusals; the host's life once.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { Bridge, applyPatch, bridgeNames } from "../harness/bridge.mjs";
import { GUESTS_DIR, REPO, URI, ensureLibvirtd, guestDir, tinyGuestXml } from "../harness/libvirt.mjs";
import { startSecondHost } from "../harness/second-host.mjs";

const DAEMON = path.join(REPO, "tests/lib/host-libvirtd.sh");

function hostLibvirtd(action, name) {
    return new Promise((resolve, reject) => execFile(DAEMON, [action, name], (err, _out, stderr) =>
        err ? reject(new Error(`host-libvirtd.sh ${action}: ${stderr || err.message}`)) : resolve()));
}

/** Runs op `connections` to its close; resolves with the close's fields. */
async function connections(b, action, target) {
    const channel = b.open({ payload: "virt1", op: "connections", action, ...target === undefined ? {} : { target } });
    const messages = await b.untilClose(channel, 30000);
    return messages.at(-1).control;
}

let host;
const configs = [];

/** A bridge whose helper keeps its saved connections in a directory of its own. */
async function bridgeWithConfig(name) {
    const config = mkdtempSync(path.join(tmpdir(), "cvtest-config-"));
    configs.push(config);
    return { b: await Bridge.start(name, { env: { XDG_CONFIG_HOME: config } }), config };
}

describe("saved connections to other hosts", () => {
    before(async () => {
        await ensureLibvirtd();
        host = await startSecondHost();
    });
    after(async () => {
        await host?.stop();
        for (const c of configs)
            rmSync(c, { recursive: true, force: true });
    });

    for (const name of bridgeNames()) {
        test(`connections_refusals_${name}: bad targets and unreachable hosts save nothing`, async () => {
            const { b, config } = await bridgeWithConfig(name);
            try {
                for (const target of ["qemu+ext:///system?command=/bin/sh", "qemu+ssh://h/system?socket=/x", "a b",
                    "host/session", "qemu+tcp://h/system#x", ""]) {
                    const close = await connections(b, "add", target);
                    assert.equal(close.problem, "invalid-argument", `${target}: ${JSON.stringify(close)}`);
                }
                // A port nothing listens on, a name that does not resolve.
                let close = await connections(b, "add", "qemu+tcp://127.0.0.1:1/system");
                assert.equal(close.reason, "port-closed", JSON.stringify(close));
                close = await connections(b, "test", "root@cvtest-no-such-host.invalid");
                assert.equal(close.reason, "host-unreachable", JSON.stringify(close));
                // A malformed open is the protocol's error, not the user's.
                close = await connections(b, "add");
                assert.equal(close.problem, "protocol-error");
                close = await connections(b, "list");
                assert.deepEqual(close.connections, []);
                assert.equal(existsSync(path.join(config, "cockpit-virt/connections.json")), false);
            } finally {
                await b.closeBridge();
            }
        });
    }

    test("connections_frozen_host: a host that accepts but never answers is marked, not waited for", async () => {
        const b = await Bridge.start(bridgeNames()[0]);
        const pid = Number(readFileSync(`/run/cvtest-hosts/${host.name}/libvirtd.pid`, "utf8"));
        assert.ok(pid > 1, "the second host's libvirtd pid");
        process.kill(pid, "SIGSTOP");
        let thawed = false;
        try {
            const channel = b.open({ payload: "virt1", op: "watch", uri: host.uri });
            const marked = await b.next(channel, m => m.command === "close" || m.data?.connection?.reason === "not-answering",
                                        25000);
            assert.notEqual(marked.command, "close", "the watch stays open");
            assert.equal(marked.data.connection.state, "unreachable");
            assert.match(marked.data.connection.message, /has not answered/);
            process.kill(pid, "SIGCONT");
            thawed = true;
            await b.next(channel, m => m.data?.synced, 30000);
        } finally {
            if (!thawed)
                process.kill(pid, "SIGCONT");
            await b.closeBridge();
        }
    });

    test("connections_second_host: added by URI, its VM in its own watch, its libvirtd gone and back", async () => {
        const { b, config } = await bridgeWithConfig(bridgeNames()[0]);
        const kernelDir = await guestDir();
        const vmName = `cvtest-hosts-${randomUUID().slice(0, 6)}`;
        const dir = path.join(GUESTS_DIR, vmName);
        mkdirSync(dir, { recursive: true, mode: 0o755 });
        const uuid = randomUUID();
        const xmlPath = path.join(dir, "domain.xml");
        writeFileSync(xmlPath, tinyGuestXml({
            name: vmName, uuid, kernel: path.join(kernelDir, "vmlinuz"), initrd: path.join(kernelDir, "initrd.img"),
            serialLog: path.join(dir, "serial.log"),
        }));
        try {
            await host.virsh("define", xmlPath);
            let close = await connections(b, "add", host.uri);
            assert.equal(close.problem, undefined, JSON.stringify(close));
            assert.deepEqual([close.uri, close.hostname, close.added], [host.uri, host.name, true]);
            close = await connections(b, "add", host.uri);
            assert.equal(close.added, false, "saved once");
            const file = path.join(config, "cockpit-virt/connections.json");
            assert.deepEqual(JSON.parse(readFileSync(file, "utf8")), { connections: [{ uri: host.uri }] });
            assert.equal(statSync(file).mode & 0o777, 0o600);
            close = await connections(b, "list");
            assert.deepEqual(close.connections, [{ uri: host.uri, state: "idle" }]);

            // Both hosts watched at once, as the page does: one watch (one hub) per URI.
            const local = await b.watch(URI);
            const remote = await b.watch(host.uri);
            const vm = remote.vms[uuid];
            assert.equal(vm?.name, vmName, "the second host's VM is in its own list");
            assert.equal(local.vms[uuid], undefined, "and not in the local one");
            close = await connections(b, "list");
            assert.deepEqual(close.connections, [{ uri: host.uri, state: "connected" }]);

            const states = [];
            const vms = remote.vms;
            const follow = (what, check, timeoutMs = 30000) => b.next(remote.channel, m => {
                assert.notEqual(m.command, "close", `the remote watch closed while waiting ${what}`);
                if (m.data?.connection)
                    states.push(m.data.connection.state);
                if (m.data?.reset)
                    for (const k of Object.keys(vms))
                        delete vms[k];
                applyPatch(vms, m.data?.vms);
                return check(m);
            }, timeoutMs).catch(e => { throw new Error(`nothing ${what}: ${e.message}`) });

            let r = await b.action(host.uri, uuid, "start");
            assert.equal(r.problem, undefined, r.trail);
            await follow("for the running VM", () => vms[uuid]?.state === "running");
            assert.equal((await host.virsh("domstate", vmName)).trim(), "running");

            // The second host's libvirtd goes away: only its watch leaves `connected`.
            const localSeen = b.history(local.channel).length;
            await hostLibvirtd("stop", host.name);
            await follow("for the lost connection", m => m.data?.connection && m.data.connection.state !== "connected");
            // The local hub still answers at once.
            assert.equal((await b.action(URI, "cvtest-no-such-vm-hosts", "start", {}, 5000)).problem, "not-found");
            assert.deepEqual(b.history(local.channel).slice(localSeen).filter(m => m.data?.connection), [],
                             "the local connection's state did not change");
            close = await connections(b, "list");
            assert.notEqual(close.connections[0].state, "connected");
            // Why, by its code; a reconnect while it is still down tries at once and answers the same.
            await follow("for the reason", m => m.data?.connection?.reason === "port-closed");
            close = await connections(b, "reconnect", host.uri);
            assert.notEqual(close.state, "connected", JSON.stringify(close));
            assert.equal(close.reason, "port-closed", JSON.stringify(close));

            // Back: a reconnect answers once connected; a fresh snapshot with the VM still running (its QEMU
            // never stopped).
            await hostLibvirtd("start", host.name);
            close = await connections(b, "reconnect", host.uri);
            assert.equal(close.state, "connected", JSON.stringify(close));
            await follow("for the resync", m => m.data?.synced, 40000);
            assert.equal(vms[uuid]?.state, "running");
            assert.ok(states.includes("connected"), states.join(" "));

            r = await b.action(host.uri, uuid, "destroy");
            assert.equal(r.problem, undefined, r.trail);
            await follow("for the VM shut off", () => vms[uuid]?.state === "shutoff");

            close = await connections(b, "remove", host.uri);
            assert.deepEqual([close.uri, close.removed], [host.uri, true]);
            close = await connections(b, "list");
            assert.deepEqual(close.connections, []);
        } finally {
            await b.closeBridge();
            await hostLibvirtd("start", host.name).catch(() => {});
            await host.virsh("destroy", vmName).catch(() => {});
            await host.virsh("undefine", vmName).catch(() => {});
            rmSync(dir, { recursive: true, force: true });
        }
    });
});
