/**
 * Heat-bath (Glauber) sampling of a higher-order Boltzmann machine on a batch of chains: each unit
 * in turn, sites 0 .. N-1 in every chain, is redrawn from its conditional given the others,
 *   spin:      P(s_i = +1 | rest) = sigmoid(2 beta h_i)
 *   bernoulli: P(s_i = 1 | rest)  = sigmoid(beta h_i)
 * with the local field h_i from the model's incidence list (./model), one uniform per site.
 * Each update leaves P(s) ∝ exp(-beta E(s)) invariant, so sweeps converge to it.
 */
import { sigmoid } from '../../math/special';
import type { Rng } from '../../random/rng';
import type { HigherOrderBoltzmannMachine } from './model';

/** Options of HigherOrderHeatBath: `chains` chains, their stream, and optional initial states. */
export interface HigherOrderChainOptions {
  readonly chains: number;
  /** The stream of the random start and of every update. */
  readonly rng: Rng;
  /** Initial states, chains x N, values in the model's support; default each unit uniform on it. */
  readonly init?: ArrayLike<number>;
}

/**
 * Heat-bath (Glauber) sweeps of a higher-order machine on `chains` chains (states chains x N
 * row-major): site i = 0 .. N-1 redrawn with P(s_i = +1) = sigmoid(2 beta h_i) (spin) or
 * P(s_i = 1) = sigmoid(beta h_i) (bernoulli), one uniform per site.
 */
export class HigherOrderHeatBath {
  readonly chains: number;
  /** States, chains x N row-major, values in the model's support, updated in place. */
  readonly state: Float64Array;
  private readonly rng: Rng;

  constructor(readonly model: HigherOrderBoltzmannMachine, options: HigherOrderChainOptions) {
    const { chains, rng, init } = options;
    if (!Number.isInteger(chains) || chains < 1) throw new RangeError(`chains must be a positive integer, got ${chains}`);
    this.chains = chains;
    this.rng = rng;
    const n = model.size;
    const [lo, hi] = model.support;
    if (init !== undefined) {
      if (init.length !== chains * n) throw new RangeError(`initial states have ${init.length} values, expected ${chains} chains x ${n} units`);
      for (let k = 0; k < init.length; k++) {
        if (init[k] !== lo && init[k] !== hi) throw new RangeError(`initial state value ${k} must be ${lo} or ${hi} (${model.type} units), got ${init[k]}`);
      }
      this.state = Float64Array.from(init);
    } else {
      this.state = new Float64Array(chains * n);
      for (let k = 0; k < chains * n; k++) this.state[k] = rng.uniform() < 0.5 ? lo : hi;
    }
  }

  /** `count` sweeps at inverse temperature `beta` (default the model's). */
  sweep(count = 1, beta = this.model.beta): void {
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`sweeps must be a non-negative integer, got ${count}`);
    if (typeof beta !== 'number' || !Number.isFinite(beta) || beta < 0) throw new RangeError(`beta must be a finite number >= 0, got ${beta}`);
    const model = this.model;
    const n = model.size;
    const [lo, hi] = model.support;
    // E(lo) - E(hi) = (hi - lo) h_i: 2 h for spins, h for bernoulli units
    const gain = beta * (hi - lo);
    const state = this.state;
    const rng = this.rng;
    for (let sweep = 0; sweep < count; sweep++) {
      for (let c = 0; c < this.chains; c++) {
        const offset = c * n;
        for (let i = 0; i < n; i++) {
          const h = model.localField(state, i, offset);
          state[offset + i] = rng.uniform() < sigmoid(gain * h) ? hi : lo;
        }
      }
    }
  }
}
