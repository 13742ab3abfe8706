/**
 * What an experiment family is: named, typed parameters with defaults and meanings, the metric
 * columns it reports, and a trial function that turns resolved parameters and one seeded stream
 * into metric values. The study runner (./runner) owns everything else: the grid, seeds, files,
 * parallelism, sharding and resumption, so a family is only science.
 */
import type { Backend, Rng } from '@rbmlab/core';

/** A parameter value as it appears in a study file and in results.csv. */
export type ParamValue = number | string | boolean;

/** Resolved parameters of one grid point: the study's params, the point's grid values, defaults. */
export type Params = Readonly<Record<string, ParamValue>>;

/**
 * A family's parameter: its type, default (or required), allowed choices or bounds, and its meaning;
 * study values are checked against it, and `rbmlab list` prints it.
 */
export interface ParamSpec {
  /** 'integer' accepts only whole numbers; 'number' any finite number. */
  readonly type: 'integer' | 'number' | 'string' | 'boolean';
  /** The value used when the study gives none. Absent: the parameter is optional (see `required`). */
  readonly default?: ParamValue;
  /** The study must give it (no default makes sense). */
  readonly required?: boolean;
  /** Allowed values of a 'string' parameter. */
  readonly choices?: readonly string[];
  /** Inclusive lower bound of a number (strict when `exclusiveMin`). */
  readonly min?: number;
  readonly exclusiveMin?: boolean;
  /** Inclusive upper bound of a number (strict when `exclusiveMax`). */
  readonly max?: number;
  readonly exclusiveMax?: boolean;
  /** One line for `rbmlab list`: the meaning, with the symbol of MODELS.md where there is one. */
  readonly describe: string;
  /**
   * An optional parameter (no default) that gets a column in results.csv only in studies where
   * some point gives it: a parameter added to a family later leaves the results of earlier
   * studies byte for byte as they were.
   */
  readonly columnWhenGiven?: boolean;
}

/** Whether a point runs on a backend: true, or one line saying why not. */
export type BackendUse = true | string;

/** One row of metric values (and, for series experiments, the series key). */
export type MetricRow = Readonly<Record<string, number>>;

/** What a trial gets besides its parameters. */
export interface TrialContext {
  /** The trial's seed, derived from (study seed, grid point, trial index) alone. */
  readonly seed: number;
  /** createRng(seed): the trial's only source of randomness (split it into named children). */
  readonly rng: Rng;
  /** The backend the study runs on (recorded in the manifest). */
  readonly backend: Backend;
  /**
   * Set by a caller that watches trials as they run (the browser lab): a family may call it with
   * what it has at each step (the student after an epoch, say). It must only read: a trial's
   * results are the same with and without an observer.
   */
  readonly observe?: (event: TrialObservation) => void;
}

/**
 * What a family shows a watching caller during a trial. `epoch`: the student after PCD epoch
 * `epoch` of `epochs` (1-based), with the planted patterns it is matched against.
 */
export interface TrialObservation {
  readonly kind: 'epoch';
  readonly epoch: number;
  readonly epochs: number;
  /** The student RBM now (read it; do not keep a reference beyond the call). */
  readonly student: import('@rbmlab/core').RBM;
  /** The planted patterns, P rows of N spins. */
  readonly patterns: readonly Int8Array[];
}

/**
 * An experiment family: named, typed parameters, the metric columns it reports, and a trial function
 * from resolved parameters and one seeded stream to metric rows. Built-in families and plug-ins
 * (`registerExperiment`, a study file's "plugin") are this interface.
 */
export interface Experiment {
  /** The name a study file gives in "experiment" (a contract). */
  readonly name: string;
  /** One line for `rbmlab list`. */
  readonly describe: string;
  /** Parameters in the order results.csv lists them. */
  readonly params: Readonly<Record<string, ParamSpec>>;
  /** Metric columns at these parameters, in CSV order (may depend on them, e.g. J1..J{order}). */
  metrics(params: Params): readonly string[];
  /**
   * Set when a trial reports several rows (one per epoch, say): the name of the column that
   * tells them apart. It is written after `seed`, summaries group by it, and plots use it as x.
   */
  readonly series?: string;
  /**
   * Checks between parameters after each has passed its own spec (alpha or P, not both; p even
   * for a model...). Throws ParamError naming the field.
   */
  check?(params: Params): void;
  /** Facts about how a point is run that a reader of the results needs (how data were drawn). */
  plan?(params: Params): Readonly<Record<string, ParamValue>>;
  /**
   * Whether trials run their products and samplers on `context.backend` (teacher-student and
   * spectral do; families whose kernels are their own loops do not). `run --backend gpu` refuses
   * a family without it rather than record a gpu backend that did no work. A function decides
   * per point: true, or one line saying why the point cannot run on a backend (on `backend`'s
   * device when given: its size limits; without it, what holds for any device).
   */
  readonly usesBackend?: boolean | ((params: Params, backend?: Backend) => BackendUse);
  /**
   * For a family without `usesBackend`: why it has nothing to run on a device (one line, shown by
   * the refusal of --backend gpu and by `rbmlab list`).
   */
  readonly noBackendReason?: string;
  /** One trial: deterministic given `params` and `context.rng`. */
  run(params: Params, context: TrialContext): MetricRow | MetricRow[] | Promise<MetricRow | MetricRow[]>;
}

/** Whether a family runs on a backend at some points at least (usesBackend true or a function). */
export function runsOnBackend(experiment: Experiment): boolean {
  return experiment.usesBackend !== undefined && experiment.usesBackend !== false;
}

/**
 * Whether `experiment` runs the point `params` on a backend (on `backend` when given): true, or
 * one line saying why not. The one place that decides, for `run` and `slurm submit`.
 */
export function backendUse(experiment: Experiment, params: Params, backend?: Backend): BackendUse {
  const uses = experiment.usesBackend;
  if (typeof uses === 'function') return uses(params, backend);
  if (uses === true) return true;
  return experiment.noBackendReason ?? 'it runs its own loops, not backend kernels';
}

/** A parameter the study got wrong; `field` is its path in the study file ("params.N", "grid.alpha"). */
export class ParamError extends Error {
  override readonly name = 'StudyError';
  constructor(
    readonly field: string,
    message: string,
    /** Raised by a family's check() between parameters, so it may hold at some grid points only. */
    readonly crossCheck = false,
  ) {
    super(`${field}: ${message}`);
  }
}
