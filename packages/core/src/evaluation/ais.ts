/**
 * Annealed importance sampling (AIS) of log Z, forward and reverse (Salakhutdinov and Murray
 * 2008, "On the quantitative analysis of deep belief networks"; Neal 2001; reverse AIS after
 * Burda, Grosse and Salakhutdinov 2015), for every pair of unit types (MODELS.md §5).
 *
 * Path and base (annealing.ts has the details): p*_b(v) = exp(-U_b(v) + sum_mu Gamma_mu(b I_mu(v)))
 * for b = b_0 = 0 < b_1 < ... < b_K = 1; U_b has visible parameters (1 - b) base + b target (for
 * bernoulli, spin and gaussian visibles U is linear in its parameters, so this is the geometric
 * path U_b = (1 - b) U_base + b U); the hidden units and their biases are those of the target.
 * The base b = 0 has W = 0, so its log partition function is closed:
 *
 *     log Z_0 = sum_i Gamma^base_i(0) + sum_mu Gamma_mu(0)
 *
 * Forward AIS draws v_0 ~ p_0 exactly, and for k = 1..K
 *
 *     log w += log p*_{b_k}(v_{k-1}) - log p*_{b_{k-1}}(v_{k-1}),   v_k ~ T_{b_k}(v_{k-1}, .)  (k < K)
 *
 * with T_b leaving p_b invariant (block Gibbs where both layers can sample, else one heat-bath
 * sweep on the visible marginal). E[w] = Z / Z_0 exactly, whatever the mixing of T (mixing sets
 * the variance). The estimate is log Z = log Z_0 + log mean_c exp(log w_c).
 *
 * Reverse AIS runs the same path from b = 1 down to 0, starting from states drawn from the
 * target: E[w_rev] = Z_0 / Z, so log Z = log Z_0 - log mean_c exp(log w_rev_c).
 *
 * Bias (Jensen): log of an unbiased estimate is biased low, E[log mean w] <= log E[w], by about
 * half the variance of the log estimate (stderr^2 / 2) when that is small. Hence forward AIS
 * underestimates log Z on average (it is a stochastic lower bound: P(log Z_est > log Z + t) <= e^-t
 * by Markov's inequality), overestimating the log-likelihood; reverse AIS from exact target
 * samples overestimates log Z (a stochastic upper bound), so its log-likelihood is conservative.
 * With states that only approximate the target (PCD states, long Gibbs runs) that guarantee holds
 * only as far as they are close to it. Forward and reverse together bracket log Z stochastically:
 * when they agree within their errors, both can be trusted.
 *
 * Standard error: with u_c = exp(log w_c - max log w), the delta method on log mean(u) gives
 *
 *     stderr = sd(u) / (sqrt(n) mean(u)),   sd with n - 1,
 *
 * the standard deviation of log Z_est if the weights were well sampled. It is scale-free, so it is
 * computed on the shifted weights without overflow. Heavy-tailed weights (too short a schedule)
 * make it an underestimate: compare forward and reverse, and look at effectiveSampleSize.
 */
import { defaultBackend } from '../backend/default';
import type { Backend } from '../backend/backend';
import type { RBM } from '../models/rbm';
import { checkModel, cumulantOverflowError, ModelError } from '../models/checks';
import type { Rng } from '../random/rng';
import { copyParams, type LayerParams } from '../units/unit';
import { AnnealingPath, type TransitionName } from './annealing';
import { checkData, meanOf } from './common';

/**
 * Named schedules b_0 = 0 < ... < b_K = 1 (K = steps):
 * - 'linear': b_k = k / K.
 * - 'sigmoid': b_k = (s(d (2k/K - 1)) - s(-d)) / (s(d) - s(-d)), s the logistic function, d = 4
 *   (the sigmoidal schedule of Wu et al. 2017): dense at both ends.
 * - 'salakhutdinov-murray': piecewise linear as in Salakhutdinov and Murray 2008, whose 15000
 *   steps were 1000 on [0, 0.5], 4000 on [0.5, 0.9] and 10000 on [0.9, 1]: the same proportions
 *   of K, dense near b = 1 where a trained RBM's distribution changes fastest.
 * The default is 'linear': on the random small models of the tests its stderr was as small as the
 * others' or smaller (trained models may favour 'salakhutdinov-murray'; compare stderr).
 */
export type AnnealingScheduleName = 'linear' | 'sigmoid' | 'salakhutdinov-murray';
/** Every AnnealingScheduleName, in the order messages list them. */
export const ANNEALING_SCHEDULES: readonly AnnealingScheduleName[] = ['linear', 'sigmoid', 'salakhutdinov-murray'];

