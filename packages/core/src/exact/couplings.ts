/**
 * The interactions that the hidden layer of an RBM induces among its binary visible units
 * (MODELS.md §2). Summing the hidden units out leaves
 *
 *     -F(v) = -sum_i U_i(v_i) + sum_mu Gamma_mu(I_mu(v)),     I_mu(v) = sum_i v_i W_{i mu},
 *
 * and every function of N binary variables has a unique multilinear expansion. With the visible
 * values v_i in {s0, s1} (bernoulli {0, 1}, spin {-1, +1}) there are two natural bases:
 *
 *   bernoulli basis, x_i = (v_i - s0) / (s1 - s0) in {0, 1}:
 *       -F = sum_S J_S prod_{i in S} x_i,
 *       J_S = sum_mu sum_{T subset of S} (-1)^{|S|-|T|} Gamma_mu(I_mu(T))  (+ U_i(s0) - U_i(s1) when S = {i})
 *     where I_mu(T) is the input of the state with the sites of T at s1 and every other site at s0
 *     (Moebius inversion). This is local in the weights: J_S needs only the rows of W in S.
 *     For bernoulli visibles I_mu(T) = sum_{i in T} W_{i mu} and the order-1 term adds a_i.
 *
 *   spin basis, sigma_i = (2 v_i - s0 - s1) / (s1 - s0) in {-1, +1}:
 *       -F = sum_S J_S prod_{i in S} sigma_i,
 *       J_S = 2^-N sum_sigma (-F(sigma)) prod_{i in S} sigma_i   (Walsh-Fourier coefficients)
 *     The visible part gives (U_i(s0) - U_i(s1)) / 2 at order 1 (a_i for spin visibles). A hidden
 *     unit's coefficient on S averages Gamma_mu over every other site it is connected to, so it
 *     is NOT local in S: it depends on every weight of the unit's column. It is local only in the
 *     hidden unit's neighbourhood (the sites i with W_{i mu} != 0).
 *
 * J_empty (the constant) is kept too, so that the full expansion reproduces -F(v) exactly.
 * The basis that matches a model's own encoding is its visible type; the two are related by the
 * change of variables sigma = 2 x - 1 (see changeCouplingBasis, and spinToBernoulliVisible /
 * bernoulliToSpinVisible in ../models/convert for the same change on the model).
 *
 * Methods (both exact; `method: 'auto'` takes the cheaper one that fits the limits):
 *   'local'     bernoulli basis: Gamma at the 2^|S| corners of each S (each corner computed once,
 *               M evaluations per subset T with |T| <= K, then the Moebius sums);
 *               spin basis: per hidden unit, a fast Walsh-Hadamard transform of Gamma_mu over its
 *               2^n_mu neighbourhood states (cheap for sparse W, 2^N per unit for dense W).
 *   'enumerate' -F at all 2^N visible states, then the fast Moebius transform (bernoulli basis)
 *               or the fast Walsh-Hadamard transform (spin basis), N 2^N operations.
 *
 * Ordering: couplings are stored and listed by order, then lexicographically by their ascending
 * sites ({0,1} < {0,2} < {1,2}); byOrder[k][r] is the coupling of the k-subset of rank r.
 *
 * Precision: the Moebius sums alternate over 2^k values of Gamma of size |Gamma| and the result
 * can be many orders smaller, so cancellation, not summation, sets the error: each Gamma is
 * correct only to a few ulps of its own size. Summations are compensated (Neumaier), which
 * removes the summation error but not that floor. `roundingError[k]` estimates the absolute
 * error of the order-k couplings as eps 2^k (k + 2) max_T sum_mu |Gamma_mu(I_mu(T))| (bernoulli)
 * or eps (n + 2) sum_mu max |Gamma_mu| (spin: Walsh coefficients are averages and do not amplify).
 * The estimate assumes each Gamma is accurate to a few ulps relative to its value.
 */
import { RBM } from '../models/rbm';
import type { Rng } from '../random/rng';
import { GaussianLayer, PoissonLayer } from '../units/builtin';
import type { UnitLayer } from '../units/unit';
import { DEFAULT_MAX_ENUMERATED_UNITS, partialStates } from './enumerate';

/**
 * Basis of the multilinear expansion of -F(v): 'bernoulli' in x_i = (v_i - s0)/(s1 - s0) in {0, 1},
 * 'spin' in sigma_i = 2 x_i - 1 in {-1, +1}.
 */
export type CouplingBasis = 'bernoulli' | 'spin';
/** Every CouplingBasis, in the order messages list them. */
export const COUPLING_BASES: readonly CouplingBasis[] = ['bernoulli', 'spin'];
/**
 * Exact algorithm of the induced couplings: 'local' (Gamma at the corners of each subset, or a Walsh-Hadamard
 * transform per hidden unit's neighbourhood) or 'enumerate' (-F at all 2^N states, then one fast transform).
 */
export type CouplingMethod = 'local' | 'enumerate';

/** Default largest number of couplings (all orders together) computed in one call. */
export const DEFAULT_MAX_COUPLINGS = 10_000_000;

const EPS = Number.EPSILON;
/** Rough cost of one Gamma evaluation in additions, to choose between methods. */
const GAMMA_COST = 20;

/** Couplings that cannot be computed for this model or these options (the message says why). */
export class CouplingError extends Error {
  override readonly name = 'CouplingError';
}

/**
 * Options of `inducedCouplings`: the basis, the algorithm, and the limits on couplings and enumerated sites.
 */
