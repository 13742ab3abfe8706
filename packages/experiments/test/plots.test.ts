/**
 * The Vega-Lite specs of study plots (study/plots.ts): display order of legends and panels, the
 * choice of log axes, error-bar caps on a categorical axis, and the study file's `plot` field.
 * The specs are also rendered by Vega, so what is checked is what a reader sees.
 */
import { isGeometricGrid, plotSpec, renderSvg } from '../src/study/plots';
import { resultsLayout } from '../src/study/results';
import { parseStudy, StudyError } from '../src/study/study';
import type { SummaryRow } from '../src/study/summary';

type Spec = Record<string, any>;

/** A teacher-student study over `grid` with a made-up summary: metric m = 1 + point index. */
function specOf(grid: Record<string, unknown[]>, extra: Record<string, unknown> = {}): { spec: Spec; metric: string } {
  const params = 'N' in grid ? { P: 1 } : { N: 20, P: 1 };
  const study = parseStudy({ name: 'plots', experiment: 'teacher-student', seed: 1, trials: 2, params, grid, ...extra });
  const layout = resultsLayout(study);
  const metric = layout.metricColumns[0];
  const summary: SummaryRow[] = study.points.map((p) => ({
    point: p.index,
    values: Object.fromEntries(Object.entries(p.values).map(([k, v]) => [k, String(v)])),
    n: 2,
    metrics: Object.fromEntries(layout.metricColumns.map((m) => [m, { mean: 1 + p.index, std: 0.2, sem: 0.1, count: 2 }])),
  }));
  return { spec: plotSpec(study, layout, summary, metric), metric };
}

describe('plot specs', () => {
  test('panels and legends in numeric order whatever the grid order; strings keep the grid order', () => {
    const { spec } = specOf({ alpha: [1, 2], studentHidden: ['spin', 'relu'], N: [100, 50, 200] });
    expect(spec.facet.sort).toEqual(['N=50', 'N=100', 'N=200']);
    expect(spec.spec.layer[0].encoding.color.sort).toEqual(['spin', 'relu']);
    const numericGroups = specOf({ alpha: [1, 2], N: [100, 50] }).spec;
    expect(numericGroups.layer[0].encoding.color.sort).toEqual(['50', '100']);
  });

  test('two panel keys: the first varies slowest, each in its display order', () => {
    const { spec } = specOf({ alpha: [1, 2], studentHidden: ['spin'], N: [100, 50], beta: [2, 1] });
    expect(spec.facet.sort).toEqual(['N=50, beta=1', 'N=50, beta=2', 'N=100, beta=1', 'N=100, beta=2']);
  });

  test('a geometric grid gets a log x axis, an arithmetic one does not, a study file can ask', () => {
    expect(isGeometricGrid([1, 2, 4, 8])).toBe(true);
    expect(isGeometricGrid([0.05, 0.1, 0.2])).toBe(true);
    expect(isGeometricGrid([1, 2, 3, 4])).toBe(false);
    expect(isGeometricGrid([1, 2])).toBe(false);
    expect(isGeometricGrid([0, 1, 2])).toBe(false);
    expect(specOf({ alpha: [1, 2, 4, 8] }).spec.layer[0].encoding.x.scale).toEqual({ type: 'log', nice: false, padding: 16 });
    expect(specOf({ alpha: [1, 2, 3, 4] }).spec.layer[0].encoding.x.scale).toEqual({ zero: false });
    expect(specOf({ alpha: [1, 2, 3, 4] }, { plot: { x: 'log' } }).spec.layer[0].encoding.x.scale).toMatchObject({ type: 'log' });
    expect(specOf({ alpha: [1, 2, 4, 8] }, { plot: { x: 'linear' } }).spec.layer[0].encoding.x.scale).toEqual({ zero: false });
    expect(specOf({ alpha: [1, 2] }, { plot: { y: 'log' } }).spec.layer[0].encoding.y.scale).toEqual({ type: 'log' });
  });

  test('a bad plot field is refused naming it', () => {
    const base = { name: 'p', experiment: 'teacher-student', seed: 1, trials: 1, params: { N: 20, P: 1 }, grid: { alpha: [1] } };
    expect(() => parseStudy({ ...base, plot: { x: 'logarithmic' } })).toThrow(new StudyError('plot.x: expected "log" or "linear", got "logarithmic"'));
    expect(() => parseStudy({ ...base, plot: { z: 'log' } })).toThrow(new StudyError('plot.z: unknown axis (a plot has x and y)'));
    expect(() => parseStudy({ ...base, plot: 'log' })).toThrow(StudyError);
  });

  test('on a categorical x axis the error-bar caps are 10 px wide, not the width of the band', async () => {
    const { spec } = specOf({ studentHidden: ['spin', 'relu', 'gaussian'] });
    expect(spec.layer[0].encoding.x.type).toBe('ordinal');
    const svg = await renderSvg(spec);
    // the caps are rectangles 'M<x>,<y>h<width>v1h-<width>Z'; the band here is 120 px wide
    const caps = [...svg.matchAll(/d="M[-\d.]+,[-\d.]+h([\d.]+)v1h-[\d.]+Z"/g)].map((m) => Number(m[1]));
    expect(caps.length).toBe(6);
    for (const width of caps) expect(width).toBe(10);
  });
});
