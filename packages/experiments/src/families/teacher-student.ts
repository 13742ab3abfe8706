/**
 * `teacher-student` (issue 5, family 2): planted patterns learned from data.
 *
 * A teacher RBM with P planted ±1 patterns of strength beta (./planted.ts) gives M = round(alpha N)
 * examples; a student RBM with P hidden units of type `studentHidden` is trained on them by PCD.
 *
 * Metrics:
 * - `overlap`: mean over the patterns of |cos| between pattern xi^a and its matched student weight
 *   column, |xi^a . w_mu| / (|xi^a| |w_mu|), under the optimal one-to-one assignment (Hungarian;
 *   patternRecovery in @rbmlab/core). A random direction gives about sqrt(2 / (pi N)).
 * - `pcaOverlap`: the same for the top P principal directions of the training examples (second
 *   moment): the spectral learner whose threshold MODELS.md §4 states, as a cross-check.
 * - `diverged`: 1 when PCD diverged (the metrics then describe the last finite model), else 0.
 * - `loglik` and `kl`, only for N <= 20: the student's exact expected log-likelihood of a fresh
 *   teacher example, sum_v P_teacher(v) log P_student(v) (a test log-likelihood with an infinite
 *   test set), and KL(teacher || student) = -H(teacher) - loglik, by enumerating all 2^N states.
 *
 * Expected (MODELS.md §4, ./planted.ts): no recovery below alpha_c = beta^-4 (spin teacher) or
 * alpha_c = (1/beta^2 - 1)^2 (gaussian teacher, beta < 1), recovery above.
 */
import { DivergenceError, patternRecovery } from '@rbmlab/core';
import type { Experiment, MetricRow, Params } from '../study/experiment';
import {
  dataPlan,
  expectedLogLikelihood,
  initialStudent,
  MAX_ENUMERATED_UNITS,
  principalColumns,
  STUDENT_PARAMS,
  studentTrainer,
  TEACHER_PARAMS,
  teacherAndData,
} from './planted';

export const teacherStudent: Experiment = {
  name: 'teacher-student',
  usesBackend: true,
  describe: 'planted ±1 patterns (W = beta xi / sqrt(N)) learned by a PCD-trained student RBM from M = alpha N teacher examples; overlap = matched |cos|',
  params: { ...TEACHER_PARAMS, ...STUDENT_PARAMS },

  metrics(params: Params): readonly string[] {
    const base = ['overlap', 'pcaOverlap', 'diverged'];
    return (params.N as number) <= MAX_ENUMERATED_UNITS ? [...base, 'loglik', 'kl'] : base;
  },

  plan: dataPlan,

  run(params: Params, { rng, backend, observe }): MetricRow {
    const n = params.N as number;
    const p = params.P as number;
    const { teacher, data, rows } = teacherAndData(params, new Array<number>(p).fill(params.beta as number), rng, backend);
    const student = initialStudent(n, p, params.studentHidden as string, params.init as number, rng.split('init'));
    let diverged = 0;
    try {
      const epochs = params.epochs as number;
      // a watcher (the browser lab) sees the student after every epoch; it only reads
      const watch = observe ? [(record: { epoch: number }) => observe({ kind: 'epoch', epoch: record.epoch, epochs, student, patterns: teacher.patterns })] : undefined;
      studentTrainer(student, data, rows, params, rng.split('student'), backend, watch).train(epochs);
    } catch (err) {
      if (!(err instanceof DivergenceError)) throw err;
      diverged = 1;
    }
    const row: Record<string, number> = {
      overlap: patternRecovery(teacher.patterns, student).mean,
      pcaOverlap: patternRecovery(teacher.patterns, principalColumns(data, rows, n, Math.min(p, n))).mean,
      diverged,
    };
    if (n <= MAX_ENUMERATED_UNITS) {
      row.loglik = expectedLogLikelihood(teacher.rbm, student);
      row.kl = expectedLogLikelihood(teacher.rbm, teacher.rbm) - row.loglik;
    }
    return row;
  },
};
