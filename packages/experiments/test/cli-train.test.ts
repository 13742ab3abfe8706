/**
 * `rbmlab train`, `rbmlab eval` and `rbmlab logz --method ais`, in-process through main(argv):
 * results checked against core's exact oracles and closed forms, bit-identical resume through
 * the CLI, divergence keeping the last good checkpoint, and one-line errors for bad input.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { barsAndStripes, exactLogLikelihood, exactLogZ, loadCheckpoint, loadRbm, pseudoLogLikelihood } from '@rbmlab/core';
import { parseDataText } from '../src/data/csv';
import { expectOneLineError, rbmlab } from './helpers/cli';

let dir: string;
const file = (name: string) => path.join(dir, name);
let basCsv: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rbmlab-train-'));
  const bas = barsAndStripes(3);
  const lines = ['v0,v1,v2,v3,v4,v5,v6,v7,v8'];
  for (let r = 0; r < bas.rows; r++) lines.push(Array.from(bas.data.subarray(r * 9, r * 9 + 9)).join(','));
  basCsv = file('bas.csv');
  fs.writeFileSync(basCsv, lines.join('\n') + '\n');
  // 40 rows of wide real values: a gaussian-gaussian RBM trained on them loses normalizability
  let x = 1;
  const rows: string[] = [];
  for (let r = 0; r < 40; r++) {
    const row: string[] = [];
    for (let i = 0; i < 4; i++) {
      x = (x * 16807) % 2147483647;
      row.push(((x / 2147483647) * 16 - 8).toFixed(3));
    }
    rows.push(row.join(','));
  }
  fs.writeFileSync(file('wide.csv'), rows.join('\n') + '\n');
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const trainFlags = ['--data', '', '--size', '16', '--method', 'pcd', '--batch', '7', '--lr', '0.05', '--seed', '5', '--chains', '20'];
/** The shared flags with `data`; a flag in `extra` replaces the shared one of that name. */
function flags(data: string, ...extra: string[]): string[] {
  const f = trainFlags.slice();
  f[1] = data;
  const out: string[] = [];
  for (let k = 0; k < f.length; k += 2) if (!extra.includes(f[k])) out.push(f[k], f[k + 1]);
  return [...out, ...extra];
}

