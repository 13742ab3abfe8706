/**
 * Training and evaluation workloads at MNIST's shape (784 visible x 500 hidden bernoulli units):
 *
 * - pcd1-784x500-b100: one epoch of PCD-1 with the Trainer (minibatch 100, 100 persistent chains,
 *   SGD at learning rate 0.05; the Trainer's precision 'float32': products read a float32 mirror
 *   of W and float32 chains and minibatches, on the default backend (on native-openblas: sgemm, or sums
 *   of rows where the states are 0/1 with few 1s; docs/PERFORMANCE.md),
 *   while parameters and the SGD step stay float64) against two references from
 *   ../shared/anchors/reference_rbm.py with the same settings, each run once in the same bench run:
 *   - "numpy" (task `nppcd`): float32 PCD-1 as a careful numpy user writes it: per minibatch the
 *     same six products as rbmlab (hidden means of the data, of the chains before and after their
 *     sweep, the chains' visible inputs, two gradient sums), uniforms from numpy's generator, SGD
 *     on float32 parameters; 100 chains, the rows in order (rbmlab shuffles them each epoch);
 *   - "sklearn" (task `train`): BernoulliRBM.fit, float64, batch_size = 100 chains, five products
 *     per minibatch (it reuses the last negative-phase hidden means for the next chain step).
 *   The data are the anchor's: rows of i.i.d. Bernoulli(0.2) pixels, 10,000 of them (2,000 with
 *   --quick), the same count for all three. Each tool times one epoch after building its data and
 *   model (the first minibatch, with BLAS threads starting, included for all three).
 *   Throughput in training samples per second; ratio = rbmlab / reference.
 * - ais-mnist-784x500: wall time of forward AIS (annealedImportanceSampling, block Gibbs) with
 *   100 chains x 1000 linear steps (100 steps with --quick) on a 784 x 500 model; no reference.
 *   The cost per step does not depend on the weights' values, so the model is seeded random
 *   (W ~ N(0, 0.01^2), visible biases at the base rates of Bernoulli(0.2) rows).
 */
import {
  annealedImportanceSampling,
  BernoulliLayer,
  baseRateVisibleBias,
  bernoulli,
  createRng,
  defaultBackend,
  RBM,
  Trainer,
  type Rng,
} from '@rbmlab/core';
import type { Row } from './row';


export interface TrainingBenchOptions {
  readonly quick: boolean;
  /** Runs a task of reference_rbm.py and returns its JSON, or null when the anchors are missing. */
  readonly reference?: (task: string, extra: string[]) => Record<string, number> | null;
}

const N = 784;
const M = 500;
const PIXEL_ON = 0.2; // bernoulli_data's p in reference_rbm.py

function bernoulliRows(rows: number, rng: Rng): Float64Array {
  const data = new Float64Array(rows * N);
  for (let k = 0; k < data.length; k++) data[k] = bernoulli(rng, PIXEL_ON);
  return data;
}

/** PCD-1 training throughput beside scikit-learn's BernoulliRBM.fit (see the module comment). */
export function pcdWorkload(options: TrainingBenchOptions): Row[] {
  const rows = options.quick ? 2000 : 10000;
  const batch = 100;
  const learningRate = 0.05;
  const rng = createRng('bench/pcd');
  const data = bernoulliRows(rows, rng.split('data'));
  const rbm = RBM.random(new BernoulliLayer(N), new BernoulliLayer(M), rng.split('init'), 0.01);
  // the references first: OpenBLAS threads spinning after rbmlab's products would slow them
  const shape = ['--visible', String(N), '--hidden', String(M), '--batch', String(batch), '--samples', String(rows), '--epochs', '1'];
  const refs = (['nppcd', 'train'] as const).map((task) => options.reference?.(task, shape) ?? null);
  const backend = defaultBackend();
  const trainer = new Trainer(rbm, data, rows, { method: 'pcd', k: 1, batchSize: batch, chains: batch, learningRate, rng: rng.split('trainer'), backend, precision: 'float32' });
  const [record] = trainer.train(1);
  const note = `1 epoch over ${rows} Bernoulli(${PIXEL_ON}) rows, ${batch} chains, sgd lr ${learningRate}; rbmlab Trainer, precision float32, ${backend.name} backend`;
  return (['numpy', 'sklearn'] as const).map((tool, k) => {
    const refRate = refs[k]?.samples_per_s ?? null;
    return {
      workload: 'pcd1-784x500-b100',
      tool,
      rbmlab: record.samplesPerSecond,
      reference: refRate,
      unit: 'samples/s',
      ratio: refRate === null ? null : record.samplesPerSecond / refRate,
      note: tool === 'numpy' ? `${note}; numpy float32 PCD-1 (anchors nppcd)` : note,
    };
  });
}

/** Forward AIS wall time at 784 x 500 (see the module comment). */
export function aisWorkload(options: TrainingBenchOptions): Row[] {
  const chains = 100;
  const steps = options.quick ? 100 : 1000;
  const rng = createRng('bench/ais');
  const data = bernoulliRows(1000, rng.split('data'));
  const rbm = RBM.random(new BernoulliLayer(N), new BernoulliLayer(M), rng.split('init'), 0.01);
  const baseVisible = { bias: baseRateVisibleBias(data, 1000, N) };
  const t0 = process.hrtime.bigint();
  const ais = annealedImportanceSampling(rbm, { chains, steps, schedule: 'linear', baseVisible, rng: rng.split('ais') });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (!Number.isFinite(ais.logZ)) throw new Error(`bench: AIS gave a non-finite log Z (${ais.logZ})`);
  return [
    {
      workload: 'ais-mnist-784x500',
      tool: '-',
      rbmlab: seconds,
      reference: null,
      unit: 's',
      ratio: null,
      note: `forward AIS, ${chains} chains x ${steps} linear steps, block Gibbs, base-rate base model; ${ais.backend} backend`,
    },
  ];
}
