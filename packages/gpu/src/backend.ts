/**
 * The gpu.js backend: core's Backend interface (layer inputs and PCD gradient sums) on gpu.js
 * kernels, and the kernel cache that the pipelined samplers (gibbs.ts, pcd.ts, dense.ts) share.
 *
 * This module imports no Node module and not gpu.js itself: the gpu.js module is injected
 * (`require('gpu.js')` in Node, see node.ts; the `GPU` global of gpu.js's browser build in a
 * page), so that index.ts bundles for browsers.
 *
 * Modes are gpu.js's backends: 'headlessgl' (headless-gl, WebGL 1 in Node; needs an X display),
 * 'webgl2' and 'webgl' (browsers), 'webasm' (kernels compiled to WebAssembly, SIMD and worker
 * threads), 'cpu' (kernels run as JavaScript). The name of a backend is `gpujs-<mode>`, the mode
 * that actually ran: every kernel call checks the class of the kernel gpu.js ran, and a silent
 * gpu.js fallback (it replaces a kernel that fails to build by a CPU one, with a console warning)
 * becomes an error here.
 *
 * Precision: kernels compute in float32 (precision 'single'; GLSL highp float, WebAssembly f32;
 * the 'cpu' mode computes in float64 JavaScript arithmetic and stores float32 outputs). A sum of K
 * products then has error <= (K + 2) 2^-24 sum |x_k| |w_k| (operands rounded to float32, then any
 * order of float32 additions); the tests hold every mode to that bound.
 * Sizes: the flat index of any array a kernel reads must stay below 2^24 (it is formed in float32
 * on GL), and 2D outputs below 16384 per side (batches are split into chunks of at most 8192 rows);
 * beyond them the calls throw GpuLimitError (errors.ts).
 *
 * Kernel keys: a sampler's kernels and upload textures have keys that start with its tag,
 * `newTag(kind)` = "<kind>#<n>:" (unique per backend, and no tag is a prefix of another, since
 * each ends in ':' and none has ':' elsewhere), and `release(tag)` frees exactly the keys that
 * start with it. Keys without a tag (the Backend methods, hiddenActivations, sampleLayerOnDevice)
 * have no '#' and are never released by a sampler.
 */
import type { Backend, DenseAssociativeMemory, DeviceDenseOptions, FloatArray } from '@rbmlab/core';
import { denseDynamicsLimit, GpuDenseHeatBath } from './dense';
import { GpuLimitError } from './errors';
import { vec4Access } from './vec4';

/** gpu.js backends that this package can name. */
export type GpuMode = 'headlessgl' | 'webgl2' | 'webgl' | 'webgpu' | 'webasm' | 'cpu';
/** A mode to ask for: 'best' is gpu.js's own choice (its first supported GL backend, else webasm, else cpu). */
export type GpuModeRequest = 'best' | GpuMode;

/** Every GpuMode this package knows, in the order messages list them. */
export const GPU_MODES: readonly GpuMode[] = ['headlessgl', 'webgl2', 'webgl', 'webgpu', 'webasm', 'cpu'];

/** A gpu.js kernel as this package uses it (the function createKernel returns). */
export interface GpuKernelRun {
  (...args: unknown[]): unknown;
  /** The kernel that runs (gpu.js swaps it on a fallback). */
  readonly kernel: { readonly context?: unknown; readonly fallbackReason?: string };
  /** Frees the kernel's device resources (gpu.js Kernel.destroy). */
  destroy?(removeCanvasReferences?: boolean): void;
}

/** A gpu.js GPU instance. */
export interface GpuInstance {
  readonly mode?: string;
  readonly Kernel: unknown;
  /**
   * Builds a kernel from JavaScript source text in the subset gpu.js translates, with its settings (output,
   * pipeline, ...).
   */
  createKernel(source: string, settings: Record<string, unknown>): GpuKernelRun;
  /** Frees the instance and every kernel it built. */
  destroy(): unknown;
}

/** The gpu.js module: `require('gpu.js')` in Node, `window.GPU` of its browser build. */
export interface GpuJsModule {
  readonly GPU: new (settings?: { mode?: string }) => GpuInstance;
  readonly CPUKernel: Function;
  readonly HeadlessGLKernel?: Function;
  readonly WebGL2Kernel?: Function;
  readonly WebGLKernel?: Function;
  readonly WebGPUKernel?: Function;
  readonly WebAssemblyKernel?: Function;
}

