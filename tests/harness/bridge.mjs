// SPDX-License-Identifier: LGPL-2.1-or-later
// A real cockpit-bridge with the virt package staged in a temporary XDG_DATA_HOME, driven the way cockpit-ws
// drives it: length-prefixed frames on its stdin/stdout (shared/cockpit-protocol.md §3, §5, §9).
//
//   const b = await Bridge.start("337");            // or "287" (Debian 12's C bridge)
//   const ch = b.open({ payload: "virt1", op: "watch", uri: "test:///default" });
//   await b.next(ch, m => m.command === "ready");
//   const msg = await b.next(ch, m => m.data?.synced);
//   await b.closeBridge();
//
// Every received frame becomes a Message: { channel, command?, control?, data?, raw, text, json }. Control
// messages (empty channel on the wire) are filed under their "channel" field, so one channel's queue holds its
// data and its controls in arrival order; transport-level controls are filed under "". next() consumes from a
// channel's queue; history(channel) keeps everything ever received for it.

import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The bridges the suite runs against, by name. */
export const BRIDGES = {
    337: "/usr/bin/cockpit-bridge",
    287: path.join(REPO, ".cache/cockpit-287/usr/bin/cockpit-bridge"),
};

/**
 * The bridges to run each protocol test against: both, unless CVIRT_BRIDGES="337" (say) limits them. A bridge
 * whose binary is missing is not dropped silently: Bridge.start() fails for it.
 */
export function bridgeNames() {
    return process.env.CVIRT_BRIDGES ? process.env.CVIRT_BRIDGES.split(/[ ,]+/).filter(Boolean) : ["337", "287"];
}

/**
 * The helper binary under test: $CVIRT_HELPER, else the newer of target/debug and target/release (so a stale
 * build of the other profile is never tested by accident).
 */
export function helperPath() {
    if (process.env.CVIRT_HELPER)
        return path.resolve(process.env.CVIRT_HELPER);
    const found = ["target/debug/cockpit-virt-helper", "target/release/cockpit-virt-helper"]
        .map(p => path.join(REPO, p))
        .filter(p => existsSync(p))
        .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
    if (!found.length)
        throw new Error("no helper binary: build it (cargo build) or set CVIRT_HELPER");
    return found[0];
}

/**
 * Stages <dir>/cockpit/virt/manifest.json: the real manifest with its spawn pointing at `helper`; and the one of
 * virt-beside-machines, which the bridge takes instead where cockpit-machines is installed.
 */
export function stagePackage(dir, helper) {
    const stage = (name, source) => {
        const pkg = path.join(dir, "cockpit", name);
        mkdirSync(pkg, { recursive: true });
        const manifest = readFileSync(path.join(REPO, source), "utf8")
            .replaceAll("${libexecdir}/cockpit-virt-helper", helper);
        writeFileSync(path.join(pkg, "manifest.json"), manifest);
        return pkg;
    };
    stage("virt-beside-machines", "manifest-beside-machines.json");
    return stage("virt", "manifest.json");
}

