/**
 * The random numbers made inside the kernels (counter-rng.ts) are core's msf4x22 / deviceUniform
 * to the bit in every mode (cpu, webasm and headlessgl here; WebGL2 in the browser test), and the
 * samplers' states agree across modes except where float32 rounding decides a draw: the counts
 * are measured and bounded here (docs/GPU.md).
 */
import { deviceWords, GpuBlockGibbs, sampleLayerOnDevice, wordsGridCounter, type GpuMode } from '@rbmlab/gpu';
import { COUNTER_PURPOSE, createLayer, createRng, deviceKey, deviceUniform, msf4x22, msfLogUniform, msfUniform, RBM } from '@rbmlab/core';
import { smallRbm } from '../../core/test/helpers/models';
import { backendFor, MODES } from './helpers';

const M = 2 ** 22;

describe.each(MODES)('%s: the kernels\' generator', (mode: GpuMode) => {
  it.each([
    [[0, 0], 0, 0],
    [[M - 1, M - 1], M - 1, M - 64],
    [[1597519, 2860124], 12345, 64 * 3],
  ] as const)('computes msf4x22 to the bit: key %j, c2 %d, c3 %d + draw', (key, c2, c3) => {
    const w = 128;
    const h = 48;
    const got = deviceWords(backendFor(mode), key, c2, c3, w, h);
    let mismatches = 0;
    for (let b = 0; b < h; b++) {
      for (let j = 0; j < w; j++) {
        const { c0, c1, draw, word } = wordsGridCounter(j, b);
        if (got[b * w + j] !== msf4x22(key[0], key[1], c0, c1, c2, c3 + draw)[word]) mismatches++;
      }
    }
    expect(mismatches).toBe(0);
  });

  it('GpuBlockGibbs draws with deviceUniform: at probability 1/2 a unit is on exactly when its uniform is below 1/2', () => {
    // zero weights and biases: every bernoulli unit is on with probability 1/2, and u (1 + e^0) < 1 is u < 1/2 exactly
    const n = 10;
    const m = 7;
    const rbm = new RBM(createLayer('bernoulli', n, {}, 'visible'), createLayer('bernoulli', m, {}), new Float64Array(n * m));
    const chains = 6;
    const seed = `uniforms/gibbs/${mode}`;
    const chain = new GpuBlockGibbs(backendFor(mode), rbm, { chains, seed });
    const key = deviceKey(createRng(seed).split('device'));
    for (let sweep = 0; sweep < 3; sweep++) {
      chain.sweep(1);
      const h = chain.hidden();
      const v = chain.visible();
      for (let b = 0; b < chains; b++) {
        for (let j = 0; j < m; j++) expect(h[b * m + j]).toBe(deviceUniform(key, COUNTER_PURPOSE.hiddenHalfSweep, sweep, b, j, 0) < 0.5 ? 1 : 0);
        for (let i = 0; i < n; i++) expect(v[b * n + i]).toBe(deviceUniform(key, COUNTER_PURPOSE.visibleHalfSweep, sweep, b, i, 0) < 0.5 ? 1 : 0);
      }
    }
  });

  it('gaussian draws are the Box-Muller normals of deviceUniform (radius from draw 0, refined by 2; angle from draw 1)', () => {
    const size = 6;
    const layer = createLayer('gaussian', size, {});
    const rows = 40;
    const seed = `uniforms/gaussian/${mode}`;
    const draws = sampleLayerOnDevice(backendFor(mode), layer, new Array(size).fill(0), rows, seed);
    const key = deviceKey(createRng(seed).split('device'));
    const u = (b: number, j: number, draw: number) => deviceUniform(key, COUNTER_PURPOSE.layerDraws, 0, b, j, draw);
    for (let b = 0; b < rows; b++) {
      for (let j = 0; j < size; j++) {
        const r1 = u(b, j, 0);
        const radius = r1 > 2 ** -22 ? r1 : msfLogUniform(0, (u(b, j, 2) - 2 ** -22) * M);
        const z = Math.sqrt(-2 * Math.log(radius)) * Math.cos(2 * Math.PI * u(b, j, 1));
        // float32 sqrt, log and cos: a few ulps of |z| <= 7.8
        expect(Math.abs(draws[b * size + j] - z)).toBeLessThan(4e-6 * (1 + Math.abs(z)));
      }
    }
    expect(msfUniform(0)).toBe(2 ** -22);
  });
});

