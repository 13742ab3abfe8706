/**
 * The planted-pattern teacher, its data and the PCD-trained student, shared by the
 * `teacher-student` and `spectral` families (MODELS.md §4).
 *
 * Teacher: spin visibles (N), P hidden units of type `teacherHidden` with zero biases (default
 * parameters: gaussian and relu precision 1), weights
 *
 *     W_{i a} = (b_a / sqrt(N)) xi^a_i,     xi^a uniform random in {-1, +1}^N,
 *
 * so that P_teacher(v) ∝ exp(sum_a Gamma(b_a xi^a . v / sqrt(N))). With b_a = beta for every
 * pattern the data covariance is, to leading order in 1/N,
 *   spin hidden:      C = I + beta^2 sum_a xi^a xi^a^T / N              (spike l = beta^2)
 *   gaussian hidden:  C = I + (beta^2 / (1 - beta^2)) sum_a xi^a xi^a^T / N   for beta < 1
 *     (integrating h out gives the Hopfield model at inverse temperature beta^2, paramagnetic
 *     for beta < 1, whose susceptibility along each pattern is 1 / (1 - beta^2); l = beta^2/(1 - beta^2))
 * and a spectral learner sees a pattern from M = alpha N examples only when l sqrt(alpha) > 1:
 * alpha_c = beta^-4 (spin, "retarded learning") and alpha_c = (1/beta^2 - 1)^2, i.e.
 * 1/beta^2 = 1 + sqrt(alpha_c) (gaussian: the Nishimori line of Alemanno et al. 2023 with
 * Hopfield inverse temperature beta_H = beta^2).
 *
 * Data: M = round(alpha N) examples of the teacher's visible marginal, drawn exactly where a binary
 * layer can be enumerated (binary hidden units with P <= 20, or N <= 20), otherwise by MCMC
 * (block Gibbs where both layers have samplers, else the visible heat bath) from `dataChains`
 * independent chains (0: one per example), each run `burnIn` sweeps from a random start and then
 * read every `thin` sweeps; example r comes from chain r mod chains. Chains and training run on the
 * trial's backend (context.backend); exact draws on the CPU.
 *
 * Student: spin visibles and P (or `hiddenUnits`) hidden units of type `studentHidden` with zero
 * biases and W ~ N(0, init^2), trained by PCD (packages/core/src/training) with a learning rate
 * decaying linearly from lr to lr * lrDecay.
 */
import {
  createChain,
  createLayer,
  defaultSampler,
  exactSample,
  HIDDEN_UNIT_TYPES,
  OPTIMIZER_KINDS,
  principalComponents,
  RBM,
  randomPatterns,
  Trainer,
  visibleLogProbabilities,
  type Backend,
  type EpochCallback,
  type OptimizerKind,
  type Rng,
  type ScheduleSpec,
  type WeightColumns,
} from '@rbmlab/core';
import type { ParamSpec, Params, ParamValue } from '../study/experiment';

/** Largest layer the exact oracles enumerate here (2^20 states). */
export const MAX_ENUMERATED_UNITS = 20;

export const TEACHER_PARAMS = {
  N: { type: 'integer', default: 50, min: 2, describe: 'visible units N' },
  P: { type: 'integer', default: 1, min: 1, describe: 'planted patterns P (teacher hidden units)' },
  alpha: { type: 'number', default: 4, min: 0, exclusiveMin: true, describe: 'examples per visible unit: M = round(alpha N) training examples' },
  beta: { type: 'number', default: 1, min: 0, describe: 'pattern strength b: teacher weights W = b xi / sqrt(N) (MODELS.md §4)' },
  teacherHidden: { type: 'string', default: 'spin', choices: HIDDEN_UNIT_TYPES, describe: 'hidden unit type of the teacher (biases 0, precision 1)' },
  burnIn: { type: 'integer', default: 200, min: 0, describe: 'MCMC data only: sweeps from the random start before the first example' },
  thin: { type: 'integer', default: 10, min: 1, describe: 'MCMC data only: sweeps between two examples read from one chain' },
  dataChains: { type: 'integer', default: 0, min: 0, describe: 'MCMC data only: independent chains (0: one per example)' },
} as const satisfies Record<string, ParamSpec>;

