/**
 * The CLI's words (issue 17): every usage line lists every flag as spelled and nothing else, the
 * generated help has no glued or empty annotations, mistyped commands and flags get a suggestion,
 * and measurements print to the digits their error leaves meaningful.
 */
import yargs from 'yargs/yargs';
import type { Command, CommandGroup } from '../src/cli/command';
import { COMMANDS, suggestion } from '../src/cli/main';
import { formatMeasurement } from '../src/format';
import { expectOneLineError, rbmlab } from './helpers/cli';

const commands: Command[] = COMMANDS.flatMap((c) => ('commands' in c ? (c as CommandGroup).commands : [c as Command]));

/** The long options a command declares, without yargs' own help and version. */
function declared(command: Command): string[] {
  const parser = yargs([]);
  command.builder(parser);
  const keys = Object.keys((parser as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key);
  // positionals (<model>, <dirs..>) are keys too; they are operands, not flags
  const positionals = [...command.command.matchAll(/[<[]([\w-]+)(?:\.\.)?[>\]]/g)].map((m) => m[1]);
  return keys.filter((k) => k !== 'help' && k !== 'version' && !positionals.includes(k));
}

/** The flags a usage line names: --name, --no-name (as name), -k. */
function named(usage: string): string[] {
  const flags = [...usage.matchAll(/(?<![\w-])(--?)([a-z][\w-]*)/g)].map((m) => m[2].replace(/^no-/, ''));
  return [...new Set(flags)];
}

describe('usage lines and help', () => {
  test.each(commands.map((c) => [c.name, c] as const))('%s: the usage line names exactly the declared flags', (_, command) => {
    expect(named(command.usage).sort()).toEqual(declared(command).sort());
  });

  test.each(commands.map((c) => [c.name] as const))('%s --help: no annotation glued to its text, no empty default', async (name) => {
    const run = await rbmlab(...name.split(' '), '--help');
    expect(run.code).toBe(0);
    for (const line of run.stdout.split('\n')) {
      expect(line).not.toMatch(/\S\[(required|default|boolean|string|array|number)/);
      expect(line).not.toMatch(/\[default: \[\]\]/);
    }
  });
});

describe('suggestions', () => {
  test('close words are suggested, far ones are not', () => {
    expect(suggestion('trian', ['run', 'train', 'eval'])).toBe('train');
    expect(suggestion('epoch', ['epochs', 'batch'])).toBe('epochs');
    expect(suggestion('zzz', ['epochs', 'batch'])).toBeUndefined();
  });
  test('a mistyped command or flag: one line with "did you mean", exit 2', async () => {
    expectOneLineError(await rbmlab('trian'), 2, /^rbmlab: unknown command "trian" \(did you mean train\?\)/);
    expectOneLineError(await rbmlab('slurm', 'sumbit', 's.json'), 2, /unknown command "slurm sumbit" \(did you mean slurm submit\?\)/);
    // reported before the required flags that the typo left missing
    expectOneLineError(await rbmlab('train', '--epoch', '3'), 2, /^rbmlab train: unknown argument --epoch \(did you mean --epochs\?\); see rbmlab train --help\n$/);
    expectOneLineError(await rbmlab('sample', 'm.json', '--chain', '3'), 2, /unknown argument --chain \(did you mean --chains\?\)/);
    expectOneLineError(await rbmlab('train', '--zzz'), 2, /^rbmlab train: unknown argument --zzz; see/);
  });
});

describe('measurements', () => {
  test.each([
    [0.8921489244184968, 0.02027290339224313, '0.892 ± 0.020'],
    [1234.5678, 0.0123, '1234.568 ± 0.012'],
    [-198.07354, 0.5, '-198.07 ± 0.50'],
    [12345.6, 123.4, '12350 ± 120'],
    [2.0, 0.0995, '2.00 ± 0.10'],
    [1.2345e-7, 3.2e-9, '(1.235 ± 0.032)e-7'],
    [3.14159, 0, '3.14159'],
  ])('%p ± %p -> %s', (value, error, text) => {
    expect(formatMeasurement(value, error)).toBe(text);
  });
});
