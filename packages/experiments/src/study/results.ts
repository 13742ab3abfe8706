/**
 * results.csv and its journal.
 *
 * results.csv has one row per trial (several for a series experiment): every parameter of the
 * experiment (grid keys included; empty where an optional one is unset; a columnWhenGiven one
 * only when some point gives it), `trial`, `seed`, the series column if any, then the metrics.
 * Numbers are written exactly (shortest text that parses back to the same float64), so reruns
 * compare byte for byte.
 *
 * While a study runs, each finished trial's rows are appended in one write, then one line
 * {"point", "trial", "seed", "rows", "seconds"} is appended to trials.jsonl. A kill can cut
 * either write short; on --resume (and merge, report) a trial counts as done only when its
 * journal line is complete and results.csv holds exactly that many rows for it, so rows of a
 * trial cut off mid-write are dropped and the trial runs again: no row lost, none duplicated.
 * When the study (or shard) finishes, results.csv is rewritten in canonical order (grid point,
 * then trial), so its bytes do not depend on the order trials finished in. A finished directory
 * (manifest status complete) is read without its journal if that was not kept.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomicSync } from '@rbmlab/core';
import { formatCsvNumber } from '../csv';
import type { MetricRow, ParamValue } from './experiment';
import type { GridPoint, Study } from './study';

export const RESULTS_FILE = 'results.csv';
export const JOURNAL_FILE = 'trials.jsonl';

/** The columns of results.csv for a study. */
export interface ResultsLayout {
  readonly paramColumns: readonly string[];
  readonly series?: string;
  readonly metricColumns: readonly string[];
  readonly columns: readonly string[];
}

export function resultsLayout(study: Study): ResultsLayout {
  // a columnWhenGiven parameter only where some point gives it (earlier studies keep their columns)
  const paramColumns = Object.entries(study.experiment.params)
    .filter(([name, spec]) => spec.columnWhenGiven !== true || study.points.some((point) => point.params[name] !== undefined))
    .map(([name]) => name);
  const metricColumns: string[] = [];
  for (const point of study.points) {
    for (const metric of study.experiment.metrics(point.params)) if (!metricColumns.includes(metric)) metricColumns.push(metric);
  }
  const series = study.experiment.series;
  return { paramColumns, series, metricColumns, columns: [...paramColumns, 'trial', 'seed', ...(series ? [series] : []), ...metricColumns] };
}

/** A CSV cell: numbers exact, strings quoted when they hold a comma, quote or line break. */
export function csvCell(value: ParamValue | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return formatCsvNumber(value);
  if (typeof value === 'boolean') return String(value);
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Splits one CSV line into cells (quotes as csvCell writes them). */
export function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let cell = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new Error('unterminated quote');
        cell += line.slice(i, q);
        if (line[q + 1] === '"') {
          cell += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      cells.push(cell);
    } else {
      const comma = line.indexOf(',', i);
      cells.push(line.slice(i, comma < 0 ? line.length : comma));
      i = comma < 0 ? line.length : comma;
    }
    if (i >= line.length) return cells;
    if (line[i] !== ',') throw new Error('text after a quoted cell');
    i++;
  }
}

/** The lines (each ending "\n") of one trial's rows. */
export function formatTrialRows(layout: ResultsLayout, point: GridPoint, trial: number, seed: number, rows: readonly MetricRow[]): string {
  const head = layout.paramColumns.map((name) => csvCell(point.params[name])).join(',');
  return rows
    .map((row) => {
      const tail = [...(layout.series ? [row[layout.series]] : []), ...layout.metricColumns.map((m) => row[m])];
      return [head, String(trial), String(seed), ...tail.map((v) => (v === undefined ? '' : formatCsvNumber(v)))].join(',') + '\n';
    })
    .join('');
}

/** One finished trial as the journal records it. */
export interface TrialRecord {
  readonly point: number;
  readonly trial: number;
  readonly seed: number;
  readonly rows: number;
  readonly seconds: number;
}

/** A finished trial with its result lines. */
export interface FinishedTrial extends TrialRecord {
  readonly lines: string;
}

/** Appends a finished trial: its rows first, then its journal line (see the header comment). */
export function appendTrial(dir: string, finished: FinishedTrial): void {
  appendNamed(path.join(dir, RESULTS_FILE), finished.lines);
  const { point, trial, seed, rows, seconds } = finished;
  appendNamed(path.join(dir, JOURNAL_FILE), JSON.stringify({ point, trial, seed, rows, seconds }) + '\n');
}

/** appendFileSync whose errors name the file (write(2)'s ENOSPC carries no path of its own). */
function appendNamed(file: string, text: string): void {
  try {
    appendFileSync(file, text);
  } catch (err) {
    const system = err as NodeJS.ErrnoException;
    if (system.code !== undefined && system.path === undefined) system.path = file;
    throw err;
  }
}

