/**
 * What the device bench measures, and its flags (one source of truth: the usage text is built
 * from DEFAULTS and the size tables below).
 *
 * Workloads, each run by gpu.js and by the reference (PyTorch fp32 on CUDA where it runs, else
 * PyTorch or numpy on the CPU, named as such) with the same sizes and the same work counted:
 *
 *   gibbs  block Gibbs of a bernoulli 784 x bernoulli 500 RBM, W ~ 0.01 N(0, 1), biases 0, from
 *          random chains: one sample-sweep = one chain updated once on both layers,
 *          h ~ Bernoulli(sigmoid(v W + c)), then v ~ Bernoulli(sigmoid(h W^T + b)).
 *          Rate: chains x sweeps / s (sample-sweeps/s).
 *   pcd    PCD-1 training steps of that model on a fixed data batch of B rows of i.i.d.
 *          Bernoulli(0.2) pixels (the anchors' data), B persistent chains, learning rate 0.01:
 *          per step the hidden means of the data, one Gibbs sweep of the chains, their hidden
 *          means, W += lr (D^T a(D) / B - V^T a(V) / B) and the two bias updates.
 *          Rate: B x steps / s (samples/s).
 *   dense  heat bath of a dense associative memory (MODELS.md section 3), normalized F(x) = x^3,
 *          beta = 1, random +-1 patterns: every chain visits sites 0 .. N-1 in order, site i
 *          set to +1 with probability sigmoid(beta Delta_i), Delta_i = sum_mu xi^mu_i D(x_mu -
 *          xi^mu_i s_i), D(a) = c (F(a + 1) - F(a - 1)) from a table, overlaps x kept up to date.
 *          Rate: chains x N x sweeps / s (site-updates/s).
 *
 * Full sizes are issue 13's (the targets below are for an H200); quick sizes keep the same
 * 784 x 500 model but few chains, so that a run on Mesa's CPU rasterizer takes a few minutes.
 */

export type WorkloadKind = 'gibbs' | 'pcd' | 'dense';

export interface Workload {
  /** Stable name, the same in the JSON of both tools, e.g. "gibbs-784x500-c4096". */
  readonly key: string;
  readonly kind: WorkloadKind;
  /** Visible units (gibbs, pcd) or spins (dense). */
  readonly n: number;
  /** Hidden units (gibbs, pcd) or patterns P (dense). */
  readonly m: number;
  /** Chains (gibbs, dense) or batch = persistent chains (pcd). */
  readonly size: number;
  readonly unit: 'sample-sweeps/s' | 'samples/s' | 'site-updates/s';
}

/** Issue 13's targets on an H200 (rates of the gpu.js rows); checked only for rows that ran on a GPU. */
export const TARGETS: Readonly<Record<string, number>> = {
  'gibbs-784x500-c16384': 1_000_000,
  'gibbs-784x500-c256': 100_000,
  'pcd1-784x500-b1000': 100_000,
};

/** PCD's learning rate and the density of its data (the anchors' Bernoulli(0.2) rows). */
export const PCD_LEARNING_RATE = 0.01;
export const PCD_PIXEL_ON = 0.2;
/** The dense model's energy: normalized F(x) = x^p (c = N^(1 - p) / p), at this beta. */
export const DENSE_POWER = 3;
export const DENSE_BETA = 1;

const SIZES = {
  full: { gibbs: [256, 4096, 16384], pcd: [100, 1000], dense: { n: 1000, p: 2000, chains: 1024 } },
  quick: { gibbs: [64, 256], pcd: [32, 100], dense: { n: 100, p: 200, chains: 64 } },
} as const;

const RBM_N = 784;
const RBM_M = 500;

/** The workloads of a run, smallest first within each kind (the budget check extrapolates from the previous row). */
export function workloads(quick: boolean, kinds: readonly WorkloadKind[]): Workload[] {
  const s = quick ? SIZES.quick : SIZES.full;
  const out: Workload[] = [];
  if (kinds.includes('gibbs')) {
    for (const chains of s.gibbs) out.push({ key: `gibbs-${RBM_N}x${RBM_M}-c${chains}`, kind: 'gibbs', n: RBM_N, m: RBM_M, size: chains, unit: 'sample-sweeps/s' });
  }
  if (kinds.includes('pcd')) {
    for (const batch of s.pcd) out.push({ key: `pcd1-${RBM_N}x${RBM_M}-b${batch}`, kind: 'pcd', n: RBM_N, m: RBM_M, size: batch, unit: 'samples/s' });
  }
  if (kinds.includes('dense')) {
    const d = s.dense;
    out.push({ key: `dense-heatbath-N${d.n}-P${d.p}-c${d.chains}`, kind: 'dense', n: d.n, m: d.p, size: d.chains, unit: 'site-updates/s' });
  }
  return out;
}

export interface DeviceBenchOptions {
  readonly quick: boolean;
  /** Seconds for the whole run (gpu.js rows, then the reference); rows that would not fit are skipped. */
  readonly budget: number;
  /** Least seconds of each timed loop (after an untimed warm-up). */
  readonly minSeconds: number;
  /** gpu.js mode of the rows. */
  readonly mode: 'headlessgl' | 'webasm' | 'cpu';
  readonly kinds: readonly WorkloadKind[];
  /** Interpreter of the reference; undefined: the first of DEFAULTS.pythons that exists. */
  readonly python: string | undefined;
  readonly reference: boolean;
  /** Folder of bench-device.json. */
  readonly out: string;
}

