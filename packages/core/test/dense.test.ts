/**
 * Dense associative memories: energies against their definitions, the tabulated energy
 * differences against brute force (small N) and exact BigInt arithmetic (N = 1000, p = 200),
 * overflow safety at full overlap, heat bath and exact sampling against the exact P(sigma),
 * zero-temperature retrieval, the p = 2 equivalence with Hopfield and the gaussian-hidden RBM,
 * the expansion into explicit couplings, and the rbmlab.dense/1 file.
 *
 * Statistical tests: Pearson chi-square against the exact P over all 2^N states, failing at
 * p < 1e-6 (helpers/stats.ts), so a correct sampler fails a given seeded test with probability
 * 1e-6; the seeds are fixed, so a run passes or fails deterministically. The chains start from
 * uniformly random spins and run SWEEPS = 25 sweeps at a beta where max |beta Delta| is about 5:
 * measured with 1e5 chains, every convention already fits P at 10 sweeps (p > 0.2), and the
 * slowest (exp) is far off at 5, so 25 leaves a wide margin.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  createRng,
  DENSE_FORMAT,
  DenseAssociativeMemory,
  DenseDynamics,
  denseFromJSON,
  denseToHigherOrderBM,
  denseToJSON,
  formatDense,
  hopfieldToRbm,
  indexFromState,
  loadDense,
  loadModelFile,
  ModelFileError,
  normal,
  powerExpansionCounts,
  randomPatterns,
  saveDense,
  stateFromIndex,
  visibleLogProbabilities,
  type DenseEnergy,
  type Rng,
} from '../src';
import { chiSquareGof, expectClose, expectFits, histogram } from './helpers/stats';

const SPINS = [-1, 1] as const;

/** E(sigma) straight from the definitions of MODELS.md §3, written independently of the library. */
function bruteEnergy(patterns: ArrayLike<number>[], energy: DenseEnergy, sigma: ArrayLike<number>): number {
  const n = sigma.length;
  let e = 0;
  for (const xi of patterns) {
    let x = 0;
    for (let i = 0; i < n; i++) x += xi[i] * sigma[i];
    const p = energy.p as number;
    if (energy.kind === 'normalized') e -= (n * (x / n) ** p) / p;
    else if (energy.F === 'power') e -= x ** p;
    else if (energy.F === 'rectified-power') e -= Math.max(x, 0) ** p;
    else e -= Math.exp(x);
  }
  return e;
}

function logSumExp(xs: ArrayLike<number>): number {
  let m = -Infinity;
  for (let k = 0; k < xs.length; k++) m = Math.max(m, xs[k]);
  let s = 0;
  for (let k = 0; k < xs.length; k++) s += Math.exp(xs[k] - m);
  return m + Math.log(s);
}

/** Flips exactly `count` distinct random sites of a copy of `state`. */
function corrupt(state: ArrayLike<number>, count: number, rng: Rng): number[] {
  const out = Array.from(state);
  const sites = out.map((_, i) => i);
  for (let k = 0; k < count; k++) {
    const r = k + rng.int(sites.length - k);
    [sites[k], sites[r]] = [sites[r], sites[k]];
    out[sites[k]] = -out[sites[k]];
  }
  return out;
}

/** The six conventions with a beta that keeps max |beta Delta| near 5 at N = 7, P = 3. */
const CONVENTIONS: [string, DenseEnergy, number][] = [
  ['normalized p = 2 (Hopfield)', { kind: 'normalized', F: 'power', p: 2 }, 0.9],
  ['normalized p = 3', { kind: 'normalized', F: 'power', p: 3 }, 1.1],
  ['krotov power p = 3', { kind: 'krotov', F: 'power', p: 3 }, 0.008],
  ['krotov power p = 4', { kind: 'krotov', F: 'power', p: 4 }, 0.001],
  ['krotov rectified-power p = 2.5', { kind: 'krotov', F: 'rectified-power', p: 2.5 }, 0.02],
  ['krotov exp', { kind: 'krotov', F: 'exp' }, 0.003],
];

function smallModel(energy: DenseEnergy, beta: number, n = 7, p = 3, seed = 'small'): DenseAssociativeMemory {
  return new DenseAssociativeMemory({ patterns: randomPatterns(p, n, createRng(`dense/${seed}`)), energy, beta });
}

