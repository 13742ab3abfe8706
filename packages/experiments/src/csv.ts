/**
 * CSV of states: one row per chain, one column per unit, header v0,...,v{N-1}. Numbers are
 * written exactly: integers as integers, reals in the shortest form that parses back to the same
 * float64 (Number.prototype.toString), -0 as "-0".
 */

/** A number as CSV text that parses back to the same float64. */
export function formatCsvNumber(x: number): string {
  return Object.is(x, -0) ? '-0' : String(x);
}

/** Column names of a batch of states of `width` units: prefix0, ..., prefix{width-1}. */
export function stateHeader(width: number, prefix = 'v'): string[] {
  return Array.from({ length: width }, (_, i) => `${prefix}${i}`);
}

/**
 * The CSV text of `rows` x `width` row-major states, with the header v0,... or `names` (the
 * columns of the data a model was trained on); `leading` adds a column before the states (a name
 * and one value per row).
 */
export function statesToCsv(
  states: ArrayLike<number>,
  rows: number,
  width: number,
  leading?: { name: string; values: readonly string[] },
  names?: readonly string[],
): string {
  if (states.length !== rows * width) {
    throw new RangeError(`statesToCsv: ${states.length} values do not fill ${rows} rows x ${width} columns`);
  }
  const header = names ?? stateHeader(width);
  if (header.length !== width) throw new RangeError(`statesToCsv: ${header.length} column names for ${width} columns`);
  // names from a data file's header may hold commas or quotes: quoted as RFC 4180 has it
  const quote = (name: string) => (/[",\r\n]/.test(name) ? `"${name.replace(/"/g, '""')}"` : name);
  const lines: string[] = [(leading ? [leading.name, ...header] : header).map(quote).join(',')];
  for (let r = 0; r < rows; r++) {
    const cells: string[] = leading ? [leading.values[r]] : [];
    for (let c = 0; c < width; c++) cells.push(formatCsvNumber(states[r * width + c]));
    lines.push(cells.join(','));
  }
  return lines.join('\n') + '\n';
}
