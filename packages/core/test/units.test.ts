/**
 * Every built-in unit against independent oracles: Gamma, Gamma' and Gamma'' against direct
 * summation or quadrature of exp(-V(h) + x h) with the potential written out here; derivatives
 * against finite differences; the samplers' moments against Gamma' and Gamma''; the far tails
 * against asymptotic series; and the step unit as the zero-temperature limit of bernoulli.
 */
import {
  BernoulliLayer,
  createLayer,
  createRng,
  cumulantUnit,
  HIDDEN_UNIT_TYPES,
  lgamma,
  sigmoid,
  softplus,
  type UnitLayer,
  zeroParams,
} from '../src';
import { expectClose, moments } from './helpers/stats';

interface UnitCase {
  readonly type: string;
  readonly params: Record<string, number[]>;
  /** V(h) written independently of the implementation. */
  readonly V: (h: number) => number;
  /** Discrete support values, or a continuous range [lo, hi]. */
  readonly discrete?: number[];
  readonly range?: [number, number];
}

const range = (lo: number, hi: number) => Array.from({ length: hi - lo + 1 }, (_, k) => lo + k);

const CASES: UnitCase[] = [
  { type: 'bernoulli', params: { bias: [0.3] }, V: (h) => -0.3 * h, discrete: [0, 1] },
  { type: 'spin', params: { bias: [-0.2] }, V: (h) => 0.2 * h, discrete: [-1, 1] },
  { type: 'gaussian', params: { bias: [0.4], gamma: [1.7] }, V: (h) => (1.7 * h * h) / 2 - 0.4 * h, range: [-30, 30] },
  { type: 'relu', params: { bias: [-0.5], gamma: [0.8] }, V: (h) => (0.8 * h * h) / 2 + 0.5 * h, range: [0, 40] },
  {
    type: 'drelu',
    params: { gammaPlus: [1.3], gammaMinus: [0.6], biasPlus: [0.2], biasMinus: [-0.4] },
    V: (h) => (h >= 0 ? (1.3 * h * h) / 2 - 0.2 * h : (0.6 * h * h) / 2 + 0.4 * h),
    range: [-40, 30],
  },
  { type: 'poisson', params: { bias: [-0.3] }, V: (h) => lgamma(h + 1) + 0.3 * h, discrete: range(0, 400) },
];

const INPUTS = [-3, -1, 0, 0.5, 2.5];

/** log Z, mean and variance of exp(-V(h) + x h), by direct sum or by Simpson quadrature. */
function oracle(c: UnitCase, x: number): { logZ: number; mean: number; variance: number } {
  const points: number[] = [];
  const weights: number[] = [];
  if (c.discrete) {
    for (const h of c.discrete) {
      points.push(h);
      weights.push(1);
    }
  } else {
    const [lo, hi] = c.range as [number, number];
    // split at 0 so the kink of drelu / the edge of relu sits on a node
    const segments = lo < 0 && hi > 0 ? [[lo, 0], [0, hi]] : [[lo, hi]];
    for (const [a, b] of segments) {
      const steps = 40000;
      const dh = (b - a) / steps;
      for (let k = 0; k <= steps; k++) {
        points.push(a + k * dh);
        weights.push(((k === 0 || k === steps ? 1 : k % 2 === 1 ? 4 : 2) * dh) / 3);
      }
    }
  }
  const g = points.map((h) => -c.V(h) + x * h);
  const max = Math.max(...g);
  let z = 0;
  let m1 = 0;
  for (let k = 0; k < points.length; k++) {
    const w = weights[k] * Math.exp(g[k] - max);
    z += w;
    m1 += w * points[k];
  }
  const mean = m1 / z;
  let v = 0;
  for (let k = 0; k < points.length; k++) v += weights[k] * Math.exp(g[k] - max) * (points[k] - mean) ** 2;
  return { logZ: max + Math.log(z), mean, variance: v / z };
}

function layerOf(c: UnitCase): UnitLayer {
  return createLayer(c.type, 1, c.params);
}

