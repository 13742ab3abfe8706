/**
 * Checks that a model defines a distribution rbmlab can compute with, made once where a model is
 * loaded or handed to an estimator (io/load.ts, AIS), so that no command prints a number for a
 * model that has none.
 *
 * Finite parameters: every weight and unit parameter is a finite float64.
 *
 * Normalizability. P(v) ∝ exp(-F(v)), -F(v) = -sum_i U_i(v_i) + sum_mu Gamma_mu(I_mu(v)).
 * - Visible units with a finite support (bernoulli, spin): Z is a finite sum of finite terms
 *   (every Gamma is finite at finite input), so every model is normalizable, whatever the hidden units.
 * - Gaussian visible units, U_i(v) = gammaV_i v^2 / 2 - a_i v: Z is an integral over R^N, and it
 *   converges iff the quadratic part of -F is negative definite. With v~ = diag(gammaV)^{1/2} v and
 *   the hidden growth of units/unit.ts (CumulantGrowth), -F(v) = -|v~|^2 / 2 + f(v~) / 2 + O(|v|),
 *   where
 *
 *       f(u) = sum_mu [ plus_mu (k_mu . u)_+^2 + minus_mu (k_mu . u)_-^2 ],   k_mu = diag(gammaV)^{-1/2} W[:, mu].
 *
 *   f is homogeneous of degree 2, so Z < infinity iff r = max_{|u| = 1} f(u) < 1 (for r > 1 the
 *   integrand grows like exp((r - 1) |v~|^2 / 2) in a cone of directions; at r = 1 it is
 *   Gaussian-flat along u, and exp(linear) over a line diverges, so r = 1 is refused too).
 *   Per hidden growth class:
 *   - linear (bernoulli, spin, step): f = 0, always normalizable;
 *   - exponential (poisson, Gamma = e^x): e^{t |w|^2} beats e^{-t^2} along u = W[:, mu], so a model is
 *     normalizable only when W = 0;
 *   - quadratic with plus = minus = 1/gamma (gaussian): f(u) = |K^T u|^2, K = diag(gammaV)^{-1/2} W
 *     diag(gamma)^{-1/2}, so r = sigma_max(K)^2: normalizable iff sigma_max(K) < 1, i.e.
 *     diag(gammaV) - W diag(1/gamma) W^T is positive definite (decided exactly by a Cholesky
 *     factorization of I - K^T K or I - K K^T, the smaller);
 *   - quadratic with plus != minus (relu: minus = 0; drelu): f <= |K_max^T u|^2 with
 *     K_max = K scaled by max(plus, minus) per column, so sigma_max(K_max) < 1 is sufficient; it is
 *     not necessary (relu only counts the side where k_mu . u > 0). Writing (t)_+^2 = max_{s >= 0}
 *     (2 s t - s^2) shows r < 1 iff I - C^T C is strictly copositive, C the (up to 2M) columns
 *     sqrt(plus) k_mu and -sqrt(minus) k_mu, which is co-NP-hard to decide in general. Past the
 *     sufficient bound: with at most 12 columns r is computed exactly (exactGrowthRatio, over the
 *     2^L faces of the orthant); with more, r is searched by monotone ascent (u <- grad f /
 *     |grad f|, which never decreases the convex f on the sphere) from the top singular vector and
 *     the 16 largest columns: a direction with f(u) >= 1 proves the model is not normalizable; a
 *     model where none is found is accepted (the ascent can miss a narrow cone of growth). The
 *     tests compare both with the growth of -F and numerical integration in one and two dimensions.
 * - Custom units (no cumulantGrowth) with gaussian visibles are not decided (undefined).
 */
import type { RBM } from './rbm';
import type { UnitLayer } from '../units/unit';

/**
 * A model that is valid as data (a well-formed file) but defines no distribution rbmlab can
 * compute with: not normalizable, non-finite parameters, or a quantity that overflows float64.
 * The message is one line naming the reason; the CLI prints it and exits 2.
 */
export class ModelError extends Error {
  override readonly name = 'ModelError';
  constructor(message: string) {
    super(message.replace(/\s*[\r\n]+\s*/g, ' '));
  }
}

