/**
 * Persistent contrastive divergence (PCD-k) with the weights, the persistent chains and the
 * gradient on the device. One step, for a data batch D (B x N) and the C persistent chains V:
 *
 *     a(v)   = E[h | v] = Gamma'(I(v) + bias)                      (units.ts, per hidden unit)
 *     G_W    = (1/B) sum_b D_b a(D_b)^T  -  (1/C) sum_c V_c a(V_c)^T   (positive minus negative phase)
 *     W     <- W + lr G_W                                           (one fused kernel, on the device)
 *     visible bias += lr ((1/B) sum_b D_b - (1/C) sum_c V_c)
 *     hidden bias  += lr ((1/B) sum_b a(D_b) - (1/C) sum_c a(V_c))
 * with V advanced by k block-Gibbs sweeps before the negative phase (the chains see the weights
 * of the previous step, as in core's trainer). The field biases ('bias' of bernoulli, spin,
 * gaussian, relu and poisson units) are trained; other unit parameters (gamma, drelu's four) stay
 * fixed. The bias gradients (N + M floats) are read back and applied on the host in float64 (they
 * are kernel arguments anyway); the weights are read back only by `syncToModel` / `weights()`.
 *
 * Precision: W lives on the device in float32, so an update lr G_W below about 2^-25 |W| is lost
 * (W + lr G_W rounds back to W), unlike core's Trainer, whose parameters stay float64; the biases
 * are float64 on the host. `gradient()` forms G_W by its own kernel, not as (W + G) - W.
 *
 * Failures are never silent: every step reads the chains' failure flags (poisson units, gibbs.ts)
 * and checks the bias gradients it reads back, and `weights()` checks the weights it reads back;
 * a refused draw or a value that left float32's range (a poisson activation e^x above x = 88.7)
 * throws GpuLimitError before the update is applied, and the trainer then refuses all further
 * work with the same error.
 */
import type { RBM } from '@rbmlab/core';
import { checkIndexRange, flatten1d, flatten2d, type GpuBackend, type GpuKernelRun } from './backend';
import { GpuLimitError } from './errors';
import { checkChains, GpuBlockGibbs, type GpuChainOptions } from './gibbs';
import { gpuUnitOf, unitParams, type GpuUnitKernel } from './units';

