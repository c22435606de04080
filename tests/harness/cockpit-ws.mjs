// SPDX-License-Identifier: LGPL-2.1-or-later
// A private cockpit-ws for browser tests: `cockpit-ws --no-tls --local-session=<bridge>` on a free loopback port,
// with the built page and a manifest pointing at the helper under test staged in a temporary XDG_DATA_HOME
// (scripts/stage-package.sh). No login: the bridge (and so the helper) runs as the user running the tests.
//
//   const ws = await startCockpitWs();                 // bridge 337; { bridge: "287" } or a path for another
//   ws.pageUrl                                          // http://127.0.0.1:PORT/cockpit/@localhost/virt/index.html
//   await ws.stop();
//
// One cockpit-ws means one login session, so one helper process: test:/// state lives as long as `ws` does.
//
// With { login: true } it asks for real logins instead (tests/harness/login.mjs): see startCockpitWs().

import { execFileSync, spawn } from "node:child_process";
import {
    chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync,
} from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import { BRIDGES, REPO, helperPath } from "./bridge.mjs";

const LIBEXEC_CANDIDATES = ["/usr/lib/cockpit", "/usr/libexec"];

function cockpitProgram(name) {
    const found = LIBEXEC_CANDIDATES.map(d => path.join(d, name)).find(p => existsSync(p));
    if (!found)
        throw new Error(`${name} not found (looked in ${LIBEXEC_CANDIDATES.join(", ")})`);
    return found;
}

function newestMtime(dir) {
    let newest = 0;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, entry.name);
        newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
    }
    return newest;
}

/** Builds dist/ (node pkg/build.mjs) unless it is newer than everything in pkg/. */
export function ensurePageBuilt() {
    // Production builds ship index.js gzipped; `--watch` builds leave it plain.
    const built = ["dist/index.js.gz", "dist/index.js"].map(f => path.join(REPO, f)).find(f => existsSync(f));
    if (built && existsSync(path.join(REPO, "dist/index.html")) &&
        statSync(built).mtimeMs >= newestMtime(path.join(REPO, "pkg")))
        return;
    execFileSync(process.execPath, [path.join(REPO, "pkg/build.mjs")], { stdio: ["ignore", "ignore", "inherit"] });
}

function userIds(name) {
    const id = flag => Number(execFileSync("id", [flag, name], { encoding: "utf8" }).trim());
    return { uid: id("-u"), gid: id("-g") };
}

export function freePort() {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.on("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address();
            server.close(() => resolve(port));
        });
    });
}

/** Waits until `urlPath` answers 200: the manifests through the local session, or the login page. */
async function waitForPort(port, child, timeoutMs, urlPath) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        if (child.exitCode !== null || child.signalCode !== null)
            throw new Error(`cockpit-ws exited early (${child.exitCode ?? child.signalCode})`);
        try {
            const res = await fetch(`http://127.0.0.1:${port}${urlPath}`);
            if (res.ok)
                return;
        } catch {
            // not listening yet
        }
        if (Date.now() > deadline)
            throw new Error(`cockpit-ws did not answer on port ${port} within ${timeoutMs} ms`);
        await new Promise(resolve => setTimeout(resolve, 100));
    }
}

/**
 * Real logins (PAM) instead of a local session: cockpit-ws runs `[Basic] Command` of a private cockpit.conf
 * (found through XDG_CONFIG_DIRS) for each login, cockpit-session, which authenticates through PAM and starts
 * cockpit-bridge as the user. The helper is copied into the world-readable data dir (`helper` of the result), for
 * the users' own packages (login.mjs stages them, and gives each user a session bus).
 */
function prepareLogin(dataDir, helperBin) {
    const confDir = path.join(dataDir, "config/cockpit");
    mkdirSync(confDir, { recursive: true });
    writeFileSync(path.join(confDir, "cockpit.conf"), `[Basic]\nCommand = ${cockpitProgram("cockpit-session")}\n`);
    const helper = path.join(dataDir, "cockpit-virt-helper");
    copyFileSync(helperBin, helper);
    chmodSync(helper, 0o755);
    chmodSync(dataDir, 0o755);
    return { helper, env: { XDG_CONFIG_DIRS: path.join(dataDir, "config") } };
}

/** Waits until no process of group `pgid` is left, SIGKILLing the group once `timeoutMs` has passed. */
async function groupGone(pgid, timeoutMs) {
    const alive = () => { try { process.kill(-pgid, 0); return true } catch { return false } };
    const deadline = Date.now() + timeoutMs;
    while (alive() && Date.now() < deadline)
        await new Promise(resolve => setTimeout(resolve, 50));
    if (alive()) {
        try { process.kill(-pgid, "SIGKILL") } catch { /* gone */ }
        const killed = Date.now() + 2000;
        while (alive() && Date.now() < killed)
            await new Promise(resolve => setTimeout(resolve, 50));
    }
}

/** Ends every process of test user `uid`: SIGTERM, then SIGKILL after `timeoutMs`. */
async function userGone(uid, timeoutMs) {
    const left = () => { try { return execFileSync("pgrep", ["-U", String(uid)], { encoding: "utf8" }).trim() !== "" } catch { return false } };
    const signal = sig => { try { execFileSync("pkill", [`-${sig}`, "-U", String(uid)]) } catch { /* none left */ } };
    signal("TERM");
    const deadline = Date.now() + timeoutMs;
    while (left() && Date.now() < deadline)
        await new Promise(resolve => setTimeout(resolve, 100));
    if (left())
        signal("KILL");
}

