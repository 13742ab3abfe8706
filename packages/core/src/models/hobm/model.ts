/**
 * Explicit higher-order Boltzmann machines (MODELS.md §3): N binary units s (spin: s_i in {-1, +1};
 * bernoulli: s_i in {0, 1}), biases a_i and couplings J_S of any order on sets S of units,
 *
 *     E(s) = -sum_i a_i s_i - sum_S J_S prod_{i in S} s_i,      P(s) ∝ exp(-beta E(s)).
 *
 * Couplings are a sparse list [{sites, J}]; a coupling on one site adds to that site's bias, so a
 * coupling list of every order (as `rbmlab couplings` prints, order 1 included) can be used as is.
 * The sites of a coupling are distinct, and no two couplings have the same set of sites (a set
 * means one J_S). Their order within a coupling does not matter to the energy and is kept.
 *
 * The local field of unit i, h_i(s) = a_i + sum_{S containing i} J_S prod_{j in S, j != i} s_j,
 * comes from an incidence list (the couplings containing each site), so the energy change of
 * unit i is O(sum of the orders of its couplings):
 *   spin:      E(s_i = -1) - E(s_i = +1) = 2 h_i,  P(s_i = +1 | rest) = sigmoid(2 beta h_i)
 *   bernoulli: E(s_i = 0) - E(s_i = 1) = h_i,      P(s_i = 1 | rest) = sigmoid(beta h_i)
 *
 * Exact enumeration (N <= 24 by default, 26 at most) does not evaluate every coupling in every
 * state: -E(s) = sum_S c_S chi_S(s) with chi_S(s) = prod_{i in S} s_i, so the 2^N values of -E are
 * one fast transform of the coefficient vector c (indexed by the bit mask of S; the biases at the
 * single-site masks), O(N 2^N) whatever the number of couplings:
 *   spin (unit k of state s is +1 if bit k is set, else -1): the Walsh-Hadamard butterfly
 *     (c_u, c_{u + 2^k}) -> (c_u - c_{u + 2^k}, c_u + c_{u + 2^k}) for each bit k;
 *   bernoulli (unit k is bit k): the subset-sum (zeta) butterfly c_{u + 2^k} += c_u.
 */
import { checkTableSize, TabulatedModel, type TableEnumerationOptions } from '../../exact/table';
import { normal } from '../../random/distributions';
import type { Rng } from '../../random/rng';
import type { FieldFailure } from '../dense/energy';

/** Unit values of a higher-order machine: 'spin' s_i in {-1, +1} or 'bernoulli' s_i in {0, 1}. */
export type BinaryUnitType = 'spin' | 'bernoulli';
/** Every BinaryUnitType, in the order messages list them. */
export const BINARY_UNIT_TYPES: readonly BinaryUnitType[] = ['spin', 'bernoulli'];

/** One coupling J_S on the set of units S = sites. */
export interface HigherOrderCoupling {
  readonly sites: readonly number[];
  readonly J: number;
}

/**
 * A higher-order Boltzmann machine E(s) = -sum_i a_i s_i - sum_S J_S prod_{i in S} s_i, P(s) ∝ exp(-beta
 * E(s)).
 */
export interface HigherOrderBMOptions {
  /** "spin" (values -1, +1) or "bernoulli" (values 0, 1). */
  readonly type: BinaryUnitType;
  /** Number of units N. */
  readonly size: number;
  /** Biases a_i (N numbers); default zeros. */
  readonly bias?: ArrayLike<number>;
  /** Couplings of any order; default none. */
  readonly couplings?: readonly HigherOrderCoupling[];
  /** Inverse temperature, a finite number >= 0; default 1. */
  readonly beta?: number;
}

/** Values of a unit in state-index order: bit 0, bit 1. */
export function binarySupport(type: BinaryUnitType): readonly [number, number] {
  return type === 'spin' ? [-1, 1] : [0, 1];
}

/**
 * Checks a coupling list against N units, reporting the first problem through `fail` with the
 * field path under `field` ("couplings[3].sites[1]"): sites non-empty, integers in 0..N-1,
 * distinct; J finite; no set of sites twice.
 */
