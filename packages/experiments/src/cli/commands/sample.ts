/**
 * rbmlab sample MODEL.json --out FILE.csv [--chains C] [--sweeps S] [--seed K] [--sampler NAME]
 *
 * C independent chains, each started from a random visible state drawn from the seeded stream,
 * run S sweeps; the C final visible states are written as CSV rows (header v0,...,v{N-1}).
 * Samplers: gibbs (block Gibbs, needs a conditional sampler in both layers), heatbath (single
 * site on the visible marginal, any hidden unit), exact (independent draws by enumeration).
 * Default: gibbs where both layers can be sampled, otherwise heatbath. Dense (rbmlab.dense/1) and
 * higher-order (rbmlab.hobm/1) models have no hidden layer: heatbath (default) or exact.
 */
import { createRng, defaultSampler, enumerationSide, loadModelFile, sampleVisibleStates, SAMPLER_NAMES, type RBM, type SamplerName } from '@rbmlab/core';
import { statesToCsv } from '../../csv';
import { choice, filePath, modelPath, nonNegativeInteger, positiveInteger, seed } from '../args';
import type { Args, Command, Io } from '../command';
import { DEFAULTS } from '../defaults';
import { CliError, EXIT_OK } from '../errors';
import { higherOrderSample } from './higher-order';
import { asInputError, writeOutput } from './shared';

/**
 * Refuses a sampler the model does not admit, with the reason and what to use instead.
 * Throws CliError; `file` names the model in messages.
 */
export function checkSampler(rbm: RBM, sampler: SamplerName, file: string): void {
  const { visible, hidden } = rbm;
  if (sampler === 'gibbs') {
    for (const [layer, role] of [
      [hidden, 'hidden'],
      [visible, 'visible'],
    ] as const) {
      if (!layer.canSample) {
        throw new CliError(
          `--sampler gibbs needs a conditional sampler in both layers, and ${file} has ${layer.type} ${role} units, which have none (use --sampler heatbath)`,
        );
      }
    }
  } else if (sampler === 'heatbath') {
    if (!visible.canSample) throw new CliError(`--sampler heatbath cannot draw ${visible.type} visible units of ${file}`);
  } else if (sampler === 'exact') {
    let side;
    try {
      side = enumerationSide(rbm);
    } catch (err) {
      throw asInputError(err, `--sampler exact: ${file}`);
    }
    if (side === 'hidden' && !visible.canSample) {
      throw new CliError(`--sampler exact draws v | h, and ${file} has ${visible.type} visible units, which cannot be sampled`);
    }
  }
}

export const sampleCommand: Command = {
  name: 'sample',
  command: 'sample <model>',
  usage: 'rbmlab sample MODEL.json --out FILE.csv [--chains C] [--sweeps S] [--seed K] [--sampler NAME]',
  describe: 'Sample visible states of a model file into a CSV file',
  builder: (y) =>
    y
      .positional('model', { describe: 'model file (format rbmlab.rbm/1, rbmlab.dense/1 or rbmlab.hobm/1)', type: 'string' })
      .option('out', { describe: 'CSV file to write (header v0,...; one row per chain)', demandOption: true, requiresArg: true })
      .option('chains', { describe: 'number of independent chains (rows written), a positive integer', default: DEFAULTS.sample.chains, requiresArg: true })
      .option('sweeps', { describe: 'sweeps of each chain from its random start, an integer >= 0', default: DEFAULTS.sample.sweeps, requiresArg: true })
      .option('seed', { describe: 'seed of the random stream (starts and updates), an integer >= 0', default: DEFAULTS.sample.seed, requiresArg: true })
      .option('sampler', {
        describe: `${SAMPLER_NAMES.join(', ')}; default gibbs where both layers can be sampled, otherwise heatbath`,
        requiresArg: true,
      }),

  async run(args: Args, io: Io): Promise<number> {
    // every flag is checked before any work, and the output is written only at the end
    const file = modelPath(args.model);
    const out = filePath('out', args.out);
    const chains = positiveInteger('chains', args.chains);
    const sweeps = nonNegativeInteger('sweeps', args.sweeps);
    const seedValue = seed('seed', args.seed);
    const requested = args.sampler === undefined ? undefined : choice('sampler', args.sampler, SAMPLER_NAMES);
    const loaded = loadModelFile(file);
    if (loaded.kind !== 'rbm') return higherOrderSample(loaded, { file, out, chains, sweeps, seed: seedValue, sampler: requested }, io);
    const rbm = loaded.model;
    const sampler: SamplerName = requested ?? defaultSampler(rbm);
    checkSampler(rbm, sampler, file);
    const states = sampleVisibleStates(rbm, { chains, sweeps, rng: createRng(seedValue), sampler });
    writeOutput(out, statesToCsv(states, chains, rbm.numVisible), 'out');
    const how = sampler === 'exact' ? 'independent exact draws' : `${sweeps} sweeps`;
    io.stdout(`wrote ${chains} x ${rbm.numVisible} visible states to ${out} (${sampler}, ${how}, seed ${seedValue})\n`);
    return EXIT_OK;
  },
};
