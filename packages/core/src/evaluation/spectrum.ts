/**
 * Singular values of the weight matrix W (N x M): the modes that learning grows one by one
 * (Decelle et al. 2017-2018, MODELS.md §4), and the spectral norm sigma_max that bounds how
 * strongly the hidden layer couples the visibles.
 */
import { SingularValueDecomposition } from 'ml-matrix';
import type { RBM } from '../models/rbm';
import { toMatrix } from '../tensor/matrix';

/** The min(N, M) singular values of W, in descending order (ml-matrix's SVD, float64). */
export function singularValues(rbm: RBM): Float64Array {
  const w = toMatrix(rbm.weights, rbm.numVisible, rbm.numHidden);
  const svd = new SingularValueDecomposition(w, {
    computeLeftSingularVectors: false,
    computeRightSingularVectors: false,
    autoTranspose: true,
  });
  const s = Float64Array.from(svd.diagonal);
  return s.sort().reverse();
}

/** sigma_max(W), the largest singular value (the spectral norm). */
export function spectralNorm(rbm: RBM): number {
  return singularValues(rbm)[0];
}
