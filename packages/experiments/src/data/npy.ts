/**
 * numpy's own files: .npy (one array) and .npz (a zip archive of .npy files, as np.savez and
 * np.savez_compressed write them), read and written here without numpy.
 *
 * The .npy format (NEP 1, "A simple file format for NumPy arrays", and numpy.lib.format):
 *
 *     bytes 0-5   magic "\x93NUMPY"
 *     bytes 6-7   format version, major and minor (1.0, 2.0 or 3.0)
 *     then        header length HLEN: uint16 little-endian (version 1) or uint32 (versions 2, 3)
 *     then        HLEN bytes of header: a Python dict literal in ASCII (version 3: UTF-8),
 *                 {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }, padded with spaces
 *                 and ended by '\n' so that the data starts at a multiple of 64 (16 before numpy 1.9)
 *     then        the data: prod(shape) items of dtype `descr`, in C (row-major) order, or in
 *                 Fortran (column-major) order when fortran_order is True.
 *
 * `descr` is a byte order ('<' little, '>' big, '|' not applicable, '=' native) and a kind and
 * item size: b1 (bool), u1, i1, i2, i4, i8, u2, u4, u8, f4, f8; U<n> (UTF-32 strings of n
 * characters) and S<n> (bytes) are read as strings. Object arrays ('O', stored as a pickle) and
 * structured dtypes (a list of fields) are refused: a data file is plain numbers.
 *
 * The .npz format is a zip archive whose entries "NAME.npy" are the arrays; np.savez stores them,
 * np.savez_compressed deflates them (both read through fflate, a maintained zero-dependency zip
 * library). numpy writes its entries with zip64 extra fields; fflate reads those.
 */
import { unzipSync, zipSync, type Zippable } from 'fflate';

/** The six magic bytes of a .npy file. */
const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

/** A file that is not a readable numpy array: the message is "<what is wrong>" (the caller names the file). */
export class NpyError extends Error {
  override readonly name = 'NpyError';
}

/** An array read from a .npy file: numbers (as float64, in C order) or strings. */
export interface NpyArray {
  /** The dtype as numpy writes it, e.g. "<f8", "|b1", "<U9". */
  readonly descr: string;
  readonly shape: readonly number[];
  /** Numeric arrays: every value in C (row-major) order, whatever the file's order. */
  readonly data?: Float64Array;
  /** String arrays ('U' and 'S' dtypes): every value in C order. */
  readonly strings?: readonly string[];
}

/** True when `bytes` begin with the .npy magic. */
export function isNpy(bytes: Uint8Array): boolean {
  return bytes.length >= NPY_MAGIC.length && NPY_MAGIC.every((b, k) => bytes[k] === b);
}

/** True when `bytes` begin with a zip local file header ("PK\x03\x04"), as an .npz does; an empty archive ("PK\x05\x06") too. */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6));
}

/** The value of `key` in numpy's header dict, as the text of a Python literal, or undefined. */
function headerField(header: string, key: string): string | undefined {
  const at = header.search(new RegExp(`['"]${key}['"]\\s*:`));
  if (at < 0) return undefined;
  const rest = header.slice(header.indexOf(':', at) + 1).trimStart();
  if (rest.startsWith("'") || rest.startsWith('"')) {
    const end = rest.indexOf(rest[0], 1);
    return end < 0 ? undefined : rest.slice(0, end + 1);
  }
  if (rest.startsWith('(') || rest.startsWith('[')) {
    const end = rest.indexOf(rest.startsWith('(') ? ')' : ']');
    return end < 0 ? undefined : rest.slice(0, end + 1);
  }
  return /^\w+/.exec(rest)?.[0];
}

interface DescrInfo {
  readonly little: boolean;
  readonly kind: string;
  readonly size: number;
}

/** Byte order, kind and item size of a simple dtype string, or a failure naming it. */
function parseDescr(descr: string): DescrInfo {
  const m = /^([<>|=])([a-zA-Z])(\d+)$/.exec(descr);
  if (descr.startsWith('|O') || descr === 'O' || /^[<>|=]O/.test(descr)) {
    throw new NpyError(`holds Python objects (dtype ${JSON.stringify(descr)}, stored as a pickle), which rbmlab does not load; save numbers (e.g. X.astype(np.float64))`);
  }
  if (m === null) throw new NpyError(`dtype ${JSON.stringify(descr)} is not a plain number type (bool, int, uint, float)`);
  const [, order, kind, sizeText] = m;
  const size = Number(sizeText);
  // '=' is native order; numpy writes '<' or '>' explicitly, and every platform Node runs on is little-endian
  return { little: order !== '>', kind, size };
}

