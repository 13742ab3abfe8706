/**
 * What the CLI reports to the user. Every failure is one line on stderr, never a stack trace
 * (set RBMLAB_DEBUG=1 to see one for an internal error).
 *
 * Exit codes: 0 success; 1 a computation failed (training diverged, or an internal error); 2 bad
 * usage or bad input (flags, model files, a model the chosen method cannot handle: one that is not
 * normalizable, or whose energies or results leave float64).
 */

/** Exit code of success. */
export const EXIT_OK = 0;
/** Exit code of a computation that failed, or of an internal error. */
export const EXIT_FAILURE = 1;
/**
 * Exit code of bad usage or bad input (flags, model and data files, study files): one line, nothing written.
 */
export const EXIT_USAGE = 2;

/** A failure the user can fix: its message is the one line to print (without the prefix). */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT_USAGE,
  ) {
    super(message);
  }
}

/** Collapses a message to one line. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/**
 * Refuses (exit 2, one line) to print a number that is not a finite float64. `values` are the
 * quantities a command is about to print, by name; `why` says what overflowed. Commands call it
 * once on everything they print, so no NaN or Infinity (JSON null) is ever reported as a result.
 */
export function requireFinite(subject: string, values: Record<string, number>, why: () => string): void {
  for (const [name, value] of Object.entries(values)) {
    if (!Number.isFinite(value)) throw new CliError(`${subject}: ${name} is ${value} in float64: ${why()}`);
  }
}
