/**
 * Single-site dynamics of a dense associative memory on a batch of chains (MODELS.md §3).
 *
 * Each chain keeps its overlaps x_mu = xi^mu . sigma as exact integers (Int32Array), updated by
 * -2 sigma_i xi^mu_i when spin i flips: O(P) per flip and no rounding drift, ever. For site i
 *
 *   Delta_i = E(sigma_i = -1) - E(sigma_i = +1) = sum_mu xi^mu_i D(x_mu - xi^mu_i sigma_i),
 *
 * D(a) = c [f(a + 1) - f(a - 1)] tabulated once per model (./energy).
 *
 * - Heat bath at inverse temperature beta: sigma_i = +1 with probability sigmoid(beta Delta_i).
 * - Zero temperature (asynchronous): sigma_i <- sign(Delta_i); on a tie (Delta_i = 0) the spin
 *   keeps its value. Each flip lowers E strictly, so the dynamics reach a fixed point.
 * A sweep visits sites 0 .. N-1 in order, in every chain; with the option order 'random' it visits
 * them in a fresh uniformly random order (Fisher-Yates from the dynamics stream) per chain and sweep,
 * i.e. random sequential updating.
 *
 * Two ways to form Delta_i, chosen once per model:
 * - direct: Delta_i = c sum_mu xi^mu_i G(x_mu - xi^mu_i sigma_i) with G = f(a + 1) - f(a - 1) a
 *   float64 table, when P max|G| < e^700 cannot overflow and c > e^-700 is a normal number (krotov
 *   powers with p log N below about 690, exp up to N of about 690, normalized up to p log N about
 *   700). For an integer p, G holds exact integers, so the sum, and every tie Delta_i = 0, is exact
 *   while it stays below 2^53;
 * - log-domain: sum_mu xi^mu_i sign(D) e^(log|D| - M) with M the largest log|D| among the terms,
 *   so Delta_i = S e^M with S in [-P, P]; beta Delta_i = sign(S) exp(log beta + M + log|S|), which
 *   is +-Infinity exactly when it exceeds float64 (and sigmoid(+-Infinity) is 1 or 0), never NaN.
 */
import { sigmoid } from '../../math/special';
import type { Rng } from '../../random/rng';
import { permutation } from '../../random/distributions';
import { differenceTable, type DifferenceTable } from './energy';
import type { DenseAssociativeMemory } from './model';

/** Direct sums are used while log(P max|D|) stays below this (float64 overflows at 709.78). */
const DIRECT_SUM_MAX_LOG = 700;

/**
 * Options of DenseDynamics: the chains, their stream, initial states, the log-domain switch and the site
 * order.
 */
export interface DenseChainOptions {
  /** Number of independent chains. */
  readonly chains: number;
  /** The stream of the random start and of every heat-bath draw. */
  readonly rng: Rng;
  /** Initial states, chains x N, values +-1; default uniformly random spins drawn from rng. */
  readonly init?: ArrayLike<number>;
  /** Sum Delta in the log domain even where direct sums are safe (a cross-check; slower). */
  readonly logDomain?: boolean;
  /**
   * The order a sweep visits the sites of a chain: 'sequential' (0 .. N-1, the default) or
   * 'random' (a fresh random permutation per chain and sweep, drawn from rng before the sweep).
   */
  readonly order?: DenseSiteOrder;
}

/** How a sweep orders the sites (see DenseChainOptions.order). */
export type DenseSiteOrder = 'sequential' | 'random';

/** An energy difference Delta = sign e^logAbs, finite even where Delta is not. */
export interface SignedLog {
  /** -1, 0 or +1. */
  readonly sign: number;
  /** log|Delta|; -Infinity when sign is 0. */
  readonly logAbs: number;
}

/**
 * Single-site heat-bath and zero-temperature dynamics of a dense associative memory on `chains`
 * chains: spins chains x N (+-1), overlaps x_mu = xi^mu . sigma (chains x P) kept as exact integers,
 * Delta_i = E(sigma_i = -1) - E(sigma_i = +1) from a table of D, O(P) per site (see the comment at the
 * top of models/dense/dynamics.ts).
 */
export class DenseDynamics {
  readonly chains: number;
  /** Spins, chains x N, values +-1, updated in place. */
  readonly spins: Int8Array;
  /** Overlaps x_mu = xi^mu . sigma, chains x P, kept exact. */
  readonly overlaps: Int32Array;
  /** Whether Delta is summed directly (true) or in the log domain (false); see the file comment. */
  readonly directSum: boolean;
  /** The order a sweep visits the sites (see DenseChainOptions.order). */
  readonly order: DenseSiteOrder;
  private readonly rng: Rng;
  private readonly n: number;
  private readonly p: number;
  /** Patterns by site, N x P: xiBySite[i P + mu] = xi^mu_i, so a site's loop reads contiguously. */
  private readonly xiBySite: Int8Array;
  private readonly table: DifferenceTable;
  /** G(a) at index a + N - 1 (direct mode only). */
  private readonly difference: Float64Array;
  /** c = e^logScale (direct mode only). */
  private readonly scaleFactor: number;
  /** The last Delta_i formed: mantissa and log scale, Delta = mantissa e^scale. */
  private mantissa = 0;
  private scale = 0;