describe('energies and exact enumeration', () => {
  test.each(CONVENTIONS)('%s: log weights of all 2^N states are -beta E by the definition', (_name, energy, beta) => {
    const model = smallModel(energy, beta);
    const rows = model.patternRows();
    const lw = model.logWeights();
    expect(lw.length).toBe(128);
    for (let s = 0; s < lw.length; s++) {
      const sigma = stateFromIndex(s, 7, SPINS);
      const e = bruteEnergy(rows, energy, sigma);
      expectClose(lw[s], -beta * e, 1e-13, 1e-13, `state ${s}`);
      expectClose(model.energy(sigma), e, 1e-13, 1e-13, `energy of state ${s}`);
    }
    expectClose(model.exactLogZ(), logSumExp(lw.map((x, s) => -beta * bruteEnergy(rows, energy, stateFromIndex(s, 7, SPINS)))), 1e-13);
    const probs = model.probabilities();
    expectClose(probs.reduce((a, b) => a + b, 0), 1, 1e-13);
  });

  test('overlaps and Mattis overlaps are xi . sigma and xi . sigma / N', () => {
    const model = smallModel(CONVENTIONS[0][1], 1, 11, 3);
    const state = stateFromIndex(1234, 11, SPINS);
    const x = model.overlaps(state, 1);
    const m = model.mattisOverlaps(state, 1);
    for (let mu = 0; mu < 3; mu++) {
      let dot = 0;
      for (let i = 0; i < 11; i++) dot += model.pattern(mu)[i] * state[i];
      expect(x[mu]).toBe(dot);
      expect(m[mu]).toBe(dot / 11);
    }
  });

  test('too large to enumerate: EnumerationError naming the limit', () => {
    const model = smallModel(CONVENTIONS[0][1], 1, 25, 2);
    expect(() => model.exactLogZ()).toThrow('at most 24 units');
    expect(() => model.exactLogZ({ maxUnits: 27 })).toThrow('maxUnits must be an integer in 1..26');
  });
});

