/**
 * The dense memory's dynamics on the device (GpuDenseHeatBath), one test body per mode
 * (helpers.ts): zero-temperature sweeps take exactly the steps of a float64 reference wherever
 * Delta is summed exactly (integer G: ties keep the spin), in sequential and in given random
 * orders, with N not a multiple of 4 and several windows of pending spins per sweep; in the log
 * domain every chain ends at a fixed point of the float64 dynamics; the heat bath matches the exact
 * Boltzmann distribution (N = 9, both ways of summing; chi-square failing at p < 1e-6, a
 * false-failure rate of 1e-6 per test for the fixed seeds); and its uniforms are those of core's
 * deviceUniform to the bit (at beta = 0 a spin is +1 exactly when its uniform is below 1/2).
 */
import { GpuDenseHeatBath, type GpuMode } from '@rbmlab/gpu';
import {
  COUNTER_PURPOSE,
  createRng,
  deviceKey,
  deviceUniform,
  differenceTable,
  DenseAssociativeMemory,
  indexFromState,
  permutation,
  SPIN_SUPPORT,
  type DenseEnergy,
} from '@rbmlab/core';
import { chiSquareGof, expectFits, histogram } from '../../core/test/helpers/stats';
import { backendFor, MODES } from './helpers';

function memory(n: number, p: number, energy: DenseEnergy, beta: number, seed: string): DenseAssociativeMemory {
  const rng = createRng(seed);
  const patterns = Array.from({ length: p }, () => Array.from({ length: n }, () => (rng.uniform() < 0.5 ? -1 : 1)));
  return new DenseAssociativeMemory({ patterns, energy, beta });
}

function randomSpins(count: number, seed: string): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length: count }, () => (rng.uniform() < 0.5 ? -1 : 1));
}

/**
 * Zero-temperature sweeps in float64 with exact integer sums of G (core's energy tables): each
 * site of `order` in turn takes sign(Delta_i), a tie keeps it. Updates `spins` in place; returns
 * the flips per chain.
 */
function referenceSweep(model: DenseAssociativeMemory, spins: Float64Array, chains: number, order: ArrayLike<number>): number[] {
  const n = model.size;
  const p = model.numPatterns;
  const g = differenceTable(model.energyConvention, n).g as Float64Array;
  const xi = model.patterns;
  const flips: number[] = [];
  for (let c = 0; c < chains; c++) {
    const s = spins.subarray(c * n, (c + 1) * n);
    const x = new Float64Array(p);
    for (let mu = 0; mu < p; mu++) for (let i = 0; i < n; i++) x[mu] += xi[mu * n + i] * s[i];
    let count = 0;
    for (let k = 0; k < n; k++) {
      const i = order[k];
      let delta = 0;
      for (let mu = 0; mu < p; mu++) delta += xi[mu * n + i] * g[x[mu] - xi[mu * n + i] * s[i] + n - 1];
      const target = delta > 0 ? 1 : delta < 0 ? -1 : s[i];
      if (target !== s[i]) {
        for (let mu = 0; mu < p; mu++) x[mu] += (target - s[i]) * xi[mu * n + i];
        s[i] = target;
        count++;
      }
    }
    flips.push(count);
  }
  return flips;
}

