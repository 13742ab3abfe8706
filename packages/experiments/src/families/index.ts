/**
 * The experiment families a study file can name, in the order `rbmlab list` shows them.
 */
import type { Experiment } from '../study/experiment';
import { retrieval } from './retrieval';
import { denseCapacity } from './dense-capacity';
import { spectral } from './spectral';
import { teacherStudent } from './teacher-student';
import { interactions } from './interactions';
import { hoiLearning } from './hoi-learning';
import { realData } from './real-data';

export const EXPERIMENTS: readonly Experiment[] = [
  retrieval,
  teacherStudent,
  interactions,
  hoiLearning,
  spectral,
  denseCapacity,
  realData,
];

/** The family called `name`, or undefined. */
export function experimentByName(name: string): Experiment | undefined {
  return EXPERIMENTS.find((e) => e.name === name);
}
