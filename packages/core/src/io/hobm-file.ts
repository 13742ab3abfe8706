/**
 * The model file of an explicit higher-order Boltzmann machine, format "rbmlab.hobm/1":
 *
 *     {
 *       "format": "rbmlab.hobm/1",
 *       "visible": {"type": "spin" | "bernoulli", "size": N, "bias": [N numbers]},
 *       "couplings": [{"sites": [i, j, ...], "J": J_S}, ...],
 *       "beta": beta
 *     }
 *
 * E(s) = -sum_i bias_i s_i - sum_S J_S prod_{i in S} s_i and P(s) ∝ exp(-beta E(s)) (models/hobm).
 * "bias" may be left out (zeros), "couplings" may be empty, "beta" may be left out (1); bias and
 * beta are always written. Sites are distinct integers in 0..N-1; no set of sites appears twice.
 *
 * Reading is as strict as rbmlab.rbm/1: one-line ModelFileError naming the file and the field.
 * Writing is exact and atomic; save -> load -> save gives the same bytes. One coupling per line.
 */
import { BINARY_UNIT_TYPES, checkHigherOrderCouplings, HigherOrderBoltzmannMachine, type BinaryUnitType, type HigherOrderCoupling } from '../models/hobm/model';
import { ModelFileError } from './model-file';
import { checkFormat, describe, formatNumber, isPlainObject, readJsonFile, refuseUnknownFields, writeModelText } from './json-text';

/** The `format` string of a higher-order Boltzmann machine file. */
export const HOBM_FORMAT = 'rbmlab.hobm/1';

/**
 * The content of an rbmlab.hobm/1 file: the units (type, N, biases a_i), the couplings
 * [{sites, J}] and beta.
 */
export interface HobmJSON {
  format: typeof HOBM_FORMAT;
  visible: { type: BinaryUnitType; size: number; bias: number[] };
  couplings: { sites: number[]; J: number }[];
  beta: number;
}

const TOP_LEVEL_FIELDS = ['format', 'visible', 'couplings', 'beta'];
const VISIBLE_FIELDS = ['type', 'size', 'bias'];
const COUPLING_FIELDS = ['sites', 'J'];

/**
 * A higher-order Boltzmann machine from the parsed content of a model file; `source` names the
 * file in messages. Throws ModelFileError (one line naming the field) for anything but valid
 * rbmlab.hobm/1.
 */