/** Default number of chains and annealing steps of AIS. */
export const AIS_DEFAULT_CHAINS = 100;
/** Default number K of annealing increments (K + 1 inverse temperatures from 0 to 1). */
export const AIS_DEFAULT_STEPS = 1000;
/** Default annealing schedule: linear, b_k = k / K. */
export const AIS_DEFAULT_SCHEDULE: AnnealingScheduleName = 'linear';

const SIGMOID_SCHEDULE_WIDTH = 4;

/** The K + 1 inverse temperatures of a named schedule; b_0 = 0 and b_K = 1 exactly. */
export function annealingSchedule(steps: number, schedule: AnnealingScheduleName = AIS_DEFAULT_SCHEDULE): Float64Array {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`AIS: steps must be a positive integer, got ${steps}`);
  const betas = new Float64Array(steps + 1);
  switch (schedule) {
    case 'linear':
      for (let k = 0; k <= steps; k++) betas[k] = k / steps;
      break;
    case 'sigmoid': {
      const d = SIGMOID_SCHEDULE_WIDTH;
      const s = (x: number) => 1 / (1 + Math.exp(-x));
      const lo = s(-d);
      const span = s(d) - lo;
      for (let k = 0; k <= steps; k++) betas[k] = (s(d * ((2 * k) / steps - 1)) - lo) / span;
      break;
    }
    case 'salakhutdinov-murray': {
      if (steps < 3) throw new RangeError(`AIS: the salakhutdinov-murray schedule needs at least 3 steps, got ${steps}`);
      // knots (b, fraction of steps): [0, 0.5] 1/15, [0.5, 0.9] 4/15, [0.9, 1] 10/15
      const k1 = Math.max(1, Math.round(steps / 15));
      const k2 = Math.max(1, Math.round((5 * steps) / 15) - k1);
      const k3 = steps - k1 - k2;
      for (let k = 0; k <= k1; k++) betas[k] = (0.5 * k) / k1;
      for (let k = 1; k <= k2; k++) betas[k1 + k] = 0.5 + (0.4 * k) / k2;
      for (let k = 1; k <= k3; k++) betas[k1 + k2 + k] = 0.9 + (0.1 * k) / k3;
      break;
    }
    default:
      throw new RangeError(`AIS: unknown schedule "${String(schedule)}" (known: ${ANNEALING_SCHEDULES.join(', ')})`);
  }
  betas[0] = 0;
  betas[steps] = 1;
  return betas;
}

/**
 * Options of forward AIS along p*_b(v) = exp(-U_b(v) + sum_mu Gamma_mu(b I_mu(v))), b from 0 to 1:
 * the stream, the number of chains, the schedule (named with `steps`, or explicit `betas`), the base
 * visible layer, the transition and the backend.
 */
export interface AisOptions {
  /** The stream of every draw (required; never a global generator). */
  readonly rng: Rng;
  /** Independent annealing runs (default 100). */
  readonly chains?: number;
  /** Number of annealing steps K of the named schedule (default 1000); ignored when betas are given. */
  readonly steps?: number;
  /** Named schedule (default 'linear'). */
  readonly schedule?: AnnealingScheduleName;
  /** An explicit schedule: nondecreasing, finite, from exactly 0 to exactly 1 (K + 1 values). */
  readonly betas?: ArrayLike<number>;
  /**
   * Visible parameters of the base model, by name (e.g. { bias: baseRateVisibleBias(...) });
   * missing names take the target's values. Default: the target's visible layer, so only W is annealed.
   */
  readonly baseVisible?: Partial<Record<string, ArrayLike<number>>>;
  /** Markov transition; default 'gibbs' when both layers can sample, otherwise 'heatbath'. */
  readonly transition?: TransitionName;
  /** Kernel backend for the batch inputs and binary layers' draws; default defaultBackend(). */
  readonly backend?: Backend;
}

/**
 * Options of reverse AIS (b from 1 to 0): those of forward AIS, with the chains' starting states
 * `init` (chains x N) drawn from the target in place of a chain count.
 */
export interface ReverseAisOptions extends Omit<AisOptions, 'chains'> {
  /** Starting states (chains x N) drawn from the target: exact samples, or long-chain/PCD states. */
  readonly init: ArrayLike<number>;
}

/**
 * An AIS estimate of log Z (natural log) with its delta-method standard error, the per-chain log
 * weights and how the run was made. Forward runs are a stochastic lower bound on log Z, reverse runs
 * from exact draws a stochastic upper bound.
 */
