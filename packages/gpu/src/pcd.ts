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
 */
import type { RBM } from '@rbmlab/core';
import { checkIndexRange, flatten1d, flatten2d, type GpuBackend, type GpuKernelRun } from './backend';
import { GpuBlockGibbs, type GpuChainOptions } from './gibbs';
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
  private readonly kernels: Record<'actData' | 'actModel' | 'updateA' | 'updateB' | 'visibleBias' | 'hiddenBias', GpuKernelRun>;
  private readonly keys: Record<string, string> = {};
  private flip = false;
  private steps = 0;

  constructor(
    readonly backend: GpuBackend,
    readonly rbm: RBM,
    options: GpuPcdOptions,
  ) {
    const { batch, learningRate } = options;
    const k = options.k ?? 1;
    if (!(Number.isInteger(batch) && batch >= 1 && batch <= 16384)) throw new RangeError(`batch must be an integer in 1..16384, got ${batch}`);
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
    const tag = `pcd/${this.chain.tag}/${batch}/${c}/${n}/${m}/${rbm.hidden.type}`;
    const make = (name: string, source: string, output: number[], pipeline: boolean): GpuKernelRun => {
      const key = `${tag}/${name}`;
      this.keys[name] = key;
      return backend.kernel(key, source, output, pipeline);
    };
    const update = `function (w, d, ad, v, av, lr) {
      const i = this.thread.y;
      const j = this.thread.x;
      let pos = 0;
      for (let b = 0; b < ${batch}; b++) {
        pos += d[b][i] * ad[b][j];
      }
      let neg = 0;
      for (let b = 0; b < ${c}; b++) {
        neg += v[b][i] * av[b][j];
      }
      return w[i][j] + lr * (pos / ${batch} - neg / ${c});
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
      visibleBias: make('visibleBias', biasSum(n), [n], false),
      hiddenBias: make('hiddenBias', biasSum(m), [m], false),
    };
  }

  /** Steps run so far. */
  get stepCount(): number {
    return this.steps;
  }

  /** One PCD-k step from a data batch (batch x N, row-major); returns nothing read back but the bias gradients. */
  step(data: ArrayLike<number>): void {
    this.run(data, true);
  }

  /** The gradient of one step, read back, without changing the weights (the chains still advance k sweeps). */
  gradient(data: ArrayLike<number>): GpuPcdGradient {
    return this.run(data, false) as GpuPcdGradient;
  }

  private run(data: ArrayLike<number>, apply: boolean): GpuPcdGradient | undefined {
    const { backend, rbm, batch } = this;
    const n = rbm.numVisible;
    const m = rbm.numHidden;
    if (data.length !== batch * n) throw new RangeError(`data has ${data.length} values, expected ${batch} x ${n}`);
    const kz = this.kernels;
    const w = this.chain.weights;
    const d = backend.upload(`pcd/${this.chain.tag}/data`, data, batch, n);
    const ad = backend.run(this.keys.actData, kz.actData, d, w, ...this.hiddenParams);
    this.chain.sweep(this.k);
    const v = this.chain.visibleStates;
    const av = backend.run(this.keys.actModel, kz.actModel, v, w, ...this.hiddenParams);
    const lr = apply ? this.learningRate : 1;
    const which = this.flip ? 'updateB' : 'updateA';
    const wNew = backend.run(this.keys[which], kz[which], w, d, ad, v, av, lr);
    const gv = flatten1d(backend.run(this.keys.visibleBias, kz.visibleBias, d, v), n);
    const gh = flatten1d(backend.run(this.keys.hiddenBias, kz.hiddenBias, ad, av), m);
    this.steps++;
    if (!apply) {
      // wNew = W + G: the gradient is the difference, formed in float64 from both read-backs
      const before = flatten2d(w, n, m) as Float64Array;
      const after = flatten2d(wNew, n, m) as Float64Array;
      for (let q = 0; q < n * m; q++) after[q] -= before[q];
      return { weights: after, visibleBias: gv, hiddenBias: gh };
    }
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
    this.chain.dispose();
  }

  /** The weights read back from the device, N x M. */
  weights(): Float64Array {
    return flatten2d(this.chain.weights, this.rbm.numVisible, this.rbm.numHidden) as Float64Array;
  }

  /** Writes the device weights into the model (its biases are already up to date). */
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
  checkIndexRange(batch * n, 'v');
  const key = `activations/${rbm.hidden.type}/${batch}/${n}/${m}`;
  const kernel = backend.kernel(key, activationSource(unit, n), [m, batch], false);
  const s = backend.upload(`activations/states`, v, batch, n);
  const w = backend.upload(`activations/weights`, rbm.weights, n, m);
  return flatten2d(backend.run(key, kernel, s, w, ...unitParams(rbm.hidden, unit)), batch, m) as Float64Array;
}
