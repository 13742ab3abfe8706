/**
 * Changes of encoding and the Hopfield mapping (MODELS.md §1 and §4).
 */
import { BernoulliLayer, GaussianLayer, SpinLayer } from '../units/builtin';
import { RBM } from './rbm';

/**
 * Spin visibles sigma in {-1, +1} -> bernoulli visibles v in {0, 1}, sigma = 2 v - 1:
 *   W01 = 2 W,  a01 = 2 a,  theta01_mu = theta_mu - sum_i W_{i mu}
 * (the hidden shift is applied through withInputShift, so every hidden unit type converts).
 * P(v) of the result equals P(sigma) of the input state by state; the constant -sum_i a_i
 * dropped from the energy cancels in Z.
 */
export function spinToBernoulliVisible(rbm: RBM): RBM {
  if (!(rbm.visible instanceof SpinLayer)) {
    throw new Error(`spinToBernoulliVisible needs spin visible units, got ${rbm.visible.type}`);
  }
  return changeVisibleEncoding(rbm, 2, -1, new BernoulliLayer(rbm.numVisible, { bias: scaled(rbm.visible.params.bias, 2) }));
}

/**
 * Bernoulli visibles v in {0, 1} -> spin visibles sigma, v = (sigma + 1) / 2:
 *   Ws = W / 2,  as = a / 2,  thetas_mu = theta_mu + sum_i W_{i mu} / 2.
 */
export function bernoulliToSpinVisible(rbm: RBM): RBM {
  if (!(rbm.visible instanceof BernoulliLayer)) {
    throw new Error(`bernoulliToSpinVisible needs bernoulli visible units, got ${rbm.visible.type}`);
  }
  return changeVisibleEncoding(rbm, 0.5, 0.5, new SpinLayer(rbm.numVisible, { bias: scaled(rbm.visible.params.bias, 0.5) }));
}

/**
 * An affine change of the visible encoding, old = weightScale * new + shiftPerWeight: the weights
 * become weightScale * W and each hidden input gains shiftPerWeight * sum_i W_{i mu}
 * (sigma = 2 v - 1: scale 2, shift -1; v = (sigma + 1) / 2: scale 1/2, shift +1/2).
 */
function changeVisibleEncoding(rbm: RBM, weightScale: number, shiftPerWeight: number, visible: BernoulliLayer | SpinLayer): RBM {
  const n = rbm.numVisible;
  const m = rbm.numHidden;
  const shift = new Float64Array(m);
  for (let i = 0; i < n; i++) for (let mu = 0; mu < m; mu++) shift[mu] += shiftPerWeight * rbm.weights[i * m + mu];
  return new RBM(visible, rbm.hidden.withInputShift(shift), scaled(rbm.weights, weightScale));
}

function scaled(values: Float64Array, factor: number): Float64Array {
  return values.map((x) => factor * x);
}

/**
 * The Hopfield network at inverse temperature beta with patterns xi (P rows of N values +-1) as
 * an RBM with spin visibles and gaussian hidden units of unit precision: W = sqrt(beta / N) xi^T.
 * Summing the hidden units out gives -F(sigma) = (beta N / 2) sum_mu m_mu^2 + const, with
 * m_mu = (1/N) sum_i xi^mu_i sigma_i, i.e. the Hopfield energy -(1/(2N)) sum_mu (xi^mu . sigma)^2
 * at inverse temperature beta. (W = beta xi / sqrt(N) would give inverse temperature beta^2.)
 */
export function hopfieldToRbm(patterns: ArrayLike<number>[], beta: number): RBM {
  const p = patterns.length;
  if (p === 0) throw new RangeError('hopfieldToRbm: no patterns');
  const n = patterns[0].length;
  if (!(beta > 0)) throw new RangeError(`hopfieldToRbm: beta must be > 0, got ${beta}`);
  const w = new Float64Array(n * p);
  const scale = Math.sqrt(beta / n);
  for (let mu = 0; mu < p; mu++) {
    if (patterns[mu].length !== n) throw new RangeError(`hopfieldToRbm: pattern ${mu} has ${patterns[mu].length} values, expected ${n}`);
    for (let i = 0; i < n; i++) w[i * p + mu] = scale * patterns[mu][i];
  }
  return new RBM(new SpinLayer(n), new GaussianLayer(p), w);
}

