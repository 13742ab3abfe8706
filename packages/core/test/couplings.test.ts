/**
 * Induced couplings of an RBM (MODELS.md §2): closed forms, the expansion against -F(v) state by
 * state, the methods against each other, the two bases against the model conversions, ensemble
 * means against their closed forms, and the Hopfield round trip.
 *
 * Statistical tests: each z-test fails when |mean - closed form| > Z_FAIL sem, Z_FAIL = 5.33,
 * a two-sided normal tail of 1e-7 per comparison; with randomSubset's chi-square (1e-7) the 10
 * tests in this file together fail a correct implementation with probability below 1e-6. The seeds are fixed, so a run passes or
 * fails deterministically. Each test also asserts that its sem is small enough to detect an error.
 */
import {
  BernoulliLayer,
  bernoulliToSpinVisible,
  binomial,
  changeCouplingBasis,
  closedFormCouplingMean,
  couplingExpansion,
  couplingList,
  couplingOf,
  CouplingError,
  createLayer,
  createRng,
  cumulantUnit,
  forEachCoupling,
  GaussianLayer,
  HIDDEN_UNIT_TYPES,
  hopfieldToRbm,
  inducedCouplings,
  inducedCouplingStatistics,
  normal,
  numSubsets,
  PoissonLayer,
  potentialUnit,
  randomSubset,
  RBM,
  rbmToHopfield,
  sigmoid,
  softplus,
  spinToBernoulliVisible,
  SpinLayer,
  stateFromIndex,
  subsetCouplings,
  subsetRank,
  type InducedCouplings,
  type UnitLayer,
} from '../src';
import { expectClose } from './helpers/stats';
import { smallRbm } from './helpers/models';

const Z_FAIL = 5.33;

/** N x M weights drawn Normal(0, scale^2) from a named stream. */
function gaussianWeights(n: number, m: number, seed: string, scale: number): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length: n * m }, () => scale * normal(rng));
}

function draws(m: number, seed: string, scale: number, offset = 0): number[] {
  const rng = createRng(seed);
  return Array.from({ length: m }, () => offset + scale * normal(rng));
}

/** Every subset of {0..n-1} of size 1..k, as ascending site lists, by size then lexicographically. */
function subsetsUpTo(n: number, k: number): number[][] {
  const out: number[][] = [];
  for (let size = 1; size <= k; size++) {
    const rec = (start: number, prefix: number[]) => {
      if (prefix.length === size) {
        out.push(prefix);
        return;
      }
      for (let j = start; j < n; j++) rec(j + 1, [...prefix, j]);
    };
    rec(0, []);
  }
  return out;
}

/** A custom Gamma-only unit: Gamma = softplus(x)^2 / 2, a smooth ReLU-like activation. */
const sqSoftplus = cumulantUnit({
  name: 'sqsoftplus',
  cumulant: (x) => softplus(x) ** 2 / 2,
  activation: (x) => softplus(x) * sigmoid(x),
});
/** A unit given by its potential alone: V(h) = h^4 / 4 on the real line, Gamma by quadrature. */
const quartic = potentialUnit({ name: 'quartic', potential: (h) => (h * h * h * h) / 4, domain: 'real' });

