/**
 * Principal components of data about the origin: the spectral learner that planted-pattern
 * studies compare a trained RBM with (MODELS.md §4, spiked covariance).
 *
 * For rows v^1 .. v^M (M x N row-major) the second-moment matrix is C = (1/M) sum_r v^r v^r^T
 * (not centred: with zero biases the teacher's mean is 0, and the theory, e.g. C = I + b^2 xi xi^T / N
 * for a spin teacher, is stated for the second moment). Its top eigenvectors are the principal
 * directions; a planted direction with population eigenvalue 1 + l is visible in them only when
 * l > sqrt(N / M) (Baik, Ben Arous and Peche 2005), with squared overlap
 * (1 - N / (M l^2)) / (1 + N / (M l)) above that threshold (Paul 2007).
 */
import { EigenvalueDecomposition } from 'ml-matrix';
import { toMatrix } from '../tensor/matrix';

/** The k leading eigenpairs of the second-moment matrix C = X^T X / M (not mean-centred) of M x N data X. */
export interface PrincipalComponents {
  /** The k largest eigenvalues of C, descending. */
  readonly values: Float64Array;
  /** The matching unit eigenvectors, k rows of N (row a = component a). */
  readonly vectors: Float64Array[];
}

/** The top k eigenpairs of C = X^T X / M for the M x N row-major data X (ml-matrix, float64). */
export function principalComponents(data: ArrayLike<number>, rows: number, cols: number, k: number): PrincipalComponents {
  if (!(Number.isInteger(rows) && rows >= 1 && Number.isInteger(cols) && cols >= 1)) {
    throw new RangeError(`principalComponents: rows and cols must be positive integers, got ${rows} x ${cols}`);
  }
  if (data.length !== rows * cols) throw new RangeError(`principalComponents: ${data.length} values do not fill ${rows} x ${cols}`);
  if (!(Number.isInteger(k) && k >= 1 && k <= cols)) throw new RangeError(`principalComponents: k must be an integer in 1..${cols}, got ${k}`);
  const c = new Float64Array(cols * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let i = 0; i < cols; i++) {
      const x = data[base + i] / rows;
      if (x === 0) continue;
      for (let j = i; j < cols; j++) c[i * cols + j] += x * data[base + j];
    }
  }
  for (let i = 0; i < cols; i++) for (let j = 0; j < i; j++) c[i * cols + j] = c[j * cols + i];
  const eig = new EigenvalueDecomposition(toMatrix(c, cols, cols), { assumeSymmetric: true });
  const all = eig.realEigenvalues;
  const order = all.map((_, a) => a).sort((a, b) => all[b] - all[a]);
  const vectors = eig.eigenvectorMatrix;
  return {
    values: Float64Array.from(order.slice(0, k), (a) => all[a]),
    vectors: order.slice(0, k).map((a) => Float64Array.from(vectors.getColumn(a))),
  };
}
