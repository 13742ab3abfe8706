/**
 * summary.csv: per grid point (and series value), `n` trials and, for each metric,
 * `<metric>_mean`, `<metric>_std` (sample standard deviation, n - 1 in the denominator) and
 * `<metric>_sem` = std / sqrt(n). Statistics are over the finite values of a metric; std and
 * sem are left empty for a single value.
 */
import * as path from 'node:path';
import { writeFileAtomicSync } from '@rbmlab/core';
import { formatCsvNumber } from '../csv';
import { formatMeasurement } from '../format';
import { csvCell, type ResultsLayout } from './results';
import type { Study } from './study';

export const SUMMARY_FILE = 'summary.csv';

/**
 * Statistics of one metric over the finite values of a group of trials: mean, sample standard
 * deviation (n - 1), sem = std / sqrt(count) (std and sem NaN for a single value), and the count.
 */
export interface MetricSummary {
  readonly mean: number;
  readonly std: number;
  readonly sem: number;
  /** Finite values the statistics are over. */
  readonly count: number;
}

/** One row of summary.csv: a grid point (and series value), its n trials, and each metric's MetricSummary. */
export interface SummaryRow {
  readonly point: number;
  /** Grid values of the point, as written in results.csv. */
  readonly values: Readonly<Record<string, string>>;
  /** Series value (the text in results.csv), for series experiments. */
  readonly seriesValue?: string;
  readonly n: number;
  readonly metrics: Readonly<Record<string, MetricSummary>>;
}

/**
 * Groups result rows by grid point (and series value, ascending) and summarizes each metric column;
 * rows in point order. `rows` are parsed results (grid point index and cells as written in results.csv).
 */
export function summarize(study: Study, layout: ResultsLayout, rows: readonly { point: number; cells: Record<string, string> }[]): SummaryRow[] {
  const groups = new Map<string, { point: number; seriesValue?: string; rows: Record<string, string>[] }>();
  for (const row of rows) {
    const seriesValue = layout.series ? row.cells[layout.series] : undefined;
    const key = `${row.point}\u0000${seriesValue ?? ''}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = { point: row.point, seriesValue, rows: [] };
      groups.set(key, group);
    }
    group.rows.push(row.cells);
  }
  const sorted = [...groups.values()].sort((a, b) => a.point - b.point || compareSeries(a.seriesValue, b.seriesValue));
  return sorted.map((group) => {
    const point = study.points[group.point];
    const values: Record<string, string> = {};
    for (const key of study.gridKeys) values[key] = csvCell(point.values[key]);
    const metrics: Record<string, MetricSummary> = {};
    for (const metric of layout.metricColumns) metrics[metric] = describe(group.rows.map((r) => (r[metric] === '' ? NaN : Number(r[metric]))));
    return { point: group.point, values, seriesValue: group.seriesValue, n: group.rows.length, metrics };
  });
}

function compareSeries(a: string | undefined, b: string | undefined): number {
  return Number(a) - Number(b);
}

/** Mean, sample standard deviation and standard error of the finite values. */
export function describe(values: readonly number[]): MetricSummary {
  const finite = values.filter(Number.isFinite);
  const count = finite.length;
  if (count === 0) return { mean: NaN, std: NaN, sem: NaN, count };
  // the mean shifted by the first value, so that equal values give that value and a std of exactly 0
  const shift = finite[0];
  let d = 0;
  for (const x of finite) d += x - shift;
  const mean = shift + d / count;
  if (count === 1) return { mean, std: NaN, sem: NaN, count };
  let ss = 0;
  for (const x of finite) ss += (x - mean) ** 2;
  const std = Math.sqrt(ss / (count - 1));
  return { mean, std, sem: std / Math.sqrt(count), count };
}

function cell(x: number): string {
  return Number.isFinite(x) ? formatCsvNumber(x) : '';
}

export function summaryColumns(study: Study, layout: ResultsLayout): string[] {
  const stats = layout.metricColumns.flatMap((m) => [`${m}_mean`, `${m}_std`, `${m}_sem`]);
  return [...study.gridKeys, ...(layout.series ? [layout.series] : []), 'n', ...stats];
}

export function summaryCsv(study: Study, layout: ResultsLayout, summary: readonly SummaryRow[]): string {
  const lines = [summaryColumns(study, layout).join(',')];
  for (const row of summary) {
    const stats = layout.metricColumns.flatMap((m) => {
      const s = row.metrics[m];
      return [cell(s.mean), cell(s.std), cell(s.sem)];
    });
    lines.push([...study.gridKeys.map((k) => row.values[k]), ...(layout.series ? [row.seriesValue ?? ''] : []), String(row.n), ...stats].join(','));
  }
  return lines.join('\n') + '\n';
}

export function writeSummary(dir: string, study: Study, layout: ResultsLayout, summary: readonly SummaryRow[]): void {
  writeFileAtomicSync(path.join(dir, SUMMARY_FILE), summaryCsv(study, layout, summary));
}

/** A readable table of the summary for the terminal: grid values, n, and mean ± sem per metric (to the digits the sem leaves meaningful). */
export function summaryTable(study: Study, layout: ResultsLayout, summary: readonly SummaryRow[]): string {
  const head = [...study.gridKeys, ...(layout.series ? [layout.series] : []), 'n', ...layout.metricColumns];
  const body = summary.map((row) => [
    ...study.gridKeys.map((k) => row.values[k]),
    ...(layout.series ? [row.seriesValue ?? ''] : []),
    String(row.n),
    ...layout.metricColumns.map((m) => {
      const s = row.metrics[m];
      if (!Number.isFinite(s.mean)) return '-';
      return Number.isFinite(s.sem) && s.sem > 0 ? formatMeasurement(s.mean, s.sem) : fmt(s.mean);
    }),
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((x, c) => x.padStart(widths[c])).join('  ');
  return [line(head), ...body.map(line)].join('\n') + '\n';
}

/** Four significant digits, for tables. */
function fmt(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e5 ? String(Number(x.toPrecision(4))) : x.toExponential(3);
}
