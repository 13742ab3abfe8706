/**
 * Exact oracles for models whose every unit is visible and binary (dense associative memories,
 * explicit higher-order Boltzmann machines): the unnormalized log weights -beta E(s) of all 2^N
 * states are held in one Float64Array, indexed as in stateFromIndex (unit k of state number s is
 * support[(s >> k) & 1]), and log Z, log P(s) and exact draws are read off that table.
 *
 * The table costs 8 * 2^N bytes, so these oracles stop at MAX_TABLE_UNITS = 26 units (512 MiB);
 * the default limit is the RBM oracles' 24 (128 MiB).
 */
import { logSumExp } from '../math/special';
import type { Rng } from '../random/rng';
import { DEFAULT_MAX_ENUMERATED_UNITS, drawIndex, EnumerationError, stateFromIndex } from './enumerate';

/** Largest model the table oracles accept (option maxUnits): 2^26 float64 log weights, 512 MiB. */
export const MAX_TABLE_UNITS = 26;

/**
 * Size limit of the table oracles of dense memories and higher-order machines (2^maxUnits float64 log
 * weights).
 */
export interface TableEnumerationOptions {
  /** Largest number of units to enumerate (default 24, at most 26). */
  readonly maxUnits?: number;
}

/** Throws EnumerationError unless `size` units can be enumerated under `options`. */
export function checkTableSize(size: number, options: TableEnumerationOptions, what: string): void {
  const maxUnits = options.maxUnits ?? DEFAULT_MAX_ENUMERATED_UNITS;
  if (!Number.isInteger(maxUnits) || maxUnits < 1 || maxUnits > MAX_TABLE_UNITS) {
    throw new RangeError(`maxUnits must be an integer in 1..${MAX_TABLE_UNITS} (a table of 2^${MAX_TABLE_UNITS} states), got ${maxUnits}`);
  }
  if (size > maxUnits) {
    throw new EnumerationError(`exact enumeration needs at most ${maxUnits} units; this ${what} has ${size}`);
  }
}

/** log Z = logsumexp over the table (float64, max-shifted). */
export function tableLogZ(logWeights: Float64Array): number {
  return logSumExp(logWeights);
}

/** log P(s) = logWeights[s] - log Z, in place; returns the same array. */
export function normalizeLogWeights(logWeights: Float64Array): Float64Array {
  const logZ = tableLogZ(logWeights);
  for (let s = 0; s < logWeights.length; s++) logWeights[s] -= logZ;
  return logWeights;
}

/**
 * `count` independent exact draws (count x n, row-major) from P(s) ∝ exp(logWeights[s]): one
 * uniform each, inverted through the cumulative distribution by bisection.
 */
export function sampleFromLogWeights(
  logWeights: Float64Array,
  n: number,
  support: readonly number[],
  count: number,
  rng: Rng,
): Float64Array {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  const logZ = tableLogZ(logWeights);
  if (!Number.isFinite(logZ)) throw new RangeError(`exact sampling: log Z is ${logZ} in float64`);
  const cdf = new Float64Array(logWeights.length);
  let total = 0;
  for (let s = 0; s < cdf.length; s++) cdf[s] = total += Math.exp(logWeights[s] - logZ);
  const out = new Float64Array(count * n);
  const row = new Float64Array(n);
  for (let c = 0; c < count; c++) out.set(stateFromIndex(drawIndex(cdf, rng), n, support, row), c * n);
  return out;
}

/**
 * The exact oracles of a model over N binary units whose unnormalized log-probabilities
 * log w(s) = -beta E(s) can be tabulated for all 2^N states (dense memories, explicit p-body
 * machines): subclasses give `logWeights`, indexed as stateFromIndex with `support`.
 */
export abstract class TabulatedModel {
  abstract readonly size: number;
  abstract readonly support: readonly number[];

  /** log w(s) for all 2^N states (N <= maxUnits). */
  abstract logWeights(options?: TableEnumerationOptions): Float64Array;

  /** Exact log Z = log sum_s w(s), by enumerating the 2^N states. */
  exactLogZ(options: TableEnumerationOptions = {}): number {
    return tableLogZ(this.logWeights(options));
  }

  /** log P(s) for all 2^N states, indexed as stateFromIndex with this.support. */
  logProbabilities(options: TableEnumerationOptions = {}): Float64Array {
    return normalizeLogWeights(this.logWeights(options));
  }

  /** P(s) for all 2^N states. */
  probabilities(options: TableEnumerationOptions = {}): Float64Array {
    return this.logProbabilities(options).map(Math.exp);
  }

  /** `count` independent exact draws (count x N), by enumeration. */
  exactSample(count: number, rng: Rng, options: TableEnumerationOptions = {}): Float64Array {
    return sampleFromLogWeights(this.logWeights(options), this.size, this.support, count, rng);
  }
}