describe('subsets: counting, ranks and order', () => {
  test('couplings are listed by order, then lexicographically, and ranks match the list', () => {
    const rbm = smallRbm('bernoulli', 'bernoulli', 5, 3, 'order');
    const c = inducedCouplings(rbm, 3);
    const listed = couplingList(c).map((x) => x.sites);
    expect(listed).toEqual(subsetsUpTo(5, 3));
    expect(listed.length).toBe(numSubsets(5, 3) - 1);
    for (const sites of listed) {
      expect(listed.filter((s) => s.length === sites.length).findIndex((s) => s.join() === sites.join())).toBe(subsetRank(5, sites));
      expect(couplingOf(c, sites)).toBe(c.byOrder[sites.length][subsetRank(5, sites)]);
    }
    expect(binomial(100, 3)).toBe(161700);
    expect(numSubsets(100, 3)).toBe(1 + 100 + 4950 + 161700);
    expect(() => subsetRank(5, [2, 1])).toThrow(/ascending/);
    expect(() => couplingOf(c, [0, 1, 2, 3])).toThrow(/up to order 3/);
  });

  test('order-1 couplings include the visible bias, and the order is capped at N', () => {
    // W = 0: -F(v) = sum_i a_i v_i + sum_mu Gamma_mu(0), so J_i = a_i exactly and nothing above order 1
    const a = [0.3, -0.7, 1.1];
    const rbm = new RBM(new BernoulliLayer(3, { bias: a }), new PoissonLayer(2, { bias: [0.2, -0.4] }), new Float64Array(6));
    for (const method of ['local', 'enumerate'] as const) {
      const c = inducedCouplings(rbm, 10, { method });
      expect(c.maxOrder).toBe(3);
      c.byOrder[1].forEach((J, i) => expectClose(J, a[i], 1e-15, 1e-15, `${method} J[${i}]`));
      for (const J of [...c.byOrder[2], ...c.byOrder[3]]) expect(Math.abs(J)).toBeLessThan(1e-15);
      expectClose(c.constant, Math.exp(0.2) + Math.exp(-0.4), 1e-15);
    }
    // spin visibles in the spin basis: J_i = a_i; in the bernoulli basis (x = (sigma + 1)/2): 2 a_i
    const spin = new RBM(new SpinLayer(3, { bias: a }), new PoissonLayer(2), new Float64Array(6));
    expect(Array.from(inducedCouplings(spin, 1).byOrder[1])).toEqual(a);
    expect(Array.from(inducedCouplings(spin, 1, { basis: 'bernoulli' }).byOrder[1])).toEqual(a.map((x) => 2 * x));
  });
});

