// SPDX-License-Identifier: LGPL-2.1-or-later
// Issue 12, everything HTTP, through the real bridges: a hostile web server on 127.0.0.1 (raw TCP, so it can
// answer what no real server would) against op osinfo's URL detection and op create's validation on test:///.
// A crafted URL never puts injected lines on the wire; a Location with a bare \n is not followed; a chunk-size
// bomb, an overflowing chunk size and an endless body are cut off with bounded memory; a .treeinfo cannot send
// the helper outside its tree; an unreachable, non-ISO or tree-less URL is a field error before anything runs.
// After all of it the helper is the same process and answers.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import net from "node:net";
import { after, before, describe, test } from "node:test";

import { Bridge, abbreviate, bridgeNames } from "../harness/bridge.mjs";

const URI = "test:///default";
/** How much an endless answer may push before the helper hangs up: socket buffers, not the whole stream. */
const ENDLESS_CAP = 256 << 20;

/**
 * The hostile server. Every connection's raw bytes are recorded (`connections`); the answer depends on the
 * request path. Endless answers stop when the client goes (or at ENDLESS_CAP); `sent` counts their bytes.
 */
function startHostile() {
    const connections = [];
    let sent = 0;
    const endless = (socket, head) => {
        socket.write(head);
        const chunk = Buffer.alloc(64 << 10, "x");
        const pump = () => {
            while (!socket.destroyed && sent < ENDLESS_CAP) {
                sent += chunk.length;
                if (!socket.write(chunk))
                    return socket.once("drain", pump);
            }
            socket.end();
        };
        pump();
    };
    const text = (socket, status, body, headers = "") =>
        socket.end(`HTTP/1.1 ${status}\r\n${headers}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    // test:/// says its host is i686.
    const treeinfo = images => `[general]\nfamily = Fedora\nversion = 37\n\n[images-x86_64]\n${images}[images-i686]\n${images}`;

    const server = net.createServer(socket => {
        const record = { raw: Buffer.alloc(0) };
        connections.push(record);
        socket.on("error", () => {});
        socket.on("data", data => {
            record.raw = Buffer.concat([record.raw, data]);
            if (record.answered || !record.raw.includes("\r\n\r\n"))
                return;
            record.answered = true;
            const path = record.raw.toString("latin1").split(" ")[1] ?? "";
            switch (path) {
            case "/redirect-lf.iso":
                return socket.end("HTTP/1.1 302 Found\r\nLocation: /a\nSET injected 1\r\nContent-Length: 0\r\n\r\n");
            case "/bomb.iso":
                return endless(socket, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7fffffffffffffff\r\n");
            case "/overflow/.treeinfo":
                return endless(socket, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffffffff\r\n");
            case "/endless/.treeinfo":
                return endless(socket, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n[general]\nfamily = Fedora\n#");
            case "/ssrf/.treeinfo":
                return text(socket, "200 OK", treeinfo("kernel = http://169.254.169.254/latest/meta-data\ninitrd = i\n"));
            case "/climb/.treeinfo":
                return text(socket, "200 OK", treeinfo("kernel = ../../../etc/k\ninitrd = i\n"));
            case "/page.iso":
                return text(socket, "200 OK", "<html>" + "x".repeat(40000) + "</html>");
            default:
                return text(socket, "404 Not Found", "");
            }
        });
    });
    return new Promise(resolve => server.listen(0, "127.0.0.1", () => resolve({
        base: `http://127.0.0.1:${server.address().port}`,
        connections,
        sent: () => sent,
        reset: () => { connections.length = 0; sent = 0 },
        close: () => new Promise(done => server.close(() => done())),
    })));
}

/** Every request head received is well-formed: CRLF lines of printable ASCII, a GET request line. */
function assertWellFormed(connections) {
    for (const { raw } of connections) {
        const head = raw.toString("latin1");
        const end = head.indexOf("\r\n\r\n");
        assert.ok(end > 0, `an unterminated request: ${JSON.stringify(head)}`);
        assert.equal(end + 4, raw.length, `bytes after the head: ${JSON.stringify(head)}`);
        const lines = head.slice(0, end).split("\r\n");
        assert.match(lines[0], /^GET \/[\x21-\x7e]* HTTP\/1\.1$/, JSON.stringify(head));
        for (const line of lines)
            assert.match(line, /^[\x20-\x7e]+$/, `a control character in ${JSON.stringify(line)}`);
        assert.ok(!lines.some(line => /^SET\b/i.test(line)), JSON.stringify(head));
    }
}

function rssKib(pid) {
    return Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+)/m)[1]);
}