describe.each(MODES)('%s: draws follow deviceUniform exactly as the samplers are written', (mode: GpuMode) => {
  const P = COUNTER_PURPOSE.layerDraws;

  it('gaussian: a radius word 0 is refined by draw 2 (rows found by search where the word is 0)', () => {
    for (const [seed, row, unit] of [
      ['rev/zero/242', 279, 3],
      ['rev/zero/299', 13031, 0],
    ] as const) {
      const key = deviceKey(createRng(seed).split('device'));
      const u = (draw: number) => deviceUniform(key, P, 0, row, unit, draw);
      expect(u(0)).toBe(2 ** -22); // the radius word is 0
      const draws = sampleLayerOnDevice(backendFor(mode), createLayer('gaussian', 4, {}), [0, 0, 0, 0], row + 1, seed);
      const refined = msfLogUniform(0, (u(2) - 2 ** -22) * M);
      const z = Math.sqrt(-2 * Math.log(refined)) * Math.cos(2 * Math.PI * u(1));
      const unrefined = Math.sqrt(-2 * Math.log(2 ** -22)) * Math.cos(2 * Math.PI * u(1));
      expect(Math.abs(draws[row * 4 + unit] - z)).toBeLessThan(1e-5 * Math.abs(z));
      expect(Math.abs(z - unrefined)).toBeGreaterThan(1e-3); // the refinement matters here
    }
  });

  it('relu: rejection iteration t uses draws 3t, 3t + 1 (and 3t + 2 to refine), the lanes of a thread independent', () => {
    const inputs = [0.05, -0.3, 0.4, -2, 1.5, -0.01, 0, 3];
    const gamma = [1, 2, 0.5, 1, 1, 1, 1, 1];
    const layer = createLayer('relu', inputs.length, { bias: new Array(inputs.length).fill(0), gamma });
    const rows = 300;
    const seed = 'uniforms/relu';
    const draws = sampleLayerOnDevice(backendFor(mode), layer, inputs, rows, seed);
    const key = deviceKey(createRng(seed).split('device'));
    let rejected = 0;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < inputs.length; j++) {
        const u = (draw: number) => deviceUniform(key, P, 0, r, j, draw);
        const sd = 1 / Math.sqrt(gamma[j]);
        const a = -inputs[j] * sd;
        const delta = a >= 0 ? 2 / (a + Math.sqrt(a * a + 4)) : 0;
        const alpha = a >= 0 ? a + delta : 1;
        let excess = 0;
        let done = false;
        for (let t = 0; t < 20 && !done; t++) {
          if (t > 0) rejected++;
          let lu = u(3 * t);
          if (lu === 2 ** -22) lu = msfLogUniform(0, (u(3 * t + 2) - 2 ** -22) * M);
          if (a < 0) {
            const radius = Math.sqrt(-2 * Math.log(lu));
            const z1 = radius * Math.cos(2 * Math.PI * u(3 * t + 1));
            const z2 = radius * Math.sin(2 * Math.PI * u(3 * t + 1));
            excess = Math.max(z2 - a, 0);
            if (z1 >= a) {
              excess = z1 - a;
              done = true;
            } else if (z2 >= a) done = true;
          } else {
            const e = -Math.log(lu) / alpha;
            excess = e;
            done = u(3 * t + 1) <= Math.exp(-0.5 * (e - delta) ** 2);
          }
        }
        const h = sd * excess;
        expect(Math.abs(draws[r * inputs.length + j] - h)).toBeLessThan(1e-4 * (1 + h));
      }
    }
    expect(rejected).toBeGreaterThan(100); // later iterations were exercised
  });

  it('poisson: the float64 inverse CDF of deviceUniform - 2^-22, and the largest uniform lands between the 1 - 2^-22 and 1 - 2^-24 quantiles', () => {
    // row 10615, unit 0 of this seed has the word 2^22 - 1 (u = 1, found by search)
    const [seed, row] = ['rev/one/3', 10615];
    const key = deviceKey(createRng(seed).split('device'));
    expect(deviceUniform(key, P, 0, row, 0, 0)).toBe(1);
    for (const mean of [5, 80]) {
      const x = Math.log(mean) - 1e-6;
      const lambda = Math.exp(x);
      const draws = sampleLayerOnDevice(backendFor(mode), createLayer('poisson', 4, {}), [x, x, x, x], row + 1, seed);
      const inverse = (u: number) => {
        let p = Math.exp(-lambda);
        let F = p;
        let k = 0;
        while (!(u < F)) {
          k++;
          p *= lambda / k;
          F += p;
        }
        return k;
      };
      let differ = 0;
      for (let r = 0; r <= row; r++) for (let j = 0; j < 4; j++) if (draws[r * 4 + j] !== inverse(deviceUniform(key, P, 0, r, j, 0) - 2 ** -22)) differ++;
      // only draws whose u lies within float32 rounding of a CDF step (measured: the largest u alone)
      expect(differ).toBeLessThanOrEqual(3);
      const top = draws[row * 4];
      expect(top).toBeGreaterThanOrEqual(inverse(1 - 2 ** -22) - 1);
      expect(top).toBeLessThanOrEqual(inverse(1 - 2 ** -24) + 1);
    }
  });
});

describe('the samplers agree across modes except where float32 rounding decides a draw', () => {
  const modes = MODES.filter((m) => m !== 'cpu');
  const pairs = [
    ['bernoulli', 'bernoulli'],
    ['spin', 'spin'],
    ['bernoulli', 'poisson'],
    ['bernoulli', 'gaussian'],
    ['spin', 'relu'],
    ['bernoulli', 'drelu'],
  ] as const;
  it.each(pairs)('%s x %s: one sweep from the same start, against the cpu mode (float64 arithmetic)', (visible, hidden) => {
    const rbm = smallRbm(visible, hidden, 23, 13, `uniforms/agree/${visible}/${hidden}`, 0.3);
    const chains = 300;
    const run = (mode: GpuMode) => {
      const chain = new GpuBlockGibbs(backendFor(mode), rbm, { chains, seed: 'agree' });
      chain.sweep(1);
      return { h: chain.hidden(), v: chain.visible() };
    };
    const reference = run('cpu');
    for (const mode of modes) {
      const other = run(mode);
      // a draw differs only where float32 rounding decides it: a uniform within rounding of its
      // probability (discrete units), or of a rejection test (relu, drelu); the rest agree to
      // float32's transcendental functions (relative 1e-6 .. 1e-5). At most a few of 300 x 13
      // (measured: none)
      let differ = 0;
      for (let q = 0; q < reference.h.length; q++) if (Math.abs(reference.h[q] - other.h[q]) > 1e-4 * (1 + Math.abs(reference.h[q]))) differ++;
      expect(differ).toBeLessThanOrEqual(2);
      // the visible states follow from the hidden ones: where these agree, so do they, up to the same rounding
      let vdiffer = 0;
      for (let q = 0; q < reference.v.length; q++) if (Math.abs(reference.v[q] - other.v[q]) > 1e-4) vdiffer++;
      expect(vdiffer).toBeLessThanOrEqual(3);
    }
  });

});
