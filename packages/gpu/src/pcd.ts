/**
 * Persistent contrastive divergence (PCD-k) with the weights, the biases, the persistent chains
 * and the gradient on the device. One step, for a data batch D (B x N) and the C persistent
 * chains V:
 *
 *     a(v)   = E[h | v] = Gamma'(I(v) + bias)                      (units.ts, per hidden unit)
 *     G_W    = (1/B) sum_b D_b a(D_b)^T  -  (1/C) sum_c V_c a(V_c)^T   (positive minus negative phase)
 *     W     <- W + lr G_W
 *     visible bias += lr ((1/B) sum_b D_b - (1/C) sum_c V_c)
 *     hidden bias  += lr ((1/B) sum_b a(D_b) - (1/C) sum_c a(V_c))
 * with V advanced by k block-Gibbs sweeps before the negative phase (the chains see the weights
 * of the previous step, as in core's trainer). The field biases ('bias' of bernoulli, spin,
 * gaussian, relu and poisson units) are trained; other unit parameters (gamma, drelu's four) stay
 * fixed.
 *
 * Kernels of a step (packed textures, vec4.ts; no read-back): the data batch's upload; the
 * activations of the data and of the chains (thread: four hidden units of one row); the k sweeps;
 * the update of W packed along the hidden units (thread (j4, i): W[i, 4 j4 .. 4 j4 + 3], 2 texel
 * reads per 4 products of each sum); W^T packed along the visible units, transposed from it (so
 * the two copies are the same numbers); the two bias updates; and a one-thread health kernel
 * that records, sticky, the first step whose new biases are not finite. Two copies of each
 * updating kernel alternate, so that no call reads the texture it writes.
 *
 * Precision: W and the biases live on the device in float32, so an update lr G below about
 * 2^-25 |W| is lost (W + lr G rounds back to W), unlike core's Trainer, whose parameters stay
 * float64 (also `train --backend gpu`, which uses GpuBackend's kernels for the products only).
 * `gradient()` forms G by its own kernels, not as (W + G) - W.
 *
 * Failures are never silent, and never cost a read-back per step: a refused draw of the chains
 * (poisson units, gibbs.ts) or a bias that left float32's range (a poisson activation e^x above
 * x = 88.7 makes the hidden bias gradient infinite) is flagged on the device and thrown as
 * GpuLimitError by the next read-back (weights(), biases(), syncToModel(), checkFailures(),
 * gradient()), naming the first step it happened in; weights() also checks the weights it reads
 * (an overflowed update). The host model is never written with a value that is not finite, and
 * after a failure the trainer refuses all further work with the same error.
 */
import type { RBM } from '@rbmlab/core';
import { checkIndexRange, flatten1d, type GpuBackend, type GpuKernelRun } from './backend';
import { GpuLimitError } from './errors';
import { checkChains, GpuBlockGibbs, laneKernelSource, packedInputs, paddedTranspose, type GpuChainOptions, type LayerKernel } from './gibbs';
import { gpuUnitOf, type GpuUnitKernel } from './units';
import { LANES, vec4Access, type Vec4Access } from './vec4';

/**
 * Options of GpuPcd: those of the chains, the data batch size B, an optional data set kept on the device,
 * the learning rate, and k sweeps per step.
 */
export interface GpuPcdOptions extends GpuChainOptions {
  /** Rows of every data batch given to step(). */
  readonly batch: number;
  /**
   * A data set to keep on the device, rows x N row-major (rows a multiple of batch, at most
   * 16384): step() without an argument then trains on its minibatches in order, cycling, and no
   * data travel per step.
   */
  readonly data?: ArrayLike<number>;
  readonly learningRate: number;
  /** Gibbs sweeps of the persistent chains per step; default 1. */
  readonly k?: number;
}

/** The gradient of one step, read back (float64 copies of float32 sums). */
export interface GpuPcdGradient {
  /** N x M. */
  readonly weights: Float64Array;
  readonly visibleBias: Float64Array;
  readonly hiddenBias: Float64Array;
}

