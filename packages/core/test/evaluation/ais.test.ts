/**
 * AIS and reverse AIS against exact log Z on enumerable models of every hidden unit type.
 *
 * Acceptance: |log Z_AIS - log Z_exact| <= Z_CRIT stderr + stderr^2 / 2, with Z_CRIT = 5. The
 * error of log Z_AIS is asymptotically normal with sd = stderr (delta method); Jensen's bias of
 * the log is about -stderr^2 / 2 (forward) or +stderr^2 / 2 (reverse), allowed for explicitly
 * (negligible here: stderr <= 0.02 gives 2e-4). A correct implementation fails one comparison
 * with probability 2 (1 - Phi(5)) = 5.7e-7, about 2e-5 over the ~30 comparisons of this file;
 * in trials (40 seeds per model) the standardized errors had sd 0.76-0.99, so the stated rate is
 * if anything pessimistic. Every stream is seeded, so a run passes or fails deterministically.
 * Each test also requires stderr < MAX_STDERR (observed 0.003-0.013), so that a broken estimator
 * with huge error bars cannot pass.
 */
import {
  AIS_DEFAULT_SCHEDULE,
  aisLogLikelihood,
  annealedImportanceSampling,
  annealingSchedule,
  baseRateVisibleBias,
  createLayer,
  createRng,
  cumulantUnit,
  exactLogLikelihood,
  exactLogZ,
  exactSample,
  importanceWeightSummary,
  RBM,
  reverseAnnealedImportanceSampling,
  sigmoid,
  softplus,
  type AisResult,
  defaultBackend,
} from '../../src';
import { smallRbm } from '../helpers/models';
import { expectClose } from '../helpers/stats';

const Z_CRIT = 5;
const MAX_STDERR = 0.02;
const CHAINS = 200;
const STEPS = 400;

function expectAgrees(result: Pick<AisResult, 'logZ' | 'stderr'>, exact: number, what: string): void {
  const { logZ, stderr } = result;
  if (!(Number.isFinite(logZ) && stderr > 0 && stderr < MAX_STDERR)) {
    throw new Error(`${what}: logZ ${logZ}, stderr ${stderr} (must be finite and in (0, ${MAX_STDERR}))`);
  }
  const tolerance = Z_CRIT * stderr + (stderr * stderr) / 2;
  if (!(Math.abs(logZ - exact) <= tolerance)) {
    throw new Error(
      `${what}: AIS log Z ${logZ} +- ${stderr} vs exact ${exact}: error ${(logZ - exact).toFixed(5)} = ` +
        `${((logZ - exact) / stderr).toFixed(2)} stderr (allowed ${Z_CRIT})`,
    );
  }
}

/** Exact log Z of the same model at W = 0 (an independent check of log Z_0). */
function independentLogZ(rbm: RBM): number {
  return exactLogZ(new RBM(rbm.visible, rbm.hidden, new Float64Array(rbm.weights.length))).logZ;
}