export function checkHigherOrderCouplings(couplings: readonly HigherOrderCoupling[], size: number, fail: FieldFailure, field = 'couplings', sizeName = 'size'): void {
  if (!Array.isArray(couplings)) fail(field, 'must be an array of {sites, J}');
  const seen = new Map<string, number>();
  couplings.forEach((coupling, k) => {
    const at = `${field}[${k}]`;
    if (coupling === null || typeof coupling !== 'object' || Array.isArray(coupling)) fail(at, 'must be an object {sites, J}');
    const sites = coupling.sites;
    if (sites === undefined) fail(`${at}.sites`, 'is missing (an array of unit indices)');
    if (!Array.isArray(sites)) fail(`${at}.sites`, 'must be an array of unit indices');
    if (sites.length === 0) fail(`${at}.sites`, 'is empty (a coupling acts on at least one unit)');
    const distinct = new Set<number>();
    sites.forEach((i, j) => {
      if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= size) {
        fail(`${at}.sites[${j}]`, `must be an integer from 0 to ${size - 1} (${sizeName} ${size}), got ${typeof i === 'string' ? JSON.stringify(i) : String(i)}`);
      }
      if (distinct.has(i)) fail(`${at}.sites[${j}]`, `repeats unit ${i} (the sites of a coupling are distinct)`);
      distinct.add(i);
    });
    if (coupling.J === undefined) fail(`${at}.J`, 'is missing');
    if (typeof coupling.J !== 'number' || !Number.isFinite(coupling.J)) fail(`${at}.J`, `must be a finite number, got ${typeof coupling.J === 'string' ? JSON.stringify(coupling.J) : String(coupling.J)}`);
    const key = [...sites].sort((a, b) => a - b).join(',');
    const before = seen.get(key);
    if (before !== undefined) fail(`${at}.sites`, `is the same set of units as ${field}[${before}].sites (one J per set)`);
    seen.set(key, k);
  });
}

function rangeFailure(what: string): FieldFailure {
  return (field, detail) => {
    throw new RangeError(`${what}: ${field} ${detail}`);
  };
}

export class HigherOrderBoltzmannMachine extends TabulatedModel {
  readonly type: BinaryUnitType;
  /** Number of units N. */
  readonly size: number;
  /** Biases a_i (N). */
  readonly bias: Float64Array;
  /** The couplings as given (sites copied, order kept). */
  readonly couplings: readonly HigherOrderCoupling[];
  readonly beta: number;
  /** Unit values in state-index order (see stateFromIndex). */
  readonly support: readonly [number, number];
  /** Largest coupling order (0 without couplings). */
  readonly maxOrder: number;
  /** Sites of coupling k: couplingSites[couplingStart[k] .. couplingStart[k + 1]). */
  readonly couplingSites: Int32Array;
  readonly couplingStart: Int32Array;
  readonly couplingJ: Float64Array;
  /** Couplings containing site i: siteCouplings[siteStart[i] .. siteStart[i + 1]) (indices k). */
  readonly siteCouplings: Int32Array;
  readonly siteStart: Int32Array;

  constructor(options: HigherOrderBMOptions) {
    super();
    const fail = rangeFailure('HigherOrderBoltzmannMachine');
    const { type, size } = options;
    if (!BINARY_UNIT_TYPES.includes(type)) fail('type', `must be "spin" or "bernoulli", got ${JSON.stringify(type)}`);
    if (!Number.isInteger(size) || size < 1) fail('size', `must be a positive integer, got ${size}`);
    const bias = new Float64Array(size);
    if (options.bias !== undefined) {
      if (options.bias.length !== size) fail('bias', `has ${options.bias.length} entries, expected ${size} (size)`);
      for (let i = 0; i < size; i++) {
        if (typeof options.bias[i] !== 'number' || !Number.isFinite(options.bias[i])) fail(`bias[${i}]`, `must be a finite number, got ${options.bias[i]}`);
        bias[i] = options.bias[i];
      }
    }
    const couplings = options.couplings ?? [];
    checkHigherOrderCouplings(couplings, size, fail);
    const beta = options.beta ?? 1;
    if (typeof beta !== 'number' || !Number.isFinite(beta) || beta < 0) fail('beta', `must be a finite number >= 0, got ${beta}`);
    this.type = type;
    this.size = size;
    this.bias = bias;
    this.beta = beta;
    this.support = binarySupport(type);
    this.couplings = Object.freeze(couplings.map((c) => Object.freeze({ sites: Object.freeze([...c.sites]), J: c.J })));
    const k = couplings.length;
    this.couplingStart = new Int32Array(k + 1);
    this.couplingJ = new Float64Array(k);
    let total = 0;
    let maxOrder = 0;
    couplings.forEach((c, q) => {
      total += c.sites.length;
      this.couplingStart[q + 1] = total;
      this.couplingJ[q] = c.J;
      maxOrder = Math.max(maxOrder, c.sites.length);
    });
    this.maxOrder = maxOrder;
    this.couplingSites = new Int32Array(total);
    const degree = new Int32Array(size);
    couplings.forEach((c, q) => {
      c.sites.forEach((i, j) => {
        this.couplingSites[this.couplingStart[q] + j] = i;
        degree[i]++;
      });
    });
    this.siteStart = new Int32Array(size + 1);
    for (let i = 0; i < size; i++) this.siteStart[i + 1] = this.siteStart[i] + degree[i];
    this.siteCouplings = new Int32Array(total);
    const fill = this.siteStart.slice(0, size);
    for (let q = 0; q < k; q++) {
      for (let t = this.couplingStart[q]; t < this.couplingStart[q + 1]; t++) this.siteCouplings[fill[this.couplingSites[t]]++] = q;
    }
  }

