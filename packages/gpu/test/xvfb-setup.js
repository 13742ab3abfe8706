/**
 * jest globalSetup: an X display for headless-gl (packages/gpu/scripts/xvfb.js) when DISPLAY is
 * unset and Xvfb is installed; the test workers inherit DISPLAY. When Xvfb is missing or fails,
 * nothing starts and the headlessgl tests say why (packages/gpu/test/helpers.ts).
 * RBMLAB_NO_XVFB=1 skips this.
 */
'use strict';
const { startXvfb } = require('../scripts/xvfb');

module.exports = async function setup() {
  if (process.env.DISPLAY || process.env.RBMLAB_NO_XVFB === '1') return;
  const result = await startXvfb();
  if (result.missing) process.env.RBMLAB_XVFB_MISSING = '1';
  else if (!result.started) process.env.RBMLAB_XVFB_FAILED = result.reason;
};
