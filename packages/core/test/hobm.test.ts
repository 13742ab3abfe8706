/**
 * Explicit higher-order Boltzmann machines: the transform-based enumeration against the energy
 * by its definition, local fields against energy differences, heat bath and exact sampling
 * against the exact P(s) with 3- and 4-body couplings on spin and bernoulli units, random
 * teachers, construction errors, and the rbmlab.hobm/1 file.
 *
 * Statistical tests: Pearson chi-square over all 2^7 states, failing at p < 1e-6
 * (helpers/stats.ts): a correct sampler fails a given seeded test with probability 1e-6, and the
 * seeds are fixed. Chains start from uniformly random states and run 25 sweeps; the couplings are
 * of order 0.5, so the conditionals stay within sigmoid(+-4) and the chains mix in a few sweeps
 * (a wrong temperature, checked below, is caught).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  binarySupport,
  createRng,
  formatHobm,
  HigherOrderBoltzmannMachine,
  HigherOrderHeatBath,
  HOBM_FORMAT,
  hobmFromJSON,
  hobmToJSON,
  indexFromState,
  loadHobm,
  loadModelFile,
  ModelFileError,
  randomHigherOrderBM,
  equilibriumSamples,
  saveHobm,
  stateFromIndex,
  type BinaryUnitType,
  type HigherOrderCoupling,
} from '../src';
import { chiSquareGof, expectClose, expectFits, histogram } from './helpers/stats';

/** -E(s) = sum_i a_i s_i + sum_S J_S prod_{i in S} s_i, written from the definition. */
function bruteMinusEnergy(bias: ArrayLike<number>, couplings: readonly HigherOrderCoupling[], s: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < s.length; i++) total += bias[i] * s[i];
  for (const { sites, J } of couplings) total += J * sites.reduce((prod, i) => prod * s[i], 1);
  return total;
}

/** A 7-unit teacher with fields, pairs, 3- and 4-body couplings (and one order-1 coupling, sites unsorted). */
function teacher(type: BinaryUnitType, beta = 1): HigherOrderBoltzmannMachine {
  const couplings: HigherOrderCoupling[] = [
    { sites: [0, 3], J: 0.4 },
    { sites: [5, 2], J: -0.35 },
    { sites: [1, 4, 6], J: 0.6 },
    { sites: [0, 2, 5], J: -0.45 },
    { sites: [6, 3, 1], J: 0.3 },
    { sites: [0, 1, 2, 3], J: 0.5 },
    { sites: [2, 4, 5, 6], J: -0.55 },
    { sites: [4], J: 0.2 },
  ];
  const bias = type === 'spin' ? [0.1, -0.2, 0.15, 0, -0.1, 0.25, -0.05] : [0.3, -0.4, 0.2, -0.1, 0, 0.35, -0.25];
  return new HigherOrderBoltzmannMachine({ type, size: 7, bias, couplings, beta });
}

function logSumExp(xs: ArrayLike<number>): number {
  let m = -Infinity;
  for (let k = 0; k < xs.length; k++) m = Math.max(m, xs[k]);
  let s = 0;
  for (let k = 0; k < xs.length; k++) s += Math.exp(xs[k] - m);
  return m + Math.log(s);
}

const TYPES: BinaryUnitType[] = ['spin', 'bernoulli'];

