/**
 * Units given by their potential V(h) alone (src/units/potential.ts): Gamma, Gamma', Gamma''
 * by quadrature (or summation) must reproduce the closed forms of the built-in units, be
 * consistent with their own finite differences, and h | x drawn by inverse CDF must follow the
 * exact distribution.
 *
 * Sampling tests are chi-square goodness-of-fit tests on seeded draws (so each is deterministic);
 * each would reject a correct sampler with probability 1e-6 over random seeds (threshold
 * p < 1e-6), about 5e-6 for the whole file. Each is paired with a power check: the same test
 * rejects draws from a slightly shifted distribution.
 */
import { chiSquareSurvival, lgamma, normalCdf } from '../src/math/special';
import { createRng, type Rng } from '../src/random/rng';
import { BernoulliLayer, GaussianLayer, PoissonLayer, ReluLayer, SpinLayer } from '../src/units/builtin';
import { PotentialLayer, potentialUnit } from '../src/units/potential';
import type { UnitLayer } from '../src/units/unit';

const LOG_2PI = Math.log(2 * Math.PI);
const P_THRESHOLD = 1e-6;

/** |a - b| <= tol * max(1, |b|), with a message naming what is compared. */
function expectClose(a: number, b: number, tol: number, what: string): void {
  const err = Math.abs(a - b) / Math.max(1, Math.abs(b));
  if (!(err <= tol)) throw new Error(`${what}: got ${a}, expected ${b} (scaled error ${err.toExponential(2)} > ${tol})`);
}

/** Cumulant, mean and variance of `unit` agree with `reference` (unit 0 of both) at each input. */
function expectSameMoments(unit: UnitLayer, reference: UnitLayer, inputs: number[], tol: number, label: string): void {
  for (const x of inputs) {
    expectClose(unit.cumulant(0, x), reference.cumulant(0, x), tol, `${label} Gamma(${x})`);
    expectClose(unit.mean(0, x), reference.mean(0, x), tol, `${label} Gamma'(${x})`);
    expectClose(unit.variance(0, x), reference.variance(0, x), tol, `${label} Gamma''(${x})`);
  }
}

const gaussianSpec = { name: 'quadratic', potential: (h: number) => 0.5 * h * h, domain: 'real' as const };
const quadratic = potentialUnit(gaussianSpec);
const halfQuadratic = potentialUnit({ name: 'halfquadratic', potential: (h) => 0.5 * h * h, domain: 'nonnegative' });
const quarticSpec = { name: 'quartic', potential: (h: number) => (h * h * h * h) / 4, domain: 'real' as const };
const quartic = potentialUnit(quarticSpec);
const laplace = potentialUnit({ name: 'laplace', potential: (h) => Math.abs(h), domain: 'real' });
const poissonLike = potentialUnit({ name: 'poissonlike', potential: (h) => lgamma(h + 1), domain: { integers: [0, Infinity] } });

const INPUTS = [-30, -3, 0, 0.7, 5, 30];

