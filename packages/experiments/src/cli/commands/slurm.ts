/**
 * Studies on a SLURM cluster (../../slurm):
 *
 *   rbmlab slurm submit STUDY.json --out DIR --shards N [--partition P] [--time T] [--cpus C]
 *                       [--backend cpu|gpu [--gpus G]] [--resume] [--dry-run]
 *   rbmlab slurm status DIR [--json]
 *   rbmlab slurm merge DIR
 *
 * `submit` writes the job scripts into DIR/slurm with the absolute paths of this node and this
 * rbmlab, submits a job array (one shard per task) and a merge job that starts when the tasks
 * have ended, and prints the job ids and what to do next. With --resume it submits the shards
 * that are neither complete nor still queued, and a new merge. `status` shows trials done per
 * shard and the jobs' states; `merge` is what the merge job runs.
 */
import * as path from 'node:path';
import { BACKEND_CHOICES, type BackendChoice } from '../../backends';
import type { JobState } from '../../slurm/queue';
import type { Resources } from '../../slurm/scripts';
import { activeJob, arraySpec, mergeSubmission, planSubmission, resumeCommand, sbatchOptions, shardLogs, shardsToRun, ShardsIncomplete, submissionStatus, submit, type SubmissionStatus } from '../../slurm/submission';
import { BACKEND_FAMILIES, checkBackendFamily } from '../../study/runner';
import { MAX_TRIALS, readStudy } from '../../study/study';
import { summaryTable } from '../../study/summary';
import { choice, positiveInteger } from '../args';
import type { Args, Command, CommandGroup, Io } from '../command';
import { DEFAULTS } from '../defaults';
import { CliError, EXIT_FAILURE, EXIT_OK } from '../errors';
import { positional } from './study';

/** rbmlab's own bin: what the jobs run (this checkout's, by absolute path). */
const RBMLAB_BIN = path.resolve(__dirname, '..', '..', '..', 'bin', 'rbmlab.js');

/** SLURM's time limit formats: minutes, m:s, h:m:s, d-h, d-h:m, d-h:m:s, or no limit. */
const TIME_LIMIT = /^(\d+(:\d+){0,2}|\d+-\d+(:\d+){0,2}|infinite|unlimited)$/i;

function optionalText(flag: string, value: unknown, ok: RegExp, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw new CliError(`--${flag} given ${value.length} times; give it once`);
  const text = String(value);
  if (!ok.test(text)) throw new CliError(`--${flag} must be ${what}, got ${JSON.stringify(text)}`);
  return text;
}

function resources(args: Args, backend: BackendChoice): Resources {
  const partition = optionalText('partition', args.partition, /^[^\s,]+(,[^\s,]+)*$/, 'a partition name (or a comma-separated list)');
  const time = optionalText('time', args.time, TIME_LIMIT, 'a SLURM time limit (minutes, h:mm:ss, d-hh:mm, ...)');
  const cpus = positiveInteger('cpus', args.cpus);
  if (args.gpus !== undefined && backend !== 'gpu') throw new CliError('--gpus requests GPUs for --backend gpu; add --backend gpu, or leave --gpus out');
  const gpus = backend === 'gpu' ? positiveInteger('gpus', args.gpus ?? DEFAULTS.slurm.gpus) : undefined;
  return { ...(partition !== undefined ? { partition } : {}), ...(time !== undefined ? { time } : {}), cpus, ...(gpus !== undefined ? { gpus } : {}) };
}