describe('closed forms to 1e-10', () => {
  const n = 7;
  const m = 5;

  test('gaussian hidden units: J_ij = sum_mu W_i W_j / gamma, nothing above order 2 (both bases, both methods)', () => {
    const theta = draws(m, 'g/theta', 0.5);
    const gamma = draws(m, 'g/gamma', 0.2, 1.2);
    const a = draws(n, 'g/a', 0.4);
    const w = gaussianWeights(n, m, 'g/w', 0.6);
    for (const [visibleType, basis] of [
      ['bernoulli', 'bernoulli'],
      ['spin', 'spin'],
    ] as const) {
      const rbm = new RBM(createLayer(visibleType, n, { bias: a }, 'visible'), new GaussianLayer(m, { bias: theta, gamma }), w);
      for (const method of ['local', 'enumerate'] as const) {
        const c = inducedCouplings(rbm, 5, { basis, method });
        const what = `${visibleType} ${basis} ${method}`;
        forEachCoupling(c, (sites, J) => {
          let expected: number;
          if (sites.length === 1) {
            // bernoulli: ((theta + W_i)^2 - theta^2) / (2 gamma) + a_i; spin: theta W_i / gamma + a_i
            const i = sites[0];
            expected = a[i];
            for (let mu = 0; mu < m; mu++) {
              const wi = w[i * m + mu];
              expected += basis === 'bernoulli' ? (2 * theta[mu] * wi + wi * wi) / (2 * gamma[mu]) : (theta[mu] * wi) / gamma[mu];
            }
          } else if (sites.length === 2) {
            expected = 0;
            for (let mu = 0; mu < m; mu++) expected += (w[sites[0] * m + mu] * w[sites[1] * m + mu]) / gamma[mu];
          } else {
            expected = 0;
          }
          expectClose(J, expected, 1e-10, 1e-10, `${what} J[${sites}]`);
        });
      }
    }
  });

  test('poisson hidden units: J_S = sum_mu e^theta prod_{i in S} (e^W_i - 1) (bernoulli basis), all orders', () => {
    const theta = draws(m, 'p/theta', 0.5);
    const a = draws(n, 'p/a', 0.4);
    const w = gaussianWeights(n, m, 'p/w', 0.6);
    const rbm = new RBM(new BernoulliLayer(n, { bias: a }), new PoissonLayer(m, { bias: theta }), w);
    for (const method of ['local', 'enumerate'] as const) {
      const c = inducedCouplings(rbm, n, { method });
      forEachCoupling(c, (sites, J) => {
        let expected = sites.length === 1 ? a[sites[0]] : 0;
        for (let mu = 0; mu < m; mu++) {
          let prod = Math.exp(theta[mu]);
          for (const i of sites) prod *= Math.expm1(w[i * m + mu]);
          expected += prod;
        }
        expectClose(J, expected, 1e-10, 1e-12, `${method} J[${sites}]`);
      });
    }
  });

  test('poisson hidden units, spin basis: J_S = sum_mu e^theta prod_{i in S} sinh W_i prod_{i not in S} cosh W_i (not local in S)', () => {
    const theta = draws(m, 'ps/theta', 0.5);
    const a = draws(n, 'ps/a', 0.4);
    const w = gaussianWeights(n, m, 'ps/w', 0.6);
    const rbm = new RBM(new SpinLayer(n, { bias: a }), new PoissonLayer(m, { bias: theta }), w);
    for (const method of ['local', 'enumerate'] as const) {
      const c = inducedCouplings(rbm, n, { method });
      forEachCoupling(
        c,
        (sites, J) => {
          let expected = sites.length === 1 ? a[sites[0]] : 0;
          for (let mu = 0; mu < m; mu++) {
            let prod = Math.exp(theta[mu]);
            for (let i = 0; i < n; i++) prod *= sites.includes(i) ? Math.sinh(w[i * m + mu]) : Math.cosh(w[i * m + mu]);
            expected += prod;
          }
          expectClose(J, expected, 1e-10, 1e-12, `${method} J[${sites}]`);
        },
        0,
      );
    }
  });

  test('high orders: the error stays within roundingError (poisson, N = 12, every order)', () => {
    // Orders up to 12 cancel 2^12 terms of size ~e^{sum W}; the product formula with expm1 has
    // no cancellation. Measured here: worst errors 9e-16 (order 1) to 5e-14 (order 12, where
    // |J| <= 7e-8), against a worst-case roundingError of 8e-15 to 1.6e-10: rounding errors add
    // like a random walk, about sqrt(2^k) eps max|g|, well inside the 2^k worst case.
    const nn = 12;
    const mm = 3;
    const theta = draws(mm, 'hp/theta', 0.3);
    const w = gaussianWeights(nn, mm, 'hp/w', 0.3);
    const rbm = new RBM(new BernoulliLayer(nn), new PoissonLayer(mm, { bias: theta }), w);
    const c = inducedCouplings(rbm, nn, { method: 'local' });
    const worst = new Float64Array(nn + 1);
    forEachCoupling(c, (sites, J) => {
      let expected = 0;
      for (let mu = 0; mu < mm; mu++) {
        let prod = Math.exp(theta[mu]);
        for (const i of sites) prod *= Math.expm1(w[i * mm + mu]);
        expected += prod;
      }
      worst[sites.length] = Math.max(worst[sites.length], Math.abs(J - expected));
    });
    for (let k = 1; k <= nn; k++) {
      expect(worst[k]).toBeLessThanOrEqual(c.roundingError[k]);
      // the bound is not vacuous: below 2e-10 even at order 12 here (terms of size ~3 to 10)
      expect(c.roundingError[k]).toBeLessThan(2e-10);
      // and the precision itself: 1e-12 absolute, whatever the order
      expect(worst[k]).toBeLessThan(1e-12);
    }
  });
});

