/**
 * Models in and out: an RBM between rbmlab's model file (rbmlab.rbm/1) and the files of other tools.
 * Every route maps parameters exactly (no arithmetic beyond a transpose), so log Z and every free
 * energy are the same numbers on both sides.
 *
 * rbmlab's energy (docs/CONVENTIONS.md, MODELS.md §1), W is N x M, row i = visible unit i:
 *     E(v, h) = -sum_i a_i v_i - sum_mu theta_mu h_mu - sum_{i,mu} v_i W_{i mu} h_mu   (bernoulli units)
 *     F(v)    = -a.v - sum_mu softplus(theta_mu + sum_i v_i W_{i mu})
 *
 * Formats:
 * - `rbmlab`: the model file itself (JSON, core's io/model-file.ts).
 * - `sklearn`: scikit-learn's BernoulliRBM saved as an .npz of its fitted attributes,
 *       np.savez(f, components_=rbm.components_, intercept_visible_=rbm.intercept_visible_,
 *                intercept_hidden_=rbm.intercept_hidden_)
 *   components_ is M x N (n_components x n_features); sklearn's free energy (BernoulliRBM._free_energy)
 *       F(v) = -v.intercept_visible_ - sum_mu logaddexp(0, (v components_^T + intercept_hidden_)_mu)
 *   is rbmlab's with a = intercept_visible_, theta = intercept_hidden_, W = components_^T; both layers
 *   bernoulli (the only units BernoulliRBM has).
 * - `rbms`: the HDF5 training archive of DsysDML/rbms (rbms/io.py save_model): a string dataset
 *   `model_type` and, for each saved update k, a group `update_k` with `params/weight_matrix`
 *   (N x M), `params/vbias` (N), `params/hbias` (M), plus copies of the three under `update_k`
 *   itself, `time` and `flags`. Model type "BBRBM" (bernoulli_bernoulli: E(v, h) = -vbias.v -
 *   hbias.h - v W h, F(v) = -vbias.v - sum softplus(hbias + v W)) is rbmlab's bernoulli-bernoulli
 *   RBM with the same matrices. The other types (PBRBM Potts, BGRBM, IGRBM) are refused, naming
 *   the type. Read: the last update (largest k) unless one is asked for. Written: one update,
 *   `update_1` (float64), which rbms' `load_params(path, index=1, ...)` reads.
 * - `npz`: for numpy users, any unit types: `weights` (N x M), `visible_type` and `hidden_type`
 *   (strings), `visible_<param>` and `hidden_<param>` for each parameter of the unit type
 *   (visible_bias, hidden_bias; hidden_gamma for gaussian and relu; ...), optional
 *   `visible_names` (strings). Read through rbmFromJSON, so it is checked as a model file is.
 *
 * Every problem is a ModelFileError: one line naming the file and the field or array.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vm from 'vm';
import { ModelFileError, formatRbm, rbmFromJSON, rbmToJSON, visibleNamesFromJSON, writeFileAtomicSync, parseJson, jsonProblem, type LayerJSON, type RBM, type RbmJSON } from '@rbmlab/core';
import { formatNpz, isNpy, isZip, parseNpy, unzipNpz, type NpyArray, type NpyOut } from './npy';

/** The formats `rbmlab convert` reads and writes. */
export const MODEL_FORMATS = ['rbmlab', 'sklearn', 'rbms', 'npz'] as const;
/** One of MODEL_FORMATS: rbmlab (the model file), sklearn, rbms or npz (see the module comment). */
export type ModelFormat = (typeof MODEL_FORMATS)[number];

/** A model with what its file may carry besides the parameters. */
export interface ConvertedModel {
  readonly rbm: RBM;
  readonly visibleNames?: readonly string[];
}

/** Options of readModel. */
export interface ReadModelOptions {
  /** The format; by default inferred from the file's contents (see inferInputFormat). */
  readonly format?: ModelFormat;
  /** rbms archives: the update to read (default: the last one saved). */
  readonly update?: number;
}

