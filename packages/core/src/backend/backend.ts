/**
 * The hot kernels of sampling and training, behind one interface so that faster backends
 * (WASM, native, gpu.js) plug in and are tested against the CPU reference with the same test
 * bodies. An unimplemented kernel throws an error that names itself.
 */
import type { FloatArray } from '../tensor/matrix';
import type { DenseAssociativeMemory } from '../models/dense/model';
import type { Seed } from '../random/rng';

/**
 * The kernels a backend provides: the two batch matrix products of sampling, the gradient's outer
 * products, and optional fused kernels that samplers and the Trainer use where present. Matrices are
 * flat row-major arrays (W is N x M, a batch of states batch x N or batch x M).
 */
export interface Backend {
  /** Name printed in manifests and benchmark rows, e.g. "cpu-reference". */
  readonly name: string;
  /**
   * Inputs to the hidden layer for a batch: out[b, mu] = sum_i v[b, i] W[i, mu].
   * v: batch x N, W: N x M (row-major), out: batch x M.
   */
  hiddenInputs(v: FloatArray, weights: FloatArray, batch: number, n: number, m: number, out: FloatArray): void;
  /**
   * Inputs to the visible layer for a batch: out[b, i] = sum_mu h[b, mu] W[i, mu].
   * h: batch x M, W: N x M, out: batch x N.
   */
  visibleInputs(h: FloatArray, weights: FloatArray, batch: number, n: number, m: number, out: FloatArray): void;
  /**
   * Gradient sums of training: out[i, mu] += scale * sum_b v[b, i] a[b, mu], the batch sum of
   * outer products of visible states and hidden activations.
   * v: batch x N, a: batch x M, out: N x M (float64, accumulated into).
   */
  addOuterProducts(v: FloatArray, a: FloatArray, batch: number, n: number, m: number, scale: number, out: Float64Array): void;
  /**
   * Optional fused kernel of block Gibbs for binary units (see counter-random.ts): replaces each
   * input x[b, j] (batch x size) by a draw of its unit,
   *     bernoulli: 1 with probability sigmoid(x + bias_j), else 0
   *     spin:     +1 with probability sigmoid(2 (x + bias_j)), else -1
   * using the counter-based uniforms u(key, b * size + j) instead of a sequential stream. The key
   * (four 32-bit words) is drawn by the caller from its seeded stream. Samplers use it when a
   * backend has it; the reference backend does not, so its draws stay those of `layer.sample`.
   * inputs and out may be the same array.
   */
  sampleBinaryLayer?(
    inputs: FloatArray,
    bias: Float64Array | null,
    batch: number,
    size: number,
    kind: BinaryKind,
    key: CounterKey,
    out: FloatArray,
  ): void;
  /**
   * Optional training kernels; the Trainer and the gradient statistics use them where a backend
   * has them, and JavaScript loops otherwise.
   *
   * binaryActivations: out[b, j] = sigmoid (bernoulli) or tanh (spin) of inputs[b, j] + bias_j,
   * the activations Gamma'(x + bias) of binary hidden units, and sums[j] += sum_b out[b, j].
   * A float32 `out` may be computed in float32 (state the error); used for float32 statistics.
   */
  binaryActivations?(inputs: FloatArray, bias: Float64Array | null, batch: number, size: number, kind: BinaryKind, out: FloatArray, sums: Float64Array): void;
  /** true iff no entry of x is NaN or infinite. */
  allFinite?(x: FloatArray): boolean;
  /** The largest |x[k]| (0 when empty); NaN if some entry is NaN. */
  maxAbs?(x: FloatArray): number;
  /**
   * The minibatch sum of outer products in float32, written (not added): out[i, mu] = scale *
   * sum_b v[b, i] a[b, mu], v: batch x N, a: batch x M, out: N x M, all float32 (sgemm, beta 0).
   * With sgdWeightStep, the float32 trainer's fused weight update (training/trainer.ts).
   */
  outerProducts?(v: Float32Array, a: Float32Array, batch: number, n: number, m: number, scale: number, out: Float32Array): void;
  /**
   * The SGD update of W from the two float32 minibatch sums of its gradient (data term g1, model
   * term g2, from outerProducts), in one pass: g = (0 + g1) + g2 in float64, weights += lr g,
   * mirror = float32(weights): the same float64 operations in the same order as clearing a
   * float64 gradient, addOuterProducts twice, the sgd optimizer and addStep. The caller checks
   * g1 and g2 with allFinite first; returns true iff every updated weight is finite.
   */
  sgdWeightStep?(weights: Float64Array, g1: Float32Array, g2: Float32Array, lr: number, mirror: Float32Array): boolean;
  /**
   * The visible-bias statistic of bernoulli and spin units: out[i] -= -scale v[b, i] for each row
   * b in order (v: batch x N), the float64 operations of the JavaScript loop (the same bits).
   */
  addColumnSums?(v: FloatArray, batch: number, n: number, scale: number, out: Float64Array): void;
  /**
   * The trainer's minibatch: out row r = data row order[start + r] for r < count (n values a
   * row), converted to out's type as FloatArray.set converts.
   */
  gatherRows?(data: FloatArray, order: Uint32Array, start: number, count: number, n: number, out: FloatArray): void;
  /**
   * The parameter update target += step (exactly the float64 sums a JavaScript loop makes), and
   * mirror[k] = float32(target[k]) in the same pass when a mirror is given; returns true iff every
   * updated entry is finite.
   */
  addStep?(target: Float64Array, step: Float64Array, mirror: Float32Array | null): boolean;
  /**
   * Optional: the single-site dynamics of a dense associative memory over parallel chains on the
   * backend's device (the gpu backend's GpuDenseHeatBath): heat-bath sweeps in the order 0 .. N-1,
   * and zero-temperature sweeps in a given order. The random start (where `init` is not given)
   * and every random number come from `seed`. Families use it where a backend has it and core's
   * DenseDynamics otherwise.
   */
  denseDynamics?(model: DenseAssociativeMemory, options: DeviceDenseOptions): DeviceDenseDynamics;
  /**
   * With denseDynamics: why the device cannot hold a memory of `size` spins and `patterns`
   * patterns on `chains` chains (one line: its tables, textures or index range), or undefined
   * where it can. Asked before work starts, so that a study beyond the device is refused at once.
   */
  denseDynamicsLimit?(size: number, patterns: number, chains: number): string | undefined;
}

