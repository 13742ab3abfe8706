/**
 * numpy's .npy and .npz data files (data/npy.ts) as numpy writes them: python3 with numpy writes
 * one 13 x 5 array (distinct sizes, so a transposed read fails) in every dtype numpy uses for data,
 * both byte orders, C and Fortran order and every .npy version, and .npz archives stored and
 * compressed; rbmlab reads each back and must give the array's values exactly (float32 as numpy
 * widens it). Then the bad files, each one line naming the file and the problem, and the CLI end
 * to end: training and evaluation from an .npy and an .npz give what the same data as text gives.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { readDataFile } from '../src/data/csv';
import { formatNpy, parseNpy } from '../src/data/npy';
import { expectOneLineError, rbmlab, temporaryDirectory } from './helpers/cli';
import { pythonWith } from './helpers/python';

const tmp = temporaryDirectory('rbmlab-npy-');
const { file } = tmp;

const PYTHON = `
import json, sys
import numpy as np
d = sys.argv[1]
rng = np.random.default_rng(11)
B = (rng.random((13, 5)) < 0.5)                       # bool
S = rng.integers(-3, 4, size=(13, 5))                 # small signed integers
R = rng.normal(size=(13, 5)) * np.array([1e-3, 1.0, 1e5, -2.0, 1e-300])
expected = {}
def save(name, A):
    np.save(d + '/' + name + '.npy', A)
    expected[name] = A.astype(np.float64).tolist()
save('bool', B)
save('uint8', B.astype(np.uint8))
for t in ['i1', 'i2', 'i4', 'i8']:
    save('int-' + t, S.astype(t))
for t in ['<i2', '>i2', '<i4', '>i4', '<i8', '>i8', '<u2', '>u4', '>u8', '<f4', '>f4', '<f8', '>f8']:
    A = (np.abs(S) if 'u' in t else (R if 'f' in t else S)).astype(t)
    save('endian' + t.replace('<', '-le-').replace('>', '-be-'), A)
save('fortran-f8', np.asfortranarray(R))
save('fortran-be-i4', np.asfortranarray(S.astype('>i4')))
for v in [(1, 0), (2, 0), (3, 0)]:
    with open(d + '/version-%d.npy' % v[0], 'wb') as f:
        np.lib.format.write_array(f, R, version=v)
    expected['version-%d' % v[0]] = R.tolist()
np.savez(d + '/one.npz', B.astype(np.uint8))                          # the only array, arr_0
np.savez(d + '/data.npz', data=R, labels=np.arange(13))               # "data" among others
np.savez_compressed(d + '/X.npz', y=np.arange(13), X=S.astype(np.int16))
np.savez(d + '/several.npz', a=R, b=S)                                 # no default: --array
np.savez_compressed(d + '/bin.npz', bits=B, reals=R)
np.save(d + '/one-d.npy', R[0])
np.save(d + '/three-d.npy', R.reshape(13, 5, 1))
np.save(d + '/objects.npy', np.array([[1, 'a'], [2, None]], dtype=object), allow_pickle=True)
np.save(d + '/structured.npy', np.zeros(3, dtype=[('x', 'f8'), ('y', 'i4')]))
np.save(d + '/strings.npy', np.array([['a', 'b'], ['c', 'd']]))
np.save(d + '/complex.npy', R.astype(np.complex128))
np.save(d + '/empty.npy', np.zeros((0, 5)))
N = B.astype(np.float64); N[2, 3] = np.nan
np.save(d + '/nan.npy', N)
raw = open(d + '/version-1.npy', 'rb').read()
open(d + '/truncated.npy', 'wb').write(raw[:-7])
open(d + '/truncated-header.npy', 'wb').write(raw[:9])
zraw = open(d + '/several.npz', 'rb').read()
open(d + '/truncated.npz', 'wb').write(zraw[: len(zraw) // 2])
np.savetxt(d + '/bits.txt', B.astype(int), fmt='%d')
json.dump(expected, open(d + '/expected.json', 'w'))
print(json.dumps({'B': B.astype(float).tolist(), 'S': S.astype(float).tolist(), 'R': R.tolist()}))
`;

let expected: Record<string, number[][]>;
let arrays: { B: number[][]; S: number[][]; R: number[][] };

beforeAll(() => {
  const out = execFileSync(pythonWith('numpy'), ['-c', PYTHON, file('')], { stdio: ['ignore', 'pipe', 'pipe'] });
  arrays = JSON.parse(out.toString());
  expected = JSON.parse(fs.readFileSync(file('expected.json'), 'utf8'));
});

const flat = (rows: number[][]) => Float64Array.from(rows.flat());

describe('.npy and .npz files as numpy writes them', () => {
  test('every dtype, byte order, memory order and version reads back as the array that wrote it', () => {
    expect(Object.keys(expected)).toHaveLength(24); // 2 + 4 + 13 + 2 + 3 files above
    for (const [name, values] of Object.entries(expected)) {
      const data = readDataFile(file(`${name}.npy`));
      expect([name, data.rows, data.cols]).toEqual([name, 13, 5]);
      expect([name, data.data]).toEqual([name, flat(values)]);
      expect(data.names).toBeUndefined();
    }
  });

  test('an .npz: its only array, else "data", else "X", else the one --array names', () => {
    expect(readDataFile(file('one.npz')).data).toEqual(flat(arrays.B));
    expect(readDataFile(file('data.npz')).data).toEqual(flat(arrays.R));
    expect(readDataFile(file('X.npz')).data).toEqual(flat(arrays.S));
    expect(readDataFile(file('several.npz'), { array: 'b' }).data).toEqual(flat(arrays.S));
    expect(readDataFile(file('bin.npz'), { array: 'bits' }).data).toEqual(flat(arrays.B));
  });

  test('what rbmlab writes, numpy reads (np.load), value for value', () => {
    const values = [0.1, -0, 1e-310, 2 ** 60 + 2 ** 8, -7.25, Math.PI];
    fs.writeFileSync(file('ours.npy'), formatNpy({ shape: [2, 3], data: values }));
    const back = execFileSync(pythonWith('numpy'), ['-c', 'import sys, json, numpy as np; a = np.load(sys.argv[1]); print(json.dumps([a.dtype.str, list(a.shape), [float(x).hex() for x in a.ravel()]]))', file('ours.npy')]);
    const [dtype, shape, hex] = JSON.parse(back.toString());
    expect([dtype, shape]).toEqual(['<f8', [2, 3]]);
    // float.hex is exact: compare bits, not decimal renderings
    const ours = values.map((x) => execHexOf(x));
    expect(hex).toEqual(ours);
    expect(parseNpy(fs.readFileSync(file('ours.npy'))).data).toEqual(Float64Array.from(values));
  });
});

/** Python's float.hex of a number, computed here (sign, 13 hex digits of mantissa, binary exponent). */
function execHexOf(x: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const sign = bits >> 63n ? '-' : '';
  const exponent = Number((bits >> 52n) & 0x7ffn);
  const mantissa = (bits & ((1n << 52n) - 1n)).toString(16).padStart(13, '0');
  if (exponent === 0 && mantissa === '0000000000000') return `${sign}0x0.0p+0`;
  const lead = exponent === 0 ? 0 : 1;
  const e = exponent === 0 ? -1022 : exponent - 1023;
  return `${sign}0x${lead}.${mantissa}p${e >= 0 ? '+' : ''}${e}`;
}

