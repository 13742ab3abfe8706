/**
 * The native backend (@rbmlab/native) against the TypeScript reference: one test body per backend.
 *
 * Backends: "cpu-reference"; "native-openblas" (products in the operands' precision: dgemm on
 * float64 data, sgemm when every operand is float32); "native-openblas-f32" (every product an
 * sgemm on float32 copies).
 *
 * Tolerances, stated as error bounds (u = 2^-24, the float32 unit roundoff; K = the length of
 * each sum; S = the same sum of absolute values, e.g. sum_i |v_i| |W_i mu|):
 *   - float64 products: |error| <= 4 K 2^-53 S (any order of summation; the reference's own
 *     error is of the same size);
 *   - float32 products: |error| <= (K + 2) u S: rounding both operands (2u) and a float32 sum
 *     of K terms in any order (K u, the classical worst case);
 *   - the fused sampler's probabilities: relative error of the smaller tail q below 3e-7
 *     (measured 1.8e-7 on a grid of 2e6 points in [-100, 100]); its states equal the float64
 *     definition (backend/counter-random.ts) draw for draw, except where |u - t| < 1e-6, which
 *     happens to about 2e-6 of the draws (the test allows 1e-4 of them).
 * Goodness of fit: Pearson chi-square against the exact P(v), failing at p < 1e-6 (false-failure
 * rate 1e-6 per test for a correct sampler; seeds fixed, so a run passes or fails for good).
 *
 * Without the addon these tests fail, naming the reason (CI installs OpenBLAS, so it must load);
 * set RBMLAB_ALLOW_NO_NATIVE=1 to run the rest of the suite on a machine without it.
 */
import {
  backendInfo,
  BlockGibbs,
  cpuBackend,
  createRng,
  defaultBackend,
  exactLogZ,
  indexFromState,
  loadNativeBackend,
  NATIVE_BACKEND_NAME,
  NATIVE_F32_BACKEND_NAME,
  RBM,
  sampleBinaryLayerDefinition,
  softplus,
  StatisticsAccumulator,
  stateFromIndex,
  Trainer,
  visibleProbabilities,
  zeroGradient,
  type Backend,
  type FloatArray,
  type NativeBackend,
} from '../../src';
import { expectWithin, randomArray, U32, U64 } from '../helpers/arrays';
import { describeEachNative, describeNative } from '../helpers/native';
import { chiSquareGof, expectFits, histogram } from '../helpers/stats';
import { smallRbm } from '../helpers/models';

const loaded = loadNativeBackend();
const allowMissing = process.env.RBMLAB_ALLOW_NO_NATIVE === '1';

describe('the native backend', () => {
  it('loads (CI installs OpenBLAS and builds it at npm install)', () => {
    if (loaded.backend === undefined && allowMissing) {
      process.stderr.write(`native backend unavailable (${loaded.reason}); allowed by RBMLAB_ALLOW_NO_NATIVE=1\n`);
      return;
    }
    if (loaded.backend === undefined) throw new Error(`the native backend did not load: ${loaded.reason}`);
    expect(loaded.backend.name).toBe(NATIVE_BACKEND_NAME);
  });

  it('is the default backend, and backendInfo says so', () => {
    if (loaded.backend === undefined) {
      expect(defaultBackend()).toBe(cpuBackend);
      expect(backendInfo().fallback).toBe(loaded.reason);
      return;
    }
    expect(defaultBackend().name).toBe(NATIVE_BACKEND_NAME);
    expect(backendInfo()).toEqual({ name: NATIVE_BACKEND_NAME, detail: expect.stringContaining('OpenBLAS') });
  });
});

const native: NativeBackend | undefined = loaded.backend;
const nativeBackends: [string, Backend][] = native ? [[NATIVE_BACKEND_NAME, native], [NATIVE_F32_BACKEND_NAME, native.withProducts('float32')]] : [];

/** Whether a product on this backend with these factors runs in float32 (sgemm: both factors float32, whatever the output). */
function singlePrecision(name: string, ...factors: FloatArray[]): boolean {
  return name === NATIVE_F32_BACKEND_NAME || factors.every((a) => a instanceof Float32Array);
}

function productBound(single: boolean, k: number, absSum: number): number {
  return single ? (k + 2) * U32 * absSum : 4 * k * U64 * absSum + Number.MIN_VALUE;
}