/** The first non-finite parameter ("weights[2][0] is NaN", "hidden.bias[1] is Infinity"), or undefined. */
export function nonFiniteParameter(rbm: RBM): string | undefined {
  const m = rbm.numHidden;
  for (let k = 0; k < rbm.weights.length; k++) {
    if (!Number.isFinite(rbm.weights[k])) return `weights[${Math.floor(k / m)}][${k % m}] is ${rbm.weights[k]}`;
  }
  for (const [layer, role] of [
    [rbm.visible, 'visible'],
    [rbm.hidden, 'hidden'],
  ] as const) {
    for (const [name, values] of Object.entries(layer.params)) {
      for (let j = 0; j < values.length; j++) if (!Number.isFinite(values[j])) return `${role}.${name}[${j}] is ${values[j]}`;
    }
  }
  return undefined;
}

/**
 * Why the model defines no probability distribution (Z = infinity), or undefined when it does (or
 * when that cannot be decided: custom units with gaussian visibles). See the file comment.
 */
export function normalizability(rbm: RBM): string | undefined {
  const { visible, hidden } = rbm;
  if (visible.support !== undefined) return undefined;
  const precision = visiblePrecision(visible);
  const growth = hidden.cumulantGrowth?.();
  if (precision === undefined || growth === undefined || growth.kind === 'linear') return undefined;
  const n = rbm.numVisible;
  const m = rbm.numHidden;
  const w = rbm.weights;
  const pair = `${visible.type} visible and ${hidden.type} hidden units`;
  if (growth.kind === 'exponential') {
    for (let mu = 0; mu < m; mu++) {
      for (let i = 0; i < n; i++) {
        if (w[i * m + mu] !== 0) {
          return (
            `not normalizable: ${pair} define no distribution unless W = 0 (Gamma grows faster than any quadratic, ` +
            `so exp(-F(v)) grows without bound along column ${mu} of W, which is not zero)`
          );
        }
      }
    }
    return undefined;
  }
  // k_mu = diag(gammaV)^{-1/2} W[:, mu]; bound columns scaled by sqrt(max(plus, minus))
  const bound = new Float64Array(n * m);
  let tight = true;
  let frobenius = 0;
  for (let mu = 0; mu < m; mu++) {
    const plus = growth.plus[mu];
    const minus = growth.minus[mu];
    if (plus !== minus) tight = false;
    const c = Math.sqrt(Math.max(plus, minus));
    for (let i = 0; i < n; i++) {
      const k = (w[i * m + mu] / Math.sqrt(precision[i])) * c;
      bound[i * m + mu] = k;
      frobenius += k * k;
    }
  }
  if (frobenius < 1) return undefined; // sigma_max <= Frobenius norm
  if (!(frobenius < Infinity)) {
    // some column has |k|^2 >= Number.MAX_VALUE / M >> 1, and r >= |k|^2 along u = k / |k|
    return `not normalizable: with ${pair}, the weights scaled by the precisions, W_i,mu^2 / (gammaV_i gamma_mu), pass float64's range, far above the visible precision`;
  }
  if (identityMinusGramIsPositiveDefinite(bound, n, m)) return undefined;
  if (tight) {
    const sigma = Math.sqrt(largestGramEigenvalue(bound, n, m));
    return (
      `not normalizable: with ${pair}, exp(-F(v)) is exp(-v^T A v / 2 + linear), and A = diag(gammaV) - W diag(1/gamma) W^T ` +
      `is not positive definite (the largest singular value of diag(gammaV)^-1/2 W diag(gamma)^-1/2 is ${sigma.toPrecision(6)}, it must be < 1)`
    );
  }
  const columns: Float64Array[] = [];
  for (let mu = 0; mu < m; mu++) {
    for (const [c, sign] of [
      [growth.plus[mu], 1],
      [growth.minus[mu], -1],
    ] as const) {
      if (!(c > 0)) continue;
      const s = sign * Math.sqrt(c);
      const k = new Float64Array(n);
      for (let i = 0; i < n; i++) k[i] = (s * w[i * m + mu]) / Math.sqrt(precision[i]);
      columns.push(k);
    }
  }
  const r = columns.length <= EXACT_MAX_COLUMNS ? exactGrowthRatio(columns, n) : growthRatio(columns, n, bound, m);
  if (r >= 1) {
    return (
      `not normalizable: with ${pair}, the hidden cumulants grow faster than the visible potential along some direction of v ` +
      `(sum_mu Gamma_mu(I_mu(v)) ~ ${r.toPrecision(6)} x sum_i gammaV_i v_i^2 / 2 there; the ratio must be < 1)`
    );
  }
  return undefined;
}

