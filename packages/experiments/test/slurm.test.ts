/**
 * rbmlab slurm: studies on a SLURM cluster.
 *
 * On a real one-node slurm-wlm cluster (./helpers/slurm), through the documented path and with
 * sbatch's --export=NONE: a study is submitted in 3 shards; one task is cancelled mid-run and
 * another killed with SIGKILL; the merge job then ends without merging and says how to finish;
 * the resubmission runs only what is unfinished, survives a requeue and a cancel mid-run (the
 * stale merge is cancelled), and the merged results.csv and summary.csv equal a single
 * `rbmlab run` byte for byte. GPU shards are granted the GPU they ask for. Before that, without
 * SLURM: every bad flag, study or directory is refused in one line before anything is written.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT_USAGE } from '../src/cli/errors';
import { isActive } from '../src/slurm/queue';
import { expectOneLineError, rbmlab, temporaryDirectory } from './helpers/cli';
import { describeSlurm, type SlurmCluster } from './helpers/slurm';

const tmp = temporaryDirectory('rbmlab-slurm-');
const bin = path.resolve(__dirname, '..', 'bin', 'rbmlab.js');
const read = (file: string) => fs.readFileSync(file, 'utf8');

/** 3 points x 8 trials of about a second each: long enough to be stopped mid-shard (with 1000 sweeps, half a second, a quiet machine's shard 2 sometimes finished before the test's scancel reached it). */
const study = {
  name: 'cluster',
  experiment: 'retrieval',
  seed: 5,
  trials: 8,
  params: { N: 1000, noise: 0.2, sweeps: 2500, temperature: 0.4, model: 'hopfield' },
  grid: { alpha: [0.05, 0.1, 0.15] },
};

/** A family that runs on a backend (--backend gpu), tiny. */
const gpuStudy = { name: 'gpu-shards', experiment: 'teacher-student', seed: 4, trials: 2, params: { N: 10, alpha: 2, epochs: 2 }, grid: { beta: [1.5] } };

