/**
 * Named metrics: each evaluates to its defining function on the context's rows, AIS draws only
 * from the context's stream, and RunningStats matches two-pass statistics.
 */
import {
  aisLogLikelihoodMetric,
  createRng,
  exactLogLikelihood,
  exactLogLikelihoodMetric,
  exactSample,
  freeEnergyGap,
  freeEnergyGapMetric,
  METRIC_NAMES,
  metricByName,
  pseudoLikelihoodMetric,
  pseudoLogLikelihood,
  reconstructionError,
  reconstructionErrorMetric,
  RunningStats,
  singularValues,
  spectralNormMetric,
  type MetricContext,
} from '../../src';
import { smallRbm } from '../helpers/models';
import { expectClose } from '../helpers/stats';

const rbm = smallRbm('bernoulli', 'bernoulli', 8, 5, 'metrics');
const train = exactSample(rbm, 40, createRng('metrics/train'));
const heldout = exactSample(rbm, 30, createRng('metrics/heldout'));
const context = (seed: string, withHeldout = true): MetricContext => ({
  epoch: 3,
  data: train,
  rows: 40,
  heldout: withHeldout ? { data: heldout, rows: 30 } : undefined,
  rng: createRng(seed),
});

describe('metrics', () => {
  test('names and values of the deterministic metrics', () => {
    const ctx = context('metrics/ctx');
    const cases: [ReturnType<typeof exactLogLikelihoodMetric>, string, number][] = [
      [exactLogLikelihoodMetric(), 'loglik', exactLogLikelihood(rbm, train, 40)],
      [pseudoLikelihoodMetric(), 'pseudoLoglik', pseudoLogLikelihood(rbm, train, 40)],
      [reconstructionErrorMetric(), 'recon', reconstructionError(rbm, train, 40)],
      [freeEnergyGapMetric(), 'freeEnergyGap', freeEnergyGap(rbm, train, 40, heldout, 30)],
      [spectralNormMetric(), 'sigmaMax', singularValues(rbm)[0]],
    ];
    for (const [metric, name, value] of cases) {
      expect(metric.name).toBe(name);
      expect(Number.isFinite(value)).toBe(true);
      expect(metric.evaluate(rbm, ctx)).toBe(value);
    }
  });

  test('freeEnergyGap is NaN without held-out rows', () => {
    expect(freeEnergyGapMetric().evaluate(rbm, context('metrics/nh', false))).toBeNaN();
  });

  test('aisLoglik agrees with the exact log-likelihood and depends only on the context stream', () => {
    const metric = aisLogLikelihoodMetric({ chains: 100, steps: 300 });
    expect(metric.name).toBe('aisLoglik');
    const a = metric.evaluate(rbm, context('metrics/ais'));
    const b = metric.evaluate(rbm, context('metrics/ais'));
    expect(Object.is(a, b)).toBe(true);
    // base-rate base by default for bernoulli visibles; stderr at these settings is ~0.01, so 0.1
    // is 10 standard errors (and far below the 1-nat errors of a wrong log Z_0)
    expectClose(a, exactLogLikelihood(rbm, train, 40), 0, 0.1, 'AIS log-likelihood');
    expect(metric.evaluate(rbm, context('metrics/ais-other'))).not.toBe(a);
  });

  test('metricByName covers METRIC_NAMES and rejects unknown names', () => {
    for (const name of METRIC_NAMES) expect(metricByName(name).name).toBe(name);
    expect(() => metricByName('logLik')).toThrow(/unknown metric "logLik" \(known: loglik, aisLoglik/);
    expect(() => metricByName('toString')).toThrow(/unknown metric/);
  });
});

describe('RunningStats (Welford)', () => {
  test('matches two-pass mean and variance, without cancellation at a large offset', () => {
    const rng = createRng('running');
    const xs = Array.from({ length: 1000 }, () => 1e9 + rng.uniform());
    const stats = new RunningStats();
    for (const x of xs) stats.push(x);
    // reference from the exact offsets x - 1e9 (exact subtractions for x in [1e9, 1e9 + 1])
    const us = xs.map((x) => x - 1e9);
    const meanU = us.reduce((s, u) => s + u, 0) / us.length;
    const variance = us.reduce((s, u) => s + (u - meanU) ** 2, 0) / (us.length - 1);
    expect(stats.count).toBe(1000);
    expectClose(stats.mean, 1e9 + meanU, 1e-15, 0, 'mean');
    // Welford's deviations x - mean carry the rounding of the running mean, ulp(1e9) = 1.2e-7 against
    // sd 0.29: about 4e-7 relative (measured 1.4e-7); the naive E[x^2] - E[x]^2 loses every digit
    expectClose(stats.variance, variance, 2e-6, 0, 'variance');
    expectClose(stats.sem, Math.sqrt(variance / 1000), 2e-6, 0, 'sem');
  });

  test('empty and single-value states', () => {
    const stats = new RunningStats();
    expect(stats.count).toBe(0);
    expect(stats.mean).toBeNaN();
    stats.push(2.5);
    expect(stats.mean).toBe(2.5);
    expect(stats.variance).toBeNaN();
    expect(stats.sem).toBeNaN();
    stats.push(3.5);
    expect(stats.variance).toBe(0.5);
  });
});
