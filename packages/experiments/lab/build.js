#!/usr/bin/env node
/**
 * Builds the browser lab (`rbmlab lab` serves it): lab/page.ts -> dist/lab/lab.js (the page),
 * lab/worker.ts -> dist/lab/lab-worker.js (the Web Worker that runs studies), and
 * lab/index.html beside them. Both scripts are self-contained IIFEs: Vega, Vega-Lite, gpu.js's
 * browser build and the parts of @rbmlab/core, @rbmlab/gpu and this package that run in a page,
 * so the page works from any static host and without a network.
 *
 *     node lab/build.js        (from packages/experiments; `npm run build:lab`, and the root's prepare)
 *
 * Sources are bundled from TypeScript (@rbmlab/core and @rbmlab/gpu from src/, as in jest), so
 * no `tsc -b` is needed first. node:crypto resolves to lab/node-crypto.ts (SHA-256 for trial
 * seeds); the other Node built-ins the study code names (fs, path, os, worker_threads, ...) and
 * optional packages (the native addon, mnist, h5wasm) resolve to a stub that throws, naming the
 * module, if anything calls it: the lab's code paths never do.
 */
'use strict';
const path = require('path');
const fs = require('fs');
const { execFileSync } = require('child_process');
const esbuild = require('esbuild');
const { nodeOnlyStubs, rbmlabSources } = require('../../core/scripts/node-only');

const pkg = path.resolve(__dirname, '..');
const packages = path.resolve(pkg, '..');
const outdir = path.join(pkg, 'dist', 'lab');

/** Modules a page cannot have; they resolve to a stub that throws when used. */
const NODE_ONLY = /^(node:.*|fs|path|os|module|worker_threads|child_process|url|util|zlib|stream|events|readline|@rbmlab\/native|mnist|h5wasm|@resvg\/resvg-js|csv-parse(\/.*)?)$/;

/** node:crypto in the bundle: SHA-256 for trial seeds (registered before the stubs, so it wins). */
/** @type {import('esbuild').Plugin} */
const browserCrypto = {
  name: 'browser-crypto',
  setup(build) {
    build.onResolve({ filter: /^(node:)?crypto$/ }, () => ({ path: path.join(__dirname, 'node-crypto.ts') }));
  },
};

function version(name) {
  try {
    return JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`, { paths: [pkg] }), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

function commit() {
  try {
    const options = { cwd: pkg, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 };
    const head = execFileSync('git', ['rev-parse', 'HEAD'], options).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], options).trim() !== '';
    return dirty ? `${head}+modified` : head;
  } catch {
    return 'unknown';
  }
}

async function main() {
  const started = Date.now();
  fs.mkdirSync(outdir, { recursive: true });
  // what the lab's manifests record as versions: those of the build (the CLI records Node's; the page has none)
  const versions = {
    '@rbmlab/experiments': version('@rbmlab/experiments'),
    '@rbmlab/core': version('@rbmlab/core'),
    '@rbmlab/gpu': version('@rbmlab/gpu'),
    'gpu.js': version('gpu.js'),
    seedrandom: version('seedrandom'),
    vega: version('vega'),
    'vega-lite': version('vega-lite'),
  };
  const common = {
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2022'],
    sourcemap: true,
    minify: true,
    legalComments: 'eof',
    logLevel: 'warning',
    metafile: true,
    define: {
      'process.env.NODE_ENV': '"production"',
      LAB_VERSIONS: JSON.stringify(versions),
      LAB_COMMIT: JSON.stringify(commit()),
    },
    plugins: [rbmlabSources(packages), browserCrypto, nodeOnlyStubs(NODE_ONLY, 'the rbmlab lab page')],
  };
  const results = await Promise.all([
    esbuild.build({ ...common, entryPoints: [path.join(__dirname, 'page.ts')], outfile: path.join(outdir, 'lab.js') }),
    esbuild.build({ ...common, entryPoints: [path.join(__dirname, 'worker.ts')], outfile: path.join(outdir, 'lab-worker.js') }),
  ]);
  fs.copyFileSync(path.join(__dirname, 'index.html'), path.join(outdir, 'index.html'));
  const stubbed = new Set(results.flatMap((r) => Object.keys(r.metafile.inputs).filter((p) => p.startsWith('node-only:')).map((p) => p.slice('node-only:'.length))));
  const size = (f) => (fs.statSync(path.join(outdir, f)).size / 1e6).toFixed(2);
  process.stdout.write(`rbmlab lab: ${path.relative(process.cwd(), outdir)} (lab.js ${size('lab.js')} MB, lab-worker.js ${size('lab-worker.js')} MB, ${Date.now() - started} ms; stubbed: ${[...stubbed].join(', ') || 'none'})\n`);
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  });
}

module.exports = { build: main, outdir };
