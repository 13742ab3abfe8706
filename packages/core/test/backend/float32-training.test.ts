/**
 * Training with precision 'float32' (a float32 mirror of W, float32 minibatches, chains, inputs
 * and activations; float64 parameters, gradient sums and optimizer) and the native training
 * kernels it uses (binaryActivations, allFinite, addStep; for SGD the fused weight update:
 * outerProducts and sgdWeightStep; addColumnSums and gatherRows).
 *
 * Tolerances:
 *   - float32 sigmoid: relative error below 4e-7 + 2^-24 |z| (the sampler's e^t is within 3e-7 and
 *     the quotient rounds once; rounding z = x + bias to float32 moves sigmoid's tail by up to
 *     2^-24 |z| relative), and absolute below 2e-38 for z < -87 (e^t stops at e^-87);
 *     float32 tanh: absolute error below 4e-7;
 *   - float64 activations: relative 1e-15 (sigmoid) and 4e-16 absolute (tanh) against Math;
 *   - float32 training against float64 with the same seed, on the reference backend: the runs
 *     draw the same states unless a uniform falls within about 1e-7 of its threshold (expected
 *     about 0.02 such draws per run here), so the weights agree to the float32 rounding
 *     accumulated over the updates (measured 4e-9 to 9e-9 after 300 updates); the bound 1e-5 is
 *     100x below the change one differing chain state would make (lr / chains = 1e-3). The
 *     reference's arithmetic is JavaScript's, the same on every machine, so with fixed seeds a
 *     run passes or fails for good. (On the native backend sgemm's order of summation depends on
 *     the CPU's kernel, so the same comparison could meet a near-threshold draw on another
 *     machine; there the mirror is tested directly: every product reads float32 of the current W.)
 */
import {
  checkpointFromJSON,
  checkpointToJSON,
  cpuBackend,
  createLayer,
  createRng,
  defaultBackend,
  exactSample,
  loadNativeBackend,
  normal,
  RBM,
  resolveTrainerConfig,
  StatisticsAccumulator,
  Trainer,
  zeroGradient,
  type Backend,
  type FloatArray,
  type NativeBackend,
} from '../../src';
import { describeNative } from '../helpers/native';

const native: NativeBackend | undefined = loadNativeBackend().backend;

function bernoulliRbm(n: number, m: number, seed: string, scale: number): RBM {
  const rng = createRng(`float32/${seed}`);
  const vis = createLayer('bernoulli', n, { bias: Array.from({ length: n }, () => 0.3 * normal(rng)) }, 'visible');
  const hid = createLayer('bernoulli', m, { bias: Array.from({ length: m }, () => 0.3 * normal(rng)) });
  const w = new Float64Array(n * m);
  for (let k = 0; k < w.length; k++) w[k] = scale * normal(rng);
  return new RBM(vis, hid, w);
}

const teacher = bernoulliRbm(10, 4, 'teacher', 1.2);
const data = exactSample(teacher, 500, createRng('float32/data'), { enumerate: 'visible' });

function train(backend: Backend, precision: 'float32' | 'float64', seed: number, epochs: number): RBM {
  const rbm = bernoulliRbm(10, 6, 'student', 0.05);
  const trainer = new Trainer(rbm, data, 500, { method: 'pcd', k: 1, batchSize: 50, chains: 50, learningRate: 0.05, rng: createRng(seed), backend, precision });
  trainer.train(epochs);
  return rbm;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k] - b[k]));
  return worst;
}

/** A backend's methods as own properties of a plain object (so that a test can leave some out). */
function bindAll(backend: NativeBackend): Backend {
  const out: Record<string, unknown> = { name: backend.name };
  for (const key of ['hiddenInputs', 'visibleInputs', 'addOuterProducts', 'sampleBinaryLayer', 'binaryActivations', 'allFinite', 'addStep', 'outerProducts', 'sgdWeightStep', 'addColumnSums', 'gatherRows', 'maxAbs'] as const) {
    out[key] = (backend[key] as (...args: unknown[]) => unknown).bind(backend);
  }
  return out as unknown as Backend;
}

