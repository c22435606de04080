// SPDX-License-Identifier: LGPL-2.1-or-later
// Another libvirt host on this machine (tests/lib/second-host.sh): its own libvirtd and virtlogd in a private
// mount and UTS namespace, with its own host name, host_uuid and /etc/libvirt, /run/libvirt, /var/lib/libvirt,
// reachable as qemu+tcp://<address>/system. /tmp and everything outside /var/lib/libvirt etc. are the same files
// on both hosts (shared storage); /var/lib/libvirt/images is a different directory on each (copied storage).
//
//   const host = await startSecondHost();          // cvtest-host2 on 127.0.0.2
//   await host.virsh("list", "--all");
//   await host.stop();
// Several hosts at once: startSecondHost({ name: "cvtest-host3", address: "127.0.0.3" }).

import { execFile } from "node:child_process";
import path from "node:path";

import { REPO, virshAt } from "./libvirt.mjs";

const SCRIPT = path.join(REPO, "tests/lib/second-host.sh");

function run(...args) {
    return runWithInput(null, ...args);
}

/** second-host.sh with `input` on its stdin (null: none), killed after 120 s. */
function runWithInput(input, ...args) {
    return new Promise((resolve, reject) => {
        const child = execFile(SCRIPT, args, { maxBuffer: 16 << 20, timeout: 120000 }, (err, stdout, stderr) => {
            if (err)
                reject(new Error(`second-host.sh ${args.join(" ")}: ${stderr.trim() || err.message}`));
            else
                resolve(stdout);
        });
        child.stdin.end(input ?? "");
    });
}

/**
 * Starts (or finds running) the host `name` on loopback `address`; `auth: "sasl"` makes a host that refuses every
 * login (auth_tcp = "sasl" with the machine's SASL setup, which no test client satisfies); `auth: "sasldb"` a host
 * that asks for a SASL user name and password (DIGEST-MD5, its own user database: `saslUser`). Resolves with
 * { name, address, uri, virsh(...args), exec(...argv), stop() }: `virsh` talks to that host, `exec` runs a
 * command in its namespaces (its view of /var/lib/libvirt, …), `stop` destroys its guests and removes it.
 */
export async function startSecondHost({ name = "cvtest-host2", address = "127.0.0.2", auth = "none" } = {}) {
    const uri = (await run("start", name, address, auth)).trim().split("\n").pop();
    return {
        name,
        address,
        uri,
        /** The directory that is this host's /var/lib/libvirt/images, as seen from the machine itself. */
        imagesDir: `/run/cvtest-hosts/${name}/lib/images`,
        virsh: (...args) => virshAt(uri, ...args),
        exec: (...argv) => run("exec", name, ...argv),
        /** Adds a SASL user to a "sasldb" host (its own database; the password goes on stdin, never in argv). */
        saslUser: (user, password) => runWithInput(password, "sasl-user", name, user),
        stop: () => run("stop", name),
    };
}
