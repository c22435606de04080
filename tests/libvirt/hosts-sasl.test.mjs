// SPDX-License-Identifier: LGPL-2.1-or-later
// A host that asks for a SASL user name and password (tests/lib/second-host.sh "sasldb": DIGEST-MD5 against its
// own user database): op `connections` answers `auth-needed` without credentials, `credentials-refused` (with
// libvirt's message) for a wrong password and bad input as invalid-argument; the right ones add it, and its watch
// lists its VM with them held in the helper's memory only (never in the saved file). A watched host that wants a
// login waits for one (no retries), is logged in by `reconnect` with credentials, and after its libvirtd restarts
// is logged in again without asking. `remove` forgets them: the next connection asks again. Both bridges.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { Bridge, applyPatch, bridgeNames } from "../harness/bridge.mjs";
import { REPO, ensureLibvirtd } from "../harness/libvirt.mjs";
import { startSecondHost } from "../harness/second-host.mjs";

const DAEMON = path.join(REPO, "tests/lib/host-libvirtd.sh");
const USER = "cvtest-user";
const PASSWORD = `cvtest-pw-${randomUUID()}`;

function hostLibvirtd(action, name) {
    return new Promise((resolve, reject) => execFile(DAEMON, [action, name], { timeout: 60000 }, (err, _out, stderr) =>
        err ? reject(new Error(`host-libvirtd.sh ${action}: ${stderr || err.message}`)) : resolve()));
}

/** Runs op `connections` to its close; resolves with the close's fields. */
async function connections(b, action, target, extra = {}) {
    const channel = b.open({ payload: "virt1", op: "connections", action, target, ...extra });
    const messages = await b.untilClose(channel, 30000);
    return messages.at(-1).control;
}

/** Every file under `dir`, as text. */
function filesUnder(dir) {
    return readdirSync(dir, { recursive: true }).map(f => path.join(dir, f))
            .filter(f => statSync(f).isFile()).map(f => readFileSync(f, "utf8"));
}

let host;
let work;
const vmName = `cvtest-sasl-${randomUUID().slice(0, 6)}`;
const uuid = randomUUID();