describe('the expansion reproduces -F(v) for every state', () => {
  const hiddenTypes: [string, (m: number, rng: string) => UnitLayer][] = [
    ...HIDDEN_UNIT_TYPES.map((type): [string, (m: number, seed: string) => UnitLayer] => [type, (mm, seed) => smallRbm('bernoulli', type, 1, mm, seed).hidden]),
    ['custom cumulantUnit', (mm, seed) => sqSoftplus(mm, { bias: draws(mm, `${seed}/b`, 0.4) })],
    ['custom potentialUnit', (mm, seed) => quartic(mm, { bias: draws(mm, `${seed}/b`, 0.4) })],
  ];
  const n = 5;
  const m = 3;
  for (const [name, makeHidden] of hiddenTypes) {
    test(`${name} hidden units, bernoulli and spin visibles, both bases`, () => {
      for (const visibleType of ['bernoulli', 'spin']) {
        const hidden = makeHidden(m, `exp/${name}`);
        const visible = createLayer(visibleType, n, { bias: draws(n, `exp/${name}/a`, 0.5) }, 'visible');
        const rbm = new RBM(visible, hidden, gaussianWeights(n, m, `exp/${name}/${visibleType}`, 0.8));
        for (const basis of ['bernoulli', 'spin'] as const) {
          for (const method of ['local', 'enumerate'] as const) {
            const c = inducedCouplings(rbm, n, { basis, method });
            const support = visible.support as readonly number[];
            for (let s = 0; s < 2 ** n; s++) {
              const v = stateFromIndex(s, n, support);
              const negF = -rbm.freeEnergy(v);
              expectClose(couplingExpansion(c, v), negF, 1e-12, 1e-12, `${visibleType} ${basis} ${method} state ${s}`);
            }
          }
        }
      }
    });
  }

  test('a truncated expansion differs from -F(v) (the check above can fail)', () => {
    const rbm = smallRbm('bernoulli', 'bernoulli', 5, 3, 'truncated');
    const c = inducedCouplings(rbm, 2);
    const v = [1, 1, 1, 1, 1];
    expect(Math.abs(couplingExpansion(c, v) + rbm.freeEnergy(v))).toBeGreaterThan(1e-6);
  });
});

function expectSameCouplings(a: InducedCouplings, b: InducedCouplings, tolerance: number, what: string): void {
  expect(a.maxOrder).toBe(b.maxOrder);
  for (let k = 0; k <= a.maxOrder; k++) {
    for (let r = 0; r < a.byOrder[k].length; r++) expectClose(a.byOrder[k][r], b.byOrder[k][r], tolerance, tolerance, `${what} order ${k} rank ${r}`);
  }
}

