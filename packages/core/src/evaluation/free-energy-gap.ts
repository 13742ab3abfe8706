/**
 * The free-energy gap, Hinton's overfitting monitor (Hinton 2010, "A practical guide to training
 * RBMs", §6): mean F(heldout) - mean F(train), F(v) = sum_i U_i(v_i) - sum_mu Gamma_mu(I_mu(v)).
 * log Z cancels from the difference of mean log-likelihoods, so it is exact for any model size;
 * it grows when the model gives the training rows more probability than held-out rows from the
 * same distribution (log P(train) - log P(heldout) = gap on average).
 */
import type { RBM } from '../models/rbm';
import { checkData, meanOf } from './common';

/** mean F(heldout) - mean F(train) (both rows x N). */
export function freeEnergyGap(
  rbm: RBM,
  train: ArrayLike<number>,
  trainRows: number,
  heldout: ArrayLike<number>,
  heldoutRows: number,
): number {
  checkData(train, trainRows, rbm.numVisible, 'freeEnergyGap (train)');
  checkData(heldout, heldoutRows, rbm.numVisible, 'freeEnergyGap (heldout)');
  const fTrain = meanOf(rbm.freeEnergies(Float64Array.from(train), trainRows));
  const fHeld = meanOf(rbm.freeEnergies(Float64Array.from(heldout), heldoutRows));
  return fHeld - fTrain;
}