describe('bad numpy files: one line naming the file and the problem', () => {
  test.each([
    ['one-d.npy', /one-d\.npy: the array has shape \(5,\): rbmlab reads a 2-D array, n_samples x n_features; save X\.reshape/],
    ['three-d.npy', /three-d\.npy: the array has shape \(13, 5, 1\): rbmlab reads a 2-D array/],
    ['objects.npy', /objects\.npy: holds Python objects \(dtype "\|O", stored as a pickle\)/],
    ['structured.npy', /structured\.npy: has a structured dtype/],
    ['strings.npy', /strings\.npy: the array holds strings \(dtype <U1\), not numbers/],
    ['complex.npy', /complex\.npy: dtype "<c16" is not supported/],
    ['empty.npy', /empty\.npy: the array has shape \(0, 5\): no data rows/],
    ['truncated.npy', /truncated\.npy: truncated: shape \(13, 5\) of <f8 needs 520 data bytes, the file has 513/],
    ['truncated-header.npy', /truncated-header\.npy: truncated/],
    ['truncated.npz', /truncated\.npz: not a readable \.npz \(zip\) archive/],
    ['several.npz', /several\.npz: holds arrays a, b: choose one with --array NAME/],
  ])('%s', (name, pattern) => {
    expect(() => readDataFile(file(name))).toThrow(pattern);
    let message = '';
    try {
      readDataFile(file(name));
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).not.toMatch(/\n/);
    expect((message.match(/: /g) ?? []).length).toBeGreaterThanOrEqual(1);
  });

  test('--array names an array the archive lacks, or is given for a file with one array', () => {
    expect(() => readDataFile(file('several.npz'), { array: 'c' })).toThrow(/several\.npz: has no array "c" \(arrays: a, b\)/);
    expect(() => readDataFile(file('bool.npy'), { array: 'a' })).toThrow(/bool\.npy: is a \.npy file \(one array\); --array a chooses an array of an \.npz file/);
    expect(() => readDataFile(file('bits.txt'), { array: 'a' })).toThrow(/bits\.txt: --array a chooses an array of an \.npz file; this is a text file/);
  });
});

describe('the CLI reads numpy data', () => {
  test('train from an .npy, eval from an .npz (--array) and from text: the same numbers; NaN refused in one line', async () => {
    const model = file('m.json');
    const train = await rbmlab('train', '--data', file('bool.npy'), '--size', '3', '--out', model, '--method', 'exact', '--epochs', '2', '--seed', '4');
    expect(train.code).toBe(0);
    const fromNpz = await rbmlab('eval', model, '--data', file('bin.npz'), '--array', 'bits', '--json');
    const fromText = await rbmlab('eval', model, '--data', file('bits.txt'), '--json');
    expect(fromNpz.stderr).toBe('');
    expect(fromNpz.code).toBe(0);
    expect(JSON.parse(fromNpz.stdout)).toEqual(JSON.parse(fromText.stdout));
    expect(JSON.parse(fromNpz.stdout).rows).toBe(13);
    expectOneLineError(await rbmlab('eval', model, '--data', file('several.npz')), 2, /several\.npz: holds arrays a, b: choose one with --array NAME/);
    expectOneLineError(await rbmlab('eval', model, '--data', file('nan.npy')), 2, /nan\.npy: row 3, column 4: NaN is not a bernoulli value/);
    const out = file('never.json');
    expectOneLineError(await rbmlab('train', '--data', file('one-d.npy'), '--size', '2', '--out', out), 2, /one-d\.npy: the array has shape \(5,\)/);
    expect(fs.existsSync(out)).toBe(false);
  });
});