describe('energy differences Delta_i = E(sigma_i = -1) - E(sigma_i = +1)', () => {
  test.each(CONVENTIONS)('%s: every site of random states, against brute-force energies', (_name, energy) => {
    const n = 13;
    const model = smallModel(energy, 1, n, 5, 'delta');
    const rows = model.patternRows();
    const rng = createRng('delta/states');
    const init: number[] = Array.from({ length: 4 * n }, () => (rng.uniform() < 0.5 ? -1 : 1));
    init.splice(0, n, ...rows[0]); // chain 0 sits on a pattern: the largest overlaps
    const dynamics = new DenseDynamics(model, { chains: 4, rng, init });
    expect(dynamics.directSum).toBe(true);
    const logDomain = new DenseDynamics(model, { chains: 4, rng, init, logDomain: true });
    expect(logDomain.directSum).toBe(false);
    for (let c = 0; c < 4; c++) {
      for (let i = 0; i < n; i++) {
        const minus = init.slice(c * n, (c + 1) * n);
        const plus = minus.slice();
        minus[i] = -1;
        plus[i] = 1;
        const eMinus = bruteEnergy(rows, energy, minus);
        const ePlus = bruteEnergy(rows, energy, plus);
        const expected = eMinus - ePlus;
        // the brute difference itself cancels down from |E|: compare at that scale
        const scale = 1e-13 * Math.max(Math.abs(eMinus), Math.abs(ePlus));
        expectClose(dynamics.energyDifference(c, i), expected, 1e-12, scale, `chain ${c} site ${i}`);
        expectClose(logDomain.energyDifference(c, i), expected, 1e-12, scale, `log domain, chain ${c} site ${i}`);
        // the sign, where the brute difference is not a rounding-level zero
        if (Math.abs(expected) > 1e-12 * Math.max(Math.abs(eMinus), Math.abs(ePlus), 1)) {
          expect(dynamics.logEnergyDifference(c, i).sign).toBe(Math.sign(expected));
        }
      }
    }
  });

  /** log of a positive BigInt to ~1e-16 relative: its leading 17 digits and its length. */
  function logBig(x: bigint): number {
    const s = x.toString();
    const head = s.slice(0, 17);
    return Math.log(Number(head)) + (s.length - head.length) * Math.LN10;
  }

  test('krotov power p = 200 at N = 1000, full overlap: log|Delta| matches exact BigInt arithmetic', () => {
    const n = 1000;
    const p = 200;
    const patterns = randomPatterns(3, n, createRng('big-power'));
    const model = new DenseAssociativeMemory({ patterns, energy: { kind: 'krotov', F: 'power', p } });
    const init = Array.from(patterns[0]);
    const dynamics = new DenseDynamics(model, { chains: 1, rng: createRng('unused'), init });
    expect(dynamics.directSum).toBe(false); // 1000^199 is beyond float64
    const x = Array.from(model.overlaps(init, 1));
    for (const i of [0, 1, 517, 999]) {
      let exact = 0n;
      for (let mu = 0; mu < 3; mu++) {
        const xi = patterns[mu][i];
        const a = BigInt(x[mu] - xi * init[i]);
        exact += BigInt(xi) * ((a + 1n) ** BigInt(p) - (a - 1n) ** BigInt(p));
      }
      const d = dynamics.logEnergyDifference(0, i);
      expect(d.sign).toBe(exact > 0n ? 1 : -1);
      expect(d.sign).toBe(init[i]); // the pattern's own term dominates
      expectClose(d.logAbs, logBig(exact < 0n ? -exact : exact), 1e-14, 0, `site ${i}`);
      expect(dynamics.energyDifference(0, i)).toBe(init[i] * Infinity); // beyond float64: +-Infinity, never NaN
    }
  });

  test('krotov exp at N = 1000, two patterns near full overlap: log|Delta| from the closed form', () => {
    const n = 1000;
    const rng = createRng('big-exp');
    const [xi0] = randomPatterns(1, n, rng);
    const xi1 = Int8Array.from(corrupt(xi0, 3, rng)); // overlap 994 with xi0
    const xi2 = randomPatterns(1, n, rng)[0];
    const model = new DenseAssociativeMemory({ patterns: [xi0, xi1, xi2], energy: { kind: 'krotov', F: 'exp' } });
    const init = Array.from(xi0);
    const dynamics = new DenseDynamics(model, { chains: 1, rng, init });
    expect(dynamics.directSum).toBe(false);
    const x = Array.from(model.overlaps(init, 1));
    expect(x.slice(0, 2)).toEqual([1000, 994]);
    for (let i = 0; i < n; i += 37) {
      // Delta = 2 sinh(1) sum_mu xi^mu_i e^(a_mu), a_mu = x_mu - xi^mu_i sigma_i
      const xis = [xi0[i], xi1[i], xi2[i]];
      const a = xis.map((xi, mu) => x[mu] - xi * init[i]);
      const top = Math.max(...a);
      const s = xis.reduce((acc, xi, mu) => acc + xi * Math.exp(a[mu] - top), 0);
      const d = dynamics.logEnergyDifference(0, i);
      expect(d.sign).toBe(Math.sign(s));
      expectClose(d.logAbs, top + Math.log(Math.abs(s)) + Math.log(2 * Math.sinh(1)), 1e-14, 0, `site ${i}`);
    }
  });

  test('normalized p = 400 at N = 1000, full overlap: Delta = (N/p)(1 - (1 - 2/N)^p), though N^p overflows', () => {
    const n = 1000;
    const p = 400;
    const patterns = randomPatterns(3, n, createRng('big-normalized'));
    const model = new DenseAssociativeMemory({ patterns, energy: { kind: 'normalized', F: 'power', p } });
    const dynamics = new DenseDynamics(model, { chains: 1, rng: createRng('unused'), init: Array.from(patterns[0]) });
    expect(dynamics.directSum).toBe(false);
    // the other patterns' overlaps are O(sqrt N): their terms, m^399 ~ 1e-600, vanish
    const expected = (n / p) * -Math.expm1(p * Math.log1p(-2 / n));
    for (const i of [0, 1, 999]) expectClose(dynamics.energyDifference(0, i), patterns[0][i] * expected, 1e-13, 0, `site ${i}`);
  });

  test.each<[string, DenseEnergy, boolean]>([
    ['exp', { kind: 'krotov', F: 'exp' }, true],
    ['power p = 200', { kind: 'krotov', F: 'power', p: 200 }, true],
    ['rectified-power p = 150.5', { kind: 'krotov', F: 'rectified-power', p: 150.5 }, true],
    ['normalized p = 400', { kind: 'normalized', F: 'power', p: 400 }, false],
  ])('%s at N = 1000: heat bath and zero-temperature dynamics stay finite and retrieve', (_name, energy, frozen) => {
    const n = 1000;
    const rng = createRng(`overflow/${_name}`);
    const patterns = randomPatterns(4, n, rng);
    const model = new DenseAssociativeMemory({ patterns, energy });
    const init = patterns.flatMap((xi) => Array.from(xi));
    const chain = new DenseDynamics(model, { chains: 4, rng: rng.split('hb'), init });
    for (let c = 0; c < 4; c++) {
      for (const i of [0, 500, 999]) {
        const d = chain.logEnergyDifference(c, i);
        expect(Number.isFinite(d.logAbs)).toBe(true);
        expect(d.sign).toBe(patterns[c][i]);
      }
    }
    // heat bath at beta = 1 from each pattern: krotov flips cost beyond e^700, so nothing moves;
    // the normalized energy is O(N) (Delta about 1.4 here), so spins do move, and stay +-1
    chain.heatBath(2);
    if (frozen) expect(Array.from(chain.spins)).toEqual(init);
    else expect(chain.spins.every((s) => s === 1 || s === -1)).toBe(true);
    expect(chain.energies().every((e) => !Number.isNaN(e))).toBe(true);
    // zero temperature from 20% noise
    const noisy = patterns.flatMap((xi, mu) => corrupt(xi, 200, rng.split(`noise-${mu}`)));
    const t0 = new DenseDynamics(model, { chains: 4, rng: rng.split('t0'), init: noisy });
    expect(t0.relax(10).converged).toBe(true);
    const m = t0.mattisOverlaps();
    for (let c = 0; c < 4; c++) expect(m[c * 4 + c]).toBe(1);
    expect(t0.energies().every((e) => !Number.isNaN(e))).toBe(true);
  });
});

