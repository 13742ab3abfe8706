/**
 * The study runner: runs the (grid point, trial) tasks of a study, or of one shard of it, into a
 * directory, appending each finished trial at once (./results), and finishes the directory with
 * canonical results.csv, summary.csv, plots and manifest.json.
 *
 * Task k = point * trials + trial (canonical order) belongs to shard i of n when k mod n = i:
 * shards interleave, so each gets a share of every grid point, cheap and expensive alike.
 * With jobs > 1 the trials run on worker threads (./worker, from the built package); the main
 * thread writes. Seeds come from ./seeds, so none of this changes a single number.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ATOMIC_TEMPORARY, makeDirectorySync, processAlive, removeStaleTemporaries, type Backend } from '@rbmlab/core';
import { selectBackend, type BackendChoice, type SelectedBackend, type SelectedBackendInfo } from '../backends';
import { backendUse, runsOnBackend, type MetricRow } from './experiment';
import { commit, MANIFEST_FILE, readManifest, studyDifference, studyManifest, versions, writeManifest, type Manifest, type ManifestState, type Session, type Shard } from './manifest';
import { writePlots } from './plots';
import { lockDirectory, LOCK_FILE, type DirectoryLock } from './lock';
import { appendTrial, formatTrialRows, JOURNAL_FILE, RESULTS_FILE, readFinishedTrials, resultsLayout, taskKey, writeCanonicalResults, parseRows, type FinishedTrial, type ResultsLayout } from './results';
import { studyTasks, type Task } from './tasks';
import { StudyError, formatPoint, type GridPoint, type Study } from './study';
import { summarize, writeSummary, type SummaryRow } from './summary';
import { runTrial } from './trial';
export { studyTasks, type Task } from './tasks';
import { EXPERIMENTS } from '../families';
import type { TrialRequest, TrialResponse, WorkerSetup } from './worker';

/**
 * A finished trial, as `onTrial` sees it: the share's progress (done of assigned), the trial and its seconds.
 */
export interface TrialEvent {
  /** Trials of this run's share done so far (including those found done on --resume). */
  readonly done: number;
  readonly assigned: number;
  readonly point: GridPoint;
  readonly trial: number;
  readonly seconds: number;
}

/**
 * Options of `runStudy`: the parsed study, the output directory, resume, shard, worker threads (default
 * 1), backend (default 'cpu'), plots (default true), an abort signal and progress callbacks.
 */
export interface RunStudyOptions {
  readonly study: Study;
  readonly out: string;
  /** Continue the study already in `out` (a fresh start when `out` holds none). */
  readonly resume?: boolean;
  /** Run only the tasks k with k mod count = index (k = point * trials + trial); default all. */
  readonly shard?: Shard;
  /** Worker threads; 1 runs trials on the calling thread. */
  readonly jobs?: number;
  /**
   * The backend trials run on: 'cpu' (default: core's default backend) or 'gpu' (@rbmlab/gpu;
   * ../backends.ts). Worker threads (--jobs) each make their own. Recorded in the manifest with
   * its details (backendInfo, and gpu.js's mode).
   */
  readonly backend?: BackendChoice;
  /** Render plots when the study (or shard) finishes; default true. */
  readonly plots?: boolean;
  /** Abort to stop after the trials in flight: the run rejects with StudyInterrupted. */
  readonly signal?: AbortSignal;
  /**
   * Called once before the first trial: trials already done (on resume), assigned to this run, in the whole
   * study, and the backend.
   */
  readonly onStart?: (state: { readonly done: number; readonly assigned: number; readonly total: number; readonly backend: SelectedBackend }) => void;
  /** Called after each finished trial, in the order they finish. */
  readonly onTrial?: (event: TrialEvent) => void;
}

/**
 * What `runStudy` leaves: the directory, the study, its results layout and summary rows, the trials run
 * by this call, done, assigned and in the whole study, and the plot files written.
 */
export interface StudyOutcome {
  readonly dir: string;
  readonly study: Study;
  readonly layout: ResultsLayout;
  readonly summary: readonly SummaryRow[];
  /** Trials run by this call. */
  readonly ran: number;
  readonly done: number;
  readonly assigned: number;
  readonly total: number;
  readonly plots: readonly string[];
}

