// SPDX-License-Identifier: LGPL-2.1-or-later
// cockpit-machines beside us, without installing it: Debian's package unpacked into .cache/cockpit-machines
// (tests/lib/fetch-machines.sh) and shown to one command only, in a private mount namespace where a tmpfs on
// /usr/local/share holds it at /usr/local/share/cockpit/machines, one of the places our manifest's conditions
// look at. The rest of the machine never sees it.
//
//   execFileSync(...besideMachines(["cockpit-bridge", "--packages"]));   // [file, args]
//   startCockpitWs({ wrap: besideMachinesPrefix() });

import { execFileSync } from "node:child_process";
import path from "node:path";

import { REPO } from "./bridge.mjs";

let packageDir = null;

/** The unpacked cockpit-machines package directory (fetched once). */
export function machinesPackageDir() {
    packageDir ??= execFileSync(path.join(REPO, "tests/lib/fetch-machines.sh"), { encoding: "utf8" }).trim();
    return packageDir;
}

/**
 * The argv prefix that runs a command with cockpit-machines at /usr/local/share/cockpit/machines (`packageDir`: the
 * unpacked package of another version).
 */
export function besideMachinesPrefix(packageDir = machinesPackageDir()) {
    const script = 'mount -t tmpfs cvtest-machines /usr/local/share && mkdir -p /usr/local/share/cockpit/machines && ' +
        'mount --bind "$0" /usr/local/share/cockpit/machines && exec "$@"';
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, packageDir];
}

/** [file, args] for execFile: `argv` run beside cockpit-machines. */
export function besideMachines(argv) {
    const full = [...besideMachinesPrefix(), ...argv];
    return [full[0], full.slice(1)];
}
