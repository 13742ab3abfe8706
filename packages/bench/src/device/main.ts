/**
 * rbmlab's device bench: gpu.js rows and the same workloads in PyTorch fp32 (or the named CPU
 * fallback) in one run, on one machine, with the ratio of each pair. Made for a lent GPU machine
 * reached through ../shared/device-kit (no Node and no network there: `npm run bench:device`
 * packs this checkout and prints the call), and runnable anywhere gpu.js runs.
 *
 *   node packages/bench/bin/device.js [--quick] [--budget S] ...      (plan.ts USAGE)
 *
 * Order: the gpu.js rows first, each in a process of its own (gpujsPhase), until GPU_SHARE of the
 * budget; then the reference in a child process with what is left, less RESERVE_S for the summary. Writes $OUT/bench-device.json
 * (rewritten after every row, so a kill leaves what finished) and ends stdout with the table of
 * ratios (gpu.js rate / reference rate: how many times faster gpu.js is). Exit status: 0 when
 * every row that started ran and passed its check, 1 when a row failed or no reference ran,
 * 2 for bad flags. Rows skipped for the budget are listed, not failures.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { saveDense } from '@rbmlab/core';
import { formatNumber, formatTable } from '../table';
import { glFacts, type GlFacts } from './gl';
import { denseModel, gpujsRow } from './gpujs';
import { parseDeviceArgs, TARGETS, USAGE, UsageError, workloads, type DeviceBenchOptions, type Workload, type WorkloadKind } from './plan';
import { choosePython, runReference, type ReferenceResult } from './reference';
import { elapsedSince, type DeviceRow } from './rows';

/** Fraction of the budget after which no gpu.js row starts (when a reference follows). */
const GPU_SHARE = 0.6;
/** Seconds kept at the end for the JSON and the table. */
const RESERVE_S = 5;
/** Least seconds worth starting the reference with (interpreter, torch import, CUDA start). */
const MIN_REFERENCE_S = 15;
/**
 * A row's timed loop stops this long before the gpu.js deadline (at most a quarter of the time
 * left), so that the call in flight and the read-back can finish; its process is killed at the
 * deadline, which keeps the reference's share of the budget whole.
 */
const ROW_GRACE_S = 10;
/** The environment variable that makes bin/device.js run one row (runRowProcess) instead of main. */
export const ROW_SPEC_ENV = 'RBMLAB_DEVICE_BENCH_ROW_SPEC';

/** What a row's process is asked to do, and where it writes its RowOutcome. */
interface RowSpec {
  readonly key: string;
  readonly quick: boolean;
  readonly mode: DeviceBenchOptions['mode'];
  readonly minSeconds: number;
  /** Seconds from the row process's start after which its timed loop stops. */
  readonly seconds: number;
  readonly out: string;
  readonly result: string;
}

interface RowOutcome {
  readonly row: DeviceRow;
  readonly gl: GlFacts | null;
  readonly backend: { readonly name: string; readonly describe: string } | null;
}

export interface Comparison {
  readonly key: string;
  readonly unit: string;
  readonly gpujs: number | null;
  readonly reference: number | null;
  readonly referenceTool: string | null;
  /** gpu.js rate / reference rate. */
  readonly ratio: number | null;
  /** Issue 13's target for this row on an H200, and whether this run met it (null: not a GPU run, or not measured). */
  readonly target: number | null;
  readonly targetMet: boolean | null;
}

export interface DeviceBenchResult {
  readonly started: string;
  finished?: string;
  elapsedSeconds?: number;
  readonly options: DeviceBenchOptions;
  readonly host: Record<string, unknown>;
  readonly workloads: readonly Workload[];
  gl: GlFacts | null;
  backend: { readonly name: string; readonly describe: string } | null;
  gpujs: DeviceRow[];
  reference: ReferenceResult | null;
  comparison: Comparison[];
}

function log(t0: bigint, line: string): void {
  process.stdout.write(`[bench-device ${elapsedSince(t0).toFixed(1).padStart(6)}s] ${line}\n`);
}

