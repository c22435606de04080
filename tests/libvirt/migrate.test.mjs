// SPDX-License-Identifier: LGPL-2.1-or-later
// op `migrate` (docs/api.md) between the suite's libvirtd and a second libvirtd on this machine
// (tests/harness/second-host.mjs): running tiny guests move and keep running (their uptime goes on, their serial
// console answers on the destination) with shared and with copied storage; progress and cancel; each failure
// has its reason code; auto-converge throttling a guest that dirties memory faster than it is sent, and post-copy
// finishing its migration (libvirt's own post-copy events on the source); a shut-off VM's definition copied and
// moved (offline); incremental storage copy onto a destination holding the backing image, then on to a third host
// through qemu+ssh. Through both bridges.

import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { Bridge } from "../harness/bridge.mjs";
import {
    READY, URI, cleanupTestObjects, defineTinyGuest, domState, ensureLibvirtd, guestDir, removeGuest,
    tinyGuestXml, virsh, waitFor, waitForSerial,
} from "../harness/libvirt.mjs";
import { startSecondHost } from "../harness/second-host.mjs";
import { startSshTestHost } from "../harness/sshd.mjs";

const BOOT_MS = 90000;
// The source's own /var/lib/libvirt/images: a different directory on the second host (copied storage).
const IMAGES = "/var/lib/libvirt/images";

let host;

/** Opens op `migrate` (from the machine's libvirtd unless `options.uri` says otherwise) and collects its messages up to the close. */
async function migrate(b, vm, destination, options = {}, { timeoutMs = 120000, onProgress } = {}) {
    const channel = b.open({ payload: "virt1", op: "migrate", uri: URI, vm, destination, ...options });
    const messages = await b.collect(channel, m => {
        if (m.data?.progress?.phase === "migrating")
            onProgress?.(channel, m.data.progress);
        return m.command === "close";
    }, timeoutMs);
    const close = messages.at(-1).control;
    return {
        close,
        progress: messages.filter(m => m.data?.progress).map(m => m.data.progress),
        results: messages.filter(m => !m.command && !m.data?.progress).map(m => m.data),
        trail: messages.map(m => m.text?.slice(0, 300)).join("\n"),
    };
}

/** The guest's uptime in seconds, read by typing into its serial console through op `console` on `uri`. */
async function uptime(b, uri, vm) {
    const ch = b.open({ payload: "virt1", op: "console", uri, vm, kind: "serial", binary: "raw", force: true });
    await b.next(ch, m => m.command === "ready", 20000);
    let text = "";
    b.send(ch, "\rcat /proc/uptime\r");
    await b.next(ch, m => {
        if (m.command === "close")
            throw new Error(`console closed: ${m.text}`);
        text += m.raw.toString("latin1");
        return /(\d+\.\d\d) \d+\.\d\d/.test(text);
    }, 20000);
    b.close(ch);
    return Number(text.match(/(\d+\.\d\d) \d+\.\d\d/)[1]);
}

/** A running tiny guest whose one disk is a new file in the source's /var/lib/libvirt/images. */
async function guestWithLocalDisk(name) {
    const guest = await guestDir();
    const full = `cvtest-${name}-${randomUUID().slice(0, 6)}`;
    const disk = path.join(IMAGES, `${full}.qcow2`);
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", disk, "32M"]);
    chmodSync(disk, 0o644);
    const dir = path.join("/tmp/cvtest-guests", full);
    const g = { name: full, uuid: randomUUID(), dir, disks: [disk], serialLog: path.join(dir, "serial.log") };
    await defineAndStart(g, guest, [disk]);
    return g;
}

/** Defines and starts the tiny guest `g` (name, uuid, dir, serialLog) with `disks`, its XML kept in g.dir. */
async function defineAndStart(g, guest, disks) {
    execFileSync("mkdir", ["-p", "-m", "0755", g.dir]);
    g.xmlPath = path.join(g.dir, "domain.xml");
    writeFileSync(g.xmlPath, tinyGuestXml({
        name: g.name, uuid: g.uuid, kernel: path.join(guest, "vmlinuz"), initrd: path.join(guest, "initrd.img"),
        serialLog: g.serialLog, disks,
    }));
    await virsh("define", g.xmlPath);
    await virsh("start", g.name);
}