describe('heat bath and exact sampling against the exact P(sigma), N = 7, 2^7 states', () => {
  const CHAINS = 20000;
  const SWEEPS = 25;
  const index = (v: ArrayLike<number>) => indexFromState(v, SPINS);

  test.each(CONVENTIONS)('%s: heat bath', (name, energy, beta) => {
    const model = smallModel(energy, beta);
    const chain = new DenseDynamics(model, { chains: CHAINS, rng: createRng(`gof/${name}`) });
    chain.heatBath(SWEEPS);
    expectFits(chiSquareGof(histogram(chain.states(), 7, 128, index), model.probabilities()), `heat bath, ${name}`);
  });

  test.each(CONVENTIONS.filter((_, k) => k === 1 || k === 5))('%s: heat bath with log-domain sums', (name, energy, beta) => {
    const model = smallModel(energy, beta);
    const chain = new DenseDynamics(model, { chains: CHAINS, rng: createRng(`gof-log/${name}`), logDomain: true });
    chain.heatBath(SWEEPS);
    expectFits(chiSquareGof(histogram(chain.states(), 7, 128, index), model.probabilities()), `log-domain heat bath, ${name}`);
  });

  test('the chi-square test has power: a heat bath at 1.25 beta fails it', () => {
    const [, energy, beta] = CONVENTIONS[1];
    const model = smallModel(energy, beta);
    const chain = new DenseDynamics(model, { chains: CHAINS, rng: createRng('gof/wrong-beta') });
    chain.heatBath(SWEEPS, 1.25 * beta);
    expect(chiSquareGof(histogram(chain.states(), 7, 128, index), model.probabilities()).pValue).toBeLessThan(1e-6);
  });

  test.each(CONVENTIONS.filter((_, k) => k === 3 || k === 5))('%s: exact sampler', (name, energy, beta) => {
    const model = smallModel(energy, beta);
    const states = model.exactSample(CHAINS, createRng(`exact/${name}`));
    expectFits(chiSquareGof(histogram(states, 7, 128, index), model.probabilities()), `exact sampler, ${name}`);
  });

  test('same seed, same chains; the beta argument overrides the model beta', () => {
    const model = smallModel(CONVENTIONS[2][1], CONVENTIONS[2][2]);
    const run = (seed: number, beta?: number) => {
      const chain = new DenseDynamics(model, { chains: 5, rng: createRng(seed) });
      chain.heatBath(3, beta);
      return Array.from(chain.spins);
    };
    expect(run(4)).toEqual(run(4));
    expect(run(4)).not.toEqual(run(5));
    // beta = 0: every spin is a fair coin, whatever the model
    const chain = new DenseDynamics(model, { chains: 4000, rng: createRng('beta0') });
    chain.heatBath(1, 0);
    const mean = chain.spins.reduce((a, b) => a + b, 0) / chain.spins.length;
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(chain.spins.length)); // 5 sd: false failure 6e-7
  });
});

