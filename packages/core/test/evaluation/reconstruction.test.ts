/**
 * Reconstruction error and the free-energy gap against closed forms.
 */
import {
  createLayer,
  createRng,
  freeEnergyGap,
  RBM,
  reconstructionError,
  sigmoid,
} from '../../src';
import { smallRbm } from '../helpers/models';
import { expectClose } from '../helpers/stats';

describe('reconstruction error', () => {
  test('W = 0: E[v | h] is the visible mean at zero input whatever h is', () => {
    const a = [0.4, -1.1, 2.3];
    const data = [1, 0, 1, 0, 0, 1];
    const expected = (() => {
      let s = 0;
      for (let k = 0; k < 6; k++) s += (data[k] - sigmoid(a[k % 3])) ** 2;
      return s / 6;
    })();
    for (const hidden of ['bernoulli', 'relu', 'step']) {
      const rbm = new RBM(createLayer('bernoulli', 3, { bias: a }, 'visible'), createLayer(hidden, 2), new Float64Array(6));
      expectClose(reconstructionError(rbm, data, 2), expected, 1e-15, 0, `${hidden} mean field`);
      if (rbm.hidden.canSample) {
        expectClose(reconstructionError(rbm, data, 2, { sampled: true, rng: createRng('recon/w0') }), expected, 1e-15, 0, `${hidden} sampled`);
      }
    }
    // gaussian visibles: E[v | h] = a / gamma
    const g = new RBM(createLayer('gaussian', 2, { bias: [1, -1], gamma: [2, 4] }, 'visible'), createLayer('spin', 1), new Float64Array(2));
    expectClose(reconstructionError(g, [0.5, 0.75], 1), ((0.5 - 0.5) ** 2 + (0.75 + 0.25) ** 2) / 2, 1e-15, 0, 'gaussian');
  });

  test('N = 2, M = 1 by hand: W = (1, -1), v = (1, 0) gives sigmoid(-sigmoid(1))^2', () => {
    // I = 1, h = sigmoid(1), J = (h, -h), E[v | h] = (sigmoid(h), sigmoid(-h)), errors (1 - sigmoid(h))^2
    // and sigmoid(-h)^2, both sigmoid(-h)^2
    const rbm = new RBM(createLayer('bernoulli', 2, {}, 'visible'), createLayer('bernoulli', 1), Float64Array.from([1, -1]));
    expectClose(reconstructionError(rbm, [1, 0], 1), sigmoid(-sigmoid(1)) ** 2, 1e-15, 0, 'by hand');
  });

  test('sampled h: the mean over many copies of a row approaches the exact expectation over h', () => {
    // h in {0, 1} with P(h = 1) = sigmoid(I + theta); E_h[err] = sum_h P(h) mean_i (v_i - sigmoid(a_i + W_i h))^2
    const rbm = new RBM(
      createLayer('bernoulli', 2, { bias: [0.2, -0.3] }, 'visible'),
      createLayer('bernoulli', 1, { bias: [-0.4] }),
      Float64Array.from([1.5, -2]),
    );
    const v = [1, 0];
    const p1 = sigmoid(1.5 - 0.4);
    const err = (h: number) => ((1 - sigmoid(0.2 + 1.5 * h)) ** 2 + (0 - sigmoid(-0.3 - 2 * h)) ** 2) / 2;
    const expected = (1 - p1) * err(0) + p1 * err(1);
    const rows = 20000;
    const data = new Float64Array(rows * 2);
    for (let r = 0; r < rows; r++) data.set(v, 2 * r);
    const estimate = reconstructionError(rbm, data, rows, { sampled: true, rng: createRng('recon/sampled') });
    // the per-row error takes two values: sd = sqrt(p (1 - p)) |err(1) - err(0)|; 6 standard errors
    // (false-failure rate 2e-9)
    const se = (Math.sqrt(p1 * (1 - p1)) * Math.abs(err(1) - err(0))) / Math.sqrt(rows);
    expect(Math.abs(estimate - expected)).toBeLessThan(6 * se);
    expect(Math.abs(err(1) - err(0))).toBeGreaterThan(0.05); // the two branches differ: the test has power
    // and the mean-field value is a different number (h = p1, not a draw)
    expect(Math.abs(reconstructionError(rbm, v, 1) - expected)).toBeGreaterThan(10 * se);
  });

  test('sampling needs a hidden sampler and an rng', () => {
    const step = smallRbm('bernoulli', 'step', 3, 2, 'recon-step');
    expect(() => reconstructionError(step, [0, 1, 0], 1, { sampled: true, rng: createRng(1) })).toThrow(/no conditional sampler/);
    const bern = smallRbm('bernoulli', 'bernoulli', 3, 2, 'recon-rng');
    expect(() => reconstructionError(bern, [0, 1, 0], 1, { sampled: true })).toThrow(/needs an rng/);
  });
});

describe('free-energy gap', () => {
  test('W = 0, bernoulli: F(v) = -a.v - sum softplus(theta), so the gap is -a.(mean heldout - mean train)', () => {
    // nonzero hidden biases: their constant sum softplus(theta) must cancel
    const a = [0.5, -2, 1];
    const theta = [0.3, -0.7];
    const rbm = new RBM(createLayer('bernoulli', 3, { bias: a }, 'visible'), createLayer('bernoulli', 2, { bias: theta }), new Float64Array(6));
    const train = [1, 0, 0, 1, 1, 0]; // mean (1, 0.5, 0)
    const heldout = [0, 1, 1]; // mean (0, 1, 1)
    const expected = -(a[0] * (0 - 1) + a[1] * (1 - 0.5) + a[2] * (1 - 0));
    expectClose(freeEnergyGap(rbm, train, 2, heldout, 1), expected, 1e-15, 1e-15, 'gap');
  });

  test('equals the difference of mean free energies; zero for identical sets', () => {
    const rbm = smallRbm('spin', 'relu', 4, 3, 'gap');
    const train = [1, -1, 1, 1, -1, -1, 1, -1];
    const heldout = [1, 1, 1, 1];
    const fTrain = (rbm.freeEnergy(train.slice(0, 4)) + rbm.freeEnergy(train.slice(4))) / 2;
    expectClose(freeEnergyGap(rbm, train, 2, heldout, 1), rbm.freeEnergy(heldout) - fTrain, 1e-14, 1e-14, 'gap');
    expect(freeEnergyGap(rbm, train, 2, train, 2)).toBe(0);
  });
});
