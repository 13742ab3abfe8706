/**
 * The exact oracles against brute force and closed forms: log Z against the double sum/integral
 * of exp(-E(v, h)); F(v) against -log of the sum/integral over h of exp(-E(v, h)); the exact
 * gradient against finite differences of the exact log-likelihood; W = 0 against the factorized
 * model; encodings and the Hopfield mapping state by state.
 */
import {
  bernoulliToSpinVisible,
  createLayer,
  createRng,
  cumulantUnit,
  exactGradient,
  exactLogLikelihood,
  exactLogZ,
  hopfieldToRbm,
  logSumExp,
  normal,
  normalCdf,
  normalPdf,
  RBM,
  sigmoid,
  softplus,
  spinToBernoulliVisible,
  stateFromIndex,
  visibleLogProbabilities,
  visibleProbabilities,
} from '../src';
import { expectClose } from './helpers/stats';
import { normalizablePairs, smallRbm } from './helpers/models';

const HIDDEN = ['bernoulli', 'spin', 'gaussian', 'relu', 'drelu', 'poisson', 'step'];

/**
 * Nodes and weights over which to sum or integrate one hidden unit of each type with a potential:
 * the support itself for discrete units; composite Simpson (step 0.02, error O(step^4) ~ 1e-9
 * relative) on [-14, 0] and [0, 14] for continuous ones, so the kink of relu/drelu at 0 is a node.
 */
function hiddenGrid(type: string): { points: number[]; weights: number[] } {
  const ones = (points: number[]) => ({ points, weights: points.map(() => 1) });
  if (type === 'bernoulli') return ones([0, 1]);
  if (type === 'spin') return ones([-1, 1]);
  if (type === 'poisson') return ones(Array.from({ length: 120 }, (_, k) => k));
  const points: number[] = [];
  const weights: number[] = [];
  const step = 0.02;
  const intervals = 700; // 14 / step, even
  for (const [a, sign] of type === 'relu' ? [[0, 1]] : [[0, 1], [0, -1]]) {
    for (let k = 0; k <= intervals; k++) {
      points.push(a + sign * k * step);
      weights.push(((k === 0 || k === intervals ? 1 : k % 2 === 1 ? 4 : 2) * step) / 3);
    }
  }
  return { points, weights };
}

describe('free energy', () => {
  it.each(HIDDEN.filter((h) => h !== 'step'))('F(v) = -log sum/integral over h of exp(-E(v, h)), %s hidden', (hidden) => {
    // M = 2 hidden units: the double sum/integral over (h1, h2) uses the joint energy directly
    const rbm = smallRbm('bernoulli', hidden, 3, 2, 'free-energy');
    const { points, weights } = hiddenGrid(hidden);
    const logw = weights.map(Math.log);
    const h = new Float64Array(2);
    for (const v of [[0, 0, 0], [1, 0, 1], [1, 1, 1]]) {
      const terms: number[] = [];
      for (let a = 0; a < points.length; a++) {
        for (let b = 0; b < points.length; b++) {
          h[0] = points[a];
          h[1] = points[b];
          terms.push(-rbm.energy(v, h) + logw[a] + logw[b]);
        }
      }
      expectClose(rbm.freeEnergy(v), -logSumExp(terms), 1e-8, 1e-10, `F(${v})`);
    }
  });
});

describe('exact log Z', () => {
  it('equals the brute-force double sum over (v, h), whichever layer is enumerated', () => {
    const rbm = smallRbm('spin', 'bernoulli', 5, 4, 'logz');
    const terms: number[] = [];
    const v = new Float64Array(5);
    const h = new Float64Array(4);
    for (let a = 0; a < 32; a++) {
      stateFromIndex(a, 5, [-1, 1], v);
      for (let b = 0; b < 16; b++) terms.push(-rbm.energy(v, stateFromIndex(b, 4, [0, 1], h)));
    }
    const brute = logSumExp(terms);
    const viaHidden = exactLogZ(rbm);
    expect(viaHidden.enumerated).toBe('hidden');
    expectClose(viaHidden.logZ, brute, 1e-13);
    // the visible route: normalization of P(v) over the 2^5 visible states
    const logp = visibleLogProbabilities(rbm);
    expectClose(logSumExp(logp), 0, 0, 1e-13);
    expectClose(-rbm.freeEnergy(v.fill(1)) - logp[31], brute, 1e-13);
  });

  it('enumerates the hidden layer of a gaussian-visible model (checked by 2-D quadrature)', () => {
    const rbm = smallRbm('gaussian', 'spin', 2, 3, 'logz-gauss');
    const { logZ, enumerated } = exactLogZ(rbm);
    expect(enumerated).toBe('hidden');
    const step = 0.02;
    const terms: number[] = [];
    for (let a = -8 + step / 2; a < 8; a += step) for (let b = -8 + step / 2; b < 8; b += step) terms.push(-rbm.freeEnergy([a, b]));
    expectClose(logZ, logSumExp(terms) + 2 * Math.log(step), 1e-9);
  });

  it('is refused with a clear message when no layer can be enumerated', () => {
    const big = new RBM(createLayer('bernoulli', 30, {}, 'visible'), createLayer('relu', 3), new Float64Array(90));
    expect(() => exactLogZ(big)).toThrow(/at most 24 units; this model has 30 bernoulli visible and 3 relu hidden/);
  });
});