describe('zero-temperature asynchronous dynamics', () => {
  test.each<[string, DenseEnergy]>([
    ['normalized p = 2 (Hopfield, alpha = 0.02)', { kind: 'normalized', F: 'power', p: 2 }],
    ['normalized p = 3', { kind: 'normalized', F: 'power', p: 3 }],
    ['krotov power p = 4', { kind: 'krotov', F: 'power', p: 4 }],
    ['krotov rectified-power p = 3', { kind: 'krotov', F: 'rectified-power', p: 3 }],
    ['krotov exp', { kind: 'krotov', F: 'exp' }],
  ])('%s: N = 200, 4 patterns, 15%% noise retrieves every pattern exactly', (name, energy) => {
    const n = 200;
    const rng = createRng(`retrieve/${name}`);
    const patterns = randomPatterns(4, n, rng);
    const model = new DenseAssociativeMemory({ patterns, energy });
    const init = patterns.flatMap((xi, mu) => corrupt(xi, 30, rng.split(`noise-${mu}`)));
    const dynamics = new DenseDynamics(model, { chains: 4, rng, init });
    const before = dynamics.mattisOverlaps();
    for (let c = 0; c < 4; c++) expect(before[c * 4 + c]).toBeCloseTo(0.7, 12);
    // each flip lowers the energy strictly
    let energies = dynamics.energies();
    let sweeps = 0;
    while (dynamics.zeroTemperature(1) > 0) {
      const next = dynamics.energies();
      for (let c = 0; c < 4; c++) expect(next[c]).toBeLessThanOrEqual(energies[c]);
      energies = next;
      expect(++sweeps).toBeLessThan(10);
    }
    const m = dynamics.mattisOverlaps();
    for (let c = 0; c < 4; c++) expect(m[c * 4 + c]).toBe(1);
  });

  test('tie rule: a spin with Delta_i = 0 keeps its value', () => {
    // one pattern (1, 1, 1), normalized p = 2: Delta_2 = 2 xi_2 (sigma_0 + sigma_1) / N = 0 when sigma_0 = -sigma_1
    const model = new DenseAssociativeMemory({ patterns: [[1, 1, 1]], energy: { kind: 'normalized', F: 'power', p: 2 } });
    for (const s of [1, -1]) {
      const dynamics = new DenseDynamics(model, { chains: 1, rng: createRng(0), init: [1, -1, s] });
      expect(dynamics.energyDifference(0, 2)).toBe(0);
      expect(dynamics.logEnergyDifference(0, 2)).toEqual({ sign: 0, logAbs: -Infinity });
    }
    // sites 0 and 1 are not ties: the sweep aligns them, then site 2 follows (a fixed point)
    const dynamics = new DenseDynamics(model, { chains: 1, rng: createRng(0), init: [1, -1, -1] });
    dynamics.zeroTemperature(1);
    expect(Array.from(dynamics.spins)).toEqual([-1, -1, -1]);
    const tie = new DenseDynamics(model, { chains: 1, rng: createRng(0), init: [1, -1, 1] });
    tie.zeroTemperature(1);
    expect(Array.from(tie.spins)).toEqual([1, 1, 1]);
  });
});

describe('p = 2: dense = Hopfield = gaussian-hidden RBM, state by state', () => {
  // Conventions: dense normalized p = 2 is E_dense = -(1/(2N)) sum_mu (xi^mu . sigma)^2, diagonal
  // included; Hopfield is E_H = -(1/2) sum_{i != j} J_ij sigma_i sigma_j with J_ij = (1/N) sum_mu
  // xi_i xi_j, so E_dense = E_H - P/2 (the diagonal J_ii = P/N, summed). hopfieldToRbm(xi, beta):
  // spin visibles, unit-precision gaussian hidden units, W = sqrt(beta/N) xi^T, so
  // -F(sigma) = -beta E_dense + P log(2 pi)/2. All three give the same P(sigma).
  const n = 9;
  const beta = 1.3;
  const patterns = randomPatterns(3, n, createRng('hopfield'));
  const rows = patterns.map((r) => Array.from(r));
  const dense = new DenseAssociativeMemory({ patterns, energy: { kind: 'normalized', F: 'power', p: 2 }, beta });

  function hopfieldLogWeights(): Float64Array {
    const out = new Float64Array(2 ** n);
    for (let s = 0; s < out.length; s++) {
      const sigma = stateFromIndex(s, n, SPINS);
      let e = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          if (i === j) continue;
          let jij = 0;
          for (const xi of rows) jij += (xi[i] * xi[j]) / n;
          e -= 0.5 * jij * sigma[i] * sigma[j];
        }
      }
      out[s] = -beta * e;
    }
    return out;
  }

  test('log P(sigma) agree to 1e-10 relative; log Z differ by the stated constants', () => {
    const hopfield = hopfieldLogWeights();
    const logZH = logSumExp(hopfield);
    const rbm = hopfieldToRbm(rows, beta);
    const fromRbm = visibleLogProbabilities(rbm);
    const fromDense = dense.logProbabilities();
    for (let s = 0; s < fromDense.length; s++) {
      expectClose(fromDense[s], hopfield[s] - logZH, 1e-10, 0, `dense vs Hopfield, state ${s}`);
      expectClose(fromRbm[s], hopfield[s] - logZH, 1e-10, 0, `RBM vs Hopfield, state ${s}`);
    }
    const logZDense = dense.exactLogZ();
    expectClose(logZDense, logZH + (beta * 3) / 2, 1e-12);
    expectClose(logSumExp(Array.from({ length: 2 ** n }, (_, s) => -rbm.freeEnergy(stateFromIndex(s, n, SPINS)))), logZDense + 1.5 * Math.log(2 * Math.PI), 1e-12);
  });

  test('the heat bath is Glauber dynamics of the Hopfield field: Delta_i = 2 sum_{j != i} J_ij sigma_j', () => {
    const rng = createRng('hopfield/field');
    const init = Array.from({ length: n }, () => (rng.uniform() < 0.5 ? -1 : 1));
    const dynamics = new DenseDynamics(dense, { chains: 1, rng, init });
    for (let i = 0; i < n; i++) {
      let h = 0;
      for (let j = 0; j < n; j++) if (j !== i) for (const xi of rows) h += (xi[i] * xi[j] * init[j]) / n;
      expectClose(dynamics.energyDifference(0, i), 2 * h, 1e-13, 1e-14, `site ${i}`);
    }
  });

  test('denseToHigherOrderBM gives the Hopfield couplings J_ij (i < j) and energy offset -P/2', () => {
    const { model, energyOffset } = denseToHigherOrderBM(dense);
    expect(energyOffset).toBe(-1.5);
    expect(model.couplings).toHaveLength((n * (n - 1)) / 2);
    for (const { sites, J } of model.couplings) {
      const [i, j] = sites;
      expect(i).toBeLessThan(j);
      expectClose(J, rows.reduce((acc, xi) => acc + xi[i] * xi[j], 0) / n, 1e-15, 0);
    }
  });
});