/**
 * Activation kernel source: thread (j4, b) gives E[h | v_{b + off}] of hidden units 4 j4 .. 4 j4 + 3
 * for packed states s (rows x N4 texels; off > 0 picks a minibatch of a data set on the device)
 * and W^T packed along the visible units.
 */
export function activationSource(backend: GpuBackend, unit: GpuUnitKernel, n: number, m: number): string {
  return laneKernelSource(backend, unit, 's, w, off', packedInputs(backend, n, 'b + off'), 'mean', m);
}

/**
 * Statements declaring `${name}0..3`, a one-hot selector of lane `c` (an expression in 0..3):
 * lane c of a texel t is then t[0] s0 + t[1] s1 + t[2] s2 + t[3] s3. Arithmetic rather than four
 * branches: neighbouring threads of a GPU warp (or a llvmpipe quad) have different lanes, and a
 * branch per lane made each of them run all four (measured on llvmpipe: the weight update took 2x
 * as long as its reads explain).
 */
function laneSelector(name: string, c: string): string {
  return LANES.map((k) => `let ${name}${k} = 0;
    if (${c} > ${k - 0.5} && ${c} < ${k + 0.5}) {
      ${name}${k} = 1;
    }`).join('\n    ');
}

/** Lane (selected by `${sel}0..3`) of a texel, from its vec4Access form. */
function selectLane(t: Vec4Access, name: string, expr: string, sel: string): string {
  return LANES.map((k) => `${t.at(name, expr, k)} * ${sel}${k}`).join(' + ');
}

/**
 * The weight-gradient kernel: thread (j4, i) gives, for lanes k, G[i, 4 j4 + k] =
 * (1/B) sum_b d[b + off, i] ad[b, 4 j4 + k] - (1/C) sum_c v[c, i] av[c, 4 j4 + k], or with
 * `apply` w + lr G. d[b, i] is lane (i mod 4) of a packed texel, picked by a one-hot selector.
 */
function weightSource(mode: GpuBackend['mode'], batch: number, chains: number, apply: boolean): string {
  const t = vec4Access(mode);
  const phase = (x: string, row: string, a: string, rows: number, acc: string) => `
    for (let r = 0; r < ${rows}; r++) {
      ${t.declare('xt', `${x}[${row}][i4]`)}
      ${t.declare('at', `${a}[r][j4]`)}
      const xs = ${selectLane(t, 'xt', `${x}[${row}][i4]`, 's')};
      ${LANES.map((k) => `${acc}${k} += xs * ${t.at('at', `${a}[r][j4]`, k)};`).join('\n      ')}
    }`;
  const head = apply ? 'function (w, d, ad, v, av, lr, off)' : 'function (d, ad, v, av, off)';
  const value = (k: number) => {
    const g = `pos${k} * ${1 / batch} - neg${k} * ${1 / chains}`;
    return apply ? `${t.at('wv', 'w[i][j4]', k)} + lr * (${g})` : g;
  };
  return `${head} {
    const j4 = this.thread.x;
    const i = this.thread.y;
    const i4 = Math.floor(i * 0.25);
    const c = i - i4 * 4;
    ${laneSelector('s', 'c')}
    ${LANES.map((k) => `let pos${k} = 0;\n    let neg${k} = 0;`).join('\n    ')}
    ${phase('d', 'r + off', 'ad', batch, 'pos')}
    ${phase('v', 'r', 'av', chains, 'neg')}
    ${apply ? t.declare('wv', 'w[i][j4]') : ''}
    return [${LANES.map(value).join(', ')}];
  }`;
}

/**
 * W^T packed along the visible units from W packed along the hidden units: thread (i4, j) gives
 * W[4 i4 + l, j] for lanes l, lane (j mod 4) of texels (j4, 4 i4 + l).
 */
