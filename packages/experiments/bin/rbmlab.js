#!/usr/bin/env node
/*
 * The `rbmlab` command. The CLI itself is packages/experiments/src/cli/main.ts, compiled to
 * dist/cli/main.js by `tsc -b` (run by `npm install` through the root "prepare" script). When
 * dist is missing (a fresh checkout that skipped the build), this builds it once first.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const entry = path.join(__dirname, '..', 'dist', 'cli', 'main.js');

function build() {
  const root = path.resolve(__dirname, '..', '..', '..');
  if (!fs.existsSync(path.join(root, 'tsconfig.json'))) {
    process.stderr.write(`rbmlab: ${entry} is missing and there is no workspace at ${root} to build it in\n`);
    return false;
  }
  process.stderr.write(`rbmlab: ${path.relative(root, entry)} is missing; building once with \`npx tsc -b\` in ${root}\n`);
  const result = spawnSync('npx', ['tsc', '-b'], {
    cwd: root,
    stdio: ['ignore', process.stderr, process.stderr],
    shell: process.platform === 'win32',
  });
  if (result.status !== 0 || !fs.existsSync(entry)) {
    process.stderr.write(`rbmlab: the build failed (npx tsc -b exited with ${result.status ?? result.signal}); run it in ${root} to see why\n`);
    return false;
  }
  return true;
}

if (!fs.existsSync(entry) && !build()) {
  process.exitCode = 1;
} else {
  const { main } = require(entry);
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`rbmlab: internal error: ${err && err.message ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