describe('expansion of a power F into explicit couplings', () => {
  test('powerExpansionCounts: n_k counts the words whose odd-multiplicity set is a given k-set', () => {
    for (const [n, p] of [
      [2, 4],
      [3, 3],
      [4, 4],
      [5, 3],
      [3, 6],
    ]) {
      // brute force: every word in [n]^p, tallied by its odd set when that set is {0, .., k-1}
      const counts = new Array(p + 1).fill(0);
      const word = new Array(p).fill(0);
      for (let w = 0; w < n ** p; w++) {
        let r = w;
        for (let t = 0; t < p; t++) {
          word[t] = r % n;
          r = Math.floor(r / n);
        }
        const parity = new Array(n).fill(0);
        for (const i of word) parity[i] ^= 1;
        const k = parity.reduce((a: number, b: number) => a + b, 0);
        if (parity.slice(0, k).every((b: number) => b === 1)) counts[k]++;
      }
      expect(powerExpansionCounts(n, p).map(Number)).toEqual(counts);
    }
    expect(powerExpansionCounts(2, 4)).toEqual([8n, 0n, 8n, 0n, 0n]); // (y1 + y2)^4 = 8 + 8 y1 y2
  });

  test.each<[string, DenseEnergy]>([
    ['normalized p = 3', { kind: 'normalized', F: 'power', p: 3 }],
    ['normalized p = 4', { kind: 'normalized', F: 'power', p: 4 }],
    ['krotov p = 5', { kind: 'krotov', F: 'power', p: 5 }],
  ])('%s: the explicit model has the same P(sigma), and log Z shifted by beta energyOffset', (_name, energy) => {
    const dense = smallModel(energy, 0.37, 8, 3, 'expand');
    const { model, energyOffset } = denseToHigherOrderBM(dense);
    const a = dense.logProbabilities();
    const b = model.logProbabilities();
    for (let s = 0; s < a.length; s++) expectClose(b[s], a[s], 1e-12, 1e-12, `state ${s}`);
    expectClose(model.exactLogZ() - dense.beta * energyOffset, dense.exactLogZ(), 1e-13);
    expect(model.maxOrder).toBe(energy.p);
  });

  test('rectified-power and exp are not polynomials: refused', () => {
    expect(() => denseToHigherOrderBM(smallModel({ kind: 'krotov', F: 'exp' }, 1))).toThrow('not a polynomial');
  });
});

