// SPDX-License-Identifier: LGPL-2.1-or-later
// A throwaway certificate authority for https tests, made with openssl in a directory of the test's own: a CA and
// a server certificate it signs for 127.0.0.1 (and localhost). The helper trusts the CA through SSL_CERT_FILE
// (rustls-platform-verifier reads it on Linux); nothing is installed system-wide.
//
//   const tls = makeTestCa(dir);   // { caFile, key, cert }: paths and the PEM texts for https.createServer

import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

export function makeTestCa(dir) {
    const file = name => path.join(dir, name);
    const openssl = (...args) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=cvtest CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-keyout", file("ca.key"), "-out", file("ca.pem"));
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
            "-keyout", file("server.key"), "-out", file("server.csr"));
    writeFileSync(file("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n" +
                  "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n" +
                  "extendedKeyUsage=serverAuth\n");
    openssl("x509", "-req", "-in", file("server.csr"), "-CA", file("ca.pem"), "-CAkey", file("ca.key"),
            "-CAcreateserial", "-days", "2", "-extfile", file("server.ext"), "-out", file("server.pem"));
    return { caFile: file("ca.pem"), key: readFileSync(file("server.key")), cert: readFileSync(file("server.pem")) };
}
