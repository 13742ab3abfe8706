/**
 * Goodness of fit of every sampler against the exact P(v), for every visible x hidden pair.
 *
 * Binary visibles (N = 4): the exact P(v) of all 16 states comes from enumeration.
 * Gaussian visibles (N = 2): P(v) ∝ exp(-sum U_i(v_i) + sum Gamma_mu(I_mu(v))) is integrated on
 * a fine grid (midpoint rule, step 0.02 on [-8, 8]^2, relative error far below the test's
 * resolution) and binned into 8 x 8 cells at the marginal octiles.
 *
 * Each test runs CHAINS independent chains for SWEEPS sweeps from a random start and tests the
 * final states (independent draws) with Pearson's chi-square; it fails if p < 1e-6, so a correct
 * sampler fails a given seed with probability 1e-6 (see helpers/stats.ts). Weights are small, so
 * 40 sweeps are far past the mixing time: the bias left is below 1e-6 in total variation.
 */
import {
  BlockGibbs,
  createRng,
  cumulantUnit,
  indexFromState,
  potentialUnit,
  RBM,
  sampleVisibleStates,
  sigmoid,
  softplus,
  visibleProbabilities,
  type SamplerName,
} from '../src';
import { chiSquareGof, expectFits, histogram, moments } from './helpers/stats';
import { normalizablePairs, smallRbm } from './helpers/models';

const CHAINS = 20000;
const SWEEPS = 40;

/** Exact cell probabilities and a cell index function for the visible states of a model. */
function exactCells(rbm: RBM): { probs: Float64Array; index: (v: ArrayLike<number>) => number } {
  const support = rbm.visible.support;
  if (support !== undefined) {
    return { probs: visibleProbabilities(rbm), index: (v) => indexFromState(v, support) };
  }
  return gaussianCells(rbm);
}

function gaussianCells(rbm: RBM): { probs: Float64Array; index: (v: ArrayLike<number>) => number } {
  if (rbm.numVisible !== 2) throw new Error('grid oracle is for 2 gaussian visibles');
  const lo = -8;
  const step = 0.02;
  const k = 801; // nodes lo + (g + 0.5) step, g = 0..k-1
  const logp = new Float64Array(k * k);
  let max = -Infinity;
  const v = new Float64Array(2);
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) {
      v[0] = lo + (a + 0.5) * step;
      v[1] = lo + (b + 0.5) * step;
      const lp = -rbm.freeEnergy(v);
      logp[a * k + b] = lp;
      if (lp > max) max = lp;
    }
  }
  let total = 0;
  for (let t = 0; t < logp.length; t++) total += logp[t] = Math.exp(logp[t] - max);
  for (let t = 0; t < logp.length; t++) logp[t] /= total;
  // octile edges of each marginal, on node boundaries
  const cells = 8;
  const edges: number[][] = [0, 1].map((axis) => {
    const marginal = new Float64Array(k);
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) marginal[axis === 0 ? a : b] += logp[a * k + b];
    const e: number[] = [];
    let cdf = 0;
    let next = 1;
    for (let g = 0; g < k && next < cells; g++) {
      cdf += marginal[g];
      if (cdf >= next / cells) {
        e.push(lo + (g + 1) * step);
        next++;
      }
    }
    return e;
  });
  const cellOf = (x: number, axis: number) => {
    let c = 0;
    while (c < edges[axis].length && x >= edges[axis][c]) c++;
    return c;
  };
  const probs = new Float64Array(cells * cells);
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) {
      probs[cellOf(lo + (a + 0.5) * step, 0) * cells + cellOf(lo + (b + 0.5) * step, 1)] += logp[a * k + b];
    }
  }
  return { probs, index: (x) => cellOf(x[0], 0) * cells + cellOf(x[1], 1) };
}

function check(visible: string, hidden: string, sampler: SamplerName): void {
  const n = visible === 'gaussian' ? 2 : 4;
  const rbm = smallRbm(visible, hidden, n, 3, 'gof');
  const states = sampleVisibleStates(rbm, { chains: CHAINS, sweeps: SWEEPS, rng: createRng(`gof/${visible}/${hidden}/${sampler}`), sampler });
  const { probs, index } = exactCells(rbm);
  const counts = histogram(states, n, probs.length, index);
  expectFits(chiSquareGof(counts, probs), `${sampler} on ${visible} x ${hidden}`);
}

