/**
 * `spectral` (issue 5, family 6): the singular values of the student's W over epochs of PCD on
 * teacher data, one row per recorded epoch (epoch 0 = the initial weights).
 *
 * The teacher is that of teacher-student (./planted.ts) with pattern a at strength
 * b_a = beta betaRatio^a, so the patterns are learned in turn. The student has `hiddenUnits`
 * hidden units (more than P, so that modes the data do not support show up as well).
 *
 * Expected (Decelle, Fissore and Furtlehner 2017-2018, MODELS.md §4): while W is small the PCD
 * update is dW ≈ lr (C - I) W for spin (and gaussian) hidden units, C the data second moment, so
 * the component of W along an eigenvector of C with eigenvalue lambda grows like
 * exp(lr (lambda - 1) u) after u updates: the modes with lambda > 1 grow one by one, fastest
 * first, then saturate. For the spin teacher lambda_a ≈ 1 + b_a^2 (pattern a); the sampling noise
 * of M = alpha N examples puts the rest of the spectrum of C at up to (1 + 1/sqrt(alpha))^2, so
 * those directions grow too, more slowly, as the student overfits.
 *
 * Metrics per row: `sigma1` .. `sigma{K}` (top K singular values, K = min(K, hiddenUnits, N)) and
 * `overlap` (patterns against the student's columns, optimal assignment, as in teacher-student).
 */
import { DivergenceError, patternRecovery, singularValues, type RBM } from '@rbmlab/core';
import type { Experiment, MetricRow, ParamSpec, Params } from '../study/experiment';
import { ParamError } from '../study/experiment';
import { dataPlan, initialStudent, STUDENT_PARAMS, studentTrainer, TEACHER_PARAMS, teacherAndData } from './planted';

const PARAMS: Record<string, ParamSpec> = {
  N: { ...TEACHER_PARAMS.N, default: 40 },
  P: { ...TEACHER_PARAMS.P, default: 2 },
  alpha: { ...TEACHER_PARAMS.alpha, default: 25 },
  beta: { ...TEACHER_PARAMS.beta, default: 1.6, describe: 'strength b_0 of the first pattern: W = b_a xi^a / sqrt(N)' },
  betaRatio: { type: 'number', default: 0.7, min: 0, describe: 'pattern a has strength b_a = beta betaRatio^a' },
  teacherHidden: TEACHER_PARAMS.teacherHidden,
  burnIn: TEACHER_PARAMS.burnIn,
  thin: TEACHER_PARAMS.thin,
  dataChains: TEACHER_PARAMS.dataChains,
  hiddenUnits: { type: 'integer', default: 5, min: 1, describe: 'student hidden units (at least P)' },
  ...STUDENT_PARAMS,
  epochs: { ...STUDENT_PARAMS.epochs, default: 30 },
  lr: { ...STUDENT_PARAMS.lr, default: 0.005 },
  lrDecay: { ...STUDENT_PARAMS.lrDecay, default: 1 },
  K: { type: 'integer', default: 5, min: 1, describe: 'singular values reported: sigma1..sigmaK, K at most min(hiddenUnits, N)' },
  every: { type: 'integer', default: 1, min: 1, describe: 'record a row every this many epochs (and at the last)' },
};

/** b_a = beta betaRatio^a, a = 0 .. P-1. */
export function patternStrengths(params: Params): number[] {
  return Array.from({ length: params.P as number }, (_, a) => (params.beta as number) * (params.betaRatio as number) ** a);
}

/** The number of singular values reported. */
function reported(params: Params): number {
  return Math.min(params.K as number, params.hiddenUnits as number, params.N as number);
}

export const spectral: Experiment = {
  name: 'spectral',
  usesBackend: true,
  describe: 'singular values of W and the pattern overlap over PCD epochs on planted-pattern teacher data: the modes grow one by one',
  params: PARAMS,
  series: 'epoch',

  metrics(params: Params): readonly string[] {
    return [...Array.from({ length: reported(params) }, (_, k) => `sigma${k + 1}`), 'overlap'];
  },

  check(params: Params): void {
    if ((params.hiddenUnits as number) < (params.P as number)) {
      throw new ParamError('params.hiddenUnits', `must be at least P = ${params.P as number} so that every pattern has a hidden unit, got ${params.hiddenUnits as number}`);
    }
  },

  plan: dataPlan,

  run(params: Params, { rng, backend }): MetricRow[] {
    const n = params.N as number;
    const { teacher, data, rows } = teacherAndData(params, patternStrengths(params), rng, backend);
    const student = initialStudent(n, params.hiddenUnits as number, params.studentHidden as string, params.init as number, rng.split('init'));
    const k = reported(params);
    const record = (epoch: number, model: RBM): MetricRow => {
      const sigma = singularValues(model);
      const row: Record<string, number> = { epoch };
      for (let a = 0; a < k; a++) row[`sigma${a + 1}`] = sigma[a];
      row.overlap = patternRecovery(teacher.patterns, model).mean;
      return row;
    };
    const out = [record(0, student)];
    const epochs = params.epochs as number;
    const every = params.every as number;
    const trainer = studentTrainer(student, data, rows, params, rng.split('student'), backend);
    try {
      for (const { epoch } of trainer.epochs(epochs)) {
        if (epoch % every === 0 || epoch === epochs) out.push(record(epoch, student));
      }
    } catch (err) {
      // a diverged run reports the epochs before it; the rows stop there
      if (!(err instanceof DivergenceError)) throw err;
    }
    return out;
  },
};
