// SPDX-License-Identifier: LGPL-2.1-or-later
// op `console` kind "serial" on a tiny real guest (qemu:///system, TCG), through both bridges: commands and their
// output, echo latency, one viewer at a time (busy, force), release on close, reboot, a reader that stops acking,
// and the VM stopping.

import assert from "node:assert/strict";
import { randomInt } from "node:crypto";
import { after, before, describe, test } from "node:test";

import { Bridge, abbreviate, bridgeNames } from "../harness/bridge.mjs";
import { READY, URI, virsh, waitFor, waitForSerial } from "../harness/libvirt.mjs";
import { defineConsoleGuest, fdCount, removeConsoleGuest, rssKiB } from "./guests.mjs";
import { ChannelBytes } from "./rfb.mjs";

const BOOT_MS = 90000;
const PROMPT = /\/ # /;
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

/** Opens the serial console of `vm`; resolves with { ch, bytes, ms } once ready, rejects with the close. */
async function openSerial(b, vm, extra = {}) {
    const t0 = performance.now();
    const ch = b.open({ payload: "virt1", op: "console", uri: URI, vm, kind: "serial", binary: "raw", ...extra });
    const m = await b.next(ch, m => m.command === "ready" || m.command === "close", 20000);
    if (m.command === "close") {
        const err = new Error(`serial console refused: ${abbreviate(m)}`);
        err.close = m.control;
        throw err;
    }
    return { ch, bytes: new ChannelBytes(b, ch), ms: performance.now() - t0 };
}

/** Sends Return until the shell prompt shows (a fresh console shows nothing until the guest writes). */
async function prompt(b, con) {
    for (let i = 0; i < 10; i++) {
        b.send(con.ch, "\r");
        try {
            return await con.bytes.until(PROMPT, 3000);
        } catch (e) {
            if (con.bytes.close)
                throw e;
        }
    }
    throw new Error("no shell prompt on the serial console");
}

async function closeChannel(b, ch) {
    b.close(ch);
    const m = await b.next(ch, m => m.command === "close");
    assert.equal(m.control.problem, undefined, abbreviate(m));
}