describeEachNative(nativeBackends, '%s agrees with the reference within the stated precision', (name, backend) => {
  // distinct primes, and sizes past OpenBLAS's blocking (K = 131 > its unrolling)
  const shapes: [number, number, number][] = [
    [13, 7, 5],
    [131, 67, 29],
  ];
  for (const [n, m, batch] of shapes) {
    for (const storage of ['float64', 'float32'] as const) {
      const cast = (a: Float64Array): FloatArray => (storage === 'float32' ? Float32Array.from(a) : a);
      const w = cast(randomArray(n * m, `w/${n}`, 'real', 0.7));
      const v = cast(randomArray(batch * n, `v/${n}`, 'binary'));
      const h = cast(randomArray(batch * m, `h/${m}`, 'real'));
      const alloc = (len: number): FloatArray => (storage === 'float32' ? new Float32Array(len) : new Float64Array(len));

      it(`hiddenInputs, ${n} x ${m}, batch ${batch}, ${storage}`, () => {
        const ref = new Float64Array(batch * m);
        cpuBackend.hiddenInputs(v, w, batch, n, m, ref);
        const out = alloc(batch * m).fill(NaN); // beta = 0: what out held must not matter
        backend.hiddenInputs(v, w, batch, n, m, out);
        const single = singlePrecision(name, v, w);
        const bound = Float64Array.from({ length: batch * m }, (_, k) => {
          const b = Math.floor(k / m);
          const mu = k % m;
          let s = 0;
          for (let i = 0; i < n; i++) s += Math.abs(v[b * n + i] * w[i * m + mu]);
          return productBound(single, n, s) + (out instanceof Float32Array ? U32 * Math.abs(ref[k]) : 0);
        });
        expectWithin(out, ref, bound, `${name} hiddenInputs`);
      });

      it(`visibleInputs, ${n} x ${m}, batch ${batch}, ${storage}`, () => {
        const ref = new Float64Array(batch * n);
        cpuBackend.visibleInputs(h, w, batch, n, m, ref);
        const out = alloc(batch * n).fill(NaN);
        backend.visibleInputs(h, w, batch, n, m, out);
        const single = singlePrecision(name, h, w);
        const bound = Float64Array.from({ length: batch * n }, (_, k) => {
          const b = Math.floor(k / n);
          const i = k % n;
          let s = 0;
          for (let mu = 0; mu < m; mu++) s += Math.abs(h[b * m + mu] * w[i * m + mu]);
          return productBound(single, m, s) + (out instanceof Float32Array ? U32 * Math.abs(ref[k]) : 0);
        });
        expectWithin(out, ref, bound, `${name} visibleInputs`);
      });

      it(`addOuterProducts (gradient sums), ${n} x ${m}, batch ${batch}, ${storage}`, () => {
        const start = randomArray(n * m, `g/${n}`, 'real');
        const ref = Float64Array.from(start);
        const out = Float64Array.from(start);
        const scale = -1 / batch;
        cpuBackend.addOuterProducts(v, h, batch, n, m, scale, ref);
        backend.addOuterProducts(v, h, batch, n, m, scale, out);
        const single = singlePrecision(name, v, h);
        const bound = Float64Array.from({ length: n * m }, (_, k) => {
          const i = Math.floor(k / m);
          const mu = k % m;
          let s = 0;
          for (let b = 0; b < batch; b++) s += Math.abs(scale * v[b * n + i] * h[b * m + mu]);
          return productBound(single, batch, s) + 4 * U64 * Math.abs(ref[k]);
        });
        expectWithin(out, ref, bound, `${name} addOuterProducts`);
      });
    }
  }

  it('refuses arrays too short for the shapes it is given (no out-of-bounds access)', () => {
    expect(() => backend.hiddenInputs(new Float64Array(10), new Float64Array(12), 3, 4, 3, new Float64Array(9))).toThrow(/v has 10 entries, needs 12/);
    expect(() => backend.visibleInputs(new Float64Array(9), new Float64Array(11), 3, 4, 3, new Float64Array(12))).toThrow(/weights has 11/);
  });

  it('gradient statistics of a bernoulli x bernoulli model (activations and weight sums)', () => {
    const rbm = smallRbm('bernoulli', 'bernoulli', 23, 11, 'grad');
    const batch = 17;
    const v = randomArray(batch * 23, 'grad/v', 'binary');
    const run = (b: Backend) => {
      const grad = zeroGradient(rbm);
      const act = new Float64Array(11);
      new StatisticsAccumulator(rbm, b).add(v, batch, 1 / batch, grad, act);
      return { grad, act };
    };
    const ref = run(cpuBackend);
    const got = run(backend);
    // the activations are sigmoids of the inputs (|d sigmoid| <= |d x| / 4); the float32 bound
    // of hiddenInputs (S <= sum_i |W_i mu|) carries over, and the weight sums add their own
    const single = name === NATIVE_F32_BACKEND_NAME;
    const sumW = (mu: number) => {
      let s = 0;
      for (let i = 0; i < 23; i++) s += Math.abs(rbm.weights[i * 11 + mu]);
      return s;
    };
    const actBound = Float64Array.from({ length: 11 }, (_, mu) => (batch * productBound(single, 23, sumW(mu))) / 4 + 1e-13);
    expectWithin(got.act, ref.act, actBound, `${name} activation sums`);
    const gBound = Float64Array.from({ length: 23 * 11 }, (_, k) => productBound(single, batch, 1) + actBound[k % 11] / batch + 1e-15);
    expectWithin(got.grad.weights, ref.grad.weights, gBound, `${name} weight gradient`);
    expectWithin(got.grad.hidden.bias, ref.grad.hidden.bias, Float64Array.from(actBound, (x) => x / batch + 1e-15), `${name} hidden bias gradient`);
    expect(Array.from(got.grad.visible.bias)).toEqual(Array.from(ref.grad.visible.bias));
  });

  it('exact log Z through its products (2^12 visible states, softplus in float64) matches exactLogZ', () => {
    const n = 12;
    const m = 9;
    const rbm = smallRbm('bernoulli', 'bernoulli', n, m, 'logz');
    const states = new Float64Array(2 ** n * n);
    for (let s = 0; s < 2 ** n; s++) states.set(stateFromIndex(s, n, [0, 1]), s * n);
    const inputs = new Float64Array(2 ** n * m);
    backend.hiddenInputs(states, rbm.weights, 2 ** n, n, m, inputs);
    const a = rbm.visible.params.bias;
    const c = rbm.hidden.params.bias;
    const logw = Float64Array.from({ length: 2 ** n }, (_, s) => {
      let lw = 0;
      for (let i = 0; i < n; i++) lw += a[i] * states[s * n + i];
      for (let mu = 0; mu < m; mu++) lw += softplus(inputs[s * m + mu] + c[mu]);
      return lw;
    });
    const max = Math.max(...logw);
    const logZ = max + Math.log(logw.reduce((t, x) => t + Math.exp(x - max), 0));
    // |d log Z| <= max over states of sum_mu |d I_mu| (softplus' <= 1)
    let worst = 0;
    for (let mu = 0; mu < m; mu++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += Math.abs(rbm.weights[i * m + mu]);
      worst += productBound(name === NATIVE_F32_BACKEND_NAME, n, s);
    }
    const exact = exactLogZ(rbm).logZ;
    expect(Math.abs(logZ - exact)).toBeLessThanOrEqual(worst + 1e-12);
  });
});

