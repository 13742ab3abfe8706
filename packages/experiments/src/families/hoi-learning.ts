/**
 * `hoi-learning` (issue 5, family 4): can an RBM learn interactions beyond pairwise?
 *
 * Teacher: an explicit higher-order Boltzmann machine on N spins sigma in {-1, +1} (MODELS.md §3),
 *
 *     P_T(sigma) ∝ exp( sum_{i<j} J_ij sigma_i sigma_j + sum_{i<j<k} J_ijk sigma_i sigma_j sigma_k ),
 *
 * no fields, beta = 1, J_ij ~ Normal(0, (J2/sqrt N)^2) on every pair and J_ijk ~ Normal(0, (J3/N)^2)
 * on every triple (or on round(tripleFraction C(N, 3)) distinct random triples), drawn by core's
 * randomHigherOrderBM from the trial's stream "teacher". With these scales the pair and triple
 * parts of the energy have standard deviations about J2 sqrt((N-1)/2) and J3 sqrt((N-1)(N-2)/6N).
 *
 * Student: an RBM with N spin visibles (bias trainable, starting at 0), M hidden units of type
 * `hidden` (all parameters trainable, biases starting at 0) and weights Normal(0, initScale^2).
 * Trained either
 *   - "exact": gradient ascent on sum_sigma P_T(sigma) log P_S(sigma) = -KL(P_T || P_S) - H(P_T),
 *     whose gradient is sum_sigma (P_T(sigma) - P_S(sigma)) d(-F(sigma))/dp, both terms by
 *     enumerating the 2^N visible states (fitToDistribution below); or
 *   - "pcd": core's Trainer (PCD-k) on `samples` exact draws from the teacher.
 *
 * Metrics, all exact at the end of training:
 *   kl        KL(P_T || P_S) = sum_sigma P_T log(P_T / P_S), nats;
 *   J{k}_error, k = 2, 3: the student's induced couplings in the spin basis (the teacher's: Walsh
 *             coefficients of -F, which is log P_S up to a constant, so KL = 0 iff they all match
 *             the teacher's J_S at every order) against the teacher's, over all C(N, k) subsets:
 *                 ||J_S^student - J_S^teacher||_2 / ||J_S^teacher||_2;
 *             when the teacher has no order-k coupling (J3 = 0) the denominator is taken as 1, so
 *             the metric is the absolute norm ||J_S^student||_2 of the spurious order-k couplings;
 *   diverged  1 when training stopped at a non-finite step or an overflowing sampler (core's
 *             DivergenceError; the metrics are then those of the last finite student), else 0.
 *
 * Expected (MODELS.md §2): a linear (gaussian) student's -F is quadratic in sigma, so its order-3
 * couplings vanish identically and J3_error = 1 exactly, and its KL is bounded below by the
 * teacher's beyond-pairwise information. Units whose Gamma is not a quadratic (poisson, bernoulli,
 * relu, step, spin with a bias) induce every order and can approach the teacher.
 */
import {
  binomial,
  clearGradient,
  createLayer,
  createOptimizer,
  DivergenceError,
  gradientArrays,
  HIDDEN_UNIT_TYPES,
  inducedCouplings,
  learningRate,
  OPTIMIZER_KINDS,
  parameterArrays,
  randomHigherOrderBM,
  RBM,
  resolveSchedule,
  StatisticsAccumulator,
  stateFromIndex,
  subsetRank,
  Trainer,
  visibleLogProbabilities,
  zeroGradient,
  type HigherOrderBoltzmannMachine,
  type OptimizerKind,
  type OptimizerSpec,
  type ScheduleSpec,
} from '@rbmlab/core';
import { ParamError, type Experiment, type MetricRow, type Params } from '../study/experiment';

/** All 2^n states of n binary units (2^n x n, row-major) in the oracles' order (stateFromIndex). */
export function allBinaryStates(n: number, support: readonly number[]): Float64Array {
  const out = new Float64Array(2 ** n * n);
  const row = new Float64Array(n);
  for (let s = 0; s < 2 ** n; s++) out.set(stateFromIndex(s, n, support, row), s * n);
  return out;
}

/** KL(P || Q) = sum_s P(s) (log P(s) - log Q(s)) from log-probability tables (terms with P = 0 are 0). */
export function klDivergence(logP: Float64Array, logQ: Float64Array): number {
  let kl = 0;
  for (let s = 0; s < logP.length; s++) {
    const p = Math.exp(logP[s]);
    if (p > 0) kl += p * (logP[s] - logQ[s]);
  }
  return kl;
}

export interface ExactFitOptions {
  readonly epochs: number;
  /** A number (constant) or one of core's schedules, evaluated per epoch (step). */
  readonly learningRate: number | ScheduleSpec;
  readonly optimizer?: OptimizerSpec;
  /** Lower bound kept on precision parameters (gamma...), as in core's Trainer; default 1e-3. */
  readonly minPrecision?: number;
  /** Called after each step with the epoch count and the KL before the step. */
  readonly onEpoch?: (epoch: number, kl: number) => void;
}

