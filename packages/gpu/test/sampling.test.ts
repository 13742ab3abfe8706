/**
 * The samplers on the device against exact distributions, one test body per mode (helpers.ts).
 *
 * Goodness of fit: Pearson chi-square of the visible states of 16000 independent chains after 40
 * sweeps (block Gibbs) or 30 sweeps (dense heat bath) against the exact P(v) by enumeration,
 * failing at p < 1e-6 (core's test/helpers/stats.ts): a correct sampler fails a given seeded test
 * with probability 1e-6, about 2e-5 over the ~20 such tests here; the seeds are fixed, so a run
 * passes or fails for good. The models are small and weakly coupled (weights of scale 0.3), so 40
 * sweeps from a random start leave no measurable bias (core's native tests use the same sizes).
 */
import { GpuBlockGibbs, GpuDenseHeatBath, GpuPcd, POISSON_MAX_MEAN, sampleLayerOnDevice, type GpuMode } from '@rbmlab/gpu';
import { BlockGibbs, createLayer, createRng, type UnitLayer, DenseAssociativeMemory, indexFromState, normal, RBM, SPIN_SUPPORT, visibleProbabilities } from '@rbmlab/core';
import { chiSquareGof, expectFits, histogram, logIntegrate } from '../../core/test/helpers/stats';
import { smallRbm } from '../../core/test/helpers/models';
import { backendFor, MODES } from './helpers';

const CHAINS = 16000;

/**
 * Exact cell probabilities of unit j's conditional given input x, from the layer's own potential
 * and cumulant (P(h) = exp(-V(h) + x h - Gamma(x))): discrete units cell by value; continuous
 * units on 24 equal bins over mean +- 5 sd (0 made an edge, where drelu's density has a kink),
 * integrated by Simpson's rule, plus one cell for both tails. Returns the cell of a draw too.
 */
function exactCells(layer: UnitLayer, j: number, x: number): { probs: number[]; cell: (h: number) => number } {
  const logp = (h: number) => -layer.potential(j, h) + x * h - layer.cumulant(j, x);
  if (layer.support !== undefined) {
    const values = [...layer.support];
    return { probs: values.map((h) => Math.exp(logp(h))), cell: (h) => values.indexOf(h) };
  }
  if (layer.type === 'poisson') {
    const probs: number[] = [];
    let total = 0;
    for (let k = 0; k < 60; k++) {
      probs.push(Math.exp(logp(k)));
      total += probs[k];
    }
    probs.push(Math.max(0, 1 - total));
    return { probs, cell: (h) => (Number.isInteger(h) && h >= 0 ? Math.min(h, 60) : -1) };
  }
  const mean = layer.mean(j, x);
  const sd = Math.sqrt(layer.variance(j, x));
  let lo = mean - 5 * sd;
  const hi = mean + 5 * sd;
  if (layer.type === 'relu') lo = Math.max(lo, 0);
  const edges = Array.from({ length: 25 }, (_, k) => lo + ((hi - lo) * k) / 24);
  if (lo < 0 && hi > 0) edges.splice(edges.findIndex((e) => e > 0), 0, 0);
  const probs = edges.slice(1).map((e, k) => Math.exp(logIntegrate(logp, edges[k], e, 2000)));
  probs.push(Math.max(0, 1 - probs.reduce((a, b) => a + b, 0)));
  const cell = (h: number) => {
    if (!(h >= lo && h < hi)) return probs.length - 1;
    let k = 0;
    while (h >= edges[k + 1]) k++;
    return k;
  };
  return { probs, cell };
}

describe.each(MODES)('%s: every unit kernel draws from its exact conditional', (mode: GpuMode) => {
  const inputs = [-2.5, -0.4, 0.6, 3];
  it.each(['bernoulli', 'spin', 'gaussian', 'relu', 'drelu', 'poisson'])('%s units at inputs -2.5, -0.4, 0.6 and 3', (type) => {
    const params: Record<string, number[]> =
      type === 'drelu'
        ? { biasPlus: [0.2, -0.1, 0, 0.3], biasMinus: [-0.3, 0.1, 0.2, 0], gammaPlus: [0.8, 1.5, 1, 1.2], gammaMinus: [1.3, 0.9, 1.6, 1] }
        : type === 'gaussian' || type === 'relu'
          ? { bias: [0.1, -0.2, 0.3, 0], gamma: [0.8, 1.5, 1, 2] }
          : { bias: type === 'poisson' ? [0, -0.5, 0.2, -0.6] : [0.1, -0.2, 0.3, 0] };
    const layer = createLayer(type, 4, params);
    const rows = 16000;
    const draws = sampleLayerOnDevice(backendFor(mode), layer, inputs, rows, `draws/${mode}/${type}`);
    for (let j = 0; j < 4; j++) {
      const { probs, cell } = exactCells(layer, j, inputs[j]);
      const counts = new Float64Array(probs.length);
      for (let r = 0; r < rows; r++) {
        const c = cell(draws[r * 4 + j]);
        if (c < 0) throw new Error(`${type} unit ${j}: draw ${draws[r * 4 + j]} outside the support`);
        counts[c]++;
      }
      expectFits(chiSquareGof(counts, probs), `${mode} ${type} unit ${j} at input ${inputs[j]}`);
    }
  });
});

