/**
 * Studies from the command line:
 *
 *   rbmlab run STUDY.json --out DIR [--resume] [--shard i/n] [--jobs J] [--backend cpu|gpu] [--no-plots]
 *   rbmlab report DIR [--no-plots]
 *   rbmlab merge DIR... --out DIR [--no-plots]
 *   rbmlab list [--json]
 *
 * `run` shows a progress bar on a terminal (trials done of the total, ETA, the current grid
 * point) and plain lines otherwise; on Ctrl-C it stops after the trial in flight (a second
 * Ctrl-C stops at once; nothing written is lost either way) and says how to resume. Each prints
 * the summary table on stdout when the study is done.
 */
import { BACKEND_CHOICES, backendLine, type BackendChoice } from '../../backends';
import { choice, filePath, positiveInteger } from '../args';
import type { Args, Command, Io } from '../command';
import { DEFAULTS } from '../defaults';
import { CliError, EXIT_FAILURE, EXIT_OK } from '../errors';
import { createProgress } from '../progress';
import { experiments as allExperiments } from '../../families';
import { loadPlugin } from '../../study/plugins';
import * as nodePath from 'node:path';
import { runsOnBackend, type Experiment } from '../../study/experiment';
import type { Shard } from '../../study/manifest';
import { mergeStudies, reportStudy } from '../../study/merge';
import { runStudy, StudyInterrupted, TrialError } from '../../study/runner';
import { formatPoint, MAX_TRIALS, readStudy } from '../../study/study';
import { summaryTable } from '../../study/summary';

/** Exit code of a run stopped by SIGINT (128 + 2, as shells report it). */
export const EXIT_INTERRUPTED = 130;

function parseShard(value: unknown): Shard | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!(count >= 1 && index >= 0 && index < count)) throw new CliError(`--shard must be i/n with 0 <= i < n, got ${JSON.stringify(text)}`);
  return { index, count };
}