/** Kernel classes by mode, most derived first (HeadlessGLKernel extends WebGLKernel). */
function kernelClasses(gpujs: GpuJsModule): [GpuMode, Function][] {
  const all: [GpuMode, Function | undefined][] = [
    ['headlessgl', gpujs.HeadlessGLKernel],
    ['webgl2', gpujs.WebGL2Kernel],
    ['webgl', gpujs.WebGLKernel],
    ['webgpu', gpujs.WebGPUKernel],
    ['webasm', gpujs.WebAssemblyKernel],
    ['cpu', gpujs.CPUKernel],
  ];
  return all.filter((e): e is [GpuMode, Function] => typeof e[1] === 'function');
}

/** The mode of a kernel object or kernel class, or undefined for one this package does not know. */
export function modeOf(gpujs: GpuJsModule, kernelOrClass: unknown): GpuMode | undefined {
  for (const [mode, cls] of kernelClasses(gpujs)) {
    if (kernelOrClass === cls || (typeof kernelOrClass === 'object' && kernelOrClass !== null && kernelOrClass instanceof cls)) return mode;
    if (typeof kernelOrClass === 'function' && kernelOrClass.prototype instanceof cls) return mode;
  }
  return undefined;
}

/** Largest flat index a kernel may form (float32 integers are exact up to 2^24). */
export const MAX_FLAT_INDEX = 2 ** 24;
/** Rows per kernel call of the Backend methods (2D outputs are limited to 16384 per side). */
const CHUNK_ROWS = 8192;

/** Options of a GpuBackend beyond the gpu.js module and the mode. */
export interface GpuBackendOptions {
  /** A line about the device (e.g. the GL driver), added to describe(); node.ts gives one. */
  readonly detail?: () => string;
}

/** A readback: a GL/WebAssembly texture (toArray) or the arrays of the cpu mode. */
export function readOutput(result: unknown): Float32Array[] | Float32Array {
  const r = (typeof (result as { toArray?: unknown }).toArray === 'function' ? (result as { toArray(): unknown }).toArray() : result) as
    | Float32Array[]
    | Float32Array;
  return r;
}

/** A 2D output (rows x cols) as a flat row-major float64 array. */
export function flatten2d(result: unknown, rows: number, cols: number, out: FloatArray = new Float64Array(rows * cols), offset = 0): FloatArray {
  const r = readOutput(result);
  if (ArrayBuffer.isView(r)) {
    for (let k = 0; k < rows * cols; k++) out[offset + k] = (r as Float32Array)[k];
    return out;
  }
  if (r.length !== rows) throw new Error(`gpu.js returned ${r.length} rows, expected ${rows}`);
  for (let b = 0; b < rows; b++) {
    const row = r[b];
    if (row.length !== cols) throw new Error(`gpu.js returned a row of ${row.length}, expected ${cols}`);
    for (let k = 0; k < cols; k++) out[offset + b * cols + k] = row[k];
  }
  return out;
}

/** A 1D output as float64. */
export function flatten1d(result: unknown, length: number): Float64Array {
  const r = readOutput(result) as unknown as ArrayLike<number>;
  if (r.length !== length) throw new Error(`gpu.js returned ${r.length} values, expected ${length}`);
  return Float64Array.from(r);
}

function asFloat32(a: ArrayLike<number>, length: number, what: string): Float32Array {
  if (a.length < length) throw new RangeError(`${what} has ${a.length} entries, needs ${length}`);
  if (a instanceof Float32Array && a.length === length) return a;
  const out = new Float32Array(length);
  for (let k = 0; k < length; k++) out[k] = a[k];
  return out;
}

/**
 * Throws GpuLimitError when an array of `length` entries cannot be indexed in a kernel: flat
 * indices are formed in float32 on GL, exact only below 2^24. `what` names the array in the message.
 */
export function checkIndexRange(length: number, what: string): void {
  if (length >= MAX_FLAT_INDEX) {
    throw new GpuLimitError(`${what} has ${length} entries; gpu.js kernels here index at most 2^24 (float32 indices)`);
  }
}

/**
 * core's Backend on gpu.js kernels in one mode (float32 kernels, "gpujs-<mode>"), and the kernel cache,
 * uploads and read-backs that the device samplers (GpuBlockGibbs, GpuPcd, GpuDenseHeatBath) share.
 * Never falls back silently: a mode that cannot run, or a kernel gpu.js swapped for a CPU one, throws.
 */
export class GpuBackend implements Backend {
  /** "gpujs-<mode>", the mode that ran. */
  readonly name: string;
  readonly mode: GpuMode;
  readonly gpu: GpuInstance;
  private readonly kernels = new Map<string, GpuKernelRun>();
  private destroyed = false;
  private tags = 0;

