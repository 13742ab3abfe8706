/**
 * Maximum-likelihood training of an RBM by minibatch gradient ascent.
 *
 *   gradient = < d(-F)/dp >_minibatch - < d(-F)/dp >_model                  (./gradient.ts)
 *
 * where the model term is exact (method "exact", by enumeration of the smaller binary layer) or
 * sampled (CD-k, PCD, PT; ./negative-phase.ts). Then, per minibatch:
 *
 *   weights:   g_W -= l2 W + l1 sign(W)                          (penalties on W only)
 *   centering: g_W <- g_W - mu g_h^T - g_v lambda^T              (Melchior, Wang and Wiskott 2016)
 *   optimizer: d = step(g, lr(epoch))                            (./optimizers.ts, ./schedules.ts)
 *   centering: d_visible.bias -= d_W lambda,  d_hidden.bias -= d_W^T mu
 *   p <- p + d; precisions (gamma*) kept >= minPrecision
 *
 * Centering: the model is trained in the parametrisation E = -(v - mu)^T W (h - lambda) - ...
 * with offsets mu = the data mean of v (fixed) and lambda = a sliding mean of Gamma'(I(v)) on the
 * minibatches (rate `hiddenRate`), which is the same model with biases shifted by -W lambda and
 * -W^T mu. The gradient in the centered coordinates (g_v = g_visible.bias, g_h = g_hidden.bias)
 * is stepped, and the step mapped back to the stored, uncentered biases.
 *
 * Every random number comes from one training stream (minibatch order, chains); metrics draw from
 * streams derived from the seed path and the epoch, so evaluating them never changes the
 * trajectory. Everything a later epoch depends on (model, optimizer state, chains, offsets,
 * stream state, epoch) is in checkpoint(), so a resumed run is bit-identical to an uninterrupted one.
 */
import { defaultBackend } from '../backend/default';
import type { Backend } from '../backend/backend';
import { enumerationSide, exactGradient, type EnumerationOptions, type RbmGradient } from '../exact/enumerate';
import type { Metric } from '../evaluation/metrics';
import type { RBM } from '../models/rbm';
import { checkModel, ModelError, normalizability } from '../models/checks';
import { permutation } from '../random/distributions';
import { createRng, restoreRng, type Rng, type RngState } from '../random/rng';
import { allocate, type FloatArray, type Precision } from '../tensor/matrix';
import { clearGradient, gradientArrays, parameterArrays, StatisticsAccumulator, zeroGradient } from './gradient';
import { checkBetas, createNegativePhase, linearBetas, type ChainState, type NegativePhase, type SampledMethod } from './negative-phase';
import { createOptimizer, type Optimizer, type OptimizerSpec, type OptimizerState, type ResolvedOptimizerSpec, resolveOptimizerSpec } from './optimizers';
import { learningRate, resolveSchedule, type ScheduleSpec } from './schedules';

/**
 * How the model term < d(-F)/dp >_model of the gradient is taken: 'exact' (enumeration of the smaller
 * binary layer) or sampled ('cd', 'pcd', 'pt').
 */
export type TrainingMethod = 'exact' | SampledMethod;
/** Every TrainingMethod, in the order messages list them. */
export const TRAINING_METHODS: readonly TrainingMethod[] = ['exact', 'cd', 'pcd', 'pt'];

/** The hyperparameters of a run, as plain data (checkpoints hold them). */
export interface TrainerConfig {
  readonly method: TrainingMethod;
  /** Sweeps per update (CD-k, PCD, PT). */
  readonly k: number;
  /** Persistent chains per replica (PCD, PT). */
  readonly chains: number;
  readonly batchSize: number;
  readonly optimizer: ResolvedOptimizerSpec;
  readonly learningRate: ScheduleSpec;
  readonly l1: number;
  readonly l2: number;
  /** Centering with this sliding rate for the hidden offset, or null. */
  readonly centering: { readonly hiddenRate: number } | null;
  /** PT inverse temperatures (null for other methods). */
  readonly betas: readonly number[] | null;
  /** Lower bound kept on precision parameters (gamma, gammaPlus, gammaMinus). */
  readonly minPrecision: number;
  /**
   * Storage precision of what the products read in CD and PCD: 'float32' keeps a float32 mirror
   * of W, refreshed in the same loop that applies each update (and again at the start of every
   * epoch, so that weights changed by a callback or between train() calls are seen), and float32
   * minibatches, chains and inputs, and float32 activations of bernoulli and spin hidden units
   * (bounded; other units keep float64 activations, which can be large), so that the products
   * are float32 x float32 with no copy of W (sgemm on the native backend). The minibatch sums of
   * the weight gradient are then float32 products added into the float64 gradient; parameters,
   * bias gradients and optimizer state stay float64. The error is the float32 rounding of W, of
   * the inputs and of those sums. Exact training and PT refuse it (nothing of theirs reads
   * float32). Checkpoints written before this field existed read as 'float64'.
   */
  readonly precision: Precision;
}

