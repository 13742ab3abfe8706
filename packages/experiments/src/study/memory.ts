/**
 * A study run in memory, with no files: what the browser lab runs in its Web Worker, and what
 * a program can run to get a study's outputs as text. The trials, their seeds and order
 * (./tasks), the rows (formatTrialRows), summary (summarize, summaryCsv), plot specs (plotSpec)
 * and manifest (studyManifest) are the same functions `rbmlab run` uses, so results.csv and
 * summary.csv are byte for byte those of `rbmlab run` on the same backend, and manifest.json has
 * the CLI's format (its versions, commit, platform and timings are the caller's).
 */
import type { Backend } from '@rbmlab/core';
import type { MetricRow, TrialObservation } from './experiment';
import { studyManifest, type Manifest, type ManifestEnvironment, type Session } from './manifest';
import { plotSpec } from './plots';
import { formatTrialRows, parseRows, resultsLayout, taskKey, type FinishedTrial, type ResultsLayout } from './results';
import type { Study } from './study';
import { summarize, summaryCsv, type SummaryRow } from './summary';
import { studyTasks, type Task } from './tasks';
import { runTrial } from './trial';

/** Options of runStudyInMemory. */
export interface MemoryStudyOptions {
  readonly backend: Backend;
  /** What the manifest records of the backend (its mode and device, say). */
  readonly backendInfo?: Manifest['backendInfo'];
  /** Versions, commit and platform for the manifest. */
  readonly environment: ManifestEnvironment;
  /** Called before each trial starts. */
  onTrialStart?(task: Task, index: number, total: number): void;
  /** Called after each trial with its rows and seconds. */
  onTrial?(task: Task, rows: readonly MetricRow[], seconds: number, done: number, total: number): void;
  /** Watches the running trial (TrialContext.observe), with the task it belongs to. */
  observe?(task: Task, event: TrialObservation): void;
  /** Checked between trials; true stops the run (the outputs then hold the finished trials). */
  stopped?(): boolean;
  /** A clock in milliseconds (performance.now in a page and in Node). */
  now?(): number;
  /** Wall-clock time as ISO text, for the manifest's session. */
  isoTime?(): string;
  /** Awaited between trials, so that a page or worker can take messages (default: a resolved promise). */
  yieldToEvents?(): Promise<void>;
}

/** The outputs of a study run in memory: the text of each file `rbmlab run` writes, and their data. */
export interface MemoryStudy {
  readonly study: Study;
  readonly layout: ResultsLayout;
  /** results.csv as `rbmlab run` writes it (canonical order). */
  readonly results: string;
  /** summary.csv. */
  readonly summary: string;
  readonly summaryRows: readonly SummaryRow[];
  readonly manifest: Manifest;
  /** The Vega-Lite spec of each metric's plot, as `rbmlab run` writes <metric>.vl.json. */
  readonly plots: Readonly<Record<string, Record<string, unknown>>>;
  /** Trials finished (all of them unless stopped). */
  readonly done: number;
}

/** Runs every trial of `study` on `options.backend`, in canonical order, and returns its outputs. */
export async function runStudyInMemory(study: Study, options: MemoryStudyOptions): Promise<MemoryStudy> {
  const now = options.now ?? (() => performance.now());
  const iso = options.isoTime ?? (() => new Date().toISOString());
  const layout = resultsLayout(study);
  const tasks = studyTasks(study);
  const finished = new Map<string, FinishedTrial>();
  const started = iso();
  const t0 = now();
  for (const [index, task] of tasks.entries()) {
    await (options.yieldToEvents?.() ?? Promise.resolve());
    if (options.stopped?.()) break;
    options.onTrialStart?.(task, index, tasks.length);
    const observe = options.observe ? (event: TrialObservation) => options.observe!(task, event) : undefined;
    const t1 = now();
    const rows = await runTrial(study.experiment, task.point.params, task.seed, options.backend, observe);
    const seconds = (now() - t1) / 1000;
    finished.set(taskKey(task.point.index, task.trial), {
      point: task.point.index,
      trial: task.trial,
      seed: task.seed,
      rows: rows.length,
      seconds,
      lines: formatTrialRows(layout, task.point, task.trial, task.seed, rows),
    });
    options.onTrial?.(task, rows, seconds, finished.size, tasks.length);
  }
  const sorted = [...finished.values()].sort((a, b) => a.point - b.point || a.trial - b.trial);
  const results = layout.columns.join(',') + '\n' + sorted.map((t) => t.lines).join('');
  const summaryRows = summarize(study, layout, parseRows(layout, sorted));
  const session: Session = { command: 'run', started, finished: iso(), seconds: (now() - t0) / 1000, trialsRun: finished.size, jobs: 1, backend: options.backend.name };
  const manifest = studyManifest(
    study,
    layout,
    {
      status: finished.size === tasks.length ? 'complete' : 'interrupted',
      shard: null,
      assigned: tasks.length,
      finished,
      sessions: [session],
      backend: options.backend.name,
      ...(options.backendInfo ? { backendInfo: options.backendInfo } : {}),
    },
    options.environment,
  );
  const plots: Record<string, Record<string, unknown>> = {};
  if (summaryRows.length > 0) for (const metric of layout.metricColumns) plots[metric] = plotSpec(study, layout, summaryRows, metric);
  return { study, layout, results, summary: summaryCsv(study, layout, summaryRows), summaryRows, manifest, plots, done: finished.size };
}
