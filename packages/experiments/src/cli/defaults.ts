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
    epochs: 10,
    batch: 100,
    lr: 0.01,
    optimizer: 'sgd',
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
