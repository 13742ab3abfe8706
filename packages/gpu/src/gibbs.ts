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
 *
 * Refused draws (poisson units: a mean above 80 or a non-finite input gives the draw -1, units.ts)
 * feed the next half-sweep, so after every half-sweep of such a layer a small kernel updates a
 * sticky per-chain flag on the device: 0, or the sweep (1-based) of the chain's first refused
 * draw. Every read-back (visible(), hidden(), and GpuPcd's steps) reads the flags first and throws
 * GpuLimitError if any chain is flagged, however many sweeps ago: never a silent -1.
 */
import { createRng, randomVisibleStates, type RBM, type Rng, type Seed, type UnitLayer } from '@rbmlab/core';
import { checkIndexRange, flatten1d, flatten2d, type GpuBackend, type GpuKernelRun } from './backend';
import { GpuLimitError } from './errors';
import { gpuUnitOf, unitParams, type GpuUnitKernel } from './units';

/** Largest number of chains (and of units per layer): gpu.js outputs are at most 16384 per side. */
export const MAX_CHAINS = 16384;

/** Checks a count of chains (rows): RangeError if not a positive integer, GpuLimitError above 16384. */
export function checkChains(chains: number, what = 'chains'): void {
  if (!(Number.isInteger(chains) && chains >= 1)) throw new RangeError(`${what} must be a positive integer, got ${chains}`);
  if (chains > MAX_CHAINS) throw new GpuLimitError(`${what} is ${chains}; the GPU kernels take at most ${MAX_CHAINS} (gpu.js outputs are at most 16384 per side)`);
}

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
  /** The sticky per-chain flag of refused draws, for units that can refuse one (poisson). */
  readonly flag?: FailureFlag;
}

/** A per-chain flag on the device: two update kernels in turn, and the texture of the last one. */
interface FailureFlag {
  readonly keys: [string, string];
  readonly kernels: [GpuKernelRun, GpuKernelRun];
  texture: unknown;
  parity: number;
}

/** Largest sweep number a flag records exactly (float32 textures). */
const FLAG_MAX_SWEEP = 2 ** 24;

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
  const key = `${tag}${side}/${layer.type}/${chains}/${n}/${m}`;
  const kernel = backend.kernel(key, halfSweepSource(side, unit, n, m), [size, chains], true);
  let flag: FailureFlag | undefined;
  if (unit.failure !== undefined) {
    // flag[b] = flag[b] if set, else `sweep` where a state of chain b is a refused draw, else 0
    const source = `function (f, s, sweep) {
      const b = this.thread.x;
      let out = f[b];
      if (out === 0) {
        for (let j = 0; j < ${size}; j++) {
          const v = s[b][j];
          if (${unit.failure.bad('v')}) {
            out = sweep;
            break;
          }
        }
      }
      return out;
    }`;
    const keys: [string, string] = [`${key}/flagA`, `${key}/flagB`];
    const zero = backend.kernel(`${key}/flag0`, 'function () { return 0; }', [chains], true);
    flag = {
      keys,
      kernels: [backend.kernel(keys[0], source, [chains], true), backend.kernel(keys[1], source, [chains], true)],
      texture: backend.run(`${key}/flag0`, zero),
      parity: 0,
    };
  }
  return { unit, layer, size, params: unitParams(layer, unit), key, kernel, uniforms: new Float32Array(count), scratch: new Float64Array(count), flag };
}

/** Updates a layer's failure flag from its states just drawn in sweep `sweep` (1-based). */
function updateFlag(backend: GpuBackend, lk: LayerKernel, states: unknown, sweep: number): void {
  const f = lk.flag;
  if (f === undefined) return;
  const t = f.parity;
  f.texture = backend.run(f.keys[t], f.kernels[t], f.texture, states, Math.min(sweep, FLAG_MAX_SWEEP));
  f.parity = 1 - t;
}

/**
 * Throws GpuLimitError where a chain of the layer is flagged (a refused draw in any sweep so far),
 * naming the first such chain and its sweep.
 */
function checkFlag(lk: LayerKernel, role: 'visible' | 'hidden', chains: number): void {
  const f = lk.flag;
  if (f === undefined || lk.unit.failure === undefined) return;
  const flags = flatten1d(f.texture, chains);
  let first = -1;
  let count = 0;
  for (let b = 0; b < chains; b++) {
    if (flags[b] !== 0) {
      count++;
      if (first < 0) first = b;
    }
  }
  if (first < 0) return;
  const sweep = flags[first];
  const when = sweep >= FLAG_MAX_SWEEP ? `at a sweep >= 2^24` : `first at sweep ${sweep}`;
  throw new GpuLimitError(
    `${lk.layer.type} ${role} units of chain ${first} ${lk.unit.failure.reason} (${when}; ${count} of ${chains} chains affected; the chains are no longer valid)`,
  );
}