/** One epoch's outcome, as the trainer yields it. */
export interface EpochRecord {
  /** Epochs completed (1 after the first). */
  readonly epoch: number;
  readonly learningRate: number;
  /** Wall time of the epoch's updates (metrics excluded). */
  readonly seconds: number;
  readonly samplesPerSecond: number;
  /** Metric values by name. */
  readonly metrics: Record<string, number>;
  /** PT only: fraction of accepted swaps per adjacent pair of temperatures, over the run so far. */
  readonly swapRates?: number[];
}

/** Called after each epoch with its record and the trainer (which it may stop, checkpoint or inspect). */
export type EpochCallback = (record: EpochRecord, trainer: Trainer) => void;

/**
 * Options of a Trainer. Defaults: k 1, batchSize 100, chains = batchSize, optimizer sgd, l1 = l2 = 0,
 * no centering, minPrecision 1e-3, float64, no metrics, defaultBackend().
 */
export interface TrainerOptions {
  readonly method: TrainingMethod;
  /** A number (constant) or a schedule. */
  readonly learningRate: number | ScheduleSpec;
  /** Root stream: training draws from rng.split("train"), metrics from rng.split("metrics"). */
  readonly rng: Rng;
  /** Sweeps per update (CD-k, PCD, PT); default 1. */
  readonly k?: number;
  /** Persistent chains per replica (PCD, PT); default batchSize. */
  readonly chains?: number;
  /** Rows per minibatch (the last one of an epoch may be smaller); default 100. */
  readonly batchSize?: number;
  /** Default { kind: "sgd" }. */
  readonly optimizer?: OptimizerSpec;
  /** L1 penalty on W: g_W -= l1 sign(W); default 0. */
  readonly l1?: number;
  /** L2 penalty on W: g_W -= l2 W; default 0. */
  readonly l2?: number;
  /** true, or the hidden offset's sliding rate (default 0.01). */
  readonly centering?: boolean | { readonly hiddenRate?: number };
  /** PT: the inverse temperatures, or a number of replicas spaced evenly down to 0 (default 5). */
  readonly betas?: readonly number[] | number;
  /** Lower bound kept on precision parameters (gamma, gammaPlus, gammaMinus); default 1e-3. */
  readonly minPrecision?: number;
  /** 'float64' (default) or 'float32': see TrainerConfig.precision. */
  readonly precision?: Precision;
  /** Evaluated after every epoch into the record's `metrics`, each on its own derived stream. */
  readonly metrics?: readonly Metric[];
  /** Held-out rows x N (row-major) for metrics that need them (freeEnergyGap). */
  readonly heldout?: { readonly data: Float64Array; readonly rows: number };
  /** Called in order after each epoch. */
  readonly callbacks?: readonly EpochCallback[];
  /** Kernel backend; default defaultBackend(). */
  readonly backend?: Backend;
  /** For method "exact": which layer to enumerate and the size limit. */
  readonly enumeration?: EnumerationOptions;
}

/** What a checkpoint holds besides the model: restore with Trainer.resume. */
export interface TrainerState {
  readonly config: TrainerConfig;
  readonly epoch: number;
  /** Seed path of the root stream (metric streams derive from it). */
  readonly seed: string;
  /** The training stream, positioned after the last completed epoch. */
  readonly rng: RngState;
  readonly optimizer: OptimizerState;
  readonly chains: ChainState | null;
  readonly offsets: { readonly visible: Float64Array; readonly hidden: Float64Array } | null;
  readonly data: DataFingerprint;
  readonly history: EpochRecord[];
}

