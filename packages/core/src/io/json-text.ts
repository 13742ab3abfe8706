/**
 * Shared pieces of the strict model-file readers and exact writers of rbmlab.dense/1 and
 * rbmlab.hobm/1 (the rbmlab.rbm/1 reader in ./model-file keeps its own): reading a file to JSON,
 * describing a wrong value in a message, and writing numbers in the shortest form that parses back
 * to the same float64 (-0 kept).
 */
import * as fs from 'fs';
import { ModelFileError } from './model-file';
import { writeFileAtomicSync } from './atomic';
import { jsonProblem, parseJson } from './strict-json';

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A wrong value, in a message: "null", "an array", "the string "x"", "an object", or the number. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '...' : value)}`;
  if (typeof value === 'object') return 'an object';
  return String(value);
}

export function errorCode(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ?? e?.message ?? String(err);
}

/** The parsed JSON of a file (a leading byte-order mark is skipped). Throws ModelFileError naming the path. */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    throw new ModelFileError(path, `cannot read file (${errorCode(err)})`);
  }
  try {
    return parseJson(text);
  } catch (err) {
    throw new ModelFileError(path, jsonProblem(err));
  }
}

/** Writes a model file atomically; throws ModelFileError naming the path. */
export function writeModelText(path: string, text: string): void {
  try {
    writeFileAtomicSync(path, text);
  } catch (err) {
    throw new ModelFileError(path, `cannot write file (${errorCode(err)})`);
  }
}

/** A number as JSON that parses back to the same float64, including the sign of -0. */
export function formatNumber(x: number): string {
  return Object.is(x, -0) ? '-0' : JSON.stringify(x);
}

/** Unknown keys of `obj`, refused in one line naming the first: "unknown field x.y (note)". */
export function refuseUnknownFields(
  obj: Record<string, unknown>,
  allowed: readonly string[],
  prefix: string,
  note: string,
  fail: (detail: string, field: string) => never,
): void {
  const unknown = Object.keys(obj).filter((key) => !allowed.includes(key));
  if (unknown.length === 0) return;
  const names = unknown.map((key) => prefix + key);
  fail(`unknown field${unknown.length === 1 ? '' : 's'} ${names.join(', ')} (${note})`, names[0]);
}

/** The format field: present, a string, and exactly `expected`. */
export function checkFormat(json: Record<string, unknown>, expected: string, fail: (detail: string, field?: string) => never): void {
  const format = json.format;
  if (format === undefined) fail(`format is missing (expected "${expected}")`, 'format');
  if (typeof format !== 'string') fail(`format must be the string "${expected}", got ${describe(format)}`, 'format');
  if (format !== expected) fail(`unsupported format ${JSON.stringify(format)} (this rbmlab reads ${expected})`, 'format');
}
