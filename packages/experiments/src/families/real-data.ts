/**
 * `real-data` (issue 19, item 3): which hidden activation models real data best at a fixed number
 * of hidden units, and how the interactions the trained models induce differ by order?
 *
 * Data: scikit-learn's 8 x 8 digits (data/digits.ts: 1,797 digits, binarized at grey level 8) or
 * the MNIST digits the project ships (data/mnist.ts, binarized at 0.5), in their fixed order:
 * the first `train` rows train, the next `test` rows are held out (digits: 1,500 / 297, as the
 * comparison with numpy PCD and scikit-learn's BernoulliRBM in the issue; mnist: 2,000 / 1,000).
 * With split "validation" the model trains on the first 80% of the training rows and is scored on
 * the other 20%, never touching the test rows: that is how the learning rates were tuned.
 *
 * Model: N bernoulli visibles (biases from the training data, as `rbmlab train` starts them),
 * M hidden units of type `hidden` at their default parameters, W ~ Normal(0, 0.01^2); PCD-k with
 * Adam, batch 20, persistent chains = batch, `epochs` epochs, learning rate `lr`, by default the
 * activation's tuned rate (TUNED_LR: the best of 0.001, 0.003, 0.01, 0.03 by validation
 * log-likelihood, experiments/real-data-tuning.json; tuned at M = 16 and used at every M).
 *
 * Metrics:
 *   testLoglik, testLoglik_se  mean log-likelihood per held-out digit, nats, and its standard
 *                  error: exact (se 0) where the model can be enumerated (binary hidden units,
 *                  M <= 20), else forward AIS (aisChains runs x aisSteps steps, base rates as the
 *                  base model's visible biases), whose se is that of log Z;
 *   trainLoglik    the same on the training rows (the same log Z);
 *   exact          1 when the log-likelihoods are exact, 0 for AIS;
 *   J2_rms, J3_rms root mean square of the induced couplings of order 2 and 3 in the bernoulli
 *                  basis (MODELS.md §2), all pairs and 20,000 random triples (core's
 *                  subsetCouplings: exact per subset, no 2^N);
 *   sigma1         the largest singular value of W;
 *   diverged       1 when training stopped at a non-finite step (the other metrics NaN).
 */
import {
  aisLogLikelihood,
  binomial,
  createLayer,
  DivergenceError,
  enumerationSide,
  exactLogLikelihood,
  HIDDEN_UNIT_TYPES,
  normal,
  randomSubset,
  RBM,
  singularValues,
  subsetCouplings,
  Trainer,
  type Dataset,
  type Rng,
} from '@rbmlab/core';
import { loadDigits } from '../data/digits';
import { loadMnist } from '../data/mnist';
import { ParamError, type Experiment, type MetricRow, type Params } from '../study/experiment';

/**
 * Learning rates by activation: for each, the best of 0.001, 0.003, 0.01 and 0.03 by mean
 * validation log-likelihood over 2 seeds on the digits (M = 16, 50 epochs), measured by
 * experiments/real-data-tuning.json (results in experiments/results/real-data-tuning). The
 * winners beat the runners-up by 0.1-0.7 nats, except step (0.01: -20.47, 0.003: -20.60).
 */
export const TUNED_LR: Readonly<Record<string, number>> = {
  bernoulli: 0.003,
  spin: 0.003,
  gaussian: 0.003,
  relu: 0.003,
  drelu: 0.001,
  poisson: 0.003,
  step: 0.01,
};

/** Default training and held-out rows per data set. */
const SPLITS: Readonly<Record<string, { train: number; test: number; total: number }>> = {
  digits: { train: 1500, test: 297, total: 1797 },
  mnist: { train: 2000, test: 1000, total: 10000 },
};

/** Random triples used for J3_rms where there are more (C(64, 3) = 41,664). */
const TRIPLE_SAMPLE = 20_000;

/** The training and scoring rows of a point (module comment). */
export function dataSplit(params: Params): { train: Dataset; score: Dataset } {
  const dataset = params.dataset as string;
  const split = SPLITS[dataset];
  const train = (params.train as number | undefined) ?? split.train;
  const test = (params.test as number | undefined) ?? split.test;
  const all = dataset === 'digits' ? loadDigits(train + test) : loadMnist({ count: train + test });
  const n = all.cols;
  const rows = (from: number, to: number): Dataset => ({ data: all.data.slice(from * n, to * n), rows: to - from, cols: n });
  if (params.split === 'validation') {
    const fit = Math.round(0.8 * train);
    return { train: rows(0, fit), score: rows(fit, train) };
  }
  return { train: rows(0, train), score: rows(train, train + test) };
}

/** Visible biases log(p / (1 - p)) of the data's pixel frequencies, clipped to [0.001, 0.999]. */
function dataBiases(data: Dataset): Float64Array {
  const bias = new Float64Array(data.cols);
  for (let i = 0; i < data.cols; i++) {
    let on = 0;
    for (let r = 0; r < data.rows; r++) on += data.data[r * data.cols + i];
    const p = Math.min(0.999, Math.max(0.001, on / data.rows));
    bias[i] = Math.log(p / (1 - p));
  }
  return bias;
}

