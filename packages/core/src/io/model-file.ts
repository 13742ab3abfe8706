/**
 * The model file, format "rbmlab.rbm/1": an RBM as JSON, for any registered unit types.
 *
 *     {
 *       "format": "rbmlab.rbm/1",
 *       "visible": { "type": "bernoulli", "size": N, "bias": [N numbers] },
 *       "hidden":  { "type": "relu", "size": M, "bias": [M numbers], "gamma": [M numbers] },
 *       "weights": [N rows of M numbers]        (row i = visible unit i, as in MODELS.md §1)
 *       "visibleNames": [N strings]             (optional: the data's column names)
 *     }
 *
 * A layer's fields besides "type" and "size" are its unit type's parameters, under the names of
 * `layer.params` (bias; gamma for gaussian and relu; gammaPlus, gammaMinus, biasPlus, biasMinus
 * for drelu). A parameter left out takes the unit type's default for every unit (bias 0, gamma 1).
 *
 * Reading is strict, so that a file means one thing: the format must be exactly
 * "rbmlab.rbm/1"; unknown fields are refused; sizes are positive integers; every array has the
 * right length; every value is a finite JSON number (precisions such as gamma are > 0). Each
 * failure is a ModelFileError whose message is one line naming the file and the field.
 *
 * Writing is exact: every float64 is written in the shortest form that parses back to the same
 * number (Number.prototype.toString, which JSON.stringify uses), and -0 keeps its sign, so
 * save -> load -> save reproduces every bit of the parameters and the bytes of the file.
 */
import * as fs from 'fs';
import { RBM } from '../models/rbm';
import { checkModel, ModelError } from '../models/checks';
import { createLayer } from '../units/registry';
import type { UnitLayer } from '../units/unit';
import { writeFileAtomicSync } from './atomic';
import { jsonProblem, parseJson } from './strict-json';

/** The format this version of rbmlab reads and writes. */
export const MODEL_FORMAT = 'rbmlab.rbm/1';

/** One layer in a model file: its type, size and parameters by name. */
export interface LayerJSON {
  type: string;
  size: number;
  [param: string]: string | number | number[];
}

/** A model file's content. */
export interface RbmJSON {
  format: typeof MODEL_FORMAT;
  visible: LayerJSON;
  hidden: LayerJSON;
  /** N rows of M numbers. */
  weights: number[][];
  /** Names of the visible units (the columns of the data the model was trained on), if known. */
  visibleNames?: string[];
}

/** What a model file may hold besides the model: the names of its visible units. */
export interface RbmFileExtras {
  readonly visibleNames?: readonly string[];
}

type Role = 'visible' | 'hidden';

const TOP_LEVEL_FIELDS = ['format', 'visible', 'hidden', 'weights', 'visibleNames'];
const LAYER_FIELDS = ['type', 'size'];
/** Parameters that must be > 0 (precisions); every other parameter is any finite number. */
const POSITIVE_PARAMS = new Set(['gamma', 'gammaPlus', 'gammaMinus']);

/** Source name used in messages when none is given. */
const DEFAULT_SOURCE = 'model';

/**
 * A model file that cannot be read, written or understood. The message is one line,
 * "<file>: <what is wrong, naming the field>"; `field` is that field's path ("hidden.gamma[2]"),
 * when the problem is one field.
 */