describe('closed forms of the built-in units', () => {
  test('V = h^2/2 on the real line is the gaussian unit (gamma 1), with and without bias', () => {
    for (const bias of [0, 1.3, -2.5]) {
      expectSameMoments(quadratic(1, { bias: [bias] }), new GaussianLayer(1, { bias: [bias] }), INPUTS, 1e-10, `gaussian bias ${bias}`);
    }
  });

  test('V = h^2/2 on h >= 0 is the relu unit; V = 2.5 h^2/2 is relu with gamma 2.5', () => {
    for (const bias of [0, 0.8, -1.7]) {
      expectSameMoments(halfQuadratic(1, { bias: [bias] }), new ReluLayer(1, { bias: [bias] }), INPUTS, 1e-10, `relu bias ${bias}`);
    }
    const gamma = 2.5;
    const stiff = potentialUnit({ name: 'stiff', potential: (h) => (gamma * h * h) / 2, domain: 'nonnegative' });
    expectSameMoments(stiff(1, { bias: [0.4] }), new ReluLayer(1, { bias: [0.4], gamma: [gamma] }), INPUTS, 1e-10, 'relu gamma 2.5');
  });

  test('V = 0 on {0, 1} is the bernoulli unit', () => {
    const unit = potentialUnit({ name: 'bits', potential: () => 0, domain: { integers: [0, 1] } })(1, { bias: [0.3] });
    expect(unit.support).toEqual([0, 1]);
    expectSameMoments(unit, new BernoulliLayer(1, { bias: [0.3] }), INPUTS, 1e-12, 'bernoulli');
  });

  test('V = +Infinity at 0 on {-1, 0, 1} is the spin unit', () => {
    const unit = potentialUnit({ name: 'spins', potential: (h) => (h === 0 ? Infinity : 0), domain: { integers: [-1, 1] } })(1, {
      bias: [-0.6],
    });
    expect(unit.support).toEqual([-1, 1]);
    expectSameMoments(unit, new SpinLayer(1, { bias: [-0.6] }), INPUTS, 1e-12, 'spin');
  });

  test('V = log h! on {0, 1, ...} is the poisson unit (Gamma = e^x)', () => {
    const unit = poissonLike(1);
    expect(unit.support).toBeUndefined();
    expectSameMoments(unit, new PoissonLayer(1), [-5, 0, 2, 5], 1e-10, 'poisson');
    expectSameMoments(poissonLike(1, { bias: [1.5] }), new PoissonLayer(1, { bias: [1.5] }), [-5, 0, 2], 1e-10, 'poisson bias');
  });

  test('V = |h| (a kink at the mode, no curvature): Gamma = log(2 / (1 - x^2))', () => {
    const unit = laplace(1);
    for (const x of [-0.95, -0.5, 0, 0.3, 0.9]) {
      const d = 1 - x * x;
      expectClose(unit.cumulant(0, x), Math.log(2 / d), 1e-12, `laplace Gamma(${x})`);
      expectClose(unit.mean(0, x), (2 * x) / d, 1e-10, `laplace Gamma'(${x})`);
      expectClose(unit.variance(0, x), (2 * (1 + x * x)) / (d * d), 1e-10, `laplace Gamma''(${x})`);
    }
  });

  test('V = 0 on the interval [0, 1]: Gamma = log((e^x - 1) / x)', () => {
    const unit = potentialUnit({ name: 'uniform', potential: () => 0, domain: [0, 1] })(1);
    expectClose(unit.cumulant(0, 0), 0, 1e-12, 'uniform Gamma(0)');
    expectClose(unit.mean(0, 0), 0.5, 1e-12, 'uniform mean(0)');
    expectClose(unit.variance(0, 0), 1 / 12, 1e-12, 'uniform variance(0)');
    for (const x of [-40, -2, 0.5, 3, 40]) {
      expectClose(unit.cumulant(0, x), Math.log(Math.expm1(x) / x), 1e-12, `uniform Gamma(${x})`);
      expectClose(unit.mean(0, x), 1 / -Math.expm1(-x) - 1 / x, 1e-10, `uniform Gamma'(${x})`);
    }
  });

  test('finite and accurate at |x| = 1e4 (V = h^2/2: Gamma = x^2/2 + log(2 pi)/2)', () => {
    const unit = quadratic(1);
    for (const x of [-1e4, 1e4, -50, 50]) {
      const gamma = unit.cumulant(0, x);
      expect(Number.isFinite(gamma)).toBe(true);
      expectClose(gamma, (x * x) / 2 + LOG_2PI / 2, 1e-13, `Gamma(${x})`);
      expectClose(unit.mean(0, x), x, 1e-12, `Gamma'(${x})`);
      expectClose(unit.variance(0, x), 1, 1e-8, `Gamma''(${x})`);
    }
    // other shapes stay finite there too
    for (const u of [halfQuadratic(1), quartic(1)]) {
      for (const x of [-1e4, 1e4]) {
        for (const v of [u.cumulant(0, x), u.mean(0, x), u.variance(0, x)]) expect(Number.isFinite(v)).toBe(true);
      }
    }
    // relu: Gamma and mean to 1e-9; the variance to 1e-8 (the rounding of g(h) - g(mode), two
    // numbers of size 5e7, limits the quadrature's relative accuracy there to about 1e-8)
    const relu = new ReluLayer(1);
    const unitR = halfQuadratic(1);
    for (const x of [-1e4, 1e4]) {
      expectClose(unitR.cumulant(0, x), relu.cumulant(0, x), 1e-9, `relu Gamma(${x})`);
      expectClose(unitR.mean(0, x), relu.mean(0, x), 1e-9, `relu Gamma'(${x})`);
      expectClose(unitR.variance(0, x), relu.variance(0, x), 1e-8, `relu Gamma''(${x})`);
    }
  });
});

