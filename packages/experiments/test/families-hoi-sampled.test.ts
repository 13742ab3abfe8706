/**
 * hoi-sampled (issue 19, item 1) against the exact route at N = 7, where both run: every metric
 * the sampled family reports is recomputed by enumerating the 2^7 states.
 * - the teacher's couplings in the bernoulli basis, which the family gets by expanding its spin
 *   couplings locally, equal the Moebius transform of its exact log-weights (to 1e-12);
 * - the student's, which the family gets by core's local subsetCouplings, equal inducedCouplings
 *   by enumeration, so K2_error, K3_error and K3_spurious equal their exact values (1e-9);
 * - the teacher's held-out log-likelihood, whose log Z the family estimates by AIS on the teacher,
 *   is within 5 of its standard errors (+1e-3) of the exact one (false failure below 6e-7 if the
 *   error bar is honest), and the student's is exact here (binary hidden units, M small);
 * - the data: equilibriumSamples is checked against the exact P by chi-square in core's hobm tests.
 * At N = 50 the family runs with no enumeration (a run of it below), its sampling reported.
 */
import { createRng, defaultBackend, HigherOrderBoltzmannMachine, exactLogLikelihood, indexFromState, inducedCouplings, subsetRank } from '@rbmlab/core';
import { hiddenCount, hoiSampledTrial, learningRateOf, perActivation, rateSchedule, sweepsOf, teacherBernoulliCouplings } from '../src/families/hoi-sampled';
import { parseStudy } from '../src/study/study';

function pointParams(params: Record<string, number | string>) {
  return parseStudy({ name: 't', experiment: 'hoi-sampled', seed: 1, trials: 1, params, grid: { hidden: ['bernoulli'] } }).points[0].params;
}

/** Moebius transform in the bernoulli basis of the teacher's exact log-weight f(v), v = (sigma + 1)/2. */
function exactTeacherCoupling(teacher: ReturnType<typeof hoiSampledTrial>['teacher'], sites: number[]): number {
  let total = 0;
  for (let mask = 0; mask < 1 << sites.length; mask++) {
    const sigma = new Float64Array(teacher.size).fill(-1);
    let size = 0;
    sites.forEach((site, b) => {
      if (mask & (1 << b)) {
        sigma[site] = 1;
        size++;
      }
    });
    const f = -teacher.beta * teacher.energies(sigma, 1)[0];
    total += (sites.length - size) % 2 === 0 ? f : -f;
  }
  return total;
}

test('at N = 7 every sampled metric equals the exact route within its stated error', () => {
  const params = pointParams({ N: 7, M: 4, triples: 6, samples: 800, test: 300, epochs: 8, lr: 0.01, aisChains: 400, aisSteps: 400 });
  const { row, teacher, student, trainRows, testRows } = hoiSampledTrial(params, { seed: 5, rng: createRng(5), backend: defaultBackend() });
  expect(row.diverged).toBe(0);

  // the teacher's couplings: local expansion = enumeration
  const local = teacherBernoulliCouplings(teacher);
  for (const [key, value] of [...local.pairs, ...local.triples]) {
    expect(Math.abs(value - exactTeacherCoupling(teacher, key.split(',').map(Number)))).toBeLessThan(1e-12);
  }

  // the student's, by enumeration, make the same errors
  const induced = inducedCouplings(student, 3, { basis: 'bernoulli' });
  const J = (sites: number[]) => induced.byOrder[sites.length][subsetRank(7, sites)];
  const rel = (pairs: [number, number][]) => Math.sqrt(pairs.reduce((a, [x, y]) => a + (x - y) ** 2, 0) / pairs.reduce((a, [, y]) => a + y * y, 0));
  const K2 = [...local.pairs].map(([k, t]) => [J(k.split(',').map(Number)), t] as [number, number]);
  const K3 = [...local.triples].map(([k, t]) => [J(k.split(',').map(Number)), t] as [number, number]);
  expect(row.K2_error).toBeCloseTo(rel(K2), 9);
  expect(row.K3_error).toBeCloseTo(rel(K3), 9);
  const tripleSets = [...local.triples.keys()].map((k) => k.split(',').map(Number));
  const free = K2.filter((_, p) => {
    const [i, j] = [...local.pairs.keys()][p].split(',').map(Number);
    return !tripleSets.some((t) => t.includes(i) && t.includes(j));
  });
  expect(free.length).toBeGreaterThan(0);
  expect(free.length).toBeLessThan(K2.length);
  expect(row.K2free_error).toBeCloseTo(rel(free), 9);
  let spurious = 0;
  let count = 0;
  for (let i = 0; i < 7; i++)
    for (let j = i + 1; j < 7; j++)
      for (let l = j + 1; l < 7; l++) {
        if (local.triples.has(`${i},${j},${l}`)) continue;
        spurious += J([i, j, l]) ** 2;
        count++;
      }
  const plantedRms = Math.sqrt(K3.reduce((a, [, t]) => a + t * t, 0) / K3.length);
  expect(row.K3_spurious).toBeCloseTo(Math.sqrt(spurious / count) / plantedRms, 9);

  // log-likelihoods of the held-out states
  const rows = testRows.length / 7;
  const logP = teacher.logProbabilities();
  let exactTeacher = 0;
  for (let r = 0; r < rows; r++) exactTeacher += logP[indexFromState(testRows.subarray(r * 7, (r + 1) * 7), teacher.support)];
  exactTeacher /= rows;
  expect(row.teacherLoglik_se).toBeGreaterThan(0);
  expect(Math.abs(row.teacherLoglik - exactTeacher)).toBeLessThan(5 * row.teacherLoglik_se + 1e-3);
  // the pairs-only teacher, exact
  const pairsOnly = new HigherOrderBoltzmannMachine({ type: 'spin', size: 7, couplings: teacher.couplings.filter((c) => c.sites.length === 2) });
  const logPairs = pairsOnly.logProbabilities();
  let exactPairs = 0;
  for (let r = 0; r < rows; r++) exactPairs += logPairs[indexFromState(testRows.subarray(r * 7, (r + 1) * 7), pairsOnly.support)];
  exactPairs /= rows;
  expect(row.teacherPairsLoglik_se).toBeGreaterThan(0);
  expect(Math.abs(row.teacherPairsLoglik - exactPairs)).toBeLessThan(5 * row.teacherPairsLoglik_se + 1e-3);
  expect(row.teacherPairsLoglik).toBeLessThan(exactTeacher);
  expect(row.testLoglik_se).toBe(0);
  expect(row.testLoglik).toBeCloseTo(exactLogLikelihood(student, testRows, rows), 12);
  expect(row.trainLoglik).toBeCloseTo(exactLogLikelihood(student, trainRows.subarray(0, rows * 7), rows), 12);
  expect(row.testLoglik_ess).toBeNaN();
  // the student is a model of the data: below the teacher, above independent uniform spins
  expect(row.testLoglik).toBeLessThan(exactTeacher + 0.05);
  expect(row.testLoglik).toBeGreaterThan(-7 * Math.LN2);
  expect(row.tau).toBeGreaterThanOrEqual(1);
  expect(row.burnIn).toBeGreaterThanOrEqual(50 * row.tau);
});

