/**
 * Extremes and failures, one test body per mode (helpers.ts): inputs where float32 loses a
 * closed form or a value leaves its range, refused draws that must be reported however long ago
 * they happened, kernels that belong to one sampler alone, and GpuLimitError for the limits that
 * are the user's input. Each test here failed on the code before its fix (checked by reverting
 * each fix alone), in every mode except where noted: the dense heat bath's tiny beta passed in
 * the cpu mode, which computes in float64 (and 1e-40 in webasm, which keeps denormals).
 */
import { GpuBlockGibbs, GpuDenseHeatBath, GpuLimitError, GpuPcd, hiddenActivations, sampleLayerOnDevice, uploadWeights, type GpuMode } from '@rbmlab/gpu';
import { createLayer, createRng, DenseAssociativeMemory, DenseDynamics, normal, randomPatterns, RBM } from '@rbmlab/core';
import { backendFor, MODES } from './helpers';

const U32 = 2 ** -24;

/** Runs f and returns what it threw (undefined if nothing). */
function thrown(f: () => unknown): Error | undefined {
  try {
    f();
  } catch (err) {
    return err as Error;
  }
  return undefined;
}

/** f throws GpuLimitError (a RangeError named 'GpuLimitError', one line) matching `pattern`. */
function expectLimit(f: () => unknown, pattern: RegExp): void {
  const err = thrown(f);
  if (err === undefined) throw new Error(`expected a GpuLimitError matching ${pattern}, nothing was thrown`);
  expect(err).toBeInstanceOf(GpuLimitError);
  expect(err).toBeInstanceOf(RangeError);
  expect(err.name).toBe('GpuLimitError');
  expect(err.message).not.toContain('\n');
  expect(err.message).toMatch(pattern);
}

describe.each(MODES)('%s: release() frees one sampler\'s kernels only', (mode: GpuMode) => {
  it('disposing sampler A leaves sampler B (1 chain, 5 x 3) working, with the states of an undisposed run', () => {
    // a fresh module registry, so that the samplers here are the first of their module: with the
    // old bare-counter tags ("1", "2"), A's tag "1" matched the "/1/" of B's chain count
    let gpu: typeof import('@rbmlab/gpu') = undefined as never;
    let core: typeof import('@rbmlab/core') = undefined as never;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      gpu = require('@rbmlab/gpu');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      core = require('@rbmlab/core');
    });
    const backend = gpu.createGpuBackend({ mode });
    try {
      const rbm = new core.RBM(
        core.createLayer('bernoulli', 5, {}, 'visible'),
        core.createLayer('bernoulli', 3, {}),
        Float64Array.from({ length: 15 }, (_, k) => 0.1 * ((k % 5) - 2)),
      );
      const k0 = backend.kernelCount;
      const a = new gpu.GpuBlockGibbs(backend, rbm, { chains: 4, seed: 1 });
      const aKeys = backend.kernelKeys();
      const b = new gpu.GpuBlockGibbs(backend, rbm, { chains: 1, seed: 2 });
      const bKeys = backend.kernelKeys().filter((key) => !aKeys.includes(key));
      a.sweep(1);
      a.dispose();
      // B's kernels are all there, and only they
      expect(backend.kernelCount).toBe(k0 + bKeys.length);
      expect(backend.kernelKeys().filter((key) => bKeys.includes(key))).toEqual(bKeys);
      b.sweep(3);
      const got = [Array.from(b.visible()), Array.from(b.hidden())];
      b.dispose();
      expect(backend.kernelCount).toBe(k0);
      const ref = new gpu.GpuBlockGibbs(backend, rbm, { chains: 1, seed: 2 });
      ref.sweep(3);
      expect(got).toEqual([Array.from(ref.visible()), Array.from(ref.hidden())]);
      ref.dispose();
    } finally {
      backend.destroy();
    }
  });

  it('every sampler\'s keys start with its own tag, and no tag is a prefix of another', () => {
    const backend = backendFor(mode);
    const rbm = new RBM(createLayer('bernoulli', 4, {}, 'visible'), createLayer('poisson', 3, { bias: [0, 0, 0] }), new Float64Array(12));
    const before = new Set(backend.kernelKeys());
    const gibbs = new GpuBlockGibbs(backend, rbm, { chains: 2, seed: 1 });
    const pcd = new GpuPcd(backend, rbm, { chains: 2, seed: 1, batch: 2, learningRate: 0.1 });
    pcd.step(new Float64Array(8));
    const dense = new GpuDenseHeatBath(backend, new DenseAssociativeMemory({ patterns: [[1, -1, 1]], energy: { kind: 'krotov', F: 'power', p: 2 }, beta: 1 }), {
      chains: 2,
      seed: 1,
    });
    dense.heatBath(1);
    const tags = [gibbs.tag, pcd.tag, pcd.chain.tag, dense.tag];
    for (const t of tags) expect(t).toMatch(/^[a-z]+#[0-9]+:$/);
    for (const t of tags) for (const u of tags) if (t !== u) expect(u.startsWith(t)).toBe(false);
    const added = backend.kernelKeys().filter((k) => !before.has(k));
    for (const key of added) expect(tags.filter((t) => key.startsWith(t)).length).toBe(1);
    for (const s of [gibbs, pcd, dense]) s.dispose();
    expect(backend.kernelKeys().filter((k) => !before.has(k))).toEqual([]);
    expect(() => backend.release('1')).toThrow(/not a tag/);
  });
});