describe('built-in hidden units', () => {
  it('covers every hidden type of MODELS.md', () => {
    expect([...HIDDEN_UNIT_TYPES].sort()).toEqual(['bernoulli', 'drelu', 'gaussian', 'poisson', 'relu', 'spin', 'step']);
  });

  describe.each(CASES)('$type', (c) => {
    const layer = layerOf(c);

    it('has the potential of MODELS.md', () => {
      const probes = c.discrete ? c.discrete.slice(0, 5) : [-2.5, -0.3, 0, 0.7, 3];
      for (const h of probes) {
        if (c.range && (h < c.range[0] || h > c.range[1])) continue;
        expectClose(layer.potential(0, h), c.V(h), 1e-14, 1e-14, `V(${h})`);
      }
    });

    it.each(INPUTS)('Gamma, Gamma\', Gamma\'\' equal the sum/integral over h at input %p', (x) => {
      const o = oracle(c, x);
      expectClose(layer.cumulant(0, x), o.logZ, 1e-9, 1e-10, 'Gamma');
      expectClose(layer.mean(0, x), o.mean, 1e-8, 1e-10, "Gamma'");
      expectClose(layer.variance(0, x), o.variance, 1e-7, 1e-10, "Gamma''");
    });

    it('Gamma\' and Gamma\'\' are the derivatives of Gamma (central differences)', () => {
      for (const x of INPUTS) {
        const d = 1e-5;
        expectClose(layer.mean(0, x), (layer.cumulant(0, x + d) - layer.cumulant(0, x - d)) / (2 * d), 1e-7, 1e-8, `Gamma' at ${x}`);
        expectClose(layer.variance(0, x), (layer.mean(0, x + d) - layer.mean(0, x - d)) / (2 * d), 1e-6, 1e-8, `Gamma'' at ${x}`);
      }
    });

    it('parameter gradients of Gamma and V match finite differences', () => {
      const grads = zeroParams(layer);
      const x = 0.7;
      const h = c.discrete ? c.discrete[1] : c.type === 'drelu' ? -0.9 : 1.1;
      layer.addCumulantGrad(0, x, 1, grads);
      const pgrads = zeroParams(layer);
      layer.addPotentialGrad(0, h, 1, pgrads);
      for (const name of Object.keys(layer.params)) {
        const d = 1e-6;
        const plus = { ...layer.params, [name]: Float64Array.of(layer.params[name][0] + d) };
        const minus = { ...layer.params, [name]: Float64Array.of(layer.params[name][0] - d) };
        const lp = layer.withParams(plus);
        const lm = layer.withParams(minus);
        expectClose(grads[name][0], (lp.cumulant(0, x) - lm.cumulant(0, x)) / (2 * d), 1e-6, 1e-8, `dGamma/d${name}`);
        if (c.type === 'drelu' && name.endsWith('Plus')) {
          expectClose(pgrads[name][0], 0, 0, 0, `dV/d${name} on the negative side`);
        } else {
          expectClose(pgrads[name][0], (lp.potential(0, h) - lm.potential(0, h)) / (2 * d), 1e-6, 1e-8, `dV/d${name}`);
        }
      }
    });

    // 10^5 draws: |z| > 5.3 has probability 1.2e-7 under a correct sampler (normal approximation
    // of the sample mean and variance, whose standard errors come from Gamma'' and the sample's
    // fourth moment).
    it.each([-2, 0.5, 3])('samples have mean Gamma\' and variance Gamma\'\' at input %p', (x) => {
      const rng = createRng(`units/${c.type}/${x}`);
      const n = 100000;
      const xs = new Float64Array(n);
      for (let k = 0; k < n; k++) xs[k] = layer.sample(0, x, rng);
      const s = moments(xs);
      const mean = layer.mean(0, x);
      const variance = layer.variance(0, x);
      const zMean = (s.mean - mean) / Math.sqrt(variance / n);
      const zVar = (s.variance - variance) / Math.sqrt((s.m4 - variance * variance) / n);
      expect(Math.abs(zMean)).toBeLessThan(5.3);
      expect(Math.abs(zVar)).toBeLessThan(5.3);
      if (c.discrete) for (const v of xs.slice(0, 1000)) expect(c.discrete).toContain(v);
    });
  });
});