function transposeSource(mode: GpuBackend['mode']): string {
  const t = vec4Access(mode);
  const pick = LANES.map((l) => {
    const texel = `w[i4 * 4 + ${l}][j4]`;
    return `${t.declare(`t${l}`, texel)}
    const o${l} = ${selectLane(t, `t${l}`, texel, 's')};`;
  }).join('\n    ');
  return `function (w) {
    const i4 = this.thread.x;
    const j = this.thread.y;
    const j4 = Math.floor(j * 0.25);
    const c = j - j4 * 4;
    ${laneSelector('s', 'c')}
    ${pick}
    return [o0, o1, o2, o3];
  }`;
}

/**
 * A bias (packed, 1 x size4) and its gradient (1/B) sum_b x[b + off] - (1/C) sum_c y[c] over
 * packed row textures: with `apply` the bias + lr G, else G.
 */
function biasSource(mode: GpuBackend['mode'], batch: number, chains: number, apply: boolean): string {
  const t = vec4Access(mode);
  const phase = (x: string, row: string, rows: number, acc: string) => `
    for (let r = 0; r < ${rows}; r++) {
      ${t.declare('xv', `${x}[${row}][j4]`)}
      ${LANES.map((k) => `${acc}${k} += ${t.at('xv', `${x}[${row}][j4]`, k)};`).join('\n      ')}
    }`;
  const value = (k: number) => {
    const g = `pos${k} * ${1 / batch} - neg${k} * ${1 / chains}`;
    return apply ? `${t.at('bv', 'bias[0][j4]', k)} + lr * (${g})` : g;
  };
  return `${apply ? 'function (bias, x, y, lr, off)' : 'function (x, y, off)'} {
    const j4 = this.thread.x;
    ${LANES.map((k) => `let pos${k} = 0;\n    let neg${k} = 0;`).join('\n    ')}
    ${phase('x', 'r + off', batch, 'pos')}
    ${phase('y', 'r', chains, 'neg')}
    ${apply ? t.declare('bv', 'bias[0][j4]') : ''}
    return [${LANES.map(value).join(', ')}];
  }`;
}

/**
 * The health flag: prev if set, else `step` where a lane of either bias texture is not finite
 * (NaN fails both comparisons), else 0. One thread.
 */
function healthSource(mode: GpuBackend['mode'], n4: number, m4: number): string {
  const t = vec4Access(mode);
  const scan = (tex: string, size4: number) => `
      for (let q = 0; q < ${size4}; q++) {
        ${t.declare('hv', `${tex}[0][q]`)}
        ${LANES.map((k) => `if (!(${t.at('hv', `${tex}[0][q]`, k)} >= -3e38 && ${t.at('hv', `${tex}[0][q]`, k)} <= 3e38)) {
          out = step;
        }`).join('\n        ')}
      }`;
  return `function (prev, vb, hb, step) {
    let out = prev[0];
    if (out === 0) {${scan('vb', n4)}${scan('hb', m4)}
    }
    return out;
  }`;
}

/** Two kernels of one source that take turns, so that a call never reads the texture it writes. */
interface PingPong {
  readonly keys: [string, string];
  readonly kernels: [GpuKernelRun, GpuKernelRun];
  parity: number;
}

/** A kernel and its key. */
interface Single {
  readonly key: string;
  readonly kernel: GpuKernelRun;
}

/** The kernels of a PCD step that read the data texture (see GpuPcd.dataKernels). */
interface DataKernels {
  readonly actData: Single;
  readonly gradient: Single;
  readonly visibleGradient: Single;
  readonly weights: PingPong;
  readonly visibleBias: PingPong;
}

/**
 * PCD-k on the device: W, the field biases, the persistent chains and the gradient stay in float32
 * textures; a step is G_W = (1/B) sum_b D_b a(D_b)^T - (1/C) sum_c V_c a(V_c)^T with a(v) = E[h | v],
 * W += lr G_W, visible bias += lr (mean D - mean V), hidden bias += lr (mean a(D) - mean a(V)).
 * Failures are flagged on the device and thrown by the next read-back.
 */
