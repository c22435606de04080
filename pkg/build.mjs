#!/usr/bin/env node
// Bundles the page: pkg/first.ts → inline in dist/index.html (the tiny first script that opens the list's channels;
// its hash goes into the manifests' content-security-policy), pkg/boot.ts → dist/boot.js, pkg/index.tsx (+ its
// CSS) → dist/index.js, dist/index.css, the fonts, and chunk-*.js for what loads later.
//   node pkg/build.mjs            production build (minified; .js and .css shipped gzipped)
//   node pkg/build.mjs --watch    rebuild on change (not minified, with source maps)
// cockpit.js is not bundled: index.html loads it from ../base1/cockpit.js (the installed Cockpit).
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";

import * as esbuild from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const top = path.dirname(here);
const outdir = path.join(top, "dist");
const watch = process.argv.includes("--watch");
const entry = path.join(here, "index.tsx");

/** The manifests whose content-security-policy must allow the inline first script. */
const MANIFESTS = ["manifest.json", "manifest-beside-machines.json"];

/**
 * pkg/first.ts as the text of an inline classic script, and the CSP source that allows exactly it. Its hash goes
 * into the manifests (committed, as a lock file is: an install takes them as they are; tests/install compares).
 */
async function firstScript() {
    const result = await esbuild.build({
        entryPoints: [path.join(here, "first.ts")],
        bundle: true,
        format: "iife",
        target: ["es2022"],
        // minified in --watch builds too: the same text, so the same hash in the committed manifests
        minify: true,
        legalComments: "none",
        write: false,
    });
    const text = result.outputFiles[0].text.trim();
    if (/<\/script|<!--/i.test(text))
        throw new Error("first.ts: its bundle would end the inline <script> early");
    const hash = crypto.createHash("sha256").update(text, "utf8").digest("base64");
    return { text, policy: `script-src 'self' 'sha256-${hash}'` };
}

/** Puts `policy` into each manifest's content-security-policy line, leaving the rest of the file as it is. */
function writeManifestPolicies(policy) {
    for (const name of MANIFESTS) {
        const file = path.join(top, name);
        const text = fs.readFileSync(file, "utf8");
        const line = /^(\s*"content-security-policy": )"[^"\n]*"/m;
        if (!line.test(text))
            throw new Error(`${name}: no "content-security-policy" line to put the first script's hash in`);
        const updated = text.replace(line, `$1${JSON.stringify(policy)}`);
        if (updated !== text) {
            fs.writeFileSync(file, updated);
            console.log(`${name}: content-security-policy updated for pkg/first.ts (commit it with it)`);
        }
    }
}

/**
 * dist/index.html from pkg/index.html: the first script inline, and a modulepreload link for each chunk index.js
 * imports statically, so the browser fetches them alongside index.js instead of after parsing it.
 */
const writeHtml = {
    name: "write-html",
    setup(build) {
        build.onEnd(async result => {
            if (result.errors.length > 0)
                return;
            const first = await firstScript();
            writeManifestPolicies(first.policy);
            const outputs = result.metafile?.outputs ?? {};
            const staticImports = new Set();
            const visit = file => {
                for (const i of outputs[file]?.imports ?? []) {
                    if (i.kind === "import-statement" && !staticImports.has(i.path)) {
                        staticImports.add(i.path);
                        visit(i.path);
                    }
                }
            };
            visit(path.relative(top, path.join(outdir, "index.js")));
            const preloads = [...staticImports]
                .map(file => `    <link rel="modulepreload" href="${path.basename(file)}">\n`)
                .join("");
            // The upright text and heading fonts, fetched with the scripts: PatternFly's font-display "fallback"
            // would otherwise show a fallback font first and lay the page out again when they arrive.
            const fonts = fs.readdirSync(outdir)
                .filter(name => /^RedHat(Text|Display)VF-[A-Z0-9]+\.woff2$/.test(name))
                .map(name => `    <link rel="preload" href="${name}" as="font" type="font/woff2" crossorigin>\n`)
                .join("");
            const source = fs.readFileSync(path.join(here, "index.html"), "utf8");
            if (!source.includes("<script data-first></script>"))
                throw new Error("pkg/index.html: no <script data-first></script> for the first script");
            const html = source
                .replace("<script data-first></script>", () => `<script>${first.text}</script>`)
                .replace(/^(\s*<script type="module" src="index.js"><\/script>\n)/m, `$1${preloads}${fonts}`);
            fs.writeFileSync(path.join(outdir, "index.html"), html);
        });
    },
};

/**
 * Every module the list needs in one shared chunk. esbuild makes a chunk for each distinct set of entry points
 * (index.js and every lazily imported module) that reach a module, so the list's code came in ~15 chunks, and the
 * browser fetches at most six files at a time from cockpit-ws, each taking ~40 ms through the bridge: three rounds
 * before index.js could run. Each lazily imported module here also imports the page's entry, so whatever index.js
 * reaches is reached by every entry point alike and lands in one chunk; the lazy chunks keep only their own code.
 * The entry is evaluated once (one module instance per chunk URL), whoever imports it first.
 */
