// SPDX-License-Identifier: LGPL-2.1-or-later
// op osinfo through the real bridges (docs/api.md): the OS list from the host's osinfo-db, detection of real ISO
// images made with xorriso, by path and by http URL from a server this test runs (range requests, a server that
// ignores them, redirects, a .treeinfo), and the refusals.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { Bridge, REPO, abbreviate, bridgeNames } from "../harness/bridge.mjs";

const FEDORA_TREEINFO = `[header]
type = productmd.treeinfo
version = 1.2

[release]
name = Fedora
short = Fedora
version = 37

[general]
arch = x86_64
family = Fedora
name = Fedora 37
platforms = x86_64,xen
timestamp = 1667347200
variant = Server
version = 37

[images-x86_64]
initrd = images/pxeboot/initrd.img
kernel = images/pxeboot/vmlinuz
`;

/**
 * An ISO 9660 image with this volume id, mastered by xorriso from a small directory; bootable (El Torito, a
 * no-emulation boot image) unless told otherwise.
 */
function makeIso(dir, name, volumeId, { bootable = true } = {}) {
    const content = path.join(dir, `${name}.d`);
    mkdirSync(content, { recursive: true });
    writeFileSync(path.join(content, "README.txt"), `${volumeId}\n`);
    writeFileSync(path.join(content, "boot.img"), Buffer.alloc(2048));
    const iso = path.join(dir, `${name}.iso`);
    const boot = bootable ? ["-b", "boot.img", "-no-emul-boot"] : [];
    execFileSync("xorriso", ["-as", "mkisofs", "-quiet", "-J", "-V", volumeId, "-publisher", "cockpit-virt tests",
        ...boot, "-o", iso, content], { stdio: ["ignore", "ignore", "pipe"] });
    return iso;
}

/**
 * A tiny HTTP server: /iso/<name>.iso honours Range, /norange/<name>.iso ignores it (200 with everything),
 * /redirect/<name>.iso answers 302 to /iso/<name>.iso, /tree/.treeinfo is a Fedora 37 Server tree,
 * /bare/ has no treeinfo, /broken/ answers 500. It records each request's path and Range header.
 */
function startServer(isos) {
    const requests = [];
    const server = http.createServer((req, res) => {
        requests.push({ url: req.url, range: req.headers.range });
        const [, kind, file] = req.url.match(/^\/([^/]+)\/(.*)$/) ?? [];
        const iso = isos[file];
        if (kind === "tree" && file === ".treeinfo") {
            res.writeHead(200, { "Content-Type": "text/plain" });
            return res.end(FEDORA_TREEINFO);
        }
        if (kind === "broken") {
            res.writeHead(500);
            return res.end("oops");
        }
        if (kind === "redirect" && iso) {
            res.writeHead(302, { Location: `/iso/${file}` });
            return res.end();
        }
        if (kind === "iso" && iso && req.headers.range) {
            const [, start, end] = req.headers.range.match(/^bytes=(\d+)-(\d+)$/);
            const body = iso.subarray(Number(start), Number(end) + 1);
            res.writeHead(206, { "Content-Range": `bytes ${start}-${Number(start) + body.length - 1}/${iso.length}`,
                                 "Content-Length": body.length });
            return res.end(body);
        }
        if ((kind === "iso" || kind === "norange") && iso) {
            res.writeHead(200, { "Content-Length": iso.length });
            return res.end(iso);
        }
        res.writeHead(404);
        res.end("not here");
    });
    return new Promise(resolve => server.listen(0, "127.0.0.1", () => resolve({ server, requests })));
}

/** Debian's numbered releases in the list, newest first. */
function debianReleases(oses) {
    return oses.filter(os => os.distro === "debian" && /^\d+$/.test(os.version ?? ""))
            .sort((a, b) => Number(b.version) - Number(a.version));
}

