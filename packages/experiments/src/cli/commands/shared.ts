/** Helpers shared by the commands. */
import * as fs from 'fs';
import * as nodePath from 'path';
import { makeDirectorySync, writeFileAtomicSync } from '@rbmlab/core';
import { filePath } from '../args';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from '../errors';
import { systemErrorLine, systemErrorReason } from '../system-errors';

/** Errors that mean the path given is unusable (the user's to fix), rather than a system failure. */
const PATH_ERRORS = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'EPERM', 'EROFS', 'EEXIST', 'ENAMETOOLONG']);

/**
 * Errors of core that mean "this model cannot be handled this way" (too large to enumerate, no
 * binary layer) become one-line input errors naming the model file; anything else passes through.
 */
export function asInputError(err: unknown, file: string): unknown {
  if (err instanceof Error && err.name === 'EnumerationError') return new CliError(`${file}: ${err.message}`);
  return err;
}

/**
 * Writes a whole file atomically (temporary file in the same directory, then rename), creating
 * the directory if needed: the path ends up holding the complete new content or nothing new.
 * `flag` names the flag the path came from, for the error message.
 */
export function writeOutput(file: string, content: string | Uint8Array, flag: string): void {
  try {
    makeDirectorySync(nodePath.dirname(nodePath.resolve(file)));
    writeFileAtomicSync(file, content);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(
      `--${flag} ${file}: cannot write file (${code ?? (err as Error).message})`,
      code !== undefined && PATH_ERRORS.has(code) ? EXIT_USAGE : EXIT_FAILURE,
    );
  }
}

/**
 * The path of an output flag (--out FILE, or a directory with `directory`), checked before any
 * work so that a long run never ends in "cannot write": its nearest existing ancestor must be a
 * directory in which a file can be created (a probe file is made and removed there: that is what
 * catches /proc, read-only and permission-less places, which access(2) lets through for root),
 * and the path itself must not be a directory (or, with `directory`, a file). Missing directories
 * are made when the output is written. One line naming the flag otherwise, exit 2.
 */
export function outputPath(flag: string, value: unknown, options: { directory?: boolean } = {}): string {
  const file = filePath(flag, value);
  const target = nodePath.resolve(file);
  const fail = (why: string): never => {
    throw new CliError(`--${flag} ${file}: ${why}`);
  };
  const existing = statOrUndefined(target, fail);
  if (existing?.isDirectory() === true && options.directory !== true) fail('is a directory; give a file name');
  if (existing !== undefined && !existing.isDirectory() && options.directory === true) fail('is a file, not a directory');
  let ancestor = options.directory === true ? target : nodePath.dirname(target);
  for (;;) {
    const stat = statOrUndefined(ancestor, fail);
    if (stat !== undefined) {
      if (!stat.isDirectory()) fail(`${ancestor} is not a directory`);
      break;
    }
    ancestor = nodePath.dirname(ancestor);
  }
  const probe = nodePath.join(ancestor, `.rbmlab-probe.${process.pid}.0.tmp`);
  try {
    fs.closeSync(fs.openSync(probe, 'wx'));
    fs.unlinkSync(probe);
  } catch (err) {
    fail(`cannot write in ${ancestor}: ${systemErrorReason(err) ?? (err as Error).message}`);
  }
  return file;
}

/** stat(2) of a path, undefined when nothing is there; a dangling symbolic link is refused. */
function statOrUndefined(target: string, fail: (why: string) => never): fs.Stats | undefined {
  try {
    return fs.statSync(target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') fail('a part of the path is a file, not a directory');
    if (code !== 'ENOENT') fail(systemErrorLine(err)?.line ?? (err as Error).message);
    try {
      if (fs.lstatSync(target).isSymbolicLink()) fail(`${target} is a symbolic link whose target does not exist`);
    } catch (inner) {
      if (inner instanceof CliError) throw inner;
    }
    return undefined;
  }
}
