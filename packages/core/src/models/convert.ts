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
