/**
 * Named, streaming evaluation metrics: what a trainer records once per epoch under each metric's
 * name, and what a CLI selects by name.
 *
 * A Metric maps (model, context) to one number. Randomized metrics (AIS) draw only from
 * context.rng, a stream the caller reserves for that evaluation, so a run is reproducible and a
 * metric never perturbs the training stream. Metrics evaluate on the training rows unless their
 * definition needs held-out rows (freeEnergyGap).
 *
 * | name          | value                                                             | cost |
 * |---------------|-------------------------------------------------------------------|------|
 * | loglik        | exact mean log-likelihood of the training rows (enumeration)      | 2^min(N, M) |
 * | aisLoglik     | the same with log Z from forward AIS (biased high: see ais.ts)    | chains x steps sweeps |
 * | pseudoLoglik  | mean sum_i log P(v_i | v_-i) over the training rows, every site  | rows x N x M |
 * | recon         | mean-field reconstruction MSE per visible unit                    | rows x N x M |
 * | freeEnergyGap | mean F(heldout) - mean F(train); NaN when there are no held-out rows | rows x N x M |
 * | sigmaMax      | largest singular value of W                                       | SVD of N x M |
 *
 * freeEnergyGap returns NaN (rather than being skipped) without held-out rows, so every epoch
 * record has the same keys; NaN is written as null in JSON.
 */
import type { RBM } from '../models/rbm';
import type { Rng } from '../random/rng';
import { exactLogLikelihood } from '../exact/enumerate';
import {
  AIS_DEFAULT_CHAINS,
  AIS_DEFAULT_STEPS,
  aisLogLikelihood,
  type AnnealingScheduleName,
  baseRateVisibleParams,
} from './ais';
import { freeEnergyGap } from './free-energy-gap';
import { pseudoLogLikelihood } from './pseudo-likelihood';
import { reconstructionError } from './reconstruction';
import { spectralNorm } from './spectrum';

/** What a metric is evaluated on: the epoch, the training rows, optional held-out rows, and its own stream. */
export interface MetricContext {
  /** The epoch being recorded. */
  readonly epoch: number;
  /** Training rows x N, row-major. */
  readonly data: Float64Array;
  /** Number of training rows. */
  readonly rows: number;
  /** Held-out rows x N, row-major, and their number (freeEnergyGap needs them). */
  readonly heldout?: { readonly data: Float64Array; readonly rows: number };
  /** A stream reserved for this metric evaluation, so evaluating never moves the training stream. */
  readonly rng: Rng;
}

/** A named evaluation metric: (model, context) to one number, recorded per epoch under `name`. */
export interface Metric {
  /** The key in epoch records, e.g. "loglik". */
  readonly name: string;
  /** The metric's value for this model on the context's rows; randomness only from context.rng. */
  evaluate(rbm: RBM, context: MetricContext): number;
}

/** Exact mean log-likelihood of the training rows ("loglik"); throws EnumerationError for large models. */
export function exactLogLikelihoodMetric(): Metric {
  return { name: 'loglik', evaluate: (rbm, ctx) => exactLogLikelihood(rbm, ctx.data, ctx.rows) };
}

/**
 * Options of the "aisLoglik" metric: chains, steps and schedule of forward AIS (defaults as
 * `annealedImportanceSampling`), and the base model.
 */
export interface AisMetricOptions {
  readonly chains?: number;
  readonly steps?: number;
  readonly schedule?: AnnealingScheduleName;
  /**
   * Base model with the training rows' base rates as visible biases (Salakhutdinov and Murray
   * 2008). Default: true where the visible units are binary with a bias, false otherwise.
   */
  readonly baseRate?: boolean;
}