/** The largest x with e^x finite in float64: log(Number.MAX_VALUE). */
export const LOG_MAX_FLOAT64 = Math.log(Number.MAX_VALUE); // 709.78...

/**
 * The error for a cumulant that leaves float64 at a finite input: names the layer, the unit, its
 * total input x (with its own parameters) and why. `value` is what Gamma_j gave there.
 */
export function cumulantOverflowError(layer: UnitLayer, role: 'visible' | 'hidden', j: number, input: number, value: number, context: string): ModelError {
  const exponential = layer.cumulantGrowth?.().kind === 'exponential';
  const where = Number.isFinite(input)
    ? `has cumulant Gamma = ${value} at input ${input} (before its bias)${exponential ? ` (Gamma = e^x, and e^x overflows float64 for x > ${LOG_MAX_FLOAT64.toFixed(2)})` : ''}`
    : `has input ${input}: the sum of weights times ${role === 'hidden' ? 'visible' : 'hidden'} values passes float64's range`;
  return new ModelError(`${context}: ${layer.type} ${role} unit ${j} ${where}, so the energies and log Z leave float64's range (1.8e308)`);
}

/**
 * The error for a sum over the units of a layer of Gamma_j(input(j)) that is not finite: names the
 * first unit whose cumulant is not (see cumulantOverflowError), or says that only the sum passed
 * float64's range.
 */
export function cumulantSumError(layer: UnitLayer, role: 'visible' | 'hidden', input: (j: number) => number, context: string): ModelError {
  for (let j = 0; j < layer.size; j++) {
    const x = input(j);
    const g = layer.cumulant(j, x);
    if (!Number.isFinite(g)) return cumulantOverflowError(layer, role, j, x, g, context);
  }
  return new ModelError(`${context}: the sum of the ${layer.type} ${role} units' cumulants passes float64's range (1.8e308)`);
}

/**
 * Why a quantity computed from the model left float64 (for messages): the first of the `rows`
 * states in `data` whose free energy is not finite, else a general statement about log Z.
 */
export function energyOverflow(rbm: RBM, data?: ArrayLike<number>, rows = 0): string {
  if (data !== undefined && rows > 0) {
    const f = rbm.freeEnergies(Float64Array.from(data), rows);
    for (let r = 0; r < rows; r++) {
      if (!Number.isFinite(f[r])) return `the free energy F(v) of data row ${r + 1} is ${f[r]}: the inputs I(v) or the cumulants at them pass float64's range (1.8e308)`;
    }
  }
  return `the free energies -F(v) = -sum_i U_i(v_i) + sum_mu Gamma_mu(I_mu(v)) pass float64's range (1.8e308) at some states, so log Z is not a float64`;
}

/** Every check of this file; throws ModelError naming the first problem. */
export function checkModel(rbm: RBM): void {
  const bad = nonFiniteParameter(rbm);
  if (bad !== undefined) throw new ModelError(`the model's parameters must be finite, but ${bad}`);
  const reason = normalizability(rbm);
  if (reason !== undefined) throw new ModelError(reason);
}

/** gammaV_i of a visible layer whose potential is Gaussian (cumulant curvature 1/gammaV on both sides), else undefined. */
function visiblePrecision(layer: UnitLayer): Float64Array | undefined {
  const growth = layer.cumulantGrowth?.();
  if (growth === undefined || growth.kind !== 'quadratic') return undefined;
  const out = new Float64Array(layer.size);
  for (let i = 0; i < layer.size; i++) {
    if (growth.plus[i] !== growth.minus[i] || !(growth.plus[i] > 0)) return undefined;
    out[i] = 1 / growth.plus[i];
  }
  return out;
}

/** The Gram matrix of K (n x m row-major) on its smaller side: K K^T (n <= m) or K^T K, and its size. */
function smallGram(k: Float64Array, n: number, m: number): { g: Float64Array; d: number } {
  const d = Math.min(n, m);
  const g = new Float64Array(d * d);
  if (n <= m) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let mu = 0; mu < m; mu++) s += k[i * m + mu] * k[j * m + mu];
        g[i * d + j] = s;
        g[j * d + i] = s;
      }
    }
  } else {
    for (let i = 0; i < n; i++) {
      const row = i * m;
      for (let a = 0; a < m; a++) {
        const ka = k[row + a];
        if (ka === 0) continue;
        for (let b = 0; b <= a; b++) g[a * d + b] += ka * k[row + b];
      }
    }
    for (let a = 0; a < m; a++) for (let b = 0; b < a; b++) g[b * d + a] = g[a * d + b];
  }
  return { g, d };
}

