// SPDX-License-Identifier: LGPL-2.1-or-later
// op `connections` over ssh (docs/api.md): a second libvirtd (tests/harness/second-host.mjs) reached through an
// sshd the test starts in its namespaces (tests/harness/sshd.mjs), by a helper running as a throw-away user (its
// own ~/.ssh, never root's). An unknown host key is refused with its own reason, `host-key` answers the key and its
// fingerprint, `trust` adds exactly that key to the user's known_hosts, and then the host is added and its VM is in
// its watch; a key the host does not accept is `auth-failed`; a new host key is `host-key-changed` and is never
// trusted over the old one.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { Bridge, bridgeNames } from "../harness/bridge.mjs";
import { GUESTS_DIR, ensureLibvirtd, guestDir, tinyGuestXml } from "../harness/libvirt.mjs";
import { startSshTestHost } from "../harness/sshd.mjs";
import { ChannelBytes, rfbHandshake } from "../console/rfb.mjs";

async function connections(b, action, target, extra = {}) {
    const channel = b.open({ payload: "virt1", op: "connections", action, target, ...extra });
    const messages = await b.untilClose(channel, 40000);
    return messages.at(-1).control;
}

let ssh, host, sshd, user, goodKey, wrongKey, vmName, xmlDir;
const uuid = randomUUID();