export interface InducedCouplingOptions {
  /** Expansion basis; default the model's visible type ('bernoulli' or 'spin'). */
  readonly basis?: CouplingBasis;
  /** Algorithm; default 'auto' (the cheaper exact one within the limits). */
  readonly method?: CouplingMethod | 'auto';
  /** Largest number of couplings sum_{k=0}^{K} C(N, k) (default 1e7). */
  readonly maxCouplings?: number;
  /** Largest number of sites whose 2^n states are enumerated (default 24, at most 30). */
  readonly maxEnumerated?: number;
}

/**
 * The expansion -F(v) = sum_{|S| <= K} J_S prod_{i in S} x_i (or sigma_i) of an RBM's binary visible
 * units, by order: byOrder[k][r] is J of the k-subset of lexicographic rank r, with its rounding bound.
 */
export interface InducedCouplings {
  readonly basis: CouplingBasis;
  readonly method: CouplingMethod;
  readonly numVisible: number;
  /** Highest order computed, min(requested, N). */
  readonly maxOrder: number;
  /** The two values of a visible unit [s0, s1]: x = (v - s0)/(s1 - s0), sigma = 2 x - 1. */
  readonly support: readonly [number, number];
  /** J_empty: the constant term of -F. */
  readonly constant: number;
  /** byOrder[k] holds the C(N, k) couplings of order k, k-subsets in lexicographic order (byOrder[0] = [constant]). */
  readonly byOrder: readonly Float64Array[];
  /** Estimated absolute rounding error of the order-k couplings, k = 0..maxOrder (see the module comment). */
  readonly roundingError: Float64Array;
}

// ---------------------------------------------------------------------------------------------
// Subsets: counting, lexicographic rank, enumeration

/** C(n, k) as a float64 (exact while below 2^53). */
export function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  k = Math.min(k, n - k);
  let c = 1;
  for (let j = 1; j <= k; j++) c = (c * (n - k + j)) / j;
  return Math.round(c);
}

/** Number of subsets S of N sites with |S| <= maxOrder, the constant included. */
export function numSubsets(n: number, maxOrder: number): number {
  let total = 0;
  for (let k = 0; k <= Math.min(n, maxOrder); k++) total += binomial(n, k);
  return total;
}

/** Table C(a, b) for a = 0..n, b = 0..kMax, row-major (kMax + 1 columns). */
function binomialTable(n: number, kMax: number): Float64Array {
  const w = kMax + 1;
  const t = new Float64Array((n + 1) * w);
  for (let a = 0; a <= n; a++) {
    t[a * w] = 1;
    for (let b = 1; b <= Math.min(a, kMax); b++) t[a * w + b] = t[(a - 1) * w + b - 1] + (b <= a - 1 ? t[(a - 1) * w + b] : 0);
  }
  return t;
}

/**
 * Lexicographic rank among the k-subsets of {0..n-1} of the ascending sites[0..k-1]. Lexicographic
 * order is the reverse of colexicographic order of the mirrored set {n-1-s}, whose rank is
 * sum_p C(t_p, p+1) over its ascending elements t_p.
 */
function lexRank(sites: ArrayLike<number>, k: number, n: number, table: Float64Array, w: number): number {
  let colex = 0;
  for (let p = 0; p < k; p++) colex += table[(n - 1 - sites[k - 1 - p]) * w + p + 1];
  return table[n * w + k] - 1 - colex;
}

/** Rank of an ascending k-subset of {0..n-1} in lexicographic order. */
export function subsetRank(n: number, sites: readonly number[]): number {
  checkSites(n, sites);
  const k = sites.length;
  return lexRank(sites, k, n, binomialTable(n, k), k + 1);
}

/** Advances an ascending k-subset of {0..n-1} to its lexicographic successor; false after the last. */
function nextSubset(s: Int32Array | number[], k: number, n: number): boolean {
  let p = k - 1;
  while (p >= 0 && s[p] === n - k + p) p--;
  if (p < 0) return false;
  s[p]++;
  for (let q = p + 1; q < k; q++) s[q] = s[q - 1] + 1;
  return true;
}

