// SPDX-License-Identifier: LGPL-2.1-or-later
// The helper process's lifetime (shared/cockpit-protocol.md §5, §9 "Shutdown", §10): it speaks first, exits
// promptly on stdin EOF and on SIGTERM, directly and under each bridge, and the bridge reports its death.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { Bridge, abbreviate, bridgeNames, processAlive } from "../harness/bridge.mjs";
import { waitFor } from "../harness/libvirt.mjs";

const TEST_URI = "test:///default";
const PROMPT_MS = 2000;

function gone(pid) {
    return waitFor(() => !processAlive(pid), PROMPT_MS, { interval: 20, what: `helper ${pid} to exit` });
}

/** Resolves with the exit status, or rejects if the process is still there after `ms`. */
function exitWithin(b, ms) {
    return Promise.race([
        b.exited,
        new Promise((_resolve, reject) => setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms)),
    ]);
}

describe("helper run directly as a peer", () => {
    test("init_first: the helper writes init version 1 unprompted, before anything else", async () => {
        const p = await Bridge.peer();
        try {
            assert.equal(p.frames[0].command, "init", abbreviate(p.frames[0]));
            assert.equal(p.frames[0].control.version, 1);
            assert.equal(p.frames[0].control.problem, undefined, "init must not carry a problem");
            assert.equal(p.frames[0].channel, "");
        } finally {
            p.proc.kill("SIGKILL");
        }
    });

    test("stdin_eof: exits promptly with status 0 while a watch is open", async () => {
        const p = await Bridge.peer();
        await p.watch(TEST_URI);
        const t0 = Date.now();
        p.proc.stdin.end();
        const status = await exitWithin(p, PROMPT_MS).catch(e => { p.proc.kill("SIGKILL"); throw e });
        assert.deepEqual(status, { code: 0, signal: null }, `exit after EOF (${Date.now() - t0} ms)`);
    });

    test("sigterm: exits promptly while a watch is open", async () => {
        const p = await Bridge.peer();
        await p.watch(TEST_URI);
        p.proc.kill("SIGTERM");
        const status = await exitWithin(p, PROMPT_MS).catch(e => { p.proc.kill("SIGKILL"); throw e });
        assert.ok(status.code === 0 || status.signal === "SIGTERM" || status.code === 143, JSON.stringify(status));
    });

    test("stdout_only_frames: nothing but frames on stdout through a whole session", async () => {
        const p = await Bridge.peer();
        await p.watch(TEST_URI);
        const a = p.open({ payload: "virt1", op: "action", uri: TEST_URI, vm: "test", action: "nmi" });
        await p.untilClose(a);
        p.proc.stdin.end();
        await exitWithin(p, PROMPT_MS);
        assert.equal(p.protocolError, undefined, p.protocolError);
        assert.equal(p.buf.length, 0, `trailing bytes on stdout: ${p.buf.toString().slice(0, 100)}`);
    });
});

for (const name of bridgeNames()) {
    describe(`helper lifetime under bridge ${name}`, () => {
        test("session_end: closing the bridge ends the helper promptly", async () => {
            const b = await Bridge.start(name);
            await b.watch(TEST_URI);
            const [pid] = b.helperPids();
            assert.ok(pid, "no helper process");
            await b.closeBridge();
            await gone(pid);
        });

        test("sigterm: the helper exits promptly and its channels close with terminated", async () => {
            const b = await Bridge.start(name);
            try {
                const { channel } = await b.watch(TEST_URI);
                const [pid] = b.helperPids();
                process.kill(pid, "SIGTERM");
                await gone(pid);
                const close = await b.next(channel, m => m.command === "close", 5000);
                // 287 reports "terminated" only for a peer that died by SIGTERM/SIGHUP; exit status 0 becomes
                // "disconnected" (on_other_closed, cockpitpeer.c@287). A helper that catches SIGTERM should
                // re-raise it after cleaning up.
                assert.equal(close.control.problem, "terminated", abbreviate(close));
                if (name === "337") {
                    // 337 respawns the peer on the next matching open (§10).
                    const again = await b.watch(TEST_URI);
                    assert.notDeepEqual(b.helperPids(), [pid]);
                    b.close(again.channel);
                    await b.next(again.channel, m => m.command === "close");
                }
            } finally {
                await b.closeBridge();
            }
        });
    });
}