/** Fills a layer's uniforms for one half-sweep from the stream: doubles in (0, 1) rounded to float32. */
export function drawUniforms(rng: Rng, layer: LayerKernel): Float32Array {
  rng.fillUniform(layer.scratch);
  layer.uniforms.set(layer.scratch);
  return layer.uniforms;
}

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
    checkChains(chains);
    if (rbm.numVisible > MAX_CHAINS || rbm.numHidden > MAX_CHAINS) {
      throw new GpuLimitError(`GPU block Gibbs needs at most ${MAX_CHAINS} units per layer, got ${rbm.numVisible} visible and ${rbm.numHidden} hidden`);
    }
    this.chains = chains;
    const root = createRng(options.seed);
    this.rng = root.split('uniforms');
    // kernels and upload textures belong to this sampler alone: with immutable kernels off, a
    // kernel shared by two samplers would overwrite the other's states
    const tag = backend.newTag('gibbs');
    this.tag = tag;
    this.hiddenKernel = layerKernel(backend, 'hidden', rbm.hidden, rbm, chains, tag);
    this.visibleKernel = layerKernel(backend, 'visible', rbm.visible, rbm, chains, tag);
    this.weightsTexture = backend.upload(`${tag}weights`, rbm.weights, rbm.numVisible, rbm.numHidden);
    let init: ArrayLike<number>;
    if (options.init !== undefined) {
      if (options.init.length !== chains * rbm.numVisible) throw new RangeError(`init has ${options.init.length} values, expected ${chains} chains x ${rbm.numVisible} units`);
      init = options.init;
    } else {
      init = randomVisibleStates(rbm, chains, root.split('init'));
    }
    this.visibleTexture = backend.upload(`${tag}visible`, init, chains, rbm.numVisible);
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
    this.weightsTexture = this.backend.upload(`${this.tag}weights`, this.rbm.weights, this.rbm.numVisible, this.rbm.numHidden);
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
      updateFlag(this.backend, hk, this.hiddenTexture, this.sweeps + 1);
      this.visibleTexture = this.backend.run(vk.key, vk.kernel, this.hiddenTexture, this.weightsTexture, drawUniforms(this.rng, vk), ...vk.params);
      updateFlag(this.backend, vk, this.visibleTexture, this.sweeps + 1);
      this.sweeps++;
    }
  }

  /**
   * Throws GpuLimitError if a draw was refused in any sweep so far (poisson units: a mean above 80
   * or a non-finite input); the read-backs call it first. Reads one float per chain per poisson
   * layer, nothing for other units.
   */
  checkFailures(): void {
    checkFlag(this.hiddenKernel, 'hidden', this.chains);
    checkFlag(this.visibleKernel, 'visible', this.chains);
  }

  /** Frees this sampler's kernels and textures on the device; the sampler cannot be used afterwards. */
  dispose(): void {
    this.backend.release(this.tag);
  }

  /**
   * The visible states read back, chains x N (float64 copies of the float32 states). Throws
   * GpuLimitError if any draw so far was refused (checkFailures).
   */
  visible(): Float64Array {
    this.checkFailures();
    return flatten2d(this.visibleTexture, this.chains, this.rbm.numVisible) as Float64Array;
  }

  /** The hidden states of the last half-sweep read back, chains x M. Throws before the first sweep, and as visible(). */
  hidden(): Float64Array {
    if (this.hiddenTexture === undefined) throw new Error('no hidden states yet: run a sweep first');
    this.checkFailures();
    return flatten2d(this.hiddenTexture, this.chains, this.rbm.numHidden) as Float64Array;
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
  checkChains(rows, 'rows');
  if (size > MAX_CHAINS) throw new GpuLimitError(`the layer has ${size} units; the GPU kernels take at most ${MAX_CHAINS} per layer`);
  const count = rows * size * unit.uniforms;
  checkIndexRange(count, 'the uniforms');
  const params = unit.params.map((_, k) => `, p${k}`).join('');
  // not a sampler's kernel: no tag (tags have '#'), shared by every call of this shape, never released
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
  const draws = flatten2d(result, rows, size) as Float64Array;
  if (unit.failure !== undefined) {
    for (let q = 0; q < draws.length; q++) {
      // the kernel's refusals are -1; NaN is refused here as well
      if (!(draws[q] >= 0)) throw new GpuLimitError(`${layer.type} unit ${q % size} (input ${inputs[q % size]}) ${unit.failure.reason}`);
    }
  }
  return draws;
}
