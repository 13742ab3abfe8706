/**
 * Models in and out (data/model-formats.ts, `rbmlab convert`), each route with files as the other
 * tool writes them and read back by that tool:
 * - scikit-learn: a BernoulliRBM fitted and saved by scikit-learn (fixtures/sklearn, made by the
 *   committed make-fixtures.py) must give sklearn's own free energy of all 2^7 visible states and
 *   the log Z enumerated from them; what rbmlab writes, numpy loads and sklearn's formula agrees.
 * - rbms: archives written by h5py exactly as rbms' save_model lays them out (Debian's
 *   python3-h5py, installed by .ci/run); what rbmlab writes, h5py reads as rbms' load_params does.
 * - npz: written by numpy with the documented lines, any unit types.
 * Every route round-trips (rbmlab -> X -> rbmlab) with log Z (exact enumeration) and every free
 * energy equal to 1e-12 (they are in fact the same float64s: no arithmetic but a transpose).
 * Oracles in Python use np.logaddexp, not rbms' own shortcut (log(1+e^x) replaced by x for x >= 10).
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { exactLogZ, loadRbm, rbmFromJSON, saveRbm, type RBM } from '@rbmlab/core';
import { formatModel, readModel, writeModel, type ConvertedModel, type ModelFormat } from '../src/data/model-formats';
import { expectOneLineError, rbmlab, temporaryDirectory } from './helpers/cli';
import { pythonWith } from './helpers/python';

const { file } = temporaryDirectory('rbmlab-convert-');
const FIXTURES = path.join(__dirname, 'fixtures', 'sklearn');

/** |a - b| <= tol * max(1, |b|), with NaN and infinities failing. */
function expectClose(actual: number, expected: number, tol = 1e-12): void {
  const ok = Number.isFinite(actual) && Number.isFinite(expected) && Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected));
  if (!ok) throw new Error(`expected ${expected}, got ${actual} (tolerance ${tol} relative)`);
}

/** Every visible state of n binary units with values `low`/1, bit k of the index is unit k from the left. */
function states(n: number, low = 0): number[][] {
  const out: number[][] = [];
  for (let s = 0; s < 2 ** n; s++) out.push(Array.from({ length: n }, (_, i) => ((s >> (n - 1 - i)) & 1 ? 1 : low)));
  return out;
}

/** A model with weights and biases of both signs and distinct sizes (7 x 5), from closed forms. */
function model(visible: string, hidden: string, extra: Record<string, number[]> = {}): RBM {
  const n = 7;
  const m = 5;
  return rbmFromJSON({
    format: 'rbmlab.rbm/1',
    visible: { type: visible, size: n, bias: Array.from({ length: n }, (_, i) => 0.4 * Math.cos(1.3 * i + 0.2)) },
    hidden: { type: hidden, size: m, bias: Array.from({ length: m }, (_, mu) => 0.3 * Math.sin(0.7 * mu - 0.5)), ...extra },
    weights: Array.from({ length: n }, (_, i) => Array.from({ length: m }, (_, mu) => 0.45 * Math.sin(1.7 * i + 2.3 * mu + 0.1))),
  });
}

/** log Z and the free energy of every visible state agree to 1e-12. */
function expectSameModel(a: RBM, b: RBM, low = 0): void {
  expect([b.numVisible, b.numHidden, b.visible.type, b.hidden.type]).toEqual([a.numVisible, a.numHidden, a.visible.type, a.hidden.type]);
  expectClose(exactLogZ(b).logZ, exactLogZ(a).logZ);
  for (const v of states(a.numVisible, low)) expectClose(b.freeEnergy(v), a.freeEnergy(v));
}

async function roundTrip(rbm: RBM, format: ModelFormat, ext: string): Promise<ConvertedModel> {
  const out = file(`round-${format}-${rbm.hidden.type}.${ext}`);
  await writeModel(out, { rbm }, format);
  return readModel(out);
}