describe("a host that asks for a SASL password", () => {
    before(async () => {
        await ensureLibvirtd();
        host = await startSecondHost({ name: "cvtest-sasl", address: "127.0.0.9", auth: "sasldb" });
        await host.saslUser(USER, PASSWORD);
        work = mkdtempSync(path.join(tmpdir(), "cvtest-sasl-"));
        const xml = path.join(work, "domain.xml");
        writeFileSync(xml, `<domain type='qemu'><name>${vmName}</name><uuid>${uuid}</uuid>
            <memory unit='MiB'>32</memory><os><type arch='x86_64'>hvm</type></os></domain>`);
        // Defined through the host's own socket (no SASL there).
        await host.exec("timeout", "20", "virsh", "-q", "-c", "qemu:///system", "define", xml);
    });
    after(async () => {
        await host?.stop();
        if (work)
            rmSync(work, { recursive: true, force: true });
    });

    for (const name of bridgeNames()) {
        test(`sasl_add_${name}: asked, refused, then added with the right password`, async () => {
            const config = mkdtempSync(path.join(work, "config-"));
            // Every open logged (debug), so the log check below sees what a password could leak into.
            const b = await Bridge.start(name, { env: { XDG_CONFIG_HOME: config, CVIRT_LOG: "debug" } });
            try {
                let close = await connections(b, "add", host.uri);
                assert.deepEqual([close.problem, close.reason], ["access-denied", "auth-needed"], JSON.stringify(close));

                close = await connections(b, "add", host.uri, { credentials: { username: USER, password: "wrong" } });
                assert.equal(close.reason, "credentials-refused", JSON.stringify(close));
                assert.match(close.message, /auth/i, "libvirt's own message");

                // The C bridge (287) cuts a string at a NUL before the helper sees it: that case only through 337.
                const nul = name === "337" ? [[USER, "a\0b"]] : [];
                for (const [username, password] of [["", "x"], ["u".repeat(257), "x"], [USER, ""], ...nul,
                    [USER, "p".repeat(1025)], ["a\nb", "x"]]) {
                    close = await connections(b, "add", host.uri, { credentials: { username, password } });
                    assert.equal(close.problem, "invalid-argument", `${JSON.stringify(username)}: ${JSON.stringify(close)}`);
                }
                close = await connections(b, "list", undefined);
                assert.deepEqual(close.connections, [], "nothing saved by a refused add");
                // Credentials belong to test, add and reconnect only.
                close = await connections(b, "remove", host.uri, { credentials: { username: USER, password: "x" } });
                assert.equal(close.problem, "protocol-error");

                close = await connections(b, "add", host.uri, { credentials: { username: USER, password: PASSWORD } });
                assert.equal(close.problem, undefined, JSON.stringify(close));
                assert.deepEqual([close.uri, close.hostname, close.added], [host.uri, host.name, true]);
                // Its hub logs in with what `add` held: the host's VM is listed.
                const watch = await b.watch(host.uri);
                assert.equal(watch.vms[uuid]?.name, vmName);

                const file = path.join(config, "cockpit-virt/connections.json");
                assert.deepEqual(JSON.parse(readFileSync(file, "utf8")), { connections: [{ uri: host.uri }] });
                for (const text of filesUnder(config)) {
                    assert.ok(!text.includes(PASSWORD) && !text.includes(USER), "no credentials on disk");
                }
                assert.match(b.stderr(), /"password":"\(redacted\)"/, "the opens were logged");
                assert.ok(!b.stderr().includes(PASSWORD), "no password in the helper's log");
            } finally {
                await b.closeBridge();
                rmSync(config, { recursive: true, force: true });
            }
        });
    }

    test("sasl_watch: a watched host waits for a login, keeps it across a libvirtd restart, forgets it when removed",
         { timeout: 120000 }, async () => {
        const config = mkdtempSync(path.join(work, "config-"));
        const b = await Bridge.start(bridgeNames()[0], { env: { XDG_CONFIG_HOME: config, CVIRT_HUB_IDLE_MS: "300" } });
        try {
            let vms = {};
            const states = [];
            const follow = (channel, what, check, timeoutMs = 30000) => b.next(channel, m => {
                assert.notEqual(m.command, "close", `the watch closed while waiting ${what}`);
                if (m.data?.connection)
                    states.push(`${m.data.connection.state}/${m.data.connection.reason ?? ""}`);
                if (m.data?.reset)
                    vms = {};
                applyPatch(vms, m.data?.vms);
                return check(m);
            }, timeoutMs).catch(e => { throw new Error(`nothing ${what}: ${e.message} (${states.join(" ")})`) });

            let channel = b.open({ payload: "virt1", op: "watch", uri: host.uri });
            await follow(channel, "asking for a login", m => m.data?.connection?.reason === "auth-needed");
            // No retry while nobody gives a password: the state stays as it is.
            const before = b.history(channel).length;
            await new Promise(resolve => setTimeout(resolve, 2500));
            assert.deepEqual(b.history(channel).slice(before).filter(m => m.data?.connection), []);

            let close = await connections(b, "reconnect", host.uri, { credentials: { username: USER, password: "wrong" } });
            assert.deepEqual([close.state, close.reason], ["access-denied", "credentials-refused"], JSON.stringify(close));
            close = await connections(b, "reconnect", host.uri, { credentials: { username: USER, password: PASSWORD } });
            assert.equal(close.state, "connected", JSON.stringify(close));
            await follow(channel, "for the host's VM", () => vms[uuid]?.name === vmName);

            // Its libvirtd restarts: the hub logs in again by itself.
            const restarted = states.length;
            await hostLibvirtd("stop", host.name);
            await follow(channel, "for the lost connection", m => m.data?.connection && m.data.connection.state !== "connected");
            await hostLibvirtd("start", host.name);
            await follow(channel, "for the resync", m => m.data?.synced, 40000);
            assert.equal(vms[uuid]?.name, vmName);
            const since = states.slice(restarted);
            assert.ok(since.includes("connected/"), since.join(" "));
            assert.ok(!since.some(s => /auth-needed|credentials-refused/.test(s)), `never asked again: ${since.join(" ")}`);

            // Removed: forgotten. Once its hub closed, a new connection asks again.
            close = await connections(b, "remove", host.uri);
            assert.equal(close.uri, host.uri);
            b.close(channel);
            await new Promise(resolve => setTimeout(resolve, 1500));
            channel = b.open({ payload: "virt1", op: "watch", uri: host.uri });
            await follow(channel, "asking again", m => m.data?.connection?.reason === "auth-needed");
            assert.ok(!b.stderr().includes(PASSWORD), "no password in the helper's log");
        } finally {
            await b.closeBridge();
            await hostLibvirtd("start", host.name).catch(() => {});
            rmSync(config, { recursive: true, force: true });
        }
    });
});
