// SPDX-License-Identifier: LGPL-2.1-or-later
// op `settings` (docs/api.md) on tiny real guests (qemu:///system) through both real bridges: a running guest
// gets memory through its balloon and a hot-plugged vCPU (seen inside the guest), vCPU and emulator pinning, a maximum that waits for the next
// boot (seen in the watch's `saved`), title and description live and saved; a shut-off VM gets vCPUs with a
// topology, a boot order (given to QEMU), a CPU model from its own domcapabilities, TPM/watchdog/vsock, secure boot (q35 only) and a rename (and still boots); bad input is refused by field with nothing changed, and a rename that
// libvirt refuses (managed save) undoes the definition edit made before it; op `domain-xml` saves a valid edit,
// passes on libvirt's refusal, and refuses an edit of a definition changed elsewhere meanwhile.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";

import { Bridge } from "../harness/bridge.mjs";
import {
    READY, URI, cleanupTestObjects, defineTinyGuest, domExists, ensureLibvirtd, guestDir, guestRun, virsh, waitFor,
    waitForSerial,
} from "../harness/libvirt.mjs";

const BOOT_MS = 90000;
const MIB = 1024 * 1024;

/** One `settings` channel: { ready, results, problem, close, trail }. */
async function settings(b, vm, fields, timeoutMs = 60000) {
    const channel = b.open({ payload: "virt1", op: "settings", uri: URI, vm, ...fields });
    const messages = await b.untilClose(channel, timeoutMs);
    const close = messages.at(-1).control;
    return {
        ready: messages.some(m => m.command === "ready"),
        results: messages.filter(m => !m.command).map(m => m.data),
        close,
        problem: close.problem,
        trail: messages.map(m => JSON.stringify(m.control ?? m.data)).join("\n"),
    };
}

async function changed(b, vm, fields) {
    const r = await settings(b, vm, fields);
    assert.equal(r.problem, undefined, r.trail);
    assert.equal(r.results.length, 1, r.trail);
    assert.equal(r.results[0].ok, true, r.trail);
    return r.results[0];
}

const liveXml = name => virsh("dumpxml", name);
const savedXml = name => virsh("dumpxml", "--inactive", name);
const kib = (xml, element) => Number(xml.match(new RegExp(`<${element} unit='KiB'>(\\d+)<`))?.[1]);

/** Runs `script` in the guest and returns what it printed, through the serial console. */
async function guestOutput(g, script) {
    const tag = `CVOUT${Math.random().toString(36).slice(2, 8)}`;
    await guestRun(g, `echo "${tag}[$( ${script} )]" > /dev/console`);
    const text = await waitForSerial(g, new RegExp(`${tag}\\[[^\\]]*\\]`), 20000);
    return text.match(new RegExp(`${tag}\\[([^\\]]*)\\]`))[1];
}

