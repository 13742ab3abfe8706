/**
 * Small private helpers of the evaluation module (not re-exported from the package).
 */

/** Checks that data holds rows x n finite values. */
export function checkData(data: ArrayLike<number>, rows: number, n: number, what: string): void {
  if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`${what}: rows must be a positive integer, got ${rows}`);
  if (data.length !== rows * n) throw new RangeError(`${what}: data has ${data.length} values, expected ${rows} rows x ${n} visible units`);
  for (let k = 0; k < data.length; k++) {
    if (!Number.isFinite(data[k])) throw new RangeError(`${what}: data value ${k} is not finite: ${data[k]}`);
  }
}

export function meanOf(xs: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < xs.length; k++) s += xs[k];
  if (Number.isFinite(s)) return s / xs.length;
  // the sum of finite terms can pass float64's range (1.8e308) when the mean does not (weights near
  // 1e308): sum the terms divided by n instead (one more rounding each, relative 2^-53)
  let scaled = 0;
  for (let k = 0; k < xs.length; k++) scaled += xs[k] / xs.length;
  return scaled;
}