/**
 * Identifies the training data in a checkpoint (a resume on other data is refused): its shape and a checksum.
 */
export interface DataFingerprint {
  readonly rows: number;
  readonly cols: number;
  /** FNV-1a (32 bits, hex) of the float64 bytes of the data. */
  readonly checksum: string;
}

/** Thrown when a parameter or a step becomes NaN or infinite. */
export class DivergenceError extends Error {
  override readonly name = 'DivergenceError';
  constructor(
    readonly epoch: number,
    readonly minibatch: number,
    what: string,
  ) {
    super(`training diverged in epoch ${epoch} (minibatch ${minibatch}): ${what}; try a smaller learning rate or a penalty`);
  }
}

/** FNV-1a (32-bit) of the float64 bytes of the first rows x cols values, with the shape. */
export function fingerprint(data: Float64Array, rows: number, cols: number): DataFingerprint {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, rows * cols * 8);
  let h = 0x811c9dc5;
  for (let k = 0; k < bytes.length; k++) h = Math.imul(h ^ bytes[k], 0x01000193);
  return { rows, cols, checksum: (h >>> 0).toString(16).padStart(8, '0') };
}

function positiveInteger(name: string, x: number): number {
  if (!(Number.isInteger(x) && x >= 1)) throw new RangeError(`${name} must be a positive integer, got ${x}`);
  return x;
}

function nonNegative(name: string, x: number): number {
  if (!(Number.isFinite(x) && x >= 0)) throw new RangeError(`${name} must be a non-negative number, got ${x}`);
  return x;
}

/** Fills every default and checks every field. */
export function resolveTrainerConfig(options: Omit<TrainerOptions, 'rng'>): TrainerConfig {
  const method = options.method;
  if (!TRAINING_METHODS.includes(method)) throw new RangeError(`unknown training method "${String(method)}" (known: ${TRAINING_METHODS.join(', ')})`);
  const batchSize = positiveInteger('batchSize', options.batchSize ?? 100);
  let betas: number[] | null = null;
  if (method === 'pt') {
    betas = typeof options.betas === 'object' ? options.betas.slice() : linearBetas(options.betas ?? 5);
    checkBetas(betas);
  }
  const c = options.centering;
  const centering = c === undefined || c === false ? null : { hiddenRate: c === true ? 0.01 : (c.hiddenRate ?? 0.01) };
  if (centering !== null && !(centering.hiddenRate > 0 && centering.hiddenRate <= 1)) {
    throw new RangeError(`centering hiddenRate must be in (0, 1], got ${centering.hiddenRate}`);
  }
  const precision = options.precision ?? 'float64';
  if (precision !== 'float64' && precision !== 'float32') throw new RangeError(`precision must be "float64" or "float32", got ${JSON.stringify(precision)}`);
  if (precision === 'float32' && method !== 'cd' && method !== 'pcd') throw new RangeError(`precision "float32" is for methods cd and pcd, not ${method}`);
  return {
    method,
    precision,
    k: positiveInteger('k', options.k ?? 1),
    chains: positiveInteger('chains', options.chains ?? batchSize),
    batchSize,
    optimizer: resolveOptimizerSpec(options.optimizer ?? { kind: 'sgd' }),
    learningRate: resolveSchedule(options.learningRate),
    l1: nonNegative('l1', options.l1 ?? 0),
    l2: nonNegative('l2', options.l2 ?? 0),
    centering,
    betas,
    minPrecision: nonNegative('minPrecision', options.minPrecision ?? 1e-3),
  };
}

const PRECISION_PARAM = /^gamma/;

/**
 * Minibatch gradient ascent on the mean log-likelihood of the rows of `data` (rows x N row-major),
 * updating the RBM in place: gradient < d(-F)/dp >_data - < d(-F)/dp >_model (exact or sampled), then
 * penalties, centering, optimizer and schedule as training/trainer.ts states them; `state()` is what a
 * checkpoint keeps.
 */