describe('derivatives', () => {
  /** Central differences of Gamma and Gamma' against Gamma' and Gamma''. */
  function checkDerivatives(unit: UnitLayer, inputs: number[], label: string): void {
    const step = 1e-4;
    for (const x of inputs) {
      const dGamma = (unit.cumulant(0, x + step) - unit.cumulant(0, x - step)) / (2 * step);
      const dMean = (unit.mean(0, x + step) - unit.mean(0, x - step)) / (2 * step);
      expectClose(unit.mean(0, x), dGamma, 1e-7, `${label}: Gamma'(${x}) vs difference of Gamma`);
      expectClose(unit.variance(0, x), dMean, 1e-7, `${label}: Gamma''(${x}) vs difference of Gamma'`);
    }
  }
  test("Gamma' and Gamma'' are the derivatives of Gamma and Gamma'", () => {
    checkDerivatives(quartic(1), [-8, -1.5, 0, 0.4, 3, 20], 'quartic');
    checkDerivatives(halfQuadratic(1, { bias: [0.2] }), [-10, -1, 0, 2.5], 'half-gaussian');
    checkDerivatives(laplace(1), [-0.6, -0.2, 0.45], 'laplace');
    const cosh = potentialUnit({ name: 'logcosh', potential: (h) => 2 * (Math.abs(h) + Math.log1p(Math.exp(-2 * Math.abs(h)))), domain: 'real' });
    checkDerivatives(cosh(1), [-1.5, 0, 0.9], 'log cosh');
    checkDerivatives(poissonLike(1), [-3, 0.5, 2], 'poisson-like');
  });
});

describe('layer plumbing', () => {
  test('potential, gradients, parameters, input shift, caching', () => {
    const layer = halfQuadratic(2, { bias: [0.5, -1] });
    expect(layer).toBeInstanceOf(PotentialLayer);
    expect(layer.type).toBe('halfquadratic');
    expect(layer.canSample).toBe(true);
    expect(layer.hasPotential).toBe(true);
    expect(layer.support).toBeUndefined();
    expect(layer.potential(0, 2)).toBeCloseTo(2 - 0.5 * 2, 14);
    expect(layer.potential(1, 2)).toBeCloseTo(2 + 2, 14);
    expect(layer.potential(0, -1)).toBe(Infinity);

    const grads = { bias: new Float64Array(2) };
    layer.addCumulantGrad(1, 0.7, 3, grads);
    expect(grads.bias[1]).toBeCloseTo(3 * layer.mean(1, 0.7), 14);
    layer.addPotentialGrad(0, 1.5, 2, grads);
    expect(grads.bias[0]).toBeCloseTo(-3, 14);

    const copy = layer.withParams({ bias: Float64Array.from([0.1, 0.2]) });
    expect(copy.type).toBe('halfquadratic');
    expect(copy.cumulant(1, 0.3)).toBeCloseTo(layer.cumulant(0, 0), 12); // both at x = 0.5
    const shifted = layer.withInputShift([1, 2]);
    expect(shifted.cumulant(0, 0.3)).toBeCloseTo(layer.cumulant(0, 1.3), 12);
    expect(shifted.cumulant(1, 0.3)).toBeCloseTo(layer.cumulant(1, 2.3), 12);
    expect(layer.paramsToJSON()).toEqual({ bias: [0.5, -1] });

    // the cache is keyed on x = input + bias, so mutating the bias is seen
    const before = layer.cumulant(0, 0.2);
    layer.params.bias[0] = 1.5;
    expect(layer.cumulant(0, 0.2)).not.toBe(before);
    expect(layer.cumulant(0, 0.2)).toBeCloseTo(new ReluLayer(1, { bias: [1.5] }).cumulant(0, 0.2), 12);

    const discrete = poissonLike(1, { bias: [0.5] });
    expect(discrete.potential(0, 3)).toBeCloseTo(Math.log(6) - 1.5, 14);
    expect(discrete.potential(0, 2.5)).toBe(Infinity);
    expect(discrete.potential(0, -1)).toBe(Infinity);
  });

  test('non-normalizable densities give Gamma = +Infinity (never NaN) and refuse to sample', () => {
    const flat = potentialUnit({ name: 'flat', potential: () => 0, domain: 'real' })(1);
    expect(flat.cumulant(0, 0)).toBe(Infinity);
    expect(laplace(1).cumulant(0, 1.5)).toBe(Infinity);
    expect(laplace(1).mean(0, 1.5)).toBe(Infinity);
    expect(laplace(1).cumulant(0, -1.5)).toBe(Infinity);
    expect(() => flat.sample(0, 0, createRng(1))).toThrow(/not a proper distribution/);
  });

  test('spec validation', () => {
    expect(() => potentialUnit({ name: 'bad', potential: () => 0, domain: [1, 0] })).toThrow(RangeError);
    expect(() => potentialUnit({ name: 'bad', potential: () => 0, domain: { integers: [0.5, 3] } })).toThrow(RangeError);
    expect(() => potentialUnit({ name: 'bad', potential: () => Infinity, domain: { integers: [0, 3] } })).toThrow(RangeError);
  });
});

