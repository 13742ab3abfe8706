/**
 * Dense associative memories (Krotov and Hopfield 2016) on spins, with the energy conventions of
 * ./energy: P(sigma) ∝ exp(-beta E(sigma)), E = -c sum_mu f(xi^mu . sigma).
 *
 * Shapes: N spins (`size`), P patterns stored row by row (pattern mu = patterns[mu N .. mu N + N),
 * values +-1), batches of states chains x N row-major with values +-1.
 */
import { checkTableSize, TabulatedModel, type TableEnumerationOptions } from '../../exact/table';
import type { Rng } from '../../random/rng';
import { checkDenseEnergy, patternEnergyTable, type DenseEnergy, type FieldFailure } from './energy';

/** The values a spin takes, in state-index order: bit 0 is -1, bit 1 is +1. */
export const SPIN_SUPPORT: readonly [number, number] = [-1, 1];

/**
 * A dense associative memory: P patterns xi^mu in {-1, +1}^N, the energy convention, and beta of P(sigma) ∝
 * exp(-beta E(sigma)).
 */
export interface DenseAssociativeMemoryOptions {
  /** P rows of N values +-1. */
  readonly patterns: readonly ArrayLike<number>[];
  readonly energy: DenseEnergy;
  /** Inverse temperature of P ∝ exp(-beta E); a finite number >= 0, default 1. */
  readonly beta?: number;
}

/** Checks patterns (P >= 1 rows of equal length N >= 1, values exactly +-1); returns N. */
export function checkPatterns(patterns: readonly ArrayLike<number>[], fail: FieldFailure, field = 'patterns', size?: number): number {
  if (!Array.isArray(patterns) || patterns.length === 0) fail(field, 'must hold at least one pattern (P rows of N values +-1)');
  const n = size ?? patterns[0].length;
  if (!(Number.isInteger(n) && n >= 1)) fail(field, `patterns need at least one spin, got rows of length ${n}`);
  for (let mu = 0; mu < patterns.length; mu++) {
    const row = patterns[mu];
    if (row === null || typeof row !== 'object' || typeof row.length !== 'number') fail(`${field}[${mu}]`, `must be an array of ${n} values +-1`);
    if (row.length !== n) fail(`${field}[${mu}]`, `has ${row.length} entries, expected ${n}${size === undefined ? ' (the length of patterns[0])' : ' (size)'}`);
    for (let i = 0; i < n; i++) {
      if (row[i] !== 1 && row[i] !== -1) fail(`${field}[${mu}][${i}]`, `must be 1 or -1, got ${typeof row[i] === 'string' ? JSON.stringify(row[i]) : String(row[i])}`);
    }
  }
  return n;
}

/** Throws a RangeError "<what>: <field> <detail>". */
function rangeFailure(what: string): FieldFailure {
  return (field, detail) => {
    throw new RangeError(`${what}: ${field} ${detail}`);
  };
}

export class DenseAssociativeMemory extends TabulatedModel {
  /** Number of spins N. */
  readonly size: number;
  /** Number of patterns P. */
  readonly numPatterns: number;
  /** Patterns, P x N row-major, values +-1. */
  readonly patterns: Int8Array;
  readonly energyConvention: DenseEnergy;
  readonly beta: number;
  /** Spin values in state-index order (see stateFromIndex). */
  readonly support = SPIN_SUPPORT;
  /** -E contributed by one pattern at overlap x: patternTable[x + N] = c f(x). */
  private readonly patternTable: Float64Array;

  constructor(options: DenseAssociativeMemoryOptions) {
    super();
    const fail = rangeFailure('DenseAssociativeMemory');
    const n = checkPatterns(options.patterns, fail);
    const energy = options.energy;
    if (energy === null || typeof energy !== 'object') fail('energy', 'must be an object {kind, F, p}');
    checkDenseEnergy(energy, fail, 'energy.');
    const beta = options.beta ?? 1;
    if (typeof beta !== 'number' || !Number.isFinite(beta) || beta < 0) fail('beta', `must be a finite number >= 0, got ${beta}`);
    this.size = n;
    this.numPatterns = options.patterns.length;
    this.patterns = new Int8Array(this.numPatterns * n);
    options.patterns.forEach((row, mu) => {
      for (let i = 0; i < n; i++) this.patterns[mu * n + i] = row[i];
    });
    this.energyConvention = energy.F === 'exp' ? { kind: energy.kind, F: energy.F } : { kind: energy.kind, F: energy.F, p: energy.p };
    this.beta = beta;
    this.patternTable = patternEnergyTable(this.energyConvention, n);
  }

  /** Pattern mu as a view (N values +-1). */
  pattern(mu: number): Int8Array {
    return this.patterns.subarray(mu * this.size, (mu + 1) * this.size);
  }

