/**
 * System errors (a file that cannot be made, read or written) as the one line the CLI prints.
 *
 * Whatever command meets them, and wherever in rbmlab they are raised, errors of the file system
 * carry a code and, in rbmlab, the path (core's writeFileAtomicSync adds it to write(2) errors,
 * which have none): the line names the path, what went wrong in words and the code. Exit 2 when
 * the path is the user's to fix (no such directory, not writable, a file where a directory
 * should be), 1 when the system failed (full disk, quota, I/O): what was written before is kept,
 * and rbmlab says so.
 */
import { EXIT_FAILURE, EXIT_USAGE } from './errors';

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EEXIST: 'it already exists',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
};

/** Failures of the system rather than of the path given: the work so far is kept. */
const SYSTEM_FAILURES = new Set(['ENOSPC', 'EDQUOT', 'EFBIG', 'EIO', 'EMFILE']);

const VERBS: Readonly<Record<string, string>> = {
  mkdir: 'create the directory',
  open: 'open',
  read: 'read',
  write: 'write',
  rename: 'write',
  link: 'write',
  scandir: 'list the directory',
  stat: 'reach',
  unlink: 'remove',
};

/** The line and exit code for a system error with a code, or undefined for any other error. */
export function systemErrorLine(err: unknown): { line: string; exitCode: number } | undefined {
  const reason = systemErrorReason(err);
  if (reason === undefined) return undefined;
  const system = err as NodeJS.ErrnoException;
  const verb = VERBS[system.syscall ?? ''] ?? 'use';
  const where = system.path !== undefined ? `${verb} ${system.path}` : verb === 'use' ? 'finish' : verb;
  const kept = SYSTEM_FAILURES.has(system.code as string) ? '; what was written before is kept: free the space and run again (a study continues with --resume)' : '';
  return { line: `cannot ${where}: ${reason}${kept}`, exitCode: SYSTEM_FAILURES.has(system.code as string) ? EXIT_FAILURE : EXIT_USAGE };
}

/** What went wrong in words, with the code ("no space left on device (ENOSPC)"), or undefined for an error that is not a known system error. */
export function systemErrorReason(err: unknown): string | undefined {
  const system = err as NodeJS.ErrnoException & { reason?: string };
  if (!(err instanceof Error) || typeof system.code !== 'string' || !(system.code in REASONS)) return undefined;
  return `${system.reason ?? REASONS[system.code]} (${system.code})`;
}
