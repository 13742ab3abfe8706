/** The shape shared by the CLI's commands. */
import type { Argv } from 'yargs';

/** Where a command writes; main() binds these to process.stdout and process.stderr. */
export interface Io {
  /** Writes text to standard output as given (add the newline yourself). */
  stdout(text: string): void;
  /** Writes text to standard error as given. */
  stderr(text: string): void;
  /** True when stderr is a terminal: progress is drawn as a bar there, and as plain lines otherwise. */
  readonly isTTY?: boolean;
  /**
   * Calls `handler` on the first SIGINT or SIGTERM (later ones act as usual: the process ends);
   * returns a function that removes it. Absent in tests and embeddings: nothing to interrupt.
   */
  readonly onInterrupt?: (handler: () => void) => () => void;
}

/** Parsed flags, as yargs gives them (values unvalidated: commands validate with ./args). */
export type Args = Record<string, unknown>;

/**
 * One `rbmlab` subcommand: its name, yargs command string, usage and help line, flag declarations, and its
 * run.
 */
export interface Command {
  /** The word after `rbmlab` ("slurm submit" in a group): error lines start "rbmlab <name>:". */
  readonly name: string;
  /** yargs command string with positionals, e.g. "sample <model>". */
  readonly command: string;
  /** The usage line shown by `rbmlab <name> --help`. */
  readonly usage: string;
  /** One line for `rbmlab --help`. */
  readonly describe: string;
  /** Declares the command's positionals and flags (with their defaults from ./defaults). */
  builder(y: Argv): Argv;
  /** Runs the command; returns the exit code or throws (CliError for the user's mistakes). */
  run(args: Args, io: Io): Promise<number>;
}

/** Commands under one word: `rbmlab slurm submit ...`; `rbmlab slurm --help` lists them. */
export interface CommandGroup {
  readonly name: string;
  readonly describe: string;
  readonly commands: readonly Command[];
}
