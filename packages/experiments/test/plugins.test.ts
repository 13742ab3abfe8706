/**
 * Families of the user's own (issue 14, item 3): a CommonJS module named by a study file's
 * "plugin" runs through `rbmlab run` exactly as a built-in family (seeds, --jobs, shards and
 * merge byte-identical, report, list), and a program runs studies through the library
 * (registerExperiment, parseStudy, runStudy, runTrial, readStudyResults). Bad plugins are one line.
 * The plugin used is the example users are shown, examples/custom-family/ais-accuracy.js.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT_USAGE } from '../src/cli/errors';
import { parseStudy, readStudyResults, registerExperiment, runStudy, runTrial, type Experiment } from '../src';
import { expectOneLineError, rbmlab, temporaryDirectory } from './helpers/cli';

const tmp = temporaryDirectory('rbmlab-plugins-');
const example = path.resolve(__dirname, '..', '..', '..', 'examples', 'custom-family');
const read = (file: string) => fs.readFileSync(file, 'utf8');

async function runOk(...argv: string[]): Promise<string> {
  const run = await rbmlab(...argv);
  if (run.code !== 0) throw new Error(`rbmlab ${argv.join(' ')} exited ${run.code}: ${run.stderr}`);
  return run.stdout;
}

describe('a study naming a plugin runs as a built-in family does', () => {
  let studyFile = '';
  beforeAll(() => {
    // the example's study, smaller, in another directory: "plugin" is relative to the study file
    const study = JSON.parse(read(path.join(example, 'study.json')));
    studyFile = tmp.writeJson('ais.json', { ...study, plugin: path.relative(tmp.file('.'), path.join(example, 'ais-accuracy.js')), trials: 3, grid: { s: [0.5, 2], steps: [10, 100] } });
  });

  test('run, --jobs 2, and two shards merged give the same results.csv byte for byte; the manifest keeps the plugin', async () => {
    const out = await runOk('run', studyFile, '--out', tmp.file('one'), '--no-plots');
    expect(out).toMatch(/s\s+steps\s+n\s+error\s+stderr\s+z\s+ess/);
    await runOk('run', studyFile, '--out', tmp.file('jobs'), '--jobs', '2', '--no-plots');
    await runOk('run', studyFile, '--out', tmp.file('s0'), '--shard', '0/2', '--no-plots');
    await runOk('run', studyFile, '--out', tmp.file('s1'), '--shard', '1/2', '--no-plots');
    await runOk('merge', tmp.file('s0'), tmp.file('s1'), '--out', tmp.file('merged'), '--no-plots');
    const reference = read(tmp.file('one/results.csv'));
    expect(reference.split('\n')[0]).toBe('N,M,s,steps,chains,trial,seed,error,stderr,z,ess');
    expect(reference.trimEnd().split('\n')).toHaveLength(1 + 12);
    expect(read(tmp.file('jobs/results.csv'))).toBe(reference);
    expect(read(tmp.file('merged/results.csv'))).toBe(reference);
    const manifest = JSON.parse(read(tmp.file('one/manifest.json')));
    expect(manifest.study.plugin).toEqual([path.join(example, 'ais-accuracy.js')]);
    // report (and merge) find the family again from the manifest's absolute path
    await runOk('report', tmp.file('one'), '--no-plots');
  });

  test("the example's science: AIS errors are within a few of its own standard errors, and shrink with steps", () => {
    const { rows } = readStudyResults(tmp.file('one'));
    for (const row of rows) expect(Math.abs(row.z as number)).toBeLessThan(5); // a |z| > 5 has probability < 6e-7 per trial if AIS's error bar is honest
    const rms = (steps: number) => Math.sqrt(rows.filter((r) => r.steps === steps && r.s === 2).reduce((a, r) => a + (r.error as number) ** 2, 0) / 3);
    expect(rms(100)).toBeLessThan(rms(10));
  });

  test('rbmlab list --plugin shows the family with its parameters; --json too', async () => {
    const text = await runOk('list', '--plugin', path.join(example, 'ais-accuracy.js'));
    expect(text).toMatch(/^ais-accuracy: AIS log Z against the exact value/m);
    expect(text).toMatch(/^ {2}steps\s+100\s+AIS steps \(linear schedule\) \[integer\]/m);
    const json = JSON.parse(await runOk('list', '--json', '--plugin', path.join(example, 'ais-accuracy.js')));
    expect(json.experiments.map((e: { name: string }) => e.name)).toContain('ais-accuracy');
  });

  test.each([
    ['a missing file', 'none.js', '', /plugin .*none\.js: no such file/],
    ['a module exporting no family', 'empty.js', 'module.exports = { answer: 42 };', /plugin .*empty\.js: exports no family/],
    ['a family without describe', 'half.js', "module.exports = { name: 'half', params: {}, metrics: () => ['x'], run: () => ({ x: 1 }) };", /plugin .*half\.js: family "half" lacks describe/],
    ['a name taken by a built-in family', 'clash.js', "module.exports = { name: 'retrieval', describe: 'mine', params: {}, metrics: () => ['x'], run: () => ({ x: 1 }) };", /plugin .*clash\.js: a family named "retrieval" exists already \(built in\)/],
    ['an ES module', 'esm.mjs', "export default { name: 'esm' };", /plugin .*esm\.mjs: (is an ES module|failed to load)/],
    ['a module that throws', 'throws.js', "throw new Error('broken plugin');", /plugin .*throws\.js: failed to load: broken plugin/],
  ])('refuses %s in one line, writing nothing', async (_what, name, source, pattern) => {
    if (source !== '') fs.writeFileSync(tmp.file(name), source);
    const file = tmp.writeJson(`uses-${name}.json`, { name: 'p', plugin: `./${name}`, experiment: 'x', seed: 1, trials: 1, grid: { a: [1] } });
    expectOneLineError(await rbmlab('run', file, '--out', tmp.file('never')), EXIT_USAGE, pattern);
    expect(fs.existsSync(tmp.file('never'))).toBe(false);
  });
});

describe('studies from a program', () => {
  /** The mean of `n` uniforms: a family defined in the program itself. */
  const uniformMean: Experiment = {
    name: 'uniform-mean-test',
    describe: 'mean of n uniforms',
    params: { n: { type: 'integer', default: 10, min: 1, describe: 'how many' }, label: { type: 'string', default: 'a', describe: 'a tag' } },
    metrics: () => ['mean'],
    run: (params, { rng }) => {
      let sum = 0;
      for (let i = 0; i < (params.n as number); i++) sum += rng.uniform();
      return { mean: sum / (params.n as number) };
    },
  };

  test('registerExperiment, parseStudy, runStudy, readStudyResults and runTrial agree with each other', async () => {
    registerExperiment(uniformMean);
    registerExperiment(uniformMean); // the same object again: nothing happens
    expect(() => registerExperiment({ ...uniformMean })).toThrow(/a family named "uniform-mean-test" exists already/);
    const study = parseStudy({ name: 'lib', experiment: 'uniform-mean-test', seed: 3, trials: 4, grid: { n: [1, 100] } });
    const outcome = await runStudy({ study, out: tmp.file('lib'), plots: false });
    expect(outcome.done).toBe(8);
    const results = readStudyResults(tmp.file('lib'));
    expect(results.done).toBe(8);
    expect(results.rows[0]).toMatchObject({ point: 0, n: 1, label: 'a', trial: 0 });
    expect(typeof results.rows[0].mean).toBe('number');
    // one trial again, from its seed: the same number
    const again = await runTrial(uniformMean, study.points[1].params, results.rows[5].seed as number);
    expect(again[0].mean).toBe(results.rows[5].mean);
    // the mean of 100 uniforms: within 6 standard errors (sqrt(1/1200)) of 1/2, false failure < 2e-9
    const means = results.rows.filter((r) => r.n === 100).map((r) => r.mean as number);
    for (const m of means) expect(Math.abs(m - 0.5)).toBeLessThan(6 * Math.sqrt(1 / 1200));
    expect(results.summary.map((s) => s.n)).toEqual([4, 4]);
  });
});
