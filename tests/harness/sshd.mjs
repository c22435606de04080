// SPDX-License-Identifier: LGPL-2.1-or-later
// An sshd the test starts inside a second host's namespaces (tests/harness/second-host.mjs), so that a login lands
// where that host's libvirtd socket is: qemu+ssh://root@ADDRESS:PORT/system reaches the second libvirtd. It has its
// own config, host key, PidFile and authorized_keys in a directory of its own; it listens on the host's loopback
// address only, takes keys only (no passwords), and is stopped by its pid.
//
//   const sshd = await startSshd(host, { port: 2222, authorizedKeys: [publicKeyText] });
//   await sshd.replaceHostKey();     // the same address with a new host key
//   await sshd.stop();
// Or all a qemu+ssh test needs at once: startSshTestHost() (a second host, its sshd, a throw-away user with keys).

import { execFileSync, spawn } from "node:child_process";
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import { REPO } from "./libvirt.mjs";
import { startSecondHost } from "./second-host.mjs";
import { createUser, removeUser } from "./users.mjs";

const SECOND_HOST = path.join(REPO, "tests/lib/second-host.sh");

/** Resolves once something accepts TCP connections on address:port, rejects after `timeoutMs`. */
async function waitForPort(address, port, timeoutMs = 10000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const open = await new Promise(resolve => {
            const socket = net.connect({ host: address, port }, () => { socket.destroy(); resolve(true) });
            socket.on("error", () => resolve(false));
        });
        if (open)
            return;
        if (Date.now() > deadline)
            throw new Error(`nothing listens on ${address}:${port} after ${timeoutMs} ms`);
        await new Promise(resolve => setTimeout(resolve, 100));
    }
}

/** An ed25519 key pair made for the test at `file` (and `file`.pub); answers the public key's line. */
export function makeKey(file) {
    rmSync(file, { force: true });
    rmSync(`${file}.pub`, { force: true });
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "cvtest", "-f", file]);
    return readFileSync(`${file}.pub`, "utf8").trim();
}

/** Whether this sshd takes the configuration `option` ("Name=value"); an older one refuses an unknown name. */
function sshdKnows(option) {
    try {
        execFileSync("/usr/sbin/sshd", ["-G", "-f", "/dev/null", "-o", option], { stdio: "ignore" });
        return true;
    } catch {
        return false;
    }
}

/**
 * Starts sshd in the namespaces of `host` (from startSecondHost) on host.address:port, accepting root logins
 * with `authorizedKeys` (public key lines). Resolves with { address, port, hostKey() (the public key line),
 * replaceHostKey(), stop() }.
 */
export async function startSshd(host, { port = 2222, authorizedKeys = [] } = {}) {
    const dir = mkdtempSync(path.join(tmpdir(), "cvtest-sshd-"));
    const hostKeyFile = path.join(dir, "host_ed25519");
    makeKey(hostKeyFile);
    writeFileSync(path.join(dir, "authorized_keys"), authorizedKeys.map(k => `${k}\n`).join(""), { mode: 0o600 });
    const config = path.join(dir, "sshd_config");
    writeFileSync(config, [
        `ListenAddress ${host.address}:${port}`,
        `HostKey ${hostKeyFile}`,
        `PidFile ${dir}/sshd.pid`,
        `AuthorizedKeysFile ${dir}/authorized_keys`,
        "PermitRootLogin prohibit-password",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "StrictModes no",
        "AllowTcpForwarding yes",
        "LogLevel VERBOSE",
        // OpenSSH 9.8 and later shut out an address for a while after a few connections that never authenticate
        // (each ssh-keyscan) or fail to (the tests' wrong key): the tests make many of both on purpose.
        ...sshdKnows("PerSourcePenalties=no") ? ["PerSourcePenalties no"] : [],
        "",
    ].join("\n"));
    // sshd's privilege separation directory (what the openssh-server package makes at boot).
    mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });

    let child = null;
    const start = async () => {
        // second-host.sh exec is nsenter, which execs sshd: the child's pid is sshd's.
        child = spawn(SECOND_HOST, ["exec", host.name, "/usr/sbin/sshd", "-D", "-f", config, "-E", `${dir}/sshd.log`],
                      { stdio: "ignore" });
        const exited = new Promise(resolve => child.once("exit", resolve));
        child.exited = exited;
        await Promise.race([
            waitForPort(host.address, port),
            exited.then(code => { throw new Error(`sshd exited (${code}): ${readFileSync(`${dir}/sshd.log`, "utf8")}`) }),
        ]);
    };
    const stop = async () => {
        if (!child || child.exitCode !== null || child.signalCode !== null)
            return;
        child.kill("SIGTERM");
        await child.exited;
    };
    await start();
    return {
        address: host.address,
        port,
        dir,
        hostKey: () => readFileSync(`${hostKeyFile}.pub`, "utf8").trim(),
        log: () => readFileSync(`${dir}/sshd.log`, "utf8"),
        async replaceHostKey() {
            await stop();
            makeKey(hostKeyFile);
            await start();
        },
        async stop() {
            await stop();
            rmSync(dir, { recursive: true, force: true });
        },
    };
}

/**
 * A second host (`name` at `address`) with an sshd on `port`, and a throw-away local user `userName` (its home is
 * its own ~/.ssh, never root's) with a key the sshd accepts (`goodKey`) and one it does not (`wrongKey`).
 * Resolves with { host, sshd, user, goodKey, wrongKey, uriWith(keyFile), knownHosts, fingerprint(), stop() }.
 */
export async function startSshTestHost({ name, address, port, userName }) {
    const host = await startSecondHost({ name, address });
    const user = createUser(userName);
    try {
        const sshDir = path.join(user.home, ".ssh");
        mkdirSync(sshDir, { mode: 0o700 });
        const goodKey = path.join(sshDir, "id_cvtest");
        const wrongKey = path.join(sshDir, "id_cvtest_unauthorised");
        const authorised = makeKey(goodKey);
        makeKey(wrongKey);
        for (const f of [sshDir, goodKey, `${goodKey}.pub`, wrongKey, `${wrongKey}.pub`])
            chownSync(f, user.uid, user.gid);
        const sshd = await startSshd(host, { port, authorizedKeys: [authorised] });
        return {
            host,
            sshd,
            user,
            goodKey,
            wrongKey,
            uriWith: keyFile => `qemu+ssh://root@${address}:${port}/system?keyfile=${keyFile}`,
            knownHosts: path.join(sshDir, "known_hosts"),
            /** The fingerprint ssh-keygen prints for the sshd's current host key. */
            fingerprint: () => execFileSync("ssh-keygen", ["-lf", "-"], { input: sshd.hostKey(), encoding: "utf8" })
                .split(" ")[1],
            async stop() {
                await sshd.stop();
                await host.stop();
                removeUser(userName);
            },
        };
    } catch (err) {
        await host.stop();
        removeUser(userName);
        throw err;
    }
}