describe('construction refuses bad conventions and patterns, naming the field', () => {
  const xi = [[1, -1, 1]];
  test.each<[string, () => unknown, string]>([
    ['normalized with exp', () => new DenseAssociativeMemory({ patterns: xi, energy: { kind: 'normalized', F: 'exp' } }), 'energy.F "exp" is not allowed with kind "normalized"'],
    ['power without p', () => new DenseAssociativeMemory({ patterns: xi, energy: { kind: 'krotov', F: 'power' } }), 'energy.p is missing'],
    ['fractional power', () => new DenseAssociativeMemory({ patterns: xi, energy: { kind: 'krotov', F: 'power', p: 2.5 } }), 'energy.p must be an integer >= 1'],
    ['exp with p', () => new DenseAssociativeMemory({ patterns: xi, energy: { kind: 'krotov', F: 'exp', p: 2 } }), 'energy.p does not apply'],
    ['pattern value 0', () => new DenseAssociativeMemory({ patterns: [[1, 0, 1]], energy: { kind: 'krotov', F: 'exp' } }), 'patterns[0][1] must be 1 or -1, got 0'],
    ['ragged patterns', () => new DenseAssociativeMemory({ patterns: [[1, 1, 1], [1, 1]], energy: { kind: 'krotov', F: 'exp' } }), 'patterns[1] has 2 entries, expected 3'],
    ['negative beta', () => new DenseAssociativeMemory({ patterns: xi, energy: { kind: 'krotov', F: 'exp' }, beta: -1 }), 'beta must be a finite number >= 0'],
    ['bad initial spin', () => new DenseDynamics(new DenseAssociativeMemory({ patterns: xi, energy: { kind: 'krotov', F: 'exp' } }), { chains: 1, rng: createRng(0), init: [1, 0.5, 1] }), 'initial state value 1 must be 1 or -1'],
  ])('%s', (_name, build, message) => {
    expect(build).toThrow(message);
  });
});

