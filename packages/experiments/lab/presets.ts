/**
 * The lab form's presets (lab.test.ts checks that QUICKSTART is experiments/quickstart.json, and
 * runs SMALL), and the family defaults the form leaves out of a study file.
 */
import type { StudyFile } from '../src/study/study';

/** The quickstart study of the repository (experiments/quickstart.json), as the form's preset. */
export const QUICKSTART: StudyFile = {
  name: 'quickstart',
  experiment: 'teacher-student',
  seed: 2023,
  trials: 8,
  params: { N: 80, P: 2, beta: 1.2, teacherHidden: 'spin' },
  grid: { alpha: [1, 2, 4, 8, 16], studentHidden: ['spin', 'bernoulli', 'gaussian', 'relu', 'step'] },
};

/** A study that runs in seconds: for a first look. */
export const SMALL: StudyFile = {
  name: 'lab-small',
  experiment: 'teacher-student',
  seed: 7,
  trials: 2,
  params: { N: 30, P: 2, beta: 1.5, teacherHidden: 'spin', epochs: 15 },
  grid: { alpha: [2, 4], studentHidden: ['spin', 'relu'] },
};

/** Defaults of the teacher-student family (packages/experiments/src/families/planted.ts). */
export const TRAINING_DEFAULTS = { epochs: 100, lr: 0.05, batch: 20, chains: 50, optimizer: 'sgd' };
