/**
 * Models that are valid files but define no distribution rbmlab can compute with (issue 16), through
 * the real CLI: every one is refused with one line naming the file and the reason, exit 2, nothing
 * on stdout and nothing written; huge but finite weights whose results are finite float64 numbers
 * are reported (they are the exact values, to float64's relative precision), never NaN or null.
 *
 * - normalizability (core's models/checks.ts): gaussian x gaussian with sigma_max of the scaled W
 *   above 1, gaussian x relu with a direction of growth, gaussian x poisson with any W != 0, at
 *   load for eval, logz, sample and couplings, before training for train, and after every epoch of
 *   training (a run that leaves the set stops with one line, and no model file is written);
 * - float64 overflow: W = 1e308 in ways that make the energies infinite (eval, logz exact and AIS),
 *   poisson means past 2^52 for block Gibbs (sample, AIS) and past float64 for the heat bath, a base
 *   model of AIS whose log Z overflows, a gaussian conditional the pseudo-likelihood cannot integrate.
 */
import * as fs from 'fs';
import { createRng, normal } from '@rbmlab/core';
import { expectOneLineError, rbmlab, temporaryDirectory } from './helpers/cli';

const { file, writeJson } = temporaryDirectory('rbmlab-model-checks-');

interface Layer {
  type: string;
  size: number;
  [param: string]: unknown;
}
function model(name: string, visible: Layer, hidden: Layer, weights: number[][]): string {
  return writeJson(name, { format: 'rbmlab.rbm/1', visible, hidden, weights });
}
function csv(name: string, rows: number[][]): string {
  fs.writeFileSync(file(name), rows.map((r) => r.join(',')).join('\n') + '\n');
  return file(name);
}

