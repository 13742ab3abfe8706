/**
 * The model checks of models/checks.ts against oracles that do not use them:
 * - gaussian x gaussian (and drelu with gamma+ = gamma-): the closed-form Gaussian integral
 *   exp(-v^T A v / 2 + b v) is finite iff A = diag(gammaV) - W diag(1/gamma) W^T is positive
 *   definite, decided here by Sylvester's criterion (leading principal minors by elimination),
 *   and the boundary scale s* of W found by bisection on it;
 * - relu and drelu (no closed form): the growth of -F(v) itself, through the layers' own
 *   cumulants, along every direction of a fine grid at |v| = 1e3 (1 and 2 visible units), and in
 *   one dimension the numerical integral of exp(-F) on growing intervals;
 * - poisson with gaussian visibles: never normalizable unless W = 0;
 * - the overflow refusals: a poisson draw past 2^52, a heat-bath or AIS weight past float64, and
 *   the mean of per-row values near 1e308 (finite, so reported, not NaN).
 */
import {
  annealedImportanceSampling,
  checkModel,
  createLayer,
  createRng,
  exactLogLikelihood,
  ModelError,
  nonFiniteParameter,
  normal,
  normalizability,
  pseudoLogLikelihood,
  RBM,
  sampleVisibleStates,
  type Rng,
} from '../src';

const uniform = (rng: Rng, lo: number, hi: number) => lo + (hi - lo) * rng.uniform();

function gaussianVisible(n: number, rng: Rng): ReturnType<typeof createLayer> {
  return createLayer('gaussian', n, { bias: Array.from({ length: n }, () => 0.3 * normal(rng)), gamma: Array.from({ length: n }, () => uniform(rng, 0.6, 1.6)) }, 'visible');
}

function hiddenLayer(type: string, m: number, rng: Rng, symmetric = false): ReturnType<typeof createLayer> {
  const gammas = () => Array.from({ length: m }, () => uniform(rng, 0.6, 1.6));
  const biases = () => Array.from({ length: m }, () => 0.3 * normal(rng));
  if (type === 'drelu') {
    const gammaPlus = gammas();
    return createLayer('drelu', m, { gammaPlus, gammaMinus: symmetric ? gammaPlus : gammas(), biasPlus: biases(), biasMinus: biases() });
  }
  if (type === 'gaussian' || type === 'relu') return createLayer(type, m, { bias: biases(), gamma: gammas() });
  return createLayer(type, m, { bias: biases() });
}

function randomWeights(n: number, m: number, rng: Rng, scale: number): Float64Array {
  return Float64Array.from({ length: n * m }, () => scale * normal(rng));
}

/** Sylvester's criterion by Gaussian elimination without pivoting: every pivot > 0. */
function positiveDefinite(a: number[][]): boolean {
  const d = a.length;
  const m = a.map((row) => [...row]);
  for (let k = 0; k < d; k++) {
    if (!(m[k][k] > 0)) return false;
    for (let i = k + 1; i < d; i++) {
      const f = m[i][k] / m[k][k];
      for (let j = k; j < d; j++) m[i][j] -= f * m[k][j];
    }
  }
  return true;
}

/** A = diag(gammaV) - s^2 W diag(1/gamma) W^T of the Gaussian integral, written out. */
function precisionMatrix(gammaV: ArrayLike<number>, w: Float64Array, gammaH: ArrayLike<number>, n: number, m: number, s: number): number[][] {
  const a: number[][] = [];
  for (let i = 0; i < n; i++) {
    a.push([]);
    for (let j = 0; j < n; j++) {
      let q = 0;
      for (let mu = 0; mu < m; mu++) q += (w[i * m + mu] * w[j * m + mu]) / gammaH[mu];
      a[i].push((i === j ? gammaV[i] : 0) - s * s * q);
    }
  }
  return a;
}

function scaled(rbm: RBM, s: number): RBM {
  return new RBM(rbm.visible, rbm.hidden, rbm.weights.map((x) => s * x));
}

