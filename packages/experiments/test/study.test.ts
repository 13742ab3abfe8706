/**
 * The study runner through the CLI: the same study gives byte-identical results.csv however it
 * is run (rerun, --jobs, shards merged, resumed after SIGKILL, SIGINT or a torn write), the
 * summary holds the statistics of results.csv, the manifest says what ran, plots are real SVG
 * and PNG, and bad study files and flags are refused in one line.
 *
 * The studies use the retrieval family at small sizes, because it is cheap; the families' own
 * science is tested in families-*.test.ts.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT_USAGE } from '../src/cli/errors';
import { EXIT_INTERRUPTED } from '../src/cli/commands/study';
import { parseStudy } from '../src/study/study';
import { trialSeed } from '../src/study/seeds';
import { describe as describeValues } from '../src/study/summary';
import { splitCsvLine } from '../src/study/results';
import { expectOneLineError, rbmlab, temporaryDirectory } from './helpers/cli';

const tmp = temporaryDirectory('rbmlab-study-');
const bin = path.resolve(__dirname, '..', 'bin', 'rbmlab.js');

/** Small: 2 x 2 points x 3 trials, T > 0 so that every trial draws many random numbers. */
const small = {
  name: 'small',
  experiment: 'retrieval',
  seed: 11,
  trials: 3,
  params: { N: 60, noise: 0.2, sweeps: 20, temperature: 0.5 },
  grid: { alpha: [0.05, 0.2], model: ['hopfield', 'rbm'] },
};

/** Long enough (a few seconds) to be killed in the middle. */
const slow = {
  name: 'slow',
  experiment: 'retrieval',
  seed: 7,
  trials: 4,
  params: { N: 1000, noise: 0.2, sweeps: 60, temperature: 0.4 },
  grid: { alpha: [0.05, 0.1, 0.15], model: ['hopfield', 'rbm'] },
};

const read = (file: string) => fs.readFileSync(file, 'utf8');

async function runOk(...argv: string[]): Promise<string> {
  const run = await rbmlab(...argv);
  if (run.code !== 0) throw new Error(`rbmlab ${argv.join(' ')} exited ${run.code}: ${run.stderr}`);
  return run.stdout;
}

function parseCsv(text: string): Record<string, string>[] {
  const [head, ...rows] = text.trimEnd().split('\n');
  const columns = splitCsvLine(head);
  return rows.map((line) => Object.fromEntries(splitCsvLine(line).map((cell, i) => [columns[i], cell])));
}

/** Spawns `rbmlab run`, waits until `atLeast` trials are journalled, then sends `signal`. */
function runAndKill(study: string, out: string, signal: NodeJS.Signals, atLeast: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'run', study, '--out', out, '--no-plots'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const poll = setInterval(() => {
      const journal = path.join(out, 'trials.jsonl');
      if (fs.existsSync(journal) && read(journal).split('\n').length - 1 >= atLeast) {
        clearInterval(poll);
        child.kill(signal);
      }
    }, 20);
    child.on('error', reject);
    child.on('exit', (code, sig) => {
      clearInterval(poll);
      resolve({ code, signal: sig, stderr });
    });
  });
}

