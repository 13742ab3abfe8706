/**
 * `interactions` (issue 5, family 3): the statistics, order by order, of the couplings that the
 * hidden layer of an RBM with random Gaussian weights induces among its binary visible units
 * (MODELS.md §2). One trial is one RBM: N visible units with zero bias, M hidden units of type
 * `hidden` with bias theta, W_{i mu} ~ Normal(0, s^2) i.i.d. Summing the hidden units out,
 *
 *     -F(v) = J_0 + sum_S J_S prod_{i in S} z_i,
 *     bernoulli basis (z = v in {0, 1}): J_S = sum_mu sum_{T subset of S} (-1)^{|S|-|T|} Gamma_mu(theta_mu + sum_{i in T} W_{i mu})
 *     spin basis (z = sigma in {-1, +1}, spin visibles): Walsh coefficients of -F
 *
 * and the trial reports, for each order k = 1..K, the mean `J{k}` and the root mean square
 * `J{k}_rms` of J_S over the C(N, k) subsets of order k. The visible biases are zero, so J1 is the
 * induced field alone (a nonzero a_i would add a_i to J_i and nothing to higher orders).
 *
 * Closed forms the study is read against (bernoulli basis, per hidden unit, over the weights):
 *   gaussian (linear, Gamma quadratic): J_ij = sum_mu W_i W_j / gamma, J_S = 0 for |S| >= 3;
 *   poisson (exponential, Gamma = e^x): E[J_S] = e^theta (e^{s^2/2} - 1)^|S|.
 * The hidden unit's parameters besides theta keep their defaults (gamma = 1 for gaussian and
 * relu; drelu gets biasPlus = biasMinus = theta and unit precisions, which is the gaussian unit's
 * potential when both halves agree).
 *
 * At scale (N > 24, up to 200; issue 19): the bernoulli-basis J_S is local (it needs only the rows
 * of W in S), so each is computed exactly by core's subsetCouplings without forming anything of
 * size 2^N. Where C(N, k) <= SUBSET_SAMPLE every k-subset is used; beyond, SUBSET_SAMPLE uniformly
 * random k-subsets (drawn with replacement from the trial's stream "subsets"), whose mean and rms
 * estimate the over-all-subsets ones without bias (mean) and with a relative error of order
 * 1/sqrt(SUBSET_SAMPLE) (rms). The spin-basis coefficients are not local (a hidden unit's
 * coefficient averages over every other site it connects to) and stay limited to N <= 24.
 * For N <= 24 the trial is exactly as before (results of earlier studies are reproduced bit for bit).
 */
import {
  binomial,
  createLayer,
  HIDDEN_UNIT_TYPES,
  inducedCouplings,
  numSubsets,
  randomSubset,
  RBM,
  subsetCouplings,
  DEFAULT_MAX_COUPLINGS,
  type Rng,
  type CouplingBasis,
  type UnitLayer,
} from '@rbmlab/core';
import { ParamError, type Experiment, type MetricRow, type Params } from '../study/experiment';

/** Largest N whose couplings are all listed (inducedCouplings), the spin basis's limit. */
export const LISTED_MAX_N = 24;
/** Subsets of one order used at scale: all of them up to this many, else this many at random. */
export const SUBSET_SAMPLE = 20_000;

/** The highest order reported: maxOrder, capped at N. */
export function interactionOrder(params: Params): number {
  return Math.min(params.maxOrder as number, params.N as number);
}

/** A hidden layer of `size` units of `type` whose field parameters are all `theta`. */
export function hiddenLayerWithBias(type: string, size: number, theta: number): UnitLayer {
  const fill = new Float64Array(size).fill(theta);
  const probe = createLayer(type, 1);
  const params: Record<string, Float64Array> = {};
  // every built-in unit has "bias", except drelu which has one per half
  for (const name of ['bias', 'biasPlus', 'biasMinus']) if (name in probe.params) params[name] = fill;
  return createLayer(type, size, params);
}

/** Mean and root mean square of an array. */
function meanAndRms(values: Float64Array): { mean: number; rms: number } {
  let sum = 0;
  let sumSq = 0;
  for (let q = 0; q < values.length; q++) {
    sum += values[q];
    sumSq += values[q] * values[q];
  }
  return { mean: sum / values.length, rms: Math.sqrt(sumSq / values.length) };
}

