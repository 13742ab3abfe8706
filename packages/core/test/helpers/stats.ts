/**
 * Test oracles shared by the core suites: tolerance checks that treat NaN and Inf as failures,
 * and a chi-square goodness-of-fit test against exact probabilities.
 *
 * False-failure rates: a goodness-of-fit test fails when its p-value is below P_FAIL = 1e-6, so a
 * correct sampler fails a given seeded test with probability 1e-6 (for independent draws and an
 * exact null). Across the ~100 such tests in the suite that is below 1e-4 in all; the seeds are
 * fixed, so a run either passes or fails deterministically.
 */
import type { GofResult } from '../../src/evaluation/goodness-of-fit';

export const P_FAIL = 1e-6;

/** |actual - expected| <= abs + rel * |expected|, and both finite. */
export function expectClose(actual: number, expected: number, rel: number, abs = 0, what = ''): void {
  const ok =
    Number.isFinite(actual) &&
    Number.isFinite(expected) &&
    Math.abs(actual - expected) <= abs + rel * Math.abs(expected);
  if (!ok) {
    throw new Error(
      `${what ? what + ': ' : ''}expected ${expected}, got ${actual} (diff ${actual - expected}, rel ${rel}, abs ${abs})`,
    );
  }
}

export { chiSquareGof, type GofResult } from '../../src/evaluation/goodness-of-fit';

/** Fails with the statistic when the goodness-of-fit p-value is below P_FAIL. */
export function expectFits(result: GofResult, what: string): void {
  if (!(result.pValue >= P_FAIL)) {
    throw new Error(`${what}: chi-square ${result.statistic.toFixed(1)} on ${result.df} df, p = ${result.pValue.toExponential(2)} < ${P_FAIL}`);
  }
}

/** Counts of states by index (state -> index function). */
export function histogram(states: ArrayLike<number>, width: number, cells: number, index: (row: ArrayLike<number>) => number): Float64Array {
  const counts = new Float64Array(cells);
  const rows = states.length / width;
  for (let r = 0; r < rows; r++) {
    const k = index(Array.prototype.slice.call(states, r * width, (r + 1) * width) as number[]);
    if (k < 0 || k >= cells) throw new Error(`state ${r} has no cell`);
    counts[k]++;
  }
  return counts;
}

/** Mean and variance of a sample. */
export function moments(xs: ArrayLike<number>): { mean: number; variance: number; m4: number } {
  const n = xs.length;
  let mean = 0;
  for (let k = 0; k < n; k++) mean += xs[k] / n;
  let variance = 0;
  let m4 = 0;
  for (let k = 0; k < n; k++) {
    const d = xs[k] - mean;
    variance += (d * d) / (n - 1);
    m4 += (d * d * d * d) / n;
  }
  return { mean, variance, m4 };
}

/**
 * log of integral of exp(g(h)) over [lo, hi] by composite Simpson on `steps` intervals, scaled
 * by the maximum on the grid. An independent oracle for the units' closed forms.
 */
export function logIntegrate(g: (h: number) => number, lo: number, hi: number, steps = 20000): number {
  const dh = (hi - lo) / steps;
  const values = new Float64Array(steps + 1);
  let max = -Infinity;
  for (let k = 0; k <= steps; k++) {
    values[k] = g(lo + k * dh);
    if (values[k] > max) max = values[k];
  }
  let s = 0;
  for (let k = 0; k <= steps; k++) {
    const w = k === 0 || k === steps ? 1 : k % 2 === 1 ? 4 : 2;
    s += w * Math.exp(values[k] - max);
  }
  return max + Math.log((s * dh) / 3);
}