/** Mean log-likelihood of the training rows with log Z from forward AIS ("aisLoglik"). */
export function aisLogLikelihoodMetric(options: AisMetricOptions = {}): Metric {
  const chains = options.chains ?? AIS_DEFAULT_CHAINS;
  const steps = options.steps ?? AIS_DEFAULT_STEPS;
  return {
    name: 'aisLoglik',
    evaluate: (rbm, ctx) => {
      const baseRate = options.baseRate ?? canUseBaseRate(rbm);
      const baseVisible = baseRate ? baseRateVisibleParams(rbm, ctx.data, ctx.rows) : undefined;
      return aisLogLikelihood(rbm, ctx.data, ctx.rows, { chains, steps, schedule: options.schedule, baseVisible, rng: ctx.rng }).logLikelihood;
    },
  };
}

function canUseBaseRate(rbm: RBM): boolean {
  const support = rbm.visible.support;
  return support !== undefined && support.length === 2 && 'bias' in rbm.visible.params;
}

/** Mean pseudo-log-likelihood of the training rows, summed over every site ("pseudoLoglik"). */
export function pseudoLikelihoodMetric(): Metric {
  return { name: 'pseudoLoglik', evaluate: (rbm, ctx) => pseudoLogLikelihood(rbm, ctx.data, ctx.rows) };
}

/** Mean-field reconstruction error of the training rows ("recon"). */
export function reconstructionErrorMetric(): Metric {
  return { name: 'recon', evaluate: (rbm, ctx) => reconstructionError(rbm, ctx.data, ctx.rows) };
}

/** mean F(heldout) - mean F(train) ("freeEnergyGap"); NaN when the context has no held-out rows. */
export function freeEnergyGapMetric(): Metric {
  return {
    name: 'freeEnergyGap',
    evaluate: (rbm, ctx) =>
      ctx.heldout === undefined ? NaN : freeEnergyGap(rbm, ctx.data, ctx.rows, ctx.heldout.data, ctx.heldout.rows),
  };
}

/** Largest singular value of W ("sigmaMax"). */
export function spectralNormMetric(): Metric {
  return { name: 'sigmaMax', evaluate: (rbm) => spectralNorm(rbm) };
}

/** Metric names, in the order of the table above; metricByName builds each with its defaults. */
export const METRIC_NAMES = ['loglik', 'aisLoglik', 'pseudoLoglik', 'recon', 'freeEnergyGap', 'sigmaMax'] as const;
/** The name of a built-in metric (a key of epoch records). */
export type MetricName = (typeof METRIC_NAMES)[number];

const FACTORIES: Record<MetricName, () => Metric> = {
  loglik: exactLogLikelihoodMetric,
  aisLoglik: () => aisLogLikelihoodMetric(),
  pseudoLoglik: pseudoLikelihoodMetric,
  recon: reconstructionErrorMetric,
  freeEnergyGap: freeEnergyGapMetric,
  sigmaMax: spectralNormMetric,
};

/** The metric of that name with its default options; a RangeError listing the names otherwise. */
export function metricByName(name: string): Metric {
  if (!Object.prototype.hasOwnProperty.call(FACTORIES, name)) {
    throw new RangeError(`unknown metric "${name}" (known: ${METRIC_NAMES.join(', ')})`);
  }
  return FACTORIES[name as MetricName]();
}

/**
 * Streaming mean and variance (Welford 1962): push one value at a time, in O(1) memory and
 * without the cancellation of sum-of-squares formulas. variance is the unbiased (n - 1) sample
 * variance, NaN below two values; sem = sqrt(variance / count), the standard error of the mean.
 */
export class RunningStats {
  private n = 0;
  private mu = 0;
  private m2 = 0;

  /** Adds one value (Welford's update of the mean and the sum of squared deviations). */
  push(x: number): void {
    this.n++;
    const d = x - this.mu;
    this.mu += d / this.n;
    this.m2 += d * (x - this.mu);
  }

  get count(): number {
    return this.n;
  }
  /** NaN when empty. */
  get mean(): number {
    return this.n > 0 ? this.mu : NaN;
  }
  get variance(): number {
    return this.n > 1 ? this.m2 / (this.n - 1) : NaN;
  }
  get sem(): number {
    return Math.sqrt(this.variance / this.n);
  }
}
