/** Plain-text tables of the bench's outputs. */

/** A number for a table: '-' for null, whole numbers from 100 up, else 3 significant digits. */
export function formatNumber(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '-';
  return x >= 100 ? x.toFixed(0) : x.toPrecision(3);
}

/** Columns padded to their widest cell, two spaces apart, one line per row (header first). */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  return [header, ...rows].map((row) => row.map((x, c) => x.padEnd(widths[c])).join('  ').trimEnd() + '\n').join('');
}