function describeRow(r: DeviceRow): string {
  if (r.status === 'ok') return `${formatNumber(r.rate)} ${r.unit} (${r.count} calls in ${r.seconds?.toFixed(2)} s, warm-up ${r.warmupSeconds?.toFixed(2)} s; ${r.check})`;
  return `${r.status.toUpperCase()}: ${r.reason}`;
}

/** Where this checkout came from: the device kit's MANIFEST line (remote copies have no .git), else git. */
function provenance(repoRoot: string): string | null {
  try {
    return fs.readFileSync(path.join(repoRoot, '.device', 'MANIFEST.txt'), 'utf8').split('\n')[0];
  } catch {
    const git = spawnSync('git', ['-C', repoRoot, 'log', '-1', '--format=%h %cs %s'], { encoding: 'utf8' });
    return git.status === 0 ? `git ${git.stdout.trim()}` : null;
  }
}

export function compare(gpujs: readonly DeviceRow[], reference: ReferenceResult | null, gl: GlFacts | null): Comparison[] {
  return gpujs.map((g) => {
    const ref = reference?.rows.find((r) => r.key === g.key && r.status === 'ok');
    const rate = g.status === 'ok' ? (g.rate as number) : null;
    const refRate = ref?.rate ?? null;
    const target = TARGETS[g.key] ?? null;
    return {
      key: g.key,
      unit: g.unit,
      gpujs: rate,
      reference: refRate,
      referenceTool: reference?.tool ?? null,
      ratio: rate !== null && refRate !== null ? rate / refRate : null,
      target,
      targetMet: target !== null && rate !== null && gl?.onGpu === true ? rate >= target : null,
    };
  });
}

/** The closing summary: what ran where, and a row per workload with its ratio. */
export function summary(result: DeviceBenchResult, jsonPath: string): string {
  const ref = result.reference;
  const refTool = ref?.tool ?? 'reference';
  const lines = [
    `== rbmlab device bench (${result.options.quick ? 'quick' : 'full'} sizes), ${result.started}, ${result.elapsedSeconds?.toFixed(0)} s`,
    `gpu.js:    ${result.gl?.label ?? 'no backend ran'}${result.gl?.kit ? `; device kit variant ${result.gl.kit.variant}` : ''}`,
  ];
  if (ref === null) lines.push('reference: not run (--no-reference)');
  else if (ref.tool === null) lines.push(`reference: NONE ran (${ref.error ?? 'unknown reason'})`);
  else {
    const what = ref.tool === 'torch-cuda' ? `PyTorch ${ref.torch} fp32 on ${ref.device}` : ref.tool === 'torch-cpu' ? `PyTorch ${ref.torch} on the CPU, ${ref.device}` : `numpy ${ref.numpy} on the CPU, ${ref.device} (NOT PyTorch)`;
    lines.push(`reference: ${ref.tool}: ${what}${ref.fallbackReason ? `; ${ref.fallbackReason}` : ''}${ref.error ? `; ${ref.error}` : ''}`);
  }
  const cell = (rate: number | null, row: DeviceRow | undefined) => (rate !== null ? formatNumber(rate) : row === undefined ? '-' : row.status);
  const table = result.comparison.map((c) => {
    const target = c.target === null ? '' : `>= ${formatNumber(c.target)} on an H200: ${c.targetMet === null ? (result.gl?.onGpu ? 'not measured' : 'n/a, not a GPU') : c.targetMet ? 'met' : 'NOT met'}`;
    return [c.key, c.unit, cell(c.gpujs, result.gpujs.find((r) => r.key === c.key)), cell(c.reference, ref?.rows.find((r) => r.key === c.key)), formatNumber(c.ratio), target];
  });
  lines.push(formatTable(['workload', 'unit', 'gpu.js', refTool, `ratio gpu.js/${refTool}`, 'target'], table).trimEnd());
  for (const r of [...result.gpujs, ...(ref?.rows ?? [])]) if (r.status !== 'ok') lines.push(`  ${r.tool} ${r.key}: ${r.status}: ${r.reason}`);
  lines.push(`JSON: ${jsonPath}`);
  return lines.join('\n') + '\n';
}

/** Work of one call, for extrapolating a row's time from the previous row of its kind. */
function workPerCall(w: Workload): number {
  return w.kind === 'dense' ? w.size * w.n * w.m : w.size;
}

