/**
 * rbmlab logz MODEL.json [--method exact] [--json]
 *
 * log Z of a model file. "exact" enumerates the smaller binary layer (2^min(N, M) states,
 * MODELS.md §5); "ais" is reserved for the annealed importance sampling estimator.
 */
import { exactLogZ, loadRbm, type LogZResult } from '@rbmlab/core';
import { choice, modelPath } from '../args';
import type { Args, Command, Io } from '../command';
import { AVAILABLE_LOGZ_METHODS, DEFAULTS, LOGZ_METHODS } from '../defaults';
import { CliError, EXIT_FAILURE, EXIT_OK } from '../errors';
import { asInputError } from './shared';

export const logzCommand: Command = {
  name: 'logz',
  command: 'logz <model>',
  usage: 'rbmlab logz MODEL.json [--method exact] [--json]',
  describe: 'Print the log partition function log Z of a model file',
  builder: (y) =>
    y
      .positional('model', { describe: 'model file (format rbmlab.rbm/1)', type: 'string' })
      .option('method', {
        describe: `how to compute log Z (${LOGZ_METHODS.join(', ')}); exact enumerates the smaller binary layer`,
        default: DEFAULTS.logz.method,
        requiresArg: true,
      })
      .option('json', { describe: 'print one JSON object {"logZ", "method", "enumerated"}', type: 'boolean', default: false }),

  async run(args: Args, io: Io): Promise<number> {
    const file = modelPath(args.model);
    const method = choice('method', args.method, LOGZ_METHODS);
    if (!AVAILABLE_LOGZ_METHODS.includes(method)) throw new CliError(`--method ${method} is not available yet`);
    const rbm = loadRbm(file);
    let result: LogZResult;
    try {
      result = exactLogZ(rbm);
    } catch (err) {
      throw asInputError(err, file);
    }
    if (!Number.isFinite(result.logZ)) {
      throw new CliError(`${file}: log Z is ${result.logZ} in float64 (the partition function overflows)`, EXIT_FAILURE);
    }
    if (args.json === true) {
      io.stdout(JSON.stringify({ logZ: result.logZ, method, enumerated: result.enumerated }) + '\n');
    } else {
      const units = result.enumerated === 'visible' ? rbm.numVisible : rbm.numHidden;
      io.stdout(`${file}: log Z = ${result.logZ} (${method}, summed over 2^${units} ${result.enumerated} states)\n`);
    }
    return EXIT_OK;
  },
};