export const STUDENT_PARAMS = {
  studentHidden: { type: 'string', default: 'spin', choices: HIDDEN_UNIT_TYPES, describe: 'hidden unit type of the student (trained by PCD)' },
  epochs: { type: 'integer', default: 100, min: 1, describe: 'PCD epochs (passes over the M examples)' },
  lr: { type: 'number', default: 0.05, min: 0, exclusiveMin: true, describe: 'learning rate of the first epoch' },
  lrDecay: { type: 'number', default: 0.1, min: 0, exclusiveMin: true, max: 1, describe: 'learning rate of the last epoch as a fraction of lr (linear decay; 1 = constant)' },
  batch: { type: 'integer', default: 20, min: 1, describe: 'minibatch size' },
  chains: { type: 'integer', default: 50, min: 1, describe: 'persistent chains' },
  k: { type: 'integer', default: 1, min: 1, describe: 'sampler sweeps per update' },
  optimizer: { type: 'string', default: 'sgd', choices: OPTIMIZER_KINDS, describe: 'optimizer (sgd, momentum 0.9, adam)' },
  init: { type: 'number', default: 0.01, min: 0, describe: 'initial student weights W ~ N(0, init^2)' },
  l2: { type: 'number', default: 0, min: 0, describe: 'L2 penalty on W' },
} as const satisfies Record<string, ParamSpec>;

export interface Teacher {
  /** The planted patterns, P rows of N spins. */
  readonly patterns: Int8Array[];
  readonly rbm: RBM;
}

/** The teacher with strength strengths[a] on pattern a; patterns from rng.split('patterns'). */
export function plantedTeacher(n: number, strengths: readonly number[], hiddenType: string, rng: Rng): Teacher {
  const p = strengths.length;
  const patterns = randomPatterns(p, n, rng.split('patterns'));
  const w = new Float64Array(n * p);
  for (let i = 0; i < n; i++) for (let a = 0; a < p; a++) w[i * p + a] = (strengths[a] / Math.sqrt(n)) * patterns[a][i];
  return { patterns, rbm: new RBM(createLayer('spin', n, {}, 'visible'), createLayer(hiddenType, p), w) };
}

/** M = round(alpha N), at least 1. */
export function exampleCount(params: Params): number {
  return Math.max(1, Math.round((params.alpha as number) * (params.N as number)));
}

/** How the training examples are drawn: the facts the manifest records. */
export function dataPlan(params: Params): Record<string, ParamValue> {
  const n = params.N as number;
  const p = params.P as number;
  const hidden = createLayer(params.teacherHidden as string, 1);
  const binaryHidden = hidden.support !== undefined && hidden.support.length === 2;
  if (binaryHidden && p <= MAX_ENUMERATED_UNITS) return { sampling: 'exact', enumerated: 'hidden' };
  if (n <= MAX_ENUMERATED_UNITS) return { sampling: 'exact', enumerated: 'visible' };
  const m = exampleCount(params);
  const chains = (params.dataChains as number) === 0 ? m : Math.min(params.dataChains as number, m);
  const sampler = hidden.canSample ? 'gibbs' : 'heatbath';
  return { sampling: 'mcmc', sampler, burnIn: params.burnIn as number, thin: params.thin as number, chains };
}

/** `rows` examples of the teacher's visible marginal (rows x N), drawn as dataPlan says, from rng. */
export function teacherData(teacher: Teacher, rows: number, plan: Readonly<Record<string, ParamValue>>, rng: Rng, backend?: Backend): Float64Array {
  const rbm = teacher.rbm;
  if (plan.sampling === 'exact') {
    return exactSample(rbm, rows, rng, { maxUnits: MAX_ENUMERATED_UNITS, enumerate: plan.enumerated as 'visible' | 'hidden' });
  }
  const n = rbm.numVisible;
  const chains = plan.chains as number;
  if (defaultSampler(rbm) !== plan.sampler) throw new Error(`data plan names sampler ${String(plan.sampler)}, the teacher needs ${defaultSampler(rbm)}`);
  const chain = createChain(rbm, { chains, rng, backend });
  chain.sweep(plan.burnIn as number);
  const out = new Float64Array(rows * n);
  for (let start = 0; start < rows; start += chains) {
    if (start > 0) chain.sweep(plan.thin as number);
    const count = Math.min(chains, rows - start);
    out.set(chain.visibleState.subarray(0, count * n), start * n);
  }
  return out;
}

