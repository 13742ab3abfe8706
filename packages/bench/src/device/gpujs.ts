/**
 * The gpu.js rows of the device bench (plan.ts has the workloads), through @rbmlab/gpu's public
 * API only: createGpuBackend, GpuBlockGibbs, GpuPcd, GpuDenseHeatBath, backend.destroy().
 *
 * Each row gets its own backend (destroyed after it, so no row depends on another's disposal;
 * main.ts also gives each row its own process), one untimed warm-up call (kernel compilation,
 * first upload) with a read-back, then whole calls until the budget's `minSeconds` have passed,
 * ended by a read-back so that queued device work is counted. Each row also checks its result, so that a
 * broken kernel cannot pass for a fast one: Gibbs' mean visible activity (about 0.5 with
 * W ~ 0.01), PCD's read-back weights finite, the heat bath's states all +-1.
 */
import { BernoulliLayer, bernoulli, createRng, DenseAssociativeMemory, normal, randomPatterns, RBM } from '@rbmlab/core';
import { createGpuBackend, GpuBlockGibbs, GpuDenseHeatBath, GpuPcd, type GpuBackend } from '@rbmlab/gpu';
import { DENSE_BETA, DENSE_POWER, PCD_LEARNING_RATE, PCD_PIXEL_ON, type Workload } from './plan';
import { elapsedSince, timedLoop, type DeviceRow, type RowBudget } from './rows';

/** The RBM's weights, W ~ 0.01 N(0, 1), from a fixed seed. */
function rbmWeights(n: number, m: number): Float64Array {
  const rng = createRng('bench/device/weights');
  return Float64Array.from({ length: n * m }, () => 0.01 * normal(rng));
}

function bernoulliRbm(w: Workload, weights: Float64Array): RBM {
  return new RBM(new BernoulliLayer(w.n), new BernoulliLayer(w.m), Float64Array.from(weights));
}

function mean(x: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < x.length; k++) s += x[k];
  return s / x.length;
}

interface Measured {
  readonly count: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly check: { readonly ok: boolean; readonly what: string };
}

/** Warm-up, timed loop, check: the shape shared by the three kinds. */
function measure(step: () => void, readBack: () => void, check: () => Measured['check'], budget: RowBudget): Measured {
  const t0 = process.hrtime.bigint();
  step();
  readBack();
  const warmupSeconds = elapsedSince(t0);
  const { count, seconds } = timedLoop(step, readBack, budget);
  return { count, seconds, warmupSeconds, check: check() };
}

function gibbsRow(backend: GpuBackend, w: Workload, weights: Float64Array, budget: RowBudget): Measured {
  const chain = new GpuBlockGibbs(backend, bernoulliRbm(w, weights), { chains: w.size, seed: `bench/device/${w.key}` });
  return measure(
    () => chain.sweep(1),
    () => chain.visible(),
    () => {
      const m = mean(chain.visible());
      return { ok: m > 0.4 && m < 0.6, what: `mean visible ${m.toFixed(4)} (expected about 0.5)` };
    },
    budget,
  );
}

function pcdRow(backend: GpuBackend, w: Workload, weights: Float64Array, budget: RowBudget): Measured {
  const dataRng = createRng(`bench/device/${w.key}/data`);
  const data = Float64Array.from({ length: w.size * w.n }, () => bernoulli(dataRng, PCD_PIXEL_ON));
  // the data batch lives on the device (GpuPcd's `data`), as in the PyTorch reference
  const pcd = new GpuPcd(backend, bernoulliRbm(w, weights), { chains: w.size, seed: `bench/device/${w.key}`, batch: w.size, learningRate: PCD_LEARNING_RATE, data });
  return measure(
    () => pcd.step(),
    () => pcd.weights(),
    () => {
      const after = pcd.weights();
      const finite = after.every((x) => Number.isFinite(x));
      let moved = 0;
      for (let k = 0; k < after.length; k++) moved = Math.max(moved, Math.abs(after[k] - weights[k]));
      return { ok: finite && moved > 0, what: `weights finite: ${finite}; max |dW| ${moved.toExponential(2)}` };
    },
    budget,
  );
}

function denseRow(backend: GpuBackend, w: Workload, model: DenseAssociativeMemory, budget: RowBudget): Measured {
  const chain = new GpuDenseHeatBath(backend, model, { chains: w.size, seed: `bench/device/${w.key}` });
  return measure(
    () => chain.heatBath(1),
    () => chain.states(),
    () => {
      const s = chain.states();
      const spins = s.every((x) => x === 1 || x === -1);
      return { ok: spins, what: `states all +-1: ${spins}; mean spin ${mean(s).toFixed(4)}` };
    },
    budget,
  );
}

/** Items per call in the rate's unit: chains (gibbs), batch rows (pcd), chains x N site updates (dense). */
function itemsPerCall(w: Workload): number {
  return w.kind === 'dense' ? w.size * w.n : w.size;
}

/** The dense workload's model, a function of its key alone (the reference reads the same model from a file). */
export function denseModel(w: Workload): DenseAssociativeMemory {
  const patterns = randomPatterns(w.m, w.n, createRng(`bench/device/${w.key}/patterns`));
  return new DenseAssociativeMemory({ patterns, energy: { kind: 'normalized', F: 'power', p: DENSE_POWER }, beta: DENSE_BETA });
}

/**
 * One gpu.js row in `mode` on a backend of its own; the timed loop ends at the budget's deadline
 * at the latest. `withBackend` sees the backend before it is destroyed (the caller reads the GL
 * facts then, while the driver is mapped). Errors become a failed row.
 */
export function gpujsRow(mode: 'headlessgl' | 'webasm' | 'cpu', w: Workload, budget: RowBudget, withBackend: (backend: GpuBackend) => void): DeviceRow {
  const base = { key: w.key, kind: w.kind, tool: `gpujs-${mode}`, unit: w.unit };
  let backend: GpuBackend | undefined;
  try {
    backend = createGpuBackend({ mode });
    withBackend(backend);
    const m =
      w.kind === 'gibbs'
        ? gibbsRow(backend, w, rbmWeights(w.n, w.m), budget)
        : w.kind === 'pcd'
          ? pcdRow(backend, w, rbmWeights(w.n, w.m), budget)
          : denseRow(backend, w, denseModel(w), budget);
    return {
      ...base,
      status: m.check.ok ? 'ok' : 'failed',
      rate: (itemsPerCall(w) * m.count) / m.seconds,
      count: m.count,
      seconds: m.seconds,
      warmupSeconds: m.warmupSeconds,
      check: m.check.what,
      ...(m.check.ok ? {} : { reason: `result check failed: ${m.check.what}` }),
      ...(w.kind === 'pcd' ? { note: 'the data batch stays on the device (GpuPcd data option)' } : {}),
    };
  } catch (err) {
    return { ...base, status: 'failed', reason: String((err as Error)?.message ?? err).split('\n')[0] };
  } finally {
    backend?.destroy();
  }
}