/**
 * A spin-visible RBM with gaussian hidden units as the pairwise model it is. Summing h out,
 *   -F(sigma) = sum_i a_i sigma_i + sum_mu (theta_mu + sum_i W_{i mu} sigma_i)^2 / (2 gamma_mu) + const
 *             = sum_{i<j} J_ij sigma_i sigma_j + sum_i h_i sigma_i + const   (sigma_i^2 = 1),
 * so P(sigma) ∝ exp(sum_{i<j} J_ij sigma_i sigma_j + sum_i h_i sigma_i) with the temperature
 * absorbed in J and h, as in the RBM.
 */
export interface HopfieldNetwork {
  /** J_ij = sum_mu W_{i mu} W_{j mu} / gamma_mu, N x N row-major, symmetric, zero diagonal (a constant). */
  readonly couplings: Float64Array;
  /** h_i = a_i + sum_mu theta_mu W_{i mu} / gamma_mu; zero for a Hopfield network proper. */
  readonly field: Float64Array;
  /**
   * Patterns xi (P rows of N values +-1) when every column of the effective weights
   * W_{i mu} / sqrt(gamma_mu) has entries of one magnitude c_mu > 0: xi^mu_i = sign(W_{i mu}),
   * so that hopfieldToRbm(patterns, beta) gives back W. Undefined otherwise.
   */
  readonly patterns: number[][] | undefined;
  /** beta_mu = N c_mu^2 for each pattern: J = (1/N) sum_mu beta_mu xi^mu xi^mu^T off the diagonal. */
  readonly patternBeta: Float64Array | undefined;
  /** The common beta when every beta_mu agrees (relative tolerance): J = (beta/N) sum_mu xi^mu xi^mu^T. */
  readonly beta: number | undefined;
}

/**
 * The way back from hopfieldToRbm: a spin-visible, gaussian-hidden RBM as a Hopfield network
 * (couplings, field, and patterns and beta where the weights have the Hopfield form
 * W = sqrt(beta / N) xi^T up to each unit's precision). Any precision and hidden bias convert:
 * the hidden bias becomes part of the field. `tolerance` is the relative spread allowed among
 * the magnitudes of a column and among the beta_mu (default 1e-12).
 */
export function rbmToHopfield(rbm: RBM, tolerance = 1e-12): HopfieldNetwork {
  if (!(rbm.visible instanceof SpinLayer)) {
    throw new Error(`rbmToHopfield needs spin visible units, got ${rbm.visible.type} (bernoulliToSpinVisible converts bernoulli ones)`);
  }
  if (!(rbm.hidden instanceof GaussianLayer)) {
    throw new Error(`rbmToHopfield needs gaussian hidden units (the only ones that give a pairwise model), got ${rbm.hidden.type}`);
  }
  const n = rbm.numVisible;
  const p = rbm.numHidden;
  const gamma = rbm.hidden.params.gamma;
  const theta = rbm.hidden.params.bias;
  // effective weights of unit precision, N x P: W~ = W / sqrt(gamma), J = W~ W~^T
  const eff = new Float64Array(n * p);
  for (let i = 0; i < n; i++) for (let mu = 0; mu < p; mu++) eff[i * p + mu] = rbm.weights[i * p + mu] / Math.sqrt(gamma[mu]);
  const couplings = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let mu = 0; mu < p; mu++) s += eff[i * p + mu] * eff[j * p + mu];
      couplings[i * n + j] = s;
      couplings[j * n + i] = s;
    }
  }
  const field = Float64Array.from(rbm.visible.params.bias);
  for (let i = 0; i < n; i++) for (let mu = 0; mu < p; mu++) field[i] += (theta[mu] * rbm.weights[i * p + mu]) / gamma[mu];

  let patterns: number[][] | undefined = [];
  const patternBeta = new Float64Array(p);
  for (let mu = 0; mu < p && patterns; mu++) {
    const c = Math.abs(eff[mu]);
    const row: number[] = [];
    for (let i = 0; i < n; i++) {
      const x = eff[i * p + mu];
      if (!(c > 0) || Math.abs(Math.abs(x) - c) > tolerance * c) {
        patterns = undefined;
        break;
      }
      row.push(x > 0 ? 1 : -1);
    }
    if (patterns) {
      patterns.push(row);
      patternBeta[mu] = n * c * c;
    }
  }
  if (!patterns) return { couplings, field, patterns: undefined, patternBeta: undefined, beta: undefined };
  const lo = Math.min(...patternBeta);
  const hi = Math.max(...patternBeta);
  // the mean of the beta_mu: each is N c_mu^2 from one column, and they agree to the tolerance
  const beta = hi - lo <= tolerance * hi ? patternBeta.reduce((a, b) => a + b, 0) / p : undefined;
  return { couplings, field, patterns, patternBeta, beta };
}
