/**
 * Study files: `{"name", "experiment", "seed", "trials", "params": {...}, "grid": {"key": [values]}}`.
 * The grid is the cartesian product of its lists, the first key varying slowest; params are fixed
 * for the whole study. Validation resolves every point up front, so a study that starts is a
 * study whose every trial has valid parameters; each error names the field at fault.
 */
import { readFileSync } from 'node:fs';
import { jsonProblem, parseJson } from '@rbmlab/core';
import * as path from 'node:path';
import { experimentByName, experiments } from '../families';
import { loadStudyPlugins } from './plugins';
import { ParamError, type Experiment, type ParamValue, type Params } from './experiment';
import { resolveParams } from './params';

/** A study file as written (validated). */
export interface StudyFile {
  readonly name: string;
  readonly experiment: string;
  readonly seed: number;
  readonly trials: number;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly grid: Readonly<Record<string, readonly ParamValue[]>>;
  /** Axis scales of the study's plots, where the automatic choice (plots.ts) is not wanted. */
  readonly plot?: PlotOptions;
  /** Modules defining families of the user's own (./plugins.ts), as absolute paths once read. */
  readonly plugin?: readonly string[];
}

/** `"plot": {"x": "log", "y": "linear"}` in a study file: the scale of each axis of its plots. */
export interface PlotOptions {
  readonly x?: 'log' | 'linear';
  readonly y?: 'log' | 'linear';
}

/** One grid point: its index in grid order, its grid values and its resolved parameters. */
export interface GridPoint {
  readonly index: number;
  readonly values: Readonly<Record<string, ParamValue>>;
  readonly params: Params;
}

/**
 * A validated study: the file as written, its family (experiment), and every grid point resolved to
 * full parameters, in grid order (the first key varying slowest).
 */
export interface Study {
  readonly file: StudyFile;
  readonly experiment: Experiment;
  /** Grid keys in the order the study file gives them. */
  readonly gridKeys: readonly string[];
  readonly points: readonly GridPoint[];
}

/** A study file the user must fix; the message names the file's field. */
export class StudyError extends Error {
  override readonly name = 'StudyError';
}

const TOP_LEVEL = ['name', 'experiment', 'seed', 'trials', 'params', 'grid', 'plot', 'plugin'] as const;

/** The `plot` field of a study file, validated. */
function parsePlotOptions(value: unknown): PlotOptions | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) throw new StudyError('plot: expected an object such as {"x": "log"}');
  for (const [axis, scale] of Object.entries(value)) {
    if (axis !== 'x' && axis !== 'y') throw new StudyError(`plot.${axis}: unknown axis (a plot has x and y)`);
    if (scale !== 'log' && scale !== 'linear') throw new StudyError(`plot.${axis}: expected "log" or "linear", got ${JSON.stringify(scale)}`);
  }
  return value as PlotOptions;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The most trials a study may have unless the caller raises the limit (rbmlab run --max-trials):
 * a typo in a grid ("N": a list of 10,000 values, or three long lists) should be refused at once,
 * not start a run of months or exhaust memory resolving its points.
 */
export const MAX_TRIALS = 100_000;

/** Options of `parseStudy`: the trial limit and the directory that relative plugin paths start from. */
export interface ParseStudyOptions {
  /** Refuse a study with more trials (grid points x trials) than this; default MAX_TRIALS. */
  readonly maxTrials?: number;
  /** The directory relative "plugin" paths start from (the study file's); default the working directory. */
  readonly baseDir?: string;
}