export class Trainer {
  readonly config: TrainerConfig;
  /** Epochs completed. */
  epoch = 0;
  readonly history: EpochRecord[] = [];
  private readonly rng: Rng;
  private readonly seed: string;
  private readonly optimizer: Optimizer;
  private readonly negative: NegativePhase | null;
  private readonly statistics: StatisticsAccumulator;
  private readonly grad: RbmGradient;
  private readonly offsets: { visible: Float64Array; hidden: Float64Array } | null;
  /** The minibatch, float32 when the products read float32 (see TrainerConfig.precision). */
  private readonly batch: FloatArray;
  /** The float32 mirror of rbm.weights that the products read, or null (float64). */
  private readonly weightMirror: Float32Array | null;
  private readonly backend: Backend;
  private readonly activationSum: Float64Array;
  /**
   * The fused float32 SGD update of W (applyFusedSgd), where it applies: the data and model
   * terms of the weight gradient as float32 minibatch sums (N x M each), or null.
   */
  private readonly weightSums: { readonly data: Float32Array; readonly model: Float32Array } | null;
  private readonly metrics: readonly Metric[];
  private readonly callbacks: readonly EpochCallback[];
  private readonly dataFingerprint: DataFingerprint;
  private stopRequested = false;

  /**
   * @param rbm trained in place
   * @param data training rows, rows x N row-major
   */
  constructor(
    readonly rbm: RBM,
    readonly data: Float64Array,
    readonly rows: number,
    options: TrainerOptions,
    resumeFrom?: TrainerState,
  ) {
    const n = rbm.numVisible;
    // a model with no distribution (gaussian visibles with poisson hidden units and W != 0, ...) or
    // non-finite parameters has no gradient to follow: refused before any work (ModelError)
    checkModel(rbm);
    positiveInteger('rows', rows);
    if (data.length !== rows * n) throw new RangeError(`training data has ${data.length} values, expected ${rows} rows x ${n} visible units`);
    this.config = resumeFrom !== undefined ? { ...resumeFrom.config, precision: resumeFrom.config.precision ?? 'float64' } : resolveTrainerConfig(options);
    const config = this.config;
    this.dataFingerprint = fingerprint(data, rows, n);
    if (resumeFrom !== undefined) {
      const f = resumeFrom.data;
      if (f.rows !== rows || f.cols !== n || f.checksum !== this.dataFingerprint.checksum) {
        throw new RangeError(
          `the checkpoint was trained on other data (${f.rows} x ${f.cols}, checksum ${f.checksum}; given ${rows} x ${n}, checksum ${this.dataFingerprint.checksum})`,
        );
      }
    }
    if (config.centering !== null) {
      for (const layer of [rbm.visible, rbm.hidden]) {
        if (!('bias' in layer.params)) throw new RangeError(`centering needs a "bias" parameter in both layers; ${layer.type} units have ${Object.keys(layer.params).join(', ')}`);
      }
    }
    if (config.method === 'exact') {
      // fail now, not at the first minibatch, when the model cannot be enumerated
      enumerationSide(rbm, options.enumeration);
    }
    this.seed = resumeFrom?.seed ?? options.rng.seed;
    this.rng = resumeFrom !== undefined ? restoreRng(resumeFrom.rng) : options.rng.split('train');
    this.epoch = resumeFrom?.epoch ?? 0;
    if (resumeFrom !== undefined) this.history.push(...resumeFrom.history);
    const params = parameterArrays(rbm);
    this.optimizer = createOptimizer(config.optimizer, params.map((p) => p.values.length), resumeFrom?.optimizer);
    const backend = options.backend ?? defaultBackend();
    this.backend = backend;
    const float32 = config.precision === 'float32';
    this.weightMirror = float32 ? Float32Array.from(rbm.weights) : null;
    this.statistics = new StatisticsAccumulator(rbm, backend, float32 ? 'float32' : 'float64');
    this.grad = zeroGradient(rbm);
    this.negative =
      config.method === 'exact'
        ? null
        : createNegativePhase(rbm, config.method, {
            k: config.k,
            chains: config.chains,
            betas: config.betas ?? undefined,
            rng: this.rng,
            backend,
            state: resumeFrom?.chains ?? undefined,
            precision: float32 ? 'float32' : 'float64',
            weights: this.weightMirror ?? undefined,
          });
    this.enumeration = options.enumeration;
    this.batch = allocate(float32 ? 'float32' : 'float64', config.batchSize * n);
    this.activationSum = new Float64Array(rbm.numHidden);
    // The fused update needs plain SGD on the raw gradient (no penalties, no centering: those
    // read and rewrite the float64 weight gradient) and the backend's float32 kernels.
    const fusable =
      this.weightMirror !== null &&
      this.negative !== null &&
      config.optimizer.kind === 'sgd' &&
      config.l1 === 0 &&
      config.l2 === 0 &&
      config.centering === null &&
      this.statistics.float32WeightSums &&
      backend.sgdWeightStep !== undefined &&
      backend.allFinite !== undefined;
    this.weightSums = fusable ? { data: new Float32Array(rbm.weights.length), model: new Float32Array(rbm.weights.length) } : null;
    // written once here, so that their memory is mapped now rather than page by page in the first
    // minibatch (measured at 784 x 500: 5 ms per 1.6 MB buffer on this virtual machine, about 1% of an epoch)
    this.weightSums?.data.fill(0);
    this.weightSums?.model.fill(0);
    if (config.centering !== null) {
      this.offsets = resumeFrom?.offsets
        ? { visible: Float64Array.from(resumeFrom.offsets.visible), hidden: Float64Array.from(resumeFrom.offsets.hidden) }
        : initialOffsets(rbm, data, rows);
    } else {
      this.offsets = null;
    }
    this.metrics = options.metrics ?? [];
    this.callbacks = options.callbacks ?? [];
    this.heldout = options.heldout;
  }

