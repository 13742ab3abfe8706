/**
 * The model file of a dense associative memory, format "rbmlab.dense/1":
 *
 *     {
 *       "format": "rbmlab.dense/1",
 *       "size": N,
 *       "patterns": [P rows of N values 1 or -1],
 *       "energy": {"kind": "normalized" | "krotov", "F": "power" | "rectified-power" | "exp", "p": p},
 *       "beta": beta
 *     }
 *
 * The energy conventions are those of models/dense/energy: normalized E = -N sum_mu m_mu^p / p
 * (F "power" only), krotov E = -sum_mu F(xi^mu . sigma) with F = x^p, max(x, 0)^p or e^x ("p" is
 * left out for "exp"); P(sigma) ∝ exp(-beta E). "beta" may be left out (1); it is always written.
 *
 * Reading is as strict as rbmlab.rbm/1: the exact format string, no unknown fields, every value
 * of the right type and range; each failure is a ModelFileError, one line naming the file and the
 * field. Writing is exact (shortest round-trip numbers), so save -> load -> save gives the same
 * bytes, and atomic (temporary file, then rename).
 */
import { checkDenseEnergy, type DenseEnergy } from '../models/dense/energy';
import { checkPatterns, DenseAssociativeMemory } from '../models/dense/model';
import { ModelFileError } from './model-file';
import { checkFormat, describe, formatNumber, isPlainObject, readJsonFile, refuseUnknownFields, writeModelText } from './json-text';

/** The `format` string of a dense associative memory file. */
export const DENSE_FORMAT = 'rbmlab.dense/1';

/**
 * The content of an rbmlab.dense/1 file: N (`size`), P patterns of N values +-1, the energy
 * {kind, F, p} (p absent for "exp") and beta.
 */
export interface DenseJSON {
  format: typeof DENSE_FORMAT;
  size: number;
  /** P rows of N values +-1. */
  patterns: number[][];
  energy: { kind: string; F: string; p?: number };
  beta: number;
}

const TOP_LEVEL_FIELDS = ['format', 'size', 'patterns', 'energy', 'beta'];
const ENERGY_FIELDS = ['kind', 'F', 'p'];

/**
 * A dense associative memory from the parsed content of a model file; `source` names the file in
 * messages. Throws ModelFileError (one line naming the field) for anything but valid rbmlab.dense/1.
 */
export function denseFromJSON(json: unknown, source = 'model'): DenseAssociativeMemory {
  const fail = (detail: string, field?: string): never => {
    throw new ModelFileError(source, detail, field);
  };
  const failField = (field: string, detail: string): never => fail(`${field} ${detail}`, field);
  if (!isPlainObject(json)) fail(`expected a JSON object with format, size, patterns, energy and beta, got ${describe(json)}`);
  const obj = json as Record<string, unknown>;
  checkFormat(obj, DENSE_FORMAT, fail);
  refuseUnknownFields(obj, TOP_LEVEL_FIELDS, '', `a ${DENSE_FORMAT} file has ${TOP_LEVEL_FIELDS.join(', ')}`, fail);
  const size = obj.size;
  if (size === undefined) failField('size', 'is missing (the number of spins N)');
  if (typeof size !== 'number' || !Number.isInteger(size) || size <= 0) failField('size', `must be a positive integer, got ${describe(size)}`);
  const patterns = obj.patterns;
  if (patterns === undefined) failField('patterns', 'is missing (P rows of N values 1 or -1)');
  if (!Array.isArray(patterns)) failField('patterns', `must be an array of rows of ${size} values 1 or -1, got ${describe(patterns)}`);
  for (let mu = 0; mu < (patterns as unknown[]).length; mu++) {
    const row = (patterns as unknown[])[mu];
    if (!Array.isArray(row)) failField(`patterns[${mu}]`, `must be an array of ${size} values 1 or -1, got ${describe(row)}`);
  }
  checkPatterns(patterns as number[][], failField, 'patterns', size as number);
  const energy = obj.energy;
  if (energy === undefined) failField('energy', 'is missing (an object {"kind", "F", "p"})');
  if (!isPlainObject(energy)) failField('energy', `must be an object {"kind", "F", "p"}, got ${describe(energy)}`);
  const e = energy as Record<string, unknown>;
  refuseUnknownFields(e, ENERGY_FIELDS, 'energy.', 'energy has kind, F and p', fail);
  if (e.kind === undefined) failField('energy.kind', 'is missing ("normalized" or "krotov")');
  if (e.F === undefined) failField('energy.F', 'is missing ("power", "rectified-power" or "exp")');
  checkDenseEnergy(e as unknown as DenseEnergy, failField, 'energy.');
  let beta = 1;
  if (obj.beta !== undefined) {
    if (typeof obj.beta !== 'number' || !Number.isFinite(obj.beta) || obj.beta < 0) failField('beta', `must be a finite number >= 0, got ${describe(obj.beta)}`);
    beta = obj.beta as number;
  }
  return new DenseAssociativeMemory({ patterns: patterns as number[][], energy: e as unknown as DenseEnergy, beta });
}

/** Reads and validates a rbmlab.dense/1 file. Throws ModelFileError naming the file and the field. */
export function loadDense(path: string): DenseAssociativeMemory {
  return denseFromJSON(readJsonFile(path), path);
}

/** The model file content of a dense memory (plain arrays, copied). */
export function denseToJSON(model: DenseAssociativeMemory): DenseJSON {
  const { kind, F, p } = model.energyConvention;
  return {
    format: DENSE_FORMAT,
    size: model.size,
    patterns: model.patternRows(),
    energy: F === 'exp' ? { kind, F } : { kind, F, p },
    beta: model.beta,
  };
}

/** The text of a rbmlab.dense/1 file: one pattern per line, the energy on one line. Same model, same bytes. */
export function formatDense(model: DenseAssociativeMemory): string {
  const json = denseToJSON(model);
  const energy = Object.entries(json.energy)
    .map(([k, v]) => `${JSON.stringify(k)}: ${typeof v === 'number' ? formatNumber(v) : JSON.stringify(v)}`)
    .join(', ');
  return (
    '{\n' +
    `  "format": ${JSON.stringify(json.format)},\n` +
    `  "size": ${json.size},\n` +
    `  "patterns": [\n${json.patterns.map((row) => `    [${row.join(', ')}]`).join(',\n')}\n  ],\n` +
    `  "energy": {${energy}},\n` +
    `  "beta": ${formatNumber(json.beta)}\n` +
    '}\n'
  );
}

/** Writes a rbmlab.dense/1 file atomically. Throws ModelFileError naming the path. */
export function saveDense(path: string, model: DenseAssociativeMemory): void {
  writeModelText(path, formatDense(model));
}