describe.each(MODES)('%s: the dense heat bath at tiny beta (Krotov F = exp, N = 150)', (mode: GpuMode) => {
  // beta as a float32 argument was 0 below 1.4e-45 (1.2e-38 on GL), and the kernel ran a fair
  // coin; beta Delta at the pattern is still beta e^(N-1) 2 sinh 1 ~ 1e15 (beta 1e-50), a sure state
  it.each([1e-50, 1e-40])('beta = %s: chains started on pattern 0 stay there, as in core', (beta) => {
    const n = 150;
    const chains = 8;
    const rng = createRng('gpu-dense/tiny-beta');
    const patterns = Array.from({ length: 2 }, () => Array.from({ length: n }, () => (rng.uniform() < 0.5 ? -1 : 1)));
    const model = new DenseAssociativeMemory({ patterns, energy: { kind: 'krotov', F: 'exp' }, beta });
    const init = Float64Array.from({ length: chains * n }, (_, k) => patterns[0][k % n]);
    const hb = new GpuDenseHeatBath(backendFor(mode), model, { chains, seed: 's', init });
    const dd = new DenseDynamics(model, { chains, rng: createRng('s').split('uniforms'), init });
    hb.heatBath(2);
    dd.heatBath(2);
    const overlap = (s: ArrayLike<number>) => {
      let m = 0;
      for (let k = 0; k < chains * n; k++) m += s[k] * patterns[0][k % n];
      return m / (chains * n);
    };
    expect(overlap(dd.states())).toBe(1);
    expect(overlap(hb.states())).toBe(1);
    hb.dispose();
  });

  it('beta that is not a finite number >= 0 is a GpuLimitError', () => {
    const model = new DenseAssociativeMemory({ patterns: [[1, -1, 1]], energy: { kind: 'krotov', F: 'exp' }, beta: 1 });
    const hb = new GpuDenseHeatBath(backendFor(mode), model, { chains: 2, seed: 1 });
    for (const beta of [NaN, -1, Infinity]) expectLimit(() => hb.heatBath(1, beta), /beta must be a finite number >= 0/);
    hb.dispose();
  });
});

describe.each(MODES)('%s: relu and drelu activations for strongly negative inputs', (mode: GpuMode) => {
  // sd (lambda(a) - a) cancelled in float32 (6.7e-4 instead of 1e-3 at x = -1000, negative from
  // -3000 on); the continued fraction keeps float32's relative accuracy (< 1e-7 measured on the
  // host's float32 emulation; 1e-5 leaves room for GL's division and the inputs' rounding)
  const xs = [-30, -1000, -3000, -1e4, -1e6];
  const m = xs.length;
  const check = (rbm: RBM) => {
    const got = hiddenActivations(backendFor(mode), rbm, Float64Array.of(1), 1);
    for (let j = 0; j < m; j++) {
      const ref = rbm.hidden.mean(j, xs[j]);
      const rel = Math.abs(got[j] - ref) / Math.abs(ref);
      if (!(rel <= 1e-5)) throw new Error(`${mode} ${rbm.hidden.type} unit ${j} at x = ${xs[j]}: ${got[j]} vs core ${ref} (relative error ${rel})`);
    }
    return got;
  };

  it('relu (gamma 1 and 2.5): within 1e-5 relative of core\'s float64 mean, and positive', () => {
    for (const gamma of [1, 2.5]) {
      const rbm = new RBM(createLayer('bernoulli', 1, {}, 'visible'), createLayer('relu', m, { bias: new Array(m).fill(0), gamma: new Array(m).fill(gamma) }), Float64Array.from(xs));
      const got = check(rbm);
      for (const h of got) expect(h).toBeGreaterThan(0);
    }
  });

  it('drelu with both sides strongly negative: within 1e-5 relative of core', () => {
    // x + biasPlus = x and -(x + biasMinus) = x/2: the mean is p+ m+ - p- m- ~ -1/|x|, both sides
    // in the continued fraction's range, no cancellation between them
    const rbm = new RBM(
      createLayer('bernoulli', 1, {}, 'visible'),
      createLayer('drelu', m, { biasPlus: new Array(m).fill(0), biasMinus: xs.map((x) => -1.5 * x), gammaPlus: new Array(m).fill(1), gammaMinus: new Array(m).fill(2) }),
      Float64Array.from(xs),
    );
    check(rbm);
  });
});

