/**
 * `rbmlab logz` and `rbmlab sample` on the models without a hidden layer: dense associative
 * memories (rbmlab.dense/1) and explicit higher-order Boltzmann machines (rbmlab.hobm/1). Every
 * unit is visible, so "exact" enumerates all 2^N states, and the samplers are the single-site
 * heat bath (the default) and exact independent draws.
 */
import { createRng, DenseDynamics, HigherOrderHeatBath, type LoadedModel } from '@rbmlab/core';
import { statesToCsv } from '../../csv';
import type { Io } from '../command';
import { CliError, EXIT_FAILURE, EXIT_OK } from '../errors';
import { asInputError, writeOutput } from './shared';

/** A loaded model that is not an RBM. */
export type HigherOrderModel = Exclude<LoadedModel, { kind: 'rbm' }>;

/** The samplers `rbmlab sample` offers for these models; the first is the default. */
export const HIGHER_ORDER_SAMPLERS = ['heatbath', 'exact'] as const;

/** log Z by enumeration of the 2^N states; `method` other than exact is refused naming the format. */
export function higherOrderLogZ(loaded: HigherOrderModel, file: string, method: string, json: boolean, io: Io): number {
  if (method !== 'exact') {
    throw new CliError(`--method ${method} is for RBMs; ${file} is a ${loaded.format} model (use --method exact)`);
  }
  let logZ: number;
  try {
    logZ = loaded.model.exactLogZ();
  } catch (err) {
    throw asInputError(err, file);
  }
  if (!Number.isFinite(logZ)) {
    throw new CliError(`${file}: log Z is ${logZ} in float64 (the partition function overflows)`, EXIT_FAILURE);
  }
  const n = loaded.model.size;
  if (json) io.stdout(JSON.stringify({ logZ, method, enumerated: 'visible' }) + '\n');
  else io.stdout(`${file}: log Z = ${logZ} (${method}, summed over 2^${n} states of a ${loaded.format} model)\n`);
  return EXIT_OK;
}

export interface HigherOrderSampleOptions {
  readonly file: string;
  readonly out: string;
  readonly chains: number;
  readonly sweeps: number;
  readonly seed: number;
  /** As given by --sampler (already one of the CLI's sampler names), or undefined for the default. */
  readonly sampler: string | undefined;
}

/**
 * Samples `chains` states: heat bath (C chains from uniformly random states, S sweeps of sites
 * 0..N-1 at the model's beta) or exact independent draws; writes the same CSV as for RBMs.
 */
export function higherOrderSample(loaded: HigherOrderModel, options: HigherOrderSampleOptions, io: Io): number {
  const { file, out, chains, sweeps, seed } = options;
  const sampler = options.sampler ?? HIGHER_ORDER_SAMPLERS[0];
  if (!(HIGHER_ORDER_SAMPLERS as readonly string[]).includes(sampler)) {
    throw new CliError(
      `--sampler ${sampler} needs a hidden layer, and ${file} is a ${loaded.format} model, which has none (use --sampler ${HIGHER_ORDER_SAMPLERS.join(' or ')})`,
    );
  }
  const rng = createRng(seed);
  const n = loaded.model.size;
  let states: Float64Array;
  if (sampler === 'exact') {
    try {
      states = loaded.model.exactSample(chains, rng);
    } catch (err) {
      throw asInputError(err, `--sampler exact: ${file}`);
    }
  } else if (loaded.kind === 'dense') {
    const dynamics = new DenseDynamics(loaded.model, { chains, rng });
    dynamics.heatBath(sweeps);
    states = dynamics.states();
  } else {
    const chain = new HigherOrderHeatBath(loaded.model, { chains, rng });
    chain.sweep(sweeps);
    states = chain.state;
  }
  writeOutput(out, statesToCsv(states, chains, n), 'out');
  const how = sampler === 'exact' ? 'independent exact draws' : `${sweeps} sweeps`;
  io.stdout(`wrote ${chains} x ${n} visible states to ${out} (${sampler}, ${how}, seed ${seed})\n`);
  return EXIT_OK;
}
