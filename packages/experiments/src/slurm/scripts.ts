/**
 * The two job scripts of a SLURM study, written into DIR/slurm by `rbmlab slurm submit`:
 *
 *   shard.sh  one shard per array task: rbmlab run --shard i/N --resume into DIR/shard-i
 *   merge.sh  rbmlab slurm merge DIR: merges the shards into DIR/merged when all are complete
 *
 * sbatch copies a script into its spool directory (/var/spool/slurmd/...) and runs the copy, so
 * nothing may be found relative to the script: node, rbmlab's bin, the study and DIR are all
 * written as absolute paths, those of the node and checkout that ran `submit`. The scripts need
 * nothing from the environment, so they run alike with sbatch's --export=ALL (the default) and
 * --export=NONE; the rbmlab variables that choose what runs (RBMLAB_BACKEND, ...) are written
 * into them from the submitting shell. DIR and the checkout must be on a file system the nodes
 * share, at the same path.
 *
 * The #SBATCH lines hold the resources, so `sbatch --array=1,3 DIR/slurm/shard.sh` by hand does
 * what `submit` does; the command line's options take precedence over them, then SBATCH_*
 * variables of the environment, then these lines.
 */
import * as path from 'node:path';
import type { BackendChoice } from '../backends';

/** The files of a submission directory DIR. */
export interface SubmissionPaths {
  readonly dir: string;
  readonly slurm: string;
  /** The study as submitted: what every shard runs (the user's file may change later). */
  readonly study: string;
  readonly shardScript: string;
  readonly mergeScript: string;
  /** The record of submissions and their job ids (./submission.ts). */
  readonly record: string;
  readonly logs: string;
  readonly merged: string;
  shard(index: number): string;
  shardLog(index: number): string;
  readonly mergeLog: string;
}

export function submissionPaths(dir: string): SubmissionPaths {
  const abs = path.resolve(dir);
  const slurm = path.join(abs, 'slurm');
  const logs = path.join(slurm, 'logs');
  return {
    dir: abs,
    slurm,
    study: path.join(slurm, 'study.json'),
    shardScript: path.join(slurm, 'shard.sh'),
    mergeScript: path.join(slurm, 'merge.sh'),
    record: path.join(slurm, 'submissions.json'),
    logs,
    merged: path.join(abs, 'merged'),
    shard: (index) => path.join(abs, `shard-${index}`),
    shardLog: (index) => path.join(logs, `shard-${index}.log`),
    mergeLog: path.join(logs, 'merge.log'),
  };
}

/** What each array task asks of the scheduler. */
export interface Resources {
  /** Cluster's default partition when absent. */
  readonly partition?: string;
  /** A SLURM time limit (minutes, h:m:s, d-h, ...); the partition's default when absent. */
  readonly time?: string;
  readonly cpus: number;
  /** GPUs per task (--gres=gpu:G), for --backend gpu. */
  readonly gpus?: number;
}

export interface ScriptSpec {
  readonly paths: SubmissionPaths;
  readonly studyName: string;
  /** The study's trials (grid points x trials): its shards run with --max-trials of that. */
  readonly trials: number;
  readonly shards: number;
  readonly backend: BackendChoice;
  readonly resources: Resources;
  /** Absolute paths of the node binary and rbmlab's bin/rbmlab.js that the jobs run. */
  readonly node: string;
  readonly rbmlab: string;
  /** RBMLAB_* variables to set in the jobs (those of ENVIRONMENT_KNOBS set when submitting). */
  readonly environment: Readonly<Record<string, string>>;
}

/**
 * Variables that change what a run computes or on what: the cpu backend (native or reference),
 * its threads, gpu.js's mode. Written into the scripts so that --export=NONE does not lose them.
 */
export const ENVIRONMENT_KNOBS = ['RBMLAB_BACKEND', 'RBMLAB_THREADS', 'RBMLAB_GPU_MODE'] as const;

/** The knobs set in `env`, to write into the scripts. */
export function environmentKnobs(env: Record<string, string | undefined>): Record<string, string> {
  const set: Record<string, string> = {};
  for (const name of ENVIRONMENT_KNOBS) {
    const value = env[name];
    if (value !== undefined && value !== '') set[name] = value;
  }
  return set;
}

