#!/usr/bin/env node
// SPDX-License-Identifier: LGPL-2.1-or-later
// Helper side of the create dialog's "usable < 300 ms" (issue 5): op osinfo with the host's osinfo-db.
//
//   node bench/osinfo.mjs [--runs 10] [--helper target/release/cockpit-virt-helper] [--iso PATH]
//
// Each run starts a fresh helper (the db is read once per helper process) and times, from the test's side:
// the first list (db read + serialization + transfer), a second list, the first detection of an ISO (patterns
// compiled on demand), and the helper's own log of the db read. Then, through cockpit-bridge 337, the first
// list of a fresh session: bridge spawns the helper, helper reads the db, list arrives, which is what the
// dialog waits for. Without --iso, a bootable ISO with a Debian volume id is made with xorriso.

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

import { Bridge, REPO } from "../tests/harness/bridge.mjs";

const { values: args } = parseArgs({
    options: {
        runs: { type: "string", default: "10" },
        helper: { type: "string", default: path.join(REPO, "target/release/cockpit-virt-helper") },
        iso: { type: "string" },
    },
});

const work = mkdtempSync(path.join(tmpdir(), "cvbench-osinfo-"));
let iso = args.iso;
if (!iso) {
    const content = path.join(work, "content");
    mkdirSync(content);
    writeFileSync(path.join(content, "boot.img"), Buffer.alloc(2048));
    iso = path.join(work, "debian.iso");
    execFileSync("xorriso", ["-as", "mkisofs", "-quiet", "-V", "Debian 11.7.0 amd64 n", "-b", "boot.img",
        "-no-emul-boot", "-o", iso, content], { stdio: ["ignore", "ignore", "pipe"] });
}

const rows = { "db read (helper log)": [], "first list": [], "second list": [], "first detect": [],
               "first list via bridge 337": [] };
let bytes = 0;

async function timed(peer, fields) {
    const t0 = performance.now();
    const messages = await peer.untilClose(peer.open({ payload: "virt1", op: "osinfo", ...fields }), 30000);
    const close = messages.at(-1).control;
    if (close.problem)
        throw new Error(`osinfo ${JSON.stringify(fields)}: ${close.problem} ${close.message}`);
    bytes = messages.filter(m => !m.command).reduce((n, m) => Math.max(n, m.raw.length), bytes);
    return performance.now() - t0;
}

try {
    for (let run = 0; run < Number(args.runs); run++) {
        const peer = await Bridge.peer({ helper: args.helper });
        rows["first list"].push(await timed(peer, {}));
        rows["second list"].push(await timed(peer, {}));
        rows["first detect"].push(await timed(peer, { detect: { media: iso } }));
        rows["db read (helper log)"].push(Number(peer.stderr().match(/osinfo-db: .* in (\d+) ms/)[1]));
        peer.proc.kill("SIGTERM");
        await peer.exited;

        const bridge = await Bridge.start("337", { helper: args.helper });
        rows["first list via bridge 337"].push(await timed(bridge, {}));
        await bridge.closeBridge();
    }
} finally {
    rmSync(work, { recursive: true, force: true });
}

const median = values => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(`| measure (${args.runs} runs, ms) | median | min | max |\n|---|---|---|---|`);
for (const [name, values] of Object.entries(rows))
    console.log(`| ${name} | ${median(values).toFixed(1)} | ${Math.min(...values).toFixed(1)} | ${Math.max(...values).toFixed(1)} |`);
console.log(`\nlist message: ${(bytes / 1024).toFixed(0)} KiB`);