function checkSites(n: number, sites: readonly number[]): void {
  for (let p = 0; p < sites.length; p++) {
    const s = sites[p];
    if (!Number.isInteger(s) || s < 0 || s >= n || (p > 0 && s <= sites[p - 1])) {
      throw new RangeError(`sites must be distinct ascending integers in 0..${n - 1}, got [${sites.join(', ')}]`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The couplings of one model

/** The binary visible values of a model, or a CouplingError saying why it has no expansion. */
function binarySupport(visible: UnitLayer): [number, number] {
  const support = visible.support;
  if (support === undefined || support.length !== 2 || !visible.hasPotential) {
    throw new CouplingError(
      `induced couplings need binary visible units (bernoulli or spin); ${visible.type} visible units ` +
        `are not binary, and -F(v) has no multilinear expansion in them`,
    );
  }
  return [support[0], support[1]];
}

/** The basis whose variables are the visible values themselves: {0, 1} bernoulli, {-1, +1} spin. */
function defaultBasis(visible: UnitLayer): CouplingBasis {
  const [s0, s1] = binarySupport(visible);
  if (s0 === 0 && s1 === 1) return 'bernoulli';
  if (s0 === -1 && s1 === 1) return 'spin';
  throw new CouplingError(`${visible.type} visible units take values ${s0} and ${s1}; choose basis 'bernoulli' or 'spin'`);
}

/**
 * Exact induced couplings J_S of every subset S of the visible units with |S| <= maxOrder, in the
 * given basis (module comment). Works for any hidden unit type, custom ones included: only each
 * unit's cumulant Gamma is used. Throws CouplingError for gaussian visibles and for requests over
 * the limits (maxCouplings, maxEnumerated), naming the limit.
 */
export function inducedCouplings(rbm: RBM, maxOrder: number, options: InducedCouplingOptions = {}): InducedCouplings {
  const support = binarySupport(rbm.visible);
  const basis = options.basis ?? defaultBasis(rbm.visible);
  if (!COUPLING_BASES.includes(basis)) throw new RangeError(`unknown basis "${basis}" (known: ${COUPLING_BASES.join(', ')})`);
  if (!Number.isInteger(maxOrder) || maxOrder < 0) throw new RangeError(`maxOrder must be an integer >= 0, got ${maxOrder}`);
  const n = rbm.numVisible;
  const m = rbm.numHidden;
  const k = Math.min(maxOrder, n);
  const maxCouplings = options.maxCouplings ?? DEFAULT_MAX_COUPLINGS;
  const maxEnumerated = options.maxEnumerated ?? DEFAULT_MAX_ENUMERATED_UNITS;
  if (!Number.isInteger(maxEnumerated) || maxEnumerated < 1 || maxEnumerated > 30) {
    throw new RangeError(`maxEnumerated must be an integer in 1..30, got ${maxEnumerated}`);
  }
  const count = numSubsets(n, k);
  if (count > maxCouplings) {
    throw new CouplingError(
      `couplings up to order ${k} of ${n} visible units number ${count}, more than the limit of ${maxCouplings} ` +
        `(maxCouplings); lower the order`,
    );
  }

  // cost estimates of the exact methods, in additions; Infinity where a method does not fit
  let gammaLocal = 0;
  let moebius = 0;
  for (let j = 0; j <= k; j++) {
    gammaLocal += binomial(n, j);
    moebius += binomial(n, j) * 2 ** j * (j + 1);
  }
  const neighbourhoods = basis === 'spin' ? hiddenNeighbourhoods(rbm) : [];
  const largestNeighbourhood = neighbourhoods.reduce((a, nb) => Math.max(a, nb.length), 0);
  const costEnumerate = n <= maxEnumerated ? 2 ** n * (GAMMA_COST * m + n) + count * k : Infinity;
  const costLocal =
    basis === 'bernoulli'
      ? GAMMA_COST * m * gammaLocal + moebius
      : largestNeighbourhood <= maxEnumerated
        ? neighbourhoods.reduce((a, nb) => a + 2 ** nb.length * (GAMMA_COST + nb.length + 1), 0)
        : Infinity;

  const requested = options.method ?? 'auto';
  let method: CouplingMethod;
  if (requested === 'auto') {
    if (costLocal === Infinity && costEnumerate === Infinity) {
      throw new CouplingError(
        `spin-basis couplings need the 2^n states of each hidden unit's neighbourhood (largest n = ${largestNeighbourhood}) ` +
          `or all 2^${n} visible states, and both exceed 2^${maxEnumerated} (maxEnumerated); the bernoulli basis is local in the weights`,
      );
    }
    method = costLocal <= costEnumerate ? 'local' : 'enumerate';
  } else if (requested === 'local' || requested === 'enumerate') {
    method = requested;
    if (method === 'enumerate' && n > maxEnumerated) {
      throw new CouplingError(`method 'enumerate' visits all 2^${n} visible states, more than 2^${maxEnumerated} (maxEnumerated)`);
    }
    if (method === 'local' && costLocal === Infinity) {
      throw new CouplingError(
        `method 'local' in the spin basis visits 2^${largestNeighbourhood} states of a hidden unit's neighbourhood, ` +
          `more than 2^${maxEnumerated} (maxEnumerated)`,
      );
    }
  } else {
    throw new RangeError(`unknown method "${String(requested)}" (known: auto, local, enumerate)`);
  }

  const byOrder: Float64Array[] = [];
  for (let j = 0; j <= k; j++) byOrder.push(new Float64Array(binomial(n, j)));
  const roundingError = new Float64Array(k + 1);
  if (method === 'enumerate') enumerateCouplings(rbm, basis, support, k, byOrder, roundingError);
  else if (basis === 'bernoulli') localBernoulliCouplings(rbm, support, k, byOrder, roundingError);
  else localSpinCouplings(rbm, support, k, neighbourhoods, byOrder, roundingError);
  return { basis, method, numVisible: n, maxOrder: k, support, constant: byOrder[0][0], byOrder, roundingError };
}

/** Neumaier's compensated sum: add(x) many times, then value. */
class CompensatedSum {
  sum = 0;
  comp = 0;
  add(x: number): void {
    const s = this.sum + x;
    this.comp += Math.abs(this.sum) >= Math.abs(x) ? this.sum - s + x : x - s + this.sum;
    this.sum = s;
  }
  get value(): number {
    return this.sum + this.comp;
  }
  reset(): void {
    this.sum = 0;
    this.comp = 0;
  }
}

/**
 * The visible part of -F, -sum_i U_i(v_i), is additive: in the bernoulli basis it gives
 * J_empty += -sum_i U_i(s0) and J_i += U_i(s0) - U_i(s1); in the spin basis
 * J_empty += -sum_i (U_i(s0) + U_i(s1)) / 2 and J_i += (U_i(s0) - U_i(s1)) / 2.
 */
function addVisibleFields(visible: UnitLayer, basis: CouplingBasis, support: readonly [number, number], byOrder: Float64Array[]): number {
  const [s0, s1] = support;
  const n = visible.size;
  let constant = 0;
  let size = 0;
  for (let i = 0; i < n; i++) {
    const u0 = visible.potential(i, s0);
    const u1 = visible.potential(i, s1);
    if (basis === 'bernoulli') {
      constant -= u0;
      if (byOrder.length > 1) byOrder[1][i] += u0 - u1;
    } else {
      constant -= (u0 + u1) / 2;
      if (byOrder.length > 1) byOrder[1][i] += (u0 - u1) / 2;
    }
    size = Math.max(size, Math.abs(u0), Math.abs(u1));
  }
  byOrder[0][0] += constant;
  return size * n;
}

/**
 * Bernoulli basis, local method. g(T) = sum_mu Gamma_mu(I_mu(T)) for every T with |T| <= K,
 * visited depth first with the inputs of each prefix kept per depth (one add per hidden unit per
 * subset, so nothing drifts), stored by (order, lexicographic rank); then
 * J_S = sum_{T subset of S} (-1)^{|S|-|T|} g(T), compensated. Cost: M sum_k C(N,k) Gamma
 * evaluations and sum_k C(N,k) 2^k k additions.
 */
function localBernoulliCouplings(rbm: RBM, support: readonly [number, number], k: number, byOrder: Float64Array[], err: Float64Array): void {
  const n = rbm.numVisible;
  const m = rbm.numHidden;
  const [s0, s1] = support;
  const hidden = rbm.hidden;
  const w = k + 1;
  const table = binomialTable(n, k);
  // base input (all sites at s0) and the step of site i, delta_{i mu} = (s1 - s0) W_{i mu}
  const base = new Float64Array(m);
  if (s0 !== 0) for (let i = 0; i < n; i++) for (let mu = 0; mu < m; mu++) base[mu] += s0 * rbm.weights[i * m + mu];
  const step = rbm.weights.map((x) => (s1 - s0) * x);
  const g: Float64Array[] = byOrder.map((a) => new Float64Array(a.length));
  const size = new Float64Array(k + 1); // max_T sum_mu |Gamma_mu| by order
  const inputs: Float64Array[] = [base];
  for (let d = 1; d <= k; d++) inputs.push(new Float64Array(m));
  const sites = new Int32Array(Math.max(k, 1));
  const acc = new CompensatedSum();
  const evaluate = (depth: number): void => {
    const x = inputs[depth];
    acc.reset();
    let abs = 0;
    for (let mu = 0; mu < m; mu++) {
      const gamma = hidden.cumulant(mu, x[mu]);
      acc.add(gamma);
      abs += Math.abs(gamma);
    }
    g[depth][depth === 0 ? 0 : lexRank(sites, depth, n, table, w)] = acc.value;
    if (abs > size[depth]) size[depth] = abs;
  };
  const visit = (depth: number, first: number): void => {
    // depth = size of the current prefix sites[0..depth-1]; extend it by each j >= first
    const from = inputs[depth];
    const to = inputs[depth + 1];
    for (let j = first; j < n; j++) {
      sites[depth] = j;
      const row = j * m;
      for (let mu = 0; mu < m; mu++) to[mu] = from[mu] + step[row + mu];
      evaluate(depth + 1);
      if (depth + 1 < k) visit(depth + 1, j + 1);
    }
  };
  evaluate(0);
  if (k > 0) visit(0, 0);

  // Moebius inversion, subset by subset
  byOrder[0][0] = g[0][0];
  const s = new Int32Array(Math.max(k, 1));
  const t = new Int32Array(Math.max(k, 1));
  for (let order = 1; order <= k; order++) {
    const out = byOrder[order];
    for (let p = 0; p < order; p++) s[p] = p;
    let r = 0;
    do {
      acc.reset();
      for (let mask = 0; mask < 1 << order; mask++) {
        let sizeT = 0;
        for (let p = 0; p < order; p++) if ((mask >>> p) & 1) t[sizeT++] = s[p];
        const value = g[sizeT][sizeT === 0 ? 0 : lexRank(t, sizeT, n, table, w)];
        acc.add((order - sizeT) & 1 ? -value : value);
      }
      out[r++] = acc.value;
    } while (nextSubset(s, order, n));
  }
  let running = 0;
  for (let order = 0; order <= k; order++) {
    running = Math.max(running, size[order]);
    err[order] = EPS * 2 ** order * (order + 2) * running;
  }
  const visibleSize = addVisibleFields(rbm.visible, 'bernoulli', support, byOrder);
  for (let order = 0; order <= Math.min(k, 1); order++) err[order] += 2 * EPS * visibleSize;
}

/** The sites each hidden unit is connected to (W_{i mu} != 0), ascending. */
function hiddenNeighbourhoods(rbm: RBM): number[][] {
  const n = rbm.numVisible;
  const m = rbm.numHidden;
  const out: number[][] = Array.from({ length: m }, () => []);
  for (let i = 0; i < n; i++) for (let mu = 0; mu < m; mu++) if (rbm.weights[i * m + mu] !== 0) out[mu].push(i);
  return out;
}

/**
 * In-place fast Walsh-Hadamard transform of f over n bits, normalized: afterwards f[S] =
 * 2^-n sum_s f(s) prod_{i in S} sigma_i(s), with bit i of s set meaning sigma_i = +1. Each pair
 * (a, b) (bit clear, bit set) becomes ((a + b) / 2, (b - a) / 2); halving is exact in binary.
 */
function walshHadamard(f: Float64Array, bits: number): void {
  const size = 1 << bits;
  for (let h = 1; h < size; h <<= 1) {
    for (let start = 0; start < size; start += h << 1) {
      for (let s = start; s < start + h; s++) {
        const a = f[s];
        const b = f[s + h];
        f[s] = (a + b) / 2;
        f[s + h] = (b - a) / 2;
      }
    }
  }
}

/** In-place fast Moebius transform over n bits: afterwards f[S] = sum_{T subset of S} (-1)^{|S|-|T|} f(T). */
function moebiusTransform(f: Float64Array, bits: number): void {
  const size = 1 << bits;
  for (let h = 1; h < size; h <<= 1) {
    for (let start = 0; start < size; start += h << 1) {
      for (let s = start; s < start + h; s++) f[s + h] -= f[s];
    }
  }
}

/**
 * Spin basis, local method: per hidden unit, Gamma_mu at the 2^n states of its neighbourhood
 * (built by doubling: the state with the top bit set adds that site's step), its normalized
 * Walsh-Hadamard transform, and each coefficient of a subset with |S| <= K added to J_S.
 * Sites outside the neighbourhood do not change Gamma_mu, so its coefficients on sets that
 * contain them vanish.
 */
function localSpinCouplings(
  rbm: RBM,
  support: readonly [number, number],
  k: number,
  neighbourhoods: number[][],
  byOrder: Float64Array[],
  err: Float64Array,
): void {
  const n = rbm.numVisible;
  const m = rbm.numHidden;
  const [s0, s1] = support;
  const w = k + 1;
  const table = binomialTable(n, k);
  const sites = new Int32Array(Math.max(k, 1));
  // sum over hidden units of each coefficient, compensated, in the output's layout
  const sums = byOrder.map((a) => new Float64Array(a.length));
  const comps = byOrder.map((a) => new Float64Array(a.length));
  let errSum = 0;
  for (let mu = 0; mu < m; mu++) {
    const nb = neighbourhoods[mu];
    const bits = nb.length;
    const f = new Float64Array(1 << bits);
    let base = 0;
    for (const i of nb) base += s0 * rbm.weights[i * m + mu];
    f[0] = base;
    for (let b = 0; b < bits; b++) {
      const delta = (s1 - s0) * rbm.weights[nb[b] * m + mu];
      const h = 1 << b;
      for (let s = 0; s < h; s++) f[s + h] = f[s] + delta;
    }
    let size = 0;
    for (let s = 0; s < f.length; s++) {
      f[s] = rbm.hidden.cumulant(mu, f[s]);
      size = Math.max(size, Math.abs(f[s]));
    }
    errSum += EPS * (bits + 2) * size;
    walshHadamard(f, bits);
    for (let s = 0; s < f.length; s++) {
      let order = 0;
      for (let b = 0; b < bits && order <= k; b++) if ((s >>> b) & 1) order++;
      if (order > k) continue;
      order = 0;
      for (let b = 0; b < bits; b++) if ((s >>> b) & 1) sites[order++] = nb[b];
      const r = order === 0 ? 0 : lexRank(sites, order, n, table, w);
      const x = f[s];
      const sum = sums[order][r];
      const t = sum + x;
      comps[order][r] += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
      sums[order][r] = t;
    }
  }
  for (let order = 0; order <= k; order++) {
    const out = byOrder[order];
    for (let r = 0; r < out.length; r++) out[r] = sums[order][r] + comps[order][r];
  }
  const visibleSize = addVisibleFields(rbm.visible, 'spin', support, byOrder);
  err.fill(errSum + 2 * EPS * visibleSize);
}

/**
 * Either basis by enumeration: f(s) = -F(v(s)) at all 2^N visible states (bit i of s set: v_i =
 * s1), inputs as the sum of two precomputed halves (low and high bits) so nothing drifts; then
 * the Moebius transform (bernoulli basis) or the normalized Walsh-Hadamard transform (spin basis),
 * and the coefficients of subsets with |S| <= K read out in the output's order.
 */
function enumerateCouplings(
  rbm: RBM,
  basis: CouplingBasis,
  support: readonly [number, number],
  k: number,
  byOrder: Float64Array[],
  err: Float64Array,
): void {
  const n = rbm.numVisible;
  const m = rbm.numHidden;
  const f = new Float64Array(2 ** n);
  const lo = Math.ceil(n / 2);
  const hi = n - lo;
  const low = partialStates(rbm.visible, support, rbm.weights, m, lo, 0);
  const high = partialStates(rbm.visible, support, rbm.weights, m, hi, lo);
  const acc = new CompensatedSum();
  let size = 0;
  for (let h = 0; h < high.count; h++) {
    for (let l = 0; l < low.count; l++) {
      acc.reset();
      acc.add(-low.potentials[l]);
      acc.add(-high.potentials[h]);
      let abs = Math.abs(low.potentials[l]) + Math.abs(high.potentials[h]);
      for (let mu = 0; mu < m; mu++) {
        const gamma = rbm.hidden.cumulant(mu, low.inputs[l * m + mu] + high.inputs[h * m + mu]);
        acc.add(gamma);
        abs += Math.abs(gamma);
      }
      f[h * low.count + l] = acc.value;
      if (abs > size) size = abs;
    }
  }
  if (basis === 'spin') walshHadamard(f, n);
  else moebiusTransform(f, n);
  const s = new Int32Array(Math.max(k, 1));
  byOrder[0][0] = f[0];
  for (let order = 1; order <= k; order++) {
    for (let p = 0; p < order; p++) s[p] = p;
    let r = 0;
    const out = byOrder[order];
    do {
      let mask = 0;
      for (let p = 0; p < order; p++) mask += 2 ** s[p];
      out[r++] = f[mask];
    } while (nextSubset(s, order, n));
  }
  for (let order = 0; order <= k; order++) {
    err[order] = basis === 'spin' ? EPS * (n + 2) * size : EPS * 2 ** order * (order + 2) * size;
  }
}

// ---------------------------------------------------------------------------------------------
// Reading couplings

function checkCouplings(c: InducedCouplings): void {
  if (c.byOrder.length !== c.maxOrder + 1) throw new RangeError('couplings: byOrder must have maxOrder + 1 orders');
}

/** J_S for the given ascending sites (|S| <= maxOrder); [] gives the constant. */
export function couplingOf(c: InducedCouplings, sites: readonly number[]): number {
  checkCouplings(c);
  if (sites.length > c.maxOrder) throw new RangeError(`couplings were computed up to order ${c.maxOrder}, asked for order ${sites.length}`);
  if (sites.length === 0) return c.constant;
  return c.byOrder[sites.length][subsetRank(c.numVisible, sites)];
}

/**
 * Visits every coupling of order minOrder..maxOrder (default 1..maxOrder) by order, then
 * lexicographically. `sites` is reused between calls: copy it to keep it.
 */
export function forEachCoupling(
  c: InducedCouplings,
  visit: (sites: readonly number[], J: number) => void,
  minOrder = 1,
): void {
  checkCouplings(c);
  const n = c.numVisible;
  for (let order = Math.max(0, minOrder); order <= c.maxOrder; order++) {
    const s: number[] = Array.from({ length: order }, (_, p) => p);
    const values = c.byOrder[order];
    let r = 0;
    do visit(s, values[r++]);
    while (nextSubset(s, order, n));
  }
}

/** Every coupling of order 1..maxOrder as {sites, J}, by order then lexicographically. */
export function couplingList(c: InducedCouplings): { sites: number[]; J: number }[] {
  const out: { sites: number[]; J: number }[] = [];
  forEachCoupling(c, (sites, J) => out.push({ sites: sites.slice(), J }));
  return out;
}

/**
 * The expansion at a visible state v (values in the model's support):
 * J_empty + sum_{1 <= |S| <= maxOrder} J_S prod_{i in S} z_i with z the basis variables of v
 * (x in {0, 1} or sigma in {-1, +1}). With maxOrder = N this is -F(v).
 */
export function couplingExpansion(c: InducedCouplings, v: ArrayLike<number>): number {
  const n = c.numVisible;
  if (v.length !== n) throw new RangeError(`couplingExpansion: state has ${v.length} values, expected ${n}`);
  const [s0, s1] = c.support;
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (v[i] !== s0 && v[i] !== s1) throw new RangeError(`couplingExpansion: v[${i}] = ${v[i]} is not ${s0} or ${s1}`);
    const x = v[i] === s1 ? 1 : 0;
    z[i] = c.basis === 'bernoulli' ? x : 2 * x - 1;
  }
  const acc = new CompensatedSum();
  acc.add(c.constant);
  forEachCoupling(c, (sites, J) => {
    let prod = J;
    for (const i of sites) prod *= z[i];
    acc.add(prod);
  });
  return acc.value;
}

/**
 * The full expansion (maxOrder = N, N <= 30) in the other basis. With sigma = 2 x - 1:
 *   bernoulli -> spin: prod_{i in T} x_i = 2^-|T| prod (1 + sigma_i), so J^s_S = sum_{T >= S} 2^-|T| J^b_T;
 *   spin -> bernoulli: prod_{i in T} sigma_i = prod (2 x_i - 1), so J^b_S = sum_{T >= S} 2^|S| (-1)^{|T|-|S|} J^s_T.
 * Done one site at a time on the 2^N coefficients (pairs: without i, with i). roundingError is
 * carried through the same sums in absolute value.
 */
export function changeCouplingBasis(c: InducedCouplings, basis: CouplingBasis): InducedCouplings {
  checkCouplings(c);
  const n = c.numVisible;
  if (c.maxOrder !== n) throw new CouplingError(`a change of basis needs the full expansion (maxOrder = N = ${n}), got maxOrder ${c.maxOrder}`);
  if (n > 30) throw new CouplingError(`a change of basis handles at most 30 visible units, got ${n}`);
  if (basis === c.basis) return c;
  const f = new Float64Array(2 ** n);
  const e = new Float64Array(2 ** n);
  forEachCoupling(
    c,
    (sites, J) => {
      let mask = 0;
      for (const i of sites) mask += 2 ** i;
      f[mask] = J;
      e[mask] = c.roundingError[sites.length];
    },
    0,
  );
  for (let h = 1; h < f.length; h *= 2) {
    for (let start = 0; start < f.length; start += 2 * h) {
      for (let s = start; s < start + h; s++) {
        if (basis === 'spin') {
          f[s] += f[s + h] / 2;
          f[s + h] /= 2;
          e[s] += e[s + h] / 2;
          e[s + h] /= 2;
        } else {
          f[s] -= f[s + h];
          f[s + h] *= 2;
          e[s] += e[s + h];
          e[s + h] *= 2;
        }
      }
    }
  }
  const byOrder: Float64Array[] = [];
  const roundingError = new Float64Array(n + 1);
  for (let order = 0; order <= n; order++) byOrder.push(new Float64Array(binomial(n, order)));
  const s = new Int32Array(Math.max(n, 1));
  for (let order = 0; order <= n; order++) {
    for (let p = 0; p < order; p++) s[p] = p;
    let r = 0;
    do {
      let mask = 0;
      for (let p = 0; p < order; p++) mask += 2 ** s[p];
      byOrder[order][r++] = f[mask];
      roundingError[order] = Math.max(roundingError[order], e[mask] + EPS * Math.abs(f[mask]) * n);
    } while (nextSubset(s, order, n));
  }
  return { ...c, basis, byOrder, constant: byOrder[0][0], roundingError };
}

// ---------------------------------------------------------------------------------------------
// Couplings of chosen subsets (the local formula, at any N)

/**
 * J_S in the bernoulli basis for subsets S chosen by the caller, by the local formula
 *
 *     J_S = sum_mu sum_{T subset of S} (-1)^{|S|-|T|} Gamma_mu(I_mu(T))   (+ U_i(s0) - U_i(s1) when S = {i}),
 *     I_mu(T) = s0 sum_i W_{i mu} + (s1 - s0) sum_{i in T} W_{i mu},
 *
 * which needs only the rows of W in S (and, for visible values s0 != 0, the column sums): nothing
 * of size 2^N is formed, so it works at N in the hundreds, where inducedCouplings cannot list
 * every subset. Returns a function of the ascending or unordered sites of S (|S| >= 1, distinct,
 * in range: RangeError otherwise); each call costs M 2^|S| (|S| + 1) operations. The same numbers
 * as inducedCouplings(rbm, k, {basis: 'bernoulli'}) up to the rounding of the Moebius sums.
 */
export function subsetCouplings(rbm: RBM): (sites: ArrayLike<number>) => number {
  const [s0, s1] = binarySupport(rbm.visible);
  const n = rbm.numVisible;
  const m = rbm.numHidden;
  const w = rbm.weights;
  const base = new Float64Array(m);
  if (s0 !== 0) for (let i = 0; i < n; i++) for (let mu = 0; mu < m; mu++) base[mu] += s0 * w[i * m + mu];
  const step = s1 - s0;
  return (sites) => {
    const k = sites.length;
    if (k < 1 || k > 30) throw new RangeError(`subsetCouplings: |S| must be in 1..30, got ${k}`);
    for (let a = 0; a < k; a++) {
      const i = sites[a];
      if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new RangeError(`subsetCouplings: site ${i} outside 0..${n - 1}`);
      for (let b = 0; b < a; b++) if (sites[b] === i) throw new RangeError(`subsetCouplings: site ${i} appears twice`);
    }
    let total = 0;
    for (let mu = 0; mu < m; mu++) {
      let sum = 0;
      for (let t = 0; t < 1 << k; t++) {
        let input = base[mu];
        let size = 0;
        for (let a = 0; a < k; a++) {
          if (t & (1 << a)) {
            input += step * w[sites[a] * m + mu];
            size++;
          }
        }
        const gamma = rbm.hidden.cumulant(mu, input);
        sum += (k - size) % 2 === 0 ? gamma : -gamma;
      }
      total += sum;
    }
    if (k === 1) total += rbm.visible.potential(sites[0], s0) - rbm.visible.potential(sites[0], s1);
    return total;
  };
}

/**
 * A uniformly random k-subset of {0, ..., n-1}, ascending (Floyd's algorithm: k draws from rng,
 * each k-subset with probability 1 / C(n, k)).
 */
export function randomSubset(n: number, k: number, rng: Rng): number[] {
  if (!(Number.isInteger(n) && Number.isInteger(k) && k >= 0 && k <= n)) throw new RangeError(`randomSubset: need integers 0 <= k <= n, got k = ${k}, n = ${n}`);
  const chosen = new Set<number>();
  for (let j = n - k; j < n; j++) {
    const t = rng.int(j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  return [...chosen].sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------------------------
// Ensembles of RBMs with Gaussian weights

/**
 * Options of `inducedCouplingStatistics`: R = `samples` RBMs with W_{i mu} ~ Normal(0, s^2) from `rng`,
 * couplings up to order `maxOrder`; basis, method and maxCouplings as for `inducedCouplings`.
 */
export interface CouplingEnsembleOptions {
  /** s: weights are drawn i.i.d. Normal(0, s^2). */
  readonly weightScale: number;
  /** Highest order K. */
  readonly maxOrder: number;
  /** Number of independent RBMs R (>= 2). */
  readonly samples: number;
  /** The stream the weights come from. */
  readonly rng: Rng;
  readonly basis?: CouplingBasis;
  readonly method?: CouplingMethod | 'auto';
  readonly maxCouplings?: number;
}

/**
 * Statistics of the order-k couplings J_S over R random RBMs: mean, sd of one J_S, sem, and the closed-form
 * mean where known.
 */
export interface CouplingOrderStatistics {
  readonly order: number;
  /** Couplings pooled: R C(N, k). */
  readonly count: number;
  /** Mean of J_S over subsets of this order and over RBMs. */
  readonly mean: number;
  /** Standard deviation of a single J_S (pooled over subsets and RBMs). */
  readonly sd: number;
  /**
   * Standard error of `mean`, from the spread of the R per-RBM means (couplings of one RBM share
   * weights and are correlated; the RBMs are independent). NaN for R < 2.
   */
  readonly sem: number;
  /** E[J_S] in closed form where one is known (poisson and gaussian hidden units), else undefined. */
  readonly closedFormMean: number | undefined;
}

/**
 * Statistics of the induced couplings, order by order, over R RBMs with the given layers
 * (their parameters fixed) and weights W_{i mu} ~ Normal(0, s^2) drawn from options.rng, with
 * the closed-form ensemble mean alongside where it exists (closedFormCouplingMean).
 */
export function inducedCouplingStatistics(visible: UnitLayer, hidden: UnitLayer, options: CouplingEnsembleOptions): CouplingOrderStatistics[] {
  const { weightScale, samples, rng } = options;
  if (!(weightScale >= 0) || !Number.isFinite(weightScale)) throw new RangeError(`weightScale must be finite and >= 0, got ${weightScale}`);
  if (!Number.isInteger(samples) || samples < 1) throw new RangeError(`samples must be a positive integer, got ${samples}`);
  if (!Number.isInteger(options.maxOrder) || options.maxOrder < 1) throw new RangeError(`maxOrder must be an integer >= 1, got ${options.maxOrder}`);
  const basis = options.basis ?? defaultBasis(visible);
  const k = Math.min(options.maxOrder, visible.size);
  const mean = new Float64Array(k + 1);
  const m2 = new Float64Array(k + 1);
  const count = new Float64Array(k + 1);
  const perSample: Float64Array[] = Array.from({ length: k + 1 }, () => new Float64Array(samples));
  for (let r = 0; r < samples; r++) {
    const rbm = RBM.random(visible, hidden, rng, weightScale);
    const c = inducedCouplings(rbm, k, { basis, method: options.method, maxCouplings: options.maxCouplings });
    for (let order = 1; order <= k; order++) {
      const values = c.byOrder[order];
      let sampleMean = 0;
      for (let q = 0; q < values.length; q++) {
        // Welford's update, pooled over subsets and samples
        const x = values[q];
        count[order]++;
        const d = x - mean[order];
        mean[order] += d / count[order];
        m2[order] += d * (x - mean[order]);
        sampleMean += x;
      }
      perSample[order][r] = sampleMean / values.length;
    }
  }
  const out: CouplingOrderStatistics[] = [];
  for (let order = 1; order <= k; order++) {
    const means = perSample[order];
    let mu = 0;
    for (let r = 0; r < samples; r++) mu += means[r] / samples;
    let v = 0;
    for (let r = 0; r < samples; r++) v += (means[r] - mu) ** 2 / (samples - 1);
    out.push({
      order,
      count: count[order],
      mean: mean[order],
      sd: Math.sqrt(m2[order] / (count[order] - 1)),
      sem: samples >= 2 ? Math.sqrt(v / samples) : NaN,
      closedFormMean: closedFormCouplingMean(visible, hidden, weightScale, order, basis),
    });
  }
  return out;
}

/**
 * E[J_S] for |S| = order >= 1 over W_{i mu} ~ Normal(0, s^2), where a closed form exists.
 * With visible values {s0, s1}, E_v = E[e^{v W}] = e^{v^2 s^2 / 2}, N visible units, and the
 * mean visible field f (bernoulli basis: mean_i U_i(s0) - U_i(s1); spin basis: half of it) added
 * at order 1:
 *
 *   poisson, Gamma = e^{theta + I}: per unit J_S = e^theta prod_{i not in S} e^{s0 W_i} prod_{i in S} (e^{s1 W_i} - e^{s0 W_i})
 *     (bernoulli basis), or e^theta prod_{i not in S} e^{c W_i} cosh(h W_i) prod_{i in S} e^{c W_i} sinh(h W_i)
 *     (spin basis, c = (s0 + s1)/2, h = (s1 - s0)/2), so, summed over units,
 *       bernoulli basis: E[J_S] = sum_mu e^theta_mu (E_s1 - E_s0)^k E_s0^(N-k)   (bernoulli visibles: e^theta (e^{s^2/2} - 1)^k)
 *       spin basis:      E[J_S] = sum_mu e^theta_mu ((E_s1 - E_s0)/2)^k ((E_s1 + E_s0)/2)^(N-k)
 *   gaussian, Gamma = (theta + I)^2 / (2 gamma) + const: nothing above order 2, E[J_ij] = 0, and
 *       E[J_i] = sum_mu (s1^2 - s0^2) s^2 / (2 gamma_mu)   (bernoulli basis; spin basis: / (4 gamma_mu)).
 *
 * Other unit types: undefined.
 */
export function closedFormCouplingMean(visible: UnitLayer, hidden: UnitLayer, weightScale: number, order: number, basis: CouplingBasis): number | undefined {
  if (!Number.isInteger(order) || order < 1 || order > visible.size) return undefined;
  const [s0, s1] = binarySupport(visible);
  const n = visible.size;
  const s2 = weightScale * weightScale;
  const e0 = Math.exp((s0 * s0 * s2) / 2);
  const e1 = Math.exp((s1 * s1 * s2) / 2);
  let field = 0;
  if (order === 1) {
    for (let i = 0; i < n; i++) field += (visible.potential(i, s0) - visible.potential(i, s1)) / n;
    if (basis === 'spin') field /= 2;
  }
  if (hidden instanceof PoissonLayer) {
    const theta = hidden.params.bias;
    let sumExp = 0;
    for (let mu = 0; mu < hidden.size; mu++) sumExp += Math.exp(theta[mu]);
    const perUnit =
      basis === 'bernoulli'
        ? (e1 - e0) ** order * e0 ** (n - order)
        : ((e1 - e0) / 2) ** order * ((e1 + e0) / 2) ** (n - order);
    return field + sumExp * perUnit;
  }
  if (hidden instanceof GaussianLayer) {
    if (order >= 2) return 0;
    let sumInvGamma = 0;
    for (let mu = 0; mu < hidden.size; mu++) sumInvGamma += 1 / hidden.params.gamma[mu];
    return field + ((s1 * s1 - s0 * s0) * s2 * sumInvGamma) / (basis === 'bernoulli' ? 2 : 4);
  }
  return undefined;
}
