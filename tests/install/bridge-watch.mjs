// SPDX-License-Identifier: LGPL-2.1-or-later
// The installed package through real cockpit-bridges, with nothing staged: each bridge must find
// /usr/share/cockpit/virt/manifest.json itself, expand its ${libexecdir} and spawn the installed helper, which must
// answer a watch on test:///default.
//
//   node tests/install/bridge-watch.mjs HELPER BRIDGE…      e.g. /usr/lib/cockpit/cockpit-virt-helper 337 287
//
// Prints one "ok …" line per bridge; exits non-zero on the first failure.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { Bridge } from "../harness/bridge.mjs";

const [helper, ...bridges] = process.argv.slice(2);
if (!helper || bridges.length === 0) {
    console.error("usage: bridge-watch.mjs HELPER BRIDGE…");
    process.exit(2);
}

for (const name of bridges) {
    // Bridge.start() stages the work tree's manifest in a data home of its own; an empty XDG_DATA_HOME hides it,
    // so only the system's data dirs count.
    const emptyHome = mkdtempSync(path.join(tmpdir(), "cvtest-install-home-"));
    const bridge = await Bridge.start(name, {
        helper,
        env: { XDG_DATA_HOME: emptyHome, XDG_DATA_DIRS: "/usr/local/share:/usr/share" },
    });
    try {
        const { vms } = await bridge.watch("test:///default");
        const names = Object.values(vms).map(vm => vm.name);
        assert.deepEqual(names, ["test"], `test:///default through bridge ${name}`);
        // helperPids() matches the spawned argv[0] against `helper`: the manifest's spawn resolved to it.
        const pids = bridge.helperPids();
        assert.equal(pids.length, 1, `bridge ${name} runs one ${helper} (found pids: ${pids.join(", ") || "none"})\n` +
            bridge.describe(""));
        console.log(`ok bridge ${name}: spawned ${helper} (pid ${pids[0]}), watch test:///default lists ${names}`);
    } finally {
        await bridge.closeBridge();
        rmSync(emptyHome, { recursive: true, force: true });
    }
}
