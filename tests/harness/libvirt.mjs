// SPDX-License-Identifier: LGPL-2.1-or-later
// libvirt side of the tests: virsh, tiny real guests (tests/lib/build-guest.sh) and cleanup.
// Tests create and touch only domains named cvtest-*; every file a guest uses lives in its own directory under
// $TMPDIR/cvtest-guests/, which cleanupTestObjects() removes together with the domains.

import { execFile, execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const URI = process.env.CVIRT_TEST_URI || "qemu:///system";
export const PREFIX = "cvtest-";
export const GUESTS_DIR = path.join(tmpdir(), "cvtest-guests");

// TCG's translation cache per guest. QEMU's own default is 1 GiB, which a few dozen guests on a small machine would
// exhaust; 32 MiB holds the tiny guest's kernel and busybox. libvirt reads it only inside <features>.
export const TB_CACHE_MIB = 32;
export const TCG_FEATURE = `<tcg><tb-cache unit='MiB'>${TB_CACHE_MIB}</tb-cache></tcg>`;

/** How long one virsh call may take: a libvirtd that stops answering fails the test instead of hanging the run. */
export const VIRSH_TIMEOUT_MS = 120000;

/** Runs `virsh -c URI args…`; resolves with stdout, rejects with an Error carrying stderr. */
export function virsh(...args) {
    return virshAt(URI, ...args);
}

export function virshAt(uri, ...args) {
    return new Promise((resolve, reject) => {
        const options = { maxBuffer: 64 << 20, timeout: VIRSH_TIMEOUT_MS, killSignal: "SIGKILL" };
        execFile("virsh", ["-q", "-c", uri, ...args], options, (err, stdout, stderr) => {
            if (err?.killed) {
                reject(new Error(`virsh ${args.join(" ")}: no answer from ${uri} in ${VIRSH_TIMEOUT_MS / 1000} s\n` +
                                 libvirtdThreads()));
            } else if (err) {
                const e = new Error(`virsh ${args.join(" ")}: ${stderr.trim() || err.message}`);
                e.stderr = stderr;
                reject(e);
            } else {
                resolve(stdout);
            }
        });
    });
}

/**
 * What the machine's libvirtd threads wait on (/proc/PID/task/*: name and wchan, counted), for a libvirtd that
 * stopped answering: a main thread ("libvirtd") in futex_wait while every worker is idle is a deadlock.
 */
export function libvirtdThreads() {
    let pid;
    try {
        pid = readFileSync("/run/libvirtd.pid", "utf8").trim();
    } catch {
        return "libvirtd: no /run/libvirtd.pid";
    }
    const counts = new Map();
    try {
        for (const task of readdirSync(`/proc/${pid}/task`)) {
            const read = f => { try { return readFileSync(`/proc/${pid}/task/${task}/${f}`, "utf8").trim() } catch { return "?" } };
            const key = `${read("comm")} in ${read("wchan")}`;
            counts.set(key, (counts.get(key) ?? 0) + 1);
        }
    } catch {
        return `libvirtd ${pid}: not running`;
    }
    return `libvirtd ${pid} threads: ` + [...counts].map(([k, n]) => `${n}× ${k}`).join(", ");
}

/**
 * Waits until libvirtd has read everything its clients sent: the receive queue of every connection on its
 * socket stays empty for `quietMs`. A helper killed while libvirtd still holds unprocessed stream data from it
 * can deadlock libvirt 11.3 (docs/architecture.md, "Streams and a client that dies"), so a test that SIGKILLs a
 * helper mid-upload first stops it (SIGSTOP) and waits for this.
 */
export async function libvirtdDrained(quietMs = 500, timeoutMs = 20000) {
    const pending = () => new Promise((resolve, reject) => {
        execFile("ss", ["-x", "-n", "-H", "src", "/run/libvirt/libvirt-sock"], { timeout: 10000 }, (err, stdout) => {
            if (err)
                reject(new Error(`ss: ${err.message}`));
            else
                resolve(stdout.split("\n").filter(Boolean).reduce((sum, line) => sum + Number(line.split(/\s+/)[2] || 0), 0));
        });
    });
    let quietSince = null;
    await waitFor(async () => {
        if (await pending() > 0)
            quietSince = null;
        else
            quietSince ??= Date.now();
        return quietSince !== null && Date.now() - quietSince >= quietMs;
    }, timeoutMs, { interval: 50, what: "libvirtd to read what its clients sent" });
}

/** "running", "paused", "shut off", …; null if the domain does not exist. */
export async function domState(name) {
    try {
        return (await virsh("domstate", name)).trim();
    } catch (e) {
        if (/failed to get domain|Domain not found/i.test(e.stderr ?? ""))
            return null;
        throw e;
    }
}

/** Like domState with libvirt's reason: "shut off (shutdown)", "running (booted)", … */
export async function domStateReason(name) {
    return (await virsh("domstate", "--reason", name)).trim();
}

export async function domExists(name) {
    return (await domState(name)) !== null;
}

/** The `virsh dominfo` table as an object ({Autostart: "enable", State: "running", …}). */
export async function domInfo(name) {
    const out = {};
    for (const line of (await virsh("dominfo", name)).split("\n")) {
        const m = line.match(/^([^:]+):\s*(.*)$/);
        if (m)
            out[m[1].trim()] = m[2].trim();
    }
    return out;
}

/** Polls `fn` until it returns something truthy (which is returned); throws after `timeoutMs`. */
export async function waitFor(fn, timeoutMs = 10000, { interval = 100, what } = {}) {
    const deadline = Date.now() + timeoutMs;
    let last;
    for (;;) {
        last = await fn();
        if (last)
            return last;
        if (Date.now() > deadline)
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${what ?? fn.toString()} (last: ${JSON.stringify(last)})`);
        await new Promise(resolve => setTimeout(resolve, interval));
    }
}

let libvirtdStarted = null;

/** Makes sure qemu:///system answers (tests/lib/libvirtd.sh start), once per process. */
export function ensureLibvirtd() {
    if (!libvirtdStarted) {
        libvirtdStarted = new Promise((resolve, reject) => {
            execFile(path.join(REPO, "tests/lib/libvirtd.sh"), ["start"], (err, _stdout, stderr) => {
                if (err)
                    reject(new Error(`tests/lib/libvirtd.sh start failed: ${stderr}`));
                else
                    resolve();
            });
        });
    }
    return libvirtdStarted;
}

let guestBuilt = null;

/** Builds the tiny guest once per process; resolves with its directory (vmlinuz, initrd.img). */
export function guestDir() {
    if (!guestBuilt) {
        guestBuilt = new Promise((resolve, reject) => {
            execFile(path.join(REPO, "tests/lib/build-guest.sh"), [], (err, stdout, stderr) => {
                if (err)
                    reject(new Error(`tests/lib/build-guest.sh failed: ${stderr}`));
                else
                    resolve(stdout.trim().split("\n").pop());
            });
        });
    }
    return guestBuilt;
}

/** True when KVM can really run guests: /dev/kvm exists and the CPU has vmx or svm. */
export function kvmWorks() {
    if (!existsSync("/dev/kvm"))
        return false;
    return /^flags\s*:.*\b(vmx|svm)\b/m.test(readFileSync("/proc/cpuinfo", "utf8"));
}

function xmlEscape(s) {
    return String(s).replace(/[<>&'"]/g, c => `&#${c.charCodeAt(0)};`);
}

/** The domain XML of a tiny guest. */
export function tinyGuestXml({ name, uuid, kernel, initrd, serialLog, disks = [], agent = false, memoryMiB = 128, balloon = true }) {
    const kvm = kvmWorks();
    const diskXml = disks.map((d, i) => `
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='${xmlEscape(d)}'/>
      <target dev='vd${String.fromCharCode(97 + i)}' bus='virtio'/>
    </disk>`).join("");
    return `<domain type='${kvm ? "kvm" : "qemu"}'>
  <name>${xmlEscape(name)}</name>
  <uuid>${uuid}</uuid>
  <memory unit='MiB'>${memoryMiB}</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>${xmlEscape(kernel)}</kernel>
    <initrd>${xmlEscape(initrd)}</initrd>
    <cmdline>console=tty0 console=ttyS0,115200 panic=-1 quiet</cmdline>
  </os>
  <features><acpi/><apic/>${kvm ? "" : TCG_FEATURE}</features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>${diskXml}
    <serial type='pty'><log file='${xmlEscape(serialLog)}' append='off'/><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>${agent ? `
    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>` : ""}
    <interface type='user'><model type='virtio'/><rom enabled='no'/></interface>
    <controller type='usb' model='none'/>
    <memballoon model='${balloon ? "virtio" : "none"}'/>
  </devices>
</domain>
`;
}

/**
 * Defines a persistent tiny guest named cvtest-<name>-<random>. `disks` are sizes for qemu-img ("64M"),
 * attached as vda, vdb, …; without `agent` there is no guest agent channel, so shutdown and reboot go through
 * ACPI; `balloon: false` leaves out the memory balloon (no stats need QEMU's monitor then). With `running` the guest is started (not waited for: use waitForSerial(g, READY)).
 * Resolves with { name, uuid, serialLog, disks: [paths], dir }.
 */
export async function defineTinyGuest(name, { disks = [], running = false, agent = false, memoryMiB = 128, balloon = true } = {}) {
    await ensureLibvirtd();
    const guest = await guestDir();
    const full = `${PREFIX}${name}-${randomUUID().slice(0, 6)}`;
    const dir = path.join(GUESTS_DIR, full);
    mkdirSync(dir, { recursive: true });
    // libvirt-qemu must reach the disk images (the serial log is written by virtlogd as root).
    chmodSync(GUESTS_DIR, 0o755);
    chmodSync(dir, 0o755);
    const diskPaths = [];
    for (const [i, size] of disks.entries()) {
        const p = path.join(dir, `disk${i}.qcow2`);
        execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", p, String(size)]);
        chmodSync(p, 0o644);
        diskPaths.push(p);
    }
    const uuid = randomUUID();
    const serialLog = path.join(dir, "serial.log");
    const xmlPath = path.join(dir, "domain.xml");
    const xml = tinyGuestXml({
        name: full, uuid, kernel: path.join(guest, "vmlinuz"), initrd: path.join(guest, "initrd.img"),
        serialLog, disks: diskPaths, agent, memoryMiB, balloon,
    });
    writeFileSync(xmlPath, xml);
    await virsh("define", xmlPath);
    const g = { name: full, uuid, serialLog, disks: diskPaths, dir, xmlPath };
    if (running)
        await virsh("start", full);
    return g;
}

/** The guest's serial log so far ("" before it exists). */
export function serialText(guest) {
    try {
        return readFileSync(guest.serialLog, "latin1");
    } catch {
        return "";
    }
}

export const READY = /TESTGUEST-READY ip=\S+ agent=(yes|no)/g;
export const SHUTDOWN = /TESTGUEST-SHUTDOWN/g;

/**
 * Waits until `regex` matches the serial log at least `count` times; resolves with the log text.
 * (The log is truncated on each start but accumulates across in-guest reboots: count markers.)
 */
export async function waitForSerial(guest, regex, timeoutMs = 60000, { count = 1 } = {}) {
    const re = new RegExp(regex.source, regex.flags.includes("g") ? regex.flags : regex.flags + "g");
    try {
        return await waitFor(() => {
            const text = serialText(guest);
            return (text.match(re)?.length ?? 0) >= count ? text : null;
        }, timeoutMs, { interval: 100, what: `${count}× ${re} in ${guest.name}'s serial log` });
    } catch (e) {
        e.message += `\nserial log tail:\n${serialText(guest).slice(-1500)}`;
        throw e;
    }
}

/** Number of matches of `regex` in the serial log now. */
export function serialCount(guest, regex) {
    const re = new RegExp(regex.source, regex.flags.includes("g") ? regex.flags : regex.flags + "g");
    return serialText(guest).match(re)?.length ?? 0;
}

/** Names of all domains starting with cvtest-. */
export async function testDomains() {
    return (await virsh("list", "--all", "--name")).split("\n").map(s => s.trim()).filter(s => s.startsWith(PREFIX));
}

/** Removes one guest made by defineTinyGuest (never anything else): its domain, NVRAM and directory. */
export async function removeGuest(g) {
    await virsh("destroy", g.name).catch(() => {});
    await virsh("undefine", "--nvram", g.name).catch(() => virsh("undefine", g.name).catch(() => {}));
    rmSync(g.dir, { recursive: true, force: true });
}

/**
 * Destroys and undefines every cvtest-* domain and removes the files defineTinyGuest created. Never touches other
 * domains or storage: disks are removed as the files of our own guest directories, not with --remove-all-storage.
 */
export async function cleanupTestObjects() {
    await ensureLibvirtd();
    const names = await testDomains();
    await Promise.all(names.map(async name => {
        await virsh("destroy", name).catch(() => {});
        await virsh("undefine", "--managed-save", "--snapshots-metadata", "--nvram", name)
            .catch(() => virsh("undefine", name).catch(() => {}));
    }));
    if (existsSync(GUESTS_DIR)) {
        for (const entry of readdirSync(GUESTS_DIR)) {
            if (entry.startsWith(PREFIX))
                rmSync(path.join(GUESTS_DIR, entry), { recursive: true, force: true });
        }
    }
    return names;
}

/** Pids of the QEMU processes running `name` (found by `guest=<name>,` on their command line). */
export function qemuPids(name) {
    return readdirSync("/proc").filter(p => /^\d+$/.test(p)).filter(p => {
        try {
            return readFileSync(`/proc/${p}/cmdline`, "utf8").includes(`guest=${name},`);
        } catch {
            return false;
        }
    }).map(Number);
}

/** The pid of the QEMU running `name`, or null. */
export function qemuPid(name) {
    return qemuPids(name)[0] ?? null;
}

/**
 * Runs `/bin/sh -c script` inside `guest` (which needs `agent: true` and a booted agent) through the guest
 * agent's guest-exec; resolves with the guest pid of that shell. Retries while the agent is not connected yet.
 */
export async function guestRun(guest, script, timeoutMs = 60000) {
    const cmd = JSON.stringify({ execute: "guest-exec", arguments: { path: "/bin/sh", arg: ["-c", script] } });
    const out = await waitFor(async () => {
        try {
            return await virsh("qemu-agent-command", guest.name, cmd);
        } catch (e) {
            if (/not connected|not responding|unable to execute QEMU agent/i.test(e.message))
                return null;
            throw e;
        }
    }, timeoutMs, { interval: 500, what: `the guest agent of ${guest.name}` });
    return JSON.parse(out).return.pid;
}

/** Stops and undefines every cvtest-* storage pool and network (never another one). Volumes stay as files. */
export async function cleanupTestResources() {
    await ensureLibvirtd();
    const names = async (...args) => (await virsh(...args).catch(() => "")).split("\n").map(s => s.trim())
            .filter(s => s.startsWith(PREFIX));
    for (const pool of await names("pool-list", "--all", "--name")) {
        await virsh("pool-destroy", pool).catch(() => {});
        await virsh("pool-undefine", pool).catch(() => {});
    }
    for (const net of await names("net-list", "--all", "--name")) {
        await virsh("net-destroy", net).catch(() => {});
        await virsh("net-undefine", net).catch(() => {});
    }
}

/** Runs a shell script in the guest through its agent and resolves with its stdout. */
export async function guestOutput(g, script, timeoutMs = 60000) {
    const exec = JSON.stringify({ execute: "guest-exec", arguments: { path: "/bin/sh", arg: ["-c", script], "capture-output": true } });
    const pid = await waitFor(async () => {
        try {
            return JSON.parse(await virsh("qemu-agent-command", g.name, exec)).return.pid;
        } catch (e) {
            if (/not connected|not responding|unable to execute QEMU agent/i.test(e.message))
                return null;
            throw e;
        }
    }, timeoutMs, { interval: 500, what: `the agent of ${g.name}` });
    const status = JSON.stringify({ execute: "guest-exec-status", arguments: { pid } });
    const done = await waitFor(async () => {
        const r = JSON.parse(await virsh("qemu-agent-command", g.name, status)).return;
        return r.exited ? r : null;
    }, 20000, { what: `${script} in ${g.name}` });
    return Buffer.from(done["out-data"] ?? "", "base64").toString();
}
