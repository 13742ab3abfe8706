/**
 * Singular values of W against a matrix built as U diag(s) V^T with orthonormal U, V.
 */
import { createLayer, createRng, normal, RBM, singularValues, spectralNorm } from '../../src';
import { expectClose } from '../helpers/stats';

/** k orthonormal columns of length n (Gram-Schmidt of seeded normals, twice for accuracy), column-major. */
function orthonormalColumns(n: number, k: number, seed: string): Float64Array[] {
  const rng = createRng(seed);
  const cols: Float64Array[] = [];
  for (let c = 0; c < k; c++) {
    const x = Float64Array.from({ length: n }, () => normal(rng));
    for (let pass = 0; pass < 2; pass++) {
      for (const q of cols) {
        let d = 0;
        for (let i = 0; i < n; i++) d += q[i] * x[i];
        for (let i = 0; i < n; i++) x[i] -= d * q[i];
      }
    }
    const norm = Math.hypot(...x);
    for (let i = 0; i < n; i++) x[i] /= norm;
    cols.push(x);
  }
  return cols;
}

function rbmWithSpectrum(n: number, m: number, s: number[], seed: string): RBM {
  const u = orthonormalColumns(n, s.length, `${seed}/u`);
  const v = orthonormalColumns(m, s.length, `${seed}/v`);
  const w = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let mu = 0; mu < m; mu++) for (let k = 0; k < s.length; k++) w[i * m + mu] += u[k][i] * s[k] * v[k][mu];
  return new RBM(createLayer('bernoulli', n, {}, 'visible'), createLayer('relu', m), w);
}

describe('singular values of W', () => {
  test.each([
    [7, 5], // N > M
    [4, 9], // N < M (ml-matrix transposes)
  ])('N = %i, M = %i: rank-3 W = U diag(3.5, 1.25, 0.4) V^T', (n, m) => {
    const s = [0.4, 3.5, 1.25]; // given unsorted: the result must be sorted
    const rbm = rbmWithSpectrum(n, m, s, `svd/${n}x${m}`);
    const sv = singularValues(rbm);
    expect(sv).toHaveLength(Math.min(n, m));
    const expected = [3.5, 1.25, 0.4, ...new Array(Math.min(n, m) - 3).fill(0)];
    for (let k = 0; k < sv.length; k++) expectClose(sv[k], expected[k], 1e-12, 1e-12, `sigma_${k}`);
    expectClose(spectralNorm(rbm), 3.5, 1e-12, 0, 'sigma_max');
  });

  test('W = 0 has only zero singular values; a 1 x 1 W has |w|', () => {
    const zero = new RBM(createLayer('bernoulli', 3, {}, 'visible'), createLayer('bernoulli', 2), new Float64Array(6));
    expect(Array.from(singularValues(zero))).toEqual([0, 0]);
    const one = new RBM(createLayer('bernoulli', 1, {}, 'visible'), createLayer('bernoulli', 1), Float64Array.from([-2.5]));
    expect(Array.from(singularValues(one))).toEqual([2.5]);
  });
});