for (const name of bridgeNames()) {
    describe(`op osinfo via bridge ${name}`, () => {
        let b, dir, srv, base, oses, debian, isoPath, isos;

        before(async () => {
            b = await Bridge.start(name);
            dir = mkdtempSync(path.join(tmpdir(), "cvtest-osinfo-"));
            // The list first: which Debian the installed osinfo-db knows decides the volume id to test.
            const list = await osinfo({});
            oses = list.results[0].oses;
            debian = debianReleases(oses)[0];
            assert.ok(debian, "osinfo-db lists no numbered Debian release");
            isoPath = makeIso(dir, "debian", `Debian ${debian.version}.0.0 amd64 n`);
            isos = { "debian.iso": readFileSync(isoPath) };
            srv = await startServer(isos);
            base = `http://127.0.0.1:${srv.server.address().port}`;
        });
        after(async () => {
            srv?.server.close();
            await b?.closeBridge();
            if (dir)
                rmSync(dir, { recursive: true, force: true });
        });

        /** Runs one osinfo channel to its close: { results, close, problem, trail }. */
        async function osinfo(fields, bridge = b) {
            const channel = bridge.open({ payload: "virt1", op: "osinfo", ...fields });
            const messages = await bridge.untilClose(channel, 30000);
            const close = messages.at(-1).control;
            return {
                results: messages.filter(m => !m.command).map(m => m.data),
                ready: messages.some(m => m.command === "ready"),
                close,
                problem: close.problem,
                trail: messages.map(abbreviate).join("\n"),
            };
        }

        async function detect(spec) {
            const r = await osinfo({ detect: spec });
            assert.equal(r.problem, undefined, r.trail);
            assert.equal(r.results.length, 1, r.trail);
            return r.results[0];
        }

        test("list: one message of OSes, clean close, the newest Debian with sane resources", async () => {
            const r = await osinfo({});
            assert.equal(r.problem, undefined, r.trail);
            assert.ok(r.ready, r.trail);
            assert.equal(r.results.length, 1, r.trail);
            const list = r.results[0].oses;
            assert.ok(list.length > 400, `${list.length} OSes`);
            assert.equal(r.results[0].message, undefined);
            const ids = new Set(list.map(os => os.short_id));
            assert.equal(ids.size, list.length, "short ids are unique");

            assert.equal(debian.short_id, `debian${debian.version}`);
            assert.ok(Number(debian.version) >= 11, `newest Debian is ${debian.version}`);
            assert.equal(debian.vendor, "Debian Project");
            assert.equal(debian.family, "linux");
            assert.equal(debian.eol, false);
            const mem = debian.recommended.memory_mib;
            assert.ok(mem >= 512 && mem <= 16384, `recommended memory ${mem} MiB`);
            assert.ok(debian.recommended.storage_gib >= 5, JSON.stringify(debian.recommended));
            assert.ok(debian.minimum.memory_mib <= mem, JSON.stringify(debian.minimum));
            assert.deepEqual(debian.virtio, { disk: true, net: true, video: true });
            assert.equal(debian.firmware, "bios");
            assert.ok(debian.media && debian.cloud_image, JSON.stringify(debian));

            const win11 = list.find(os => os.short_id === "win11");
            assert.deepEqual([win11.firmware, win11.secure_boot, win11.tpm], ["efi", true, true]);
            // Sorted by vendor, then newest version first.
            const debians = list.filter(os => os.vendor === "Debian Project").map(os => os.short_id);
            assert.ok(debians.indexOf(debian.short_id) < debians.indexOf("debian10"), debians.join(" "));
            const vendors = list.map(os => (os.vendor ?? "").toLowerCase());
            assert.deepEqual(vendors, [...vendors].sort(), "vendor order");
        });

        test("list_env_dir: $CVIRT_OSINFO_DIR points the helper at another osinfo-db", async () => {
            const other = await Bridge.start(name, { env: { CVIRT_OSINFO_DIR: path.join(REPO, "src/osinfo/testdata") } });
            try {
                const list = await osinfo({}, other);
                assert.equal(list.problem, undefined, list.trail);
                assert.deepEqual(list.results[0].oses.map(os => os.short_id),
                                 ["demo10", "demo3", "demo2", "demo1", "demowin", "other"]);
                const iso = makeIso(dir, "demo", "Demo 1 amd64");
                const got = await osinfo({ detect: { media: iso } }, other);
                assert.deepEqual(got.results, [{ detected: { short_id: "demo1", name: "Demo 1" },
                                                 volume_id: "Demo 1 amd64", bootable: true }], got.trail);
            } finally {
                await other.closeBridge();
            }
        });

        test("detect_media: an ISO made with xorriso is recognised by its volume id", async () => {
            const got = await detect({ media: isoPath });
            assert.deepEqual(got, {
                detected: { short_id: debian.short_id, name: debian.name },
                volume_id: `Debian ${debian.version}.0.0 amd64 n`,
                bootable: true,
            });
            // Not bootable (like DVD 2 of a set): not install media, as for libosinfo.
            const data = makeIso(dir, "data", `Debian ${debian.version}.0.0 amd64 n`, { bootable: false });
            assert.deepEqual(await detect({ media: data }),
                             { detected: null, volume_id: `Debian ${debian.version}.0.0 amd64 n`, bootable: false });
            // Debian 12's volume id: recognised only where osinfo-db knows Debian 12 (0.20221130 does not).
            const iso12 = makeIso(dir, "debian12", "Debian 12.0.0 amd64 n");
            const has12 = oses.find(os => os.short_id === "debian12");
            const got12 = await detect({ media: iso12 });
            assert.equal(got12.volume_id, "Debian 12.0.0 amd64 n");
            assert.deepEqual(got12.detected, has12 ? { short_id: "debian12", name: has12.name } : null);
        });

        test("detect_media: a file that is not an ISO is not recognised; no ISO at all is not-found", async () => {
            const text = path.join(dir, "notes.txt");
            writeFileSync(text, "hello\n");
            assert.deepEqual(await detect({ media: text }), { detected: null, volume_id: null, bootable: null });

            const missing = path.join(dir, "missing.iso");
            const r = await osinfo({ detect: { media: missing } });
            assert.equal(r.problem, "not-found", r.trail);
            assert.ok(r.close.message.includes(missing), r.close.message);
            assert.equal(r.results.length, 0, r.trail);
        });

        test("detect_hostile_paths: a FIFO, /dev/zero, a char device, a directory, a symlink to a FIFO are refused unopened", async () => {
            const fifo = path.join(dir, "fifo");
            execFileSync("mkfifo", [fifo]);
            const link = path.join(dir, "link-to-fifo");
            symlinkSync(fifo, link);
            // A bystander: a watch on the test driver, kept open through the barrage.
            const bystander = b.open({ payload: "virt1", op: "watch", uri: "test:///default" });
            await b.next(bystander, m => m.command === "ready");
            const pids = b.helperPids();
            assert.equal(pids.length, 1, "one helper process");
            const cases = [[fifo, /is a FIFO \(named pipe\), not a file/], [link, /is a FIFO/],
                ["/dev/zero", /is a character device, not a file/], ["/dev/tty", /is a character device/],
                [dir, /is a directory, not a file/]];
            // More than the blocking pool could hold if each hung a thread.
            const runs = [];
            for (let i = 0; i < 8; i++)
                for (const [media] of cases)
                    runs.push(osinfo({ detect: { media } }));
            const results = await Promise.all(runs);
            for (const [i, r] of results.entries()) {
                const [media, message] = cases[i % cases.length];
                assert.equal(r.problem, "invalid-argument", `${media}: ${r.trail}`);
                assert.match(r.close.message, message, r.trail);
                assert.equal(r.results.length, 0, r.trail);
            }
            b.control({ command: "ping", channel: bystander, sequence: 7 });
            await b.next(bystander, m => m.command === "pong");
            assert.deepEqual(b.helperPids(), pids, "the helper was not restarted");
            // A real ISO is still detected at once: no worker is stuck.
            assert.equal((await detect({ media: isoPath })).detected.short_id, debian.short_id);
            b.close(bystander);
            await b.next(bystander, m => m.command === "close");
        });

        test("detect_refusals: relative path and unknown detect kind are protocol errors", async () => {
            for (const spec of [{ media: "debian.iso" }, { floppy: "/x" }, "x"]) {
                const r = await osinfo({ detect: spec });
                assert.equal(r.problem, "protocol-error", r.trail);
                assert.equal(r.ready, false, r.trail);
            }
        });

        test("detect_url: an http ISO by range request, without range support, and through a redirect", async () => {
            const want = { detected: { short_id: debian.short_id, name: debian.name },
                           volume_id: `Debian ${debian.version}.0.0 amd64 n`, bootable: true };
            srv.requests.length = 0;
            assert.deepEqual(await detect({ url: `${base}/iso/debian.iso` }), want);
            // The primary volume descriptor and the boot record after it.
            assert.deepEqual(srv.requests, [{ url: "/iso/debian.iso", range: "bytes=32768-36863" }]);
            assert.deepEqual(await detect({ url: `${base}/norange/debian.iso` }), want);
            assert.deepEqual(await detect({ url: `${base}/redirect/debian.iso` }), want);
            assert.equal(srv.requests.at(-1).url, "/iso/debian.iso");
        });

        test("detect_url: an install tree by its .treeinfo", async () => {
            srv.requests.length = 0;
            const got = await detect({ url: `${base}/tree` });
            assert.deepEqual(got, { detected: { short_id: "fedora37", name: "Fedora Linux 37" }, volume_id: null,
                                    bootable: null });
            assert.deepEqual(srv.requests.map(r => r.url), ["/tree/.treeinfo"]);
            // No treeinfo (both names tried): not recognised, not an error.
            srv.requests.length = 0;
            assert.deepEqual(await detect({ url: `${base}/bare/` }), { detected: null, volume_id: null, bootable: null });
            assert.deepEqual(srv.requests.map(r => r.url), ["/bare/.treeinfo", "/bare/treeinfo"]);
        });

        test("detect_url: missing ISO is not-found, unreachable host fails, ftp and nfs are not probed", async () => {
            const r = await osinfo({ detect: { url: `${base}/iso/nope.iso` } });
            assert.equal(r.problem, "not-found", r.trail);
            assert.ok(r.close.message.includes("/iso/nope.iso") && r.close.message.includes("404"), r.close.message);
            const broken = await osinfo({ detect: { url: `${base}/broken?x=1` } });
            assert.equal(broken.problem, "internal-error", broken.trail);
            assert.ok(broken.close.message.includes(`${base}/broken/.treeinfo: `) && broken.close.message.includes("500"),
                      broken.close.message);

            // A port nobody listens on: connection refused.
            const closed = http.createServer();
            await new Promise(resolve => closed.listen(0, "127.0.0.1", resolve));
            const port = closed.address().port;
            await new Promise(resolve => closed.close(resolve));
            const refused = await osinfo({ detect: { url: `http://127.0.0.1:${port}/x.iso` } });
            assert.equal(refused.problem, "not-found", refused.trail);
            assert.ok(refused.close.message.includes(`127.0.0.1:${port}`), refused.close.message);

            for (const url of ["ftp://127.0.0.1/x.iso", "nfs://host/export/tree"])
                assert.deepEqual(await detect({ url }), { detected: null, volume_id: null, bootable: null }, url);
        });
    });
}
