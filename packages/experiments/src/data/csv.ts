/**
 * Data files: one row per sample, one column per visible unit, as numpy, pandas and rbmlab write
 * them. Values must suit the visible units: 0/1 for bernoulli, -1/+1 for spin, finite reals for
 * gaussian. Every problem is one line naming the file, line and column.
 *
 * Delimited text (parsed by csv-parse, the node-csv project's parser: quoting, CRLF and BOM handled):
 * - Delimiter: comma, tab or whitespace (runs of spaces and tabs, numpy's loadtxt convention), given
 *   or detected from the first row that is not blank or a comment: a tab makes it tab-separated,
 *   else a comma comma-separated, else whitespace-separated. `np.savetxt(f, X)` writes
 *   space-separated '%.18e' numbers; `np.savetxt(f, X, delimiter=',')` and `df.to_csv(f)` commas.
 * - Header: a first row with any cell that is not a number is a header (`auto`, e.g. v0,v1,... as
 *   `rbmlab sample` writes); `yes` takes the first row as a header whatever it holds (columns named
 *   "1", "2", ...), `no` makes every row data, so a first row that is not numbers is an error.
 * - Index column: pandas' `to_csv` writes the row index as a first column whose header cell is
 *   empty (",v0,v1"); such a column is dropped (`auto`). `indexColumn: true` drops the first column
 *   whatever its header (an index written with a name, or a file without a header).
 * - Lines starting with '#' (numpy's comments, e.g. savetxt's `header=`) and blank lines are skipped.
 * Column names (the header's, after any index column) carry through: `train` keeps them in the
 * model file and `sample` writes them as its header.
 *
 * gzip-compressed files (any of the above, `.gz` or not) are recognised by their magic bytes.
 *
 * numpy's .npy files and .npz archives (np.save, np.savez, np.savez_compressed) are recognised by
 * their magic bytes too and read by ./npy: a 2-D array of n_samples x n_features of bool, int,
 * uint or float (any byte order, C or Fortran order). They carry no column names.
 */
import * as fs from 'fs';
import { gunzipSync } from 'zlib';
import { parse } from 'csv-parse/sync';
import type { Dataset, UnitLayer } from '@rbmlab/core';
import { isNpy, isZip, numpyDataset } from './npy';

/** A data file that cannot be used; the message is "<file>: <what, where>". */
export class DataFileError extends Error {
  override readonly name = 'DataFileError';
  constructor(readonly source: string, detail: string) {
    super(`${source}: ${detail}`.replace(/\s*[\r\n]+\s*/g, ' '));
  }
}

/** Column delimiters of delimited text; `auto` detects one (see the module comment). */
export const DELIMITERS = ['auto', 'comma', 'tab', 'whitespace'] as const;
/**
 * A column delimiter of a data file: 'auto' (tab, else comma, else whitespace, from the first data row),
 * 'comma', 'tab' or 'whitespace'.
 */
export type Delimiter = (typeof DELIMITERS)[number];

/** Header rules: `auto` (a first row that is not all numbers), `yes`, `no`. */
export const HEADER_RULES = ['auto', 'yes', 'no'] as const;
/** Whether a data file's first row is a header: 'auto' (when a cell is not a number), 'yes' or 'no'. */
export type HeaderRule = (typeof HEADER_RULES)[number];

/** How to read a data file; every field defaults to `auto` detection. */
export interface DataReadOptions {
  readonly delimiter?: Delimiter;
  readonly header?: HeaderRule;
  /** true: drop the first column; false: keep it; 'auto' (default): drop it when its header cell is empty. */
  readonly indexColumn?: boolean | 'auto';
  /** The array of an .npz file to read (default: its only array, else "data", else "X"). */
  readonly array?: string;
}

/** A data set with the names of its columns when the file had a header. */
export interface NamedDataset extends Dataset {
  readonly names?: readonly string[];
}

