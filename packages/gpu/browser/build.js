#!/usr/bin/env node
/**
 * Bundles the browser build of @rbmlab/gpu: browser/entry.ts, with the browser-safe parts of
 * @rbmlab/core, the gpu kernels and gpu.js's own browser build, into one IIFE script
 * dist/browser/rbmlab-gpu.js that defines the global `rbmlab`; copies the self-check page
 * browser/index.html beside it. Open dist/browser/index.html (or serve the folder) to run the
 * WebGL2 self-check (see docs/GPU.md).
 *
 *     node browser/build.js            (from packages/gpu; `npm run build:browser` does this)
 *
 * Sources are bundled from TypeScript directly (@rbmlab/core and @rbmlab/gpu point at src/, as
 * in jest), so no `tsc -b` is needed first. gpu.js resolves to dist/gpu-browser.js through its
 * package's "browser" field. Node built-ins have no place in a page: the few that core's modules
 * name (node:os in the native backend's loader, fs and path in io/) resolve to a stub that
 * throws, naming the module, if anything calls it; @rbmlab/native likewise (its loader returns
 * "not running in Node.js" before it would require it). Anything else that does not resolve
 * fails the build.
 */
'use strict';
const path = require('path');
const fs = require('fs');
const esbuild = require('esbuild');
const { nodeOnlyStubs, rbmlabSources } = require('../../core/scripts/node-only');

const pkg = path.resolve(__dirname, '..');
const packages = path.resolve(pkg, '..');
const outdir = path.join(pkg, 'dist', 'browser');

/** Modules a page cannot have; they resolve to a stub that throws when used. */
const NODE_ONLY = /^(node:.*|fs|path|os|worker_threads|child_process|url|util|zlib|stream|events|@rbmlab\/native)$/;

async function main() {
  const started = Date.now();
  fs.mkdirSync(outdir, { recursive: true });
  const result = await esbuild.build({
    entryPoints: [path.join(__dirname, 'entry.ts')],
    outfile: path.join(outdir, 'rbmlab-gpu.js'),
    bundle: true,
    format: 'iife',
    globalName: 'rbmlab',
    platform: 'browser',
    target: ['es2022'],
    sourcemap: true,
    legalComments: 'eof',
    logLevel: 'warning',
    metafile: true,
    define: { 'process.env.NODE_ENV': '"production"' },
    plugins: [rbmlabSources(packages), nodeOnlyStubs(NODE_ONLY, 'the browser bundle of rbmlab')],
  });
  fs.copyFileSync(path.join(__dirname, 'index.html'), path.join(outdir, 'index.html'));
  const stubbed = Object.keys(result.metafile.inputs).filter((p) => p.startsWith('node-only:'));
  const bytes = fs.statSync(path.join(outdir, 'rbmlab-gpu.js')).size;
  process.stdout.write(
    `rbmlab-gpu: ${path.relative(process.cwd(), path.join(outdir, 'rbmlab-gpu.js'))} (${(bytes / 1e6).toFixed(2)} MB, ` +
      `${Date.now() - started} ms; stubbed: ${stubbed.map((p) => p.slice('node-only:'.length)).join(', ') || 'none'})\n`,
  );
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  });
}

module.exports = { build: main };