describe('AIS against exact log Z', () => {
  // [visible, hidden, N, M, weight scale (default of smallRbm when undefined)]
  const cases: [string, string, number, number, number | undefined][] = [
    ['bernoulli', 'bernoulli', 8, 5, undefined],
    ['bernoulli', 'spin', 8, 5, undefined],
    ['bernoulli', 'gaussian', 8, 5, undefined],
    ['bernoulli', 'relu', 8, 5, undefined],
    ['bernoulli', 'drelu', 8, 5, undefined],
    ['bernoulli', 'poisson', 8, 5, 0.3], // modest weights: Gamma = e^x makes the weights heavy-tailed
    ['bernoulli', 'step', 8, 5, undefined], // no hidden sampler: heat-bath transitions
    ['spin', 'bernoulli', 8, 5, undefined],
    ['spin', 'step', 8, 5, undefined],
    ['gaussian', 'bernoulli', 4, 6, undefined], // enumerates the hidden layer
  ];

  test.each(cases)('forward, %s visible x %s hidden', (visible, hidden, n, m, scale) => {
    const rbm = smallRbm(visible, hidden, n, m, 'ais', scale);
    const exact = exactLogZ(rbm).logZ;
    const result = annealedImportanceSampling(rbm, { chains: CHAINS, steps: STEPS, rng: createRng(`ais/${visible}/${hidden}`) });
    expect(result.transition).toBe(rbm.hidden.canSample ? 'gibbs' : 'heatbath');
    expect(result.direction).toBe('forward');
    expect(result.chains).toBe(CHAINS);
    expect(result.steps).toBe(STEPS);
    expect(result.logWeights).toHaveLength(CHAINS);
    expect(result.backend).toBe(defaultBackend().name);
    expectClose(result.logZBase, independentLogZ(rbm), 1e-12, 1e-12, 'closed-form log Z_0');
    expectAgrees(result, exact, `${visible}/${hidden}`);
  });

  test.each(cases)('reverse from exact samples, %s visible x %s hidden', (visible, hidden, n, m, scale) => {
    const rbm = smallRbm(visible, hidden, n, m, 'ais', scale);
    const exact = exactLogZ(rbm).logZ;
    const init = exactSample(rbm, CHAINS, createRng(`ais-init/${visible}/${hidden}`));
    const result = reverseAnnealedImportanceSampling(rbm, { init, steps: STEPS, rng: createRng(`rais/${visible}/${hidden}`) });
    expect(result.direction).toBe('reverse');
    expect(result.chains).toBe(CHAINS);
    expectAgrees(result, exact, `reverse ${visible}/${hidden}`);
  });

  test('heat-bath transitions with gaussian visibles (Metropolis-Hastings path)', () => {
    const rbm = smallRbm('gaussian', 'bernoulli', 4, 6, 'ais');
    const result = annealedImportanceSampling(rbm, { chains: CHAINS, steps: STEPS, transition: 'heatbath', rng: createRng('ais/mh') });
    expect(result.transition).toBe('heatbath');
    expectAgrees(result, exactLogZ(rbm).logZ, 'gaussian visibles, heat bath');
  });

  test('heat-bath transitions on a model that could use Gibbs give the same log Z', () => {
    const rbm = smallRbm('bernoulli', 'relu', 8, 5, 'ais');
    const result = annealedImportanceSampling(rbm, { chains: CHAINS, steps: STEPS, transition: 'heatbath', rng: createRng('ais/hb-relu') });
    expectAgrees(result, exactLogZ(rbm).logZ, 'bernoulli/relu, heat bath');
  });

  test('a Gamma-only custom unit (cumulantUnit) anneals through the heat bath', () => {
    const sqSoftplus = cumulantUnit({
      name: 'squared-softplus',
      cumulant: (x) => softplus(x) ** 2 / 2,
      activation: (x) => softplus(x) * sigmoid(x),
    });
    const base = smallRbm('bernoulli', 'bernoulli', 8, 5, 'ais-custom');
    const rbm = new RBM(base.visible, sqSoftplus(5, base.hidden.params), base.weights);
    const result = annealedImportanceSampling(rbm, { chains: CHAINS, steps: STEPS, rng: createRng('ais/custom') });
    expect(result.transition).toBe('heatbath');
    expectAgrees(result, exactLogZ(rbm).logZ, 'custom cumulant unit');
  });

  test('a base with different visible parameters (bernoulli, spin and gaussian) anneals them too', () => {
    for (const [visible, hidden, n, m] of [
      ['bernoulli', 'bernoulli', 8, 5],
      ['spin', 'step', 8, 5],
      ['gaussian', 'bernoulli', 4, 6],
    ] as const) {
      const rbm = smallRbm(visible, hidden, n, m, 'ais-base');
      const baseVisible: Record<string, number[]> = { bias: Array.from({ length: n }, (_, i) => 1 - 0.3 * i) };
      if (visible === 'gaussian') baseVisible.gamma = Array.from({ length: n }, (_, i) => 0.7 + 0.2 * i);
      const result = annealedImportanceSampling(rbm, { chains: CHAINS, steps: STEPS, baseVisible, rng: createRng(`ais/base/${visible}`) });
      const baseModel = new RBM(rbm.visible.withParams({ ...rbm.visible.params, ...mapValues(baseVisible) }), rbm.hidden, new Float64Array(n * m));
      expectClose(result.logZBase, exactLogZ(baseModel).logZ, 1e-12, 1e-12, `${visible} base log Z_0`);
      expectAgrees(result, exactLogZ(rbm).logZ, `${visible}/${hidden} with a base`);
    }
  });

  test('every named schedule and an explicit betas array agree with exact', () => {
    const rbm = smallRbm('bernoulli', 'bernoulli', 8, 5, 'ais-schedules');
    const exact = exactLogZ(rbm).logZ;
    for (const schedule of ['linear', 'sigmoid', 'salakhutdinov-murray'] as const) {
      const r = annealedImportanceSampling(rbm, { chains: CHAINS, steps: STEPS, schedule, rng: createRng(`ais/schedule/${schedule}`) });
      expectAgrees(r, exact, schedule);
    }
    // quadratic spacing, denser near 0
    const betas = Array.from({ length: STEPS + 1 }, (_, k) => (k / STEPS) ** 2);
    const r = annealedImportanceSampling(rbm, { chains: CHAINS, betas, rng: createRng('ais/schedule/explicit') });
    expect(r.steps).toBe(STEPS);
    expectAgrees(r, exact, 'explicit betas');
  });

  test('aisLogLikelihood = -mean F(data) - log Z_AIS, with base rates from the data', () => {
    const rbm = smallRbm('bernoulli', 'bernoulli', 8, 5, 'ais-ll');
    const data = exactSample(rbm, 50, createRng('ais-ll/data'));
    const exact = exactLogLikelihood(rbm, data, 50);
    for (const baseRate of [false, true]) {
      const r = aisLogLikelihood(rbm, data, 50, { chains: CHAINS, steps: STEPS, baseRate, rng: createRng(`ais-ll/${baseRate}`) });
      expect(r.stderr).toBe(r.ais.stderr);
      expectClose(r.logLikelihood, -r.meanFreeEnergy - r.logZ, 0, 1e-12, 'definition');
      expectAgrees({ logZ: r.logLikelihood, stderr: r.stderr }, exact, `log-likelihood, baseRate ${baseRate}`);
    }
  });
});

