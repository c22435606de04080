// SPDX-License-Identifier: LGPL-2.1-or-later
// A remote host that drops mid-snapshot (issue 18, bad input): a second libvirtd (tests/lib/second-host.sh) with
// 4,000 defined domains, so that the helper's listing of it takes a while, watched beside qemu:///system. The moment
// is taken from that libvirtd's own RPC log (one debug line per call it dispatches, `proc=14` being
// virDomainGetXMLDesc): once a couple of hundred XML reads were served, the daemon is stopped (SIGSTOP), which
// freezes the listing half way; the test checks that it is (fewer reads than domains, not one row of that host
// sent) and then SIGKILLs the daemon, or aborts the helper's TCP connection to it (`ss -K`) and lets it go on.
// The watch of that host stays open and says why by codes (`unreachable`/`reconnecting`, `port-closed`), sends no
// half or duplicate rows, and resyncs exactly once when the host is back; the local watch keeps getting its VMs'
// changes meanwhile; the helper is the same process throughout and its memory does not grow with each drop. Once
// mid-initial-snapshot and twice mid-resync with SIGKILL (one bridge); with the cut (the other bridge), once while
// the snapshot is being sent (held by the flow-control window) and once mid-resync.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { closeSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { Bridge, bridgeNames, processAlive } from "../harness/bridge.mjs";
import { GUESTS_DIR, REPO, URI, ensureLibvirtd } from "../harness/libvirt.mjs";

const NAME = "cvtest-hostdrop";
const ADDRESS = "127.0.0.21";
const HOST_URI = `qemu+tcp://${ADDRESS}/system`;
const HOST_DIR = `/run/cvtest-hosts/${NAME}`;
const RPC_LOG = path.join(HOST_DIR, "log/rpc.log");
/** Domains on the dropping host: its listing takes about a second. */
const DOMAINS = 4000;
/** XML reads served before the listing is frozen: it has surely begun. */
const FREEZE_AFTER = 200;

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

/** Runs a program to its end, killed after `timeoutMs`; resolves with stdout. */
function run(file, args, timeoutMs) {
    return new Promise((resolve, reject) => {
        execFile(file, args, { timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 16 << 20 }, (err, out, stderr) =>
            err ? reject(new Error(`${path.basename(file)} ${args.join(" ")}: ${stderr.trim() || err.message}`))
                : resolve(out));
    });
}

const hostScript = (...args) => run(path.join(REPO, "tests/lib/second-host.sh"), args, 90000);
const hostLibvirtd = action => run(path.join(REPO, "tests/lib/host-libvirtd.sh"), [action, NAME], 90000);
const virsh = (...args) => run("virsh", ["-q", "-c", URI, ...args], 30000);

async function waitUntil(what, check, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
        if (Date.now() > deadline)
            throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
        await sleep(5);
    }
}

function libvirtdPid() {
    const pid = Number(readFileSync(path.join(HOST_DIR, "libvirtd.pid"), "utf8"));
    assert.ok(pid > 1 && processAlive(pid), `the host's libvirtd runs (${pid})`);
    return pid;
}

/** SIGKILL to the host's libvirtd; resolves once it is gone. */
async function killLibvirtd(pid) {
    process.kill(pid, "SIGKILL");
    await waitUntil(`libvirtd ${pid} is gone`, () => !processAlive(pid), 10000);
}

function processState(pid) {
    try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2)[0];
    } catch {
        return null;
    }
}

/** Counts the XML reads the host's libvirtd dispatched since `mark()`. */
class RpcLog {
    constructor() {
        this.offset = 0;
        this.rest = "";
        this.reads = 0;
    }

    /** Reads what the daemon logged since the last look; returns the reads since `mark()`. */
    update() {
        let size;
        try {
            size = statSync(RPC_LOG).size;
        } catch {
            return this.reads;
        }
        if (size < this.offset)
            this.offset = 0;
        if (size > this.offset) {
            const buf = Buffer.alloc(size - this.offset);
            const fd = openSync(RPC_LOG, "r");
            try {
                readSync(fd, buf, 0, buf.length, this.offset);
            } finally {
                closeSync(fd);
            }
            this.offset = size;
            const lines = (this.rest + buf.toString("latin1")).split("\n");
            this.rest = lines.pop();
            this.reads += lines.filter(line => / proc=14$/.test(line)).length;
        }
        return this.reads;
    }

    mark() {
        this.update();
        this.reads = 0;
    }
}

