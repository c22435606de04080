// SPDX-License-Identifier: LGPL-2.1-or-later
// Live usage (docs/api.md, op `watch` with "usage": true, and op `history`) of tiny real guests on qemu:///system,
// through real cockpit-bridges, with a 1 s tick: a running guest's numbers, a stopped guest's null, a guest
// burning CPU against an idle one, the history columns, and a guest whose QEMU is stopped (SIGSTOP) while the
// others keep updating. These tests only wait (generously) for things to happen; they time nothing.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";

import { Bridge, bridgeNames } from "../harness/bridge.mjs";
import {
    READY, URI, ensureLibvirtd, guestDir, guestRun, qemuPid, virsh, waitForSerial,
} from "../harness/libvirt.mjs";
import {
    BURN_FULL, BURN_PART, HELPER_ENV, UsageWatch, defineOwnedGuest, history, median, removeGuests, removeLeftovers,
} from "./usage-guests.mjs";

const BOOT_MS = 120000;
/** Generous: a tick is 1 s, but TCG guests on a busy 2-core machine can be slow. */
const TICKS_MS = 30000;

function assertUsageShape(u, what) {
    assert.equal(typeof u, "object", `${what}: ${JSON.stringify(u)}`);
    assert.notEqual(u, null, what);
    assert.equal(typeof u.cpu, "number", `${what}: cpu ${JSON.stringify(u)}`);
    assert.ok(u.cpu >= 0 && u.cpu <= 100, `${what}: cpu ${u.cpu} not in 0..100`);
    assert.ok(Number.isInteger(u.memoryTotal) && u.memoryTotal > 0, `${what}: memoryTotal ${u.memoryTotal}`);
    assert.ok(Number.isInteger(u.memoryUsed) && u.memoryUsed >= 0 && u.memoryUsed <= u.memoryTotal,
              `${what}: memoryUsed ${u.memoryUsed} of ${u.memoryTotal}`);
    assert.equal(typeof u.memoryFromGuest, "boolean", what);
    for (const k of ["diskRead", "diskWrite", "netRx", "netTx"])
        assert.ok(typeof u[k] === "number" && u[k] >= 0, `${what}: ${k} ${u[k]}`);
}

