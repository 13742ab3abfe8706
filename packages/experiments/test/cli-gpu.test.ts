/**
 * `--backend gpu` on rbmlab sample, train and run, through real processes (so that each run
 * chooses its own backend from its environment): the backend and gpu.js mode that ran are printed
 * and recorded, seeded runs repeat, the gpu run agrees with the cpu one where it must, and a mode
 * that cannot run is one line and exit code 2. The modes themselves, their kernels and their
 * goodness of fit are packages/gpu's tests.
 *
 * The jest global setup (packages/gpu/test/xvfb-setup.js) gives an X display, so gpu.js's best mode
 * here is headlessgl where gl built (CI) and webasm otherwise; the tests name the modes they need.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadRbm } from '@rbmlab/core';
import { temporaryDirectory } from './helpers/cli';
import { denseModel } from './helpers/models';
import { BACKEND_FAMILIES } from '../src/study/runner';

const root = path.resolve(__dirname, '..', '..', '..');
const bin = path.join(root, 'packages', 'experiments', 'bin', 'rbmlab.js');
const { file, writeJson } = temporaryDirectory('rbmlab-cli-gpu-');

function rbmlab(env: Record<string, string>, ...argv: string[]) {
  const clean = { ...process.env };
  for (const name of ['RBMLAB_BACKEND', 'RBMLAB_GPU_MODE', 'JEST_WORKER_ID']) delete clean[name];
  const r = spawnSync(process.execPath, [bin, ...argv], { cwd: root, encoding: 'utf8', env: { ...clean, ...env }, timeout: 110000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const model = () =>
  writeJson('model.json', {
    format: 'rbmlab.rbm/1',
    visible: { type: 'bernoulli', size: 5, bias: [0.2, -0.1, 0, 0.3, -0.2] },
    hidden: { type: 'bernoulli', size: 3, bias: [0.1, 0, -0.1] },
    weights: [
      [0.5, -0.3, 0.2],
      [0.1, 0.4, -0.6],
      [-0.2, 0.3, 0.1],
      [0.6, 0, -0.4],
      [-0.1, -0.5, 0.3],
    ],
  });

describe('rbmlab sample --backend gpu', () => {
  it.each(['webasm', 'cpu'])('gpu.js mode %s: says what ran, writes the states, repeats to the bit', (mode) => {
    const m = model();
    const run = (out: string) => rbmlab({ RBMLAB_GPU_MODE: mode }, 'sample', m, '--chains', '400', '--sweeps', '10', '--seed', '9', '--out', file(out), '--backend', 'gpu');
    const a = run(`${mode}-a.csv`);
    expect(a.code).toBe(0);
    expect(a.stderr).toMatch(new RegExp(`^rbmlab: running on gpujs-${mode} \\(gpu\\.js ${mode} mode, float32 kernels.*\\)\\n$`));
    expect(a.stdout).toMatch(new RegExp(`\\(gibbs, 10 sweeps, seed 9, gpujs-${mode}\\)\\n$`));
    const rows = fs.readFileSync(file(`${mode}-a.csv`), 'utf8').trimEnd().split('\n');
    expect(rows[0]).toBe('v0,v1,v2,v3,v4');
    expect(rows).toHaveLength(401);
    for (const row of rows.slice(1)) expect(row).toMatch(/^[01](,[01]){4}$/);
    // the chains are not stuck at their start: mean of v0 is between its two conditional extremes
    const mean = rows.slice(1).reduce((s, r) => s + Number(r[0]), 0) / 400;
    expect(mean).toBeGreaterThan(0.3);
    expect(mean).toBeLessThan(0.9);
    expect(run(`${mode}-b.csv`).code).toBe(0);
    expect(fs.readFileSync(file(`${mode}-b.csv`), 'utf8')).toBe(fs.readFileSync(file(`${mode}-a.csv`), 'utf8'));
  });

  it('samples a dense model by the heat bath on the gpu', () => {
    const dense = writeJson('dense.json', denseModel);
    const r = rbmlab({ RBMLAB_GPU_MODE: 'webasm' }, 'sample', dense, '--chains', '50', '--sweeps', '5', '--out', file('dense.csv'), '--backend', 'gpu');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\(heatbath, 5 sweeps, seed \d+, gpujs-webasm\)/);
    for (const row of fs.readFileSync(file('dense.csv'), 'utf8').trimEnd().split('\n').slice(1)) expect(row).toMatch(/^-?1(,-?1){5}$/);
  });

  it('refuses what the gpu does not run, and modes that cannot run here, in one line with exit code 2', () => {
    const m = model();
    const exact = rbmlab({}, 'sample', m, '--out', file('x.csv'), '--backend', 'gpu', '--sampler', 'exact');
    expect(exact.code).toBe(2);
    expect(exact.stderr).toBe('rbmlab sample: --backend gpu runs block Gibbs; --sampler exact runs on the cpu (drop --backend gpu)\n');
    const webgpu = rbmlab({ RBMLAB_GPU_MODE: 'webgpu' }, 'sample', m, '--out', file('x.csv'), '--backend', 'gpu');
    expect(webgpu.code).toBe(2);
    expect(webgpu.stderr).toMatch(/^rbmlab sample: --backend gpu \(RBMLAB_GPU_MODE=webgpu\): .*navigator\.gpu.*\n$/);
    expect(webgpu.stderr.trimEnd().split('\n')).toHaveLength(1);
    const wide = rbmlab({ RBMLAB_GPU_MODE: 'cpu' }, 'sample', m, '--out', file('x.csv'), '--backend', 'gpu', '--chains', '20000');
    expect(wide.code).toBe(2);
    const [announce, refusal, ...more] = wide.stderr.trimEnd().split('\n'); // the backend line, then the refusal
    expect(announce).toMatch(/^rbmlab: running on gpujs-cpu /);
    expect(refusal).toMatch(/^rbmlab sample: .*chains.*16384/);
    expect(more).toEqual([]);
    const tpu = rbmlab({}, 'sample', m, '--out', file('x.csv'), '--backend', 'tpu');
    expect(tpu.code).toBe(2);
    expect(tpu.stderr).toBe('rbmlab sample: unknown --backend "tpu" (known: cpu, gpu)\n');
    expect(fs.existsSync(file('x.csv'))).toBe(false);
  });
});

describe('rbmlab train --backend gpu', () => {
  it('takes the steps of the reference backend with the same seed, to float32 rounding of the products', () => {
    const rows = ['v0,v1,v2,v3,v4,v5'];
    for (let r = 0; r < 60; r++) rows.push(Array.from({ length: 6 }, (_, i) => ((r * 7 + i * 3) % 5 < 2 ? 1 : 0)).join(','));
    fs.writeFileSync(file('data.csv'), rows.join('\n') + '\n');
    const flags = ['--data', file('data.csv'), '--size', '4', '--method', 'pcd', '--epochs', '5', '--batch', '10', '--lr', '0.1', '--seed', '3'];
    const gpu = rbmlab({ RBMLAB_GPU_MODE: 'webasm' }, 'train', ...flags, '--out', file('gpu.json'), '--backend', 'gpu');
    expect(gpu.code).toBe(0);
    expect(gpu.stderr.split('\n')[0]).toMatch(/^rbmlab: running on gpujs-webasm /);
    expect(gpu.stdout).toMatch(/; gpujs-webasm\) and .*gpu\.train\.csv, .*gpu\.train\.svg\n$/);
    // the reference draws every state from the same stream as the gpu run (which has no fused
    // sampler), so the runs match unless a uniform falls within ~1e-7 of its threshold
    const cpu = rbmlab({ RBMLAB_BACKEND: 'cpu-reference' }, 'train', ...flags, '--out', file('cpu.json'));
    expect(cpu.code).toBe(0);
    const a = loadRbm(file('gpu.json')).weights;
    const b = loadRbm(file('cpu.json')).weights;
    let worst = 0;
    let moved = 0;
    for (let k = 0; k < a.length; k++) {
      worst = Math.max(worst, Math.abs(a[k] - b[k]));
      moved = Math.max(moved, Math.abs(b[k]));
    }
    expect(worst).toBeLessThan(1e-5);
    expect(moved).toBeGreaterThan(0.05); // and training did change the weights
  });
});

describe('rbmlab run --backend gpu', () => {
  it('records the backend and mode in the manifest, and --jobs 2 gives the same results', () => {
    const study = writeJson('study.json', { name: 'gpu-study', experiment: 'teacher-student', seed: 4, trials: 2, params: { N: 10, alpha: 2, epochs: 2 }, grid: { beta: [1.5] } });
    const one = rbmlab({ RBMLAB_GPU_MODE: 'webasm' }, 'run', study, '--out', file('s1'), '--backend', 'gpu', '--no-plots');
    expect(one.code).toBe(0);
    expect(one.stderr.split('\n').slice(0, 2)).toEqual(['rbmlab run: study "gpu-study": 2 trials (1 grid point x 2 trials)', expect.stringMatching(/^rbmlab: running on gpujs-webasm /)]);
    const manifest = JSON.parse(fs.readFileSync(path.join(file('s1'), 'manifest.json'), 'utf8'));
    expect(manifest.backend).toBe('gpujs-webasm');
    expect(manifest.backendInfo).toMatchObject({ name: 'gpujs-webasm', mode: 'webasm' });
    expect(manifest.timings.sessions[0].backend).toBe('gpujs-webasm');
    const two = rbmlab({ RBMLAB_GPU_MODE: 'webasm' }, 'run', study, '--out', file('s2'), '--backend', 'gpu', '--jobs', '2', '--no-plots');
    expect(two.code).toBe(0);
    expect(fs.readFileSync(path.join(file('s2'), 'results.csv'), 'utf8')).toBe(fs.readFileSync(path.join(file('s1'), 'results.csv'), 'utf8'));
    const cpu = rbmlab({}, 'run', study, '--out', file('s3'), '--no-plots');
    expect(cpu.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(file('s3'), 'manifest.json'), 'utf8')).backend).not.toBe('gpujs-webasm');
  });

  it('refuses a family whose trials do not run on a backend, rather than record a gpu that did no work', () => {
    const study = writeJson('capacity.json', { name: 'c', experiment: 'dense-capacity', seed: 1, trials: 1, params: { N: 10 }, grid: { p: [2] } });
    const r = rbmlab({ RBMLAB_GPU_MODE: 'webasm' }, 'run', study, '--out', file('never-c'), '--backend', 'gpu');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^rbmlab run: --backend gpu: the dense-capacity family has nothing to run on a device: [^\n]+ \\(families on a backend: ${BACKEND_FAMILIES.join(', ')}\\); run it with --backend cpu\n$`));
    expect(BACKEND_FAMILIES).toEqual(expect.arrayContaining(['teacher-student', 'spectral', 'real-data', 'hoi-sampled', 'retrieval']));
    expect(fs.existsSync(file('never-c'))).toBe(false);
  });

  it('retrieval runs on the device: at T = 0 its results.csv is the CPU one, byte for byte; an rbm point without a device kernel is refused in one line', () => {
    const study = writeJson('retrieval.json', { name: 'r', experiment: 'retrieval', seed: 1, trials: 3, params: { N: 25, sweeps: 20, noise: 0.25, recalls: 4 }, grid: { alpha: [0.1, 0.3] } });
    const gpu = rbmlab({ RBMLAB_GPU_MODE: 'cpu' }, 'run', study, '--out', file('r-gpu'), '--backend', 'gpu', '--no-plots');
    expect(gpu.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(file('r-gpu'), 'manifest.json'), 'utf8')).backend).toBe('gpujs-cpu');
    const cpu = rbmlab({}, 'run', study, '--out', file('r-cpu'), '--no-plots');
    expect(cpu.code).toBe(0);
    const results = fs.readFileSync(path.join(file('r-gpu'), 'results.csv'), 'utf8');
    expect(results).toBe(fs.readFileSync(path.join(file('r-cpu'), 'results.csv'), 'utf8'));
    expect(results.split('\n')[0]).toMatch(/,recalls,trial,seed,overlap,overlap_start,sweeps_run,overlap_sd$/);
    const relu = writeJson('retrieval-relu.json', { name: 'r', experiment: 'retrieval', seed: 1, trials: 1, params: { N: 20, alpha: 0.1, model: 'rbm' }, grid: { hidden: ['gaussian', 'relu'] } });
    const r = rbmlab({ RBMLAB_GPU_MODE: 'cpu' }, 'run', relu, '--out', file('never-r'), '--backend', 'gpu');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^rbmlab run: --backend gpu: the retrieval family cannot run on the device at hidden=relu: model rbm with relu hidden units has no device kernel \([^\n]*\); run it with --backend cpu\n$/);
    expect(fs.existsSync(file('never-r'))).toBe(false);
  });

  it('a gpu mode that cannot run stops the study before anything is written', () => {
    const study = writeJson('study2.json', { name: 'gpu-study', experiment: 'teacher-student', seed: 4, trials: 1, params: { N: 10, alpha: 2, epochs: 1 }, grid: { beta: [1.5] } });
    const r = rbmlab({ RBMLAB_GPU_MODE: 'webgpu' }, 'run', study, '--out', file('never'), '--backend', 'gpu');
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(fs.existsSync(file('never'))).toBe(false);
  });
});
