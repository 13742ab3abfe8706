/**
 * The gpu.js backend against core's reference, one test body per mode (helpers.ts: cpu, webasm,
 * and headlessgl where it runs).
 *
 * Tolerances, as error bounds (u = 2^-24, the float32 unit roundoff; K the length of a sum; S the
 * same sum of absolute values, e.g. sum_i |v_i| |W_i mu|):
 *   - products (layer inputs, gradient sums): |error| <= (K + 2) u S, the classical worst case
 *     of rounding both operands to float32 and summing K terms in float32 in any order, plus
 *     u |result| for the float32 output (and 4 2^-53 |out| where the sum is added into float64);
 *   - activations E[h | x]: the input error e above carried by the slope, |Gamma''(x)| e (Gamma''
 *     is the conditional variance), plus the float32 evaluation of the activation, relative
 *     3e-5 + absolute 1e-6 (room for the erfcx-based relu and drelu forms, whose float32
 *     cancellation in lambda(a) - a grows like |a| 2^-24 / (lambda(a) - a) ~ a^2 6e-8 below the
 *     standardized bound a = 2; above it the kernels use a continued fraction without
 *     cancellation, tested to 1e-5 relative out to x = -1e6 in limits.test.ts).
 */
import { createGpuBackend, GpuBackend, hiddenActivations, loadGpuJs, type GpuMode } from '@rbmlab/gpu';
import { cpuBackend, createLayer, createRng, normal, RBM } from '@rbmlab/core';
import { expectWithin, randomArray, U32, U64 } from '../../core/test/helpers/arrays';
import { allowNoGl, availability, backendFor, headlessGlMissing, MODES } from './helpers';