/**
 * Whether I - K K^T (equivalently I - K^T K: the same nonzero spectrum) is positive definite, by
 * Cholesky on the smaller side: every pivot must be > 0.
 */
function identityMinusGramIsPositiveDefinite(k: Float64Array, n: number, m: number): boolean {
  const { g, d } = smallGram(k, n, m);
  for (let i = 0; i < d * d; i++) g[i] = -g[i];
  for (let i = 0; i < d; i++) g[i * d + i] += 1;
  for (let j = 0; j < d; j++) {
    let pivot = g[j * d + j];
    for (let p = 0; p < j; p++) pivot -= g[j * d + p] * g[j * d + p];
    if (!(pivot > 0)) return false;
    const l = Math.sqrt(pivot);
    g[j * d + j] = l;
    for (let i = j + 1; i < d; i++) {
      let s = g[i * d + j];
      for (let p = 0; p < j; p++) s -= g[i * d + p] * g[j * d + p];
      g[i * d + j] = s / l;
    }
  }
  return true;
}

/** Power iteration for the largest eigenvalue of the small Gram matrix (for messages only). */
function largestGramEigenvalue(k: Float64Array, n: number, m: number): number {
  const { g, d } = smallGram(k, n, m);
  let x = new Float64Array(d).fill(1 / Math.sqrt(d));
  let lambda = 0;
  for (let it = 0; it < 200; it++) {
    const y = new Float64Array(d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) y[i] += g[i * d + j] * x[j];
    const norm = Math.hypot(...y);
    if (norm === 0) return 0;
    const next = norm;
    for (let i = 0; i < d; i++) y[i] /= norm;
    x = y;
    if (Math.abs(next - lambda) <= 1e-14 * next) return next;
    lambda = next;
  }
  return lambda;
}

/**
 * The ascent's budget: starts (the top singular vector, both signs, then the largest columns),
 * steps per start, and the relative gain below which a start has converged. Each step costs
 * O(N x columns); at N = 784, M = 500 relu near the boundary the whole search takes a few seconds
 * (64 starts x 200 steps took 28 s there).
 */
const MAX_STARTS = 16;
const MAX_ASCENT_STEPS = 100;
const ASCENT_TOLERANCE = 1e-10;

/**
 * max over unit u of f(u) = sum_k (k . u)_+^2 as found by monotone ascent from several starts
 * (see the file comment): a lower bound on r, and r itself whenever one start lies in the basin
 * of the global maximum.
 */
function growthRatio(columns: Float64Array[], n: number, bound: Float64Array, m: number): number {
  const f = (u: Float64Array) => {
    let s = 0;
    for (const k of columns) {
      let t = 0;
      for (let i = 0; i < n; i++) t += k[i] * u[i];
      if (t > 0) s += t * t;
    }
    return s;
  };
  const starts: Float64Array[] = [];
  const top = topLeftSingularVector(bound, n, m);
  if (top !== undefined) starts.push(top, top.map((x) => -x));
  const byNorm = columns.map((k) => ({ k, norm: Math.hypot(...k) })).filter((c) => c.norm > 0);
  byNorm.sort((a, b) => b.norm - a.norm);
  for (const { k, norm } of byNorm.slice(0, MAX_STARTS)) starts.push(k.map((x) => x / norm));
  let best = 0;
  for (let u of starts) {
    let value = f(u);
    for (let it = 0; it < MAX_ASCENT_STEPS && value < 1; it++) {
      const grad = new Float64Array(n);
      for (const k of columns) {
        let t = 0;
        for (let i = 0; i < n; i++) t += k[i] * u[i];
        if (t > 0) for (let i = 0; i < n; i++) grad[i] += t * k[i];
      }
      const norm = Math.hypot(...grad);
      if (norm === 0) break;
      const next = grad.map((x) => x / norm);
      const nextValue = f(next);
      if (!(nextValue > value * (1 + ASCENT_TOLERANCE))) {
        value = Math.max(value, nextValue);
        break;
      }
      u = next;
      value = nextValue;
    }
    best = Math.max(best, value);
    if (best >= 1) break;
  }
  return best;
}