/** `rbmlab ...` as a process (the built bin), in the temporary directory, with `env` added. */
function cli(env: NodeJS.ProcessEnv, ...argv: string[]): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [bin, ...argv], { cwd: tmp.file('.'), env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('rbmlab slurm submit: bad flags, studies and directories are one line, exit 2, nothing written', () => {
  let studyFile = '';
  let gpuFile = '';
  beforeAll(() => {
    studyFile = tmp.writeJson('study.json', study);
    gpuFile = tmp.writeJson('gpu.json', gpuStudy);
    fs.mkdirSync(tmp.file('not-empty'));
    fs.writeFileSync(tmp.file('not-empty/notes.txt'), 'mine\n');
  });

  test.each([
    [['--shards', '0'], /--shards must be a positive integer, got "0"/],
    [['--shards', '2.5'], /--shards must be a positive integer, got "2.5"/],
    [[], /--shards N is needed for a new submission/],
    [['--shards', '25'], /--shards 25 is more than the study's 24 trials .*use at most 24/],
    [['--shards', '3', '--time', '1h'], /--time must be a SLURM time limit .*got "1h"/],
    [['--shards', '3', '--partition', 'a b'], /--partition must be a partition name/],
    [['--shards', '3', '--cpus', '0'], /--cpus must be a positive integer/],
    [['--shards', '3', '--gpus', '1'], /--gpus requests GPUs for --backend gpu; add --backend gpu/],
    [['--shards', '3', '--backend', 'tpu'], /unknown --backend "tpu" \(known: cpu, gpu\)/],
    [['--shards', '3', '--wait'], /unknown argument --wait/],
  ])('%j', async (flags, message) => {
    const out = tmp.file('never');
    expectOneLineError(await rbmlab('slurm', 'submit', studyFile, '--out', out, ...flags), EXIT_USAGE, message);
    expect(fs.existsSync(out)).toBe(false);
  });

  test('directories and study files', async () => {
    expectOneLineError(await rbmlab('slurm', 'submit', studyFile, '--out', tmp.file('not-empty'), '--shards', '3'), EXIT_USAGE, /--out .*not-empty: not empty and holds no rbmlab slurm submission/);
    expectOneLineError(await rbmlab('slurm', 'submit', studyFile, '--out', tmp.file('a b'), '--shards', '3'), EXIT_USAGE, /SLURM's #SBATCH lines cannot take a path with spaces/);
    expectOneLineError(await rbmlab('slurm', 'submit', tmp.file('nope.json'), '--out', tmp.file('never'), '--shards', '3'), EXIT_USAGE, /nope\.json: no such file/);
    expectOneLineError(await rbmlab('slurm', 'submit', gpuFile, '--out', tmp.file('never'), '--shards', '1', '--backend', 'gpu', '--gpus', '0'), EXIT_USAGE, /--gpus must be a positive integer/);
    // the runner's check, per point: a family with nothing to run on a device, and a point without a device kernel
    const capacityFile = tmp.writeJson('capacity.json', { name: 'c', experiment: 'dense-capacity', seed: 1, trials: 2, params: { N: 10 }, grid: { p: [2] } });
    expectOneLineError(await rbmlab('slurm', 'submit', capacityFile, '--out', tmp.file('never'), '--shards', '1', '--backend', 'gpu'), EXIT_USAGE, /--backend gpu: the dense-capacity family has nothing to run on a device: /);
    const reluFile = tmp.writeJson('relu.json', { ...study, params: { ...study.params, model: 'rbm', hidden: 'relu' } });
    expectOneLineError(await rbmlab('slurm', 'submit', reluFile, '--out', tmp.file('never'), '--shards', '1', '--backend', 'gpu'), EXIT_USAGE, /--backend gpu: the retrieval family cannot run on the device at alpha=0\.05: model rbm with relu hidden units has no device kernel/);
    expect(fs.existsSync(tmp.file('never'))).toBe(false);
    expectOneLineError(await rbmlab('slurm', 'status', tmp.file('not-empty')), EXIT_USAGE, /^rbmlab slurm status: .*not-empty: no rbmlab slurm submission here/);
    expectOneLineError(await rbmlab('slurm', 'merge', tmp.file('not-empty')), EXIT_USAGE, /^rbmlab slurm merge: .*no rbmlab slurm submission here/);
    expectOneLineError(await rbmlab('slurm'), EXIT_USAGE, /^rbmlab slurm: no slurm command given \(slurm commands: submit, status, merge\)/);
    expectOneLineError(await rbmlab('slurm', 'sumbit'), EXIT_USAGE, /^rbmlab: unknown command "slurm sumbit" \(did you mean slurm submit\?\) \(slurm commands: submit, status, merge\)/);
    expectOneLineError(await rbmlab('slurm', 'submit', '--out', 'x'), EXIT_USAGE, /^rbmlab slurm submit: missing the study file argument \(STUDY\.json\)/);
    expect(fs.existsSync(tmp.file('never'))).toBe(false);
  });

  test('without sbatch on PATH: one line naming it and where to run, exit 2, nothing written', () => {
    const out = tmp.file('no-sbatch');
    fs.mkdirSync(tmp.file('empty-bin'), { recursive: true });
    const run = cli({ PATH: tmp.file('empty-bin') }, 'slurm', 'submit', studyFile, '--out', out, '--shards', '3');
    expectOneLineError({ code: run.code ?? -1, stdout: run.stdout, stderr: run.stderr }, EXIT_USAGE, /^rbmlab slurm submit: sbatch not found on PATH: run this where SLURM's commands are/);
    expect(fs.existsSync(out)).toBe(false);
  });

  test('--dry-run prints the sbatch commands and both scripts, with absolute paths and the resources asked; writes nothing', () => {
    const out = tmp.file('dry');
    const run = cli({ RBMLAB_GPU_MODE: 'webasm' }, 'slurm', 'submit', 'gpu.json', '--out', 'dry', '--shards', '2', '--backend', 'gpu', '--gpus', '2', '--cpus', '3', '--partition', 'gpu', '--time', '0-01:30', '--dry-run');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`sbatch --parsable --array=0-1 ${out}/slurm/shard.sh\n`);
    expect(run.stdout).toContain(`sbatch --parsable --dependency=afterany:<array job> ${out}/slurm/merge.sh\n`);
    for (const line of ['--gres=gpu:2', '--cpus-per-task=3', '--partition=gpu', '--time=0-01:30', `--output=${out}/slurm/logs/shard-%a.log`, '--open-mode=append', '--requeue']) {
      expect(run.stdout).toContain(`#SBATCH ${line}\n`);
    }
    // the knob that chooses gpu.js's mode travels in the script, not in the environment
    expect(run.stdout).toContain('export RBMLAB_GPU_MODE=webasm\n');
    expect(run.stdout).toContain(`exec ${process.execPath} ${bin} run ${out}/slurm/study.json --out ${out}/shard-"$task" --shard "$task/2" --resume --no-plots --jobs 3 --backend gpu --max-trials 2\n`);
    expect(run.stdout).toContain(`exec ${process.execPath} ${bin} slurm merge ${out}\n`);
    expect(fs.existsSync(out)).toBe(false);
  });
});

/** Polls `ready` every 100 ms until it is true; on timeout, fails with `what` and the submission's status. */
async function waitFor(what: string, ready: () => boolean, seconds: number, dir?: string, env?: NodeJS.ProcessEnv): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!ready()) {
    if (Date.now() > deadline) {
      const status = dir !== undefined && env !== undefined ? cli(env, 'slurm', 'status', dir).stdout : '';
      throw new Error(`waited ${seconds} s for ${what}\n${status}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Trials journalled in a shard directory so far. */
function journalled(dir: string, shard: number): number {
  const file = path.join(dir, `shard-${shard}`, 'trials.jsonl');
  return fs.existsSync(file) ? read(file).split('\n').length - 1 : 0;
}

interface Recorded {
  array: string | null;
  tasks: number[];
  merge: string;
  after: string[];
}

const submissions = (dir: string): Recorded[] => JSON.parse(read(path.join(dir, 'slurm', 'submissions.json'))).submissions;

describeSlurm('rbmlab slurm on a one-node slurm-wlm cluster', (cluster: () => SlurmCluster) => {
  const dir = 'cluster';
  let abs = '';
  let reference = { results: '', summary: '' };
  /** The documented commands, with sbatch's --export=NONE from its input variable. */
  const slurm = (...argv: string[]) => cli({ ...cluster().env, SBATCH_EXPORT: 'NONE' }, 'slurm', ...argv);
  const status = () => JSON.parse(slurm('status', dir, '--json').stdout);
  /** A job that will not run again (one slurmctld has forgotten ended long ago). */
  const ended = (job: string) => !isActive(cluster().state(job) ?? 'COMPLETED');

  beforeAll(async () => {
    tmp.writeJson('cluster.json', study);
    abs = tmp.file(dir);
    const single = await rbmlab('run', tmp.file('cluster.json'), '--out', tmp.file('single'), '--no-plots');
    if (single.code !== 0) throw new Error(single.stderr);
    reference = { results: read(tmp.file('single/results.csv')), summary: read(tmp.file('single/summary.csv')) };
  }, 120_000);

  test('submit: a job array of 3 shards and a merge that starts when they have ended', () => {
    const run = slurm('submit', 'cluster.json', '--out', dir, '--shards', '3', '--time', '10');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [first] = submissions(abs);
    expect(run.stdout).toMatch(new RegExp(`^submitted study "cluster": shards 0-2 of 3 as array job ${first.array}; the merge as job ${first.merge}, which starts when job ${first.array} has ended\n`));
    expect(run.stdout).toContain(`follow:  rbmlab slurm status ${dir}\n`);
    expect(run.stdout).toContain(`rbmlab slurm submit cluster.json --out ${dir} --resume\n`);
    expect(first.tasks).toEqual([0, 1, 2]);
    expect(cluster().state(first.merge)).toBe('PENDING');
  });

  test('a task cancelled mid-run and one killed with SIGKILL: the merge job ends without merging and says how to finish', async () => {
    const [{ array, merge }] = submissions(abs);
    await waitFor('shard 1 to journal a trial', () => journalled(abs, 1) >= 1, 90, dir, cluster().env);
    cluster().client('scancel', `${array}_1`);
    await waitFor('shard 2 to journal a trial', () => journalled(abs, 2) >= 1, 90, dir, cluster().env);
    // SIGKILL to the task's processes, as the OOM killer or a crash would: nothing gets to say so
    const job = cluster().client('squeue', '--noheader', '--format=%A', `--jobs=${array}_2`).trim();
    const pids = cluster()
      .client('scontrol', 'listpids', job)
      .split('\n')
      .slice(1)
      .map((l) => Number(l.trim().split(/\s+/)[0]))
      .filter((pid) => pid > 0);
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    await waitFor(`merge job ${merge} to end`, () => ended(merge), 120, dir, cluster().env);
    expect(cluster().state(merge)).toBe('FAILED');
    expect(cluster().state(`${array}_1`)).toBe('CANCELLED');
    expect(cluster().state(`${array}_2`)).toBe('FAILED');
    expect(read(path.join(abs, 'slurm/logs/merge.log'))).toMatch(
      new RegExp(`=== merge: job ${merge}, .*\nrbmlab slurm merge: not merged: shards 1 \\(\\d of 8 trials, interrupted\\), 2 \\(\\d of 8 trials, not finished\\) are not complete \\(${abs}/slurm/logs/shard-1\\.log, shard-2\\.log\\); finish with: rbmlab slurm submit ${tmp.file('cluster.json')} --out ${abs} --resume\n`),
    );
    expect(fs.existsSync(path.join(abs, 'merged'))).toBe(false);
    const now = status();
    expect(now.shards.map((s: { state: string; done: number; assigned: number }) => [s.state, s.done === s.assigned])).toEqual([
      ['complete', true],
      ['interrupted', false],
      ['stopped', false],
    ]);
    expect(now.shards.map((s: { slurm: { state: string } }) => s.slurm.state)).toEqual(['COMPLETED', 'CANCELLED', 'FAILED']);
    expect(now.next).toBe(`shards 1, 2 stopped before finishing (their logs: ${dir}/slurm/logs/shard-1.log, shard-2.log); submit them and the merge again with: rbmlab slurm submit cluster.json --out ${dir} --resume`);
    const table = slurm('status', dir).stdout;
    expect(table).toMatch(new RegExp(`^study "cluster" in ${dir}: 3 shards, \\d+ of 24 trials done\nshard  trials  state +job +slurm\n0 +8/8  complete +${array}_0 +COMPLETED\n`));
  }, 240_000);

  test('submit --resume runs only the unfinished shards; a requeue and a cancel mid-run lose nothing; the merge equals a single rbmlab run byte for byte', async () => {
    const before = [1, 2].map((i) => journalled(abs, i));
    const resumed = slurm('submit', 'cluster.json', '--out', dir, '--resume');
    expect(resumed.code).toBe(0);
    const second = submissions(abs)[1];
    expect(second.tasks).toEqual([1, 2]);
    expect(resumed.stdout).toMatch(new RegExp(`^submitted study "cluster": shards 1-2 of 3 as array job ${second.array}; the merge as job ${second.merge}, which starts when job ${second.array} has ended\n`));
    // submitting again while they are queued or running submits nothing: no shard runs twice
    const again = slurm('submit', 'cluster.json', '--out', dir, '--resume');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^nothing to submit: shard tasks \d+_1, \d+_2 are queued or running, and merge job \d+ waits for them\n/);
    expect(submissions(abs)).toHaveLength(2);

    // a requeue (preemption, node failure, scontrol requeue) of one, a cancel of the other
    await waitFor('resumed shard 1 to journal a trial', () => journalled(abs, 1) > before[0], 90, dir, cluster().env);
    cluster().client('scontrol', 'requeue', `${second.array}_1`);
    await waitFor('resumed shard 2 to journal a trial', () => journalled(abs, 2) > before[1], 90, dir, cluster().env);
    cluster().client('scancel', `${second.array}_2`);
    await waitFor(`task ${second.array}_2 to end`, () => ended(`${second.array}_2`), 60, dir, cluster().env);
    // requeued: COMPLETING while its process stops, then held for cred_expire (10 s here), then
    // RUNNING again; in every one of those states a resubmission must wait for it, not run it twice
    expect(isActive(cluster().state(`${second.array}_1`) ?? 'forgotten')).toBe(true);

    // the third submission: shard 2 again; shard 1's requeued task is waited for, not doubled;
    // the second merge, which would have run without shard 2, is cancelled
    const third = slurm('submit', 'cluster.json', '--out', dir, '--resume');
    expect(third.code).toBe(0);
    const last = submissions(abs)[2];
    // this has failed now and then (2026-12-05: no third submission recorded); say what submit said
    if (last === undefined) throw new Error(`the third submission recorded nothing; submit printed:\n${third.stdout}${third.stderr}`);
    expect(last.tasks).toEqual([2]);
    expect(last.after).toEqual([last.array, `${second.array}_1`]);
    expect(third.stdout).toContain(`cancelled merge job ${second.merge} of the earlier submission`);
    await waitFor(`merge job ${last.merge} to end`, () => ended(last.merge), 180, dir, cluster().env);
    expect(cluster().state(last.merge)).toBe('COMPLETED');
    expect(cluster().state(second.merge)).toBe('CANCELLED');

    expect(read(path.join(abs, 'merged/results.csv'))).toBe(reference.results);
    expect(read(path.join(abs, 'merged/summary.csv'))).toBe(reference.summary);
    const done = status();
    expect(done.merge).toMatchObject({ state: 'complete', done: 24, total: 24 });
    expect(done.next).toMatch(/^done: .*merged holds all 24 trials/);
    // each shard's log keeps every attempt: shard 1 ran as 3 jobs' worth (first, resumed, requeued)
    const log1 = read(path.join(abs, 'slurm/logs/shard-1.log'));
    expect(log1.match(/^=== shard 1 of 3: .*restart \d+/gm)?.map((l) => l.replace(/.*restart /, 'restart '))).toEqual(['restart 0', 'restart 0', 'restart 1']);
    expect(log1).toMatch(/DUE TO JOB REQUEUE/);
    expect(read(path.join(abs, 'slurm/logs/merge.log'))).toMatch(/rbmlab slurm merge: 24 of 24 trials from .* into .*merged\n$/);
    // nothing left queued
    for (const s of submissions(abs)) for (const job of [...(s.array ? [s.array] : []), s.merge]) expect(cluster().client('squeue', '--noheader', '--array', `--jobs=${job}`).trim()).toBe('');
  }, 300_000);

  test('where squeue cannot be run: status shows the trials on disk and says the job states are unknown; --resume refuses', () => {
    fs.mkdirSync(tmp.file('empty-bin'), { recursive: true });
    const run = cli({ PATH: tmp.file('empty-bin') }, 'slurm', 'status', dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^0 +8\/8 +complete +\d+_0 +\?$/m);
    expect(run.stdout).toContain('(job states unknown: squeue not found on PATH');
    const resume = cli({ PATH: tmp.file('empty-bin') }, 'slurm', 'submit', 'cluster.json', '--out', dir, '--resume');
    expectOneLineError({ code: resume.code ?? -1, stdout: resume.stdout, stderr: resume.stderr }, EXIT_USAGE, /--resume needs the state of the earlier jobs, so that no shard runs twice: squeue not found/);
  });

  test('--backend gpu --gpus 1: each task is granted the GPU and runs on the gpu backend; more GPUs than a node has is refused in one line', async () => {
    tmp.writeJson('gpu-shards.json', gpuStudy);
    const refused = cli({ ...cluster().env, SBATCH_EXPORT: 'NONE' }, 'slurm', 'submit', 'gpu-shards.json', '--out', 'gpu-2', '--shards', '2', '--backend', 'gpu', '--gpus', '2');
    expectOneLineError({ code: refused.code ?? -1, stdout: refused.stdout, stderr: refused.stderr }, EXIT_USAGE, /^rbmlab slurm submit: sbatch refused the job: .*Requested node configuration is not available/);
    expect(fs.existsSync(tmp.file('gpu-2'))).toBe(false);

    const run = cli({ ...cluster().env, SBATCH_EXPORT: 'NONE', RBMLAB_GPU_MODE: 'webasm' }, 'slurm', 'submit', 'gpu-shards.json', '--out', 'gpu', '--shards', '2', '--backend', 'gpu', '--gpus', '1');
    expect(run.code).toBe(0);
    const [{ array, merge }] = submissions(tmp.file('gpu'));
    const granted = cluster().client('scontrol', 'show', 'job', `${array}_0`);
    expect(granted).toMatch(/TresPerNode=gres:gpu:1/);
    await waitFor(`merge job ${merge} to end`, () => ended(merge), 120, 'gpu', cluster().env);
    expect(cluster().state(merge)).toBe('COMPLETED');
    for (const shard of [0, 1]) {
      const manifest = JSON.parse(read(tmp.file(`gpu/shard-${shard}/manifest.json`)));
      // RBMLAB_GPU_MODE reached the job through the script, though --export=NONE dropped the environment
      expect(manifest.backendInfo).toMatchObject({ name: 'gpujs-webasm', mode: 'webasm' });
    }
    expect(JSON.parse(read(tmp.file('gpu/merged/manifest.json'))).status).toBe('complete');
  }, 180_000);
});