/** Reads one item of a numeric dtype at byte offset `at`. */
function numberReader(info: DescrInfo, descr: string): (view: DataView, at: number) => number {
  const le = info.little;
  const key = `${info.kind}${info.size}`;
  switch (key) {
    case 'b1':
      return (v, at) => (v.getUint8(at) !== 0 ? 1 : 0);
    case 'u1':
      return (v, at) => v.getUint8(at);
    case 'i1':
      return (v, at) => v.getInt8(at);
    case 'u2':
      return (v, at) => v.getUint16(at, le);
    case 'i2':
      return (v, at) => v.getInt16(at, le);
    case 'u4':
      return (v, at) => v.getUint32(at, le);
    case 'i4':
      return (v, at) => v.getInt32(at, le);
    case 'u8':
      return (v, at) => Number(v.getBigUint64(at, le));
    case 'i8':
      return (v, at) => Number(v.getBigInt64(at, le));
    case 'f4':
      return (v, at) => v.getFloat32(at, le);
    case 'f8':
      return (v, at) => v.getFloat64(at, le);
    default:
      throw new NpyError(`dtype ${JSON.stringify(descr)} is not supported (bool, uint8-64, int8-64, float32, float64)`);
  }
}

/**
 * Maps the k-th item of a Fortran-order (column-major) array of `shape` to its index in C
 * (row-major) order: k = sum_d i_d prod_{e<d} n_e, index = sum_d i_d prod_{e>d} n_e.
 */
function fortranToC(shape: readonly number[]): (k: number) => number {
  const cStrides = new Array<number>(shape.length);
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    cStrides[d] = stride;
    stride *= shape[d];
  }
  return (k) => {
    let rest = k;
    let index = 0;
    for (let d = 0; d < shape.length; d++) {
      const i = rest % shape[d];
      rest = (rest - i) / shape[d];
      index += i * cStrides[d];
    }
    return index;
  };
}

/** Parses a .npy file. Throws NpyError with what is wrong (truncated, unsupported dtype, ...). */
export function parseNpy(bytes: Uint8Array): NpyArray {
  if (!isNpy(bytes)) throw new NpyError('not a .npy file (no "\\x93NUMPY" magic)');
  if (bytes.length < 10) throw new NpyError('truncated (the .npy header is cut short)');
  const major = bytes[6];
  const minor = bytes[7];
  if (major < 1 || major > 3) throw new NpyError(`.npy format version ${major}.${minor} is not one numpy writes (1.0, 2.0, 3.0)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) throw new NpyError('truncated (the .npy header is cut short)');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = 8 + lengthBytes + headerLength;
  if (bytes.length < dataStart) throw new NpyError(`truncated (the header says ${headerLength} bytes, the file ends before)`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(8 + lengthBytes, dataStart));
  const descrText = headerField(header, 'descr');
  const orderText = headerField(header, 'fortran_order');
  const shapeText = headerField(header, 'shape');
  if (descrText === undefined || orderText === undefined || shapeText === undefined) {
    throw new NpyError(`the .npy header is not numpy's dict of descr, fortran_order and shape: ${JSON.stringify(header.trim().slice(0, 80))}`);
  }
  if (descrText.startsWith('[')) throw new NpyError('has a structured dtype (named fields); save a plain 2-D array of numbers');
  const descr = descrText.slice(1, -1);
  if (orderText !== 'True' && orderText !== 'False') throw new NpyError(`fortran_order is ${orderText}, not True or False`);
  const fortran = orderText === 'True';
  const shapeInner = shapeText.slice(1, -1).trim();
  const shape = shapeInner === '' ? [] : shapeInner.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new NpyError(`shape ${shapeText} is not a tuple of sizes`);
  const count = shape.reduce((a, b) => a * b, 1);
  const info = parseDescr(descr);
  const text = info.kind === 'U' || info.kind === 'S';
  // bytes per item: 'U<n>' holds n UTF-32 code units, 'S<n>' n bytes, numbers their size
  const itemBytes = info.kind === 'U' ? 4 * info.size : info.size;
  const need = count * itemBytes;
  if (bytes.length - dataStart < need) {
    throw new NpyError(`truncated: shape (${shape.join(', ')}) of ${descr} needs ${need} data bytes, the file has ${bytes.length - dataStart}`);
  }
  const place = fortran && shape.length > 1 ? fortranToC(shape) : (k: number) => k;
  if (text) {
    const strings: string[] = new Array(count);
    for (let k = 0; k < count; k++) {
      const at = dataStart + k * itemBytes;
      let value = '';
      for (let c = 0; c < info.size; c++) {
        const code = info.kind === 'U' ? view.getUint32(at + 4 * c, info.little) : view.getUint8(at + c);
        if (code === 0) break; // numpy pads short strings with NULs
        value += String.fromCodePoint(code);
      }
      strings[place(k)] = value;
    }
    return { descr, shape, strings };
  }
  const read = numberReader(info, descr);
  const data = new Float64Array(count);
  for (let k = 0; k < count; k++) data[place(k)] = read(view, dataStart + k * info.size);
  return { descr, shape, data };
}

