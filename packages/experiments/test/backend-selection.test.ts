/**
 * Which backend a real rbmlab process runs on, and what it says about it: RBMLAB_BACKEND and
 * RBMLAB_THREADS, the one-line notice when the native backend is missing (simulated by a preload,
 * fixtures/without-native.js, that makes require('@rbmlab/native') fail as on a machine without
 * it), and the one-line errors for a backend that cannot be had. Runs the built CLI
 * (packages/experiments/bin/rbmlab.js; `npm test` builds it first).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadNativeBackend } from '@rbmlab/core';

const root = path.resolve(__dirname, '..', '..', '..');
const bin = path.join(root, 'packages', 'experiments', 'bin', 'rbmlab.js');
const withoutNative = path.join(__dirname, 'fixtures', 'without-native.js');
const hasNative = loadNativeBackend().backend !== undefined;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rbmlab-backend-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// a 4 x 3 bernoulli model
const model = path.join(dir, 'model.json');
fs.writeFileSync(
  model,
  JSON.stringify({
    format: 'rbmlab.rbm/1',
    visible: { type: 'bernoulli', size: 4, bias: [0.1, -0.2, 0.3, 0] },
    hidden: { type: 'bernoulli', size: 3, bias: [0, 0.2, -0.1] },
    weights: [
      [0.1, -0.3, 0.2],
      [0.4, 0, -0.1],
      [0.2, 0.2, 0.3],
      [-0.5, 0.1, 0],
    ],
  }),
);

/** Runs `rbmlab sample` (which samples on the default backend) with the given environment. */
function sample(env: Record<string, string>, out: string, preload: string[] = []) {
  const clean = { ...process.env };
  for (const name of ['RBMLAB_BACKEND', 'RBMLAB_THREADS', 'OPENBLAS_NUM_THREADS', 'JEST_WORKER_ID', 'RBMLAB_BACKEND_NOTICE']) delete clean[name];
  return spawnSync(process.execPath, [...preload, bin, 'sample', model, '--chains', '50', '--sweeps', '3', '--seed', '5', '--out', path.join(dir, out)], {
    cwd: root,
    encoding: 'utf8',
    env: { ...clean, ...env },
    timeout: 60000,
  });
}

/** In-process view of the same choice: backendInfo() from the built core, as JSON. */
function info(env: Record<string, string>, preload: string[] = []) {
  const clean = { ...process.env };
  for (const name of ['RBMLAB_BACKEND', 'RBMLAB_THREADS', 'OPENBLAS_NUM_THREADS', 'JEST_WORKER_ID']) delete clean[name];
  const script = `process.stdout.write(JSON.stringify(require(${JSON.stringify(path.join(root, 'packages', 'core'))}).backendInfo()))`;
  return spawnSync(process.execPath, [...preload, '-e', script], { cwd: root, encoding: 'utf8', env: { ...clean, ...env }, timeout: 60000 });
}

describe('without the native backend', () => {
  it('says so in one line on stderr, once, and runs on the TypeScript reference', () => {
    const r = sample({}, 'fallback.csv', ['-r', withoutNative]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("rbmlab: native backend unavailable (@rbmlab/native is not installed (Cannot find module '@rbmlab/native')); running on cpu-reference\n");
    expect(fs.readFileSync(path.join(dir, 'fallback.csv'), 'utf8').split('\n')[0]).toBe('v0,v1,v2,v3');
    const i = info({}, ['-r', withoutNative]);
    expect(JSON.parse(i.stdout)).toEqual({ name: 'cpu-reference', fallback: "@rbmlab/native is not installed (Cannot find module '@rbmlab/native')" });
  });

  it('RBMLAB_BACKEND=native-openblas refuses to run, naming why, with exit code 2 and no output file', () => {
    const r = sample({ RBMLAB_BACKEND: 'native-openblas' }, 'refused.csv', ['-r', withoutNative]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("rbmlab sample: RBMLAB_BACKEND=native-openblas, but the native backend is unavailable: @rbmlab/native is not installed (Cannot find module '@rbmlab/native')\n");
    expect(fs.existsSync(path.join(dir, 'refused.csv'))).toBe(false);
  });

  it('RBMLAB_BACKEND=cpu-reference runs quietly', () => {
    const r = sample({ RBMLAB_BACKEND: 'cpu-reference' }, 'quiet.csv', ['-r', withoutNative]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });
});

describe('RBMLAB_BACKEND and RBMLAB_THREADS', () => {
  it('an unknown backend or a malformed thread count is one line and exit code 2', () => {
    const bad = sample({ RBMLAB_BACKEND: 'gpu-magic' }, 'bad.csv');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('rbmlab sample: RBMLAB_BACKEND must be one of "cpu-reference", "native-openblas", "native-openblas-f32", "native", got "gpu-magic"\n');
    if (hasNative) {
      const threads = sample({ RBMLAB_THREADS: 'many' }, 'bad.csv');
      expect(threads.status).toBe(2);
      expect(threads.stderr).toBe('rbmlab sample: RBMLAB_THREADS must be an integer in 1..64, got "many"\n');
    }
    expect(fs.existsSync(path.join(dir, 'bad.csv'))).toBe(false);
  });

  it('selects each backend, and the samples are those of the backend that ran', () => {
    const reference = info({ RBMLAB_BACKEND: 'cpu-reference' });
    expect(JSON.parse(reference.stdout)).toEqual({ name: 'cpu-reference' });
    expect(sample({ RBMLAB_BACKEND: 'cpu-reference' }, 'ref.csv').status).toBe(0);
    if (!hasNative) return; // native.test.ts fails on such a machine, naming the reason
    for (const [asked, name] of [
      ['native', 'native-openblas'],
      ['native-openblas', 'native-openblas'],
      ['native-openblas-f32', 'native-openblas-f32'],
    ]) {
      const i = JSON.parse(info({ RBMLAB_BACKEND: asked, RBMLAB_THREADS: '1' }).stdout);
      expect(i.name).toBe(name);
      expect(i.detail).toMatch(/OpenBLAS.*, 1 thread$/);
    }
    expect(JSON.parse(info({ RBMLAB_THREADS: '2' }).stdout).detail).toMatch(/, 2 threads$/);
    // the default is the native backend: its fused sampler draws other (equally valid) states
    expect(sample({}, 'native.csv').stderr).toBe('');
    expect(fs.readFileSync(path.join(dir, 'native.csv'), 'utf8')).not.toBe(fs.readFileSync(path.join(dir, 'ref.csv'), 'utf8'));
  });
});