/** Columns up to which r is computed exactly (2^L principal submatrices; 12 takes ~0.1 s). */
const EXACT_MAX_COLUMNS = 12;

/**
 * r = max over unit u of sum_k (k . u)_+^2, exactly, for a few columns k (C = [k_1 .. k_L]). It
 * equals max over t >= 0, |t| = 1 of |C t|^2 (for a maximizer u take t = (C^T u)_+ normalized, and
 * for t take u = C t / |C t|). On the face of the orthant with support T a maximizer is a
 * stationary point of t^T G_T t, G_T = C_T^T C_T: an eigenvector of G_T with every entry > 0, whose
 * eigenvalue is the value. So r is the largest eigenvalue, over all T, whose eigenvector is
 * strictly positive (or negative). (Within a degenerate eigenspace holding a positive vector one
 * can move to the orthant's boundary at the same value: a smaller T has it, down to single columns.)
 */
function exactGrowthRatio(columns: Float64Array[], n: number): number {
  const L = columns.length;
  const gram = new Float64Array(L * L);
  for (let a = 0; a < L; a++) {
    for (let b = 0; b <= a; b++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += columns[a][i] * columns[b][i];
      gram[a * L + b] = s;
      gram[b * L + a] = s;
    }
  }
  let best = 0;
  for (let mask = 1; mask < 1 << L; mask++) {
    const idx: number[] = [];
    for (let a = 0; a < L; a++) if (mask & (1 << a)) idx.push(a);
    const d = idx.length;
    const sub = new Float64Array(d * d);
    for (let p = 0; p < d; p++) for (let q = 0; q < d; q++) sub[p * d + q] = gram[idx[p] * L + idx[q]];
    const { values, vectors } = symmetricEigen(sub, d);
    for (let j = 0; j < d; j++) {
      if (!(values[j] > best)) continue;
      let positive = true;
      let negative = true;
      for (let p = 0; p < d; p++) {
        const x = vectors[p * d + j];
        if (!(x > 0)) positive = false;
        if (!(x < 0)) negative = false;
      }
      if (positive || negative) best = values[j];
    }
  }
  return best;
}

/** Eigenvalues and eigenvectors (columns of `vectors`, d x d row-major) of a small symmetric matrix, by cyclic Jacobi rotations. */
function symmetricEigen(matrix: Float64Array, d: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let total = 0;
    for (let p = 0; p < d; p++) {
      for (let q = 0; q < d; q++) {
        total += a[p * d + q] * a[p * d + q];
        if (p !== q) off += a[p * d + q] * a[p * d + q];
      }
    }
    if (off <= 1e-30 * total || off === 0) break;
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q];
        if (apq === 0) continue;
        // the rotation that zeroes a[p][q]: tan(2 phi) = 2 a_pq / (a_qq - a_pp)
        const theta = (a[q * d + q] - a[p * d + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = a[k * d + p];
          const akq = a[k * d + q];
          a[k * d + p] = c * akp - s * akq;
          a[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p * d + k];
          const aqk = a[q * d + k];
          a[p * d + k] = c * apk - s * aqk;
          a[q * d + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = v[k * d + p];
          const vkq = v[k * d + q];
          v[k * d + p] = c * vkp - s * vkq;
          v[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(d);
  for (let i = 0; i < d; i++) values[i] = a[i * d + i];
  return { values, vectors: v };
}

/** The top left singular vector of K (n x m) by power iteration on K K^T, or undefined for K = 0. */
function topLeftSingularVector(k: Float64Array, n: number, m: number): Float64Array | undefined {
  let x = new Float64Array(n).fill(1 / Math.sqrt(n));
  for (let it = 0; it < 100; it++) {
    const t = new Float64Array(m);
    for (let i = 0; i < n; i++) for (let mu = 0; mu < m; mu++) t[mu] += k[i * m + mu] * x[i];
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let mu = 0; mu < m; mu++) y[i] += k[i * m + mu] * t[mu];
    const norm = Math.hypot(...y);
    if (norm === 0) return undefined;
    for (let i = 0; i < n; i++) y[i] /= norm;
    x = y;
  }
  return x;
}