export interface GpuPcdOptions extends GpuChainOptions {
  /** Rows of every data batch given to step(). */
  readonly batch: number;
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

/** Activation kernel source: thread (j, b) gives E[h_j | v_b] for states s (rows x N). */
function activationSource(unit: GpuUnitKernel, n: number): string {
  const params = unit.params.map((_, k) => `, p${k}`).join('');
  return `function (s, w${params}) {
    const j = this.thread.x;
    const b = this.thread.y;
    let x = 0;
    for (let i = 0; i < ${n}; i++) {
      x += s[b][i] * w[i][j];
    }
    ${unit.mean()}
  }`;
}

export class GpuPcd {
  readonly chain: GpuBlockGibbs;
  readonly batch: number;
  readonly learningRate: number;
  readonly k: number;
  private readonly hiddenUnit: GpuUnitKernel;
  private readonly hiddenParams: Float32Array[];
  private readonly kernels: Record<'actData' | 'actModel' | 'updateA' | 'updateB' | 'gradient' | 'visibleBias' | 'hiddenBias', GpuKernelRun>;
  private readonly keys: Record<string, string> = {};
  private flip = false;
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
    this.hiddenParams = this.chain.hiddenKernel.params;
    const n = rbm.numVisible;
    const m = rbm.numHidden;
    const c = this.chain.chains;
    checkIndexRange(batch * n, 'a data batch');
    this.tag = backend.newTag('pcd');
    const shape = `${batch}/${c}/${n}/${m}/${rbm.hidden.type}`;
    const make = (name: string, source: string, output: number[], pipeline: boolean): GpuKernelRun => {
      const key = `${this.tag}${name}/${shape}`;
      this.keys[name] = key;
      return backend.kernel(key, source, output, pipeline);
    };
    const sums = `
      const i = this.thread.y;
      const j = this.thread.x;
      let pos = 0;
      for (let b = 0; b < ${batch}; b++) {
        pos += d[b][i] * ad[b][j];
      }
      let neg = 0;
      for (let b = 0; b < ${c}; b++) {
        neg += v[b][i] * av[b][j];
      }`;
    const update = `function (w, d, ad, v, av, lr) {${sums}
      return w[i][j] + lr * (pos / ${batch} - neg / ${c});
    }`;
    const gradient = `function (d, ad, v, av) {${sums}
      return pos / ${batch} - neg / ${c};
    }`;
    const biasSum = (width: number) => `function (d, v) {
      const j = this.thread.x;
      let pos = 0;
      for (let b = 0; b < ${batch}; b++) {
        pos += d[b][j];
      }
      let neg = 0;
      for (let b = 0; b < ${c}; b++) {
        neg += v[b][j];
      }
      return pos / ${batch} - neg / ${c};
    }`;
    this.kernels = {
      actData: make('actData', activationSource(this.hiddenUnit, n), [m, batch], true),
      actModel: make('actModel', activationSource(this.hiddenUnit, n), [m, c], true),
      // two update kernels in turn: each reads the weights the other wrote (no texture is read
      // and written by the same call)
      updateA: make('updateA', update, [m, n], true),
      updateB: make('updateB', update, [m, n], true),
      // gradient(): G itself, read back (not (W + G) - W, which loses G below the precision of W)
      gradient: make('gradient', gradient, [m, n], false),
      visibleBias: make('visibleBias', biasSum(n), [n], false),
      hiddenBias: make('hiddenBias', biasSum(m), [m], false),
    };
  }

  /** Steps run so far. */
  get stepCount(): number {
    return this.steps;
  }

  /**
   * One PCD-k step from a data batch (batch x N, row-major); returns nothing read back but the bias
   * gradients. Throws GpuLimitError (and applies nothing) where a chain drew a refused state or a
   * gradient left float32's range.
   */
  step(data: ArrayLike<number>): void {
    this.guard(() => this.run(data, true));
  }

  /** The gradient of one step, read back, without changing the weights (the chains still advance k sweeps). */
  gradient(data: ArrayLike<number>): GpuPcdGradient {
    return this.guard(() => this.run(data, false) as GpuPcdGradient);
  }

  /** Runs f unless an earlier call failed; a failure of f is kept and thrown by every later call. */
  private guard<T>(f: () => T): T {
    if (this.failure !== undefined) throw this.failure;
    try {
      return f();
    } catch (err) {
      if (err instanceof GpuLimitError) this.failure = err;
      throw err;
    }
  }

  /** Throws GpuLimitError naming the first non-finite entry of `values`. */
  private checkFinite(values: Float64Array, what: string, cols: number, cause: string): void {
    const q = values.findIndex((x) => !Number.isFinite(x));
    if (q < 0) return;
    const at = cols > 0 ? `(${Math.floor(q / cols)}, ${q % cols})` : `${q}`;
    throw new GpuLimitError(`GpuPcd step ${this.steps + 1}: ${what} ${at} is ${values[q]} in float32 (${cause}); nothing was applied`);
  }

