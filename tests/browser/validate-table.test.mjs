// SPDX-License-Identifier: LGPL-2.1-or-later
// The page's own create rules (pkg/dialogs/create-vm/validate.ts) against the table the helper's unit tests run
// too (tests/data/create-validation.json): both sides flag exactly the same fields. The module is bundled with
// esbuild as the page build does and run in node with a minimal `cockpit` (gettext and format); no browser needed.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";

import * as esbuild from "esbuild";

import { REPO } from "../harness/bridge.mjs";

async function loadRules() {
    const out = await esbuild.build({
        entryPoints: [path.join(REPO, "pkg/dialogs/create-vm/validate.ts")],
        bundle: true, format: "esm", platform: "neutral", write: false, logLevel: "silent",
    });
    globalThis.cockpit = {
        gettext: s => s,
        ngettext: (one, many, n) => (n === 1 ? one : many),
        format: (text, ...args) => text.replace(/\$(\d)/g, (_, i) => String(args[Number(i)])),
    };
    const url = `data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString("base64")}`;
    return import(url);
}

function form(row) {
    return {
        uri: "qemu:///system", name: row.name ?? "cvtable", os: "generic", sourceKind: "cloud",
        source: "/var/lib/libvirt/images/cloud.qcow2", pxe: "", copyToPool: null,
        login: row.login ?? "", password: row.password ?? "", sshKeys: (row.ssh_keys ?? []).join("\n"),
        rootPassword: row.root_password ?? "", hostname: row.hostname ?? "",
        memory: "1", memoryUnit: "GiB", vcpus: "1", storageKind: "new", pool: "default", size: "10", volume: "",
        network: "user", virtType: "qemu", firmware: "auto",
    };
}

test("the page's create rules flag the same fields as the helper's, row by row", async () => {
    const { validateForm } = await loadRules();
    const table = JSON.parse(readFileSync(path.join(REPO, "tests/data/create-validation.json"), "utf8"));
    const ctx = { existingNames: new Set(), hostMemoryMib: 4096, hostCpus: 4, poolAvailable: null, kvm: null };
    const only = messages => Object.keys(messages).filter(field => table.fields.includes(field)).sort();
    assert.ok(table.cases.length >= 30);
    for (const row of table.cases) {
        const { errors, warnings } = validateForm(form(row), ctx);
        assert.deepEqual(only(errors), [...row.errors].sort(), `${row.case}: ${JSON.stringify(errors)}`);
        assert.deepEqual(only(warnings), [...row.warnings].sort(), `${row.case}: ${JSON.stringify(warnings)}`);
    }
});