const SKLEARN_ARRAYS = ['components_', 'intercept_visible_', 'intercept_hidden_'];
const RBMS_PARAMS = ['weight_matrix', 'vbias', 'hbias'];
/** HDF5's signature, at offset 0 of a file that has no user block. */
const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

function isHdf5(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && HDF5_MAGIC.every((b, k) => bytes[k] === b);
}

/**
 * The format of a model file from its contents: HDF5 is rbms; an .npz with components_ is sklearn,
 * with weights is npz; text is rbmlab. Throws naming the file when none fits.
 */
export function inferInputFormat(bytes: Uint8Array, source: string): ModelFormat {
  if (isHdf5(bytes)) return 'rbms';
  if (isZip(bytes)) {
    const names = [...npzArrays(bytes, source).keys()];
    if (names.includes('components_')) return 'sklearn';
    if (names.includes('weights')) return 'npz';
    throw new ModelFileError(source, `an .npz with arrays ${names.join(', ') || '(none)'}: neither scikit-learn's (components_, intercept_visible_, intercept_hidden_) nor rbmlab's npz (weights, visible_type, ...)`);
  }
  if (isNpy(bytes)) throw new ModelFileError(source, 'a single .npy array is not a model (save the parameters with np.savez: see docs/CONVENTIONS.md, "Models in and out")');
  if (bytes.length > 0 && (bytes[0] === 0x7b || bytes[0] === 0x20 || bytes[0] === 0x0a || bytes[0] === 0xef)) return 'rbmlab';
  throw new ModelFileError(source, `not a model file rbmlab knows (${MODEL_FORMATS.join(', ')}): give --from`);
}

