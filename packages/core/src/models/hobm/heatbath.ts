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
import { integratedAutocorrelationTime, type AutocorrelationTime } from '../../sampling/autocorrelation';

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

/** Options of equilibriumSamples. */
export interface EquilibriumSampleOptions {
  /** How many states to return. */
  readonly samples: number;
  /** Parallel chains (default 16); the samples are taken from all of them in turn. */
  readonly chains?: number;
  readonly rng: Rng;
  /** Sweeps of the first pilot run (default 200); doubled until it is at least 50 tau long (at most maxSweeps). */
  readonly pilot?: number;
  /** The most sweeps a pilot may reach (default 100,000). */
  readonly maxSweeps?: number;
}

/** Equilibrium draws of a higher-order machine and how they were made. */
export interface EquilibriumSamples {
  /** samples x N, row-major, in the model's support. */
  readonly states: Float64Array;
  /** The integrated autocorrelation time of the energy, in sweeps, measured on the pilot's second half. */
  readonly tau: number;
  /** Sweeps before the first kept state (the whole pilot: at least 50 tau when `reliable`). */
  readonly burnIn: number;
  /** Sweeps between kept states of one chain: ceil(2 tau), at least 1. */
  readonly thin: number;
  /** Whether the pilot reached 50 tau within maxSweeps. */
  readonly reliable: boolean;
}

/**
 * Draws `samples` states from P(s) ∝ exp(-beta E(s)) by heat-bath sweeps, with burn-in and
 * thinning chosen from the measured integrated autocorrelation time tau of the energy (Sokal's
 * window; ../../sampling/autocorrelation.ts): a pilot of P sweeps on every chain, its second half
 * measured, doubled until P >= 50 tau (the first half is then more than 25 tau of burn-in, far
 * past the relaxation of the energy); then states every ceil(2 tau) sweeps, chain by chain. The
 * kept states of one chain are therefore about 2 tau apart, and successive rows come from
 * different chains.
 */
export function equilibriumSamples(model: HigherOrderBoltzmannMachine, options: EquilibriumSampleOptions): EquilibriumSamples {
  const { samples, rng } = options;
  const chains = options.chains ?? 16;
  const maxSweeps = options.maxSweeps ?? 100_000;
  if (!Number.isInteger(samples) || samples < 1) throw new RangeError(`samples must be a positive integer, got ${samples}`);
  let pilot = options.pilot ?? 200;
  if (!Number.isInteger(pilot) || pilot < 20) throw new RangeError(`pilot must be an integer >= 20, got ${pilot}`);
  const chain = new HigherOrderHeatBath(model, { chains, rng });
  const n = model.size;
  let done = 0;
  let measured: AutocorrelationTime;
  for (;;) {
    // energies of the second half of a pilot of `pilot` sweeps in total
    const half = pilot - Math.floor(pilot / 2);
    chain.sweep(Math.max(0, pilot - half - done));
    const energies = Array.from({ length: chains }, () => new Float64Array(half));
    for (let t = 0; t < half; t++) {
      chain.sweep(1);
      const e = model.energies(chain.state, chains);
      for (let c = 0; c < chains; c++) energies[c][t] = e[c];
    }
    done = pilot;
    measured = integratedAutocorrelationTime(energies);
    // a frozen energy (one state, or T = 0) mixes in no time that the energy can tell: tau 1
    if (Number.isNaN(measured.tau)) measured = { tau: 1, window: 0, reliable: true };
    if (pilot >= 50 * measured.tau || pilot * 2 > maxSweeps) break;
    pilot *= 2;
  }
  const thin = Math.max(1, Math.ceil(2 * measured.tau));
  const states = new Float64Array(samples * n);
  for (let k = 0; k < samples; k += chains) {
    chain.sweep(thin);
    for (let c = 0; c < chains && k + c < samples; c++) states.set(chain.state.subarray(c * n, (c + 1) * n), (k + c) * n);
  }
  return { states, tau: measured.tau, burnIn: done, thin, reliable: pilot >= 50 * measured.tau };
}