describe.each(MODES)('%s: block Gibbs on the device matches the exact P(v)', (mode: GpuMode) => {
  it.each([
    ['bernoulli', 'bernoulli'],
    ['spin', 'spin'],
    ['bernoulli', 'gaussian'],
    ['bernoulli', 'relu'],
    ['spin', 'drelu'],
    ['bernoulli', 'poisson'],
  ] as const)('%s visible x %s hidden', (visible, hidden) => {
    const rbm = smallRbm(visible, hidden, 5, 3, 'gpu-gof', 0.3);
    const chain = new GpuBlockGibbs(backendFor(mode), rbm, { chains: CHAINS, seed: `gpu-gof/${mode}/${visible}/${hidden}` });
    chain.sweep(40);
    const probs = visibleProbabilities(rbm);
    const support = rbm.visible.support as readonly number[];
    const counts = histogram(chain.visible(), 5, probs.length, (v) => indexFromState(v, support));
    expectFits(chiSquareGof(counts, probs), `${mode} gibbs on ${visible} x ${hidden}`);
  });
});

describe.each(MODES)('%s: core\'s BlockGibbs on the GpuBackend (the path of train --backend gpu) matches the exact P(v)', (mode: GpuMode) => {
  // the Backend interface: layer inputs on the device, each half-sweep's draws on the host from
  // core's stream (GpuBackend has no fused sampler); the same body as core's native.test.ts
  it.each([
    ['bernoulli', 'bernoulli', 'float64'],
    ['spin', 'relu', 'float32'],
  ] as const)('%s visible x %s hidden, %s chains', (visible, hidden, precision) => {
    const rbm = smallRbm(visible, hidden, 5, 3, 'gpu-core-gof', 0.3);
    const chain = new BlockGibbs(rbm, { chains: CHAINS, rng: createRng(`gpu-core-gof/${mode}/${visible}/${hidden}`), precision, backend: backendFor(mode) });
    chain.sweep(40);
    const probs = visibleProbabilities(rbm);
    const support = rbm.visible.support as readonly number[];
    const counts = histogram(chain.visibleState, 5, probs.length, (v) => indexFromState(v, support));
    expectFits(chiSquareGof(counts, probs), `${mode} core BlockGibbs on ${visible} x ${hidden}`);
  });
});

/** A dense memory of N = 6 spins, P = 3 patterns, F = x^3 (Krotov), at a temperature where it is neither flat nor frozen. */
function smallDense(): DenseAssociativeMemory {
  const rng = createRng('gpu-dense/patterns');
  const patterns = Array.from({ length: 3 }, () => Array.from({ length: 6 }, () => (rng.uniform() < 0.5 ? -1 : 1)));
  return new DenseAssociativeMemory({ patterns, energy: { kind: 'krotov', F: 'power', p: 3 }, beta: 0.03 });
}

describe.each(MODES)('%s: the dense heat bath on the device', (mode: GpuMode) => {
  it('matches the exact Boltzmann distribution (N = 6, P = 3, F = x^3)', () => {
    const model = smallDense();
    const hb = new GpuDenseHeatBath(backendFor(mode), model, { chains: CHAINS, seed: `gpu-dense/${mode}` });
    hb.heatBath(30);
    const states = hb.states();
    const probs = model.probabilities();
    expectFits(chiSquareGof(histogram(states, 6, probs.length, (s) => indexFromState(s, SPIN_SUPPORT)), probs), `${mode} dense heat bath`);
    // the overlaps kept on the device are those of the states
    expect(Array.from(hb.overlaps())).toEqual(Array.from(model.overlaps(states, CHAINS)));
  });

  it('is a fair coin at beta = 0', () => {
    const model = smallDense();
    const chains = 4000;
    const hb = new GpuDenseHeatBath(backendFor(mode), model, { chains, seed: 'gpu-dense/beta0' });
    hb.heatBath(2, 0);
    const s = hb.states();
    let up = 0;
    for (const x of s) up += x === 1 ? 1 : 0;
    // Binomial(24000, 1/2): 6 sd = 465 (false-failure rate 2e-9)
    expect(Math.abs(up - s.length / 2)).toBeLessThan(6 * Math.sqrt(s.length / 4));
  });
});