function mapValues(params: Record<string, number[]>): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  for (const [k, v] of Object.entries(params)) out[k] = Float64Array.from(v);
  return out;
}

describe('AIS bounds: the sandwich on a too-short schedule', () => {
  /**
   * 16 x 12 bernoulli model with large weights (scale 3), K = 2 steps (one transition), 20 chains:
   * the weights are so heavy-tailed that forward AIS lands below log Z and reverse AIS (from exact
   * samples) above it in most runs, by several nats. The test takes the median of 15 seeded
   * replicates. In 400 trial runs forward was above exact 16 times (p ~ 0.04) and reverse below 4
   * times (p ~ 0.01); the median is on the wrong side only if 8 of 15 are, probability
   * C(15, 8) 0.04^8 ~ 4e-8 (forward), far less for reverse.
   */
  test('forward median below exact log Z, reverse median above', () => {
    const rbm = smallRbm('bernoulli', 'bernoulli', 16, 12, 'sandwich', 3);
    const exact = exactLogZ(rbm).logZ;
    const forward: number[] = [];
    const reverse: number[] = [];
    for (let r = 0; r < 15; r++) {
      forward.push(annealedImportanceSampling(rbm, { chains: 20, steps: 2, rng: createRng(`sandwich/f/${r}`) }).logZ - exact);
      const init = exactSample(rbm, 20, createRng(`sandwich/init/${r}`));
      reverse.push(reverseAnnealedImportanceSampling(rbm, { init, steps: 2, rng: createRng(`sandwich/r/${r}`) }).logZ - exact);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[(xs.length - 1) / 2];
    expect(median(forward)).toBeLessThan(-0.5);
    expect(median(reverse)).toBeGreaterThan(0.5);
  });
});

describe('AIS reproducibility and inputs', () => {
  test('the same seed gives identical bits; another seed does not', () => {
    const rbm = smallRbm('bernoulli', 'relu', 6, 4, 'ais-bits');
    const run = (seed: string) => annealedImportanceSampling(rbm, { chains: 10, steps: 50, rng: createRng(seed) });
    const a = run('bits');
    const b = run('bits');
    expect(Buffer.from(a.logWeights.buffer).equals(Buffer.from(b.logWeights.buffer))).toBe(true);
    expect(Object.is(a.logZ, b.logZ) && Object.is(a.stderr, b.stderr)).toBe(true);
    expect(Buffer.from(run('other').logWeights.buffer).equals(Buffer.from(a.logWeights.buffer))).toBe(false);
    const init = exactSample(rbm, 10, createRng('bits/init'));
    const r1 = reverseAnnealedImportanceSampling(rbm, { init, steps: 50, rng: createRng('bits/r') });
    const r2 = reverseAnnealedImportanceSampling(rbm, { init, steps: 50, rng: createRng('bits/r') });
    expect(Buffer.from(r1.logWeights.buffer).equals(Buffer.from(r2.logWeights.buffer))).toBe(true);
  });

  test('the model is left unchanged (the path layer is a copy)', () => {
    const rbm = smallRbm('gaussian', 'bernoulli', 4, 6, 'ais-unchanged');
    const before = JSON.stringify([rbm.visible.paramsToJSON(), rbm.hidden.paramsToJSON(), Array.from(rbm.weights)]);
    annealedImportanceSampling(rbm, { chains: 5, steps: 20, baseVisible: { bias: [1, 2, 3, 4] }, rng: createRng('unchanged') });
    expect(JSON.stringify([rbm.visible.paramsToJSON(), rbm.hidden.paramsToJSON(), Array.from(rbm.weights)])).toBe(before);
  });

  test('invalid options throw errors that say what is wrong', () => {
    const rbm = smallRbm('bernoulli', 'step', 4, 3, 'ais-errors');
    const rng = createRng('errors');
    expect(() => annealedImportanceSampling(rbm, { rng, transition: 'gibbs', steps: 5 })).toThrow(/step units have none/);
    expect(() => annealedImportanceSampling(rbm, { rng, betas: [0.1, 1] })).toThrow(/start at exactly 0/);
    expect(() => annealedImportanceSampling(rbm, { rng, betas: [0, 0.6, 0.5, 1] })).toThrow(/nondecreasing/);
    expect(() => annealedImportanceSampling(rbm, { rng, chains: 0, steps: 5 })).toThrow(/chains/);
    expect(() => annealedImportanceSampling(rbm, { rng, baseVisible: { gamma: [1, 1, 1, 1] }, steps: 5 })).toThrow(/not one of/);
    expect(() => annealedImportanceSampling(rbm, { rng, baseVisible: { bias: [1, 1] }, steps: 5 })).toThrow(/2 entries, expected 4/);
    expect(() => annealedImportanceSampling(rbm, {} as never)).toThrow(/rng is required/);
    expect(() => reverseAnnealedImportanceSampling(rbm, { rng, init: [0, 1, 0], steps: 5 })).toThrow(/multiple of 4/);
  });
});

describe('annealing schedules', () => {
  test('K + 1 nondecreasing values from exactly 0 to exactly 1', () => {
    for (const schedule of ['linear', 'sigmoid', 'salakhutdinov-murray'] as const) {
      for (const steps of [3, 10, 1000]) {
        const b = annealingSchedule(steps, schedule);
        expect(b).toHaveLength(steps + 1);
        expect(b[0]).toBe(0);
        expect(b[steps]).toBe(1);
        for (let k = 1; k <= steps; k++) expect(b[k]).toBeGreaterThan(b[k - 1]);
      }
    }
    expect(AIS_DEFAULT_SCHEDULE).toBe('linear');
  });

  test('linear is k / K; sigmoid is symmetric about 1/2; salakhutdinov-murray puts 1/15, 4/15, 10/15 of the steps on [0, .5], [.5, .9], [.9, 1]', () => {
    const lin = annealingSchedule(8, 'linear');
    expect(Array.from(lin)).toEqual([0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1]);
    const sig = annealingSchedule(100, 'sigmoid');
    for (let k = 0; k <= 100; k++) expectClose(sig[k] + sig[100 - k], 1, 0, 1e-15, `sigmoid symmetry at ${k}`);
    expect(sig[1] - sig[0]).toBeLessThan(0.2 / 100); // dense at the ends
    const sm = annealingSchedule(15000, 'salakhutdinov-murray');
    const count = (lo: number, hi: number) => {
      let c = 0;
      for (let k = 1; k < sm.length; k++) if (sm[k] > lo && sm[k] <= hi) c++;
      return c;
    };
    expect([count(0, 0.5), count(0.5, 0.9), count(0.9, 1)]).toEqual([1000, 4000, 10000]);
  });
});

describe('importance weight summary and base rates', () => {
  test('weights 1 and 3: log mean = log 2, stderr = sd / (sqrt(n) mean) = 0.5, ESS = 16/10, at any offset', () => {
    for (const offset of [0, 1000, -1000]) {
      const s = importanceWeightSummary([offset, offset + Math.log(3)]);
      expectClose(s.logMean, offset + Math.log(2), 1e-15, 1e-13, 'logMean');
      expectClose(s.stderr, 0.5, 1e-12, 0, 'stderr');
      expectClose(s.effectiveSampleSize, 1.6, 1e-12, 0, 'ESS'); // offset + log 3 carries an ulp of 1e-13 at 1000
    }
    const equal = importanceWeightSummary([2, 2, 2, 2]);
    expect(equal.stderr).toBe(0);
    expect(equal.effectiveSampleSize).toBe(4);
    expect(importanceWeightSummary([1, NaN]).logMean).toBeNaN();
  });

  test('base-rate biases: a = logit((count + 1) / (rows + 2)) / (s1 - s0)', () => {
    const data = [1, 0, 1, 1, 1, 0, 0, 1, 0];
    // column counts of 1 among 3 rows: 2, 2, 1
    const a = baseRateVisibleBias(data, 3, 3);
    expectClose(a[0], Math.log(3 / 2), 1e-15, 0, 'unit 0');
    expectClose(a[1], Math.log(3 / 2), 1e-15, 0, 'unit 1');
    expectClose(a[2], Math.log(2 / 3), 1e-15, 0, 'unit 2');
    const spin = baseRateVisibleBias(data.map((x) => 2 * x - 1), 3, 3, { support: [-1, 1] });
    expectClose(spin[0], Math.log(3 / 2) / 2, 1e-15, 0, 'spin unit 0');
    // the base model's P(v_i = 1) is the smoothed frequency
    const layer = createLayer('bernoulli', 3, { bias: a }, 'visible');
    expectClose(layer.mean(0, 0), 3 / 5, 1e-15, 0, 'base rate');
    expect(() => baseRateVisibleBias([0, -1], 1, 2)).toThrow(/not in the support/);
  });
});