describe('model file rbmlab.dense/1', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rbmlab-dense-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const rng = createRng('file');
  const models = [
    new DenseAssociativeMemory({ patterns: randomPatterns(3, 5, rng), energy: { kind: 'normalized', F: 'power', p: 3 }, beta: 0.1 + 0.2 }),
    new DenseAssociativeMemory({ patterns: randomPatterns(2, 4, rng), energy: { kind: 'krotov', F: 'rectified-power', p: Math.PI }, beta: normal(rng) ** 2 }),
    new DenseAssociativeMemory({ patterns: randomPatterns(1, 6, rng), energy: { kind: 'krotov', F: 'exp' }, beta: 1e-300 }),
  ];

  test.each(models.map((m, k) => [k, m] as const))('model %d: save -> load -> save gives the same bytes and the same numbers', (k, model) => {
    const file = path.join(dir, `m${k}.json`);
    saveDense(file, model);
    const text = fs.readFileSync(file, 'utf8');
    const back = loadDense(file);
    expect(formatDense(back)).toBe(text);
    expect(Object.is(back.beta, model.beta)).toBe(true);
    expect(back.energyConvention).toEqual(model.energyConvention);
    expect(Array.from(back.patterns)).toEqual(Array.from(model.patterns));
    expect(back.exactLogZ()).toBe(model.exactLogZ());
    const loaded = loadModelFile(file);
    expect(loaded.kind).toBe('dense');
    expect(loaded.format).toBe(DENSE_FORMAT);
    expect(formatDense(loaded.model as DenseAssociativeMemory)).toBe(text);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('layout: one pattern per line, the energy on one line, beta written; beta defaults to 1', () => {
    const text = formatDense(models[2]);
    expect(text.split('\n')).toHaveLength(10); // 9 lines and the final newline
    expect(text).toContain('"energy": {"kind": "krotov", "F": "exp"},\n');
    const json = denseToJSON(models[0]);
    const { beta: _beta, ...withoutBeta } = json;
    expect(denseFromJSON(withoutBeta).beta).toBe(1);
  });

  const good = () => denseToJSON(models[0]) as unknown as Record<string, unknown>;
  test.each<[string, (j: Record<string, unknown>) => unknown, string, string]>([
    ['not an object', () => [1], 'expected a JSON object', ''],
    ['format missing', (j) => ({ ...j, format: undefined }), 'format is missing (expected "rbmlab.dense/1")', 'format'],
    ['format version', (j) => ({ ...j, format: 'rbmlab.dense/2' }), 'unsupported format "rbmlab.dense/2" (this rbmlab reads rbmlab.dense/1)', 'format'],
    ['unknown field', (j) => ({ ...j, temperature: 2 }), 'unknown field temperature', 'temperature'],
    ['size missing', (j) => ({ ...j, size: undefined }), 'size is missing', 'size'],
    ['size not an integer', (j) => ({ ...j, size: 4.5 }), 'size must be a positive integer, got 4.5', 'size'],
    ['patterns missing', (j) => ({ ...j, patterns: undefined }), 'patterns is missing', 'patterns'],
    ['no patterns', (j) => ({ ...j, patterns: [] }), 'patterns must hold at least one pattern', 'patterns'],
    ['row of the wrong length', (j) => ({ ...j, patterns: [[1, 1, 1, 1]] }), 'patterns[0] has 4 entries, expected 5 (size)', 'patterns[0]'],
    ['row not an array', (j) => ({ ...j, patterns: [{}] }), 'patterns[0] must be an array of 5 values 1 or -1, got an object', 'patterns[0]'],
    ['value 0.5', (j) => ({ ...j, patterns: [[1, 1, 0.5, 1, 1]] }), 'patterns[0][2] must be 1 or -1, got 0.5', 'patterns[0][2]'],
    ['value "1"', (j) => ({ ...j, patterns: [[1, 1, 1, '1', 1]] }), 'patterns[0][3] must be 1 or -1, got "1"', 'patterns[0][3]'],
    ['energy missing', (j) => ({ ...j, energy: undefined }), 'energy is missing', 'energy'],
    ['energy not an object', (j) => ({ ...j, energy: 'krotov' }), 'energy must be an object', 'energy'],
    ['energy unknown field', (j) => ({ ...j, energy: { kind: 'krotov', F: 'exp', scale: 2 } }), 'unknown field energy.scale', 'energy.scale'],
    ['kind missing', (j) => ({ ...j, energy: { F: 'exp' } }), 'energy.kind is missing', 'energy.kind'],
    ['kind unknown', (j) => ({ ...j, energy: { kind: 'hopfield', F: 'power', p: 2 } }), 'energy.kind must be one of "normalized", "krotov", got "hopfield"', 'energy.kind'],
    ['F unknown', (j) => ({ ...j, energy: { kind: 'krotov', F: 'cosh' } }), 'energy.F must be one of "power", "rectified-power", "exp", got "cosh"', 'energy.F'],
    ['normalized exp', (j) => ({ ...j, energy: { kind: 'normalized', F: 'exp' } }), 'energy.F "exp" is not allowed with kind "normalized", which takes F "power" only', 'energy.F'],
    ['normalized rectified', (j) => ({ ...j, energy: { kind: 'normalized', F: 'rectified-power', p: 2 } }), 'energy.F "rectified-power" is not allowed with kind "normalized", which takes F "power" only', 'energy.F'],
    ['p missing', (j) => ({ ...j, energy: { kind: 'krotov', F: 'rectified-power' } }), 'energy.p is missing', 'energy.p'],
    ['p zero', (j) => ({ ...j, energy: { kind: 'krotov', F: 'power', p: 0 } }), 'energy.p must be an integer >= 1 for F "power", got 0', 'energy.p'],
    ['p a string', (j) => ({ ...j, energy: { kind: 'krotov', F: 'rectified-power', p: '2' } }), 'energy.p must be a finite number > 0', 'energy.p'],
    ['p with exp', (j) => ({ ...j, energy: { kind: 'krotov', F: 'exp', p: 1 } }), 'energy.p does not apply to F "exp"', 'energy.p'],
    ['beta negative', (j) => ({ ...j, beta: -0.5 }), 'beta must be a finite number >= 0, got -0.5', 'beta'],
    ['beta a string', (j) => ({ ...j, beta: '1' }), 'beta must be a finite number >= 0, got the string "1"', 'beta'],
  ])('refused: %s', (_name, edit, message, field) => {
    let err: unknown;
    try {
      denseFromJSON(edit(good()), 'm.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModelFileError);
    const e = err as ModelFileError;
    expect(e.message).toContain(`m.json: ${message}`);
    expect(e.message).not.toContain('\n');
    if (field) expect(e.field).toBe(field);
  });

  test('loadModelFile: missing or unknown formats list every format; bad JSON and missing files are refused', () => {
    const write = (name: string, text: string) => {
      fs.writeFileSync(path.join(dir, name), text);
      return path.join(dir, name);
    };
    expect(() => loadModelFile(write('u.json', '{"format": "rbmlab.foo/1"}'))).toThrow(
      'unsupported format "rbmlab.foo/1" (this rbmlab reads rbmlab.rbm/1, rbmlab.dense/1, rbmlab.hobm/1)',
    );
    expect(() => loadModelFile(write('n.json', '{"size": 3}'))).toThrow('format is missing (expected one of rbmlab.rbm/1, rbmlab.dense/1, rbmlab.hobm/1)');
    expect(() => loadModelFile(write('r.json', '{"format": "rbmlab.rbm/2"}'))).toThrow('(this rbmlab reads rbmlab.rbm/1)');
    expect(() => loadModelFile(write('bad.json', '{"format": '))).toThrow('not valid JSON');
    expect(() => loadModelFile(path.join(dir, 'nope.json'))).toThrow('cannot read file (ENOENT)');
    expect(() => saveDense(path.join(dir, 'no-dir', 'x.json'), models[0])).toThrow('cannot write file (ENOENT)');
  });
});
