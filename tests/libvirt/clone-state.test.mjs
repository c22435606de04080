// SPDX-License-Identifier: LGPL-2.1-or-later
// op `clone` (docs/api.md) of a UEFI VM with an emulated TPM on the real libvirtd, through both bridges: the clone
// gets its own copy of the original's NVRAM (a marker written into it is there, in a file named for the clone, with
// the same owner and mode) and of its swtpm state (under the clone's UUID, equal to the original's, same owners);
// the clone starts. A clone that fails at the TPM copy (the state is larger than the helper copies) leaves no VM,
// no NVRAM and no TPM state behind.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { Bridge } from "../harness/bridge.mjs";
import {
    GUESTS_DIR, PREFIX, TCG_FEATURE, URI, cleanupTestObjects, cleanupTestResources, ensureLibvirtd, virsh, waitFor,
} from "../harness/libvirt.mjs";

const NVRAM_DIR = "/var/lib/libvirt/qemu/nvram";
const SWTPM_DIR = "/var/lib/libvirt/swtpm";
const sha = file => createHash("sha256").update(readFileSync(file)).digest("hex");
const owner = file => { const s = statSync(file); return [s.uid, s.gid, s.mode & 0o7777]; };
const nvramOf = xml => xml.match(/<nvram[^>]*>([^<]+)<\/nvram>/)?.[1];

async function cloneOp(b, vm, params) {
    const channel = b.open({ payload: "virt1", op: "clone", uri: URI, vm, action: "clone", ...params });
    const messages = await b.untilClose(channel, 120000);
    const close = messages.at(-1).control;
    return { close, data: messages.filter(m => !m.command).map(m => m.data) };
}

describe("clone of a UEFI VM with a TPM", () => {
    let b337, b287;
    const name = `${PREFIX}uefi-${randomUUID().slice(0, 6)}`;
    const uuid = randomUUID();
    const dir = path.join(GUESTS_DIR, name);
    const pool = `${PREFIX}uefipool`;
    const marker = `CVTEST-NVRAM-${randomUUID()}`;
    let nvram;

    before(async () => {
        await ensureLibvirtd();
        await cleanupTestObjects();
        [b337, b287] = await Promise.all([Bridge.start("337"), Bridge.start("287")]);
        mkdirSync(dir, { recursive: true });
        chmodSync(GUESTS_DIR, 0o755);
        chmodSync(dir, 0o755);
        const disk = path.join(dir, "disk0.qcow2");
        execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", disk, "16M"]);
        chmodSync(disk, 0o644);
        writeFileSync(path.join(dir, "domain.xml"), `<domain type='qemu'>
  <name>${name}</name><uuid>${uuid}</uuid><memory unit='MiB'>128</memory>
  <os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type></os><features><acpi/>${TCG_FEATURE}</features>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${disk}'/><target dev='vda' bus='virtio'/></disk>
    <tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>
    <video><model type='none'/></video><memballoon model='none'/>
  </devices>
</domain>`);
        await virsh("define", path.join(dir, "domain.xml"));
        await virsh("pool-create-as", pool, "dir", "--target", dir);
        nvram = nvramOf(await virsh("dumpxml", "--inactive", name));
        assert.ok(nvram?.startsWith(`${NVRAM_DIR}/`), `libvirt names the NVRAM: ${nvram}`);
        // A first start makes the NVRAM (from the template) and the TPM state (swtpm_setup).
        await virsh("start", name);
        await waitFor(() => existsSync(path.join(SWTPM_DIR, uuid, "tpm2", "tpm2-00.permall")), 30000, { what: "swtpm state" });
        await virsh("destroy", name);
        const fd = openSync(nvram, "r+");
        writeSync(fd, Buffer.from(marker), 0, marker.length, statSync(nvram).size - 64);
        closeSync(fd);
    });
    after(async () => {
        await Promise.all([b337?.closeBridge(), b287?.closeBridge()]);
        await cleanupTestObjects();
        await cleanupTestResources();
        rmSync(dir, { recursive: true, force: true });
    });

    test("the clone has its own copies of the NVRAM and the TPM state, and starts", async () => {
        const cloneName = `${name}-clone`;
        const { close, data } = await cloneOp(b337, uuid, { name: cloneName, pool });
        assert.equal(close.problem, undefined, `clone failed: ${close.message}\n${JSON.stringify(data)}`);
        assert.ok(data.some(d => d.progress?.step === "state"), JSON.stringify(data));
        const cloneUuid = data.find(d => d.vm).vm.id;
        const cloneNvram = nvramOf(await virsh("dumpxml", "--inactive", cloneName));
        assert.equal(cloneNvram, path.join(NVRAM_DIR, `${cloneName}_VARS.fd`));
        assert.equal(sha(cloneNvram), sha(nvram), "the clone's NVRAM is the original's");
        assert.ok(readFileSync(cloneNvram).includes(marker));
        assert.deepEqual(owner(cloneNvram), owner(nvram));
        assert.equal(nvramOf(await virsh("dumpxml", "--inactive", name)), nvram, "the original keeps its NVRAM");
        const state = (u, ...rest) => path.join(SWTPM_DIR, u, "tpm2", ...rest);
        assert.equal(sha(state(cloneUuid, "tpm2-00.permall")), sha(state(uuid, "tpm2-00.permall")));
        for (const part of [[], ["tpm2-00.permall"]])
            assert.deepEqual(owner(state(cloneUuid, ...part)), owner(state(uuid, ...part)), part.join("/"));
        assert.deepEqual(owner(path.join(SWTPM_DIR, cloneUuid)), owner(path.join(SWTPM_DIR, uuid)));
        // libvirt takes the copies as the clone's own: it starts with them.
        await virsh("start", cloneName);
        await virsh("destroy", cloneName);
        assert.ok(readFileSync(cloneNvram).includes(marker), "the NVRAM was not replaced at start");
    });

    test("a clone failing at the TPM copy leaves no NVRAM or TPM state behind", async () => {
        const big = path.join(SWTPM_DIR, uuid, "tpm2", "cvtest-big");
        execFileSync("truncate", ["-s", "65M", big]);
        try {
            const cloneName = `${name}-fail`;
            const before = new Set(execFileSync("ls", [SWTPM_DIR]).toString().split("\n"));
            const { close } = await cloneOp(b287, uuid, { name: cloneName, pool });
            assert.equal(close.problem, "not-supported", JSON.stringify(close));
            assert.equal((await virsh("list", "--all", "--name")).split("\n").includes(cloneName), false, "no VM is left");
            assert.equal(existsSync(path.join(NVRAM_DIR, `${cloneName}_VARS.fd`)), false, "no NVRAM is left");
            const now = execFileSync("ls", [SWTPM_DIR]).toString().split("\n");
            assert.deepEqual(now.filter(d => !before.has(d)), [], "no TPM state is left");
        } finally {
            rmSync(big, { force: true });
        }
    });
});
