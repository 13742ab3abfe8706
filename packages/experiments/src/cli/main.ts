/**
 * The `rbmlab` command line: `main(argv)` parses, runs one command and returns the exit code. It
 * never exits the process (the bin does, with the code), so tests call it in-process.
 *
 * Parsing is yargs 17 in strict mode with number parsing off: flags arrive as text and each
 * command validates its own (./args), so a bad value is reported naming its flag. Every failure
 * is exactly one line on stderr, "rbmlab <command>: <what is wrong>", with no usage dump and no
 * stack trace; `--help` prints the help generated from the declared options and defaults.
 */
import { distance } from 'fastest-levenshtein';
import yargs from 'yargs/yargs';
import type { Argv } from 'yargs';
import type { Args, Command, CommandGroup, Io } from './command';
import { convertCommand } from './commands/convert';
import { couplingsCommand } from './commands/couplings';
import { demoCommand } from './commands/demo';
import { labCommand } from './commands/lab';
import { evalCommand } from './commands/eval';
import { trainCommand } from './commands/train';
import { logzCommand } from './commands/logz';
import { sampleCommand } from './commands/sample';
import { slurmCommands } from './commands/slurm';
import { listCommand, mergeCommand, reportCommand, runCommand } from './commands/study';
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, oneLine } from './errors';
import { systemErrorLine } from './system-errors';

/** The commands, in the order `rbmlab --help` lists them. */
export const COMMANDS: readonly (Command | CommandGroup)[] = [
  runCommand,
  reportCommand,
  mergeCommand,
  slurmCommands,
  listCommand,
  trainCommand,
  evalCommand,
  logzCommand,
  sampleCommand,
  couplingsCommand,
  convertCommand,
  demoCommand,
  labCommand,
];

/**
 * Errors raised by core for input the user can fix (a bad model file, a model too large to
 * enumerate, a model that defines no distribution or whose energies leave float64: ModelError).
 */
const INPUT_ERRORS = new Set(['CliError', 'ModelFileError', 'ModelError', 'EnumerationError', 'DataFileError', 'CheckpointError', 'StudyError', 'BackendError', 'GpuLimitError', 'SlurmError']);

function isGroup(entry: Command | CommandGroup): entry is CommandGroup {
  return 'commands' in entry;
}

const names = (entries: readonly (Command | CommandGroup)[]) => entries.map((c) => c.name.split(' ').at(-1)).join(', ');

/**
 * The known word closest to a mistyped one, when it is close: at most a third of the word's
 * letters edited, and at least 2 (Levenshtein distance: a swap of two letters, "trian", is 2),
 * ties to the first in `known`.
 */