export interface AisResult {
  /** The estimate of log Z. */
  readonly logZ: number;
  /** Delta-method standard error of logZ (see the file comment); NaN with one chain. */
  readonly stderr: number;
  /** log Z_0 of the base model, closed form. */
  readonly logZBase: number;
  /** Per-chain log weights: log(w) with E[w] = Z / Z_0 (forward) or Z_0 / Z (reverse). */
  readonly logWeights: Float64Array;
  /** (sum w)^2 / sum w^2, between 1 and chains: how many chains effectively count. */
  readonly effectiveSampleSize: number;
  readonly chains: number;
  /** K: number of annealing increments (transitions: K - 1). */
  readonly steps: number;
  readonly direction: 'forward' | 'reverse';
  readonly transition: TransitionName;
  /** Name of the backend that ran the batch inputs. */
  readonly backend: string;
}

/** log mean exp of log weights, its delta-method standard error and the effective sample size. */
export interface WeightSummary {
  readonly logMean: number;
  readonly stderr: number;
  readonly effectiveSampleSize: number;
}

/**
 * log mean_c exp(lw_c), stderr = sd(u) / (sqrt(n) mean(u)) with u_c = exp(lw_c - max lw) and the
 * n - 1 sample sd, and ESS = (sum u)^2 / sum u^2. A NaN weight gives NaN; a weight of +Infinity gives
 * logMean = +Infinity and NaN for the others.
 */
export function importanceWeightSummary(logWeights: ArrayLike<number>): WeightSummary {
  const n = logWeights.length;
  if (n === 0) throw new RangeError('importanceWeightSummary: no weights');
  let max = -Infinity;
  for (let c = 0; c < n; c++) {
    const x = logWeights[c];
    if (x !== x) return { logMean: NaN, stderr: NaN, effectiveSampleSize: NaN };
    if (x > max) max = x;
  }
  if (max === Infinity) return { logMean: Infinity, stderr: NaN, effectiveSampleSize: NaN };
  if (max === -Infinity) return { logMean: -Infinity, stderr: NaN, effectiveSampleSize: NaN };
  let sum = 0;
  let sumSq = 0;
  for (let c = 0; c < n; c++) {
    const u = Math.exp(logWeights[c] - max);
    sum += u;
    sumSq += u * u;
  }
  const mean = sum / n;
  let ss = 0;
  for (let c = 0; c < n; c++) {
    const d = Math.exp(logWeights[c] - max) - mean;
    ss += d * d;
  }
  const stderr = n > 1 ? Math.sqrt(ss / (n - 1) / n) / mean : NaN;
  return { logMean: max + Math.log(mean), stderr, effectiveSampleSize: (sum * sum) / sumSq };
}

/**
 * Visible biases whose independent model reproduces the per-unit frequencies of binary data:
 * for support [s0, s1] and U_i(v) = -a_i v, P(v_i = s1) / P(v_i = s0) = exp(a_i (s1 - s0)), so
 *
 *     a_i = logit(p_i) / (s1 - s0),   p_i = (count_i(s1) + alpha) / (rows + 2 alpha)
 *
 * (add-alpha smoothing, default alpha = 1, keeps a unit constant in the data at a finite bias).
 * The base model of Salakhutdinov and Murray's AIS. data: rows x n row-major; support [0, 1]
 * (bernoulli, default) or [-1, 1] (spin, pass rbm.visible.support).
 */
export function baseRateVisibleBias(
  data: ArrayLike<number>,
  rows: number,
  n: number,
  options: { readonly support?: readonly number[]; readonly pseudoCount?: number } = {},
): Float64Array {
  const support = options.support ?? [0, 1];
  const alpha = options.pseudoCount ?? 1;
  if (support.length !== 2 || !(support[1] !== support[0])) {
    throw new RangeError(`baseRateVisibleBias: needs a binary support of two values, got [${support.join(', ')}]`);
  }
  if (!(alpha > 0 && Number.isFinite(alpha))) throw new RangeError(`baseRateVisibleBias: pseudoCount must be finite and > 0, got ${alpha}`);
  checkData(data, rows, n, 'baseRateVisibleBias');
  const [s0, s1] = support;
  const counts = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < n; i++) {
      const x = data[r * n + i];
      if (x === s1) counts[i]++;
      else if (x !== s0) {
        throw new RangeError(`baseRateVisibleBias: value ${x} at row ${r}, unit ${i} is not in the support [${s0}, ${s1}]`);
      }
    }
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // logit(p) = log(count + alpha) - log(rows - count + alpha), without forming p
    out[i] = (Math.log(counts[i] + alpha) - Math.log(rows - counts[i] + alpha)) / (s1 - s0);
  }
  return out;
}

