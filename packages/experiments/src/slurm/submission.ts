/**
 * A study on a SLURM cluster: DIR holds the shards (DIR/shard-i, each a study directory of
 * `rbmlab run --shard i/N`), their merge (DIR/merged) and DIR/slurm: the study as submitted, the
 * job scripts (./scripts), logs, and submissions.json, the record of every submission and its
 * job ids. The record and the shard directories are the whole state: `status` reads them (and
 * squeue for jobs still known), and a resubmission submits exactly the shards that are neither
 * complete nor still queued or running, with a new merge; the earlier merge, if still waiting,
 * is cancelled. The merge job starts when its shard tasks have ended however they ended, and
 * merges only when every shard is complete, so no job ever waits on one that cannot succeed.
 */
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { makeDirectorySync, writeFileAtomicSync } from '@rbmlab/core';
import type { BackendChoice } from '../backends';
import { readManifest, studyDifference, type Manifest } from '../study/manifest';
import { mergeStudies, type MergeOutcome } from '../study/merge';
import { readFinishedTrials, resultsLayout } from '../study/results';
import { studyTasks } from '../study/runner';
import { readStudy, StudyError, type Study } from '../study/study';
import { isActive, sbatch, scancel, squeue, SlurmError, type JobState } from './queue';
import { environmentKnobs, mergeScript, shardScript, submissionPaths, type Resources, type ScriptSpec, type SubmissionPaths } from './scripts';

export const RECORD_FORMAT = 'rbmlab.slurm-submissions/1';

/** One `rbmlab slurm submit`: the array of shard tasks it submitted (if any) and its merge job. */
export interface Submission {
  readonly submitted: string;
  /** The array job id; null when every shard was complete or still queued (a merge alone). */
  readonly array: string | null;
  /** The shards submitted, as array task ids. */
  readonly tasks: readonly number[];
  readonly merge: string;
  /** The jobs the merge starts after (the array, and shard tasks of earlier submissions still queued). */
  readonly after: readonly string[];
  readonly backend: BackendChoice;
  readonly resources: Resources;
}

export interface SubmissionRecord {
  readonly format: typeof RECORD_FORMAT;
  /** The study file as last given to submit (absolute), for the commands rbmlab prints. */
  readonly studyFile: string;
  readonly shards: number;
  readonly submissions: readonly Submission[];
}

export function readRecord(paths: SubmissionPaths): SubmissionRecord | undefined {
  if (!existsSync(paths.record)) return undefined;
  let record: SubmissionRecord;
  try {
    record = JSON.parse(readFileSync(paths.record, 'utf8')) as SubmissionRecord;
  } catch (err) {
    throw new StudyError(`${paths.record}: not readable JSON (${(err as Error).message})`);
  }
  if (record.format !== RECORD_FORMAT) throw new StudyError(`${paths.record}: not a record of rbmlab slurm submissions (format ${JSON.stringify(record.format)})`);
  return record;
}

/** The record and study of a submission directory, for status and merge. */
export function openSubmission(dir: string): { paths: SubmissionPaths; record: SubmissionRecord; study: Study } {
  const paths = submissionPaths(dir);
  const record = readRecord(paths);
  if (record === undefined) throw new StudyError(`${dir}: no rbmlab slurm submission here (no slurm/submissions.json); submit one with rbmlab slurm submit`);
  // the study's size was accepted when it was submitted
  return { paths, record, study: readStudy(paths.study, { maxTrials: Infinity }) };
}

/**
 * A shard directory's state: its manifest's, except that "running" with no job queued or running
 * for it (when squeue was asked) is "stopped": its process was killed before it could say so.
 */
export type ShardState = 'not started' | 'running' | 'stopped' | 'interrupted' | 'complete';

export interface ShardStatus {
  readonly shard: number;
  readonly dir: string;
  readonly done: number;
  readonly assigned: number;
  readonly state: ShardState;
  /** The shard's latest job ("12_3") and its state, when slurmctld still knows it. */
  readonly job?: string;
  readonly slurm?: JobState;
}

/** Trials done in a shard directory: those its journal vouches for (a complete shard: its results). */
function shardProgress(dir: string, study: Study, shard: number, shards: number): Omit<ShardStatus, 'job' | 'slurm'> {
  const assigned = studyTasks(study, { index: shard, count: shards }).length;
  const manifest: Manifest | undefined = existsSync(dir) ? readManifest(dir) : undefined;
  if (manifest === undefined) return { shard, dir, done: 0, assigned, state: 'not started' };
  const complete = manifest.status === 'complete';
  const done = readFinishedTrials(dir, study, resultsLayout(study), (m) => new StudyError(m), { complete }).size;
  const state: ShardState = complete && done === assigned ? 'complete' : manifest.status === 'running' ? 'running' : 'interrupted';
  return { shard, dir, done, assigned, state };
}

