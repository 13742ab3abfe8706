/**
 * Trial seeds. A trial's seed is a function of (study seed, grid point, trial index) alone, so
 * results do not depend on the order trials run in, on --jobs, --shard or --resume. The grid point
 * enters by its values (keys sorted), not its position, so adding a value to a grid list leaves
 * the seeds of the other points unchanged.
 *
 * seed = the first 48 bits of SHA-256("rbmlab.trial/1" | study seed | point JSON | trial), an
 * integer below 2^48 that createRng takes as it is (and results.csv records).
 */
import { createHash } from 'node:crypto';
import type { ParamValue } from './experiment';

/** Canonical JSON of a point: keys sorted, so that key order in the study file does not matter. */
export function canonicalPoint(values: Readonly<Record<string, ParamValue>>): string {
  const sorted: Record<string, ParamValue> = {};
  for (const key of Object.keys(values).sort()) sorted[key] = values[key];
  return JSON.stringify(sorted);
}

export function trialSeed(studySeed: number, values: Readonly<Record<string, ParamValue>>, trial: number): number {
  const digest = createHash('sha256').update(`rbmlab.trial/1\n${studySeed}\n${canonicalPoint(values)}\n${trial}`).digest();
  return digest.readUIntBE(0, 6);
}