describe('rbmlab train', () => {
  test('trains, reports progress as plain lines, and the model is what eval reads', async () => {
    const out = file('model.json');
    const run = await rbmlab('train', ...flags(basCsv, '--epochs', '4', '--out', out));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^wrote .*model\.json \(9 bernoulli x 16 bernoulli; 4 epochs of pcd; epoch 4\) and .*model\.train\.csv, .*model\.train\.svg\n$/);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    lines.forEach((line, k) => expect(line).toMatch(new RegExp(`^rbmlab train epoch ${k + 1}/4 samples/s \\d+  loglik -\\d+\\.\\d+$`)));
    const rbm = loadRbm(out);
    const bas = barsAndStripes(3);
    const evalRun = await rbmlab('eval', out, '--data', basCsv, '--json');
    expect(evalRun.code).toBe(0);
    const result = JSON.parse(evalRun.stdout);
    expect(result.method).toBe('exact');
    expect(result.loglik).toBeCloseTo(exactLogLikelihood(rbm, bas.data, bas.rows), 12);
    expect(result.pseudoLoglik).toBeCloseTo(pseudoLogLikelihood(rbm, bas.data, bas.rows), 12);
    expect(result.logZ).toBeCloseTo(exactLogZ(rbm).logZ, 12);
    expect(result.rows).toBe(14);
    // the progress line's metric is the exact log-likelihood of the final model
    expect(Number(lines[3].split('loglik ')[1])).toBeCloseTo(result.loglik, 4);
  });

  test('exact-gradient training with Adam through the CLI reaches above -2.70 on Bars and Stripes', async () => {
    const out = file('exact.json');
    const run = await rbmlab('train', '--data', basCsv, '--size', '16', '--method', 'exact', '--epochs', '1500', '--batch', '14', '--lr', '0.05', '--optimizer', 'adam', '--seed', '1', '--out', out);
    expect(run.code).toBe(0);
    const bas = barsAndStripes(3);
    expect(exactLogLikelihood(loadRbm(out), bas.data, bas.rows)).toBeGreaterThan(-2.7);
  }, 60000);

  test('--resume continues to --epochs and matches an uninterrupted run byte for byte', async () => {
    const ck = file('ck');
    const first = await rbmlab('train', ...flags(basCsv, '--epochs', '3', '--out', file('a.json'), '--checkpoint', ck, '--l2', '0.001', '--optimizer', 'momentum'));
    expect(first.code).toBe(0);
    expect(loadCheckpoint(path.join(ck, 'checkpoint.json')).state.epoch).toBe(3);
    const resumed = await rbmlab('train', ...flags(basCsv, '--epochs', '7', '--out', file('b.json'), '--checkpoint', ck, '--resume', '--l2', '0.001', '--optimizer', 'momentum'));
    expect(resumed.code).toBe(0);
    const progress = resumed.stderr.trimEnd().split('\n').filter((l) => l.startsWith('rbmlab train epoch'));
    expect(progress.map((l) => l.split(' ')[3])).toEqual(['4/7', '5/7', '6/7', '7/7']);
    const straight = await rbmlab('train', ...flags(basCsv, '--epochs', '7', '--out', file('c.json'), '--l2', '0.001', '--optimizer', 'momentum'));
    expect(straight.code).toBe(0);
    expect(fs.readFileSync(file('b.json')).equals(fs.readFileSync(file('c.json')))).toBe(true);
    expect(fs.readFileSync(file('a.json')).equals(fs.readFileSync(file('c.json')))).toBe(false);
  });

  test('--precision float32: trains close to float64, resumes bit-identically, and a resume must keep it', async () => {
    const ck = file('ck32');
    const f32 = (...extra: string[]) => rbmlab('train', ...flags(basCsv, '--precision', 'float32', ...extra));
    expect((await f32('--epochs', '3', '--out', file('p32a.json'), '--checkpoint', ck)).code).toBe(0);
    expect(loadCheckpoint(path.join(ck, 'checkpoint.json')).state.config.precision).toBe('float32');
    expect((await f32('--epochs', '6', '--out', file('p32b.json'), '--checkpoint', ck, '--resume')).code).toBe(0);
    expect((await f32('--epochs', '6', '--out', file('p32c.json'))).code).toBe(0);
    expect(fs.readFileSync(file('p32b.json')).equals(fs.readFileSync(file('p32c.json')))).toBe(true);
    // the same seed in float64: other bits, the same chain states unless a uniform falls within
    // ~1e-7 of its threshold (expected ~1e-3 such draws in these 12 updates). One such draw changes
    // one chain of 20 from then on, moving each weight by at most 12 x lr / 20 = 0.03; so 0.04
    // fails only with two of them (probability ~1e-6) on any machine. (That the float32 products
    // read the current W is tested in core, float32-training.test.ts.)
    expect((await rbmlab('train', ...flags(basCsv, '--epochs', '6', '--out', file('p64.json')))).code).toBe(0);
    const a = loadRbm(file('p32c.json')).weights;
    const b = loadRbm(file('p64.json')).weights;
    let worst = 0;
    for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k] - b[k]));
    expect(worst).toBeLessThan(0.04);
    expect(fs.readFileSync(file('p32c.json')).equals(fs.readFileSync(file('p64.json')))).toBe(false);
    expectOneLineError(await rbmlab('train', ...flags(basCsv, '--epochs', '7', '--out', file('p.json'), '--checkpoint', ck, '--resume')), 2, /--precision: float64 here, float32 in the checkpoint/);
    expectOneLineError(await rbmlab('train', ...flags(basCsv, '--epochs', '1', '--out', file('p.json'), '--precision', 'float32', '--method', 'exact')), 2, /precision "float32" is for methods cd and pcd, not exact/);
    expectOneLineError(await rbmlab('train', ...flags(basCsv, '--epochs', '1', '--out', file('p.json'), '--precision', 'half')), 2, /unknown --precision "half" \(known: float64, float32\)/);
  });

  test('divergence stops with the epoch named, keeps the last good checkpoint and writes no model', async () => {
    const ck = file('ck-diverge');
    const out = file('diverged.json');
    // lr 0.01: the model leaves the normalizable set in epoch 4 (the trainer's check after every
    // epoch); at lr 0.03 it already does in epoch 1, before any checkpoint, where it used to run
    // on without a distribution until the steps overflowed in epoch 11
    const args = ['--data', file('wide.csv'), '--visible', 'gaussian', '--hidden', 'gaussian', '--size', '3', '--method', 'pcd', '--epochs', '40', '--batch', '10', '--lr', '0.01', '--optimizer', 'sgd', '--seed', '1', '--out', out, '--checkpoint', ck];
    const run = await rbmlab('train', ...args);
    expect(run.code).toBe(1);
    const error = run.stderr.trimEnd().split('\n').at(-1) as string;
    const match = /^rbmlab train: training diverged in epoch (\d+) \(minibatch \d+\): .*; .*checkpoint\.json keeps epoch (\d+), the last good one$/.exec(error);
    expect(match).not.toBeNull();
    const [epoch, kept] = [Number(match![1]), Number(match![2])];
    expect(epoch).toBeGreaterThan(1);
    expect(kept).toBe(epoch - 1);
    expect(fs.existsSync(out)).toBe(false);
    const saved = loadCheckpoint(path.join(ck, 'checkpoint.json'));
    expect(saved.state.epoch).toBe(kept);
    for (const x of saved.rbm.weights) expect(Number.isFinite(x)).toBe(true);
    // resuming replays the same trajectory into the same divergence
    const again = await rbmlab('train', ...args, '--resume');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`training diverged in epoch ${epoch} `);
  });

  test('bad input: one line naming the problem, nothing written', async () => {
    const out = file('never.json');
    fs.writeFileSync(file('text.csv'), 'v0,v1\n1,0\n0,x\n');
    expectOneLineError(await rbmlab('train', '--data', file('text.csv'), '--size', '2', '--out', out), 2, /text\.csv: line 3, column 2: "x" is not a number/);
    fs.writeFileSync(file('two.csv'), '1,0\n0,2\n');
    expectOneLineError(await rbmlab('train', '--data', file('two.csv'), '--size', '2', '--out', out), 2, /two\.csv: row 2, column 2: 2 is not a bernoulli value \(0 or 1\)/);
    fs.writeFileSync(file('ragged.csv'), '1,0\n0,1,1\n');
    expectOneLineError(await rbmlab('train', '--data', file('ragged.csv'), '--size', '2', '--out', out), 2, /ragged\.csv: line 2 has 3 values, but line 1 has 2/);
    expectOneLineError(await rbmlab('train', '--data', file('missing.csv'), '--size', '2', '--out', out), 2, /missing\.csv: no such file/);
    expectOneLineError(await rbmlab('train', ...flags(basCsv, '--out', out, '--lr', '-1')), 2, /--lr must be a positive number, got "-1"/);
    expectOneLineError(await rbmlab('train', ...flags(basCsv, '--out', out, '--method', 'sa')), 2, /unknown --method "sa" \(known: exact, cd, pcd, pt\)/);
    expectOneLineError(await rbmlab('train', ...flags(basCsv, '--out', out, '--resume')), 2, /--resume needs --checkpoint DIR/);
    expectOneLineError(await rbmlab('train', ...flags(basCsv, '--out', out, '--resume', '--checkpoint', file('nothing'))), 2, /no checkpoint to resume in .*nothing/);
    expectOneLineError(await rbmlab('train', ...flags(file('wide.csv'), '--out', out, '--method', 'exact', '--visible', 'gaussian', '--hidden', 'relu', '--size', '3')), 2, /exact enumeration needs a binary layer/);
    const ck = file('ck-mismatch');
    expect((await rbmlab('train', ...flags(basCsv, '--epochs', '1', '--out', file('m.json'), '--checkpoint', ck))).code).toBe(0);
    expectOneLineError(await rbmlab('train', ...flags(basCsv, '--epochs', '2', '--out', out, '--checkpoint', ck, '--resume', '--lr', '0.1')), 2, /--lr: 0\.1 here, 0\.05 in the checkpoint/);
    fs.writeFileSync(path.join(ck, 'checkpoint.json'), '{"format": "rbmlab.checkpoint/1"}');
    expectOneLineError(await rbmlab('train', ...flags(basCsv, '--epochs', '2', '--out', out, '--checkpoint', ck, '--resume')), 2, /checkpoint\.json: epoch is missing/);
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('rbmlab eval and logz --method ais', () => {
  // gaussian visible (N = 3) x gaussian hidden (M = 2): no binary layer, so eval uses AIS; the
  // visible marginal is Gaussian, exp(-v^T A v / 2 + b^T v + c), with A = I - W diag(1/gamma) W^T,
  // b = a + W (theta / gamma), c = sum_mu [theta^2 / (2 gamma) + log(2 pi / gamma) / 2], so
  // log Z = c + b^T A^-1 b / 2 + (N / 2) log 2 pi - log det A / 2 in closed form.
  const a = [0.2, -0.1, 0.3];
  const theta = [0.1, -0.2];
  const gamma = [1.5, 2];
  const W = [
    [0.4, -0.3],
    [0.2, 0.5],
    [-0.35, 0.1],
  ];
  function closedFormLogZ(): number {
    const A = [0, 1, 2].map((i) => [0, 1, 2].map((j) => (i === j ? 1 : 0) - W[i][0] * W[j][0] / gamma[0] - W[i][1] * W[j][1] / gamma[1]));
    const b = a.map((ai, i) => ai + W[i][0] * theta[0] / gamma[0] + W[i][1] * theta[1] / gamma[1]);
    const c = theta.reduce((s, t, mu) => s + (t * t) / (2 * gamma[mu]) + 0.5 * Math.log((2 * Math.PI) / gamma[mu]), 0);
    const det = A[0][0] * (A[1][1] * A[2][2] - A[1][2] * A[2][1]) - A[0][1] * (A[1][0] * A[2][2] - A[1][2] * A[2][0]) + A[0][2] * (A[1][0] * A[2][1] - A[1][1] * A[2][0]);
    // A^-1 b by Cramer's rule
    const solve = (k: number) => {
      const M = A.map((row, i) => row.map((x, j) => (j === k ? b[i] : x)));
      return (M[0][0] * (M[1][1] * M[2][2] - M[1][2] * M[2][1]) - M[0][1] * (M[1][0] * M[2][2] - M[1][2] * M[2][0]) + M[0][2] * (M[1][0] * M[2][1] - M[1][1] * M[2][0])) / det;
    };
    const x = [solve(0), solve(1), solve(2)];
    return c + 0.5 * (b[0] * x[0] + b[1] * x[1] + b[2] * x[2]) + 1.5 * Math.log(2 * Math.PI) - 0.5 * Math.log(det);
  }

  beforeAll(() => {
    fs.writeFileSync(
      file('gg.json'),
      JSON.stringify({ format: 'rbmlab.rbm/1', visible: { type: 'gaussian', size: 3, bias: a }, hidden: { type: 'gaussian', size: 2, bias: theta, gamma }, weights: W }),
    );
    fs.writeFileSync(file('gg.csv'), 'v0,v1,v2\n0.5,-1.25,2\n-0.3,0.1,0.7\n');
  });

  test('logz --method ais --json agrees with the closed form within 5 standard errors', async () => {
    // false-failure rate: |z| > 5 for a (near-)Gaussian estimate is ~6e-7; AIS's downward bias
    // (about stderr^2 * chains / 2) is far below the stderr at this schedule length
    const run = await rbmlab('logz', file('gg.json'), '--method', 'ais', '--chains', '200', '--steps', '500', '--seed', '3', '--json');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(Object.keys(out)).toEqual(expect.arrayContaining(['logZ', 'stderr', 'method']));
    expect(out.method).toBe('ais');
    expect(out.stderr).toBeGreaterThan(0);
    expect(out.stderr).toBeLessThan(0.02);
    expect(Math.abs(out.logZ - closedFormLogZ())).toBeLessThan(5 * out.stderr);
  });

  test('eval uses AIS where the model cannot be enumerated, and says so', async () => {
    const run = await rbmlab('eval', file('gg.json'), '--data', file('gg.csv'), '--json', '--chains', '200', '--steps', '500', '--seed', '4');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.method).toBe('ais');
    const rbm = loadRbm(file('gg.json'));
    const data = parseDataText(fs.readFileSync(file('gg.csv'), 'utf8'), 'gg.csv');
    const meanF = Array.from(rbm.freeEnergies(data.data, data.rows)).reduce((s, f) => s + f, 0) / data.rows;
    expect(Math.abs(out.loglik - (-meanF - closedFormLogZ()))).toBeLessThan(5 * out.stderr);
    expect(Number.isFinite(out.pseudoLoglik)).toBe(true);
  });

  test('eval refuses data that does not fit the model', async () => {
    expectOneLineError(await rbmlab('eval', file('gg.json'), '--data', basCsv), 2, /bas\.csv: has 9 columns, but the model has 3 visible units/);
  });
});