describe.each(MODES)('%s: seeded runs repeat', (mode: GpuMode) => {
  const rbm = smallRbm('bernoulli', 'relu', 31, 19, 'gpu-repeat');

  it('block Gibbs: same seed, same bits; another seed, other states', () => {
    const run = (seed: number) => {
      const chain = new GpuBlockGibbs(backendFor(mode), rbm, { chains: 37, seed });
      chain.sweep(9);
      return [Array.from(chain.visible()), Array.from(chain.hidden())];
    };
    expect(run(3)).toEqual(run(3));
    expect(run(3)[0]).not.toEqual(run(4)[0]);
    expect(run(0)).toEqual(run(0)); // 0 is a seed
  });

  it('PCD: same seed, same weights and biases to the bit', () => {
    const data = Float64Array.from({ length: 20 * 31 }, (_, k) => ((k * 7919) % 13 < 5 ? 1 : 0));
    const run = (seed: number) => {
      const model = rbm.clone();
      const pcd = new GpuPcd(backendFor(mode), model, { chains: 20, seed, batch: 20, learningRate: 0.05 });
      for (let s = 0; s < 3; s++) pcd.step(data);
      pcd.syncToModel();
      return [Array.from(model.weights), Array.from(model.visible.params.bias), Array.from(model.hidden.params.bias)];
    };
    const a = run(5);
    expect(run(5)).toEqual(a);
    expect(run(6)).not.toEqual(a);
    expect(a[0]).not.toEqual(Array.from(rbm.weights)); // it trained
  });

  it('PCD on a data set kept on the device takes the same steps as PCD given each minibatch', () => {
    const rows = 60;
    const batch = 20;
    const data = Float64Array.from({ length: rows * 31 }, (_, k) => ((k * 7919) % 11 < 4 ? 1 : 0));
    const run = (onDevice: boolean) => {
      const model = rbm.clone();
      const pcd = new GpuPcd(backendFor(mode), model, { chains: 20, seed: 9, batch, learningRate: 0.05, data: onDevice ? data : undefined });
      // 4 steps: three minibatches and the first again
      for (let s = 0; s < 4; s++) {
        if (onDevice) pcd.step();
        else pcd.step(data.subarray(((s % 3) * batch) * 31, ((s % 3) * batch + batch) * 31));
      }
      pcd.syncToModel();
      pcd.dispose();
      return [Array.from(model.weights), Array.from(model.visible.params.bias), Array.from(model.hidden.params.bias)];
    };
    expect(run(true)).toEqual(run(false));
    // one trainer may mix both sources: gpu.js fixes a kernel argument's texture size at its first
    // call, so the two sizes need their own kernels (one kernel for both read wrong texels on GL)
    const mixed = new GpuPcd(backendFor(mode), rbm.clone(), { chains: 20, seed: 9, batch, learningRate: 0.05, data });
    const apart = new GpuPcd(backendFor(mode), rbm.clone(), { chains: 20, seed: 9, batch, learningRate: 0.05, data });
    mixed.step();
    apart.step();
    const given = mixed.gradient(data.subarray(batch * 31, 2 * batch * 31));
    const onDevice = apart.gradient();
    expect(Array.from(given.weights)).toEqual(Array.from(onDevice.weights));
    expect(Array.from(given.visibleBias)).toEqual(Array.from(onDevice.visibleBias));
    mixed.step(data.subarray(0, batch * 31));
    mixed.step();
    apart.step(data.subarray(0, batch * 31));
    apart.step(data.subarray(batch * 31, 2 * batch * 31));
    expect(Array.from(mixed.weights())).toEqual(Array.from(apart.weights()));
    mixed.dispose();
    apart.dispose();
    expect(() => new GpuPcd(backendFor(mode), rbm.clone(), { chains: 2, seed: 1, batch: 7, learningRate: 0.1, data })).toThrow(/multiple of batch \(7\)/);
    const plain = new GpuPcd(backendFor(mode), rbm.clone(), { chains: 2, seed: 1, batch: 2, learningRate: 0.1 });
    expect(() => plain.step()).toThrow(/needs a data set on the device/);
    plain.dispose();
  });

  it('dispose() frees a sampler\'s kernels and the backend goes on', () => {
    const backend = backendFor(mode);
    const before = backend.kernelCount;
    const a = new GpuPcd(backend, rbm.clone(), { chains: 5, seed: 1, batch: 5, learningRate: 0.1 });
    expect(backend.kernelCount).toBeGreaterThan(before);
    a.dispose();
    expect(backend.kernelCount).toBe(before);
    const b = new GpuBlockGibbs(backend, rbm, { chains: 5, seed: 1 });
    b.sweep(2);
    expect(b.visible().every((x) => x === 0 || x === 1)).toBe(true);
    b.dispose();
    expect(backend.kernelCount).toBe(before);
  });

  it('dense heat bath: same seed, same states', () => {
    const run = (seed: string) => {
      const hb = new GpuDenseHeatBath(backendFor(mode), smallDense(), { chains: 29, seed });
      hb.heatBath(4);
      return Array.from(hb.states());
    };
    expect(run('a')).toEqual(run('a'));
    expect(run('a')).not.toEqual(run('b'));
  });
});

