/**
 * Every default of the CLI, in one place: the parser fills them in and the help text shows them,
 * so `rbmlab <command> --help` cannot drift from what runs.
 */
export const DEFAULTS = {
  run: {
    /** Worker threads for rbmlab run. */
    jobs: 1,
  },
  slurm: {
    /** CPUs per shard task (each shard runs --jobs of them). */
    cpus: 1,
    /** GPUs per shard task with --backend gpu. */
    gpus: 1,
  },
  logz: {
    method: 'exact',
    /** AIS: independent annealing runs, steps of the linear schedule, seed. */
    chains: 100,
    steps: 10000,
    seed: 0,
  },
  train: {
    visible: 'bernoulli',
    hidden: 'bernoulli',
    method: 'pcd',
    /**
     * 'auto': enough epochs for MIN_UPDATES parameter updates, and at least MIN_EPOCHS. With the
     * other defaults this learns on Bars-and-Stripes (14 rows: 2,000 epochs, -6.24 to -4.1 nats)
     * and on 1,000 MNIST digits (20 epochs, -201 to -174), where 10 epochs of sgd at lr 0.01 and
     * batch 100 did not move the log-likelihood at all (test/train-defaults.test.ts).
     */
    epochs: 'auto',
    minUpdates: 2000,
    minEpochs: 10,
    batch: 20,
    lr: 0.01,
    optimizer: 'adam',
    /** A monitored metric that has not improved after max(this, a quarter of the epochs) gets a warning. */
    stallEpochs: 10,
    seed: 0,
    k: 1,
    l1: 0,
    l2: 0,
    /** PT replicas (inverse temperatures evenly spaced from 1 to 0). */
    replicas: 5,
    /** Standard deviation of the initial weights. */
    initScale: 0.01,
  },
  eval: {
    /** AIS (models too large to enumerate): runs, steps, seed. */
    chains: 100,
    steps: 10000,
    seed: 0,
  },
  sample: {
    chains: 100,
    sweeps: 1000,
    seed: 0,
  },
  demo: {
    out: 'out/demo',
    seed: 0,
    chains: 4000,
    sweeps: 50,
  },
  couplings: {
    maxCouplings: 1000000,
  },
} as const;

/** Methods for log Z, in the order of `--method` choices. */
export const LOGZ_METHODS = ['exact', 'ais'] as const;
export type LogZMethod = (typeof LOGZ_METHODS)[number];