describe('energy, local fields and exact enumeration', () => {
  test.each(TYPES)('%s: the transform gives -beta E(s) of the definition for all 2^N states', (type) => {
    const model = teacher(type, 0.8);
    const support = binarySupport(type);
    const lw = model.logWeights();
    expect(lw.length).toBe(128);
    for (let s = 0; s < 128; s++) {
      const state = stateFromIndex(s, 7, support);
      const minusE = bruteMinusEnergy(model.bias, model.couplings, state);
      expectClose(lw[s], 0.8 * minusE, 1e-14, 1e-14, `state ${s}`);
      expectClose(model.energy(state), -minusE, 1e-14, 1e-14, `energy of state ${s}`);
    }
    expectClose(model.exactLogZ(), logSumExp(lw), 1e-15);
    const p = model.probabilities();
    expectClose(p.reduce((a, b) => a + b, 0), 1, 1e-14);
  });

  test.each(TYPES)('%s: random teachers of orders 1-5 on N = 11, transform against definition', (type) => {
    const model = randomHigherOrderBM(
      { type, size: 11, orders: [{ order: 2, scale: 0.3 }, { order: 3, scale: 0.3, count: 40 }, { order: 5, scale: 0.2, count: 30 }], biasScale: 0.2, beta: 1.7 },
      createRng(`teacher/${type}`),
    );
    const lw = model.logWeights();
    for (let s = 0; s < lw.length; s += 7) {
      const state = stateFromIndex(s, 11, model.support);
      expectClose(lw[s], 1.7 * bruteMinusEnergy(model.bias, model.couplings, state), 1e-13, 1e-13, `state ${s}`);
    }
  });

  test.each(TYPES)('%s: E(s_i = low) - E(s_i = high) = (high - low) h_i at every site', (type) => {
    const model = teacher(type);
    const [lo, hi] = model.support;
    for (const s of [0, 37, 90, 127]) {
      const state = Array.from(stateFromIndex(s, 7, model.support));
      for (let i = 0; i < 7; i++) {
        const low = state.slice();
        const high = state.slice();
        low[i] = lo;
        high[i] = hi;
        expectClose(model.energy(low) - model.energy(high), (hi - lo) * model.localField(state, i), 1e-14, 1e-14, `state ${s} site ${i}`);
      }
    }
  });

  test('a coupling on one site adds to that site\'s bias; beta scales every log weight', () => {
    const withCoupling = new HigherOrderBoltzmannMachine({ type: 'spin', size: 3, bias: [0.1, 0, 0], couplings: [{ sites: [1], J: 0.7 }, { sites: [0, 1, 2], J: 0.2 }] });
    const withBias = new HigherOrderBoltzmannMachine({ type: 'spin', size: 3, bias: [0.1, 0.7, 0], couplings: [{ sites: [0, 1, 2], J: 0.2 }] });
    expect(Array.from(withCoupling.logWeights())).toEqual(Array.from(withBias.logWeights()));
    const model = teacher('bernoulli');
    const hot = model.withBeta(2.5).logWeights();
    const cold = model.logWeights();
    for (let s = 0; s < 128; s++) expectClose(hot[s], 2.5 * cold[s], 1e-15, 1e-15);
  });

  test('no couplings, bernoulli units: independent sigmoid(beta a_i) marginals, log Z = sum softplus(beta a_i)', () => {
    const bias = [0.3, -1.2, 2];
    const model = new HigherOrderBoltzmannMachine({ type: 'bernoulli', size: 3, bias, beta: 0.5 });
    expectClose(model.exactLogZ(), bias.reduce((acc, a) => acc + Math.log1p(Math.exp(0.5 * a)), 0), 1e-15);
  });

  test('too large to enumerate: EnumerationError', () => {
    const model = new HigherOrderBoltzmannMachine({ type: 'spin', size: 25 });
    expect(() => model.exactLogZ()).toThrow('at most 24 units; this higher-order Boltzmann machine has 25');
  });
});