/**
 * The oracle for relu and drelu: max over directions u (unit, |v| = R) of -F(R u) / R^2, from the
 * layers' own potential and cumulants. It tends to -(1 - r(u)) gammaV-weighted / 2: negative in
 * every direction iff exp(-F) is integrable. Returns the maximum over the grid.
 */
function growthAtLargeRadius(rbm: RBM, R = 1e3): number {
  const n = rbm.numVisible;
  const directions: number[][] = [];
  if (n === 1) directions.push([1], [-1]);
  else for (let k = 0; k < 7200; k++) directions.push([Math.cos((2 * Math.PI * k) / 7200), Math.sin((2 * Math.PI * k) / 7200)]);
  let best = -Infinity;
  for (const u of directions) best = Math.max(best, -rbm.freeEnergy(u.map((x) => R * x)) / (R * R));
  return best;
}

describe('normalizability: gaussian visibles with gaussian hidden units against the closed-form Gaussian integral', () => {
  it.each([
    ['gaussian', 3, 5],
    ['gaussian', 5, 3],
    ['drelu', 3, 7],
  ])('%s hidden units (gamma+ = gamma- for drelu), N = %i, M = %i: normalizable exactly below the scale where A stops being positive definite', (type, n, m) => {
    for (let trial = 0; trial < 5; trial++) {
      const rng = createRng(`checks/gaussian/${type}/${n}/${m}/${trial}`);
      const visible = gaussianVisible(n, rng);
      const hidden = hiddenLayer(type, m, rng, true);
      const w = randomWeights(n, m, rng, 1);
      const gammaH = type === 'drelu' ? hidden.params.gammaPlus : hidden.params.gamma;
      const pd = (s: number) => positiveDefinite(precisionMatrix(visible.params.gamma, w, gammaH, n, m, s));
      // bisection on the closed form's condition: s* where A(s) stops being positive definite
      let lo = 0;
      let hi = 1;
      while (pd(hi)) hi *= 2;
      for (let it = 0; it < 200; it++) {
        const mid = (lo + hi) / 2;
        if (pd(mid)) lo = mid;
        else hi = mid;
      }
      const rbm = new RBM(visible, hidden, w);
      expect(normalizability(scaled(rbm, lo * (1 - 1e-9)))).toBeUndefined();
      expect(normalizability(scaled(rbm, hi * (1 + 1e-9)))).toMatch(/not normalizable.*not positive definite.*largest singular value .* is 1\.0000/);
      expect(normalizability(scaled(rbm, 0.5 * lo))).toBeUndefined();
      expect(normalizability(scaled(rbm, 2 * hi))).toMatch(/largest singular value .* is 2\.0000/);
      // the reason names the pair
      expect(normalizability(scaled(rbm, 2 * hi))).toContain(`gaussian visible and ${type} hidden units`);
    }
  });
});