export const interactions: Experiment = {
  name: 'interactions',
  describe:
    'Induced couplings J_S of an RBM with weights N(0, s^2), by order k = |S|: mean J{k} and rms J{k}_rms over the C(N, k) subsets (MODELS.md §2)',
  params: {
    N: { type: 'integer', default: 8, min: 1, max: 200, describe: `number of visible units (visible biases are zero); beyond ${LISTED_MAX_N} bernoulli basis only, ${SUBSET_SAMPLE} random subsets per order where there are more` },
    M: { type: 'integer', default: 10, min: 1, max: 10_000, describe: 'number of hidden units' },
    s: { type: 'number', default: 0.5, min: 0, describe: 'weight scale: W_{i mu} ~ Normal(0, s^2) i.i.d.' },
    theta: { type: 'number', default: 0, min: -50, max: 50, describe: 'hidden bias theta of every unit (drelu: biasPlus = biasMinus = theta)' },
    hidden: {
      type: 'string',
      default: 'poisson',
      choices: HIDDEN_UNIT_TYPES,
      describe: 'hidden unit type, the activation: gaussian = linear, step, relu, poisson = exponential, bernoulli, spin, drelu',
    },
    maxOrder: { type: 'integer', default: 4, min: 1, max: 24, describe: 'highest coupling order K reported (capped at N): metrics J1..J{K}' },
    basis: {
      type: 'string',
      default: 'bernoulli',
      choices: ['bernoulli', 'spin'],
      describe: 'visible encoding and expansion: bernoulli v in {0,1} (MODELS.md §2) or spin sigma in {-1,+1} (Walsh coefficients)',
    },
  },
  metrics(params: Params): string[] {
    const out: string[] = [];
    for (let k = 1; k <= interactionOrder(params); k++) out.push(`J${k}`, `J${k}_rms`);
    return out;
  },
  check(params: Params): void {
    if ((params.N as number) > LISTED_MAX_N) {
      if (params.basis === 'spin') {
        throw new ParamError('params.basis', `spin-basis couplings are not local and are computed for N <= ${LISTED_MAX_N} only; use basis "bernoulli" at N = ${params.N}`, true);
      }
      return;
    }
    const count = numSubsets(params.N as number, interactionOrder(params));
    if (count > DEFAULT_MAX_COUPLINGS) {
      throw new ParamError('params.maxOrder', `couplings up to order ${interactionOrder(params)} of ${params.N} units number ${count}, more than ${DEFAULT_MAX_COUPLINGS}; lower it`);
    }
  },
  run(params: Params, context): MetricRow {
    const n = params.N as number;
    const basis = params.basis as CouplingBasis;
    const order = interactionOrder(params);
    const visible = createLayer(basis, n, {}, 'visible');
    const hidden = hiddenLayerWithBias(params.hidden as string, params.M as number, params.theta as number);
    const rbm = RBM.random(visible, hidden, context.rng.split('weights'), params.s as number);
    if (n > LISTED_MAX_N) return couplingsAtScale(rbm, order, context.rng.split('subsets'));
    const couplings = inducedCouplings(rbm, order, { basis });
    const row: Record<string, number> = {};
    for (let k = 1; k <= order; k++) {
      const { mean, rms } = meanAndRms(couplings.byOrder[k]);
      row[`J${k}`] = mean;
      row[`J${k}_rms`] = rms;
    }
    return row;
  },
};

/** Every k-subset of {0..n-1} in lexicographic order (for C(n, k) <= SUBSET_SAMPLE). */
function* allSubsets(n: number, k: number): Generator<number[]> {
  const s = Array.from({ length: k }, (_, a) => a);
  for (;;) {
    yield s.slice();
    let a = k - 1;
    while (a >= 0 && s[a] === n - k + a) a--;
    if (a < 0) return;
    s[a]++;
    for (let b = a + 1; b < k; b++) s[b] = s[b - 1] + 1;
  }
}

/** J{k} and J{k}_rms at N > LISTED_MAX_N from all subsets or SUBSET_SAMPLE random ones (module comment). */
function couplingsAtScale(rbm: RBM, order: number, rng: Rng): MetricRow {
  const n = rbm.numVisible;
  const coupling = subsetCouplings(rbm);
  const row: Record<string, number> = {};
  for (let k = 1; k <= order; k++) {
    const sampled = binomial(n, k) > SUBSET_SAMPLE;
    const values = new Float64Array(sampled ? SUBSET_SAMPLE : binomial(n, k));
    if (sampled) for (let q = 0; q < values.length; q++) values[q] = coupling(randomSubset(n, k, rng));
    else {
      let q = 0;
      for (const sites of allSubsets(n, k)) values[q++] = coupling(sites);
    }
    const { mean, rms } = meanAndRms(values);
    row[`J${k}`] = mean;
    row[`J${k}_rms`] = rms;
  }
  return row;
}