  /** The same units and couplings at another inverse temperature. */
  withBeta(beta: number): HigherOrderBoltzmannMachine {
    return new HigherOrderBoltzmannMachine({ type: this.type, size: this.size, bias: this.bias, couplings: this.couplings, beta });
  }

  /** h_i(s) = a_i + sum_{S containing i} J_S prod_{j in S, j != i} s_j, for the state at states[offset ..]. */
  localField(states: ArrayLike<number>, i: number, offset = 0): number {
    const { siteStart, siteCouplings, couplingStart, couplingSites, couplingJ } = this;
    let h = this.bias[i];
    for (let t = siteStart[i]; t < siteStart[i + 1]; t++) {
      const q = siteCouplings[t];
      let prod = couplingJ[q];
      for (let u = couplingStart[q]; u < couplingStart[q + 1] && prod !== 0; u++) {
        const j = couplingSites[u];
        if (j !== i) prod *= states[offset + j];
      }
      h += prod;
    }
    return h;
  }

  /** E(s) for each state of a batch (batch x N, values in the support), by the definition. */
  energies(states: ArrayLike<number>, batch: number): Float64Array {
    const n = this.size;
    if (!Number.isInteger(batch) || batch < 0 || states.length !== batch * n) {
      throw new RangeError(`states have ${states.length} values, expected ${batch} x ${n}`);
    }
    const out = new Float64Array(batch);
    for (let b = 0; b < batch; b++) {
      const o = b * n;
      let minusE = 0;
      for (let i = 0; i < n; i++) minusE += this.bias[i] * states[o + i];
      for (let q = 0; q < this.couplingJ.length; q++) {
        let prod = this.couplingJ[q];
        for (let u = this.couplingStart[q]; u < this.couplingStart[q + 1]; u++) prod *= states[o + this.couplingSites[u]];
        minusE += prod;
      }
      out[b] = -minusE;
    }
    return out;
  }

  /** E(s) of one state. */
  energy(state: ArrayLike<number>): number {
    return this.energies(state, 1)[0];
  }

  /** -beta E(s) for all 2^N states (indexed as stateFromIndex with this.support), by one transform. */
  logWeights(options: TableEnumerationOptions = {}): Float64Array {
    const n = this.size;
    checkTableSize(n, options, 'higher-order Boltzmann machine');
    const count = 2 ** n;
    const c = new Float64Array(count);
    for (let i = 0; i < n; i++) c[1 << i] += this.bias[i];
    for (let q = 0; q < this.couplingJ.length; q++) {
      let mask = 0;
      for (let u = this.couplingStart[q]; u < this.couplingStart[q + 1]; u++) mask |= 1 << this.couplingSites[u];
      c[mask] += this.couplingJ[q];
    }
    const spin = this.type === 'spin';
    for (let k = 0; k < n; k++) {
      const bit = 1 << k;
      for (let block = 0; block < count; block += 2 * bit) {
        for (let u = block; u < block + bit; u++) {
          const a = c[u];
          const b = c[u + bit];
          if (spin) {
            c[u] = a - b; // unit k = -1
            c[u + bit] = a + b; // unit k = +1
          } else {
            c[u + bit] = a + b; // unit k = 1 keeps the sets containing k; unit k = 0 drops them
          }
        }
      }
    }
    const beta = this.beta;
    for (let s = 0; s < count; s++) c[s] *= beta;
    return c;
  }

}