export class GpuPcd {
  readonly chain: GpuBlockGibbs;
  readonly batch: number;
  readonly learningRate: number;
  readonly k: number;
  private readonly hiddenUnit: GpuUnitKernel;
  /** Kernels that do not read the data: the chains' activations and gradient, the transpose, the hidden bias, the health flag. */
  private readonly model: {
    readonly actModel: Single;
    readonly hiddenGradient: Single;
    readonly transpose: PingPong;
    readonly hiddenBias: PingPong;
    readonly health: PingPong;
  };
  /**
   * Kernels that read a data texture, one set per row count of that texture (the uploaded batch,
   * or the data set on the device): gpu.js fixes an argument's texture size at a kernel's first
   * call (dynamicArguments off), so one kernel fed both sizes read the wrong texels on GL.
   */
  private readonly dataKernels = new Map<number, DataKernels>();
  private readonly buildDataKernels: (rows: number) => DataKernels;
  /** Index of the field (bias) parameter among each layer's kernel parameters, or -1 if untrained. */
  private readonly visibleField: number;
  private readonly hiddenField: number;
  /** The health flag texture (0, or the first step whose biases were not finite). */
  private health: unknown;
  /** The data set on the device (options.data) and its number of minibatches, or null. */
  private readonly dataset: { readonly texture: unknown; readonly batches: number } | null;
  /** Minibatches of the data set taken so far. */
  private datasetSteps = 0;
  private steps = 0;
  /** Unique per trainer: the prefix of its own kernels' keys (its chain has its own tag). */
  readonly tag: string;
  /** The error of a failed step or read-back; every later call throws it. */
  private failure: Error | undefined;

  constructor(
    readonly backend: GpuBackend,
    readonly rbm: RBM,
    options: GpuPcdOptions,
  ) {
    const { batch, learningRate } = options;
    const k = options.k ?? 1;
    checkChains(batch, 'batch');
    if (!(Number.isFinite(learningRate) && learningRate > 0)) throw new RangeError(`learningRate must be a positive number, got ${learningRate}`);
    if (!(Number.isInteger(k) && k >= 1)) throw new RangeError(`k must be a positive integer, got ${k}`);
    this.batch = batch;
    this.learningRate = learningRate;
    this.k = k;
    this.chain = new GpuBlockGibbs(backend, rbm, options);
    this.hiddenUnit = gpuUnitOf(rbm.hidden, 'hidden');
    const n = rbm.numVisible;
    const m = rbm.numHidden;
    const n4 = Math.ceil(n / 4);
    const m4 = Math.ceil(m / 4);
    const c = this.chain.chains;
    checkIndexRange(batch * n4 * 4, 'a data batch');
    this.tag = backend.newTag('pcd');
    const shape = `${batch}/${c}/${n}/${m}/${rbm.hidden.type}`;
    const mode = backend.mode;
    const single = (name: string, source: string, output: number[]): Single => {
      const key = `${this.tag}${name}/${shape}`;
      return { key, kernel: backend.kernel(key, source, output, true, 'Array(4)') };
    };
    const pair = (name: string, source: string, output: number[], scalar = false): PingPong => {
      const keys: [string, string] = [`${this.tag}${name}A/${shape}`, `${this.tag}${name}B/${shape}`];
      const build = (key: string) => (scalar ? backend.kernel(key, source, output, true) : backend.kernel(key, source, output, true, 'Array(4)'));
      return { keys, kernels: [build(keys[0]), build(keys[1])], parity: 0 };
    };
    const activation = activationSource(backend, this.hiddenUnit, n, m);
    this.model = {
      actModel: single('actModel', activation, [m4, c]),
      hiddenGradient: single('hiddenGradient', biasSource(mode, batch, c, false), [m4, 1]),
      transpose: pair('transpose', transposeSource(mode), [n4, 4 * m4]),
      hiddenBias: pair('hiddenBias', biasSource(mode, batch, c, true), [m4, 1]),
      health: pair('health', healthSource(mode, n4, m4), [1], true),
    };
    this.buildDataKernels = (rows: number) => ({
      actData: single(`actData${rows}`, activation, [m4, batch]),
      gradient: single(`gradient${rows}`, weightSource(mode, batch, c, false), [m4, 4 * n4]),
      visibleGradient: single(`visibleGradient${rows}`, biasSource(mode, batch, c, false), [n4, 1]),
      weights: pair(`weights${rows}`, weightSource(mode, batch, c, true), [m4, 4 * n4]),
      visibleBias: pair(`visibleBias${rows}`, biasSource(mode, batch, c, true), [n4, 1]),
    });
    this.visibleField = fieldIndex(this.chain.visibleKernel);
    this.hiddenField = fieldIndex(this.chain.hiddenKernel);
    const zero = backend.kernel(`${this.tag}health0`, 'function () { return 0; }', [1], true);
    this.health = backend.run(`${this.tag}health0`, zero);
    this.dataset = null;
    if (options.data !== undefined) {
      const rows = options.data.length / n;
      if (!Number.isInteger(rows) || rows < batch || rows % batch !== 0) {
        throw new RangeError(`data has ${options.data.length} values: needs a positive multiple of batch (${batch}) rows of ${n} units`);
      }
      checkChains(rows, 'the rows of the data set on the device');
      checkIndexRange(rows * n4 * 4, 'the data set on the device');
      this.dataset = { texture: backend.uploadPacked(`${this.tag}dataset`, options.data, rows, n), batches: rows / batch };
    }
  }

