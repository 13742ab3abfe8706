/**
 * The file helpers every reader and writer of rbmlab shares: JSON that refuses duplicate keys,
 * mkdir -p that fails at once where Node's own loops (/proc), the path on write errors, and the
 * removal of temporary files left by killed writers.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DuplicateKeyError, makeDirectorySync, parseJson, processAlive, removeStaleTemporaries, writeFileAtomicSync } from '../src';

let dir = '';
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rbmlab-files-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

describe('parseJson', () => {
  test('equals JSON.parse on valid JSON without repeated keys, a byte-order mark skipped', () => {
    const text = '{"a": [1, {"b": 2, "c": {"b": 3}}], "b": {"a": 1}, "s": "{\\"a\\":1,\\"a\\":2}"}';
    expect(parseJson(text)).toEqual(JSON.parse(text));
    expect(parseJson('\ufeff[1, 2]')).toEqual([1, 2]);
    expect(parseJson('[{"a": 1}, {"a": 2}]')).toEqual([{ a: 1 }, { a: 2 }]);
  });

  test.each([
    ['{"a": 1, "a": 2}', 'a', '', 1],
    ['{"x": {"k": 1,\n"k": 2}}', 'k', 'x', 2],
    ['{"l": [0, {"b": 1, "b": 1}]}', 'b', 'l.1', 1],
  ])('refuses %j naming the key, where and the line', (text, key, where, line) => {
    let err: unknown;
    try {
      parseJson(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DuplicateKeyError);
    expect(err).toMatchObject({ key, where, line });
  });

  test('bad JSON is still a SyntaxError from JSON.parse', () => {
    expect(() => parseJson('{"a": ')).toThrow(SyntaxError);
    expect(() => parseJson('{"a": ')).not.toThrow(DuplicateKeyError);
  });
});

describe('makeDirectorySync', () => {
  test('makes every missing level and leaves an existing directory alone', () => {
    const deep = path.join(dir, 'a', 'b', 'c');
    makeDirectorySync(deep);
    expect(fs.statSync(deep).isDirectory()).toBe(true);
    makeDirectorySync(deep);
  });

  test('fails at once with the system error and its path: /proc (where mkdir -p of Node loops), a file on the way, a dangling link', () => {
    expect(() => makeDirectorySync('/proc/rbmlab-none/x')).toThrow(expect.objectContaining({ code: 'ENOENT', path: '/proc/rbmlab-none' }));
    fs.writeFileSync(path.join(dir, 'file'), '');
    expect(() => makeDirectorySync(path.join(dir, 'file', 'x'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    fs.symlinkSync('/nonexistent-rbmlab', path.join(dir, 'dangling'));
    expect(() => makeDirectorySync(path.join(dir, 'dangling', 'x'))).toThrow(expect.objectContaining({ code: 'ENOENT', reason: 'a symbolic link whose target does not exist' }));
  });
});

test('writeFileAtomicSync names the file in a write error that has none of its own, and leaves no temporary file', () => {
  // a real write(2) failure: a child whose file-size limit (ulimit -f, 512-byte blocks) is 1 block
  // gets EFBIG writing 5,000 bytes (SIGXFSZ is ignored so that the error, not the signal, arrives)
  const target = path.join(dir, 'too-big.txt');
  const script = `process.on('SIGXFSZ', () => {}); const { writeFileAtomicSync } = require(${JSON.stringify(path.resolve(__dirname, '..', 'dist'))});
    try { writeFileAtomicSync(${JSON.stringify(target)}, 'x'.repeat(5000)); } catch (e) { process.stdout.write(JSON.stringify({ code: e.code, path: e.path })); }`;
  const child = spawnSync('bash', ['-c', `ulimit -f 1 && exec "$0" -e "$1"`, process.execPath, script], { encoding: 'utf8' });
  expect(JSON.parse(child.stdout)).toEqual({ code: 'EFBIG', path: target });
  expect(fs.readdirSync(dir).filter((name) => name.includes('too-big'))).toEqual([]);
});

describe('removeStaleTemporaries', () => {
  test("removes temporaries of processes that are gone, keeps live writers' and other files", () => {
    const here = path.join(dir, 'tmpfiles');
    fs.mkdirSync(here);
    const dead = deadPid();
    const names = [`.results.csv.${dead}.3.tmp`, `.model.json.${dead}.1.tmp`, `.results.csv.${process.pid}.4.tmp`, 'results.csv', '.hidden', `.x.${dead}.tmp`];
    for (const name of names) fs.writeFileSync(path.join(here, name), '');
    expect(removeStaleTemporaries(here, processAlive, ['results.csv']).sort()).toEqual([`.results.csv.${dead}.3.tmp`]);
    expect(removeStaleTemporaries(here, processAlive).sort()).toEqual([`.model.json.${dead}.1.tmp`]);
    expect(fs.readdirSync(here).sort()).toEqual([`.hidden`, `.results.csv.${process.pid}.4.tmp`, `.x.${dead}.tmp`, 'results.csv'].sort());
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(dead)).toBe(false);
  });
});