describe('methods and bases agree', () => {
  test('spin basis: the per-hidden-unit Walsh transform equals the full-enumeration Walsh transform', () => {
    for (const hidden of ['bernoulli', 'relu', 'step', 'drelu']) {
      // dense weights, and sparse ones (each hidden unit sees a few sites) where local is cheaper
      const dense = smallRbm('spin', hidden, 9, 4, 'wht');
      const sparse = dense.clone();
      for (let i = 0; i < 9; i++) for (let mu = 0; mu < 4; mu++) if ((i + 2 * mu) % 3 !== 0) sparse.weights[i * 4 + mu] = 0;
      for (const [name, rbm] of [
        ['dense', dense],
        ['sparse', sparse],
      ] as const) {
        const local = inducedCouplings(rbm, 4, { method: 'local' });
        const full = inducedCouplings(rbm, 4, { method: 'enumerate' });
        expect([local.method, full.method]).toEqual(['local', 'enumerate']);
        expectSameCouplings(local, full, 1e-12, `${hidden} ${name}`);
      }
      expect(inducedCouplings(sparse, 4).method).toBe('local'); // neighbourhoods of 3 sites
    }
  });

  test('bernoulli basis: Moebius sums per subset equal the fast Moebius transform of -F', () => {
    const rbm = smallRbm('bernoulli', 'relu', 9, 4, 'moebius');
    expectSameCouplings(inducedCouplings(rbm, 5, { method: 'local' }), inducedCouplings(rbm, 5, { method: 'enumerate' }), 1e-11, 'relu');
  });

  test('spin basis = bernoulli basis after sigma = 2x - 1 (changeCouplingBasis), both ways', () => {
    const rbm = smallRbm('bernoulli', 'spin', 6, 4, 'change');
    const bern = inducedCouplings(rbm, 6, { basis: 'bernoulli' });
    const spin = inducedCouplings(rbm, 6, { basis: 'spin' });
    expectSameCouplings(changeCouplingBasis(bern, 'spin'), spin, 1e-12, 'to spin');
    expectSameCouplings(changeCouplingBasis(spin, 'bernoulli'), bern, 1e-12, 'to bernoulli');
    expect(() => changeCouplingBasis(inducedCouplings(rbm, 3), 'spin')).toThrow(CouplingError);
  });

  test('the bases agree with the model conversions spinToBernoulliVisible and bernoulliToSpinVisible', () => {
    // spin model in the bernoulli basis = converted model in its own basis; the conversion drops
    // the constant sum_i a_i (U(sigma) = -a (2v - 1)), so only J_empty differs, by -sum_i a_i
    const spinModel = smallRbm('spin', 'poisson', 6, 3, 'conv');
    const a = Array.from(spinModel.visible.params.bias);
    const sumA = a.reduce((x, y) => x + y, 0);
    const viaBasis = inducedCouplings(spinModel, 4, { basis: 'bernoulli' });
    const viaModel = inducedCouplings(spinToBernoulliVisible(spinModel), 4);
    expectClose(viaBasis.constant, viaModel.constant - sumA, 1e-12, 1e-12, 'constant');
    for (let k = 1; k <= 4; k++) {
      for (let r = 0; r < viaBasis.byOrder[k].length; r++) expectClose(viaBasis.byOrder[k][r], viaModel.byOrder[k][r], 1e-12, 1e-12, `order ${k}`);
    }
    // bernoulli model in the spin basis = bernoulliToSpinVisible's model (constant differs by sum a/2)
    const bernModel = smallRbm('bernoulli', 'relu', 6, 3, 'conv');
    const b = Array.from(bernModel.visible.params.bias);
    const half = inducedCouplings(bernModel, 3, { basis: 'spin' });
    const converted = inducedCouplings(bernoulliToSpinVisible(bernModel), 3);
    expectClose(half.constant, converted.constant + b.reduce((x, y) => x + y, 0) / 2, 1e-12, 1e-12, 'constant');
    for (let k = 1; k <= 3; k++) {
      for (let r = 0; r < half.byOrder[k].length; r++) expectClose(half.byOrder[k][r], converted.byOrder[k][r], 1e-12, 1e-12, `order ${k}`);
    }
  });
});

describe('limits and refusals', () => {
  test('gaussian visibles have no multilinear expansion', () => {
    const rbm = smallRbm('gaussian', 'bernoulli', 4, 3, 'refuse');
    expect(() => inducedCouplings(rbm, 2)).toThrow(CouplingError);
    expect(() => inducedCouplings(rbm, 2)).toThrow(/gaussian visible units .*no multilinear expansion/);
  });

  test('too many couplings, too many states, bad orders', () => {
    const big = new RBM(new BernoulliLayer(100), new PoissonLayer(2), new Float64Array(200));
    expect(() => inducedCouplings(big, 5)).toThrow(/79375496, more than the limit of 10000000 \(maxCouplings\)/);
    expect(() => inducedCouplings(big, 2, { maxCouplings: 100 })).toThrow(CouplingError);
    expect(() => inducedCouplings(big, 2, { method: 'enumerate' })).toThrow(/2\^100 visible states/);
    const spin = new RBM(new SpinLayer(40), new PoissonLayer(2), gaussianWeights(40, 2, 'limit', 0.1));
    expect(() => inducedCouplings(spin, 2)).toThrow(/bernoulli basis is local/);
    expect(() => inducedCouplings(spin, 2, { method: 'local' })).toThrow(/2\^40 states/);
    expect(() => inducedCouplings(big, 1.5)).toThrow(RangeError);
    expect(() => inducedCouplings(big, -1)).toThrow(RangeError);
  });
});