const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe("serial console of a tiny real guest", () => {
    let guest;
    before(async () => {
        guest = await defineConsoleGuest("serial", { vnc: "socket" });
        await waitForSerial(guest, READY, BOOT_MS);
    });
    after(async () => { await removeConsoleGuest(guest) });

    for (const name of bridgeNames()) {
        describe(`via bridge ${name}`, () => {
            let b;
            before(async () => { b = await Bridge.start(name) });
            after(async () => { await b?.closeBridge() });

            test("serial_command: a command with a random token runs and its output comes back", async t => {
                const con = await openSerial(b, guest.uuid);
                t.diagnostic(`open → ready: ${con.ms.toFixed(1)} ms`);
                await prompt(b, con);
                const n = randomInt(1e6, 1e9);
                const t0 = performance.now();
                // The shell computes the token, so the output cannot be the echo of what was typed.
                b.send(con.ch, `echo cvtoken-$((${n}+1))\r`);
                const out = await con.bytes.until(new RegExp(`\\ncvtoken-${n + 1}\\r?\\n`));
                t.diagnostic(`command → output: ${(performance.now() - t0).toFixed(1)} ms`);
                assert.match(out, new RegExp(`cvtoken-\\$\\(\\(${n}\\+1\\)\\)`), "the typed command is echoed");
                await closeChannel(b, con.ch);
            });

            test("serial_echo_latency: single keystrokes echo back", async t => {
                const con = await openSerial(b, guest.uuid);
                await prompt(b, con);
                const samples = [];
                for (let i = 0; i < 20; i++) {
                    const ch = "abcdefghij"[i % 10];
                    const t0 = performance.now();
                    b.send(con.ch, ch);
                    await con.bytes.until(new RegExp(ch));
                    samples.push(performance.now() - t0);
                }
                b.send(con.ch, "\x15\r"); // kill the line, new prompt
                await con.bytes.until(PROMPT);
                const m = median(samples);
                t.diagnostic(`keystroke echo: median ${m.toFixed(1)} ms, max ${Math.max(...samples).toFixed(1)} ms (TCG guest)`);
                assert.ok(m < 250, `median echo ${m} ms`);
                await closeChannel(b, con.ch);
            });

            test("serial_busy_and_force: one viewer at a time; force takes over and ends the first cleanly", async () => {
                const first = await openSerial(b, guest.uuid);
                const err = await openSerial(b, guest.uuid).then(() => null, e => e);
                assert.ok(err?.close, "a second viewer is refused");
                assert.equal(err.close.problem, "internal-error");
                assert.equal(err.close["libvirt-error"], 9);
                assert.match(err.close.message, /in use by another viewer/);

                const second = await openSerial(b, guest.uuid, { force: true });
                const end = await b.next(first.ch, m => m.command === "close", 10000);
                assert.equal(end.control.problem, undefined, `the first viewer ends cleanly: ${abbreviate(end)}`);
                await prompt(b, second);
                await closeChannel(b, second.ch);
            });

            test("serial_done: input sent just before done reaches the guest; then the channel closes cleanly", async () => {
                const con = await openSerial(b, guest.uuid);
                await prompt(b, con);
                const n = randomInt(1e6, 1e9);
                b.send(con.ch, `echo done-$((${n}+1)) > /dev/ttyS0\r`);
                b.control({ command: "done", channel: con.ch });
                const end = await b.next(con.ch, m => m.command === "close", 10000);
                assert.equal(end.control.problem, undefined, abbreviate(end));
                // The command ran: its output is in the serial log (virtlogd keeps everything).
                await waitForSerial(guest, new RegExp(`done-${n + 1}`), 10000);
            });

            test("serial_close_frees: a closed console can be opened again at once, no descriptors leak", async () => {
                const warm = await openSerial(b, guest.uuid);
                await closeChannel(b, warm.ch);
                await sleep(300);
                const [pid] = b.helperPids();
                const fds = fdCount(pid);
                for (let i = 0; i < 5; i++) {
                    const con = await openSerial(b, guest.uuid);
                    await closeChannel(b, con.ch);
                }
                // Closed before it was even ready (the open still running in libvirt): released all the same.
                for (let i = 0; i < 3; i++) {
                    const ch = b.open({ payload: "virt1", op: "console", uri: URI, vm: guest.uuid, kind: "serial", binary: "raw" });
                    b.close(ch, "disconnected");
                    await b.next(ch, m => m.command === "close");
                }
                // Those streams are released when libvirt's open returns, after the close echo: within moments.
                let last;
                await waitFor(async () => {
                    try {
                        last = await openSerial(b, guest.uuid);
                        return true;
                    } catch {
                        return false;
                    }
                }, 5000, { what: "the console opened before ready to be released" });
                // The browser closes without waiting for anything: the stream must still be released.
                b.close(last.ch, "disconnected");
                await waitFor(async () => {
                    try {
                        const again = await openSerial(b, guest.uuid);
                        await closeChannel(b, again.ch);
                        return true;
                    } catch {
                        return false;
                    }
                }, 5000, { what: "the console to be free again" });
                await sleep(300);
                assert.ok(fdCount(pid) <= fds, `helper descriptors: ${fds} before, ${fdCount(pid)} after`);
            });

            test("serial_reboot: the boot marker of a reboot shows on the open console and on a new one", async t => {
                const con = await openSerial(b, guest.uuid);
                const t0 = performance.now();
                await virsh("reboot", "--mode", "acpi", guest.name);
                await con.bytes.until(/TESTGUEST-READY/, BOOT_MS);
                t.diagnostic(`reboot → marker on the open console: ${(performance.now() - t0).toFixed(0)} ms`);
                await closeChannel(b, con.ch);

                // Reset, then open a new console at once: it sees the next boot's marker.
                await virsh("reset", guest.name);
                const fresh = await openSerial(b, guest.uuid);
                await fresh.bytes.until(/TESTGUEST-READY/, BOOT_MS);
                await closeChannel(b, fresh.ch);
            });

            test("serial_slow_reader: a reader that stops acking stops the relay; the helper's memory stays bounded", async t => {
                const con = await openSerial(b, guest.uuid);
                try {
                    await prompt(b, con);
                    const [pid] = b.helperPids();
                    const rss0 = rssKiB(pid);
                    const pings = () => b.history(con.ch).filter(m => m.command === "ping");
                    b.autoPong = false;
                    try {
                        b.send(con.ch, "while true; do echo 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz; done\r");
                        // A TCG guest's serial port does a few hundred KB/s: fill the 2 MiB window first.
                        const t0 = performance.now();
                        await waitFor(() => (pings().at(-1)?.control.sequence ?? 0) >= 2 * 1024 * 1024, 90000,
                                      { interval: 250, what: "the helper to send a full window" });
                        t.diagnostic(`window full after ${((performance.now() - t0) / 1000).toFixed(1)} s of flooding`);
                        // Now nobody acks while the guest goes on flooding (past the helper's 256 KiB of buffer).
                        const received = b.bytesIn;
                        let rssMax = 0;
                        for (let i = 0; i < 10; i++) {
                            await sleep(1000);
                            rssMax = Math.max(rssMax, rssKiB(pid));
                        }
                        const late = b.bytesIn - received;
                        const sequence = pings().at(-1).control.sequence;
                        t.diagnostic(`helper RSS ${rss0} KiB → max ${rssMax} KiB; bytes relayed in 10 s without acks: ${late}; ` +
                                     `sent ${sequence} bytes in all`);
                        assert.ok(sequence <= 2 * 1024 * 1024 + 16384, `sent ${sequence} bytes without acks`);
                        assert.ok(late < 64 * 1024, `the relay went on without acks: ${late} bytes`);
                        assert.ok(rssMax - rss0 < 16 * 1024, `helper RSS grew by ${rssMax - rss0} KiB`);
                    } finally {
                        // Acking again resumes the relay.
                        b.autoPong = true;
                        const ping = pings().at(-1);
                        if (ping)
                            b.control({ ...ping.control, command: "pong" });
                    }
                    const before = b.bytesIn;
                    await waitFor(() => b.bytesIn > before + 64 * 1024, 10000, { what: "the relay to resume" });
                    b.send(con.ch, "\x03");
                    await sleep(1000);
                    con.bytes.take();
                    await prompt(b, con);
                } finally {
                    await closeChannel(b, con.ch);
                }
                await waitFor(() => /dropped \d+ bytes/.test(b.stderr()), 5000, { what: "the helper to log dropped output" });
            });

            test("serial_vm_stops: the channel closes cleanly when the VM is destroyed; it opens again after start", async () => {
                const con = await openSerial(b, guest.uuid);
                await virsh("destroy", guest.name);
                const end = await b.next(con.ch, m => m.command === "close", 10000);
                assert.equal(end.control.problem, undefined, abbreviate(end));
                const err = await openSerial(b, guest.uuid).then(() => null, e => e);
                assert.equal(err?.close?.message, "The VM is not running");
                await virsh("start", guest.name);
                const again = await openSerial(b, guest.uuid);
                await again.bytes.until(/TESTGUEST-READY/, BOOT_MS);
                await closeChannel(b, again.ch);
            });
        });
    }
});