  constructor(readonly model: DenseAssociativeMemory, options: DenseChainOptions) {
    const { chains, rng, init } = options;
    if (!Number.isInteger(chains) || chains < 1) throw new RangeError(`chains must be a positive integer, got ${chains}`);
    const n = model.size;
    const p = model.numPatterns;
    if (options.order !== undefined && options.order !== 'sequential' && options.order !== 'random') {
      throw new RangeError(`order must be "sequential" or "random", got ${JSON.stringify(options.order)}`);
    }
    this.order = options.order ?? 'sequential';
    this.chains = chains;
    this.rng = rng;
    this.n = n;
    this.p = p;
    this.spins = new Int8Array(chains * n);
    if (init !== undefined) {
      if (init.length !== chains * n) throw new RangeError(`initial states have ${init.length} values, expected ${chains} chains x ${n} spins`);
      for (let k = 0; k < init.length; k++) {
        if (init[k] !== 1 && init[k] !== -1) throw new RangeError(`initial state value ${k} must be 1 or -1, got ${init[k]}`);
        this.spins[k] = init[k];
      }
    } else {
      for (let k = 0; k < chains * n; k++) this.spins[k] = rng.uniform() < 0.5 ? -1 : 1;
    }
    this.xiBySite = new Int8Array(n * p);
    for (let mu = 0; mu < p; mu++) for (let i = 0; i < n; i++) this.xiBySite[i * p + mu] = model.patterns[mu * n + i];
    this.overlaps = model.overlaps(this.spins, chains);
    this.table = differenceTable(model.energyConvention, n);
    const { g, maxLogG, logScale } = this.table;
    this.directSum = !options.logDomain && g !== undefined && maxLogG + Math.log(p) < DIRECT_SUM_MAX_LOG && logScale > -DIRECT_SUM_MAX_LOG;
    this.difference = this.directSum ? (g as Float64Array) : new Float64Array(0);
    this.scaleFactor = Math.exp(logScale);
  }

  /** The states as chains x N float64 values +-1 (a copy), e.g. for CSV. */
  states(): Float64Array {
    return Float64Array.from(this.spins);
  }

  /** Mattis overlaps m_mu = x_mu / N, chains x P. */
  mattisOverlaps(): Float64Array {
    return Float64Array.from(this.overlaps, (x) => x / this.n);
  }

  /** E of each chain's current state (may be -Infinity beyond float64; see DenseAssociativeMemory.energies). */
  energies(): Float64Array {
    const e = this.model.minusEnergyFromOverlaps(this.overlaps, this.chains);
    for (let c = 0; c < this.chains; c++) e[c] = -e[c];
    return e;
  }

  /** Forms Delta_i of chain c into (mantissa, scale). */
  private formDelta(c: number, i: number): void {
    const p = this.p;
    const xi = this.xiBySite;
    const x = this.overlaps;
    const base = i * p;
    const xo = c * p;
    const s = this.spins[c * this.n + i];
    const off = this.n - 1;
    if (this.directSum) {
      const d = this.difference;
      // four partial sums: the table reads of different patterns then overlap instead of waiting
      // on one chain of float adds (measured about 2x at P = 2000-8000); for an integer p the
      // terms are integers, so the sum is exact in any order below 2^53
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let mu = 0;
      for (; mu + 3 < p; mu += 4) {
        const a0 = xi[base + mu];
        const a1 = xi[base + mu + 1];
        const a2 = xi[base + mu + 2];
        const a3 = xi[base + mu + 3];
        s0 += a0 * d[x[xo + mu] - a0 * s + off];
        s1 += a1 * d[x[xo + mu + 1] - a1 * s + off];
        s2 += a2 * d[x[xo + mu + 2] - a2 * s + off];
        s3 += a3 * d[x[xo + mu + 3] - a3 * s + off];
      }
      for (; mu < p; mu++) {
        const xim = xi[base + mu];
        s0 += xim * d[x[xo + mu] - xim * s + off];
      }
      this.mantissa = this.scaleFactor * (s0 + s1 + (s2 + s3));
      this.scale = 0;
      return;
    }
    const { sign, logAbs } = this.table;
    let max = -Infinity;
    for (let mu = 0; mu < p; mu++) {
      const l = logAbs[x[xo + mu] - xi[base + mu] * s + off];
      if (l > max) max = l;
    }
    if (max === -Infinity) {
      this.mantissa = 0;
      this.scale = 0;
      return;
    }
    let sum = 0;
    for (let mu = 0; mu < p; mu++) {
      const xim = xi[base + mu];
      const k = x[xo + mu] - xim * s + off;
      const sg = sign[k];
      if (sg !== 0) sum += xim * sg * Math.exp(logAbs[k] - max);
    }
    this.mantissa = sum;
    this.scale = max;
  }

