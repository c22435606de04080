// SPDX-License-Identifier: LGPL-2.1-or-later
// Install media for the create tests (tests/lib/build-media.sh) and what serves them: a loopback HTTP server with
// Range support (QEMU's curl driver reads an http CD-ROM with range requests), a libvirt PXE network cvtest-pxe
// whose dnsmasq serves the media's TFTP tree, and the guest's markers read from its serial console.
//
//   const media = await buildMedia();                 // { dir, iso, disk, cloud, tree, tftp }
//   const http = await startHttpServer(dir);          // http.url("tiny.iso"), http.requests, await http.close()
//   await definePxeNetwork();  …  await removePxeNetwork();
//   await waitForConsoleMarker(name, /TESTGUEST-MEDIA media=iso/);
//
// The media boot the tiny guest, which prints on ttyS0 and keeps in /run/testguest.log
//   TESTGUEST-MEDIA media=<iso|disk|cloud|pxe>
//   TESTGUEST-MEDIA media=tree cmdline=<the kernel command line>   (install tree: booted by the helper's cmdline alone)
//   TESTGUEST-CLOUD user=<login> hostname=<name> seed=<dev> pwhash=<crypt|none> plain=<n>   (cloud image only)

import { execFile, spawn } from "node:child_process";
import { chmodSync, copyFileSync, createReadStream, mkdirSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import path from "node:path";

import { GUESTS_DIR, PREFIX, REPO, URI, ensureLibvirtd, virsh, waitFor } from "./libvirt.mjs";

export const PXE_NETWORK = `${PREFIX}pxe`;
/** The isolated network of cvtest-pxe: nothing is forwarded off the host. */
const PXE_SUBNET = "192.168.251";

export const MEDIA_MARKER = /TESTGUEST-MEDIA media=(\w+)/;
export const CLOUD_MARKER = /TESTGUEST-CLOUD user=(\S+) hostname=(\S+)/;

let mediaBuilt = null;

/** Builds the media once per process (idempotent script); resolves with their paths. */
export function buildMedia() {
    if (!mediaBuilt) {
        mediaBuilt = new Promise((resolve, reject) => {
            execFile(path.join(REPO, "tests/lib/build-media.sh"), [], (err, stdout, stderr) => {
                if (err) {
                    reject(new Error(`tests/lib/build-media.sh failed: ${stderr}`));
                    return;
                }
                const dir = stdout.trim().split("\n").pop();
                resolve({
                    dir,
                    iso: path.join(dir, "tiny.iso"),
                    disk: path.join(dir, "tiny-disk.qcow2"),
                    cloud: path.join(dir, "tiny-cloud.qcow2"),
                    tree: path.join(dir, "tree"),
                    tftp: path.join(dir, "tftp"),
                });
            });
        });
    }
    return mediaBuilt;
}

/**
 * A fresh directory $TMPDIR/cvtest-guests/<PREFIX><what>-<random>/ that the QEMU user can traverse;
 * cleanupTestObjects() removes such directories.
 */
export function testDir(what) {
    const dir = path.join(GUESTS_DIR, `${PREFIX}${what}-${Math.random().toString(16).slice(2, 8)}`);
    mkdirSync(dir, { recursive: true });
    chmodSync(GUESTS_DIR, 0o755);
    chmodSync(dir, 0o755);
    return dir;
}

/**
 * Copies `file` into a fresh testDir(what), readable by the QEMU user (so a guest never writes to or relabels the
 * shared media); resolves with { dir, path }.
 */
export function copyMedium(file, what) {
    const dir = testDir(what);
    const dest = path.join(dir, path.basename(file));
    copyFileSync(file, dest);
    chmodSync(dest, 0o644);
    return { dir, path: dest };
}

/**
 * A static file server on 127.0.0.1 (a free port) for the files in `root`: GET and HEAD, single byte ranges
 * (206 with Content-Range, 416 when unsatisfiable), Accept-Ranges: bytes. `requests` records
 * { method, path, range } for every request, so a test can see that QEMU (or the helper) really read from it.
 * With `tls` ({ key, cert }: tests/harness/tls.mjs) it serves https.
 */
export function startHttpServer(root, { tls } = {}) {
    const requests = [];
    const handler = (req, res) => {
        const urlPath = decodeURIComponent(new URL(req.url, "http://x").pathname);
        requests.push({ method: req.method, path: urlPath, range: req.headers.range ?? null });
        const file = path.join(root, path.normalize(urlPath).replace(/^(\.\.[/\\])+/, ""));
        let size;
        try {
            const st = statSync(file);
            if (!st.isFile())
                throw new Error("not a file");
            size = st.size;
        } catch {
            res.writeHead(404, { "Content-Length": 0 });
            res.end();
            return;
        }
        const headers = { "Accept-Ranges": "bytes", "Content-Type": "application/octet-stream" };
        let start = 0;
        let end = size - 1;
        let status = 200;
        const m = req.headers.range?.match(/^bytes=(\d*)-(\d*)$/);
        if (req.headers.range && m && (m[1] || m[2])) {
            if (m[1] === "") { // suffix range: the last N bytes
                start = Math.max(0, size - Number(m[2]));
            } else {
                start = Number(m[1]);
                end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
            }
            if (start >= size || start > end) {
                res.writeHead(416, { "Content-Range": `bytes */${size}`, "Content-Length": 0 });
                res.end();
                return;
            }
            status = 206;
            headers["Content-Range"] = `bytes ${start}-${end}/${size}`;
        }
        headers["Content-Length"] = end - start + 1;
        res.writeHead(status, headers);
        if (req.method === "HEAD") {
            res.end();
            return;
        }
        createReadStream(file, { start, end }).pipe(res);
    };
    const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, handler) : http.createServer(handler);
    const scheme = tls ? "https" : "http";
    return new Promise((resolve, reject) => {
        server.on("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address();
            resolve({
                port,
                requests,
                url: file => `${scheme}://127.0.0.1:${port}/${file}`,
                close: () => new Promise(resolve => {
                    server.closeAllConnections();
                    server.close(() => resolve());
                }),
            });
        });
    });
}

