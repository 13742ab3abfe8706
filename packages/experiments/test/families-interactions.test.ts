/**
 * The `interactions` family: induced couplings of random RBMs by order, against the closed forms
 * of MODELS.md §2.
 */
import { createLayer, inducedCouplings, RBM, createRng } from '@rbmlab/core';
import { hiddenLayerWithBias, interactions } from '../src/families/interactions';
import { resolveParams } from '../src/study/params';
import { runTrial } from '../src/study/trial';
import type { MetricRow, Params } from '../src/study/experiment';

async function trial(fixed: Record<string, unknown>, seed: number): Promise<MetricRow> {
  const [row] = await runTrial(interactions, resolveParams(interactions, fixed), seed);
  return row;
}

/** Mean and sem of J{k}, k = 1..K, over `trials` RBMs with seeds firstSeed, firstSeed + 1, ... */
async function ensembleMeans(params: Params, trials: number, firstSeed: number, order: number): Promise<{ mean: number; sem: number }[]> {
  const sum = new Float64Array(order + 1);
  const sumSq = new Float64Array(order + 1);
  for (let t = 0; t < trials; t++) {
    const [row] = await runTrial(interactions, params, firstSeed + t);
    for (let k = 1; k <= order; k++) {
      sum[k] += row[`J${k}`];
      sumSq[k] += row[`J${k}`] ** 2;
    }
  }
  const out: { mean: number; sem: number }[] = [];
  for (let k = 0; k <= order; k++) {
    const mean = sum[k] / trials;
    out.push({ mean, sem: Math.sqrt((sumSq[k] - trials * mean * mean) / (trials - 1) / trials) });
  }
  return out;
}

describe('interactions family', () => {
  test('reports J{k} and J{k}_rms for k = 1..min(maxOrder, N), for every hidden type and basis', async () => {
    expect(interactions.metrics(resolveParams(interactions, {}))).toEqual(['J1', 'J1_rms', 'J2', 'J2_rms', 'J3', 'J3_rms', 'J4', 'J4_rms']);
    expect(interactions.metrics(resolveParams(interactions, { N: 3, maxOrder: 5 }))).toEqual(['J1', 'J1_rms', 'J2', 'J2_rms', 'J3', 'J3_rms']);
    for (const hidden of ['bernoulli', 'spin', 'gaussian', 'relu', 'drelu', 'poisson', 'step']) {
      for (const basis of ['bernoulli', 'spin']) {
        const row = await trial({ N: 5, M: 3, hidden, basis, theta: 0.3, maxOrder: 3 }, 7);
        for (const value of Object.values(row)) expect(Number.isFinite(value)).toBe(true);
        expect(row.J2_rms).toBeGreaterThan(0);
      }
    }
  });

  test('refuses more couplings than core computes in one call, naming maxOrder', () => {
    expect(() => resolveParams(interactions, { N: 24, maxOrder: 24 })).toThrow(/params\.maxOrder/);
    expect(() => resolveParams(interactions, { hidden: 'tanh' })).toThrow(/params\.hidden/);
  });

  test('the same params and seed give the same bits; another seed other weights', async () => {
    const a = await trial({ hidden: 'relu' }, 11);
    expect(await trial({ hidden: 'relu' }, 11)).toEqual(a);
    expect((await trial({ hidden: 'relu' }, 12)).J2).not.toBe(a.J2);
  });

  test('the metrics are the mean and rms over subsets of the couplings core computes for the same RBM', async () => {
    const row = await trial({ N: 6, M: 4, hidden: 'bernoulli', theta: -0.5, s: 0.7, maxOrder: 3 }, 3);
    // the family draws W from the stream "weights" of the trial's rng
    const rbm = RBM.random(createLayer('bernoulli', 6, {}, 'visible'), hiddenLayerWithBias('bernoulli', 4, -0.5), createRng(3).split('weights'), 0.7);
    const c = inducedCouplings(rbm, 3);
    const j3 = Array.from(c.byOrder[3]);
    expect(j3).toHaveLength(20);
    expect(row.J3).toBeCloseTo(j3.reduce((a, b) => a + b) / 20, 14);
    expect(row.J3_rms).toBeCloseTo(Math.sqrt(j3.reduce((a, b) => a + b * b, 0) / 20), 14);
  });

  test('linear (gaussian) hidden units induce no coupling above order 2, in either basis', async () => {
    for (const basis of ['bernoulli', 'spin']) {
      for (let seed = 1; seed <= 5; seed++) {
        const row = await trial({ N: 9, M: 15, hidden: 'gaussian', s: 1, theta: 0.4, basis }, seed);
        // roundoff: the Moebius sums over 2^k corners of Gamma ~ 10 leave ~1e-15 (measured 3e-15)
        expect(row.J2_rms).toBeGreaterThan(0.5);
        for (const k of [3, 4]) {
          expect(Math.abs(row[`J${k}`])).toBeLessThan(1e-12 * row.J2_rms);
          expect(row[`J${k}_rms`]).toBeLessThan(1e-12 * row.J2_rms);
        }
      }
    }
  });

  test('step, relu, bernoulli and poisson hidden units induce order-3 couplings', async () => {
    for (const hidden of ['step', 'relu', 'bernoulli', 'poisson']) {
      const row = await trial({ N: 8, M: 10, hidden, s: 1 }, 5);
      // measured J3_rms / J2_rms: 0.2 to 1.3 at these params; roundoff would be ~1e-15
      expect(row.J3_rms).toBeGreaterThan(0.05 * row.J2_rms);
    }
  });

  test('step units at theta = 0: E[J_S] = M s / sqrt(2 pi) sum_j C(k, j) (-1)^(k-j) sqrt(j)', async () => {
    // E[J_S] = M sum_{T subset of S} (-1)^{|S|-|T|} E[Gamma(s sqrt(|T|) Z)] (the sum of |T| weights is
    // Normal(0, |T| s^2)), and E[max(0, a Z)] = a / sqrt(2 pi). J_S of a step unit is bounded by
    // 2^k max|W| (light tails), so the z-score of the mean over T = 1000 RBMs is close to normal;
    // |z| < 5 at 4 orders: false-failure rate ~2e-6.
    const s = 0.7;
    const m = 6;
    const trials = 1000;
    const stats = await ensembleMeans(resolveParams(interactions, { N: 6, M: m, s, hidden: 'step', maxOrder: 4 }), trials, 50_000, 4);
    const choose = (n: number, k: number): number => (k === 0 ? 1 : (choose(n, k - 1) * (n - k + 1)) / k);
    for (let k = 1; k <= 4; k++) {
      let expected = 0;
      for (let j = 0; j <= k; j++) expected += choose(k, j) * (-1) ** (k - j) * Math.sqrt(j);
      expected *= (m * s) / Math.sqrt(2 * Math.PI);
      const { mean, sem } = stats[k];
      expect(Math.abs(mean - expected)).toBeLessThan(5 * sem);
      expect(sem).toBeLessThan(0.05 * Math.abs(expected));
    }
  });

  test('exponential (poisson) units: the mean of J{k} over random RBMs is M e^theta (e^{s^2/2} - 1)^k', async () => {
    // T = 2000 independent RBMs (N = 8, M = 10, s = 0.5, theta = 0.3). The per-trial J{k} is
    // right-skewed (products of e^W - 1), so the z-score of the mean was measured over 120
    // independent repetitions with T = 3000: sd 1.00-1.02, |z| <= 3.3 at every order; at T = 300 the
    // order-4 z had a heavy left tail (sd 1.14, max |z| 4.8 in 400 repetitions), T = 2000 is between. With
    // |z| < 5 the false-failure rate is ~6e-7 per order under normality; allowing for the
    // residual skew at order 4, below 1e-5 for the whole test.
    const s = 0.5;
    const theta = 0.3;
    const m = 10;
    const trials = 2000;
    const stats = await ensembleMeans(resolveParams(interactions, { N: 8, M: m, s, theta, hidden: 'poisson', maxOrder: 4 }), trials, 90_000, 4);
    for (let k = 1; k <= 4; k++) {
      const { mean, sem } = stats[k];
      const expected = m * Math.exp(theta) * (Math.exp((s * s) / 2) - 1) ** k;
      expect(Math.abs(mean - expected)).toBeLessThan(5 * sem);
      // and the test has power at orders 1-3: sem/mean measured ~0.01, 0.03, 0.1 (0.4 at order 4)
      if (k <= 3) expect(sem).toBeLessThan(0.25 * expected);
    }
  });
});