/**
 * The teacher with the given pattern strengths (one per pattern) and its M = round(alpha N)
 * training examples, drawn as dataPlan(params) says: the first half of every trial of both
 * families, from rng.split('teacher') and rng.split('data').
 */
export function teacherAndData(params: Params, strengths: readonly number[], rng: Rng, backend?: Backend): { teacher: Teacher; data: Float64Array; rows: number } {
  const teacher = plantedTeacher(params.N as number, strengths, params.teacherHidden as string, rng.split('teacher'));
  const rows = exampleCount(params);
  return { teacher, data: teacherData(teacher, rows, dataPlan(params), rng.split('data'), backend), rows };
}

/** A fresh student: spin visibles, `hidden` units of the given type, zero biases, W ~ N(0, init^2). */
export function initialStudent(n: number, hidden: number, hiddenType: string, init: number, rng: Rng): RBM {
  return RBM.random(createLayer('spin', n, {}, 'visible'), createLayer(hiddenType, hidden), rng, init);
}

/** The PCD trainer of the student on `data` with the family's training params; streams from rng. */
export function studentTrainer(student: RBM, data: Float64Array, rows: number, params: Params, rng: Rng, backend?: Backend, callbacks?: readonly EpochCallback[]): Trainer {
  return new Trainer(student, data, rows, {
    ...(callbacks ? { callbacks } : {}),
    method: 'pcd',
    learningRate: learningRateSchedule(params),
    batchSize: params.batch as number,
    chains: params.chains as number,
    k: params.k as number,
    optimizer: { kind: params.optimizer as OptimizerKind },
    l2: params.l2 as number,
    rng,
    backend,
  });
}

/** lr, decaying linearly to lr * lrDecay at the last epoch (constant when lrDecay = 1). */
export function learningRateSchedule(params: Params): number | ScheduleSpec {
  return decayingRate(params.lr as number, params.lrDecay as number, params.epochs as number);
}

/** The rate lr, decaying linearly to lr * fraction at the last of `epochs` epochs (constant when fraction = 1). */
export function decayingRate(lr: number, fraction: number, epochs: number): number | ScheduleSpec {
  return fraction === 1 ? lr : { kind: 'linear', lr, final: lr * fraction, epochs };
}

/**
 * sum_v P_teacher(v) log P_student(v): the student's mean log-likelihood on fresh teacher data in
 * the limit of an infinite test set (= -H(teacher) - KL(teacher || student)), by enumerating the
 * 2^N visible states of both (N <= MAX_ENUMERATED_UNITS).
 */
export function expectedLogLikelihood(teacher: RBM, student: RBM): number {
  const options = { maxUnits: MAX_ENUMERATED_UNITS, enumerate: 'visible' } as const;
  const lt = visibleLogProbabilities(teacher, options);
  const ls = visibleLogProbabilities(student, options);
  let sum = 0;
  for (let s = 0; s < lt.length; s++) sum += Math.exp(lt[s]) * ls[s];
  return sum;
}

/**
 * The top `count` principal directions of the examples (second moment, see
 * principalComponents), as the N x count columns of a WeightColumns for patternRecovery.
 */
export function principalColumns(data: Float64Array, rows: number, n: number, count: number): WeightColumns {
  const { vectors } = principalComponents(data, rows, n, count);
  const weights = new Float64Array(n * count);
  vectors.forEach((u, a) => u.forEach((x, i) => (weights[i * count + a] = x)));
  return { weights, numVisible: n, numHidden: count };
}

