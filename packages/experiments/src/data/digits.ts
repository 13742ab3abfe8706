/**
 * scikit-learn's 8 x 8 digits (packages/experiments/data/sklearn-digits.csv.gz, see its README):
 * 1,797 digits in scikit-learn's order, 64 grey levels 0..16 each, row-major pixels. Binarized
 * at half the range: a pixel is on when its grey level is at least 8, the rule of
 * `X / 16 >= 0.5` that Python users apply before a BernoulliRBM.
 */
import * as path from 'path';
import type { Dataset } from '@rbmlab/core';
import { readDataFile } from './csv';

export const DIGITS_SIDE = 8;
export const DIGITS_PIXELS = DIGITS_SIDE * DIGITS_SIDE;
export const DIGITS_COUNT = 1797;

/** The digits as binary pixels, with their labels. */
export interface DigitsDataset extends Dataset {
  readonly labels: Uint8Array;
}

/** The file, from dist/data or src/data (both two levels below the package root). */
// a function, not a constant: the browser lab bundles this module and has no path or __dirname
const digitsFile = (): string => path.join(__dirname, '..', '..', 'data', 'sklearn-digits.csv.gz');

let cached: { grey: Float64Array; labels: Uint8Array } | undefined;

/** The first `count` digits (default all 1,797), binarized at grey level 8. */
export function loadDigits(count: number = DIGITS_COUNT): DigitsDataset {
  if (!(Number.isInteger(count) && count >= 1 && count <= DIGITS_COUNT)) throw new RangeError(`digits: count must be an integer in 1..${DIGITS_COUNT}, got ${count}`);
  if (cached === undefined) {
    const file = digitsFile();
    const table = readDataFile(file);
    if (table.rows !== DIGITS_COUNT || table.cols !== DIGITS_PIXELS + 1) throw new Error(`${file}: expected ${DIGITS_COUNT} rows of label + ${DIGITS_PIXELS} pixels`);
    const grey = new Float64Array(DIGITS_COUNT * DIGITS_PIXELS);
    const labels = new Uint8Array(DIGITS_COUNT);
    for (let r = 0; r < DIGITS_COUNT; r++) {
      labels[r] = table.data[r * table.cols];
      grey.set(table.data.subarray(r * table.cols + 1, (r + 1) * table.cols), r * DIGITS_PIXELS);
    }
    cached = { grey, labels };
  }
  const data = new Float64Array(count * DIGITS_PIXELS);
  for (let k = 0; k < data.length; k++) data[k] = cached.grey[k] >= 8 ? 1 : 0;
  return { data, rows: count, cols: DIGITS_PIXELS, labels: cached.labels.slice(0, count) };
}
