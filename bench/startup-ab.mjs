#!/usr/bin/env node
// SPDX-License-Identifier: LGPL-2.1-or-later
// Page start-up, two pages against each other (issue 17): bench/startup.mjs run on each side in turn, so both see
// the same machine. A lever is judged against the tree before it; on a shared 2-CPU machine the absolute figures
// move by 100–200 ms within an hour, more than most levers. Run as root, not under /run/cvtest-suite.lock (each
// invocation takes it):
//
//   node bench/startup-ab.mjs --a REV|DIR --b REV|DIR [--rounds 3] [--runs 5] [--scenarios test50,test1000]
//                             [--preload 0] [--arrive menu] [--helper-a PATH] [--helper-b PATH]
//                             [--out .cache/bench/startup-ab]
//
// A side is a commit (checked out into .cache/bench/ab/<commit> as a detached worktree, node_modules hard-linked
// from this tree, the page built there; `git worktree remove` it afterwards) or a directory that already holds a
// built page (dist/), e.g. a worktree whose dist/ was edited by hand. Both sides run this tree's release helper
// ($CVIRT_HELPER or target/release/cockpit-virt-helper) unless --helper-a / --helper-b name another (to compare two
// helpers, give the same page twice). Each side runs its own
// bench/startup.mjs, so a commit older than a field reports null for it.
// Each round runs side a, then side b, `--runs` runs per scenario each; every invocation's JSON is kept in --out,
// and the summary (medians per side and scenario of the own part, first screen, frame shown, data in, `virt:main`,
// and how many runs were timed with no row in view) is printed and written to --out/summary.json.

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

import { REPO } from "../tests/harness/bridge.mjs";

import { median, round } from "./startup-common.mjs";

const opts = { a: "", b: "", rounds: 3, runs: 5, scenarios: "test50,test1000", preload: "1", arrive: "url",
    out: path.join(REPO, ".cache/bench/startup-ab") };
for (let i = 2; i < process.argv.length; i += 2)
    opts[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
if (!opts.a || !opts.b)
    throw new Error("usage: startup-ab.mjs --a REV|DIR --b REV|DIR [--rounds 3] [--runs 5] [--scenarios …]");

const log = (...a) => console.error(new Date().toISOString().slice(11, 19), ...a);
const defaultHelper = process.env.CVIRT_HELPER ?? path.join(REPO, "target/release/cockpit-virt-helper");
const helpers = { a: opts["helper-a"] || defaultHelper, b: opts["helper-b"] || defaultHelper };
for (const helper of Object.values(helpers)) {
    if (!existsSync(helper))
        throw new Error(`no helper at ${helper}: cargo build --release`);
}

/** The directory a side runs in: `spec` itself if it is one with a built page, else a worktree of the commit. */
function sideDir(spec) {
    if (existsSync(path.join(spec, "dist/index.html")))
        return path.resolve(spec);
    const commit = execFileSync("git", ["-C", REPO, "rev-parse", "--verify", `${spec}^{commit}`],
        { encoding: "utf8" }).trim();
    const dir = path.join(REPO, ".cache/bench/ab", commit.slice(0, 12));
    if (!existsSync(dir)) {
        execFileSync("git", ["-C", REPO, "worktree", "add", "--detach", dir, commit], { stdio: "ignore" });
        // hard links: made in a moment, and the build only reads them
        execFileSync("cp", ["-al", path.join(REPO, "node_modules"), path.join(dir, "node_modules")]);
    }
    if (!existsSync(path.join(dir, "dist/index.html")))
        execFileSync(process.execPath, [path.join(dir, "pkg/build.mjs")], { cwd: dir, stdio: "ignore" });
    return dir;
}

const sides = { a: sideDir(opts.a), b: sideDir(opts.b) };
mkdirSync(opts.out, { recursive: true });
const files = { a: [], b: [] };
for (let r = 1; r <= Number(opts.rounds); r++) {
    for (const side of ["a", "b"]) {
        const out = path.join(opts.out, `${side}-${r}.json`);
        const run = spawnSync("flock", ["/run/cvtest-suite.lock", process.execPath,
            path.join(sides[side], "bench/startup.mjs"), "--scenarios", opts.scenarios, "--runs", String(opts.runs),
            "--preload", opts.preload, ...opts.arrive === "url" ? [] : ["--arrive", opts.arrive], "--out", out],
        { cwd: sides[side], env: { ...process.env, CVIRT_HELPER: helpers[side] }, encoding: "utf8" });
        if (run.status !== 0)
            throw new Error(`bench/startup.mjs failed on side ${side}:\n${run.stderr.split("\n").slice(-15).join("\n")}`);
        files[side].push(out);
        log(`round ${r}, side ${side} (${sides[side]}) done; load ${readFileSync("/proc/loadavg", "utf8").split(" ")[0]}`);
    }
}

const summary = { date: new Date().toISOString(), sides, helpers, rounds: Number(opts.rounds), runs: Number(opts.runs),
    preload: opts.preload !== "0", arrive: opts.arrive, scenarios: {} };
for (const side of ["a", "b"]) {
    const runsBy = {};
    for (const file of files[side]) {
        for (const s of JSON.parse(readFileSync(file, "utf8")).scenarios)
            (runsBy[s.scenario] ??= []).push(...s.runs.filter(x => x.own != null));
    }
    for (const [name, runs] of Object.entries(runsBy)) {
        const m = pick => round(median(runs.map(pick)));
        (summary.scenarios[name] ??= {})[side] = {
            runs: runs.length, own: m(x => x.own), firstScreen: m(x => x.firstScreen), visible: m(x => x.visible),
            dataReady: m(x => x.dataReady), main: m(x => x.breakdown?.marks?.["virt:main"]),
            ownMin: round(Math.min(...runs.map(x => x.own))), ownMax: round(Math.max(...runs.map(x => x.own))),
            noRowInView: runs.filter(x => !x.rowsInView).length,
        };
    }
}
writeFileSync(path.join(opts.out, "summary.json"), JSON.stringify(summary, null, 2));
for (const [name, s] of Object.entries(summary.scenarios)) {
    const line = x => x ? `own ${x.own} (${x.ownMin}–${x.ownMax}) first ${x.firstScreen} visible ${x.visible} ` +
        `data ${x.dataReady} main ${x.main}, ${x.runs} runs${x.noRowInView ? `, ${x.noRowInView} with no row in view` : ""}` : "–";
    console.log(`${name}\n  a: ${line(s.a)}\n  b: ${line(s.b)}`);
}
