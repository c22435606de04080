// SPDX-License-Identifier: LGPL-2.1-or-later
// pkg/shell-quote.ts, which quotes VM names (and hosts) in the commands the Desktop viewer section shows for
// pasting: each quoted word, run through a real sh, must come back as exactly the literal text and run nothing.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";

import { transformSync } from "esbuild";

import { REPO } from "../harness/libvirt.mjs";

const PWNED = "/tmp/cvtest-pwned";
let dir, shellQuote;

before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "cvtest-quote-"));
    const source = readFileSync(path.join(REPO, "pkg/shell-quote.ts"), "utf8");
    const module = path.join(dir, "shell-quote.mjs");
    writeFileSync(module, transformSync(source, { loader: "ts", format: "esm" }).code);
    ({ shellQuote } = await import(module));
    rmSync(PWNED, { force: true });
});

after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(PWNED, { force: true });
});

const NAMES = [
    `$(touch ${PWNED})`,
    `\`touch ${PWNED}\``,
    `it's; touch ${PWNED}`,
    `'$(touch ${PWNED})'`,
    `"$(touch ${PWNED})"`,
    `a\nb && touch ${PWNED}`,
    "''",
    "x'",
    "$HOME ${PATH} * ? [a] ~ # ! & | < > \\",
    "-h",
    "",
    "plain-name_1.2",
];

test("shell_quote: sh reads each quoted name back as the literal name and runs nothing", () => {
    for (const name of NAMES) {
        const quoted = shellQuote(name);
        const echoed = execFileSync("sh", ["-c", `printf %s ${quoted}`], { encoding: "utf8" });
        assert.equal(echoed, name, `quoted as ${quoted}`);
        assert.equal(existsSync(PWNED), false, `${JSON.stringify(name)} ran a command when pasted`);
    }
});

test("shell_quote: plain names stay readable, anything else is one single-quoted word", () => {
    assert.equal(shellQuote("plain-name_1.2"), "plain-name_1.2");
    assert.equal(shellQuote("qemu+ssh://host/system"), "qemu+ssh://host/system");
    assert.equal(shellQuote("$(x)"), "'$(x)'");
    assert.equal(shellQuote("it's"), "'it'\\''s'");
    assert.equal(shellQuote(""), "''");
});