export function suggestion(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.ceil(word.length / 3)) + 1;
  for (const candidate of known) {
    const d = distance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** " (did you mean X?)" or nothing. */
function didYouMean(word: string, known: readonly string[], spell: (name: string) => string = (n) => n): string {
  const close = suggestion(word, known);
  return close === undefined ? '' : ` (did you mean ${spell(close)}?)`;
}

/** The long option names a command declares (its builder run on an empty parser), help and version included. */
function optionNames(command: Command): string[] {
  const parser = yargs([]);
  command.builder(parser);
  return Object.keys((parser as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key);
}

/**
 * What argv names: a command (of a group: "slurm submit"), a group without one of its commands,
 * or nothing known; `prefix` starts the error lines ("rbmlab slurm submit"). An unknown word
 * where a command belongs is a CliError naming the choices.
 */
function resolveCommand(argv: readonly string[]): { command?: Command; prefix: string } {
  const word = (i: number) => (argv.length > i && !argv[i].startsWith('-') ? argv[i] : undefined);
  const first = word(0);
  if (first === undefined) return { prefix: 'rbmlab' };
  const entry = COMMANDS.find((c) => c.name === first);
  if (entry === undefined) {
    const known = COMMANDS.map((c) => c.name);
    throw new CliError(`unknown command ${JSON.stringify(first)}${didYouMean(first, known)} (commands: ${names(COMMANDS)}); see rbmlab --help`);
  }
  if (!isGroup(entry)) return { command: entry, prefix: `rbmlab ${entry.name}` };
  const second = word(1);
  if (second === undefined) return { prefix: `rbmlab ${entry.name}` };
  const command = entry.commands.find((c) => c.name === `${entry.name} ${second}`);
  if (command === undefined) {
    const known = entry.commands.map((c) => c.name.split(' ').at(-1) as string);
    const hint = didYouMean(second, known, (n) => `${entry.name} ${n}`);
    throw new CliError(`unknown command ${JSON.stringify(`${entry.name} ${second}`)}${hint} (${entry.name} commands: ${names(entry.commands)}); see rbmlab ${entry.name} --help`);
  }
  return { command, prefix: `rbmlab ${command.name}` };
}

function packageVersion(): string {
  try {
    // dist/cli/main.js and src/cli/main.ts are both two levels below the package root
    return (require('../../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Spells a name yargs reports as the user typed it: "--name" when it was given as a flag. */
function asTyped(name: string, argv: readonly string[]): string {
  for (const dashes of ['--', '-']) {
    if (argv.some((a) => a === dashes + name || a.startsWith(`${dashes}${name}=`))) return dashes + name;
  }
  return name;
}

/** What a command's positional argument is, for "missing ..." (the others take a model file). */
const OPERANDS: Record<string, string> = {
  run: 'the study file argument (STUDY.json)',
  report: 'the study directory argument (DIR)',
  merge: 'the study directories to merge (DIR...)',
  'slurm submit': 'the study file argument (STUDY.json)',
  'slurm status': 'the submission directory argument (DIR)',
  'slurm merge': 'the submission directory argument (DIR)',
};

/**
 * Flags the command does not declare, found before yargs parses (which would report a missing
 * required flag first, hiding the typo that caused it): "--epoch" -> "--epoch (did you mean
 * --epochs?)". "--no-x" counts as x, "--a=b" as a, and camelCase as its kebab form (yargs accepts
 * both). Short flags and operands are left to yargs.
 */
function unknownFlags(argv: readonly string[], command: Command): string[] {
  const known = optionNames(command);
  const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const unknown: string[] = [];
  for (const arg of argv) {
    if (arg === '--') break;
    if (!arg.startsWith('--') || arg.length === 2) continue;
    let name = kebab(arg.slice(2).split('=')[0]);
    if (!known.includes(name) && name.startsWith('no-')) name = name.slice(3);
    if (!known.includes(name)) unknown.push(`--${arg.slice(2).split('=')[0]}${didYouMean(name, known, (n) => (n.length === 1 ? `-${n}` : `--${n}`))}`);
  }
  return unknown;
}

/** Rewrites yargs' validation messages in the CLI's terms (flags spelled with their dashes). */
function usageMessage(message: string, argv: readonly string[], command: Command | undefined): string {
  const required = /^Missing required arguments?: (.*)$/.exec(message);
  if (required) {
    const flags = required[1].split(', ').map((f) => `--${f}`);
    return `missing required flag${flags.length > 1 ? 's' : ''} ${flags.join(', ')}`;
  }
  if (/^Not enough non-option arguments/.test(message)) {
    return `missing ${(command && OPERANDS[command.name]) ?? 'the model file argument (MODEL.json)'}`;
  }
  const following = /^Not enough arguments following: (.*)$/.exec(message);
  if (following) return `--${following[1]} needs a value`;
  const unknown = /^Unknown arguments?: (.*)$/.exec(message);
  if (unknown) {
    const known = command ? optionNames(command) : ['help', 'version'];
    const names = unknown[1].split(', ').map((name) => {
      const typed = asTyped(name, argv);
      // only flags get a suggestion: a stray word is more likely a misplaced operand
      return typed.startsWith('-') ? typed + didYouMean(name, known, (n) => (n.length === 1 ? `-${n}` : `--${n}`)) : typed;
    });
    return `unknown argument${names.length > 1 ? 's' : ''} ${names.join(', ')}`;
  }
  return message.charAt(0).toLowerCase() + message.slice(1);
}

function buildParser(argv: string[], resolved: { command?: Command; prefix: string }, onCommand: (command: Command, args: Args) => void): Argv {
  const { prefix } = resolved;
  const register = (parser: Argv, command: Command) =>
    parser.command(
      command.command,
      command.describe,
      (y) => command.builder(y.usage(`${command.usage}\n\n${command.describe}`)),
      (args) => onCommand(command, args as Args),
    );
  let parser = yargs(argv)
    .scriptName('rbmlab')
    .locale('en')
    .parserConfiguration({ 'parse-numbers': false, 'parse-positional-numbers': false })
    .usage('rbmlab <command> [options]\n\nRestricted Boltzmann machines: exact oracles, samplers and model files.')
    .strict()
    .exitProcess(false)
    .fail((message, err) => {
      // yargs' own validation (unknown flag, missing flag or value; some come as a YError) or an
      // error it caught from our code, which passes through unchanged
      if (err && err.name !== 'YError') throw err;
      const text = message ?? err?.message ?? 'invalid arguments';
      throw new CliError(`${usageMessage(oneLine(text), argv, resolved.command)}; see ${prefix} --help`);
    })
    .demandCommand(1, `no command given (commands: ${names(COMMANDS)})`)
    .help()
    .alias('help', 'h')
    .version(packageVersion())
    .wrap(100);
  for (const entry of COMMANDS) {
    if (!isGroup(entry)) {
      parser = register(parser, entry);
      continue;
    }
    parser = parser.command(entry.name, entry.describe, (y) => {
      let group = y.usage(`rbmlab ${entry.name} <command> [options]\n\n${entry.describe}`);
      for (const command of entry.commands) group = register(group, command);
      return group.demandCommand(1, `no ${entry.name} command given (${entry.name} commands: ${names(entry.commands)})`);
    });
  }
  return parser;
}

/** Runs the CLI on the arguments after `rbmlab`, writing to `io`; resolves to the exit code. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  let prefix = 'rbmlab';
  let selected: { command: Command; args: Args } | undefined;
  try {
    const resolved = resolveCommand(argv);
    prefix = resolved.prefix;
    if (resolved.command !== undefined) {
      const unknown = unknownFlags(argv, resolved.command);
      if (unknown.length > 0) throw new CliError(`unknown argument${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; see ${prefix} --help`);
    }
    const output = await new Promise<string>((resolve, reject) => {
      buildParser(argv, resolved, (command, args) => {
        selected = { command, args };
      }).parse(argv, {}, (err, _args, text) => (err ? reject(err) : resolve(text)));
    });
    if (selected === undefined) {
      // --help or --version: yargs produced the text instead of printing it
      if (output) io.stdout(output.endsWith('\n') ? output : output + '\n');
      return EXIT_OK;
    }
    return await selected.command.run(selected.args, io);
  } catch (err) {
    const model = selected?.args.model;
    return report(err, selected ? `rbmlab ${selected.command.name}` : prefix, io, typeof model === 'string' ? model : undefined);
  }
}

/**
 * One line on stderr for any failure; the exit code says whose it is. A ModelError comes from
 * core without the file's name: it is named here once for every command (`model` is the
 * command's model file operand, if it has one).
 */
function report(err: unknown, prefix: string, io: Io, model?: string): number {
  if (err instanceof Error && INPUT_ERRORS.has(err.name)) {
    const subject = err.name === 'ModelError' && model !== undefined ? `${model}: ` : '';
    io.stderr(`${prefix}: ${subject}${oneLine(err.message)}\n`);
    return err instanceof CliError ? err.exitCode : EXIT_USAGE;
  }
  const system = systemErrorLine(err);
  if (system !== undefined) {
    io.stderr(`${prefix}: ${system.line}\n`);
    return system.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  if (process.env.RBMLAB_DEBUG && err instanceof Error && err.stack) {
    io.stderr(`${prefix}: internal error: ${err.stack}\n`);
  } else {
    io.stderr(`${prefix}: internal error: ${oneLine(message)} (set RBMLAB_DEBUG=1 for details)\n`);
  }
  return EXIT_FAILURE;
}

const processIo: Io = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  isTTY: process.stderr.isTTY === true,
  onInterrupt: (handler) => {
    const once = () => {
      process.removeListener('SIGINT', once);
      process.removeListener('SIGTERM', once);
      handler();
    };
    process.on('SIGINT', once);
    process.on('SIGTERM', once);
    return () => {
      process.removeListener('SIGINT', once);
      process.removeListener('SIGTERM', once);
    };
  },
};
