/**
 * Data files: CSV rows of visible values, one row per sample, one column per visible unit. A
 * first line with any non-numeric cell is a header (e.g. v0,v1,... as `rbmlab sample` writes);
 * blank lines are skipped. Values must suit the visible units: 0/1 for bernoulli, -1/+1 for
 * spin, finite reals for gaussian. Every problem is one line naming the file, line and column.
 */
import * as fs from 'fs';
import type { Dataset, UnitLayer } from '@rbmlab/core';

/** A data file that cannot be used; the message is "<file>: <what, where>". */
export class DataFileError extends Error {
  override readonly name = 'DataFileError';
  constructor(readonly source: string, detail: string) {
    super(`${source}: ${detail}`.replace(/\s*[\r\n]+\s*/g, ' '));
  }
}

/** A decimal number as CSV holds it (no hex, no empty cell, no "Infinity"). */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Parses CSV text of numbers into a data set. `source` names the file in errors. */
export function parseDataCsv(text: string, source: string): Dataset {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let cols = -1;
  const values: number[] = [];
  let rows = 0;
  for (let l = 0; l < lines.length; l++) {
    const line = lines[l].trim();
    if (line === '') continue;
    const cells = line.split(',').map((c) => c.trim());
    const numeric = cells.every((c) => NUMBER.test(c));
    if (!numeric) {
      if (cols === -1 && rows === 0 && values.length === 0 && l === firstNonBlank(lines)) {
        cols = cells.length; // header
        continue;
      }
      const bad = cells.findIndex((c) => !NUMBER.test(c));
      throw new DataFileError(source, `line ${l + 1}, column ${bad + 1}: ${JSON.stringify(cells[bad])} is not a number`);
    }
    if (cols === -1) cols = cells.length;
    if (cells.length !== cols) throw new DataFileError(source, `line ${l + 1} has ${cells.length} values, expected ${cols}`);
    for (const c of cells) values.push(Number(c));
    rows++;
  }
  if (rows === 0) throw new DataFileError(source, 'no data rows');
  return { data: Float64Array.from(values), rows, cols };
}

function firstNonBlank(lines: string[]): number {
  return lines.findIndex((line) => line.trim() !== '');
}

/** Reads a CSV data file (see parseDataCsv). */
export function readDataCsv(path: string): Dataset {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    throw new DataFileError(path, `cannot read file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseDataCsv(text, path);
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
