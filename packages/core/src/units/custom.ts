/**
 * User-defined units given by their cumulant function alone (MODELS.md §1): Gamma and its
 * derivative Gamma' are the whole model. Such a unit has no hidden sampler and no potential, so
 * an RBM built with it is sampled on the visible marginal (heat bath) and trained through
 * <v_i Gamma'(I_mu)>. Each unit gets a bias: x = input + bias.
 */
import { BaseLayer, type LayerParams, resolveParams, type UnitLayer } from './unit';

/**
 * A Gamma-only unit for `cumulantUnit`: Gamma(x) and Gamma'(x) (optionally Gamma''(x)) of x = input + bias.
 * No sampler and no potential: such an RBM is sampled on the visible marginal and trained through Gamma'.
 */
export interface CumulantUnitSpec {
  /** Name used in messages (custom units cannot be written to model files). */
  readonly name: string;
  /** Gamma(x), convex. */
  readonly cumulant: (x: number) => number;
  /** Gamma'(x), the activation. */
  readonly activation: (x: number) => number;
  /**
   * Gamma''(x). When omitted it is the central difference of the activation with step
   * 1e-5 (1 + |x|), accurate to about 1e-9 relative for smooth activations.
   */
  readonly variance?: (x: number) => number;
}

export class CumulantLayer extends BaseLayer {
  readonly type: string;
  readonly canSample = false;
  readonly hasPotential = false;
  private readonly bias: Float64Array;

  constructor(readonly spec: CumulantUnitSpec, size: number, params: Partial<Record<string, ArrayLike<number>>> = {}) {
    super(size, resolveParams(spec.name, size, { bias: 0 }, params));
    this.type = spec.name;
    this.bias = this.params.bias;
  }
  cumulant(j: number, input: number): number {
    return this.spec.cumulant(input + this.bias[j]);
  }
  mean(j: number, input: number): number {
    return this.spec.activation(input + this.bias[j]);
  }
  variance(j: number, input: number): number {
    const x = input + this.bias[j];
    if (this.spec.variance) return this.spec.variance(x);
    const step = 1e-5 * (1 + Math.abs(x));
    return (this.spec.activation(x + step) - this.spec.activation(x - step)) / (2 * step);
  }
  addCumulantGrad(j: number, input: number, scale: number, grads: LayerParams): void {
    grads.bias[j] += scale * this.spec.activation(input + this.bias[j]);
  }
  withParams(params: LayerParams): UnitLayer {
    return new CumulantLayer(this.spec, this.size, params);
  }
}

/**
 * A unit type from its cumulant function: `cumulantUnit(spec)(size, params?)` builds a layer.
 * Example (softplus^2 / 2, a smooth ReLU-like activation):
 *   const sq = cumulantUnit({ name: 'sqsoftplus', cumulant: x => softplus(x) ** 2 / 2,
 *                             activation: x => softplus(x) * sigmoid(x) });
 *   const rbm = new RBM(new BernoulliLayer(5), sq(3), weights);
 */
export function cumulantUnit(spec: CumulantUnitSpec): (size: number, params?: Partial<Record<string, ArrayLike<number>>>) => UnitLayer {
  return (size, params) => new CumulantLayer(spec, size, params);
}