/** A word for bash, single-quoted unless it is plainly safe. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A job name from the study's name: SLURM shows it in squeue, so keep it short and plain. */
function jobName(studyName: string): string {
  const plain = studyName.replace(/[^\w.-]+/g, '-').slice(0, 40);
  return `rbmlab-${plain}`;
}

function directives(lines: readonly (string | false | undefined)[]): string {
  return lines
    .filter((l): l is string => typeof l === 'string')
    .map((l) => `#SBATCH ${l}\n`)
    .join('');
}

function exportLines(environment: Readonly<Record<string, string>>): string {
  return Object.entries(environment)
    .map(([name, value]) => `export ${name}=${shellQuote(value)}\n`)
    .join('');
}

/** A line that opens each attempt in the (appended) log. */
const STAMP = '$(date -u +%Y-%m-%dT%H:%M:%SZ) on ${SLURMD_NODENAME:-$(hostname)}';

export function shardScript(spec: ScriptSpec): string {
  const { paths, shards, resources: r } = spec;
  const run = [
    shellQuote(spec.node),
    shellQuote(spec.rbmlab),
    'run',
    shellQuote(paths.study),
    '--out',
    `${shellQuote(paths.dir)}/shard-"$task"`,
    '--shard',
    `"$task/${shards}"`,
    '--resume',
    '--no-plots',
    '--jobs',
    String(r.cpus),
    '--backend',
    spec.backend,
    // submit accepted the study's size (with its own --max-trials, if it needed one)
    '--max-trials',
    String(spec.trials),
  ].join(' ');
  return (
    `#!/bin/bash\n` +
    `# rbmlab slurm: study "${spec.studyName}" in ${shards} shards, one per task of a SLURM job array.\n` +
    `# Written by \`rbmlab slurm submit\` (see that command, or rbmlab's docs/STUDIES.md); it submits\n` +
    `# this with --array=<the shards to run>. Each task resumes what its shard directory holds, so a\n` +
    `# requeued or resubmitted task loses nothing; its log is appended, one file per shard.\n` +
    directives([
      `--job-name=${jobName(spec.studyName)}`,
      `--chdir=${paths.dir}`,
      `--output=${paths.logs}/shard-%a.log`,
      '--open-mode=append',
      '--requeue',
      `--cpus-per-task=${r.cpus}`,
      r.partition !== undefined && `--partition=${r.partition}`,
      r.time !== undefined && `--time=${r.time}`,
      r.gpus !== undefined && `--gres=gpu:${r.gpus}`,
    ]) +
    `set -eu\n` +
    `task="\${SLURM_ARRAY_TASK_ID:?runs as a task of a SLURM job array: sbatch --array=0-${shards - 1} ${shellQuote(paths.shardScript)}}"\n` +
    `echo "=== shard $task of ${shards}: job \${SLURM_ARRAY_JOB_ID}_$task (id \${SLURM_JOB_ID}), restart \${SLURM_RESTART_COUNT:-0}, ${STAMP}"\n` +
    exportLines(spec.environment) +
    `exec ${run}\n`
  );
}

export function mergeScript(spec: ScriptSpec): string {
  const { paths, resources: r } = spec;
  return (
    `#!/bin/bash\n` +
    `# rbmlab slurm: merges the ${spec.shards} shards of study "${spec.studyName}" into ${paths.merged}.\n` +
    `# Written by \`rbmlab slurm submit\`, which submits it to start when every shard task has ended,\n` +
    `# however it ended (--dependency=afterany): it merges only when every shard is complete, and\n` +
    `# otherwise says which are not and how to finish them, so it never waits forever.\n` +
    directives([
      `--job-name=${jobName(spec.studyName)}-merge`,
      `--chdir=${paths.dir}`,
      `--output=${paths.mergeLog}`,
      '--open-mode=append',
      '--cpus-per-task=1',
      r.partition !== undefined && `--partition=${r.partition}`,
      r.time !== undefined && `--time=${r.time}`,
    ]) +
    `set -eu\n` +
    `echo "=== merge: job \${SLURM_JOB_ID:-(not in SLURM)}, ${STAMP}"\n` +
    exportLines(spec.environment) +
    `exec ${shellQuote(spec.node)} ${shellQuote(spec.rbmlab)} slurm merge ${shellQuote(paths.dir)}\n`
  );
}