const submitCommand: Command = {
  name: 'slurm submit',
  command: 'submit <study>',
  usage: 'rbmlab slurm submit STUDY.json --out DIR --shards N [--partition P] [--time T] [--cpus C] [--backend cpu|gpu [--gpus G]] [--resume] [--max-trials N] [--dry-run]',
  describe: 'Submit a study as a SLURM job array (one shard per task) and a merge job; --resume submits what is unfinished',
  builder: (y) =>
    y
      .positional('study', { describe: 'study file (JSON: name, experiment, seed, trials, params, grid)', type: 'string' })
      .option('out', { describe: 'directory on a file system the nodes share: DIR/shard-i, DIR/merged, DIR/slurm (scripts, logs, job ids)', demandOption: true, requiresArg: true })
      .option('shards', { describe: 'array tasks sharing the trials (shard i runs trials k with k mod N = i); needed for a new submission', requiresArg: true })
      .option('partition', { describe: "partition for the jobs (the cluster's default if not given)", requiresArg: true })
      .option('time', { describe: "time limit of each job, SLURM's format: minutes, h:mm:ss, d-hh:mm (the partition's default if not given)", requiresArg: true })
      .option('cpus', { describe: 'CPUs per shard task; the shard runs that many trials at once (rbmlab run --jobs)', default: DEFAULTS.slurm.cpus, requiresArg: true })
      .option('backend', { describe: `cpu, or gpu (gpu.js kernels; families ${BACKEND_FAMILIES.join(', ')})`, default: 'cpu', requiresArg: true })
      .option('gpus', { describe: `GPUs per shard task with --backend gpu (--gres=gpu:G); ${DEFAULTS.slurm.gpus} if not given`, requiresArg: true })
      .option('resume', { describe: 'DIR holds an earlier submission: submit its shards that are neither complete nor queued, and a new merge', type: 'boolean', default: false })
      .option('max-trials', { describe: `refuse a study of more trials than this (default ${MAX_TRIALS.toLocaleString('en-US')})`, requiresArg: true })
      .option('dry-run', { describe: 'print the job scripts and the sbatch commands; write and submit nothing', type: 'boolean', default: false }),

  async run(args: Args, io: Io): Promise<number> {
    const studyFile = positional('STUDY.json', args.study, 'study file');
    const out = positional('DIR', typeof args.out === 'string' ? args.out : undefined, '--out');
    const shards = args.shards === undefined ? undefined : positiveInteger('shards', args.shards);
    const backend = choice('backend', args.backend, BACKEND_CHOICES) as BackendChoice;
    const wanted = resources(args, backend);
    const study = readStudy(studyFile, { maxTrials: args['max-trials'] === undefined ? MAX_TRIALS : positiveInteger('max-trials', args['max-trials']) });
    checkBackendFamily(study, backend);
    const request = { studyFile, study, out, shards, resume: args.resume === true, backend, resources: wanted, node: process.execPath, rbmlab: RBMLAB_BIN, env: process.env };
    const plan = planSubmission(request);
    const { paths } = plan;
    if (args['dry-run'] === true) {
      const options = sbatchOptions(plan.tasks, [...(plan.tasks.length > 0 ? ['<array job>'] : []), ...plan.waiting]);
      const array = plan.tasks.length > 0 ? `${['sbatch', '--parsable', ...options.array, paths.shardScript].join(' ')}\n` : '';
      const merge = `${['sbatch', '--parsable', ...options.merge, paths.mergeScript].join(' ')}\n`;
      io.stdout(plan.nothing !== undefined ? `# nothing to submit: ${plan.nothing}\n` : `${array}${merge}${plan.stale.length > 0 ? `scancel ${plan.stale.join(' ')}\n` : ''}`);
      io.stdout(`\n# ${paths.shardScript}\n${plan.scripts.shard}\n# ${paths.mergeScript}\n${plan.scripts.merge}`);
      return EXIT_OK;
    }
    if (plan.nothing !== undefined) {
      io.stdout(`nothing to submit: ${plan.nothing}\n  follow: rbmlab slurm status ${out}\n`);
      return EXIT_OK;
    }
    const done = submit(request, plan);
    const shardsPart = done.array !== null ? `shard${plan.tasks.length > 1 ? 's' : ''} ${arraySpec(plan.tasks)} of ${plan.shards} as array job ${done.array}` : 'no shards (each is complete or still queued)';
    const after = done.after.length > 0 ? `, which starts when job${done.after.length > 1 ? 's' : ''} ${done.after.join(', ')} ${done.after.length > 1 ? 'have' : 'has'} ended` : '';
    const logs = path.join(out, 'slurm', 'logs');
    io.stdout(
      `submitted study "${study.file.name}": ${shardsPart}; the merge as job ${done.merge}${after}\n` +
        (done.cancelled.length > 0 ? `  cancelled merge job ${done.cancelled.join(', ')} of the earlier submission (it would have merged without these shards)\n` : '') +
        `  follow:  rbmlab slurm status ${out}\n` +
        `  logs:    ${path.join(logs, 'shard-<i>.log')} (one per shard, appended on requeue), ${path.join(logs, 'merge.log')}\n` +
        `  results: ${path.join(out, 'merged')} (results.csv, summary.csv, plots)\n` +
        `  if a task fails, is cancelled or runs out of time: ${resumeCommand(path.resolve(studyFile), out)}\n`,
    );
    return EXIT_OK;
  },
};

function slurmState(s: { slurm?: JobState; job?: string }, queue: true | string): string {
  if (s.job === undefined) return '-';
  if (s.slurm === undefined) return queue === true ? 'ended (forgotten by slurmctld)' : '?';
  return s.slurm.state === 'PENDING' && s.slurm.reason !== 'None' ? `PENDING (${s.slurm.reason})` : s.slurm.state;
}

