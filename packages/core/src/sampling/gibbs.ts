/**
 * Block Gibbs sampling for a batch of independent chains: one sweep draws h ~ P(h | v) for every
 * hidden unit at once, then v ~ P(v | h). Needs a conditional sampler in both layers.
 *
 * Precision: float64 by default. With precision 'float32' the weights, chains and inputs are
 * stored as Float32Array (half the memory traffic). The reference backend still sums in float64,
 * so its only error is the rounding of W and of the inputs to float32 (relative 2^-24 ~ 6e-8 per
 * weight); the native backend sums in float32 (sgemm), adding at most (K + 2) 2^-24 sum |v W| to
 * each input (docs/PERFORMANCE.md). Either shifts a conditional probability by far less than
 * the statistical resolution of any feasible run.
 *
 * Backend: by default defaultBackend() (the native one where it loads). Where the backend has the
 * fused kernel sampleBinaryLayer, bernoulli and spin layers are sampled by it: one key of four
 * 32-bit words is drawn from the stream per half-sweep, and the uniforms are counter-based
 * (backend/counter-random.ts). Other layers, and every layer on the reference backend, draw
 * unit by unit from the stream with their own sampler.
 */
import type { Backend, BinaryKind } from '../backend/backend';
import { drawCounterKey } from '../backend/counter-random';
import { defaultBackend } from '../backend/default';
import type { RBM } from '../models/rbm';
import { sampleLayerInPlace } from '../models/rbm';
import type { Rng } from '../random/rng';
import { allocate, type FloatArray, type Precision } from '../tensor/matrix';
import { BernoulliLayer, SpinLayer } from '../units/builtin';
import type { UnitLayer } from '../units/unit';
import { checkVisibleStates, randomVisibleStates, requireCount } from './init';

/** The fused kernel's kind for a layer it can sample (built-in bernoulli and spin), else null. */
export function binaryKind(layer: UnitLayer): BinaryKind | null {
  if (layer instanceof BernoulliLayer) return 'bernoulli';
  if (layer instanceof SpinLayer) return 'spin';
  return null;
}

/**
 * Replaces a batch of inputs (batch x layer.size) by draws of the layer's units: through the
 * backend's fused kernel where it has one for this layer, else unit by unit from the stream.
 */
export function sampleLayerWith(backend: Backend, layer: UnitLayer, inputsThenStates: FloatArray, batch: number, rng: Rng): void {
  const kind = backend.sampleBinaryLayer === undefined ? null : binaryKind(layer);
  if (kind === null) {
    sampleLayerInPlace(layer, inputsThenStates, batch, rng);
    return;
  }
  const bias = layer.params.bias;
  (backend.sampleBinaryLayer as NonNullable<Backend['sampleBinaryLayer']>)(inputsThenStates, bias, batch, layer.size, kind, drawCounterKey(rng), inputsThenStates);
}

/** Options of a batch of chains (BlockGibbs; VisibleHeatBath takes chains, rng and init). */
export interface ChainOptions {
  /** Number of independent chains (rows of the state). */
  readonly chains: number;
  /** The stream every draw comes from. */
  readonly rng: Rng;
  /** Initial visible states (chains x N); default: a random start drawn from rng. */
  readonly init?: ArrayLike<number>;
  /** Storage precision of weights and states; default float64. */
  readonly precision?: Precision;
  /** Kernel backend; default defaultBackend(). */
  readonly backend?: Backend;
  /**
   * The weights every sweep reads (N x M row-major), default rbm.weights (float64) or, with
   * precision 'float32', a float32 copy made here. A trainer that keeps its own float32 mirror of
   * weights it changes between sweeps passes that mirror, so that the chains see each update
   * without a copy per sweep. Block Gibbs only.
   */
  readonly weights?: FloatArray;
}

/**
 * Block Gibbs over `chains` independent chains: a sweep draws h ~ P(h | v) for the whole batch, then
 * v ~ P(v | h). Needs a sampler in both layers. States are chains x N (visible) and chains x M
 * (hidden), row-major, updated in place; the model is held by reference.
 */
export class BlockGibbs {
  /** Visible states, chains x N, row-major. Updated in place by each sweep. */
  readonly visibleState: FloatArray;
  /** Hidden states of the last half-sweep, chains x M. */
  readonly hiddenState: FloatArray;
  readonly chains: number;
  readonly precision: Precision;
  private readonly weights: FloatArray;
  private readonly backend: Backend;
  private readonly rng: Rng;

  constructor(readonly rbm: RBM, options: ChainOptions) {
    requireCount('chains', options.chains);
    for (const layer of [rbm.visible, rbm.hidden]) {
      if (!layer.canSample) {
        throw new Error(`block Gibbs needs a conditional sampler in both layers; ${layer.type} units have none (use the heat bath)`);
      }
    }
    this.chains = options.chains;
    this.rng = options.rng;
    this.precision = options.precision ?? 'float64';
    this.backend = options.backend ?? defaultBackend();
    if (options.weights !== undefined && options.weights.length !== rbm.weights.length) {
      throw new RangeError(`chain weights have ${options.weights.length} entries, expected ${rbm.numVisible} x ${rbm.numHidden}`);
    }
    this.weights = options.weights ?? (this.precision === 'float32' ? Float32Array.from(rbm.weights) : rbm.weights);
    this.hiddenState = allocate(this.precision, this.chains * rbm.numHidden);
    if (options.init !== undefined) {
      checkVisibleStates(rbm, options.init, this.chains);
      this.visibleState = allocate(this.precision, this.chains * rbm.numVisible);
      this.visibleState.set(options.init);
    } else {
      this.visibleState = randomVisibleStates(rbm, this.chains, this.rng, this.precision);
    }
  }

  /** Runs `count` sweeps v -> h -> v. */
  sweep(count = 1): void {
    requireCount('sweeps', count, true);
    const { rbm, chains } = this;
    for (let s = 0; s < count; s++) {
      this.backend.hiddenInputs(this.visibleState, this.weights, chains, rbm.numVisible, rbm.numHidden, this.hiddenState);
      sampleLayerWith(this.backend, rbm.hidden, this.hiddenState, chains, this.rng);
      this.backend.visibleInputs(this.hiddenState, this.weights, chains, rbm.numVisible, rbm.numHidden, this.visibleState);
      sampleLayerWith(this.backend, rbm.visible, this.visibleState, chains, this.rng);
    }
  }
}