/** The channel's messages from index `from` on that carry VM rows or start a snapshot. */
function rowsSince(b, channel, from) {
    return b.history(channel).slice(from).filter(m => m.data?.reset || m.data?.vms || m.data?.synced);
}

function assertOpen(b, channel, what) {
    assert.equal(b.history(channel).find(m => m.command === "close"), undefined, `${what}: the watch stays open`);
}

/**
 * Waits until the helper's listing of the host has served FREEZE_AFTER XML reads, then stops the daemon there and
 * proves the moment: fewer reads than domains, and the watch has sent no row since `from`. Resolves with the
 * number of reads.
 */
async function freezeMidListing(b, channel, log, pid, from) {
    const deadline = Date.now() + 40000;
    while (log.update() < FREEZE_AFTER) {
        assert.ok(Date.now() < deadline, `no listing of the host began within 40 s (${log.reads} XML reads)`);
        assertOpen(b, channel, "before the listing");
        await sleep(2);
    }
    process.kill(pid, "SIGSTOP");
    await waitUntil("libvirtd is stopped", () => processState(pid) === "T", 5000);
    const reads = log.update();
    assert.ok(reads < DOMAINS, `the listing was still under way when the host was stopped (${reads} of ${DOMAINS})`);
    assert.deepEqual(rowsSince(b, channel, from), [], "no row of an unfinished listing was sent");
    // What follows is the drop's outcome, not an earlier attempt's.
    b.drain(channel);
    return reads;
}

/** Follows `channel` until `check` holds, failing on a close; returns that message. */
function until(b, channel, what, check, timeoutMs) {
    return b.next(channel, m => {
        assert.notEqual(m.command, "close", `the watch closed while waiting ${what}: ${m.text}`);
        return check(m);
    }, timeoutMs).catch(e => { throw new Error(`nothing ${what}: ${e.message}`) });
}

/**
 * Waits for the next complete snapshot on `channel` and checks it is whole: from history index `from` to that
 * `synced`, one reset first, every domain exactly once and nothing else. Returns the index after the `synced`.
 */
async function wholeSnapshot(b, channel, from, timeoutMs) {
    const synced = await until(b, channel, "for the resync", m => m.data?.synced, timeoutMs);
    const end = b.history(channel).indexOf(synced) + 1;
    const messages = b.history(channel).slice(from, end).filter(m => m.data?.reset || m.data?.vms || m.data?.synced);
    assert.equal(messages.filter(m => m.data.reset).length, 1, "one reset");
    assert.ok(messages[0].data.reset, "the reset comes first");
    const ids = messages.flatMap(m => Object.keys(m.data.vms ?? {}));
    assert.equal(ids.length, DOMAINS, "every row once");
    assert.equal(new Set(ids).size, DOMAINS, "no row twice");
    const names = new Set(messages.flatMap(m => Object.values(m.data.vms ?? {}).map(vm => vm.name)));
    assert.equal(names.size, DOMAINS);
    assert.ok([...names].every(n => /^cvtest-drop-\d{5}$/.test(n)), "only the host's own domains");
    return end;
}

/** Resolves once `channel` has had no message for half a second (at most 20 s). */
async function quiet(b, channel) {
    const deadline = Date.now() + 20000;
    for (let n = -1; n !== b.history(channel).length;) {
        assert.ok(Date.now() < deadline, "the channel never went quiet");
        n = b.history(channel).length;
        await sleep(500);
    }
}

/** Resident and peak memory of the helper, in KiB. */
function memory(pid) {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const field = name => Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, "m"))?.[1]);
    return { rss: field("VmRSS"), peak: field("VmHWM") };
}

function domainXml(name, uuid, { memoryKiB = 65536, description = "" } = {}) {
    return `<domain type='qemu'><name>${name}</name><uuid>${uuid}</uuid><description>${description}</description>` +
        `<memory unit='KiB'>${memoryKiB}</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os>` +
        "</domain>\n";
}

/** Makes each of the host's rows big enough that its whole snapshot is well over the 2 MiB flow-control window. */
const FILLER = "a domain of the host that drops ".repeat(20);

