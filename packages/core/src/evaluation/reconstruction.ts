/**
 * Reconstruction error: a cheap training monitor that is not a likelihood (Hinton 2010, "A
 * practical guide to training RBMs", §5).
 *
 * h = E[h | v] = Gamma'(I(v)) (mean field, deterministic), or h ~ P(h | v) with
 * { sampled: true }; the reconstruction is the visible mean E[v | h] at input J(h) = W h, and
 *
 *     error = 1/(rows N) sum_{r, i} (v_ri - E[v_i | h_r])^2,
 *
 * the mean squared error per visible unit. It is not what training optimizes, and a small value
 * does not mean a good model (a model that copies its input reconstructs perfectly).
 */
import type { RBM } from '../models/rbm';
import type { Rng } from '../random/rng';
import { checkData } from './common';

/** Options of `reconstructionError`: mean-field h = E[h | v] by default, or h ~ P(h | v) drawn from `rng`. */
export interface ReconstructionOptions {
  /** Draw h ~ P(h | v) instead of using E[h | v]; needs a hidden sampler and `rng`. */
  readonly sampled?: boolean;
  readonly rng?: Rng;
}

/** Mean squared error per visible unit between the rows of data (rows x N) and E[v | h]. */
export function reconstructionError(rbm: RBM, data: ArrayLike<number>, rows: number, options: ReconstructionOptions = {}): number {
  const n = rbm.numVisible;
  checkData(data, rows, n, 'reconstructionError');
  const v = Float64Array.from(data);
  let h: Float64Array;
  if (options.sampled) {
    if (options.rng === undefined) throw new TypeError('reconstructionError: { sampled: true } needs an rng');
    if (!rbm.hidden.canSample) {
      throw new Error(`reconstructionError: ${rbm.hidden.type} units have no conditional sampler; use the mean-field reconstruction`);
    }
    h = rbm.sampleHidden(v, rows, options.rng) as Float64Array;
  } else {
    h = rbm.hiddenMean(v, rows);
  }
  const recon = rbm.visibleMean(h, rows);
  let total = 0;
  for (let k = 0; k < v.length; k++) {
    const d = v[k] - recon[k];
    total += d * d;
  }
  return total / v.length;
}