const PRECISION_PARAM = /^hidden\.gamma|^visible\.gamma/;

/**
 * Fits `rbm` (binary visibles, N small enough to enumerate) in place to the distribution with
 * log-probabilities `targetLogP` over the 2^N visible states (index order of stateFromIndex) by
 * full-batch gradient ascent on sum_v P(v) log P_rbm(v), i.e. descent on KL(P || P_rbm):
 *
 *     g_p = sum_v (P(v) - P_rbm(v)) d(-F(v))/dp,   d(-F)/dW_{i mu} = v_i Gamma'_mu(I_mu(v)), ...
 *
 * the statistics accumulated by core's StatisticsAccumulator state by state, stepped by core's
 * optimizers. Returns the KL after the last step. Throws DivergenceError on a non-finite step.
 */
export function fitToDistribution(rbm: RBM, targetLogP: Float64Array, options: ExactFitOptions): number {
  const n = rbm.numVisible;
  const support = rbm.visible.support;
  if (support === undefined || support.length !== 2) throw new RangeError('fitToDistribution needs binary visible units');
  if (targetLogP.length !== 2 ** n) throw new RangeError(`target has ${targetLogP.length} states, expected 2^${n}`);
  const states = allBinaryStates(n, support);
  const target = targetLogP.map(Math.exp);
  const stats = new StatisticsAccumulator(rbm);
  const grad = zeroGradient(rbm);
  const params = parameterArrays(rbm);
  const steps = gradientArrays(grad);
  const optimizer = createOptimizer(options.optimizer ?? { kind: 'adam' }, params.map((p) => p.values.length));
  const minPrecision = options.minPrecision ?? 1e-3;
  const schedule = resolveSchedule(options.learningRate);
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const logQ = visibleLogProbabilities(rbm);
    options.onEpoch?.(epoch, klDivergence(targetLogP, logQ));
    clearGradient(grad);
    for (let s = 0; s < target.length; s++) {
      const w = target[s] - Math.exp(logQ[s]);
      if (w !== 0) stats.add(states.subarray(s * n, (s + 1) * n), 1, w, grad);
    }
    optimizer.step(
      steps.map((a) => a.values),
      learningRate(schedule, epoch),
    );
    for (let p = 0; p < params.length; p++) {
      const values = params[p].values;
      const d = steps[p].values;
      for (let q = 0; q < values.length; q++) {
        const x = values[q] + d[q];
        if (!Number.isFinite(x)) throw new DivergenceError(epoch + 1, 1, `${params[p].name} is not finite`);
        values[q] = PRECISION_PARAM.test(params[p].name) ? Math.max(x, minPrecision) : x;
      }
    }
  }
  return klDivergence(targetLogP, visibleLogProbabilities(rbm));
}

/** The teacher's couplings of order k as an array indexed by lexicographic subset rank (missing sets are 0). */
export function couplingsOfOrder(teacher: HigherOrderBoltzmannMachine, k: number): Float64Array {
  const out = new Float64Array(binomial(teacher.size, k));
  for (const { sites, J } of teacher.couplings) {
    if (sites.length === k) out[subsetRank(teacher.size, [...sites].sort((a, b) => a - b))] += teacher.beta * J;
  }
  return out;
}

/** ||x - y||_2 / ||y||_2, or ||x - y||_2 when y = 0. */
export function relativeError(x: Float64Array, y: Float64Array): number {
  let diff = 0;
  let norm = 0;
  for (let q = 0; q < y.length; q++) {
    diff += (x[q] - y[q]) ** 2;
    norm += y[q] * y[q];
  }
  return norm > 0 ? Math.sqrt(diff / norm) : Math.sqrt(diff);
}

/** The planted teacher of a trial (stream "teacher"). */
export function hoiTeacher(params: Params, rng: Parameters<typeof randomHigherOrderBM>[1]): HigherOrderBoltzmannMachine {
  const n = params.N as number;
  const triples = Math.round((params.tripleFraction as number) * binomial(n, 3));
  return randomHigherOrderBM(
    {
      type: 'spin',
      size: n,
      orders: [
        { order: 2, scale: (params.J2 as number) / Math.sqrt(n) },
        { order: 3, scale: (params.J3 as number) / n, count: triples },
      ],
    },
    rng,
  );
}

