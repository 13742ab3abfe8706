/**
 * Pearson's chi-square goodness-of-fit test of observed counts against exact cell probabilities:
 * the oracle by which rbmlab's samplers are tested against exact distributions (enumerated P(v),
 * the conditionals of a unit), on every backend, in Node and in a browser page.
 *
 *   X^2 = sum_cells (O - E)^2 / E,  E = n p_cell,  df = cells - 1,  p = P(chi2_df >= X^2)
 *
 * Cells whose expected count is below 5 are pooled (in the order given) so that the chi-square
 * approximation holds; a remainder below 5 joins the last cell.
 */
import { chiSquareSurvival } from '../math/special';

/**
 * Pearson's chi-square statistic sum (O - E)^2 / E over the pooled cells, its degrees of freedom (bins - 1)
 * and upper-tail p-value.
 */
export interface GofResult {
  readonly statistic: number;
  readonly df: number;
  readonly pValue: number;
  /** Cells after pooling. */
  readonly bins: number;
}

/** Pearson's chi-square of `counts` against `probs` (which sum to 1), cells pooled to expect >= 5 each. */
export function chiSquareGof(counts: ArrayLike<number>, probs: ArrayLike<number>): GofResult {
  let n = 0;
  for (let k = 0; k < counts.length; k++) n += counts[k];
  const cells: { o: number; e: number }[] = [];
  let pool = { o: 0, e: 0 };
  for (let k = 0; k < probs.length; k++) {
    pool.o += counts[k];
    pool.e += n * probs[k];
    if (pool.e >= 5) {
      cells.push(pool);
      pool = { o: 0, e: 0 };
    }
  }
  if (pool.e > 0 || pool.o > 0) {
    if (cells.length > 0) {
      cells[cells.length - 1].o += pool.o;
      cells[cells.length - 1].e += pool.e;
    } else cells.push(pool);
  }
  let statistic = 0;
  for (const c of cells) statistic += ((c.o - c.e) * (c.o - c.e)) / c.e;
  const df = cells.length - 1;
  return { statistic, df, pValue: df > 0 ? chiSquareSurvival(statistic, df) : 1, bins: cells.length };
}
