/**
 * Numbers for people (terminal output, not files: files keep every digit). A measurement with a
 * standard error is written to the digits the error leaves meaningful: the error to two
 * significant digits and the value to the same decimal place (0.8921489244 ± 0.0202729 ->
 * "0.892 ± 0.020"); scientific notation when the magnitudes call for it.
 */

/** `value ± error` with the error to two significant digits and the value to the same place. */
export function formatMeasurement(value: number, error: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (!(Number.isFinite(error) && error > 0)) return formatValue(value);
  // decimal exponent of the second significant digit of the error rounded to two (0.0995 -> 0.10)
  const place = Math.floor(Math.log10(Number(error.toPrecision(2)))) - 1;
  const magnitude = Math.max(Math.abs(value), error);
  if (place >= -12 && place <= 0 && magnitude >= 1e-4 && magnitude < 1e9) {
    const decimals = -place;
    return `${value.toFixed(decimals)} ± ${error.toFixed(decimals)}`;
  }
  if (place > 0 && place < 15 && magnitude < 1e15) {
    // integers: round to the error's place
    const unit = 10 ** place;
    return `${Math.round(value / unit) * unit} ± ${Math.round(error / unit) * unit}`;
  }
  // very large or very small: a shared power of ten
  const exponent = Math.floor(Math.log10(magnitude));
  const scale = 10 ** exponent;
  const decimals = Math.max(0, exponent - place);
  return `(${(value / scale).toFixed(decimals)} ± ${(error / scale).toFixed(decimals)})e${exponent}`;
}

/** A value without an error: six significant digits (exponential outside 1e-4 .. 1e9). */
export function formatValue(value: number): string {
  if (value === 0 || !Number.isFinite(value)) return String(value);
  const a = Math.abs(value);
  return a >= 1e-4 && a < 1e9 ? String(Number(value.toPrecision(6))) : value.toExponential(5);
}
