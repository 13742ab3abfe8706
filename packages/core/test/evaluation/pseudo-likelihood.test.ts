/**
 * Pseudo-likelihood against brute force:
 * - binary visibles: log P(v_i | v_-i) = log P(v) - log(P(v) + P(v with site i flipped)), from the
 *   exact log P(v) of every state (visibleLogProbabilities), for every hidden unit type;
 * - gaussian visibles: -F(v) - log integral of exp(-F(v with v_i = s)) ds by composite Simpson on
 *   a fine grid (helpers/stats.ts logIntegrate), from rbm.freeEnergy alone;
 * - W = 0: the closed form sum_i log p_i(v_i) of independent units.
 */
import {
  createLayer,
  createRng,
  indexFromState,
  logAddExp,
  pseudoLogLikelihood,
  pseudoLogLikelihoods,
  RBM,
  visibleLogProbabilities,
} from '../../src';
import { smallRbm } from '../helpers/models';
import { expectClose, logIntegrate } from '../helpers/stats';

const HIDDEN_TYPES = ['bernoulli', 'spin', 'gaussian', 'relu', 'drelu', 'poisson', 'step'];

/** rows x n random states of a binary support. */
function randomStates(support: readonly number[], rows: number, n: number, seed: string): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length: rows * n }, () => support[rng.int(2)]);
}

describe('pseudo-likelihood, binary visibles: exact conditionals from enumeration', () => {
  const cases: [string, string][] = [];
  for (const v of ['bernoulli', 'spin']) for (const h of HIDDEN_TYPES) cases.push([v, h]);

  test.each(cases)('%s visible x %s hidden, to 1e-10', (visible, hidden) => {
    const n = 5;
    const rows = 7;
    const rbm = smallRbm(visible, hidden, n, 4, 'pl');
    const support = rbm.visible.support as readonly number[];
    const logp = visibleLogProbabilities(rbm);
    const data = randomStates(support, rows, n, `pl/data/${visible}/${hidden}`);
    const perRow = pseudoLogLikelihoods(rbm, data, rows);
    let mean = 0;
    for (let r = 0; r < rows; r++) {
      const v = Array.from(data.subarray(r * n, (r + 1) * n));
      const own = logp[indexFromState(v, support)];
      let expected = 0;
      for (let i = 0; i < n; i++) {
        const flipped = v.slice();
        flipped[i] = flipped[i] === support[1] ? support[0] : support[1];
        expected += own - logAddExp(own, logp[indexFromState(flipped, support)]);
      }
      expectClose(perRow[r], expected, 0, 1e-10, `row ${r}`);
      mean += expected / rows;
    }
    expectClose(pseudoLogLikelihood(rbm, data, rows), mean, 0, 1e-10, 'mean');
  });

  test('W = 0: sum_i log sigmoid(+-a_i), the independent model', () => {
    const a = [0.3, -1.2, 2.0];
    const rbm = new RBM(createLayer('bernoulli', 3, { bias: a }, 'visible'), createLayer('relu', 2), new Float64Array(6));
    const v = [1, 0, 1];
    const expected = Math.log(1 / (1 + Math.exp(-a[0]))) + Math.log(1 / (1 + Math.exp(a[1]))) + Math.log(1 / (1 + Math.exp(-a[2])));
    expectClose(pseudoLogLikelihood(rbm, v, 1), expected, 0, 1e-14, 'independent');
  });

  test('a value outside the support throws', () => {
    const rbm = smallRbm('bernoulli', 'bernoulli', 3, 2, 'pl-bad');
    expect(() => pseudoLogLikelihood(rbm, [0, 0.5, 1], 1)).toThrow(/not in the bernoulli support/);
    expect(() => pseudoLogLikelihood(rbm, [0, 1], 1)).toThrow(/expected 1 rows x 3/);
  });
});

describe('pseudo-likelihood, gaussian visibles: conditionals by quadrature', () => {
  test.each(['bernoulli', 'gaussian', 'relu', 'step'])('gaussian visible x %s hidden vs a Simpson integral', (hidden) => {
    const n = 3;
    const rows = 3;
    const rbm = smallRbm('gaussian', hidden, n, 4, 'pl-gauss');
    const rng = createRng(`pl-gauss/data/${hidden}`);
    const data = Float64Array.from({ length: rows * n }, () => 2 * rng.uniform() - 1);
    const perRow = pseudoLogLikelihoods(rbm, data, rows);
    for (let r = 0; r < rows; r++) {
      const v = Array.from(data.subarray(r * n, (r + 1) * n));
      let expected = 0;
      for (let i = 0; i < n; i++) {
        const at = (s: number) => {
          const w = v.slice();
          w[i] = s;
          return -rbm.freeEnergy(w);
        };
        // the conditional has unit-scale width: [-14, 14] holds all but e^-60 of its mass
        expected += at(v[i]) - logIntegrate(at, v[i] - 14, v[i] + 14, 40000);
      }
      // Simpson's error is O(h^4) for smooth integrands (measured 5e-14); a step unit's kink makes
      // it O(h^2) (measured 7e-9)
      expectClose(perRow[r], expected, 0, hidden === 'step' ? 5e-8 : 1e-11, `${hidden} row ${r}`);
    }
  });

  test('W = 0: sum_i log Normal(v_i; a_i / gamma_i, 1 / gamma_i)', () => {
    const a = [0.5, -1];
    const gamma = [1, 2.5];
    const rbm = new RBM(createLayer('gaussian', 2, { bias: a, gamma }, 'visible'), createLayer('bernoulli', 3), new Float64Array(6));
    const v = [1.3, 0.2];
    let expected = 0;
    for (let i = 0; i < 2; i++) {
      const mean = a[i] / gamma[i];
      expected += 0.5 * Math.log(gamma[i] / (2 * Math.PI)) - 0.5 * gamma[i] * (v[i] - mean) ** 2;
    }
    expectClose(pseudoLogLikelihood(rbm, v, 1), expected, 0, 1e-11, 'independent gaussians');
  });
});