/** The XML of cvtest-pxe: isolated (no <forward>), DHCP with bootp file pxelinux.0 and TFTP from `tftpRoot`. */
export function pxeNetworkXml(tftpRoot) {
    return `<network>
  <name>${PXE_NETWORK}</name>
  <bridge stp='off'/>
  <ip address='${PXE_SUBNET}.1' netmask='255.255.255.0'>
    <tftp root='${tftpRoot}'/>
    <dhcp>
      <range start='${PXE_SUBNET}.10' end='${PXE_SUBNET}.200'/>
      <bootp file='pxelinux.0'/>
    </dhcp>
  </ip>
</network>
`;
}

/** Defines and starts cvtest-pxe (replacing a leftover one); resolves with its name. */
export async function definePxeNetwork() {
    await ensureLibvirtd();
    const media = await buildMedia();
    await removePxeNetwork();
    const dir = testDir("pxe-net");
    const xmlPath = path.join(dir, "network.xml");
    writeFileSync(xmlPath, pxeNetworkXml(realpathSync(media.tftp))); // the real dir under /var/lib, for dnsmasq
    try {
        await virsh("net-define", xmlPath);
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
    await virsh("net-start", PXE_NETWORK);
    return PXE_NETWORK;
}

/** Stops and undefines cvtest-pxe if it exists. */
export async function removePxeNetwork() {
    await virsh("net-destroy", PXE_NETWORK).catch(() => {});
    await virsh("net-undefine", PXE_NETWORK).catch(() => {});
}

/**
 * Waits until the guest `name` has printed `regex` and resolves with the match. The domains the page creates
 * have a pty serial console without a log file, and a pty drops what nobody reads, so this attaches
 * `virsh console --force` (under `script`, which gives it the terminal it insists on) and types
 * `cat /run/testguest.log` every 2 s: the guest's shell on ttyS0 answers once the guest is up, whenever the
 * console was attached. The console is detached afterwards.
 */
export async function waitForConsoleMarker(name, regex, timeoutMs = 180000) {
    const child = spawn("script", ["-qfec", `virsh -c ${URI} console --force ${shellQuote(name)}`, "/dev/null"],
        { stdio: ["pipe", "pipe", "pipe"] });
    let text = "";
    child.stdout.on("data", chunk => { text = (text + chunk.toString("latin1")).slice(-200000) });
    child.stderr.on("data", chunk => { text = (text + chunk.toString("latin1")).slice(-200000) });
    const exited = new Promise(resolve => child.once("exit", resolve));
    let lastType = 0;
    try {
        return await waitFor(() => {
            // The echo of the typed command never matches a marker: the shell prints the file's content.
            const m = text.match(regex);
            if (m)
                return m;
            if (child.exitCode !== null)
                throw new Error(`virsh console ${name} ended: ${text.slice(-500)}`);
            if (Date.now() - lastType > 2000) {
                lastType = Date.now();
                child.stdin.write("\rcat /run/testguest.log\r");
            }
            return null;
        }, timeoutMs, { interval: 200, what: `${regex} on the serial console of ${name}` });
    } catch (e) {
        e.message += `\nconsole tail:\n${text.slice(-1500)}`;
        throw e;
    } finally {
        child.stdin.write("\x1d"); // ^] detaches virsh console
        const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
        await exited;
        clearTimeout(timer);
    }
}

function shellQuote(s) {
    return `'${String(s).replaceAll("'", "'\\''")}'`;
}

/** Names of the volumes of every active pool, as "pool/volume". */
export async function allVolumes() {
    const pools = (await virsh("pool-list", "--name")).split("\n").map(s => s.trim()).filter(Boolean);
    const out = [];
    for (const pool of pools) {
        const vols = await virsh("vol-list", "--pool", pool).catch(() => "");
        for (const line of vols.split("\n")) {
            const name = line.trim().split(/\s+/)[0];
            if (name)
                out.push(`${pool}/${name}`);
        }
    }
    return out.sort();
}

/** What a failed or cancelled create must leave as it was: domains, volumes, networks. */
export async function libvirtSnapshot() {
    const list = async (...args) => (await virsh(...args)).split("\n").map(s => s.trim()).filter(Boolean).sort();
    return {
        domains: await list("list", "--all", "--name"),
        volumes: await allVolumes(),
        networks: await list("net-list", "--all", "--name"),
    };
}

/** Deletes the cvtest-* volumes of every active pool (what the create tests made). */
export async function removeTestVolumes() {
    for (const v of await allVolumes()) {
        const [pool, name] = v.split("/");
        if (name.startsWith(PREFIX))
            await virsh("vol-delete", "--pool", pool, name).catch(() => {});
    }
}
