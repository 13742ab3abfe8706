/**
 * Running the `rbmlab` CLI in-process for tests: main(argv) with stdout and stderr captured
 * (stderr not a terminal, so progress comes as plain lines), a temporary directory per test file,
 * and the check every bad-input case shares.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../src/cli/main';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `rbmlab ...argv` in this process and returns its exit code and output. */
export async function rbmlab(...argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), isTTY: false });
  return { code, stdout, stderr };
}

/** A failure as the CLI promises it: the exit code, nothing on stdout, one stderr line, no stack. */
export function expectOneLineError(run: Run, code: number, pattern: RegExp): void {
  expect(run.code).toBe(code);
  expect(run.stdout).toBe('');
  expect(run.stderr.endsWith('\n')).toBe(true);
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

/**
 * A temporary directory made before the file's tests and removed after them; `file(name)` is a
 * path in it and `writeJson` writes a value (or text) there.
 */
export function temporaryDirectory(prefix: string): {
  file: (name: string) => string;
  writeJson: (name: string, content: unknown) => string;
} {
  let dir = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = (name: string) => path.join(dir, name);
  const writeJson = (name: string, content: unknown) => {
    fs.writeFileSync(file(name), typeof content === 'string' ? content : JSON.stringify(content, null, 1));
    return file(name);
  };
  return { file, writeJson };
}