describe('heat bath and exact sampling against the exact P(s), N = 7', () => {
  const CHAINS = 20000;
  const SWEEPS = 25;

  test.each(TYPES)('%s units, 3- and 4-body couplings: heat bath', (type) => {
    const model = teacher(type);
    const chain = new HigherOrderHeatBath(model, { chains: CHAINS, rng: createRng(`hobm-gof/${type}`) });
    chain.sweep(SWEEPS);
    const index = (v: ArrayLike<number>) => indexFromState(v, model.support);
    expectFits(chiSquareGof(histogram(chain.state, 7, 128, index), model.probabilities()), `heat bath, ${type}`);
  });

  test.each(TYPES)('%s units: the test has power, a heat bath at 1.3 beta fails it', (type) => {
    const model = teacher(type);
    const chain = new HigherOrderHeatBath(model, { chains: CHAINS, rng: createRng(`hobm-gof-wrong/${type}`) });
    chain.sweep(SWEEPS, 1.3);
    const index = (v: ArrayLike<number>) => indexFromState(v, model.support);
    expect(chiSquareGof(histogram(chain.state, 7, 128, index), model.probabilities()).pValue).toBeLessThan(1e-6);
  });

  test.each(TYPES)('%s units: equilibriumSamples, with burn-in and thinning from the measured tau, fits the exact P (20,000 states)', (type) => {
    const model = teacher(type, 2);
    const drawn = equilibriumSamples(model, { samples: 20_000, chains: 20, rng: createRng(`hobm-equilibrium/${type}`) });
    expect(drawn.reliable).toBe(true);
    expect(drawn.tau).toBeGreaterThan(1);
    expect(drawn.burnIn).toBeGreaterThanOrEqual(50 * drawn.tau);
    expect(drawn.thin).toBe(Math.ceil(2 * drawn.tau));
    const index = (v: ArrayLike<number>) => indexFromState(v, model.support);
    // rows about 2 tau apart along a chain: nearly independent, so the chi-square's null holds
    expectFits(chiSquareGof(histogram(drawn.states, 7, 128, index), model.probabilities()), `equilibrium samples, ${type}`);
  });

  test('equilibriumSamples: tau grows with the coupling (a ferromagnetic ring of 7 spins), and independent spins mix in one sweep', () => {
    const ring = (J: number) =>
      new HigherOrderBoltzmannMachine({ type: 'spin', size: 7, couplings: Array.from({ length: 7 }, (_, i) => ({ sites: [i, (i + 1) % 7], J })) });
    const taus = [0, 0.5, 1.5].map((J) => equilibriumSamples(ring(J), { samples: 100, chains: 8, rng: createRng(`ring/${J}`) }).tau);
    expect(Math.abs(taus[0] - 1)).toBeLessThan(0.2); // independent spins: each sweep draws them afresh
    expect(taus[1]).toBeGreaterThan(taus[0]);
    expect(taus[2]).toBeGreaterThan(2 * taus[1]);
  });

  test.each(TYPES)('%s units: exact sampler', (type) => {
    const model = teacher(type, 1.4);
    const states = model.exactSample(CHAINS, createRng(`hobm-exact/${type}`));
    const index = (v: ArrayLike<number>) => indexFromState(v, model.support);
    expectFits(chiSquareGof(histogram(states, 7, 128, index), model.probabilities()), `exact, ${type}`);
  });

  test('same seed, same states; initial states are checked against the support', () => {
    const model = teacher('bernoulli');
    const run = (seed: number) => {
      const chain = new HigherOrderHeatBath(model, { chains: 6, rng: createRng(seed) });
      chain.sweep(4);
      return Array.from(chain.state);
    };
    expect(run(9)).toEqual(run(9));
    expect(run(9)).not.toEqual(run(10));
    expect(() => new HigherOrderHeatBath(model, { chains: 1, rng: createRng(0), init: [0, 1, 1, -1, 0, 0, 0] })).toThrow(
      'initial state value 3 must be 0 or 1 (bernoulli units), got -1',
    );
  });
});

describe('random teachers', () => {
  test('every set of an order when count is left out, distinct ascending sets otherwise; J ~ Normal(mean, scale^2)', () => {
    const model = randomHigherOrderBM(
      { type: 'spin', size: 20, orders: [{ order: 3, scale: 0.5, mean: 0.2 }, { order: 4, scale: 1, count: 300 }] },
      createRng('random-teacher'),
    );
    const third = model.couplings.filter((c) => c.sites.length === 3);
    const fourth = model.couplings.filter((c) => c.sites.length === 4);
    expect(third).toHaveLength(1140); // C(20, 3)
    expect(fourth).toHaveLength(300);
    const keys = new Set(model.couplings.map((c) => c.sites.join(',')));
    expect(keys.size).toBe(1440);
    for (const c of model.couplings) for (let k = 1; k < c.sites.length; k++) expect(c.sites[k]).toBeGreaterThan(c.sites[k - 1]);
    const mean = third.reduce((a, c) => a + c.J, 0) / third.length;
    expect(Math.abs(mean - 0.2)).toBeLessThan((5 * 0.5) / Math.sqrt(1140)); // 5 sd: false failure 6e-7
    expect(Array.from(model.bias)).toEqual(new Array(20).fill(0));
  });

  test('the same seed gives the same teacher; adding an order leaves the others unchanged', () => {
    const orders = [{ order: 2, scale: 0.3, count: 10 }];
    const a = randomHigherOrderBM({ type: 'bernoulli', size: 9, orders, biasScale: 0.1 }, createRng(3));
    const b = randomHigherOrderBM({ type: 'bernoulli', size: 9, orders, biasScale: 0.1 }, createRng(3));
    expect(a.couplings).toEqual(b.couplings);
    const c = randomHigherOrderBM({ type: 'bernoulli', size: 9, orders: [...orders, { order: 3, scale: 0.3, count: 5 }], biasScale: 0.1 }, createRng(3));
    expect(c.couplings.slice(0, 10)).toEqual(a.couplings);
    expect(Array.from(c.bias)).toEqual(Array.from(a.bias));
    expect(() => randomHigherOrderBM({ type: 'spin', size: 4, orders: [{ order: 2, scale: 1, count: 7 }] }, createRng(0))).toThrow('count of order 2 must be an integer in 0..6');
  });
});