const backends: [string, Backend][] = [['cpu-reference', cpuBackend], ...(native ? ([['native-openblas', native]] as [string, Backend][]) : [])];

describe('PCD with precision float32 on the reference backend', () => {
  const backend = cpuBackend;
  it.each([1, 2, 3])('follows the float64 run with the same seed (seed %i, 300 updates)', (seed) => {
    const f64 = train(backend, 'float64', seed, 30);
    const f32 = train(backend, 'float32', seed, 30);
    expect(maxAbsDiff(f32.weights, f64.weights)).toBeLessThan(1e-5);
    expect(maxAbsDiff(f32.hidden.params.bias, f64.hidden.params.bias)).toBeLessThan(1e-5);
    // and it learned: the weights moved by about 0.24 from their start, 10^4 times the bound
    expect(maxAbsDiff(f32.weights, bernoulliRbm(10, 6, 'student', 0.05).weights)).toBeGreaterThan(0.1);
  });
});

/** A backend that checks, at every product, that the weights it is given are float32 of rbm.weights now. */
function mirrorChecking(backend: Backend, rbm: RBM, seen: { products: number }): Backend {
  const check = (w: FloatArray) => {
    seen.products++;
    if (!(w instanceof Float32Array)) throw new Error('a product read float64 weights');
    for (let k = 0; k < w.length; k++) {
      if (w[k] !== Math.fround(rbm.weights[k])) throw new Error(`stale mirror: entry ${k} is ${w[k]}, W is ${rbm.weights[k]}`);
    }
  };
  return {
    name: backend.name,
    hiddenInputs: (v, w, b, n, m, out) => (check(w), backend.hiddenInputs(v, w, b, n, m, out)),
    visibleInputs: (h, w, b, n, m, out) => (check(w), backend.visibleInputs(h, w, b, n, m, out)),
    addOuterProducts: backend.addOuterProducts.bind(backend),
    sampleBinaryLayer: backend.sampleBinaryLayer?.bind(backend),
    binaryActivations: backend.binaryActivations?.bind(backend),
    allFinite: backend.allFinite?.bind(backend),
    addStep: backend.addStep?.bind(backend),
  };
}