  /** Delta_i of chain c as sign and log magnitude: finite for every F, N and overlap. */
  logEnergyDifference(c: number, i: number): SignedLog {
    this.checkSite(c, i);
    this.formDelta(c, i);
    const m = this.mantissa;
    if (m === 0) return { sign: 0, logAbs: -Infinity };
    return { sign: Math.sign(m), logAbs: this.scale + Math.log(Math.abs(m)) };
  }

  /** Delta_i = E(sigma_i = -1) - E(sigma_i = +1) of chain c; +-Infinity where beyond float64. */
  energyDifference(c: number, i: number): number {
    const d = this.logEnergyDifference(c, i);
    return d.sign === 0 ? 0 : d.sign * Math.exp(d.logAbs);
  }

  /** beta Delta from the last formDelta, never NaN (0 when Delta or beta is 0). */
  private scaledDelta(beta: number): number {
    const m = this.mantissa;
    if (m === 0 || beta === 0) return 0;
    if (this.scale === 0) return beta * m;
    return Math.sign(m) * Math.exp(Math.log(beta) + this.scale + Math.log(Math.abs(m)));
  }

  private checkSite(c: number, i: number): void {
    if (!(Number.isInteger(c) && c >= 0 && c < this.chains)) throw new RangeError(`chain ${c} outside 0..${this.chains - 1}`);
    if (!(Number.isInteger(i) && i >= 0 && i < this.n)) throw new RangeError(`site ${i} outside 0..${this.n - 1}`);
  }

  /** Sets spin i of chain c to `value` (+-1), updating the overlaps. */
  private setSpin(c: number, i: number, value: number): void {
    const k = c * this.n + i;
    const s = this.spins[k];
    if (s === value) return;
    this.spins[k] = value;
    const p = this.p;
    const xi = this.xiBySite;
    const x = this.overlaps;
    const base = i * p;
    const xo = c * p;
    const step = -2 * s;
    for (let mu = 0; mu < p; mu++) x[xo + mu] += step * xi[base + mu];
  }

  /** The sites of one chain's sweep in visiting order: 0 .. N-1, or a fresh random permutation. */
  private sweepOrder(): ArrayLike<number> | undefined {
    return this.order === 'random' ? permutation(this.n, this.rng) : undefined;
  }

  /**
   * `count` heat-bath sweeps at inverse temperature `beta` (default the model's): each site in
   * turn becomes +1 with probability sigmoid(beta Delta_i), one uniform per site.
   */
  heatBath(count = 1, beta = this.model.beta): void {
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`sweeps must be a non-negative integer, got ${count}`);
    if (typeof beta !== 'number' || !Number.isFinite(beta) || beta < 0) throw new RangeError(`beta must be a finite number >= 0, got ${beta}`);
    const rng = this.rng;
    for (let sweep = 0; sweep < count; sweep++) {
      for (let c = 0; c < this.chains; c++) {
        const order = this.sweepOrder();
        for (let k = 0; k < this.n; k++) {
          const i = order ? order[k] : k;
          this.formDelta(c, i);
          this.setSpin(c, i, rng.uniform() < sigmoid(this.scaledDelta(beta)) ? 1 : -1);
        }
      }
    }
  }

  /** Heat-bath sweeps at the model's beta (the Sampler shape: sweep(count)). */
  sweep(count = 1): void {
    this.heatBath(count);
  }

  /**
   * `count` zero-temperature sweeps: sigma_i <- sign(Delta_i), kept on a tie. Returns the number
   * of spins flipped (over all chains and sweeps).
   */
  zeroTemperature(count = 1): number {
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`sweeps must be a non-negative integer, got ${count}`);
    let flips = 0;
    for (let sweep = 0; sweep < count; sweep++) {
      for (let c = 0; c < this.chains; c++) {
        const order = this.sweepOrder();
        for (let k = 0; k < this.n; k++) {
          const i = order ? order[k] : k;
          this.formDelta(c, i);
          const m = this.mantissa;
          if (m === 0) continue;
          const target = m > 0 ? 1 : -1;
          if (this.spins[c * this.n + i] !== target) {
            this.setSpin(c, i, target);
            flips++;
          }
        }
      }
    }
    return flips;
  }

  /**
   * Zero-temperature sweeps until a sweep flips no spin in any chain (a fixed point of every
   * chain) or `maxSweeps` sweeps ran. Returns the sweeps run and whether the fixed point was reached.
   */
  relax(maxSweeps = 100): { sweeps: number; converged: boolean } {
    for (let sweep = 1; sweep <= maxSweeps; sweep++) {
      if (this.zeroTemperature(1) === 0) return { sweeps: sweep, converged: true };
    }
    return { sweeps: maxSweeps, converged: false };
  }
}