describe("saved connections over ssh", () => {
    before(async () => {
        await ensureLibvirtd();
        ssh = await startSshTestHost({ name: "cvtest-sshhost", address: "127.0.0.6", port: 2222,
                                       userName: "cvtest-sshuser" });
        ({ host, sshd, user, goodKey, wrongKey } = ssh);

        const kernelDir = await guestDir();
        vmName = `cvtest-ssh-${randomUUID().slice(0, 6)}`;
        xmlDir = path.join(GUESTS_DIR, vmName);
        mkdirSync(xmlDir, { recursive: true, mode: 0o755 });
        const xmlPath = path.join(xmlDir, "domain.xml");
        // A VNC display on the remote host's loopback, reached through the user's ssh (op `console`).
        writeFileSync(xmlPath, tinyGuestXml({
            name: vmName, uuid, kernel: path.join(kernelDir, "vmlinuz"), initrd: path.join(kernelDir, "initrd.img"),
            serialLog: path.join(xmlDir, "serial.log"),
        }).replace("</devices>", "<graphics type='vnc' autoport='yes' listen='127.0.0.1'/><video><model type='vga'/></video></devices>"));
        await host.virsh("define", xmlPath);
    });
    after(async () => {
        await host?.virsh("destroy", vmName).catch(() => {});
        await host?.virsh("undefine", vmName).catch(() => {});
        await ssh?.stop();
        if (xmlDir)
            rmSync(xmlDir, { recursive: true, force: true });
    });

    const uriWith = key => ssh.uriWith(key);
    const knownHosts = () => ssh.knownHosts;
    /** The known_hosts line for the sshd's current host key. */
    const knownLine = () => `[${host.address}]:2222 ${sshd.hostKey().split(" ").slice(0, 2).join(" ")}\n`;
    const start = name => Bridge.start(name, { user, env: { SSH_AUTH_SOCK: "" } });

    for (const name of bridgeNames()) {
        test(`ssh_trust_${name}: an unknown host key is shown, trusted as shown, then the host is added`, async () => {
            rmSync(knownHosts(), { force: true });
            rmSync(path.join(user.home, ".config/cockpit-virt"), { recursive: true, force: true });
            const b = await start(name);
            try {
                const uri = uriWith(goodKey);
                let close = await connections(b, "add", uri);
                assert.deepEqual([close.problem, close.reason], ["access-denied", "host-key-unknown"],
                                 JSON.stringify(close));
                assert.equal(existsSync(path.join(user.home, ".config/cockpit-virt/connections.json")), false);

                close = await connections(b, "host-key", uri);
                const hostKey = close["host-key"];
                assert.equal(hostKey?.state, "unknown", JSON.stringify(close));
                assert.equal(hostKey.offered.fingerprint, ssh.fingerprint());
                assert.ok(close.problem === undefined);

                // A key that is not a key is refused before anything is written.
                close = await connections(b, "trust", uri, { "host-key": { type: "ssh-ed25519", key: "AAAA" } });
                assert.equal(close.problem, "invalid-argument", JSON.stringify(close));
                assert.equal(existsSync(knownHosts()), false);

                const offered = { type: hostKey.offered.type, key: hostKey.offered.key };
                close = await connections(b, "trust", uri, { "host-key": offered });
                assert.deepEqual([close.problem, close.added, close.fingerprint],
                                 [undefined, true, hostKey.offered.fingerprint], JSON.stringify(close));
                assert.equal(readFileSync(knownHosts(), "utf8"), knownLine());
                assert.equal(statSync(knownHosts()).uid, user.uid);
                assert.equal(statSync(knownHosts()).mode & 0o777, 0o600);
                close = await connections(b, "trust", uri, { "host-key": offered });
                assert.equal(close.added, false, "trusted once");

                close = await connections(b, "add", uri);
                assert.deepEqual([close.problem, close.hostname, close.added], [undefined, host.name, true],
                                 JSON.stringify(close));
                if (name === bridgeNames()[0]) {
                    const remote = await b.watch(uri);
                    assert.equal(remote.vms[uuid]?.name, vmName, "the remote host's VM is in its watch");
                }
            } finally {
                await b.closeBridge();
            }
        });
    }

    test("ssh_graphics: a remote VM's VNC display through an ssh -W the helper runs, closed with the console", async () => {
        writeFileSync(knownHosts(), knownLine());
        chownSync(knownHosts(), user.uid, user.gid);
        const b = await start(bridgeNames()[0]);
        try {
            const uri = uriWith(goodKey);
            const r = await b.action(uri, uuid, "start");
            assert.equal(r.problem, undefined, r.trail);
            const ch = b.open({ payload: "virt1", op: "console", uri, vm: uuid, kind: "graphics", binary: "raw" });
            const m = await b.next(ch, m => m.command === "ready" || m.command === "close", 30000);
            assert.equal(m.command, "ready", JSON.stringify(m.control));
            assert.equal(m.control.via, "ssh");
            const init = await rfbHandshake(new ChannelBytes(b, ch), data => b.send(ch, data));
            assert.equal(init.name, `QEMU (${vmName})`, "the remote VM's own display");
            const tunnels = () => execFileSync("pgrep", ["-u", String(user.uid), "-f", "ssh .*-W"], { encoding: "utf8" })
                .trim().split("\n").filter(Boolean);
            assert.equal(tunnels().length, 1, "one ssh -W for the console");
            b.close(ch);
            await b.next(ch, m => m.command === "close", 10000);
            assert.throws(tunnels, "ssh ended with the console (pgrep finds none)");
            await host.virsh("destroy", vmName);
        } finally {
            await b.closeBridge();
        }
    });

    test("ssh_refusals: a key the host does not take, then a changed host key", async () => {
        // known_hosts as a trusted first login leaves it, whatever the tests before did.
        writeFileSync(knownHosts(), knownLine());
        chownSync(knownHosts(), user.uid, user.gid);
        const b = await start(bridgeNames()[0]);
        try {
            let close = await connections(b, "host-key", uriWith(goodKey));
            assert.equal(close["host-key"]?.state, "known", JSON.stringify(close));
            close = await connections(b, "test", uriWith(wrongKey));
            assert.deepEqual([close.problem, close.reason], ["access-denied", "auth-failed"], JSON.stringify(close));

            const before = readFileSync(knownHosts(), "utf8");
            await sshd.replaceHostKey();
            close = await connections(b, "test", uriWith(goodKey));
            assert.deepEqual([close.problem, close.reason], ["access-denied", "host-key-changed"],
                             JSON.stringify(close));
            close = await connections(b, "host-key", uriWith(goodKey));
            const offered = close["host-key"];
            assert.equal(offered?.state, "changed", JSON.stringify(close));
            assert.equal(offered.offered.fingerprint, ssh.fingerprint());
            close = await connections(b, "trust", uriWith(goodKey),
                                      { "host-key": { type: offered.offered.type, key: offered.offered.key } });
            assert.deepEqual([close.problem, close.reason], ["access-denied", "host-key-changed"],
                             JSON.stringify(close));
            assert.equal(readFileSync(knownHosts(), "utf8"), before, "known_hosts is left as it was");
        } finally {
            await b.closeBridge();
        }
    });
});