// ------------------------------------------------------------------------------------------
// Sampling

/** Chi-square statistic and p-value of bin counts against bin probabilities (summing to 1). */
function chiSquare(counts: number[], probs: number[]): { stat: number; p: number } {
  const n = counts.reduce((a, b) => a + b, 0);
  let stat = 0;
  for (let i = 0; i < counts.length; i++) {
    const e = n * probs[i];
    stat += ((counts[i] - e) * (counts[i] - e)) / e;
  }
  return { stat, p: chiSquareSurvival(stat, counts.length - 1) };
}

/** Bin counts of draws for bins (-inf, e0], (e0, e1], ..., (e_last, inf). */
function binCounts(draws: Float64Array, edges: number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const d of draws) {
    let i = 0;
    while (i < edges.length && d > edges[i]) i++;
    counts[i]++;
  }
  return counts;
}

function drawMany(unit: UnitLayer, input: number, n: number, seed: number): Float64Array {
  const rng = createRng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = unit.sample(0, input, rng);
  return out;
}

/** Edges giving `bins` equal-probability bins of a continuous CDF (by bisection). */
function quantileEdges(cdf: (h: number) => number, bins: number, lo: number, hi: number): number[] {
  const edges: number[] = [];
  for (let b = 1; b < bins; b++) {
    let a = lo, c = hi;
    for (let it = 0; it < 200; it++) {
      const mid = 0.5 * (a + c);
      if (cdf(mid) < b / bins) a = mid;
      else c = mid;
    }
    edges.push(0.5 * (a + c));
  }
  return edges;
}

/** Bin probabilities of a continuous CDF for the given edges. */
function binProbs(cdf: (h: number) => number, edges: number[]): number[] {
  const cuts = [0, ...edges.map(cdf), 1];
  return cuts.slice(1).map((c, i) => c - cuts[i]);
}

const N_DRAWS = 20000;
/** Draws for the power checks: the shifted distributions below are rejected with p < 1e-9. */
const N_POWER = 10000;
const BINS = 20;

