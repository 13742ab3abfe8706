/**
 * `rbmlab merge` and `rbmlab report`: directories of the same study (shards, or runs on several
 * machines) combine into one, and a directory's tables and plots are rendered again from its
 * results. Only trials that finished completely (./results) are taken.
 */
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { makeDirectorySync } from '@rbmlab/core';
import { lockDirectory, LOCK_FILE } from './lock';
import * as path from 'node:path';
import { MANIFEST_FILE, readManifest, studyDifference, type Manifest } from './manifest';
import { writePlots } from './plots';
import { parseRows, readFinishedTrials, RESULTS_FILE, resultsLayout, type FinishedTrial, type ResultsLayout } from './results';
import { buildManifest, finishDirectory } from './runner';
import { parseStudy, StudyError, type Study } from './study';
import { summarize, writeSummary, type SummaryRow } from './summary';

/** A study directory as found on disk. */
export interface StudyDirectory {
  readonly dir: string;
  readonly manifest: Manifest;
  readonly study: Study;
  readonly layout: ResultsLayout;
  readonly finished: Map<string, FinishedTrial>;
}

/**
 * Reads a study directory: its manifest, the study it records, and the trials that finished
 * completely. A StudyError names the directory when it is missing or holds no valid study.
 */
export function openStudyDirectory(dir: string): StudyDirectory {
  if (!existsSync(dir)) throw new StudyError(`${dir}: no such directory`);
  const manifest = readManifest(dir);
  if (manifest === undefined) throw new StudyError(`${dir}: not a study directory (no readable ${MANIFEST_FILE})`);
  let study: Study;
  try {
    // its size was accepted when it was run
    study = parseStudy(manifest.study, { maxTrials: Infinity });
  } catch (err) {
    if (err instanceof StudyError) throw new StudyError(`${dir}/${MANIFEST_FILE}: its study is not valid here: ${err.message}`);
    throw err;
  }
  const layout = resultsLayout(study);
  const complete = manifest.status === 'complete' || manifest.status === 'incomplete';
  return { dir, manifest, study, layout, finished: readFinishedTrials(dir, study, layout, (m) => new StudyError(m), { complete }) };
}

/**
 * What `mergeStudies` leaves: the output directory, the study, its results layout and summary rows, and
 * trials done of the total.
 */
export interface MergeOutcome {
  readonly dir: string;
  readonly study: Study;
  readonly layout: ResultsLayout;
  readonly summary: readonly SummaryRow[];
  readonly done: number;
  readonly total: number;
}

/**
 * Merges directories of one study (shards, or runs on several machines) into `out`, which must be new,
 * empty or an earlier merge of the same study: the union of their finished trials (one trial found
 * twice must be identical), then canonical results, summary, plots (unless plots is false) and a
 * manifest. Every refusal comes before `out` is made.
 */
export async function mergeStudies(dirs: readonly string[], out: string, options: { plots?: boolean } = {}): Promise<MergeOutcome> {
  if (dirs.length === 0) throw new StudyError('no directories to merge');
  const inputs = dirs.map(openStudyDirectory);
  const first = inputs[0];
  for (const input of inputs.slice(1)) {
    const differs = studyDifference(first.manifest.study, input.manifest.study);
    if (differs !== undefined) throw new StudyError(`${input.dir} holds a different study from ${first.dir} (their "${differs}" differs)`);
  }
  checkOutput(out, dirs, first);
  // every refusal (conflicting trials included) comes before OUT is made: nothing is left behind
  const finished = new Map<string, FinishedTrial>();
  for (const input of inputs) {
    for (const [key, trial] of input.finished) {
      const seen = finished.get(key);
      if (seen !== undefined && seen.lines !== trial.lines) {
        throw new StudyError(`${input.dir}: trial ${trial.trial} of grid point ${trial.point} differs from the same trial in another directory`);
      }
      if (seen === undefined) finished.set(key, trial);
    }
  }
  const study = first.study;
  const total = study.points.length * study.file.trials;
  const backends = [...new Set(inputs.map((i) => i.manifest.backend))];
  const started = new Date().toISOString();
  const manifest = buildManifest(study, first.layout, {
    status: finished.size === total ? 'complete' : 'incomplete',
    shard: null,
    assigned: total,
    finished,
    sessions: [...inputs.flatMap((i) => i.manifest.timings.sessions), { command: 'merge', started, trialsRun: 0, backend: backends.join(', ') }],
    backend: backends.join(', '),
    mergedFrom: dirs.map((d) => path.resolve(d)),
  });
  makeDirectorySync(out);
  const lock = lockDirectory(out, '--out');
  try {
    const outcome = await finishDirectory(out, study, first.layout, finished, manifest, options.plots !== false);
    return { ...outcome, total };
  } finally {
    lock.release();
  }
}

/** OUT must be new, empty, or an earlier merge of the same study, and none of the inputs; it is not made here. */
function checkOutput(out: string, dirs: readonly string[], first: StudyDirectory): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new StudyError(`--out ${out}: is a file, not a directory`);
  const real = realpathSync(out);
  for (const dir of dirs) if (realpathSync(dir) === real) throw new StudyError(`--out ${out} is one of the directories being merged; choose a new one`);
  const manifest = readManifest(out);
  if (manifest === undefined) {
    if (readdirSync(out).some((name) => name !== LOCK_FILE)) throw new StudyError(`--out ${out}: not empty and holds no study; choose another directory`);
    return;
  }
  if (manifest.mergedFrom === undefined || studyDifference(manifest.study, first.manifest.study) !== undefined) {
    throw new StudyError(`--out ${out}: already holds a study that is not an earlier merge of this one; choose another directory`);
  }
}

/**
 * Renders summary.csv and the plots of `dir` again from its finished trials; results.csv is left
 * as it is. A directory whose results.csv is missing, or holds fewer finished trials than its
 * manifest records (deleted or truncated by hand, a copy that kept only some files), is refused:
 * the summary it holds may be the only record of those trials, and is not replaced by a smaller one.
 */
export async function reportStudy(dir: string, options: { plots?: boolean } = {}): Promise<{ study: Study; layout: ResultsLayout; summary: SummaryRow[]; done: number; total: number; manifest: Manifest }> {
  const { study, layout, finished, manifest } = openStudyDirectory(dir);
  const recorded = manifest.trials.done;
  if (!existsSync(path.join(dir, RESULTS_FILE)) && (recorded > 0 || existsSync(path.join(dir, 'summary.csv')))) {
    throw new StudyError(`${dir}: ${RESULTS_FILE} is missing (${MANIFEST_FILE} records ${recorded} finished trials); nothing rebuilt, summary.csv and the plots are left as they are`);
  }
  if (finished.size < recorded) {
    throw new StudyError(`${dir}: ${RESULTS_FILE} holds ${finished.size} finished trials, but ${MANIFEST_FILE} records ${recorded}; nothing rebuilt, summary.csv and the plots are left as they are`);
  }
  const summary = summarize(study, layout, parseRows(layout, finished.values()));
  writeSummary(dir, study, layout, summary);
  if (options.plots !== false && summary.length > 0) await writePlots(dir, study, layout, summary);
  return { study, layout, summary, done: finished.size, total: study.points.length * study.file.trials, manifest };
}