describe('W = 0 gives the factorized model', () => {
  it.each(HIDDEN)('%s hidden units', (hidden) => {
    const rbm = smallRbm('bernoulli', hidden, 3, 2, 'w0');
    rbm.weights.fill(0);
    const a = rbm.visible.params.bias;
    // P(v) = prod_i sigmoid(a_i)^{v_i} sigmoid(-a_i)^{1 - v_i}
    const p = visibleProbabilities(rbm);
    for (let s = 0; s < 8; s++) {
      let q = 1;
      for (let i = 0; i < 3; i++) q *= (s >> i) & 1 ? sigmoid(a[i]) : sigmoid(-a[i]);
      expectClose(p[s], q, 1e-13);
    }
    // log Z = sum_i softplus(a_i) + sum_mu Gamma_mu(0)
    let logZ = 0;
    for (let i = 0; i < 3; i++) logZ += softplus(a[i]);
    for (let mu = 0; mu < 2; mu++) logZ += rbm.hidden.cumulant(mu, 0);
    expectClose(exactLogZ(rbm).logZ, logZ, 1e-13);
    // the conditional mean of h is its analytic value at x = its own bias, whatever v is
    const mean = rbm.hiddenMean(Float64Array.of(1, 0, 1, 0, 1, 1), 2);
    const params = rbm.hidden.params;
    for (let mu = 0; mu < 2; mu++) {
      const analytic = analyticMean(hidden, params, mu);
      expectClose(mean[mu], analytic, 1e-12, 1e-14, `E[h_${mu}]`);
      expectClose(mean[2 + mu], analytic, 1e-12, 1e-14, `E[h_${mu}] (second row)`);
    }
  });
});

/** Closed-form E[h] at zero input, written from the textbook formulas. */
function analyticMean(type: string, p: Record<string, Float64Array>, mu: number): number {
  const relu = (x: number, g: number) => {
    const z = x / Math.sqrt(g);
    return x / g + normalPdf(z) / (Math.sqrt(g) * normalCdf(z));
  };
  switch (type) {
    case 'bernoulli':
      return 1 / (1 + Math.exp(-p.bias[mu]));
    case 'spin':
      return Math.tanh(p.bias[mu]);
    case 'gaussian':
      return p.bias[mu] / p.gamma[mu];
    case 'relu':
      return relu(p.bias[mu], p.gamma[mu]);
    case 'drelu': {
      // weights of the two halves: Z+- = sqrt(2 pi / g) exp(x^2 / 2g) Phi(+-x / sqrt g)
      const half = (x: number, g: number) => Math.sqrt((2 * Math.PI) / g) * Math.exp((x * x) / (2 * g)) * normalCdf(x / Math.sqrt(g));
      const zp = half(p.biasPlus[mu], p.gammaPlus[mu]);
      const zm = half(-p.biasMinus[mu], p.gammaMinus[mu]);
      return (zp * relu(p.biasPlus[mu], p.gammaPlus[mu]) - zm * relu(-p.biasMinus[mu], p.gammaMinus[mu])) / (zp + zm);
    }
    case 'poisson':
      return Math.exp(p.bias[mu]);
    case 'step':
      return p.bias[mu] > 0 ? 1 : 0;
    default:
      throw new Error(type);
  }
}