/** The entries of an .npz archive, by array name ("NAME.npy" without ".npy"), unparsed. */
export function unzipNpz(bytes: Uint8Array): Map<string, Uint8Array> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (err) {
    throw new NpyError(`not a readable .npz (zip) archive (${(err as Error).message}); truncated?`);
  }
  const out = new Map<string, Uint8Array>();
  for (const [name, content] of Object.entries(files)) out.set(name.endsWith('.npy') ? name.slice(0, -4) : name, content);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Writing: version 1.0 headers, little-endian float64 or UTF-32 strings, C order.

/** An array to write: float64 numbers or strings, with its shape. */
export interface NpyOut {
  readonly shape: readonly number[];
  readonly data?: ArrayLike<number>;
  readonly strings?: readonly string[];
}

/** The bytes of a .npy file (format 1.0) holding `array` as '<f8' or '<U<n>', C order. */
export function formatNpy(array: NpyOut): Uint8Array {
  const count = array.shape.reduce((a, b) => a * b, 1);
  const width = array.strings !== undefined ? Math.max(1, ...array.strings.map((s) => [...s].length)) : 0;
  const descr = array.strings !== undefined ? `<U${width}` : '<f8';
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  // pad with spaces so that magic + version + length + header + '\n' is a multiple of 64
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const itemSize = array.strings !== undefined ? 4 * width : 8;
  const bytes = new Uint8Array(total + count * itemSize);
  bytes.set(NPY_MAGIC, 0);
  bytes[6] = 1;
  bytes[7] = 0;
  const view = new DataView(bytes.buffer);
  view.setUint16(8, header.length, true);
  for (let k = 0; k < header.length; k++) bytes[10 + k] = header.charCodeAt(k);
  for (let k = 0; k < count; k++) {
    if (array.strings !== undefined) {
      [...array.strings[k]].forEach((ch, c) => view.setUint32(total + k * itemSize + 4 * c, ch.codePointAt(0) as number, true));
    } else {
      view.setFloat64(total + k * 8, (array.data as ArrayLike<number>)[k], true);
    }
  }
  return bytes;
}

/** The bytes of an .npz archive (stored, not compressed, as np.savez writes) of named arrays. */
export function formatNpz(arrays: Readonly<Record<string, NpyOut>>): Uint8Array {
  const files: Zippable = {};
  for (const [name, array] of Object.entries(arrays)) files[`${name}.npy`] = [formatNpy(array), { level: 0 }];
  // a fixed time stamp: same model, same bytes
  return zipSync(files, { mtime: new Date(1980, 0, 1) });
}

// ---------------------------------------------------------------------------------------------
// Data sets: a 2-D array of n_samples x n_features.

/** Array names an .npz data file is read from when it holds several and none is chosen. */
export const DEFAULT_DATA_ARRAYS = ['data', 'X'] as const;

/**
 * The data set in a .npy file, or in one array of an .npz (`arrayName`; by default its only array,
 * else "data", else "X"). The array must be 2-D, n_samples x n_features, of numbers; its values
 * are checked against the model's units later (checkDataForLayer), as for text files.
 * Throws NpyError saying what is wrong (the caller names the file).
 */
export function numpyDataset(bytes: Uint8Array, arrayName?: string): { data: Float64Array; rows: number; cols: number } {
  let array: NpyArray;
  let label = 'the array';
  if (isNpy(bytes)) {
    if (arrayName !== undefined) throw new NpyError(`is a .npy file (one array); --array ${arrayName} chooses an array of an .npz file`);
    array = parseNpy(bytes);
  } else {
    const entries = unzipNpz(bytes);
    const names = [...entries.keys()];
    if (names.length === 0) throw new NpyError('is an empty .npz archive (no arrays)');
    let name: string;
    if (arrayName !== undefined) {
      if (!entries.has(arrayName)) throw new NpyError(`has no array ${JSON.stringify(arrayName)} (arrays: ${names.join(', ')})`);
      name = arrayName;
    } else if (names.length === 1) {
      name = names[0];
    } else {
      const found = DEFAULT_DATA_ARRAYS.find((n) => entries.has(n));
      if (found === undefined) throw new NpyError(`holds arrays ${names.join(', ')}: choose one with --array NAME`);
      name = found;
    }
    label = `array ${JSON.stringify(name)}`;
    try {
      array = parseNpy(entries.get(name) as Uint8Array);
    } catch (err) {
      throw new NpyError(`${label}: ${(err as Error).message}`);
    }
  }
  const shape = `(${array.shape.join(', ')}${array.shape.length === 1 ? ',' : ''})`;
  if (array.data === undefined) throw new NpyError(`${label} holds strings (dtype ${array.descr}), not numbers`);
  if (array.shape.length !== 2) {
    const hint = array.shape.length === 1 ? '; save X.reshape(-1, 1) for one feature or X[None, :] for one sample' : '';
    throw new NpyError(`${label} has shape ${shape}: rbmlab reads a 2-D array, n_samples x n_features${hint}`);
  }
  const [rows, cols] = array.shape;
  if (rows === 0) throw new NpyError(`${label} has shape ${shape}: no data rows`);
  if (cols === 0) throw new NpyError(`${label} has shape ${shape}: no data columns`);
  return { data: array.data, rows, cols };
}
