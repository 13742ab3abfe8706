'use strict';
/**
 * The native kernels of rbmlab, or the reason they are not here. Never throws: @rbmlab/core
 * falls back to its TypeScript reference backend when `addon` is null and says why, once.
 */
const fs = require('node:fs');
const path = require('node:path');

let addon = null;
let loadError = null;
try {
  addon = require('./build/rbmlab_native.node');
} catch (err) {
  let reason;
  try {
    reason = fs.readFileSync(path.join(__dirname, 'build', 'UNAVAILABLE'), 'utf8').trim();
  } catch {
    reason = err && err.code === 'MODULE_NOT_FOUND' ? 'the addon was not built (run: npm rebuild @rbmlab/native)' : String(err && err.message).split('\n')[0];
  }
  loadError = reason;
}

module.exports = { addon, loadError };