/**
 * Options of Backend.denseDynamics: `chains` parallel chains, every random number (random start included)
 * from `seed`.
 */
export interface DeviceDenseOptions {
  readonly chains: number;
  readonly seed: Seed;
  /** Initial states, chains x N, values +-1. */
  readonly init?: ArrayLike<number>;
}

/** Dense-memory dynamics on a device (Backend.denseDynamics); states stay there until read. */
export interface DeviceDenseDynamics {
  readonly chains: number;
  /** `count` heat-bath sweeps (sites 0 .. N-1) at inverse temperature `beta` (default the model's). */
  heatBath(count: number, beta?: number): void;
  /**
   * Zero-temperature sweeps (sigma_i <- sign(Delta_i), a tie keeps the spin), each in the order
   * orders(sweep) (1-based; default 0 .. N-1, the same for every chain), until a sweep flips no
   * spin in any chain or maxSweeps ran. Per chain: the sweep of its first sweep without a flip,
   * or maxSweeps.
   */
  relax(maxSweeps: number, orders?: (sweep: number) => ArrayLike<number>): { sweeps: Float64Array; converged: boolean };
  /** The spins, chains x N. */
  states(): Float64Array;
  /** Frees the device's memory of these chains. */
  dispose(): void;
}

/** The two binary unit types of the fused kernels: bernoulli {0, 1} and spin {-1, +1}. */
export type BinaryKind = 'bernoulli' | 'spin';

/** Four 32-bit words (integers in [0, 2^32)) keying one call of a counter-based generator. */
export type CounterKey = readonly [number, number, number, number];