describe.each(MODES)('%s: PCD gradient on the device', (mode: GpuMode) => {
  it('equals positive minus negative phase formed on the host from the same chains', () => {
    const rbm = smallRbm('bernoulli', 'bernoulli', 11, 7, 'gpu-pcd');
    const batch = 13;
    const data = Float64Array.from({ length: batch * 11 }, (_, k) => ((k * 31) % 7 < 3 ? 1 : 0));
    const pcd = new GpuPcd(backendFor(mode), rbm, { chains: 17, seed: 8, batch, learningRate: 0.1 });
    const g = pcd.gradient(data);
    const v = pcd.chain.visible();
    const ref = new Float64Array(11 * 7);
    const act = (states: Float64Array, rows: number) => Float64Array.from(rbm.hiddenMean(states, rows));
    const ad = act(data, batch);
    const av = act(v, 17);
    for (let i = 0; i < 11; i++) {
      for (let mu = 0; mu < 7; mu++) {
        let s = 0;
        for (let b = 0; b < batch; b++) s += (data[b * 11 + i] * ad[b * 7 + mu]) / batch;
        for (let c = 0; c < 17; c++) s -= (v[c * 11 + i] * av[c * 7 + mu]) / 17;
        ref[i * 7 + mu] = s;
      }
    }
    // float32 sums of <= 30 terms of size <= 1, and the weight W + G formed in float32 then
    // differenced (|W| < 3): 1e-5 absolute covers both with room
    for (let q = 0; q < ref.length; q++) expect(Math.abs(g.weights[q] - ref[q])).toBeLessThan(1e-5);
    for (let mu = 0; mu < 7; mu++) {
      let s = 0;
      for (let b = 0; b < batch; b++) s += ad[b * 7 + mu] / batch;
      for (let c = 0; c < 17; c++) s -= av[c * 7 + mu] / 17;
      expect(Math.abs(g.hiddenBias[mu] - s)).toBeLessThan(1e-5);
    }
  });
});

describe('units the GPU does not sample', () => {
  it('step units have no conditional sampler: a clear error naming them', () => {
    const rbm = new RBM(createLayer('bernoulli', 3, {}, 'visible'), createLayer('step', 2, {}), new Float64Array(6));
    expect(() => new GpuBlockGibbs(backendFor('cpu'), rbm, { chains: 2, seed: 1 })).toThrow(/hidden units of type "step"/);
  });

  it.each(MODES)('%s: poisson means above the kernel limit are reported at read-back', (mode) => {
    const rng = createRng('poisson-limit');
    const rbm = new RBM(
      createLayer('bernoulli', 3, {}, 'visible'),
      createLayer('poisson', 2, { bias: [Math.log(POISSON_MAX_MEAN) + 1, 0] }),
      Float64Array.from({ length: 6 }, () => 0.01 * normal(rng)),
    );
    const chain = new GpuBlockGibbs(backendFor(mode), rbm, { chains: 4, seed: 1 });
    chain.sweep(1);
    expect(() => chain.hidden()).toThrow(/mean above 80/);
    expect(() => chain.visible()).toThrow(/mean above 80/);
  });
});
