/**
 * The `retrieval` family on a device (a backend with denseDynamics: @rbmlab/gpu) against its CPU
 * path, and the `recalls` parameter. Oracles:
 * - T = 0 is deterministic given the start and the site orders, which both paths draw from the
 *   same streams, and the device sums Delta exactly for these models: the rows must be identical,
 *   trial for trial, in gpu.js's cpu mode and in headlessgl where it runs.
 * - T > 0: the heat bath's uniforms differ (the device's counters, the CPU's stream), so the mean
 *   |m| over R recalls of the Curie-Weiss magnet (P = 1) is compared with its exact value by
 *   z-tests (stated false-failure rate).
 * - recalls: the trial's metrics are the means of the recalls computed here, one by one, with
 *   core's DenseDynamics.
 */
import { createRng, DenseAssociativeMemory, DenseDynamics, cpuBackend, randomPatterns, type Backend } from '@rbmlab/core';
import { gpuAvailability, type GpuBackend, type GpuMode } from '@rbmlab/gpu';
import { backendFor } from '../../gpu/test/helpers';
import { absoluteOverlap, corruptPattern, retrieval } from '../src/families/retrieval';
import type { MetricRow } from '../src/study/experiment';
import { resolveParams } from '../src/study/params';
import { resultsLayout } from '../src/study/results';
import { checkBackendFamily } from '../src/study/runner';
import { parseStudy } from '../src/study/study';
import { runTrial } from '../src/study/trial';

const MODES: GpuMode[] = ['cpu', ...(gpuAvailability().modes.includes('headlessgl') ? (['headlessgl'] as GpuMode[]) : [])];
// one backend per mode and test file, destroyed after it (the gpu package's test helper)
const device = (mode: GpuMode): GpuBackend => backendFor(mode);

const cpu: Backend = cpuBackend;

/** log C(n, k). */
function logChoose(n: number, k: number): number {
  let s = 0;
  for (let j = 1; j <= k; j++) s += Math.log((n - k + j) / j);
  return s;
}

async function trials(fixed: Record<string, unknown>, seeds: readonly number[], backend: Backend): Promise<MetricRow[]> {
  const params = resolveParams(retrieval, fixed);
  const rows: MetricRow[] = [];
  for (const seed of seeds) rows.push(...(await runTrial(retrieval, params, seed, backend)));
  return rows;
}