/**
 * The gpu.js rows, each in a process of its own (`entry` with ROW_SPEC_ENV set), so that a call
 * that runs far past the budget (a first heat-bath sweep has nothing to extrapolate from) is
 * killed without losing the reference and the table, and a GL driver that crashes takes one row
 * with it. No row starts after `deadline`, and a row's process is killed there; a row whose time
 * predicted from the previous row of its kind (its warm-up, three calls and the timed loop) would
 * pass it is skipped.
 */
function gpujsPhase(opts: DeviceBenchOptions, list: readonly Workload[], entry: string, tmp: string, now: () => number, deadline: number, onRow: (outcome: RowOutcome) => void): void {
  const last = new Map<WorkloadKind, { secondsPerWork: number; warmupSeconds: number }>();
  for (const w of list) {
    const base = { key: w.key, kind: w.kind, tool: `gpujs-${opts.mode}`, unit: w.unit };
    const left = deadline - now();
    const prev = last.get(w.kind);
    const predicted = prev ? prev.warmupSeconds + 3 * prev.secondsPerWork * workPerCall(w) + opts.minSeconds : 0;
    if (left <= 0 || predicted > left) {
      const reason = left <= 0 ? 'the gpu.js share of the budget was spent' : `predicted ${predicted.toFixed(0)} s from the previous ${w.kind} row, ${left.toFixed(0)} s left`;
      onRow({ row: { ...base, status: 'skipped', reason }, gl: null, backend: null });
      continue;
    }
    const spec: RowSpec = { key: w.key, quick: opts.quick, mode: opts.mode, minSeconds: opts.minSeconds, seconds: left - Math.min(ROW_GRACE_S, left / 4), out: opts.out, result: path.join(tmp, `row-${w.key}.out.json`) };
    const specFile = path.join(tmp, `row-${w.key}.json`);
    fs.writeFileSync(specFile, JSON.stringify(spec));
    const limit = left;
    const child = spawnSync(process.execPath, [entry], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, [ROW_SPEC_ENV]: specFile }, timeout: Math.round(limit * 1000), killSignal: 'SIGKILL' });
    let outcome: RowOutcome;
    try {
      outcome = JSON.parse(fs.readFileSync(spec.result, 'utf8')) as RowOutcome;
    } catch {
      const timedOut = (child.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
      const reason = timedOut
        ? `killed after ${limit.toFixed(0)} s, at the end of the gpu.js share of the budget, before its first timed call finished`
        : `the row's process ended without a result (${child.error?.message ?? `exit ${child.status ?? child.signal}`})`;
      outcome = { row: { ...base, status: timedOut ? 'skipped' : 'failed', reason }, gl: null, backend: null };
    }
    const r = outcome.row;
    if (r.status === 'ok') last.set(w.kind, { secondsPerWork: (r.seconds as number) / (r.count as number) / workPerCall(w), warmupSeconds: r.warmupSeconds as number });
    // killed: its warm-up alone took over `limit` seconds, a lower bound that rules out the larger rows of its kind
    else if (r.status === 'skipped') last.set(w.kind, { secondsPerWork: limit / workPerCall(w), warmupSeconds: limit });
    onRow(outcome);
  }
}

/** The row process (ROW_SPEC_ENV names its spec): one gpu.js row, and the GL facts of this process. Returns the exit status. */
export function runRowProcess(specFile: string): number {
  const t0 = process.hrtime.bigint();
  const spec = JSON.parse(fs.readFileSync(specFile, 'utf8')) as RowSpec;
  const w = workloads(spec.quick, ['gibbs', 'pcd', 'dense']).find((x) => x.key === spec.key);
  if (w === undefined) throw new Error(`bench-device: no workload ${spec.key}`);
  let gl: GlFacts | null = null;
  let backend: RowOutcome['backend'] = null;
  const row = gpujsRow(spec.mode, w, { now: () => elapsedSince(t0), deadline: spec.seconds, minSeconds: spec.minSeconds }, (b) => {
    // while the backend lives: its GL driver is mapped into this process
    gl = glFacts(spec.mode, spec.out);
    backend = { name: b.name, describe: b.describe() };
  });
  const outcome: RowOutcome = { row: gl === null ? row : { ...row, renderer: (gl as GlFacts).renderer, onGpu: (gl as GlFacts).onGpu }, gl, backend };
  fs.writeFileSync(spec.result, JSON.stringify(outcome));
  return 0;
}

