/**
 * Issue 16: the failures an adversarial user found, each held fixed. Nothing lost (report never
 * replaces a summary it cannot rebuild; a kill at any moment leaves a directory --resume
 * continues, with no stale temporary files; a refused merge leaves nothing), nothing hangs
 * (outputs that can never be written are refused before any work; enormous studies are refused
 * before their grid is built), one process at a time on a study directory (a lock that a killed
 * process does not leave stuck), and every refusal is one line naming the file, field or flag.
 *
 * Processes are real where the case is about processes (a second `rbmlab run` while one runs, a
 * lock left by a process that was killed); places that can never be written are real too (/proc,
 * a dangling symbolic link, a file where a directory should be).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT_USAGE } from '../src/cli/errors';
import { systemErrorLine } from '../src/cli/system-errors';
import { LOCK_FILE } from '../src/study/lock';
import { expectOneLineError, rbmlab, temporaryDirectory } from './helpers/cli';

const tmp = temporaryDirectory('rbmlab-adversarial-');
const bin = path.resolve(__dirname, '..', 'bin', 'rbmlab.js');
const read = (file: string) => fs.readFileSync(file, 'utf8');

/** 2 points x 3 trials of the cheap retrieval family. */
const small = {
  name: 'small',
  experiment: 'retrieval',
  seed: 5,
  trials: 3,
  params: { N: 40, noise: 0.2, sweeps: 5, temperature: 0.5 },
  grid: { alpha: [0.05, 0.2] },
};

/** A few seconds of work, to be in the middle of when a second process comes. */
const slow = { ...small, name: 'slow', trials: 4, params: { N: 1000, noise: 0.2, sweeps: 300, temperature: 0.4 }, grid: { alpha: [0.05, 0.1, 0.15] } };

async function runOk(...argv: string[]): Promise<void> {
  const run = await rbmlab(...argv);
  if (run.code !== 0) throw new Error(`rbmlab ${argv.join(' ')} exited ${run.code}: ${run.stderr}`);
}

/** The pid of a process that has exited (so certainly not running now). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

/** Every file of a directory with its bytes: to show a refusal changed nothing. */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(
    fs
      .readdirSync(dir)
      .sort()
      .map((name) => [name, fs.readFileSync(path.join(dir, name)).toString('base64')]),
  );
}

let smallFile = '';
let reference = '';

beforeAll(async () => {
  smallFile = tmp.writeJson('small.json', small);
  await runOk('run', smallFile, '--out', tmp.file('reference'), '--no-plots');
  reference = read(tmp.file('reference/results.csv'));
});

describe('rbmlab report never replaces a summary it cannot rebuild', () => {
  test('results.csv missing: refused in one line, summary.csv untouched', async () => {
    const dir = tmp.file('report-missing');
    fs.cpSync(tmp.file('reference'), dir, { recursive: true });
    fs.rmSync(path.join(dir, 'results.csv'));
    const before = snapshot(dir);
    expectOneLineError(await rbmlab('report', dir, '--no-plots'), EXIT_USAGE, /results\.csv is missing \(manifest\.json records 6 finished trials\); nothing rebuilt, summary\.csv and the plots are left as they are/);
    expect(snapshot(dir)).toEqual(before);
  });

  test('results.csv cut short (fewer trials than the manifest records): refused, nothing changed', async () => {
    const dir = tmp.file('report-short');
    fs.cpSync(tmp.file('reference'), dir, { recursive: true });
    const lines = read(path.join(dir, 'results.csv')).split('\n');
    fs.writeFileSync(path.join(dir, 'results.csv'), lines.slice(0, 3).join('\n') + '\n');
    const before = snapshot(dir);
    expectOneLineError(await rbmlab('report', dir, '--no-plots'), EXIT_USAGE, /results\.csv holds \d finished trials, but manifest\.json records 6/);
    expect(snapshot(dir)).toEqual(before);
  });

  test('a whole directory is reported as before', async () => {
    const dir = tmp.file('report-whole');
    fs.cpSync(tmp.file('reference'), dir, { recursive: true });
    const summary = read(path.join(dir, 'summary.csv'));
    fs.rmSync(path.join(dir, 'summary.csv'));
    await runOk('report', dir, '--no-plots');
    expect(read(path.join(dir, 'summary.csv'))).toBe(summary);
  });
});

