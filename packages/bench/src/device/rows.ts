/** The device bench's rows and the timing they share. */
import type { WorkloadKind } from './plan';

/** One measured (or skipped, or failed) workload of one tool, as bench-device.json holds it. */
export interface DeviceRow {
  readonly key: string;
  readonly kind: WorkloadKind;
  /** "gpujs-<mode>", or the reference's tool: "torch-cuda", "torch-cpu", "numpy-cpu". */
  readonly tool: string;
  readonly unit: string;
  /** ok: measured and its result check passed; failed: an error or a failed check (reason says which). */
  readonly status: 'ok' | 'skipped' | 'failed';
  readonly reason?: string;
  /** Items per second in `unit` (present where the row was measured). */
  readonly rate?: number;
  /** Timed calls (sweeps or steps) and their seconds, after the untimed warm-up. */
  readonly count?: number;
  readonly seconds?: number;
  readonly warmupSeconds?: number;
  /** What the result check saw. */
  readonly check?: string;
  /** gpu.js rows: the native GL renderer of the process that ran the row, and whether it is NVIDIA's (gl.ts). */
  readonly renderer?: string | null;
  readonly onGpu?: boolean;
  readonly note?: string;
}

/** The time a phase may use: rows start, and timed loops go on, only before `deadline`. */
export interface RowBudget {
  /** Seconds since the run started. */
  now(): number;
  /** Seconds since the run started. */
  readonly deadline: number;
  readonly minSeconds: number;
}

export function elapsedSince(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/**
 * Calls `step` until `budget.minSeconds` have passed or the budget's deadline is reached (at least once),
 * then `finish` (a read-back, so queued device work is inside the time).
 */
export function timedLoop(step: () => void, finish: () => void, budget: RowBudget): { count: number; seconds: number } {
  const t0 = process.hrtime.bigint();
  let count = 0;
  do {
    step();
    count++;
  } while (elapsedSince(t0) < budget.minSeconds && budget.now() < budget.deadline);
  finish();
  return { count, seconds: elapsedSince(t0) };
}