/** While the other host is down: a VM defined, changed and undefined on the local host, each seen by its watch. */
async function localCarriesOn(b, channel) {
    const name = `cvtest-drop-local-${randomUUID().slice(0, 6)}`;
    const uuid = randomUUID();
    const dir = path.join(GUESTS_DIR, name);
    mkdirSync(dir, { recursive: true });
    const xml = path.join(dir, "domain.xml");
    try {
        writeFileSync(xml, domainXml(name, uuid));
        await virsh("define", xml);
        await until(b, channel, "for the local VM", m => m.data?.vms?.[uuid]?.name === name, 15000);
        writeFileSync(xml, domainXml(name, uuid, { memoryKiB: 131072 }));
        await virsh("define", xml);
        await until(b, channel, "for the local VM's change", m => m.data?.vms?.[uuid]?.memory === 128 << 20, 15000);
        await virsh("undefine", name);
        await until(b, channel, "for the local VM's removal", m => m.data?.vms && m.data.vms[uuid] === null, 15000);
    } finally {
        await virsh("undefine", name).catch(() => {});
        rmSync(dir, { recursive: true, force: true });
    }
}

/** The helper's established TCP connection to the host, as `ss` names its local end. */
async function helperSocket(helper) {
    const out = await run("ss", ["-tnpH", "state", "established", "dst", `${ADDRESS}:16509`], 10000);
    const mine = out.split("\n").filter(line => line.includes(`pid=${helper},`));
    assert.equal(mine.length, 1, `one connection of the helper to the host:\n${out}`);
    // Recv-Q Send-Q Local Peer Process (no State column with a state filter)
    return mine[0].trim().split(/\s+/)[2];
}

/** Aborts the helper's TCP connection to the host on the helper's side (the peer gets a reset). */
async function cutConnection(helper) {
    const local = await helperSocket(helper);
    await run("ss", ["-K", "-tnH", "src", local, "dst", `${ADDRESS}:16509`], 10000);
}

