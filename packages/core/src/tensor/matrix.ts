/**
 * Dense matrices in rbmlab are flat, row-major typed arrays: element (r, c) of an R x C matrix
 * is a[r * C + c]. Batches of chains are R = chains rows of one layer's units. Float64 is the
 * default; Float32 storage halves the memory traffic of the sampling kernels where that pays.
 * ml-matrix interop is for users and for the linear algebra rbmlab does not do itself (SVD).
 */
import { Matrix } from 'ml-matrix';

/** Storage of a flat row-major matrix or vector: Float64Array (the default) or Float32Array. */
export type FloatArray = Float64Array | Float32Array;
/** Element type of a FloatArray: 'float64' (Float64Array) or 'float32' (Float32Array). */
export type Precision = 'float64' | 'float32';

/** A zero-filled array of the given precision. */
export function allocate(precision: Precision, length: number): FloatArray {
  return precision === 'float32' ? new Float32Array(length) : new Float64Array(length);
}

/** Row-major rows x cols data as an ml-matrix Matrix (copied). */
export function toMatrix(data: ArrayLike<number>, rows: number, cols: number): Matrix {
  if (data.length !== rows * cols) {
    throw new RangeError(`toMatrix: ${data.length} values do not fill ${rows} x ${cols}`);
  }
  const m = new Matrix(rows, cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) m.set(r, c, data[r * cols + c]);
  return m;
}

/** An ml-matrix Matrix (or nested arrays) as flat row-major Float64Array data. */
export function fromMatrix(m: Matrix | number[][]): { data: Float64Array; rows: number; cols: number } {
  const rows = Array.isArray(m) ? m.length : m.rows;
  const cols = Array.isArray(m) ? (rows > 0 ? m[0].length : 0) : m.columns;
  const data = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = Array.isArray(m) ? m[r] : m.getRow(r);
    if (row.length !== cols) throw new RangeError(`fromMatrix: row ${r} has ${row.length} values, expected ${cols}`);
    for (let c = 0; c < cols; c++) data[r * cols + c] = row[c];
  }
  return { data, rows, cols };
}