const oneListChunk = {
    name: "one-list-chunk",
    setup(build) {
        const lazyModules = new Set();
        build.onResolve({ filter: /.*/ }, async args => {
            if (args.kind !== "dynamic-import" || args.pluginData?.oneListChunk)
                return undefined;
            const resolved = await build.resolve(args.path, {
                kind: args.kind, resolveDir: args.resolveDir, importer: args.importer,
                pluginData: { oneListChunk: true },
            });
            if (resolved.errors.length === 0 && resolved.path.startsWith(here + path.sep))
                lazyModules.add(resolved.path);
            return resolved;
        });
        build.onLoad({ filter: /\.tsx?$/ }, args => {
            if (!lazyModules.has(args.path))
                return undefined;
            const source = fs.readFileSync(args.path, "utf8");
            return {
                contents: `import ${JSON.stringify(entry)};\n${source}`,
                loader: args.path.endsWith(".tsx") ? "tsx" : "ts",
                resolveDir: path.dirname(args.path),
            };
        });
    },
};

/** In the JavaScript build, CSS imports are nothing: all CSS comes from the CSS build, into one index.css. */
const cssElsewhere = {
    name: "css-elsewhere",
    setup(build) {
        build.onResolve({ filter: /\.css$/ }, args => ({ path: args.path, namespace: "css-elsewhere" }));
        build.onLoad({ filter: /.*/, namespace: "css-elsewhere" }, () => ({ contents: "", loader: "js" }));
    },
};

const common = {
    outdir,
    bundle: true,
    target: ["es2022"],
    // as tsconfig.json says; stated here too, since esbuild does not apply tsconfig to a module a plugin loaded
    jsx: "automatic",
    minify: !watch,
    sourcemap: watch ? "linked" : false,
    legalComments: "external",
    metafile: true,
    logLevel: "info",
    define: { "process.env.NODE_ENV": JSON.stringify(watch ? "development" : "production") },
    loader: { ".woff2": "file", ".woff": "file", ".ttf": "file", ".svg": "file", ".png": "file", ".jpg": "file" },
    // Flat: scripts/stage-package.sh links each file of dist/, and cockpit-bridge does not serve linked dirs.
    assetNames: "[name]-[hash]",
};

// The CSS of every module, lazy ones included, in import order (page.css last, its overrides win): esbuild does
// not load the CSS of a chunk loaded later, so the chunks carry none. This build's JavaScript is thrown away.
const cssOptions = {
    ...common,
    entryPoints: { index: path.join(here, "index.tsx") },
    format: "esm",
    splitting: false,
    write: false,
    plugins: [{
        name: "keep-css",
        setup(build) {
            build.onEnd(result => {
                for (const file of result.outputFiles ?? []) {
                    if (!/\.js(\.map|\.LEGAL\.txt)?$/.test(file.path)) {
                        fs.mkdirSync(path.dirname(file.path), { recursive: true });
                        fs.writeFileSync(file.path, file.contents);
                    }
                }
            });
        },
    }],
};

const options = {
    ...common,
    entryPoints: { index: entry },
    // ES modules so the consoles (noVNC, xterm.js), the VM page, the create dialog … load only when first used.
    format: "esm",
    splitting: true,
    chunkNames: "chunk-[hash]",
    plugins: [cssElsewhere, oneListChunk, writeHtml],
};

// A classic script of its own, run before index.js is evaluated: it shares no chunk with it (they meet on a window
// property, client/transport/early-watch.ts).
const bootOptions = {
    entryPoints: { boot: path.join(here, "boot.ts") },
    outdir,
    bundle: true,
    format: "iife",
    target: ["es2022"],
    minify: !watch,
    sourcemap: watch ? "linked" : false,
    legalComments: "none",
    logLevel: "info",
};

fs.rmSync(outdir, { recursive: true, force: true });
fs.mkdirSync(outdir, { recursive: true });

if (watch) {
    for (const o of [bootOptions, cssOptions, options])
        await (await esbuild.context(o)).watch();
} else {
    await esbuild.build(bootOptions);
    await esbuild.build(cssOptions);
    await esbuild.build(options);
    gzipInPlace(fs.readdirSync(outdir).filter(name => /\.(js|css)$/.test(name)));
}

/**
 * Replaces dist files by their .gz: both bridges serve `x.js.gz` for `x.js` with Content-Encoding gzip, which
 * cuts what the browser fetches from 2.4 MB to about 0.4 MB. Only the .gz may exist: with both, the Python
 * bridge serves whichever it lists last.
 */
function gzipInPlace(names) {
    for (const name of names) {
        const file = path.join(outdir, name);
        fs.writeFileSync(file + ".gz", zlib.gzipSync(fs.readFileSync(file), { level: 9 }));
        fs.rmSync(file);
    }
}