describe('rbmlab run: one study, the same results.csv every way it is run', () => {
  let reference = '';
  let smallFile = '';

  beforeAll(async () => {
    smallFile = tmp.writeJson('small.json', small);
    await runOk('run', smallFile, '--out', tmp.file('small-a'));
    reference = read(tmp.file('small-a/results.csv'));
  });

  test('results.csv: every param and grid key, trial, seed, then the metrics; one row per trial in canonical order', () => {
    const rows = parseCsv(reference);
    expect(rows).toHaveLength(2 * 2 * 3);
    expect(Object.keys(rows[0]).slice(0, 3)).toEqual(['N', 'alpha', 'P']);
    const columns = Object.keys(rows[0]);
    expect(columns.indexOf('trial')).toBeLessThan(columns.indexOf('overlap'));
    expect(columns[columns.indexOf('trial') + 1]).toBe('seed');
    // first grid key slowest, then the second, then trials
    expect(rows.map((r) => `${r.alpha}/${r.model}/${r.trial}`).slice(0, 4)).toEqual(['0.05/hopfield/0', '0.05/hopfield/1', '0.05/hopfield/2', '0.05/rbm/0']);
    // the seed column is the documented function of (study seed, grid point, trial)
    for (const r of rows) expect(Number(r.seed)).toBe(trialSeed(11, { alpha: Number(r.alpha), model: r.model }, Number(r.trial)));
    expect(new Set(rows.map((r) => r.seed)).size).toBe(rows.length);
    for (const r of rows) expect(Number(r.overlap)).toBeGreaterThanOrEqual(0);
  });

  test('a rerun into another directory is byte-identical', async () => {
    await runOk('run', smallFile, '--out', tmp.file('small-b'));
    expect(read(tmp.file('small-b/results.csv'))).toBe(reference);
    expect(read(tmp.file('small-b/summary.csv'))).toBe(read(tmp.file('small-a/summary.csv')));
  });

  test('--jobs 2 (worker threads) is byte-identical', async () => {
    await runOk('run', smallFile, '--out', tmp.file('small-jobs'), '--jobs', '2', '--no-plots');
    expect(read(tmp.file('small-jobs/results.csv'))).toBe(reference);
  });

  test('three shards merged are byte-identical, and each shard holds its share', async () => {
    const dirs = [0, 1, 2].map((i) => tmp.file(`small-shard${i}`));
    for (let i = 0; i < 3; i++) await runOk('run', smallFile, '--out', dirs[i], '--shard', `${i}/3`, '--no-plots');
    const counts = dirs.map((d) => parseCsv(read(path.join(d, 'results.csv'))).length);
    expect(counts).toEqual([4, 4, 4]);
    const merge = await rbmlab('merge', ...dirs, '--out', tmp.file('small-merged'));
    expect(merge.code).toBe(0);
    expect(merge.stderr).toMatch(/12 of 12 trials from 3 directories/);
    expect(read(tmp.file('small-merged/results.csv'))).toBe(reference);
    expect(read(tmp.file('small-merged/summary.csv'))).toBe(read(tmp.file('small-a/summary.csv')));
    const manifest = JSON.parse(read(tmp.file('small-merged/manifest.json')));
    expect(manifest.status).toBe('complete');
    expect(manifest.mergedFrom).toHaveLength(3);
    // a merge of two shards of three is kept but said to be incomplete
    const partial = await rbmlab('merge', dirs[0], dirs[1], '--out', tmp.file('small-partial'), '--no-plots');
    expect(partial.code).toBe(0);
    expect(partial.stderr).toMatch(/8 of 12 trials .* 4 trials are missing/);
    expect(JSON.parse(read(tmp.file('small-partial/manifest.json'))).status).toBe('incomplete');
  });

  test('--resume after a torn write: a half-written row and a trial without its journal line are dropped and run again', async () => {
    const dir = tmp.file('small-torn');
    await runOk('run', smallFile, '--out', dir, '--shard', '0/2', '--no-plots');
    // keep the first 3 trials journalled, the 4th's rows present but unjournalled, and a torn 5th row
    const results = read(path.join(dir, 'results.csv')).split('\n');
    const journal = read(path.join(dir, 'trials.jsonl')).split('\n');
    fs.writeFileSync(path.join(dir, 'results.csv'), results.slice(0, 5).join('\n') + '\n' + results[5].slice(0, 17));
    fs.writeFileSync(path.join(dir, 'trials.jsonl'), journal.slice(0, 3).join('\n') + '\n{"point":');
    // the same study as a whole, resumed from the shard's directory, is not allowed: shards differ
    expectOneLineError(await rbmlab('run', smallFile, '--out', dir, '--resume'), EXIT_USAGE, /--resume: .* was run with --shard 0\/2, not no --shard/);
    const resumed = await rbmlab('run', smallFile, '--out', dir, '--resume', '--shard', '0/2', '--no-plots');
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/resuming .*: 3 of 6 trials already done/);
    expect(resumed.stderr).toMatch(/ran 3 now/);
    const whole = parseCsv(reference).filter((_, k) => k % 2 === 0);
    expect(parseCsv(read(path.join(dir, 'results.csv')))).toEqual(whole);
  });

  test('the summary holds n, mean, std and sem of results.csv per grid point', () => {
    const rows = parseCsv(reference);
    const summary = parseCsv(read(tmp.file('small-a/summary.csv')));
    expect(Object.keys(summary[0]).slice(0, 4)).toEqual(['alpha', 'model', 'n', 'overlap_mean']);
    expect(summary).toHaveLength(4);
    for (const s of summary) {
      const values = rows.filter((r) => r.alpha === s.alpha && r.model === s.model).map((r) => Number(r.overlap));
      expect(Number(s.n)).toBe(3);
      const mean = values.reduce((a, b) => a + b, 0) / 3;
      const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / 2);
      expect(Number(s.overlap_mean)).toBeCloseTo(mean, 12);
      expect(Number(s.overlap_std)).toBeCloseTo(std, 12);
      expect(Number(s.overlap_sem)).toBeCloseTo(std / Math.sqrt(3), 12);
    }
  });

  test('the manifest records the study, resolved params, versions, commit, backend and timings', () => {
    const manifest = JSON.parse(read(tmp.file('small-a/manifest.json')));
    expect(manifest.format).toBe('rbmlab.study-manifest/1');
    expect(manifest.study).toEqual(small);
    expect(manifest.status).toBe('complete');
    expect(manifest.trials).toEqual({ total: 12, assigned: 12, done: 12 });
    expect(manifest.points).toHaveLength(4);
    expect(manifest.points[3].params).toMatchObject({ N: 60, alpha: 0.2, model: 'rbm', hidden: 'gaussian', temperature: 0.5 });
    expect(manifest.versions.node).toBe(process.versions.node);
    expect(manifest.versions['@rbmlab/core']).toMatch(/^\d+\.\d+\.\d+/);
    expect(typeof manifest.commit).toBe('string');
    expect(typeof manifest.backend).toBe('string');
    expect(manifest.timings.sessions).toHaveLength(1);
    expect(manifest.timings.sessions[0].trialsRun).toBe(12);
    expect(manifest.timings.trialSeconds.total).toBeGreaterThan(0);
  });

  test('plots: an SVG and a PNG per metric, of the metric against the first grid key', () => {
    for (const metric of ['overlap', 'overlap_start', 'sweeps_run']) {
      const svg = read(tmp.file(`small-a/${metric}.svg`));
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain('alpha');
      expect(svg).toContain('hopfield');
      const png = fs.readFileSync(tmp.file(`small-a/${metric}.png`));
      expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(png.length).toBeGreaterThan(5000);
      const spec = JSON.parse(read(tmp.file(`small-a/${metric}.vl.json`)));
      expect(spec.data.values).toHaveLength(4);
    }
  });

  test('rbmlab report renders the tables and plots again from results.csv', async () => {
    fs.rmSync(tmp.file('small-b/summary.csv'));
    fs.rmSync(tmp.file('small-b/overlap.svg'));
    // a finished study's results.csv stands alone (copies often keep no journal)
    fs.rmSync(tmp.file('small-b/trials.jsonl'));
    const report = await rbmlab('report', tmp.file('small-b'));
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(/alpha\s+model\s+n\s+overlap/);
    expect(read(tmp.file('small-b/summary.csv'))).toBe(read(tmp.file('small-a/summary.csv')));
    expect(fs.existsSync(tmp.file('small-b/overlap.svg'))).toBe(true);
  });

  test('a directory that holds a study is not overwritten without --resume, nor resumed with another study', async () => {
    expectOneLineError(await rbmlab('run', smallFile, '--out', tmp.file('small-a')), EXIT_USAGE, /already holds study "small"; add --resume/);
    const other = tmp.writeJson('other.json', { ...small, seed: 12 });
    expectOneLineError(await rbmlab('run', other, '--out', tmp.file('small-a'), '--resume'), EXIT_USAGE, /holds a different study \(its "seed" differs/);
    fs.mkdirSync(tmp.file('not-empty'));
    fs.writeFileSync(tmp.file('not-empty/keep.txt'), 'mine');
    expectOneLineError(await rbmlab('run', smallFile, '--out', tmp.file('not-empty')), EXIT_USAGE, /not empty and holds no study/);
    expect(read(tmp.file('not-empty/keep.txt'))).toBe('mine');
    // resuming a finished study runs nothing and changes nothing
    const again = await rbmlab('run', smallFile, '--out', tmp.file('small-a'), '--resume');
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/ran 0 now/);
    expect(read(tmp.file('small-a/results.csv'))).toBe(reference);
  });
});

