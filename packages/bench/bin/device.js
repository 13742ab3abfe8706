#!/usr/bin/env node
'use strict';
/*
 * Entry of the device bench (src/device/main.ts): `node packages/bench/bin/device.js --help`.
 * A tracked plain-JavaScript file because it must travel to the device machine as it is: dist/ is
 * git-ignored, and there the device kit's run.sh links packages/bench/dist to the packed build
 * (`npm run bench:device` packs it). The repository root is passed from here, not taken from the
 * compiled file's location: on the device that file lives in the kit's unpacked copy, away from
 * the checkout's python/ folder. The bench runs each gpu.js row in a process of its own, started
 * from this file with the row's spec in RBMLAB_DEVICE_BENCH_ROW_SPEC.
 */
const path = require('node:path');
const device = require('../dist/device/main.js');

const spec = process.env[device.ROW_SPEC_ENV];
const status = spec
  ? device.runRowProcess(spec)
  : device.main(process.argv.slice(2), { repoRoot: path.resolve(__dirname, '..', '..', '..'), entry: __filename });
// gpu.js's webasm workers and headless-gl may keep the event loop alive: leave with the status
process.exit(status);