describe('scikit-learn BernoulliRBM', () => {
  const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'bernoulli-rbm.expected.json'), 'utf8')) as { states: number[][]; freeEnergy: number[]; logZ: number };

  test("a model fitted and saved by scikit-learn: its free energies (sklearn's _free_energy) and log Z", async () => {
    const { rbm } = await readModel(path.join(FIXTURES, 'bernoulli-rbm.npz'));
    expect([rbm.numVisible, rbm.numHidden, rbm.visible.type, rbm.hidden.type]).toEqual([7, 5, 'bernoulli', 'bernoulli']);
    expect(expected.states).toHaveLength(128);
    expected.states.forEach((v, k) => expectClose(rbm.freeEnergy(v), expected.freeEnergy[k]));
    expectClose(exactLogZ(rbm).logZ, expected.logZ);
  });

  test('rbmlab -> sklearn .npz: numpy loads it and sklearn\'s free-energy formula gives rbmlab\'s; and back', async () => {
    const rbm = model('bernoulli', 'bernoulli');
    const out = file('to-sklearn.npz');
    await writeModel(out, { rbm }, 'sklearn');
    const script = `
import json, sys, itertools
import numpy as np
z = np.load(sys.argv[1])
assert sorted(z.files) == ['components_', 'intercept_hidden_', 'intercept_visible_'], z.files
C, a, b = z['components_'], z['intercept_visible_'], z['intercept_hidden_']
V = np.array(list(itertools.product([0.0, 1.0], repeat=C.shape[1])))
F = -V @ a - np.logaddexp(0, V @ C.T + b).sum(axis=1)   # sklearn's BernoulliRBM._free_energy
print(json.dumps({'shape': list(C.shape), 'F': F.tolist()}))`;
    const result = JSON.parse(execFileSync(pythonWith('numpy'), ['-c', script, out]).toString());
    expect(result.shape).toEqual([5, 7]); // components_ is n_components x n_features
    states(7).forEach((v, k) => expectClose(result.F[k], rbm.freeEnergy(v)));
    expectSameModel(rbm, (await readModel(out)).rbm);
  });
});

describe('rbms (DsysDML) HDF5 archives', () => {
  const WRITE = `
import sys, json, itertools
import numpy as np, h5py
path = sys.argv[1]
rng = np.random.default_rng(5)
N, M = 7, 5
with h5py.File(path, 'w') as f:                      # as rbms.io.save_model lays it out
    for k, dtype in [(1, np.float32), (5, np.float64)]:
        ck = f.create_group('update_%d' % k)
        p = ck.create_group('params')
        W = rng.normal(size=(N, M)) * 0.5
        vb = rng.normal(size=N) * 0.3
        hb = rng.normal(size=M) * 0.3
        for n, x in [('weight_matrix', W), ('vbias', vb), ('hbias', hb)]:
            p[n] = x.astype(dtype)
            ck[n] = p[n]
        ck['torch_rng_state'] = rng.integers(0, 255, size=16).astype(np.uint8)
        ck['numpy_rng_arg0'] = 'MT19937'
        ck['time'] = 1.5 * k
        ck.create_group('flags')['checkpoint'] = True
    f['parallel_chains'] = (rng.random((3, N)) < 0.5).astype(np.float64)
    f['model_type'] = 'BBRBM'
with h5py.File(path, 'r') as f:
    out = {}
    for k in [1, 5]:
        p = f['update_%d/params' % k]
        W, vb, hb = (p[n][()].astype(np.float64) for n in ['weight_matrix', 'vbias', 'hbias'])
        V = np.array(list(itertools.product([0.0, 1.0], repeat=N)))
        out[str(k)] = (-V @ vb - np.logaddexp(0, hb + V @ W).sum(axis=1)).tolist()
print(json.dumps(out))`;

  test('an archive as rbms writes it: the last update by default, --update K for another (float32 widened)', async () => {
    const archive = file('rbms.h5');
    const F = JSON.parse(execFileSync(pythonWith('h5py', 'numpy'), ['-c', WRITE, archive]).toString()) as Record<string, number[]>;
    const last = (await readModel(archive)).rbm;
    states(7).forEach((v, k) => expectClose(last.freeEnergy(v), F['5'][k]));
    const first = (await readModel(archive, { update: 1 })).rbm;
    states(7).forEach((v, k) => expectClose(first.freeEnergy(v), F['1'][k]));
    await expect(readModel(archive, { update: 3 })).rejects.toThrow(/rbms\.h5: has no update_3 \(saved updates: 1, 5\)/);
  });

  test('rbmlab -> rbms: h5py reads it as rbms\' load_params does, and its free energies are rbmlab\'s; and back', async () => {
    const rbm = model('bernoulli', 'bernoulli');
    const out = file('to-rbms.h5');
    await writeModel(out, { rbm }, 'rbms');
    const script = `
import sys, json, itertools
import numpy as np, h5py
with h5py.File(sys.argv[1], 'r') as f:
    model_type = f['model_type'][()].decode()          # rbms.io.load_params
    params = {k: f['update_1']['params'][k][()] for k in f['update_1']['params'].keys()}
    copies = all(np.array_equal(f['update_1'][k][()], params[k]) for k in params)
W, vb, hb = params['weight_matrix'], params['vbias'], params['hbias']
V = np.array(list(itertools.product([0.0, 1.0], repeat=W.shape[0])))
F = -V @ vb - np.logaddexp(0, hb + V @ W).sum(axis=1)
print(json.dumps({'type': model_type, 'keys': sorted(params), 'dtype': str(W.dtype), 'shape': list(W.shape), 'copies': bool(copies), 'F': F.tolist()}))`;
    const result = JSON.parse(execFileSync(pythonWith('h5py', 'numpy'), ['-c', script, out]).toString());
    expect({ ...result, F: undefined }).toEqual({ type: 'BBRBM', keys: ['hbias', 'vbias', 'weight_matrix'], dtype: 'float64', shape: [7, 5], copies: true, F: undefined });
    states(7).forEach((v, k) => expectClose(result.F[k], rbm.freeEnergy(v)));
    expectSameModel(rbm, (await readModel(out)).rbm);
  });
});

