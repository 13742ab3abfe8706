/**
 * Data files as numpy and pandas write them (data/csv.ts): the files are written by python3 with
 * numpy and pandas in beforeAll (CI installs Debian's python3-pandas; a missing one fails the test
 * with the import error, it does not skip), read back by rbmlab and compared value for value
 * with the array that wrote them; then the CLI end to end: column names carried from the data
 * through `train` into the model file and out of `sample`.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { loadModelFile } from '@rbmlab/core';
import { parseDataText, readDataFile } from '../src/data/csv';
import { expectOneLineError, rbmlab, temporaryDirectory } from './helpers/cli';
import { pythonWith } from './helpers/python';

const tmp = temporaryDirectory('rbmlab-data-');
const { file } = tmp;

/** 12 rows x 4 columns of 0/1 from a fixed pattern, and 12 x 3 reals with many digits. */
const PYTHON = `
import gzip, json, sys
import numpy as np
import pandas as pd
d = sys.argv[1]
rng = np.random.default_rng(7)
X = (rng.random((12, 4)) < 0.5).astype(float)
R = rng.normal(size=(12, 3)) * np.array([1e-3, 1.0, 1e5])
np.savetxt(d + '/savetxt.txt', X)                                # ' ' and '%.18e'
np.savetxt(d + '/savetxt-tab.txt', X, delimiter='\\t', fmt='%g')
np.savetxt(d + '/savetxt-comma.csv', X, delimiter=',', fmt='%d', header='a,b,c,d', comments='# ')
np.savetxt(d + '/reals.txt.gz', R)                               # numpy gzips a .gz name
np.savetxt(d + '/fixed-width.txt', X, fmt='%8.3f')               # leading spaces, runs of spaces
df = pd.DataFrame(X.astype(int), columns=['pix a', 'pix,b', 'c', 'd'])
df.to_csv(d + '/pandas-index.csv')                               # ',pix a,...' and an index column
df.to_csv(d + '/pandas.csv', index=False)
df.to_csv(d + '/pandas.tsv', sep='\\t', index=False)
df.rename_axis('idx').to_csv(d + '/pandas-named-index.csv')      # an index column with a name
pd.DataFrame(X.astype(int), columns=['1', '2', '3', '4']).to_csv(d + '/numeric-names.csv', index=False)
json.dump({'X': X.tolist(), 'R': R.tolist()}, open(d + '/arrays.json', 'w'))
`;

let X: number[][];
let R: number[][];

beforeAll(() => {
  execFileSync(pythonWith('numpy', 'pandas'), ['-c', PYTHON, file('')], { stdio: ['ignore', 'ignore', 'pipe'] });
  ({ X, R } = JSON.parse(fs.readFileSync(file('arrays.json'), 'utf8')));
});

const flat = (rows: number[][]) => Float64Array.from(rows.flat());

