/**
 * Benchmarks of rbmlab beside the reference tools of ../shared/anchors, in the same run, so that
 * ratios compare like with like on a shared, noisy machine.
 *
 *   npm run bench                 readable table
 *   npm run --silent bench -- --json   one JSON object {"results": [...], "peakRssMiB": ..., "backend": {...}}
 *
 * ratio = how many times faster rbmlab is than the reference (throughputs: rbmlab / reference;
 * times: reference / rbmlab). Options: --quick (fewer sweeps), --only NAME[,NAME] (a workload
 * of WORKLOADS below, or "gpu" for the gpu.js rows of ./gpu.ts, which come last). A flag it does
 * not know, or an unknown workload, is one line on stderr and exit code 2.
 *
 * rbmlab runs on defaultBackend() (backendInfo() is printed with the results). Each workload runs
 * its references before rbmlab's own measurement, and the workloads that use the native backend
 * come last: OpenBLAS's worker threads spin for a while after each product, which would slow a
 * reference process started right after.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { backendInfo, BernoulliLayer, BlockGibbs, cpuBackend, createRng, defaultBackend, exactLogZ, normal, RBM, type Backend } from '@rbmlab/core';
import { denseHeatBathWorkload, enumerationWorkload } from './dense';
import { gpuWorkloads } from './gpu';
import { aisWorkload, pcdWorkload } from './training';
import type { Row } from './row';
import { formatNumber, formatTable } from './table';

/** The workloads --only can name, in the order they run ("gpu": the gpu.js rows, last). */
const WORKLOADS = ['logz-20x32', 'dense-heatbath-1000', 'enumerate-20', 'gibbs-784x500x256', 'pcd1-784x500-b100', 'ais-mnist-784x500', 'gpu'] as const;

/** Bad flags: one line on stderr and exit code 2, before anything runs. */
function usageError(message: string): never {
  process.stderr.write(`bench: ${message} (usage: npm run bench -- [--json] [--quick] [--only ${WORKLOADS.join('|')}[,...]])\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
let json = false;
let quick = false;
let only: Set<string> | undefined;
for (let k = 0; k < args.length; k++) {
  const arg = args[k];
  if (arg === '--json') json = true;
  else if (arg === '--quick') quick = true;
  else if (arg === '--only') {
    const value = args[++k];
    if (value === undefined || value.startsWith('--')) usageError('--only needs a workload name');
    only = new Set(value.split(','));
    const unknown = [...only].filter((name) => !(WORKLOADS as readonly string[]).includes(name));
    if (unknown.length > 0) usageError(`--only: unknown workload ${unknown.join(', ')}`);
  } else usageError(`unknown argument ${arg}`);
}

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const anchors = process.env.RBMLAB_ANCHORS ?? path.resolve(repoRoot, '..', 'shared', 'anchors');

function log(message: string): void {
  process.stderr.write(message + '\n');
}

/** The anchors' Python (numpy + scikit-learn, installed offline by setup.sh), or null. */
function anchorPython(): string | null {
  const setup = path.join(anchors, 'setup.sh');
  if (!existsSync(setup)) {
    log(`bench: no anchors at ${anchors}; reference columns are empty`);
    return null;
  }
  try {
    return execFileSync('bash', [setup], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  } catch {
    log('bench: anchors setup failed (scikit-learn wheels missing?); trying the system python3 with numpy');
    return 'python3';
  }
}

function reference(py: string | null, task: string, extra: string[]): Record<string, number> | null {
  if (py === null) return null;
  try {
    const out = execFileSync(py, [path.join(anchors, 'reference_rbm.py'), task, ...extra], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return JSON.parse(out.trim().split('\n').pop() as string);
  } catch (err) {
    log(`bench: reference ${task} failed: ${(err as Error).message.split('\n')[0]}`);
    return null;
  }
}

/** Exact log Z of a 20 x 32 bernoulli RBM, the anchors' model: W ~ N(0, 1/n), biases 0.1 N(0, 1). */
function logzWorkload(py: string | null): Row[] {
  const n = 20;
  const m = 32;
  const rng = createRng('bench/logz');
  const w = Float64Array.from({ length: n * m }, () => normal(rng) / Math.sqrt(n));
  const rbm = new RBM(
    new BernoulliLayer(n, { bias: Array.from({ length: n }, () => 0.1 * normal(rng)) }),
    new BernoulliLayer(m, { bias: Array.from({ length: m }, () => 0.1 * normal(rng)) }),
    w,
  );
  const ref = reference(py, 'logz', ['--visible', String(n), '--hidden', String(m)]);
  const t0 = process.hrtime.bigint();
  exactLogZ(rbm, { enumerate: 'visible' }); // the anchors enumerate the 2^20 visible states too
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const refSeconds = ref ? ref.seconds : null;
  return [
    {
      workload: 'logz-20x32',
      tool: 'numpy',
      rbmlab: seconds,
      reference: refSeconds,
      unit: 's',
      ratio: refSeconds === null ? null : refSeconds / seconds,
    },
  ];
}

/** Sample-sweeps per second of float32 block Gibbs on a backend (one warm-up sweep). */
function gibbsRate(rbm: RBM, backend: Backend, chains: number, sweeps: number, seed: string): number {
  const chain = new BlockGibbs(rbm, { chains, rng: createRng(seed), precision: 'float32', backend });
  chain.sweep(1); // warm-up
  const t0 = process.hrtime.bigint();
  chain.sweep(sweeps);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return (chains * sweeps) / seconds;
}

/**
 * Bernoulli-Bernoulli block Gibbs, 784 x 500, 256 chains, float32 chains and weights on the
 * default backend: sample-sweeps per second, beside numpy float32 (npgibbs), scikit-learn
 * (BernoulliRBM.gibbs, float64) and rbmlab's own TypeScript reference backend (same precision).
 */
function gibbsWorkload(py: string | null): Row[] {
  const n = 784;
  const m = 500;
  const chains = 256;
  const sweeps = quick ? 20 : 200;
  const rng = createRng('bench/gibbs');
  const rbm = new RBM(new BernoulliLayer(n), new BernoulliLayer(m), Float64Array.from({ length: n * m }, () => 0.01 * normal(rng)));
  const refs = (['npgibbs', 'gibbs'] as const).map((task) =>
    reference(py, task, ['--visible', String(n), '--hidden', String(m), '--chains', String(chains), '--sweeps', String(quick ? 5 : 50)]),
  );
  const backend = defaultBackend();
  const rate = gibbsRate(rbm, backend, chains, sweeps, 'bench/gibbs/chain');
  const note = `rbmlab float32, ${backend.name} backend, ${sweeps} sweeps`;
  const rows: Row[] = (['numpy', 'sklearn'] as const).map((tool, k) => {
    const refRate = refs[k] ? (refs[k] as Record<string, number>).sample_sweeps_per_s : null;
    return { workload: 'gibbs-784x500x256', tool, rbmlab: rate, reference: refRate, unit: 'sample-sweeps/s', ratio: refRate === null ? null : rate / refRate, note };
  });
  if (backend !== cpuBackend) {
    const refRate = gibbsRate(rbm, cpuBackend, chains, quick ? 1 : 4, 'bench/gibbs/chain');
    rows.push({
      workload: 'gibbs-784x500x256',
      tool: 'rbmlab-cpu-reference',
      rbmlab: rate,
      reference: refRate,
      unit: 'sample-sweeps/s',
      ratio: rate / refRate,
      note: `the same float32 chains on rbmlab's TypeScript reference backend`,
    });
  }
  return rows;
}