/** Types a command line into the guest's serial console through op `console`, until the shell echoes `echo`. */
async function serialType(b, uri, vm, line, echo) {
    const ch = b.open({ payload: "virt1", op: "console", uri, vm, kind: "serial", binary: "raw", force: true });
    await b.next(ch, m => m.command === "ready", 20000);
    let text = "";
    b.send(ch, `\r${line}\r`);
    await b.next(ch, m => {
        text += m.raw?.toString("latin1") ?? "";
        return text.includes(echo);
    }, 20000);
    b.close(ch);
}

/** `virsh event --loop` on the source for one domain: its lifecycle events, as text, until stop(). */
function lifecycleEvents(name) {
    const child = spawn("virsh", ["-c", URI, "event", "--domain", name, "--event", "lifecycle", "--loop"]);
    let text = "";
    child.stdout.on("data", d => { text += d });
    return { text: () => text, stop: () => child.kill() };
}

async function removeEverywhere(g) {
    await host?.virsh("destroy", g.name).catch(() => {});
    await host?.virsh("undefine", g.name).catch(() => {});
    await removeGuest(g);
    for (const disk of g.disks.filter(d => d.startsWith(IMAGES)))
        rmSync(disk, { force: true });
}

/**
 * Whether the running QEMU of domain `name` (on this machine's libvirtd) can make a userfaultfd, which post-copy
 * needs: any process can when vm.unprivileged_userfaultfd is 1; otherwise only through /dev/userfaultfd, if QEMU's
 * user and groups may open it. Tried as that user, since libvirt runs QEMU as its own user on most hosts.
 */
function qemuCanMakeUserfaultfd(name) {
    const pid = readFileSync(`/run/libvirt/qemu/${name}.pid`, "utf8").trim();
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const field = key => new RegExp(`^${key}:\\s+([^\\n]*)$`, "m").exec(status)[1].trim().split(/\s+/);
    const groups = field("Groups").filter(Boolean);
    // 323: userfaultfd(2) on x86_64, the only architecture the suite runs on
    const tryIt = "import ctypes, os, sys\n" +
        "try:\n    os.close(os.open('/dev/userfaultfd', os.O_RDWR)); sys.exit(0)\nexcept OSError:\n    pass\n" +
        "sys.exit(0 if ctypes.CDLL(None, use_errno=True).syscall(323, os.O_CLOEXEC) >= 0 else 1)\n";
    try {
        execFileSync("setpriv", [`--reuid=${field("Uid")[0]}`, `--regid=${field("Gid")[0]}`,
            groups.length ? `--groups=${groups.join(",")}` : "--clear-groups", "/usr/bin/python3", "-c", tryIt],
        { stdio: "ignore" });
        return true;
    } catch {
        return false;
    }
}

