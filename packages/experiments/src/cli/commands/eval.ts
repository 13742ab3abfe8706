/**
 * rbmlab eval MODEL.json --data FILE.csv [--json] [--chains C] [--steps K] [--seed S]
 *
 * Mean per-sample log-likelihood of the rows of a CSV file under an RBM model file: exact where
 * the model can be enumerated (the smaller binary layer has <= 24 units), otherwise with log Z
 * from forward AIS (C runs, K linear steps, base model with the data's base rates as visible
 * biases where the visibles are binary), with "method" saying which and "stderr" the standard
 * error of the AIS log Z (0 for exact). Also the mean pseudo-log-likelihood (every site) and the
 * mean-field reconstruction error.
 *
 * JSON: {"loglik", "method", "stderr", "logZ", "pseudoLoglik", "recon", "rows"}.
 */
import {
  aisLogLikelihood,
  createRng,
  energyOverflow,
  enumerationSide,
  exactLogLikelihood,
  exactLogZ,
  loadRbm,
  pseudoLogLikelihood,
  reconstructionError,
  type RBM,
} from '@rbmlab/core';
import { checkDataForLayer, readDataFile } from '../../data/csv';
import { dataFlags, dataReadOptions } from '../data-flags';
import { checkMemory, filePath, modelPath, positiveInteger, seed } from '../args';
import type { Args, Command, Io } from '../command';
import { DEFAULTS } from '../defaults';
import { EXIT_OK, requireFinite } from '../errors';
import { formatMeasurement, formatValue } from '../../format';
import { requireTwoRuns } from './logz';

export const evalCommand: Command = {
  name: 'eval',
  command: 'eval <model>',
  usage: 'rbmlab eval MODEL.json --data FILE [--json] [--chains C] [--steps K] [--seed S] [--delimiter D] [--header H] [--index-column] [--array NAME]',
  describe: 'Log-likelihood (exact or AIS) and pseudo-log-likelihood of CSV data under a model file',
  builder: (y) =>
    dataFlags(y)
      .positional('model', { describe: 'model file (format rbmlab.rbm/1)', type: 'string' })
      .option('data', { describe: 'data file of visible values, one row per sample (see rbmlab train --help)', demandOption: true, requiresArg: true })
      .option('chains', { describe: 'AIS runs (models too large to enumerate)', default: DEFAULTS.eval.chains, requiresArg: true })
      .option('steps', { describe: 'AIS steps of the linear schedule', default: DEFAULTS.eval.steps, requiresArg: true })
      .option('seed', { describe: 'AIS seed, an integer >= 0', default: DEFAULTS.eval.seed, requiresArg: true })
      .option('json', { describe: 'print one JSON object {"loglik", "method", "stderr", "logZ", "pseudoLoglik", "recon", "rows"}', type: 'boolean', default: false }),

  async run(args: Args, io: Io): Promise<number> {
    const file = modelPath(args.model);
    const dataFile = filePath('data', args.data);
    const chains = positiveInteger('chains', args.chains);
    const steps = positiveInteger('steps', args.steps);
    const seedValue = seed('seed', args.seed);
    const readOptions = dataReadOptions(args);
    const rbm = loadRbm(file);
    checkMemory('chains', chains, 32 * (rbm.numVisible + rbm.numHidden), `${chains} AIS runs of ${rbm.numVisible} visible and ${rbm.numHidden} hidden units`, 8 * Math.max(rbm.numVisible, rbm.numHidden));
    const dataset = readDataFile(dataFile, readOptions);
    checkDataForLayer(dataset, rbm.visible, dataFile);
    const { data, rows } = dataset;
    let result: { loglik: number; method: 'exact' | 'ais'; stderr: number; logZ: number };
    if (enumerable(rbm)) {
      result = { loglik: exactLogLikelihood(rbm, data, rows), method: 'exact', stderr: 0, logZ: exactLogZ(rbm).logZ };
    } else {
      requireTwoRuns(chains);
      const binary = rbm.visible.support?.length === 2 && 'bias' in rbm.visible.params;
      const ais = aisLogLikelihood(rbm, data, rows, { chains, steps, rng: createRng(seedValue), baseRate: binary });
      result = { loglik: ais.logLikelihood, method: 'ais', stderr: ais.stderr, logZ: ais.logZ };
    }
    const pseudoLoglik = pseudoLogLikelihood(rbm, data, rows);
    const recon = reconstructionError(rbm, data, rows);
    // every number printed is finite, or one line says what overflowed (exit 2)
    requireFinite(file, { 'log Z': result.logZ, 'the log-likelihood': result.loglik, 'its standard error': result.stderr, 'the pseudo-log-likelihood': pseudoLoglik, 'the reconstruction error': recon }, () =>
      energyOverflow(rbm, data, rows),
    );
    if (args.json === true) {
      io.stdout(JSON.stringify({ ...result, pseudoLoglik, recon, rows }) + '\n');
    } else {
      const loglik = result.method === 'ais' ? `${formatMeasurement(result.loglik, result.stderr)} (ais, ${chains} runs x ${steps} steps)` : `${result.loglik} (exact)`;
      io.stdout(`${dataFile} under ${file}: ${rows} rows\n  log-likelihood per sample ${loglik}\n  pseudo-log-likelihood ${formatValue(pseudoLoglik)}\n  reconstruction error ${formatValue(recon)}\n`);
    }
    return EXIT_OK;
  },
};

function enumerable(rbm: RBM): boolean {
  try {
    enumerationSide(rbm);
    return true;
  } catch {
    return false;
  }
}
