/**
 * Block Gibbs sampling of an RBM on the device (gpu.js pipeline mode): the weights and the chains
 * stay in device textures between sweeps; a half-sweep is one kernel whose thread (chain b, unit
 * j) forms the unit's input, sum over the other layer, and draws the unit (units.ts). Only the
 * uniforms travel, host to device, once per half-sweep.
 *
 * Random numbers: uniforms made on the host from core's seeded stream (createRng(seed), child
 * "uniforms"), each a 53-bit double rounded to float32, uploaded per half-sweep (chains x units x
 * the unit's uniforms per draw). Chosen over an in-kernel counter-based generator because
 *   - the generator is then core's (xor4096), whose statistics are known, and not a float32
 *     re-implementation of integer hashing: WebGL 1 (headless-gl) has no integer bit operations,
 *     so SplitMix64 there would be emulated in floats, and gpu.js's cpu mode computes in float64
 *     JavaScript where `*` does not wrap like Math.imul, so the same kernel source would give
 *     different bits per mode;
 *   - draws are the same function of (seed, sweep, chain, unit) in every mode; the states of two
 *     modes can still differ where float32 rounding of a probability decides a comparison;
 *   - the cost is small beside the products: chains x (N + M) floats per sweep (1.3 MB at
 *     256 chains of 784 x 500 bernoulli units).
 * Same seed, same mode, same states to the bit; the initial states come from the child "init".
 */
import { createRng, randomVisibleStates, type RBM, type Rng, type Seed, type UnitLayer } from '@rbmlab/core';
import { checkIndexRange, flatten2d, type GpuBackend, type GpuKernelRun } from './backend';
import { gpuUnitOf, unitParams, type GpuUnitKernel } from './units';

export interface GpuChainOptions {
  /** Number of independent chains (<= 16384). */
  readonly chains: number;
  /** Seed of the initial states and of every uniform (0 is a seed). */
  readonly seed: Seed;
  /** Initial visible states, chains x N; default a random start from the seed's "init" stream. */
  readonly init?: ArrayLike<number>;
}

/** One layer's sampling kernel and the host buffers it takes. */
export interface LayerKernel {
  readonly unit: GpuUnitKernel;
  readonly layer: UnitLayer;
  readonly size: number;
  /** Parameters as float32, in kernel order (updated in place by PCD). */
  readonly params: Float32Array[];
  readonly key: string;
  readonly kernel: GpuKernelRun;
  readonly uniforms: Float32Array;
  readonly scratch: Float64Array;
}

/**
 * Kernel source of a half-sweep: thread (j, b) draws unit j of chain b given the other layer's
 * states `s` (chains x K texture) and the weights `w` (N x M texture).
 */
function halfSweepSource(side: 'hidden' | 'visible', unit: GpuUnitKernel, n: number, m: number): string {
  const inner = side === 'hidden' ? n : m;
  const size = side === 'hidden' ? m : n;
  const term = side === 'hidden' ? 's[b][i] * w[i][j]' : 's[b][i] * w[j][i]';
  const params = unit.params.map((_, k) => `p${k}`);
  return `function (s, w, u${params.map((p) => `, ${p}`).join('')}) {
    const j = this.thread.x;
    const b = this.thread.y;
    let x = 0;
    for (let i = 0; i < ${inner}; i++) {
      x += ${term};
    }
    const base = (b * ${size} + j) * ${unit.uniforms};
    ${unit.sample()}
  }`;
}

export function layerKernel(backend: GpuBackend, side: 'hidden' | 'visible', layer: UnitLayer, rbm: RBM, chains: number, tag: string): LayerKernel {
  const unit = gpuUnitOf(layer, side);
  const n = rbm.numVisible;
  const m = rbm.numHidden;
  const size = side === 'hidden' ? m : n;
  const count = chains * size * unit.uniforms;
  checkIndexRange(count, `the uniforms of a ${side} half-sweep (chains x units x ${unit.uniforms})`);
  const key = `gibbs/${tag}/${side}/${layer.type}/${chains}/${n}/${m}`;
  const kernel = backend.kernel(key, halfSweepSource(side, unit, n, m), [size, chains], true);
  return { unit, layer, size, params: unitParams(layer, unit), key, kernel, uniforms: new Float32Array(count), scratch: new Float64Array(count) };
}

/** Fills a layer's uniforms for one half-sweep from the stream: doubles in (0, 1) rounded to float32. */
export function drawUniforms(rng: Rng, layer: LayerKernel): Float32Array {
  rng.fillUniform(layer.scratch);
  layer.uniforms.set(layer.scratch);
  return layer.uniforms;
}

let samplerCount = 0;

export class GpuBlockGibbs {
  readonly chains: number;
  /** The visible and hidden half-sweep kernels. */
  readonly hiddenKernel: LayerKernel;
  readonly visibleKernel: LayerKernel;
  private readonly rng: Rng;
  /** Device textures (arrays in the cpu mode). */
  private weightsTexture: unknown;
  private visibleTexture: unknown;
  private hiddenTexture: unknown = undefined;
  private sweeps = 0;
  /** Unique per sampler: the prefix of its kernels' keys. */
  readonly tag: string;