// One migration at a time: once, a cancelled incoming migration while another migration was being prepared left
// the second libvirtd refusing every connection (not understood yet). Each test has a deadline so that the
// second host is always removed.
// The file's bound: converge_postcopy_337 alone has taken 250 s in some whole-suite runs (26–33 s in others and alone),
// and the other tests take ~65 s; run-all bounds each file at 480 s.
describe("migrate to a second libvirtd", { concurrency: false, timeout: 450000 }, () => {
    before(async () => {
        await ensureLibvirtd();
        await guestDir();
        await cleanupTestObjects();
        host = await startSecondHost();
    });
    after(async () => {
        await host?.stop();
        await cleanupTestObjects();
    });

    test("failures_each_bridge: every cause has its code before anything moves", { timeout: 120000 }, async () => {
        // A host whose libvirtd refuses every login.
        const locked = await startSecondHost({ name: "cvtest-host3", address: "127.0.0.3", auth: "sasl" });
        try {
            await failures(locked);
        } finally {
            await locked.stop();
        }
    });

    async function failures(locked) {
        for (const name of ["337", "287"]) {
            const b = await Bridge.start(name);
            try {
                const vm = randomUUID(); // looked up only once the destination answers
                const cases = [
                    // Nothing listens on that port (as with a stopped libvirtd).
                    ["qemu+tcp://127.0.0.2:1/system", "internal-error", "port-closed"],
                    ["qemu+tcp://cvtest-no-such-host.invalid/system", "internal-error", "host-unreachable"],
                    [locked.uri, "access-denied", "auth-failed"],
                    // The destination answers; the VM does not exist.
                    [host.uri, "not-found", undefined],
                ];
                for (const [destination, problem, reason] of cases) {
                    const r = await migrate(b, vm, destination);
                    assert.equal(r.close.problem, problem, `${name} ${destination}:\n${r.trail}`);
                    assert.equal(r.close.reason, reason, `${name} ${destination}:\n${r.trail}`);
                    assert.ok(r.close.message, r.trail);
                }
                for (const destination of ["qemu+ext:///system?command=/bin/sh", "qemu+tcp://h/system?socket=/x"]) {
                    const r = await migrate(b, vm, destination);
                    assert.equal(r.close.problem, "protocol-error", r.trail);
                    assert.match(r.close.message, /field "destination": the libvirt URI is refused/);
                }
                for (const [destination, options] of [["qemu:///system", {}], [host.uri, { bandwidth_mib: 0 }]]) {
                    const r = await migrate(b, vm, destination, options);
                    assert.equal(r.close.problem, "invalid-argument", r.trail);
                }
            } finally {
                await b.closeBridge();
            }
        }
    }

    test("offline_each_bridge: a shut-off VM's definition is copied (kept here), then moved; storage copy refused", { timeout: 60000 }, async () => {
        // No QEMU runs: only the definition moves (VIR_MIGRATE_OFFLINE | VIR_MIGRATE_PERSIST_DEST).
        const g = await defineTinyGuest("mig-off", { disks: ["32M"] });
        const [b337, b287] = await Promise.all([Bridge.start("337"), Bridge.start("287")]);
        try {
            const source = await virsh("dumpxml", "--inactive", g.name);
            let r = await migrate(b337, g.uuid, host.uri, { storage: "copy-full" });
            assert.equal(r.close.problem, "invalid-argument", r.trail);
            await assert.rejects(host.virsh("domstate", g.name));

            r = await migrate(b337, g.uuid, host.uri);
            assert.equal(r.close.problem, undefined, r.trail);
            assert.deepEqual(r.results.at(-1), { vm: { id: g.uuid, name: g.name }, destination: host.uri });
            assert.equal((await host.virsh("domstate", g.name)).trim(), "shut off");
            const there = await host.virsh("dominfo", g.name);
            assert.match(there, /Persistent:\s+yes/);
            assert.match(there, new RegExp(`UUID:\\s+${g.uuid}`));
            assert.match(await host.virsh("dumpxml", "--inactive", g.name), new RegExp(`<source file='${g.disks[0]}'`));
            assert.equal(await virsh("dumpxml", "--inactive", g.name), source, "the source keeps its definition as it was");

            await host.virsh("undefine", g.name);
            r = await migrate(b287, g.uuid, host.uri, { undefine_source: true });
            assert.equal(r.close.problem, undefined, r.trail);
            assert.match(await host.virsh("dominfo", g.name), /Persistent:\s+yes/);
            await assert.rejects(virsh("domstate", g.name), /failed to get domain|not found/);
        } finally {
            await Promise.all([b337.closeBridge(), b287.closeBridge()]);
            await removeEverywhere(g);
        }
    });

    test("shared_337: refused as not shared, cancelled, then live with unsafe; keeps running", { timeout: 120000 }, async () => {
        const b = await Bridge.start("337");
        const g = await defineTinyGuest("mig-shared", { disks: ["32M"], running: true });
        try {
            await waitForSerial(g, READY, BOOT_MS);
            const before = await uptime(b, URI, g.uuid);

            // /tmp is a local file system: libvirt cannot know the other host sees the same file.
            let r = await migrate(b, g.uuid, host.uri);
            assert.equal(r.close.reason, "storage-not-shared", r.trail);
            assert.equal(r.close.problem, "invalid-argument", r.trail);
            assert.equal(await domState(g.name), "running");

            // 1 MiB/s for 128 MiB of memory: cancel after the first progress message.
            let cancelled = false;
            r = await migrate(b, g.uuid, host.uri, { unsafe: true, bandwidth_mib: 1 }, {
                onProgress: (channel, progress) => {
                    if (!cancelled && progress.data_total > 0) {
                        cancelled = true;
                        b.send(channel, { cancel: true });
                    }
                },
            });
            assert.ok(cancelled, `no progress with data_total:\n${r.trail}`);
            assert.equal(r.close.problem, "terminated", r.trail);
            assert.equal(r.progress[0].phase, "connecting");
            assert.equal(await domState(g.name), "running");
            await assert.rejects(host.virsh("domstate", g.name));

            r = await migrate(b, g.uuid, host.uri, { unsafe: true });
            assert.equal(r.close.problem, undefined, r.trail);
            assert.deepEqual(r.results.at(-1), { vm: { id: g.uuid, name: g.name }, destination: host.uri });
            // Unlimited, 128 MiB may move between two job-statistics readings: progress is proven above.
            assert.equal(r.progress[0].phase, "connecting", r.trail);
            assert.equal((await host.virsh("domstate", g.name)).trim(), "running");
            // Kept defined on both: persistent there, shut off here.
            assert.match(await host.virsh("dominfo", g.name), /Persistent:\s+yes/);
            assert.equal(await domState(g.name), "shut off");

            const afterwards = await uptime(b, host.uri, g.uuid);
            assert.ok(afterwards > before, `uptime ${before} s before, ${afterwards} s after: the guest restarted`);
        } finally {
            await b.closeBridge();
            await removeEverywhere(g);
        }
    });

    test("copy_287: no pool there, then copied storage, undefined here; keeps running", { timeout: 120000 }, async () => {
        const b = await Bridge.start("287");
        const g = await guestWithLocalDisk("mig-copy");
        try {
            await waitForSerial(g, READY, BOOT_MS);
            const before = await uptime(b, URI, g.uuid);
            const pool = `cvtest-images-${randomUUID().slice(0, 6)}`;

            let r = await migrate(b, g.uuid, host.uri, { storage: "copy-full" });
            assert.equal(r.close.reason, "no-such-pool", r.trail);
            assert.equal(await domState(g.name), "running");

            await host.virsh("pool-define-as", pool, "dir", "--target", IMAGES);
            await host.virsh("pool-start", pool);
            try {
                // 20 MiB/s: the ~100 MiB of memory the guest touched takes seconds, so progress is read meanwhile.
                r = await migrate(b, g.uuid, host.uri, { storage: "copy-full", undefine_source: true, bandwidth_mib: 20 });
                assert.equal(r.close.problem, undefined, r.trail);
                assert.ok(r.progress.some(p => p.disk_total > 0), `no disk progress:\n${r.trail}`);
                assert.equal((await host.virsh("domstate", g.name)).trim(), "running");
                await assert.rejects(virsh("domstate", g.name), /failed to get domain|not found/);
                // The copy is the second host's own file; the source's stays where it was.
                const copy = path.join(host.imagesDir, path.basename(g.disks[0]));
                assert.ok(existsSync(copy) && statSync(copy).size > 0, `${copy} missing`);
                assert.ok(existsSync(g.disks[0]));

                const afterwards = await uptime(b, host.uri, g.uuid);
                assert.ok(afterwards > before, `uptime ${before} s before, ${afterwards} s after: the guest restarted`);
            } finally {
                await host.virsh("destroy", g.name).catch(() => {});
                await host.virsh("pool-destroy", pool).catch(() => {});
                await host.virsh("pool-undefine", pool).catch(() => {});
            }
        } finally {
            await b.closeBridge();
            await removeEverywhere(g);
        }
    });

    // One guest, two hops: here → the second host with incremental storage copy (the destination already holds the
    // backing image and an empty overlay, so only the overlay's data moves), then from there → a third host through
    // qemu+ssh (an sshd in that host's namespaces; the helper runs as a throw-away user with its own key and
    // known_hosts), copying the storage whole.
    // Its own bounds (boot 60 s, migrations 45 s each, consoles 20 s each, all steps 200 s) fire before the test's; a
    // failure names its steps and their times and carries the second host's libvirtd errors.
    test("incremental_ssh: incremental storage copy, then on through qemu+ssh; keeps running", { timeout: 240000 }, async () => {
        const guest = await guestDir();
        const full = `cvtest-mig-inc-${randomUUID().slice(0, 6)}`;
        const base = path.join(IMAGES, `${full}-base.qcow2`);
        const top = path.join(IMAGES, `${full}.qcow2`);
        const dir = path.join("/tmp/cvtest-guests", full);
        const g = { name: full, uuid: randomUUID(), dir, disks: [top, base], serialLog: path.join(dir, "serial.log") };
        const qemuIo = (file, cmd) => execFileSync("qemu-io", ["-f", "qcow2", "-c", cmd, file], { timeout: 20000 });
        execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", base, "32M"]);
        qemuIo(base, "write -P 0xa5 0 1M");
        execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", base, top]);
        qemuIo(top, "write -P 0x5a 1M 1M");
        for (const f of [base, top])
            chmodSync(f, 0o644);
        await defineAndStart(g, guest, [top]);

        // The destination's own copy of the backing image, and an empty overlay on it at the same path.
        const thereBase = path.join(host.imagesDir, path.basename(base));
        execFileSync("cp", [base, thereBase]);
        execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", "-F", "qcow2", "-u", "-b", base,
                                  path.join(host.imagesDir, path.basename(top)), "32M"]);
        for (const f of [thereBase, path.join(host.imagesDir, path.basename(top))])
            chmodSync(f, 0o644);

        const b = await Bridge.start("287");
        let ssh = null;
        const pool = `cvtest-images-${randomUUID().slice(0, 6)}`;
        const started = Date.now();
        const steps = [];
        const step = what => {
            steps.push(`${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`);
            // also as it happens: a step that hangs the clean-up too would otherwise leave only the runner's timeout
            console.error(`incremental_ssh: ${steps.at(-1)}`);
        };
        let timer;
        const stuck = new Promise((resolve, reject) => {
            timer = setTimeout(() => reject(new Error(`stuck after 200 s:\n${steps.join("\n")}`)), 200000);
        });
        const run = async () => {
            step("boot");
            await waitForSerial(g, READY, 60000);
            step("uptime here");
            const before = await uptime(b, URI, g.uuid);
            step("incremental migration");
            let r = await migrate(b, g.uuid, host.uri, { storage: "copy-incremental" }, { timeoutMs: 45000 });
            assert.equal(r.close.problem, undefined, r.trail);
            assert.equal((await host.virsh("domstate", g.name)).trim(), "running");
            // On the destination, the overlay holds the overlay's data and the base's data stays below it.
            step("qemu-img map there");
            const map = JSON.parse(await host.exec("qemu-img", "map", "-U", "--output=json", top));
            const at = offset => map.find(e => e.start <= offset && offset < e.start + e.length);
            assert.deepEqual([at(0)?.depth, at(0)?.data], [1, true], `the base's data is not copied: ${JSON.stringify(map)}`);
            assert.deepEqual([at(1 << 20)?.depth, at(1 << 20)?.data], [0, true], `the overlay's data: ${JSON.stringify(map)}`);
            step("uptime there");
            assert.ok(await uptime(b, host.uri, g.uuid) > before, "the guest did not restart");

            step("ssh host");
            ssh = await startSshTestHost({ name: "cvtest-migssh", address: "127.0.0.7", port: 2222, userName: "cvtest-miguser" });
            writeFileSync(ssh.knownHosts, `[127.0.0.7]:2222 ${ssh.sshd.hostKey().split(" ").slice(0, 2).join(" ")}\n`);
            chownSync(ssh.knownHosts, ssh.user.uid, ssh.user.gid);
            await ssh.host.virsh("pool-define-as", pool, "dir", "--target", IMAGES);
            await ssh.host.virsh("pool-start", pool);
            const asUser = await Bridge.start("337", { user: ssh.user, env: { SSH_AUTH_SOCK: "" } });
            try {
                step("migration through ssh");
                const destination = ssh.uriWith(ssh.goodKey);
                r = await migrate(asUser, g.uuid, destination, { uri: host.uri, storage: "copy-full", undefine_source: true },
                                  { timeoutMs: 45000 });
                assert.equal(r.close.problem, undefined, r.trail);
                assert.deepEqual(r.results.at(-1), { vm: { id: g.uuid, name: g.name }, destination });
                assert.equal((await ssh.host.virsh("domstate", g.name)).trim(), "running");
                await assert.rejects(host.virsh("domstate", g.name), /failed to get domain|not found/);
                step("uptime on the ssh host");
                const afterwards = await uptime(asUser, ssh.host.uri, g.uuid);
                assert.ok(afterwards > before, `uptime ${before} s before, ${afterwards} s after: the guest restarted`);
            } finally {
                await asUser.closeBridge();
            }
        };
        try {
            await Promise.race([run(), stuck]);
        } catch (err) {
            const log = await host.exec("tail", "-n", "30", "/var/log/libvirt/libvirtd.log").catch(e => e.message);
            err.message += `\nsteps:\n${steps.join("\n")}\n${host.name}'s libvirtd errors:\n${log}`;
            throw err;
        } finally {
            clearTimeout(timer);
            await b.closeBridge();
            if (ssh) {
                await ssh.host.virsh("destroy", g.name).catch(() => {});
                await ssh.host.virsh("pool-destroy", pool).catch(() => {});
                await ssh.stop();
            }
            await removeEverywhere(g);
        }
    });

    // Its own bounds (boot 90 s, three consoles 40 s each, two migrations 60 s each) fire before the test's, so a slow run
    // says which step was slow.
    test("converge_postcopy_337: auto-converge throttles a busy guest; post-copy moves it while it stays busy", { timeout: 340000 }, async t => {
        // Where a slow run spent its time, reported when it took over a minute (it passes, so no bound names it).
        const started = Date.now();
        const steps = [];
        const step = what => steps.push(`${what} at ${((Date.now() - started) / 1000).toFixed(1)} s`);
        const b = await Bridge.start("337");
        const g = await defineTinyGuest("mig-busy", { running: true });
        const events = lifecycleEvents(g.name);
        try {
            await waitForSerial(g, READY, BOOT_MS);
            step("booted");
            const before = await uptime(b, URI, g.uuid);
            // Copies 12 MiB of busybox (QEMU sends zero pages for nothing, so not /dev/zero) into dd's buffer over and
            // over: memory changes faster than 20 MiB/s can carry it.
            await serialType(b, URI, g.uuid, "for i in 1 2 3 4 5 6; do cat /bin/busybox; done > /run/cvsrc; " +
                             "(while :; do dd if=/run/cvsrc of=/dev/null bs=16M 2>/dev/null; done) &", "cvsrc");

            // Auto-converge: QEMU throttles the vCPUs once a pass cannot keep up (libvirt's auto_converge_throttle).
            let throttled = null;
            let r = await migrate(b, g.uuid, host.uri, { auto_converge: true, bandwidth_mib: 20 }, {
                timeoutMs: 60000,
                onProgress: (channel, progress) => {
                    if (!throttled && progress.throttle_percent > 0) {
                        throttled = progress;
                        b.send(channel, { cancel: true });
                    }
                },
            });
            step("auto-converge throttled and cancelled");
            assert.ok(throttled, `never throttled:\n${r.trail}`);
            assert.ok(throttled.iteration >= 2, JSON.stringify(throttled));
            assert.equal(r.close.problem, "terminated", r.trail);
            assert.equal(await domState(g.name), "running");

            // Post-copy: the op switches once the first pass is done; the source pauses for post-copy (its own
            // lifecycle event), the guest runs on the destination while the rest of its memory follows.
            const canPostCopy = qemuCanMakeUserfaultfd(g.name);
            r = await migrate(b, g.uuid, host.uri, { post_copy: true, bandwidth_mib: 15 }, { timeoutMs: 60000 });
            if (!canPostCopy) {
                // QEMU refuses post-copy before anything moves; the helper passes its refusal on.
                assert.equal(r.close.problem, "internal-error", r.trail);
                assert.match(r.close.message, /Postcopy is not supported/, r.trail);
                assert.equal(await domState(g.name), "running");
                await assert.rejects(host.virsh("domstate", g.name), "defined on the destination");
                t.diagnostic("post-copy not tried: this host's QEMU cannot make a userfaultfd " +
                             "(vm.unprivileged_userfaultfd is 0 and its user cannot open /dev/userfaultfd); " +
                             "QEMU's refusal was passed on");
                return;
            }
            step("post-copy migrated");
            assert.equal(r.close.problem, undefined, r.trail);
            await waitFor(() => /Suspended Post-copy/.test(events.text()), 5000, { what: "the post-copy event" })
                .catch(() => assert.fail(`no post-copy event on the source:\n${events.text()}`));
            assert.ok(r.progress.some(p => p.phase === "post-copy"), `never switched to post-copy:\n${r.trail}`);
            const firstPostCopy = r.progress.findIndex(p => p.phase === "post-copy");
            assert.ok(r.progress.slice(1, firstPostCopy).some(p => p.iteration >= 2), r.trail);
            assert.equal((await host.virsh("domstate", g.name)).trim(), "running");
            assert.equal(await domState(g.name), "shut off");
            const afterwards = await uptime(b, host.uri, g.uuid);
            assert.ok(afterwards > before, `uptime ${before} s before, ${afterwards} s after: the guest restarted`);
            step("uptime read on the destination");
        } finally {
            events.stop();
            await b.closeBridge();
            await removeEverywhere(g);
            step("removed");
            if (Date.now() - started > 60000)
                t.diagnostic(`converge_postcopy_337 steps: ${steps.join(", ")}`);
        }
    });
});