/** Forward AIS estimate of log Z (see the file comment). */
export function annealedImportanceSampling(rbm: RBM, options: AisOptions): AisResult {
  const chains = options.chains ?? AIS_DEFAULT_CHAINS;
  requireInteger('chains', chains, 1);
  const setup = prepare(rbm, options);
  // v_0 ~ p_0 exactly: every unit independent, from the base layer at zero input
  const init = new Float64Array(chains * rbm.numVisible);
  for (let c = 0; c < chains; c++) {
    for (let i = 0; i < rbm.numVisible; i++) init[c * rbm.numVisible + i] = setup.baseLayer.sample(i, 0, options.rng);
  }
  const logWeights = anneal(rbm, setup, chains, init, setup.betas, options.rng);
  const summary = importanceWeightSummary(logWeights);
  return result(setup, chains, logWeights, summary, setup.logZBase + summary.logMean, 'forward');
}

/** Reverse AIS from target states to the base: a conservative (high) estimate of log Z. */
export function reverseAnnealedImportanceSampling(rbm: RBM, options: ReverseAisOptions): AisResult {
  const n = rbm.numVisible;
  const init = options.init;
  if (init.length === 0 || init.length % n !== 0) {
    throw new RangeError(`reverse AIS: init has ${init.length} values, not a positive multiple of ${n} visible units`);
  }
  const chains = init.length / n;
  for (let k = 0; k < init.length; k++) {
    if (!Number.isFinite(init[k])) throw new RangeError(`reverse AIS: init value ${k} is not finite: ${init[k]}`);
  }
  const setup = prepare(rbm, options);
  const reversed = Float64Array.from(setup.betas).reverse();
  const logWeights = anneal(rbm, setup, chains, Float64Array.from(init), reversed, options.rng);
  const summary = importanceWeightSummary(logWeights);
  return result(setup, chains, logWeights, summary, setup.logZBase - summary.logMean, 'reverse');
}

/** Mean log-likelihood per row, -F(v) - log Z, with log Z from forward AIS (`aisLogLikelihood`). */
export interface AisLogLikelihood {
  /** mean over rows of -F(v) - log Z_est. */
  readonly logLikelihood: number;
  /** Its standard error: that of log Z (the data term is exact). */
  readonly stderr: number;
  readonly logZ: number;
  /** mean over rows of F(v). */
  readonly meanFreeEnergy: number;
  readonly ais: AisResult;
}

/**
 * Mean log-likelihood of the rows of data (rows x N) with log Z from forward AIS. Forward AIS
 * underestimates log Z on average, so this leans high; see reverseAnnealedImportanceSampling.
 * baseRate: true sets the base visible biases to the data's base rates (binary visibles with a
 * "bias" parameter), which usually shortens the path a lot for trained models.
 */
export function aisLogLikelihood(
  rbm: RBM,
  data: ArrayLike<number>,
  rows: number,
  options: AisOptions & { readonly baseRate?: boolean },
): AisLogLikelihood {
  checkData(data, rows, rbm.numVisible, 'aisLogLikelihood');
  const baseVisible = options.baseRate ? baseRateVisibleParams(rbm, data, rows) : options.baseVisible;
  const ais = annealedImportanceSampling(rbm, { ...options, baseVisible });
  const meanFreeEnergy = meanOf(rbm.freeEnergies(Float64Array.from(data), rows));
  return { logLikelihood: -meanFreeEnergy - ais.logZ, stderr: ais.stderr, logZ: ais.logZ, meanFreeEnergy, ais };
}

/** { bias: base rates } for a binary visible layer with a bias; a clear error otherwise. */
export function baseRateVisibleParams(rbm: RBM, data: ArrayLike<number>, rows: number): { bias: Float64Array } {
  const support = rbm.visible.support;
  if (support === undefined || support.length !== 2 || !('bias' in rbm.visible.params)) {
    throw new RangeError(`AIS base rates need binary visible units with a bias; ${rbm.visible.type} visible units are not`);
  }
  return { bias: baseRateVisibleBias(data, rows, rbm.numVisible, { support }) };
}

// ---------------------------------------------------------------------------------------------

interface Setup {
  readonly betas: Float64Array;
  readonly baseLayer: RBM['visible'];
  readonly baseParams: LayerParams | undefined;
  readonly logZBase: number;
  readonly transition: TransitionName;
  readonly backend: Backend;
}