describe("a host that drops mid-snapshot", () => {
    const rpc = new RpcLog();
    const measured = [];

    before(async () => {
        await ensureLibvirtd();
        await hostScript("stop", NAME);
        await hostScript("start", NAME, ADDRESS);
        // A fresh daemon with nothing to lose: killed, given the domains and an RPC log, started again.
        await killLibvirtd(libvirtdPid());
        const conf = path.join(HOST_DIR, "etc/libvirtd.conf");
        writeFileSync(conf, readFileSync(conf, "utf8").replace(/^log_outputs = .*$/m,
            'log_filters = "1:rpc.netserverprogram"\n' +
            'log_outputs = "1:file:/var/log/libvirt/rpc.log 3:file:/var/log/libvirt/libvirtd.log"'));
        for (let i = 0; i < DOMAINS; i++) {
            const name = `cvtest-drop-${String(i).padStart(5, "0")}`;
            writeFileSync(path.join(HOST_DIR, `etc/qemu/${name}.xml`), domainXml(name, randomUUID(), { description: FILLER }));
        }
        await hostLibvirtd("start");
        const listed = await run("virsh", ["-q", "-c", HOST_URI, "list", "--all", "--name"], 30000);
        assert.equal(listed.trim().split("\n").length, DOMAINS);
    });

    after(async () => {
        try {
            const pid = Number(readFileSync(path.join(HOST_DIR, "libvirtd.pid"), "utf8"));
            if (processState(pid) === "T")
                process.kill(pid, "SIGCONT");
        } catch {
            // never started
        }
        await hostScript("stop", NAME);
        console.log(`# host-drop measured: ${JSON.stringify(measured)}`);
    });

    const [first, second = first] = bridgeNames();

    test(`host_drop_killed_${first}: libvirtd SIGKILLed mid-snapshot and mid-resync`, async () => {
        const b = await Bridge.start(first);
        try {
            const local = await b.watch(URI);
            const [helper] = b.helperPids();
            assert.ok(helper, "the helper runs");
            const start = memory(helper);

            // 1. The first listing of the host, frozen half way and killed.
            rpc.mark();
            const remote = b.open({ payload: "virt1", op: "watch", uri: HOST_URI });
            let pid = libvirtdPid();
            const initialReads = await freezeMidListing(b, remote, rpc, pid, 0);
            await killLibvirtd(pid);
            const down = await until(b, remote, "for the host marked down",
                                     m => m.data?.connection?.reason === "port-closed", 20000);
            assert.equal(down.data.connection.state, "unreachable");
            const localSeen = b.history(local.channel).length;
            await localCarriesOn(b, local.channel);
            assert.deepEqual(b.history(local.channel).slice(localSeen).filter(m => m.data?.connection), [],
                             "the local connection's state did not change");
            assert.deepEqual(rowsSince(b, remote, 0), [], "no row of the host while it is down");
            const afterDrop = memory(helper);

            // Back: exactly one whole snapshot.
            let from = b.history(remote).length;
            await hostLibvirtd("start");
            await wholeSnapshot(b, remote, from, 40000);
            const synced = memory(helper);

            // 2. Twice, a resync: the connection lost, the host back, its relisting frozen half way and killed, the
            // host back again. The second round shows what each drop leaves behind in memory.
            const resyncReads = [];
            const resynced = [];
            for (let round = 0; round < 2; round++) {
                await killLibvirtd(libvirtdPid());
                await until(b, remote, "for the lost connection",
                            m => m.data?.connection && m.data.connection.state !== "connected", 20000);
                from = b.history(remote).length;
                rpc.mark();
                await hostLibvirtd("start");
                pid = libvirtdPid();
                resyncReads.push(await freezeMidListing(b, remote, rpc, pid, from));
                await killLibvirtd(pid);
                const again = await until(b, remote, "for the host marked down again",
                                          m => m.data?.connection?.reason === "port-closed", 20000);
                // `reconnecting` for the first five attempts after it was connected, then `unreachable`.
                assert.match(again.data.connection.state, /^(reconnecting|unreachable)$/);
                assert.deepEqual(rowsSince(b, remote, from), [], "the rows it had are kept, nothing half sent");

                await hostLibvirtd("start");
                from = await wholeSnapshot(b, remote, from, 40000);
                // Exactly once: nothing more follows.
                await sleep(1500);
                assert.deepEqual(rowsSince(b, remote, from), [], "one resync only");
                resynced.push(memory(helper));
            }

            assertOpen(b, local.channel, "local");
            assertOpen(b, remote, "remote");
            assert.deepEqual(b.helperPids(), [helper], "the same helper throughout");
            measured.push({ bridge: first, initialReads, resyncReads, kib: { start, afterDrop, synced, resynced } });
            // The second whole listing raises the high-water mark once (the old table and the new listing are held
            // together); from then on a dropped listing and a resync leave nothing behind (measured: +0.1 MiB each).
            const [once, twice] = resynced;
            assert.ok(twice.rss - once.rss < 8 << 10, `RSS ${once.rss} → ${twice.rss} KiB over one more drop`);
        } finally {
            await b.closeBridge();
        }
    });

    test(`host_drop_cut_${second}: the TCP connection cut while the snapshot is sent, and mid-resync`, async () => {
        const b = await Bridge.start(second);
        try {
            const local = await b.watch(URI);
            const [helper] = b.helperPids();
            const start = memory(helper);
            const localSeen = b.history(local.channel).length;

            // The snapshot is held half sent: the "browser" answers no ping, so the helper stops at its window.
            b.autoPong = false;
            const remote = b.open({ payload: "virt1", op: "watch", uri: HOST_URI });
            await until(b, remote, "for the snapshot", m => m.data?.reset, 40000);
            await quiet(b, remote);
            const held = rowsSince(b, remote, 0);
            assert.ok(!held.some(m => m.data.synced) && held.some(m => m.data.vms),
                      `the snapshot is held half sent (${held.length} messages)`);

            // Now the connection is cut: the hub relists at once, and that relisting is frozen half way and cut too.
            const from = b.history(remote).length;
            rpc.mark();
            await cutConnection(helper);
            const pid = libvirtdPid();
            const resyncReads = await freezeMidListing(b, remote, rpc, pid, from);
            await cutConnection(helper);
            process.kill(pid, "SIGCONT");

            // The browser reads again: the held snapshot ends whole, the state follows, and the host answers again
            // at the hub's next attempt: exactly one more whole snapshot.
            for (const ping of b.history(remote).filter(m => m.command === "ping"))
                b.control({ command: "pong", channel: remote, sequence: ping.control.sequence });
            b.autoPong = true;
            const resumed = await wholeSnapshot(b, remote, 0, 20000);
            await until(b, remote, "for the lost connection", m => m.data?.connection?.state === "reconnecting", 20000);
            const after = await wholeSnapshot(b, remote, resumed, 40000);
            await sleep(1500);
            assert.deepEqual(rowsSince(b, remote, after), [], "one resync only");

            assertOpen(b, local.channel, "local");
            assert.deepEqual(b.history(local.channel).slice(localSeen).filter(m => m.data?.connection), [],
                             "the local connection's state did not change");
            assert.deepEqual(b.helperPids(), [helper], "the same helper throughout");
            const end = memory(helper);
            measured.push({ bridge: second, heldMessages: held.length, resyncReads, kib: { start, end } });
            assert.ok(end.peak - start.rss < 64 << 10, `peak RSS ${end.peak} KiB (from ${start.rss})`);
        } finally {
            b.autoPong = true;
            await b.closeBridge();
        }
    });
});
