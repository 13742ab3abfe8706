/**
 * Units are the plug-in of rbmlab. A layer of units is defined by its cumulant function
 *
 *     Gamma_j(I) = log  integral (or sum) over h of  exp(-V_j(h) + I h)
 *
 * where I is the input to unit j from the other layer (I_mu = sum_i v_i W_{i mu} for a hidden
 * unit) and the unit's own parameters (bias, precision, ...) live inside V_j. Everything a
 * model needs follows from Gamma (../../../shared/science/MODELS.md §1):
 *
 *     free energy           F(v) = sum_i U_i(v_i) - sum_mu Gamma_mu(I_mu(v))
 *     activation            E[h_j | I] = Gamma_j'(I)
 *     conditional variance  Var[h_j | I] = Gamma_j''(I) >= 0
 *
 * The same abstraction serves both layers: a visible layer is a layer of units whose potential
 * U_i(v) = V_i(v) is used by the free energy, and whose cumulant is used when the hidden layer is
 * the one being enumerated. Model code never looks at `type`: it is for files and messages.
 *
 * Conventions: `input` never includes the bias; each unit adds its own parameters. A layer of
 * size n holds each parameter as a Float64Array(n), by name ("bias", "gamma", ...), and the
 * parameter names are those of the model file format (rbmlab.rbm/1).
 */
import type { Rng } from '../random/rng';

/**
 * How a unit's cumulant Gamma_j(x) grows as |x| -> infinity; it decides whether a model with
 * unbounded (gaussian) visible units is normalizable (models/checks.ts):
 * - 'linear': |Gamma_j(x)| <= alpha |x| + beta (bernoulli, spin, step);
 * - 'quadratic': Gamma_j(x) = plus_j x_+^2 / 2 + minus_j x_-^2 / 2 + O(|x|) from above and
 *   - O(log |x|) from below, with x_+ = max(x, 0), x_- = min(x, 0) (gaussian: plus = minus =
 *   1/gamma; relu: plus = 1/gamma, minus = 0; drelu: 1/gamma+, 1/gamma-);
 * - 'exponential': Gamma_j grows faster than any quadratic (poisson, e^x).
 * Arrays have one entry per unit and are read at the call (training moves the precisions).
 */
export type CumulantGrowth =
  | { readonly kind: 'linear' }
  | { readonly kind: 'quadratic'; readonly plus: Float64Array; readonly minus: Float64Array }
  | { readonly kind: 'exponential' };

/** Per-unit parameters of a layer, by name; each array has one entry per unit. */
export type LayerParams = Record<string, Float64Array>;

/**
 * A layer of `size` units of one type, defined by its cumulant Gamma_j(I) = log integral (or sum) of
 * exp(-V_j(h) + I h) over h: the free energy, activations, variances, samples and gradient statistics
 * of a model all come through this interface. `input` never includes the bias; unit j adds its own
 * parameters.
 */
export interface UnitLayer {
  /** Name of the unit type, as written in model files ("bernoulli", "relu", ...). */
  readonly type: string;
  /** Number of units. */
  readonly size: number;
  /** Trainable parameters, by name, each of length `size`. Mutating them changes the model. */
  readonly params: LayerParams;
  /**
   * The values one unit takes, when it takes finitely many (bernoulli [0, 1], spin [-1, 1]).
   * A layer with a finite support can be enumerated by the exact oracles.
   */
  readonly support: readonly number[] | undefined;
  /** True when h | I can be sampled (block Gibbs needs it). */
  readonly canSample: boolean;
  /** True when the potential V(h) is known (the joint energy E(v, h) needs it). */
  readonly hasPotential: boolean;

  /**
   * The growth class of Gamma at large |x| (see CumulantGrowth); absent where it is not known
   * (custom units), and then normalizability with gaussian visibles is not decided.
   */
  cumulantGrowth?(): CumulantGrowth;