describe('exact gradient matches finite differences of the exact log-likelihood', () => {
  const enumerable = normalizablePairs().filter(([v, h]) => v !== 'gaussian' || h === 'bernoulli' || h === 'spin');
  it.each(enumerable)('%s visible x %s hidden', (visible, hidden) => {
    const n = visible === 'gaussian' ? 2 : 4;
    const rbm = smallRbm(visible, hidden, n, 3, 'grad');
    const rng = createRng('grad-data');
    const batch = 7;
    const support = rbm.visible.support;
    const data = Float64Array.from({ length: batch * n }, () => (support ? support[rng.int(2)] : normal(rng)));
    const { logLikelihood, gradient } = exactGradient(rbm, data, batch);
    expectClose(logLikelihood, exactLogLikelihood(rbm, data, batch), 1e-12);
    const d = 1e-5;
    const fd = (arr: Float64Array, k: number) => {
      const saved = arr[k];
      arr[k] = saved + d;
      const up = exactLogLikelihood(rbm, data, batch);
      arr[k] = saved - d;
      const down = exactLogLikelihood(rbm, data, batch);
      arr[k] = saved;
      return (up - down) / (2 * d);
    };
    for (let k = 0; k < rbm.weights.length; k++) expectClose(gradient.weights[k], fd(rbm.weights, k), 1e-6, 1e-8, `dL/dW[${k}]`);
    for (const [name, values] of Object.entries(rbm.visible.params)) {
      for (let k = 0; k < values.length; k++) expectClose(gradient.visible[name][k], fd(values, k), 1e-6, 1e-8, `dL/dvisible.${name}[${k}]`);
    }
    for (const [name, values] of Object.entries(rbm.hidden.params)) {
      for (let k = 0; k < values.length; k++) expectClose(gradient.hidden[name][k], fd(values, k), 1e-6, 1e-8, `dL/dhidden.${name}[${k}]`);
    }
  });

  it('takes the hidden route when the hidden layer is the smaller binary one', () => {
    const rbm = smallRbm('bernoulli', 'spin', 6, 2, 'grad-hidden');
    expect(exactLogZ(rbm).enumerated).toBe('hidden');
    const data = Float64Array.from({ length: 18 }, (_, k) => (k * 7) % 3 === 0 ? 1 : 0);
    const viaHidden = exactGradient(rbm, data, 3);
    const viaVisible = exactGradient(rbm, data, 3, { enumerate: 'visible' });
    expectClose(viaVisible.logLikelihood, viaHidden.logLikelihood, 1e-13);
    const grads = (g: typeof viaHidden.gradient) => [g.weights, g.visible.bias, g.hidden.bias];
    grads(viaVisible.gradient).forEach((arr, a) =>
      arr.forEach((x, k) => expectClose(x, grads(viaHidden.gradient)[a][k], 1e-12, 1e-14, `component ${a}/${k}`)),
    );
    const d = 1e-5;
    const k = 5;
    const saved = rbm.weights[k];
    rbm.weights[k] = saved + d;
    const up = exactLogLikelihood(rbm, data, 3);
    rbm.weights[k] = saved - d;
    const down = exactLogLikelihood(rbm, data, 3);
    rbm.weights[k] = saved;
    expectClose(viaHidden.gradient.weights[k], (up - down) / (2 * d), 1e-6, 1e-9);
  });
});

describe('spin <-> bernoulli visible encodings', () => {
  const sq = cumulantUnit({ name: 'sqsoftplus', cumulant: (x) => softplus(x) ** 2 / 2, activation: (x) => softplus(x) * sigmoid(x) });
  it.each([...HIDDEN, 'custom'])('preserve P(v) state by state (%s hidden)', (hidden) => {
    let rbm = smallRbm('spin', hidden === 'custom' ? 'bernoulli' : hidden, 5, 3, 'encoding');
    if (hidden === 'custom') rbm = new RBM(rbm.visible, sq(3, { bias: [0.1, -0.2, 0.3] }), rbm.weights);
    const b = spinToBernoulliVisible(rbm);
    expect(b.visible.type).toBe('bernoulli');
    const ps = visibleProbabilities(rbm);
    const pb = visibleProbabilities(b);
    // state index s means sigma_i = support[bit] = 2 v_i - 1 with the same bits
    for (let s = 0; s < 32; s++) expectClose(pb[s], ps[s], 1e-12, 1e-15, `state ${s}`);
    const back = bernoulliToSpinVisible(b);
    for (let k = 0; k < rbm.weights.length; k++) expectClose(back.weights[k], rbm.weights[k], 1e-15, 1e-15);
    for (const [name, values] of Object.entries(rbm.hidden.params)) {
      values.forEach((x, j) => expectClose(back.hidden.params[name][j], x, 1e-14, 1e-14, `${name}[${j}]`));
    }
  });
});

describe('Hopfield = RBM with gaussian hidden units', () => {
  it('-F(sigma) = (beta N / 2) sum_mu m_mu^2 + const, with W = sqrt(beta / N) xi', () => {
    const rng = createRng('hopfield');
    const n = 12;
    const p = 3;
    const beta = 1.7;
    const xi = Array.from({ length: p }, () => Array.from({ length: n }, () => (rng.uniform() < 0.5 ? -1 : 1)));
    const rbm = hopfieldToRbm(xi, beta);
    const hopfield = (sigma: ArrayLike<number>) => {
      let e = 0;
      for (const pattern of xi) {
        let m = 0;
        for (let i = 0; i < n; i++) m += (pattern[i] * sigma[i]) / n;
        e += m * m;
      }
      return ((beta * n) / 2) * e;
    };
    const zero = new Float64Array(n).fill(1);
    const ref = -rbm.freeEnergy(zero) - hopfield(zero);
    const sigma = new Float64Array(n);
    for (let s = 0; s < 2 ** n; s += 37) {
      stateFromIndex(s, n, [-1, 1], sigma);
      expectClose(-rbm.freeEnergy(sigma) - hopfield(sigma), ref, 0, 1e-12, `state ${s}`);
    }
    // the other convention, W = beta xi / sqrt(N), is the Hopfield model at beta^2, not beta
    const wrong = new RBM(rbm.visible, rbm.hidden, rbm.weights.map((w) => w * Math.sqrt(beta)));
    stateFromIndex(5, n, [-1, 1], sigma);
    const gap = -wrong.freeEnergy(sigma) + wrong.freeEnergy(zero) - (hopfield(sigma) - hopfield(zero));
    expect(Math.abs(gap)).toBeGreaterThan(1e-3);
  });
});
