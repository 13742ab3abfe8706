/**
 * Plots of a study: for each metric, its mean against the first grid key (against the series
 * column for series experiments), one line per value of the next grid key, error bars of one
 * standard error, and one panel per combination of any further grid keys. The chart is a
 * Vega-Lite spec compiled and rendered to SVG by Vega (headless, no browser), and rasterised to
 * PNG by resvg; the spec is written beside them (<metric>.vl.json) so a reader can restyle it.
 *
 * A numeric x axis is drawn on a log scale when its values form a geometric grid (three or more,
 * each ratio within 5% of the first) or span a factor of 50 or more (loads, sample ratios and
 * temperatures are usually swept geometrically), and so is a y axis of positive means spanning a
 * factor of 1000 or more (KL divergences, couplings of several orders). A study file's
 * `"plot": {"x": "log" | "linear", "y": "log" | "linear"}` overrides either choice.
 *
 * Legends and panels list a grid key's values in numeric order when they are all numbers (N=50
 * before N=100, whatever order the grid gives), in the grid's own order otherwise. Error bars
 * have caps of a fixed width, which on a categorical x axis would otherwise span the whole band.
 */
import * as path from 'node:path';
import { writeFileAtomicSync } from '@rbmlab/core';
import type { ResultsLayout } from './results';
import type { SummaryRow } from './summary';
import type { ParamValue } from './experiment';
import type { Study } from './study';

/**
 * A log x axis over the data's own range (Vega's "nice" domain would widen 50..200 to 10..1000),
 * padded by 16 px so that the end points and their caps are not clipped.
 */
const LOG_X_SCALE = { type: 'log', nice: false, padding: 16 };

/** Width of an error bar's caps in pixels. */
const CAP_WIDTH = 10;

/**
 * The values of grid key `key` in display order: ascending when every value is a number, the
 * grid's order otherwise. For keys that are not in the grid (none today), the order of first
 * appearance in the study's points.
 */
function displayOrder(study: Study, key: string): ParamValue[] {
  const values = study.file.grid[key] ? [...study.file.grid[key]] : [...new Set(study.points.map((p) => p.values[key]))];
  if (values.every((v) => typeof v === 'number')) (values as number[]).sort((a, b) => a - b);
  return values;
}

/**
 * True when the positive numbers `xs` (distinct values) form a geometric grid: at least three
 * values whose successive ratios are each within 5% of the first ratio, which is at least 1.5.
 */
export function isGeometricGrid(xs: readonly number[]): boolean {
  const values = [...new Set(xs)].sort((a, b) => a - b);
  if (values.length < 3 || !(values[0] > 0)) return false;
  const ratio = values[1] / values[0];
  if (ratio < 1.5) return false;
  for (let i = 2; i < values.length; i++) if (Math.abs(values[i] / values[i - 1] / ratio - 1) > 0.05) return false;
  return true;
}

/** Files written for one metric, relative to the study directory. */
export function plotFiles(metric: string): { svg: string; png: string; spec: string } {
  const base = metric.replace(/[^A-Za-z0-9_.-]/g, '_');
  return { svg: `${base}.svg`, png: `${base}.png`, spec: `${base}.vl.json` };
}

interface Datum {
  x: number | string;
  group?: string;
  panel?: string;
  mean: number;
  lo: number;
  hi: number;
}