describe('ensembles of RBMs with Gaussian weights', () => {
  function zTest(stats: ReturnType<typeof inducedCouplingStatistics>, what: string, power: number[]): void {
    for (const s of stats) {
      const expected = s.closedFormMean as number;
      expect(Number.isFinite(expected)).toBe(true);
      const z = (s.mean - expected) / s.sem;
      if (!(Math.abs(z) <= Z_FAIL)) throw new Error(`${what} order ${s.order}: mean ${s.mean} vs ${expected}, z = ${z.toFixed(2)}`);
      // power: the test resolves the closed form to a fraction of its size
      expect(s.sem).toBeLessThan(power[s.order - 1] * Math.abs(expected));
    }
  }

  test('exponential (poisson) units: E[J_S] = e^theta (e^{s^2/2} - 1)^k per hidden unit, k = 1..3', () => {
    const n = 10;
    const m = 30;
    const s = 0.7;
    const theta = draws(m, 'ens/theta', 0.3, -0.3);
    const stats = inducedCouplingStatistics(new BernoulliLayer(n, { bias: draws(n, 'ens/a', 0.5) }), new PoissonLayer(m, { bias: theta }), {
      weightScale: s,
      maxOrder: 3,
      samples: 3000,
      rng: createRng('ensemble/poisson'),
    });
    const a = draws(n, 'ens/a', 0.5).reduce((x, y) => x + y, 0) / n;
    const perUnit = theta.reduce((x, t) => x + Math.exp(t), 0);
    for (const st of stats) {
      // the closed form as MODELS.md writes it (plus the mean visible bias at order 1)
      expectClose(st.closedFormMean as number, (st.order === 1 ? a : 0) + perUnit * (Math.exp((s * s) / 2) - 1) ** st.order, 1e-14);
      expect(st.count).toBe(3000 * binomial(n, st.order));
    }
    zTest(stats, 'poisson', [0.01, 0.03, 0.1]);
  });

  test('exponential units in the spin basis of bernoulli visibles: ((E1 - E0)/2)^k ((E1 + E0)/2)^(N-k)', () => {
    const stats = inducedCouplingStatistics(new BernoulliLayer(6), new PoissonLayer(20, { bias: draws(20, 'ens2/theta', 0.3) }), {
      weightScale: 0.6,
      maxOrder: 3,
      samples: 1500,
      rng: createRng('ensemble/poisson-spin'),
      basis: 'spin',
    });
    zTest(stats, 'poisson spin basis', [0.03, 0.08, 0.25]);
  });

  test('linear (gaussian) units: nothing above order 2 in any RBM; order-1 and order-2 means as in closed form', () => {
    const gamma = draws(8, 'ens3/gamma', 0.2, 1.3);
    const hidden = new GaussianLayer(8, { bias: draws(8, 'ens3/theta', 0.4), gamma });
    const stats = inducedCouplingStatistics(new BernoulliLayer(7), hidden, {
      weightScale: 0.5,
      maxOrder: 4,
      samples: 400,
      rng: createRng('ensemble/gaussian'),
    });
    for (const st of stats.filter((x) => x.order >= 3)) {
      expect(st.closedFormMean).toBe(0);
      expect(Math.abs(st.mean)).toBeLessThan(1e-13);
      expect(st.sd).toBeLessThan(1e-13);
    }
    const [first, second] = stats;
    zTest([first], 'gaussian order 1', [0.05]);
    expect(second.closedFormMean).toBe(0);
    expect(Math.abs(second.mean / second.sem)).toBeLessThan(Z_FAIL);
    // sd of J_ij = s^2 sqrt(sum_mu 1/gamma^2) (a sum of M independent products W_i W_j / gamma)
    const sd = 0.25 * Math.sqrt(gamma.reduce((x, g) => x + 1 / (g * g), 0));
    expectClose(second.sd, sd, 0.1, 0, 'order-2 sd');
    expect(closedFormCouplingMean(new BernoulliLayer(7), createLayer('relu', 3), 0.5, 2, 'bernoulli')).toBeUndefined();
  });
});