  /** Steps run so far. */
  get stepCount(): number {
    return this.steps;
  }

  /** The kernels for a data texture of `rows` rows (built at its first use). */
  private kernelsFor(rows: number): DataKernels {
    let k = this.dataKernels.get(rows);
    if (k === undefined) {
      k = this.buildDataKernels(rows);
      this.dataKernels.set(rows, k);
    }
    return k;
  }

  /** Runs a kernel of a ping-pong pair and flips it. */
  private turn(p: PingPong, ...args: unknown[]): unknown {
    const t = p.parity;
    p.parity = 1 - t;
    return this.backend.run(p.keys[t], p.kernels[t], ...args);
  }

  /**
   * One PCD-k step from a data batch (batch x N, row-major), or without one from the next
   * minibatch of the data set on the device (options.data). Reads nothing back: a failure in
   * this step is thrown by the next read-back (see the file comment).
   */
  step(data?: ArrayLike<number>): void {
    this.guard(() => {
      const { d, off, kernels, ad, v, av } = this.phases(data);
      const [w] = this.chain.weights;
      const lr = this.learningRate;
      const wNew = this.turn(kernels.weights, w, d, ad, v, av, lr, off);
      this.chain.weights = [wNew, this.turn(this.model.transpose, wNew)];
      const vk = this.chain.visibleKernel;
      const hk = this.chain.hiddenKernel;
      if (this.visibleField >= 0) vk.params[this.visibleField] = this.turn(kernels.visibleBias, vk.params[this.visibleField], d, v, lr, off);
      if (this.hiddenField >= 0) hk.params[this.hiddenField] = this.turn(this.model.hiddenBias, hk.params[this.hiddenField], ad, av, lr, 0);
      this.steps++;
      this.health = this.turn(this.model.health, this.health, this.biasTexture(vk, this.visibleField), this.biasTexture(hk, this.hiddenField), this.steps);
    });
  }

  /** The texture of a layer's field for the health check (a zero parameter texture of the layer where it has none). */
  private biasTexture(lk: LayerKernel, field: number): unknown {
    return lk.params[field >= 0 ? field : 0];
  }