describe("live usage of tiny real guests", () => {
    const owned = [];
    const bridges = {};
    let idle, burner, stuck;
    let stoppedPid = null;
    let burnPid = null;

    before(async () => {
        await ensureLibvirtd();
        await guestDir();
        await removeLeftovers("usage-");
        [idle, burner, stuck] = await Promise.all([
            defineOwnedGuest(owned, "usage-idle", { running: true }),
            defineOwnedGuest(owned, "usage-burn", { running: true, agent: true }),
            defineOwnedGuest(owned, "usage-stuck", { running: true }),
        ]);
        await Promise.all([idle, burner, stuck].map(g => waitForSerial(g, READY, BOOT_MS)));
        for (const name of bridgeNames())
            bridges[name] = await Bridge.start(name, { env: HELPER_ENV });
    });
    after(async () => {
        if (stoppedPid)
            try { process.kill(stoppedPid, "SIGCONT") } catch { /* gone */ }
        for (const b of Object.values(bridges))
            await b.closeBridge();
        await removeGuests(owned);
    });

    const main = () => bridges["337"] ?? Object.values(bridges)[0];

    test("usage_running_guest: sparklines first, then numbers for a running guest and null once it stops", async () => {
        const watches = Object.entries(bridges).map(([name, b]) => ({ name, w: new UsageWatch(b, URI) }));
        try {
            for (const { name, w } of watches) {
                await w.synced1();
                assert.ok(w.vms[idle.uuid], `bridge ${name}: ${idle.name} missing from the snapshot`);
                // The first data message after the snapshot is the sparklines, before any tick.
                await w.until(w => w.kinds.includes("tick"), TICKS_MS, "the first tick");
                const afterSynced = w.kinds.slice(w.kinds.indexOf("synced") + 1);
                assert.equal(afterSynced[0], "sparklines", `bridge ${name}: messages after synced: ${afterSynced}`);
                assert.equal(typeof w.sparklines, "object");
                for (const [id, values] of Object.entries(w.sparklines)) {
                    assert.ok(Array.isArray(values), `sparkline of ${id}`);
                    assert.ok(values.every(v => typeof v === "number" && v >= 0 && v <= 100), `sparkline of ${id}: ${values}`);
                }
                assert.equal(w.ticksAfter(-1)[0].interval, 1, `bridge ${name}: interval of CVIRT_TICK_MS=1000`);

                await w.until(w => w.latest[idle.uuid]?.usage, TICKS_MS, `usage of ${idle.name}`);
                assertUsageShape(w.latest[idle.uuid].usage, `bridge ${name}: ${idle.name}`);
                // A QEMU slow to answer one tick on a loaded machine is reported as not responding for that tick;
                // an idle running guest must answer within a few.
                await w.until(w => w.latest[idle.uuid]?.usage?.responding === true, TICKS_MS,
                              `bridge ${name}: ${idle.name} to be responding`);
                const u = w.latest[idle.uuid].usage;
                assertUsageShape(u, `bridge ${name}: ${idle.name}`);
                assert.equal(u.memoryTotal, 128 * 1024 * 1024, `bridge ${name}: memoryTotal of a 128 MiB guest`);
            }

            // A guest that starts gets numbers; once it stops, its entry becomes null.
            const extra = await defineOwnedGuest(owned, "usage-stop", { running: true });
            for (const { name, w } of watches) {
                await w.until(w => w.latest[extra.uuid]?.usage, TICKS_MS, `usage of the started ${extra.name}`);
                assertUsageShape(w.latest[extra.uuid].usage, `bridge ${name}: ${extra.name}`);
            }
            await virsh("destroy", extra.name);
            for (const { name, w } of watches) {
                await w.until(w => w.latest[extra.uuid]?.usage === null, TICKS_MS,
                              `bridge ${name}: null usage for the stopped ${extra.name}`);
                await w.until(w => w.vms[extra.uuid]?.state === "shutoff", TICKS_MS, `${extra.name} shut off`);
                // A stopped VM stays null: no numbers for it in later ticks.
                const nullAt = w.latest[extra.uuid].tick;
                await w.until(w => w.lastTick >= nullAt + 2, TICKS_MS, "two more ticks");
                for (const t of w.ticksAfter(nullAt))
                    assert.ok(!(extra.uuid in t.usage) || t.usage[extra.uuid] === null,
                              `bridge ${name}: tick ${t.tick} has numbers for the stopped VM: ${JSON.stringify(t.usage[extra.uuid])}`);
            }
        } finally {
            for (const { w } of watches)
                await w.close();
        }
    });

    test("usage_host: ticks on a real libvirtd carry the host's CPUs, CPU % and memory", async () => {
        const w = new UsageWatch(main(), URI);
        try {
            await w.synced1();
            const from = w.lastTick;
            try {
                await w.until(w => w.ticksAfter(from).some(t => t.host), 15000, "a tick with host usage");
            } catch (e) {
                e.message += `\nticks without host: ${w.ticksAfter(from).map(t => t.tick)}`;
                throw e;
            }
            const host = w.ticksAfter(from).find(t => t.host).host;
            const cpus = Number((await virsh("nodeinfo")).match(/^CPU\(s\):\s*(\d+)/m)?.[1]);
            assert.equal(host.cpus, cpus, `host CPUs (virsh nodeinfo: ${cpus}): ${JSON.stringify(host)}`);
            assert.ok(typeof host.cpu === "number" && host.cpu >= 0 && host.cpu <= 100, JSON.stringify(host));
            assert.ok(host.memoryTotal > 0 && host.memoryUsed > 0 && host.memoryUsed <= host.memoryTotal,
                      JSON.stringify(host));
        } finally {
            await w.close();
        }
    });

    test("usage_burning_cpu: a guest burning CPU shows clearly higher cpu than an idle one", async t => {
        const w = new UsageWatch(main(), URI);
        try {
            await w.synced1();
            const t0 = Date.now();
            burnPid = await guestRun(burner, BURN_FULL);
            t.diagnostic(`guest-exec of the burner: ${Date.now() - t0} ms`);
            w.pump();
            const from = w.lastTick + 1; // ticks after this one measure the burning guest only
            // Idle: every value seen from `from` on (or the last one before, if it did not change since).
            const idleCpu = () => {
                const values = w.ticksAfter(from).map(t => t.usage[idle.uuid]?.cpu).filter(v => typeof v === "number");
                const before = w.latest[idle.uuid]?.usage?.cpu;
                return Math.max(...values, typeof before === "number" ? before : 0);
            };
            const burnCpu = () => w.ticksAfter(from).map(t => t.usage[burner.uuid]?.cpu).filter(v => typeof v === "number");
            try {
                await w.until(w => {
                    const burn = burnCpu().slice(-3);
                    return burn.length === 3 && w.latest[idle.uuid] && median(burn) >= idleCpu() + 20;
                }, 60000, "the burning guest's cpu to be clearly (≥ 20 points) above the idle guest's");
            } catch (e) {
                e.message += `\nburning ${burner.name}: ${JSON.stringify(burnCpu())}` +
                    `\nidle ${idle.name}: ${JSON.stringify(w.ticksAfter(from).map(t => t.usage[idle.uuid]?.cpu))}`;
                throw e;
            }
            t.diagnostic(`cpu % per tick, burning: ${burnCpu().map(v => v.toFixed(1)).join(" ")}; ` +
                         `idle: ${w.ticksAfter(from).map(t => t.usage[idle.uuid]?.cpu?.toFixed(1) ?? "-").join(" ")}`);
            assert.ok(idleCpu() < 50, `the idle guest uses ${idleCpu()} %`);
            // A busy guest is not a hung one: both keep responding.
            for (const t of w.ticksAfter(from))
                for (const g of [idle, burner])
                    if (t.usage[g.uuid]) {
                        assertUsageShape(t.usage[g.uuid], `tick ${t.tick}: ${g.name}`);
                        assert.equal(t.usage[g.uuid].responding, true, `tick ${t.tick}: ${g.name} ${JSON.stringify(t.usage[g.uuid])}`);
                    }
        } finally {
            await w.close();
        }
    });

    test("history_after_ticks: equal columns of ≥ 2 points with increasing time; sparklines of a new watch", async () => {
        const b = main();
        // Keep the poller going for a few more ticks, so history exists even if this test runs alone.
        const w = new UsageWatch(b, URI);
        try {
            await w.synced1();
            await w.until(w => w.ticksAfter(-1).filter(t => idle.uuid in t.usage).length >= 1 && w.lastTick >= 3,
                          TICKS_MS, "a few ticks");

            const h = await history(b, URI, idle.uuid);
            assert.ok(h.ready, h.trail);
            assert.equal(h.close.problem, undefined, h.trail);
            const data = h.data;
            assert.equal(data.length, 1, h.trail);
            const { interval, series } = data[0];
            assert.equal(interval, 1);
            const columns = ["time", "cpu", "memoryUsed", "diskRead", "diskWrite", "netRx", "netTx"];
            for (const c of columns)
                assert.ok(Array.isArray(series[c]), `column ${c} missing: ${JSON.stringify(data[0]).slice(0, 300)}`);
            const n = series.time.length;
            assert.ok(n >= 2, `${n} points of history`);
            for (const c of columns)
                assert.equal(series[c].length, n, `column ${c} has ${series[c].length} values, time has ${n}`);
            for (let i = 1; i < n; i++)
                assert.ok(series.time[i] > series.time[i - 1], `time not increasing at ${i}: ${series.time.slice(Math.max(0, i - 3), i + 2)}`);
            const now = Date.now() / 1000;
            assert.ok(series.time[n - 1] <= now + 1 && series.time[n - 1] > now - 600, `last time ${series.time[n - 1]}, now ${now}`);
            assert.ok(series.cpu.every(v => typeof v === "number" && v >= 0 && v <= 100), `cpu ${series.cpu}`);
            assert.ok(series.memoryUsed.every(v => Number.isInteger(v) && v > 0), `memoryUsed ${series.memoryUsed}`);

            // A VM without history: empty columns.
            const none = await history(b, URI, randomUUID());
            assert.equal(none.close.problem, undefined, none.trail);
            assert.equal(none.data.length, 1, none.trail);
            for (const c of columns)
                assert.deepEqual(none.data[0].series[c], [], `column ${c} of a VM without history`);

            // A new watch's sparklines carry the idle guest's recent CPU.
            const w2 = new UsageWatch(b, URI);
            try {
                await w2.until(w => w.sparklines, TICKS_MS, "sparklines");
                const line = w2.sparklines[idle.uuid];
                assert.ok(Array.isArray(line) && line.length >= 2, `sparkline of ${idle.name}: ${JSON.stringify(line)}`);
                assert.ok(line.every(v => typeof v === "number" && v >= 0 && v <= 100), JSON.stringify(line));
            } finally {
                await w2.close();
            }
        } finally {
            await w.close();
        }
    });

    test("usage_stuck_qemu: a stopped QEMU shows responding false while the other guest keeps updating", async t => {
        // The other guest's numbers change every tick (never 0, never clamped at 100), so it is sent every tick.
        if (burnPid)
            await guestRun(burner, `kill ${burnPid}`);
        burnPid = await guestRun(burner, BURN_PART);
        const w = new UsageWatch(main(), URI);
        const pid = qemuPid(stuck.name);
        assert.ok(pid, `no QEMU process for ${stuck.name}`);
        try {
            await w.synced1();
            await w.until(w => w.latest[stuck.uuid]?.usage?.responding === true &&
                               w.latest[burner.uuid]?.usage?.responding === true, TICKS_MS,
                          "both guests responding");

            stoppedPid = pid;
            process.kill(pid, "SIGSTOP");
            w.pump();
            const stoppedAfter = w.lastTick;
            await w.until(w => w.latest[stuck.uuid]?.usage?.responding === false, TICKS_MS,
                          `${stuck.name} (QEMU ${pid} stopped) to show responding: false`);
            const flaggedAt = w.latest[stuck.uuid].tick;
            assert.ok(flaggedAt > stoppedAfter);
            t.diagnostic(`SIGSTOP after tick ${stoppedAfter}, responding: false at tick ${flaggedAt}`);
            const flagged = w.latest[stuck.uuid].usage;
            assertUsageShape(flagged, `${stuck.name} not responding`);

            // Ticks keep coming, and every one of them updates the other guest, responding.
            await w.until(w => w.ticksAfter(flaggedAt).length >= 4, TICKS_MS, "four more ticks while QEMU is stopped");
            const during = w.ticksAfter(flaggedAt - 1);
            for (const t of during) {
                const u = t.usage[burner.uuid];
                assert.ok(u, `tick ${t.tick}: no update of ${burner.name} while ${stuck.name} is stopped ` +
                             `(ticks ${during.map(t => t.tick)}; ${w.b.describe(w.channel, 6)})`);
                assert.equal(u.responding, true, `tick ${t.tick}: ${burner.name} ${JSON.stringify(u)}`);
                assert.ok(!(stuck.uuid in t.usage) || t.usage[stuck.uuid]?.responding === false,
                          `tick ${t.tick}: ${stuck.name} ${JSON.stringify(t.usage[stuck.uuid])}`);
            }
            const numbers = during.map(t => t.tick);
            for (let i = 1; i < numbers.length; i++)
                assert.ok(numbers[i] > numbers[i - 1], `ticks ${numbers}`);
            for (let i = 1; i < w.tickOrder.length; i++)
                assert.ok(w.tickOrder[i] >= w.tickOrder[i - 1], `ticks went backwards: ${w.tickOrder}`);

            // The VM list is intact: one snapshot, the connection stayed connected, both VMs listed and running.
            assert.deepEqual(w.connections.filter(s => s !== "connecting"), ["connected"], `connection states ${w.connections}`);
            assert.equal(w.resets, 1);
            for (const g of [stuck, burner, idle])
                assert.equal(w.vms[g.uuid]?.state, "running", `${g.name} in the list: ${JSON.stringify(w.vms[g.uuid])?.slice(0, 200)}`);
        } finally {
            process.kill(pid, "SIGCONT");
            stoppedPid = null;
        }
        try {
            w.pump();
            const contAt = w.lastTick;
            await w.until(w => w.latest[stuck.uuid]?.tick > contAt && w.latest[stuck.uuid].usage?.responding === true,
                          60000, `${stuck.name} responding again after SIGCONT`);
            assertUsageShape(w.latest[stuck.uuid].usage, `${stuck.name} after SIGCONT`);
            assert.deepEqual(w.connections.filter(s => s !== "connecting"), ["connected"], `connection states ${w.connections}`);
            assert.equal(w.resets, 1);
        } finally {
            await w.close();
        }
    });
});
