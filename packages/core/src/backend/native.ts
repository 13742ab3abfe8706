/**
 * The native CPU backend: @rbmlab/native (a Node-API addon over the system's OpenBLAS, built at
 * npm install when a compiler and OpenBLAS are there). Products go to sgemm when both factors are
 * float32 and to dgemm otherwise; binary layers are sampled by a fused kernel with counter-based
 * uniforms (counter-random.ts). Precision and determinism: docs/PERFORMANCE.md.
 *
 * This module loads nothing by itself; `loadNativeBackend` tries, and reports why not.
 */
import type { NativeAddon } from './native-addon';
import type { FloatArray } from '../tensor/matrix';
import type { Backend, BinaryKind, CounterKey } from './backend';

/** The addon's functions, as packages/native/index.d.ts declares them (a type only: nothing is loaded here). */
export type { NativeAddon };

/** Name of the native backend with products in the storage precision (dgemm for float64 data). */
export const NATIVE_BACKEND_NAME = 'native-openblas';
/** Name of the native backend that rounds every product operand to float32 (sgemm). */
export const NATIVE_F32_BACKEND_NAME = 'native-openblas-f32';

/**
 * Products: 'storage' multiplies in the factors' own precision (sgemm when both factors are
 * float32, whatever the output's type; dgemm otherwise: float64 data get float64 results, as on
 * the reference); 'float32'
 * rounds every operand to float32 and multiplies with sgemm, whatever the storage (the
 * "native-openblas-f32" backend: about 2x the speed of dgemm, float32 accuracy).
 */
export type NativeProducts = 'storage' | 'float32';

/**
 * The OpenBLAS backend over @rbmlab/native: batch products by dgemm/sgemm (see NativeProducts), the
 * fused binary sampler with counter-based uniforms, and the training kernels. Built by
 * `loadNativeBackend`, which reports why when the addon is missing.
 */
export class NativeBackend implements Backend {
  readonly name: string;
  private readonly single: boolean;

  /** `threads`: OpenBLAS threads, fixed for the process (results depend on it; see PERFORMANCE.md). */
  constructor(
    readonly addon: NativeAddon,
    readonly threads: number,
    readonly products: NativeProducts = 'storage',
  ) {
    this.single = products === 'float32';
    this.name = this.single ? NATIVE_F32_BACKEND_NAME : NATIVE_BACKEND_NAME;
  }

  /** The same kernels with the other product precision. */
  withProducts(products: NativeProducts): NativeBackend {
    return new NativeBackend(this.addon, this.threads, products);
  }

  hiddenInputs(v: FloatArray, weights: FloatArray, batch: number, n: number, m: number, out: FloatArray): void {
    this.addon.hiddenInputs(v, weights, batch, n, m, out, this.single);
  }

  visibleInputs(h: FloatArray, weights: FloatArray, batch: number, n: number, m: number, out: FloatArray): void {
    this.addon.visibleInputs(h, weights, batch, n, m, out, this.single);
  }

  addOuterProducts(v: FloatArray, a: FloatArray, batch: number, n: number, m: number, scale: number, out: Float64Array): void {
    this.addon.addOuterProducts(v, a, batch, n, m, scale, out, this.single);
  }

  sampleBinaryLayer(inputs: FloatArray, bias: Float64Array | null, batch: number, size: number, kind: BinaryKind, key: CounterKey, out: FloatArray): void {
    this.addon.sampleBinary(inputs, bias, batch, size, kind === 'spin' ? 1 : 0, key[0], key[1], key[2], key[3], out);
  }

  /**
   * Activations of bernoulli (sigmoid) and spin (tanh) units with their column sums. A float32
   * `out` is computed in float32 with the sampler's e^t (sigmoid: relative error about 2e-7;
   * tanh: absolute error about 2e-7); a float64 one in float64.
   */
  binaryActivations(inputs: FloatArray, bias: Float64Array | null, batch: number, size: number, kind: BinaryKind, out: FloatArray, sums: Float64Array): void {
    this.addon.binaryActivations(inputs, bias, batch, size, kind === 'spin' ? 1 : 0, out, sums);
  }

  allFinite(x: FloatArray): boolean {
    return this.addon.allFinite(x);
  }

  outerProducts(v: Float32Array, a: Float32Array, batch: number, n: number, m: number, scale: number, out: Float32Array): void {
    this.addon.outerProducts(v, a, batch, n, m, scale, out);
  }

  maxAbs(x: FloatArray): number {
    return this.addon.maxAbs(x);
  }

  addColumnSums(v: FloatArray, batch: number, n: number, scale: number, out: Float64Array): void {
    this.addon.addColumnSums(v, batch, n, scale, out);
  }

  gatherRows(data: FloatArray, order: Uint32Array, start: number, count: number, n: number, out: FloatArray): void {
    this.addon.gatherRows(data, order, start, count, n, out);
  }

  sgdWeightStep(weights: Float64Array, g1: Float32Array, g2: Float32Array, lr: number, mirror: Float32Array): boolean {
    return this.addon.sgdWeightStep(weights, g1, g2, lr, mirror);
  }

  addStep(target: Float64Array, step: Float64Array, mirror: Float32Array | null): boolean {
    return this.addon.addStep(target, step, mirror);
  }

  /** OpenBLAS's build line and the CPU kernel it chose, e.g. "OpenBLAS 0.3.21 ... Cooperlake". */
  describe(): string {
    const info = this.addon.info();
    return `${info.blas.trim()}, ${this.threads} thread${this.threads === 1 ? '' : 's'}`;
  }
}

/** How many OpenBLAS threads: RBMLAB_THREADS, else OPENBLAS_NUM_THREADS, else the cores available. */
export function nativeThreads(env: Record<string, string | undefined>, cores: number): number {
  for (const name of ['RBMLAB_THREADS', 'OPENBLAS_NUM_THREADS']) {
    const value = env[name];
    if (value !== undefined && value !== '') {
      const t = Number(value);
      if (!(Number.isInteger(t) && t >= 1 && t <= 64)) throw new RangeError(`${name} must be an integer in 1..64, got ${JSON.stringify(value)}`);
      return t;
    }
  }
  return Math.max(1, Math.min(64, cores));
}

let loaded: { backend: NativeBackend; reason?: undefined } | { backend?: undefined; reason: string } | undefined;

/** The native backend (products in storage precision), or the one-line reason it cannot be had here; loaded once. */
export function loadNativeBackend(): { backend: NativeBackend; reason?: undefined } | { backend?: undefined; reason: string } {
  loaded ??= load();
  return loaded;
}

function load(): { backend: NativeBackend; reason?: undefined } | { backend?: undefined; reason: string } {
  if (typeof process === 'undefined' || typeof require !== 'function') return { reason: 'not running in Node.js' };
  let mod: { addon: NativeAddon | null; loadError: string | null };
  try {
    mod = require('@rbmlab/native');
  } catch (err) {
    return { reason: `@rbmlab/native is not installed (${String((err as Error).message).split('\n')[0]})` };
  }
  if (mod.addon === null) return { reason: mod.loadError ?? 'the addon did not load' };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const os = require('node:os') as typeof import('node:os');
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const threads = nativeThreads(process.env, cores);
  mod.addon.setThreads(threads);
  return { backend: new NativeBackend(mod.addon, threads) };
}