for (const name of bridgeNames()) {
    describe(`hostile HTTP via bridge ${name}`, () => {
        let b, srv, pids;

        before(async () => {
            b = await Bridge.start(name);
            srv = await startHostile();
            // The helper starts with the first channel.
            assert.equal((await osinfo({ url: "ftp://127.0.0.1/x.iso" })).problem, undefined);
            pids = b.helperPids();
            assert.equal(pids.length, 1, `one helper: ${pids}`);
        });
        after(async () => {
            await srv?.close();
            await b?.closeBridge();
        });

        async function run(options, timeoutMs = 30000) {
            const channel = b.open({ payload: "virt1", ...options });
            const messages = await b.untilClose(channel, timeoutMs);
            const close = messages.at(-1).control;
            return {
                data: messages.filter(m => !m.command).map(m => m.data),
                close,
                problem: close.problem,
                trail: messages.map(abbreviate).join("\n"),
            };
        }
        const osinfo = detect => run({ op: "osinfo", detect });

        /** The helper's verdict on `source` for a url spec (validation on test:///). */
        async function sourceError(url) {
            const spec = { name: "cvtest-hostile", os: null, source: { kind: "url", url }, memory_mib: 128, vcpus: 1,
                           storage: { kind: "none" }, network: { kind: "none" }, virt_type: "qemu", run: false };
            const r = await run({ op: "create", uri: URI, mode: "validate", spec });
            assert.equal(r.problem, undefined, r.trail);
            return r.data.at(-1).errors.source ?? "";
        }

        test("request-line injection: a crafted URL is refused before any byte is sent", async () => {
            srv.reset();
            // What `#/create?source=http%3A%2F%2F127.0.0.1%3APORT%2F%0D%0ASET…` decodes to. (NUL is refused too, by
            // the unit tests: bridge 287 cuts JSON strings at a NUL, so the helper never sees one through it.)
            for (const url of [`${srv.base}/\r\nSET injected 1\r\n`, `${srv.base}/a\nSET injected 1`,
                `${srv.base}/a b.iso`, `${srv.base}/\tx.iso`, `${srv.base}/\u2028x.iso`]) {
                const r = await osinfo({ url });
                assert.equal(r.problem, "invalid-argument", r.trail);
                assert.match(r.close.message, /spaces or control characters/, r.trail);
                assert.match(await sourceError(url), /spaces or control characters/);
            }
            assert.equal(srv.connections.length, 0, "the server was never contacted");
            // Percent-encoded control characters make no file name QEMU could be given: refused as well.
            const encoded = await osinfo({ url: `${srv.base}/%0D%0ASET%20injected%201%0D%0A.iso` });
            assert.equal(encoded.problem, "invalid-argument", encoded.trail);
            assert.match(encoded.close.message, /escapes/, encoded.trail);
            assert.equal(srv.connections.length, 0, "the server was never contacted");
            // Other escapes stay encoded on the request line.
            const r = await osinfo({ url: `${srv.base}/SET%20injected%201.iso` });
            assert.equal(r.problem, "not-found", r.trail);
            assert.equal(srv.connections.length, 1);
            assertWellFormed(srv.connections);
        });

        test("a Location with a bare \\n is not followed", async () => {
            srv.reset();
            const r = await osinfo({ url: `${srv.base}/redirect-lf.iso` });
            assert.ok(r.problem, r.trail);
            assert.ok(!/^\s*$/.test(r.close.message ?? ""), r.trail);
            assert.equal(srv.connections.length, 1, "no second request");
            assertWellFormed(srv.connections);
        });

        test("a chunk-size bomb, an overflowing chunk size and an endless body: cut off, memory bounded", async () => {
            srv.reset();
            const before = rssKib(pids[0]);
            // The ISO probe reads its 36 KiB of the bomb and hangs up: not an ISO, nothing recognised.
            const bomb = await osinfo({ url: `${srv.base}/bomb.iso` });
            assert.equal(bomb.problem, undefined, bomb.trail);
            assert.deepEqual(bomb.data, [{ detected: null, volume_id: null, bootable: null }]);
            // The overflowing size is a protocol error of the server, said so.
            const overflow = await osinfo({ url: `${srv.base}/overflow/` });
            assert.equal(overflow.problem, "internal-error", overflow.trail);
            assert.match(overflow.close.message, /bad answer from 127\.0\.0\.1/, overflow.trail);
            // An endless .treeinfo: its first 256 KiB are read, then the helper hangs up.
            const endless = await osinfo({ url: `${srv.base}/endless/` });
            assert.equal(endless.problem, undefined, endless.trail);
            assert.match(await sourceError(`${srv.base}/endless/`), /names no kernel and initrd/);
            assert.ok(srv.sent() < 64 << 20, `${srv.sent() >> 20} MiB pushed before the helper hung up`);
            const grown = rssKib(pids[0]) - before;
            assert.ok(grown < 64 << 10, `the helper grew by ${grown} KiB`);
            assertWellFormed(srv.connections);
        });

        test("SSRF: a .treeinfo cannot name boot files outside its own tree", async () => {
            srv.reset();
            assert.match(await sourceError(`${srv.base}/ssrf/`), /169\.254\.169\.254.*not inside/);
            assert.match(await sourceError(`${srv.base}/climb/`), /\/etc\/k, which is not inside/);
            assert.ok(srv.connections.every(c => /^GET \/(ssrf|climb)\//.test(c.raw.toString("latin1"))),
                      "nothing but the trees was asked for");
        });

        test("inline checks: an unreachable, non-ISO or tree-less URL is an error on source", async () => {
            assert.match(await sourceError("http://127.0.0.1:1/x.iso"), /cannot be read: cannot connect to 127\.0\.0\.1/);
            assert.match(await sourceError("ftp://127.0.0.1:1/x.iso"), /cannot be read: cannot connect to 127\.0\.0\.1:1/);
            assert.match(await sourceError(`${srv.base}/page.iso`), /is not an ISO image/);
            assert.match(await sourceError(`${srv.base}/nothing/`), /neither an ISO image nor an install tree/);
            assert.match(await sourceError("http://user:secret@127.0.0.1:1/x.iso"), /user name or password/);
            assert.match(await sourceError("file:///etc/shadow"), /file:\/\/ is not supported/);
        });

        test("the helper survived all of it and still answers", async () => {
            assert.deepEqual(b.helperPids(), pids);
            const r = await osinfo({ url: "nfs://127.0.0.1/export/x.iso" });
            assert.deepEqual(r.data, [{ detected: null, volume_id: null, bootable: null }], r.trail);
        });
    });
}