  /** Gamma_j(input): log-partition function of unit j at the given input. */
  cumulant(j: number, input: number): number;
  /** Gamma_j'(input) = E[h_j | input], the activation. */
  mean(j: number, input: number): number;
  /** Gamma_j''(input) = Var[h_j | input]. */
  variance(j: number, input: number): number;
  /** One draw of h_j given its input. Throws if !canSample. */
  sample(j: number, input: number, rng: Rng): number;
  /** V_j(value), the potential (U_i for a visible unit). Throws if !hasPotential. */
  potential(j: number, value: number): number;
  /**
   * Adds scale * dGamma_j(input)/dp into grads[p][j] for every parameter p of this layer.
   * (For a bias, dGamma/dtheta = Gamma'.)
   */
  addCumulantGrad(j: number, input: number, scale: number, grads: LayerParams): void;
  /** Adds scale * dV_j(value)/dp into grads[p][j] for every parameter p. Throws if !hasPotential. */
  addPotentialGrad(j: number, value: number, scale: number, grads: LayerParams): void;
  /** A layer of the same type with the given parameters (copied). */
  withParams(params: LayerParams): UnitLayer;
  /**
   * The same units with a constant added to each input: the result's Gamma_j(I) is this layer's
   * Gamma_j(I + shift[j]). Every unit absorbs it into its field parameters (bias, or biasPlus
   * and biasMinus), which is what a change of the other layer's encoding needs.
   */
  withInputShift(shift: ArrayLike<number>): UnitLayer;
  /** Parameters as plain number arrays, for files; keys are the file format's field names. */
  paramsToJSON(): Record<string, number[]>;
}

/** Zero-filled arrays with the same names and sizes as a layer's parameters. */
export function zeroParams(layer: UnitLayer): LayerParams {
  const out: LayerParams = {};
  for (const name of Object.keys(layer.params)) out[name] = new Float64Array(layer.size);
  return out;
}

/** Deep copy of a parameter set. */
export function copyParams(params: LayerParams): LayerParams {
  const out: LayerParams = {};
  for (const [name, values] of Object.entries(params)) out[name] = Float64Array.from(values);
  return out;
}

/**
 * Builds a parameter set of `size` entries from partial values: each name in `defaults` is
 * taken from `given` when present (copied) and filled with its default otherwise.
 */
export function resolveParams(
  type: string,
  size: number,
  defaults: Record<string, number>,
  given: Partial<Record<string, ArrayLike<number>>> = {},
): LayerParams {
  if (!Number.isInteger(size) || size <= 0) {
    throw new RangeError(`${type} layer: size must be a positive integer, got ${size}`);
  }
  for (const name of Object.keys(given)) {
    if (!(name in defaults)) {
      throw new RangeError(
        `${type} layer: unknown parameter "${name}" (expected ${Object.keys(defaults).join(', ')})`,
      );
    }
  }
  const out: LayerParams = {};
  for (const [name, fallback] of Object.entries(defaults)) {
    const values = given[name];
    if (values === undefined) {
      out[name] = new Float64Array(size).fill(fallback);
    } else {
      if (values.length !== size) {
        throw new RangeError(`${type} layer: "${name}" has ${values.length} entries, expected ${size}`);
      }
      out[name] = Float64Array.from(values);
    }
  }
  return out;
}

/**
 * Shared plumbing of a layer: parameter bookkeeping, and the errors for what a unit type
 * cannot do. Concrete units implement the scalar math.
 */
export abstract class BaseLayer implements UnitLayer {
  abstract readonly type: string;
  readonly support: readonly number[] | undefined = undefined;
  abstract readonly canSample: boolean;
  abstract readonly hasPotential: boolean;

  constructor(readonly size: number, readonly params: LayerParams) {}

  abstract cumulant(j: number, input: number): number;
  abstract mean(j: number, input: number): number;
  abstract variance(j: number, input: number): number;
  abstract addCumulantGrad(j: number, input: number, scale: number, grads: LayerParams): void;
  abstract withParams(params: LayerParams): UnitLayer;

  sample(_j: number, _input: number, _rng: Rng): number {
    throw new Error(`${this.type} units have no conditional sampler; sample on the visible marginal (heat bath)`);
  }

  potential(_j: number, _value: number): number {
    throw new Error(`${this.type} units have no potential V(h); only their cumulant function is defined`);
  }

  addPotentialGrad(_j: number, _value: number, _scale: number, _grads: LayerParams): void {
    throw new Error(`${this.type} units have no potential V(h); only their cumulant function is defined`);
  }

  /** Parameters that add to the input (x = input + field); shifted by withInputShift. */
  protected readonly fieldParams: readonly string[] = ['bias'];

  withInputShift(shift: ArrayLike<number>): UnitLayer {
    if (shift.length !== this.size) {
      throw new RangeError(`${this.type} layer: input shift has ${shift.length} entries, expected ${this.size}`);
    }
    const params = copyParams(this.params);
    for (const name of this.fieldParams) {
      const field = params[name];
      for (let j = 0; j < this.size; j++) field[j] += shift[j];
    }
    return this.withParams(params);
  }

  paramsToJSON(): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    for (const [name, values] of Object.entries(this.params)) out[name] = Array.from(values);
    return out;
  }
}
