/**
 * Throughput of the gpu.js kernels per mode, for packages/bench (Node only: it opens backends
 * with createGpuBackend). The workloads are the bench's CPU ones:
 *   gibbs-784x500x256  bernoulli x bernoulli block Gibbs, 784 x 500, 256 chains, on the device
 *                      (pipeline mode; random numbers made in the kernels, nothing uploaded per
 *                      sweep), in sample-sweeps per second (chains x sweeps / s);
 *   pcd1-784x500-b100  PCD-1 steps, 784 x 500 bernoulli, a data batch of 100 rows kept on the
 *                      device, 100 persistent chains, weights and biases updated on the device, in
 *                      samples per second (batch x steps / s).
 * Each timing runs whole sweeps (steps) until `minSeconds` have passed, after one untimed warm-up
 * call (kernel compilation), and ends with a read-back, so queued device work is counted.
 */
import { BernoulliLayer, createRng, normal, RBM } from '@rbmlab/core';
import type { GpuMode } from './backend';
import { GpuBlockGibbs } from './gibbs';
import { createGpuBackend, gpuAvailability } from './node';
import { GpuPcd } from './pcd';

/**
 * One timing of `gpuBenchmarks`: workload, backend and mode, rate with its unit, count, seconds and device.
 */
export interface GpuBenchRow {
  readonly workload: 'gibbs-784x500x256' | 'pcd1-784x500-b100';
  /** The backend that ran, e.g. "gpujs-headlessgl". */
  readonly backend: string;
  readonly mode: GpuMode;
  /** sample-sweeps/s (gibbs) or samples/s (pcd1). */
  readonly rate: number;
  readonly unit: 'sample-sweeps/s' | 'samples/s';
  /** Sweeps (gibbs) or steps (pcd1) timed, and their seconds. */
  readonly count: number;
  readonly seconds: number;
  /** The backend's describe(): mode and device. */
  readonly device: string;
}

/** Options of `gpuBenchmarks`: the modes, the least seconds per timing, quick runs, and a progress log. */
export interface GpuBenchOptions {
  /** Modes to run; default every mode gpuAvailability() finds here. */
  readonly modes?: readonly GpuMode[];
  /** Least seconds per timing; default 3 (quick: 0.5). */
  readonly minSeconds?: number;
  readonly quick?: boolean;
  /** Progress lines (default none). */
  readonly log?: (line: string) => void;
}

function seconds(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Runs `step` until `minSeconds` pass, then `finish` (a read-back); returns the count and seconds. */
function timed(step: () => void, finish: () => void, minSeconds: number): { count: number; seconds: number } {
  const t0 = process.hrtime.bigint();
  let count = 0;
  do {
    step();
    count++;
  } while (seconds(t0) < minSeconds);
  finish();
  return { count, seconds: seconds(t0) };
}

/** Gibbs and PCD-1 throughput of every requested mode (see the file comment). */
export async function gpuBenchmarks(options: GpuBenchOptions = {}): Promise<GpuBenchRow[]> {
  const modes = options.modes ?? gpuAvailability().modes;
  const minSeconds = options.minSeconds ?? (options.quick ? 0.5 : 3);
  const log = options.log ?? (() => undefined);
  const n = 784;
  const m = 500;
  const rng = createRng('bench/gpu/weights');
  const weights = Float64Array.from({ length: n * m }, () => 0.01 * normal(rng));
  const dataRng = createRng('bench/gpu/data');
  const data = Float64Array.from({ length: 100 * n }, () => (dataRng.uniform() < 0.13 ? 1 : 0));
  const rows: GpuBenchRow[] = [];
  for (const mode of modes) {
    const backend = createGpuBackend({ mode });
    try {
      const device = backend.describe();
      log(`gpu bench: ${backend.name} gibbs-784x500x256`);
      const rbm = new RBM(new BernoulliLayer(n), new BernoulliLayer(m), Float64Array.from(weights));
      const chain = new GpuBlockGibbs(backend, rbm, { chains: 256, seed: 'bench/gpu/gibbs' });
      chain.sweep(1);
      chain.visible();
      const g = timed(() => chain.sweep(1), () => chain.visible(), minSeconds);
      rows.push({ workload: 'gibbs-784x500x256', backend: backend.name, mode, rate: (256 * g.count) / g.seconds, unit: 'sample-sweeps/s', count: g.count, seconds: g.seconds, device });

      log(`gpu bench: ${backend.name} pcd1-784x500-b100`);
      const model = new RBM(new BernoulliLayer(n), new BernoulliLayer(m), Float64Array.from(weights));
      const pcd = new GpuPcd(backend, model, { chains: 100, seed: 'bench/gpu/pcd', batch: 100, learningRate: 0.01, data });
      pcd.step();
      pcd.weights();
      const p = timed(() => pcd.step(), () => pcd.weights(), minSeconds);
      rows.push({ workload: 'pcd1-784x500-b100', backend: backend.name, mode, rate: (100 * p.count) / p.seconds, unit: 'samples/s', count: p.count, seconds: p.seconds, device });
    } finally {
      backend.destroy();
    }
  }
  return rows;
}
