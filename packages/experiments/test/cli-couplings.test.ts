/**
 * `rbmlab couplings`, in-process through main(argv) with stdout and stderr captured. The values
 * are checked against brute force computed here from the model file alone (the free energy of
 * each visible state, then the Moebius or Walsh sums over states), so the CLI, the file reader
 * and core's algorithms are all under test; then the output contract, the ordering, the basis
 * flag, and bad input (non-zero exit, one line on stderr, nothing on stdout).
 */
import { DEFAULTS } from '../src/cli/defaults';
import { rbmlab, temporaryDirectory } from './helpers/cli';

const tmp = temporaryDirectory('rbmlab-couplings-');
function writeJson(name: string, content: unknown): string {
  return tmp.writeJson(name, JSON.stringify(content));
}

interface ModelJson {
  format: string;
  visible: { type: string; size: number; bias: number[] };
  hidden: { type: string; size: number; bias: number[] };
  weights: number[][];
}

/** 4 bernoulli visible x 3 bernoulli hidden units, distinct numbers everywhere. */
const bernoulliModel: ModelJson = {
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
/** The same numbers on spin visible units. */
const spinModel: ModelJson = { ...bernoulliModel, visible: { ...bernoulliModel.visible, type: 'spin' } };

/** -F(v) = sum_i a_i v_i + sum_mu softplus(theta_mu + sum_i v_i W_i mu), written out here. */
function negFreeEnergy(model: ModelJson, v: number[]): number {
  let f = 0;
  for (let i = 0; i < v.length; i++) f += model.visible.bias[i] * v[i];
  for (let mu = 0; mu < model.hidden.size; mu++) {
    let x = model.hidden.bias[mu];
    for (let i = 0; i < v.length; i++) x += v[i] * model.weights[i][mu];
    f += Math.log1p(Math.exp(x));
  }
  return f;
}

/** The visible state with the sites in `up` at the upper value and the rest at the lower one. */
function state(model: ModelJson, up: (i: number) => boolean): number[] {
  const [lo, hi] = model.visible.type === 'spin' ? [-1, 1] : [0, 1];
  return Array.from({ length: model.visible.size }, (_, i) => (up(i) ? hi : lo));
}

/** Bernoulli basis by brute force: J_S = sum_{T subset of S} (-1)^{|S|-|T|} (-F(state with T up)). */
function bruteBernoulli(model: ModelJson, sites: number[]): number {
  let sum = 0;
  for (let mask = 0; mask < 1 << sites.length; mask++) {
    const t = sites.filter((_, p) => (mask >> p) & 1);
    const sign = (sites.length - t.length) % 2 === 0 ? 1 : -1;
    sum += sign * negFreeEnergy(model, state(model, (i) => t.includes(i)));
  }
  return sum;
}

/** Spin basis by brute force: J_S = 2^-N sum over all states of -F times prod_{i in S} sigma_i. */
function bruteSpin(model: ModelJson, sites: number[]): number {
  const n = model.visible.size;
  let sum = 0;
  for (let s = 0; s < 2 ** n; s++) {
    const up = (i: number) => ((s >> i) & 1) === 1;
    let sign = 1;
    for (const i of sites) sign *= up(i) ? 1 : -1;
    sum += sign * negFreeEnergy(model, state(model, up));
  }
  return sum / 2 ** n;
}

function parse(run: Run): { sites: number[]; J: number }[] {
  expect(run.code).toBe(0);
  expect(run.stderr).toBe('');
  const json = JSON.parse(run.stdout);
  expect(Object.keys(json)).toEqual(['couplings']);
  for (const entry of json.couplings) expect(Object.keys(entry)).toEqual(['sites', 'J']);
  return json.couplings;
}

const expectedSites4 = [[0], [1], [2], [3], [0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3], [0, 1, 2], [0, 1, 3], [0, 2, 3], [1, 2, 3]];

describe('rbmlab couplings --json', () => {
  test('bernoulli visibles: every subset up to K, by size then lexicographically, equal to brute force', async () => {
    const run = await rbmlab('couplings', writeJson('b.json', bernoulliModel), '--max-order', '3', '--json');
    // the contract, byte for byte at the start: one line, this spacing
    expect(run.stdout).toMatch(/^\{"couplings": \[\{"sites": \[0\], "J": -?\d[^}]*\}, \{"sites": \[1\], "J": /);
    expect(run.stdout.endsWith(']}\n')).toBe(true);
    expect(run.stdout.split('\n')).toHaveLength(2);
    const couplings = parse(run);
    expect(couplings.map((c) => c.sites)).toEqual(expectedSites4);
    for (const { sites, J } of couplings) {
      const expected = bruteBernoulli(bernoulliModel, sites);
      expect(Math.abs(J - expected)).toBeLessThan(1e-12);
    }
  });

  test('order-1 terms include the visible bias (W = 0 gives J_i = a_i and nothing else)', async () => {
    const zero = { ...bernoulliModel, weights: bernoulliModel.weights.map((row) => row.map(() => 0)) };
    const couplings = parse(await rbmlab('couplings', writeJson('zero.json', zero), '--max-order', '2', '--json'));
    expect(couplings.slice(0, 4).map((c) => c.J)).toEqual(bernoulliModel.visible.bias);
    for (const c of couplings.slice(4)) expect(Math.abs(c.J)).toBeLessThan(1e-15);
    // and with weights the order-1 term is a_i plus the hidden part, not the hidden part alone
    const full = parse(await rbmlab('couplings', writeJson('b1.json', bernoulliModel), '--max-order', '1', '--json'));
    full.forEach(({ sites, J }) => {
      const i = sites[0];
      const hiddenOnly = bruteBernoulli({ ...bernoulliModel, visible: { ...bernoulliModel.visible, bias: [0, 0, 0, 0] } }, [i]);
      expect(Math.abs(J - hiddenOnly - bernoulliModel.visible.bias[i])).toBeLessThan(1e-12);
    });
  });

  test('the default basis is the visible type; --basis picks the other one', async () => {
    const spinFile = writeJson('s.json', spinModel);
    const bernFile = writeJson('b2.json', bernoulliModel);
    const cases: [string, ModelJson, string[], (m: ModelJson, s: number[]) => number][] = [
      [spinFile, spinModel, [], bruteSpin],
      [spinFile, spinModel, ['--basis', 'spin'], bruteSpin],
      [spinFile, spinModel, ['--basis', 'bernoulli'], bruteBernoulli],
      [bernFile, bernoulliModel, ['--basis', 'spin'], bruteSpin],
      [bernFile, bernoulliModel, ['--basis', 'bernoulli'], bruteBernoulli],
    ];
    for (const [file, model, flags, brute] of cases) {
      const couplings = parse(await rbmlab('couplings', file, '--max-order', '4', ...flags, '--json'));
      expect(couplings).toHaveLength(15);
      for (const { sites, J } of couplings) expect(Math.abs(J - brute(model, sites))).toBeLessThan(1e-12);
    }
    // the two bases differ (the checks above would notice a flag that is ignored)
    const a = parse(await rbmlab('couplings', bernFile, '--max-order', '2', '--json'));
    const b = parse(await rbmlab('couplings', bernFile, '--max-order', '2', '--basis', 'spin', '--json'));
    expect(Math.abs(a[4].J - b[4].J)).toBeGreaterThan(1e-3);
  });

  test('--max-order above N lists every subset', async () => {
    const couplings = parse(await rbmlab('couplings', writeJson('b3.json', bernoulliModel), '--max-order', '9', '--json'));
    expect(couplings).toHaveLength(15);
    expect(couplings[14].sites).toEqual([0, 1, 2, 3]);
  });
});

describe('rbmlab couplings table', () => {
  test('the same rows as --json, with the constant and the basis in the header', async () => {
    const file = writeJson('t.json', bernoulliModel);
    const run = await rbmlab('couplings', file, '--max-order', '3');
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toContain('bernoulli basis');
    expect(lines[1]).toMatch(/J_0 = -?\d/);
    const constant = Number(lines[1].split('J_0 = ')[1]);
    expect(Math.abs(constant - negFreeEnergy(bernoulliModel, [0, 0, 0, 0]))).toBeLessThan(1e-12);
    expect(lines[2]).toBe('order  sites  J');
    const rows = lines.slice(3).map((l) => l.split('  '));
    const json = parse(await rbmlab('couplings', file, '--max-order', '3', '--json'));
    expect(rows).toHaveLength(json.length);
    rows.forEach(([order, sites, J], r) => {
      expect(Number(order)).toBe(json[r].sites.length);
      expect(sites).toBe(json[r].sites.join(','));
      expect(Number(J)).toBe(json[r].J);
    });
  });

  test('help lists the command and its flags with the default limit', async () => {
    const top = await rbmlab('--help');
    expect(top.stdout).toContain('rbmlab couplings');
    const help = await rbmlab('couplings', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('rbmlab couplings MODEL.json --max-order K');
    expect(help.stdout).toMatch(/--max-order[^\n]*\[required\]/);
    expect(help.stdout).toMatch(new RegExp(`--max-couplings[^\\n]*\\[default: ${DEFAULTS.couplings.maxCouplings}\\]`));
  });
});

describe('rbmlab couplings: bad input gives one line on stderr and a non-zero exit', () => {
  const good = () => writeJson('good.json', bernoulliModel);
  const gaussianVisible = () =>
    writeJson('gv.json', { ...bernoulliModel, visible: { ...bernoulliModel.visible, type: 'gaussian' }, weights: bernoulliModel.weights.map((r) => r.map((x) => x / 10)) });
  const wide = () =>
    writeJson('wide.json', {
      format: 'rbmlab.rbm/1',
      visible: { type: 'bernoulli', size: 100 },
      hidden: { type: 'bernoulli', size: 2 },
      weights: Array.from({ length: 100 }, () => [0.01, -0.01]),
    });
  const overflow = () => writeJson('overflow.json', { ...bernoulliModel, hidden: { ...bernoulliModel.hidden, type: 'poisson' }, weights: bernoulliModel.weights.map((r) => r.map((x) => 800 * x)) });
  const cases: [string, () => string[], string[], number][] = [
    ['missing model file', () => ['couplings', tmp.file('nope.json'), '--max-order', '2'], ['nope.json', 'cannot read file'], 2],
    ['missing --max-order', () => ['couplings', good()], ['--max-order'], 2],
    ['--max-order 0', () => ['couplings', good(), '--max-order', '0'], ['--max-order', '"0"'], 2],
    ['--max-order 1.5', () => ['couplings', good(), '--max-order', '1.5'], ['--max-order', '"1.5"'], 2],
    ['--max-order x', () => ['couplings', good(), '--max-order', 'x'], ['--max-order', '"x"'], 2],
    ['unknown basis', () => ['couplings', good(), '--max-order', '2', '--basis', 'ising'], ['--basis', '"ising"', 'bernoulli, spin'], 2],
    ['gaussian visibles', () => ['couplings', gaussianVisible(), '--max-order', '2'], ['gv.json', 'gaussian visible units'], 2],
    ['gaussian visibles with --basis', () => ['couplings', gaussianVisible(), '--max-order', '2', '--basis', 'spin'], ['gv.json', 'no multilinear expansion'], 2],
    ['too many couplings', () => ['couplings', wide(), '--max-order', '4', '--json'], ['4087975 couplings', '--max-couplings 1000000'], 2],
    ['--max-couplings lowered', () => ['couplings', good(), '--max-order', '2', '--max-couplings', '5'], ['lists 10 couplings', '--max-couplings 5'], 2],
    ['spin basis too large to enumerate', () => ['couplings', wide(), '--max-order', '2', '--basis', 'spin'], ['wide.json', '2^100', 'bernoulli basis is local'], 2],
    ['a cumulant that overflows', () => ['couplings', overflow(), '--max-order', '2', '--json'], ['overflow.json', 'a cumulant overflows'], 1],
    ['unknown flag', () => ['couplings', good(), '--max-order', '2', '--order', '3'], ['unknown argument --order'], 2],
  ];
  for (const [name, argv, expected, code] of cases) {
    test(name, async () => {
      const r = await rbmlab(...argv());
      expect(r.code).toBe(code);
      expect(r.stdout).toBe('');
      expect(r.stderr.endsWith('\n')).toBe(true);
      expect(r.stderr.split('\n')).toHaveLength(2);
      expect(r.stderr.startsWith('rbmlab couplings: ')).toBe(true);
      expect(r.stderr).not.toMatch(/internal error|\bat \S+ \(/);
      for (const text of expected) expect(r.stderr).toContain(text);
    });
  }
});