describe('rbmlab run: killed at any moment, resumed with --resume, no row lost or duplicated', () => {
  let slowFile = '';
  let reference = '';

  beforeAll(async () => {
    slowFile = tmp.writeJson('slow.json', slow);
    await runOk('run', slowFile, '--out', tmp.file('slow-ref'), '--no-plots');
    reference = read(tmp.file('slow-ref/results.csv'));
  });

  test.each([['SIGKILL'], ['SIGINT']] as const)('%s in the middle of a run', async (signal) => {
    const dir = tmp.file(`slow-${signal}`);
    const killed = await runAndKill(slowFile, dir, signal, 5);
    const journalled = read(path.join(dir, 'trials.jsonl')).split('\n').length - 1;
    expect(journalled).toBeGreaterThanOrEqual(5);
    expect(journalled).toBeLessThan(24); // it really was stopped early
    if (signal === 'SIGINT') {
      expect(killed.code).toBe(EXIT_INTERRUPTED);
      expect(killed.stderr).toMatch(/interrupted after \d+ of 24 trials; continue with: rbmlab run .* --resume/);
      expect(JSON.parse(read(path.join(dir, 'manifest.json'))).status).toBe('interrupted');
    } else {
      expect(killed.signal).toBe('SIGKILL');
    }
    const resumed = await rbmlab('run', slowFile, '--out', dir, '--resume', '--no-plots');
    expect(resumed.code).toBe(0);
    expect(read(path.join(dir, 'results.csv'))).toBe(reference);
    const manifest = JSON.parse(read(path.join(dir, 'manifest.json')));
    expect(manifest.timings.sessions.map((s: { command: string }) => s.command)).toEqual(['run', 'resume']);
  });
});

