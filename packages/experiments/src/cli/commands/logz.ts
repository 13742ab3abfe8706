/**
 * rbmlab logz MODEL.json [--method exact|ais] [--chains C] [--steps K] [--seed S] [--json]
 *
 * log Z of a model file. "exact" enumerates the smaller binary layer (2^min(N, M) states,
 * MODELS.md §5; all 2^N states of a rbmlab.dense/1 or rbmlab.hobm/1 model). "ais" is annealed
 * importance sampling (Salakhutdinov and Murray 2008) of an RBM from its W = 0 base model along
 * K linear steps with C independent runs; it reports log Z and its standard error (delta method
 * over the C importance weights; AIS is biased low in log Z by Jensen's inequality).
 */
import { annealedImportanceSampling, createRng, energyOverflow, exactLogZ, loadModelFile, type RBM } from '@rbmlab/core';
import { checkMemory, choice, modelPath, positiveInteger, seed } from '../args';
import type { Args, Command, Io } from '../command';
import { DEFAULTS, LOGZ_METHODS } from '../defaults';
import { CliError, EXIT_OK, requireFinite } from '../errors';
import { formatMeasurement } from '../../format';
import { higherOrderLogZ } from './higher-order';
import { asInputError } from './shared';

export const logzCommand: Command = {
  name: 'logz',
  command: 'logz <model>',
  usage: 'rbmlab logz MODEL.json [--method exact|ais] [--chains C] [--steps K] [--seed S] [--json]',
  describe: 'Print the log partition function log Z of a model file',
  builder: (y) =>
    y
      .positional('model', { describe: 'model file (format rbmlab.rbm/1, rbmlab.dense/1 or rbmlab.hobm/1)', type: 'string' })
      .option('method', {
        describe: `how to compute log Z (${LOGZ_METHODS.join(', ')}); exact enumerates the smaller binary layer`,
        default: DEFAULTS.logz.method,
        requiresArg: true,
      })
      .option('chains', { describe: 'ais: independent annealing runs, a positive integer', default: DEFAULTS.logz.chains, requiresArg: true })
      .option('steps', { describe: 'ais: annealing steps (linear schedule in the weights), a positive integer', default: DEFAULTS.logz.steps, requiresArg: true })
      .option('seed', { describe: 'ais: seed of the random stream, an integer >= 0', default: DEFAULTS.logz.seed, requiresArg: true })
      .option('json', {
        describe: 'print one JSON object: {"logZ", "method", "enumerated"} (exact) or {"logZ", "stderr", "method", "chains", "steps", "seed"} (ais)',
        type: 'boolean',
        default: false,
      }),

  async run(args: Args, io: Io): Promise<number> {
    const file = modelPath(args.model);
    const method = choice('method', args.method, LOGZ_METHODS);
    const chains = positiveInteger('chains', args.chains);
    const steps = positiveInteger('steps', args.steps);
    const seedValue = seed('seed', args.seed);
    const loaded = loadModelFile(file);
    if (loaded.kind !== 'rbm') return higherOrderLogZ(loaded, file, method, args.json === true, io);
    const rbm = loaded.model;
    // AIS keeps each run's visible and hidden states, conditionals and weights (float64)
    if (method === 'ais') checkMemory('chains', chains, 32 * (rbm.numVisible + rbm.numHidden), `${chains} AIS runs of ${rbm.numVisible} visible and ${rbm.numHidden} hidden units`, 8 * Math.max(rbm.numVisible, rbm.numHidden));
    if (method === 'ais') return aisLogZ(rbm, file, { chains, steps, seed: seedValue }, args.json === true, io);
    let result;
    try {
      result = exactLogZ(rbm);
    } catch (err) {
      throw asInputError(err, file);
    }
    requireFinite(file, { 'log Z': result.logZ }, () => energyOverflow(rbm));
    if (args.json === true) {
      io.stdout(JSON.stringify({ logZ: result.logZ, method, enumerated: result.enumerated }) + '\n');
    } else {
      const units = result.enumerated === 'visible' ? rbm.numVisible : rbm.numHidden;
      io.stdout(`${file}: log Z = ${result.logZ} (${method}, summed over 2^${units} ${result.enumerated} states)\n`);
    }
    return EXIT_OK;
  },
};

/** log Z by forward AIS, printed as JSON {"logZ", "stderr", ...} or one line. */
function aisLogZ(rbm: RBM, file: string, o: { chains: number; steps: number; seed: number }, json: boolean, io: Io): number {
  requireTwoRuns(o.chains);
  const result = annealedImportanceSampling(rbm, { chains: o.chains, steps: o.steps, rng: createRng(o.seed) });
  requireFinite(file, { 'log Z by AIS': result.logZ, 'its standard error': result.stderr }, () => energyOverflow(rbm));
  if (json) {
    io.stdout(JSON.stringify({ logZ: result.logZ, stderr: result.stderr, method: 'ais', chains: o.chains, steps: o.steps, seed: o.seed, effectiveSampleSize: result.effectiveSampleSize }) + '\n');
  } else {
    io.stdout(`${file}: log Z = ${formatMeasurement(result.logZ, result.stderr)} (ais, ${o.chains} runs x ${o.steps} steps, seed ${o.seed})\n`);
  }
  return EXIT_OK;
}

/** AIS's standard error is the spread of the runs' weights: one run has none to print. */
export function requireTwoRuns(chains: number): void {
  if (chains < 2) throw new CliError(`--chains ${chains}: AIS needs at least 2 runs to give a standard error`);
}
