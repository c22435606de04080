// SPDX-License-Identifier: LGPL-2.1-or-later
// Test users for real-login tests: local accounts with a password, made with the shadow tools and removed again
// with their homes, their processes (by pid) and sudo's timestamp. Names start with cvtest-; a user left over by
// a crashed run is removed before it is made again.
//
//   const admin = createUser("cvtest-admin", { groups: ["sudo"] });   // { name, password, uid, gid, home }
//   removeUser(admin.name);

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";

/** The accounts the login tests use: a sudoer outside `libvirt`, a `libvirt` member, and neither. */
export const TEST_USERS = {
    admin: { name: "cvtest-admin", groups: ["sudo"] },
    virt: { name: "cvtest-virt", groups: ["libvirt"] },
    plain: { name: "cvtest-plain", groups: [] },
};

function run(cmd, args, input) {
    return execFileSync(cmd, args, { encoding: "utf8", input, stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
}

function uidOf(name) {
    try {
        return Number(run("id", ["-u", name]).trim());
    } catch {
        return null;
    }
}

/** PIDs of every process running as `uid`. */
function processesOf(uid) {
    try {
        return run("pgrep", ["-U", String(uid)]).split("\n").filter(Boolean).map(Number);
    } catch {
        return []; // pgrep exits 1 when nothing matches
    }
}

/**
 * Creates `name` (which must start with cvtest-) with a home under /home, bash as its shell (cockpit-session
 * refuses users without a valid login shell), its own group, the supplementary `groups`, and a random password.
 */
export function createUser(name, { groups = [] } = {}) {
    if (!name.startsWith("cvtest-"))
        throw new Error(`test users are named cvtest-*, not ${name}`);
    removeUser(name);
    const args = ["--create-home", "--user-group", "--shell", "/bin/bash", "--comment", "cockpit-virt test user"];
    if (groups.length)
        args.push("--groups", groups.join(","));
    run("useradd", [...args, name]);
    const password = randomBytes(12).toString("base64url");
    run("chpasswd", [], `${name}:${password}\n`);
    const id = flag => Number(run("id", [flag, name]).trim());
    return { name, password, uid: id("-u"), gid: id("-g"), home: run("getent", ["passwd", name]).split(":")[5] };
}

/**
 * Removes `name` if it exists: ends its processes (each by pid, TERM then KILL), deletes the account with its
 * home and mail spool, and sudo's timestamp file for it.
 */
export function removeUser(name) {
    if (!name.startsWith("cvtest-"))
        throw new Error(`test users are named cvtest-*, not ${name}`);
    const uid = uidOf(name);
    if (uid === null)
        return;
    for (const signal of ["SIGTERM", "SIGKILL"]) {
        const pids = processesOf(uid);
        for (const pid of pids) {
            try { process.kill(pid, signal) } catch { /* gone */ }
        }
        if (!pids.length)
            break;
        // Let them go before the next round (or before userdel, which refuses a user with processes).
        const deadline = Date.now() + 3000;
        while (processesOf(uid).length && Date.now() < deadline)
            execFileSync("sleep", ["0.1"]);
    }
    try {
        run("userdel", ["--remove", name]);
    } catch (e) {
        // userdel exits 12 when only the mail spool was missing; the account itself is gone then.
        if (uidOf(name) !== null)
            throw new Error(`userdel ${name}: ${e.stderr || e.message}`, { cause: e });
    }
    rmSync(`/run/sudo/ts/${name}`, { force: true });
    rmSync(`/var/lib/sudo/lectured/${name}`, { force: true });
}
