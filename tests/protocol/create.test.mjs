// SPDX-License-Identifier: LGPL-2.1-or-later
// ops `create-options` and `create` (docs/api.md) through the real bridges against qemu:///system: what the host
// offers, validation errors, a VM defined with a new volume, rollback after a failure and on cancel, and what only
// the first boot needs (seed, installer kernel) removed after it, also when the VM is started elsewhere.
// Everything this file makes is named cop-*: pool cop-pool (a dir pool under /var/tmp/cop-pool), network cop-net
// (defined, never started), and the domains and volumes of each test; all removed afterwards.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, copyFileSync, ftruncateSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { after, before, describe, test } from "node:test";

import { Bridge, abbreviate, bridgeNames } from "../harness/bridge.mjs";
import { REPO, URI, domExists, ensureLibvirtd, kvmWorks, virsh, waitFor } from "../harness/libvirt.mjs";
import { startHttpServer } from "../harness/media.mjs";

const POOL = "cop-pool";
const POOL_DIR = "/var/tmp/cop-pool";
const NET = "cop-net";
const SRC_DIR = "/var/tmp/cop-src";
const BIG = `${SRC_DIR}/big.img`;
const BIG_SIZE = 300 * 1024 * 1024;
const BASE = `${SRC_DIR}/base.qcow2`;
/**
 * A tree whose boot files trickle (64 KiB every 20 ms of a 64 MiB file) until the client goes: a download that is
 * still running when the test cancels it. Resolves with { url, sent() (bytes of boot files written), close }.
 */
function startSlowTree() {
    let sent = 0;
    const server = http.createServer((req, res) => {
        if (req.url.endsWith("/.treeinfo")) {
            res.end("[general]\narch = x86_64\n[images-x86_64]\nkernel = k\ninitrd = i\n");
            return;
        }
        res.writeHead(200, { "Content-Length": 64 << 20 });
        const timer = setInterval(() => {
            res.write(Buffer.alloc(64 << 10));
            sent += 64 << 10;
        }, 20);
        res.on("close", () => clearInterval(timer));
    });
    return new Promise(resolve => server.listen(0, "127.0.0.1", () => resolve({
        url: `http://127.0.0.1:${server.address().port}/slow/`,
        sent: () => sent,
        close: () => new Promise(done => { server.closeAllConnections(); server.close(() => done()) }),
    })));
}

/** An install tree served over HTTP: .treeinfo and the tiny guest's kernel and initrd (tests/lib/build-guest.sh). */
const TREE = `${SRC_DIR}/tree`;

async function quietly(...args) {
    try {
        return await virsh(...args);
    } catch {
        return null;
    }
}

async function volumes() {
    const out = await virsh("vol-list", POOL);
    return out.split("\n").map(line => line.trim().split(/\s+/)[0]).filter(Boolean);
}

/** Removes every cop-* domain, then cop-pool with its volumes and cop-net. */
async function cleanup() {
    const names = (await virsh("list", "--all", "--name")).split("\n").map(s => s.trim()).filter(n => n.startsWith("cop-"));
    for (const name of names) {
        await quietly("destroy", name);
        await quietly("undefine", "--nvram", name);
    }
    if (await quietly("pool-info", POOL)) {
        for (const vol of await volumes().catch(() => []))
            await quietly("vol-delete", "--pool", POOL, vol);
        await quietly("pool-destroy", POOL);
        await quietly("pool-undefine", POOL);
    }
    if (await quietly("net-info", NET)) {
        await quietly("net-destroy", NET);
        await quietly("net-undefine", NET);
    }
    rmSync(POOL_DIR, { recursive: true, force: true });
    rmSync(SRC_DIR, { recursive: true, force: true });
}

function spec(name, extra = {}) {
    return {
        name,
        os: null,
        source: { kind: "pxe", network: NET },
        memory_mib: 128,
        vcpus: 1,
        storage: { kind: "new", pool: POOL, size_gib: 1 },
        network: { kind: "none" },
        virt_type: "qemu",
        firmware: "bios",
        run: false,
        ...extra,
    };
}