const pairs = normalizablePairs();

describe('block Gibbs samples match the exact P(v)', () => {
  it.each(pairs.filter(([, h]) => h !== 'step'))('%s visible x %s hidden', (v, h) => check(v, h, 'gibbs'));
});

describe('visible heat-bath samples match the exact P(v)', () => {
  it.each(pairs)('%s visible x %s hidden', (v, h) => check(v, h, 'heatbath'));
});

describe('exact samples match the exact P(v)', () => {
  it.each([
    ['bernoulli', 'relu'],
    ['spin', 'poisson'],
    ['gaussian', 'bernoulli'], // hidden layer enumerated, then v | h
    ['gaussian', 'spin'],
  ])('%s visible x %s hidden', (v, h) => check(v, h, 'exact'));
});

describe('custom units work wherever a built-in does', () => {
  // Gamma-only: Gamma = softplus(x)^2 / 2, sampled on the visible marginal
  const squaredSoftplus = cumulantUnit({
    name: 'squared-softplus',
    cumulant: (x) => softplus(x) ** 2 / 2,
    activation: (x) => softplus(x) * sigmoid(x),
  });
  // from a potential: V(h) = h^4 / 4 on R, Gamma by quadrature, h | x by inverse CDF
  const quartic = potentialUnit({ name: 'quartic', potential: (h) => h ** 4 / 4, domain: 'real' });
  const withHidden = (visible: string, hidden: 'squared-softplus' | 'quartic') => {
    const base = smallRbm(visible, 'bernoulli', visible === 'gaussian' ? 2 : 4, 3, 'custom');
    const layer = hidden === 'quartic' ? quartic(3, { bias: [0.2, -0.3, 0.1] }) : squaredSoftplus(3, { bias: [0.2, -0.3, 0.1] });
    return new RBM(base.visible, layer, base.weights);
  };
  // Binary visibles only for the quartic unit: its inputs then take few distinct values and hit
  // the layer's cache. With gaussian visibles every draw needs a fresh quadrature (~100 us in
  // node, but 40x slower under jest for reasons not yet found), too slow for the suite.
  it.each([
    ['spin', 'squared-softplus', 'heatbath', CHAINS, SWEEPS],
    ['gaussian', 'squared-softplus', 'heatbath', CHAINS, SWEEPS],
    ['bernoulli', 'quartic', 'gibbs', CHAINS, SWEEPS],
    ['bernoulli', 'quartic', 'heatbath', CHAINS, SWEEPS],
  ] as const)('%s visible x %s hidden, %s', (visible, hidden, sampler, chains, sweeps) => {
    const rbm = withHidden(visible, hidden);
    const n = rbm.numVisible;
    const states = sampleVisibleStates(rbm, { chains, sweeps, rng: createRng(`custom/${visible}/${hidden}/${sampler}`), sampler });
    const { probs, index } = exactCells(rbm);
    expectFits(chiSquareGof(histogram(states, n, probs.length, index), probs), `${sampler} on ${visible} x ${hidden}`);
  });
});

