/**
 * The `real-data` family and the digits it ships: the data as scikit-learn has them, the splits,
 * a trained model that beats independent pixels on held-out digits, and the sampled coupling
 * statistics against the listed ones. Deterministic (seeded); the statistical comparison states
 * its tolerance.
 */
import { createLayer, createRng, inducedCouplings, RBM } from '@rbmlab/core';
import { DIGITS_COUNT, loadDigits } from '../src/data/digits';
import { couplingRms, dataSplit, realData, TUNED_LR } from '../src/families/real-data';
import { resolveParams } from '../src/study/params';
import { runTrial } from '../src/study/trial';

describe('scikit-learn digits shipped as a CSV', () => {
  test('1,797 digits of 64 pixels in scikit-learn order (labels 0..9 repeating at the start), binarized at grey level 8', () => {
    const d = loadDigits();
    expect([d.rows, d.cols, DIGITS_COUNT]).toEqual([1797, 64, 1797]);
    expect(Array.from(d.labels.slice(0, 10))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // digits.images[0] is a zero: row 0 is 0 0 5 13 9 1 0 0 (grey), so pixels 3 and 4 are on
    expect(Array.from(d.data.slice(0, 8))).toEqual([0, 0, 0, 1, 1, 0, 0, 0]);
    expect(new Set(d.data)).toEqual(new Set([0, 1]));
    expect(() => loadDigits(1798)).toThrow(RangeError);
  });

  test('splits: test rows follow the training rows; validation never touches them', () => {
    const test = dataSplit(resolveParams(realData, {}));
    expect([test.train.rows, test.score.rows]).toEqual([1500, 297]);
    const validation = dataSplit(resolveParams(realData, { split: 'validation' }));
    expect([validation.train.rows, validation.score.rows]).toEqual([1200, 300]);
    expect(validation.score.data).toEqual(test.train.data.slice(1200 * 64, 1500 * 64));
    expect(() => resolveParams(realData, { train: 1700, test: 200 })).toThrow(/params\.train: train \+ test = 1900 rows, but digits has 1797/);
  });
});

describe('real-data trials', () => {
  test('bernoulli, M = 16, tuned rate, 20 epochs: exact held-out log-likelihood above independent pixels (-24.59) by 2 nats', async () => {
    const [row] = await runTrial(realData, resolveParams(realData, { hidden: 'bernoulli', M: 16, epochs: 20 }), 7);
    expect(row.exact).toBe(1);
    expect(row.testLoglik_se).toBe(0);
    expect(row.testLoglik).toBeGreaterThan(-24.59 + 2);
    expect(row.trainLoglik).toBeGreaterThan(row.testLoglik - 2);
    expect(row.diverged).toBe(0);
    expect(TUNED_LR.bernoulli).toBe(0.003);
  });

  test('relu cannot be enumerated: AIS with a standard error, and linear units induce no order-3 couplings', async () => {
    const [relu] = await runTrial(realData, resolveParams(realData, { hidden: 'relu', M: 4, epochs: 2, aisChains: 20, aisSteps: 100 }), 3);
    expect(relu.exact).toBe(0);
    expect(relu.testLoglik_se).toBeGreaterThan(0);
    expect(Number.isFinite(relu.testLoglik)).toBe(true);
    const [linear] = await runTrial(realData, resolveParams(realData, { hidden: 'gaussian', M: 4, epochs: 2, aisChains: 20, aisSteps: 100 }), 3);
    expect(linear.J3_rms).toBeLessThan(1e-12);
    expect(linear.J2_rms).toBeGreaterThan(1e-3);
  });

  test('J3_rms from 20,000 random triples is within 5% of the rms over all 41,664 (64 visibles)', () => {
    const rng = createRng('real-data/rms');
    const rbm = RBM.random(createLayer('bernoulli', 64, undefined, 'visible'), createLayer('relu', 8), rng, 0.4);
    const all = inducedCouplings(rbm, 3, { basis: 'bernoulli' }).byOrder[3];
    const exact = Math.sqrt(all.reduce((a, b) => a + b * b, 0) / all.length);
    // the estimate's relative sd is sqrt(Var(J^2)) / (2 E[J^2] sqrt(20000)), about 0.5% here
    expect(Math.abs(couplingRms(rbm, 3, 20_000, rng) / exact - 1)).toBeLessThan(0.05);
    const pairs = inducedCouplings(rbm, 2, { basis: 'bernoulli' }).byOrder[2];
    expect(couplingRms(rbm, 2, 20_000, rng)).toBeCloseTo(Math.sqrt(pairs.reduce((a, b) => a + b * b, 0) / pairs.length), 12);
  });
});