describe.each(backends)('PCD with precision float32 on %s', (_name, backend) => {
  it('every product reads float32 of the current weights: after each update, a callback and a change between train() calls', () => {
    const rbm = bernoulliRbm(10, 6, 'student', 0.05);
    const seen = { products: 0 };
    const callback = (record: { epoch: number }) => {
      if (record.epoch === 2) rbm.weights.fill(0.25); // a callback that rewrites W (a max-norm step, say)
    };
    const trainer = new Trainer(rbm, data, 500, {
      method: 'pcd',
      k: 1,
      batchSize: 50,
      chains: 50,
      learningRate: 0.05,
      rng: createRng(5),
      backend: mirrorChecking(backend, rbm, seen),
      precision: 'float32',
      callbacks: [callback],
    });
    trainer.train(3);
    rbm.weights.set(rbm.weights.map((x) => -x)); // the caller changes W between calls
    trainer.train(4);
    expect(seen.products).toBe(4 * 10 * 4); // 4 epochs x 10 minibatches x (2 statistics + 2 chain) products
  });

  it('keeps float64 activations for units that are not bounded (poisson: e^x), so float32 overflows no sooner than float64', () => {
    const vis = createLayer('bernoulli', 4, { bias: [0, 0, 0, 0] }, 'visible');
    const make = () => new RBM(vis, createLayer('poisson', 2, { bias: [0, 0] }), new Float64Array([50, 50, 50, 50, 0, 0, 0, 0]));
    const v = new Float64Array([1, 1, 0, 0, 1, 0, 1, 0]);
    const grads: Float64Array[] = [];
    for (const precision of ['float64', 'float32'] as const) {
      const rbm = make();
      const acc = new StatisticsAccumulator(rbm, backend, precision);
      const grad = zeroGradient(rbm);
      const batch = precision === 'float32' ? Float32Array.from(v) : v;
      acc.add(batch, 2, 1, grad, undefined, precision === 'float32' ? Float32Array.from(rbm.weights) : rbm.weights);
      grads.push(grad.weights);
    }
    // inputs 100 for the first row: e^100 = 2.7e43, past float32's range, well inside float64's
    expect(Number.isFinite(grads[1][0])).toBe(true);
    expect(Math.abs(grads[1][0] - grads[0][0])).toBeLessThanOrEqual(1e-6 * Math.abs(grads[0][0]));
  });

  it('repeats to the bit with the same seed', () => {
    expect(Array.from(train(backend, 'float32', 7, 5).weights)).toEqual(Array.from(train(backend, 'float32', 7, 5).weights));
  });

  it('resumes from a checkpoint bit-identically (the mirror is rebuilt from the saved weights)', () => {
    const whole = train(backend, 'float32', 9, 6);
    const rbm = bernoulliRbm(10, 6, 'student', 0.05);
    const first = new Trainer(rbm, data, 500, { method: 'pcd', k: 1, batchSize: 50, chains: 50, learningRate: 0.05, rng: createRng(9), backend, precision: 'float32' });
    first.train(3);
    const { rbm: restored, state } = checkpointFromJSON(JSON.parse(JSON.stringify(checkpointToJSON(rbm, first.state()))));
    expect(state.config.precision).toBe('float32');
    Trainer.resume(restored, data, 500, state, { backend }).train(6);
    expect(Array.from(restored.weights)).toEqual(Array.from(whole.weights));
  });

  it('hands the backend float32 weights, states and activations (no copy of W per product)', () => {
    const seen = new Set<string>();
    const type = (a: FloatArray) => (a instanceof Float32Array ? 'f32' : 'f64');
    const spy: Backend = {
      name: backend.name,
      hiddenInputs: (v, w, b, n, m, out) => (seen.add(`hidden ${type(v)} ${type(w)} ${type(out)}`), backend.hiddenInputs(v, w, b, n, m, out)),
      visibleInputs: (h, w, b, n, m, out) => (seen.add(`visible ${type(h)} ${type(w)} ${type(out)}`), backend.visibleInputs(h, w, b, n, m, out)),
      addOuterProducts: (v, a, b, n, m, s, out) => (seen.add(`outer ${type(v)} ${type(a)}`), backend.addOuterProducts(v, a, b, n, m, s, out)),
    };
    const rbm = bernoulliRbm(10, 6, 'student', 0.05);
    new Trainer(rbm, data, 500, { method: 'pcd', k: 1, batchSize: 50, chains: 50, learningRate: 0.05, rng: createRng(1), backend: spy, precision: 'float32' }).train(1);
    expect([...seen].sort()).toEqual(['hidden f32 f32 f32', 'outer f32 f32', 'visible f32 f32 f32']);
  });
});