  private readonly enumeration: EnumerationOptions | undefined;
  private readonly heldout: { readonly data: Float64Array; readonly rows: number } | undefined;

  /** Continues a run from a checkpoint's trainer state; `rbm` is the checkpoint's model. */
  static resume(rbm: RBM, data: Float64Array, rows: number, state: TrainerState, options: Omit<TrainerOptions, 'method' | 'learningRate' | 'rng'> = {}): Trainer {
    const config = state.config;
    return new Trainer(rbm, data, rows, { ...options, method: config.method, learningRate: config.learningRate, rng: createRng(state.seed) }, state);
  }

  /** Asks the trainer to stop after the current epoch (for callbacks: early stopping). */
  stop(): void {
    this.stopRequested = true;
  }

  /**
   * The training run as a stream: trains epoch after epoch until `total` epochs are completed
   * (counting those before a resume) or stop() is called, yielding each epoch's record after
   * the callbacks have seen it.
   */
  *epochs(total: number): Generator<EpochRecord, void, undefined> {
    positiveInteger('total epochs', total);
    this.stopRequested = false;
    while (this.epoch < total && !this.stopRequested) {
      const record = this.trainEpoch();
      this.history.push(record);
      for (const callback of this.callbacks) callback(record, this);
      yield record;
    }
  }

  /** Trains up to `total` epochs; returns the records of this call's epochs. */
  train(total: number): EpochRecord[] {
    return Array.from(this.epochs(total));
  }