export function hobmFromJSON(json: unknown, source = 'model'): HigherOrderBoltzmannMachine {
  const fail = (detail: string, field?: string): never => {
    throw new ModelFileError(source, detail, field);
  };
  const failField = (field: string, detail: string): never => fail(`${field} ${detail}`, field);
  if (!isPlainObject(json)) fail(`expected a JSON object with format, visible, couplings and beta, got ${describe(json)}`);
  const obj = json as Record<string, unknown>;
  checkFormat(obj, HOBM_FORMAT, fail);
  refuseUnknownFields(obj, TOP_LEVEL_FIELDS, '', `a ${HOBM_FORMAT} file has ${TOP_LEVEL_FIELDS.join(', ')}`, fail);
  const visible = obj.visible;
  if (visible === undefined) failField('visible', 'is missing (an object with type, size and bias)');
  if (!isPlainObject(visible)) failField('visible', `must be an object with type, size and bias, got ${describe(visible)}`);
  const v = visible as Record<string, unknown>;
  refuseUnknownFields(v, VISIBLE_FIELDS, 'visible.', 'visible has type, size and bias', fail);
  if (v.type === undefined) failField('visible.type', 'is missing ("spin" or "bernoulli")');
  if (typeof v.type !== 'string' || !(BINARY_UNIT_TYPES as readonly string[]).includes(v.type)) {
    failField('visible.type', `must be "spin" or "bernoulli", got ${describe(v.type)}`);
  }
  const size = v.size;
  if (size === undefined) failField('visible.size', 'is missing (the number of units N)');
  if (typeof size !== 'number' || !Number.isInteger(size) || size <= 0) failField('visible.size', `must be a positive integer, got ${describe(size)}`);
  const n = size as number;
  let bias: Float64Array | undefined;
  if (v.bias !== undefined) {
    if (!Array.isArray(v.bias)) failField('visible.bias', `must be an array of ${n} numbers (visible.size), got ${describe(v.bias)}`);
    const b = v.bias as unknown[];
    if (b.length !== n) failField('visible.bias', `has ${b.length} entries, expected ${n} (visible.size)`);
    bias = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (typeof b[i] !== 'number' || !Number.isFinite(b[i])) failField(`visible.bias[${i}]`, `must be a finite number, got ${describe(b[i])}`);
      bias[i] = b[i] as number;
    }
  }
  const couplings = obj.couplings;
  if (couplings === undefined) failField('couplings', 'is missing (an array of {"sites", "J"}, possibly empty)');
  if (!Array.isArray(couplings)) failField('couplings', `must be an array of {"sites", "J"}, got ${describe(couplings)}`);
  (couplings as unknown[]).forEach((c, k) => {
    if (!isPlainObject(c)) failField(`couplings[${k}]`, `must be an object {"sites", "J"}, got ${describe(c)}`);
    refuseUnknownFields(c as Record<string, unknown>, COUPLING_FIELDS, `couplings[${k}].`, 'a coupling has sites and J', fail);
    const sites = (c as Record<string, unknown>).sites;
    if (sites !== undefined && !Array.isArray(sites)) failField(`couplings[${k}].sites`, `must be an array of unit indices, got ${describe(sites)}`);
  });
  checkHigherOrderCouplings(couplings as HigherOrderCoupling[], n, failField, 'couplings', 'visible.size');
  let beta = 1;
  if (obj.beta !== undefined) {
    if (typeof obj.beta !== 'number' || !Number.isFinite(obj.beta) || obj.beta < 0) failField('beta', `must be a finite number >= 0, got ${describe(obj.beta)}`);
    beta = obj.beta as number;
  }
  return new HigherOrderBoltzmannMachine({ type: v.type as BinaryUnitType, size: n, bias, couplings: couplings as HigherOrderCoupling[], beta });
}

/** Reads and validates a rbmlab.hobm/1 file. Throws ModelFileError naming the file and the field. */
export function loadHobm(path: string): HigherOrderBoltzmannMachine {
  return hobmFromJSON(readJsonFile(path), path);
}

/** The model file content (plain arrays, copied). */
export function hobmToJSON(model: HigherOrderBoltzmannMachine): HobmJSON {
  return {
    format: HOBM_FORMAT,
    visible: { type: model.type, size: model.size, bias: Array.from(model.bias) },
    couplings: model.couplings.map((c) => ({ sites: [...c.sites], J: c.J })),
    beta: model.beta,
  };
}

/** The text of a rbmlab.hobm/1 file: one coupling per line. Same model, same bytes. */
export function formatHobm(model: HigherOrderBoltzmannMachine): string {
  const json = hobmToJSON(model);
  const v = json.visible;
  const couplings = json.couplings.map((c) => `    {"sites": [${c.sites.join(', ')}], "J": ${formatNumber(c.J)}}`);
  return (
    '{\n' +
    `  "format": ${JSON.stringify(json.format)},\n` +
    `  "visible": {"type": ${JSON.stringify(v.type)}, "size": ${v.size}, "bias": [${v.bias.map(formatNumber).join(', ')}]},\n` +
    (couplings.length === 0 ? '  "couplings": [],\n' : `  "couplings": [\n${couplings.join(',\n')}\n  ],\n`) +
    `  "beta": ${formatNumber(json.beta)}\n` +
    '}\n'
  );
}

/** Writes a rbmlab.hobm/1 file atomically. Throws ModelFileError naming the path. */
export function saveHobm(path: string, model: HigherOrderBoltzmannMachine): void {
  writeModelText(path, formatHobm(model));
}
