/**
 * Sampling visible states of an RBM with a named sampler: the entry point of `rbmlab sample`.
 */
import type { RBM } from '../models/rbm';
import type { Rng } from '../random/rng';
import { exactSample, type EnumerationOptions } from '../exact/enumerate';
import { BlockGibbs, type ChainOptions } from './gibbs';
import { VisibleHeatBath } from './heatbath';
import { requireCount } from './init';

export { BlockGibbs, type ChainOptions } from './gibbs';
export { VisibleHeatBath } from './heatbath';
export { randomVisibleStates } from './init';
export { integratedAutocorrelationTime, type AutocorrelationTime } from './autocorrelation';

/**
 * A sampler of `sampleVisibleStates` and `rbmlab sample`: block Gibbs, the visible heat bath, or
 * exact independent draws by enumeration.
 */
export type SamplerName = 'gibbs' | 'heatbath' | 'exact';
/** Every SamplerName, in the order messages list them. */
export const SAMPLER_NAMES: readonly SamplerName[] = ['gibbs', 'heatbath', 'exact'];

/** Block Gibbs where both layers have a conditional sampler, otherwise the visible heat bath. */
export function defaultSampler(rbm: RBM): 'gibbs' | 'heatbath' {
  return rbm.visible.canSample && rbm.hidden.canSample ? 'gibbs' : 'heatbath';
}

/** A batch of Markov chains on the visible states of an RBM: `sweep(k)` advances them in place. */
export type MarkovChain = BlockGibbs | VisibleHeatBath;

/**
 * Chains with the model's default sampler (block Gibbs when both layers can be sampled,
 * otherwise the visible heat bath). They hold the model by reference: a model trained in place
 * between sweeps is the one the next sweep samples.
 */
export function createChain(rbm: RBM, options: ChainOptions): MarkovChain {
  return defaultSampler(rbm) === 'gibbs' ? new BlockGibbs(rbm, options) : new VisibleHeatBath(rbm, options);
}

/**
 * Options of `sampleVisibleStates`: `chains` chains (or exact draws) from `rng`, each run `sweeps`
 * sweeps from its random start; `sampler` defaults to `defaultSampler(rbm)`.
 */
export interface SampleOptions extends EnumerationOptions {
  readonly chains: number;
  /** Sweeps from the random start (ignored by the exact sampler, whose draws are independent). */
  readonly sweeps: number;
  readonly rng: Rng;
  readonly sampler?: SamplerName;
}

/**
 * Visible states (chains x N, row-major) after `sweeps` sweeps of `chains` independent chains
 * started from a random state drawn from `rng`; or `chains` exact independent draws.
 */
export function sampleVisibleStates(rbm: RBM, options: SampleOptions): Float64Array {
  const sampler = options.sampler ?? defaultSampler(rbm);
  requireCount('chains', options.chains);
  requireCount('sweeps', options.sweeps, true);
  switch (sampler) {
    case 'gibbs': {
      const chain = new BlockGibbs(rbm, { chains: options.chains, rng: options.rng });
      chain.sweep(options.sweeps);
      return chain.visibleState as Float64Array;
    }
    case 'heatbath': {
      const chain = new VisibleHeatBath(rbm, { chains: options.chains, rng: options.rng });
      chain.sweep(options.sweeps);
      return chain.visibleState as Float64Array;
    }
    case 'exact':
      return exactSample(rbm, options.chains, options.rng, options);
    default:
      throw new RangeError(`unknown sampler "${String(sampler)}" (known: ${SAMPLER_NAMES.join(', ')})`);
  }
}
