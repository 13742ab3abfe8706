/**
 * Samplers against their exact distributions.
 *
 * Every statistical test is seeded (its outcome is fixed) and sized so that a correct sampler
 * fails it with a stated, tiny probability for a seed drawn at random:
 * - goodness of fit: Pearson chi-square of binned samples against exact bin probabilities
 *   (normalSurvival, erfcx, regularizedGammaQ, lgamma), bins merged to expected counts >= 20
 *   (>= 5 is the usual minimum; 20 keeps the chi-square tail approximation good at p = 1e-6);
 *   fail if p < 1e-6: false-failure rate 1e-6 per test;
 * - mean and variance z-tests (variance via the empirical fourth moment): fail if |z| > 5,
 *   false-failure rate 5.7e-7 per test.
 * About 20 goodness-of-fit and 40 z-tests: below 5e-5 for the whole file.
 * Power checks run the same goodness-of-fit test on samples of a wrong distribution and require
 * p < 1e-6, so that the tests above can fail.
 */
import {
  chiSquareSurvival,
  erfcx,
  lgamma,
  normalSurvival,
  regularizedGammaP,
  regularizedGammaQ,
  truncatedNormalLowerMinusA,
  truncatedNormalVarianceStd,
} from '../src/math/special';
import {
  bernoulli,
  fillNormal,
  gaussian,
  normal,
  poisson,
  truncatedNormal,
  truncatedNormalExcess,
} from '../src/random/distributions';
import { createRng, restoreRng } from '../src/random/rng';

const N = 100000;
const P_FAIL = 1e-6;
const Z_FAIL = 5;
const MIN_EXPECTED = 20;

interface Gof {
  stat: number;
  df: number;
  p: number;
}

/** Pearson chi-square of counts against probabilities (sum 1), adjacent bins merged to expected >= MIN_EXPECTED. */
function chiSquareGof(counts: ArrayLike<number>, probs: ArrayLike<number>, n: number): Gof {
  const mergedObs: number[] = [];
  const mergedExp: number[] = [];
  let o = 0;
  let e = 0;
  for (let i = 0; i < probs.length; i++) {
    o += counts[i];
    e += n * probs[i];
    if (e >= MIN_EXPECTED) {
      mergedObs.push(o);
      mergedExp.push(e);
      o = 0;
      e = 0;
    }
  }
  if (e > 0 || o > 0) {
    // Leftover tail: fold it into the last full bin.
    mergedObs[mergedObs.length - 1] += o;
    mergedExp[mergedExp.length - 1] += e;
  }
  let stat = 0;
  for (let i = 0; i < mergedObs.length; i++) stat += (mergedObs[i] - mergedExp[i]) ** 2 / mergedExp[i];
  const df = mergedObs.length - 1;
  return { stat, df, p: chiSquareSurvival(stat, df) };
}