describe('conditional moments of the model equal Gamma\' and Gamma\'\'', () => {
  // 20000 draws of h | v (and v | h) from one fixed state, repeated as a batch: the z-scores of
  // the sample mean and variance exceed 5.3 with probability 1.2e-7 each under a correct sampler.
  const draws = 20000;
  const zOf = (xs: Float64Array, mean: number, variance: number) => {
    const s = moments(xs);
    if (variance < 1e-12) {
      // a unit pinned by a huge input: every draw must be its mean
      return [Math.abs(s.mean - mean) < 1e-9 ? 0 : Infinity, s.variance < 1e-9 ? 0 : Infinity];
    }
    return [(s.mean - mean) / Math.sqrt(variance / xs.length), (s.variance - variance) / Math.sqrt((s.m4 - variance * variance) / xs.length)];
  };
  it.each(pairs.filter(([, h]) => h !== 'step'))('%s visible x %s hidden', (visible, hidden) => {
    const n = visible === 'gaussian' ? 2 : 4;
    const m = 3;
    const rbm = smallRbm(visible, hidden, n, m, 'moments');
    const rng = createRng(`moments/${visible}/${hidden}`);
    const v0 = Float64Array.from({ length: n }, (_, i) => (rbm.visible.support ? rbm.visible.support[i % 2] : 0.7 - 0.5 * i));
    const vBatch = new Float64Array(draws * n);
    for (let d = 0; d < draws; d++) vBatch.set(v0, d * n);
    const h = rbm.sampleHidden(vBatch, draws, rng);
    const hMean = rbm.hiddenMean(v0);
    const hVar = rbm.hiddenVariance(v0);
    for (let mu = 0; mu < m; mu++) {
      const column = Float64Array.from({ length: draws }, (_, d) => h[d * m + mu]);
      for (const z of zOf(column, hMean[mu], hVar[mu])) expect(Math.abs(z)).toBeLessThan(5.3);
    }
    // and v | h at a moderate hidden state (the conditional mean, so no unit is pinned),
    // against the visible units' own Gamma' and Gamma''
    const h0 = hMean;
    const hBatch = new Float64Array(draws * m);
    for (let d = 0; d < draws; d++) hBatch.set(h0, d * m);
    const v = rbm.sampleVisible(hBatch, draws, rng);
    const inputs = rbm.visibleInputs(h0);
    for (let i = 0; i < n; i++) {
      const column = Float64Array.from({ length: draws }, (_, d) => v[d * n + i]);
      for (const z of zOf(column, rbm.visible.mean(i, inputs[i]), rbm.visible.variance(i, inputs[i]))) expect(Math.abs(z)).toBeLessThan(5.3);
    }
  });
});

describe('block Gibbs in float32 storage', () => {
  it.each([
    ['bernoulli', 'relu'],
    ['gaussian', 'gaussian'],
  ])('matches the exact P(v) (%s visible x %s hidden)', (visible, hidden) => {
    const n = visible === 'gaussian' ? 2 : 4;
    const rbm = smallRbm(visible, hidden, n, 3, 'gof');
    const chain = new BlockGibbs(rbm, { chains: CHAINS, rng: createRng(`float32/${visible}/${hidden}`), precision: 'float32' });
    chain.sweep(SWEEPS);
    expect(chain.visibleState).toBeInstanceOf(Float32Array);
    const { probs, index } = exactCells(rbm);
    expectFits(chiSquareGof(histogram(chain.visibleState, n, probs.length, index), probs), `float32 gibbs on ${visible} x ${hidden}`);
  });
});

describe('the goodness-of-fit test has power', () => {
  it.each([
    ['bernoulli', 'relu'],
    ['gaussian', 'drelu'],
  ])('rejects %s x %s samples against a model with scaled-up weights (x1.25 binary, x2 gaussian)', (visible, hidden) => {
    const n = visible === 'gaussian' ? 2 : 4;
    const rbm = smallRbm(visible, hidden, n, 3, 'gof');
    const wrong = smallRbm(visible, hidden, n, 3, 'gof');
    for (let k = 0; k < wrong.weights.length; k++) wrong.weights[k] *= visible === 'gaussian' ? 2 : 1.25;
    const states = sampleVisibleStates(rbm, { chains: CHAINS, sweeps: SWEEPS, rng: createRng('power'), sampler: 'gibbs' });
    const { probs, index } = exactCells(wrong);
    const result = chiSquareGof(histogram(states, n, probs.length, index), probs);
    expect(result.pValue).toBeLessThan(1e-6);
  });
});

describe('sampling is reproducible', () => {
  it.each(['gibbs', 'heatbath', 'exact'] as SamplerName[])('%s: same seed, same bits; other seed, other states', (sampler) => {
    const rbm = smallRbm('bernoulli', 'bernoulli', 5, 3, 'repro');
    const run = (seed: number) => sampleVisibleStates(rbm, { chains: 50, sweeps: 7, rng: createRng(seed), sampler });
    expect(run(0)).toEqual(run(0));
    expect(run(0)).not.toEqual(run(1));
  });
});