/** A decimal number as text data holds it (no hex, no empty cell, no "Infinity"). */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The first line that is neither blank nor a '#' comment, or undefined. */
function firstContentLine(lines: readonly string[]): string | undefined {
  return lines.find((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
}

/** The delimiter of `text` under `rule` (see the module comment). */
function detectDelimiter(lines: readonly string[], rule: Delimiter): Exclude<Delimiter, 'auto'> {
  if (rule !== 'auto') return rule;
  const first = firstContentLine(lines) ?? '';
  if (first.includes('\t')) return 'tab';
  if (first.includes(',')) return 'comma';
  return 'whitespace';
}

/** Rows of cells, each with its 1-based line number in the file. */
function splitRows(text: string, lines: readonly string[], delimiter: Exclude<Delimiter, 'auto'>, source: string): { line: number; cells: string[] }[] {
  if (delimiter === 'whitespace') {
    const rows: { line: number; cells: string[] }[] = [];
    lines.forEach((raw, i) => {
      const line = raw.trim();
      if (line !== '' && !line.startsWith('#')) rows.push({ line: i + 1, cells: line.split(/\s+/) });
    });
    return rows;
  }
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      delimiter: delimiter === 'tab' ? '\t' : ',',
      bom: true,
      comment: '#',
      comment_no_infix: true,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
      info: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (err) {
    throw new DataFileError(source, `not readable as ${delimiter}-separated text (${(err as Error).message})`);
  }
  return records
    .filter(({ record }) => !(record.length === 1 && record[0] === ''))
    .map(({ record, info }) => ({ line: info.lines, cells: record }));
}

/** Parses delimited text of numbers into a data set. `source` names the file in errors. */
export function parseDataText(text: string, source: string, options: DataReadOptions = {}): NamedDataset {
  const body = text.replace(/^\uFEFF/, '');
  const lines = body.split(/\r?\n/);
  const delimiter = detectDelimiter(lines, options.delimiter ?? 'auto');
  const rows = splitRows(body, lines, delimiter, source);
  if (rows.length === 0) throw new DataFileError(source, 'no data rows');
  const headerRule = options.header ?? 'auto';
  const first = rows[0];
  const firstNumeric = first.cells.every((c) => NUMBER.test(c));
  let header: string[] | undefined;
  if (headerRule === 'yes' || (headerRule === 'auto' && !firstNumeric)) {
    header = first.cells;
    rows.shift();
  }
  const dropIndex = options.indexColumn === true || ((options.indexColumn ?? 'auto') === 'auto' && header !== undefined && header[0] === '' && header.length > 1);
  const names = header === undefined ? undefined : dropIndex ? header.slice(1) : header;
  if (names !== undefined) {
    const blank = names.findIndex((n) => n === '');
    if (blank >= 0) throw new DataFileError(source, `line ${first.line}: header column ${blank + 1 + (dropIndex ? 1 : 0)} is empty`);
  }
  if (rows.length === 0) throw new DataFileError(source, 'no data rows (only a header)');
  const cols = (names?.length ?? rows[0].cells.length - (dropIndex ? 1 : 0));
  if (cols < 1) throw new DataFileError(source, 'no data columns');
  const data = new Float64Array(rows.length * cols);
  rows.forEach(({ line, cells }, r) => {
    const values = dropIndex ? cells.slice(1) : cells;
    if (values.length !== cols) {
      const what = header !== undefined ? `the header has ${cols}` : `line ${rows[0].line} has ${cols}`;
      throw new DataFileError(source, `line ${line} has ${values.length} values, but ${what}${dropIndex ? ' (after the index column)' : ''}`);
    }
    values.forEach((cell, c) => {
      if (!NUMBER.test(cell)) {
        const column = c + 1 + (dropIndex ? 1 : 0);
        const hint = r === 0 && headerRule === 'no' ? ' (a header? use --header yes)' : '';
        throw new DataFileError(source, `line ${line}, column ${column}: ${JSON.stringify(cell)} is not a number${hint}`);
      }
      data[r * cols + c] = Number(cell);
    });
  });
  return { data, rows: rows.length, cols, ...(names !== undefined ? { names } : {}) };
}

/** gzip's magic bytes. */
function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Reads a data file (delimited text, gzip-compressed or not, or numpy's .npy/.npz; see the module comment). */
export function readDataFile(path: string, options: DataReadOptions = {}): NamedDataset {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DataFileError(path, code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : `cannot read file (${code ?? String(err)})`);
  }
  if (isNpy(bytes) || isZip(bytes)) {
    try {
      return numpyDataset(bytes, options.array);
    } catch (err) {
      throw new DataFileError(path, (err as Error).message);
    }
  }
  if (options.array !== undefined) throw new DataFileError(path, `--array ${options.array} chooses an array of an .npz file; this is a text file`);
  if (isGzip(bytes)) {
    try {
      bytes = gunzipSync(bytes);
    } catch (err) {
      throw new DataFileError(path, `gzip data is corrupt (${(err as Error).message})`);
    }
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DataFileError(path, 'not a text file (expected delimited numbers, UTF-8)');
  }
  return parseDataText(text, path, options);
}

/**
 * Checks that a data set fits a visible layer: the column count and every value (in the layer's
 * finite support when it has one, finite otherwise). Throws DataFileError naming row and column
 * (1-based data rows, header not counted).
 */
export function checkDataForLayer(dataset: Dataset, layer: UnitLayer, source: string): void {
  if (dataset.cols !== layer.size) {
    throw new DataFileError(source, `has ${dataset.cols} columns, but the model has ${layer.size} visible units`);
  }
  const support = layer.support;
  const { data, cols } = dataset;
  for (let k = 0; k < data.length; k++) {
    const x = data[k];
    const ok = support !== undefined ? support.includes(x) : Number.isFinite(x);
    if (!ok) {
      const expected = support !== undefined ? support.join(' or ') : 'a finite number';
      throw new DataFileError(source, `row ${Math.floor(k / cols) + 1}, column ${(k % cols) + 1}: ${x} is not a ${layer.type} value (${expected})`);
    }
  }
}