describe('large inputs', () => {
  const big = [-1e4, -1e3, -40, 40, 1e3, 1e4];

  it.each(HIDDEN_UNIT_TYPES.filter((t) => t !== 'poisson'))('%s stays finite for |x| up to 1e4', (type) => {
    const layer = createLayer(type, 1);
    for (const x of big) {
      expect(Number.isFinite(layer.cumulant(0, x))).toBe(true);
      expect(Number.isFinite(layer.mean(0, x))).toBe(true);
      expect(Number.isFinite(layer.variance(0, x))).toBe(true);
      expect(layer.variance(0, x)).toBeGreaterThanOrEqual(0);
    }
  });

  it('poisson: Gamma = e^x is finite up to x = 709 and +Infinity (never NaN) beyond', () => {
    const layer = createLayer('poisson', 1);
    expectClose(layer.cumulant(0, 709), Math.exp(709), 1e-15);
    expect(layer.cumulant(0, 1e4)).toBe(Infinity);
    expect(layer.cumulant(0, -1e4)).toBe(0);
  });

  it('relu matches its asymptotic series in both tails (gamma = 1)', () => {
    const relu = createLayer('relu', 1);
    for (const x of [-1e4, -1e3, -100]) {
      // Z = int_0^inf exp(-h^2/2 + x h) dh = (1/t)(1 - 1/t^2 + 3/t^4 - 15/t^6 ...), t = -x
      const t = -x;
      const z = (1 / t) * (1 - 1 / t ** 2 + 3 / t ** 4 - 15 / t ** 6);
      expectClose(relu.cumulant(0, x), Math.log(z), 1e-13, 0, `Gamma(${x})`);
      // E[h] = Z'/Z with Z' = (1/t^2)(1 - 3/t^2 + 15/t^4 - 105/t^6)
      const dz = (1 / t ** 2) * (1 - 3 / t ** 2 + 15 / t ** 4 - 105 / t ** 6);
      expectClose(relu.mean(0, x), dz / z, 1e-11, 0, `Gamma'(${x})`);
      // Var[h] = Z2/Z - (Z1/Z)^2 ~ (1/t^2)(1 - 6/t^2 + O(t^-4)), Z2 = 2/t^3 - 12/t^5 + ...
      expectClose(relu.variance(0, x), (1 / t ** 2) * (1 - 6 / t ** 2), 1e-6, 0, `Gamma''(${x})`);
    }
    for (const x of [100, 1e3, 1e4]) {
      // the truncation at 0 is exp(-x^2/2) away: the plain Gaussian
      expectClose(relu.cumulant(0, x), (x * x) / 2 + 0.5 * Math.log(2 * Math.PI), 1e-15, 0, `Gamma(${x})`);
      expectClose(relu.mean(0, x), x, 1e-15, 0, `Gamma'(${x})`);
      expectClose(relu.variance(0, x), 1, 1e-13, 0, `Gamma''(${x})`);
    }
  });

  it('bernoulli and spin are exact in the tails', () => {
    const b = createLayer('bernoulli', 1);
    const s = createLayer('spin', 1);
    expect(b.cumulant(0, 1e4)).toBe(1e4);
    expectClose(b.cumulant(0, -40), Math.exp(-40), 1e-14);
    expectClose(b.variance(0, -40), Math.exp(-40), 1e-12);
    expect(s.cumulant(0, -1e4)).toBe(1e4);
    expectClose(s.variance(0, 30), 4 * Math.exp(-60), 1e-12);
  });
});

describe('step units', () => {
  it('are the zero-temperature limit of bernoulli: softplus(b x) / b -> max(0, x)', () => {
    const step = createLayer('step', 1, { bias: [0.25] });
    for (const x of [-2, -0.3, 0.1, 1.7]) {
      const b = 1e4;
      expectClose(step.cumulant(0, x), softplus(b * (x + 0.25)) / b, 0, 1e-4, `Gamma(${x})`);
      expectClose(step.mean(0, x), sigmoid(b * (x + 0.25)), 0, 1e-12, `Gamma'(${x})`);
    }
    expect(step.canSample).toBe(false);
    expect(() => step.sample(0, 0, createRng(1))).toThrow(/no conditional sampler/);
  });
});

describe('custom units from Gamma and Gamma\'', () => {
  it('a softplus unit given only by its cumulant behaves as bernoulli where it can', () => {
    const make = cumulantUnit({ name: 'my-softplus', cumulant: softplus, activation: sigmoid });
    const custom = make(2, { bias: [0.3, -1] });
    const bern = new BernoulliLayer(2, { bias: [0.3, -1] });
    for (const x of INPUTS) {
      for (const j of [0, 1]) {
        expectClose(custom.cumulant(j, x), bern.cumulant(j, x), 1e-15);
        expectClose(custom.mean(j, x), bern.mean(j, x), 1e-15);
        expectClose(custom.variance(j, x), bern.variance(j, x), 1e-8, 1e-12);
      }
    }
    expect(custom.canSample).toBe(false);
    expect(custom.hasPotential).toBe(false);
    expect(custom.type).toBe('my-softplus');
  });
});
