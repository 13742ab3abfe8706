/**
 * An X display for headless-gl (gpu.js's 'headlessgl' mode renders only under one): when DISPLAY
 * is unset and Xvfb is installed, start `Xvfb -displayfd` (it picks a free display number and
 * writes it to fd 3) and set process.env.DISPLAY, so that this process and the ones it starts
 * can open GL contexts. Used by jest's global setup (packages/gpu/test/xvfb-setup.js) and by the
 * bench. Resolves to { started, display?, reason? }: started false with the reason when no server
 * was started (DISPLAY already set, Xvfb missing, or it failed).
 */
'use strict';
const { spawn, spawnSync } = require('node:child_process');

// kept on globalThis: jest loads its global setup and teardown modules separately
const KEY = '__RBMLAB_XVFB__';

async function startXvfb() {
  if (process.env.DISPLAY) return { started: false, display: process.env.DISPLAY, reason: 'DISPLAY is already set' };
  if (spawnSync('sh', ['-c', 'command -v Xvfb'], { stdio: 'ignore' }).status !== 0) {
    return { started: false, missing: true, reason: 'Xvfb is not installed (apt-get install xvfb)' };
  }
  const server = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '640x480x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  server.stderr.on('data', (d) => (stderr += d));
  const display = await new Promise((resolve) => {
    let out = '';
    const timer = setTimeout(() => resolve(null), 10000);
    server.stdio[3].on('data', (d) => {
      out += d;
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(out.trim());
      }
    });
    server.on('exit', () => {
      clearTimeout(timer);
      resolve(null);
    });
  });
  if (display === null || !/^\d+$/.test(display)) {
    server.kill();
    return { started: false, reason: `Xvfb failed: ${(stderr.split('\n').find((l) => l.trim()) || 'no display number within 10 s').slice(0, 200)}` };
  }
  server.stdio[3].destroy();
  server.stderr.destroy();
  server.unref();
  globalThis[KEY] = server;
  process.env.DISPLAY = `:${display}`;
  return { started: true, display: process.env.DISPLAY };
}

/** Stops the server startXvfb started, if any, and unsets DISPLAY. */
async function stopXvfb() {
  const server = globalThis[KEY];
  if (server === undefined) return;
  globalThis[KEY] = undefined;
  await new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.kill('SIGKILL');
      resolve();
    }, 3000);
    server.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    server.kill('SIGTERM');
  });
  delete process.env.DISPLAY;
}

module.exports = { startXvfb, stopXvfb };
