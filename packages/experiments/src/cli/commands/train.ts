/**
 * rbmlab train --data FILE --size M --out MODEL.json [--visible TYPE] [--hidden TYPE]
 *   [--method exact|cd|pcd|pt] [--epochs E|auto] [--batch B] [--lr X] [--optimizer sgd|momentum|adam]
 *   [--seed K] [-k K] [--chains C] [--l1 X] [--l2 X] [--centering] [--replicas R]
 *   [--metric NAME] [--precision float64|float32] [--backend cpu|gpu] [--checkpoint DIR [--resume]]
 *   [--no-plots] [--delimiter D] [--header H] [--index-column] [--array NAME]
 *
 * Trains an RBM on rows of visible values (data/csv.ts) and writes it as an rbmlab.rbm/1 file,
 * with its training log beside it: MODEL.train.csv (one row per epoch: epoch, seconds,
 * samples_per_s, learning_rate, then each metric) and its curve, MODEL.train.svg/.png/.vl.json.
 *
 * - Defaults (cli/defaults.ts) are chosen to learn on typical binary data: adam, lr 0.01, batch 20,
 *   and --epochs auto, enough epochs for 2,000 updates (at least 10). A metric that has not
 *   improved after a quarter of the epochs (at least 10) gets a one-line warning on stderr.
 *
 * - Start: weights Normal(0, 0.01^2) from the stream "<seed>/init"; visible biases from the data
 *   (bernoulli: log(p / (1 - p)), spin: atanh(mean), with p clipped to [0.001, 0.999]; gaussian:
 *   the mean); hidden parameters at their type's defaults.
 * - --epochs is the total: with --resume, training continues from the checkpoint's epoch up to it.
 * - --checkpoint DIR writes DIR/checkpoint.json (rbmlab.checkpoint/1) after every epoch, atomically.
 *   --resume continues from it; the other flags must match the checkpoint's (else one line says
 *   which differ), and the result is bit-identical to an uninterrupted run.
 * - Divergence (a NaN or infinite step) stops with one line naming the epoch; the checkpoint of
 *   the last good epoch stays, and no model file is written.
 * - Progress: a bar on a terminal, plain lines otherwise (epoch, samples/s, the metric). The
 *   metric defaults to the exact log-likelihood where the model can be enumerated (<= 20 binary
 *   units on one side), else the reconstruction error.
 */
import * as fs from 'fs';
import * as nodePath from 'path';
import {
  createLayer,
  createRng,
  DivergenceError,
  enumerationSide,
  loadCheckpoint,
  makeDirectorySync,
  processAlive,
  removeStaleTemporaries,
  metricByName,
  METRIC_NAMES,
  normal,
  normalizability,
  OPTIMIZER_KINDS,
  RBM,
  resolveTrainerConfig,
  saveCheckpoint,
  saveRbm,
  Trainer,
  TRAINING_METHODS,
  VISIBLE_UNIT_TYPES,
  HIDDEN_UNIT_TYPES,
  type Dataset,
  type EpochRecord,
  type Metric,
  type OptimizerKind,
  type TrainerOptions,
  type TrainingMethod,
  type UnitLayer,
} from '@rbmlab/core';
import { BACKEND_CHOICES, backendLine, selectBackend, type BackendChoice } from '../../backends';
import { formatCsvNumber, stateHeader } from '../../csv';
import { renderSvg, svgToPng } from '../../study/plots';
import { checkDataForLayer, readDataFile } from '../../data/csv';
import { dataFlags, dataReadOptions } from '../data-flags';
import { checkMemory, choice, filePath, nonNegativeNumber, positiveInteger, positiveNumber, seed } from '../args';
import type { Args, Command, Io } from '../command';
import { DEFAULTS } from '../defaults';
import { CliError, EXIT_FAILURE, EXIT_OK } from '../errors';
import { createProgress } from '../progress';
import { outputPath, writeOutput } from './shared';

const D = DEFAULTS.train;
export const CHECKPOINT_FILE = 'checkpoint.json';