describe.each(MODES)('gpu.js mode %s', (mode) => {
  // odd and even N (even N has exact ties Delta_i = 0, which keep the spin), loads below and above
  // capacity, so that trials reach retrieval states and spurious ones after several sweeps
  const models: Record<string, unknown>[] = [
    { model: 'hopfield', N: 37, alpha: 0.14, noise: 0.2 },
    { model: 'hopfield', N: 36, alpha: 0.3, noise: 0.3 },
    { model: 'rbm', hidden: 'gaussian', N: 37, alpha: 0.2, noise: 0.25 },
    { model: 'dense', p: 3, N: 29, P: 12, noise: 0.3 },
  ];

  test.each(models)('T = 0, %o: the device reaches exactly the CPU fixed points, trial for trial', async (fixed) => {
    const seeds = [0, 1, 2, 3, 4, 5];
    for (const extra of [{}, { recalls: 5 }]) {
      const onCpu = await trials({ ...fixed, ...extra, sweeps: 50 }, seeds, cpu);
      const onDevice = await trials({ ...fixed, ...extra, sweeps: 50 }, seeds, device(mode));
      expect(onDevice).toEqual(onCpu);
      // not a trivial agreement: the dynamics moved the corrupted starts
      expect(onCpu.every((r) => r.sweeps_run >= 2)).toBe(true);
      expect(onCpu.some((r) => r.overlap !== r.overlap_start)).toBe(true);
    }
  });

  test('T > 0: mean |m| of 400 recalls matches the exact Curie-Weiss value at N = 60, on the device and on the CPU for hopfield and rbm-gaussian (z-tests, |z| < 5: false failure below 6e-7 each)', async () => {
    // P = 1 is the Curie-Weiss magnet, E = -N m^2 / 2: P(m) ∝ C(N, k) exp(b N m^2 / 2), m = (2k - N) / N,
    // so E|m| is an exact sum. Recalls are independent chains from |m| = 0.8 (near the mode), 30
    // sweeps; the sample sd of |m| over recalls gives the sd of the mean. A device at T = 0.85
    // instead of 0.8 measured z of -6.7 to -7.6 against the CPU here (three seeds).
    const N = 60;
    const T = 0.8;
    const recalls = 400;
    const logw = Array.from({ length: N + 1 }, (_, k) => logChoose(N, k) + (N * ((2 * k - N) / N) ** 2) / (2 * T));
    const top = Math.max(...logw);
    const z = logw.reduce((a, l) => a + Math.exp(l - top), 0);
    const exact = logw.reduce((a, l, k) => a + (Math.exp(l - top) * Math.abs(2 * k - N)) / N, 0) / z;
    // rbm with gaussian hidden units is the same model: on the CPU by VisibleHeatBath, on the device as Hopfield
    for (const model of [{ model: 'hopfield' }, { model: 'rbm', hidden: 'gaussian' }]) {
      const fixed = { ...model, N, P: 1, noise: 0.1, temperature: T, sweeps: 30, recalls };
      const [a] = await trials(fixed, [11], cpu);
      const [b] = await trials(fixed, [11], device(mode));
      expect(b.overlap_start).toBe(a.overlap_start);
      expect(b.sweeps_run).toBe(30);
      for (const row of [a, b]) expect(Math.abs((row.overlap - exact) / (row.overlap_sd / Math.sqrt(recalls)))).toBeLessThan(5);
      expect(Math.abs((b.overlap - a.overlap) / Math.sqrt((a.overlap_sd ** 2 + b.overlap_sd ** 2) / recalls))).toBeLessThan(5);
      // the heat bath moved the chains: |m| spreads over the recalls
      expect(b.overlap_sd).toBeGreaterThan(0.05);
    }
  });
});

describe('recalls', () => {
  test('the metrics are the means over recalls r from pattern r mod P, each computed here with DenseDynamics', async () => {
    const N = 31;
    const P = 6;
    const recalls = 7;
    const seed = 3;
    const [row] = await trials({ N, P, noise: 0.3, sweeps: 40, recalls }, [seed], cpu);
    const rng = createRng(seed);
    const patterns = randomPatterns(P, N, rng.split('patterns'));
    const model = new DenseAssociativeMemory({ patterns, energy: { kind: 'normalized', F: 'power', p: 2 } });
    const m: number[] = [];
    const m0: number[] = [];
    const sweeps: number[] = [];
    for (let r = 0; r < recalls; r++) {
      const start = corruptPattern(patterns[r % P], Math.round(0.3 * N), rng.split(r === 0 ? 'start' : `start-${r}`));
      // T = 0: every recall sweeps in the same orders, a fresh copy of the 'dynamics' stream
      const d = new DenseDynamics(model, { chains: 1, rng: rng.split('dynamics'), init: start, order: 'random' });
      sweeps.push(d.relax(40).sweeps);
      m.push(absoluteOverlap(patterns[r % P], d.spins));
      m0.push(absoluteOverlap(patterns[r % P], start));
    }
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    expect(row.overlap).toBeCloseTo(mean(m), 14);
    expect(row.overlap_start).toBeCloseTo(mean(m0), 14);
    expect(row.sweeps_run).toBeCloseTo(mean(sweeps), 14);
    expect(row.overlap_sd).toBeCloseTo(Math.sqrt(mean(m.map((x) => (x - mean(m)) ** 2))), 14);
    // at 30% noise and alpha = 0.19 the recalls end at different overlaps
    expect(new Set(m).size).toBeGreaterThan(1);
  });

  test('recalls: 1 is the trial without recalls, plus overlap_sd = 0', async () => {
    for (const temperature of [0, 0.4]) {
      const fixed = { model: 'rbm', hidden: 'relu', N: 30, alpha: 0.1, noise: 0.2, sweeps: 8, temperature };
      const [plain] = await trials(fixed, [5], cpu);
      const [one] = await trials({ ...fixed, recalls: 1 }, [5], cpu);
      expect(one).toEqual({ ...plain, overlap_sd: 0 });
      expect(Object.keys(plain)).toEqual(['overlap', 'overlap_start', 'sweeps_run']);
    }
  });

  test('the recalls column is in results.csv only when a point gives recalls', () => {
    const study = (params: Record<string, unknown>) => parseStudy({ name: 's', experiment: 'retrieval', seed: 1, trials: 1, params: { N: 20, ...params }, grid: { alpha: [0.1] } });
    const without = resultsLayout(study({}));
    expect(without.columns).toEqual(['N', 'alpha', 'P', 'model', 'hidden', 'energy', 'F', 'p', 'temperature', 'noise', 'sweeps', 'trial', 'seed', 'overlap', 'overlap_start', 'sweeps_run']);
    const withRecalls = resultsLayout(study({ recalls: 4 }));
    expect(withRecalls.columns).toEqual(['N', 'alpha', 'P', 'model', 'hidden', 'energy', 'F', 'p', 'temperature', 'noise', 'sweeps', 'recalls', 'trial', 'seed', 'overlap', 'overlap_start', 'sweeps_run', 'overlap_sd']);
  });
});