describe('study files: seeds and validation', () => {
  test('a point keeps its seeds when the grid grows or its keys are reordered', () => {
    expect(trialSeed(5, { alpha: 0.1, N: 100 }, 2)).toBe(trialSeed(5, { N: 100, alpha: 0.1 }, 2));
    const a = parseStudy({ ...small, grid: { alpha: [0.2] } });
    const b = parseStudy({ ...small, grid: { alpha: [0.05, 0.1, 0.2] } });
    expect(trialSeed(11, a.points[0].values, 1)).toBe(trialSeed(11, b.points[2].values, 1));
    expect(trialSeed(11, a.points[0].values, 1)).not.toBe(trialSeed(12, a.points[0].values, 1));
    expect(trialSeed(11, a.points[0].values, 1)).not.toBe(trialSeed(11, a.points[0].values, 2));
  });

  test('the grid is the cartesian product, first key slowest, with params and defaults resolved', () => {
    const study = parseStudy({ ...small, grid: { alpha: [0.05, 0.2], model: ['hopfield', 'rbm', 'dense'] } });
    expect(study.points.map((p) => `${p.values.alpha}/${p.values.model}`)).toEqual(['0.05/hopfield', '0.05/rbm', '0.05/dense', '0.2/hopfield', '0.2/rbm', '0.2/dense']);
    expect(study.points[0].params).toMatchObject({ N: 60, sweeps: 20, hidden: 'gaussian' });
  });

  test.each([
    ['not JSON', '{"name": ', /not valid JSON/],
    ['an unknown experiment', { ...small, experiment: 'retreival' }, /experiment: unknown experiment "retreival" \(known: retrieval, /],
    ['an unknown parameter', { ...small, params: { ...small.params, temprature: 1 } }, /params\.temprature: unknown parameter of experiment "retrieval"/],
    ['an ill-typed parameter', { ...small, params: { ...small.params, N: '60' } }, /params\.N: expected an integer, got "60"/],
    ['a non-integer count', { ...small, params: { ...small.params, N: 60.5 } }, /params\.N: expected an integer, got 60\.5/],
    ['an ill-typed grid value', { ...small, grid: { alpha: [0.1, 'x'] } }, /grid\.alpha: expected a finite number, got "x"/],
    ['an unknown choice', { ...small, grid: { model: ['hopfeld'] } }, /grid\.model: must be one of "hopfield", "rbm", "dense", got "hopfeld"/],
    ['an empty grid', { ...small, grid: {} }, /grid: empty/],
    ['an empty grid list', { ...small, grid: { alpha: [] } }, /grid\.alpha: expected a non-empty list/],
    ['a grid without lists', { ...small, grid: { alpha: 0.1 } }, /grid\.alpha: expected a non-empty list/],
    ['a repeated grid value', { ...small, grid: { alpha: [0.1, 0.1] } }, /grid\.alpha: the value 0\.1 appears twice/],
    ['a key in params and grid', { ...small, grid: { N: [50] } }, /grid\.N: is also in params/],
    ['no seed', { ...small, seed: undefined }, /seed: expected a non-negative integer/],
    ['zero trials', { ...small, trials: 0 }, /trials: expected a positive integer, got 0/],
    ['an unknown top-level field', { ...small, trails: 3 }, /trails: unknown field/],
    ['a cross-check failing at one point', { ...small, params: { ...small.params, P: 3 } }, /alpha or P.* \(at grid point alpha=0\.05, model=hopfield\)/],
  ])('refuses %s in one line naming the field', async (_what, content, pattern) => {
    const file = tmp.writeJson('bad.json', content);
    const out = tmp.file('bad-out');
    expectOneLineError(await rbmlab('run', file, '--out', out), EXIT_USAGE, pattern);
    expect(fs.existsSync(out)).toBe(false);
  });

  test('refuses a missing study file, bad --shard and --jobs, merges of different studies', async () => {
    expectOneLineError(await rbmlab('run', tmp.file('none.json'), '--out', tmp.file('x')), EXIT_USAGE, /none\.json: no such file/);
    const file = tmp.writeJson('ok.json', small);
    expectOneLineError(await rbmlab('run', file, '--out', tmp.file('x'), '--shard', '3/3'), EXIT_USAGE, /--shard must be i\/n with 0 <= i < n, got "3\/3"/);
    expectOneLineError(await rbmlab('run', file, '--out', tmp.file('x'), '--shard', 'a'), EXIT_USAGE, /--shard must be i\/n/);
    expectOneLineError(await rbmlab('run', file, '--out', tmp.file('x'), '--jobs', '0'), EXIT_USAGE, /--jobs must be a positive integer/);
    expectOneLineError(await rbmlab('run', file), EXIT_USAGE, /missing required flag --out/);
    expectOneLineError(await rbmlab('run'), EXIT_USAGE, /missing the study file argument/);
    expect(fs.existsSync(tmp.file('x'))).toBe(false);
    await runOk('run', file, '--out', tmp.file('m1'), '--shard', '0/2', '--no-plots');
    const other = tmp.writeJson('ok2.json', { ...small, trials: 4 });
    await runOk('run', other, '--out', tmp.file('m2'), '--shard', '1/2', '--no-plots');
    expectOneLineError(await rbmlab('merge', tmp.file('m1'), tmp.file('m2'), '--out', tmp.file('m3')), EXIT_USAGE, /holds a different study .* "trials" differs/);
    expectOneLineError(await rbmlab('merge', tmp.file('m1'), tmp.file('nothing'), '--out', tmp.file('m3')), EXIT_USAGE, /nothing: no such directory/);
    expectOneLineError(await rbmlab('report', tmp.file('nothing')), EXIT_USAGE, /nothing: no such directory/);
  });
});

describe('rbmlab list', () => {
  test('shows every experiment with its parameters, defaults and meaning', async () => {
    const text = await runOk('list');
    for (const name of ['retrieval', 'teacher-student']) expect(text).toMatch(new RegExp(`^${name}: `, 'm'));
    expect(text).toMatch(/^ {2}N +200 +number of spins/m);
    expect(text).toMatch(/^ {2}alpha +\(optional\)/m);
    // which families run on --backend gpu, and why not where they do not
    expect(text).toMatch(/^retrieval: .*\n {2}--backend gpu: yes, at the points its device supports/m);
    expect(text).toMatch(/^teacher-student: .*\n {2}--backend gpu: yes\n/m);
    expect(text).toMatch(/^dense-capacity: .*\n {2}--backend gpu: no \(a trial adds patterns one at a time/m);
    const json = JSON.parse(await runOk('list', '--json'));
    const retrieval = json.experiments.find((e: { name: string }) => e.name === 'retrieval');
    expect(retrieval.params.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['N', 'alpha', 'P', 'model', 'hidden', 'p', 'F', 'temperature', 'noise', 'sweeps', 'recalls']));
    expect(retrieval.gpu).toMatch(/^yes/);
  });
});

describe('summary statistics', () => {
  test('equal values give their value and a std of 0; one value has no std', () => {
    expect(describeValues([0.8, 0.8, 0.8])).toEqual({ mean: 0.8, std: 0, sem: 0, count: 3 });
    expect(describeValues([2, NaN])).toMatchObject({ mean: 2, count: 1 });
    expect(Number.isNaN(describeValues([2]).std)).toBe(true);
    const s = describeValues([1, 2, 3, 4]);
    expect(s.mean).toBe(2.5);
    expect(s.std).toBeCloseTo(Math.sqrt(5 / 3), 14);
    expect(s.sem).toBeCloseTo(Math.sqrt(5 / 3) / 2, 14);
  });
});