export const trainCommand: Command = {
  name: 'train',
  command: 'train',
  usage:
    'rbmlab train --data FILE --size M --out MODEL.json [--visible TYPE] [--hidden TYPE] [--method exact|cd|pcd|pt] ' +
    '[--epochs E|auto] [--batch B] [--lr X] [--optimizer sgd|momentum|adam] [--seed K] [-k K] [--chains C] [--l1 X] [--l2 X] [--centering] ' +
    '[--replicas R] [--metric NAME] [--precision float64|float32] [--backend cpu|gpu] [--checkpoint DIR [--resume]] [--no-plots] ' +
    '[--delimiter D] [--header H] [--index-column] [--array NAME]',
  describe: 'Train an RBM on CSV data and write the model file',
  builder: (y) =>
    dataFlags(y)
      .option('data', { describe: 'data file of visible values, one row per sample: comma-, tab- or space-separated text (a header row is allowed), gzip or not', demandOption: true, requiresArg: true })
      .option('size', { describe: 'number of hidden units M, a positive integer', demandOption: true, requiresArg: true })
      .option('out', { describe: 'model file to write (rbmlab.rbm/1)', demandOption: true, requiresArg: true })
      .option('visible', { describe: `visible unit type (${VISIBLE_UNIT_TYPES.join(', ')})`, default: D.visible, requiresArg: true })
      .option('hidden', { describe: `hidden unit type (${HIDDEN_UNIT_TYPES.join(', ')})`, default: D.hidden, requiresArg: true })
      .option('method', { describe: `gradient: ${TRAINING_METHODS.join(', ')} (exact enumerates; cd = CD-k; pcd persistent chains; pt parallel tempering)`, default: D.method, requiresArg: true })
      .option('epochs', {
        describe: `total epochs (with --resume: continue up to this many); auto: enough for ${D.minUpdates} updates, at least ${D.minEpochs}`,
        default: D.epochs,
        requiresArg: true,
      })
      .option('batch', { describe: 'minibatch size', default: D.batch, requiresArg: true })
      .option('lr', { describe: 'learning rate (constant)', default: D.lr, requiresArg: true })
      .option('optimizer', { describe: OPTIMIZER_KINDS.join(', '), default: D.optimizer, requiresArg: true })
      .option('seed', { describe: 'seed of every random stream (initial weights, minibatch order, chains), an integer >= 0', default: D.seed, requiresArg: true })
      .option('k', { describe: 'sweeps per update (cd, pcd, pt)', default: D.k, requiresArg: true })
      .option('chains', { describe: 'persistent chains per replica (pcd, pt); default: the batch size', requiresArg: true })
      .option('l1', { describe: 'L1 penalty on the weights', default: D.l1, requiresArg: true })
      .option('l2', { describe: 'L2 penalty on the weights', default: D.l2, requiresArg: true })
      .option('precision', {
        describe: 'what the products read in cd/pcd: float64, or float32 (a float32 mirror of W, chains and minibatches; parameters stay float64; about 3.5x faster at 784 x 500 on two cores)',
        default: 'float64',
        requiresArg: true,
      })
      .option('backend', { describe: 'cpu, or gpu (gpu.js kernels for layer inputs and gradient sums; mode from RBMLAB_GPU_MODE, default best)', default: 'cpu', requiresArg: true })
      .option('centering', { describe: 'centered gradient (Melchior et al. 2016)', type: 'boolean', default: false })
      .option('replicas', { describe: 'pt: replicas, inverse temperatures evenly spaced from 1 to 0', default: D.replicas, requiresArg: true })
      .option('metric', { describe: `metric shown each epoch (${METRIC_NAMES.join(', ')}); default loglik where enumerable, else recon`, requiresArg: true })
      .option('checkpoint', { describe: `directory for ${CHECKPOINT_FILE}, written after every epoch`, requiresArg: true })
      .option('resume', { describe: 'continue from the checkpoint in --checkpoint DIR', type: 'boolean', default: false })
      .option('plots', { describe: 'write the training curve MODEL.train.svg/.png/.vl.json (--no-plots: only MODEL.train.csv)', type: 'boolean', default: true }),

  async run(args: Args, io: Io): Promise<number> {
    // every flag is checked before any work
    const dataFile = filePath('data', args.data);
    const size = positiveInteger('size', args.size);
    const out = outputPath('out', args.out);
    const visibleType = choice('visible', args.visible, VISIBLE_UNIT_TYPES);
    const hiddenType = choice('hidden', args.hidden, HIDDEN_UNIT_TYPES);
    const method = choice('method', args.method, TRAINING_METHODS) as TrainingMethod;
    const epochsFlag = args.epochs === 'auto' ? 'auto' : positiveInteger('epochs', args.epochs);
    const batch = positiveInteger('batch', args.batch);
    const lr = positiveNumber('lr', args.lr);
    const optimizer = choice('optimizer', args.optimizer, OPTIMIZER_KINDS) as OptimizerKind;
    const seedValue = seed('seed', args.seed);
    const k = positiveInteger('k', args.k);
    const chains = args.chains === undefined ? batch : positiveInteger('chains', args.chains);
    const l1 = nonNegativeNumber('l1', args.l1);
    const l2 = nonNegativeNumber('l2', args.l2);
    const replicas = positiveInteger('replicas', args.replicas);
    const precision = choice('precision', args.precision, ['float64', 'float32']) as 'float64' | 'float32';
    const backendChoice = choice('backend', args.backend, BACKEND_CHOICES) as BackendChoice;
    if (method === 'pt' && replicas < 2) throw new CliError(`--replicas must be at least 2 for parallel tempering, got ${replicas}`);
    const metricName = args.metric === undefined ? undefined : choice('metric', args.metric, METRIC_NAMES);
    const checkpointDir = args.checkpoint === undefined ? undefined : outputPath('checkpoint', args.checkpoint, { directory: true });
    if (args.resume === true && checkpointDir === undefined) throw new CliError('--resume needs --checkpoint DIR (the directory the run was checkpointed to)');

    const readOptions = dataReadOptions(args);
    const dataset = readDataFile(dataFile, readOptions);
    // W and what the optimizer keeps of it (gradient, Adam's two moments, the best copy): 6 float64 a weight
    checkMemory('size', size, 48 * dataset.cols, `${size} hidden units over ${dataset.cols} visible units`, 8 * dataset.cols);
    // persistent chains (per replica with pt): visible and hidden states and conditionals
    checkMemory('chains', chains * replicas, 32 * (dataset.cols + size), `${chains * replicas} chains of ${dataset.cols} visible and ${size} hidden units`, 8 * Math.max(dataset.cols, size));
    const epochs = epochsFlag === 'auto' ? autoEpochs(dataset.rows, batch) : epochsFlag;
    const selected = selectBackend(backendChoice);
    const backendNotice = backendLine(selected);
    if (backendNotice !== null) io.stderr(backendNotice);
    const backend = selected.backend;
    const options: Omit<TrainerOptions, 'rng'> = {
      method,
      learningRate: lr,
      k,
      chains,
      batchSize: batch,
      optimizer: { kind: optimizer },
      l1,
      l2,
      centering: args.centering === true,
      betas: method === 'pt' ? replicas : undefined,
      precision,
    };
    let config;
    try {
      config = resolveTrainerConfig(options);
    } catch (err) {
      throw new CliError((err as Error).message);
    }

    let rbm: RBM;
    let trainer: Trainer;
    const checkpointFile = checkpointDir === undefined ? undefined : nodePath.join(checkpointDir, CHECKPOINT_FILE);
    if (args.resume === true) {
      if (!fs.existsSync(checkpointFile as string)) throw new CliError(`--resume: no checkpoint to resume in ${checkpointDir} (${checkpointFile} not found)`);
      const loaded = loadCheckpoint(checkpointFile as string);
      rbm = loaded.rbm;
      const differences = compare(
        { visible: visibleType, hidden: hiddenType, size, seed: String(seedValue), ...configFields(config) },
        { visible: rbm.visible.type, hidden: rbm.hidden.type, size: rbm.numHidden, seed: loaded.state.seed, ...configFields(loaded.state.config) },
      );
      if (differences.length > 0) {
        throw new CliError(`--resume: the flags differ from the checkpoint's run (${differences.join('; ')}); give the same flags as the run that wrote ${checkpointFile}`);
      }
      checkDataForLayer(dataset, rbm.visible, dataFile);
      const metrics = chooseMetrics(rbm, metricName);
      try {
        trainer = Trainer.resume(rbm, dataset.data, dataset.rows, loaded.state, { metrics, backend });
      } catch (err) {
        throw new CliError(`--resume: ${checkpointFile}: ${(err as Error).message}`);
      }
    } else {
      const visible = createLayer(visibleType, dataset.cols, undefined, 'visible');
      checkDataForLayer(dataset, visible, dataFile);
      const root = createRng(seedValue);
      rbm = initialModel(visibleType, createLayer(hiddenType, size), dataset, root.split('init'));
      // a visible/hidden pair that defines no distribution (gaussian with poisson: never, for W != 0)
      // is refused here, before any work; training that leaves the normalizable set later stops
      // with a DivergenceError (the trainer checks after every epoch)
      const reason = normalizability(rbm);
      if (reason !== undefined) throw new CliError(`--visible ${visibleType} with --hidden ${hiddenType}: ${reason}`);
      const metrics = chooseMetrics(rbm, metricName);
      try {
        trainer = new Trainer(rbm, dataset.data, dataset.rows, { ...options, rng: root, metrics, backend });
      } catch (err) {
        throw new CliError((err as Error).message);
      }
    }

    if (checkpointDir !== undefined) {
      try {
        makeDirectorySync(checkpointDir);
        // a run killed while saving leaves its temporary checkpoint behind: remove those of dead runs
        removeStaleTemporaries(checkpointDir, processAlive, [CHECKPOINT_FILE]);
      } catch (err) {
        throw new CliError(`--checkpoint ${checkpointDir}: cannot create the directory (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
      }
    }
    const startEpoch = trainer.epoch;
    // off a terminal, about 20 progress lines whatever the number of epochs
    const progress = createProgress(io, 'rbmlab train', 'epoch', epochs, startEpoch, { lines: 20 });
    const stall = stallWatch(startEpoch, Math.max(epochs, startEpoch));
    try {
      for (const record of trainer.epochs(Math.max(epochs, startEpoch))) {
        if (checkpointFile !== undefined) saveCheckpoint(checkpointFile, rbm, trainer.state());
        const fields: Record<string, string> = { 'samples/s': record.samplesPerSecond.toFixed(0) };
        for (const [name, value] of Object.entries(record.metrics)) fields[name] = value.toPrecision(6);
        progress.update(record.epoch, fields);
        const warning = stall(record);
        if (warning !== undefined) io.stderr(`rbmlab train: warning: ${warning}\n`);
      }
    } catch (err) {
      if (err instanceof DivergenceError) {
        const kept = checkpointFile !== undefined && trainer.epoch > 0 ? `; ${checkpointFile} keeps epoch ${trainer.epoch}, the last good one` : '';
        throw new CliError(`${err.message}${kept}`, EXIT_FAILURE);
      }
      throw err;
    } finally {
      progress.stop();
    }
    writeModel(out, rbm, dataNames(dataset.names));
    const log = await writeTrainingLog(out, trainer.history, args.plots !== false);
    const done = startEpoch >= epochs ? `the checkpoint already had ${plural(startEpoch, 'epoch')}` : `${plural(epochs - startEpoch, 'epoch')} of ${method}`;
    const on = backendChoice === 'gpu' ? `; ${selected.info.name}` : '';
    io.stdout(`wrote ${out} (${rbm.numVisible} ${rbm.visible.type} x ${rbm.numHidden} ${rbm.hidden.type}; ${done}; epoch ${trainer.epoch}${on}) and ${log.join(', ')}\n`);
    return EXIT_OK;
  },
};

/** "1 epoch", "3 epochs". */
function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** --epochs auto: enough epochs for D.minUpdates minibatch updates, and at least D.minEpochs. */
export function autoEpochs(rows: number, batch: number): number {
  const updatesPerEpoch = Math.ceil(rows / batch);
  return Math.max(D.minEpochs, Math.ceil(D.minUpdates / updatesPerEpoch));
}

/** Metrics where a larger value is better; the others (recon, freeEnergyGap, sigmaMax) are watched for a decrease. */
const HIGHER_IS_BETTER = new Set(['loglik', 'aisLoglik', 'pseudoLoglik']);

/**
 * Watches the first metric of each epoch record for a run that is not learning. Once, after a
 * quarter of the run's epochs and at least D.stallEpochs of them (or at the last epoch, for runs
 * of 3 epochs or more that are shorter), it returns a warning if the best value so far is not
 * better than the run's first by at least 1e-3 of its magnitude (0.001 nats per sample on a
 * log-likelihood of order 1). A quarter, not a fixed count: on Bars-and-Stripes the default run
 * sits on a plateau for its first ~300 of 2,000 epochs (600 updates) and then learns.
 * Only the log-likelihoods and recon are watched (other metrics need not improve).
 */
function stallWatch(startEpoch: number, totalEpochs: number): (record: EpochRecord) => string | undefined {
  const run = totalEpochs - startEpoch;
  const checkAfter = Math.min(run, Math.max(D.stallEpochs, Math.ceil(run / 4)));
  let first: number | undefined;
  let best: number | undefined;
  let done = run < 3;
  return (record) => {
    if (done) return undefined;
    const entries = Object.entries(record.metrics);
    if (entries.length === 0) return undefined;
    const [name, value] = entries[0];
    if ((!HIGHER_IS_BETTER.has(name) && name !== 'recon') || !Number.isFinite(value)) return undefined;
    const sign = HIGHER_IS_BETTER.has(name) ? 1 : -1;
    if (first === undefined) first = value;
    if (best === undefined || sign * (value - best) > 0) best = value;
    const epochs = record.epoch - startEpoch;
    if (epochs < checkAfter) return undefined;
    done = true;
    if (sign * (best - first) >= 1e-3 * Math.max(1, Math.abs(first))) return undefined;
    return (
      `${name} has not improved in ${plural(epochs, 'epoch')} (${first.toPrecision(6)} at epoch ${startEpoch + 1}, best ${best.toPrecision(6)}): ` +
      'the model may not be learning; try a larger --lr, a smaller --batch or more --epochs'
    );
  };
}

/** MODEL.json -> MODEL.train (the stem of the training log's files). */
function logStem(out: string): string {
  return out.replace(/\.json$/i, '') + '.train';
}

/**
 * Writes the training log beside the model: <stem>.csv (epoch, seconds, samples_per_s,
 * learning_rate, then each metric; every epoch of the run, a resumed one's earlier epochs
 * included, from the trainer's history) and, with `plots`, its curve through the study plots'
 * path (Vega-Lite spec, SVG, PNG). Returns the names written.
 */
async function writeTrainingLog(out: string, history: readonly EpochRecord[], plots: boolean): Promise<string[]> {
  const stem = logStem(out);
  const metrics = [...new Set(history.flatMap((r) => Object.keys(r.metrics)))];
  const header = ['epoch', 'seconds', 'samples_per_s', 'learning_rate', ...metrics];
  const lines = [header.join(',')];
  for (const r of history) {
    const cells = [r.epoch, r.seconds, r.samplesPerSecond, r.learningRate, ...metrics.map((m) => r.metrics[m])];
    lines.push(cells.map((x) => (x === undefined ? '' : formatCsvNumber(x))).join(','));
  }
  const written = [`${stem}.csv`];
  writeOutput(`${stem}.csv`, lines.join('\n') + '\n', 'out');
  if (!plots || history.length === 0 || metrics.length === 0) return written;
  const values = history.flatMap((r) => metrics.filter((m) => Number.isFinite(r.metrics[m])).map((m) => ({ epoch: r.epoch, metric: m, value: r.metrics[m] })));
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${nodePath.basename(out)}: training curve`,
    background: 'white',
    data: { values },
    facet: { row: { field: 'metric', type: 'nominal', title: null, sort: metrics } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 420,
      height: 200,
      mark: { type: 'line', point: history.length <= 50 },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', scale: { zero: false } },
        y: { field: 'value', type: 'quantitative', title: 'value', scale: { zero: false } },
      },
    },
  };
  const svg = await renderSvg(spec);
  writeOutput(`${stem}.vl.json`, JSON.stringify(spec, null, 2) + '\n', 'out');
  writeOutput(`${stem}.svg`, svg, 'out');
  writeOutput(`${stem}.png`, await svgToPng(svg), 'out');
  written.push(`${stem}.svg`);
  return written;
}

/**
 * The data's column names to keep in the model file: none when the file had no header or the
 * header is rbmlab's own v0..v{N-1} (as `rbmlab sample` writes), which `sample` writes anyway.
 */
function dataNames(names: readonly string[] | undefined): readonly string[] | undefined {
  if (names === undefined) return undefined;
  const defaults = stateHeader(names.length);
  return names.every((name, k) => name === defaults[k]) ? undefined : names;
}

/** Writes the model file atomically, creating its directory; ModelFileError (one line) on failure. */
function writeModel(out: string, rbm: RBM, visibleNames: readonly string[] | undefined): void {
  try {
    makeDirectorySync(nodePath.dirname(nodePath.resolve(out)));
  } catch (err) {
    throw new CliError(`--out ${out}: cannot create the directory (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  saveRbm(out, rbm, visibleNames === undefined ? {} : { visibleNames });
}

/** The fields of a trainer config compared on --resume, as printable text. */
function configFields(config: ReturnType<typeof resolveTrainerConfig>): Record<string, string> {
  return {
    method: config.method,
    k: String(config.k),
    chains: String(config.chains),
    batch: String(config.batchSize),
    lr: config.learningRate.kind === 'constant' ? String(config.learningRate.lr) : JSON.stringify(config.learningRate),
    optimizer: JSON.stringify(config.optimizer),
    l1: String(config.l1),
    l2: String(config.l2),
    centering: JSON.stringify(config.centering),
    replicas: JSON.stringify(config.betas),
    precision: config.precision,
  };
}

function compare(flags: Record<string, string | number>, saved: Record<string, string | number>): string[] {
  return Object.keys(flags)
    .filter((key) => String(flags[key]) !== String(saved[key]))
    .map((key) => `--${key}: ${flags[key]} here, ${saved[key]} in the checkpoint`);
}

/** The metric shown per epoch: the exact log-likelihood where cheap, else the reconstruction error. */
function chooseMetrics(rbm: RBM, name: string | undefined): Metric[] {
  if (name !== undefined) return [metricByName(name)];
  try {
    enumerationSide(rbm, { maxUnits: 20 });
    return [metricByName('loglik')];
  } catch {
    return [metricByName('recon')];
  }
}

/** Small random weights and visible biases matched to the data (see the module comment). */
function initialModel(visibleType: string, hidden: UnitLayer, data: Dataset, rng: ReturnType<typeof createRng>): RBM {
  const n = data.cols;
  const mean = new Float64Array(n);
  for (let r = 0; r < data.rows; r++) for (let i = 0; i < n; i++) mean[i] += data.data[r * n + i] / data.rows;
  const bias = Array.from(mean, (m) => {
    if (visibleType === 'gaussian') return m;
    const p = Math.min(0.999, Math.max(0.001, visibleType === 'spin' ? (m + 1) / 2 : m));
    return visibleType === 'spin' ? 0.5 * Math.log(p / (1 - p)) : Math.log(p / (1 - p));
  });
  const visible = createLayer(visibleType, n, { bias }, 'visible');
  const weights = new Float64Array(n * hidden.size);
  for (let k = 0; k < weights.length; k++) weights[k] = D.initScale * normal(rng);
  return new RBM(visible, hidden, weights);
}
