/**
 * Statistics of visible states, sampled or exact, to compare samplers with the exact oracle.
 * Sampled states are `rows` x `n` row-major batches; exact ones come from P(v) over the 2^n
 * states of a binary visible layer, state k having v_i = support[(k >> i) & 1].
 */

/** First and second moments of visible units: means (n) and covariances (n x n row-major). */
export interface VisibleMoments {
  readonly means: Float64Array;
  /** C_ij = <v_i v_j> - <v_i><v_j>. */
  readonly covariance: Float64Array;
}

/** Empirical moments of `rows` states of `n` units. */
export function sampleMoments(states: ArrayLike<number>, rows: number, n: number): VisibleMoments {
  const means = new Float64Array(n);
  const second = new Float64Array(n * n);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < n; i++) {
      const vi = states[r * n + i];
      means[i] += vi;
      for (let j = 0; j < n; j++) second[i * n + j] += vi * states[r * n + j];
    }
  }
  return finishMoments(means, second, n, rows);
}

/** Exact moments under P(v) given for all 2^n states of a binary layer with the given support. */
export function exactMoments(probabilities: ArrayLike<number>, n: number, support: readonly number[]): VisibleMoments {
  if (probabilities.length !== 2 ** n) {
    throw new RangeError(`exactMoments: ${probabilities.length} probabilities for ${n} units, expected 2^${n}`);
  }
  const means = new Float64Array(n);
  const second = new Float64Array(n * n);
  const v = new Float64Array(n);
  for (let k = 0; k < probabilities.length; k++) {
    const p = probabilities[k];
    for (let i = 0; i < n; i++) v[i] = support[(k >>> i) & 1];
    for (let i = 0; i < n; i++) {
      means[i] += p * v[i];
      for (let j = 0; j < n; j++) second[i * n + j] += p * v[i] * v[j];
    }
  }
  return finishMoments(means, second, n, 1);
}

function finishMoments(sums: Float64Array, second: Float64Array, n: number, total: number): VisibleMoments {
  const means = sums.map((s) => s / total);
  const covariance = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) covariance[i * n + j] = second[i * n + j] / total - means[i] * means[j];
  }
  return { means, covariance };
}

/**
 * Frequencies of the 2^n states among `rows` sampled states of a binary layer (same indexing as
 * the exact P(v)). Throws if a value is outside the support.
 */
export function empiricalDistribution(states: ArrayLike<number>, rows: number, n: number, support: readonly number[]): Float64Array {
  const counts = new Float64Array(2 ** n);
  for (let r = 0; r < rows; r++) {
    let k = 0;
    for (let i = 0; i < n; i++) {
      const value = states[r * n + i];
      const bit = value === support[1] ? 1 : value === support[0] ? 0 : -1;
      if (bit < 0) throw new RangeError(`empiricalDistribution: state ${r} has v${i} = ${value}, outside {${support.join(', ')}}`);
      k += bit * 2 ** i;
    }
    counts[k] += 1;
  }
  for (let k = 0; k < counts.length; k++) counts[k] /= rows;
  return counts;
}

/** Total variation distance (1/2) sum_k |p_k - q_k|. */
export function totalVariation(p: ArrayLike<number>, q: ArrayLike<number>): number {
  if (p.length !== q.length) throw new RangeError(`totalVariation: lengths ${p.length} and ${q.length} differ`);
  let sum = 0;
  for (let k = 0; k < p.length; k++) sum += Math.abs(p[k] - q[k]);
  return sum / 2;
}

/**
 * The total variation that `samples` exact independent draws from p show on average by chance
 * alone, in the normal approximation E|p^_k - p_k| = sqrt(2 p_k (1 - p_k) / (pi samples)):
 * the floor a correct sampler with that many draws cannot beat.
 */
export function samplingNoiseTotalVariation(p: ArrayLike<number>, samples: number): number {
  let sum = 0;
  for (let k = 0; k < p.length; k++) sum += Math.sqrt((2 * p[k] * (1 - p[k])) / (Math.PI * samples));
  return sum / 2;
}
