#!/usr/bin/env node
// Bundles the page: pkg/index.tsx (+ its CSS) → dist/index.js, dist/index.css, dist/index.html, the fonts, and
// chunk-*.js for what loads later (the consoles).
//   node pkg/build.mjs            production build (minified; .js and .css shipped gzipped)
//   node pkg/build.mjs --watch    rebuild on change (not minified, with source maps)
// cockpit.js is not bundled: index.html loads it from ../base1/cockpit.js (the installed Cockpit).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";

import * as esbuild from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const top = path.dirname(here);
const outdir = path.join(top, "dist");
const watch = process.argv.includes("--watch");

const copyHtml = {
    name: "copy-html",
    setup(build) {
        build.onEnd(result => {
            if (result.errors.length === 0)
                fs.copyFileSync(path.join(here, "index.html"), path.join(outdir, "index.html"));
        });
    },
};

const options = {
    entryPoints: { index: path.join(here, "index.tsx") },
    outdir,
    bundle: true,
    // ES modules so the consoles (noVNC, xterm.js: half the bundle) load only when a console shows.
    format: "esm",
    splitting: true,
    chunkNames: "chunk-[hash]",
    target: ["es2022"],
    minify: !watch,
    sourcemap: watch ? "linked" : false,
    legalComments: "external",
    metafile: true,
    logLevel: "info",
    define: { "process.env.NODE_ENV": JSON.stringify(watch ? "development" : "production") },
    loader: { ".woff2": "file", ".woff": "file", ".ttf": "file", ".svg": "file", ".png": "file", ".jpg": "file" },
    // Flat: scripts/stage-package.sh links each file of dist/, and cockpit-bridge does not serve linked dirs.
    assetNames: "[name]-[hash]",
    plugins: [copyHtml],
};

fs.rmSync(outdir, { recursive: true, force: true });
fs.mkdirSync(outdir, { recursive: true });

if (watch) {
    const ctx = await esbuild.context(options);
    await ctx.watch();
} else {
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
