/**
 * The experiment families a study file can name: the built-in ones, in the order `rbmlab list`
 * shows them, then those registered at run time (a study file's "plugin", `rbmlab list --plugin`,
 * or registerExperiment from a program; ../study/plugins.ts).
 */
import type { Experiment } from '../study/experiment';
import { retrieval } from './retrieval';
import { denseCapacity } from './dense-capacity';
import { spectral } from './spectral';
import { teacherStudent } from './teacher-student';
import { interactions } from './interactions';
import { hoiLearning } from './hoi-learning';
import { hoiSampled } from './hoi-sampled';
import { realData } from './real-data';

/** The families rbmlab ships. */
export const EXPERIMENTS: readonly Experiment[] = [
  retrieval,
  teacherStudent,
  interactions,
  hoiLearning,
  hoiSampled,
  spectral,
  denseCapacity,
  realData,
];

const registered: Experiment[] = [];

/** Every family known now: the built-in ones, then the registered ones. */
export function experiments(): readonly Experiment[] {
  return [...EXPERIMENTS, ...registered];
}

/** The family called `name`, or undefined. */
export function experimentByName(name: string): Experiment | undefined {
  return experiments().find((e) => e.name === name);
}

/**
 * Adds a family, so that study files can name it. Registering the same object again does
 * nothing; another family under a name already taken is refused (a TypeError naming it), as is
 * an object that is not a family (see checkExperiment).
 */
export function registerExperiment(experiment: Experiment): void {
  checkExperiment(experiment);
  const known = experimentByName(experiment.name);
  if (known === experiment) return;
  if (known !== undefined) throw new TypeError(`a family named ${JSON.stringify(experiment.name)} exists already${EXPERIMENTS.includes(known) ? ' (built in)' : ''}; give yours another name`);
  registered.push(experiment);
}

/** Throws a TypeError naming what is missing when `value` is not a family. */
export function checkExperiment(value: unknown): asserts value is Experiment {
  const e = value as Record<string, unknown> | null;
  if (typeof e !== 'object' || e === null) throw new TypeError('a family is an object with name, describe, params, metrics and run');
  if (typeof e.name !== 'string' || !/^[A-Za-z][\w.-]*$/.test(e.name)) throw new TypeError(`a family's name must be a word (letters, digits, - _ .), got ${JSON.stringify(e.name)}`);
  const missing = [
    typeof e.describe !== 'string' && 'describe (a string)',
    (typeof e.params !== 'object' || e.params === null) && 'params (an object of parameter specs)',
    typeof e.metrics !== 'function' && 'metrics (a function of the params)',
    typeof e.run !== 'function' && 'run (the trial function)',
  ].filter((m): m is string => m !== false);
  if (missing.length > 0) throw new TypeError(`family ${JSON.stringify(e.name)} lacks ${missing.join(', ')}`);
  for (const [key, spec] of Object.entries(e.params as Record<string, { type?: unknown; describe?: unknown }>)) {
    if (!['integer', 'number', 'string', 'boolean'].includes(spec?.type as string)) throw new TypeError(`family ${JSON.stringify(e.name)}: params.${key}.type must be integer, number, string or boolean`);
    if (typeof spec.describe !== 'string') throw new TypeError(`family ${JSON.stringify(e.name)}: params.${key}.describe must say what it is`);
  }
}