  /**
   * Opens gpu.js in the given mode. Throws (one line) where gpu.js cannot run that mode here;
   * never falls back: 'best' runs whatever gpu.js chooses, and `mode`/`name` say which.
   */
  constructor(
    readonly gpujs: GpuJsModule,
    requested: GpuModeRequest = 'best',
    private readonly options: GpuBackendOptions = {},
  ) {
    let gpu: GpuInstance;
    try {
      gpu = requested === 'best' ? new gpujs.GPU() : new gpujs.GPU({ mode: requested });
    } catch (err) {
      throw new Error(`gpu.js cannot run mode "${requested}" here: ${String((err as Error).message).split('\n')[0]}`);
    }
    const mode = modeOf(gpujs, gpu.Kernel);
    if (mode === undefined) {
      gpu.destroy();
      throw new Error(`gpu.js chose a kernel class this package does not know (mode "${String(gpu.mode)}")`);
    }
    if (requested !== 'best' && mode !== requested) {
      gpu.destroy();
      throw new Error(`gpu.js was asked for mode "${requested}" but chose "${mode}"`);
    }
    this.gpu = gpu;
    this.mode = mode;
    this.name = `gpujs-${mode}`;
    // one kernel run now, so that a mode that constructs but cannot compile fails here
    const probe = this.kernel('probe', 'function (a) { return a[this.thread.x] * 2 + 1; }', [3], false);
    const got = flatten1d(this.run('probe', probe, Float32Array.of(1, 2, 3)), 3);
    if (got[0] !== 3 || got[1] !== 5 || got[2] !== 7) {
      this.destroy();
      throw new Error(`gpu.js mode "${mode}" runs but computes wrong values (probe gave ${Array.from(got).join(', ')}, expected 3, 5, 7)`);
    }
  }

  /** The mode and the device, e.g. "headlessgl: ANGLE WebGL 1.0 ...; Mesa llvmpipe (software)". */
  describe(): string {
    const detail = this.options.detail?.();
    return `gpu.js ${this.mode} mode, float32 kernels${detail ? `; ${detail}` : ''}`;
  }

  /**
   * A kernel built once per key. `output` is [x] or [x, y] (x the fast axis); pipeline kernels
   * return device textures (arrays in the cpu mode) that other kernels take as arguments.
   * immutable is false: a kernel's output texture is overwritten by its next call, so a caller
   * keeps no texture past the next call of the kernel that made it (the samplers alternate
   * two kernels where a result feeds the same computation again).
   */
  kernel(key: string, source: string, output: number[], pipeline: boolean, returnType?: 'Array(4)'): GpuKernelRun {
    if (this.destroyed) throw new Error(`${this.name} has been destroyed`);
    let k = this.kernels.get(key);
    if (k === undefined) {
      for (const size of output) {
        if (!(Number.isInteger(size) && size >= 1 && size <= 16384)) throw new GpuLimitError(`kernel ${key}: output size ${size} outside 1..16384`);
      }
      k = this.gpu.createKernel(source, {
        output,
        pipeline,
        immutable: false,
        precision: 'single',
        tactic: 'precision',
        dynamicOutput: false,
        dynamicArguments: false,
        strictIntegers: false,
        ...(returnType === undefined ? {} : { returnType }),
      });
      this.kernels.set(key, k);
    }
    return k;
  }

  /** Kernels built and not released. */
  get kernelCount(): number {
    return this.kernels.size;
  }

  /** The keys of the kernels built and not released. */
  kernelKeys(): string[] {
    return [...this.kernels.keys()];
  }

  /**
   * A new tag for a sampler's kernels, "<kind>#<n>:" (n counts the tags of this backend): keys
   * that start with it belong to that sampler alone, and `release(tag)` frees them.
   */
  newTag(kind: string): string {
    if (!/^[a-z]+$/.test(kind)) throw new RangeError(`a tag kind is lower-case letters, got "${kind}"`);
    return `${kind}#${++this.tags}:`;
  }

  /**
   * Starts timing every kernel call: run() then waits for the device to finish each call (GL
   * finish(); the other modes run synchronously) and adds its time to the kernel's name (its key
   * without the sampler's tag). For finding where a sampler's time goes, not for production runs:
   * the finish between kernels removes the overlap of host and device work.
   */
  startProfile(): void {
    this.profile = new Map();
  }

  /** Stops timing; returns seconds and calls per kernel name, slowest first. */
  stopProfile(): { name: string; seconds: number; calls: number }[] {
    const rows = [...(this.profile ?? new Map<string, { seconds: number; calls: number }>())].map(([name, v]) => ({ name, ...v }));
    this.profile = undefined;
    return rows.sort((a, b) => b.seconds - a.seconds);
  }