export const DEFAULTS = {
  budget: { full: 200, quick: 300 },
  minSeconds: { full: 3, quick: 0.5 },
  mode: 'headlessgl',
  modes: ['headlessgl', 'webasm', 'cpu'],
  kinds: ['gibbs', 'pcd', 'dense'],
  /** RBMLAB_DEVICE_PYTHON, then the device's PyTorch venv (device-kit README), then python3 on PATH. */
  pythons: ['/opt/torch/.venv/bin/python3', '/opt/torch/.venv/bin/python', 'python3'],
  out: '$OUT, else .',
} as const;

export const USAGE = `usage: node packages/bench/bin/device.js [--quick] [--budget SECONDS] [--min-seconds S]
    [--mode ${DEFAULTS.modes.join('|')}] [--only ${DEFAULTS.kinds.join(',')}] [--python PATH] [--no-reference] [--out DIR]
  --quick          small sizes: Gibbs chains ${SIZES.quick.gibbs.join(', ')}; PCD-1 batch ${SIZES.quick.pcd.join(', ')}; dense N ${SIZES.quick.dense.n}, P ${SIZES.quick.dense.p}, ${SIZES.quick.dense.chains} chains
                   (full: Gibbs chains ${SIZES.full.gibbs.join(', ')}; PCD-1 batch ${SIZES.full.pcd.join(', ')}; dense N ${SIZES.full.dense.n}, P ${SIZES.full.dense.p}, ${SIZES.full.dense.chains} chains)
  --budget         seconds for the whole run (default ${DEFAULTS.budget.full}, quick ${DEFAULTS.budget.quick}); rows that would not fit are skipped and listed
  --min-seconds    least seconds per timed loop (default ${DEFAULTS.minSeconds.full}, quick ${DEFAULTS.minSeconds.quick})
  --mode           gpu.js mode of the rows (default ${DEFAULTS.mode}); it must run here, else every row fails with the reason
  --only           workload kinds to run (default all)
  --python         interpreter of the PyTorch / numpy reference (default: $RBMLAB_DEVICE_PYTHON, ${DEFAULTS.pythons.join(', ')})
  --no-reference   gpu.js rows only
  --out            folder of bench-device.json (default ${DEFAULTS.out})`;

/** A bad flag: the CLI prints its message as one line and exits with code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function positive(flag: string, value: string | undefined): number {
  const x = Number(value);
  if (value === undefined || value.trim() === '' || !Number.isFinite(x) || x <= 0) throw new UsageError(`${flag} needs a positive number of seconds, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`);
  return x;
}

function valueOf(flag: string, value: string | undefined): string {
  if (value === undefined || value.startsWith('--')) throw new UsageError(`${flag} needs a value`);
  return value;
}

/** Parses the flags (see USAGE); throws UsageError naming the first bad one. `--help` returns null. */
export function parseDeviceArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): DeviceBenchOptions | null {
  let quick = false;
  let budget: number | undefined;
  let minSeconds: number | undefined;
  let mode: DeviceBenchOptions['mode'] = DEFAULTS.mode;
  let kinds: WorkloadKind[] = [...DEFAULTS.kinds];
  let python = env.RBMLAB_DEVICE_PYTHON || undefined;
  let reference = true;
  let out = env.OUT || '.';
  for (let k = 0; k < argv.length; k++) {
    const flag = argv[k];
    switch (flag) {
      case '--help':
      case '-h':
        return null;
      case '--quick':
        quick = true;
        break;
      case '--budget':
        budget = positive(flag, argv[++k]);
        break;
      case '--min-seconds':
        minSeconds = positive(flag, argv[++k]);
        break;
      case '--mode': {
        const v = valueOf(flag, argv[++k]);
        if (!(DEFAULTS.modes as readonly string[]).includes(v)) throw new UsageError(`--mode must be one of ${DEFAULTS.modes.join(', ')}, got ${v}`);
        mode = v as DeviceBenchOptions['mode'];
        break;
      }
      case '--only': {
        const v = valueOf(flag, argv[++k]).split(',');
        const bad = v.filter((x) => !(DEFAULTS.kinds as readonly string[]).includes(x));
        if (bad.length > 0 || v.length === 0) throw new UsageError(`--only takes ${DEFAULTS.kinds.join(', ')} (comma-separated), got ${bad.join(', ')}`);
        kinds = v as WorkloadKind[];
        break;
      }
      case '--python':
        python = valueOf(flag, argv[++k]);
        break;
      case '--no-reference':
        reference = false;
        break;
      case '--out':
        out = valueOf(flag, argv[++k]);
        break;
      default:
        throw new UsageError(`unknown argument ${flag}`);
    }
  }
  return {
    quick,
    budget: budget ?? (quick ? DEFAULTS.budget.quick : DEFAULTS.budget.full),
    minSeconds: minSeconds ?? (quick ? DEFAULTS.minSeconds.quick : DEFAULTS.minSeconds.full),
    mode,
    kinds,
    python,
    reference,
    out,
  };
}