describe('data files as numpy and pandas write them', () => {
  test.each([
    ['savetxt.txt', 'whitespace, %.18e'],
    ['savetxt-tab.txt', 'tabs'],
    ['savetxt-comma.csv', 'commas after a "# a,b,c,d" comment'],
    ['fixed-width.txt', 'runs of spaces'],
    ['pandas.csv', 'a header'],
    ['pandas.tsv', 'a header, tabs'],
    ['pandas-index.csv', "pandas' index column under an empty header cell"],
  ])('%s (%s) reads back as the array that wrote it', (name) => {
    const data = readDataFile(file(name));
    expect(data.rows).toBe(12);
    expect(data.cols).toBe(4);
    expect(data.data).toEqual(flat(X));
  });

  test('reals through gzip keep every bit (%.18e round-trips a float64)', () => {
    const data = readDataFile(file('reals.txt.gz'));
    expect([data.rows, data.cols]).toEqual([12, 3]);
    expect(data.data).toEqual(flat(R));
  });

  test("column names: the header's, without pandas' index column, quoted names intact", () => {
    expect(readDataFile(file('pandas-index.csv')).names).toEqual(['pix a', 'pix,b', 'c', 'd']);
    expect(readDataFile(file('pandas.tsv')).names).toEqual(['pix a', 'pix,b', 'c', 'd']);
    expect(readDataFile(file('savetxt.txt')).names).toBeUndefined();
  });

  test('an index column with a name is dropped on request, and counted against the header otherwise', () => {
    const dropped = readDataFile(file('pandas-named-index.csv'), { indexColumn: true });
    expect(dropped.names).toEqual(['pix a', 'pix,b', 'c', 'd']);
    expect(dropped.data).toEqual(flat(X));
    expect(readDataFile(file('pandas-named-index.csv')).cols).toBe(5);
  });

  test('header rules: "yes" takes numeric names, "no" makes a text first row an error that says so', () => {
    const auto = readDataFile(file('numeric-names.csv'));
    expect(auto.rows).toBe(13); // the names 1,2,3,4 are numbers: auto takes them as data
    const yes = readDataFile(file('numeric-names.csv'), { header: 'yes' });
    expect(yes.names).toEqual(['1', '2', '3', '4']);
    expect(yes.data).toEqual(flat(X));
    expect(() => readDataFile(file('pandas.csv'), { header: 'no' })).toThrow(/pandas\.csv: line 1, column 1: "pix a" is not a number \(a header\? use --header yes\)/);
  });

  test('a given delimiter overrides detection', () => {
    // split at its one comma, the header 'pix a<TAB>pix,b<TAB>c<TAB>d' has two names
    expect(() => readDataFile(file('pandas.tsv'), { delimiter: 'comma' })).toThrow(/pandas\.tsv: line 2 has 1 values, but the header has 2$/);
    expect(readDataFile(file('savetxt-tab.txt'), { delimiter: 'whitespace' }).data).toEqual(flat(X));
  });

  test('every problem is one line naming the file and where', () => {
    expect(() => parseDataText('a,b\n1,2\n3\n', 'f.csv')).toThrow(new Error('f.csv: line 3 has 1 values, but the header has 2'));
    expect(() => parseDataText('1 2\n3 x\n', 'f.txt')).toThrow(new Error('f.txt: line 2, column 2: "x" is not a number'));
    expect(() => parseDataText('# only a comment\n\n', 'f.txt')).toThrow(new Error('f.txt: no data rows'));
    expect(() => parseDataText('a,b\n', 'f.csv')).toThrow(new Error('f.csv: no data rows (only a header)'));
    expect(() => parseDataText('"a,b\n1,2\n', 'f.csv')).toThrow(/^f\.csv: not readable as comma-separated text/);
    fs.writeFileSync(file('bad.gz'), Buffer.from([0x1f, 0x8b, 1, 2, 3]));
    expect(() => readDataFile(file('bad.gz'))).toThrow(/bad\.gz: gzip data is corrupt/);
    fs.writeFileSync(file('binary.dat'), Buffer.from([0xff, 0xfe, 0x00, 0x81]));
    expect(() => readDataFile(file('binary.dat'))).toThrow(/binary\.dat: not a text file/);
  });
});

describe('the CLI with such files', () => {
  test('train on a pandas file keeps its column names; sample writes them; eval reads numpy text', async () => {
    const model = file('named.json');
    const train = await rbmlab('train', '--data', file('pandas-index.csv'), '--size', '2', '--out', model, '--method', 'exact', '--epochs', '2', '--seed', '1');
    expect(train.code).toBe(0);
    const loaded = loadModelFile(model);
    expect(loaded.kind === 'rbm' && loaded.visibleNames).toEqual(['pix a', 'pix,b', 'c', 'd']);
    const out = file('named-samples.csv');
    expect((await rbmlab('sample', model, '--out', out, '--chains', '3', '--sweeps', '2')).code).toBe(0);
    const lines = fs.readFileSync(out, 'utf8').split('\n');
    expect(lines[0]).toBe('pix a,"pix,b",c,d');
    // and the samples read back with those names
    expect(readDataFile(out).names).toEqual(['pix a', 'pix,b', 'c', 'd']);
    const evaluated = await rbmlab('eval', model, '--data', file('savetxt.txt'), '--json');
    expect(evaluated.code).toBe(0);
    expect(JSON.parse(evaluated.stdout).rows).toBe(12);
  });

  test('data without names (or with rbmlab\'s own v0..) leaves the model file as before', async () => {
    const model = file('plain.json');
    expect((await rbmlab('train', '--data', file('savetxt.txt'), '--size', '2', '--out', model, '--method', 'exact', '--epochs', '1')).code).toBe(0);
    expect(JSON.parse(fs.readFileSync(model, 'utf8')).visibleNames).toBeUndefined();
  });

  test('bad data flags are one line, exit 2', async () => {
    expectOneLineError(await rbmlab('train', '--data', file('pandas.csv'), '--size', '2', '--out', file('x.json'), '--delimiter', 'semicolon'), 2, /--delimiter/);
    expectOneLineError(await rbmlab('eval', file('named.json'), '--data', file('pandas.csv'), '--header', 'maybe'), 2, /--header/);
    expect(fs.existsSync(file('x.json'))).toBe(false);
  });
});