/** Raised when a run is aborted; what finished is on disk and --resume continues. */
export class StudyInterrupted extends Error {
  override readonly name = 'StudyInterrupted';
  constructor(
    readonly done: number,
    readonly assigned: number,
  ) {
    super(`interrupted after ${done} of ${assigned} trials`);
  }
}

/** A trial threw: the study stops; finished trials are kept. */
export class TrialError extends Error {
  override readonly name = 'TrialError';
}

/** The families whose trials run on a backend's kernels (at some points at least), the only ones --backend gpu can run. */
export const BACKEND_FAMILIES = EXPERIMENTS.filter(runsOnBackend).map((e) => e.name);

/**
 * Refuses --backend gpu for a family that runs its own loops (a manifest would record a gpu that
 * did nothing), and for a study with a point its family cannot run on a device (`backend` given:
 * that device's limits too). One line naming the reason; the family decides (backendUse).
 */
export function checkBackendFamily(study: Study, choice: BackendChoice, backend?: Backend): void {
  if (choice !== 'gpu') return;
  const { experiment } = study;
  const families = `families on a backend: ${BACKEND_FAMILIES.join(', ')}`;
  if (!runsOnBackend(experiment)) {
    if (experiment.noBackendReason === undefined) {
      throw new StudyError(`--backend gpu: the ${experiment.name} family runs its own loops, not backend kernels (${families}); run it with --backend cpu`);
    }
    throw new StudyError(`--backend gpu: the ${experiment.name} family has nothing to run on a device: ${experiment.noBackendReason} (${families}); run it with --backend cpu`);
  }
  for (const point of study.points) {
    const use = backendUse(experiment, point.params, backend);
    if (use === true) continue;
    const where = Object.keys(point.values).length > 0 ? ` at ${formatPoint(point.values)}` : '';
    throw new StudyError(`--backend gpu: the ${experiment.name} family cannot run on the device${where}: ${use}; run it with --backend cpu`);
  }
}

/**
 * Names a run leaves in a directory before its manifest exists (a run killed in its first
 * milliseconds, by this or an earlier rbmlab): such a directory is taken as new.
 */
function onlyRunLeftovers(dir: string, entries: readonly string[]): boolean {
  const journal = path.join(dir, JOURNAL_FILE);
  const noTrials = !existsSync(journal) || readFileSync(journal, 'utf8').trim() === '';
  return noTrials && entries.every((name) => name === RESULTS_FILE || name === JOURNAL_FILE || name === LOCK_FILE || ATOMIC_TEMPORARY.test(name));
}

/**
 * Makes `dir` ready for this run and takes its lock: checks that it may receive the run (new,
 * empty, a run killed before it wrote anything, or this study with --resume), removes temporary
 * files of killed writers, and returns the trials it already holds. Nothing is written to a
 * directory that is refused, and the lock is released again.
 */
function prepareDirectory(dir: string, study: Study, layout: ResultsLayout, shard: Shard | null, resume: boolean): { lock: DirectoryLock; finished: Map<string, FinishedTrial>; previous?: Manifest } {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new StudyError(`--out ${dir}: is a file, not a directory`);
  if (existsSync(dir) && readManifest(dir) === undefined) {
    const entries = readdirSync(dir);
    if (entries.length > 0 && !onlyRunLeftovers(dir, entries)) throw new StudyError(`--out ${dir}: not empty and holds no study (no ${MANIFEST_FILE}); choose another directory`);
  }
  // every missing level is made with a plain mkdir: /proc, read-only or full file systems fail here, at once
  makeDirectorySync(dir);
  const lock = lockDirectory(dir, '--out');
  try {
    removeStaleTemporaries(dir, processAlive);
    const previous = readManifest(dir);
    if (previous === undefined) return { lock, finished: new Map() };
    if (!resume) throw new StudyError(`--out ${dir}: already holds study "${previous.study.name}"; add --resume to continue it, or choose another directory`);
    const differs = studyDifference(previous.study, study.file);
    if (differs !== undefined) throw new StudyError(`--resume: ${dir} holds a different study (its "${differs}" differs from the study file's)`);
    if (JSON.stringify(previous.shard) !== JSON.stringify(shard)) {
      const show = (s: Shard | null) => (s ? `--shard ${s.index}/${s.count}` : 'no --shard');
      throw new StudyError(`--resume: ${dir} was run with ${show(previous.shard)}, not ${show(shard)}`);
    }
    return { lock, finished: readFinishedTrials(dir, study, layout, (m) => new StudyError(m)), previous };
  } catch (err) {
    lock.release();
    throw err;
  }
}