  private profile: Map<string, { seconds: number; calls: number }> | undefined;

  /** Calls a kernel and checks that it ran in this backend's mode (no silent fallback). */
  run(key: string, kernel: GpuKernelRun, ...args: unknown[]): unknown {
    const t0 = this.profile === undefined ? 0 : performance.now();
    const result = kernel(...args);
    if (this.profile !== undefined) {
      (kernel.kernel.context as { finish?: () => void } | undefined)?.finish?.();
      const name = key.replace(/^[a-z]+#[0-9]+:/, '');
      const entry = this.profile.get(name) ?? { seconds: 0, calls: 0 };
      entry.seconds += (performance.now() - t0) / 1000;
      entry.calls++;
      this.profile.set(name, entry);
    }
    const actual = modeOf(this.gpujs, kernel.kernel);
    if (actual !== this.mode) {
      const reason = kernel.kernel.fallbackReason;
      throw new Error(`gpu.js fell back from ${this.mode} to ${actual ?? 'an unknown backend'} on kernel "${key}"${reason ? `: ${reason}` : ''}`);
    }
    return result;
  }

  /**
   * Uploads a row-major rows x cols array into a device texture (rows <= 16384, cols <= 16384).
   * The texture is that of the kernel `<key>/upload/<rows>/<cols>` (a sampler's keys start with its
   * tag): the next upload with the same key and shape overwrites it.
   */
  upload(key: string, data: ArrayLike<number>, rows: number, cols: number): unknown {
    checkIndexRange(rows * cols, key);
    const name = `${key}/upload/${rows}/${cols}`;
    const k = this.kernel(name, `function (a) { return a[this.thread.y * ${cols} + this.thread.x]; }`, [cols, rows], true);
    return this.run(name, k, asFloat32(data, rows * cols, key));
  }

  /**
   * Uploads a row-major rows x cols array as a packed texture: texel (c4, r) holds entries
   * 4 c4 .. 4 c4 + 3 of row r (vec4 kernels, vec4.ts), lanes past cols filled with `pad`.
   * Key and reuse as upload().
   */
  uploadPacked(key: string, data: ArrayLike<number>, rows: number, cols: number, pad = 0): unknown {
    const cols4 = Math.ceil(cols / 4);
    checkIndexRange(rows * cols4 * 4, key);
    const name = `${key}/packed/${rows}/${cols}`;
    const k = this.kernel(
      name,
      `function (a) {
        const q = (this.thread.y * ${cols4} + this.thread.x) * 4;
        return [a[q], a[q + 1], a[q + 2], a[q + 3]];
      }`,
      [cols4, rows],
      true,
      'Array(4)',
    );
    if (data.length < rows * cols) throw new RangeError(`${key} has ${data.length} entries, needs ${rows * cols}`);
    const padded = new Float32Array(rows * cols4 * 4);
    if (cols4 * 4 === cols) {
      for (let q = 0; q < rows * cols; q++) padded[q] = data[q];
    } else {
      padded.fill(pad);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) padded[r * cols4 * 4 + c] = data[r * cols + c];
    }
    return this.run(name, k, padded);
  }

  /**
   * Reads a packed texture (rows x ceil(cols / 4) texels) back as a row-major rows x cols
   * float64 array, through an unpacking kernel with scalar outputs (gpu.js reads vec4 outputs
   * back differently per mode). A sampler passes its tag, so that the kernel is freed with it;
   * without one the kernel is shared by every caller of the shape (its output is read at once).
   */
  readPacked(texture: unknown, rows: number, cols: number, tag = '', out?: FloatArray): FloatArray {
    checkIndexRange(rows * cols, 'a read-back');
    const name = `${tag}unpack/${rows}/${cols}`;
    const t = vec4Access(this.mode);
    const lane = (c: number) => t.at('v', 't[this.thread.y][j4]', c);
    const k = this.kernel(
      name,
      `function (t) {
        const j = this.thread.x;
        const j4 = Math.floor(j * 0.25);
        const c = j - j4 * 4;
        ${t.declare('v', 't[this.thread.y][j4]')}
        if (c < 0.5) {
          return ${lane(0)};
        }
        if (c < 1.5) {
          return ${lane(1)};
        }
        if (c < 2.5) {
          return ${lane(2)};
        }
        return ${lane(3)};
      }`,
      [cols, rows],
      false,
    );
    return flatten2d(this.run(name, k, texture), rows, cols, out);
  }