describe('modes', () => {
  it('headless-gl runs here (CI builds gl and starts Xvfb)', () => {
    const missing = headlessGlMissing();
    if (missing !== undefined && allowNoGl) {
      process.stderr.write(`headlessgl unavailable (${missing}); allowed by RBMLAB_ALLOW_NO_GL=1\n`);
      return;
    }
    if (missing !== undefined) throw new Error(`the headlessgl mode cannot run: ${missing} (set RBMLAB_ALLOW_NO_GL=1 to run the other modes alone)`);
    expect(availability.modes).toContain('headlessgl');
    expect(backendFor('headlessgl').describe()).toMatch(/WebGL 1\.0/);
  });

  it.each(MODES)('%s: the backend names the mode that ran', (mode) => {
    const b = backendFor(mode);
    expect(b.mode).toBe(mode);
    expect(b.name).toBe(`gpujs-${mode}`);
    expect(b.describe()).toContain(`${mode} mode`);
  });

  it("'best' runs gpu.js's first available mode and says which", () => {
    const b = createGpuBackend();
    try {
      expect(b.mode).toBe(availability.best);
      expect(b.name).toBe(`gpujs-${availability.best}`);
    } finally {
      b.destroy();
    }
  });

  it('a mode that cannot run throws its one-line reason (never a fallback)', () => {
    const unavailable = Object.entries(availability.reasons) as [GpuMode, string][];
    expect(unavailable.map(([m]) => m)).toContain('webgpu'); // Node has no navigator.gpu
    for (const [mode, reason] of unavailable) {
      let message = '';
      try {
        createGpuBackend({ mode }).destroy();
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toBe(`gpu.js mode "${mode}" is unavailable: ${reason}`);
      expect(message).not.toContain('\n');
    }
    expect(() => createGpuBackend({ mode: 'webgl2' })).toThrow(/does not exist in Node/);
  });

  it('a kernel that ran in another mode than its backend is an error (gpu.js fallbacks are caught)', () => {
    const b = backendFor('cpu');
    const gpujs = loadGpuJs();
    const other = new gpujs.GPU({ mode: 'webasm' });
    try {
      const k = other.createKernel('function (a) { return a[this.thread.x]; }', { output: [2] });
      expect(() => b.run('foreign', k, Float32Array.of(1, 2))).toThrow(/fell back from cpu to webasm on kernel "foreign"/);
    } finally {
      other.destroy();
    }
  });

  it('a destroyed backend refuses work', () => {
    const b = new GpuBackend(loadGpuJs(), 'cpu');
    b.destroy();
    expect(() => b.hiddenInputs(new Float64Array(4), new Float64Array(4), 2, 2, 2, new Float64Array(4))).toThrow(/destroyed/);
  });
});

describe.each(MODES)('%s agrees with the reference within float32 bounds', (mode) => {
  const shapes: [number, number, number][] = [
    [13, 7, 5],
    [131, 67, 29],
  ];
  for (const [n, m, batch] of shapes) {
    const w = randomArray(n * m, `w/${n}`, 'real', 0.7);
    const v = randomArray(batch * n, `v/${n}`, 'binary');
    const h = randomArray(batch * m, `h/${m}`, 'real');

    it(`hiddenInputs, ${n} x ${m}, batch ${batch}`, () => {
      const ref = new Float64Array(batch * m);
      cpuBackend.hiddenInputs(v, w, batch, n, m, ref);
      const out = new Float64Array(batch * m).fill(NaN);
      backendFor(mode).hiddenInputs(v, w, batch, n, m, out);
      const bound = Float64Array.from({ length: batch * m }, (_, k) => {
        const b = Math.floor(k / m);
        const mu = k % m;
        let s = 0;
        for (let i = 0; i < n; i++) s += Math.abs(v[b * n + i] * w[i * m + mu]);
        return (n + 2) * U32 * s + U32 * Math.abs(ref[k]);
      });
      expectWithin(out, ref, bound, `${mode} hiddenInputs`);
    });

    it(`visibleInputs, ${n} x ${m}, batch ${batch}`, () => {
      const ref = new Float64Array(batch * n);
      cpuBackend.visibleInputs(h, w, batch, n, m, ref);
      const out = new Float32Array(batch * n).fill(NaN);
      backendFor(mode).visibleInputs(h, w, batch, n, m, out);
      const bound = Float64Array.from({ length: batch * n }, (_, k) => {
        const b = Math.floor(k / n);
        const i = k % n;
        let s = 0;
        for (let mu = 0; mu < m; mu++) s += Math.abs(h[b * m + mu] * w[i * m + mu]);
        return (m + 2) * U32 * s + 2 * U32 * Math.abs(ref[k]);
      });
      expectWithin(out, ref, bound, `${mode} visibleInputs`);
    });

    it(`addOuterProducts (PCD gradient sums), ${n} x ${m}, batch ${batch}`, () => {
      const start = randomArray(n * m, `g/${n}`, 'real');
      const ref = Float64Array.from(start);
      const out = Float64Array.from(start);
      const scale = -1 / batch;
      cpuBackend.addOuterProducts(v, h, batch, n, m, scale, ref);
      backendFor(mode).addOuterProducts(v, h, batch, n, m, scale, out);
      const bound = Float64Array.from({ length: n * m }, (_, k) => {
        const i = Math.floor(k / m);
        const mu = k % m;
        let s = 0;
        for (let b = 0; b < batch; b++) s += Math.abs(scale * v[b * n + i] * h[b * m + mu]);
        return (batch + 3) * U32 * s + 4 * U64 * Math.abs(ref[k]);
      });
      expectWithin(out, ref, bound, `${mode} addOuterProducts`);
    });
  }

  it('splits batches above 8192 rows into chunks (2D outputs are limited to 16384 per side)', () => {
    const n = 3;
    const m = 2;
    const batch = 9000;
    const w = Float64Array.of(1, 2, 3, 4, 5, 6);
    const v = randomArray(batch * n, 'chunk/v', 'binary');
    const ref = new Float64Array(batch * m);
    const out = new Float64Array(batch * m);
    cpuBackend.hiddenInputs(v, w, batch, n, m, ref);
    backendFor(mode).hiddenInputs(v, w, batch, n, m, out);
    expect(Array.from(out)).toEqual(Array.from(ref)); // small integers: exact in float32
  });

  it.each(['bernoulli', 'spin', 'gaussian', 'relu', 'drelu', 'poisson'])('activations E[h | v] of %s units', (type) => {
    const n = 23;
    const m = 11;
    const batch = 17;
    const rng = createRng(`act/${type}`);
    const positive = () => Array.from({ length: m }, () => 0.8 + 0.8 * rng.uniform());
    const draw = (s: number, o = 0) => Array.from({ length: m }, () => o + s * normal(rng));
    const params: Record<string, number[]> =
      type === 'drelu'
        ? { biasPlus: draw(0.5), biasMinus: draw(0.5), gammaPlus: positive(), gammaMinus: positive() }
        : type === 'gaussian' || type === 'relu'
          ? { bias: draw(0.5), gamma: positive() }
          : { bias: draw(0.5, type === 'poisson' ? -1 : 0) };
    const scale = type === 'poisson' ? 0.2 : 0.7;
    const rbm = new RBM(createLayer('bernoulli', n, {}, 'visible'), createLayer(type, m, params), randomArray(n * m, `act/w/${type}`, 'real', scale));
    const v = randomArray(batch * n, `act/v/${type}`, 'binary');
    const got = hiddenActivations(backendFor(mode), rbm, v, batch);
    const inputs = rbm.hiddenInputs(v, batch);
    const bound = new Float64Array(batch * m);
    const ref = new Float64Array(batch * m);
    for (let b = 0; b < batch; b++) {
      for (let mu = 0; mu < m; mu++) {
        const k = b * m + mu;
        let s = 0;
        for (let i = 0; i < n; i++) s += Math.abs(v[b * n + i] * rbm.weights[i * m + mu]);
        const inputError = (n + 2) * U32 * s + U32 * Math.abs(inputs[k]);
        ref[k] = rbm.hidden.mean(mu, inputs[k]);
        bound[k] = 2 * rbm.hidden.variance(mu, inputs[k]) * inputError + 3e-5 * Math.abs(ref[k]) + 1e-6;
      }
    }
    expectWithin(got, ref, bound, `${mode} ${type} activations`);
  });
});