  /** Evaluates the configured metrics on the current model (streams derived from seed and epoch). */
  evaluateMetrics(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const metric of this.metrics) {
      out[metric.name] = metric.evaluate(this.rbm, {
        epoch: this.epoch,
        data: this.data,
        rows: this.rows,
        heldout: this.heldout,
        rng: createRng(`${this.seed}/metrics/epoch-${this.epoch}/${metric.name}`),
      });
    }
    return out;
  }

  /** Everything besides the model that a resumed run needs (copied). */
  state(): TrainerState {
    return {
      config: this.config,
      epoch: this.epoch,
      seed: this.seed,
      rng: this.rng.getState(),
      optimizer: this.optimizer.getState(),
      chains: this.negative?.getState() ?? null,
      offsets: this.offsets ? { visible: Float64Array.from(this.offsets.visible), hidden: Float64Array.from(this.offsets.hidden) } : null,
      data: this.dataFingerprint,
      history: this.history.slice(),
    };
  }

  private trainEpoch(): EpochRecord {
    const { rows, rbm, config } = this;
    // weights may have been changed since the last update (a callback, the caller): the products read the mirror
    if (this.weightMirror !== null) this.weightMirror.set(rbm.weights);
    const n = rbm.numVisible;
    const lr = learningRate(config.learningRate, this.epoch);
    const order = permutation(rows, this.rng);
    const started = performance.now();
    let minibatch = 0;
    for (let start = 0; start < rows; start += config.batchSize) {
      const size = Math.min(config.batchSize, rows - start);
      if (this.backend.gatherRows !== undefined) {
        this.backend.gatherRows(this.data, order, start, size, n, this.batch);
      } else {
        for (let r = 0; r < size; r++) {
          const row = order[start + r];
          this.batch.set(this.data.subarray(row * n, (row + 1) * n), r * n);
        }
      }
      minibatch++;
      this.update(size, lr, minibatch);
    }
    const seconds = (performance.now() - started) / 1000;
    // a model with unbounded visibles can step out of the normalizable set (models/checks.ts:
    // gaussian visibles with gaussian, relu or drelu hidden units once W outgrows the precisions);
    // its samplers, metrics and file would then describe no distribution, so that is divergence.
    // Checked once per epoch, before the metrics (cheap for binary visibles: no check at all).
    const reason = normalizability(rbm);
    if (reason !== undefined) throw new DivergenceError(this.epoch + 1, minibatch, `the model left the set of normalizable models (${reason})`);
    this.epoch++;
    const metrics = this.evaluateMetrics();
    const record: EpochRecord = { epoch: this.epoch, learningRate: lr, seconds, samplesPerSecond: rows / seconds, metrics };
    const rates = (this.negative as { swapRates?: number[] } | null)?.swapRates;
    return config.method === 'pt' && rates ? { ...record, swapRates: rates } : record;
  }

  /**
   * The SGD step when the weight gradient is the two float32 sums g1 (data) and g2 (model):
   * biases stepped in JavaScript as on the general path, W by the backend's sgdWeightStep in one
   * pass (W += lr ((0 + g1) + g2) and its float32 mirror), which makes the same float64
   * operations in the same order as the general path (clear, addOuterProducts twice, the sgd
   * optimizer, addStep): the same bits, about four fewer passes over N x M float64 values. The
   * checks are those of the general path, in its order: every step finite before anything
   * changes (for W: g1 and g2 finite, since |lr| <= 1e250), then each array's update finite.
   *
   * g1 and g2 need not be read to know that they are finite: with activations a in [-1, 1]
   * (bernoulli, spin), |g1[i, mu]| <= |s1| sum_b |v[b, i]| |a[b, mu]| <= rows max|v| (|s1| =
   * 1/rows), and every partial sum of sgemm's float32 accumulation is within a factor
   * (1 + 2^-24)^rows of that, so rows max|v| <= 2^126 (float32 reaches 2^128) and finite
   * activations make g1 finite. The activations are finite iff their column sums, the hidden-bias
   * gradient, are (a NaN stays NaN, and |a| <= 1 cannot overflow). Where that certificate fails
   * (a NaN, or states past 2^126 / rows), g1 and g2 are checked entry by entry.
   */
  private applyFusedSgd(
    grad: RbmGradient,
    sums: { readonly data: Float32Array; readonly model: Float32Array },
    lr: number,
    minibatch: number,
    dataStates: { readonly data: FloatArray; readonly rows: number },
    modelStates: { readonly data: FloatArray; readonly rows: number },
  ): void {
    const { rbm } = this;
    const backend = this.backend as Required<Pick<Backend, 'allFinite' | 'sgdWeightStep'>> & Backend;
    const params = parameterArrays(rbm);
    const steps = gradientArrays(grad);
    const hiddenBias = grad.hidden.bias;
    let activationsFinite = true;
    for (let mu = 0; mu < hiddenBias.length; mu++) if (!(hiddenBias[mu] - hiddenBias[mu] === 0)) activationsFinite = false;
    const weightStepFinite =
      (activationsFinite && this.boundedStates(dataStates) && this.boundedStates(modelStates)) || (backend.allFinite(sums.data) && backend.allFinite(sums.model));
    // steps[0] is the weights' float64 gradient, unused here: sgd steps the other arrays (one step counted)
    const others: Float64Array[] = [];
    for (let p = 1; p < steps.length; p++) others.push(steps[p].values);
    this.optimizer.step(others, lr);
    if (!weightStepFinite) {
      throw new DivergenceError(this.epoch + 1, minibatch, 'the step for weights is not finite');
    }
    for (let p = 1; p < steps.length; p++) {
      if (!backend.allFinite(steps[p].values)) throw new DivergenceError(this.epoch + 1, minibatch, `the step for ${steps[p].name} is not finite`);
    }
    if (!backend.sgdWeightStep(rbm.weights, sums.data, sums.model, lr, this.weightMirror as Float32Array)) {
      throw new DivergenceError(this.epoch + 1, minibatch, 'weights overflowed');
    }
    for (let p = 1; p < params.length; p++) this.addParameterStep(params[p], steps[p].values, null, minibatch);
  }

  /**
   * target += d for one parameter array (and mirror = float32 of it in the same pass, for W), in the
   * backend where it can (the same float64 sums); stops the run if an entry overflowed, and holds
   * precision parameters at minPrecision.
   */
  private addParameterStep(param: { readonly name: string; readonly values: Float64Array }, d: Float64Array, mirror: Float32Array | null, minibatch: number): void {
    const target = param.values;
    const addStep = this.backend.addStep;
    let check = 0;
    if (addStep !== undefined) {
      if (!addStep.call(this.backend, target, d, mirror)) check = NaN;
    } else if (mirror !== null) {
      for (let k = 0; k < target.length; k++) {
        const x = target[k] + d[k];
        target[k] = x;
        mirror[k] = x;
        check += x - x;
      }
    } else {
      for (let k = 0; k < target.length; k++) {
        const x = target[k] + d[k];
        target[k] = x;
        check += x - x;
      }
    }
    if (check !== 0) throw new DivergenceError(this.epoch + 1, minibatch, `${param.name} overflowed`);
    if (PRECISION_PARAM.test(param.name.split('.')[1] ?? '')) {
      const floor = this.config.minPrecision;
      for (let k = 0; k < target.length; k++) if (target[k] < floor) target[k] = floor;
    }
  }

  /** rows max|v| <= 2^126 for a block of states (see applyFusedSgd); false where the backend cannot tell. */
  private boundedStates(states: { readonly data: FloatArray; readonly rows: number }): boolean {
    return this.backend.maxAbs !== undefined && this.backend.maxAbs(states.data) * states.rows <= 2 ** 126;
  }

  /** One gradient step on the minibatch in this.batch (its first `size` rows). */
  private update(size: number, lr: number, minibatch: number): void {
    const { rbm, config } = this;
    const n = rbm.numVisible;
    const m = rbm.numHidden;
    const batch = this.batch.subarray(0, size * n);
    let grad = this.grad;
    const act = this.activationSum;
    act.fill(0);
    if (this.negative === null) {
      // (exact training keeps a float64 minibatch)
      grad = exactGradient(rbm, batch as Float64Array, size, this.enumeration).gradient;
      if (this.offsets !== null) {
        const means = rbm.hiddenMean(batch, size);
        for (let b = 0; b < size; b++) for (let mu = 0; mu < m; mu++) act[mu] += means[b * m + mu];
      }
    } else {
      // |lr| <= 1e250 keeps lr g finite for any finite g (|g| < 2^129, the sum of two float32
      // values), so checking g1 and g2 is checking the step (applyFusedSgd)
      let sums = this.weightSums !== null && Math.abs(lr) <= 1e250 ? this.weightSums : null;
      if (sums === null) {
        clearGradient(grad);
      } else {
        // the weight term goes to the float32 sums (written, not added): only the rest is cleared
        for (const { name, values } of gradientArrays(grad)) if (name !== 'weights') values.fill(0);
      }
      const weights = this.weightMirror ?? rbm.weights;
      this.statistics.add(batch, size, 1 / size, grad, act, weights, sums?.data);
      let model: { states: FloatArray; count: number };
      try {
        model = this.negative.run(batch, size);
      } catch (err) {
        // finite parameters whose conditionals overflow (e^x of a poisson unit past 709.78):
        // the samplers refuse a non-finite mean (or a poisson mean past 2^52: ModelError), which
        // is divergence, not a bug
        if ((err instanceof RangeError && /finite|Infinity|NaN/.test(err.message)) || err instanceof ModelError) {
          throw new DivergenceError(this.epoch + 1, minibatch, `the model's conditional distributions overflow (${err.message})`);
        }
        throw err;
      }
      if (sums !== null && !(model.states instanceof Float32Array)) {
        // chains with float64 states (the visible heat bath): the general path, with the data
        // term already summed in float32 taken into the float64 gradient as addOuterProducts would
        const gW = grad.weights;
        const g1 = sums.data;
        for (let k = 0; k < gW.length; k++) gW[k] = 0 + g1[k];
        sums = null;
      }
      this.statistics.add(model.states, model.count, -1 / model.count, grad, undefined, weights, sums?.model);
      if (sums !== null) {
        this.applyFusedSgd(grad, sums, lr, minibatch, { data: batch, rows: size }, { data: model.states, rows: model.count });
        return;
      }
    }
    const w = rbm.weights;
    const gW = grad.weights;
    if (config.l2 > 0 || config.l1 > 0) {
      const { l1, l2 } = config;
      for (let k = 0; k < w.length; k++) gW[k] -= l2 * w[k] + l1 * Math.sign(w[k]);
    }
    const offsets = this.offsets;
    if (offsets !== null) {
      // centered weight gradient: g_W - mu g_h^T - g_v lambda^T
      const gv = grad.visible.bias;
      const gh = grad.hidden.bias;
      for (let i = 0; i < n; i++) {
        const row = i * m;
        const mui = offsets.visible[i];
        const gvi = gv[i];
        for (let mu = 0; mu < m; mu++) gW[row + mu] -= mui * gh[mu] + gvi * offsets.hidden[mu];
      }
    }
    const steps = gradientArrays(grad);
    this.optimizer.step(steps.map((s) => s.values), lr);
    if (offsets !== null) {
      // back to the stored biases: d_b -= d_W lambda, d_c -= d_W^T mu
      const db = grad.visible.bias;
      const dc = grad.hidden.bias;
      for (let i = 0; i < n; i++) {
        const row = i * m;
        let s = 0;
        for (let mu = 0; mu < m; mu++) {
          s += gW[row + mu] * offsets.hidden[mu];
          dc[mu] -= gW[row + mu] * offsets.visible[i];
        }
        db[i] -= s;
      }
    }
    const params = parameterArrays(rbm);
    const { allFinite } = this.backend;
    // a step with a NaN or an infinity leaves the model as it was and stops the run
    for (const { name, values } of steps) {
      let finite: boolean;
      if (allFinite !== undefined) {
        finite = allFinite.call(this.backend, values);
      } else {
        let check = 0;
        for (let k = 0; k < values.length; k++) check += values[k] - values[k]; // NaN iff some entry is not finite
        finite = check === 0;
      }
      if (!finite) throw new DivergenceError(this.epoch + 1, minibatch, `the step for ${name} is not finite`);
    }
    const mirror = this.weightMirror;
    for (let p = 0; p < params.length; p++) this.addParameterStep(params[p], steps[p].values, params[p].values === w ? mirror : null, minibatch);
    if (offsets !== null && config.centering !== null) {
      const rate = config.centering.hiddenRate;
      for (let mu = 0; mu < m; mu++) offsets.hidden[mu] = (1 - rate) * offsets.hidden[mu] + (rate * act[mu]) / size;
    }
  }
}

/** Centering offsets at the start: mu = data mean of v, lambda = data mean of Gamma'(I(v)). */
function initialOffsets(rbm: RBM, data: Float64Array, rows: number): { visible: Float64Array; hidden: Float64Array } {
  const n = rbm.numVisible;
  const m = rbm.numHidden;
  const visible = new Float64Array(n);
  for (let r = 0; r < rows; r++) for (let i = 0; i < n; i++) visible[i] += data[r * n + i] / rows;
  const hidden = new Float64Array(m);
  const chunk = 256;
  for (let start = 0; start < rows; start += chunk) {
    const size = Math.min(chunk, rows - start);
    const means = rbm.hiddenMean(data.subarray(start * n, (start + size) * n), size);
    for (let b = 0; b < size; b++) for (let mu = 0; mu < m; mu++) hidden[mu] += means[b * m + mu] / rows;
  }
  return { visible, hidden };
}