/**
 * Starts cockpit-ws. Options: `bridge` ("337", "287" or a path; default $CVIRT_BROWSER_BRIDGE or "337"),
 * `helper` (default helperPath()), `env` (extra environment for ws, the bridge and the helper), `user` (a user
 * name: run ws, and so the bridge and the helper, as that user, with a fresh home; the tests run as root),
 * `login` (true: real logins through PAM, see prepareLogin(); `env` then reaches ws only), `wrap` (an argv
 * prefix that runs ws, e.g. machines.mjs besideMachinesPrefix()).
 */
export async function startCockpitWs({
    bridge = process.env.CVIRT_BROWSER_BRIDGE ?? "337", helper, env = {}, user, login = false, wrap = [],
} = {}) {
    ensurePageBuilt();
    const bridgePath = BRIDGES[bridge] ?? bridge;
    if (!existsSync(bridgePath))
        throw new Error(`cockpit-bridge ${bridge} not found at ${bridgePath}`);
    let helperBin = helper ?? helperPath();

    const dataDir = mkdtempSync(path.join(tmpdir(), "cvtest-ws-"));
    let loginEnv = {};
    if (login)
        ({ helper: helperBin, env: loginEnv } = prepareLogin(dataDir, helperBin));
    else
        execFileSync(path.join(REPO, "scripts/stage-package.sh"), [dataDir, helperBin], { stdio: "inherit" });
    const asUser = user ? userIds(user) : null;
    const userEnv = {};
    if (asUser) {
        const home = path.join(dataDir, "home");
        mkdirSync(home);
        chownSync(home, asUser.uid, asUser.gid);
        chmodSync(dataDir, 0o755);
        Object.assign(userEnv, { HOME: home, USER: user, LOGNAME: user, XDG_RUNTIME_DIR: home });
    }

    const port = await freePort();
    const wsArgs = [cockpitProgram("cockpit-ws"), "--no-tls", ...login ? [] : [`--local-session=${bridgePath}`],
        "--port", String(port), "--address", "127.0.0.1"];
    const argv = [...wrap,
        ...login || (process.env.DBUS_SESSION_BUS_ADDRESS && !user) ? wsArgs : ["dbus-run-session", "--", ...wsArgs]];
    const baseEnv = { ...process.env };
    if (asUser)
        delete baseEnv.DBUS_SESSION_BUS_ADDRESS; // root's session bus is not theirs
    const child = spawn(argv[0], argv.slice(1), {
        env: { ...baseEnv, ...login ? loginEnv : { XDG_DATA_HOME: dataDir }, ...userEnv, ...env },
        ...asUser ? { uid: asUser.uid, gid: asUser.gid } : {},
        stdio: ["ignore", "ignore", "pipe"],
        detached: true, // its own process group: stop() ends ws, the bridge and the helper together
    });
    let stderr = "";
    child.stderr.on("data", chunk => { stderr = (stderr + chunk).slice(-20000) });

    const exited = new Promise(resolve => child.once("exit", resolve));
    try {
        await waitForPort(port, child, 15000, login ? "/" : "/cockpit/@localhost/manifests.json");
    } catch (e) {
        e.message += `\ncockpit-ws stderr:\n${stderr}`;
        try { process.kill(-child.pid, "SIGKILL") } catch { /* gone */ }
        rmSync(dataDir, { recursive: true, force: true });
        throw e;
    }

    const base = `http://127.0.0.1:${port}`;
    return {
        port,
        base,
        pageUrl: `${base}/cockpit/@localhost/virt/index.html`,
        dataDir,
        helper: helperBin,
        stderr: () => stderr,
        /** PIDs of the helper processes of this session (ws runs in its own process group). */
        helperPids() {
            try {
                return execFileSync("pgrep", ["-g", String(child.pid), "-f", path.basename(helperBin)], { encoding: "utf8" })
                    .split("\n").filter(Boolean).map(Number);
            } catch {
                return []; // pgrep exits 1 when nothing matches
            }
        },
        async stop() {
            if (child.exitCode === null && child.signalCode === null) {
                try { process.kill(-child.pid, "SIGTERM") } catch { /* gone */ }
                const timer = setTimeout(() => {
                    try { process.kill(-child.pid, "SIGKILL") } catch { /* gone */ }
                }, 5000);
                await exited;
                clearTimeout(timer);
            }
            // ws is gone, but the bridge, the helper and their ssh children may still be writing under the home
            // directory (libvirt's runtime files): wait for the whole group (bounded), then remove it.
            // A directory left behind must not skip the caller's next cleanup steps (sshd, hosts), so it is only
            // reported.
            await groupGone(child.pid, 5000);
            // A test user's session libvirtd (libvirt starts one for qemu:///session) runs detached and keeps
            // writing its runtime files under that home for two more minutes: end every process of a cvtest-*
            // user, which the tests made and nothing else uses (never another user's, "nobody" included).
            if (asUser && user.startsWith("cvtest-"))
                await userGone(asUser.uid, 3000);
            try {
                rmSync(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
            } catch (e) {
                process.stderr.write(`cockpit-ws harness: ${dataDir} left behind: ${e.message}\n`);
            }
        },
    };
}
