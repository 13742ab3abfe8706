/**
 * Random starting states for chains: each visible unit drawn from its own distribution at zero
 * input from the other layer (its "prior": v_i ~ exp(-U_i(v_i)), e.g. uniform on {0, 1} for an
 * unbiased bernoulli unit), from the given stream, chain by chain, unit by unit.
 */
import type { Rng } from '../random/rng';
import type { RBM } from '../models/rbm';
import { allocate, type FloatArray, type Precision } from '../tensor/matrix';

/**
 * Random starting states, chains x N row-major: v_ci drawn from visible unit i's own distribution
 * at zero input (v_i ~ exp(-U_i(v_i))), chain by chain, unit by unit, from `rng`.
 */
export function randomVisibleStates(rbm: RBM, chains: number, rng: Rng, precision: Precision = 'float64'): FloatArray {
  const n = rbm.numVisible;
  const layer = rbm.visible;
  if (!layer.canSample) throw new Error(`${layer.type} visible units cannot be sampled`);
  const out = allocate(precision, chains * n);
  for (let c = 0; c < chains; c++) for (let i = 0; i < n; i++) out[c * n + i] = layer.sample(i, 0, rng);
  return out;
}

/** Checks a user-given batch of visible states: right length and finite values. */
export function checkVisibleStates(rbm: RBM, states: ArrayLike<number>, chains: number): void {
  if (states.length !== chains * rbm.numVisible) {
    throw new RangeError(`initial states have ${states.length} values, expected ${chains} chains x ${rbm.numVisible} visible units`);
  }
  for (let k = 0; k < states.length; k++) {
    if (!Number.isFinite(states[k])) throw new RangeError(`initial state value ${k} is not finite: ${states[k]}`);
  }
}

export function requireCount(name: string, value: number, allowZero = false): void {
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new RangeError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${value}`);
  }
}