test('at N = 50 it runs with nothing enumerated: AIS for both log-likelihoods, all pairs and triples local', () => {
  const params = pointParams({ N: 50, M: 30, triples: 50, samples: 400, test: 100, epochs: 2, aisChains: 20, aisSteps: 100 });
  const { row, student, trainRows, testRows } = hoiSampledTrial(params, { seed: 9, rng: createRng(9), backend: defaultBackend() });
  for (const metric of Object.keys(row)) expect(Number.isFinite(row[metric])).toBe(true);
  expect(row.testLoglik_se).toBeGreaterThan(0);
  expect(row.teacherLoglik).toBeLessThan(0);
  expect(row.thin).toBe(Math.ceil(2 * row.tau));
  expect(row.testLoglik_ess).toBeGreaterThan(1);
  expect(row.testLoglik_ess).toBeLessThanOrEqual(20 + 1e-9);
  // one AIS log Z scores both sets, so train minus held-out is the difference of mean free energies
  const meanF = (rows: Float64Array, count: number) => student.freeEnergies(Float64Array.from(rows.subarray(0, count * 50)), count).reduce((a, f) => a + f, 0) / count;
  expect(row.trainLoglik - row.testLoglik).toBeCloseTo(meanF(testRows, 100) - meanF(trainRows, 100), 9);
});

test('alpha or M, not both; lrs, ks and lrEnd pick the rate, its schedule and the sweeps of the point\'s activation and refuse bad entries', () => {
  expect(hiddenCount(pointParams({ N: 60, alpha: 2.5 }))).toBe(150);
  expect(hiddenCount(pointParams({ N: 60, M: 7 }))).toBe(7);
  expect(hiddenCount(pointParams({ N: 60 }))).toBe(50);
  expect(() => pointParams({ N: 60, alpha: 2, M: 7 })).toThrow('params.M: give alpha or M, not both');
  expect(() => pointParams({ N: 60, alpha: 0.001 })).toThrow('round(alpha N)');
  const p = pointParams({ lr: 0.003, lrs: 'bernoulli=0.01, poisson=0.0005' });
  expect(learningRateOf(p)).toBe(0.01);
  expect(learningRateOf({ ...p, hidden: 'poisson' })).toBe(0.0005);
  expect(learningRateOf({ ...p, hidden: 'relu' })).toBe(0.003);
  expect(() => perActivation('bernoulli=0.01,bernoulli=0.02', 'lrs')).toThrow('params.lrs: bernoulli given twice');
  const q = pointParams({ k: 3, ks: 'step=2,bernoulli=20' });
  expect(sweepsOf(q)).toBe(20);
  expect(sweepsOf({ ...q, hidden: 'step' })).toBe(2);
  expect(sweepsOf({ ...q, hidden: 'spin' })).toBe(3);
  expect(() => pointParams({ ks: 'step=1.5' })).toThrow('params.ks: "step=1.5"');
  // lrEnd 1 (default) keeps the constant rate; below 1, linear from the point's rate to lrEnd x rate
  expect(rateSchedule(p)).toBe(0.01);
  expect(rateSchedule(pointParams({ lrs: 'bernoulli=0.002', lrEnd: 0.1, epochs: 40 }))).toEqual({ kind: 'linear', lr: 0.002, final: 0.1 * 0.002, epochs: 40 });
  expect(() => pointParams({ lrEnd: 0 })).toThrow('params.lrEnd');
  expect(() => pointParams({ lrs: 'sigmoid=0.01' })).toThrow('params.lrs: "sigmoid=0.01"');
  expect(() => pointParams({ lrs: 'relu=-1' })).toThrow('params.lrs');
  expect(() => pointParams({ lrs: 'relu=' })).toThrow('params.lrs');
});
