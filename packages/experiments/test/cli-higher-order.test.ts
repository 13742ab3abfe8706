/**
 * `rbmlab logz` and `rbmlab sample` on rbmlab.dense/1 and rbmlab.hobm/1 model files, in-process
 * through main(argv). log Z is checked against brute force written here from the file's JSON;
 * samples against the core samplers run with the same seed (the same bits) and, for one model,
 * against the exact P(s) by chi-square (p < 1e-6 fails: false-failure rate 1e-6 for this seeded
 * test). Bad input: a non-zero exit, one stderr line naming the file and field, no output file.
 */
import * as fs from 'fs';
import { createRng, DenseDynamics, HigherOrderHeatBath, loadModelFile, type DenseAssociativeMemory, type HigherOrderBoltzmannMachine } from '@rbmlab/core';
import { chiSquareGof, expectFits } from '../../core/test/helpers/stats';
import { rbmlab, temporaryDirectory } from './helpers/cli';
import { denseModel } from './helpers/models';

const { file, writeJson } = temporaryDirectory('rbmlab-cli-ho-');

/** Bernoulli units, 5 of them, with a 3-body and a 4-body coupling. */
const hobmModel = {
  format: 'rbmlab.hobm/1',
  visible: { type: 'bernoulli', size: 5, bias: [0.2, -0.3, 0.1, 0.4, -0.5] },
  couplings: [
    { sites: [0, 1], J: 0.7 },
    { sites: [1, 2, 4], J: -0.9 },
    { sites: [0, 2, 3, 4], J: 1.1 },
  ],
  beta: 1.2,
};

/** -beta E of every state, from the JSON by the definitions (state s: unit k is bit k of s). */
function denseLogWeights(m: typeof denseModel): number[] {
  const out: number[] = [];
  for (let s = 0; s < 2 ** m.size; s++) {
    let minusE = 0;
    for (const xi of m.patterns) {
      let x = 0;
      for (let i = 0; i < m.size; i++) x += xi[i] * ((s >> i) & 1 ? 1 : -1);
      minusE += x ** 3;
    }
    out.push(m.beta * minusE);
  }
  return out;
}

function hobmLogWeights(m: typeof hobmModel): number[] {
  const out: number[] = [];
  for (let s = 0; s < 2 ** m.visible.size; s++) {
    const v = Array.from({ length: m.visible.size }, (_, i) => (s >> i) & 1);
    let minusE = m.visible.bias.reduce((acc, a, i) => acc + a * v[i], 0);
    for (const { sites, J } of m.couplings) minusE += J * sites.reduce((p, i) => p * v[i], 1);
    out.push(m.beta * minusE);
  }
  return out;
}

function logSumExp(xs: number[]): number {
  const m = Math.max(...xs);
  return m + Math.log(xs.reduce((acc, x) => acc + Math.exp(x - m), 0));
}

function readCsv(name: string): { header: string[]; rows: number[][] } {
  const lines = fs.readFileSync(name, 'utf8').trimEnd().split('\n');
  return { header: lines[0].split(','), rows: lines.slice(1).map((l) => l.split(',').map(Number)) };
}

