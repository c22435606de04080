// SPDX-License-Identifier: LGPL-2.1-or-later
// The menu entry that cockpit-bridge reports for the package (`cockpit-bridge --packages`), alone and beside
// Debian's cockpit-machines (tests/harness/machines.mjs), as laid out by scripts/stage-package.sh like
// `make install`: "Virtual machines" alone; beside cockpit-machines the 337 bridge takes virt-beside-machines'
// manifest ("Virtual machines (virt)"), the 287 bridge, which has no manifest conditions, keeps the first one
// (docs/packaging.md, "Beside cockpit-machines").

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { BRIDGES, REPO, bridgeNames, helperPath } from "../harness/bridge.mjs";
import { besideMachines, machinesPackageDir } from "../harness/machines.mjs";

const ALONE = "Virtual machines";
const BESIDE = "Virtual machines (virt)";

/** The `--packages` lines of `argv` as { name: { label, dir } }. */
function packages([file, args], dataHome) {
    const out = execFileSync(file, args, {
        encoding: "utf8", env: { ...process.env, XDG_DATA_HOME: dataHome, XDG_DATA_DIRS: "/usr/local/share:/usr/share" },
    });
    return Object.fromEntries(out.split("\n").filter(Boolean).map(line => {
        const m = line.match(/^(\S+)\s+(.*?)\s*(\/\S*)$/);
        return [m[1], { label: m[2], dir: m[3] }];
    }));
}

test("virt-beside-machines' manifest is the package's, with its own name, priority, label and no conditions", () => {
    const main = JSON.parse(readFileSync(path.join(REPO, "manifest.json"), "utf8"));
    const beside = JSON.parse(readFileSync(path.join(REPO, "manifest-beside-machines.json"), "utf8"));
    assert.equal(main.menu.index.label, ALONE);
    assert.equal(beside.menu.index.label, BESIDE);
    assert.equal(beside.name, "virt");
    assert.ok(beside.priority < main.priority, "the conditional manifest wins wherever its conditions hold");
    assert.deepEqual(main.conditions.map(c => c["path-not-exists"]),
        ["/usr/share/cockpit/machines/manifest.json", "/usr/local/share/cockpit/machines/manifest.json"]);
    const same = m => ({ ...m, priority: 0, conditions: [], menu: { index: { ...m.menu.index, label: "" } } });
    assert.deepEqual(same(beside), same(main));
});

describe("the menu entry", () => {
    let dataHome;

    before(() => {
        dataHome = mkdtempSync(path.join(tmpdir(), "cvtest-menu-"));
        execFileSync(path.join(REPO, "scripts/stage-package.sh"), [dataHome, helperPath()]);
        machinesPackageDir();
    });

    after(() => rmSync(dataHome, { recursive: true, force: true }));

    for (const bridge of bridgeNames()) {
        test(`bridge ${bridge}: alone "${ALONE}"; beside cockpit-machines ${bridge === "287" ? "the same (no conditions)" : `"${BESIDE}"`}`, () => {
            const alone = packages([BRIDGES[bridge], ["--packages"]], dataHome);
            assert.deepEqual(alone.virt, { label: ALONE, dir: path.join(dataHome, "cockpit/virt") });

            const beside = packages(besideMachines([BRIDGES[bridge], "--packages"]), dataHome);
            assert.deepEqual(beside.machines, { label: "Virtual machines", dir: "/usr/local/share/cockpit/machines" });
            assert.deepEqual(beside.virt, bridge === "287"
                ? { label: ALONE, dir: path.join(dataHome, "cockpit/virt") }
                : { label: BESIDE, dir: path.join(dataHome, "cockpit/virt-beside-machines") });
        });
    }
});
