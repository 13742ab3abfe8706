/**
 * The reference half of the device bench: packages/bench/python/device_reference.py run as a
 * child process on the same workloads (PyTorch fp32 on CUDA where it runs; else PyTorch or numpy
 * on the CPU, and the result says which and why). It reads a spec file written here and writes
 * its result file after every row; both live in a temporary folder, not in $OUT (the device
 * machine sends back at most 8 files).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULTS, PCD_LEARNING_RATE, PCD_PIXEL_ON, DENSE_BETA, type Workload } from './plan';
import type { DeviceRow } from './rows';

export interface ReferenceResult {
  /** "torch-cuda", "torch-cpu", "numpy-cpu", or null where nothing ran. */
  readonly tool: string | null;
  /** The interpreter that ran (its sys.executable), or the one tried.  */
  readonly python: string;
  readonly device?: string;
  readonly torch?: string | null;
  readonly cuda?: string | null;
  readonly numpy?: string;
  /** Why the reference is not PyTorch on CUDA, where it is not. */
  readonly fallbackReason?: string;
  /** Where nothing could run: why. */
  readonly error?: string;
  readonly rows: DeviceRow[];
  readonly [more: string]: unknown;
}

/**
 * The interpreter: the one asked for, else the device's PyTorch venv where it exists, else
 * python3 on PATH (DEFAULTS.pythons).
 */
export function choosePython(asked: string | undefined): string {
  if (asked !== undefined) return asked;
  return DEFAULTS.pythons.find((p) => !path.isAbsolute(p) || fs.existsSync(p)) as string;
}

/**
 * The environment of the child: the caller's, less the device kit's private X/GL prefix
 * ($RBM_WORK/lib and bin, put first on LD_LIBRARY_PATH and PATH for Node's GL): PyTorch must load
 * the system's and the driver's libraries, as it does outside the kit.
 */
function childEnv(): NodeJS.ProcessEnv {
  const work = process.env.RBM_WORK;
  if (work === undefined || work === '') return process.env;
  const strip = (v: string | undefined) => v?.split(':').filter((p) => p !== '' && !p.startsWith(work + '/') && p !== work).join(':');
  return { ...process.env, LD_LIBRARY_PATH: strip(process.env.LD_LIBRARY_PATH), PATH: strip(process.env.PATH) };
}

/**
 * Runs the reference on `list` with `seconds` to spend (it stops starting rows a few seconds
 * before, and is killed at the limit; what it finished is kept). `denseModelFile` gives the path
 * of the dense workload's model (written by the caller, the same model as the gpu.js row).
 */
export function runReference(options: {
  readonly repoRoot: string;
  readonly python: string;
  readonly list: readonly Workload[];
  readonly denseModelFile: (w: Workload) => string;
  readonly minSeconds: number;
  readonly seconds: number;
  readonly tmp: string;
}): ReferenceResult {
  const { python, list } = options;
  const script = path.join(options.repoRoot, 'packages', 'bench', 'python', 'device_reference.py');
  const specFile = path.join(options.tmp, 'reference-spec.json');
  const resultFile = path.join(options.tmp, 'reference-result.json');
  const workloads = list.map((w) => ({
    ...w,
    ...(w.kind === 'pcd' ? { learningRate: PCD_LEARNING_RATE, pixelOn: PCD_PIXEL_ON } : {}),
    ...(w.kind === 'dense' ? { model: options.denseModelFile(w), beta: DENSE_BETA } : {}),
  }));
  // rows start only before the deadline; the kill comes 5 s after it (plus a row's overshoot)
  const deadlineSeconds = Math.max(1, options.seconds - 10);
  fs.writeFileSync(specFile, JSON.stringify({ minSeconds: options.minSeconds, deadlineSeconds, seed: 0, workloads }, null, 1));
  const run = spawnSync(python, [script, specFile, resultFile], { stdio: ['ignore', 'inherit', 'inherit'], timeout: Math.round(options.seconds * 1000), killSignal: 'SIGKILL', env: childEnv() });
  let result: ReferenceResult | undefined;
  try {
    result = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as ReferenceResult;
  } catch {
    // the child wrote nothing: the reason is below
  }
  const failure =
    run.error !== undefined
      ? (run.error as NodeJS.ErrnoException).code === 'ETIMEDOUT'
        ? `killed after ${options.seconds.toFixed(0)} s (its share of the budget)`
        : `${python} did not start: ${run.error.message}`
      : run.status !== 0
        ? `${path.basename(script)} exited with ${run.status ?? run.signal}`
        : undefined;
  const rows = result?.rows ?? [];
  const tool = result?.tool ?? null;
  // rows the child never reached (killed, or it failed before them)
  const missing: DeviceRow[] = list
    .filter((w) => !rows.some((r) => r.key === w.key))
    .map((w) => ({ key: w.key, kind: w.kind, tool: tool ?? 'reference', unit: w.unit, status: failure?.startsWith('killed') ? 'skipped' : 'failed', reason: failure ?? 'not reached' }));
  return { ...(result ?? {}), tool, python: result?.python ?? python, rows: [...rows, ...missing], ...(failure !== undefined && result?.error === undefined ? { error: failure } : {}) };
}