/** t with S(t) = level for a decreasing survival function S, by bisection on [lo, hi]. */
function survivalQuantile(S: (t: number) => number, level: number, lo: number, hi: number): number {
  for (let i = 0; i < 200; i++) {
    const mid = 0.5 * (lo + hi);
    if (mid === lo || mid === hi) break;
    if (S(mid) > level) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/**
 * Bins of a continuous law given by its survival function S: edges at the survival levels
 * (K-1)/K .. 1/K (K = 50 equiprobable bins) plus 1e-3 and 1e-4, which resolve the far tail
 * (expected counts 90 and 10 at N = 1e5; the last is merged into its neighbour to reach 20).
 * Equiprobable bins make the test invariant to any monotone rescaling of t (such as a t, the
 * scale on which the far-tail excess is Exp(1)). Returns the edges and the exact bin
 * probabilities, each a difference of S (no 1 - CDF cancellation in the tail).
 */
function continuousBins(S: (t: number) => number, lo: number, hi: number): { edges: number[]; probs: number[] } {
  const K = 50;
  const levels: number[] = [];
  for (let j = K - 1; j >= 1; j--) levels.push(j / K);
  levels.push(1e-3, 1e-4);
  const edges = levels.map((s) => survivalQuantile(S, s, lo, hi));
  const probs: number[] = [1 - S(edges[0])];
  for (let j = 1; j < edges.length; j++) probs.push(S(edges[j - 1]) - S(edges[j]));
  probs.push(S(edges[edges.length - 1]));
  return { edges, probs };
}

/** Counts of samples in (-inf, e0), [e0, e1), ..., [e_last, inf). */
function binCounts(samples: ArrayLike<number>, edges: number[]): Float64Array {
  const counts = new Float64Array(edges.length + 1);
  for (let i = 0; i < samples.length; i++) {
    const x = samples[i];
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (x >= edges[mid]) lo = mid + 1;
      else hi = mid;
    }
    counts[lo]++;
  }
  return counts;
}

function continuousGof(samples: ArrayLike<number>, S: (t: number) => number, lo: number, hi: number): Gof {
  const { edges, probs } = continuousBins(S, lo, hi);
  return chiSquareGof(binCounts(samples, edges), probs, samples.length);
}

/** z-scores of the sample mean and variance against the exact ones. */
function momentZ(samples: ArrayLike<number>, mean: number, variance: number): { zMean: number; zVar: number } {
  const n = samples.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += samples[i];
  const m = s / n;
  let m2 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = samples[i] - m;
    m2 += d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  m4 /= n;
  return {
    zMean: (m - mean) / Math.sqrt(variance / n),
    zVar: (m2 - variance) / Math.sqrt((m4 - m2 * m2) / n),
  };
}

function expectMoments(samples: ArrayLike<number>, mean: number, variance: number): void {
  const { zMean, zVar } = momentZ(samples, mean, variance);
  expect(Math.abs(zMean)).toBeLessThan(Z_FAIL);
  expect(Math.abs(zVar)).toBeLessThan(Z_FAIL);
}

function sample(n: number, draw: () => number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = draw();
  return out;
}

describe('normal', () => {
  test('normal(): goodness of fit and moments', () => {
    const rng = createRng('dist/normal');
    const xs = sample(N, () => normal(rng));
    expect(continuousGof(xs, normalSurvival, -40, 40).p).toBeGreaterThan(P_FAIL);
    expectMoments(xs, 0, 1);
  });

  test('fillNormal: both members of each polar pair are N(0, 1) and uncorrelated', () => {
    const rng = createRng('dist/fillNormal');
    const xs = new Float64Array(N + 1); // odd length: the last pair is cut
    fillNormal(rng, xs);
    expect(continuousGof(xs, normalSurvival, -40, 40).p).toBeGreaterThan(P_FAIL);
    expectMoments(xs, 0, 1);
    let c = 0;
    for (let i = 0; i + 1 < xs.length; i += 2) c += xs[i] * xs[i + 1];
    expect(Math.abs(c / Math.sqrt(N / 2))).toBeLessThan(Z_FAIL);
    expect(() => fillNormal(rng, xs, 4, N + 2)).toThrow(RangeError);
  });

  test('gaussian(mean, sd): moments; invalid parameters throw', () => {
    const rng = createRng('dist/gaussian');
    const xs = sample(N, () => gaussian(rng, -3.5, 0.25));
    expectMoments(xs, -3.5, 0.0625);
    expect(() => gaussian(rng, 0, -1)).toThrow(RangeError);
    expect(() => gaussian(rng, NaN, 1)).toThrow(RangeError);
    expect(() => gaussian(rng, 0, Infinity)).toThrow(RangeError);
    expect(gaussian(rng, 2, 0)).toBe(2);
  });

  test('power: the normal goodness-of-fit test rejects sd = 1.03', () => {
    const rng = createRng('dist/normal-power');
    const xs = sample(N, () => gaussian(rng, 0, 1.03));
    expect(continuousGof(xs, normalSurvival, -40, 40).p).toBeLessThan(P_FAIL);
  });
});

/**
 * Exact survival function of the excess t = Y - a of Y ~ N(0, 1) | Y >= a:
 * S(t) = Q(a + t)/Q(a). For a >= 0, with Q(z) = erfcx(z/sqrt 2) exp(-z^2/2)/2,
 * S(t) = exp(-(a t + t^2/2)) erfcx((a + t)/sqrt 2) / erfcx(a/sqrt 2), exact in the far tail
 * (no underflow of Q, no 1 - Phi).
 */
function excessSurvival(a: number): (t: number) => number {
  if (a >= 0) {
    const ea = erfcx(a * Math.SQRT1_2);
    return (t) => (Math.exp(-(a * t + 0.5 * t * t)) * erfcx((a + t) * Math.SQRT1_2)) / ea;
  }
  const qa = normalSurvival(a);
  return (t) => normalSurvival(a + t) / qa;
}

describe('truncatedNormal', () => {
  // mean 1.5 and sd 2 exercise the standardization; lower = mean + sd a is exact for these a.
  const MEAN = 1.5;
  const SD = 2;

  test.each([-2, 0, 0.5, 3, 8, 40, 1e3])('a = %p: excess (x - lower)/sd fits Q(a + t)/Q(a); moments', (a) => {
    const rng = createRng(`dist/truncnormal/${a}`);
    const lower = MEAN + SD * a;
    const t = sample(N, () => {
      const x = truncatedNormal(rng, MEAN, SD, lower);
      if (!(x >= lower && Number.isFinite(x))) throw new Error(`a = ${a}: sample ${x} below ${lower}`);
      return (x - lower) / SD;
    });
    const hi = 40 / Math.max(1, a) + 40;
    const gof = continuousGof(t, excessSurvival(a), 0, hi);
    expect(gof.p).toBeGreaterThan(P_FAIL);
    expect(gof.df).toBeGreaterThanOrEqual(50);
    expectMoments(t, truncatedNormalLowerMinusA(a), truncatedNormalVarianceStd(a));
  });

  test('truncatedNormalExcess keeps the excess exact at a = 1e4', () => {
    const rng = createRng('dist/excess-1e4');
    const a = 1e4;
    const t = sample(N, () => truncatedNormalExcess(rng, a));
    expect(continuousGof(t, excessSurvival(a), 0, 1).p).toBeGreaterThan(P_FAIL);
    expectMoments(t, truncatedNormalLowerMinusA(a), truncatedNormalVarianceStd(a));
    expect(truncatedNormalExcess(rng, Infinity)).toBe(0);
    expect(() => truncatedNormalExcess(rng, NaN)).toThrow(RangeError);
  });

  test('a = +-1e4 (relu unit at input -+1e4) stays finite and in support', () => {
    const rng = createRng('dist/trunc-extreme');
    const n = 10000;
    // a = 1e4: Normal(-1e4, 1) conditioned on >= 0, mean excess ~ 1e-4.
    const hi = sample(n, () => truncatedNormal(rng, -1e4, 1, 0));
    for (const x of hi) if (!(x >= 0 && Number.isFinite(x))) throw new Error(`sample ${x}`);
    expectMoments(hi, truncatedNormalLowerMinusA(1e4), truncatedNormalVarianceStd(1e4));
    // a = -1e4: the truncation never binds, so this is Normal(1e4, 1).
    const lo = sample(n, () => truncatedNormal(rng, 1e4, 1, 0));
    expectMoments(lo, 1e4, 1);
  });

  test('limits and invalid parameters', () => {
    const rng = createRng('dist/trunc-edges');
    expect(truncatedNormal(rng, 0, 1e-300, 1e10)).toBe(1e10); // a overflows to +Infinity: the limit is lower
    expect(truncatedNormal(rng, 3, 0, 1)).toBe(3);
    expect(truncatedNormal(rng, -3, 0, 1)).toBe(1);
    expect(Number.isFinite(truncatedNormal(rng, 0, 1, -Infinity))).toBe(true);
    expect(() => truncatedNormal(rng, 0, 1, Infinity)).toThrow(RangeError);
    expect(() => truncatedNormal(rng, 0, 1, NaN)).toThrow(RangeError);
    expect(() => truncatedNormal(rng, 0, -1, 0)).toThrow(RangeError);
    expect(() => truncatedNormal(rng, Infinity, 1, 0)).toThrow(RangeError);
  });

  test('power: samples at a = 40 are rejected against the law at a = 42', () => {
    const rng = createRng('dist/trunc-power');
    const t = sample(N, () => truncatedNormalExcess(rng, 40));
    expect(continuousGof(t, excessSurvival(42), 0, 2).p).toBeLessThan(P_FAIL);
  });
});

/** Poisson(m) pmf from lgamma, independent of logPoissonPmf; tails from the incomplete gamma. */
function poissonBins(m: number): { kmin: number; kmax: number; probs: Float64Array } {
  const sd = Math.sqrt(m);
  const kmin = Math.max(0, Math.floor(m - 15 * sd - 15));
  const kmax = Math.ceil(m + 15 * sd + 30);
  const probs = new Float64Array(kmax - kmin + 1);
  // P(K <= kmin) = Q(kmin + 1, m); P(K >= kmax) = P(kmax, m).
  probs[0] = regularizedGammaQ(kmin + 1, m);
  for (let k = kmin + 1; k < kmax; k++) probs[k - kmin] = Math.exp(k * Math.log(m) - m - lgamma(k + 1));
  probs[kmax - kmin] = regularizedGammaP(kmax, m);
  return { kmin, kmax, probs };
}

function poissonGof(samples: ArrayLike<number>, m: number): Gof {
  const { kmin, kmax, probs } = poissonBins(m);
  const counts = new Float64Array(probs.length);
  for (let i = 0; i < samples.length; i++) {
    const k = Math.min(kmax, Math.max(kmin, samples[i]));
    counts[k - kmin]++;
  }
  return chiSquareGof(counts, probs, samples.length);
}

describe('poisson', () => {
  test.each([0.1, 3, 9.9, 10, 30, 1e3, 1e6])('mean %p: exact pmf goodness of fit and moments', (m) => {
    const rng = createRng(`dist/poisson/${m}`);
    const ks = sample(N, () => poisson(rng, m));
    for (const k of ks) if (!(Number.isInteger(k) && k >= 0)) throw new Error(`poisson(${m}) = ${k}`);
    const probs = poissonBins(m).probs;
    // k log m - m - lgamma(k + 1) loses ~ k log(m) eps (1.5e-9 at m = 1e6): enough for binning.
    expect(Math.abs(probs.reduce((s, p) => s + p, 0) - 1)).toBeLessThan(1e-8);
    expect(poissonGof(ks, m).p).toBeGreaterThan(P_FAIL);
    expectMoments(ks, m, m); // fourth central moment m + 3m^2 enters through the sample
  });

  test('power: poisson(1.05 m) samples are rejected against pmf(m), both methods', () => {
    for (const m of [3, 30]) {
      const rng = createRng(`dist/poisson-power/${m}`);
      const ks = sample(N, () => poisson(rng, 1.05 * m));
      expect(poissonGof(ks, m).p).toBeLessThan(P_FAIL);
    }
  });

  test('edge means and invalid means', () => {
    const rng = createRng('dist/poisson-edges');
    expect(poisson(rng, 0)).toBe(0);
    expect(poisson(rng, 1e-300)).toBe(0);
    const k = poisson(rng, 2 ** 52);
    expect(Number.isInteger(k) && Math.abs(k - 2 ** 52) < 20 * 2 ** 26).toBe(true);
    for (const bad of [-1, NaN, Infinity, 2 ** 53]) {
      expect(() => poisson(rng, bad)).toThrow(RangeError);
      expect(() => poisson(rng, bad)).toThrow(String(bad));
    }
  });
});

describe('bernoulli', () => {
  test('frequency matches p; p = 0 and 1 are deterministic; invalid p throws', () => {
    const rng = createRng('dist/bernoulli');
    let ones = 0;
    for (let i = 0; i < N; i++) ones += bernoulli(rng, 0.3);
    expect(Math.abs((ones - 0.3 * N) / Math.sqrt(N * 0.3 * 0.7))).toBeLessThan(Z_FAIL);
    for (let i = 0; i < 1000; i++) {
      expect(bernoulli(rng, 0)).toBe(0);
      expect(bernoulli(rng, 1)).toBe(1);
    }
    expect(() => bernoulli(rng, -0.1)).toThrow(RangeError);
    expect(() => bernoulli(rng, 1.1)).toThrow(RangeError);
    expect(() => bernoulli(rng, NaN)).toThrow(RangeError);
  });
});

describe('reproducibility', () => {
  test('samplers keep no state of their own: a restored stream replays them', () => {
    const rng = createRng('dist/replay');
    normal(rng);
    const snap = rng.getState();
    const run = (r: typeof rng) => [
      normal(r),
      truncatedNormal(r, 0, 1, 2.5),
      truncatedNormal(r, 0, 1, -3),
      poisson(r, 4),
      poisson(r, 400),
      bernoulli(r, 0.5),
      gaussian(r, 1, 2),
    ];
    const first = run(rng);
    expect(run(restoreRng(JSON.parse(JSON.stringify(snap))))).toEqual(first);
  });
});