/** The latest job of each shard: the task of the last submission that included it. */
function latestJobs(record: SubmissionRecord): Map<number, string> {
  const jobs = new Map<number, string>();
  for (const s of record.submissions) if (s.array !== null) for (const t of s.tasks) jobs.set(t, `${s.array}_${t}`);
  return jobs;
}

export interface SubmissionStatus {
  readonly study: Study;
  readonly record: SubmissionRecord;
  readonly paths: SubmissionPaths;
  readonly shards: readonly ShardStatus[];
  readonly merge: { readonly dir: string; readonly done: number; readonly total: number; readonly state: 'not merged' | 'complete'; readonly job?: string; readonly slurm?: JobState };
  /** False when squeue could not be asked (the reason): job states are then unknown. */
  readonly queue: true | string;
}

/**
 * Where a submission stands: each shard's trials on disk and its latest job's state, and the
 * merge's. `queue` false skips squeue (states unknown); a failing squeue is reported, not thrown.
 */
export function submissionStatus(dir: string, options: { queue?: boolean } = {}): SubmissionStatus {
  const { paths, record, study } = openSubmission(dir);
  const jobs = latestJobs(record);
  const lastMerge = record.submissions.at(-1)?.merge;
  let states = new Map<string, JobState>();
  let queue: true | string = true;
  if (options.queue !== false) {
    try {
      const ids = [...new Set([...[...jobs.values()].map((j) => j.split('_')[0]), ...(lastMerge ? [lastMerge] : [])])];
      states = new Map(squeue(ids).map((s) => [s.id, s]));
    } catch (err) {
      if (!(err instanceof SlurmError)) throw err;
      queue = err.message;
    }
  } else {
    queue = 'not asked';
  }
  const shards = Array.from({ length: record.shards }, (_, i): ShardStatus => {
    const job = jobs.get(i);
    const slurm = job !== undefined ? states.get(job) : undefined;
    const progress = shardProgress(paths.shard(i), study, i, record.shards);
    const stopped = progress.state === 'running' && queue === true && !(slurm !== undefined && isActive(slurm.state));
    return { ...progress, ...(stopped ? { state: 'stopped' as const } : {}), ...(job ? { job } : {}), ...(slurm ? { slurm } : {}) };
  });
  const total = study.points.length * study.file.trials;
  const merged = existsSync(paths.merged) ? readManifest(paths.merged) : undefined;
  const mergedDone = merged?.trials.done ?? 0;
  return {
    study,
    record,
    paths,
    shards,
    merge: {
      dir: paths.merged,
      done: mergedDone,
      total,
      state: merged?.status === 'complete' && mergedDone === total ? 'complete' : 'not merged',
      ...(lastMerge ? { job: lastMerge } : {}),
      ...(lastMerge && states.has(lastMerge) ? { slurm: states.get(lastMerge) } : {}),
    },
    queue,
  };
}

/** Whether a shard's or merge's latest job may still run (queued, running, requeued, ...). */
export const activeJob = (s: { slurm?: JobState }) => s.slurm !== undefined && isActive(s.slurm.state);

/** The shards to submit again: neither complete nor queued or running. */
export function shardsToRun(status: SubmissionStatus): number[] {
  return status.shards.filter((s) => s.state !== 'complete' && !activeJob(s)).map((s) => s.shard);
}