describe.each(MODES)('%s: refused poisson draws and float32 overflow are reported, never silent', (mode: GpuMode) => {
  it('GpuPcd with a poisson hidden mean above 80 (bias 90, bias log 80 + 1): the next read-back throws, and the failure sticks', () => {
    for (const bias of [Math.log(80) + 1, 90]) {
      const rbm = new RBM(createLayer('bernoulli', 3, {}, 'visible'), createLayer('poisson', 2, { bias: [bias, 0] }), Float64Array.from({ length: 6 }, (_, k) => 0.01 * (k - 3)));
      const pcd = new GpuPcd(backendFor(mode), rbm, { chains: 4, seed: 1, batch: 4, learningRate: 0.01 });
      const data = Float64Array.from({ length: 12 }, (_, k) => k % 2);
      // steps read nothing back (no device-to-host traffic in the training loop)
      for (let s = 0; s < 3; s++) pcd.step(data);
      expectLimit(() => pcd.checkFailures(), /poisson hidden units of chain \d+ had a mean above 80 .*first at sweep 1/);
      // the failure sticks: nothing more is read back or applied
      expectLimit(() => pcd.step(data), /mean above 80/);
      expectLimit(() => pcd.weights(), /mean above 80/);
      expectLimit(() => pcd.syncToModel(), /mean above 80/);
      expect(rbm.weights.every(Number.isFinite)).toBe(true);
      expect(rbm.hidden.params.bias[0]).toBe(bias);
      pcd.dispose();
    }
  });

  it('GpuPcd with a poisson data activation above e^88.7 (float32 overflow): a GpuLimitError at read-back naming the step, not NaN weights', () => {
    // the chains start at v = 0 and stay there (visible bias -1e4, beyond any 95 h): their hidden
    // means are 1, but the data's first unit gives input 95 to hidden unit 0, whose e^95 overflows
    const rbm = new RBM(createLayer('bernoulli', 2, { bias: [-1e4, -1e4] }, 'visible'), createLayer('poisson', 2, { bias: [0, 0] }), Float64Array.of(95, 0, 0, 0));
    const pcd = new GpuPcd(backendFor(mode), rbm, { chains: 3, seed: 1, batch: 2, learningRate: 0.01, init: new Float64Array(6) });
    pcd.step(Float64Array.of(0, 0, 0, 0));
    pcd.step(Float64Array.of(1, 0, 1, 1));
    pcd.step(Float64Array.of(0, 0, 0, 0));
    expectLimit(() => pcd.weights(), /a bias left float32's range at step 2 of 3 \(poisson activations e\^x overflow float32 above x = 88\.7\)/);
    expectLimit(() => pcd.syncToModel(), /88\.7/);
    expect(Array.from(rbm.weights)).toEqual([95, 0, 0, 0]);
    pcd.dispose();
  });

  it('GpuPcd: a learning rate of 1e39 overflows float32 on the device; read-backs refuse, the model keeps its finite values', () => {
    const rbm = new RBM(createLayer('bernoulli', 3, {}, 'visible'), createLayer('bernoulli', 2, {}), new Float64Array(6));
    const pcd = new GpuPcd(backendFor(mode), rbm, { chains: 2, seed: 1, batch: 2, learningRate: 1e39 });
    pcd.step(Float64Array.of(1, 1, 1, 1, 1, 1));
    expectLimit(() => pcd.weights(), /left float32's range at step 1|the float32 update overflowed/);
    expectLimit(() => pcd.syncToModel(), /left float32's range at step 1|the float32 update overflowed/);
    expect(Array.from(rbm.weights)).toEqual([0, 0, 0, 0, 0, 0]);
    pcd.dispose();
  });

  it('GpuPcd.weights() checks the weights it reads: a weight that is not finite in float32 is a GpuLimitError', () => {
    // weights the biases' health flag does not see: W itself replaced by one with an entry above float32's range
    const rbm = new RBM(createLayer('bernoulli', 3, {}, 'visible'), createLayer('bernoulli', 2, {}), new Float64Array(6));
    const pcd = new GpuPcd(backendFor(mode), rbm, { chains: 2, seed: 1, batch: 2, learningRate: 0.1 });
    pcd.step(Float64Array.of(1, 0, 1, 0, 1, 0));
    const bad = Float64Array.from({ length: 6 }, (_, k) => (k === 3 ? 1e39 : 0));
    pcd.chain.weights = uploadWeights(backendFor(mode), `${pcd.tag}bad`, bad, 3, 2);
    expectLimit(() => pcd.weights(), /weight \(1, 1\) on the device is Infinity after 1 steps: the float32 update overflowed/);
    expectLimit(() => pcd.syncToModel(), /float32 update overflowed/);
    expect(Array.from(rbm.weights)).toEqual([0, 0, 0, 0, 0, 0]);
    pcd.dispose();
  });

  it('block Gibbs: a refused draw in the first sweep is reported after later valid sweeps', () => {
    // v starts at (1, 1): the hidden input 1 + 2 + 2 = 5 is a mean of 148 > 80, refused (-1); then
    // v = 0 for good (visible bias -50), and every later hidden mean is e = 2.7: the last hidden
    // states are valid, and the old check of the last half-sweep alone saw nothing
    const rbm = new RBM(createLayer('bernoulli', 2, { bias: [-50, -50] }, 'visible'), createLayer('poisson', 1, { bias: [1] }), Float64Array.of(2, 2));
    const chains = 6;
    const chain = new GpuBlockGibbs(backendFor(mode), rbm, { chains, seed: 3, init: new Float64Array(2 * chains).fill(1) });
    chain.sweep(4);
    expectLimit(() => chain.visible(), /poisson hidden units of chain 0 had a mean above 80 .*first at sweep 1; 6 of 6 chains/);
    expectLimit(() => chain.hidden(), /first at sweep 1/);
    chain.sweep(2);
    expectLimit(() => chain.visible(), /first at sweep 1/);
    chain.dispose();
  });

  it('the poisson sampler refuses NaN inputs and inputs above log 80 (the draw is never 255 or a number)', () => {
    const layer = createLayer('poisson', 1, {});
    for (const x of [NaN, 90, 1000, Math.log(80) + 0.01]) {
      expectLimit(() => sampleLayerOnDevice(backendFor(mode), layer, [x], 4, 'refuse'), /poisson unit 0 .*had a mean above 80 or a non-finite input/);
    }
    const ok = sampleLayerOnDevice(backendFor(mode), layer, [Math.log(79)], 200, 'accept');
    for (const h of ok) expect(Number.isInteger(h) && h >= 0 && h < 200).toBe(true);
  });

  it('hiddenActivations: a poisson activation above float32 range is a GpuLimitError', () => {
    const rbm = new RBM(createLayer('bernoulli', 1, {}, 'visible'), createLayer('poisson', 2, {}), Float64Array.of(3, 95));
    expectLimit(() => hiddenActivations(backendFor(mode), rbm, Float64Array.of(1), 1), /hidden unit 1 in row 0 is Infinity/);
  });
});

describe.each(MODES)('%s: GpuPcd.gradient() forms G itself', (mode: GpuMode) => {
  it('G is exact to float32 sums even where |G| << |W| (|W| ~ 1000)', () => {
    // (W + G) - W lost G below ulp(W) / 2 = 3e-5 here; G itself has error (K + 2) u sum|terms|.
    // W > 0 and zero biases: every hidden input is 0 or above 999, so the activations are exactly
    // 1/2 or 1 in float32 and float64 alike, and the bound needs no term for them
    const n = 11;
    const hidden = 7;
    const batch = 13;
    const chains = 17;
    const rng = createRng('gpu-pcd/big-w');
    const weights = Float64Array.from({ length: n * hidden }, () => 1000 + 0.3 * normal(rng));
    const rbm = new RBM(createLayer('bernoulli', n, {}, 'visible'), createLayer('bernoulli', hidden, {}), weights);
    const data = Float64Array.from({ length: batch * n }, (_, k) => ((k * 31) % 7 < 3 ? 1 : 0));
    const pcd = new GpuPcd(backendFor(mode), rbm, { chains, seed: 8, batch, learningRate: 0.1 });
    const g = pcd.gradient(data);
    const v = pcd.chain.visible();
    const ad = rbm.hiddenMean(data, batch);
    const av = rbm.hiddenMean(v, chains);
    let worst = 0;
    for (let i = 0; i < n; i++) {
      for (let mu = 0; mu < hidden; mu++) {
        let s = 0;
        let abs = 0;
        for (let b = 0; b < batch; b++) {
          s += (data[b * n + i] * ad[b * hidden + mu]) / batch;
          abs += Math.abs(data[b * n + i] * ad[b * hidden + mu]) / batch;
        }
        for (let c = 0; c < chains; c++) {
          s -= (v[c * n + i] * av[c * hidden + mu]) / chains;
          abs += Math.abs(v[c * n + i] * av[c * hidden + mu]) / chains;
        }
        const err = Math.abs(g.weights[i * hidden + mu] - s);
        const bound = (batch + chains + 4) * U32 * abs + 1e-12;
        worst = Math.max(worst, err / bound);
        if (!(err <= bound)) throw new Error(`${mode} G(${i}, ${mu}) = ${g.weights[i * hidden + mu]} vs ${s} (error ${err}, bound ${bound})`);
      }
    }
    expect(worst).toBeLessThanOrEqual(1);
    pcd.dispose();
  });
});

describe('GpuLimitError for the limits that are the user\'s input', () => {
  const rbm = (n: number, m: number) => new RBM(createLayer('bernoulli', n, {}, 'visible'), createLayer('bernoulli', m, {}), new Float64Array(n * m));

  it('is exported, a RangeError named GpuLimitError', () => {
    const e = new GpuLimitError('x\ny');
    expect(e).toBeInstanceOf(RangeError);
    expect(e.name).toBe('GpuLimitError');
    expect(e.message).toBe('x y');
  });

  it('chains or rows above 16384, units above 16384, flat indices at 2^24', () => {
    const b = backendFor('cpu');
    expectLimit(() => new GpuBlockGibbs(b, rbm(3, 2), { chains: 16385, seed: 1 }), /chains is 16385; the GPU kernels take at most 16384/);
    expectLimit(() => new GpuBlockGibbs(b, rbm(16385, 1), { chains: 2, seed: 1 }), /at most 16384 units per layer/);
    expectLimit(() => new GpuPcd(b, rbm(3, 2), { chains: 2, seed: 1, batch: 20000, learningRate: 0.1 }), /batch is 20000/);
    expectLimit(() => new GpuBlockGibbs(b, rbm(1100, 2), { chains: 16384, seed: 1 }), /visible states \(chains x units\) has \d+ entries; .*index at most 2\^24/);
    expectLimit(() => b.kernel('too-big', 'function () { return 0; }', [20000], false), /outside 1\.\.16384/);
    const dense = new DenseAssociativeMemory({ patterns: [[1, -1]], energy: { kind: 'krotov', F: 'exp' }, beta: 1 });
    expectLimit(() => new GpuDenseHeatBath(b, dense, { chains: 16385, seed: 1 }), /chains is 16385/);
    // denseDynamicsLimit says the same before any work (families ask it before a study starts)
    expect(b.denseDynamicsLimit(10_000, 1400, 512)).toBeUndefined();
    expect(b.denseDynamicsLimit(16_384, 1000, 1)).toBeUndefined();
    expect(b.denseDynamicsLimit(16_385, 3, 1)).toBe('the GPU heat bath needs N <= 16384 and P <= 16384, got N = 16385, P = 3');
    expect(b.denseDynamicsLimit(3, 3, 16_385)).toMatch(/^16385 chains; the GPU kernels take at most 16384/);
    // N x P = 2^13 x 2^11 = 2^24 pattern entries: one past the float32 index range
    expect(b.denseDynamicsLimit(8192, 2048, 1)).toBe('the patterns (N x P) has 16777216 entries; gpu.js kernels here index at most 2^24 (float32 indices)');
    expect(b.denseDynamicsLimit(10_000, 100, 2000)).toMatch(/^the spins \(chains x N\) has 20000000 entries/);
    const big = new DenseAssociativeMemory({ patterns: randomPatterns(2, 16_385, createRng(1)), energy: { kind: 'krotov', F: 'power', p: 2 }, beta: 1 });
    expectLimit(() => new GpuDenseHeatBath(b, big, { chains: 1, seed: 1 }), /^the GPU heat bath needs N <= 16384 and P <= 16384, got N = 16385, P = 2$/);
    // not a limit but a wrong input: a plain RangeError
    const err = thrown(() => new GpuBlockGibbs(b, rbm(3, 2), { chains: 0, seed: 1 }));
    expect(err).toBeInstanceOf(RangeError);
    expect(err).not.toBeInstanceOf(GpuLimitError);
  });
});