describe('a kill at any moment leaves a directory that --resume continues, with no stale temporary files', () => {
  test('killed before its manifest was written (results.csv and an empty journal, as rbmlab 0.1 left it): run and --resume both start it', async () => {
    for (const flags of [[], ['--resume']]) {
      const dir = tmp.file(`early-kill${flags.length}`);
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'results.csv'), reference.split('\n')[0] + '\n');
      fs.writeFileSync(path.join(dir, 'trials.jsonl'), '');
      fs.writeFileSync(path.join(dir, `.manifest.json.${deadPid()}.1.tmp`), '{"format": "rbmlab.study-');
      await runOk('run', smallFile, '--out', dir, '--no-plots', ...flags);
      expect(read(path.join(dir, 'results.csv'))).toBe(reference);
      expect(fs.readdirSync(dir).filter((name) => name.startsWith('.'))).toEqual([]);
    }
  });

  test('a directory holding only the temporary file of a killed write is taken as new', async () => {
    const dir = tmp.file('only-tmp');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, `.results.csv.${deadPid()}.3.tmp`), 'alpha,');
    await runOk('run', smallFile, '--out', dir, '--no-plots');
    expect(read(path.join(dir, 'results.csv'))).toBe(reference);
    expect(fs.readdirSync(dir).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  test('temporary files and the lock of a killed run are removed by --resume; nothing else is', async () => {
    const dir = tmp.file('stale');
    fs.cpSync(tmp.file('reference'), dir, { recursive: true });
    const pid = deadPid();
    for (const name of [`.results.csv.${pid}.7.tmp`, `.trials.jsonl.${pid}.8.tmp`, `.manifest.json.${pid}.9.tmp`, `.summary.csv.${pid}.2.tmp`]) fs.writeFileSync(path.join(dir, name), 'torn');
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid, host: require('node:os').hostname(), started: '2026-01-01T00:00:00.000Z' }));
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    await runOk('run', smallFile, '--out', dir, '--resume', '--no-plots');
    expect(fs.readdirSync(dir).filter((name) => name.startsWith('.'))).toEqual([]);
    expect(read(path.join(dir, 'notes.txt'))).toBe('mine');
    expect(read(path.join(dir, 'results.csv'))).toBe(reference);
  });

  test('a directory with files of its own and no manifest is still refused, untouched', async () => {
    const dir = tmp.file('foreign');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'results.csv'), 'x\n');
    fs.writeFileSync(path.join(dir, 'data.csv'), '1,2\n');
    const before = snapshot(dir);
    expectOneLineError(await rbmlab('run', smallFile, '--out', dir, '--resume'), EXIT_USAGE, /not empty and holds no study \(no manifest\.json\)/);
    expect(snapshot(dir)).toEqual(before);
  });
});

describe('one process at a time on a study directory', () => {
  test('a second rbmlab run --resume while one runs is refused in one line naming the process; the first finishes as if alone', async () => {
    const file = tmp.writeJson('slow.json', slow);
    const dir = tmp.file('busy');
    const first = spawn(process.execPath, [bin, 'run', file, '--out', dir, '--no-plots'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => first.on('exit', (code) => resolve(code)));
    // wait until it holds the lock and has finished a trial
    for (let i = 0; i < 500 && !(fs.existsSync(path.join(dir, 'trials.jsonl')) && read(path.join(dir, 'trials.jsonl')).length > 0); i++) await new Promise((r) => setTimeout(r, 20));
    const second = await rbmlab('run', file, '--out', dir, '--resume', '--no-plots');
    expectOneLineError(second, EXIT_USAGE, new RegExp(`--out .*busy: in use by another rbmlab process \\(pid ${first.pid}, since .*\\); wait for it to finish or stop it`));
    expect(await exited).toBe(0);
    const rows = read(path.join(dir, 'results.csv')).trimEnd().split('\n');
    expect(rows).toHaveLength(1 + 12);
    expect(new Set(rows).size).toBe(rows.length);
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  }, 60_000);

  test('a lock held by a live process refuses; once that process is killed, the lock is stale and --resume goes on', async () => {
    const dir = tmp.file('held');
    fs.cpSync(tmp.file('reference'), dir, { recursive: true });
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    const stat = read(`/proc/${holder.pid}/stat`);
    const procStart = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: holder.pid, host: require('node:os').hostname(), started: '2026-12-01T00:00:00.000Z', procStart }));
    const before = snapshot(dir);
    expectOneLineError(await rbmlab('run', smallFile, '--out', dir, '--resume', '--no-plots'), EXIT_USAGE, new RegExp(`in use by another rbmlab process \\(pid ${holder.pid}, since 2026-12-01`));
    expectOneLineError(await rbmlab('run', smallFile, '--out', dir, '--no-plots'), EXIT_USAGE, /in use by another rbmlab process/);
    expect(snapshot(dir)).toEqual(before);
    const gone = new Promise((resolve) => holder.on('exit', resolve));
    holder.kill('SIGKILL');
    await gone;
    await runOk('run', smallFile, '--out', dir, '--resume', '--no-plots');
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });

  test('a lock whose pid now belongs to another process (started later) is stale', async () => {
    const dir = tmp.file('recycled');
    fs.cpSync(tmp.file('reference'), dir, { recursive: true });
    // this test process is alive, but was not the one that took the lock: its start time differs
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: process.pid, host: require('node:os').hostname(), started: '2026-01-01T00:00:00.000Z', procStart: '1' }));
    await runOk('run', smallFile, '--out', dir, '--resume', '--no-plots');
  });
});