/** "1,234,567": counts as messages show them. */
function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** Validates the JSON value of a study file and resolves its grid. */
export function parseStudy(json: unknown, options: ParseStudyOptions = {}): Study {
  if (!isRecord(json)) throw new StudyError('the study file must hold a JSON object');
  for (const key of Object.keys(json)) {
    if (!(TOP_LEVEL as readonly string[]).includes(key)) throw new StudyError(`${key}: unknown field (a study has ${TOP_LEVEL.join(', ')})`);
  }
  const { name, experiment: experimentName, seed, trials } = json;
  if (typeof name !== 'string' || name.trim() === '') throw new StudyError('name: expected a non-empty string');
  if (typeof experimentName !== 'string') throw new StudyError('experiment: expected the name of an experiment (see rbmlab list)');
  // the study's own families first, so that "experiment" may name one of them
  const plugin = loadStudyPlugins(json.plugin, options.baseDir ?? process.cwd());
  const experiment = experimentByName(experimentName);
  if (experiment === undefined) {
    throw new StudyError(`experiment: unknown experiment ${JSON.stringify(experimentName)} (known: ${experiments().map((e) => e.name).join(', ')}; a family of your own is named by "plugin")`);
  }
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) throw new StudyError(`seed: expected a non-negative integer, got ${JSON.stringify(seed)}`);
  if (typeof trials !== 'number' || !Number.isSafeInteger(trials) || trials < 1) throw new StudyError(`trials: expected a positive integer, got ${JSON.stringify(trials)}`);
  // absent means no fixed parameters; null (or anything but an object) is refused, not read as {}
  const params = json.params === undefined ? {} : json.params;
  if (!isRecord(params)) throw new StudyError(`params: expected an object of parameter values, got ${JSON.stringify(params)}`);
  if (!isRecord(json.grid)) throw new StudyError('grid: expected an object of lists, e.g. {"alpha": [0.05, 0.1]}');
  const grid = json.grid;
  const gridKeys = Object.keys(grid);
  if (gridKeys.length === 0) throw new StudyError('grid: empty; give at least one key with a list of values');
  for (const key of gridKeys) {
    const values = grid[key];
    if (!Array.isArray(values) || values.length === 0) throw new StudyError(`grid.${key}: expected a non-empty list of values`);
    const seen = new Set<string>();
    for (const value of values) {
      const text = JSON.stringify(value);
      if (seen.has(text)) throw new StudyError(`grid.${key}: the value ${text} appears twice`);
      seen.add(text);
    }
  }
  // counted before the grid is resolved: a grid of a billion points is refused, not built
  const points = gridKeys.reduce((n, key) => n * (grid[key] as unknown[]).length, 1);
  const maxTrials = options.maxTrials ?? MAX_TRIALS;
  if (points * trials > maxTrials) {
    throw new StudyError(
      `${count(points * trials)} trials (${count(points)} grid points x ${count(trials)} trials) is past the limit of ${count(maxTrials)}; check the grid, or raise the limit with --max-trials`,
    );
  }
  const plot = parsePlotOptions(json.plot);
  const file: StudyFile = {
    name,
    experiment: experimentName,
    seed,
    trials,
    params: params as Record<string, ParamValue>,
    grid: grid as Record<string, ParamValue[]>,
    ...(plot ? { plot } : {}),
    ...(plugin ? { plugin } : {}),
  };
  const resolved: GridPoint[] = [];
  for (const values of cartesian(gridKeys, file.grid)) {
    let pointParams: Params;
    try {
      pointParams = resolveParams(experiment, params, values);
    } catch (err) {
      if (err instanceof ParamError) throw new StudyError(err.crossCheck ? `${err.message} (at grid point ${formatPoint(values)})` : err.message);
      throw err;
    }
    resolved.push({ index: resolved.length, values, params: pointParams });
  }
  return { file, experiment, gridKeys, points: resolved };
}

/** The points of the grid in order: the first key varies slowest. */
function cartesian(keys: readonly string[], grid: Readonly<Record<string, readonly ParamValue[]>>): Record<string, ParamValue>[] {
  let points: Record<string, ParamValue>[] = [{}];
  for (const key of keys) {
    const next: Record<string, ParamValue>[] = [];
    for (const point of points) for (const value of grid[key]) next.push({ ...point, [key]: value });
    points = next;
  }
  return points;
}

/** "alpha=0.1, N=100": a point as the progress line and error messages show it. */
export function formatPoint(values: Readonly<Record<string, ParamValue>>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

/** Reads and validates a study file; every failure is a StudyError naming the file. */
export function readStudy(file: string, options: ParseStudyOptions = {}): Study {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new StudyError(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : 'cannot be read'}`);
  }
  let json: unknown;
  try {
    json = parseJson(text);
  } catch (err) {
    throw new StudyError(`${file}: ${jsonProblem(err)}`);
  }
  try {
    return parseStudy(json, { baseDir: path.dirname(path.resolve(file)), ...options });
  } catch (err) {
    if (err instanceof StudyError) throw new StudyError(`${file}: ${err.message}`);
    throw err;
  }
}