describe('--backend gpu refusals (one line, before any work)', () => {
  const study = (params: Record<string, unknown>, grid: Record<string, unknown[]> = { alpha: [0.1] }, experiment = 'retrieval') =>
    parseStudy({ name: 's', experiment, seed: 1, trials: 1, params, grid });

  test('a point with rbm hidden units other than gaussian names the point and why', () => {
    const s = study({ N: 20, model: 'rbm' }, { hidden: ['gaussian', 'relu'], alpha: [0.1] });
    expect(() => checkBackendFamily(s, 'cpu')).not.toThrow();
    expect(() => checkBackendFamily(s, 'gpu')).toThrow(
      /^--backend gpu: the retrieval family cannot run on the device at hidden=relu, alpha=0\.1: model rbm with relu hidden units has no device kernel \(.*\); run it with --backend cpu$/,
    );
    expect(() => checkBackendFamily(study({ N: 20, model: 'rbm' }), 'gpu')).not.toThrow();
    expect(() => checkBackendFamily(study({ N: 20, model: 'dense', p: 4 }), 'gpu')).not.toThrow();
  });

  test("a size beyond the device's tables is refused with the backend's limit", () => {
    const b = device('cpu');
    expect(() => checkBackendFamily(study({ N: 16385, P: 3 }, { noise: [0.1] }), 'gpu')).not.toThrow(); // no device yet: only what holds for any device
    expect(() => checkBackendFamily(study({ N: 16385, P: 3 }, { noise: [0.1] }), 'gpu', b)).toThrow(/^--backend gpu: the retrieval family cannot run on the device at noise=0.1: the GPU heat bath needs N <= 16384 and P <= 16384, got N = 16385, P = 3; run it with --backend cpu$/);
    expect(() => checkBackendFamily(study({ N: 10000, recalls: 2000 }, { alpha: [0.14] }), 'gpu', b)).toThrow(/at alpha=0\.14: the spins \(chains x N\) has 20000000 entries; gpu\.js kernels here index at most 2\^24/);
    expect(() => checkBackendFamily(study({ N: 10000, recalls: 512 }, { alpha: [0.12, 0.16] }), 'gpu', b)).not.toThrow();
  });

  test('dense-capacity has nothing to run on a device, and says why', () => {
    const s = study({ N: 10 }, { p: [2, 3] }, 'dense-capacity');
    expect(() => checkBackendFamily(s, 'gpu')).toThrow(/^--backend gpu: the dense-capacity family has nothing to run on a device: .+ \(families on a backend: .*retrieval.*\); run it with --backend cpu$/);
  });
});