describe('npz for numpy users', () => {
  test('written by numpy with the documented lines (spin visible, bernoulli hidden, names)', async () => {
    const out = file('numpy-written.npz');
    const script = `
import sys, json, itertools
import numpy as np
N, M = 7, 5
rng = np.random.default_rng(9)
W = rng.normal(size=(N, M)) * 0.4
a = rng.normal(size=N) * 0.2
b = rng.normal(size=M) * 0.2
np.savez(sys.argv[1], weights=W, visible_type='spin', hidden_type='bernoulli', visible_bias=a, hidden_bias=b,
         visible_names=['px%d' % i for i in range(N)])
V = np.array(list(itertools.product([-1.0, 1.0], repeat=N)))
F = -V @ a - np.logaddexp(0, b + V @ W).sum(axis=1)      # spin U(v) = -a v, bernoulli Gamma = softplus
print(json.dumps(F.tolist()))`;
    const F = JSON.parse(execFileSync(pythonWith('numpy'), ['-c', script, out]).toString()) as number[];
    const read = await readModel(out);
    expect([read.rbm.visible.type, read.rbm.hidden.type]).toEqual(['spin', 'bernoulli']);
    expect(read.visibleNames).toEqual(['px0', 'px1', 'px2', 'px3', 'px4', 'px5', 'px6']);
    states(7, -1).forEach((v, k) => expectClose(read.rbm.freeEnergy(v), F[k]));
  });

  test('rbmlab -> npz: numpy loads every array; relu and gaussian hidden units round-trip', async () => {
    const relu = model('bernoulli', 'relu', { gamma: [0.5, 1, 1.5, 2, 3] });
    const out = file('relu.npz');
    await writeModel(out, { rbm: relu, visibleNames: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] }, 'npz');
    const listing = execFileSync(pythonWith('numpy'), ['-c', 'import sys, json, numpy as np; z = np.load(sys.argv[1]); print(json.dumps({k: [z[k].dtype.str, list(z[k].shape)] for k in sorted(z.files)}) + " " + str(z["hidden_type"]) + " " + str(z["hidden_gamma"][4]))', out]).toString();
    expect(listing.trim()).toBe(
      '{"hidden_bias": ["<f8", [5]], "hidden_gamma": ["<f8", [5]], "hidden_type": ["<U4", []], "visible_bias": ["<f8", [7]], "visible_names": ["<U1", [7]], ' +
        '"visible_type": ["<U9", []], "weights": ["<f8", [7, 5]]} relu 3.0',
    );
    const back = await readModel(out);
    expect(back.visibleNames).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expectSameModel(relu, back.rbm);
    const gaussian = model('bernoulli', 'gaussian', { gamma: [1, 2, 3, 4, 5] });
    expectSameModel(gaussian, (await roundTrip(gaussian, 'npz', 'npz')).rbm);
  });

  test('every route, both directions, keeps log Z and free energies to 1e-12', async () => {
    const rbm = model('bernoulli', 'bernoulli');
    for (const [format, ext] of [['rbmlab', 'json'], ['sklearn', 'npz'], ['rbms', 'h5'], ['npz', 'npz']] as const) {
      const there = await roundTrip(rbm, format, ext);
      expectSameModel(rbm, there.rbm);
      // and from the other format back through rbmlab's file to the other format again: same bytes
      const json = file(`back-${format}.json`);
      await writeModel(json, there, 'rbmlab');
      const again = await formatModel(await readModel(json), format, 'again');
      if (format !== 'rbms') expect(Buffer.from(again).equals(fs.readFileSync(file(`round-${format}-bernoulli.${ext}`)))).toBe(true);
      expectSameModel(rbm, loadRbm(json));
    }
  });
});

