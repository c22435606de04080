// SPDX-License-Identifier: LGPL-2.1-or-later
// cockpit-machines for a side-by-side benchmark, without installing anything: Debian's cockpit-machines,
// libvirt-dbus and libvirt-glib unpacked into .cache/bench/machines-side (apt-get download), libvirt-dbus run on a
// private "system" bus of its own (a dbus-daemon allowing everything), and cockpit-ws started with that bus as its
// system bus and the package shown at /usr/local/share/cockpit/machines (tests/harness/machines.mjs).
// cockpit-machines' manifest shows the page only where /usr/share/dbus-1/system.d/org.libvirt.conf exists (libvirt-dbus
// installed): without it the bridge hides the package and every URL of it answers 404. So cockpit-ws also sees the
// unpacked usr/share/dbus-1/system.d there, in its own mount namespace (nothing else in it reads that directory).
//
//   const side = await startMachinesSide();   // { ws, stop(), log() }; the page is at `${side.ws.base}/machines`
//   side.log()                                 // the end of libvirt-dbus's and the private bus's output

import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

import { REPO } from "../../tests/harness/bridge.mjs";
import { startCockpitWs } from "../../tests/harness/cockpit-ws.mjs";
import { besideMachinesPrefix } from "../../tests/harness/machines.mjs";

const DIR = path.join(REPO, ".cache/bench/machines-side");
/** The version earlier benchmarks compared with (bookworm-backports); override with CVIRT_BENCH_MACHINES. */
const MACHINES = process.env.CVIRT_BENCH_MACHINES ?? "cockpit-machines/bookworm-backports";
const PACKAGES = [MACHINES, "libvirt-dbus", "libvirt-glib-1.0-0"];

function unpack() {
    const root = path.join(DIR, "root");
    if (existsSync(path.join(root, "usr/sbin/libvirt-dbus")) &&
        existsSync(path.join(root, "usr/share/cockpit/machines/manifest.json")))
        return root;
    const debs = path.join(DIR, "debs");
    mkdirSync(debs, { recursive: true });
    execFileSync("apt-get", ["download", "-q", ...PACKAGES], { cwd: debs, stdio: ["ignore", "ignore", "inherit"] });
    for (const deb of readdirSync(debs).filter(f => f.endsWith(".deb")))
        execFileSync("dpkg-deb", ["-x", path.join(debs, deb), root]);
    return root;
}

const BUS_CONFIG = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=SOCKET</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="signal"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
  </policy>
</busconfig>
`;

async function waitFor(check, what, timeoutMs = 10000) {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
        if (Date.now() > deadline)
            throw new Error(`timed out waiting for ${what}`);
        await new Promise(resolve => setTimeout(resolve, 100));
    }
}

/** Ends `child` (SIGTERM, SIGKILL after 5 s) and waits for it, at most 7 s in all. */
async function ended(child) {
    if (child.exitCode !== null || child.signalCode !== null)
        return;
    const exited = new Promise(resolve => child.once("exit", resolve));
    child.kill();
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await Promise.race([exited, new Promise(resolve => setTimeout(resolve, 7000))]);
    clearTimeout(timer);
}

export async function startMachinesSide() {
    const root = unpack();
    const socket = path.join(DIR, "system_bus_socket");
    const config = path.join(DIR, "bus.conf");
    rmSync(socket, { force: true }); // a killed run's: would pass the wait below before the bus listens
    writeFileSync(config, BUS_CONFIG.replace("SOCKET", socket));
    let output = "";
    const keep = (who, child) => child.stderr.on("data", chunk => { output = (output + `[${who}] ${chunk}`).slice(-8000) });
    const bus = spawn("dbus-daemon", ["--config-file", config, "--nofork", "--nopidfile"],
        { stdio: ["ignore", "ignore", "pipe"] });
    keep("dbus-daemon", bus);
    await waitFor(() => existsSync(socket), "the private system bus");
    const address = `unix:path=${socket}`;
    const dbusEnv = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: address };
    // libvirt-dbus reads its interface descriptions from the compiled-in /usr/share/dbus-1/interfaces: show it the
    // unpacked ones there, in a mount namespace of its own (unshare and sh exec, so the child is libvirt-dbus).
    const libvirtDbus = spawn("unshare", ["--mount", "--propagation", "private", "--", "sh", "-c",
        'mount --bind "$1" /usr/share/dbus-1/interfaces && exec "$2" --system', "sh",
        path.join(root, "usr/share/dbus-1/interfaces"), path.join(root, "usr/sbin/libvirt-dbus")], {
        env: { ...dbusEnv, LD_LIBRARY_PATH: path.join(root, "usr/lib/x86_64-linux-gnu") },
        stdio: ["ignore", "ignore", "pipe"],
    });
    keep("libvirt-dbus", libvirtDbus);
    const stopDaemons = async () => {
        await ended(libvirtDbus);
        await ended(bus);
        rmSync(socket, { force: true });
        rmSync(config, { force: true });
    };
    const owned = () => {
        try {
            return execFileSync("dbus-send", [`--bus=${address}`, "--print-reply", "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", "string:org.libvirt"],
            { encoding: "utf8", timeout: 5000 }).includes("boolean true");
        } catch {
            return false;
        }
    };
    let ws;
    try {
        await waitFor(owned, "libvirt-dbus on the private bus", 30000);
        const systemD = 'mount --bind "$0" /usr/share/dbus-1/system.d && exec "$@"';
        ws = await startCockpitWs({
            wrap: ["unshare", "--mount", "--propagation", "private", "sh", "-c", systemD,
                path.join(root, "usr/share/dbus-1/system.d"),
                ...besideMachinesPrefix(path.join(root, "usr/share/cockpit/machines"))],
            env: { DBUS_SYSTEM_BUS_ADDRESS: address },
        });
    } catch (e) {
        await stopDaemons();
        e.message += `\n${output}`;
        throw e;
    }
    return {
        ws,
        log: () => output,
        async stop() {
            await ws.stop();
            await stopDaemons();
        },
    };
}