  hiddenInputs(v: FloatArray, weights: FloatArray, batch: number, n: number, m: number, out: FloatArray): void {
    this.product('hidden', v, weights, batch, n, m, out);
  }

  visibleInputs(h: FloatArray, weights: FloatArray, batch: number, n: number, m: number, out: FloatArray): void {
    this.product('visible', h, weights, batch, n, m, out);
  }

  /**
   * hidden: out[b, mu] = sum_i v[b, i] W[i, mu] (K = n); visible: out[b, i] = sum_mu h[b, mu] W[i, mu] (K = m).
   * Chunks of at most CHUNK_ROWS rows; W is uploaded once per call.
   */
  private product(side: 'hidden' | 'visible', x: FloatArray, weights: FloatArray, batch: number, n: number, m: number, out: FloatArray): void {
    const [inner, outer] = side === 'hidden' ? [n, m] : [m, n];
    checkIndexRange(n * m, 'weights');
    const w = asFloat32(weights, n * m, 'weights');
    if (out.length < batch * outer) throw new RangeError(`out has ${out.length} entries, needs ${batch * outer}`);
    if (x.length < batch * inner) throw new RangeError(`${side === 'hidden' ? 'v' : 'h'} has ${x.length} entries, needs ${batch * inner}`);
    for (let start = 0; start < batch; start += CHUNK_ROWS) {
      const rows = Math.min(CHUNK_ROWS, batch - start);
      checkIndexRange(rows * inner, 'a chunk of states');
      const xs = asFloat32(x.subarray(start * inner, (start + rows) * inner), rows * inner, 'states');
      const term = side === 'hidden' ? `x[this.thread.y * ${n} + i] * w[i * ${m} + this.thread.x]` : `x[this.thread.y * ${m} + i] * w[this.thread.x * ${m} + i]`;
      const key = `${side}/${rows}/${n}/${m}`;
      const k = this.kernel(
        key,
        `function (x, w) {
          let s = 0;
          for (let i = 0; i < ${inner}; i++) {
            s += ${term};
          }
          return s;
        }`,
        [outer, rows],
        false,
      );
      flatten2d(this.run(key, k, xs, w), rows, outer, out, start * outer);
    }
  }

  /** Dense-memory dynamics over parallel chains on the device (core's Backend.denseDynamics): GpuDenseHeatBath. */
  denseDynamics(model: DenseAssociativeMemory, options: DeviceDenseOptions): GpuDenseHeatBath {
    return new GpuDenseHeatBath(this, model, options);
  }

  /** Why denseDynamics cannot take this size (N, P, chains), or undefined (denseDynamicsLimit of ./dense). */
  denseDynamicsLimit(size: number, patterns: number, chains: number): string | undefined {
    return denseDynamicsLimit(size, patterns, chains);
  }

  /** out[i, mu] += scale sum_b v[b, i] a[b, mu]: the batch sum in float32 on the device, added in float64. */
  addOuterProducts(v: FloatArray, a: FloatArray, batch: number, n: number, m: number, scale: number, out: Float64Array): void {
    checkIndexRange(batch * n, 'v');
    checkIndexRange(batch * m, 'a');
    if (out.length < n * m) throw new RangeError(`out has ${out.length} entries, needs ${n * m}`);
    const key = `outer/${batch}/${n}/${m}`;
    const k = this.kernel(
      key,
      `function (v, a) {
        let s = 0;
        for (let b = 0; b < ${batch}; b++) {
          s += v[b * ${n} + this.thread.y] * a[b * ${m} + this.thread.x];
        }
        return s;
      }`,
      [m, n],
      false,
    );
    const sums = flatten2d(this.run(key, k, asFloat32(v, batch * n, 'v'), asFloat32(a, batch * m, 'a')), n, m);
    for (let q = 0; q < n * m; q++) out[q] += scale * sums[q];
  }

  /**
   * Frees the kernels whose key starts with `tag`, a tag of newTag() (the samplers' dispose()).
   * Other samplers' kernels are untouched, and the backend stays usable.
   */
  release(tag: string): void {
    if (!/^[a-z]+#[0-9]+:$/.test(tag)) throw new RangeError(`release: "${tag}" is not a tag of newTag() ("<kind>#<n>:")`);
    for (const [key, k] of [...this.kernels]) {
      if (key.startsWith(tag)) {
        this.kernels.delete(key);
        try {
          k.destroy?.();
        } catch {
          // already gone with its context
        }
      }
    }
  }

  /** Frees the kernels and the GL context. The backend cannot be used afterwards. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.kernels.clear();
    try {
      this.gpu.destroy();
    } catch {
      // a context already lost: nothing left to free
    }
  }
}