export class ModelFileError extends Error {
  override readonly name = 'ModelFileError';
  constructor(
    readonly source: string,
    detail: string,
    readonly field?: string,
  ) {
    super(`${source}: ${detail}`.replace(/\s*[\r\n]+\s*/g, ' '));
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '...' : value)}`;
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function plural(count: number, word: string, many = word + 's'): string {
  return `${count} ${count === 1 ? word : many}`;
}

// ---------------------------------------------------------------------------------------------
// Reading

/** A layer's validated description, before the layer is built. */
interface LayerSpec {
  readonly role: Role;
  readonly type: string;
  readonly size: number;
  readonly params: Record<string, Float64Array>;
}

class Reader {
  constructor(readonly source: string) {}

  fail(detail: string, field?: string): never {
    throw new ModelFileError(this.source, detail, field);
  }

  /** A finite number (and > 0 when `positive`), or a failure naming `field`. */
  number(value: unknown, field: string, positive: boolean): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || (positive && !(value > 0))) {
      this.fail(`${field} must be a finite number${positive ? ' > 0' : ''}`, field);
    }
    return value;
  }

  /** An array of exactly `length` finite numbers. `lengthName` says where the length comes from. */
  numbers(value: unknown, field: string, length: number, lengthName: string, positive = false): Float64Array {
    if (!Array.isArray(value)) {
      this.fail(`${field} must be an array of ${plural(length, 'number')} (${lengthName}), got ${describe(value)}`, field);
    }
    if (value.length !== length) {
      this.fail(`${field} has ${plural(value.length, 'entry', 'entries')}, expected ${length} (${lengthName})`, field);
    }
    const out = new Float64Array(length);
    for (let k = 0; k < length; k++) out[k] = this.number(value[k], `${field}[${k}]`, positive);
    return out;
  }

  unknownFields(obj: Record<string, unknown>, allowed: readonly string[], prefix: string, note: string): void {
    const unknown = Object.keys(obj).filter((key) => !allowed.includes(key));
    if (unknown.length === 0) return;
    const names = unknown.map((key) => prefix + key);
    this.fail(
      `unknown field${unknown.length === 1 ? '' : 's'} ${names.join(', ')} (${note})`,
      names[0],
    );
  }

  layer(json: Record<string, unknown>, role: Role): LayerSpec {
    const value = json[role];
    if (value === undefined) this.fail(`${role} is missing (an object with type, size and parameters)`, role);
    if (!isPlainObject(value)) this.fail(`${role} must be an object with type, size and parameters, got ${describe(value)}`, role);
    const type = value.type;
    if (type === undefined) this.fail(`${role}.type is missing`, `${role}.type`);
    if (typeof type !== 'string') this.fail(`${role}.type must be a string, got ${describe(type)}`, `${role}.type`);
    let prototype: UnitLayer;
    try {
      prototype = createLayer(type, 1, undefined, role);
    } catch (err) {
      // createLayer's message lists the known types: `unknown hidden unit type "foo" (known: ...)`
      this.fail((err as Error).message, `${role}.type`);
    }
    const size = value.size;
    if (size === undefined) this.fail(`${role}.size is missing`, `${role}.size`);
    if (typeof size !== 'number' || !Number.isInteger(size) || size <= 0) {
      this.fail(`${role}.size must be a positive integer, got ${describe(size)}`, `${role}.size`);
    }
    const paramNames = Object.keys(prototype.params);
    this.unknownFields(
      value,
      [...LAYER_FIELDS, ...paramNames],
      `${role}.`,
      `${type} units have ${paramNames.length > 0 ? 'parameters ' + paramNames.join(', ') : 'no parameters'}`,
    );
    const params: Record<string, Float64Array> = {};
    for (const name of paramNames) {
      if (value[name] === undefined) continue; // the unit type's default
      params[name] = this.numbers(value[name], `${role}.${name}`, size, `${role}.size`, POSITIVE_PARAMS.has(name));
    }
    return { role, type, size, params };
  }

  weights(json: Record<string, unknown>, n: number, m: number): Float64Array {
    const value = json.weights;
    const shape = `${plural(n, 'row')} (visible.size) of ${plural(m, 'number')} (hidden.size)`;
    if (value === undefined) this.fail(`weights is missing (${shape})`, 'weights');
    if (!Array.isArray(value)) this.fail(`weights must be an array of ${shape}, got ${describe(value)}`, 'weights');
    if (value.length !== n) this.fail(`weights has ${plural(value.length, 'row')}, expected ${n} (visible.size)`, 'weights');
    const out = new Float64Array(n * m);
    for (let i = 0; i < n; i++) {
      const row = value[i];
      const field = `weights[${i}]`;
      if (!Array.isArray(row)) this.fail(`${field} must be an array of ${plural(m, 'number')} (hidden.size), got ${describe(row)}`, field);
      if (row.length !== m) this.fail(`${field} has ${plural(row.length, 'entry', 'entries')}, expected ${m} (hidden.size)`, field);
      for (let mu = 0; mu < m; mu++) out[i * m + mu] = this.number(row[mu], `${field}[${mu}]`, false);
    }
    return out;
  }

  build(spec: LayerSpec): UnitLayer {
    try {
      return createLayer(spec.type, spec.size, spec.params, spec.role);
    } catch (err) {
      // a constraint of a registered unit type that the file format does not know about
      this.fail(`${spec.role}: ${(err as Error).message}`, spec.role);
    }
  }
}

/**
 * An RBM from the parsed content of a model file. `source` names the file in error messages.
 * Throws ModelFileError (one line naming the field) for anything but a valid rbmlab.rbm/1 model.
 */
export function rbmFromJSON(json: unknown, source: string = DEFAULT_SOURCE): RBM {
  const r: Reader = new Reader(source); // annotated so that r.fail narrows (it returns never)
  if (!isPlainObject(json)) r.fail(`expected a JSON object with format, visible, hidden and weights, got ${describe(json)}`);
  const format = json.format;
  if (format === undefined) r.fail(`format is missing (expected "${MODEL_FORMAT}")`, 'format');
  if (typeof format !== 'string') r.fail(`format must be the string "${MODEL_FORMAT}", got ${describe(format)}`, 'format');
  if (format !== MODEL_FORMAT) {
    r.fail(`unsupported format ${JSON.stringify(format)} (this rbmlab reads ${MODEL_FORMAT})`, 'format');
  }
  r.unknownFields(json, TOP_LEVEL_FIELDS, '', `a model file has ${TOP_LEVEL_FIELDS.join(', ')}`);
  const visible = r.layer(json, 'visible');
  const hidden = r.layer(json, 'hidden');
  const weights = r.weights(json, visible.size, hidden.size);
  checkVisibleNames(json.visibleNames, visible.size, source);
  return new RBM(r.build(visible), r.build(hidden), weights);
}

/** Refuses a visibleNames field that is not N distinct non-empty strings. */
function checkVisibleNames(names: unknown, size: number, source: string): void {
  if (names === undefined) return;
  const field = 'visibleNames';
  if (!Array.isArray(names) || names.length !== size) {
    const got = Array.isArray(names) ? `${names.length}` : describe(names);
    throw new ModelFileError(source, `${field} must be an array of ${size} names (one per visible unit), got ${got}`, field);
  }
  const seen = new Set<string>();
  names.forEach((name, k) => {
    if (typeof name !== 'string' || name === '') throw new ModelFileError(source, `${field}[${k}] must be a non-empty string, got ${describe(name)}`, `${field}[${k}]`);
    if (seen.has(name)) throw new ModelFileError(source, `${field}[${k}]: the name ${JSON.stringify(name)} appears twice`, `${field}[${k}]`);
    seen.add(name);
  });
}

/** The visible unit names of a valid model file's content (see rbmFromJSON), or undefined. */
export function visibleNamesFromJSON(json: unknown): string[] | undefined {
  const names = isPlainObject(json) ? json.visibleNames : undefined;
  return Array.isArray(names) ? (names as string[]) : undefined;
}

/**
 * Reads and validates a model file, and checks that the model is one rbmlab can compute with
 * (finite parameters, normalizable: models/checks.ts). Throws ModelFileError naming the file and
 * the field or the reason.
 */
export function loadRbm(path: string): RBM {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    throw new ModelFileError(path, `cannot read file (${errorCode(err)})`);
  }
  let json: unknown;
  try {
    json = parseJson(text);
  } catch (err) {
    throw new ModelFileError(path, jsonProblem(err));
  }
  const rbm = rbmFromJSON(json, path);
  checkLoadedRbm(rbm, path);
  return rbm;
}

/**
 * The checks every RBM read from a file passes before a command uses it (models/checks.ts):
 * finite parameters and normalizability. A failure is a ModelFileError naming the file.
 */
export function checkLoadedRbm(rbm: RBM, source: string): void {
  try {
    checkModel(rbm);
  } catch (err) {
    if (err instanceof ModelError) throw new ModelFileError(source, err.message);
    throw err;
  }
}

function errorCode(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ?? e?.message ?? String(err);
}

// ---------------------------------------------------------------------------------------------
// Writing

/**
 * Refuses a layer that a model file cannot describe: its type must be registered (for its role),
 * and the registered type must build the same kind of layer with the same parameter names.
 */
function layerToJSON(layer: UnitLayer, role: Role, source: string): LayerJSON {
  let registered: UnitLayer;
  try {
    registered = createLayer(layer.type, layer.size, undefined, role);
  } catch {
    throw new ModelFileError(
      source,
      `cannot save ${role} units of type "${layer.type}": the type is not registered ` +
        `(custom units can be saved once registered with registerUnitType)`,
      `${role}.type`,
    );
  }
  const names = Object.keys(layer.params);
  const registeredNames = Object.keys(registered.params);
  if (
    Object.getPrototypeOf(registered) !== Object.getPrototypeOf(layer) ||
    names.length !== registeredNames.length ||
    names.some((name, k) => name !== registeredNames[k])
  ) {
    throw new ModelFileError(
      source,
      `cannot save ${role} units of type "${layer.type}": the layer is not the registered "${layer.type}" unit type`,
      `${role}.type`,
    );
  }
  const out: LayerJSON = { type: layer.type, size: layer.size };
  for (const [name, values] of Object.entries(layer.paramsToJSON())) {
    checkFinite(values, `${role}.${name}`, source);
    out[name] = values;
  }
  return out;
}

function checkFinite(values: ArrayLike<number>, field: string, source: string): void {
  for (let k = 0; k < values.length; k++) {
    if (!Number.isFinite(values[k])) {
      throw new ModelFileError(source, `cannot save: ${field}[${k}] is ${values[k]} (model files hold finite numbers)`, `${field}[${k}]`);
    }
  }
}

function toJSON(rbm: RBM, source: string, extras: RbmFileExtras = {}): RbmJSON {
  const n = rbm.numVisible;
  const m = rbm.numHidden;
  const visible = layerToJSON(rbm.visible, 'visible', source);
  const hidden = layerToJSON(rbm.hidden, 'hidden', source);
  const weights: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from(rbm.weights.subarray(i * m, (i + 1) * m));
    checkFinite(row, `weights[${i}]`, source);
    weights.push(row);
  }
  if (extras.visibleNames === undefined) return { format: MODEL_FORMAT, visible, hidden, weights };
  checkVisibleNames(extras.visibleNames, n, source);
  return { format: MODEL_FORMAT, visible, hidden, weights, visibleNames: [...extras.visibleNames] };
}

/**
 * The model file content of an RBM (plain arrays, copied). Throws ModelFileError for units a
 * file cannot hold (unregistered custom types) and for non-finite parameters.
 */
export function rbmToJSON(rbm: RBM, extras: RbmFileExtras = {}): RbmJSON {
  return toJSON(rbm, DEFAULT_SOURCE, extras);
}

/** A number as JSON that parses back to the same float64, including the sign of -0. */
function formatNumber(x: number): string {
  return Object.is(x, -0) ? '-0' : JSON.stringify(x);
}

/**
 * JSON text with one field per line, arrays of numbers on one line (one weight row per line),
 * every number written exactly (-0 included). Used for every file rbmlab writes as JSON.
 */
export function formatExactJson(value: unknown, indent = ''): string {
  return formatValue(value, indent);
}

function formatValue(value: unknown, indent: string): string {
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return JSON.stringify(value);
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    if (value.every((x) => typeof x === 'number')) return `[${value.map(formatNumber).join(', ')}]`;
    return `[\n${value.map((x) => inner + formatValue(x, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatValue(v, inner)}`).join(',\n')}\n${indent}}`;
}

/** The text of a model file (ends with a newline). Same model, same bytes. */
export function formatRbm(rbm: RBM, source: string = DEFAULT_SOURCE, extras: RbmFileExtras = {}): string {
  return formatValue(toJSON(rbm, source, extras), '') + '\n';
}

/**
 * Writes a model file atomically (temporary file in the same directory, then rename), so the
 * path holds the old file or the whole new one. Throws ModelFileError naming the path.
 */
export function saveRbm(path: string, rbm: RBM, extras: RbmFileExtras = {}): void {
  const text = formatRbm(rbm, path, extras);
  try {
    writeFileAtomicSync(path, text);
  } catch (err) {
    throw new ModelFileError(path, `cannot write file (${errorCode(err)})`);
  }
}
