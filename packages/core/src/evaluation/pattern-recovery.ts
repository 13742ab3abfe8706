/**
 * Pattern recovery (MODELS.md §5): how well the weight columns of a trained RBM match planted
 * patterns, with the optimal one-to-one assignment of patterns to hidden units.
 *
 * The overlap of pattern xi (length N) with weight column w_mu = W[:, mu] is the absolute cosine
 *
 *     q(xi, w_mu) = |xi . w_mu| / (|xi| |w_mu|)        in [0, 1]  (0 for a zero column)
 *
 * absolute because a hidden unit with weights -w describes the same pattern (spin symmetry). A
 * random direction has q ~ sqrt(2 / (pi N)) on average. The assignment pi (pattern -> distinct
 * hidden unit) maximises sum_a q(xi^a, w_pi(a)) and is found by the Hungarian algorithm.
 */

/**
 * Anything with N x M row-major weights whose columns are compared with patterns: an RBM, or
 * e.g. the principal directions of data laid out as columns.
 */
export interface WeightColumns {
  readonly weights: ArrayLike<number>;
  readonly numVisible: number;
  readonly numHidden: number;
}

/**
 * The one-to-one assignment that maximises the total score: `score` is rows x cols row-major;
 * returns, per row, its column (distinct columns), or -1 for rows left over when rows > cols.
 * Hungarian algorithm (Kuhn-Munkres with potentials, shortest augmenting paths), O(r^2 c) for
 * r = min(rows, cols), c = max(rows, cols). Scores must be finite.
 */
export function maxWeightAssignment(score: ArrayLike<number>, rows: number, cols: number): Int32Array {
  if (!(Number.isInteger(rows) && rows >= 0 && Number.isInteger(cols) && cols >= 0)) {
    throw new RangeError(`maxWeightAssignment: rows and cols must be non-negative integers, got ${rows} x ${cols}`);
  }
  if (score.length !== rows * cols) throw new RangeError(`maxWeightAssignment: score has ${score.length} entries, expected ${rows} x ${cols}`);
  for (let k = 0; k < score.length; k++) {
    if (!Number.isFinite(score[k])) throw new RangeError(`maxWeightAssignment: score ${k} is not finite: ${score[k]}`);
  }
  const out = new Int32Array(rows).fill(-1);
  if (rows === 0 || cols === 0) return out;
  // the algorithm assigns every one of n "left" items to distinct items among m >= n "right" ones
  const transposed = rows > cols;
  const n = transposed ? cols : rows;
  const m = transposed ? rows : cols;
  const cost = (a: number, b: number): number => -(transposed ? score[b * cols + a] : score[a * cols + b]);
  // 1-based arrays: u, v potentials; match[j] = left item matched to right item j (0 = none)
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const match = new Int32Array(m + 1);
  const way = new Int32Array(m + 1);
  const minv = new Float64Array(m + 1);
  const used = new Uint8Array(m + 1);
  for (let a = 1; a <= n; a++) {
    match[0] = a;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const a0 = match[j0];
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const reduced = cost(a0 - 1, j - 1) - u[a0] - v[j];
        if (reduced < minv[j]) {
          minv[j] = reduced;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[match[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (match[j0] !== 0);
    do {
      const j1 = way[j0];
      match[j0] = match[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  for (let j = 1; j <= m; j++) {
    if (match[j] === 0) continue;
    if (transposed) out[j - 1] = match[j] - 1;
    else out[match[j] - 1] = j - 1;
  }
  return out;
}

/** q(xi^a, w_mu) = |xi^a . w_mu| / (|xi^a| |w_mu|) for every pattern a and hidden unit mu: P x M row-major. */
export function patternColumnOverlaps(patterns: readonly ArrayLike<number>[], rbm: WeightColumns): Float64Array {
  const n = rbm.numVisible;
  const m = rbm.numHidden;
  const w = rbm.weights;
  if (w.length !== n * m) throw new RangeError(`weights have ${w.length} entries, expected ${n} x ${m}`);
  const norms = new Float64Array(m);
  for (let i = 0; i < n; i++) for (let mu = 0; mu < m; mu++) norms[mu] += w[i * m + mu] * w[i * m + mu];
  const out = new Float64Array(patterns.length * m);
  patterns.forEach((xi, a) => {
    if (xi.length !== n) throw new RangeError(`pattern ${a} has ${xi.length} entries, expected ${n} visible units`);
    let xx = 0;
    const dots = new Float64Array(m);
    for (let i = 0; i < n; i++) {
      const x = xi[i];
      xx += x * x;
      if (x !== 0) for (let mu = 0; mu < m; mu++) dots[mu] += x * w[i * m + mu];
    }
    for (let mu = 0; mu < m; mu++) {
      const denom = Math.sqrt(xx * norms[mu]);
      out[a * m + mu] = denom > 0 ? Math.abs(dots[mu]) / denom : 0;
    }
  });
  return out;
}

/**
 * Overlaps q = |xi^a . w_mu| / (|xi^a| |w_mu|) of each of the P planted patterns with the weight column
 * assigned to it (the one-to-one assignment maximising their sum), and their mean.
 */
export interface PatternRecovery {
  /** Per pattern, q with its assigned hidden unit (0 for a pattern left unassigned when P > M). */
  readonly overlaps: Float64Array;
  /** Per pattern, its hidden unit (-1 when unassigned). */
  readonly assignment: Int32Array;
  /** Mean of `overlaps` over the patterns. */
  readonly mean: number;
}

/** The overlap of each planted pattern with its matched weight column, under the optimal assignment. */
export function patternRecovery(patterns: readonly ArrayLike<number>[], rbm: WeightColumns): PatternRecovery {
  const p = patterns.length;
  const m = rbm.numHidden;
  const q = patternColumnOverlaps(patterns, rbm);
  const assignment = maxWeightAssignment(q, p, m);
  const overlaps = new Float64Array(p);
  let sum = 0;
  for (let a = 0; a < p; a++) {
    overlaps[a] = assignment[a] >= 0 ? q[a * m + assignment[a]] : 0;
    sum += overlaps[a];
  }
  return { overlaps, assignment, mean: p > 0 ? sum / p : NaN };
}