describeNative('the fused binary sampler', () => {
  const backend = native as NativeBackend;
  const size = 97;
  const batch = 61;
  const inputs = randomArray(batch * size, 'fused/x', 'real', 6);
  const bias = randomArray(size, 'fused/bias', 'real', 2);
  const key = [0x12345678, 0x9abcdef0, 0x0fedcba9, 0x87654321] as const;

  it.each([
    ['bernoulli', 'float64'],
    ['bernoulli', 'float32'],
    ['spin', 'float64'],
    ['spin', 'float32'],
  ] as const)('%s units, %s: the definition draw for draw, outside the float32 band of the threshold', (kind, storage) => {
    const x = storage === 'float32' ? Float32Array.from(inputs) : Float64Array.from(inputs);
    const def = sampleBinaryLayerDefinition(x, bias, batch, size, kind, key);
    const out = storage === 'float32' ? new Float32Array(batch * size) : new Float64Array(batch * size);
    backend.sampleBinaryLayer(x, bias, batch, size, kind, key, out);
    let band = 0;
    for (let k = 0; k < out.length; k++) {
      if (Math.abs(def.uniforms[k] - def.probabilities[k]) < 1e-6) {
        band++;
        continue;
      }
      if (out[k] !== def.states[k]) throw new Error(`draw ${k}: ${out[k]} vs ${def.states[k]} (u ${def.uniforms[k]}, t ${def.probabilities[k]})`);
    }
    expect(band).toBeLessThanOrEqual(1e-4 * out.length);
    // in place (inputs overwritten by the states) gives the same states
    backend.sampleBinaryLayer(x, bias, batch, size, kind, key, x);
    expect(Array.from(x)).toEqual(Array.from(out));
  });

  it('keeps both tails: P(on) at inputs -12 and +12 (e^-12 = 6.1e-6) over 2e6 draws', () => {
    const count = 2_000_000;
    for (const sign of [-1, 1]) {
      const x = new Float64Array(count).fill(12 * sign);
      backend.sampleBinaryLayer(x, null, 1, count, 'bernoulli', key, x);
      let on = 0;
      for (let k = 0; k < count; k++) on += x[k];
      const rare = sign < 0 ? on : count - on;
      const expected = (count * Math.exp(-12)) / (1 + Math.exp(-12));
      // Poisson count with mean 12.3: within 6 sd (false-failure rate ~1e-7 per side)
      expect(Math.abs(rare - expected)).toBeLessThanOrEqual(6 * Math.sqrt(expected) + 1);
    }
  });

  it('maps NaN inputs to the off state, as layer.sample does, and infinities to the sure states', () => {
    const x = new Float64Array([NaN, Infinity, -Infinity, NaN]);
    backend.sampleBinaryLayer(x, null, 1, 4, 'spin', key, x);
    expect(Array.from(x)).toEqual([-1, 1, -1, -1]);
  });

  it('its float32 tail of sigmoid has relative error below 3e-7 for |x| <= 87', () => {
    const count = 400001;
    const x = Float32Array.from({ length: count }, (_, k) => -87 + (174 * k) / (count - 1));
    const q = new Float64Array(count);
    backend.addon.sigmoidTail32(x, q);
    let worst = 0;
    for (let k = 0; k < count; k++) {
      const e = Math.exp(-Math.abs(x[k]));
      const exact = e / (1 + e);
      worst = Math.max(worst, Math.abs(q[k] - exact) / exact);
    }
    expect(worst).toBeLessThan(3e-7);
  });
});

