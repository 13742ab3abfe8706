/**
 * The log-likelihood gradient of an RBM as sums of sufficient statistics.
 *
 * For any parameter p, d log P(v)/dp = -dF(v)/dp - < -dF/dp >_model, and with
 * F(v) = sum_i U_i(v_i) - sum_mu Gamma_mu(I_mu(v)):
 *
 *     d(-F)/dW_{i mu} = v_i Gamma_mu'(I_mu(v))      (the activation, not a sampled h)
 *     d(-F)/dtheta    = dGamma_mu/dtheta            (hidden parameters: bias -> Gamma')
 *     d(-F)/da        = -dU_i(v_i)/da               (visible parameters: bias -> v_i)
 *
 * so the gradient is the batch mean of these statistics on the data minus their mean on the
 * chains. Using Gamma' rather than a sampled h (Rao-Blackwellisation) lowers the variance and is
 * what lets units with no hidden sampler (step, Gamma-only custom units) train: their chains run
 * on the visible marginal and still give d(-F)/dW.
 */
import { defaultBackend } from '../backend/default';
import type { Backend } from '../backend/backend';
import type { RbmGradient } from '../exact/enumerate';
import type { RBM } from '../models/rbm';
import { sigmoid } from '../math/special';
import { allocate, type FloatArray, type Precision } from '../tensor/matrix';
import { BernoulliLayer, SpinLayer } from '../units/builtin';
import { zeroParams, type UnitLayer } from '../units/unit';

/**
 * For built-in bernoulli and spin layers, whose only parameter is the bias: the activation
 * Gamma'(x + bias) (sigmoid or tanh), which is also d(-F)/dbias. Lets the accumulator compute it
 * once per entry in a tight loop instead of calling mean and addCumulantGrad (same values, same
 * order of additions: the same bits).
 */
function binaryActivation(layer: UnitLayer): ((x: number) => number) | null {
  if (layer instanceof BernoulliLayer) return sigmoid;
  if (layer instanceof SpinLayer) return Math.tanh;
  return null;
}

export type { RbmGradient } from '../exact/enumerate';

/** A zero gradient shaped like the model's parameters. */
export function zeroGradient(rbm: RBM): RbmGradient {
  return {
    weights: new Float64Array(rbm.weights.length),
    visible: zeroParams(rbm.visible),
    hidden: zeroParams(rbm.hidden),
  };
}

/** One trainable array of a model, by its name in checkpoints ("weights", "visible.bias", ...). */
export interface NamedArray {
  readonly name: string;
  readonly values: Float64Array;
}

/**
 * The trainable arrays of a model, in a fixed order (weights, then visible then hidden
 * parameters in their layer's order). The arrays are the model's own: writing them trains it.
 */
export function parameterArrays(rbm: RBM): NamedArray[] {
  return namedArrays({ weights: rbm.weights, visible: rbm.visible.params, hidden: rbm.hidden.params });
}

/** The arrays of a gradient in the same order and with the same names as parameterArrays. */
export function gradientArrays(grad: RbmGradient): NamedArray[] {
  return namedArrays(grad);
}

function namedArrays(g: RbmGradient): NamedArray[] {
  const out: NamedArray[] = [{ name: 'weights', values: g.weights }];
  for (const [name, values] of Object.entries(g.visible)) out.push({ name: `visible.${name}`, values });
  for (const [name, values] of Object.entries(g.hidden)) out.push({ name: `hidden.${name}`, values });
  return out;
}

/** Sets every array of the gradient (weights, visible and hidden parameters) to 0. */
export function clearGradient(grad: RbmGradient): void {
  for (const { values } of gradientArrays(grad)) values.fill(0);
}

/**
 * Accumulates the statistics d(-F(v))/dp of batches of visible states into a gradient. Keeps its
 * scratch buffers between calls (inputs and activations, batch x M).
 */
export class StatisticsAccumulator {
  private inputs: FloatArray = new Float64Array(0);
  private activations: FloatArray = new Float64Array(0);
  private columnSums = new Float64Array(0);

  /**
   * precision: of the inputs and (bernoulli and spin hidden units) the activations handed to the
   * backend's products (batch x M). With 'float32' and float32 visible states and weights, every
   * operand of the two products is float32 (sgemm on the native backend, no copies): the
   * minibatch sums are float32 products added into the float64 gradient.
   */
  constructor(
    readonly rbm: RBM,
    readonly backend: Backend = defaultBackend(),
    readonly precision: Precision = 'float64',
  ) {}