/** The format to write from a file name: .json rbmlab, .h5/.hdf5 rbms; .npz is sklearn or npz, so it needs `to`. */
export function inferOutputFormat(file: string): ModelFormat | undefined {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.json') return 'rbmlab';
  if (ext === '.h5' || ext === '.hdf5') return 'rbms';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// .npz routes

function npzArrays(bytes: Uint8Array, source: string): Map<string, Uint8Array> {
  try {
    return unzipNpz(bytes);
  } catch (err) {
    throw new ModelFileError(source, (err as Error).message);
  }
}

/** The parsed array `name` of an archive, or a failure naming it. */
function npzArray(entries: Map<string, Uint8Array>, name: string, source: string): NpyArray {
  const bytes = entries.get(name);
  if (bytes === undefined) throw new ModelFileError(source, `array ${name} is missing (arrays: ${[...entries.keys()].join(', ')})`, name);
  try {
    return parseNpy(bytes);
  } catch (err) {
    throw new ModelFileError(source, `array ${name}: ${(err as Error).message}`, name);
  }
}

/** A numeric array of the given number of dimensions, as float64 in C order. */
function numeric(array: NpyArray, name: string, dims: number, source: string): Float64Array {
  if (array.data === undefined) throw new ModelFileError(source, `array ${name} holds strings (dtype ${array.descr}), expected numbers`, name);
  if (array.shape.length !== dims) throw new ModelFileError(source, `array ${name} has shape (${array.shape.join(', ')}), expected ${dims} dimension${dims === 1 ? '' : 's'}`, name);
  return array.data;
}

/** One string from a 0-d (or 1-element) string array. */
function scalarString(array: NpyArray, name: string, source: string): string {
  if (array.strings === undefined || array.strings.length !== 1) throw new ModelFileError(source, `array ${name} must be one string (e.g. np.savez(f, ${name}='bernoulli')), got dtype ${array.descr} shape (${array.shape.join(', ')})`, name);
  return array.strings[0];
}

/** Rows of a C-order matrix of `rows` x `cols`, transposed when `transpose` (then rows of the transpose). */
function matrixRows(data: Float64Array, rows: number, cols: number, transpose: boolean): number[][] {
  const out: number[][] = [];
  if (!transpose) {
    for (let r = 0; r < rows; r++) out.push(Array.from(data.subarray(r * cols, (r + 1) * cols)));
  } else {
    for (let c = 0; c < cols; c++) {
      const row = new Array<number>(rows);
      for (let r = 0; r < rows; r++) row[r] = data[r * cols + c];
      out.push(row);
    }
  }
  return out;
}

/** A model file's content for a bernoulli-bernoulli RBM from a, theta and W rows (N x M). */
function bernoulliJSON(visibleBias: Float64Array, hiddenBias: Float64Array, weights: number[][]): RbmJSON {
  return {
    format: 'rbmlab.rbm/1',
    visible: { type: 'bernoulli', size: visibleBias.length, bias: Array.from(visibleBias) },
    hidden: { type: 'bernoulli', size: hiddenBias.length, bias: Array.from(hiddenBias) },
    weights,
  };
}

/** scikit-learn's BernoulliRBM from the .npz of its fitted attributes (W = components_^T). */
export function rbmFromSklearnNpz(bytes: Uint8Array, source: string): RBM {
  const entries = npzArrays(bytes, source);
  const extra = [...entries.keys()].filter((k) => !SKLEARN_ARRAYS.includes(k));
  if (extra.length > 0) throw new ModelFileError(source, `unknown array${extra.length === 1 ? '' : 's'} ${extra.join(', ')} (a BernoulliRBM has ${SKLEARN_ARRAYS.join(', ')})`, extra[0]);
  const componentsArray = npzArray(entries, 'components_', source);
  const components = numeric(componentsArray, 'components_', 2, source);
  const [m, n] = componentsArray.shape;
  const visibleBias = numeric(npzArray(entries, 'intercept_visible_', source), 'intercept_visible_', 1, source);
  const hiddenBias = numeric(npzArray(entries, 'intercept_hidden_', source), 'intercept_hidden_', 1, source);
  if (visibleBias.length !== n) throw new ModelFileError(source, `intercept_visible_ has ${visibleBias.length} entries, but components_ is ${m} x ${n} (n_components x n_features)`, 'intercept_visible_');
  if (hiddenBias.length !== m) throw new ModelFileError(source, `intercept_hidden_ has ${hiddenBias.length} entries, but components_ is ${m} x ${n} (n_components x n_features)`, 'intercept_hidden_');
  return rbmFromJSON(bernoulliJSON(visibleBias, hiddenBias, matrixRows(components, m, n, true)), source);
}

/** Refuses a model whose units are not bernoulli-bernoulli, naming the target format. */
function requireBernoulli(rbm: RBM, source: string, target: string): void {
  if (rbm.visible.type !== 'bernoulli' || rbm.hidden.type !== 'bernoulli') {
    throw new ModelFileError(source, `${target} has bernoulli visible and hidden units; this model has ${rbm.visible.type} visible and ${rbm.hidden.type} hidden units (use --to npz)`);
  }
}

/** The arrays of a bernoulli layer's bias (0 where the layer leaves it at its default). */
function bias(json: LayerJSON): number[] {
  return (json.bias as number[] | undefined) ?? new Array<number>(json.size).fill(0);
}

/** The .npz of scikit-learn's BernoulliRBM attributes for a bernoulli-bernoulli RBM (components_ = W^T). */
export function sklearnNpzBytes(rbm: RBM, source: string): Uint8Array {
  requireBernoulli(rbm, source, "scikit-learn's BernoulliRBM");
  const json = rbmToJSON(rbm);
  const n = rbm.numVisible;
  const m = rbm.numHidden;
  const components = new Float64Array(m * n);
  json.weights.forEach((row, i) => row.forEach((w, mu) => (components[mu * n + i] = w)));
  return formatNpz({
    components_: { shape: [m, n], data: components },
    intercept_visible_: { shape: [n], data: bias(json.visible) },
    intercept_hidden_: { shape: [m], data: bias(json.hidden) },
  });
}

/** rbmlab's npz for numpy users (see the module comment), any unit types. */
export function rbmFromNpz(bytes: Uint8Array, source: string): ConvertedModel {
  const entries = npzArrays(bytes, source);
  const weightsArray = npzArray(entries, 'weights', source);
  const weights = numeric(weightsArray, 'weights', 2, source);
  const [n, m] = weightsArray.shape;
  const layer = (role: 'visible' | 'hidden', size: number): LayerJSON => {
    const out: LayerJSON = { type: scalarString(npzArray(entries, `${role}_type`, source), `${role}_type`, source), size };
    for (const name of entries.keys()) {
      if (!name.startsWith(`${role}_`) || name === `${role}_type` || name === 'visible_names') continue;
      out[name.slice(role.length + 1)] = Array.from(numeric(npzArray(entries, name, source), name, 1, source));
    }
    return out;
  };
  const json: Record<string, unknown> = { format: 'rbmlab.rbm/1', visible: layer('visible', n), hidden: layer('hidden', m), weights: matrixRows(weights, n, m, false) };
  const unknown = [...entries.keys()].filter((k) => k !== 'weights' && !k.startsWith('visible_') && !k.startsWith('hidden_'));
  if (unknown.length > 0) throw new ModelFileError(source, `unknown array${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')} (an rbmlab npz has weights, visible_type, hidden_type, visible_<param>, hidden_<param>, visible_names)`, unknown[0]);
  if (entries.has('visible_names')) {
    const names = npzArray(entries, 'visible_names', source);
    if (names.strings === undefined) throw new ModelFileError(source, `array visible_names holds numbers (dtype ${names.descr}), expected strings`, 'visible_names');
    json.visibleNames = [...names.strings];
  }
  // rbmFromJSON checks everything a model file is checked for; its fields are named as the npz's arrays
  let rbm: RBM;
  try {
    rbm = rbmFromJSON(json, source);
  } catch (err) {
    if (!(err instanceof ModelFileError)) throw err;
    const npzName = (text: string) =>
      text
        .replace(/\bvisible\.size\b/g, 'the rows of weights')
        .replace(/\bhidden\.size\b/g, 'the columns of weights')
        .replace(/\b(visible|hidden)\.(\w+)/g, '$1_$2')
        .replace(/\bvisibleNames\b/g, 'visible_names');
    const detail = err.message.startsWith(`${source}: `) ? err.message.slice(source.length + 2) : err.message;
    throw new ModelFileError(source, npzName(detail), err.field !== undefined ? npzName(err.field) : undefined);
  }
  return { rbm, ...(json.visibleNames !== undefined ? { visibleNames: json.visibleNames as string[] } : {}) };
}

/** The bytes of rbmlab's npz of a model (see the module comment). */
export function npzBytes(model: ConvertedModel): Uint8Array {
  const json = rbmToJSON(model.rbm, model.visibleNames !== undefined ? { visibleNames: model.visibleNames } : {});
  const n = model.rbm.numVisible;
  const m = model.rbm.numHidden;
  const arrays: Record<string, NpyOut> = { weights: { shape: [n, m], data: json.weights.flat() } };
  for (const role of ['visible', 'hidden'] as const) {
    const layer = json[role];
    arrays[`${role}_type`] = { shape: [], strings: [layer.type] };
    for (const [name, value] of Object.entries(layer)) {
      if (name !== 'type' && name !== 'size') arrays[`${role}_${name}`] = { shape: [layer.size], data: value as number[] };
    }
  }
  if (json.visibleNames !== undefined) arrays.visible_names = { shape: [n], strings: json.visibleNames };
  return formatNpz(arrays);
}

// ---------------------------------------------------------------------------------------------
// HDF5 (rbms): h5wasm, the HDF5 C library compiled to WebAssembly (maintained by NIST).

/** The parts of h5wasm used here (its types ship with the package, but its ES module cannot be required). */
interface H5Module {
  FS: { writeFile(path: string, data: Uint8Array): void; readFile(path: string): Uint8Array; unlink(path: string): void };
}
interface H5Node {
  readonly type: string;
}
interface H5Dataset extends H5Node {
  readonly shape: number[] | null;
  readonly dtype: unknown;
  readonly value: unknown;
}
interface H5Group extends H5Node {
  keys(): string[];
  get(name: string): H5Node | null;
  create_group(name: string): H5Group;
  create_dataset(args: { name: string; data: unknown; shape?: number[]; dtype?: string }): H5Dataset;
}
interface H5File extends H5Group {
  /** The HDF5 file identifier: negative when the file could not be opened (h5wasm does not throw). */
  readonly file_id: bigint | number;
  close(): void;
}
interface H5Wasm {
  ready: Promise<H5Module>;
  File: new (path: string, mode: string) => H5File;
}

let h5wasmPromise: Promise<{ h5: H5Wasm; module: H5Module }> | undefined;

/**
 * The HDF5 library's diagnostics (its error stack, printed on any failure) while a file is used:
 * collected here instead of printed, so that a bad file is one line naming it.
 */
let diagnostics: string[] | undefined;

/**
 * h5wasm, loaded once. The package is ES-module only, which CommonJS (and jest) cannot require;
 * it ships a self-contained script build (dist/iife/h5wasm.js, the WebAssembly inlined) that
 * defines one global, run here in this context. Files go through its in-memory file system: the
 * bytes are read and written by Node, so a write is atomic as every rbmlab write is.
 */
async function loadH5wasm(source: string): Promise<{ h5: H5Wasm; module: H5Module }> {
  const dirs = require.resolve.paths('h5wasm') ?? [];
  const script = dirs.map((d) => path.join(d, 'h5wasm', 'dist', 'iife', 'h5wasm.js')).find((p) => fs.existsSync(p));
  // an optional peer (15 MB): installed by those who convert rbms archives
  if (script === undefined) throw new ModelFileError(source, 'rbms HDF5 archives are read and written with the h5wasm package, which is not installed: npm install h5wasm');
  if (h5wasmPromise === undefined) {
    h5wasmPromise = (async () => {
      // Emscripten binds its stderr to console.error when the module starts: bind it to a function
      // that collects the library's diagnostics while rbmlab uses a file (and prints them otherwise)
      const print = console.error;
      console.error = (...args: unknown[]) => (diagnostics !== undefined ? diagnostics.push(args.map(String).join(' ')) : print(...args));
      let h5: H5Wasm;
      try {
        h5 = vm.runInThisContext(`(function () {\n${fs.readFileSync(script, 'utf8')}\nreturn h5wasm;\n})`, { filename: script })() as H5Wasm;
      } finally {
        console.error = print;
      }
      const module = await h5.ready;
      return { h5, module };
    })();
  }
  return h5wasmPromise;
}

let scratch = 0;

/** Runs `use` on an HDF5 file opened from `bytes` in h5wasm's memory; removes it afterwards. */
async function withH5<T>(source: string, bytes: Uint8Array | undefined, mode: 'r' | 'w', use: (file: H5File) => T): Promise<{ result: T; bytes: Uint8Array }> {
  const { h5, module } = await loadH5wasm(source);
  const name = `/rbmlab-${process.pid}-${scratch++}.h5`;
  if (bytes !== undefined) module.FS.writeFile(name, bytes);
  let file: H5File | undefined;
  diagnostics = [];
  try {
    file = new h5.File(name, mode);
    if (file.file_id < 0) {
      file = undefined;
      // the innermost message says why ("truncated file: eof = 100, ..., stored_eof = 10576")
      const why = diagnostics.map((line) => /^\s*#\d+: .* in (\w+)\(\): (.*)$/.exec(line)?.[2]).filter((x) => x !== undefined).at(-1);
      throw new ModelFileError(source, `not a readable HDF5 file${why !== undefined ? ` (${why})` : ''}`);
    }
    const result = use(file);
    file.close();
    file = undefined;
    return { result, bytes: module.FS.readFile(name) };
  } finally {
    if (file !== undefined) file.close();
    diagnostics = undefined;
    try {
      module.FS.unlink(name);
    } catch {
      // not created
    }
  }
}

function dataset(group: H5Group, name: string, where: string, source: string): H5Dataset {
  const node = group.get(name);
  if (node === null || node.type !== 'Dataset') throw new ModelFileError(source, `${where}${name} is missing (an rbms archive has model_type and update_<k>/params/{${RBMS_PARAMS.join(', ')}})`, `${where}${name}`);
  return node as H5Dataset;
}

/** A float dataset's values as float64 with its shape, or a failure naming it. */
function floats(group: H5Group, name: string, where: string, source: string): { data: Float64Array; shape: number[] } {
  const d = dataset(group, name, where, source);
  const value = d.value;
  if (!(value instanceof Float64Array || value instanceof Float32Array)) {
    throw new ModelFileError(source, `${where}${name} is not an array of floats`, `${where}${name}`);
  }
  return { data: Float64Array.from(value), shape: d.shape ?? [] };
}

/** The text of a string dataset (h5py writes str as variable-length UTF-8). */
function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return value[0];
  return undefined;
}

/** An RBM from an rbms HDF5 archive (see the module comment); `update` defaults to the last saved. */
export async function rbmFromRbmsH5(bytes: Uint8Array, source: string, update?: number): Promise<RBM> {
  let json: RbmJSON | undefined;
  try {
    await withH5(source, bytes, 'r', (file) => {
      const modelType = text(dataset(file, 'model_type', '', source).value);
      if (modelType === undefined) throw new ModelFileError(source, 'model_type is not a string', 'model_type');
      if (modelType !== 'BBRBM') throw new ModelFileError(source, `model_type is ${JSON.stringify(modelType)}; rbmlab converts rbms' "BBRBM" (bernoulli-bernoulli)`, 'model_type');
      const updates = file.keys().map((k) => /^update_(\d+)$/.exec(k)).filter((m) => m !== null).map((m) => Number((m as RegExpExecArray)[1])).sort((a, b) => a - b);
      if (updates.length === 0) throw new ModelFileError(source, 'has no update_<k> group (no saved parameters)');
      const k = update ?? (updates.at(-1) as number);
      if (!updates.includes(k)) throw new ModelFileError(source, `has no update_${k} (saved updates: ${updates.length > 8 ? `${updates.slice(0, 4).join(', ')}, ..., ${updates.at(-1)}` : updates.join(', ')})`);
      const where = `update_${k}/params/`;
      const params = (file.get(`update_${k}`) as H5Group).get('params');
      if (params === null || params.type !== 'Group') throw new ModelFileError(source, `update_${k}/params is missing`);
      const w = floats(params as H5Group, 'weight_matrix', where, source);
      const vbias = floats(params as H5Group, 'vbias', where, source);
      const hbias = floats(params as H5Group, 'hbias', where, source);
      if (w.shape.length !== 2) throw new ModelFileError(source, `${where}weight_matrix has shape (${w.shape.join(', ')}), expected N x M`);
      const [n, m] = w.shape;
      if (vbias.shape.length !== 1 || vbias.data.length !== n) throw new ModelFileError(source, `${where}vbias has ${vbias.data.length} entries, but weight_matrix is ${n} x ${m}`);
      if (hbias.shape.length !== 1 || hbias.data.length !== m) throw new ModelFileError(source, `${where}hbias has ${hbias.data.length} entries, but weight_matrix is ${n} x ${m}`);
      json = bernoulliJSON(vbias.data, hbias.data, matrixRows(w.data, n, m, false));
    });
  } catch (err) {
    if (err instanceof ModelFileError) throw err;
    throw new ModelFileError(source, `not a readable HDF5 file (${(err as Error).message})`);
  }
  return rbmFromJSON(json, source);
}

/** The bytes of an rbms archive (model_type "BBRBM", one update, update_1) holding a bernoulli-bernoulli RBM. */
export async function rbmsH5Bytes(rbm: RBM, source: string): Promise<Uint8Array> {
  requireBernoulli(rbm, source, 'an rbms archive (BBRBM)');
  const json = rbmToJSON(rbm);
  const n = rbm.numVisible;
  const m = rbm.numHidden;
  const { bytes } = await withH5(source, undefined, 'w', (file) => {
    file.create_dataset({ name: 'model_type', data: 'BBRBM' });
    const update = file.create_group('update_1');
    const params = update.create_group('params');
    const values: Record<string, { data: Float64Array; shape: number[] }> = {
      weight_matrix: { data: Float64Array.from(json.weights.flat()), shape: [n, m] },
      vbias: { data: Float64Array.from(bias(json.visible)), shape: [n] },
      hbias: { data: Float64Array.from(bias(json.hidden)), shape: [m] },
    };
    for (const [name, v] of Object.entries(values)) {
      params.create_dataset({ name, data: v.data, shape: v.shape, dtype: '<d' });
      // rbms also keeps a copy beside params ("for retrocompatibility")
      update.create_dataset({ name, data: v.data, shape: v.shape, dtype: '<d' });
    }
    update.create_dataset({ name: 'time', data: 0.0 });
    update.create_group('flags');
  });
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Files

function readBytes(file: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ModelFileError(file, code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : `cannot read file (${code ?? String(err)})`);
  }
}

/** Reads a model in any of MODEL_FORMATS (inferred from the contents unless given). */
export async function readModel(file: string, options: ReadModelOptions = {}): Promise<ConvertedModel> {
  const bytes = readBytes(file);
  const format = options.format ?? inferInputFormat(bytes, file);
  if (options.update !== undefined && format !== 'rbms') throw new ModelFileError(file, `--update chooses a saved update of an rbms archive; this is ${format}`);
  switch (format) {
    case 'rbmlab': {
      let json: unknown;
      try {
        json = parseJson(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
      } catch (err) {
        throw new ModelFileError(file, jsonProblem(err));
      }
      const rbm = rbmFromJSON(json, file);
      const visibleNames = visibleNamesFromJSON(json);
      return { rbm, ...(visibleNames !== undefined ? { visibleNames } : {}) };
    }
    case 'sklearn':
      if (!isZip(bytes)) throw new ModelFileError(file, 'not an .npz (zip) archive, as np.savez writes');
      return { rbm: rbmFromSklearnNpz(bytes, file) };
    case 'npz':
      if (!isZip(bytes)) throw new ModelFileError(file, 'not an .npz (zip) archive, as np.savez writes');
      return rbmFromNpz(bytes, file);
    case 'rbms':
      if (!isHdf5(bytes)) throw new ModelFileError(file, 'not an HDF5 file (no HDF5 signature)');
      return { rbm: await rbmFromRbmsH5(bytes, file, options.update) };
  }
}

/** The bytes of a model in `format` (everything is built before anything is written). */
export async function formatModel(model: ConvertedModel, format: ModelFormat, target: string): Promise<Uint8Array> {
  switch (format) {
    case 'rbmlab':
      return Buffer.from(formatRbm(model.rbm, target, model.visibleNames !== undefined ? { visibleNames: model.visibleNames } : {}), 'utf8');
    case 'sklearn':
      return sklearnNpzBytes(model.rbm, target);
    case 'npz':
      return npzBytes(model);
    case 'rbms':
      return rbmsH5Bytes(model.rbm, target);
  }
}

/** Writes a model in `format`, atomically (the path holds the old file or the whole new one). */
export async function writeModel(file: string, model: ConvertedModel, format: ModelFormat): Promise<void> {
  const bytes = await formatModel(model, format, file);
  try {
    writeFileAtomicSync(file, bytes);
  } catch (err) {
    throw new ModelFileError(file, `cannot write file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}