async function main(): Promise<void> {
  const py = anchorPython();
  const workloads: [Exclude<(typeof WORKLOADS)[number], 'gpu'>, (py: string | null) => Row[]][] = [
    ['logz-20x32', logzWorkload],
    ['dense-heatbath-1000', (py) => denseHeatBathWorkload(py, quick)],
    ['enumerate-20', enumerationWorkload],
    ['gibbs-784x500x256', gibbsWorkload],
    ['pcd1-784x500-b100', (py) => pcdWorkload({ quick, reference: (task, extra) => reference(py, task, extra) })],
    ['ais-mnist-784x500', () => aisWorkload({ quick })],
  ];
  const results: Row[] = [];
  for (const [name, run] of workloads) {
    if (only && !only.has(name)) continue;
    log(`bench: ${name} ...`);
    results.push(...run(py));
  }
  if (!only || only.has('gpu')) {
    // after the CPU workloads: their figures are the reference of the gpu rows
    log('bench: gpu (gpu.js modes) ...');
    const cpuRate = (workload: string) => results.find((r) => r.workload === workload)?.rbmlab ?? null;
    results.push(...(await gpuWorkloads({ quick, cpu: { backend: defaultBackend().name, gibbs: cpuRate('gibbs-784x500x256'), pcd: cpuRate('pcd1-784x500-b100') }, log })));
  }
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  const backend = backendInfo();
  if (json) {
    process.stdout.write(JSON.stringify({ results, peakRssMiB, backend }) + '\n');
    return;
  }
  const header = ['workload', 'tool', 'rbmlab', 'reference', 'unit', 'ratio (x faster)', 'note'];
  const fmt = formatNumber;
  process.stdout.write(formatTable(header, results.map((r) => [r.workload, r.tool, fmt(r.rbmlab), fmt(r.reference), r.unit, fmt(r.ratio), r.note ?? ''])));
  process.stdout.write(`peak RSS of rbmlab's process: ${peakRssMiB.toFixed(0)} MiB\n`);
  process.stdout.write(`default backend: ${backend.name}${backend.detail ? ` (${backend.detail})` : ''}${backend.fallback ? ` (fallback: ${backend.fallback})` : ''}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