describe('construction refuses bad couplings, naming the field', () => {
  const build = (options: Partial<ConstructorParameters<typeof HigherOrderBoltzmannMachine>[0]>) => () =>
    new HigherOrderBoltzmannMachine({ type: 'spin', size: 4, ...options });
  test.each<[string, () => unknown, string]>([
    ['unknown type', build({ type: 'relu' as BinaryUnitType }), 'type must be "spin" or "bernoulli", got "relu"'],
    ['site out of range', build({ couplings: [{ sites: [0, 4], J: 1 }] }), 'couplings[0].sites[1] must be an integer from 0 to 3 (size 4), got 4'],
    ['repeated site', build({ couplings: [{ sites: [2, 1, 2], J: 1 }] }), 'couplings[0].sites[2] repeats unit 2'],
    ['same set twice', build({ couplings: [{ sites: [0, 2], J: 1 }, { sites: [1], J: 1 }, { sites: [2, 0], J: 1 }] }), 'couplings[2].sites is the same set of units as couplings[0].sites'],
    ['empty sites', build({ couplings: [{ sites: [], J: 1 }] }), 'couplings[0].sites is empty'],
    ['J not finite', build({ couplings: [{ sites: [1, 2], J: NaN }] }), 'couplings[0].J must be a finite number, got NaN'],
    ['bias length', build({ bias: [1, 2] }), 'bias has 2 entries, expected 4'],
    ['beta negative', build({ beta: -1 }), 'beta must be a finite number >= 0'],
  ])('%s', (_name, make, message) => {
    expect(make).toThrow(message);
  });
});

