// SPDX-License-Identifier: LGPL-2.1-or-later
// The browser benchmarks' VMs on qemu:///system: tiny `<domain type='qemu'>` (32 MiB, no disk, no kernel), defined
// by one virsh process reading a batch; all named `<prefix>NNNN` and removed again by removeAll().

import { execFileSync, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";

export const URI = "qemu:///system";

const log = (...a) => console.error(new Date().toISOString().slice(11, 19), ...a);

/** Runs virsh commands in one virsh process (a batch on stdin). */
export function virshBatch(lines, { check = false } = {}) {
    if (!lines.length)
        return "";
    const r = spawnSync("virsh", ["-q", "-c", URI], { input: lines.join("\n") + "\n", encoding: "utf8",
        maxBuffer: 64 << 20 });
    if (check && r.status !== 0)
        throw new Error(`virsh batch failed: ${r.stderr}`);
    return r.stdout;
}

export function virsh(...args) {
    return execFileSync("virsh", ["-q", "-c", URI, ...args], { encoding: "utf8" });
}

export function allDomainCount() {
    return virsh("list", "--all", "--name").split("\n").map(s => s.trim()).filter(Boolean).length;
}

/** The VMs named `<prefix>NNNN`, on a scratch directory for their XML. */
export function benchVms(prefix, tmp) {
    const vmName = i => `${prefix}${String(i).padStart(4, "0")}`;
    const ours = () => virsh("list", "--all", "--name").split("\n").map(s => s.trim()).filter(n => n.startsWith(prefix));
    const running = () => virsh("list", "--name").split("\n").map(s => s.trim()).filter(n => n.startsWith(prefix));
    return {
        vmName,
        ours,
        running,
        defineRange(from, to) {
            const lines = [];
            for (let i = from; i < to; i++) {
                const file = path.join(tmp, `${vmName(i)}.xml`);
                writeFileSync(file, `<domain type='qemu'><name>${vmName(i)}</name><memory unit='MiB'>32</memory>` +
                    "<vcpu>1</vcpu>\n<os><type arch='x86_64' machine='pc'>hvm</type></os></domain>\n");
                lines.push(`define ${file}`);
            }
            const t = Date.now();
            virshBatch(lines, { check: true });
            log(`defined ${to - from} domains in ${Date.now() - t} ms`);
        },
        startRange(from, to) {
            const lines = [];
            for (let i = from; i < to; i++)
                lines.push(`start ${vmName(i)}`);
            virshBatch(lines, { check: true });
        },
        removeAll() {
            const names = ours();
            if (!names.length)
                return;
            virshBatch(names.flatMap(n => [`destroy ${n}`, `undefine ${n}`]));
            log(`removed ${names.length} ${prefix} domains`);
        },
    };
}
