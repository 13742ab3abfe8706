/** A Float32Array or Float64Array, row-major. */
type FloatArray = Float32Array | Float64Array;

export interface NativeAddon {
  /** single: round every operand to float32 and use sgemm (the native-openblas-f32 backend). */
  hiddenInputs(v: FloatArray, weights: FloatArray, batch: number, n: number, m: number, out: FloatArray, single?: boolean): void;
  visibleInputs(h: FloatArray, weights: FloatArray, batch: number, n: number, m: number, out: FloatArray, single?: boolean): void;
  addOuterProducts(v: FloatArray, a: FloatArray, batch: number, n: number, m: number, scale: number, out: Float64Array, single?: boolean): void;
  /** kind 0: bernoulli {0, 1}; 1: spin {-1, +1}. k0..k3: the call's key, four 32-bit words. */
  sampleBinary(inputs: FloatArray, bias: Float64Array | null, batch: number, size: number, kind: 0 | 1, k0: number, k1: number, k2: number, k3: number, out: FloatArray): void;
  /** The fused sampler's float32 smaller tail of sigmoid, min(sigmoid(x), 1 - sigmoid(x)). */
  sigmoidTail32(x: FloatArray, out: FloatArray): void;
  /** out = sigmoid (kind 0) or tanh (kind 1) of inputs + bias, sums[j] += column sums of out (float32 out: computed in float32). */
  binaryActivations(inputs: FloatArray, bias: Float64Array | null, batch: number, size: number, kind: 0 | 1, out: FloatArray, sums: Float64Array): void;
  /** out (n x m) = scale v^T a, all float32: one sgemm with beta 0. */
  outerProducts(v: Float32Array, a: Float32Array, batch: number, n: number, m: number, scale: number, out: Float32Array): void;
  /** weights += lr ((0 + g1) + g2) in float64, mirror = float32(weights), one pass; true iff every updated weight is finite. */
  sgdWeightStep(weights: Float64Array, g1: Float32Array, g2: Float32Array, lr: number, mirror: Float32Array): boolean;
  /** out[i] -= -scale v[b, i], rows b in order, as the JavaScript loop (Backend.addColumnSums). */
  addColumnSums(v: FloatArray, batch: number, n: number, scale: number, out: Float64Array): void;
  /** out row r = data row order[start + r], r < count, converted to out's type (Backend.gatherRows). */
  gatherRows(data: FloatArray, order: Uint32Array, start: number, count: number, n: number, out: FloatArray): void;
  /** true iff no entry is NaN or infinite. */
  allFinite(x: FloatArray): boolean;
  /** The largest |x[k]| (0 when empty); NaN if some entry is NaN (Backend.maxAbs). */
  maxAbs(x: FloatArray): number;
  /** target += step, and mirror = float32(target) when given, in one pass; true iff every updated entry is finite. */
  addStep(target: Float64Array, step: Float64Array, mirror: Float32Array | null): boolean;
  info(): { blas: string; core: string; threads: number };
  setThreads(threads: number): void;
}

export declare const addon: NativeAddon | null;
/** Why the addon is not loaded (one line), or null. */
export declare const loadError: string | null;
