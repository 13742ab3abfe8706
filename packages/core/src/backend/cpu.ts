/**
 * The reference CPU backend: plain TypeScript loops, float64 accumulation whatever the storage
 * precision. Other backends are tested against it.
 */
import type { FloatArray } from '../tensor/matrix';
import type { Backend } from './backend';

/**
 * The reference backend ("cpu-reference"): TypeScript loops with float64 accumulation whatever the
 * storage precision, and no optional kernels. Every other backend is tested against it.
 */
export class CpuBackend implements Backend {
  readonly name = 'cpu-reference';

  hiddenInputs(v: FloatArray, weights: FloatArray, batch: number, n: number, m: number, out: FloatArray): void {
    // out[b, :] = sum_i v[b, i] W[i, :]: a row-axpy per nonzero visible, so sparse binary
    // states cost only their active units, and W is read row by row (contiguous).
    const acc = new Float64Array(m);
    for (let b = 0; b < batch; b++) {
      acc.fill(0);
      const vRow = b * n;
      for (let i = 0; i < n; i++) {
        const vi = v[vRow + i];
        if (vi === 0) continue;
        const wRow = i * m;
        for (let mu = 0; mu < m; mu++) acc[mu] += vi * weights[wRow + mu];
      }
      out.set(acc, b * m);
    }
  }

  visibleInputs(h: FloatArray, weights: FloatArray, batch: number, n: number, m: number, out: FloatArray): void {
    // out[b, i] = dot(W[i, :], h[b, :]), both contiguous
    for (let b = 0; b < batch; b++) {
      const hRow = b * m;
      for (let i = 0; i < n; i++) {
        const wRow = i * m;
        let s = 0;
        for (let mu = 0; mu < m; mu++) s += weights[wRow + mu] * h[hRow + mu];
        out[b * n + i] = s;
      }
    }
  }

  addOuterProducts(v: FloatArray, a: FloatArray, batch: number, n: number, m: number, scale: number, out: Float64Array): void {
    // row i of out gains (scale v[b, i]) a[b, :] for each b: a row-axpy per nonzero visible,
    // so binary batches cost only their active units; every row read and written contiguously
    for (let b = 0; b < batch; b++) {
      const vRow = b * n;
      const aRow = b * m;
      for (let i = 0; i < n; i++) {
        const vi = v[vRow + i];
        if (vi === 0) continue;
        const c = scale * vi;
        const oRow = i * m;
        for (let mu = 0; mu < m; mu++) out[oRow + mu] += c * a[aRow + mu];
      }
    }
  }
}

/** The default backend. */
export const cpuBackend: Backend = new CpuBackend();
