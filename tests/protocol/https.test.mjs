// SPDX-License-Identifier: LGPL-2.1-or-later
// https through the real bridges: an install tree served over https on 127.0.0.1 with a certificate from a CA this
// test makes (tests/harness/tls.mjs). With the CA in SSL_CERT_FILE the helper reads it (OS detection, create
// validation) and follows an http → https upgrade; it refuses a redirect from https down to http; without the CA
// the certificate is refused with a clear message. The boot from an https tree is tests/create/https-tree.test.mjs.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { Bridge, abbreviate, bridgeNames } from "../harness/bridge.mjs";
import { makeTestCa } from "../harness/tls.mjs";

// Both arches: test:/// says its host is i686.
const TREEINFO = "[general]\narch = x86_64\nfamily = Fedora\nname = Fedora 37\nvariant = Server\nversion = 37\n\n" +
    "[images-x86_64]\nkernel = images/vmlinuz\ninitrd = images/initrd.img\n" +
    "[images-i686]\nkernel = images/vmlinuz\ninitrd = images/initrd.img\n";
const FEDORA = { detected: { short_id: "fedora37", name: "Fedora Linux 37" }, volume_id: null, bootable: null };

function listen(server) {
    return new Promise(resolve => server.listen(0, "127.0.0.1", () => resolve(server.address().port)));
}

describe("https and proxies", () => {
    let dir, tls, secure, plain, mirror, proxy, httpsBase, httpBase;
    const requests = [];
    /** The CONNECT targets the proxy was asked for. */
    const tunnels = [];

    before(async () => {
        dir = mkdtempSync(path.join(tmpdir(), "cvtest-https-"));
        tls = makeTestCa(dir);
        secure = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
            requests.push(req.url);
            if (req.url === "/tree/.treeinfo")
                return res.end(TREEINFO);
            if (req.url === "/down/.treeinfo") { // to plain http: refused, so port 1 is never tried
                res.writeHead(302, { Location: "http://127.0.0.1:1/tree/.treeinfo" });
                return res.end();
            }
            res.writeHead(404);
            res.end();
        });
        httpsBase = `https://127.0.0.1:${await listen(secure)}`;
        // A plain http mirror that upgrades everything to https, as most do.
        plain = http.createServer((req, res) => {
            res.writeHead(301, { Location: `${httpsBase}${req.url.replace(/^\/up\//, "/tree/")}` });
            res.end();
        });
        httpBase = `http://127.0.0.1:${await listen(plain)}`;
        // A mirror only the proxy can reach: the proxy tunnels every CONNECT to it, whatever host was named.
        mirror = http.createServer((req, res) => res.end(req.url === "/tree/.treeinfo" ? TREEINFO : ""));
        const mirrorPort = await listen(mirror);
        proxy = http.createServer((req, res) => { res.writeHead(405); res.end() });
        proxy.on("connect", (req, client, head) => {
            tunnels.push(req.url);
            const upstream = net.connect(mirrorPort, "127.0.0.1", () => {
                client.write("HTTP/1.1 200 Connection established\r\n\r\n");
                upstream.write(head);
                upstream.pipe(client);
                client.pipe(upstream);
            });
            upstream.on("error", () => client.destroy());
            client.on("error", () => upstream.destroy());
        });
        proxy.port = await listen(proxy);
    });
    after(() => {
        secure?.closeAllConnections();
        secure?.close();
        plain?.close();
        mirror?.closeAllConnections();
        mirror?.close();
        proxy?.closeAllConnections();
        proxy?.close();
        if (dir)
            rmSync(dir, { recursive: true, force: true });
    });

    for (const name of bridgeNames()) {
        describe(`via bridge ${name}`, () => {
            let trusting, plainBridge;
            before(async () => {
                trusting = await Bridge.start(name, { env: { SSL_CERT_FILE: tls.caFile } });
                plainBridge = await Bridge.start(name);
            });
            after(async () => {
                await trusting?.closeBridge();
                await plainBridge?.closeBridge();
            });

            async function run(bridge, options) {
                const channel = bridge.open({ payload: "virt1", ...options });
                const messages = await bridge.untilClose(channel, 30000);
                const close = messages.at(-1).control;
                return { data: messages.filter(m => !m.command).map(m => m.data), close, problem: close.problem,
                         trail: messages.map(abbreviate).join("\n") };
            }
            const detect = (bridge, url) => run(bridge, { op: "osinfo", detect: { url } });
            async function sourceErrors(bridge, url) {
                const spec = { name: "cvtest-https", os: null, source: { kind: "url", url }, memory_mib: 128, vcpus: 1,
                               storage: { kind: "none" }, network: { kind: "none" }, virt_type: "qemu", run: false };
                const r = await run(bridge, { op: "create", uri: "test:///default", mode: "validate", spec });
                assert.equal(r.problem, undefined, r.trail);
                return r.data.at(-1).errors;
            }

            test("with the test CA trusted: an https tree is detected and validates", async () => {
                const r = await detect(trusting, `${httpsBase}/tree/`);
                assert.equal(r.problem, undefined, r.trail);
                assert.deepEqual(r.data, [FEDORA]);
                assert.deepEqual(await sourceErrors(trusting, `${httpsBase}/tree/`), {});
            });

            test("an http mirror that upgrades to https is followed", async () => {
                requests.length = 0;
                const r = await detect(trusting, `${httpBase}/up/`);
                assert.deepEqual(r.data, [FEDORA], r.trail);
                assert.deepEqual(requests, ["/tree/.treeinfo"]);
            });

            test("a redirect from https down to http is refused", async () => {
                const r = await detect(trusting, `${httpsBase}/down/`);
                assert.equal(r.problem, "access-denied", r.trail);
                assert.match(r.close.message, /refused a redirect to http:\/\/127\.0\.0\.1:1\/tree\/\.treeinfo: from https down to http/);
            });

            test("http_proxy from the environment carries the fetch; no_proxy bypasses it", async () => {
                const url = "http://cvtest-mirror.invalid/tree/"; // a name no resolver knows: only the proxy helps
                const env = { http_proxy: `http://127.0.0.1:${proxy.port}` };
                const proxied = await Bridge.start(name, { env });
                const bypassed = await Bridge.start(name, { env: { ...env, no_proxy: "cvtest-mirror.invalid" } });
                try {
                    tunnels.length = 0;
                    const r = await detect(proxied, url);
                    assert.deepEqual(r.data, [FEDORA], r.trail);
                    assert.deepEqual(tunnels, ["cvtest-mirror.invalid:80"]);
                    const direct = await detect(bypassed, url);
                    assert.equal(direct.problem, "not-found", direct.trail);
                    assert.match(direct.close.message, /cannot connect to cvtest-mirror\.invalid/, direct.trail);
                    assert.deepEqual(tunnels, ["cvtest-mirror.invalid:80"], "no_proxy: the proxy was not asked");
                } finally {
                    await proxied.closeBridge();
                    await bypassed.closeBridge();
                }
            });

            test("without the CA: a clear certificate error, in detection and on the source field", async () => {
                const r = await detect(plainBridge, `${httpsBase}/tree/`);
                assert.equal(r.problem, "access-denied", r.trail);
                assert.match(r.close.message, /127\.0\.0\.1 has no valid certificate for https: .*(issuer|UnknownIssuer)/i, r.trail);
                const errors = await sourceErrors(plainBridge, `${httpsBase}/tree/`);
                assert.match(errors.source ?? "", /has no valid certificate for https/, JSON.stringify(errors));
            });
        });
    }
});