  /**
   * The data batch on the device (a texture and the row where the batch starts in it), its
   * activations, k sweeps of the chains and theirs.
   */
  private phases(data: ArrayLike<number> | undefined): { d: unknown; off: number; kernels: DataKernels; ad: unknown; v: unknown; av: unknown } {
    const { backend, rbm, batch } = this;
    const n = rbm.numVisible;
    let d: unknown;
    let off = 0;
    let rows = batch;
    if (data !== undefined) {
      if (data.length !== batch * n) throw new RangeError(`data has ${data.length} values, expected ${batch} x ${n}`);
      d = backend.uploadPacked(`${this.tag}data`, data, batch, n);
    } else {
      if (this.dataset === null) throw new RangeError('step() without data needs a data set on the device (options.data)');
      d = this.dataset.texture;
      rows = this.dataset.batches * batch;
      off = (this.datasetSteps % this.dataset.batches) * batch;
      this.datasetSteps++;
    }
    const kernels = this.kernelsFor(rows);
    const hk = this.chain.hiddenKernel;
    const ad = backend.run(kernels.actData.key, kernels.actData.kernel, d, this.chain.weights[1], off, ...hk.params);
    this.chain.sweep(this.k);
    const v = this.chain.visibleStates;
    const av = backend.run(this.model.actModel.key, this.model.actModel.kernel, v, this.chain.weights[1], 0, ...hk.params);
    return { d, off, kernels, ad, v, av };
  }

  /**
   * The gradient of one step, read back, without changing the parameters (the chains still
   * advance k sweeps). Throws as checkFailures() first.
   */
  gradient(data?: ArrayLike<number>): GpuPcdGradient {
    return this.guard(() => {
      this.checkDevice();
      const { d, off, kernels, ad, v, av } = this.phases(data);
      const { numVisible: n, numHidden: m } = this.rbm;
      const run = (k: Single, ...args: unknown[]) => this.backend.run(k.key, k.kernel, ...args);
      const weights = this.backend.readPacked(run(kernels.gradient, d, ad, v, av, off), n, m, this.tag) as Float64Array;
      const visibleBias = this.backend.readPacked(run(kernels.visibleGradient, d, v, off), 1, n, this.tag) as Float64Array;
      const hiddenBias = this.backend.readPacked(run(this.model.hiddenGradient, ad, av, 0), 1, m, this.tag) as Float64Array;
      this.steps++;
      this.chain.checkFailures();
      this.checkFinite(hiddenBias, 'the hidden bias gradient of unit', 0);
      this.checkFinite(visibleBias, 'the visible bias gradient of unit', 0);
      this.checkFinite(weights, 'the weight gradient', m);
      return { weights, visibleBias, hiddenBias };
    });
  }

  /** Runs f unless an earlier call failed; a GpuLimitError of f is kept and thrown by every later call. */
  private guard<T>(f: () => T): T {
    if (this.failure !== undefined) throw this.failure;
    try {
      return f();
    } catch (err) {
      if (err instanceof GpuLimitError) this.failure = err;
      throw err;
    }
  }

  private overflowCause(): string {
    return this.rbm.hidden.type === 'poisson' ? 'poisson activations e^x overflow float32 above x = 88.7' : 'an activation or a state left float32 range';
  }

  /** Throws GpuLimitError naming the first non-finite entry of `values`. */
  private checkFinite(values: Float64Array, what: string, cols: number): void {
    const q = values.findIndex((x) => !Number.isFinite(x));
    if (q < 0) return;
    const at = cols > 0 ? `(${Math.floor(q / cols)}, ${q % cols})` : `${q}`;
    throw new GpuLimitError(`GpuPcd step ${this.steps}: ${what} ${at} is ${values[q]} in float32 (${this.overflowCause()})`);
  }

  /** The device's flags: refused draws of the chains, and the first step whose biases were not finite. */
  private checkDevice(): void {
    const chains = this.chain.failureReport();
    const first = flatten1d(this.health, 1)[0];
    // the earlier of the two: step s sweeps the chains k times, sweeps (s - 1) k + 1 .. s k
    if (chains !== null && (first === 0 || Math.ceil(chains.sweep / this.k) <= first)) throw new GpuLimitError(chains.message);
    if (first !== 0) {
      throw new GpuLimitError(`GpuPcd: a bias left float32's range at step ${first} of ${this.steps} (${this.overflowCause()}); the parameters on the device are no longer valid`);
    }
  }

  /**
   * Throws GpuLimitError if any step so far failed on the device (a refused draw of the chains,
   * a bias that left float32's range). Reads one float (and one per chain for poisson units).
   */
  checkFailures(): void {
    this.guard(() => this.checkDevice());
  }