/**
 * Runs a study (or one shard of it) into `out`: takes the directory's lock, writes the manifest first,
 * appends each finished trial to the journal at once, and finishes with canonical results.csv,
 * summary.csv, plots and manifest.json. Seeds depend on (study seed, point, trial) alone, so jobs,
 * shards and resumes give the same numbers. Rejects with StudyInterrupted when `signal` aborts.
 */
export async function runStudy(options: RunStudyOptions): Promise<StudyOutcome> {
  const { study, out: dir } = options;
  const layout = resultsLayout(study);
  const shard = options.shard ?? null;
  const choice = options.backend ?? 'cpu';
  checkBackendFamily(study, choice);
  // created before anything is written: a backend that cannot be had is refused at once
  const selected = selectBackend(choice);
  const backend = selected.backend;
  // the device's own limits (sizes beyond its tables), before anything is written
  checkBackendFamily(study, choice, backend);
  const jobs = options.jobs ?? 1;
  const tasks = studyTasks(study, options.shard);
  const total = study.points.length * study.file.trials;
  const { lock, finished, previous } = prepareDirectory(dir, study, layout, shard, options.resume === true);
  try {
    const assignedKeys = new Set(tasks.map((t) => taskKey(t.point.index, t.trial)));
    for (const key of finished.keys()) if (!assignedKeys.has(key)) finished.delete(key);
    const session: Session = { command: previous ? 'resume' : 'run', started: new Date().toISOString(), trialsRun: 0, jobs, backend: backend.name };
    const sessions = [...(previous?.timings.sessions ?? [])];
    const manifest = (status: Manifest['status'], current: Session): Manifest =>
      buildManifest(study, layout, { status, shard, assigned: tasks.length, finished, sessions: [...sessions, current], backend: backend.name, backendInfo: selected.info });
    // the manifest first: from here on a kill at any moment leaves a directory --resume continues
    writeManifest(dir, manifest('running', session));
    // start from a clean state: rows of trials cut off mid-write are dropped here
    writeCanonicalResults(dir, layout, finished.values());
    const remaining = tasks.filter((t) => !finished.has(taskKey(t.point.index, t.trial)));
    options.onStart?.({ done: finished.size, assigned: tasks.length, total, backend: selected });

    const started = performance.now();
    let ran = 0;
    const record = (task: Task, rows: readonly MetricRow[], seconds: number) => {
      const trial: FinishedTrial = { point: task.point.index, trial: task.trial, seed: task.seed, rows: rows.length, seconds, lines: formatTrialRows(layout, task.point, task.trial, task.seed, rows) };
      appendTrial(dir, trial);
      finished.set(taskKey(trial.point, trial.trial), trial);
      ran++;
      options.onTrial?.({ done: finished.size, assigned: tasks.length, point: task.point, trial: task.trial, seconds });
    };
    const endSession = (): Session => ({ ...session, finished: new Date().toISOString(), seconds: (performance.now() - started) / 1000, trialsRun: ran });
    try {
      if (jobs <= 1) await runInProcess(study, remaining, backend, record, options.signal);
      else await runOnWorkers(study, remaining, jobs, { backend: choice, expected: backend.name }, record, options.signal);
    } catch (err) {
      try {
        writeManifest(dir, manifest('interrupted', endSession()));
      } catch {
        // a full disk can refuse this too; the journal alone lets --resume continue
      }
      if (err instanceof StudyInterrupted) throw new StudyInterrupted(finished.size, tasks.length);
      throw err;
    }
    const outcome = await finishDirectory(dir, study, layout, finished, manifest('complete', endSession()), options.plots !== false);
    return { ...outcome, ran, assigned: tasks.length, total };
  } finally {
    lock.release();
  }
}