describe.each(MODES)('%s: zero-temperature dynamics on the device', (mode: GpuMode) => {
  it.each([
    ['Hopfield (normalized p = 2), N = 37, P = 5, sequential order', 37, 5, { kind: 'normalized', F: 'power', p: 2 } as DenseEnergy, false],
    ['Krotov x^3, N = 50, P = 20, a fresh random order per sweep', 50, 20, { kind: 'krotov', F: 'power', p: 3 } as DenseEnergy, true],
    ['rectified x^4, N = 22, P = 9, a fresh random order per sweep', 22, 9, { kind: 'krotov', F: 'rectified-power', p: 4 } as DenseEnergy, true],
  ])('%s: the steps of the float64 reference, exactly', (_what, n, p, energy, random) => {
    const model = memory(n, p, energy, 1, `dense-t0/${n}`);
    const chains = 23;
    const init = randomSpins(chains * n, `dense-t0/init/${n}`);
    const hb = new GpuDenseHeatBath(backendFor(mode), model, { chains, seed: 1, init });
    expect(hb.sum).toBe('exact');
    const reference = Float64Array.from(init);
    const orderRng = createRng(`dense-t0/order/${n}`);
    let flipped = 0;
    for (let sweep = 0; sweep < 6; sweep++) {
      const order = random ? permutation(n, orderRng) : Array.from({ length: n }, (_, k) => k);
      const flips = hb.zeroTemperature(random ? order : undefined);
      const expected = referenceSweep(model, reference, chains, order);
      expect(Array.from(flips)).toEqual(expected);
      expect(Array.from(hb.states())).toEqual(Array.from(reference));
      flipped += expected.reduce((a, b) => a + b, 0);
    }
    expect(flipped).toBeGreaterThan(chains); // the test saw the dynamics move
    expect(Array.from(hb.overlaps())).toEqual(Array.from(model.overlaps(reference, chains)));
  });

  it('N = 8200 (its difference table of 16399 entries is more than a texture side of 16384): the steps of the reference', () => {
    const n = 8200;
    const model = memory(n, 2, { kind: 'normalized', F: 'power', p: 2 }, 1, 'dense-bigN');
    const chains = 2;
    const init = randomSpins(chains * n, 'dense-bigN/init');
    const hb = new GpuDenseHeatBath(backendFor(mode), model, { chains, seed: 1, init });
    const reference = Float64Array.from(init);
    const flips = hb.zeroTemperature();
    expect(Array.from(flips)).toEqual(referenceSweep(model, reference, chains, Array.from({ length: n }, (_, k) => k)));
    expect(Array.from(hb.states())).toEqual(Array.from(reference));
    hb.dispose();
  });

  it('relax: each chain\'s first sweep without a flip, and convergence', () => {
    const n = 40;
    const model = memory(n, 4, { kind: 'normalized', F: 'power', p: 2 }, 1, 'dense-relax');
    const chains = 11;
    const init = randomSpins(chains * n, 'dense-relax/init');
    const hb = new GpuDenseHeatBath(backendFor(mode), model, { chains, seed: 1, init });
    const run = hb.relax(50);
    expect(run.converged).toBe(true);
    const reference = Float64Array.from(init);
    const sweeps = new Array<number>(chains).fill(0);
    const identity = Array.from({ length: n }, (_, k) => k);
    for (let sweep = 1; sweep <= 50; sweep++) {
      const flips = referenceSweep(model, reference, chains, identity);
      flips.forEach((f, c) => {
        if (f === 0 && sweeps[c] === 0) sweeps[c] = sweep;
      });
    }
    expect(Array.from(run.sweeps)).toEqual(sweeps);
    expect(Array.from(hb.states())).toEqual(Array.from(reference));
  });

  it('the log domain (F = e^x, N = 30): every chain ends at a fixed point of the float64 dynamics', () => {
    const n = 30;
    const model = memory(n, 6, { kind: 'krotov', F: 'exp' }, 1, 'dense-log');
    const chains = 17;
    const hb = new GpuDenseHeatBath(backendFor(mode), model, { chains, seed: 4 });
    expect(hb.sum).toBe('log');
    expect(hb.relax(30).converged).toBe(true);
    const states = hb.states();
    const table = differenceTable(model.energyConvention, n);
    for (let c = 0; c < chains; c++) {
      const s = states.subarray(c * n, (c + 1) * n);
      const x = Array.from({ length: 6 }, (_, mu) => s.reduce((a, v, i) => a + v * model.patterns[mu * n + i], 0));
      for (let i = 0; i < n; i++) {
        let delta = 0;
        let scale = 0;
        for (let mu = 0; mu < 6; mu++) {
          const k = x[mu] - model.patterns[mu * n + i] * s[i] + n - 1;
          const term = model.patterns[mu * n + i] * table.sign[k] * Math.exp(table.logAbs[k]);
          delta += term;
          scale += Math.abs(term);
        }
        // a fixed point: the spin has the sign of Delta, unless Delta is within float32 rounding of 0
        expect(s[i] * delta > -1e-5 * scale).toBe(true);
      }
    }
  });
});

describe.each(MODES)('%s: the heat bath on the device', (mode: GpuMode) => {
  it.each([
    ['exact sums (Krotov x^3, N = 9, P = 4, beta = 0.002: about 380 effective states)', { kind: 'krotov', F: 'power', p: 3 } as DenseEnergy, 0.002, 'exact'],
    ['the log domain (Krotov e^x, N = 9, P = 4, beta = 0.0005: about 27 effective states)', { kind: 'krotov', F: 'exp' } as DenseEnergy, 0.0005, 'log'],
  ] as const)('matches the exact Boltzmann distribution: %s', (_what, energy, beta, sum) => {
    const model = memory(9, 4, energy, beta, 'dense-hb9');
    const chains = 8000;
    const hb = new GpuDenseHeatBath(backendFor(mode), model, { chains, seed: `dense-hb9/${mode}/${sum}` });
    expect(hb.sum).toBe(sum);
    hb.heatBath(20);
    const states = hb.states();
    const probs = model.probabilities();
    expectFits(chiSquareGof(histogram(states, 9, probs.length, (s) => indexFromState(s, SPIN_SUPPORT)), probs), `${mode} heat bath ${sum}`);
    expect(Array.from(hb.overlaps())).toEqual(Array.from(model.overlaps(states, chains)));
  });

  it('uses core\'s deviceUniform to the bit: at beta = 0 a spin is +1 exactly when its uniform is below 1/2', () => {
    const n = 13;
    const model = memory(n, 3, { kind: 'krotov', F: 'power', p: 2 }, 1, 'dense-u');
    const chains = 9;
    const seed = `dense-u/${mode}`;
    const hb = new GpuDenseHeatBath(backendFor(mode), model, { chains, seed });
    const key = deviceKey(createRng(seed).split('device'));
    for (let sweep = 0; sweep < 3; sweep++) {
      hb.heatBath(1, 0);
      const states = hb.states();
      for (let c = 0; c < chains; c++) {
        for (let i = 0; i < n; i++) {
          const u = deviceUniform(key, COUNTER_PURPOSE.heatBath, sweep, c, i, 0);
          expect(states[c * n + i]).toBe(u < 0.5 ? 1 : -1);
        }
      }
    }
  });
});