describe("create", () => {
    let treeHttp;
    before(async () => {
        await ensureLibvirtd();
        await cleanup();
        mkdirSync(POOL_DIR, { recursive: true });
        await virsh("pool-define-as", POOL, "dir", "--target", POOL_DIR);
        await virsh("pool-start", POOL);
        // An isolated network that is never started: defining a VM on it works, starting it fails.
        const xml = `${SRC_DIR}/net.xml`;
        mkdirSync(SRC_DIR, { recursive: true });
        writeFileSync(xml, `<network><name>${NET}</name><bridge name='cop-br0'/></network>`);
        await virsh("net-define", xml);
        // A 300 MB sparse disk image to copy into the pool.
        const fd = openSync(BIG, "w");
        ftruncateSync(fd, BIG_SIZE);
        closeSync(fd);
        // A tiny "cloud image": a 64 MiB qcow2.
        execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", BASE, "64M"]);
        const guest = execFileSync(`${REPO}/tests/lib/build-guest.sh`).toString().trim().split("\n").pop();
        mkdirSync(`${TREE}/os/images/pxeboot`, { recursive: true });
        mkdirSync(`${TREE}/empty`, { recursive: true });
        writeFileSync(`${TREE}/os/.treeinfo`, "[general]\nfamily = Fedora\nversion = 37\narch = x86_64\n\n" +
            "[images-x86_64]\nkernel = images/pxeboot/vmlinuz\ninitrd = images/pxeboot/initrd.img\n");
        copyFileSync(`${guest}/vmlinuz`, `${TREE}/os/images/pxeboot/vmlinuz`);
        copyFileSync(`${guest}/initrd.img`, `${TREE}/os/images/pxeboot/initrd.img`);
        // An ISO image by URL is read before the VM is defined: a real one (tests/lib/build-guest.sh's kernel in it).
        mkdirSync(`${TREE}/isos`, { recursive: true });
        execFileSync("xorriso", ["-as", "mkisofs", "-quiet", "-V", "COP", "-o", `${TREE}/isos/x.iso`, `${TREE}/empty`],
                     { stdio: ["ignore", "ignore", "pipe"] });
        treeHttp = await startHttpServer(TREE);
    });
    after(async () => {
        await treeHttp?.close();
        await cleanup();
    });

    test("the helper's debug log shows the open of a create without its passwords or raw newlines", async () => {
        // The manifest says RUST_LOG=info; the helper on its own (as the bridges spawn it) takes ours.
        const p = await Bridge.peer({ env: { RUST_LOG: "debug" } });
        try {
            const source = { kind: "cloud", image: BASE, user: { login: "copuser", password: "Cop-Log-Secret-1", ssh_keys: [] },
                             root_password: "Cop-Log-Root-2", hostname: null };
            const channel = p.open({ payload: "virt1", op: "create", uri: URI, mode: "validate",
                                     spec: spec("cop-log\ninjected", { source }) });
            await p.next(channel, m => m.command === "close", 30000);
        } finally {
            p.proc.stdin.end();
            await p.exited;
        }
        const log = p.stderr();
        assert.match(log, /← open .*"password":"\(redacted\)"/, log);
        assert.ok(!log.includes("Cop-Log-Secret-1") && !log.includes("Cop-Log-Root-2"), "a password is in the log");
        assert.ok(!/^injected/m.test(log), "a raw newline from the spec reached the log");
    });

    for (const bridge of bridgeNames()) {
        describe(`via bridge ${bridge}`, () => {
            let b;
            before(async () => { b = await Bridge.start(bridge) });
            after(async () => { await b?.closeBridge() });

            async function run(options, timeoutMs = 60000) {
                const channel = b.open({ payload: "virt1", ...options });
                const messages = await b.untilClose(channel, timeoutMs);
                return {
                    channel,
                    data: messages.filter(m => !m.command).map(m => m.data),
                    close: messages.at(-1).control,
                    trail: messages.map(abbreviate).join("\n"),
                };
            }

            /**
             * Starts `name` with virsh, not through the helper, while a watch keeps the helper's hub of URI open
             * (as the page does); resolves with the saved definition once the helper removed `firstBootOnly` from it.
             */
            async function startElsewhereUntilGone(name, firstBootOnly) {
                const { channel } = await b.watch(URI);
                try {
                    await virsh("start", name);
                    return await waitFor(async () => {
                        const config = await virsh("dumpxml", "--inactive", name);
                        return !config.includes(firstBootOnly) && config;
                    }, 30000, { what: `${firstBootOnly} to leave ${name}'s saved definition` });
                } finally {
                    b.close(channel);
                    await b.next(channel, m => m.command === "close");
                }
            }

            test("create-options: host, KVM as detected, our pool and network", async () => {
                const r = await run({ op: "create-options", uri: URI });
                assert.equal(r.close.problem, undefined, r.trail);
                assert.equal(r.data.length, 1, r.trail);
                const o = r.data[0];
                assert.ok(o.host.memory_mib > 0 && o.host.cpus > 0 && o.host.arch, r.trail);
                assert.equal(o.kvm.usable, kvmWorks(), r.trail);
                if (!kvmWorks())
                    assert.match(o.kvm.reason, /vmx\/svm|\/dev\/kvm/, r.trail);
                assert.deepEqual(o.networks.find(n => n.name === NET), { name: NET, active: false }, r.trail);
                assert.ok(o.networks.some(n => n.name === "default"), r.trail);
                const pool = o.pools.find(p => p.name === POOL);
                assert.equal(pool.path, POOL_DIR, r.trail);
                assert.equal(pool.type, "dir", r.trail);
                assert.ok(pool.active && pool.available > 0, r.trail);
                assert.equal(typeof o.default_pool.exists, "boolean");
                assert.equal(o.qemu_user, "libvirt-qemu", r.trail);
                assert.equal(typeof o.firmware.efi, "boolean");
            });

            test("validate: a bad spec gets an error on every bad field", async () => {
                const bad = spec("", {
                    source: { kind: "iso", path: "relative.iso" },
                    memory_mib: 0,
                    vcpus: 100000,
                    storage: { kind: "new", pool: "cop-nopool", size_gib: 0 },
                    network: { kind: "bridge", name: "cop-nobr" },
                    virt_type: kvmWorks() ? "qemu" : "kvm",
                    os: "cop-nosuchos",
                });
                const r = await run({ op: "create", uri: URI, mode: "validate", spec: bad });
                assert.equal(r.close.problem, undefined, r.trail);
                const { errors } = r.data.at(-1);
                for (const field of ["name", "os", "source", "memory_mib", "vcpus", "storage.pool", "storage.size_gib", "network"])
                    assert.ok(errors[field], `no error on ${field}: ${r.trail}`);
                if (!kvmWorks())
                    assert.match(errors.virt_type, /vmx\/svm/);
                // A good one has none, and the inactive network is a warning.
                const good = await run({ op: "create", uri: URI, mode: "validate", spec: spec("cop-valid") });
                assert.deepEqual(good.data.at(-1).errors, {}, good.trail);
                assert.match(good.data.at(-1).warnings.source, /not active/, good.trail);
            });

            test("create with invalid spec: invalid-argument with errors, nothing made", async () => {
                const name = `cop-inv-${bridge}`;
                const r = await run({ op: "create", uri: URI, mode: "create", spec: spec(name, { memory_mib: 0 }) });
                assert.equal(r.close.problem, "invalid-argument", r.trail);
                assert.match(r.close.errors.memory_mib, /more than 0/, r.trail);
                assert.equal(await domExists(name), false);
                assert.ok(!(await volumes()).includes(`${name}.qcow2`));
            });

            test("create run:false defines the VM with its new 1 GiB volume", async () => {
                const name = `cop-vm-${bridge} "q" <&> ü`;
                const r = await run({ op: "create", uri: URI, mode: "create", spec: spec(name, { os: "debian11" }) });
                assert.equal(r.close.problem, undefined, r.trail);
                const steps = r.data.filter(d => d.progress).map(d => d.progress.step);
                assert.deepEqual(steps, ["volume", "define"], r.trail);
                assert.equal(r.close.vm.name, name, r.trail);
                assert.deepEqual(r.data.at(-1), { vm: r.close.vm }, r.trail);
                assert.equal((await virsh("domuuid", name)).trim(), r.close.vm.id);
                assert.match(await virsh("domstate", name), /shut off/);
                const xml = await virsh("dumpxml", name);
                const volume = `${name}.qcow2`.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
                    .replace(/"/g, "&quot;");
                assert.ok(xml.includes(`<source pool='${POOL}' volume='${volume}'/>`) ||
                          xml.includes(`<source pool="${POOL}" volume="${volume}"/>`), xml);
                assert.match(xml, /<driver name='qemu' type='qcow2'/, xml);
                assert.match(xml, /<domain type='qemu'/, xml);
                assert.match(xml, /<libosinfo:os id=["']http:\/\/debian.org\/debian\/11["']\/>/, xml);
                assert.match(xml, /machine='pc-q35/, xml);
                const info = await virsh("vol-info", "--bytes", "--pool", POOL, `${name}.qcow2`);
                assert.match(info, /Capacity:\s+1073741824 bytes/, info);
                // Another VM on that volume is warned about it (once the hub has listed the new VM).
                const again = spec("cop-other", { storage: { kind: "volume", pool: POOL, volume: `${name}.qcow2` } });
                await waitFor(async () => {
                    const v = await run({ op: "create", uri: URI, mode: "validate", spec: again });
                    assert.deepEqual(v.data.at(-1).errors, {}, v.trail);
                    return v.data.at(-1).warnings.storage?.includes(`already used by "${name}"`);
                }, 20000, { what: "the volume-in-use warning" });
                await virsh("undefine", name);
                await virsh("vol-delete", "--pool", POOL, `${name}.qcow2`);
            });

            test("install media: a local ISO and an ISO by URL become CD-ROMs after the disk", async () => {
                const cases = [
                    { tag: "iso", source: { kind: "iso", path: BIG }, disk: `<source file='${BIG}'/>` },
                    { tag: "url", source: { kind: "url", url: treeHttp.url("isos/x.iso") },
                      disk: "<source protocol='http' name='/isos/x.iso'>" },
                ];
                for (const { tag, source, disk } of cases) {
                    const name = `cop-${tag}-${bridge}`;
                    const r = await run({ op: "create", uri: URI, mode: "create", spec: spec(name, { source, network: { kind: "user" } }) });
                    assert.equal(r.close.problem, undefined, r.trail);
                    const xml = await virsh("dumpxml", name);
                    const cdrom = xml.indexOf("device='cdrom'");
                    assert.ok(cdrom > xml.indexOf("device='disk'") && xml.indexOf("device='disk'") > 0, xml);
                    assert.ok(xml.slice(cdrom).includes(disk), xml);
                    if (tag === "url")
                        assert.match(xml, new RegExp(`<host name='127\\.0\\.0\\.1' port='${treeHttp.port}'/>`), xml);
                    await virsh("undefine", name);
                    await virsh("vol-delete", "--pool", POOL, `${name}.qcow2`);
                }
            });

            test("install tree: no .treeinfo, or not http(s), is an error on source", async () => {
                for (const [url, text] of [[treeHttp.url("empty/"), /\.treeinfo.*404/],
                    ["ftp://cop.example/os/", /http:\/\/ or https:\/\//]]) {
                    const r = await run({ op: "create", uri: URI, mode: "validate",
                                          spec: spec("cop-tree-bad", { source: { kind: "url", url } }) });
                    assert.match(r.data.at(-1).errors.source ?? "", text, r.trail);
                }
                const good = await run({ op: "create", uri: URI, mode: "validate",
                                         spec: spec("cop-tree-ok", { source: { kind: "url", url: treeHttp.url("os/") } }) });
                assert.deepEqual(good.data.at(-1).errors, {}, good.trail);
            });

            test("install tree run:false: kernel and initrd downloaded into the pool, defined with a kernel boot", async () => {
                const name = `cop-tree-${bridge}`;
                const url = treeHttp.url("os/");
                const r = await run({ op: "create", uri: URI, mode: "create",
                                      spec: spec(name, { os: "fedora37", source: { kind: "url", url }, network: { kind: "user" } }) });
                assert.equal(r.close.problem, undefined, r.trail);
                assert.deepEqual([...new Set(r.data.filter(d => d.progress).map(d => d.progress.step))],
                                 ["volume", "copy", "define"], r.trail);
                const last = r.data.filter(d => d.progress?.done !== undefined).at(-1).progress;
                assert.equal(last.done, readFileSync(`${TREE}/os/images/pxeboot/initrd.img`).length, r.trail);
                assert.deepEqual((await volumes()).filter(v => v.startsWith(name)).sort(),
                                 [`${name}-initrd`, `${name}-kernel`, `${name}.qcow2`]);
                const kernel = `${POOL_DIR}/${name}-kernel`;
                assert.deepEqual(readFileSync(kernel), readFileSync(`${TREE}/os/images/pxeboot/vmlinuz`));
                const xml = await virsh("dumpxml", name);
                assert.ok(xml.includes(`<kernel>${kernel}</kernel>`), xml);
                assert.ok(xml.includes(`<initrd>${POOL_DIR}/${name}-initrd</initrd>`), xml);
                assert.ok(xml.includes(`<cmdline>inst.repo=${url}</cmdline>`), xml);
                assert.match(xml, /<on_reboot>destroy<\/on_reboot>/, xml);
                assert.doesNotMatch(xml, /device='cdrom'/, xml);
                assert.ok(treeHttp.requests.some(q => q.path === "/os/images/pxeboot/initrd.img"));
                // Started elsewhere, the installer runs once: then the definition boots the disk and the
                // kernel and initrd volumes are gone.
                const config = await startElsewhereUntilGone(name, "<kernel>");
                assert.doesNotMatch(config, /<initrd>|<cmdline>|first-boot/, config);
                assert.match(config, /<on_reboot>restart<\/on_reboot>/, config);
                assert.ok((await virsh("dumpxml", name)).includes(`<kernel>${kernel}</kernel>`), "the running installer keeps its kernel");
                assert.deepEqual((await volumes()).filter(v => v.startsWith(name)), [`${name}.qcow2`]);
                await virsh("destroy", name);
                await virsh("undefine", name);
                await virsh("vol-delete", "--pool", POOL, `${name}.qcow2`);
            });

            test("install tree run:true: defined to boot its disk, running the installer's kernel once", async () => {
                const name = `cop-treerun-${bridge}`;
                const url = treeHttp.url("os/");
                const r = await run({ op: "create", uri: URI, mode: "create",
                                      spec: spec(name, { source: { kind: "url", url }, network: { kind: "user" }, run: true }) });
                assert.equal(r.close.problem, undefined, r.trail);
                assert.match(await virsh("domstate", name), /running/);
                const live = await virsh("dumpxml", name);
                assert.ok(live.includes(`<cmdline>inst.repo=${url}</cmdline>`), live);
                assert.equal((await virsh("domuuid", name)).trim(), r.close.vm.id);
                const config = await virsh("dumpxml", "--inactive", name);
                assert.doesNotMatch(config, /<kernel>/, config);
                assert.match(config, /<on_reboot>restart<\/on_reboot>/, config);
                // QEMU loaded the kernel and initrd at start: their volumes are gone already.
                assert.deepEqual((await volumes()).filter(v => v.startsWith(name)), [`${name}.qcow2`]);
                await virsh("destroy", name);
                assert.match(await virsh("domstate", name), /shut off/, "still defined after the install run");
                await virsh("undefine", name);
                await virsh("vol-delete", "--pool", POOL, `${name}.qcow2`);
            });

            test("install tree: a failure at start removes the downloaded kernel and initrd", async () => {
                const name = `cop-treefail-${bridge}`;
                const source = { kind: "url", url: treeHttp.url("os/") };
                const network = { kind: "network", name: NET }; // never started: define works, start fails
                const r = await run({ op: "create", uri: URI, mode: "create", spec: spec(name, { source, network, run: true }) });
                const steps = [...new Set(r.data.filter(d => d.progress).map(d => d.progress.step))];
                assert.deepEqual(steps, ["volume", "copy", "define", "start"], r.trail);
                assert.match(r.close.message ?? "", /cop-net/, r.trail);
                assert.equal(await domExists(name), false, "domain rolled back");
                assert.deepEqual((await volumes()).filter(v => v.startsWith(name)), [], "volumes rolled back");
            });

            test("install tree: closing the channel during the kernel download leaves nothing behind", async () => {
                const name = `cop-treecancel-${bridge}`;
                const slow = await startSlowTree();
                try {
                    const channel = b.open({ payload: "virt1", op: "create", uri: URI, mode: "create",
                                             spec: spec(name, { source: { kind: "url", url: slow.url }, network: { kind: "user" } }) });
                    const copying = await b.next(channel, m => m.command === "close" ||
                                                 m.data?.progress?.step === "copy" && m.data.progress.done > 0, 30000);
                    assert.equal(copying.command, undefined, `closed before downloading: ${b.describe(channel)}`);
                    assert.equal(copying.data.progress.total, 64 << 20);
                    assert.ok((await volumes()).includes(`${name}-kernel`), "the kernel volume exists while downloading");
                    b.close(channel);
                    await b.next(channel, m => m.command === "close");
                    await waitFor(async () => !(await volumes()).some(v => v.startsWith(name)), 30000,
                                  { what: `the volumes of ${name} to be rolled back` });
                    assert.equal(await domExists(name), false);
                    // Streamed: progress came (and the cancel took) long before the whole kernel was sent.
                    assert.ok(slow.sent() < 64 << 20, `${slow.sent()} bytes sent`);
                } finally {
                    await slow.close();
                }
            });

            test("cloud image: copied, grown, and a NoCloud seed attached", async () => {
                const name = `cop-cloud-${bridge}`;
                const source = { kind: "cloud", image: BASE, user: { login: "copuser", password: "Cop-Secret-9", ssh_keys: [] },
                                 root_password: null, hostname: "cop-host" };
                const r = await run({ op: "create", uri: URI, mode: "create", spec: spec(name, { source, network: { kind: "user" } }) });
                assert.equal(r.close.problem, undefined, r.trail);
                const steps = [...new Set(r.data.filter(d => d.progress).map(d => d.progress.step))];
                assert.deepEqual(steps, ["copy", "seed", "define"], r.trail);
                const info = await virsh("vol-info", "--bytes", "--pool", POOL, `${name}.qcow2`);
                assert.match(info, /Capacity:\s+1073741824 bytes/, info);
                const xml = await virsh("dumpxml", name);
                assert.match(xml, new RegExp(`<source pool='${POOL}' volume='${name}.qcow2'/>`), xml);
                assert.match(xml, new RegExp(`<source pool='${POOL}' volume='${name}-cidata.iso'/>`), xml);
                const seed = `${SRC_DIR}/${name}-seed.iso`;
                await virsh("vol-download", "--pool", POOL, `${name}-cidata.iso`, seed);
                const text = readFileSync(seed, "latin1");
                assert.equal(text.slice(0x8001, 0x8006), "CD001");
                assert.ok(text.includes("copuser") && text.includes("cop-host"), "seed has the user and host name");
                // The password only as a SHA-512 crypt hash, which glibc's crypt(3) accepts for it.
                assert.ok(!text.includes("Cop-Secret-9"), "the seed holds the plain password");
                const hash = text.match(/hashed_passwd: "(\$6\$[^"]+)"/)?.[1];
                assert.ok(hash, `no hashed_passwd in the seed: ${text.slice(text.indexOf("#cloud-config"), 600)}`);
                const verdict = execFileSync("python3", ["-c", "import crypt,sys; print(crypt.crypt(sys.argv[1], sys.argv[2]) == sys.argv[2])",
                    "Cop-Secret-9", hash]).toString().trim();
                assert.equal(verdict, "True", hash);
                // Started elsewhere: after its first boot the seed (password hashes) leaves the definition and the pool.
                const config = await startElsewhereUntilGone(name, "cidata");
                assert.doesNotMatch(config, /device='cdrom'|first-boot/, config);
                assert.match(config, new RegExp(`<source pool='${POOL}' volume='${name}.qcow2'/>`), config);
                assert.match(await virsh("domstate", name), /running/);
                assert.deepEqual((await volumes()).filter(v => v.startsWith(name)), [`${name}.qcow2`]);
                await virsh("destroy", name);
                await virsh("undefine", name);
                await virsh("vol-delete", "--pool", POOL, `${name}.qcow2`);
            });

            test("cloud image run:true: started with its seed, defined without it, the seed volume deleted", async () => {
                const name = `cop-cloudrun-${bridge}`;
                const source = { kind: "cloud", image: BASE, user: { login: "copuser", password: "Cop-Secret-9", ssh_keys: [] },
                                 root_password: "Root-Secret-7", hostname: null };
                const r = await run({ op: "create", uri: URI, mode: "create", spec: spec(name, { source, network: { kind: "user" }, run: true }) });
                assert.equal(r.close.problem, undefined, r.trail);
                assert.match(await virsh("domstate", name), /running/);
                assert.match(await virsh("dumpxml", name), /cidata\.iso/, "the first boot has its seed");
                const config = await virsh("dumpxml", "--inactive", name);
                assert.doesNotMatch(config, /cidata|device='cdrom'/, config);
                assert.deepEqual((await volumes()).filter(v => v.startsWith(name)), [`${name}.qcow2`]);
                await virsh("destroy", name);
                await virsh("undefine", "--nvram", name);
                await virsh("vol-delete", "--pool", POOL, `${name}.qcow2`);
            });

            test("hostile images: qcow2 naming a backing or data file, or given as install media, is refused; nothing made", async () => {
                const backed = `${SRC_DIR}/backed-${bridge}.qcow2`;
                const external = `${SRC_DIR}/external-${bridge}.qcow2`;
                execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", "-u", "-F", "raw", "-b", "/etc/shadow", backed, "64M"]);
                execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", "-o", `data_file=${SRC_DIR}/data-${bridge}.raw`, external, "64M"]);
                const bystander = b.open({ payload: "virt1", op: "watch", uri: "test:///default" });
                await b.next(bystander, m => m.command === "ready");
                const pids = b.helperPids();
                const cases = [
                    [{ kind: "cloud", image: backed }, /backing file/],
                    [{ kind: "cloud", image: external }, /external data file/],
                    [{ kind: "import", path: backed, copy_to_pool: POOL }, /backing file/],
                    [{ kind: "import", path: backed, copy_to_pool: null }, /backing file/],
                    [{ kind: "import", path: external, copy_to_pool: null }, /external data file/],
                    [{ kind: "iso", path: BASE }, /qcow2 disk image, not installation media/],
                    [{ kind: "iso", path: "/dev/zero" }, /character device/],
                    [{ kind: "import", path: SRC_DIR, copy_to_pool: POOL }, /is a directory/],
                ];
                for (const [i, [source, message]] of cases.entries()) {
                    const name = `cop-hostile-${i}-${bridge}`;
                    const r = await run({ op: "create", uri: URI, mode: "create", spec: spec(name, { source, network: { kind: "user" }, run: true }) });
                    assert.equal(r.close.problem, "invalid-argument", r.trail);
                    assert.match(r.close.errors.source ?? "", message, r.trail);
                    assert.equal(await domExists(name), false);
                    assert.deepEqual((await volumes()).filter(v => v.startsWith(name)), []);
                }
                b.control({ command: "ping", channel: bystander, sequence: 3 });
                await b.next(bystander, m => m.command === "pong");
                assert.deepEqual(b.helperPids(), pids, "the helper was not restarted");
                b.close(bystander);
                await b.next(bystander, m => m.command === "close");
            });

            test("run:true with an imported disk in place: the VM runs", async () => {
                const name = `cop-run-${bridge}`;
                const source = { kind: "import", path: BASE, copy_to_pool: null };
                const r = await run({ op: "create", uri: URI, mode: "create", spec: spec(name, { source, network: { kind: "user" }, run: true }) });
                assert.equal(r.close.problem, undefined, r.trail);
                assert.deepEqual(r.data.filter(d => d.progress).map(d => d.progress.step), ["define", "start"], r.trail);
                assert.match(await virsh("domstate", name), /running/);
                const xml = await virsh("dumpxml", name);
                assert.ok(xml.includes(`<source file='${BASE}'`), xml);
                assert.match(xml, /<graphics type='vnc'/, xml);
                await virsh("destroy", name);
                await virsh("undefine", "--nvram", name);
            });

            test("cloud image that is a pool volume: libvirt clones it", async () => {
                const name = `cop-clone-${bridge}`;
                const base = `${POOL_DIR}/cop-base-${bridge}.qcow2`;
                execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", base, "32M"]);
                await virsh("pool-refresh", POOL);
                const source = { kind: "cloud", image: base, user: null, root_password: null, hostname: null };
                const r = await run({ op: "create", uri: URI, mode: "create", spec: spec(name, { source, network: { kind: "user" } }) });
                assert.equal(r.close.problem, undefined, r.trail);
                const bytes = r.data.filter(d => d.progress?.done !== undefined).map(d => d.progress);
                // Exactly the start and the end: one libvirt call, no streamed chunks.
                assert.deepEqual(bytes.map(p => p.done), [0, 32 << 20], r.trail);
                const info = await virsh("vol-info", "--bytes", "--pool", POOL, `${name}.qcow2`);
                assert.match(info, /Capacity:\s+1073741824 bytes/, info);
                const dump = await virsh("vol-dumpxml", "--pool", POOL, `${name}.qcow2`);
                assert.match(dump, /<format type='qcow2'\/>/, dump);
                await virsh("undefine", name);
                for (const vol of [`${name}.qcow2`, `${name}-cidata.iso`, `cop-base-${bridge}.qcow2`])
                    await virsh("vol-delete", "--pool", POOL, vol);
            });

            test("a failure after the volume was made leaves no volume and no domain", async () => {
                // run:true on the never-started cop-net: define works, start fails, all is rolled back.
                const name = `cop-fail-${bridge}`;
                const r = await run({ op: "create", uri: URI, mode: "create", spec: spec(name, { run: true }) });
                const steps = r.data.filter(d => d.progress).map(d => d.progress.step);
                assert.deepEqual(steps, ["volume", "define", "start"], r.trail);
                assert.ok(r.close.problem && r.close.problem !== "invalid-argument", r.trail);
                assert.match(r.close.message, /cop-net/, r.trail);
                assert.equal(await domExists(name), false, "domain rolled back");
                assert.ok(!(await volumes()).includes(`${name}.qcow2`), "volume rolled back");
            });

            test("import with copy: the disk is copied into the pool with byte progress", async () => {
                const name = `cop-copy-${bridge}`;
                const r = await run({
                    op: "create", uri: URI, mode: "create",
                    spec: spec(name, { source: { kind: "import", path: BIG, copy_to_pool: POOL }, network: { kind: "user" } }),
                }, 120000);
                assert.equal(r.close.problem, undefined, r.trail);
                const bytes = r.data.filter(d => d.progress?.done !== undefined).map(d => d.progress);
                assert.ok(bytes.length >= 2, r.trail);
                assert.equal(bytes[0].done, 0);
                assert.deepEqual(bytes.at(-1), { step: "copy", message: `Copying ${BIG}…`, done: BIG_SIZE, total: BIG_SIZE });
                const info = await virsh("vol-info", "--bytes", "--pool", POOL, `${name}.img`);
                assert.match(info, new RegExp(`Capacity:\\s+${BIG_SIZE} bytes`), info);
                const xml = await virsh("dumpxml", name);
                assert.match(xml, new RegExp(`<source pool='${POOL}' volume='${name}.img'/>`), xml);
                assert.match(xml, /<interface type='user'>/, xml);
                await virsh("undefine", name);
                await virsh("vol-delete", "--pool", POOL, `${name}.img`);
            });

            test("two creates into one pool at once: a pool refresh waits for the other create's clone", async () => {
                // libvirt refuses to refresh a pool while it clones a volume into it ("asynchronous jobs running").
                const copyName = `cop-busy-${bridge}`;
                const cloudName = `cop-cloud2-${bridge}`;
                const big = `${POOL_DIR}/cop-busy-src-${bridge}.img`;
                const fd = openSync(big, "w");
                ftruncateSync(fd, 4 * 1024 ** 3);
                closeSync(fd);
                await virsh("pool-refresh", POOL);
                const copy = b.open({ payload: "virt1", op: "create", uri: URI, mode: "create",
                                      spec: spec(copyName, { source: { kind: "import", path: big, copy_to_pool: POOL }, network: { kind: "user" } }) });
                const cloning = await b.next(copy, m => m.command === "close" || m.data?.progress?.done === 0, 30000);
                assert.equal(cloning.command, undefined, `closed before cloning: ${b.describe(copy)}`);
                const source = { kind: "cloud", image: BASE, user: null, root_password: null, hostname: null };
                const cloud = await run({ op: "create", uri: URI, mode: "create", spec: spec(cloudName, { source, network: { kind: "user" } }) }, 150000);
                assert.equal(cloud.close.problem, undefined, cloud.trail);
                const copied = await b.next(copy, m => m.command === "close", 150000);
                assert.equal(copied.control.problem, undefined, b.describe(copy));
                for (const name of [copyName, cloudName])
                    await virsh("undefine", name);
                for (const vol of [`${copyName}.img`, `${cloudName}.qcow2`, `${cloudName}-cidata.iso`, `cop-busy-src-${bridge}.img`])
                    await virsh("vol-delete", "--pool", POOL, vol);
            });

            test("import with copy from a block device: the volume has the device's size and bytes", async () => {
                const name = `cop-blk-${bridge}`;
                const backing = `${SRC_DIR}/blk-${bridge}.img`;
                writeFileSync(backing, Buffer.alloc(8 << 20, 0x5a));
                const dev = execFileSync("losetup", ["-f", "--show", backing]).toString().trim();
                try {
                    const r = await run({ op: "create", uri: URI, mode: "create",
                                          spec: spec(name, { source: { kind: "import", path: dev, copy_to_pool: POOL }, network: { kind: "user" } }) });
                    assert.equal(r.close.problem, undefined, r.trail);
                    const info = await virsh("vol-info", "--bytes", "--pool", POOL, `${name}.img`);
                    assert.match(info, new RegExp(`Capacity:\\s+${8 << 20} bytes`), info);
                    assert.deepEqual(readFileSync(`${POOL_DIR}/${name}.img`), readFileSync(backing));
                    await virsh("undefine", name);
                    await virsh("vol-delete", "--pool", POOL, `${name}.img`);
                } finally {
                    execFileSync("losetup", ["-d", dev]);
                }
            });

            test("closing the channel during a copy leaves nothing behind", async () => {
                const name = `cop-cancel-${bridge}`;
                const import_ = spec(name, {
                    source: { kind: "import", path: BIG, copy_to_pool: POOL },
                    network: { kind: "network", name: NET },
                });
                const channel = b.open({ payload: "virt1", op: "create", uri: URI, mode: "create", spec: import_ });
                const copying = await b.next(channel, m => m.command === "close" || m.data?.progress?.step === "copy" &&
                                             m.data.progress.done !== undefined, 30000);
                assert.equal(copying.command, undefined, `closed before copying: ${b.describe(channel)}`);
                assert.equal(copying.data.progress.total, BIG_SIZE);
                b.close(channel);
                await b.next(channel, m => m.command === "close");
                // The volume existed while copying; the worker notices the close and deletes it.
                await waitFor(async () => !(await volumes()).includes(`${name}.img`), 30000,
                              { what: `volume ${name}.img to be rolled back` });
                assert.equal(await domExists(name), false);
                // Whatever came after the close: the helper still serves.
                const r = await run({ op: "create-options", uri: URI });
                assert.equal(r.close.problem, undefined, r.trail);
            });
        });
    }
});