/** Runs the device bench with command-line arguments; returns the exit status. */
export function main(argv: readonly string[], context: { readonly repoRoot: string; readonly entry: string }): number {
  let options: DeviceBenchOptions | null;
  try {
    options = parseDeviceArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`bench-device: ${err.message} (--help lists the flags)\n`);
    return 2;
  }
  if (options === null) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const opts = options;
  const t0 = process.hrtime.bigint();
  const now = () => elapsedSince(t0);
  fs.mkdirSync(opts.out, { recursive: true });
  const jsonPath = path.join(opts.out, 'bench-device.json');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rbmlab-bench-device-'));
  const list = workloads(opts.quick, opts.kinds);
  const result: DeviceBenchResult = {
    started: new Date().toISOString(),
    options: opts,
    host: { node: process.version, platform: `${os.platform()} ${os.release()} ${os.arch()}`, hostname: os.hostname(), cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, checkout: provenance(context.repoRoot) },
    workloads: list,
    gl: null,
    backend: null,
    gpujs: [],
    reference: null,
    comparison: [],
  };
  const save = () => {
    result.elapsedSeconds = now();
    fs.writeFileSync(jsonPath, JSON.stringify(result, null, 1) + '\n');
  };
  try {
    // the dense workload's model for the reference; the gpu.js row builds the same one from its key
    const denseModelFile = (w: Workload) => {
      const file = path.join(tmp, `${w.key}.json`);
      if (!fs.existsSync(file)) saveDense(file, denseModel(w));
      return file;
    };
    log(t0, `${list.map((w) => w.key).join(', ')}; gpu.js mode ${opts.mode}; budget ${opts.budget} s, timed loops >= ${opts.minSeconds} s; JSON ${jsonPath}`);
    save();

    const gpuDeadline = opts.reference ? opts.budget * GPU_SHARE : opts.budget - RESERVE_S;
    gpujsPhase(opts, list, context.entry, tmp, now, gpuDeadline, (outcome) => {
      if (result.gl === null && outcome.gl !== null) {
        result.gl = outcome.gl;
        result.backend = outcome.backend;
        log(t0, `${outcome.gl.label}; ${outcome.backend?.describe}`);
      }
      result.gpujs.push(outcome.row);
      log(t0, `${outcome.row.tool} ${outcome.row.key}: ${describeRow(outcome.row)}`);
      save();
    });
    if (result.gl === null) result.gl = glFacts(opts.mode, opts.out);

    if (opts.reference) {
      const python = choosePython(opts.python);
      const seconds = opts.budget - now() - RESERVE_S;
      if (seconds < MIN_REFERENCE_S) {
        const reason = `${seconds.toFixed(0)} s of the budget left, under the ${MIN_REFERENCE_S} s a reference run needs`;
        result.reference = { tool: null, python, error: reason, rows: list.map((w) => ({ key: w.key, kind: w.kind, tool: 'reference', unit: w.unit, status: 'skipped', reason })) };
      } else {
        log(t0, `reference: ${python} ${path.join('packages', 'bench', 'python', 'device_reference.py')} (${seconds.toFixed(0)} s)`);
        // the workloads with a gpu.js figure first: with little time left, the pairs matter most
        const measured = (w: Workload) => result.gpujs.some((r) => r.key === w.key && r.status === 'ok');
        const order = [...list.filter(measured), ...list.filter((w) => !measured(w))];
        result.reference = runReference({ repoRoot: context.repoRoot, python, list: order, denseModelFile, minSeconds: opts.minSeconds, seconds, tmp });
      }
    }
    result.comparison = compare(result.gpujs, result.reference, result.gl);
    result.finished = new Date().toISOString();
    save();
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  process.stdout.write(summary(result, jsonPath));
  const failed = [...result.gpujs, ...(result.reference?.rows ?? [])].some((r) => r.status === 'failed');
  return failed || (opts.reference && result.reference?.tool === null) ? 1 : 0;
}
