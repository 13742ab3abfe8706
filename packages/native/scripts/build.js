#!/usr/bin/env node
/**
 * Builds build/rbmlab_native.node at `npm install`, and never fails the install: where the
 * compiler, Node's headers or OpenBLAS are missing, or the built addon does not load, it writes
 * the reason (one line) to build/UNAVAILABLE and exits 0; rbmlab then says so once and runs on
 * the TypeScript reference backend. Nothing is downloaded: the headers are Node's own
 * (<prefix>/include/node, as Debian's nodejs package and the official tarballs ship them).
 *
 * Needs: a C++17 compiler (CXX, default c++), OpenBLAS with its CBLAS header (Debian:
 * `apt-get install libopenblas-dev`). -march=native: the addon is built for the machine that
 * installs it. Set RBMLAB_NATIVE_SKIP=1 to skip the build.
 */
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const buildDir = path.join(root, 'build');
const target = path.join(buildDir, 'rbmlab_native.node');
const unavailable = path.join(buildDir, 'UNAVAILABLE');
const quiet = process.argv.includes('--quiet');

function giveUp(reason) {
  fs.mkdirSync(buildDir, { recursive: true });
  fs.rmSync(target, { force: true });
  fs.writeFileSync(unavailable, reason + '\n');
  process.stderr.write(`@rbmlab/native: not built (${reason}); rbmlab will run on the TypeScript reference backend\n`);
  process.exit(0);
}

function nodeIncludeDir() {
  const candidates = [
    process.env.RBMLAB_NODE_INCLUDE,
    process.env.npm_config_nodedir && path.join(process.env.npm_config_nodedir, 'include', 'node'),
    path.resolve(path.dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ].filter(Boolean);
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'node_api.h')));
}

function main() {
  if (process.env.RBMLAB_NATIVE_SKIP === '1') giveUp('RBMLAB_NATIVE_SKIP=1');
  if (process.platform === 'win32') giveUp('the build script supports Linux and macOS only');
  const include = nodeIncludeDir();
  if (!include) giveUp("Node's headers (node_api.h) not found; set RBMLAB_NODE_INCLUDE");
  const cxx = process.env.CXX || 'c++';
  fs.mkdirSync(buildDir, { recursive: true });
  fs.rmSync(unavailable, { force: true });
  const tmp = path.join(buildDir, 'rbmlab_native.tmp.node');
  const args = [
    '-std=c++17', '-O3', '-march=native', '-fno-trapping-math', '-fno-math-errno', '-fPIC', '-shared', '-fvisibility=hidden',
    '-DNAPI_VERSION=8', '-DNODE_GYP_MODULE_NAME=rbmlab_native',
    '-I', include,
    ...['/usr/include/openblas', '/usr/local/opt/openblas/include', '/opt/homebrew/opt/openblas/include'].filter((d) => fs.existsSync(d)).flatMap((d) => ['-I', d]),
    path.join(root, 'src', 'rbmlab_native.cc'),
    '-o', tmp,
    ...(process.platform === 'darwin' ? ['-undefined', 'dynamic_lookup'] : []),
    '-lopenblas',
  ];
  const result = spawnSync(cxx, args, { encoding: 'utf8' });
  if (result.error) giveUp(`${cxx} not runnable: ${result.error.message}`);
  if (result.status !== 0) {
    const first = (result.stderr || '').split('\n').find((l) => /error/.test(l)) || `exit ${result.status}`;
    giveUp(`${cxx} failed: ${first.trim()}${/cblas\.h|lopenblas/.test(result.stderr) ? ' (install OpenBLAS: apt-get install libopenblas-dev)' : ''}`);
  }
  // Load it in a fresh process: a missing shared library shows here, not at first use.
  try {
    execFileSync(process.execPath, ['-e', `require(${JSON.stringify(tmp)}).info()`], { stdio: 'pipe' });
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    giveUp(`built but does not load: ${String(err.stderr || err.message).split('\n').find((l) => l.trim()) || 'unknown error'}`);
  }
  fs.renameSync(tmp, target);
  if (!quiet) process.stderr.write(`@rbmlab/native: built ${path.relative(process.cwd(), target)}\n`);
}

try {
  main();
} catch (err) {
  giveUp(`build script error: ${String(err && err.message).split('\n')[0]}`);
}