describe('Hopfield networks', () => {
  const n = 9;
  const patterns = [
    [1, -1, 1, 1, -1, -1, 1, -1, 1],
    [-1, -1, 1, -1, 1, 1, 1, -1, -1],
    [1, 1, 1, -1, -1, 1, -1, -1, 1],
  ];
  const beta = 1.7;

  test('round trip: hopfieldToRbm then rbmToHopfield gives the patterns, beta and zero field back', () => {
    const rbm = hopfieldToRbm(patterns, beta);
    const back = rbmToHopfield(rbm);
    expect(back.patterns).toEqual(patterns);
    expectClose(back.beta as number, beta, 1e-14);
    expect(Array.from(back.field)).toEqual(new Array(n).fill(0));
    const again = hopfieldToRbm(back.patterns as number[][], back.beta as number);
    for (let q = 0; q < rbm.weights.length; q++) expectClose(again.weights[q], rbm.weights[q], 1e-15, 0, `W[${q}]`);
  });

  test('the Hopfield couplings (beta/N) sum_mu xi_i xi_j equal the induced pairwise couplings, and nothing above', () => {
    const rbm = hopfieldToRbm(patterns, beta);
    const hop = rbmToHopfield(rbm);
    const c = inducedCouplings(rbm, 4);
    expect(c.basis).toBe('spin');
    for (let i = 0; i < n; i++) {
      expect(hop.couplings[i * n + i]).toBe(0);
      for (let j = i + 1; j < n; j++) {
        const hebb = (beta / n) * patterns.reduce((x, xi) => x + xi[i] * xi[j], 0);
        expectClose(hop.couplings[i * n + j], hebb, 1e-14, 1e-15, `hopfield J[${i},${j}]`);
        expectClose(couplingOf(c, [i, j]), hebb, 1e-12, 1e-14, `induced J[${i},${j}]`);
      }
    }
    for (const k of [1, 3, 4]) for (const J of c.byOrder[k]) expect(Math.abs(J)).toBeLessThan(1e-12);
  });

  test('any gaussian-hidden spin RBM: couplings and field match the induced ones; no patterns unless W has the Hopfield form', () => {
    const m = 4;
    const gamma = draws(m, 'hop/gamma', 0.2, 1.4);
    const theta = draws(m, 'hop/theta', 0.5);
    const rbm = new RBM(new SpinLayer(n, { bias: draws(n, 'hop/a', 0.3) }), new GaussianLayer(m, { bias: theta, gamma }), gaussianWeights(n, m, 'hop/w', 0.4));
    const hop = rbmToHopfield(rbm);
    expect(hop.patterns).toBeUndefined();
    expect(hop.beta).toBeUndefined();
    const c = inducedCouplings(rbm, 2);
    for (let i = 0; i < n; i++) {
      expectClose(couplingOf(c, [i]), hop.field[i], 1e-12, 1e-14, `field ${i}`);
      for (let j = i + 1; j < n; j++) expectClose(couplingOf(c, [i, j]), hop.couplings[i * n + j], 1e-12, 1e-14, `J[${i},${j}]`);
    }
    // columns of the Hopfield form with distinct strengths: patterns, per-pattern beta, no common beta
    const scaled = hopfieldToRbm(patterns, 1);
    const strengths = [1, 2, 0.5];
    for (let i = 0; i < n; i++) for (let mu = 0; mu < 3; mu++) scaled.weights[i * 3 + mu] *= Math.sqrt(strengths[mu]);
    const mixed = rbmToHopfield(scaled);
    expect(mixed.patterns).toEqual(patterns);
    expect(mixed.beta).toBeUndefined();
    Array.from(mixed.patternBeta as Float64Array).forEach((b, mu) => expectClose(b, strengths[mu], 1e-14));
  });

  test('refuses bernoulli visibles and non-gaussian hidden units', () => {
    expect(() => rbmToHopfield(smallRbm('bernoulli', 'gaussian', 3, 2, 'r'))).toThrow(/spin visible units.*bernoulliToSpinVisible/);
    expect(() => rbmToHopfield(smallRbm('spin', 'poisson', 3, 2, 'r'))).toThrow(/gaussian hidden units/);
  });
});