  private run(data: ArrayLike<number>, apply: boolean): GpuPcdGradient | undefined {
    const { backend, rbm, batch } = this;
    const n = rbm.numVisible;
    const m = rbm.numHidden;
    if (data.length !== batch * n) throw new RangeError(`data has ${data.length} values, expected ${batch} x ${n}`);
    const kz = this.kernels;
    const w = this.chain.weights;
    const d = backend.upload(`${this.tag}data`, data, batch, n);
    const ad = backend.run(this.keys.actData, kz.actData, d, w, ...this.hiddenParams);
    this.chain.sweep(this.k);
    this.chain.checkFailures();
    const v = this.chain.visibleStates;
    const av = backend.run(this.keys.actModel, kz.actModel, v, w, ...this.hiddenParams);
    const gv = flatten1d(backend.run(this.keys.visibleBias, kz.visibleBias, d, v), n);
    const gh = flatten1d(backend.run(this.keys.hiddenBias, kz.hiddenBias, ad, av), m);
    const overflow = rbm.hidden.type === 'poisson' ? 'poisson activations e^x overflow float32 above x = 88.7' : 'an activation or a state left float32 range';
    this.checkFinite(gh, 'the hidden bias gradient of unit', 0, overflow);
    this.checkFinite(gv, 'the visible bias gradient of unit', 0, 'a visible state left float32 range');
    if (!apply) {
      const g = flatten2d(backend.run(this.keys.gradient, kz.gradient, d, ad, v, av), n, m) as Float64Array;
      this.checkFinite(g, 'the weight gradient', m, overflow);
      this.steps++;
      return { weights: g, visibleBias: gv, hiddenBias: gh };
    }
    const which = this.flip ? 'updateB' : 'updateA';
    const wNew = backend.run(this.keys[which], kz[which], w, d, ad, v, av, this.learningRate);
    this.steps++;
    this.flip = !this.flip;
    this.chain.weights = wNew;
    this.applyBias(rbm.visible.params, gv, this.chain.visibleKernel.unit.fieldParam, this.chain.visibleKernel.params, this.chain.visibleKernel.unit.params);
    this.applyBias(rbm.hidden.params, gh, this.hiddenUnit.fieldParam, this.hiddenParams, this.hiddenUnit.params);
    return undefined;
  }

  private applyBias(params: Record<string, Float64Array>, grad: Float64Array, field: string | null, kernelParams: Float32Array[], names: readonly string[]): void {
    if (field === null) return;
    const host = params[field];
    for (let q = 0; q < grad.length; q++) host[q] += this.learningRate * grad[q];
    kernelParams[names.indexOf(field)].set(host);
  }

  /** Frees the kernels of this trainer and of its chains; it cannot be used afterwards. */
  dispose(): void {
    this.backend.release(this.tag);
    this.chain.dispose();
  }

  /**
   * The weights read back from the device, N x M. Throws GpuLimitError if an earlier step failed
   * or if a weight is not finite (the float32 update overflowed).
   */
  weights(): Float64Array {
    return this.guard(() => {
      const { numVisible: n, numHidden: m } = this.rbm;
      const w = flatten2d(this.chain.weights, n, m) as Float64Array;
      const q = w.findIndex((x) => !Number.isFinite(x));
      if (q >= 0) {
        throw new GpuLimitError(
          `GpuPcd: weight (${Math.floor(q / m)}, ${q % m}) on the device is ${w[q]} after ${this.steps} steps: the float32 update overflowed (learning rate or activations too large)`,
        );
      }
      return w;
    });
  }

  /** Writes the device weights into the model (its biases are already up to date); throws as weights(). */
  syncToModel(): void {
    this.rbm.weights.set(this.weights());
  }
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
  checkIndexRange(batch * n, 'v');
  // not a sampler's kernels: no tag (tags have '#'), shared by every call, never released
  const key = `activations/${rbm.hidden.type}/${batch}/${n}/${m}`;
  const kernel = backend.kernel(key, activationSource(unit, n), [m, batch], false);
  const s = backend.upload(`activations/states`, v, batch, n);
  const w = backend.upload(`activations/weights`, rbm.weights, n, m);
  const out = flatten2d(backend.run(key, kernel, s, w, ...unitParams(rbm.hidden, unit)), batch, m) as Float64Array;
  const q = out.findIndex((x) => !Number.isFinite(x));
  if (q >= 0) {
    const why = rbm.hidden.type === 'poisson' ? ': e^x overflows float32 above x = 88.7' : '';
    throw new GpuLimitError(`the ${rbm.hidden.type} activation of hidden unit ${q % m} in row ${Math.floor(q / m)} is ${out[q]} in float32${why}`);
  }
  return out;
}