  /** Patterns as P rows of numbers (copies). */
  patternRows(): number[][] {
    return Array.from({ length: this.numPatterns }, (_, mu) => Array.from(this.pattern(mu)));
  }

  /** The same patterns and energy at another inverse temperature. */
  withBeta(beta: number): DenseAssociativeMemory {
    return new DenseAssociativeMemory({ patterns: this.patternRows(), energy: this.energyConvention, beta });
  }

  /** Overlaps x_mu = xi^mu . sigma of each state, batch x P (integers). */
  overlaps(states: ArrayLike<number>, batch: number): Int32Array {
    const { size: n, numPatterns: p, patterns } = this;
    checkStates(states, batch, n);
    const out = new Int32Array(batch * p);
    for (let b = 0; b < batch; b++) {
      for (let mu = 0; mu < p; mu++) {
        let x = 0;
        for (let i = 0; i < n; i++) x += patterns[mu * n + i] * states[b * n + i];
        out[b * p + mu] = x;
      }
    }
    return out;
  }

  /** Mattis overlaps m_mu = x_mu / N, batch x P. */
  mattisOverlaps(states: ArrayLike<number>, batch: number): Float64Array {
    const x = this.overlaps(states, batch);
    return Float64Array.from(x, (v) => v / this.size);
  }

  /** -E of a batch from its overlaps (batch x P): sum_mu c f(x_mu). */
  minusEnergyFromOverlaps(overlaps: ArrayLike<number>, batch: number): Float64Array {
    const { size: n, numPatterns: p, patternTable } = this;
    const out = new Float64Array(batch);
    for (let b = 0; b < batch; b++) {
      let s = 0;
      for (let mu = 0; mu < p; mu++) s += patternTable[overlaps[b * p + mu] + n];
      out[b] = s;
    }
    return out;
  }

  /**
   * E(sigma) for each state of a batch (batch x N, values +-1). May be -Infinity where -E exceeds
   * float64 (exp at overlaps above 709); the dynamics never form E and stay finite there.
   */
  energies(states: ArrayLike<number>, batch: number): Float64Array {
    const e = this.minusEnergyFromOverlaps(this.overlaps(states, batch), batch);
    for (let b = 0; b < batch; b++) e[b] = -e[b];
    return e;
  }

  /** E(sigma) of one state. */
  energy(state: ArrayLike<number>): number {
    return this.energies(state, 1)[0];
  }

  /**
   * -beta E(s) for all 2^N states, indexed as stateFromIndex with SPIN_SUPPORT. The overlaps of a
   * state are the sum of two precomputed halves (low and high bits of s), exact integers, so each
   * state costs P adds and P table look-ups.
   */
  logWeights(options: TableEnumerationOptions = {}): Float64Array {
    const { size: n, numPatterns: p, patterns, patternTable, beta } = this;
    checkTableSize(n, options, 'dense associative memory');
    const lo = Math.ceil(n / 2);
    const half = (bits: number, offset: number) => {
      const count = 2 ** bits;
      const x = new Int32Array(count * p);
      for (let s = 0; s < count; s++) {
        for (let k = 0; k < bits; k++) {
          const spin = (s >>> k) & 1 ? 1 : -1;
          for (let mu = 0; mu < p; mu++) x[s * p + mu] += spin * patterns[mu * n + offset + k];
        }
      }
      return { count, x };
    };
    const low = half(lo, 0);
    const high = half(n - lo, lo);
    const out = new Float64Array(2 ** n);
    for (let h = 0; h < high.count; h++) {
      for (let l = 0; l < low.count; l++) {
        let s = 0;
        for (let mu = 0; mu < p; mu++) s += patternTable[low.x[l * p + mu] + high.x[h * p + mu] + n];
        out[h * low.count + l] = beta * s;
      }
    }
    return out;
  }

}

function checkStates(states: ArrayLike<number>, batch: number, n: number): void {
  if (!Number.isInteger(batch) || batch < 0 || states.length !== batch * n) {
    throw new RangeError(`states have ${states.length} values, expected ${batch} x ${n}`);
  }
}

/** P independent uniformly random patterns of N spins +-1 (P rows), drawn row by row from rng. */
export function randomPatterns(count: number, size: number, rng: Rng): Int8Array[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`randomPatterns: count must be a positive integer, got ${count}`);
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`randomPatterns: size must be a positive integer, got ${size}`);
  const rows: Int8Array[] = [];
  for (let mu = 0; mu < count; mu++) {
    const row = new Int8Array(size);
    for (let i = 0; i < size; i++) row[i] = rng.uniform() < 0.5 ? -1 : 1;
    rows.push(row);
  }
  return rows;
}