describe('sampling by inverse CDF', () => {
  test('the draw for a given uniform u is the u-quantile (V = h^2/2, h >= 0 and on the real line)', () => {
    for (const u of [1e-12, 1e-6, 0.01, 0.2, 0.5, 0.77, 0.99, 1 - 1e-9]) {
      const fixed = { uniform: () => u } as unknown as Rng;
      const h = quadratic(1).sample(0, 0.8, fixed);
      expectClose(normalCdf(h - 0.8), u, 1e-11 * Math.max(1, 1 / u), `Normal quantile of ${u}`);
      // half-gaussian at x = -1: CDF (Phi(h + 1) - Phi(1)) / Q(1), compared through survivals
      const hr = halfQuadratic(1).sample(0, -1, fixed);
      const surv = normalCdf(-(hr + 1)) / normalCdf(-1);
      expectClose(1 - surv, u, 1e-11 * Math.max(1, 1 / u), `half-normal quantile of ${u}`);
    }
  });

  test('V = h^2/2: draws are Normal(x, 1) (chi-square on 20 normal-quantile bins)', () => {
    const unit = quadratic(1, { bias: [0.5] });
    const x = 0.8; // input 0.3 + bias 0.5
    const cdf = (h: number) => normalCdf(h - x);
    const edges = quantileEdges(cdf, BINS, x - 40, x + 40);
    const probs = binProbs(cdf, edges);
    const fit = chiSquare(binCounts(drawMany(unit, 0.3, N_DRAWS, 11), edges), probs);
    expect(fit.p).toBeGreaterThan(P_THRESHOLD);
    // power: draws at a field shifted by 0.1 (a tenth of a standard deviation) are rejected
    const shifted = chiSquare(binCounts(drawMany(unit, 0.4, N_POWER, 12), edges), probs);
    expect(shifted.p).toBeLessThan(P_THRESHOLD);
  });

  test('V = h^4/4: draws follow exp(-h^4/4 + x h) (CDF by an independent trapezoid rule)', () => {
    const x = 1;
    // reference CDF on a fine grid over [-6, 6] (the density is below e^-300 outside)
    const lo = -6, hi = 6, n = 120000, dh = (hi - lo) / n;
    const cum = new Float64Array(n + 1);
    const dens = (h: number) => Math.exp(-(h ** 4) / 4 + x * h);
    for (let i = 1; i <= n; i++) cum[i] = cum[i - 1] + 0.5 * dh * (dens(lo + (i - 1) * dh) + dens(lo + i * dh));
    const total = cum[n];
    const cdf = (h: number) => {
      if (h <= lo) return 0;
      if (h >= hi) return 1;
      const f = (h - lo) / dh;
      const i = Math.min(n - 1, Math.floor(f));
      return (cum[i] + (f - i) * (cum[i + 1] - cum[i])) / total;
    };
    const unit = quartic(1);
    // the quadrature and the trapezoid rule agree on the normalization
    expectClose(quartic(1).cumulant(0, x), Math.log(total), 1e-8, 'quartic Gamma vs trapezoid');
    const edges = quantileEdges(cdf, BINS, lo, hi);
    const probs = binProbs(cdf, edges);
    const fit = chiSquare(binCounts(drawMany(unit, x, N_DRAWS, 21), edges), probs);
    expect(fit.p).toBeGreaterThan(P_THRESHOLD);
    const shifted = chiSquare(binCounts(drawMany(unit, x + 0.15, N_POWER, 22), edges), probs);
    expect(shifted.p).toBeLessThan(P_THRESHOLD);
  });

  test('V = h^2/2 on h >= 0 with the mode at the boundary: draws are a truncated normal', () => {
    const x = -1;
    const z0 = normalCdf(-x);
    const cdf = (h: number) => (h <= 0 ? 0 : (normalCdf(h - x) - normalCdf(-x)) / (1 - z0));
    const unit = halfQuadratic(1);
    const edges = quantileEdges(cdf, BINS, 0, 40);
    const probs = binProbs(cdf, edges);
    const draws = drawMany(unit, x, N_DRAWS, 31);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(chiSquare(binCounts(draws, edges), probs).p).toBeGreaterThan(P_THRESHOLD);
    expect(chiSquare(binCounts(drawMany(unit, x + 0.3, N_POWER, 32), edges), probs).p).toBeLessThan(P_THRESHOLD);
  });

  test('V = log h!: draws are Poisson(e^x); V = 0 on {-1, 0, 1} with a hole: draws are spins', () => {
    const x = 1.2;
    const lambda = Math.exp(x);
    const maxK = 9; // bins 0..8 and >= 9
    const pmf = (k: number) => Math.exp(k * x - lambda - lgamma(k + 1));
    const probs: number[] = [];
    for (let k = 0; k < maxK; k++) probs.push(pmf(k));
    probs.push(1 - probs.reduce((a, b) => a + b, 0));
    const counts = (draws: Float64Array) => {
      const c = new Array<number>(maxK + 1).fill(0);
      for (const d of draws) {
        if (!(Number.isInteger(d) && d >= 0)) throw new Error(`draw ${d} is not a count`);
        c[Math.min(d, maxK)]++;
      }
      return c;
    };
    const unit = poissonLike(1);
    expect(chiSquare(counts(drawMany(unit, x, N_DRAWS, 41)), probs).p).toBeGreaterThan(P_THRESHOLD);
    expect(chiSquare(counts(drawMany(unit, x + 0.1, N_POWER, 42)), probs).p).toBeLessThan(P_THRESHOLD);

    const spins = potentialUnit({ name: 'spins', potential: (h) => (h === 0 ? Infinity : 0), domain: { integers: [-1, 1] } })(1);
    const draws = drawMany(spins, 0.4, N_DRAWS, 43);
    const up = draws.filter((d) => d === 1).length;
    expect(up + draws.filter((d) => d === -1).length).toBe(N_DRAWS);
    const pUp = 1 / (1 + Math.exp(-0.8));
    expect(chiSquare([up, N_DRAWS - up], [pUp, 1 - pUp]).p).toBeGreaterThan(P_THRESHOLD);
  });
});
