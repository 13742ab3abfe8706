/**
 * One trial, as the runner and the worker threads run it: a fresh stream from the trial's seed,
 * the family's run, and a check that it reported exactly its metric columns as numbers.
 */
import { createRng, defaultBackend, type Backend } from '@rbmlab/core';
import type { Experiment, MetricRow, Params, TrialContext } from './experiment';

/**
 * Runs `experiment` once at `params` with the trial seed `seed`; returns its rows (one unless it
 * is a series). `observe` watches the trial as it runs (TrialContext.observe); it changes nothing.
 */
export async function runTrial(experiment: Experiment, params: Params, seed: number, backend: Backend = defaultBackend(), observe?: TrialContext['observe']): Promise<MetricRow[]> {
  const result = await experiment.run(params, { seed, rng: createRng(seed), backend, ...(observe ? { observe } : {}) });
  const rows = Array.isArray(result) ? result : [result];
  const expected = [...(experiment.series ? [experiment.series] : []), ...experiment.metrics(params)];
  if (rows.length === 0) throw new Error(`experiment ${experiment.name} returned no rows`);
  for (const row of rows) {
    const keys = Object.keys(row);
    const missing = expected.filter((k) => !(k in row));
    const extra = keys.filter((k) => !expected.includes(k));
    if (missing.length > 0 || extra.length > 0) {
      throw new Error(`experiment ${experiment.name} returned columns [${keys.join(', ')}], expected [${expected.join(', ')}]`);
    }
    for (const k of keys) {
      if (typeof row[k] !== 'number') throw new Error(`experiment ${experiment.name}: ${k} is not a number`);
    }
  }
  return rows;
}