describe('the precision setting', () => {
  it('is float64 unless asked, and refuses anything else with a clear message', () => {
    expect(resolveTrainerConfig({ method: 'pcd', learningRate: 0.1 }).precision).toBe('float64');
    expect(() => resolveTrainerConfig({ method: 'pcd', learningRate: 0.1, precision: 'float16' as 'float32' })).toThrow('precision must be "float64" or "float32", got "float16"');
    // exact training and PT read nothing in float32
    expect(() => resolveTrainerConfig({ method: 'exact', learningRate: 0.1, precision: 'float32' })).toThrow('precision "float32" is for methods cd and pcd, not exact');
    expect(() => resolveTrainerConfig({ method: 'pt', learningRate: 0.1, precision: 'float32' })).toThrow('precision "float32" is for methods cd and pcd, not pt');
    expect(resolveTrainerConfig({ method: 'cd', learningRate: 0.1, precision: 'float32' }).precision).toBe('float32');
  });

  it('reads a checkpoint written before the field existed as float64', () => {
    const rbm = bernoulliRbm(10, 6, 'student', 0.05);
    const trainer = new Trainer(rbm, data, 500, { method: 'pcd', k: 1, batchSize: 50, chains: 50, learningRate: 0.05, rng: createRng(2) });
    trainer.train(1);
    const json = JSON.parse(JSON.stringify(checkpointToJSON(rbm, trainer.state())));
    expect(json.config.precision).toBe('float64');
    delete json.config.precision;
    const { rbm: restored, state } = checkpointFromJSON(json);
    const resumed = Trainer.resume(restored, data, 500, state);
    expect(resumed.config.precision).toBe('float64');
    resumed.train(2);
    const whole = bernoulliRbm(10, 6, 'student', 0.05);
    new Trainer(whole, data, 500, { method: 'pcd', k: 1, batchSize: 50, chains: 50, learningRate: 0.05, rng: createRng(2) }).train(2);
    expect(Array.from(restored.weights)).toEqual(Array.from(whole.weights));
  });
});

