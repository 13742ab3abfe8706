/**
 * The `rbmlab` CLI, in-process through main(argv) with stdout and stderr captured, and once
 * through the real bin. Good input: results checked against brute force computed here. Bad
 * input: a non-zero exit code, exactly one line on stderr naming the file, field or flag, no
 * stack trace, and no output file.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../src/cli/main';
import { DEFAULTS } from '../src/cli/defaults';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs main(argv) with process.stdout / process.stderr writes captured. */
async function rbmlab(...argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(argv);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

let dir: string;
const file = (name: string) => path.join(dir, name);
function writeJson(name: string, content: unknown): string {
  fs.writeFileSync(file(name), typeof content === 'string' ? content : JSON.stringify(content, null, 1));
  return file(name);
}

/** Bernoulli 4 visible x 3 bernoulli hidden, distinct numbers everywhere. */
const smallModel = {
  format: 'rbmlab.rbm/1',
  visible: { type: 'bernoulli', size: 4, bias: [0.3, -0.7, 0.1, -0.2] },
  hidden: { type: 'bernoulli', size: 3, bias: [-0.5, 0.25, 0.4] },
  weights: [
    [0.9, -1.1, 0.3],
    [0.2, 0.5, -0.8],
    [-0.6, 0.7, 1.3],
    [1.2, -0.3, 0.45],
  ],
};

/** Spin 3 visible x 5 gaussian hidden with precisions. */
const gaussianModel = {
  format: 'rbmlab.rbm/1',
  visible: { type: 'spin', size: 3, bias: [0.2, -0.4, 0.1] },
  hidden: { type: 'gaussian', size: 5, bias: [0.1, -0.2, 0.3, 0, 0.5], gamma: [1, 2, 0.5, 1.5, 3] },
  weights: [
    [0.5, -0.3, 0.2, 0.7, -0.1],
    [0.1, 0.4, -0.6, 0.2, 0.3],
    [-0.2, 0.6, 0.1, -0.5, 0.8],
  ],
};

function logSumExp(xs: number[]): number {
  const max = Math.max(...xs);
  return max + Math.log(xs.reduce((s, x) => s + Math.exp(x - max), 0));
}

/** log Z of a bernoulli x bernoulli RBM by summing exp(-E(v, h)) over every joint state. */
function bruteForceLogZBernoulli(m: typeof smallModel): number {
  const n = m.visible.size;
  const k = m.hidden.size;
  const terms: number[] = [];
  for (let sv = 0; sv < 2 ** n; sv++) {
    for (let sh = 0; sh < 2 ** k; sh++) {
      const v = Array.from({ length: n }, (_, i) => (sv >> i) & 1);
      const h = Array.from({ length: k }, (_, j) => (sh >> j) & 1);
      let minusE = 0;
      for (let i = 0; i < n; i++) minusE += m.visible.bias[i] * v[i];
      for (let j = 0; j < k; j++) minusE += m.hidden.bias[j] * h[j];
      for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) minusE += v[i] * m.weights[i][j] * h[j];
      terms.push(minusE);
    }
  }
  return logSumExp(terms);
}

