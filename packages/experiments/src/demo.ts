/**
 * The demo behind `rbmlab demo` (and `npm start`): a small RBM whose statistics are known exactly,
 * sampled by block Gibbs, by the visible heat bath and by exact independent draws, and the three
 * compared with the exact P(v) from enumeration.
 *
 * The model: 6 bernoulli visible units in two groups {v0, v1, v2} and {v3, v4, v5}, 3 relu
 * hidden units. Hidden unit 0 listens to the first group, unit 1 to the second, and unit 2
 * bridges them through v2 and v3; every weight gets seeded Normal(0, 0.1^2) noise. The biases
 * make each group's units mostly off unless the group's hidden unit is active: a ReLU unit
 * couples its group at every order, not only pairwise (MODELS.md §2). Small enough (2^6 states)
 * for the exact P(v), and for a total variation distance that sampling noise alone keeps at a
 * few percent.
 */
import {
  createLayer,
  createRng,
  exactLogZ,
  normal,
  RBM,
  sampleVisibleStates,
  visibleProbabilities,
  type SamplerName,
} from '@rbmlab/core';
import { empiricalDistribution, exactMoments, sampleMoments, samplingNoiseTotalVariation, totalVariation } from './statistics';

/**
 * Options of `rbmlab demo`: the seed (model noise and every stream), chains per sampler, and sweeps per
 * chain.
 */
export interface DemoOptions {
  readonly seed: number;
  /** Independent chains (= samples) per sampler. */
  readonly chains: number;
  /** Sweeps per chain from its random start (Gibbs and heat bath). */
  readonly sweeps: number;
}

/** Statistics of one set of visible states. */
export interface DemoStatistics {
  /** <v_i>. */
  readonly means: number[];
  /** Connected correlations <v_i v_j> - <v_i><v_j> of the pairs in DemoResult.pairs. */
  readonly correlations: number[];
  /** Total variation distance of the empirical P(v) from the exact one (0 for the exact row). */
  readonly totalVariation: number;
}

/**
 * The demo's outcome: the model, its exact log Z (natural log) and statistics, the statistics and
 * states of each sampler, and the total variation that sampling noise alone gives.
 */
export interface DemoResult {
  readonly options: DemoOptions;
  readonly model: RBM;
  readonly logZ: number;
  readonly enumerated: 'visible' | 'hidden';
  /** The pairs (i, j) whose correlations are reported. */
  readonly pairs: ReadonlyArray<readonly [number, number]>;
  readonly exact: DemoStatistics;
  /** Sampled statistics, by sampler. */
  readonly sampled: Readonly<Record<DemoSampler, DemoStatistics>>;
  /** Sampled states by sampler, chains x N row-major. */
  readonly samples: Readonly<Record<DemoSampler, Float64Array>>;
  /** Mean total variation that `chains` exact draws show by chance: the floor for every sampler. */
  readonly noiseTotalVariation: number;
}

/** The samplers the demo compares: block Gibbs, the visible heat bath, exact independent draws. */
export const DEMO_SAMPLERS = ['gibbs', 'heatbath', 'exact'] as const satisfies readonly SamplerName[];
/** One of DEMO_SAMPLERS. */
export type DemoSampler = (typeof DEMO_SAMPLERS)[number];

/** Pairs within each group, across the bridge, and across groups with no shared hidden unit. */
const DEMO_PAIRS: ReadonlyArray<readonly [number, number]> = [
  [0, 1],
  [3, 4],
  [2, 3],
  [0, 5],
  [1, 4],
];

/** The demo model, its weights' noise drawn from `seed`. */
export function demoModel(seed: number): RBM {
  const n = 6;
  const m = 3;
  const visible = createLayer('bernoulli', n, { bias: new Array(n).fill(-2.5) }, 'visible');
  const hidden = createLayer('relu', m, { bias: [-1.5, -1.5, -1.5], gamma: [1, 1, 1] }, 'hidden');
  // rows: visible units; columns: hidden units 0, 1, 2
  const structure = [
    [1.5, 0, 0],
    [1.5, 0, 0],
    [1.5, 0, 1.5],
    [0, 1.5, 1.5],
    [0, 1.5, 0],
    [0, 1.5, 0],
  ];
  const rng = createRng(seed).split('model');
  const weights = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let mu = 0; mu < m; mu++) weights[i * m + mu] = structure[i][mu] + 0.1 * normal(rng);
  return new RBM(visible, hidden, weights);
}

function statistics(
  moments: { means: Float64Array; covariance: Float64Array },
  n: number,
  totalVariationDistance: number,
): DemoStatistics {
  return {
    means: Array.from(moments.means),
    correlations: DEMO_PAIRS.map(([i, j]) => moments.covariance[i * n + j]),
    totalVariation: totalVariationDistance,
  };
}

/** Builds the model, computes its exact statistics and samples it with each sampler. */
export function runDemo(options: DemoOptions): DemoResult {
  const root = createRng(options.seed);
  const model = demoModel(options.seed);
  const n = model.numVisible;
  const support = model.visible.support as readonly number[];
  const { logZ, enumerated } = exactLogZ(model);
  const p = visibleProbabilities(model);
  const exact = statistics(exactMoments(p, n, support), n, 0);
  const sampled = {} as Record<DemoSampler, DemoStatistics>;
  const samples = {} as Record<DemoSampler, Float64Array>;
  for (const sampler of DEMO_SAMPLERS) {
    const states = sampleVisibleStates(model, {
      chains: options.chains,
      sweeps: options.sweeps,
      rng: root.split(sampler),
      sampler,
    });
    samples[sampler] = states;
    const q = empiricalDistribution(states, options.chains, n, support);
    sampled[sampler] = statistics(sampleMoments(states, options.chains, n), n, totalVariation(p, q));
  }
  return {
    options,
    model,
    logZ,
    enumerated,
    pairs: DEMO_PAIRS,
    exact,
    sampled,
    samples,
    noiseTotalVariation: samplingNoiseTotalVariation(p, options.chains),
  };
}