/** One line: what to do now. */
export function nextStep(status: SubmissionStatus, dir: string): string {
  const { merge, record, queue } = status;
  const resume = resumeCommand(record.studyFile, dir);
  if (merge.state === 'complete') return `done: ${path.join(dir, 'merged')} holds all ${merge.total} trials (results.csv, summary.csv, plots)`;
  if (queue !== true) return `job states unknown (${queue}); where squeue runs, ${resume} submits what is neither complete nor queued`;
  const stopped = shardsToRun(status);
  const mergeWaits = activeJob(merge);
  if (stopped.length > 0) {
    const which = `shard${stopped.length > 1 ? 's' : ''} ${stopped.join(', ')}`;
    const why = `${stopped.length > 1 ? 'their logs' : 'its log'}: ${shardLogs(dir, stopped)}`;
    return `${which} stopped before finishing (${why}${mergeWaits ? `; merge job ${merge.job} will say so and not merge` : ''}); submit ${stopped.length > 1 ? 'them' : 'it'} and the merge again with: ${resume}`;
  }
  const running = status.shards.filter((s) => s.state !== 'complete').map((s) => s.job);
  if (mergeWaits) return running.length > 0 ? `waiting: merge job ${merge.job} starts when ${running.join(', ')} end` : `merging: job ${merge.job} is ${merge.slurm?.state}`;
  return `every shard is complete but not merged (merge job ${merge.job ?? '-'}: ${slurmState(merge, queue)}); ${resume} submits the merge`;
}

const statusCommand: Command = {
  name: 'slurm status',
  command: 'status <dir>',
  usage: 'rbmlab slurm status DIR [--json]',
  describe: 'Show trials done per shard, the jobs of a SLURM submission and what to do next',
  builder: (y) =>
    y
      .positional('dir', { describe: 'the --out directory of rbmlab slurm submit', type: 'string' })
      .option('json', { describe: 'print one JSON object {"study", "trials", "shards", "merge", "queue", "next"}', type: 'boolean', default: false }),
  async run(args: Args, io: Io): Promise<number> {
    const dir = positional('DIR', args.dir, 'submission directory');
    const status = submissionStatus(dir);
    const next = nextStep(status, dir);
    const done = status.shards.reduce((a, s) => a + s.done, 0);
    const total = status.merge.total;
    if (args.json === true) {
      const shards = status.shards.map(({ shard, done, assigned, state, job, slurm }) => ({ shard, done, assigned, state, job: job ?? null, slurm: slurm ?? null }));
      const { done: mergedDone, state, job, slurm } = status.merge;
      const merge = { done: mergedDone, total, state, job: job ?? null, slurm: slurm ?? null };
      io.stdout(JSON.stringify({ study: status.study.file.name, trials: { done, total }, shards, merge, queue: status.queue, next }) + '\n');
      return EXIT_OK;
    }
    const rows = [
      ['shard', 'trials', 'state', 'job', 'slurm'],
      ...status.shards.map((s) => [String(s.shard), `${s.done}/${s.assigned}`, s.state, s.job ?? '-', slurmState(s, status.queue)]),
      ['merge', `${status.merge.done}/${total}`, status.merge.state, status.merge.job ?? '-', slurmState(status.merge, status.queue)],
    ];
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    const table = rows.map((r) => r.map((cell, c) => (c === 1 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd()).join('\n');
    const note = status.queue === true ? '' : `(job states unknown: ${status.queue})\n`;
    io.stdout(`study "${status.study.file.name}" in ${dir}: ${status.shards.length} shards, ${done} of ${total} trials done\n${table}\n${note}next: ${next}\n`);
    return EXIT_OK;
  },
};

const mergeCommand: Command = {
  name: 'slurm merge',
  command: 'merge <dir>',
  usage: 'rbmlab slurm merge DIR',
  describe: "Merge a submission's shards into DIR/merged when every shard is complete (what the merge job runs)",
  builder: (y) => y.positional('dir', { describe: 'the --out directory of rbmlab slurm submit', type: 'string' }),
  async run(args: Args, io: Io): Promise<number> {
    const dir = positional('DIR', args.dir, 'submission directory');
    const job = process.env.SLURM_JOB_ID;
    let outcome: Awaited<ReturnType<typeof mergeSubmission>>;
    try {
      outcome = await mergeSubmission(dir, job);
    } catch (err) {
      if (err instanceof ShardsIncomplete) throw new CliError(err.message, EXIT_FAILURE);
      throw err;
    }
    if ('superseded' in outcome) {
      io.stderr(`rbmlab slurm merge: job ${job} belongs to an earlier submission; merge job ${outcome.superseded} replaces it: nothing to do\n`);
      return EXIT_OK;
    }
    io.stdout(summaryTable(outcome.study, outcome.layout, outcome.summary));
    io.stderr(`rbmlab slurm merge: ${outcome.done} of ${outcome.total} trials from ${dir}/shard-* into ${outcome.dir}\n`);
    return EXIT_OK;
  },
};

export const slurmCommands: CommandGroup = {
  name: 'slurm',
  describe: 'Run a study on a SLURM cluster: a job array of shards and a merge (submit, status, merge)',
  commands: [submitCommand, statusCommand, mergeCommand],
};