describeNative('native training kernels', () => {
  const addon = (native as NativeBackend).addon;
  const rng = createRng('float32/kernels');
  const batch = 37;
  const size = 53;
  const inputs = Float64Array.from({ length: batch * size }, () => 30 * (rng.uniform() - 0.5));
  const bias = Float64Array.from({ length: size }, () => 4 * (rng.uniform() - 0.5));

  it.each(['bernoulli', 'spin'] as const)('binaryActivations (%s): float32 and float64 activations and their column sums', (kind) => {
    const f = (z: number) => (kind === 'bernoulli' ? 1 / (1 + Math.exp(-z)) : Math.tanh(z));
    for (const [inStorage, storage] of [
      ['float32', 'float32'],
      ['float64', 'float64'],
      ['float64', 'float32'],
      ['float32', 'float64'],
    ] as const) {
      const x = inStorage === 'float32' ? Float32Array.from(inputs) : inputs;
      const out = storage === 'float32' ? new Float32Array(batch * size) : new Float64Array(batch * size);
      const sums = new Float64Array(size).fill(1); // accumulated into
      (native as NativeBackend).binaryActivations(x, bias, batch, size, kind, out, sums);
      for (let k = 0; k < out.length; k++) {
        const exact = f(x[k] + bias[k % size]);
        const err = Math.abs(out[k] - exact);
        const z = Math.abs(x[k] + bias[k % size]);
        const bound = storage === 'float32' ? (kind === 'bernoulli' ? (4e-7 + 2 ** -24 * z) * exact : 4e-7) : kind === 'bernoulli' ? 1e-15 * exact : 4e-16;
        if (!(err <= bound)) throw new Error(`${kind} ${inStorage} -> ${storage} entry ${k}: ${out[k]} vs ${exact}`);
      }
      for (let j = 0; j < size; j++) {
        let s = 1;
        for (let b = 0; b < batch; b++) s += out[b * size + j];
        expect(Math.abs(sums[j] - s)).toBeLessThanOrEqual(1e-13 * (1 + Math.abs(s)));
      }
    }
  });

  it('binaryActivations keeps NaN and saturates at the infinities', () => {
    const out = new Float32Array(3);
    addon.binaryActivations(new Float32Array([NaN, Infinity, -Infinity]), null, 1, 3, 0, out, new Float64Array(3));
    expect(Number.isNaN(out[0])).toBe(true);
    expect(out[1]).toBe(1);
    expect(out[2]).toBeLessThan(2e-38);
    addon.binaryActivations(new Float32Array([NaN, Infinity, -Infinity]), null, 1, 3, 1, out, new Float64Array(3));
    expect(Number.isNaN(out[0])).toBe(true);
    expect([out[1], out[2]]).toEqual([1, -1]);
  });

  it('allFinite finds a NaN or an infinity wherever it is', () => {
    const x = Float64Array.from({ length: 1031 }, (_, k) => k - 500);
    expect(addon.allFinite(x)).toBe(true);
    for (const bad of [NaN, Infinity, -Infinity]) {
      for (const at of [0, 7, 1030]) {
        const y = Float64Array.from(x);
        y[at] = bad;
        expect(addon.allFinite(y)).toBe(false);
      }
    }
  });

  it('addStep makes exactly the float64 sums of the JavaScript loop, with the float32 mirror, and reports overflow', () => {
    const target = Float64Array.from({ length: 1001 }, () => normal(rng));
    const step = Float64Array.from({ length: 1001 }, () => 1e-3 * normal(rng));
    const expected = target.map((p, k) => p + step[k]);
    const mirror = new Float32Array(1001);
    expect(addon.addStep(target, step, mirror)).toBe(true);
    expect(Array.from(target)).toEqual(Array.from(expected));
    expect(Array.from(mirror)).toEqual(Array.from(Float32Array.from(expected)));
    expect(addon.addStep(target, step, null)).toBe(true);
    const big = new Float64Array([1e308, 0]);
    expect(addon.addStep(big, new Float64Array([1e308, 0]), null)).toBe(false);
  });

  it('outerProducts writes the float32 product that addOuterProducts adds, whatever out held', () => {
    // shapes past OpenBLAS's blocking, distinct primes; K = batch = 37
    const [b, n, m] = [37, 131, 67];
    const v = Float32Array.from({ length: b * n }, () => (rng.uniform() < 0.3 ? 1 : 0));
    const a = Float32Array.from({ length: b * m }, () => rng.uniform());
    const out = new Float32Array(n * m).fill(NaN); // beta = 0: what out held is ignored
    addon.outerProducts(v, a, b, n, m, -1 / b, out);
    const sums = new Float64Array(n * m);
    addon.addOuterProducts(v, a, b, n, m, -1 / b, sums);
    // the same sgemm: float64(out) is exactly what addOuterProducts added to zeros
    expect(Array.from(out, (x) => 0 + x)).toEqual(Array.from(sums));
    // and within the float32 bound (K + 2) u S of the float64 definition, S = sum_b |v a| / b
    for (let i = 0; i < n; i++) {
      for (let mu = 0; mu < m; mu++) {
        let exact = 0;
        let abs = 0;
        for (let r = 0; r < b; r++) {
          exact += v[r * n + i] * a[r * m + mu];
          abs += Math.abs(v[r * n + i] * a[r * m + mu]);
        }
        const err = Math.abs(out[i * m + mu] - -exact / b);
        if (!(err <= ((b + 2) * 2 ** -24 * abs) / b)) throw new Error(`outerProducts (${i}, ${mu}): ${out[i * m + mu]} vs ${-exact / b}`);
      }
    }
    expect(() => addon.outerProducts(v, Float64Array.from(a) as unknown as Float32Array, b, n, m, 1, out)).toThrow('outerProducts takes Float32Arrays');
  });

  it('maxAbs gives the largest magnitude, NaN where there is a NaN', () => {
    for (const make of [(a: number[]) => Float32Array.from(a), (a: number[]) => Float64Array.from(a)]) {
      const x = make(Array.from({ length: 1031 }, (_, k) => (k % 2 === 0 ? 1 : -1) * ((k * 37) % 1031)));
      expect(addon.maxAbs(x)).toBe(1030);
      x[700] = -Infinity;
      expect(addon.maxAbs(x)).toBe(Infinity);
      x[3] = NaN;
      expect(addon.maxAbs(x)).toBeNaN();
      expect(addon.maxAbs(make([]))).toBe(0);
    }
  });

  it('products of sparse 0/1 states are the float32 sums of rows in order, bit for bit (the binary kernel)', () => {
    // density 0.1 (<= 0.5): the addon sums rows instead of calling sgemm, whatever the thread
    // count (native-pool.test.ts checks 1, 2 and 3 threads, and the visible inputs);
    // N = 300 = 2 x 128 + 2 x 16 + 12 covers every strip width
    const [b, k, n] = [37, 131, 300];
    const v = Float32Array.from({ length: b * k }, () => (rng.uniform() < 0.1 ? 1 : 0));
    const w = Float32Array.from({ length: k * n }, () => normal(rng));
    const out = new Float32Array(b * n).fill(NaN);
    addon.hiddenInputs(v, w, b, k, n, out);
    const expected = new Float32Array(b * n);
    for (let r = 0; r < b; r++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let i = 0; i < k; i++) if (v[r * k + i] === 1) acc = Math.fround(acc + w[i * n + j]);
        expected[r * n + j] = acc;
      }
    }
    expect(Array.from(out)).toEqual(Array.from(expected));
    // the gradient sums: out[i, mu] = float32(scale) * (the rows a[b, :] with v[b, i] = 1, summed in order)
    const a = Float32Array.from({ length: b * n }, () => rng.uniform());
    const scale = -1 / 37;
    const g = new Float32Array(k * n).fill(NaN);
    addon.outerProducts(v, a, b, k, n, scale, g);
    const g64 = new Float64Array(k * n);
    addon.addOuterProducts(v, a, b, k, n, scale, g64);
    for (let i = 0; i < k; i++) {
      for (let mu = 0; mu < n; mu++) {
        let acc = 0;
        for (let r = 0; r < b; r++) if (v[r * k + i] === 1) acc = Math.fround(acc + a[r * n + mu]);
        const want = Math.fround(acc * Math.fround(scale));
        if (g[i * n + mu] !== want || g64[i * n + mu] !== want) throw new Error(`outer (${i}, ${mu}): ${g[i * n + mu]}, ${g64[i * n + mu]} vs ${want}`);
      }
    }
    // a state that is not 0 or 1 sends the product to sgemm: within the float32 bound, not the ordered sum's bits necessarily
    const mixed = Float32Array.from(v);
    mixed[0] = 0.5;
    addon.hiddenInputs(mixed, w, b, k, n, out);
    for (let j = 0; j < n; j++) {
      let exact = 0.5 * w[j];
      let abs = Math.abs(exact);
      for (let i = 1; i < k; i++) {
        exact += v[i] * w[i * n + j];
        abs += Math.abs(v[i] * w[i * n + j]);
      }
      expect(Math.abs(out[j] - exact)).toBeLessThanOrEqual((k + 2) * 2 ** -24 * abs);
    }
  });

  it('allFinite reads float32 arrays too', () => {
    const x = Float32Array.from({ length: 1031 }, (_, k) => k - 500);
    expect(addon.allFinite(x)).toBe(true);
    for (const bad of [NaN, Infinity, -Infinity]) {
      for (const at of [0, 7, 1030]) {
        const y = Float32Array.from(x);
        y[at] = bad;
        expect(addon.allFinite(y)).toBe(false);
      }
    }
  });

  it('sgdWeightStep makes exactly the float64 operations of the general path, with the float32 mirror, and reports overflow', () => {
    const len = 1001;
    const w = Float64Array.from({ length: len }, () => normal(rng));
    const g1 = Float32Array.from({ length: len }, () => normal(rng));
    const g2 = Float32Array.from({ length: len }, () => -normal(rng));
    const lr = 0.0731;
    // the general path: clear the float64 gradient, add both float32 sums (addOuterProducts:
    // 1 * out + float64(sum)), scale by lr (sgd), add (addStep)
    const expected = w.map((p, k) => {
      let g = 0;
      g = 1 * g + g1[k];
      g = 1 * g + g2[k];
      g *= lr;
      return p + g;
    });
    const mirror = new Float32Array(len);
    expect(addon.sgdWeightStep(w, g1, g2, lr, mirror)).toBe(true);
    expect(Array.from(w)).toEqual(Array.from(expected));
    expect(Array.from(mirror)).toEqual(Array.from(Float32Array.from(expected)));
    expect(addon.sgdWeightStep(new Float64Array([1e308, 0]), new Float32Array([3e38, 0]), new Float32Array(2), 1e270, new Float32Array(2))).toBe(false);
    expect(() => addon.sgdWeightStep(w, g1, g2, lr, new Float32Array(3))).toThrow('mirror has 3 entries, needs 1001');
  });

  it('addColumnSums makes exactly the float64 sums of the JavaScript loop, for float32 and float64 states', () => {
    const [b, n] = [37, 131];
    const states = Float64Array.from({ length: b * n }, () => (rng.uniform() < 0.3 ? 1 : -1));
    for (const v of [Float32Array.from(states), states]) {
      const scale = -1 / 37;
      const start = Float64Array.from({ length: n }, () => normal(rng));
      const expected = Float64Array.from(start);
      for (let r = 0; r < b; r++) for (let i = 0; i < n; i++) expected[i] -= -scale * v[r * n + i];
      const out = Float64Array.from(start);
      addon.addColumnSums(v, b, n, scale, out);
      expect(Array.from(out)).toEqual(Array.from(expected));
    }
    expect(() => addon.addColumnSums(states, b, n, 1, new Float64Array(n - 1))).toThrow(`out has ${n - 1} entries, needs ${n}`);
  });

  it('gatherRows copies the rows in the given order, converting as FloatArray.set does, and checks every index', () => {
    const [rows, n] = [23, 13];
    const source = Float64Array.from({ length: rows * n }, () => normal(rng));
    const order = Uint32Array.from([5, 22, 0, 7, 7, 3, 11]);
    for (const [from, to] of [
      [source, new Float32Array(4 * n)],
      [source, new Float64Array(4 * n)],
      [Float32Array.from(source), new Float32Array(4 * n)],
      [Float32Array.from(source), new Float64Array(4 * n)],
    ] as const) {
      const expected = to.slice();
      for (let r = 0; r < 4; r++) expected.set(from.subarray(order[2 + r] * n, (order[2 + r] + 1) * n), r * n);
      addon.gatherRows(from, order, 2, 4, n, to);
      expect(Array.from(to)).toEqual(Array.from(expected));
    }
    expect(() => addon.gatherRows(source, Uint32Array.from([0, 23]), 0, 2, n, new Float32Array(2 * n))).toThrow("row 23 is past the data's 23 rows");
    expect(() => addon.gatherRows(source, order, 5, 4, n, new Float32Array(4 * n))).toThrow('order has 7 entries, needs 9');
    expect(() => addon.gatherRows(source, Int32Array.from(order) as unknown as Uint32Array, 0, 1, n, new Float32Array(n))).toThrow('order must be a Uint32Array');
  });

  it.each([
    ['pcd, bernoulli hidden', 'pcd', 'bernoulli', 50],
    ['pcd, spin hidden, a last minibatch of 40 rows', 'pcd', 'spin', 45],
    ['cd, bernoulli hidden', 'cd', 'bernoulli', 50],
  ] as const)('float32 SGD takes the same steps with the fused weight update as without it (%s)', (_title, method, hidden, batchSize) => {
    // the general path: no fused update, and the minibatch and visible-bias sums in JavaScript
    const general: Backend = { ...bindAll(native!), sgdWeightStep: undefined, outerProducts: undefined, addColumnSums: undefined, gatherRows: undefined, maxAbs: undefined };
    const run = (backend: Backend) => {
      const rng2 = createRng('float32/fused');
      const vis = createLayer('bernoulli', 10, { bias: Array.from({ length: 10 }, () => 0.3 * normal(rng2)) }, 'visible');
      const hid = createLayer(hidden, 6, { bias: Array.from({ length: 6 }, () => 0.3 * normal(rng2)) });
      const rbm = new RBM(vis, hid, Float64Array.from({ length: 60 }, () => 0.1 * normal(rng2)));
      const trainer = new Trainer(rbm, data, 500, { method, k: 1, batchSize, chains: batchSize, learningRate: { kind: 'exponential', lr: 0.1, decay: 0.9 }, rng: createRng(3), backend, precision: 'float32' });
      trainer.train(4);
      return [rbm.weights, rbm.visible.params.bias, rbm.hidden.params.bias, trainer.state().optimizer.steps] as const;
    };
    let fusedSteps = 0;
    let float32Checks = 0;
    const counted: Backend = {
      ...bindAll(native!),
      sgdWeightStep: (...args) => (fusedSteps++, native!.sgdWeightStep(...args)),
      allFinite: (x) => ((float32Checks += x instanceof Float32Array ? 1 : 0), native!.allFinite(x)),
    };
    const fused = run(counted);
    const plain = run(general);
    expect(fusedSteps).toBe(4 * Math.ceil(500 / batchSize)); // every update took the fused path
    expect(float32Checks).toBe(0); // binary states and activations: the bound made the check (applyFusedSgd)
    expect(Array.from(fused[0])).toEqual(Array.from(plain[0]));
    expect(Array.from(fused[1])).toEqual(Array.from(plain[1]));
    expect(Array.from(fused[2])).toEqual(Array.from(plain[2]));
    expect(fused[3]).toBe(plain[3]);
  });

  it.each([
    ['an entry past float32\'s range (its float32 copy is infinite)', (d: Float64Array) => (d[3] = 1e39)],
    ['a column of finite float32 values whose sum overflows float32', (d: Float64Array) => d.forEach((_, k) => k % 10 === 0 && (d[k] = 3e37))],
    ['a NaN', (d: Float64Array) => (d[17] = NaN)],
  ])('a step that is not finite stops the fused update with the general path\'s error, leaving the model as it was (%s)', (_title, spoil) => {
    const bad = Float64Array.from(data);
    spoil(bad);
    const general: Backend = { ...bindAll(native!), sgdWeightStep: undefined, outerProducts: undefined };
    const outcome = (backend: Backend) => {
      const rbm = bernoulliRbm(10, 6, 'student', 0.05);
      const before = Float64Array.from(rbm.weights);
      const trainer = new Trainer(rbm, bad, 500, { method: 'pcd', k: 1, batchSize: 500, chains: 50, learningRate: 0.05, rng: createRng(5), backend, precision: 'float32' });
      let message = '';
      try {
        trainer.train(1);
      } catch (err) {
        message = (err as Error).message;
      }
      return { message, unchanged: rbm.weights.every((x, k) => Object.is(x, before[k])) };
    };
    const fused = outcome(native!);
    expect(fused).toEqual({ message: expect.stringContaining('the step for weights is not finite'), unchanged: true });
    expect(fused).toEqual(outcome(general));
  });

  it('the default Trainer takes the same steps with the kernels as without them (float64)', () => {
    const plain: Backend = { name: 'native-without-training-kernels', hiddenInputs: native!.hiddenInputs.bind(native), visibleInputs: native!.visibleInputs.bind(native), addOuterProducts: native!.addOuterProducts.bind(native), sampleBinaryLayer: native!.sampleBinaryLayer.bind(native) };
    expect(Array.from(train(plain, 'float64', 4, 3).weights)).toEqual(Array.from(train(native!, 'float64', 4, 3).weights));
    expect(defaultBackend().addStep).toBeDefined();
  });
});