describe('couplings of chosen subsets (the local formula at any N)', () => {
  test.each(HIDDEN_UNIT_TYPES.flatMap((h) => [['bernoulli', h], ['spin', h]]))('%s visibles, %s hidden: every subset up to order 4 as inducedCouplings has it', (visibleType, hiddenType) => {
    const rng = createRng(`subset-couplings/${visibleType}/${hiddenType}`);
    const n = 7;
    const visible = createLayer(visibleType, n, { bias: Array.from({ length: n }, () => normal(rng)) }, 'visible');
    const rbm = RBM.random(visible, createLayer(hiddenType, 5), rng, 0.6);
    const all = inducedCouplings(rbm, 4, { basis: 'bernoulli' });
    const local = subsetCouplings(rbm);
    let worst = 0;
    let scale = 0;
    forEachCoupling(all, (sites, J) => {
      if (sites.length === 0) return;
      worst = Math.max(worst, Math.abs(local(sites) - J));
      scale = Math.max(scale, Math.abs(J));
    });
    expect(scale).toBeGreaterThan(1e-3);
    // both are Moebius sums of the same Gamma values, in other orders: rounding only
    expect(worst).toBeLessThan(1e-12 * Math.max(1, scale) * 64);
  });

  test('N = 200: a coupling equals the one of the 4-unit RBM made of its rows (locality), in any order of the sites', () => {
    const rng = createRng('subset-couplings/large');
    const n = 200;
    const rbm = RBM.random(createLayer('bernoulli', n, undefined, 'visible'), createLayer('relu', 6), rng, 0.3);
    const sites = [3, 77, 150, 199];
    const rows = new Float64Array(4 * 6);
    sites.forEach((i, a) => rows.set(rbm.weights.subarray(i * 6, i * 6 + 6), a * 6));
    const small = new RBM(createLayer('bernoulli', 4, undefined, 'visible'), rbm.hidden, rows);
    const expected = couplingOf(inducedCouplings(small, 4, { basis: 'bernoulli' }), [0, 1, 2, 3]);
    expect(subsetCouplings(rbm)(sites)).toBeCloseTo(expected, 12);
    expect(subsetCouplings(rbm)([199, 3, 150, 77])).toBeCloseTo(expected, 12);
  });

  test('bad subsets are refused naming the problem', () => {
    const rbm = RBM.random(createLayer('bernoulli', 5, undefined, 'visible'), createLayer('relu', 2), createRng(1), 0.3);
    const local = subsetCouplings(rbm);
    expect(() => local([])).toThrow(/\|S\| must be in 1\.\.30/);
    expect(() => local([1, 5])).toThrow(/site 5 outside 0\.\.4/);
    expect(() => local([2, 2])).toThrow(/site 2 appears twice/);
  });

  test('randomSubset: ascending, distinct, and uniform over the C(6, 3) = 20 subsets (chi-square, seeded)', () => {
    const rng = createRng('random-subset');
    const counts = new Map<string, number>();
    const draws = 20000;
    let malformed = 0;
    for (let d = 0; d < draws; d++) {
      const s = randomSubset(6, 3, rng);
      if (!(s.length === 3 && s[0] < s[1] && s[1] < s[2])) malformed++;
      counts.set(s.join(','), (counts.get(s.join(',')) ?? 0) + 1);
    }
    expect(malformed).toBe(0);
    expect(counts.size).toBe(20);
    let chi2 = 0;
    for (const c of counts.values()) chi2 += (c - draws / 20) ** 2 / (draws / 20);
    // 19 degrees of freedom: P(chi2 > 69.8) = 1e-7 for a uniform sampler; one that never
    // draws a subset scores >= 1000
    expect(chi2).toBeLessThan(69.8);
    expect(randomSubset(5, 5, rng)).toEqual([0, 1, 2, 3, 4]);
    expect(randomSubset(5, 0, rng)).toEqual([]);
    expect(() => randomSubset(3, 4, rng)).toThrow(RangeError);
  });
});
