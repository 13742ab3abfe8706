/**
 * Bars and Stripes (MacKay 2003): n x n binary images, row-major (pixel (r, c) is unit r n + c),
 * in which every row is all on or all off (bars) or every column is (stripes). There are
 * 2^(n+1) - 2 distinct images (all-off and all-on are both), so a model that puts equal mass on
 * them reaches the best mean log-likelihood -ln(2^(n+1) - 2): -ln 14 = -2.639 for 3 x 3.
 */
import type { Rng } from '../random/rng';

/** A data set: rows x cols values, row-major. */
export interface Dataset {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
}

/**
 * Every distinct n x n Bars-and-Stripes image once (2^(n+1) - 2 rows, n^2 columns, values 0/1):
 * first the bar images in the order of their n-bit masks (bit r = row r on), then the stripe
 * images that are not bars (masks other than all-off and all-on).
 */
export function barsAndStripes(n: number): Dataset {
  if (!(Number.isInteger(n) && n >= 1 && n <= 12)) throw new RangeError(`bars and stripes: n must be an integer in 1..12, got ${n}`);
  const cols = n * n;
  const images: Float64Array[] = [];
  const full = (1 << n) - 1;
  for (let mask = 0; mask <= full; mask++) images.push(lines(n, mask, 'bars'));
  for (let mask = 1; mask < full; mask++) images.push(lines(n, mask, 'stripes'));
  const data = new Float64Array(images.length * cols);
  images.forEach((image, k) => data.set(image, k * cols));
  return { data, rows: images.length, cols };
}

/**
 * `count` images from the usual generative process: bars or stripes with probability 1/2 each,
 * then every line on with probability 1/2 (so all-off and all-on are twice as likely as the
 * others). Draws from `rng` only.
 */
export function sampleBarsAndStripes(n: number, count: number, rng: Rng): Dataset {
  if (!(Number.isInteger(n) && n >= 1 && n <= 12)) throw new RangeError(`bars and stripes: n must be an integer in 1..12, got ${n}`);
  if (!(Number.isInteger(count) && count >= 1)) throw new RangeError(`bars and stripes: count must be a positive integer, got ${count}`);
  const cols = n * n;
  const data = new Float64Array(count * cols);
  for (let k = 0; k < count; k++) {
    const kind = rng.uniform() < 0.5 ? 'bars' : 'stripes';
    let mask = 0;
    for (let line = 0; line < n; line++) if (rng.uniform() < 0.5) mask |= 1 << line;
    data.set(lines(n, mask, kind), k * cols);
  }
  return { data, rows: count, cols };
}

/** The image whose rows (bars) or columns (stripes) in `mask` are on. */
function lines(n: number, mask: number, kind: 'bars' | 'stripes'): Float64Array {
  const image = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) image[r * n + c] = (mask >> (kind === 'bars' ? r : c)) & 1;
  }
  return image;
}