  /** Frees the kernels of this trainer and of its chains; it cannot be used afterwards. */
  dispose(): void {
    this.backend.release(this.tag);
    this.chain.dispose();
  }

  /**
   * The weights read back from the device, N x M. Throws GpuLimitError if a step failed (as
   * checkFailures) or if a weight is not finite (the float32 update overflowed).
   */
  weights(): Float64Array {
    return this.guard(() => {
      this.checkDevice();
      const { numVisible: n, numHidden: m } = this.rbm;
      const w = this.backend.readPacked(this.chain.weights[0], n, m, this.tag) as Float64Array;
      const q = w.findIndex((x) => !Number.isFinite(x));
      if (q >= 0) {
        throw new GpuLimitError(
          `GpuPcd: weight (${Math.floor(q / m)}, ${q % m}) on the device is ${w[q]} after ${this.steps} steps: the float32 update overflowed (learning rate or activations too large)`,
        );
      }
      return w;
    });
  }

  /** The trained biases read back: { visible, hidden } (null for a layer without a trained field). */
  biases(): { visible: Float64Array | null; hidden: Float64Array | null } {
    return this.guard(() => {
      this.checkDevice();
      const read = (lk: LayerKernel, field: number) => (field < 0 ? null : (this.backend.readPacked(lk.params[field], 1, lk.size, this.tag) as Float64Array));
      return { visible: read(this.chain.visibleKernel, this.visibleField), hidden: read(this.chain.hiddenKernel, this.hiddenField) };
    });
  }

  /** Writes the device's weights and biases into the model; throws as weights(), writing nothing then. */
  syncToModel(): void {
    const w = this.weights();
    const { visible, hidden } = this.biases();
    this.rbm.weights.set(w);
    const vField = this.chain.visibleKernel.unit.fieldParam;
    const hField = this.hiddenUnit.fieldParam;
    if (visible !== null && vField !== null) this.rbm.visible.params[vField].set(visible);
    if (hidden !== null && hField !== null) this.rbm.hidden.params[hField].set(hidden);
  }
}

/** The index of a layer's trained field among its kernel parameters, or -1. */
function fieldIndex(lk: LayerKernel): number {
  const field = lk.unit.fieldParam;
  return field === null ? -1 : lk.unit.params.indexOf(field);
}

/**
 * E[h | v] for a batch of visible states (batch x N) on the device, read back (batch x M): the
 * activation kernel of the PCD step, for tests and for callers that want activations alone.
 */
export function hiddenActivations(backend: GpuBackend, rbm: RBM, v: ArrayLike<number>, batch: number): Float64Array {
  const n = rbm.numVisible;
  const m = rbm.numHidden;
  const unit = gpuUnitOf(rbm.hidden, 'hidden');
  checkChains(batch, 'batch');
  checkIndexRange(batch * Math.ceil(n / 4) * 4, 'v');
  // not a sampler's kernels: no tag (tags have '#'), shared by every call, never released
  const key = `activations/${rbm.hidden.type}/${batch}/${n}/${m}`;
  const kernel = backend.kernel(key, activationSource(backend, unit, n, m), [Math.ceil(m / 4), batch], true, 'Array(4)');
  const s = backend.uploadPacked(`activations/states`, v, batch, n);
  const w = backend.uploadPacked(`activations/weights`, paddedTranspose(rbm.weights, n, m), 4 * Math.ceil(m / 4), n);
  const params = unit.params.map((name, p) => backend.uploadPacked(`activations/p${p}`, rbm.hidden.params[name], 1, m, unit.paramPad?.[p] ?? 0));
  const out = backend.readPacked(backend.run(key, kernel, s, w, 0, ...params), batch, m) as Float64Array;
  const q = out.findIndex((x) => !Number.isFinite(x));
  if (q >= 0) {
    const why = rbm.hidden.type === 'poisson' ? ': e^x overflows float32 above x = 88.7' : '';
    throw new GpuLimitError(`the ${rbm.hidden.type} activation of hidden unit ${q % m} in row ${Math.floor(q / m)} is ${out[q]} in float32${why}`);
  }
  return out;
}