describe('rbmlab merge: a refused merge leaves nothing behind', () => {
  test('conflicting trials: one line, no --out directory made', async () => {
    const other = tmp.file('conflicting');
    fs.cpSync(tmp.file('reference'), other, { recursive: true });
    const lines = read(path.join(other, 'results.csv')).split('\n');
    const cells = lines[1].split(',');
    cells[cells.length - 1] = String(Number(cells[cells.length - 1]) + 0.5);
    lines[1] = cells.join(',');
    fs.writeFileSync(path.join(other, 'results.csv'), lines.join('\n'));
    const out = tmp.file('merged-conflict');
    expectOneLineError(await rbmlab('merge', tmp.file('reference'), other, '--out', out), EXIT_USAGE, /conflicting: trial 0 of grid point 0 differs from the same trial in another directory/);
    expect(fs.existsSync(out)).toBe(false);
  });

  test('--out naming a file, or under a dangling symbolic link: one line, nothing written', async () => {
    const file = tmp.writeJson('a-file.json', {});
    expectOneLineError(await rbmlab('merge', tmp.file('reference'), '--out', file), EXIT_USAGE, /--out .*a-file\.json: is a file, not a directory/);
    expect(read(file)).toBe('{}');
    fs.symlinkSync('/nonexistent-rbmlab/dir', tmp.file('dangling'));
    expectOneLineError(await rbmlab('merge', tmp.file('reference'), '--out', path.join(tmp.file('dangling'), 'm')), EXIT_USAGE, /a symbolic link whose target does not exist/);
  });
});