async function runInProcess(study: Study, tasks: readonly Task[], backend: Backend, record: (task: Task, rows: readonly MetricRow[], seconds: number) => void, signal?: AbortSignal): Promise<void> {
  for (const task of tasks) {
    // yield to the event loop between trials, so that a SIGINT handler gets to run
    await new Promise((resolve) => setImmediate(resolve));
    if (signal?.aborted) throw new StudyInterrupted(0, 0);
    const t0 = performance.now();
    let rows: MetricRow[];
    try {
      rows = await runTrial(study.experiment, task.point.params, task.seed, backend);
    } catch (err) {
      throw trialError(task, err instanceof Error ? err.message : String(err));
    }
    record(task, rows, (performance.now() - t0) / 1000);
  }
}

function trialError(task: Task, message: string): TrialError {
  return new TrialError(`trial ${task.trial} at ${formatPoint(task.point.values)} failed: ${message}`);
}

/** The compiled worker (worker threads run JavaScript: the built package). */
function workerScript(): string {
  const script = path.resolve(__dirname, '..', '..', 'dist', 'study', 'worker.js');
  if (!existsSync(script)) throw new StudyError(`--jobs needs the built package (${script} is missing; run npm run build)`);
  return script;
}

async function runOnWorkers(study: Study, tasks: readonly Task[], jobs: number, backend: Omit<WorkerSetup, 'experiment'>, record: (task: Task, rows: readonly MetricRow[], seconds: number) => void, signal?: AbortSignal): Promise<void> {
  if (tasks.length === 0) return;
  const script = workerScript();
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let next = 0;
      let inFlight = 0;
      let failed = false;
      const fail = (err: Error) => {
        if (failed) return;
        failed = true;
        reject(err);
      };
      const onAbort = () => fail(new StudyInterrupted(0, 0));
      signal?.addEventListener('abort', onAbort, { once: true });
      const feed = (worker: Worker) => {
        if (failed) return;
        if (next >= tasks.length) {
          if (inFlight === 0) {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          }
          return;
        }
        const task = tasks[next];
        const request: TrialRequest = { id: next, params: task.point.params, seed: task.seed };
        next++;
        inFlight++;
        worker.postMessage(request);
      };
      for (let j = 0; j < Math.min(jobs, tasks.length); j++) {
        const worker = new Worker(script, { workerData: { experiment: study.experiment.name, ...backend, plugins: study.file.plugin ?? [] } satisfies WorkerSetup });
        workers.push(worker);
        worker.on('message', (response: TrialResponse) => {
          inFlight--;
          const task = tasks[response.id];
          if ('error' in response) return fail(trialError(task, response.error));
          try {
            record(task, response.rows, response.seconds);
          } catch (err) {
            return fail(err as Error);
          }
          feed(worker);
        });
        worker.on('error', (err) => fail(new TrialError(`a worker thread failed: ${err.message}`)));
        worker.on('exit', (code) => {
          if (code !== 0) fail(new TrialError(`a worker thread exited with code ${code} (out of memory?)`));
        });
        feed(worker);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

function buildManifest(study: Study, layout: ResultsLayout, state: ManifestState): Manifest {
  return studyManifest(study, layout, state, {
    versions: versions(),
    commit: commit(),
    platform: { os: `${process.platform} ${os.release()}`, arch: process.arch, cpus: os.cpus().length },
  });
}

/** Writes the finished form of a directory: canonical results, summary, plots, manifest. */
async function finishDirectory(dir: string, study: Study, layout: ResultsLayout, finished: Map<string, FinishedTrial>, manifest: Manifest, plots: boolean): Promise<{ dir: string; study: Study; layout: ResultsLayout; summary: SummaryRow[]; done: number; plots: string[] }> {
  writeCanonicalResults(dir, layout, finished.values());
  const summary = summarize(study, layout, parseRows(layout, finished.values()));
  writeSummary(dir, study, layout, summary);
  const written = plots && summary.length > 0 ? await writePlots(dir, study, layout, summary) : [];
  writeManifest(dir, manifest);
  return { dir, study, layout, summary, done: finished.size, plots: written };
}

export { buildManifest, finishDirectory };
