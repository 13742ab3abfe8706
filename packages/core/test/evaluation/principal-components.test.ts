/**
 * principalComponents: eigenpairs of the data's second moment C = X^T X / M, checked against
 * their definition (C u = lambda u, unit orthogonal vectors, descending order, trace).
 */
import { createRng, normal, principalComponents } from '@rbmlab/core';

describe('principalComponents', () => {
  const rows = 13;
  const cols = 7;
  const rng = createRng('pca');
  const x = Float64Array.from({ length: rows * cols }, () => normal(rng));
  const c = new Float64Array(cols * cols);
  for (let r = 0; r < rows; r++) for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) c[i * cols + j] += (x[r * cols + i] * x[r * cols + j]) / rows;

  test('eigenpairs of X^T X / M, descending, orthonormal, summing to the trace', () => {
    const { values, vectors } = principalComponents(x, rows, cols, cols);
    let trace = 0;
    for (let i = 0; i < cols; i++) trace += c[i * cols + i];
    expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(trace, 12);
    for (let a = 0; a < cols; a++) {
      if (a > 0) expect(values[a]).toBeLessThanOrEqual(values[a - 1]);
      const u = vectors[a];
      for (let i = 0; i < cols; i++) {
        let cu = 0;
        for (let j = 0; j < cols; j++) cu += c[i * cols + j] * u[j];
        expect(cu).toBeCloseTo(values[a] * u[i], 12);
      }
      for (let b = 0; b <= a; b++) {
        const dot = u.reduce((s, ui, i) => s + ui * vectors[b][i], 0);
        expect(dot).toBeCloseTo(a === b ? 1 : 0, 12);
      }
    }
  });

  test('the top k of them, and a clear error for a bad k or shape', () => {
    const all = principalComponents(x, rows, cols, cols);
    const top = principalComponents(x, rows, cols, 2);
    expect(Array.from(top.values)).toEqual(Array.from(all.values.subarray(0, 2)));
    expect(top.vectors).toHaveLength(2);
    expect(() => principalComponents(x, rows, cols, 0)).toThrow(/k must be an integer in 1\.\.7/);
    expect(() => principalComponents(x, rows + 1, cols, 1)).toThrow(/do not fill 14 x 7/);
  });
});
