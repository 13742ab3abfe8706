/** Helpers shared by the commands. */
import * as fs from 'fs';
import * as nodePath from 'path';
import { writeFileAtomicSync } from '@rbmlab/core';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from '../errors';

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
    fs.mkdirSync(nodePath.dirname(nodePath.resolve(file)), { recursive: true });
    writeFileAtomicSync(file, content);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(
      `--${flag} ${file}: cannot write file (${code ?? (err as Error).message})`,
      code !== undefined && PATH_ERRORS.has(code) ? EXIT_USAGE : EXIT_FAILURE,
    );
  }
}