describe('normalizability: gaussian visibles with relu and drelu hidden units against the growth of -F and numerical integration', () => {
  it.each([
    ['relu', 1, 2],
    ['relu', 1, 5],
    ['drelu', 1, 3],
    ['relu', 2, 3],
    ['relu', 2, 6],
    ['drelu', 2, 4],
    // more than 12 columns: decided by the bound and the ascent instead of exactly
    ['relu', 2, 14],
    ['drelu', 2, 7],
  ])('%s, N = %i, M = %i: the check agrees with the sign of max_u -F(R u) / R^2 on 150 random models near the boundary', (type, n, m) => {
    let normalizable = 0;
    let beyondBound = 0;
    let decided = 0;
    for (let trial = 0; trial < 150; trial++) {
      const rng = createRng(`checks/relu/${type}/${n}/${m}/${trial}`);
      const rbm = new RBM(gaussianVisible(n, rng), hiddenLayer(type, m, rng), randomWeights(n, m, rng, uniform(rng, 0.4, 1.5) * Math.sqrt(2 / m)));
      const growth = growthAtLargeRadius(rbm);
      if (Math.abs(growth) < 0.01) continue; // within the grid's and the biases' resolution of the boundary
      decided++;
      const reason = normalizability(rbm);
      if (growth < 0) {
        normalizable++;
        expect(reason).toBeUndefined();
        // the sufficient condition: diag(gammaV) - W diag(1 / min(gamma+, gamma-)) W^T positive definite
        const p = rbm.hidden.params;
        const smallest = type === 'drelu' ? p.gammaPlus.map((g, mu) => Math.min(g, p.gammaMinus[mu])) : p.gamma;
        if (!positiveDefinite(precisionMatrix(rbm.visible.params.gamma, rbm.weights, smallest, n, m, 1))) beyondBound++;
      } else {
        expect(reason).toMatch(new RegExp(`not normalizable: with gaussian visible and ${type} hidden units`));
      }
    }
    // the draws straddle the boundary, so both answers were tested
    expect(decided).toBeGreaterThan(100);
    expect(normalizable).toBeGreaterThan(10);
    expect(decided - normalizable).toBeGreaterThan(10);
    // and models that only the search can accept (the sufficient bound fails for them)
    expect(beyondBound).toBeGreaterThan(0);
  });

  it.each(['gaussian', 'relu', 'drelu'])('%s hidden units with W = 1e200 (squares past float64): not normalizable, and the reason says so', (type) => {
    const rbm = new RBM(createLayer('gaussian', 2, {}, 'visible'), createLayer(type, 2), Float64Array.from([1e200, 0, 0, 1]));
    expect(normalizability(rbm)).toMatch(/not normalizable: .*W_i,mu\^2 \/ \(gammaV_i gamma_mu\), pass float64's range/);
  });

  it('relu, where the sufficient bound sigma_max < 1 fails: w = (0.8, -0.8) is normalizable (each side sees one unit), w = (1.1, -0.5) is not; the integral of exp(-F) says the same', () => {
    const model = (w: number[]) => new RBM(createLayer('gaussian', 1, {}, 'visible'), createLayer('relu', 2), Float64Array.from(w));
    /** log of the trapezoid integral of exp(-F(v)) over [-L, L], step 1e-3. */
    const logIntegral = (rbm: RBM, L: number) => {
      const h = 1e-3;
      const values: number[] = [];
      for (let v = -L; v <= L; v += h) values.push(-rbm.freeEnergy([v]));
      const max = Math.max(...values);
      let s = 0;
      for (const x of values) s += Math.exp(x - max);
      return max + Math.log(s * h);
    };
    const good = model([0.8, -0.8]);
    expect(normalizability(good)).toBeUndefined();
    expect(Math.abs(logIntegral(good, 40) - logIntegral(good, 20))).toBeLessThan(1e-9);
    const bad = model([1.1, -0.5]);
    expect(normalizability(bad)).toMatch(/~ 1\.21000 x/);
    expect(logIntegral(bad, 40) - logIntegral(bad, 20)).toBeGreaterThan(20); // grows like 0.105 L^2
    // the gaussian hidden unit with the same weights is not normalizable (0.8^2 + 0.8^2 > 1)
    const gaussian = new RBM(createLayer('gaussian', 1, {}, 'visible'), createLayer('gaussian', 2), Float64Array.from([0.8, -0.8]));
    expect(normalizability(gaussian)).toMatch(/is 1\.13137/);
  });
});

describe('normalizability: the other pairs', () => {
  it('gaussian visibles with poisson hidden units: never normalizable unless W = 0, naming the column', () => {
    const rng = createRng('checks/poisson');
    const w = new Float64Array(4 * 3);
    const rbm = new RBM(gaussianVisible(4, rng), hiddenLayer('poisson', 3, rng), w);
    expect(normalizability(rbm)).toBeUndefined();
    w[2 * 3 + 1] = 1e-12;
    expect(normalizability(rbm)).toMatch(/not normalizable: gaussian visible and poisson hidden units define no distribution unless W = 0 .*column 1 of W/);
  });

  it.each(['bernoulli', 'spin'])('%s visibles: every hidden type and any finite weights (a finite sum)', (visible) => {
    for (const hidden of ['bernoulli', 'spin', 'gaussian', 'relu', 'drelu', 'poisson', 'step']) {
      const rng = createRng(`checks/${visible}/${hidden}`);
      const rbm = new RBM(createLayer(visible, 3, {}, 'visible'), hiddenLayer(hidden, 2, rng), randomWeights(3, 2, rng, 1e3));
      expect(normalizability(rbm)).toBeUndefined();
    }
  });

  it('gaussian visibles with bounded or linear-growth cumulants (bernoulli, spin, step): always, at any scale', () => {
    for (const hidden of ['bernoulli', 'spin', 'step']) {
      const rng = createRng(`checks/linear/${hidden}`);
      expect(normalizability(new RBM(gaussianVisible(3, rng), hiddenLayer(hidden, 4, rng), randomWeights(3, 4, rng, 1e3)))).toBeUndefined();
    }
  });
});

describe('checkModel and the finite-parameter check', () => {
  it('names the first non-finite weight or parameter, and checkModel throws a ModelError with it', () => {
    const rbm = new RBM(createLayer('bernoulli', 2, {}, 'visible'), createLayer('relu', 3), new Float64Array(6));
    expect(nonFiniteParameter(rbm)).toBeUndefined();
    expect(() => checkModel(rbm)).not.toThrow();
    rbm.hidden.params.bias[2] = Infinity;
    expect(nonFiniteParameter(rbm)).toBe('hidden.bias[2] is Infinity');
    rbm.weights[4] = NaN;
    expect(nonFiniteParameter(rbm)).toBe('weights[1][1] is NaN');
    expect(() => checkModel(rbm)).toThrow(ModelError);
    expect(() => checkModel(rbm)).toThrow(/parameters must be finite, but weights\[1\]\[1\] is NaN/);
  });

  it('AIS refuses a model that is not normalizable before it anneals (so no huge log Z with one effective run)', () => {
    const rbm = new RBM(createLayer('gaussian', 2, {}, 'visible'), createLayer('gaussian', 2), Float64Array.from([1.5, 0, 0, 0.5]));
    expect(() => annealedImportanceSampling(rbm, { chains: 10, steps: 10, rng: createRng(1) })).toThrow(ModelError);
    expect(() => annealedImportanceSampling(rbm, { chains: 10, steps: 10, rng: createRng(1) })).toThrow(/is 1\.50000, it must be < 1/);
  });
});

describe('values near the float64 limit: reported when finite, refused with the reason when not', () => {
  it('W = 1e308: the exact log-likelihood and the pseudo-log-likelihood are both -5e307 (rows with v_0 = 0 have log P = log 2 - 1e308), not NaN', () => {
    const rbm = new RBM(createLayer('bernoulli', 2, {}, 'visible'), createLayer('bernoulli', 1), Float64Array.from([1e308, 0]));
    const data = [0, 0, 0, 1, 1, 0, 1, 1];
    // -F(v) = v_0 1e308 (+ log 2 when v_0 = 0); Z = 2 e^{1e308} + 4 (rounded): log Z = 1e308 + log 2
    expect(exactLogLikelihood(rbm, data, 4)).toBe(-5e307);
    expect(pseudoLogLikelihood(rbm, data, 4)).toBe(-5e307);
  });

  it('pseudo-likelihood of gaussian visibles whose conditionals have modes e^{W^2/2} apart (|W| ~ 1e3) against a grid integral', () => {
    const w = Float64Array.from([1000, -300, 200, 400, -800, 50]); // 3 x 2
    const rbm = new RBM(createLayer('gaussian', 3, {}, 'visible'), createLayer('bernoulli', 2), w);
    const data = [0.1, 0.2, -1, -0.3, 0.5, 2];
    // oracle: log P(v_i | v_-i) = g(v_i) - log integral e^{g(s)} ds, g(s) = -s^2/2 + sum_mu softplus(I_mu^{-i} + W_i,mu s),
    // by the rectangle rule with step 2e-3 on [-1500, 1500] (the modes lie within |s| <= 1000 and g is
    // smooth at scale 1, so the rule converges geometrically: error far below 1e-9)
    const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    let expected = 0;
    for (let r = 0; r < 2; r++) {
      const v = data.slice(3 * r, 3 * r + 3);
      for (let i = 0; i < 3; i++) {
        const rest = [0, 1].map((mu) => v.reduce((acc, x, k) => acc + (k === i ? 0 : x * w[2 * k + mu]), 0));
        const g = (s: number) => -s * s / 2 + softplus(rest[0] + w[2 * i] * s) + softplus(rest[1] + w[2 * i + 1] * s);
        let max = -Infinity;
        const h = 2e-3;
        for (let s = -1500; s <= 1500; s += h) max = Math.max(max, g(s));
        let sum = 0;
        for (let s = -1500; s <= 1500; s += h) sum += Math.exp(g(s) - max);
        expected += g(v[i]) - (max + Math.log(sum * h));
      }
    }
    expected /= 2;
    expect(Math.abs(pseudoLogLikelihood(rbm, data, 2) - expected)).toBeLessThan(1e-9 * Math.abs(expected));
  });

  it('poisson units refuse a draw whose mean e^x passes 2^52 (x > 36.04), naming the unit and the input; below it they draw', () => {
    const layer = createLayer('poisson', 2, { bias: [0, 1] });
    const rng = createRng(3);
    expect(Number.isInteger(layer.sample(1, 35, rng))).toBe(true); // mean e^36 < 2^52
    expect(() => layer.sample(1, 36, rng)).toThrow(ModelError);
    expect(() => layer.sample(1, 36, rng)).toThrow(/poisson hidden unit 1: input plus bias x = 37 gives the mean e\^x = .* past 2\^52/);
    expect(() => layer.sample(0, 1000, rng)).toThrow(/e\^x = Infinity/);
  });

  it('the visible heat bath refuses a cumulant past float64 (poisson, x = 800) instead of drawing from NaN probabilities', () => {
    const rbm = new RBM(createLayer('bernoulli', 2, {}, 'visible'), createLayer('poisson', 1), Float64Array.from([800, 0]));
    const run = () => sampleVisibleStates(rbm, { chains: 4, sweeps: 2, rng: createRng(1), sampler: 'heatbath' });
    expect(run).toThrow(ModelError);
    expect(run).toThrow(/visible heat bath: poisson hidden unit 0 has cumulant Gamma = Infinity at input 800 .*e\^x overflows float64 for x > 709\.78/);
    // at x = 300, Gamma = e^300 is finite: the heat bath draws v_0 = 1 (P(v_0 = 0) = e^{-e^300})
    const finite = new RBM(createLayer('bernoulli', 2, {}, 'visible'), createLayer('poisson', 1), Float64Array.from([300, 0]));
    const states = sampleVisibleStates(finite, { chains: 4, sweeps: 2, rng: createRng(1), sampler: 'heatbath' });
    for (let c = 0; c < 4; c++) expect(states[2 * c]).toBe(1);
  });

  it('AIS refuses a base model whose log Z passes float64 (poisson bias 800), and weights whose inputs do', () => {
    const bias = new RBM(createLayer('bernoulli', 2, {}, 'visible'), createLayer('poisson', 1, { bias: [800] }), Float64Array.from([0.1, 0]));
    expect(() => annealedImportanceSampling(bias, { chains: 4, steps: 4, rng: createRng(1) })).toThrow(/AIS: the base model \(W = 0\): poisson hidden unit 0 has cumulant Gamma = Infinity/);
    const huge = new RBM(createLayer('bernoulli', 2, {}, 'visible'), createLayer('bernoulli', 1), Float64Array.from([1e308, 1e308]));
    expect(() => annealedImportanceSampling(huge, { chains: 50, steps: 4, rng: createRng(1) })).toThrow(/bernoulli hidden unit 0 has input Infinity/);
  });
});