  /**
   * Whether `add` can write the weight term as a float32 sum of its own (`weightSums`): float32
   * statistics of bernoulli or spin hidden units on a backend with outerProducts. The visible
   * states must then be float32 too.
   */
  get float32WeightSums(): boolean {
    return this.precision === 'float32' && binaryActivation(this.rbm.hidden) !== null && this.backend.outerProducts !== undefined;
  }

  /**
   * grad += scale * sum over the batch of d(-F(v_b))/dp, for v a batch x N row-major block.
   * When `activationSum` (length M) is given, sum_b Gamma'(I(v_b)) is added into it too.
   * `weights`: the array the inputs are computed from, rbm.weights or a mirror of it (float32).
   * `weightSums` (N x M, with float32WeightSums and a float32 v): the weight term
   * scale sum_b v_b Gamma'(I(v_b))^T is written there in float32 (outerProducts) instead of being
   * added into grad.weights, which is left as it was.
   */
  add(
    v: FloatArray,
    batch: number,
    scale: number,
    grad: RbmGradient,
    activationSum?: Float64Array,
    weights: FloatArray = this.rbm.weights,
    weightSums?: Float32Array,
  ): void {
    const { rbm } = this;
    const n = rbm.numVisible;
    const m = rbm.numHidden;
    if (this.inputs.length < batch * m) {
      this.inputs = allocate(this.precision, batch * m);
      // float32 activations only for bernoulli and spin units (in [-1, 1]); others can be large
      // (poisson: e^x), so they stay float64 whatever the precision
      this.activations = allocate(binaryActivation(rbm.hidden) !== null ? this.precision : 'float64', batch * m);
    }
    const inputs = this.inputs;
    const act = this.activations;
    this.backend.hiddenInputs(v, weights, batch, n, m, inputs);
    const hidden = rbm.hidden;
    const f = binaryActivation(hidden);
    const kind = f === null ? null : hidden instanceof SpinLayer ? 'spin' : 'bernoulli';
    if (kind !== null && act instanceof Float32Array && this.backend.binaryActivations !== undefined) {
      // float32 statistics: activations and their column sums in one backend pass
      const sums = this.columnSums.length === m ? this.columnSums.fill(0) : (this.columnSums = new Float64Array(m));
      this.backend.binaryActivations(inputs, hidden.params.bias, batch, m, kind, act, sums);
      const gBias = grad.hidden.bias;
      for (let mu = 0; mu < m; mu++) {
        gBias[mu] += scale * sums[mu];
        if (activationSum !== undefined) activationSum[mu] += sums[mu];
      }
    } else if (f !== null) {
      const bias = hidden.params.bias;
      const gBias = grad.hidden.bias;
      for (let b = 0; b < batch; b++) {
        const row = b * m;
        for (let mu = 0; mu < m; mu++) {
          const a = f(inputs[row + mu] + bias[mu]);
          act[row + mu] = a;
          gBias[mu] += scale * a;
          if (activationSum !== undefined) activationSum[mu] += a;
        }
      }
    } else {
      for (let b = 0; b < batch; b++) {
        const row = b * m;
        for (let mu = 0; mu < m; mu++) {
          const x = inputs[row + mu];
          const a = hidden.mean(mu, x);
          act[row + mu] = a;
          hidden.addCumulantGrad(mu, x, scale, grad.hidden);
          if (activationSum !== undefined) activationSum[mu] += a;
        }
      }
    }
    const visible = rbm.visible;
    if (binaryActivation(visible) !== null) {
      // -dU/dbias = v for bernoulli and spin visibles: grad.bias[i] += scale v_i
      const gBias = grad.visible.bias;
      if (this.backend.addColumnSums !== undefined) {
        this.backend.addColumnSums(v, batch, n, scale, gBias);
      } else {
        for (let b = 0; b < batch; b++) {
          const row = b * n;
          for (let i = 0; i < n; i++) gBias[i] -= -scale * v[row + i];
        }
      }
    } else {
      for (let b = 0; b < batch; b++) {
        const row = b * n;
        for (let i = 0; i < n; i++) visible.addPotentialGrad(i, v[row + i], -scale, grad.visible);
      }
    }
    if (weightSums === undefined) {
      this.backend.addOuterProducts(v, act, batch, n, m, scale, grad.weights);
    } else {
      if (!(v instanceof Float32Array && act instanceof Float32Array && this.backend.outerProducts !== undefined)) {
        throw new Error('StatisticsAccumulator.add: weightSums needs float32 states and activations and a backend with outerProducts');
      }
      this.backend.outerProducts(v, act, batch, n, m, scale, weightSums);
    }
  }
}