describe("settings on tiny real guests", { concurrency: true }, () => {
    const bridges = {};
    before(async () => {
        await ensureLibvirtd();
        await guestDir();
        await cleanupTestObjects();
        bridges["337"] = await Bridge.start("337");
        bridges["287"] = await Bridge.start("287");
    });
    after(async () => {
        for (const b of Object.values(bridges))
            await b.closeBridge();
        await cleanupTestObjects();
    });

    test("a running guest (bridge 337): balloon, vCPU hot-plug, pending maximum, title and description", async t => {
        const b = bridges["337"];
        const g = await defineTinyGuest("set-run", { agent: true });
        await virsh("setvcpus", g.name, "2", "--maximum", "--config");
        await virsh("setvcpus", g.name, "1", "--config");
        await virsh("start", g.name);
        await waitForSerial(g, READY, BOOT_MS);
        const memTotal = async () => Number((await guestOutput(g, "grep MemTotal /proc/meminfo")).match(/(\d+)/)[1]);
        const before = await memTotal();

        await t.test("memory: shrunk through the balloon, live and saved; the guest sees it", async () => {
            const r = await changed(b, g.uuid, { memory: 112 * MIB });
            assert.deepEqual(r.live, ["memory"]);
            assert.deepEqual(r.saved, ["memory"]);
            assert.equal(kib(await savedXml(g.name), "currentMemory"), 112 * 1024);
            // The live value is the balloon's actual size, reached a moment later.
            await waitFor(async () => kib(await liveXml(g.name), "currentMemory") === 112 * 1024, 20000,
                          { what: "the live currentMemory to reach 112 MiB" });
            const after = await waitFor(async () => {
                const now = await memTotal();
                return before - now >= 15 * 1024 ? now : null;
            }, 20000, { interval: 1000, what: "MemTotal to drop by 16 MiB" });
            t.diagnostic(`MemTotal ${before} → ${after} kB`);
        });
        await t.test("vCPUs: a second one hot-plugged appears in the guest and comes online", async () => {
            const r = await changed(b, g.uuid, { vcpus: 2 });
            assert.deepEqual(r.live, ["vcpus"]);
            assert.deepEqual(r.saved, ["vcpus"]);
            assert.match(await liveXml(g.name), /<vcpu placement='static'>2<\/vcpu>/);
            assert.match(await savedXml(g.name), /<vcpu placement='static'>2<\/vcpu>/);
            const present = await waitFor(async () => {
                const p = await guestOutput(g, "cat /sys/devices/system/cpu/present");
                return p === "0-1" ? p : null;
            }, 20000, { interval: 1000, what: "cpu1 to be present in the guest" });
            assert.equal(present, "0-1");
            // The tiny guest has no udev rule that onlines a hot-added CPU; do what that rule does.
            await guestOutput(g, "grep -q 1 /sys/devices/system/cpu/cpu1/online || echo 1 > /sys/devices/system/cpu/cpu1/online");
            const online = await waitFor(async () => {
                const o = await guestOutput(g, "cat /sys/devices/system/cpu/online");
                return o === "0-1" ? o : null;
            }, 20000, { interval: 1000, what: "cpu1 to be online in the guest" });
            assert.equal(online, "0-1");
        });
        await t.test("maximum memory: saved only, the watch shows it as the next boot's", async () => {
            const r = await changed(b, g.uuid, { maxMemory: 256 * MIB });
            assert.deepEqual(r.live, []);
            assert.deepEqual(r.saved, ["maxMemory"]);
            assert.equal(kib(await liveXml(g.name), "memory"), 128 * 1024);
            assert.equal(kib(await savedXml(g.name), "memory"), 256 * 1024);
            const w = await b.watch(URI, {}, 60000);
            try {
                const vm = w.vms[g.uuid];
                assert.equal(vm.maxMemory, 128 * MIB);
                assert.equal(vm.saved?.maxMemory, 256 * MIB, JSON.stringify(vm.saved));
            } finally {
                b.close(w.channel);
            }
        });
        await t.test("title and description: live and saved; other tools' metadata survives", async () => {
            await virsh("metadata", g.name, "--config", "--uri", "urn:cvtest", "--key", "cv", "--set", "<keep>yes</keep>");
            const r = await changed(b, g.uuid, { title: "Tiny & small", description: "line 1\nline <2>" });
            assert.deepEqual(r.live, ["title", "description"]);
            assert.deepEqual(r.saved, ["title", "description"]);
            for (const xml of [await liveXml(g.name), await savedXml(g.name)]) {
                assert.match(xml, /<title>Tiny &amp; small<\/title>/);
                assert.match(xml, /<description>line 1\nline &lt;2&gt;<\/description>/);
            }
            assert.match(await savedXml(g.name), /<cv:keep xmlns:cv="urn:cvtest">yes<\/cv:keep>/);
        });
        await t.test("CPU pinning: vCPUs and the emulator, live and saved (virsh vcpupin/emulatorpin)", async () => {
            const { limits } = (await settings(b, g.uuid, { validate: true })).results[0];
            const last = limits.hostCpus - 1;
            assert.equal(limits.hostTopology.length, limits.hostCpus, JSON.stringify(limits.hostTopology));
            for (const [fields, field] of [[{ vcpuPins: { 5: [0] } }, "vcpuPins"], [{ vcpuPins: { 0: [last + 1] } }, "vcpuPins"],
                [{ emulatorPin: [last + 1] }, "emulatorPin"]]) {
                const r = await settings(b, g.uuid, fields);
                assert.equal(r.problem, "invalid-argument", r.trail);
                assert.deepEqual(Object.keys(r.close.errors), [field]);
            }
            const r = await changed(b, g.uuid, { vcpuPins: { 0: [last], 1: [0] }, emulatorPin: [0] });
            assert.deepEqual(r.live.sort(), ["emulatorPin", "vcpuPins"]);
            assert.deepEqual(r.saved.sort(), ["emulatorPin", "vcpuPins"]);
            const pinsOf = text => Object.fromEntries([...text.matchAll(/^\s*(\d+)\s+(\S+)\s*$/gm)].map(m => [m[1], m[2]]));
            for (const flag of ["--live", "--config"]) {
                assert.deepEqual(pinsOf(await virsh("vcpupin", g.name, flag)), { 0: String(last), 1: "0" }, flag);
                assert.equal((await virsh("emulatorpin", g.name, flag)).split(":").at(-1).trim(), "0", flag);
            }
            // An empty list is any host CPU again.
            await changed(b, g.uuid, { vcpuPins: { 0: [], 1: [] }, emulatorPin: [] });
            const any = last === 0 ? "0" : `0-${last}`;
            assert.deepEqual(pinsOf(await virsh("vcpupin", g.name, "--live")), { 0: any, 1: any });
        });
        await t.test("refused while running: a rename; more memory than the host", async () => {
            const r = await settings(b, g.uuid, { name: `${g.name}-x`, memory: 1024 * 1024 * MIB });
            assert.equal(r.problem, "invalid-argument", r.trail);
            assert.deepEqual(Object.keys(r.close.errors).sort(), ["memory", "name"]);
            assert.equal(r.results.length, 0);
        });
        await t.test("a rename libvirt refuses (managed save) undoes the definition edit made before it", async () => {
            await virsh("managedsave", g.name);
            const r = await settings(b, g.uuid, { description: "should not stay", name: `${g.name}-x` });
            assert.equal(r.problem, "internal-error", r.trail);
            assert.match(r.close.message, /managed/i);
            assert.ok(r.close["libvirt-error"] > 0);
            assert.match(await savedXml(g.name), /<description>line 1\nline &lt;2&gt;<\/description>/);
            assert.equal(await domExists(`${g.name}-x`), false);
        });
    });

    test("a shut-off VM (bridge 287): validation, topology, rename", async t => {
        const b = bridges["287"];
        const g = await defineTinyGuest("set-off", { disks: ["16M"] });
        const other = await defineTinyGuest("set-other");

        await t.test("validate: the current values and the host's limits, nothing changed", async () => {
            const r = await settings(b, g.uuid, { validate: true, memory: 0 });
            assert.equal(r.problem, undefined, r.trail);
            const [answer] = r.results;
            assert.equal(answer.current.name, g.name);
            assert.equal(answer.current.running, false);
            assert.equal(answer.current.saved.memory, 128 * MIB);
            assert.equal(answer.current.saved.maxVcpus, 1);
            assert.ok(answer.limits.hostMemory > 128 * MIB);
            assert.deepEqual(Object.keys(answer.errors), ["memory"]);
        });
        await t.test("bad input is refused by field and changes nothing", async () => {
            const saved = await savedXml(g.name);
            const cases = [
                [{ memory: 0 }, "memory"],
                [{ maxMemory: 1024 * 1024 * MIB }, "maxMemory"],
                [{ maxVcpus: 4, topology: { sockets: 1, dies: 1, cores: 2, threads: 1 } }, "topology"],
                [{ name: "cvtest-a/b" }, "name"],
                [{ name: other.name }, "name"],
            ];
            for (const [fields, field] of cases) {
                const r = await settings(b, g.uuid, fields);
                assert.equal(r.problem, "invalid-argument", r.trail);
                assert.deepEqual(Object.keys(r.close.errors), [field], r.trail);
                assert.ok(r.close.message.length > 0);
            }
            assert.equal(await savedXml(g.name), saved);
        });
        await t.test("vCPUs with a topology: saved", async () => {
            const r = await changed(b, g.uuid, { vcpus: 2, maxVcpus: 4, topology: { sockets: 1, dies: 1, cores: 2, threads: 2 } });
            assert.deepEqual(r.live, []);
            assert.deepEqual(r.saved.sort(), ["maxVcpus", "topology", "vcpus"]);
            const xml = await savedXml(g.name);
            assert.match(xml, /<vcpu placement='static' current='2'>4<\/vcpu>/);
            assert.match(xml, /<topology sockets='1' dies='1'( clusters='1')? cores='2' threads='2'\/>/);
            assert.equal((await virsh("vcpucount", g.name, "--config", "--current")).trim(), "2");
        });
        await t.test("firmware UEFI and boot menu: saved, OVMF at start, refused while running, back to BIOS", async () => {
            const r = await changed(b, g.uuid, { firmware: "efi", bootMenu: true });
            assert.deepEqual(r.saved.sort(), ["bootMenu", "firmware"]);
            const xml = await savedXml(g.name);
            assert.match(xml, /<os firmware='efi'>/);
            assert.match(xml, /<bootmenu enable='yes'\/>/);
            await virsh("start", g.name);
            const live = await liveXml(g.name);
            assert.match(live, /<loader [^>]*>\/usr\/share\/OVMF\/[^<]+<\/loader>/);
            const nvram = live.match(/<nvram[^>]*>([^<]+)<\/nvram>/)?.[1];
            assert.ok(nvram && existsSync(nvram), `NVRAM created from the template: ${nvram}`);
            const refused = await settings(b, g.uuid, { firmware: "bios" });
            assert.equal(refused.problem, "invalid-argument", refused.trail);
            assert.deepEqual(Object.keys(refused.close.errors), ["firmware"]);
            await virsh("destroy", g.name);
            const back = await changed(b, g.uuid, { firmware: "bios", bootMenu: false });
            assert.deepEqual(back.saved.sort(), ["bootMenu", "firmware"]);
            assert.doesNotMatch(await savedXml(g.name), /firmware='efi'|<loader|<nvram/);
            // The BIOS definition no longer names the NVRAM file, so undefine would not remove it.
            rmSync(nvram, { force: true });
        });
        await t.test("secure boot: refused on i440fx; on q35 libvirt's secure firmware, with a fresh NVRAM at the next start", async () => {
            const refused = await settings(b, g.uuid, { firmware: "efi", secureBoot: true });
            assert.equal(refused.problem, "invalid-argument", refused.trail);
            assert.deepEqual(Object.keys(refused.close.errors), ["secureBoot"]);
            assert.match(refused.close.errors.secureBoot, /machine type \(pc[^)]*\)/);
            // A q35 VM without a disk: QEMU starts with its firmware at once, and the NVRAM is made before it does.
            const name = `cvtest-sb-${g.uuid.slice(0, 6)}`;
            const file = `${g.dir}/q35.xml`;
            writeFileSync(file, `<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory>
                <os><type arch='x86_64' machine='q35'>hvm</type></os><features><acpi/></features></domain>`);
            await virsh("define", file);
            const { limits } = (await settings(b, name, { validate: true })).results[0];
            assert.equal(limits.secureBoot, true, "OVMF's secure boot images are installed (scripts/install-deps.sh)");
            const fresh = /<cockpit-virt:first-boot [^>]*nvram=["']reset["']/;
            // Plain UEFI first, started once through the helper: an NVRAM without enrolled keys.
            await changed(b, name, { firmware: "efi", secureBoot: false });
            assert.match(await savedXml(name), fresh);
            const startOnce = async () => {
                // A watch keeps the helper's hub open, as the page does.
                const { channel } = await b.watch(URI);
                const started = await b.action(URI, name, "start");
                assert.equal(started.problem, undefined, JSON.stringify(started.close));
                const live = await liveXml(name);
                const nvram = live.match(/<nvram[^>]*>([^<]+)<\/nvram>/)?.[1];
                // Seen running, the helper drops the marker: a later start keeps what this one made.
                await waitFor(async () => !fresh.test(await savedXml(name)), 20000, { what: "the marker to go" });
                b.close(channel);
                await virsh("destroy", name);
                return { live, keys: readFileSync(nvram).includes("Microsoft Corporation") };
            };
            const plain = await startOnce();
            assert.doesNotMatch(plain.live, /secure='yes'/);
            assert.equal(plain.keys, false, "the plain template has no enrolled keys");

            const r = await changed(b, name, { secureBoot: true });
            assert.deepEqual(r.saved, ["secureBoot"]);
            const xml = await savedXml(name);
            assert.match(xml, /<os firmware='efi'>[^]*<feature enabled='yes' name='secure-boot'\/>[^]*<\/os>/);
            assert.match(xml, /<smm state='on'\/>/);
            assert.match(xml, fresh);
            const answer = (await settings(b, name, { validate: true })).results[0];
            assert.equal(answer.current.saved.secureBoot, true);
            const secure = await startOnce();
            assert.match(secure.live, /<loader [^>]*secure='yes'[^>]*>[^<]+<\/loader>/);
            assert.equal(secure.keys, true, "the old NVRAM was replaced by the secure boot template's, keys enrolled");
            await virsh("undefine", "--nvram", name);
        });
        await t.test("domain-xml: read, a valid edit saved, libvirt's refusal, a concurrent edit and a new name refused", async () => {
            const xmlOp = async fields => {
                const channel = b.open({ payload: "virt1", op: "domain-xml", uri: URI, vm: g.uuid, ...fields });
                const messages = await b.untilClose(channel, 30000);
                const close = messages.at(-1).control;
                return { close, problem: close.problem, results: messages.filter(m => !m.command).map(m => m.data),
                         trail: messages.map(m => JSON.stringify(m.control ?? m.data)).join("\n") };
            };
            const read = await xmlOp({});
            assert.equal(read.problem, undefined, read.trail);
            const { xml, readOnly } = read.results[0];
            assert.equal(readOnly, false);
            assert.equal(xml, await virsh("dumpxml", "--inactive", "--security-info", g.name));

            const edited = xml.replace("<on_crash>destroy</on_crash>", "<on_crash>restart</on_crash>");
            assert.notEqual(edited, xml);
            const saved = await xmlOp({ define: edited, base: xml });
            assert.equal(saved.problem, undefined, saved.trail);
            assert.deepEqual(saved.results, [{ ok: true, changed: true }]);
            assert.match(await savedXml(g.name), /<on_crash>restart<\/on_crash>/);
            const base = await savedXml(g.name);

            const bad = await xmlOp({ define: base.replace("<on_crash>restart", "<on_crash>explode"), base });
            assert.equal(bad.problem, "internal-error", bad.trail);
            assert.match(bad.close.message, /failed to validate against schema[^]*on_crash/);
            assert.ok(bad.close["libvirt-error"] > 0);
            assert.equal(await savedXml(g.name), base);

            const renamed = await xmlOp({ define: base.replace(`<name>${g.name}</name>`, "<name>cvtest-other-name</name>"), base });
            assert.equal(renamed.problem, "invalid-argument", renamed.trail);
            assert.deepEqual(Object.keys(renamed.close.errors), ["xml"]);

            await virsh("desc", g.name, "--config", "changed by virsh");
            const stale = await xmlOp({ define: base.replace("<on_crash>restart", "<on_crash>preserve"), base });
            assert.equal(stale.problem, "invalid-argument", stale.trail);
            assert.deepEqual(Object.keys(stale.close.errors), ["base"]);
            assert.match(await savedXml(g.name), /<on_crash>restart<\/on_crash>/);
            assert.match(await savedXml(g.name), /changed by virsh/);
        });
        await t.test("boot order: per-device orders saved, old <os><boot> gone, QEMU told (bootindex)", async () => {
            const answer = (await settings(b, g.uuid, { validate: true })).results[0];
            const { bootDevices, bootOrder } = answer.current.saved;
            const nic = bootDevices.find(d => d.kind === "interface");
            assert.ok(nic, JSON.stringify(bootDevices));
            assert.deepEqual(bootDevices.map(d => d.key), ["disk:vda", nic.key]);
            // The tiny guest boots its kernel directly: libvirt's default <boot dev='hd'/> names the first disk.
            assert.deepEqual(bootOrder, ["disk:vda"]);
            for (const bad of [["disk:vdz"], ["disk:vda", "disk:vda"]]) {
                const r = await settings(b, g.uuid, { bootOrder: bad });
                assert.equal(r.problem, "invalid-argument", r.trail);
                assert.deepEqual(Object.keys(r.close.errors), ["bootOrder"]);
            }
            const r = await changed(b, g.uuid, { bootOrder: [nic.key, "disk:vda"], bootMenu: true });
            assert.deepEqual(r.saved.sort(), ["bootMenu", "bootOrder"]);
            const xml = await savedXml(g.name);
            assert.doesNotMatch(xml, /<boot dev=/);
            assert.match(xml, /<interface type='user'>[^]*<boot order='1'\/>[^]*<\/interface>/);
            assert.match(xml, /<target dev='vda' bus='virtio'\/>\s*<boot order='2'\/>/);
            // What the firmware gets: the NIC first, then the disk.
            await virsh("start", g.name);
            try {
                const pid = readFileSync(`/run/libvirt/qemu/${g.name}.pid`, "utf8").trim();
                const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
                const bootIndex = driver => args.find(a => a.includes(`"driver":"${driver}"`))?.match(/"bootindex":(\d+)/)?.[1];
                assert.equal(bootIndex("virtio-net-pci"), "1", args.join(" "));
                assert.equal(bootIndex("virtio-blk-pci"), "2", args.join(" "));
            } finally {
                await virsh("destroy", g.name);
            }
            const again = await settings(b, g.uuid, { validate: true });
            assert.deepEqual(again.results[0].current.saved.bootOrder, [nic.key, "disk:vda"]);
            await changed(b, g.uuid, { bootOrder: ["disk:vda"], bootMenu: false });
        });
        await t.test("CPU model: domcapabilities of the VM's own virt type; unusable and unknown refused", async () => {
            const answer = (await settings(b, g.uuid, { validate: true })).results[0];
            const { domainType, cpus } = answer.limits;
            assert.equal(domainType, (await savedXml(g.name)).match(/<domain type='(\w+)'/)[1]);
            const usable = cpus.models.filter(m => m.usable).map(m => m.name);
            assert.ok(usable.includes("qemu64"), usable.join(" "));
            const saved = await savedXml(g.name);
            const refusals = [
                { cpu: { mode: "custom", model: "cvtest-no-such-cpu" } },
                { cpu: { mode: "custom" } },
            ];
            const unusable = cpus.models.find(m => !m.usable && m.blockers.length > 0);
            if (unusable)
                refusals.push({ cpu: { mode: "custom", model: unusable.name } });
            if (!cpus.hostPassthrough)
                refusals.push({ cpu: { mode: "host-passthrough" } });
            for (const fields of refusals) {
                const r = await settings(b, g.uuid, fields);
                assert.equal(r.problem, "invalid-argument", r.trail);
                assert.deepEqual(Object.keys(r.close.errors), ["cpu"]);
            }
            if (unusable) {
                const r = await settings(b, g.uuid, { validate: true, cpu: { mode: "custom", model: unusable.name } });
                assert.match(r.results[0].errors.cpu, new RegExp(`lacks ${unusable.blockers[0]}`));
            }
            assert.equal(await savedXml(g.name), saved);
            // Another 64-bit model than the one the VM has (libvirt names TCG's default, qemu64, in the definition).
            const model = ["kvm64", "max"].find(m => usable.includes(m) && m !== answer.current.saved.cpu.model);
            assert.ok(model, usable.join(" "));
            const r = await changed(b, g.uuid, { cpu: { mode: "custom", model } });
            assert.deepEqual(r.saved, ["cpu"]);
            const xml = await savedXml(g.name);
            assert.match(xml, new RegExp(`<cpu mode='custom' match='exact'[^>]*>[^]*<model fallback='forbid'>${model}</model>`));
            // The topology set before stays.
            assert.match(xml, /<topology sockets='1' dies='1'( clusters='1')? cores='2' threads='2'\/>/);
            // The rename below boots the VM with this CPU.
        });
        await t.test("TPM (swtpm runs at start), watchdog and vsock: saved; reserved CID and unknown action refused", async () => {
            for (const [fields, field] of [[{ vsock: { cid: 2 } }, "vsock"], [{ watchdog: { model: "i6300esb", action: "explode" } }, "watchdog"]]) {
                const r = await settings(b, g.uuid, fields);
                assert.equal(r.problem, "invalid-argument", r.trail);
                assert.deepEqual(Object.keys(r.close.errors), [field]);
            }
            const { limits } = (await settings(b, g.uuid, { validate: true })).results[0];
            assert.equal(limits.tpm, true, "swtpm is installed (scripts/install-deps.sh), so libvirt offers a TPM");
            const r = await changed(b, g.uuid, { tpm: true, watchdog: { model: "i6300esb", action: "poweroff" }, vsock: { cid: 42 } });
            assert.deepEqual(r.saved.sort(), ["tpm", "vsock", "watchdog"]);
            let xml = await savedXml(g.name);
            assert.match(xml, /<tpm model='[\w-]+'>\s*<backend type='emulator' version='2.0'\/>/);
            assert.match(xml, /<watchdog model='i6300esb' action='poweroff'\/?>/);
            assert.match(xml, /<vsock model='virtio'>\s*<cid auto='no' address='42'\/>/);
            const auto = await changed(b, g.uuid, { vsock: { cid: null } });
            assert.deepEqual(auto.saved, ["vsock"]);
            assert.match(await savedXml(g.name), /<cid auto='yes'\/>/);
            // This host has no /dev/vhost-vsock: start without the vsock, with the TPM, whose swtpm must run.
            await changed(b, g.uuid, { vsock: null });
            await virsh("start", g.name);
            try {
                assert.match(await liveXml(g.name), /<backend type='emulator' version='2.0'\/?>/);
                const swtpm = execFileSync("pgrep", ["-af", "swtpm"], { encoding: "utf8" });
                assert.match(swtpm, new RegExp(g.uuid), swtpm);
            } finally {
                await virsh("destroy", g.name);
            }
            const off = await changed(b, g.uuid, { tpm: false, watchdog: null });
            assert.deepEqual(off.saved.sort(), ["tpm", "watchdog"]);
            xml = await savedXml(g.name);
            assert.doesNotMatch(xml, /<tpm|<watchdog model='i6300esb'|<vsock/);
        });
        await t.test("rename: same VM, same disk, and it boots", async () => {
            const name = `${g.name}-new`;
            const r = await changed(b, g.uuid, { name });
            assert.deepEqual(r.saved, ["name"]);
            assert.equal(await domExists(g.name), false);
            assert.equal((await virsh("domuuid", name)).trim(), g.uuid);
            assert.ok((await savedXml(name)).includes(g.disks[0]));
            await virsh("start", name);
            await waitForSerial(g, READY, BOOT_MS);
            await virsh("destroy", name);
        });
    });
});