describe('outputs that can never be written are refused at once, before any work', () => {
  let model = '';
  let data = '';
  beforeAll(() => {
    data = tmp.file('bits.csv');
    fs.writeFileSync(data, '0,1,1\n1,0,1\n1,1,0\n0,0,1\n');
    model = tmp.writeJson('tiny-model.json', {
      format: 'rbmlab.rbm/1',
      visible: { type: 'bernoulli', size: 3, bias: [0, 0.1, -0.1] },
      hidden: { type: 'bernoulli', size: 2, bias: [0, 0] },
      weights: [
        [0.1, -0.2],
        [0.3, 0],
        [0, 0.2],
      ],
    });
  });

  test.each([
    ['run', () => ['run', smallFile, '--out', '/proc/rbmlab-x/o'], /^rbmlab run: cannot create the directory \/proc\/rbmlab-x: no such file or directory \(ENOENT\)/],
    ['sample', () => ['sample', model, '--out', '/proc/rbmlab-x/s.csv'], /^rbmlab sample: --out \/proc\/rbmlab-x\/s\.csv: cannot write in \/proc: no such file or directory \(ENOENT\)/],
    ['train', () => ['train', '--data', data, '--size', '2', '--out', '/proc/rbmlab-x/m.json'], /^rbmlab train: --out \/proc\/rbmlab-x\/m\.json: cannot write in \/proc/],
    ['train --checkpoint', () => ['train', '--data', data, '--size', '2', '--out', tmp.file('never.json'), '--checkpoint', '/proc/rbmlab-x/c'], /^rbmlab train: --checkpoint \/proc\/rbmlab-x\/c: cannot write in \/proc/],
    ['train into a directory', () => ['train', '--data', data, '--size', '2', '--out', tmp.file('')], /--out .*: is a directory; give a file name/],
    ['sample under a file', () => ['sample', model, '--out', path.join(data, 'x.csv')], /--out .*bits\.csv\/x\.csv: a part of the path is a file, not a directory/],
    ['run into a file', () => ['run', smallFile, '--out', data], /--out .*bits\.csv: is a file, not a directory/],
  ])('%s', async (_what, argv, pattern) => {
    const started = Date.now();
    expectOneLineError(await rbmlab(...argv()), EXIT_USAGE, pattern);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(fs.existsSync(tmp.file('never.json'))).toBe(false);
  });

  test('counts beyond memory are refused naming the flag, before any allocation', async () => {
    expectOneLineError(await rbmlab('sample', model, '--out', tmp.file('s.csv'), '--chains', '1000000000000'), EXIT_USAGE, /^rbmlab sample: --chains 1000000000000: 1000000000000 chains of 3 visible and 2 hidden units need about .* TiB, more than half of this machine's memory/);
    expectOneLineError(await rbmlab('train', '--data', data, '--size', '1000000000000', '--out', tmp.file('never.json')), EXIT_USAGE, /^rbmlab train: --size 1000000000000: .* hidden units over 3 visible units need about/);
    expectOneLineError(await rbmlab('logz', model, '--method', 'ais', '--chains', '100000000000'), EXIT_USAGE, /^rbmlab logz: --chains 100000000000: .* AIS runs/);
    expectOneLineError(await rbmlab('eval', model, '--data', data, '--chains', '100000000000'), EXIT_USAGE, /^rbmlab eval: --chains 100000000000/);
    expect(fs.existsSync(tmp.file('s.csv'))).toBe(false);
  });

  test('a full disk is one line naming the file, exit 1, and says what is kept (a real ENOSPC from /dev/full)', () => {
    let err: unknown;
    try {
      fs.writeFileSync('/dev/full', 'x');
    } catch (e) {
      err = e;
    }
    (err as NodeJS.ErrnoException).path ??= '/dev/full';
    expect(systemErrorLine(err)).toEqual({
      line: 'cannot write /dev/full: no space left on device (ENOSPC); what was written before is kept: free the space and run again (a study continues with --resume)',
      exitCode: 1,
    });
  });
});

describe('study files: enormous studies, duplicate keys and null params are refused', () => {
  test('a study past the trial limit is refused at once with its count; --max-trials lets it through, and a run states its count first', async () => {
    const values = Array.from({ length: 1000 }, (_, i) => i + 1);
    const huge = tmp.writeJson('huge.json', { ...small, trials: 1000, params: { noise: 0.2, temperature: 0.5, alpha: 0.05 }, grid: { N: values, sweeps: values } });
    const started = Date.now();
    expectOneLineError(await rbmlab('run', huge, '--out', tmp.file('huge')), EXIT_USAGE, /huge\.json: 1,000,000,000 trials \(1,000,000 grid points x 1,000 trials\) is past the limit of 100,000; check the grid, or raise the limit with --max-trials/);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(fs.existsSync(tmp.file('huge'))).toBe(false);
    expectOneLineError(await rbmlab('run', smallFile, '--out', tmp.file('limited'), '--max-trials', '5'), EXIT_USAGE, /6 trials \(2 grid points x 3 trials\) is past the limit of 5/);
    const run = await rbmlab('run', smallFile, '--out', tmp.file('limited'), '--max-trials', '6', '--no-plots');
    expect(run.code).toBe(0);
    expect(run.stderr.split('\n')[0]).toBe('rbmlab run: study "small": 6 trials (2 grid points x 3 trials)');
  });

  test.each([
    ['a top-level key twice', '{"name": "a", "experiment": "retrieval", "seed": 1, "seed": 2, "trials": 1, "grid": {"alpha": [0.1]}}', /duplicate key "seed" at the top level \(line 1; which one is meant is not said\)/],
    ['a grid key twice', '{"name": "a", "experiment": "retrieval", "seed": 1, "trials": 1,\n "grid": {"alpha": [0.1],\n "alpha": [0.2]}}', /duplicate key "alpha" in grid \(line 3;/],
    ['params null', '{"name": "a", "experiment": "retrieval", "seed": 1, "trials": 1, "params": null, "grid": {"alpha": [0.1]}}', /params: expected an object of parameter values, got null/],
  ])('study file with %s', async (_what, text, pattern) => {
    const file = tmp.writeJson('dup.json', text);
    expectOneLineError(await rbmlab('run', file, '--out', tmp.file('dup-out')), EXIT_USAGE, pattern);
    expect(fs.existsSync(tmp.file('dup-out'))).toBe(false);
  });

  test('a model file with a key twice is refused naming it', async () => {
    const file = tmp.writeJson(
      'dup-model.json',
      '{"format": "rbmlab.rbm/1", "visible": {"type": "bernoulli", "size": 1, "bias": [0], "size": 1},\n "hidden": {"type": "bernoulli", "size": 1, "bias": [0]}, "weights": [[0.5]]}',
    );
    expectOneLineError(await rbmlab('logz', file), EXIT_USAGE, /dup-model\.json: duplicate key "size" in visible \(line 1;/);
  });
});