describe('model file rbmlab.hobm/1', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rbmlab-hobm-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const models = [
    teacher('spin', 0.1 + 0.2),
    randomHigherOrderBM({ type: 'bernoulli', size: 6, orders: [{ order: 3, scale: 1 }], biasScale: 1e-200, beta: 7 }, createRng('file')),
    new HigherOrderBoltzmannMachine({ type: 'spin', size: 2, bias: [-0, 5e-324] }),
  ];

  test.each(models.map((m, k) => [k, m] as const))('model %d: save -> load -> save gives the same bytes and the same numbers', (k, model) => {
    const file = path.join(dir, `m${k}.json`);
    saveHobm(file, model);
    const text = fs.readFileSync(file, 'utf8');
    const back = loadHobm(file);
    expect(formatHobm(back)).toBe(text);
    expect(back.type).toBe(model.type);
    expect(Object.is(back.beta, model.beta)).toBe(true);
    back.bias.forEach((a, i) => expect(Object.is(a, model.bias[i])).toBe(true));
    expect(back.couplings).toEqual(model.couplings);
    expect(Array.from(back.logWeights())).toEqual(Array.from(model.logWeights()));
    const loaded = loadModelFile(file);
    expect(loaded.kind).toBe('hobm');
    expect(loaded.format).toBe(HOBM_FORMAT);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('layout: one coupling per line, sites as given; bias, couplings order and beta defaults', () => {
    const text = formatHobm(models[0]);
    expect(text).toContain('\n    {"sites": [5, 2], "J": -0.35},\n');
    expect(text).toContain('"visible": {"type": "spin", "size": 7, "bias": [0.1, -0.2, 0.15, 0, -0.1, 0.25, -0.05]},\n');
    expect(formatHobm(models[2])).toContain('"bias": [-0, 5e-324]},\n  "couplings": [],\n');
    const minimal = hobmFromJSON({ format: HOBM_FORMAT, visible: { type: 'bernoulli', size: 3 }, couplings: [] });
    expect(Array.from(minimal.bias)).toEqual([0, 0, 0]);
    expect(minimal.beta).toBe(1);
  });

  const good = () => hobmToJSON(models[0]) as unknown as Record<string, unknown>;
  const visible = (j: Record<string, unknown>, v: Record<string, unknown>) => ({ ...j, visible: { ...(j.visible as object), ...v } });
  test.each<[string, (j: Record<string, unknown>) => unknown, string, string]>([
    ['not an object', () => 'x', 'expected a JSON object with format, visible, couplings and beta, got the string "x"', ''],
    ['format version', (j) => ({ ...j, format: 'rbmlab.hobm/2' }), 'unsupported format "rbmlab.hobm/2" (this rbmlab reads rbmlab.hobm/1)', 'format'],
    ['unknown field', (j) => ({ ...j, hidden: {} }), 'unknown field hidden (a rbmlab.hobm/1 file has format, visible, couplings, beta)', 'hidden'],
    ['visible missing', (j) => ({ ...j, visible: undefined }), 'visible is missing', 'visible'],
    ['visible unknown field', (j) => visible(j, { gamma: [1] }), 'unknown field visible.gamma', 'visible.gamma'],
    ['type gaussian', (j) => visible(j, { type: 'gaussian' }), 'visible.type must be "spin" or "bernoulli", got the string "gaussian"', 'visible.type'],
    ['size zero', (j) => visible(j, { size: 0 }), 'visible.size must be a positive integer, got 0', 'visible.size'],
    ['bias length', (j) => visible(j, { bias: [1, 2] }), 'visible.bias has 2 entries, expected 7 (visible.size)', 'visible.bias'],
    ['bias not finite', (j) => visible(j, { bias: [0, 0, null, 0, 0, 0, 0] }), 'visible.bias[2] must be a finite number, got null', 'visible.bias[2]'],
    ['couplings missing', (j) => ({ ...j, couplings: undefined }), 'couplings is missing', 'couplings'],
    ['couplings not an array', (j) => ({ ...j, couplings: {} }), 'couplings must be an array', 'couplings'],
    ['coupling not an object', (j) => ({ ...j, couplings: [[0, 1]] }), 'couplings[0] must be an object {"sites", "J"}, got an array', 'couplings[0]'],
    ['coupling unknown field', (j) => ({ ...j, couplings: [{ sites: [0, 1], J: 1, order: 2 }] }), 'unknown field couplings[0].order', 'couplings[0].order'],
    ['sites missing', (j) => ({ ...j, couplings: [{ J: 1 }] }), 'couplings[0].sites is missing', 'couplings[0].sites'],
    ['sites not an array', (j) => ({ ...j, couplings: [{ sites: 3, J: 1 }] }), 'couplings[0].sites must be an array of unit indices, got 3', 'couplings[0].sites'],
    ['site out of range', (j) => ({ ...j, couplings: [{ sites: [1, 7], J: 1 }] }), 'couplings[0].sites[1] must be an integer from 0 to 6 (visible.size 7), got 7', 'couplings[0].sites[1]'],
    ['site fractional', (j) => ({ ...j, couplings: [{ sites: [1.5], J: 1 }] }), 'couplings[0].sites[0] must be an integer from 0 to 6', 'couplings[0].sites[0]'],
    ['site repeated', (j) => ({ ...j, couplings: [{ sites: [3, 3], J: 1 }] }), 'couplings[0].sites[1] repeats unit 3', 'couplings[0].sites[1]'],
    ['same set twice', (j) => ({ ...j, couplings: [{ sites: [1, 2, 3], J: 1 }, { sites: [3, 1, 2], J: 2 }] }), 'couplings[1].sites is the same set of units as couplings[0].sites', 'couplings[1].sites'],
    ['J missing', (j) => ({ ...j, couplings: [{ sites: [1] }] }), 'couplings[0].J is missing', 'couplings[0].J'],
    ['J a string', (j) => ({ ...j, couplings: [{ sites: [1], J: '0.5' }] }), 'couplings[0].J must be a finite number, got "0.5"', 'couplings[0].J'],
    ['beta negative', (j) => ({ ...j, beta: -2 }), 'beta must be a finite number >= 0, got -2', 'beta'],
  ])('refused: %s', (_name, edit, message, field) => {
    let err: unknown;
    try {
      hobmFromJSON(edit(good()), 'h.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModelFileError);
    const e = err as ModelFileError;
    expect(e.message).toContain(`h.json: ${message}`);
    expect(e.message).not.toContain('\n');
    if (field) expect(e.field).toBe(field);
  });
});