/** "0-2,5,7-8": task ids for sbatch --array. */
export function arraySpec(tasks: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < tasks.length; ) {
    let j = i;
    while (j + 1 < tasks.length && tasks[j + 1] === tasks[j] + 1) j++;
    parts.push(i === j ? String(tasks[i]) : `${tasks[i]}-${tasks[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** sbatch's options for the array of `tasks` and for the merge after the jobs `after` (--dry-run prints them). */
export function sbatchOptions(tasks: readonly number[], after: readonly string[]): { array: string[]; merge: string[] } {
  return { array: [`--array=${arraySpec(tasks)}`], merge: after.length > 0 ? [`--dependency=afterany:${after.join(':')}`] : [] };
}

/** The command that finishes a submission, as status and the merge print it. */
export function resumeCommand(studyFile: string, dir: string): string {
  return `rbmlab slurm submit ${displayPath(studyFile)} --out ${dir} --resume`;
}

/** "DIR/slurm/logs/shard-1.log, shard-2.log": where to see why shards stopped (DIR as given). */
export function shardLogs(dir: string, shards: readonly number[]): string {
  return shards.map((i, k) => (k === 0 ? path.join(dir, 'slurm', 'logs', `shard-${i}.log`) : `shard-${i}.log`)).join(', ');
}

/** A path as short as the current directory allows. */
function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

export interface SubmitRequest {
  readonly studyFile: string;
  readonly study: Study;
  readonly out: string;
  /** Required for a new submission; on --resume, the record's when absent. */
  readonly shards?: number;
  readonly resume: boolean;
  readonly backend: BackendChoice;
  readonly resources: Resources;
  /** Absolute paths of node and bin/rbmlab.js for the jobs. */
  readonly node: string;
  readonly rbmlab: string;
  readonly env: Record<string, string | undefined>;
}

export interface SubmitPlan {
  readonly paths: SubmissionPaths;
  readonly shards: number;
  /** Shards to submit as array tasks. */
  readonly tasks: readonly number[];
  /** Shard tasks of earlier submissions still queued or running: the merge also waits for them. */
  readonly waiting: readonly string[];
  /** Earlier merge jobs still waiting, to cancel once the new merge is submitted. */
  readonly stale: readonly string[];
  /** Why nothing is submitted (a merge already waits for every unfinished shard; all merged). */
  readonly nothing?: string;
  readonly scripts: { readonly shard: string; readonly merge: string };
  readonly record?: SubmissionRecord;
}

/** Characters that #SBATCH lines and SLURM's file name patterns (%a, %j) cannot take in DIR. */
const UNSAFE_DIR = /[\s%\\"'#]/;

/** Checks a submit request against DIR and the queue, and works out what to submit. Writes nothing. */
export function planSubmission(request: SubmitRequest): SubmitPlan {
  const paths = submissionPaths(request.out);
  if (UNSAFE_DIR.test(paths.dir)) throw new StudyError(`--out ${request.out}: SLURM's #SBATCH lines cannot take a path with spaces, quotes, %, # or \\ (${paths.dir}); choose another directory`);
  const total = request.study.points.length * request.study.file.trials;
  const record = readRecord(paths);
  let shards: number;
  let status: SubmissionStatus | undefined;
  if (record === undefined) {
    if (existsSync(paths.dir) && readdirSync(paths.dir).length > 0) throw new StudyError(`--out ${request.out}: not empty and holds no rbmlab slurm submission; choose another directory`);
    if (request.shards === undefined) throw new StudyError('--shards N is needed for a new submission (how many array tasks share the trials)');
    shards = request.shards;
  } else {
    const submitted = readStudy(paths.study, { maxTrials: Infinity });
    const jobs = record.submissions.flatMap((s) => [...(s.array ? [s.array] : []), s.merge]).join(', ');
    if (!request.resume) throw new StudyError(`--out ${request.out}: already holds a submission of study "${submitted.file.name}" (jobs ${jobs}); add --resume to submit its unfinished shards and the merge again, or choose another directory`);
    const differs = studyDifference(submitted.file, request.study.file);
    if (differs !== undefined) throw new StudyError(`--resume: ${request.out} holds a different study (its "${differs}" differs from ${request.studyFile}'s)`);
    if (request.shards !== undefined && request.shards !== record.shards) throw new StudyError(`--resume: ${request.out} was submitted with --shards ${record.shards}, not ${request.shards}`);
    shards = record.shards;
    status = submissionStatus(request.out);
    if (status.queue !== true) throw new StudyError(`--resume needs the state of the earlier jobs, so that no shard runs twice: ${status.queue}`);
  }
  if (shards > total) throw new StudyError(`--shards ${shards} is more than the study's ${total} trials (grid points x trials); use at most ${total}`);
  const spec: ScriptSpec = {
    paths,
    studyName: request.study.file.name,
    trials: request.study.points.length * request.study.file.trials,
    shards,
    backend: request.backend,
    resources: request.resources,
    node: request.node,
    rbmlab: request.rbmlab,
    environment: environmentKnobs(request.env),
  };
  const scripts = { shard: shardScript(spec), merge: mergeScript(spec) };
  if (status === undefined) return { paths, shards, tasks: Array.from({ length: shards }, (_, i) => i), waiting: [], stale: [], scripts };
  const tasks = shardsToRun(status);
  const waiting = status.shards.filter((s) => s.state !== 'complete' && activeJob(s)).map((s) => s.job as string);
  const mergeWaiting = activeJob(status.merge);
  const stale = mergeWaiting ? [status.merge.job as string] : [];
  let nothing: string | undefined;
  if (status.merge.state === 'complete' && tasks.length === 0) nothing = `${path.join(request.out, 'merged')} already holds the complete merge`;
  else if (tasks.length === 0 && mergeWaiting) {
    nothing = waiting.length > 0 ? `shard tasks ${waiting.join(', ')} are queued or running, and merge job ${status.merge.job} waits for them` : `merge job ${status.merge.job} is queued`;
  }
  return { paths, shards, tasks, waiting, stale: nothing === undefined ? stale : [], ...(nothing !== undefined ? { nothing } : {}), scripts, record: status.record };
}

export interface SubmitOutcome {
  readonly array: string | null;
  readonly merge: string;
  readonly after: readonly string[];
  /** Earlier merge jobs cancelled (they would have run before the new shards). */
  readonly cancelled: readonly string[];
}

/**
 * Writes the scripts and submits what `plan` says: the array of shard tasks, then the merge after
 * it and after the earlier tasks still queued; records both; cancels the stale merge. When a
 * new submission's sbatch fails, what it wrote is removed again (DIR as it was).
 */
export function submit(request: SubmitRequest, plan: SubmitPlan): SubmitOutcome {
  const { paths } = plan;
  const fresh = plan.record === undefined;
  const created = !existsSync(paths.dir);
  makeDirectorySync(paths.logs);
  if (fresh) writeFileAtomicSync(paths.study, JSON.stringify(request.study.file, null, 2) + '\n');
  writeFileAtomicSync(paths.shardScript, plan.scripts.shard);
  writeFileAtomicSync(paths.mergeScript, plan.scripts.merge);
  chmodSync(paths.shardScript, 0o755);
  chmodSync(paths.mergeScript, 0o755);
  let array: string | null = null;
  try {
    if (plan.tasks.length > 0) array = sbatch(sbatchOptions(plan.tasks, []).array, paths.shardScript);
  } catch (err) {
    if (fresh) rmSync(created ? paths.dir : paths.slurm, { recursive: true, force: true });
    throw err;
  }
  const after = [...(array !== null ? [array] : []), ...plan.waiting];
  let merge: string;
  try {
    merge = sbatch(sbatchOptions(plan.tasks, after).merge, paths.mergeScript);
  } catch (err) {
    // shards without their merge would finish into nothing: take them back
    if (array !== null) scancel([array]);
    if (fresh) rmSync(created ? paths.dir : paths.slurm, { recursive: true, force: true });
    throw err;
  }
  const submission: Submission = { submitted: new Date().toISOString(), array, tasks: plan.tasks, merge, after, backend: request.backend, resources: request.resources };
  const record: SubmissionRecord = { format: RECORD_FORMAT, studyFile: path.resolve(request.studyFile), shards: plan.shards, submissions: [...(plan.record?.submissions ?? []), submission] };
  writeFileAtomicSync(paths.record, JSON.stringify(record, null, 2) + '\n');
  scancel(plan.stale);
  return { array, merge, after, cancelled: plan.stale };
}

export class ShardsIncomplete extends Error {
  override readonly name = 'ShardsIncomplete';
}

/**
 * The merge job's work: DIR/shard-* into DIR/merged when every shard is complete. A merge job
 * of an earlier submission (`job`, from SLURM_JOB_ID) that started anyway returns 'superseded'.
 * Incomplete shards throw ShardsIncomplete, naming them and the command that finishes them.
 */
export async function mergeSubmission(dir: string, job?: string): Promise<{ superseded: string } | MergeOutcome> {
  const status = submissionStatus(dir, { queue: false });
  const latest = status.record.submissions.at(-1)?.merge;
  if (job !== undefined && latest !== undefined && job !== latest) return { superseded: latest };
  const unfinished = status.shards.filter((s) => s.state !== 'complete');
  if (unfinished.length > 0) {
    // the shard tasks have ended when the merge job runs, so "running" is a process killed mid-run
    const list = unfinished.map((s) => `${s.shard} (${s.done} of ${s.assigned} trials, ${s.state === 'running' ? 'not finished' : s.state})`).join(', ');
    const logs = shardLogs(dir, unfinished.map((s) => s.shard));
    throw new ShardsIncomplete(`not merged: shard${unfinished.length > 1 ? 's' : ''} ${list} ${unfinished.length > 1 ? 'are' : 'is'} not complete (${logs}); finish with: ${resumeCommand(status.record.studyFile, dir)}`);
  }
  return mergeStudies(
    status.shards.map((s) => s.dir),
    status.paths.merged,
    { plots: true },
  );
}