/** Root mean square of the order-k couplings (bernoulli basis) over all k-subsets, or over `sample` uniformly random ones when there are more. */
export function couplingRms(rbm: RBM, k: number, sample: number, rng: Rng): number {
  const n = rbm.numVisible;
  const coupling = subsetCouplings(rbm);
  let sumSq = 0;
  let count = 0;
  if (binomial(n, k) > sample) {
    for (let q = 0; q < sample; q++) sumSq += coupling(randomSubset(n, k, rng)) ** 2;
    count = sample;
  } else {
    const s = Array.from({ length: k }, (_, a) => a);
    for (;;) {
      sumSq += coupling(s) ** 2;
      count++;
      let a = k - 1;
      while (a >= 0 && s[a] === n - k + a) a--;
      if (a < 0) break;
      s[a]++;
      for (let b = a + 1; b < k; b++) s[b] = s[b - 1] + 1;
    }
  }
  return Math.sqrt(sumSq / count);
}

function canEnumerate(rbm: RBM): boolean {
  try {
    enumerationSide(rbm);
    return true;
  } catch {
    return false;
  }
}

const METRICS = ['testLoglik', 'testLoglik_se', 'trainLoglik', 'exact', 'J2_rms', 'J3_rms', 'sigma1', 'diverged'];

export const realData: Experiment = {
  name: 'real-data',
  describe: 'each activation trained by PCD on real digits (scikit-learn 8x8 or MNIST): held-out log-likelihood (exact or AIS), induced couplings by order, top singular value',
  params: {
    dataset: { type: 'string', default: 'digits', choices: ['digits', 'mnist'], describe: 'digits: scikit-learn 8x8 (64 pixels); mnist: 28x28 (784 pixels), both binarized' },
    hidden: { type: 'string', default: 'bernoulli', choices: HIDDEN_UNIT_TYPES, describe: 'hidden unit type, the activation' },
    M: { type: 'integer', default: 16, min: 1, max: 1000, describe: 'number of hidden units' },
    split: { type: 'string', default: 'test', choices: ['test', 'validation'], describe: 'score on the held-out test rows, or (tuning) on the last 20% of the training rows' },
    train: { type: 'integer', min: 10, describe: 'training rows (default digits 1500, mnist 2000)' },
    test: { type: 'integer', min: 1, describe: 'held-out rows after them (default digits 297, mnist 1000)' },
    lr: { type: 'number', min: 0, exclusiveMin: true, describe: "Adam's learning rate (default: the activation's tuned rate, TUNED_LR)" },
    epochs: { type: 'integer', default: 50, min: 1, describe: 'training epochs' },
    k: { type: 'integer', default: 1, min: 1, describe: 'Gibbs sweeps per PCD update' },
    aisChains: { type: 'integer', default: 100, min: 2, describe: 'AIS runs (models that cannot be enumerated)' },
    aisSteps: { type: 'integer', default: 1000, min: 1, describe: 'AIS steps of the linear schedule' },
  },
  metrics: () => METRICS,
  check(params: Params): void {
    const split = SPLITS[params.dataset as string];
    const train = (params.train as number | undefined) ?? split.train;
    const test = (params.test as number | undefined) ?? split.test;
    if (train + test > split.total) {
      throw new ParamError('params.train', `train + test = ${train + test} rows, but ${params.dataset} has ${split.total}`, true);
    }
  },
  plan(params: Params) {
    return { lr: (params.lr as number | undefined) ?? TUNED_LR[params.hidden as string] };
  },
  usesBackend: true,
  run(params: Params, { rng, backend }): MetricRow {
    const { train, score } = dataSplit(params);
    const hidden = createLayer(params.hidden as string, params.M as number);
    const visible = createLayer('bernoulli', train.cols, { bias: dataBiases(train) }, 'visible');
    const init = rng.split('init');
    const weights = new Float64Array(train.cols * hidden.size);
    for (let q = 0; q < weights.length; q++) weights[q] = 0.01 * normal(init);
    const rbm = new RBM(visible, hidden, weights);
    const trainer = new Trainer(rbm, train.data, train.rows, {
      method: 'pcd',
      learningRate: (params.lr as number | undefined) ?? TUNED_LR[params.hidden as string],
      batchSize: 20,
      chains: 20,
      k: params.k as number,
      optimizer: { kind: 'adam' },
      rng: rng.split('train'),
      backend,
    });
    try {
      trainer.train(params.epochs as number);
    } catch (err) {
      if (!(err instanceof DivergenceError)) throw err;
      return Object.fromEntries(METRICS.map((m) => [m, m === 'diverged' ? 1 : NaN]));
    }
    let testLoglik: number;
    let testSe: number;
    let trainLoglik: number;
    const exact = canEnumerate(rbm);
    if (exact) {
      testLoglik = exactLogLikelihood(rbm, score.data, score.rows);
      trainLoglik = exactLogLikelihood(rbm, train.data, train.rows);
      testSe = 0;
    } else {
      const ais = aisLogLikelihood(rbm, score.data, score.rows, {
        chains: params.aisChains as number,
        steps: params.aisSteps as number,
        rng: rng.split('ais'),
        baseRate: true,
      });
      testLoglik = ais.logLikelihood;
      testSe = ais.stderr;
      let meanFree = 0;
      const free = rbm.freeEnergies(train.data, train.rows);
      for (let r = 0; r < train.rows; r++) meanFree += free[r] / train.rows;
      trainLoglik = -meanFree - ais.logZ;
    }
    return {
      testLoglik,
      testLoglik_se: testSe,
      trainLoglik,
      exact: exact ? 1 : 0,
      J2_rms: couplingRms(rbm, 2, TRIPLE_SAMPLE, rng.split('pairs')),
      J3_rms: couplingRms(rbm, 3, TRIPLE_SAMPLE, rng.split('triples')),
      sigma1: singularValues(rbm)[0],
      diverged: 0,
    };
  },
};
