/**
 * Pseudo-likelihood (Besag 1975): the mean over samples of
 *
 *     PL(v) = sum_i log P(v_i | v_-i),
 *
 * summed exactly over every site (not one random site per sample, as scikit-learn's
 * BernoulliRBM.score_samples does, which is an unbiased but noisy N-fold estimate).
 *
 * The conditional of one visible unit needs only the free energy, whose v_i-dependent part is
 *
 *     g_i(s) = -U_i(s) + sum_mu Gamma_mu(I_mu + W_{i mu} (s - v_i)),   I = I(v),
 *
 * so P(v_i | v_-i) = exp(g_i(v_i)) / sum_s exp(g_i(s)) (integral over s for continuous units).
 * - Finite support (bernoulli, spin): a logsumexp over the support. g_i(v_i) is the same for every
 *   site (sum_mu Gamma_mu(I_mu) - U_i(v_i)), so each other value costs M cumulants: O(N M) per
 *   sample for binary units, the inputs I computed once per sample.
 * - Continuous support (gaussian): log integral of exp(g_i(s) - g_i(v_i)) ds by the adaptive
 *   Gauss-Kronrod quadrature of potential units (units/potential.ts, relative tolerance 1e-12):
 *   it is the cumulant at zero input of a one-unit potentialUnit with V(s) = g_i(v_i) - g_i(s).
 *   A few hundred evaluations of g per site, each M cumulants: use it on small models.
 * Any hidden unit works (only Gamma is used).
 */
import type { RBM } from '../models/rbm';
import { logSumExp } from '../math/special';
import { potentialUnit } from '../units/potential';
import { checkData, meanOf } from './common';
import { ModelError } from '../models/checks';
import type { LayerParams } from '../units/unit';

/** Mean over the rows of data (rows x N) of sum_i log P(v_i | v_-i). */
export function pseudoLogLikelihood(rbm: RBM, data: ArrayLike<number>, rows: number): number {
  return meanOf(pseudoLogLikelihoods(rbm, data, rows));
}

/** sum_i log P(v_i | v_-i) for each row of data (rows x N). */
export function pseudoLogLikelihoods(rbm: RBM, data: ArrayLike<number>, rows: number): Float64Array {
  const n = rbm.numVisible;
  const m = rbm.numHidden;
  checkData(data, rows, n, 'pseudoLogLikelihood');
  const v = Float64Array.from(data);
  const inputs = rbm.hiddenInputs(v, rows) as Float64Array;
  const { visible, hidden, weights } = rbm;
  const support = visible.support;
  const out = new Float64Array(rows);
  const g = new Float64Array(support?.length ?? 0);
  /** sum_mu Gamma_mu(I_mu + delta W_{i mu}) for row r. */
  const cumulantSum = (r: number, i: number, delta: number): number => {
    let total = 0;
    for (let mu = 0; mu < m; mu++) total += hidden.cumulant(mu, inputs[r * m + mu] + delta * weights[i * m + mu]);
    return total;
  };
  for (let r = 0; r < rows; r++) {
    const base = cumulantSum(r, 0, 0); // sum_mu Gamma_mu(I_mu(v))
    let pl = 0;
    for (let i = 0; i < n; i++) {
      const vi = v[r * n + i];
      if (support !== undefined) {
        let own = -1;
        for (let k = 0; k < support.length; k++) {
          const s = support[k];
          if (s === vi) {
            own = k;
            g[k] = -visible.potential(i, s) + base;
          } else {
            g[k] = -visible.potential(i, s) + cumulantSum(r, i, s - vi);
          }
        }
        if (own < 0) {
          throw new RangeError(`pseudoLogLikelihood: value ${vi} at row ${r}, unit ${i} is not in the ${visible.type} support [${support.join(', ')}]`);
        }
        pl += g[own] - logSumExp(g);
      } else {
        // log P(v_i | v_-i) = -log integral of exp(g(s) - g(v_i)) ds
        const g0 = -visible.potential(i, vi) + base;
        const conditional = potentialUnit({
          name: `conditional of visible unit ${i}`,
          potential: (s) => g0 - (-visible.potential(i, s) + cumulantSum(r, i, s - vi)),
          domain: 'real',
        })(1);
        let logNormalizer: number;
        try {
          logNormalizer = conditional.cumulant(0, 0);
        } catch (err) {
          // the quadrature refuses a conditional it cannot integrate in float64 (g reaching
          // +Infinity at finite s: step units with |W| ~ 1e200; modes far apart are handled by
          // its restarts): one line naming the unit, the row and the scale
          if (!(err instanceof RangeError)) throw err;
          let largest = 0;
          for (let mu = 0; mu < m; mu++) largest = Math.max(largest, Math.abs(inputs[r * m + mu]), Math.abs(weights[i * m + mu]));
          throw new ModelError(
            `pseudo-likelihood: the conditional of ${visible.type} visible unit ${i} given the others in data row ${r + 1} cannot be integrated ` +
              `in float64 (${err.message}); the hidden inputs and weights there reach ${largest.toPrecision(3)} and the hidden biases ` +
              `${largestBias(hidden.params).toPrecision(3)}`,
          );
        }
        pl -= logNormalizer;
      }
    }
    out[r] = pl;
  }
  return out;
}

/** The largest |value| of a layer's field parameters (bias, biasPlus, biasMinus), for messages. */
function largestBias(params: LayerParams): number {
  let largest = 0;
  for (const [name, values] of Object.entries(params)) {
    if (!/bias/i.test(name)) continue;
    for (let j = 0; j < values.length; j++) largest = Math.max(largest, Math.abs(values[j]));
  }
  return largest;
}