/** A positional argument or path flag that must be given, non-empty. */
export function positional(name: string, value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new CliError(`missing the ${what} argument (${name})`);
  return value;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export const runCommand: Command = {
  name: 'run',
  command: 'run <study>',
  usage: 'rbmlab run STUDY.json --out DIR [--resume] [--shard i/n] [--jobs J] [--backend cpu|gpu] [--no-plots] [--max-trials N]',
  describe: 'Run a study: every grid point x trial, seeded, into DIR (results.csv, summary.csv, manifest.json, plots)',
  builder: (y) =>
    y
      .positional('study', { describe: 'study file (JSON: name, experiment, seed, trials, params, grid)', type: 'string' })
      .option('out', { describe: 'directory for results.csv, summary.csv, manifest.json and plots', demandOption: true, requiresArg: true })
      .option('resume', { describe: 'continue the study already in DIR (the trials it holds are kept)', type: 'boolean', default: false })
      .option('shard', { describe: 'run only shard i of n (0 <= i < n): trials k with k mod n = i; combine with rbmlab merge', requiresArg: true })
      .option('jobs', { describe: 'worker threads running trials in parallel', default: DEFAULTS.run.jobs, requiresArg: true })
      .option('backend', { describe: 'cpu, or gpu (gpu.js kernels; mode from RBMLAB_GPU_MODE, default best); recorded in manifest.json', default: 'cpu', requiresArg: true })
      .option('plots', { describe: 'render plots (--no-plots to skip)', type: 'boolean', default: true })
      .option('max-trials', { describe: `refuse a study of more trials than this (default ${MAX_TRIALS.toLocaleString('en-US')})`, requiresArg: true }),

  async run(args: Args, io: Io): Promise<number> {
    const file = positional('STUDY.json', args.study, 'study file');
    const out = positional('DIR', typeof args.out === 'string' ? args.out : undefined, '--out');
    const jobs = positiveInteger('jobs', args.jobs);
    const shard = parseShard(args.shard);
    const backend = choice('backend', args.backend, BACKEND_CHOICES) as BackendChoice;
    const study = readStudy(file, { maxTrials: args['max-trials'] === undefined ? MAX_TRIALS : positiveInteger('max-trials', args['max-trials']) });
    const controller = new AbortController();
    const release = io.onInterrupt?.(() => controller.abort());
    let progress: ReturnType<typeof createProgress> | undefined;
    let started = 0;
    let firstDone = 0;
    let lastLine = 0;
    const label = `run ${study.file.name}${shard ? ` (shard ${shard.index}/${shard.count})` : ''}`;
    try {
      const outcome = await runStudy({
        study,
        out,
        resume: args.resume === true,
        shard,
        jobs,
        backend,
        plots: args.plots !== false,
        signal: controller.signal,
        onStart: ({ done, assigned, total, backend: selected }) => {
          // the size of the work, before any of it: points x trials (and this shard's share)
          const points = study.points.length;
          const share = shard ? `; shard ${shard.index}/${shard.count} runs ${assigned.toLocaleString('en-US')}` : '';
          io.stderr(`rbmlab run: study "${study.file.name}": ${total.toLocaleString('en-US')} trial${total === 1 ? '' : 's'} (${points.toLocaleString('en-US')} grid point${points === 1 ? '' : 's'} x ${study.file.trials} trial${study.file.trials === 1 ? '' : 's'})${share}\n`);
          const line = backendLine(selected);
          if (line !== null) io.stderr(line);
          started = performance.now();
          firstDone = done;
          progress = createProgress(io, label, 'trial', assigned, done);
          if (done > 0) io.stderr(`rbmlab run: resuming ${out}: ${done} of ${assigned} trials already done\n`);
        },
        onTrial: ({ done, assigned, point }) => {
          const now = performance.now();
          // plain lines (logs) at most every 2 s, and the last one
          if (io.isTTY !== true && done < assigned && now - lastLine < 2000) return;
          lastLine = now;
          const rate = (done - firstDone) / ((now - started) / 1000);
          progress?.update(done, { eta: duration((assigned - done) / rate), point: formatPoint(point.values) });
        },
      });
      progress?.stop();
      io.stdout(summaryTable(outcome.study, outcome.layout, outcome.summary));
      io.stderr(`rbmlab run: ${outcome.done} of ${outcome.assigned} trials in ${out} (ran ${outcome.ran} now): results.csv, summary.csv, manifest.json${outcome.plots.length ? `, ${outcome.plots.length} plots` : ''}\n`);
      return EXIT_OK;
    } catch (err) {
      progress?.stop();
      if (err instanceof StudyInterrupted) {
        io.stderr(`rbmlab run: interrupted after ${err.done} of ${err.assigned} trials; continue with: rbmlab run ${file} --out ${out} --resume${shard ? ` --shard ${shard.index}/${shard.count}` : ''}\n`);
        return EXIT_INTERRUPTED;
      }
      if (err instanceof TrialError) throw new CliError(`${err.message} (finished trials are kept; fix and --resume)`, EXIT_FAILURE);
      throw err;
    } finally {
      release?.();
    }
  },
};

export const reportCommand: Command = {
  name: 'report',
  command: 'report <dir>',
  usage: 'rbmlab report DIR [--no-plots]',
  describe: "Render a study directory's summary.csv and plots again from its results, and print the summary",
  builder: (y) =>
    y
      .positional('dir', { describe: 'a study directory written by rbmlab run or merge', type: 'string' })
      .option('plots', { describe: 'render plots (--no-plots to skip)', type: 'boolean', default: true }),
  async run(args: Args, io: Io): Promise<number> {
    const dir = positional('DIR', args.dir, 'study directory');
    const report = await reportStudy(dir, { plots: args.plots !== false });
    io.stdout(summaryTable(report.study, report.layout, report.summary));
    io.stderr(`rbmlab report: ${report.done} of ${report.total} trials (${report.manifest.status}); wrote summary.csv${args.plots !== false ? ' and plots' : ''} in ${dir}\n`);
    return EXIT_OK;
  },
};

export const mergeCommand: Command = {
  name: 'merge',
  command: 'merge <dirs..>',
  usage: 'rbmlab merge DIR... --out DIR [--no-plots]',
  describe: 'Combine directories of the same study (shards, other machines) into one',
  builder: (y) =>
    y
      .positional('dirs', { describe: 'study directories of one study', type: 'string', array: true, default: undefined })
      .option('out', { describe: 'directory for the merged study (new, empty, or an earlier merge of it)', demandOption: true, requiresArg: true })
      .option('plots', { describe: 'render plots (--no-plots to skip)', type: 'boolean', default: true }),
  async run(args: Args, io: Io): Promise<number> {
    const dirs = (Array.isArray(args.dirs) ? args.dirs : [args.dirs]).map((d) => positional('DIR', d === undefined ? undefined : String(d), 'study directory'));
    const out = positional('DIR', typeof args.out === 'string' ? args.out : undefined, '--out');
    const merged = await mergeStudies(dirs, out, { plots: args.plots !== false });
    io.stdout(summaryTable(merged.study, merged.layout, merged.summary));
    const missing = merged.total - merged.done;
    io.stderr(`rbmlab merge: ${merged.done} of ${merged.total} trials from ${dirs.length} directories into ${out}${missing > 0 ? `; ${missing} trials are missing (a shard not run or not finished?)` : ''}\n`);
    return EXIT_OK;
  },
};

function describeDefault(experiment: Experiment, name: string): string {
  const spec = experiment.params[name];
  if (spec.default !== undefined) return JSON.stringify(spec.default);
  return spec.required ? '(required)' : '(optional)';
}

/** Whether a family runs on --backend gpu, for `rbmlab list`: yes, at some points, or no and why. */
function gpuSupport(experiment: Experiment): string {
  if (typeof experiment.usesBackend === 'function') return 'yes, at the points its device supports (run refuses any other, naming why)';
  if (runsOnBackend(experiment)) return 'yes';
  return `no (${experiment.noBackendReason ?? 'it runs its own loops, not backend kernels'})`;
}

export const listCommand: Command = {
  name: 'list',
  command: 'list',
  usage: 'rbmlab list [--json] [--plugin FILE]',
  describe: 'List the experiments a study can run, with their parameters, defaults and meaning',
  builder: (y) =>
    y
      .option('json', { describe: 'print one JSON object {"experiments": [...]}', type: 'boolean', default: false })
      .option('plugin', { describe: 'also list the families of this module (a family of your own; see docs/STUDIES.md)', requiresArg: true }),
  async run(args: Args, io: Io): Promise<number> {
    if (args.plugin !== undefined) loadPlugin(nodePath.resolve(filePath('plugin', args.plugin)));
    if (args.json === true) {
      const experiments = allExperiments().map((e) => ({
        name: e.name,
        describe: e.describe,
        params: Object.entries(e.params).map(([name, spec]) => ({ name, ...spec })),
        ...(e.series ? { series: e.series } : {}),
        gpu: gpuSupport(e),
      }));
      io.stdout(JSON.stringify({ experiments }) + '\n');
      return EXIT_OK;
    }
    const blocks = allExperiments().map((e) => {
      const names = Object.keys(e.params);
      const width = Math.max(...names.map((n) => n.length));
      const defaults = names.map((n) => describeDefault(e, n));
      const dWidth = Math.max(...defaults.map((d) => d.length));
      const lines = names.map((n, i) => {
        const spec = e.params[n];
        const type = spec.choices ? spec.choices.join('|') : spec.type;
        return `  ${n.padEnd(width)}  ${defaults[i].padEnd(dWidth)}  ${spec.describe} [${type}]`;
      });
      return `${e.name}: ${e.describe}${e.series ? ` (one row per ${e.series})` : ''}\n  --backend gpu: ${gpuSupport(e)}\n${lines.join('\n')}\n`;
    });
    io.stdout(blocks.join('\n'));
    return EXIT_OK;
  },
};