/** Exact P(v) of a binary-visible model over its 2^N states, and the cell of a state. */
function exactCells(rbm: RBM): { probs: Float64Array; index: (v: ArrayLike<number>) => number } {
  const support = rbm.visible.support as readonly number[];
  return { probs: visibleProbabilities(rbm), index: (v) => indexFromState(v, support) };
}

const gofBackends: [string, Backend][] = [['cpu-reference', cpuBackend], ...nativeBackends];

describe.each(gofBackends)('block Gibbs on %s matches the exact P(v)', (name, backend) => {
  it.each([
    ['bernoulli', 'bernoulli', 'float64'],
    ['bernoulli', 'bernoulli', 'float32'],
    ['spin', 'spin', 'float32'],
    ['spin', 'bernoulli', 'float64'],
    ['bernoulli', 'relu', 'float64'], // fused visible draws, the relu layer's own sampler
  ] as const)('%s visible x %s hidden, %s', (visible, hidden, precision) => {
    const rbm = smallRbm(visible, hidden, 5, 3, 'native-gof', 0.3);
    const chain = new BlockGibbs(rbm, { chains: 20000, rng: createRng(`native-gof/${name}/${visible}/${hidden}/${precision}`), precision, backend });
    chain.sweep(40);
    const { probs, index } = exactCells(rbm);
    expectFits(chiSquareGof(histogram(chain.visibleState, 5, probs.length, index), probs), `${name} gibbs on ${visible} x ${hidden} (${precision})`);
  });
});

describeEachNative(nativeBackends, '%s: seeded runs repeat exactly', (_name, backend) => {
  it('block Gibbs: same seed, same bits; another seed, other states', () => {
    const rbm = smallRbm('bernoulli', 'bernoulli', 31, 19, 'repeat');
    const run = (seed: number) => {
      const chain = new BlockGibbs(rbm, { chains: 37, rng: createRng(seed), precision: 'float32', backend });
      chain.sweep(9);
      return Array.from(chain.visibleState);
    };
    expect(run(3)).toEqual(run(3));
    expect(run(3)).not.toEqual(run(4));
  });

  it('PCD training (products on OpenBLAS threads): same seed, same weights to the bit', () => {
    const data = randomArray(120 * 29, 'repeat/data', 'binary');
    const run = () => {
      const rbm = smallRbm('bernoulli', 'bernoulli', 29, 23, 'repeat-train', 0.1);
      const trainer = new Trainer(rbm, data, 120, { method: 'pcd', k: 1, batchSize: 40, chains: 40, learningRate: 0.05, rng: createRng(11), backend });
      trainer.train(3);
      return Array.from(rbm.weights);
    };
    expect(run()).toEqual(run());
  });
});