/** Couplings of one order for randomHigherOrderBM. */
export interface RandomCouplingOrder {
  /** The order |S| (>= 1). */
  readonly order: number;
  /** J_S ~ Normal(mean, scale^2). */
  readonly scale: number;
  readonly mean?: number;
  /** Number of distinct random sets of this order; default every set (C(N, order) of them). */
  readonly count?: number;
}

/**
 * Options of `randomHigherOrderBM`: unit type, N, the orders with their J ~ Normal(mean, scale^2)
 * and set counts, the bias scale and beta (default 1).
 */
export interface RandomHigherOrderBMOptions {
  readonly type: BinaryUnitType;
  readonly size: number;
  readonly orders: readonly RandomCouplingOrder[];
  /** Biases a_i ~ Normal(0, biasScale^2); default 0 (no biases drawn). */
  readonly biasScale?: number;
  readonly beta?: number;
}

/** Every k-subset of 0..n-1 in lexicographic order. */
function* subsets(n: number, k: number): Generator<number[]> {
  const s = Array.from({ length: k }, (_, j) => j);
  if (k > n) return;
  for (;;) {
    yield s.slice();
    let j = k - 1;
    while (j >= 0 && s[j] === n - k + j) j--;
    if (j < 0) return;
    s[j]++;
    for (let t = j + 1; t < k; t++) s[t] = s[t - 1] + 1;
  }
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let j = 1; j <= k; j++) r = (r * (n - k + j)) / j;
  return Math.round(r);
}

/**
 * A random teacher: for each order, `count` distinct sets of units (default all of them) drawn
 * uniformly (sites ascending), each with J ~ Normal(mean, scale^2); biases ~ Normal(0, biasScale^2).
 * Every draw comes from rng: the sets of an order from rng.split(`sets-<order>`), the couplings
 * from rng.split(`J-<order>`), the biases from rng.split('bias'), so adding an order does not
 * change the others.
 */
export function randomHigherOrderBM(options: RandomHigherOrderBMOptions, rng: Rng): HigherOrderBoltzmannMachine {
  const { type, size, orders } = options;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`randomHigherOrderBM: size must be a positive integer, got ${size}`);
  const couplings: HigherOrderCoupling[] = [];
  const orderSeen = new Set<number>();
  for (const spec of orders) {
    const k = spec.order;
    if (!Number.isInteger(k) || k < 1 || k > size) throw new RangeError(`randomHigherOrderBM: order must be an integer in 1..${size}, got ${k}`);
    if (orderSeen.has(k)) throw new RangeError(`randomHigherOrderBM: order ${k} given twice`);
    orderSeen.add(k);
    if (!(spec.scale >= 0 && Number.isFinite(spec.scale))) throw new RangeError(`randomHigherOrderBM: scale of order ${k} must be finite and >= 0, got ${spec.scale}`);
    const total = binomial(size, k);
    const count = spec.count ?? total;
    if (!Number.isInteger(count) || count < 0 || count > total) {
      throw new RangeError(`randomHigherOrderBM: count of order ${k} must be an integer in 0..${total} (C(${size}, ${k})), got ${count}`);
    }
    let sets: number[][];
    if (count === total) {
      if (total > 1e6) throw new RangeError(`randomHigherOrderBM: all ${total} sets of order ${k} is too many; give a count`);
      sets = [...subsets(size, k)];
    } else {
      // distinct uniform k-sets by rejection of repeats (count <= C(N, k)); each set by a partial
      // Fisher-Yates shuffle of the units
      const setRng = rng.split(`sets-${k}`);
      const keys = new Set<string>();
      sets = [];
      const units = Array.from({ length: size }, (_, i) => i);
      while (sets.length < count) {
        for (let j = 0; j < k; j++) {
          const r = j + setRng.int(size - j);
          [units[j], units[r]] = [units[r], units[j]];
        }
        const set = units.slice(0, k).sort((a, b) => a - b);
        const key = set.join(',');
        if (keys.has(key)) continue;
        keys.add(key);
        sets.push(set);
      }
    }
    const jRng = rng.split(`J-${k}`);
    const mean = spec.mean ?? 0;
    for (const sites of sets) couplings.push({ sites, J: mean + spec.scale * normal(jRng) });
  }
  const biasScale = options.biasScale ?? 0;
  const biasRng = rng.split('bias');
  const bias = Float64Array.from({ length: size }, () => (biasScale === 0 ? 0 : biasScale * normal(biasRng)));
  return new HigherOrderBoltzmannMachine({ type, size, bias, couplings, beta: options.beta });
}