describe('huge but finite weights: finite results are printed, overflowing ones refused with the reason', () => {
  it('W = 1e308 on one unit: eval prints loglik = pseudoLoglik = -5e307 (the exact values: log P = log 2 - 1e308 for half the rows), not null', async () => {
    const m = model('w1e308.json', { type: 'bernoulli', size: 2 }, { type: 'bernoulli', size: 1 }, [[1e308], [0]]);
    const data = csv('four.csv', [
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ]);
    const run = await rbmlab('eval', m, '--data', data, '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({ loglik: -5e307, pseudoLoglik: -5e307, logZ: 1e308, method: 'exact' });
    expect(Number.isFinite(out.recon)).toBe(true);
  });

  it('W = 1e308 twice into one hidden unit: the input 2e308 overflows; eval, logz (exact and ais) refuse with exit 2 naming the file and the overflow', async () => {
    const m = model('w2e308.json', { type: 'bernoulli', size: 3 }, { type: 'bernoulli', size: 2 }, [
      [1e308, 0],
      [0, 1e308],
      [1e308, 1e308],
    ]);
    const data = csv('three.csv', [
      [1, 0, 1],
      [0, 1, 1],
    ]);
    expectOneLineError(await rbmlab('eval', m, '--data', data, '--json'), 2, /^rbmlab eval: .*w2e308\.json: log Z is Infinity in float64: the free energy F\(v\) of data row 1 is -Infinity/);
    expectOneLineError(await rbmlab('logz', m, '--json'), 2, /^rbmlab logz: .*w2e308\.json: log Z is Infinity in float64: the free energies .* pass float64's range/);
    expectOneLineError(
      await rbmlab('logz', m, '--method', 'ais', '--steps', '10', '--json'),
      2,
      /^rbmlab logz: .*w2e308\.json: AIS at b = 0\.1: bernoulli hidden unit \d has input Infinity: the sum of weights times visible values passes float64's range/,
    );
  });

  it('AIS with one run has no standard error to print: --chains 1 is refused', async () => {
    const m = model('small.json', { type: 'bernoulli', size: 3 }, { type: 'bernoulli', size: 2 }, [
      [1, 0],
      [0, 1],
      [1, 1],
    ]);
    expectOneLineError(await rbmlab('logz', m, '--method', 'ais', '--chains', '1', '--steps', '10', '--json'), 2, /--chains 1: AIS needs at least 2 runs/);
  });
});

describe('normalizability: refused at load, before training, and when training leaves it', () => {
  const gg = () => model('gg.json', { type: 'gaussian', size: 2 }, { type: 'gaussian', size: 2 }, [
    [1.5, 0],
    [0, 0.5],
  ]);
  const gData = () =>
    csv('g2.csv', [
      [0.1, 0.2],
      [-0.3, 0.5],
    ]);

  it.each([
    ['logz --method ais', (m: string) => ['logz', m, '--method', 'ais', '--json']],
    ['logz', (m: string) => ['logz', m]],
    ['eval', (m: string) => ['eval', m, '--data', gData(), '--json']],
    ['sample', (m: string) => ['sample', m, '--out', file('gg-samples.csv')]],
    ['couplings', (m: string) => ['couplings', m, '--max-order', '2']],
  ])('gaussian x gaussian with sigma_max 1.5: %s refuses it (exit 2, the condition named), writing nothing', async (_name, argv) => {
    const run = await rbmlab(...argv(gg()));
    expectOneLineError(run, 2, /gg\.json: not normalizable: with gaussian visible and gaussian hidden units, .* is 1\.50000, it must be < 1/);
    expect(fs.existsSync(file('gg-samples.csv'))).toBe(false);
  });

  it('gaussian x relu: refused where a direction grows (w = 1.1, -0.5), accepted where only the sufficient bound fails (w = 0.8, -0.8)', async () => {
    const bad = model('gr-bad.json', { type: 'gaussian', size: 1 }, { type: 'relu', size: 2 }, [[1.1, -0.5]]);
    expectOneLineError(await rbmlab('logz', bad, '--method', 'ais', '--json'), 2, /not normalizable: with gaussian visible and relu hidden units, .* ~ 1\.21000 x/);
    const good = model('gr-good.json', { type: 'gaussian', size: 1 }, { type: 'relu', size: 2 }, [[0.8, -0.8]]);
    const run = await rbmlab('logz', good, '--method', 'ais', '--json', '--steps', '200');
    expect(run.code).toBe(0);
    expect(Number.isFinite(JSON.parse(run.stdout).logZ)).toBe(true);
  });

  it('train --visible gaussian --hidden poisson is refused before any work: no model, log or checkpoint written', async () => {
    const out = file('gp/model.json');
    const run = await rbmlab('train', '--data', gData(), '--visible', 'gaussian', '--hidden', 'poisson', '--size', '2', '--out', out, '--checkpoint', file('gp/ck'), '--epochs', '2');
    expectOneLineError(run, 2, /^rbmlab train: --visible gaussian with --hidden poisson: not normalizable: gaussian visible and poisson hidden units define no distribution unless W = 0/);
    expect(fs.existsSync(file('gp'))).toBe(false);
  });

  it('training that takes a gaussian x gaussian model out of the normalizable set stops with one line (exit 1), keeps the last good checkpoint and writes no model', async () => {
    // data of variance 26 along (1, 1): plain sgd at lr 0.01 overshoots sigma_max = 1 in epoch 2
    const rng = createRng('model-checks/train-data');
    const rows: number[][] = [];
    for (let r = 0; r < 200; r++) {
      const z = 5 * normal(rng);
      rows.push([z + normal(rng), z + normal(rng)]);
    }
    const data = csv('wide.csv', rows);
    const out = file('wide/model.json');
    const ck = file('wide/ck');
    const run = await rbmlab('train', '--data', data, '--visible', 'gaussian', '--hidden', 'gaussian', '--size', '1', '--method', 'pcd', '--optimizer', 'sgd', '--lr', '0.01', '--epochs', '30', '--no-plots', '--out', out, '--checkpoint', ck);
    expect(run.code).toBe(1);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(
      /^rbmlab train: training diverged in epoch (\d+) \(minibatch \d+\): the model left the set of normalizable models \(not normalizable: with gaussian visible and gaussian hidden units, .*\); try a smaller learning rate or a penalty; .*checkpoint\.json keeps epoch \d+, the last good one$/,
    );
    expect(fs.existsSync(out)).toBe(false);
    // the checkpoint holds a normalizable model
    const kept = JSON.parse(fs.readFileSync(`${ck}/checkpoint.json`, 'utf8')).model;
    const keptFile = writeJson('kept.json', kept);
    expect((await rbmlab('logz', keptFile, '--method', 'ais', '--steps', '20', '--chains', '4')).code).toBe(0);
  });
});

describe('poisson units and gaussian conditionals past float64: one line naming the unit, its input and why', () => {
  const poisson = (name: string, w0: number, bias0: number) =>
    model(name, { type: 'bernoulli', size: 3 }, { type: 'poisson', size: 2, bias: [bias0, 0] }, [
      [w0, 0],
      [0, 1],
      [0.5, -1],
    ]);

  it('block Gibbs (sample, logz --method ais) refuses a Poisson mean past 2^52; nothing is written', async () => {
    const m = poisson('p40.json', 40, 0);
    const out = file('p40.csv');
    expectOneLineError(await rbmlab('sample', m, '--out', out, '--sweeps', '5'), 2, /^rbmlab sample: .*p40\.json: poisson hidden unit 0: input plus bias x = 40(\.5)? gives the mean e\^x = .*past 2\^52/);
    expect(fs.existsSync(out)).toBe(false);
    expectOneLineError(await rbmlab('logz', m, '--method', 'ais', '--steps', '20'), 2, /^rbmlab logz: .*p40\.json: poisson hidden unit 0: input plus bias x = .* past 2\^52/);
    // the heat bath needs only Gamma = e^x, finite here: it samples
    const heat = await rbmlab('sample', m, '--out', out, '--sweeps', '5', '--sampler', 'heatbath');
    expect(heat.code).toBe(0);
  });

  it('the heat bath refuses e^x past float64 (x = 800) instead of writing wrong states; AIS refuses a base model with bias 800', async () => {
    const m = poisson('p800.json', 800, 0);
    const out = file('p800.csv');
    expectOneLineError(await rbmlab('sample', m, '--out', out, '--sampler', 'heatbath'), 2, /p800\.json: visible heat bath: poisson hidden unit 0 has cumulant Gamma = Infinity at input 800.*e\^x overflows float64 for x > 709\.78/);
    expect(fs.existsSync(out)).toBe(false);
    const b = poisson('pb800.json', 0.5, 800);
    expectOneLineError(await rbmlab('logz', b, '--method', 'ais'), 2, /pb800\.json: AIS: the base model \(W = 0\): poisson hidden unit 0 has cumulant Gamma = Infinity at input 0 .*e\^x overflows float64 for x > 709\.78/);
  });

  it('eval of gaussian visibles with modes e^{W^2/2} apart (|W| ~ 1e3): the pseudo-likelihood is computed (it was an internal error); one whose conditional passes float64 is refused naming the unit and the row', async () => {
    const data = csv('g3.csv', [
      [0.1, 0.2, -1],
      [-0.3, 0.5, 2],
    ]);
    const far = model('g-far.json', { type: 'gaussian', size: 3 }, { type: 'bernoulli', size: 2 }, [
      [1000, -300],
      [200, 400],
      [-800, 50],
    ]);
    const run = await rbmlab('eval', far, '--data', data, '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    // the value itself is checked against a grid integral in core's model-checks.test.ts
    expect(JSON.parse(run.stdout).pseudoLoglik).toBeLessThan(-9e5);
    // step units with W ~ 1e200: g(s) = -s^2/2 + max(0, W s + ...) reaches +Infinity at |s| ~ 1e151
    const beyond = model('g-step.json', { type: 'gaussian', size: 3 }, { type: 'step', size: 2, bias: [1000, 0] }, [
      [2.5752786125942813e199, -2.3325316162837173e200],
      [-2.5887580058153443e200, -5.378220902075827e199],
      [-3.850622889884222e199, -2.652954316597939e199],
    ]);
    expectOneLineError(
      await rbmlab('eval', beyond, '--data', data, '--json'),
      2,
      /g-step\.json: pseudo-likelihood: the conditional of gaussian visible unit 2 given the others in data row 1 cannot be integrated in float64 .* the hidden inputs and weights there reach 3\.85e\+199/,
    );
  });
});