/** log Z of a spin x gaussian RBM: sum over v of exp(a.v + sum_mu Gamma_mu(x_mu)), Gaussian integral in closed form. */
function bruteForceLogZGaussian(m: typeof gaussianModel): number {
  const n = m.visible.size;
  const k = m.hidden.size;
  const terms: number[] = [];
  for (let sv = 0; sv < 2 ** n; sv++) {
    const v = Array.from({ length: n }, (_, i) => ((sv >> i) & 1 ? 1 : -1));
    let t = 0;
    for (let i = 0; i < n; i++) t += m.visible.bias[i] * v[i];
    for (let j = 0; j < k; j++) {
      let x = m.hidden.bias[j];
      for (let i = 0; i < n; i++) x += v[i] * m.weights[i][j];
      const g = m.hidden.gamma[j];
      t += (x * x) / (2 * g) + 0.5 * Math.log((2 * Math.PI) / g); // log of int exp(-g h^2/2 + x h) dh
    }
    terms.push(t);
  }
  return logSumExp(terms);
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rbmlab-cli-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('help', () => {
  test('rbmlab --help lists the commands', async () => {
    const r = await rbmlab('--help');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    for (const name of ['logz', 'sample', 'demo']) expect(r.stdout).toContain(`rbmlab ${name}`);
  });

  test('help text shows the defaults that run', async () => {
    const r = await rbmlab('sample', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('rbmlab sample MODEL.json --out FILE.csv');
    expect(r.stdout).toMatch(new RegExp(`--chains[^\\n]*\\[default: ${DEFAULTS.sample.chains}\\]`));
    expect(r.stdout).toMatch(new RegExp(`--sweeps[^\\n]*\\[default: ${DEFAULTS.sample.sweeps}\\]`));
    expect(r.stdout).toMatch(new RegExp(`--seed[^\\n]*\\[default: ${DEFAULTS.sample.seed}\\]`));
    expect(r.stdout).toMatch(/--out[^\n]*\[required\]/);
    const demo = await rbmlab('demo', '--help');
    expect(demo.stdout).toContain(`[default: "${DEFAULTS.demo.out}"]`);
    const logz = await rbmlab('logz', '--help');
    expect(logz.stdout).toContain(`[default: "${DEFAULTS.logz.method}"]`);
  });

  test('--version', async () => {
    const r = await rbmlab('--version');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('logz', () => {
  test('--json agrees with brute force over every joint state', async () => {
    const model = writeJson('small.json', smallModel);
    const r = await rbmlab('logz', model, '--method', 'exact', '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.endsWith('\n')).toBe(true);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const result = JSON.parse(r.stdout);
    expect(Object.keys(result).sort()).toEqual(['enumerated', 'logZ', 'method']);
    expect(result.method).toBe('exact');
    expect(result.enumerated).toBe('hidden'); // 3 hidden < 4 visible
    const expected = bruteForceLogZBernoulli(smallModel);
    expect(Math.abs(result.logZ - expected)).toBeLessThan(1e-12 * Math.max(1, Math.abs(expected)));
  });

  test('gaussian hidden units with precisions, default method', async () => {
    const model = writeJson('gaussian.json', gaussianModel);
    const r = await rbmlab('logz', model, '--json');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.enumerated).toBe('visible');
    const expected = bruteForceLogZGaussian(gaussianModel);
    expect(Math.abs(result.logZ - expected)).toBeLessThan(1e-12 * Math.max(1, Math.abs(expected)));
  });

  test('without --json: one readable line with the full-precision value', async () => {
    const model = writeJson('small-text.json', smallModel);
    const r = await rbmlab('logz', model);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^.*small-text\.json: log Z = -?\d+\.\d+ \(exact, summed over 2\^3 hidden states\)\n$/);
    const value = Number(/log Z = (\S+)/.exec(r.stdout)![1]);
    expect(Math.abs(value - bruteForceLogZBernoulli(smallModel))).toBeLessThan(1e-12);
  });
});

/** Parses a written CSV into its header and numeric rows. */
function readCsv(name: string): { header: string[]; rows: number[][]; text: string } {
  const text = fs.readFileSync(name, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  const lines = text.slice(0, -1).split('\n');
  return { header: lines[0].split(','), rows: lines.slice(1).map((l) => l.split(',').map(Number)), text };
}

describe('sample', () => {
  test('writes C rows with header v0..v{N-1}, values in the support, reproducible by seed', async () => {
    const model = writeJson('sample-model.json', smallModel);
    const out1 = file('s1.csv');
    const r = await rbmlab('sample', model, '--chains', '37', '--sweeps', '20', '--seed', '5', '--out', out1);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('gibbs'); // the default sampler for bernoulli x bernoulli
    const { header, rows, text } = readCsv(out1);
    expect(header).toEqual(['v0', 'v1', 'v2', 'v3']);
    expect(rows).toHaveLength(37);
    for (const row of rows) {
      expect(row).toHaveLength(4);
      for (const x of row) expect([0, 1]).toContain(x);
    }
    expect(text).not.toMatch(/\.0\b|e|\s,/); // integers written as integers
    // same seed: byte-identical file; another seed: another file
    const out2 = file('s2.csv');
    expect((await rbmlab('sample', model, '--chains', '37', '--sweeps', '20', '--seed', '5', '--out', out2)).code).toBe(0);
    expect(fs.readFileSync(out2)).toEqual(fs.readFileSync(out1));
    const out3 = file('s3.csv');
    expect((await rbmlab('sample', model, '--chains', '37', '--sweeps', '20', '--seed', '6', '--out', out3)).code).toBe(0);
    expect(fs.readFileSync(out3)).not.toEqual(fs.readFileSync(out1));
    // seed 0 is a seed, and the default
    const d1 = file('d1.csv');
    const d2 = file('d2.csv');
    expect((await rbmlab('sample', model, '--chains', '5', '--out', d1)).code).toBe(0);
    expect((await rbmlab('sample', model, '--chains', '5', '--seed', '0', '--out', d2)).code).toBe(0);
    expect(fs.readFileSync(d1)).toEqual(fs.readFileSync(d2));
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('heatbath and exact samplers; spin values', async () => {
    const model = writeJson('spin-model.json', gaussianModel);
    for (const sampler of ['heatbath', 'exact', 'gibbs']) {
      const out = file(`spin-${sampler}.csv`);
      const r = await rbmlab('sample', model, '--chains', '11', '--sweeps', '3', '--sampler', sampler, '--out', out);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(sampler);
      const { header, rows } = readCsv(out);
      expect(header).toEqual(['v0', 'v1', 'v2']);
      expect(rows).toHaveLength(11);
      for (const row of rows) for (const x of row) expect([-1, 1]).toContain(x);
    }
  });

  test('step hidden units default to the heat bath', async () => {
    const model = writeJson('step.json', { ...smallModel, hidden: { type: 'step', size: 3, bias: [0, -0.5, 0.5] } });
    const out = file('step.csv');
    const r = await rbmlab('sample', model, '--chains', '4', '--sweeps', '2', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('heatbath');
    expect(readCsv(out).rows).toHaveLength(4);
  });

  test('gaussian visible units: reals written with full precision', async () => {
    const model = writeJson('gauss-visible.json', {
      format: 'rbmlab.rbm/1',
      visible: { type: 'gaussian', size: 2, gamma: [1, 2] },
      hidden: { type: 'bernoulli', size: 2 },
      weights: [
        [0.5, -0.5],
        [0.25, 0.75],
      ],
    });
    const out = file('gauss-visible.csv');
    const r = await rbmlab('sample', model, '--chains', '6', '--sweeps', '4', '--out', out);
    expect(r.code).toBe(0);
    const { text, rows } = readCsv(out);
    for (const row of rows) for (const x of row) expect(Number.isFinite(x)).toBe(true);
    // every cell is the shortest round-trip form of its value
    for (const line of text.trim().split('\n').slice(1)) for (const cell of line.split(',')) expect(String(Number(cell))).toBe(cell);
  });

  test('an existing output file is replaced whole', async () => {
    const model = writeJson('replace-model.json', smallModel);
    const out = file('replace.csv');
    fs.writeFileSync(out, 'old content that is longer than the new one '.repeat(100));
    expect((await rbmlab('sample', model, '--chains', '2', '--sweeps', '1', '--out', out)).code).toBe(0);
    expect(readCsv(out).rows).toHaveLength(2);
  });
});

describe('demo', () => {
  test('writes demo.json, samples.csv and model.json, and samplers agree with exact statistics', async () => {
    const out = file('demo-out');
    // sized for jest, where numeric code runs several times slower than under node
    const r = await rbmlab('demo', '--out', out, '--chains', '1000', '--sweeps', '20', '--seed', '3');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('exact P(v)');
    expect(r.stdout.trim().split('\n').pop()).toBe(`output: ${out} (demo.json, samples.csv, model.json)`);
    expect(fs.readdirSync(out).sort()).toEqual(['demo.json', 'model.json', 'samples.csv']);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'demo.json'), 'utf8'));
    expect(report.options).toEqual({ seed: 3, chains: 1000, sweeps: 20 });
    // 1000 samples over 64 states: chance alone gives about report.noiseTotalVariation (~0.09),
    // with a standard deviation of about a tenth of that; 2x is many standard deviations
    for (const sampler of ['gibbs', 'heatbath', 'exact']) {
      expect(report.sampled[sampler].totalVariation).toBeLessThan(2 * report.noiseTotalVariation);
      report.exact.means.forEach((m: number, i: number) => {
        // sd of a mean of 1000 bernoulli draws <= 0.0158; 6 sd
        expect(Math.abs(report.sampled[sampler].means[i] - m)).toBeLessThan(0.095);
      });
    }
    const { header, text } = (() => {
      const t = fs.readFileSync(path.join(out, 'samples.csv'), 'utf8');
      return { header: t.split('\n')[0], text: t };
    })();
    expect(header).toBe('sampler,v0,v1,v2,v3,v4,v5');
    expect(text.trim().split('\n')).toHaveLength(1 + 3 * 1000);
    // the model it wrote is a valid model file
    const logz = await rbmlab('logz', path.join(out, 'model.json'), '--json');
    expect(logz.code).toBe(0);
    expect(JSON.parse(logz.stdout).logZ).toBe(report.logZ);
  });
});

describe('bad input: exit code, one stderr line naming the culprit, no stack, no output file', () => {
  const bad = (name: string, content: unknown) => () => writeJson(name, content);
  const tooLarge = {
    format: 'rbmlab.rbm/1',
    visible: { type: 'bernoulli', size: 25 },
    hidden: { type: 'bernoulli', size: 26 },
    weights: Array.from({ length: 25 }, () => new Array(26).fill(0.01)),
  };
  /** [name, model file to prepare (or a fixed path), the model's file name, what the line must contain] */
  const models: Array<[string, () => string, string[]]> = [
    ['missing model file', () => file('does-not-exist.json'), ['does-not-exist.json', 'cannot read file (ENOENT)']],
    ['malformed JSON', bad('malformed.json', '{"format": "rbmlab.rbm/1", "visible": {'), ['malformed.json', 'not valid JSON']],
    [
      'wrong shape',
      bad('shape.json', { ...smallModel, weights: smallModel.weights.slice(0, 3) }),
      ['shape.json', 'weights has 3 rows, expected 4 (visible.size)'],
    ],
    [
      'bias of the wrong length',
      bad('bias-length.json', { ...smallModel, hidden: { ...smallModel.hidden, bias: [1, 2] } }),
      ['bias-length.json', 'hidden.bias has 2 entries, expected 3'],
    ],
    [
      'unknown unit type',
      bad('unit-type.json', { ...smallModel, hidden: { type: 'foo', size: 3 } }),
      ['unit-type.json', 'unknown hidden unit type "foo" (known: '],
    ],
    [
      'format version',
      bad('version.json', { ...smallModel, format: 'rbmlab.rbm/2' }),
      ['version.json', 'unsupported format "rbmlab.rbm/2" (this rbmlab reads rbmlab.rbm/1)'],
    ],
    [
      'non-number value',
      bad('string-value.json', { ...smallModel, visible: { ...smallModel.visible, bias: [0, '1', 0, 0] } }),
      ['string-value.json', 'visible.bias[1] must be a finite number'],
    ],
    [
      'non-finite value (1e999 parses to Infinity)',
      bad('infinite.json', JSON.stringify(smallModel).replace('0.9', '1e999')),
      ['infinite.json', 'weights[0][0] must be a finite number'],
    ],
    [
      'non-positive size',
      bad('size.json', { ...smallModel, hidden: { type: 'bernoulli', size: 0 } }),
      ['size.json', 'hidden.size must be a positive integer'],
    ],
    [
      'non-positive precision',
      bad('gamma.json', { ...gaussianModel, hidden: { ...gaussianModel.hidden, gamma: [1, 1, 0, 1, 1] } }),
      ['gamma.json', 'hidden.gamma[2] must be a finite number > 0'],
    ],
  ];

  /** [name, argv given the prepared directory, what the line must contain] */
  const cases: Array<[string, () => string[], string[]]> = [];
  for (const [name, prepare, expected] of models) {
    cases.push([`logz: ${name}`, () => ['logz', prepare(), '--json'], expected]);
    cases.push([`sample: ${name}`, () => ['sample', prepare(), '--out', file('bad.csv')], expected]);
  }
  const good = () => writeJson('good.json', smallModel);
  const step = () => writeJson('step-bad.json', { ...smallModel, hidden: { type: 'step', size: 3 } });
  const large = () => writeJson('large.json', tooLarge);
  const sample = (...extra: string[]) => ['sample', good(), '--out', file('bad.csv'), ...extra];
  cases.push(
    ['logz: no model argument', () => ['logz', '--json'], ['model file']],
    ['logz: --method ais --steps 0', () => ['logz', good(), '--method', 'ais', '--steps', '0'], ['--steps', 'positive integer', '"0"']],
    ['logz: unknown --method', () => ['logz', good(), '--method', 'magic'], ['--method', '"magic"', 'exact']],
    ['logz: unknown flag', () => ['logz', good(), '--jsn'], ['unknown argument --jsn']],
    ['logz: too large to enumerate', () => ['logz', large(), '--json'], ['large.json', 'at most 24 units']],
    ['sample: --chains 0', () => sample('--chains', '0'), ['--chains', 'positive integer', '"0"']],
    ['sample: --chains 1.5', () => sample('--chains', '1.5'), ['--chains', '"1.5"']],
    ['sample: --chains -3', () => sample('--chains', '-3'), ['--chains', '"-3"']],
    ['sample: --chains 1e3', () => sample('--chains', '1e3'), ['--chains', '"1e3"']],
    ['sample: --sweeps -1', () => sample('--sweeps', '-1'), ['--sweeps', '"-1"']],
    ['sample: --sweeps x', () => sample('--sweeps', 'x'), ['--sweeps', '"x"']],
    ['sample: --seed abc', () => sample('--seed', 'abc'), ['--seed', '"abc"']],
    ['sample: --seed -1', () => sample('--seed', '-1'), ['--seed', '"-1"']],
    ['sample: --chains twice', () => sample('--chains', '2', '--chains', '3'), ['--chains', 'given 2 times']],
    ['sample: missing --out', () => ['sample', good()], ['--out']],
    ['sample: --out without a value', () => ['sample', good(), '--out'], ['--out']],
    ['sample: no model argument', () => ['sample', '--out', file('bad.csv')], ['model file']],
    ['sample: unknown sampler', () => sample('--sampler', 'metropolis'), ['--sampler', '"metropolis"', 'gibbs, heatbath, exact']],
    ['sample: unknown flag', () => sample('--chain', '3'), ['unknown argument --chain (did you mean --chains?); see rbmlab sample --help']],
    ['sample: extra positional', () => [...sample(), 'extra.json'], ['extra.json']],
    ['sample: gibbs on step hidden units', () => ['sample', step(), '--out', file('bad.csv'), '--sampler', 'gibbs'], ['--sampler gibbs', 'step hidden units', 'heatbath']],
    ['sample: exact on a model too large', () => ['sample', large(), '--out', file('bad.csv'), '--sampler', 'exact'], ['--sampler exact', 'large.json', 'at most 24 units']],
    ['sample: --out in a missing directory under a file', () => ['sample', good(), '--out', path.join(good(), 'x.csv')], ['--out', 'good.json', 'a part of the path is a file, not a directory']],
    ['demo: --chains 0', () => ['demo', '--out', file('bad-demo'), '--chains', '0'], ['--chains', '"0"']],
    ['demo: --seed x', () => ['demo', '--out', file('bad-demo'), '--seed', 'x'], ['--seed', '"x"']],
    ['demo: unknown flag', () => ['demo', '--out', file('bad-demo'), '--model', 'x'], ['model']],
    ['no command', () => [], ['no command given']],
    ['unknown command', () => ['fit'], ['unknown command "fit"']],
  );

  for (const [name, argv, expected] of cases) {
    test(name, async () => {
      fs.rmSync(file('bad.csv'), { force: true });
      const r = await rbmlab(...argv());
      expect(r.code).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr.endsWith('\n')).toBe(true);
      expect(r.stderr.split('\n')).toHaveLength(2); // one line and its newline
      expect(r.stderr.startsWith('rbmlab')).toBe(true);
      expect(r.stderr).not.toMatch(/\bat \S+ \(|\bat .*:\d+:\d+|internal error/);
      for (const text of expected) expect(r.stderr).toContain(text);
      expect(fs.existsSync(file('bad.csv'))).toBe(false);
      expect(fs.existsSync(file('bad-demo'))).toBe(false);
    });
  }

  test('usage and input errors exit with 2', async () => {
    expect((await rbmlab('sample', good(), '--out', file('bad.csv'), '--chains', '0')).code).toBe(2);
    expect((await rbmlab('logz', file('nope.json'))).code).toBe(2);
    expect((await rbmlab('sample', good())).code).toBe(2);
  });
});

describe('the bin', () => {
  test('node packages/experiments/bin/rbmlab.js runs the built CLI (building dist first if missing)', () => {
    const root = path.resolve(__dirname, '..', '..', '..');
    const model = writeJson('bin-model.json', smallModel);
    const r = spawnSync(process.execPath, [path.join(root, 'packages', 'experiments', 'bin', 'rbmlab.js'), 'logz', model, '--json'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 110000,
    });
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(Math.abs(result.logZ - bruteForceLogZBernoulli(smallModel))).toBeLessThan(1e-12);
    // a bad input through the real process: exit code 2 and one line
    const bad = spawnSync(process.execPath, [path.join(root, 'packages', 'experiments', 'bin', 'rbmlab.js'), 'sample', model, '--chains', '0', '--out', file('bin.csv')], {
      cwd: root,
      encoding: 'utf8',
      timeout: 110000,
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('rbmlab sample: --chains must be a positive integer, got "0"\n');
    expect(fs.existsSync(file('bin.csv'))).toBe(false);
  });
});