export function taskKey(point: number, trial: number): string {
  return `${point}/${trial}`;
}

/**
 * The trials of `dir` that finished completely, each with its lines, keyed by taskKey. Rows
 * that no complete journal line vouches for (a trial killed mid-write) are left out, as are a
 * torn last line of either file. Throws StudyError-like errors via `fail` for a results.csv
 * that does not belong to this study.
 */
export function readFinishedTrials(
  dir: string,
  study: Study,
  layout: ResultsLayout,
  fail: (message: string) => Error,
  options: { complete?: boolean } = {},
): Map<string, FinishedTrial> {
  const resultsPath = path.join(dir, RESULTS_FILE);
  const journalPath = path.join(dir, JOURNAL_FILE);
  const finished = new Map<string, FinishedTrial>();
  if (!existsSync(resultsPath)) return finished;
  // a finished directory's canonical results.csv stands without its journal (copies of studies
  // often keep just results.csv); a running or interrupted one needs the journal to vouch for rows
  const trustRows = options.complete === true && !existsSync(journalPath);
  if (!trustRows && !existsSync(journalPath)) return finished;
  const records = new Map<string, TrialRecord>();
  for (const line of trustRows ? [] : completeLines(readFileSync(journalPath, 'utf8'))) {
    let record: TrialRecord;
    try {
      record = JSON.parse(line) as TrialRecord;
    } catch {
      throw fail(`${journalPath}: a line is not JSON; the directory was edited by hand?`);
    }
    records.set(taskKey(record.point, record.trial), record);
  }
  const signatures = new Map<string, number>();
  for (const point of study.points) signatures.set(layout.paramColumns.map((n) => csvCell(point.params[n])).join(','), point.index);
  const lines = completeLines(readFileSync(resultsPath, 'utf8'));
  const header = lines.shift();
  if (header !== undefined && header !== layout.columns.join(',')) throw fail(`${resultsPath}: its columns are not this study's`);
  const grouped = new Map<string, string[]>();
  for (const line of lines) {
    let cells: string[];
    try {
      cells = splitCsvLine(line);
    } catch (err) {
      throw fail(`${resultsPath}: a row is not valid CSV (${(err as Error).message})`);
    }
    const point = signatures.get(cells.slice(0, layout.paramColumns.length).map((cell) => csvCell(cell)).join(','));
    if (point === undefined) throw fail(`${resultsPath}: a row matches no grid point of this study`);
    const key = taskKey(point, Number(cells[layout.paramColumns.length]));
    const group = grouped.get(key) ?? [];
    group.push(line + '\n');
    grouped.set(key, group);
  }
  for (const [key, group] of grouped) {
    if (trustRows) {
      const [point, trial] = key.split('/').map(Number);
      const seed = Number(splitCsvLine(group[0])[layout.paramColumns.length + 1]);
      finished.set(key, { point, trial, seed, rows: group.length, seconds: 0, lines: group.join('') });
      continue;
    }
    const record = records.get(key);
    if (record === undefined || record.rows !== group.length) continue;
    finished.set(key, { ...record, lines: group.join('') });
  }
  return finished;
}

/** The lines of a file that end in "\n" (a torn last line is dropped). */
function completeLines(text: string): string[] {
  const lines = text.split('\n');
  lines.pop(); // "" after the last newline, or a torn line
  return lines;
}

/**
 * Writes results.csv and trials.jsonl atomically holding exactly `finished`, in canonical order
 * (point, trial): the form a finished study leaves, and the clean state a resume starts from.
 */
export function writeCanonicalResults(dir: string, layout: ResultsLayout, finished: Iterable<FinishedTrial>): void {
  const sorted = [...finished].sort((a, b) => a.point - b.point || a.trial - b.trial);
  writeFileAtomicSync(path.join(dir, RESULTS_FILE), layout.columns.join(',') + '\n' + sorted.map((t) => t.lines).join(''));
  writeFileAtomicSync(
    path.join(dir, JOURNAL_FILE),
    sorted.map(({ point, trial, seed, rows, seconds }) => JSON.stringify({ point, trial, seed, rows, seconds }) + '\n').join(''),
  );
}

/** The rows of finished trials as records of numbers and strings, for summaries and plots. */
export function parseRows(layout: ResultsLayout, finished: Iterable<FinishedTrial>): { point: number; cells: Record<string, string> }[] {
  const out: { point: number; cells: Record<string, string> }[] = [];
  for (const t of [...finished].sort((a, b) => a.point - b.point || a.trial - b.trial)) {
    for (const line of completeLines(t.lines)) {
      const cells = splitCsvLine(line);
      const record: Record<string, string> = {};
      layout.columns.forEach((c, i) => (record[c] = cells[i] ?? ''));
      out.push({ point: t.point, cells: record });
    }
  }
  return out;
}