  constructor(
    readonly backend: GpuBackend,
    readonly rbm: RBM,
    options: GpuChainOptions,
  ) {
    const { chains } = options;
    if (!(Number.isInteger(chains) && chains >= 1 && chains <= 16384)) throw new RangeError(`chains must be an integer in 1..16384, got ${chains}`);
    if (rbm.numVisible > 16384 || rbm.numHidden > 16384) throw new RangeError('GPU block Gibbs needs at most 16384 units per layer');
    this.chains = chains;
    const root = createRng(options.seed);
    this.rng = root.split('uniforms');
    // kernels and upload textures belong to this sampler alone: with immutable kernels off, a
    // kernel shared by two samplers would overwrite the other's states
    const tag = `${++samplerCount}`;
    this.tag = tag;
    this.hiddenKernel = layerKernel(backend, 'hidden', rbm.hidden, rbm, chains, tag);
    this.visibleKernel = layerKernel(backend, 'visible', rbm.visible, rbm, chains, tag);
    this.weightsTexture = backend.upload(`${tag}/weights`, rbm.weights, rbm.numVisible, rbm.numHidden);
    let init: ArrayLike<number>;
    if (options.init !== undefined) {
      if (options.init.length !== chains * rbm.numVisible) throw new RangeError(`init has ${options.init.length} values, expected ${chains} chains x ${rbm.numVisible} units`);
      init = options.init;
    } else {
      init = randomVisibleStates(rbm, chains, root.split('init'));
    }
    this.visibleTexture = backend.upload(`${tag}/visible`, init, chains, rbm.numVisible);
  }

  /** Sweeps run so far. */
  get sweepCount(): number {
    return this.sweeps;
  }

  /** The current weights texture (PCD replaces it). */
  get weights(): unknown {
    return this.weightsTexture;
  }

  set weights(texture: unknown) {
    this.weightsTexture = texture;
  }

  /** The visible states texture (chains x N). */
  get visibleStates(): unknown {
    return this.visibleTexture;
  }

  /** Re-uploads the model's weights and parameters (after they changed on the host). */
  syncFromModel(): void {
    this.weightsTexture = this.backend.upload(`${this.tag}/weights`, this.rbm.weights, this.rbm.numVisible, this.rbm.numHidden);
    for (const lk of [this.hiddenKernel, this.visibleKernel]) {
      lk.unit.params.forEach((name, k) => lk.params[k].set(lk.layer.params[name]));
    }
  }

  /** Runs `count` sweeps v -> h -> v on the device. */
  sweep(count = 1): void {
    if (!(Number.isInteger(count) && count >= 0)) throw new RangeError(`sweeps must be a non-negative integer, got ${count}`);
    const hk = this.hiddenKernel;
    const vk = this.visibleKernel;
    for (let s = 0; s < count; s++) {
      this.hiddenTexture = this.backend.run(hk.key, hk.kernel, this.visibleTexture, this.weightsTexture, drawUniforms(this.rng, hk), ...hk.params);
      this.visibleTexture = this.backend.run(vk.key, vk.kernel, this.hiddenTexture, this.weightsTexture, drawUniforms(this.rng, vk), ...vk.params);
      this.sweeps++;
    }
  }

  /** Frees this sampler's kernels and textures on the device; the sampler cannot be used afterwards. */
  dispose(): void {
    this.backend.release(this.tag);
  }

  /** The visible states read back, chains x N (float64 copies of the float32 states). */
  visible(): Float64Array {
    if (this.hiddenTexture !== undefined && this.rbm.hidden.type === 'poisson') this.checkHidden();
    return flatten2d(this.visibleTexture, this.chains, this.rbm.numVisible) as Float64Array;
  }

  /** The hidden states of the last half-sweep read back, chains x M. Throws before the first sweep. */
  hidden(): Float64Array {
    if (this.hiddenTexture === undefined) throw new Error('no hidden states yet: run a sweep first');
    return this.checkHidden();
  }

  /** Reads the hidden states and throws where the poisson kernel flagged a mean it does not sample. */
  private checkHidden(): Float64Array {
    const h = flatten2d(this.hiddenTexture, this.chains, this.rbm.numHidden) as Float64Array;
    if (this.rbm.hidden.type === 'poisson') {
      const bad = h.findIndex((x) => x < 0);
      if (bad >= 0) throw new Error(`poisson hidden unit ${bad % this.rbm.numHidden} of chain ${Math.floor(bad / this.rbm.numHidden)} had a mean above 80, which the GPU kernel does not sample`);
    }
    return h;
  }
}

/**
 * `rows` independent draws of every unit of a layer given fixed inputs (one input per unit,
 * without the unit's parameters), on the device with the half-sweep's sampling code: rows x size.
 * The uniforms come from createRng(seed). For testing the unit kernels against their exact
 * conditional distributions, and for callers that want draws of a layer alone.
 */
export function sampleLayerOnDevice(backend: GpuBackend, layer: UnitLayer, inputs: ArrayLike<number>, rows: number, seed: Seed): Float64Array {
  const unit = gpuUnitOf(layer, 'hidden');
  const size = layer.size;
  if (inputs.length !== size) throw new RangeError(`inputs has ${inputs.length} values, expected ${size}`);
  if (!(Number.isInteger(rows) && rows >= 1 && rows <= 16384)) throw new RangeError(`rows must be an integer in 1..16384, got ${rows}`);
  const count = rows * size * unit.uniforms;
  checkIndexRange(count, 'the uniforms');
  const params = unit.params.map((_, k) => `, p${k}`).join('');
  const key = `draws/${layer.type}/${rows}/${size}`;
  const kernel = backend.kernel(
    key,
    `function (xin, u${params}) {
      const j = this.thread.x;
      const b = this.thread.y;
      const x = xin[j];
      const base = (b * ${size} + j) * ${unit.uniforms};
      ${unit.sample()}
    }`,
    [size, rows],
    false,
  );
  const scratch = new Float64Array(count);
  createRng(seed).fillUniform(scratch);
  const result = backend.run(key, kernel, Float32Array.from(inputs), Float32Array.from(scratch), ...unitParams(layer, unit));
  return flatten2d(result, rows, size) as Float64Array;
}