export const hoiLearning: Experiment = {
  name: 'hoi-learning',
  describe:
    'An RBM student (hidden type `hidden`) fitted to a spin teacher with planted pair (J2/sqrt N) and triple (J3/N) couplings: exact KL and relative coupling errors',
  params: {
    N: { type: 'integer', default: 7, min: 3, max: 16, describe: 'number of spins (teacher units = student visibles); everything is enumerated' },
    J2: { type: 'number', default: 1, min: 0, describe: 'pair strength: teacher J_ij ~ Normal(0, (J2/sqrt N)^2) on every pair' },
    J3: { type: 'number', default: 1, min: 0, describe: 'triple strength: teacher J_ijk ~ Normal(0, (J3/N)^2)' },
    tripleFraction: { type: 'number', default: 1, min: 0, max: 1, describe: 'fraction of the C(N,3) triples that carry a coupling (distinct, uniformly drawn)' },
    hidden: {
      type: 'string',
      default: 'bernoulli',
      choices: HIDDEN_UNIT_TYPES,
      describe: "student's hidden unit type (activation): gaussian = linear, step, relu, poisson = exponential, bernoulli, spin, drelu",
    },
    M: { type: 'integer', default: 14, min: 1, max: 1000, describe: "number of the student's hidden units" },
    method: { type: 'string', default: 'exact', choices: ['exact', 'pcd'], describe: 'training: exact KL gradient by enumeration, or PCD on teacher samples' },
    epochs: { type: 'integer', default: 1500, min: 1, describe: 'training epochs (exact: full-batch steps; pcd: passes over the samples)' },
    lr: { type: 'number', default: 0.05, min: 0, exclusiveMin: true, describe: 'learning rate at the first epoch (pcd: try 0.01 with epochs 300)' },
    lrDecay: { type: 'number', default: 0.02, min: 0, max: 1, describe: 'the rate falls linearly from lr to lr * lrDecay at the last epoch (1: constant)' },
    optimizer: { type: 'string', default: 'adam', choices: OPTIMIZER_KINDS, describe: 'optimizer: sgd, momentum (0.9) or adam (Kingma-Ba defaults)' },
    initScale: { type: 'number', default: 0.1, min: 0, describe: "student's initial weights Normal(0, initScale^2); biases start at 0" },
    samples: { type: 'integer', default: 2000, min: 1, describe: 'pcd: exact teacher samples in the training set' },
    batchSize: { type: 'integer', default: 100, min: 1, describe: 'pcd: minibatch size' },
    chains: { type: 'integer', default: 100, min: 1, describe: 'pcd: persistent chains' },
    k: { type: 'integer', default: 1, min: 1, describe: 'pcd: sweeps per update' },
  },
  metrics(): string[] {
    return ['kl', 'J2_error', 'J3_error', 'diverged'];
  },
  check(params: Params): void {
    const triples = Math.round((params.tripleFraction as number) * binomial(params.N as number, 3));
    if ((params.J3 as number) > 0 && triples === 0) {
      throw new ParamError('params.tripleFraction', `selects no triple of ${params.N} units; raise it or set J3 = 0`);
    }
  },
  plan(params: Params): Record<string, string> {
    return params.method === 'exact'
      ? { training: 'full-batch gradient of KL(teacher || student), both terms by enumeration of 2^N states' }
      : { training: `PCD-${params.k} on ${params.samples} exact teacher samples`, data: 'exact draws from the teacher (enumeration)' };
  },
  run(params: Params, context): MetricRow {
    const n = params.N as number;
    const m = params.M as number;
    const teacher = hoiTeacher(params, context.rng.split('teacher'));
    const teacherLogP = teacher.logProbabilities();
    const student = RBM.random(createLayer('spin', n, {}, 'visible'), createLayer(params.hidden as string, m), context.rng.split('init'), params.initScale as number);
    const optimizer = { kind: params.optimizer as OptimizerKind } as OptimizerSpec;
    const epochs = params.epochs as number;
    const lr = params.lr as number;
    const decay = params.lrDecay as number;
    const schedule: ScheduleSpec = decay === 1 ? { kind: 'constant', lr } : { kind: 'linear', lr, final: lr * decay, epochs };
    let diverged = 0;
    try {
      if (params.method === 'exact') {
        fitToDistribution(student, teacherLogP, { epochs, learningRate: schedule, optimizer });
      } else {
        const rows = params.samples as number;
        const data = teacher.exactSample(rows, context.rng.split('data'));
        const trainer = new Trainer(student, data, rows, {
          method: 'pcd',
          learningRate: schedule,
          optimizer,
          batchSize: params.batchSize as number,
          chains: params.chains as number,
          k: params.k as number,
          rng: context.rng.split('training'),
        });
        trainer.train(epochs);
      }
    } catch (err) {
      // the student keeps its last finite parameters; the row says the run stopped early
      if (!(err instanceof DivergenceError)) throw err;
      diverged = 1;
    }
    const kl = klDivergence(teacherLogP, visibleLogProbabilities(student));
    const induced = inducedCouplings(student, 3, { basis: 'spin' });
    return {
      kl,
      J2_error: relativeError(induced.byOrder[2], couplingsOfOrder(teacher, 2)),
      J3_error: relativeError(induced.byOrder[3], couplingsOfOrder(teacher, 3)),
      diverged,
    };
  },
};