/** The Vega-Lite spec of one metric's plot. */
export function plotSpec(study: Study, layout: ResultsLayout, summary: readonly SummaryRow[], metric: string): Record<string, unknown> {
  const keys = [...study.gridKeys];
  const xKey = layout.series ?? keys.shift()!;
  const groupKey = keys.shift();
  const panelKeys = keys;
  const data: Datum[] = [];
  for (const row of summary) {
    const s = row.metrics[metric];
    if (!Number.isFinite(s.mean)) continue;
    const point = study.points[row.point];
    const rawX = layout.series ? Number(row.seriesValue) : point.values[xKey];
    const err = Number.isFinite(s.sem) ? s.sem : 0;
    data.push({
      x: typeof rawX === 'number' ? rawX : String(rawX),
      ...(groupKey ? { group: String(point.values[groupKey]) } : {}),
      ...(panelKeys.length ? { panel: panelKeys.map((k) => `${k}=${point.values[k]}`).join(', ') } : {}),
      mean: s.mean,
      lo: s.mean - err,
      hi: s.mean + err,
    });
  }
  const numericX = data.every((d) => typeof d.x === 'number');
  const xs = data.map((d) => d.x as number);
  const positiveX = numericX && xs.length > 0 && Math.min(...xs) > 0;
  const requested = study.file.plot ?? {};
  const logX = positiveX && (requested.x !== undefined ? requested.x === 'log' : isGeometricGrid(xs) || Math.max(...xs) / Math.min(...xs) >= 50);
  const x = {
    field: 'x',
    type: numericX ? 'quantitative' : 'ordinal',
    title: xKey,
    ...(numericX ? { scale: logX ? LOG_X_SCALE : { zero: false } } : { sort: null }),
  };
  const means = data.map((d) => d.mean);
  const positiveY = means.length > 0 && Math.min(...means) > 0;
  const logY = positiveY && (requested.y !== undefined ? requested.y === 'log' : Math.max(...means) / Math.min(...means) >= 1000);
  // on a log axis a bar reaching zero or below is drawn down to the point only
  if (logY) for (const d of data) if (d.lo <= 0) d.lo = d.mean;
  const yTitle = `${metric} (mean ± sem)`;
  const yScale = logY ? { type: 'log' } : { zero: false };
  const groupOrder = groupKey ? displayOrder(study, groupKey).map(String) : [];
  const color = groupKey ? { color: { field: 'group', type: 'nominal', title: groupKey, sort: groupOrder } } : {};
  const layers = {
    width: 360,
    height: 240,
    layer: [
      {
        mark: { type: 'line', point: true },
        encoding: { x, y: { field: 'mean', type: 'quantitative', title: yTitle, scale: yScale }, ...color },
      },
      { mark: { type: 'errorbar', ticks: { size: CAP_WIDTH } }, encoding: { x, y: { field: 'lo', type: 'quantitative', title: yTitle }, y2: { field: 'hi' }, ...color } },
    ],
  };
  const head = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${study.file.name}: ${metric}`,
    background: 'white',
    data: { values: data },
  };
  if (panelKeys.length === 0) return { ...head, ...layers };
  // panels in the order of their keys' display orders, the first key varying slowest
  let panels: string[][] = [[]];
  for (const key of panelKeys) panels = panels.flatMap((prefix) => displayOrder(study, key).map((v) => [...prefix, `${key}=${v}`]));
  const panelOrder = panels.map((parts) => parts.join(', '));
  return { ...head, facet: { field: 'panel', type: 'nominal', title: panelKeys.join(', '), sort: panelOrder }, columns: 3, spec: layers };
}

/** Renders a Vega-Lite spec to SVG text. */
export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vegaLite.compile(spec as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises SVG to PNG at twice its size. Text uses the system's fonts (DejaVu Sans if present). */
export async function svgToPng(svg: string): Promise<Uint8Array> {
  const { Resvg } = await import('@resvg/resvg-js');
  const font = { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' };
  return new Resvg(svg, { font, fitTo: { mode: 'zoom', value: 2 } }).render().asPng();
}

/** Writes <metric>.svg, <metric>.png and <metric>.vl.json for every metric; returns the SVG names. */
export async function writePlots(dir: string, study: Study, layout: ResultsLayout, summary: readonly SummaryRow[]): Promise<string[]> {
  const written: string[] = [];
  for (const metric of layout.metricColumns) {
    const files = plotFiles(metric);
    const spec = plotSpec(study, layout, summary, metric);
    const svg = await renderSvg(spec);
    writeFileAtomicSync(path.join(dir, files.spec), JSON.stringify(spec, null, 2) + '\n');
    writeFileAtomicSync(path.join(dir, files.svg), svg);
    writeFileAtomicSync(path.join(dir, files.png), await svgToPng(svg));
    written.push(files.svg);
  }
  return written;
}
