/**
 * The flags of the commands that read a data file (train, eval): --delimiter, --header and
 * --index-column, the rules of data/csv.ts; --array for numpy's .npz archives (data/npy.ts).
 */
import type { Argv } from 'yargs';
import { DELIMITERS, HEADER_RULES, type DataReadOptions } from '../data/csv';
import { choice } from './args';
import type { Args } from './command';

/** Adds the data-reading flags to a command's builder. */
export function dataFlags<T>(y: Argv<T>): Argv<T> {
  return y
    .option('delimiter', { describe: `column delimiter of --data (${DELIMITERS.join(', ')}; auto: tab, else comma, else whitespace)`, default: 'auto', requiresArg: true })
    .option('header', { describe: `is the first row of --data a header (${HEADER_RULES.join(', ')}; auto: when it is not all numbers)`, default: 'auto', requiresArg: true })
    .option('array', { describe: 'the array of an .npz --data file (default: its only array, else "data", else "X")', type: 'string', requiresArg: true })
    .option('index-column', { describe: "drop the first column of --data (a row index); by default dropped when its header cell is empty, as pandas' to_csv writes", type: 'boolean' }) as unknown as Argv<T>;
}

/** The data-reading options given by the flags (each checked, one line naming the flag if bad). */
export function dataReadOptions(args: Args): DataReadOptions {
  const indexColumn = args['index-column'];
  return {
    delimiter: choice('delimiter', args.delimiter, DELIMITERS),
    header: choice('header', args.header, HEADER_RULES),
    indexColumn: indexColumn === undefined ? 'auto' : indexColumn === true,
    ...(args.array !== undefined ? { array: String(args.array) } : {}),
  };
}
