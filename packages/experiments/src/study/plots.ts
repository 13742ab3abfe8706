/**
 * Plots of a study: for each metric, its mean against the first grid key (against the series
 * column for series experiments), one line per value of the next grid key, error bars of one
 * standard error, and one panel per combination of any further grid keys. The chart is a
 * Vega-Lite spec compiled and rendered to SVG by Vega (headless, no browser), and rasterised to
 * PNG by resvg; the spec is written beside them (<metric>.vl.json) so a reader can restyle it.
 *
 * A numeric x axis spanning a factor of 50 or more is drawn on a log scale (loads, sample
 * ratios and temperatures are usually swept geometrically), and so is a y axis of positive means
 * spanning a factor of 1000 or more (KL divergences, couplings of several orders).
 */
import * as path from 'node:path';
import { writeFileAtomicSync } from '@rbmlab/core';
import type { ResultsLayout } from './results';
import type { SummaryRow } from './summary';
import type { Study } from './study';

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
  const logX = numericX && xs.length > 0 && Math.min(...xs) > 0 && Math.max(...xs) / Math.min(...xs) >= 50;
  const x = {
    field: 'x',
    type: numericX ? 'quantitative' : 'ordinal',
    title: xKey,
    ...(numericX ? { scale: logX ? { type: 'log' } : { zero: false } } : { sort: null }),
  };
  const means = data.map((d) => d.mean);
  const logY = means.length > 0 && Math.min(...means) > 0 && Math.max(...means) / Math.min(...means) >= 1000;
  // on a log axis a bar reaching zero or below is drawn down to the point only
  if (logY) for (const d of data) if (d.lo <= 0) d.lo = d.mean;
  const yTitle = `${metric} (mean ± sem)`;
  const yScale = logY ? { type: 'log' } : { zero: false };
  const color = groupKey ? { color: { field: 'group', type: 'nominal', title: groupKey, sort: null } } : {};
  const layers = {
    width: 360,
    height: 240,
    layer: [
      {
        mark: { type: 'line', point: true },
        encoding: { x, y: { field: 'mean', type: 'quantitative', title: yTitle, scale: yScale }, ...color },
      },
      { mark: { type: 'errorbar', ticks: true }, encoding: { x, y: { field: 'lo', type: 'quantitative', title: yTitle }, y2: { field: 'hi' }, ...color } },
    ],
  };
  const head = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${study.file.name}: ${metric}`,
    background: 'white',
    data: { values: data },
  };
  return panelKeys.length ? { ...head, facet: { field: 'panel', type: 'nominal', title: panelKeys.join(', ') }, columns: 3, spec: layers } : { ...head, ...layers };
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