describe('logz --method exact', () => {
  test.each([
    ['dense', () => writeJson('dense.json', denseModel), () => logSumExp(denseLogWeights(denseModel)), 6],
    ['hobm', () => writeJson('hobm.json', hobmModel), () => logSumExp(hobmLogWeights(hobmModel)), 5],
  ] as const)('%s: --json agrees with brute force; text names the format', async (kind, write, expected, n) => {
    const model = write();
    const r = await rbmlab('logz', model, '--method', 'exact', '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const result = JSON.parse(r.stdout);
    expect(result).toEqual({ logZ: result.logZ, method: 'exact', enumerated: 'visible' });
    expect(Math.abs(result.logZ - expected())).toBeLessThan(1e-12 * Math.max(1, Math.abs(expected())));
    const text = await rbmlab('logz', model);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(`${model}: log Z = ${result.logZ} (exact, summed over 2^${n} states of a rbmlab.${kind}/1 model)\n`);
  });
});

describe('sample', () => {
  test('dense: heat bath by default, the same states as DenseDynamics with the same seed', async () => {
    const model = writeJson('dense-sample.json', denseModel);
    const out = file('dense.csv');
    const r = await rbmlab('sample', model, '--chains', '23', '--sweeps', '7', '--seed', '11', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`wrote 23 x 6 visible states to ${out} (heatbath, 7 sweeps, seed 11)\n`);
    const { header, rows } = readCsv(out);
    expect(header).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5']);
    const dynamics = new DenseDynamics(loadModelFile(model).model as DenseAssociativeMemory, { chains: 23, rng: createRng(11) });
    dynamics.heatBath(7);
    expect(rows.flat()).toEqual(Array.from(dynamics.spins));
    for (const x of rows.flat()) expect([-1, 1]).toContain(x);
  });

  test('hobm: heat bath by default equals HigherOrderHeatBath; exact equals exactSample', async () => {
    const model = writeJson('hobm-sample.json', hobmModel);
    const loaded = loadModelFile(model).model as HigherOrderBoltzmannMachine;
    const heat = file('hobm-heat.csv');
    expect((await rbmlab('sample', model, '--chains', '17', '--sweeps', '5', '--seed', '0', '--out', heat)).code).toBe(0);
    const chain = new HigherOrderHeatBath(loaded, { chains: 17, rng: createRng(0) });
    chain.sweep(5);
    expect(readCsv(heat).rows.flat()).toEqual(Array.from(chain.state));
    const exact = file('hobm-exact.csv');
    const r = await rbmlab('sample', model, '--chains', '17', '--seed', '4', '--sampler', 'exact', '--out', exact);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(exact, independent exact draws, seed 4)');
    expect(readCsv(exact).rows.flat()).toEqual(Array.from(loaded.exactSample(17, createRng(4))));
  });

  test('hobm: heat-bath samples written by the CLI fit the brute-force P(s)', async () => {
    const model = writeJson('hobm-fit.json', hobmModel);
    const out = file('hobm-fit.csv');
    expect((await rbmlab('sample', model, '--chains', '8000', '--sweeps', '25', '--seed', '2', '--out', out)).code).toBe(0);
    const counts = new Float64Array(32);
    for (const row of readCsv(out).rows) counts[row.reduce((s, v, i) => s + v * 2 ** i, 0)]++;
    const lw = hobmLogWeights(hobmModel);
    const logZ = logSumExp(lw);
    expectFits(chiSquareGof(counts, lw.map((x) => Math.exp(x - logZ))), 'CLI heat bath on the hobm model');
  });
});

describe('bad input: exit code, one stderr line naming the culprit, no output file', () => {
  const big = { format: 'rbmlab.hobm/1', visible: { type: 'spin', size: 30 }, couplings: [{ sites: [0, 29], J: 1 }] };
  const cases: Array<[string, () => string[], string[]]> = [
    ['logz: dense with --method ais', () => ['logz', writeJson('d-ais.json', denseModel), '--method', 'ais'], ['--method ais is for RBMs', 'd-ais.json is a rbmlab.dense/1 model (use --method exact)']],
    ['logz: hobm with --method ais', () => ['logz', writeJson('h-ais.json', hobmModel), '--method', 'ais'], ['h-ais.json is a rbmlab.hobm/1 model (use --method exact)']],
    [
      'logz: normalized energy with exp',
      () => ['logz', writeJson('d-norm-exp.json', { ...denseModel, energy: { kind: 'normalized', F: 'exp' } })],
      ['d-norm-exp.json', 'energy.F "exp" is not allowed with kind "normalized"'],
    ],
    [
      'logz: pattern value 0',
      () => ['logz', writeJson('d-zero.json', { ...denseModel, patterns: [[1, 0, 1, 1, 1, 1]] })],
      ['d-zero.json', 'patterns[0][1] must be 1 or -1, got 0'],
    ],
    [
      'sample: hobm site out of range',
      () => ['sample', writeJson('h-site.json', { ...hobmModel, couplings: [{ sites: [0, 5], J: 1 }] }), '--out', file('bad.csv')],
      ['h-site.json', 'couplings[0].sites[1] must be an integer from 0 to 4 (visible.size 5), got 5'],
    ],
    [
      'sample: dense format version',
      () => ['sample', writeJson('d-v2.json', { ...denseModel, format: 'rbmlab.dense/2' }), '--out', file('bad.csv')],
      ['d-v2.json', 'unsupported format "rbmlab.dense/2" (this rbmlab reads rbmlab.dense/1)'],
    ],
    [
      'sample: unknown format',
      () => ['sample', writeJson('u.json', { format: 'rbmlab.potts/1' }), '--out', file('bad.csv')],
      ['u.json', 'rbmlab.rbm/1, rbmlab.dense/1, rbmlab.hobm/1'],
    ],
    [
      'sample: --sampler gibbs on a dense model',
      () => ['sample', writeJson('d-gibbs.json', denseModel), '--sampler', 'gibbs', '--out', file('bad.csv')],
      ['--sampler gibbs needs a hidden layer', 'd-gibbs.json is a rbmlab.dense/1 model', 'heatbath or exact'],
    ],
    ['logz: hobm too large to enumerate', () => ['logz', writeJson('h-big.json', big), '--json'], ['h-big.json', 'at most 24 units']],
    [
      'sample: exact on a hobm too large',
      () => ['sample', writeJson('h-big2.json', big), '--sampler', 'exact', '--out', file('bad.csv')],
      ['--sampler exact', 'h-big2.json', 'at most 24 units'],
    ],
  ];
  for (const [name, argv, expected] of cases) {
    test(name, async () => {
      fs.rmSync(file('bad.csv'), { force: true });
      const r = await rbmlab(...argv());
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n')).toHaveLength(2); // one line and its newline
      expect(r.stderr.startsWith('rbmlab ')).toBe(true);
      expect(r.stderr).not.toMatch(/\bat \S+ \(|internal error/);
      for (const text of expected) expect(r.stderr).toContain(text);
      expect(fs.existsSync(file('bad.csv'))).toBe(false);
    });
  }

  test('a large hobm can still be sampled by the heat bath', async () => {
    const out = file('big.csv');
    const r = await rbmlab('sample', writeJson('h-big3.json', big), '--chains', '3', '--sweeps', '2', '--out', out);
    expect(r.code).toBe(0);
    expect(readCsv(out).rows).toHaveLength(3);
  });
});
