// SPDX-License-Identifier: LGPL-2.1-or-later
// tests/lib/preflight.sh, the check run-all.sh runs before any libvirt test: it passes against the suite's
// libvirtd, and against a libvirtd that lacks the storage driver it fails with one line naming the package.
// That libvirtd is a private session daemon (user `nobody`, its own XDG dirs and sockets, so it never meets the
// system one) whose LIBVIRT_DRIVER_DIR holds links to only some of the installed driver modules.

import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";

import { REPO, URI, ensureLibvirtd, waitFor } from "../harness/libvirt.mjs";

const PREFLIGHT = path.join(REPO, "tests/lib/preflight.sh");
const DRIVERS = ["/usr/lib/x86_64-linux-gnu/libvirt/connection-driver", "/usr/lib64/libvirt/connection-driver",
    "/usr/lib/libvirt/connection-driver"].find(d => existsSync(path.join(d, "libvirt_driver_qemu.so")));
const NOBODY = 65534;
const PATH = "/usr/sbin:/usr/bin:/sbin:/bin";

/** Runs preflight.sh; resolves with { code, stderr } (never rejects on a non-zero exit). */
function preflight(uri, { uid, env } = {}) {
    return new Promise(resolve => {
        execFile(PREFLIGHT, [uri], { env, uid, gid: uid, timeout: 60000 }, (err, _stdout, stderr) => {
            resolve({ code: err ? err.code : 0, stderr });
        });
    });
}

/**
 * Starts a session-mode libvirtd as `nobody` whose driver directory holds only `drivers` (module names without
 * the libvirt_driver_ prefix). Returns { uri, env, stop() }; stop() ends exactly this daemon.
 */
async function privateLibvirtd(drivers) {
    const dir = mkdtempSync(path.join(tmpdir(), "cvtest-preflight-"));
    const driverDir = path.join(dir, "drivers");
    const runtime = path.join(dir, "run");
    mkdirSync(driverDir);
    mkdirSync(runtime, { mode: 0o700 });
    for (const d of drivers)
        symlinkSync(path.join(DRIVERS, `libvirt_driver_${d}.so`), path.join(driverDir, `libvirt_driver_${d}.so`));
    chmodSync(dir, 0o755);
    for (const p of [dir, runtime])
        chownSync(p, NOBODY, NOBODY);
    const env = {
        PATH, HOME: dir, XDG_RUNTIME_DIR: runtime, XDG_CONFIG_HOME: path.join(dir, "config"),
        XDG_CACHE_HOME: path.join(dir, "cache"), XDG_DATA_HOME: path.join(dir, "data"),
    };
    const child = spawn("libvirtd", [], {
        env: { ...env, LIBVIRT_DRIVER_DIR: driverDir }, uid: NOBODY, gid: NOBODY, stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", chunk => { stderr = (stderr + chunk).slice(-4000) });
    const exited = new Promise(resolve => child.once("exit", resolve));
    const stop = async () => {
        if (child.exitCode === null && child.signalCode === null) {
            child.kill("SIGTERM");
            const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
            await exited;
            clearTimeout(timer);
        }
        rmSync(dir, { recursive: true, force: true });
    };
    try {
        await waitFor(() => {
            if (child.exitCode !== null)
                throw new Error(`private libvirtd exited (${child.exitCode}): ${stderr}`);
            return existsSync(path.join(runtime, "libvirt/libvirt-sock"));
        }, 20000, { what: "the private libvirtd's socket" });
    } catch (e) {
        await stop();
        throw e;
    }
    return { uri: "qemu:///session", env, stop };
}

let daemons = [];

before(async () => {
    await ensureLibvirtd();
});

after(async () => {
    await Promise.all(daemons.map(d => d.stop()));
});

test("preflight passes against the suite's libvirtd", async () => {
    const { code, stderr } = await preflight(URI);
    assert.equal(code, 0, stderr);
    assert.equal(stderr, "");
});

test("preflight names the package of the one driver a libvirtd lacks", { skip: !DRIVERS && "no libvirt driver directory" }, async () => {
    const all = readdirSync(DRIVERS).map(f => f.match(/^libvirt_driver_(\w+)\.so$/)?.[1]).filter(Boolean);
    assert.ok(all.includes("storage"), `the storage driver is installed (${all.join(", ")})`);
    const complete = await privateLibvirtd(all);
    const noStorage = await privateLibvirtd(all.filter(d => d !== "storage"));
    daemons = [complete, noStorage];

    // The same kind of daemon with every driver passes, so what fails below is the missing module alone.
    const passing = await preflight(complete.uri, { uid: NOBODY, env: complete.env });
    assert.equal(passing.code, 0, passing.stderr);

    const failing = await preflight(noStorage.uri, { uid: NOBODY, env: noStorage.env });
    assert.equal(failing.code, 1, failing.stderr);
    const lines = failing.stderr.trim().split("\n");
    assert.equal(lines.length, 1, failing.stderr);
    assert.match(lines[0], /has no storage driver; install: apt-get install libvirt-daemon-driver-storage$/);
});

test("preflight names the QEMU driver's package when the daemon has none", { skip: !DRIVERS && "no libvirt driver directory" }, async () => {
    const noQemu = await privateLibvirtd(["network", "storage"]);
    daemons.push(noQemu);
    const { code, stderr } = await preflight(noQemu.uri, { uid: NOBODY, env: noQemu.env });
    assert.equal(code, 1, stderr);
    assert.equal(stderr.trim(),
        "preflight: libvirt at qemu:///session has no qemu driver; install: apt-get install libvirt-daemon-driver-qemu");
});
