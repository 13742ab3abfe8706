/**
 * The hot kernels of sampling and training, behind one interface so that faster backends
 * (WASM, native, gpu.js) plug in and are tested against the CPU reference with the same test
 * bodies. An unimplemented kernel throws an error that names itself.
 */
import type { FloatArray } from '../tensor/matrix';

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
}