describe('interactions at scale (N up to 200, the local formula, subsets sampled beyond 20,000)', () => {
  test('N = 30: every subset of each order, the same means and rms as the listed couplings of the same RBM', async () => {
    const params = { N: 30, M: 4, hidden: 'relu', theta: -0.2, s: 0.5, maxOrder: 3 };
    const row = await trial(params, 5);
    // the trial's RBM, rebuilt from the trial's stream as run() draws it
    const rng = createRng(5).split('weights');
    const rbm = RBM.random(createLayer('bernoulli', 30, {}, 'visible'), hiddenLayerWithBias('relu', 4, -0.2), rng, 0.5);
    const listed = inducedCouplings(rbm, 3, { basis: 'bernoulli' });
    for (let k = 1; k <= 3; k++) {
      const values = listed.byOrder[k];
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const rms = Math.sqrt(values.reduce((a, b) => a + b * b, 0) / values.length);
      expect(row[`J${k}`]).toBeCloseTo(mean, 12);
      expect(row[`J${k}_rms`]).toBeCloseTo(rms, 12);
    }
  });

  test('N = 200, exponential units: sampled J{k} over 16 RBMs match E[J_S] = M e^theta (e^{s^2/2} - 1)^k within 5.33 sem', async () => {
    // 1e-7 two-sided per comparison, 3 comparisons; the sem is also held below a tenth of the mean,
    // so a coupling off by 50% fails
    const params = resolveParams(interactions, { N: 200, M: 10, hidden: 'poisson', theta: 0, s: 0.8, maxOrder: 3 });
    const means = await ensembleMeans(params, 16, 100, 3);
    for (let k = 1; k <= 3; k++) {
      const expected = 10 * Math.expm1(0.8 ** 2 / 2) ** k;
      expect(means[k].sem).toBeLessThan(0.1 * expected);
      expect(Math.abs(means[k].mean - expected)).toBeLessThan(5.33 * means[k].sem);
    }
  });

  test('N = 200, linear units: no coupling beyond order 2 (J3 = 0 to rounding), and the spin basis is refused', async () => {
    const row = await trial({ N: 200, M: 5, hidden: 'gaussian', s: 0.3, maxOrder: 3 }, 9);
    expect(row.J2_rms).toBeGreaterThan(0.01);
    expect(row.J3_rms).toBeLessThan(1e-12);
    expect(() => resolveParams(interactions, { N: 100, basis: 'spin' })).toThrow(/params\.basis: spin-basis couplings are not local and are computed for N <= 24 only/);
    expect(() => resolveParams(interactions, { N: 201 })).toThrow(/params\.N/);
  });
});