describe('rbmlab convert', () => {
  test('each route from the command line, formats inferred from contents and extensions', async () => {
    const source = file('cli-model.json');
    saveRbm(source, model('bernoulli', 'bernoulli'), { visibleNames: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] });
    const toSk = await rbmlab('convert', source, '--out', file('cli.npz'), '--to', 'sklearn');
    expect(toSk.code).toBe(0);
    expect(toSk.stdout).toMatch(/cli\.npz: 7 bernoulli visible x 5 bernoulli hidden units, as sklearn \(the visible names are not kept/);
    expect((await rbmlab('convert', file('cli.npz'), '--out', file('cli.h5'))).code).toBe(0);
    expect((await rbmlab('convert', file('cli.h5'), '--out', file('cli-np.npz'), '--to', 'npz')).code).toBe(0);
    expect((await rbmlab('convert', file('cli-np.npz'), '--out', file('cli-back.json'))).code).toBe(0);
    expectSameModel(loadRbm(source), loadRbm(file('cli-back.json')));
    expect((await rbmlab('convert', path.join(FIXTURES, 'bernoulli-rbm.npz'), '--out', file('from-sklearn.json'), '--from', 'sklearn')).code).toBe(0);
    const logz = await rbmlab('logz', file('from-sklearn.json'), '--json');
    const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'bernoulli-rbm.expected.json'), 'utf8')).logZ;
    expectClose(JSON.parse(logz.stdout).logZ, expected);
  });

  test('bad input: one line, exit 2, nothing written', async () => {
    const good = file('good.json');
    saveRbm(good, model('bernoulli', 'bernoulli'));
    const relu = file('relu.json');
    saveRbm(relu, model('bernoulli', 'relu', { gamma: [1, 1, 1, 1, 1] }));
    fs.writeFileSync(file('half.npz'), fs.readFileSync(path.join(FIXTURES, 'bernoulli-rbm.npz')).subarray(0, 500));
    execFileSync(pythonWith('numpy'), ['-c', "import sys, numpy as np; np.savez(sys.argv[1], components_=np.zeros((5, 7)), intercept_visible_=np.zeros(6), intercept_hidden_=np.zeros(5))", file('bad-shape.npz')]);
    execFileSync(pythonWith('h5py'), ['-c', "import sys, numpy as np, h5py\nwith h5py.File(sys.argv[1], 'w') as f:\n    f['model_type'] = 'PBRBM'\n    f['update_1/params/weight_matrix'] = np.zeros((3, 2, 4))", file('potts.h5')]);
    execFileSync(pythonWith('numpy'), ['-c', "import sys, numpy as np; np.savez(sys.argv[1], weights=np.zeros((7, 5)), visible_type='bernoulli', hidden_type='relu', hidden_gamma=[1, 1, -2, 1, 1])", file('bad-gamma.npz')]);
    execFileSync(pythonWith('numpy'), ['-c', "import sys, numpy as np; np.savez(sys.argv[1], weights=np.zeros((7, 5)), visible_type='bernoulli', hidden_type='bernoulli', hidden_bias=np.zeros(4))", file('bad-bias.npz')]);
    const never = file('never');
    const cases: [string[], RegExp][] = [
      [[good, '--out', `${never}.npz`], /--out .*never\.npz: an \.npz may be scikit-learn's BernoulliRBM or rbmlab's npz: give --to sklearn or --to npz/],
      [[good, '--out', `${never}.bin`], /cannot tell the format from the extension/],
      [[good, '--out', `${never}.json`, '--from', 'keras'], /unknown --from "keras" \(known: rbmlab, sklearn, rbms, npz\)/],
      [[relu, '--out', `${never}.npz`, '--to', 'sklearn'], /scikit-learn's BernoulliRBM has bernoulli visible and hidden units; this model has bernoulli visible and relu hidden units \(use --to npz\)/],
      [[relu, '--out', `${never}.h5`], /an rbms archive \(BBRBM\) has bernoulli visible and hidden units/],
      [[file('half.npz'), '--out', `${never}.json`], /half\.npz: not a readable \.npz \(zip\) archive/],
      [[file('bad-shape.npz'), '--out', `${never}.json`], /bad-shape\.npz: intercept_visible_ has 6 entries, but components_ is 5 x 7/],
      [[file('bad-gamma.npz'), '--out', `${never}.json`], /bad-gamma\.npz: hidden_gamma\[2\] must be a finite number > 0/],
      [[file('bad-bias.npz'), '--out', `${never}.json`], /bad-bias\.npz: hidden_bias has 4 entries, expected 5 \(the columns of weights\)/],
      [[file('potts.h5'), '--out', `${never}.json`], /potts\.h5: model_type is "PBRBM"; rbmlab converts rbms' "BBRBM"/],
      [[file('missing.npz'), '--out', `${never}.json`], /missing\.npz: no such file/],
      [[good, '--out', `${never}.json`, '--update', '2'], /--update chooses a saved update of an rbms archive; this is rbmlab/],
      [[path.join(FIXTURES, 'make-fixtures.py'), '--out', `${never}.json`], /not a model file rbmlab knows/],
    ];
    for (const [args, pattern] of cases) {
      expectOneLineError(await rbmlab('convert', ...args), 2, pattern);
    }
    expect(fs.readdirSync(path.dirname(never)).filter((n) => n.startsWith('never'))).toEqual([]);
  });

  test('a bad HDF5 file through the real process: one line on stderr (the HDF5 library\'s error stack is not printed)', () => {
    const archive = file('for-truncation.h5');
    execFileSync(pythonWith('h5py'), ['-c', "import sys, numpy as np, h5py\nwith h5py.File(sys.argv[1], 'w') as f:\n    f['model_type'] = 'BBRBM'\n    f['update_3/params/weight_matrix'] = np.zeros((7, 5))\n    f['update_3/params/vbias'] = np.zeros(7)", archive]);
    const bytes = fs.readFileSync(archive);
    fs.writeFileSync(file('truncated.h5'), bytes.subarray(0, bytes.length >> 1));
    const root = path.resolve(__dirname, '..', '..', '..');
    const bin = path.join(root, 'packages', 'experiments', 'bin', 'rbmlab.js');
    for (const [name, line] of [
      ['truncated.h5', /^rbmlab convert: .*truncated\.h5: not a readable HDF5 file \(truncated file: eof = \d+, .*\)\n$/],
      ['for-truncation.h5', /^rbmlab convert: .*for-truncation\.h5: update_3\/params\/hbias is missing \(an rbms archive has model_type and update_<k>\/params\/\{weight_matrix, vbias, hbias\}\)\n$/],
    ] as const) {
      const r = spawnSync(process.execPath, [bin, 'convert', file(name), '--out', file('never-bin.json')], { cwd: root, encoding: 'utf8', timeout: 110000 });
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(line);
      expect(r.status).toBe(2);
    }
    expect(fs.existsSync(file('never-bin.json'))).toBe(false);
  });
});