/** Encodes one frame: `<len>\n<channel>\n<payload>`, len counted in bytes. */
export function frame(channel, payload) {
    const body = Buffer.concat([Buffer.from(channel + "\n"), Buffer.isBuffer(payload) ? payload : Buffer.from(payload)]);
    return Buffer.concat([Buffer.from(`${body.length}\n`), body]);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function parseMessage(channel, raw) {
    const msg = { channel, raw, text: null, json: null };
    try {
        msg.text = utf8.decode(raw);
    } catch {
        msg.utf8Error = true;
    }
    if (msg.text !== null) {
        try {
            msg.json = JSON.parse(msg.text);
        } catch {
            msg.jsonError = true;
        }
    }
    if (channel === "") {
        msg.control = msg.json;
        msg.command = msg.json?.command;
        msg.channel = msg.json?.channel ?? "";
    } else {
        msg.data = msg.json;
    }
    return msg;
}

export class Bridge {
    /**
     * Spawns bridge `name` ("337" or "287") with the package staged for `helper`, completes the handshake as
     * cockpit-ws does, and resolves once the bridge's init has arrived.
     */
    static async start(name = "337", { helper = helperPath(), env = {}, host = "localhost", user = null } = {}) {
        if (!BRIDGES[name] || !existsSync(BRIDGES[name]))
            throw new Error(`cockpit-bridge ${name} is not at ${BRIDGES[name]} (tests/lib/fetch-bridge-287.sh)`);
        const b = new Bridge(name, helper, env, host, undefined, user);
        await b.#handshake();
        return b;
    }

    /**
     * Spawns the helper itself as a bridge would (`--cockpit-peer`, pipes) and talks to it directly, for what no
     * bridge lets a test see: who speaks first, exit status, reaction to EOF and signals.
     */
    static async peer({ helper = helperPath(), env = {}, host = "localhost" } = {}) {
        const b = new Bridge("peer", helper, env, host, [helper, "--cockpit-peer"]);
        await b.#handshake();
        return b;
    }

    /** `user` ({ name, uid, gid, home } from tests/harness/users.mjs): the bridge runs as that user. */
    constructor(name, helper, env, host, peerArgv, user = null) {
        this.name = name;
        this.host = host;
        this.helper = helper;
        this.dataHome = mkdtempSync(path.join(tmpdir(), "cvtest-bridge-"));
        stagePackage(this.dataHome, helper);
        if (user)
            execFileSync("chown", ["-R", `${user.uid}:${user.gid}`, this.dataHome]);
        const asUser = user ? { HOME: user.home, USER: user.name, LOGNAME: user.name } : {};
        const argv = peerArgv ?? [BRIDGES[name]];
        // Both bridges want a session bus for some of their built-in channels; give them a private one.
        if (!peerArgv && !process.env.DBUS_SESSION_BUS_ADDRESS)
            argv.unshift("dbus-run-session", "--");
        // Cockpit 287's bridge starts an ssh-agent unless one is named, and the agent outlives a bridge that is
        // killed or ends without cleaning up; no test needs an agent (the ssh tests use key files).
        const noAgent = process.env.SSH_AUTH_SOCK ? {} : { SSH_AUTH_SOCK: path.join(this.dataHome, "no-agent") };
        this.proc = spawn(argv[0], argv.slice(1), {
            stdio: ["pipe", "pipe", "pipe"],
            env: { ...process.env, XDG_DATA_HOME: this.dataHome, ...noAgent, ...asUser, ...env },
            ...user ? { uid: user.uid, gid: user.gid } : {},
        });
        this.exited = new Promise(resolve => this.proc.on("exit", (code, signal) => resolve({ code, signal })));
        this.exitStatus = null;
        this.exited.then(s => {
            this.exitStatus = s;
            rmSync(this.dataHome, { recursive: true, force: true });
            this.#wake();
        });
        this.proc.stdin.on("error", () => {}); // EPIPE after the bridge died is reported through exitStatus
        this.stderrChunks = [];
        this.proc.stderr.on("data", d => this.stderrChunks.push(d));
        this.buf = Buffer.alloc(0);
        this.queues = new Map(); // channel → unconsumed messages
        this.histories = new Map(); // channel → every message
        this.waiters = new Set();
        this.frames = []; // every inbound frame in order, for failure reports
        this.nextId = 1;
        this.bytesIn = 0;
        this.proc.stdout.on("data", d => this.#receive(d));
    }

    #receive(chunk) {
        this.bytesIn += chunk.length;
        this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
        for (;;) {
            const nl = this.buf.indexOf(10);
            if (nl < 0)
                break;
            const lenText = this.buf.subarray(0, nl).toString("latin1");
            if (!/^[1-9][0-9]{0,7}$/.test(lenText)) {
                this.protocolError = `bad frame length ${JSON.stringify(lenText.slice(0, 40))}`;
                this.buf = Buffer.alloc(0);
                break;
            }
            const len = Number(lenText);
            if (this.buf.length < nl + 1 + len)
                break;
            const body = this.buf.subarray(nl + 1, nl + 1 + len);
            this.buf = this.buf.subarray(nl + 1 + len);
            const cnl = body.indexOf(10);
            if (cnl < 0) {
                this.protocolError = "frame without channel line";
                continue;
            }
            const msg = parseMessage(body.subarray(0, cnl).toString("latin1"), Buffer.from(body.subarray(cnl + 1)));
            msg.frameLength = len;
            this.frames.push(msg);
            this.#file(msg);
        }
        this.#wake();
    }

    #file(msg) {
        for (const map of [this.queues, this.histories]) {
            if (!map.has(msg.channel))
                map.set(msg.channel, []);
            map.get(msg.channel).push(msg);
        }
        // cockpit.js answers every ping with a pong of identical fields unless a test takes over.
        if (msg.command === "ping" && msg.channel && this.autoPong)
            this.control({ ...msg.control, command: "pong" });
    }

    #wake() {
        for (const w of [...this.waiters])
            w();
    }

    async #handshake() {
        this.init = await this.next("", m => m.command === "init", 20000);
        this.control({ command: "init", version: 1, host: this.host });
        this.autoPong = true;
    }

    /** Writes one control message (empty channel on the wire). */
    control(obj) {
        this.write(frame("", JSON.stringify(obj)));
    }

    /** Writes one data frame: objects are sent as JSON, strings and Buffers as they are. */
    send(channel, payload) {
        const body = typeof payload === "string" || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
        this.write(frame(channel, body));
    }

    write(buf) {
        if (this.proc.stdin.writable)
            this.proc.stdin.write(buf);
    }

    /** Opens a channel as cockpit.js would (flow-control on) and returns its id. */
    open(options, { channel } = {}) {
        const id = channel ?? `1:${this.nextId++}`;
        this.control({ command: "open", channel: id, "flow-control": true, ...options });
        return id;
    }

    /** Sends a browser-side close for `channel`. */
    close(channel, problem) {
        this.control({ command: "close", channel, ...(problem ? { problem } : {}) });
    }

    /**
     * Resolves with the next message on `channel` (a channel id, "" for transport controls) for which
     * `predicate` holds; messages that don't match are consumed (they stay in history()). Rejects after
     * `timeoutMs`, or when the bridge exits first.
     */
    next(channel = "", predicate = () => true, timeoutMs = 10000) {
        return new Promise((resolve, reject) => {
            const check = () => {
                const q = this.queues.get(channel) ?? [];
                while (q.length) {
                    const m = q.shift();
                    if (predicate(m)) {
                        done();
                        resolve(m);
                        return;
                    }
                }
                if (this.exitStatus) {
                    done();
                    reject(new Error(`bridge ${this.name} exited (${JSON.stringify(this.exitStatus)}) while waiting ` +
                                     `on channel ${JSON.stringify(channel)}\n${this.describe(channel)}`));
                }
            };
            const timer = setTimeout(() => {
                done();
                reject(new Error(`timeout after ${timeoutMs} ms waiting on channel ${JSON.stringify(channel)} ` +
                                 `(bridge ${this.name})\n${this.describe(channel)}`));
            }, timeoutMs);
            const done = () => { clearTimeout(timer); this.waiters.delete(check) };
            this.waiters.add(check);
            check();
        });
    }

    /** Collects messages on `channel` until one satisfies `until` (inclusive); returns all of them. */
    async collect(channel, until, timeoutMs = 10000) {
        const got = [];
        await this.next(channel, m => { got.push(m); return until(m) }, timeoutMs);
        return got;
    }

    /** Collects `channel`'s messages up to and including its close. */
    untilClose(channel, timeoutMs = 10000) {
        return this.collect(channel, m => m.command === "close", timeoutMs);
    }

    /**
     * Opens a `watch` on `uri` and waits for its first `synced`. Resolves with { channel, messages, vms }, where
     * vms is the table (id → VM) built from the merge patches after the last `reset`. Rejects if the channel
     * closes first.
     */
    async watch(uri, extra = {}, timeoutMs = 20000) {
        const channel = this.open({ payload: "virt1", op: "watch", uri, ...extra });
        const messages = await this.collect(channel, m => m.data?.synced || m.command === "close", timeoutMs);
        const last = messages.at(-1);
        if (last.command === "close")
            throw new Error(`watch ${uri} closed: ${abbreviate(last)}`);
        const vms = {};
        for (const m of messages) {
            if (m.data?.reset)
                for (const k of Object.keys(vms))
                    delete vms[k];
            applyPatch(vms, m.data?.vms);
        }
        return { channel, messages, vms };
    }

    /**
     * Runs one `action` channel to its close. Resolves with { messages, ready, results, close, problem } where
     * results are the data messages and problem is the close's problem (undefined on success).
     */
    async action(uri, vm, action, params = {}, timeoutMs = 60000) {
        const channel = this.open({ payload: "virt1", op: "action", uri, vm, action, ...params });
        const messages = await this.untilClose(channel, timeoutMs);
        const close = messages.at(-1).control;
        return {
            channel,
            messages,
            ready: messages.some(m => m.command === "ready"),
            results: messages.filter(m => !m.command).map(m => m.data),
            close,
            problem: close.problem,
            trail: messages.map(abbreviate).join("\n"),
        };
    }

    /** Everything received so far for `channel`, consumed or not. */
    history(channel) {
        return this.histories.get(channel) ?? [];
    }

    /** Drops unconsumed messages of `channel`. */
    drain(channel) {
        this.queues.set(channel, []);
    }

    /** Waits `ms` and returns the messages that arrived on `channel` meanwhile (unconsumed ones included). */
    async quiet(channel, ms) {
        await new Promise(resolve => setTimeout(resolve, ms));
        const q = this.queues.get(channel) ?? [];
        this.queues.set(channel, []);
        return q;
    }

    /** The last frames of `channel` and the bridge's stderr tail, for failure messages. */
    describe(channel, n = 12) {
        const frames = this.history(channel).slice(-n).map(m => "  → " + abbreviate(m));
        const err = this.stderr().split("\n").slice(-15).join("\n  ");
        return `last frames of ${JSON.stringify(channel)}:\n${frames.join("\n") || "  (none)"}\nstderr:\n  ${err}`;
    }

    stderr() {
        return Buffer.concat(this.stderrChunks).toString();
    }

    /** The pids of running helper processes that descend from this bridge (or the helper itself for peer()). */
    helperPids() {
        if (this.name === "peer")
            return processAlive(this.proc.pid) ? [this.proc.pid] : [];
        return descendants(this.proc.pid).filter(pid => {
            try {
                return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0] === this.helper;
            } catch {
                return false;
            }
        });
    }

    /** Closes the bridge's stdin (the session ends) and waits for it to exit; SIGKILL after `timeoutMs`. */
    async closeBridge(timeoutMs = 5000) {
        this.proc.stdin.end();
        const timer = setTimeout(() => this.proc.kill("SIGKILL"), timeoutMs);
        const status = await this.exited;
        clearTimeout(timer);
        return status;
    }
}

