/**
 * Validation of flag values. Flags arrive as strings (number parsing is off in the parser), so
 * "--chains 1.5", "--seed abc" or "--sweeps 1e3" are refused here with a message naming the flag,
 * instead of being coerced.
 */
import { constants as bufferConstants } from 'node:buffer';
import * as os from 'node:os';
import { CliError } from './errors';

type Raw = unknown;

/** The single value of a flag (a repeated flag is an error, not "last one wins"). */
function single(flag: string, value: Raw): Raw {
  if (Array.isArray(value)) throw new CliError(`--${flag} given ${value.length} times; give it once`);
  return value;
}

function text(flag: string, value: Raw): string {
  const v = single(flag, value);
  if (typeof v === 'number') return String(v); // a default
  if (typeof v !== 'string') throw new CliError(`--${flag} needs a value`);
  return v;
}

/** An integer >= min written in decimal digits (no sign unless negative, no exponent, no fraction). */
function integer(flag: string, value: Raw, min: number, what: string): number {
  const s = text(flag, value).trim();
  const n = /^[+-]?\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    throw new CliError(`--${flag} must be ${what}, got ${JSON.stringify(s)}`);
  }
  return n;
}

/** A count >= 1 (--chains). */
export function positiveInteger(flag: string, value: Raw): number {
  return integer(flag, value, 1, 'a positive integer');
}

/** A count >= 0 (--sweeps). */
export function nonNegativeInteger(flag: string, value: Raw): number {
  return integer(flag, value, 0, 'a non-negative integer');
}

/** A seed: an integer 0 <= seed <= 2^53 - 1 (0 is a seed like any other). */
export function seed(flag: string, value: Raw): number {
  return integer(flag, value, 0, `an integer from 0 to ${Number.MAX_SAFE_INTEGER}`);
}

/** A finite decimal number (no hex, no "Infinity"), checked against a bound. */
function decimal(flag: string, value: Raw, ok: (x: number) => boolean, what: string): number {
  const s = text(flag, value).trim();
  const x = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) ? Number(s) : NaN;
  if (!(Number.isFinite(x) && ok(x))) throw new CliError(`--${flag} must be ${what}, got ${JSON.stringify(s)}`);
  return x;
}

/** A number > 0 (--lr). */
export function positiveNumber(flag: string, value: Raw): number {
  return decimal(flag, value, (x) => x > 0, 'a positive number');
}

/** A number >= 0 (--l2). */
export function nonNegativeNumber(flag: string, value: Raw): number {
  return decimal(flag, value, (x) => x >= 0, 'a non-negative number');
}

/** A non-empty path. */
export function filePath(flag: string, value: Raw): string {
  const s = text(flag, value);
  if (s.length === 0) throw new CliError(`--${flag} needs a file name`);
  return s;
}

/** The model file positional argument. */
export function modelPath(value: Raw): string {
  const v = single('model', value);
  if (typeof v !== 'string' || v.length === 0) throw new CliError('missing the model file argument (MODEL.json)');
  return v;
}

/** One of the given names. */
export function choice<T extends string>(flag: string, value: Raw, choices: readonly T[]): T {
  const s = text(flag, value);
  if (!(choices as readonly string[]).includes(s)) {
    throw new CliError(`unknown --${flag} ${JSON.stringify(s)} (known: ${choices.join(', ')})`);
  }
  return s as T;
}

/** "1.5 GiB": a size in bytes as messages show it. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} bytes` : `${value.toPrecision(3)} ${units[unit]}`;
}

/**
 * Refuses a count whose arrays cannot be had, before any is allocated: `count` items of
 * `bytesEach` bytes altogether (at most half of this machine's memory: the rest is Node's, the
 * operating system's and other programs'), the largest single array `largestEach` bytes an item
 * (at most what one ArrayBuffer may hold, buffer.constants.MAX_LENGTH). Without this, a count
 * such as --chains 1000000000000 ends in V8's "Invalid typed array length" or in swapping.
 */
export function checkMemory(flag: string, count: number, bytesEach: number, what: string, largestEach = bytesEach): void {
  const need = count * bytesEach;
  const memory = os.totalmem();
  if (need > memory / 2) {
    throw new CliError(`--${flag} ${count}: ${what} need about ${formatBytes(need)}, more than half of this machine's memory (${formatBytes(memory)})`);
  }
  if (count * largestEach > bufferConstants.MAX_LENGTH) {
    throw new CliError(`--${flag} ${count}: ${what} need an array of ${formatBytes(count * largestEach)}, more than one array can hold here (${formatBytes(bufferConstants.MAX_LENGTH)})`);
  }
}