function prepare(rbm: RBM, options: AisOptions): Setup {
  if (options.rng === undefined) throw new TypeError('AIS: options.rng is required (a seeded stream from createRng)');
  // the path's models b W, 0 <= b <= 1, are normalizable when the target is (the condition of
  // models/checks.ts only tightens as W grows), so this one check covers the whole path
  checkModel(rbm);
  const betas = options.betas !== undefined ? checkBetas(options.betas) : annealingSchedule(options.steps ?? AIS_DEFAULT_STEPS, options.schedule);
  if (!rbm.visible.canSample) throw new Error(`AIS: ${rbm.visible.type} visible units cannot be sampled`);
  const canGibbs = rbm.hidden.canSample;
  const transition = options.transition ?? (canGibbs ? 'gibbs' : 'heatbath');
  if (transition === 'gibbs' && !canGibbs) {
    throw new Error(`AIS: block Gibbs needs a conditional sampler in both layers; ${rbm.hidden.type} units have none (use 'heatbath')`);
  }
  if (transition !== 'gibbs' && transition !== 'heatbath') {
    throw new RangeError(`AIS: unknown transition "${String(transition)}" (known: gibbs, heatbath)`);
  }
  let baseParams: LayerParams | undefined;
  let baseLayer = rbm.visible;
  if (options.baseVisible !== undefined) {
    baseParams = copyParams(rbm.visible.params);
    for (const [name, values] of Object.entries(options.baseVisible)) {
      if (values === undefined) continue;
      if (!(name in baseParams)) {
        throw new RangeError(`AIS: base visible parameter "${name}" is not one of ${rbm.visible.type}'s (${Object.keys(baseParams).join(', ')})`);
      }
      if (values.length !== rbm.numVisible) {
        throw new RangeError(`AIS: base visible parameter "${name}" has ${values.length} entries, expected ${rbm.numVisible}`);
      }
      for (let i = 0; i < values.length; i++) {
        if (!Number.isFinite(values[i])) throw new RangeError(`AIS: base visible "${name}"[${i}] is not finite: ${values[i]}`);
        baseParams[name][i] = values[i];
      }
    }
    baseLayer = rbm.visible.withParams(baseParams); // validates (e.g. positive precisions)
  }
  let logZBase = 0;
  for (const [layer, role] of [
    [baseLayer, 'visible'],
    [rbm.hidden, 'hidden'],
  ] as const) {
    for (let j = 0; j < layer.size; j++) {
      const g = layer.cumulant(j, 0);
      if (!Number.isFinite(g)) throw cumulantOverflowError(layer, role, j, 0, g, 'AIS: the base model (W = 0)');
      logZBase += g;
    }
  }
  if (!Number.isFinite(logZBase)) throw new ModelError(`AIS: log Z of the base model (W = 0) is ${logZBase}: the sum of the units' cumulants at zero input passes float64's range`);
  return { betas, baseLayer, baseParams, logZBase, transition, backend: options.backend ?? defaultBackend() };
}

/** The annealing loop along `path` (b_0 .. b_K, either direction); returns the log weights. */
function anneal(rbm: RBM, setup: Setup, chains: number, init: Float64Array, path: Float64Array, rng: Rng): Float64Array {
  const annealing = new AnnealingPath(rbm, {
    chains,
    init,
    baseVisibleParams: setup.baseParams,
    transition: setup.transition,
    backend: setup.backend,
    rng,
  });
  const logWeights = new Float64Array(chains);
  const K = path.length - 1;
  for (let k = 1; k <= K; k++) {
    annealing.accumulate(path[k - 1], path[k], logWeights);
    if (k < K) annealing.transition(path[k]);
  }
  return logWeights;
}

function result(
  setup: Setup,
  chains: number,
  logWeights: Float64Array,
  summary: WeightSummary,
  logZ: number,
  direction: 'forward' | 'reverse',
): AisResult {
  return {
    logZ,
    stderr: summary.stderr,
    logZBase: setup.logZBase,
    logWeights,
    effectiveSampleSize: summary.effectiveSampleSize,
    chains,
    steps: setup.betas.length - 1,
    direction,
    transition: setup.transition,
    backend: setup.backend.name,
  };
}

function checkBetas(betas: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(betas);
  if (out.length < 2) throw new RangeError(`AIS: betas need at least 2 values (0 and 1), got ${out.length}`);
  if (out[0] !== 0 || out[out.length - 1] !== 1) {
    throw new RangeError(`AIS: betas must start at exactly 0 and end at exactly 1, got ${out[0]} .. ${out[out.length - 1]}`);
  }
  for (let k = 1; k < out.length; k++) {
    if (!(out[k] >= out[k - 1])) throw new RangeError(`AIS: betas must be nondecreasing, but b[${k}] = ${out[k]} < b[${k - 1}] = ${out[k - 1]}`);
  }
  return out;
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new RangeError(`AIS: ${name} must be an integer >= ${min}, got ${value}`);
}