/** Applies a `vms` merge patch (VM granularity: each value replaces the entry, null removes it). */
export function applyPatch(table, patch) {
    for (const [id, vm] of Object.entries(patch ?? {})) {
        if (vm === null)
            delete table[id];
        else
            table[id] = vm;
    }
    return table;
}

/** One line per message for failure reports, long payloads cut. */
export function abbreviate(m) {
    const where = m.command ? "ctl" : m.channel;
    const text = m.text ?? `<${m.raw.length} bytes, invalid UTF-8>`;
    return `${where} ${text.length > 300 ? text.slice(0, 300) + `… (${text.length} chars)` : text.replace(/\s*\n\s*/g, " ")}`;
}

/** Pids of all processes below `root`, found through /proc/<pid>/stat. */
export function descendants(root) {
    const children = new Map();
    for (const entry of readdirSync("/proc")) {
        if (!/^\d+$/.test(entry))
            continue;
        let stat;
        try {
            stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        } catch {
            continue;
        }
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        if (!children.has(ppid))
            children.set(ppid, []);
        children.get(ppid).push(Number(entry));
    }
    const out = [];
    const walk = pid => { for (const c of children.get(pid) ?? []) { out.push(c); walk(c) } };
    walk(root);
    return out;
}

/** True while `pid` exists and is not a zombie. */
export function processAlive(pid) {
    try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
    } catch {
        return false;
    }
}
