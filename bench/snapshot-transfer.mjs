#!/usr/bin/env node
// SPDX-License-Identifier: LGPL-2.1-or-later
// The watch's snapshot through cockpit-bridge alone (no browser), with the helper already connected: how long from
// the `open` to its first `vms` message and to `synced`, and how many bytes in how many frames (issue 17, round 4).
//
//   node bench/snapshot-transfer.mjs [--n 10000] [--runs 5] [--bridge 337]
//
// The helper under test is CVIRT_HELPER (else the newest of target/{debug,release}); a test:/// node file of N
// domains (bench/domains.py). The first watch connects and is not counted; each counted watch is a second channel
// served from the hub's table, as a page visit with the helper running is.

import { Bridge } from "../tests/harness/bridge.mjs";

import { testNode } from "./startup-common.mjs";

const opts = { n: "10000", runs: "5", bridge: "337" };
for (let i = 2; i < process.argv.length; i += 2)
    opts[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];

const median = xs => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const uri = testNode(Number(opts.n));
const bridge = await Bridge.start(opts.bridge);
try {
    await bridge.watch(uri, {}, 120000);
    const runs = [];
    for (let r = 0; r < Number(opts.runs); r++) {
        const start = performance.now();
        const channel = bridge.open({ payload: "virt1", op: "watch", uri });
        let first = null;
        let firstBytes = 0;
        let firstVms = 0;
        let bytes = 0;
        let frames = 0;
        await bridge.next(channel, m => {
            if (m.data?.vms) {
                frames++;
                bytes += m.frameLength;
                if (first === null) {
                    first = performance.now() - start;
                    firstBytes = m.frameLength;
                    firstVms = Object.keys(m.data.vms).length;
                }
            }
            return m.data?.synced === true;
        }, 60000);
        const synced = performance.now() - start;
        bridge.close(channel);
        runs.push({ first, synced, frames, bytes, firstBytes, firstVms });
        console.error(JSON.stringify(runs.at(-1)));
    }
    const pick = k => median(runs.map(r => r[k]));
    console.log(JSON.stringify({ n: Number(opts.n), bridge: opts.bridge, medians: {
        firstMs: Math.round(pick("first")), syncedMs: Math.round(pick("synced")), frames: pick("frames"),
        bytes: pick("bytes"), firstFrameBytes: pick("firstBytes"), firstFrameVms: pick("firstVms") } }));
} finally {
    await bridge.closeBridge();
}
