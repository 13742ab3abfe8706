/**
 * The built-in unit types of MODELS.md §1. Throughout, x = input + bias (the unit's own field),
 * and every Gamma stays finite for |x| up to 1e4 (except poisson, whose Gamma = e^x exceeds the
 * float64 range for x > 709.78 and is then +Infinity, never NaN).
 */
import type { Rng } from '../random/rng';
import { ModelError } from '../models/checks';
import { normal, poisson as samplePoisson, truncatedNormal } from '../random/distributions';
import {
  lgamma,
  logAddExp,
  logCosh2,
  logErfcx,
  sigmoid,
  softplus,
  truncatedNormalLowerMinusA,
  truncatedNormalVarianceStd,
} from '../math/special';
import { BaseLayer, type CumulantGrowth, type LayerParams, resolveParams, type UnitLayer } from './unit';

const LOG_2PI = Math.log(2 * Math.PI);
/** log 2^52: the largest log mean the Poisson sampler draws exactly (random/distributions.ts). */
const POISSON_MAX_LOG_MEAN = 52 * Math.LN2;

/** |Gamma(x)| <= |x| + log 2: softplus, log(2 cosh x), max(0, x). */
const LINEAR_GROWTH: CumulantGrowth = { kind: 'linear' };

/** 1 / gamma_j for each unit: the curvature of x^2 / (2 gamma). */
function reciprocals(gamma: Float64Array): Float64Array {
  return Float64Array.from(gamma, (g) => 1 / g);
}

/** Bernoulli units, h in {0, 1}, V(h) = -theta h: Gamma = softplus(x), activation sigmoid(x). */
export class BernoulliLayer extends BaseLayer {
  readonly type = 'bernoulli';
  override readonly support = [0, 1] as const;
  readonly canSample = true;
  readonly hasPotential = true;
  private readonly bias: Float64Array;

  constructor(size: number, params: Partial<Record<string, ArrayLike<number>>> = {}) {
    super(size, resolveParams('bernoulli', size, { bias: 0 }, params));
    this.bias = this.params.bias;
  }
  /** Gamma grows at most linearly in |x| (a bounded or piecewise-linear activation): normalizable with any visibles. */
  cumulantGrowth(): CumulantGrowth {
    return LINEAR_GROWTH;
  }
  cumulant(j: number, input: number): number {
    return softplus(input + this.bias[j]);
  }
  mean(j: number, input: number): number {
    return sigmoid(input + this.bias[j]);
  }
  variance(j: number, input: number): number {
    const x = input + this.bias[j];
    return sigmoid(x) * sigmoid(-x); // p (1 - p) without cancellation for large |x|
  }
  override sample(j: number, input: number, rng: Rng): number {
    return rng.uniform() < sigmoid(input + this.bias[j]) ? 1 : 0;
  }
  override potential(j: number, value: number): number {
    return -this.bias[j] * value;
  }
  addCumulantGrad(j: number, input: number, scale: number, grads: LayerParams): void {
    grads.bias[j] += scale * sigmoid(input + this.bias[j]);
  }
  override addPotentialGrad(j: number, value: number, scale: number, grads: LayerParams): void {
    grads.bias[j] -= scale * value;
  }
  withParams(params: LayerParams): UnitLayer {
    return new BernoulliLayer(this.size, params);
  }
}

/** Spin units, h in {-1, +1}, V(h) = -theta h: Gamma = log(2 cosh x), activation tanh(x). */
export class SpinLayer extends BaseLayer {
  readonly type = 'spin';
  override readonly support = [-1, 1] as const;
  readonly canSample = true;
  readonly hasPotential = true;
  private readonly bias: Float64Array;

  constructor(size: number, params: Partial<Record<string, ArrayLike<number>>> = {}) {
    super(size, resolveParams('spin', size, { bias: 0 }, params));
    this.bias = this.params.bias;
  }
  /** Gamma grows at most linearly in |x| (a bounded or piecewise-linear activation): normalizable with any visibles. */
  cumulantGrowth(): CumulantGrowth {
    return LINEAR_GROWTH;
  }
  cumulant(j: number, input: number): number {
    return logCosh2(input + this.bias[j]);
  }
  mean(j: number, input: number): number {
    return Math.tanh(input + this.bias[j]);
  }
  variance(j: number, input: number): number {
    // 1 - tanh^2 = sech^2 x = 4 e^{-2|x|} / (1 + e^{-2|x|})^2, exact in the tails
    const e = Math.exp(-2 * Math.abs(input + this.bias[j]));
    return (4 * e) / ((1 + e) * (1 + e));
  }
  override sample(j: number, input: number, rng: Rng): number {
    return rng.uniform() < sigmoid(2 * (input + this.bias[j])) ? 1 : -1;
  }
  override potential(j: number, value: number): number {
    return -this.bias[j] * value;
  }
  addCumulantGrad(j: number, input: number, scale: number, grads: LayerParams): void {
    grads.bias[j] += scale * Math.tanh(input + this.bias[j]);
  }
  override addPotentialGrad(j: number, value: number, scale: number, grads: LayerParams): void {
    grads.bias[j] -= scale * value;
  }
  withParams(params: LayerParams): UnitLayer {
    return new SpinLayer(this.size, params);
  }
}

/**
 * Gaussian ("linear") units, h in R, V(h) = gamma h^2 / 2 - theta h (gamma > 0):
 * h | x ~ Normal(x / gamma, 1 / gamma), Gamma = x^2 / (2 gamma) + log(2 pi / gamma) / 2.
 */
export class GaussianLayer extends BaseLayer {
  readonly type = 'gaussian';
  readonly canSample = true;
  readonly hasPotential = true;
  private readonly bias: Float64Array;
  private readonly gamma: Float64Array;

  constructor(size: number, params: Partial<Record<string, ArrayLike<number>>> = {}) {
    super(size, resolveParams('gaussian', size, { bias: 0, gamma: 1 }, params));
    this.bias = this.params.bias;
    this.gamma = this.params.gamma;
    requirePositive('gaussian', 'gamma', this.gamma);
  }
  /** Gamma = x^2 / (2 gamma) + const on both sides: quadratic growth, curvature 1/gamma. */
  cumulantGrowth(): CumulantGrowth {
    const c = reciprocals(this.gamma); // Gamma = x^2 / (2 gamma) + const on both sides
    return { kind: 'quadratic', plus: c, minus: c };
  }
  cumulant(j: number, input: number): number {
    const x = input + this.bias[j];
    const g = this.gamma[j];
    return (x * x) / (2 * g) + 0.5 * (LOG_2PI - Math.log(g));
  }
  mean(j: number, input: number): number {
    return (input + this.bias[j]) / this.gamma[j];
  }
  variance(j: number): number {
    return 1 / this.gamma[j];
  }
  override sample(j: number, input: number, rng: Rng): number {
    const g = this.gamma[j];
    return (input + this.bias[j]) / g + normal(rng) / Math.sqrt(g);
  }
  override potential(j: number, value: number): number {
    return 0.5 * this.gamma[j] * value * value - this.bias[j] * value;
  }
  addCumulantGrad(j: number, input: number, scale: number, grads: LayerParams): void {
    const g = this.gamma[j];
    const m = (input + this.bias[j]) / g;
    grads.bias[j] += scale * m;
    grads.gamma[j] -= scale * 0.5 * (m * m + 1 / g); // dGamma/dgamma = -E[h^2] / 2
  }
  override addPotentialGrad(j: number, value: number, scale: number, grads: LayerParams): void {
    grads.bias[j] -= scale * value;
    grads.gamma[j] += scale * 0.5 * value * value;
  }
  withParams(params: LayerParams): UnitLayer {
    return new GaussianLayer(this.size, params);
  }
}

/**
 * Moments of the half-line Gaussian exp(-gamma h^2 / 2 + x h) on h >= 0, shared by relu and drelu.
 * With sigma = 1/sqrt(gamma) and standardized lower bound a = -x sigma (the normal has mean
 * x / gamma = -a sigma), the mean is sigma (lambda(a) - a) and the variance sigma^2 Var_a,
 * both taken from cancellation-free forms; log Z = log erfcx(-x / sqrt(2 gamma)) + log(pi / (2 gamma)) / 2.
 */
function halfGaussianLogZ(x: number, gamma: number): number {
  return logErfcx(-x / Math.sqrt(2 * gamma)) + 0.5 * Math.log(Math.PI / (2 * gamma));
}
function halfGaussianMean(x: number, gamma: number): number {
  const sigma = 1 / Math.sqrt(gamma);
  return sigma * truncatedNormalLowerMinusA(-x * sigma);
}
function halfGaussianVariance(x: number, gamma: number): number {
  const sigma = 1 / Math.sqrt(gamma);
  return truncatedNormalVarianceStd(-x * sigma) / gamma;
}
function halfGaussianSample(x: number, gamma: number, rng: Rng): number {
  const sigma = 1 / Math.sqrt(gamma);
  return truncatedNormal(rng, x / gamma, sigma, 0);
}

/**
 * ReLU (rectified Gaussian) units, h >= 0, V(h) = gamma h^2 / 2 - theta h:
 * h | x is Normal(x / gamma, 1 / gamma) truncated to h >= 0, and
 * Gamma(x) = log erfcx(-x / sqrt(2 gamma)) + log(pi / (2 gamma)) / 2.
 */
export class ReluLayer extends BaseLayer {
  readonly type = 'relu';
  readonly canSample = true;
  readonly hasPotential = true;
  private readonly bias: Float64Array;
  private readonly gamma: Float64Array;

  constructor(size: number, params: Partial<Record<string, ArrayLike<number>>> = {}) {
    super(size, resolveParams('relu', size, { bias: 0, gamma: 1 }, params));
    this.bias = this.params.bias;
    this.gamma = this.params.gamma;
    requirePositive('relu', 'gamma', this.gamma);
  }
  /** Gamma ~ x^2 / (2 gamma) as x -> +inf and grows only logarithmically as x -> -inf. */
  cumulantGrowth(): CumulantGrowth {
    // x -> +inf: erfcx(-z) ~ 2 e^{z^2}, Gamma = x^2 / (2 gamma) + O(1); x -> -inf: Gamma ~ -log|x|
    return { kind: 'quadratic', plus: reciprocals(this.gamma), minus: new Float64Array(this.size) };
  }
  cumulant(j: number, input: number): number {
    return halfGaussianLogZ(input + this.bias[j], this.gamma[j]);
  }
  mean(j: number, input: number): number {
    return halfGaussianMean(input + this.bias[j], this.gamma[j]);
  }
  variance(j: number, input: number): number {
    return halfGaussianVariance(input + this.bias[j], this.gamma[j]);
  }
  override sample(j: number, input: number, rng: Rng): number {
    return halfGaussianSample(input + this.bias[j], this.gamma[j], rng);
  }
  override potential(j: number, value: number): number {
    if (value < 0) return Infinity;
    return 0.5 * this.gamma[j] * value * value - this.bias[j] * value;
  }
  addCumulantGrad(j: number, input: number, scale: number, grads: LayerParams): void {
    const x = input + this.bias[j];
    const g = this.gamma[j];
    const m = halfGaussianMean(x, g);
    grads.bias[j] += scale * m;
    grads.gamma[j] -= scale * 0.5 * (halfGaussianVariance(x, g) + m * m);
  }
  override addPotentialGrad(j: number, value: number, scale: number, grads: LayerParams): void {
    grads.bias[j] -= scale * value;
    grads.gamma[j] += scale * 0.5 * value * value;
  }
  withParams(params: LayerParams): UnitLayer {
    return new ReluLayer(this.size, params);
  }
}

/**
 * Double ReLU units, h in R, V(h) = gamma+ h+^2/2 + gamma- h-^2/2 - theta+ h+ - theta- h-
 * with h+ = max(h, 0), h- = min(h, 0). The conditional is a mixture of two half-Gaussians:
 *   Z+ = int_0^inf exp(-gamma+ h^2/2 + (I + theta+) h) dh = halfGaussian(I + theta+, gamma+)
 *   Z- = int_-inf^0 exp(-gamma- h^2/2 + (I + theta-) h) dh = halfGaussian(-(I + theta-), gamma-)
 * Gamma = log(Z+ + Z-); p+ = Z+ / (Z+ + Z-). With m+- the means of |h| on each side,
 *   mean = p+ m+ - p- m-,  variance = p+ v+ + p- v- + p+ p- (m+ + m-)^2.
 */
export class DreluLayer extends BaseLayer {
  readonly type = 'drelu';
  protected override readonly fieldParams = ['biasPlus', 'biasMinus'];
  readonly canSample = true;
  readonly hasPotential = true;
  private readonly gammaPlus: Float64Array;
  private readonly gammaMinus: Float64Array;
  private readonly biasPlus: Float64Array;
  private readonly biasMinus: Float64Array;

  constructor(size: number, params: Partial<Record<string, ArrayLike<number>>> = {}) {
    super(
      size,
      resolveParams('drelu', size, { gammaPlus: 1, gammaMinus: 1, biasPlus: 0, biasMinus: 0 }, params),
    );
    this.gammaPlus = this.params.gammaPlus;
    this.gammaMinus = this.params.gammaMinus;
    this.biasPlus = this.params.biasPlus;
    this.biasMinus = this.params.biasMinus;
    requirePositive('drelu', 'gammaPlus', this.gammaPlus);
    requirePositive('drelu', 'gammaMinus', this.gammaMinus);
  }

  /** Fields of the positive half (xp) and of the mirrored negative half (xm). */
  private halves(j: number, input: number): { xp: number; xm: number; logZp: number; logZm: number } {
    const xp = input + this.biasPlus[j];
    const xm = -(input + this.biasMinus[j]);
    return {
      xp,
      xm,
      logZp: halfGaussianLogZ(xp, this.gammaPlus[j]),
      logZm: halfGaussianLogZ(xm, this.gammaMinus[j]),
    };
  }
  /** Gamma ~ x^2 / (2 gamma+) as x -> +inf and x^2 / (2 gamma-) as x -> -inf. */
  cumulantGrowth(): CumulantGrowth {
    // Z+ dominates as x -> +inf (x^2 / (2 gamma+)), Z- as x -> -inf (x^2 / (2 gamma-))
    return { kind: 'quadratic', plus: reciprocals(this.gammaPlus), minus: reciprocals(this.gammaMinus) };
  }
  cumulant(j: number, input: number): number {
    const { logZp, logZm } = this.halves(j, input);
    return logAddExp(logZp, logZm);
  }
  mean(j: number, input: number): number {
    const { xp, xm, logZp, logZm } = this.halves(j, input);
    const pPlus = sigmoid(logZp - logZm);
    const pMinus = sigmoid(logZm - logZp);
    return pPlus * halfGaussianMean(xp, this.gammaPlus[j]) - pMinus * halfGaussianMean(xm, this.gammaMinus[j]);
  }
  variance(j: number, input: number): number {
    const { xp, xm, logZp, logZm } = this.halves(j, input);
    const pPlus = sigmoid(logZp - logZm);
    const pMinus = sigmoid(logZm - logZp);
    const mp = halfGaussianMean(xp, this.gammaPlus[j]);
    const mm = halfGaussianMean(xm, this.gammaMinus[j]);
    const vp = halfGaussianVariance(xp, this.gammaPlus[j]);
    const vm = halfGaussianVariance(xm, this.gammaMinus[j]);
    return pPlus * vp + pMinus * vm + pPlus * pMinus * (mp + mm) * (mp + mm);
  }
  override sample(j: number, input: number, rng: Rng): number {
    const { xp, xm, logZp, logZm } = this.halves(j, input);
    if (rng.uniform() < sigmoid(logZp - logZm)) return halfGaussianSample(xp, this.gammaPlus[j], rng);
    return -halfGaussianSample(xm, this.gammaMinus[j], rng);
  }
  override potential(j: number, value: number): number {
    if (value >= 0) return 0.5 * this.gammaPlus[j] * value * value - this.biasPlus[j] * value;
    return 0.5 * this.gammaMinus[j] * value * value - this.biasMinus[j] * value;
  }
  addCumulantGrad(j: number, input: number, scale: number, grads: LayerParams): void {
    const { xp, xm, logZp, logZm } = this.halves(j, input);
    const pPlus = sigmoid(logZp - logZm);
    const pMinus = sigmoid(logZm - logZp);
    const gp = this.gammaPlus[j];
    const gm = this.gammaMinus[j];
    const mp = halfGaussianMean(xp, gp);
    const mm = halfGaussianMean(xm, gm);
    // dGamma/dp = p_side * d log Z_side / dp; on the negative side E[h] = -mm, E[h^2] = vm + mm^2
    grads.biasPlus[j] += scale * pPlus * mp;
    grads.biasMinus[j] -= scale * pMinus * mm;
    grads.gammaPlus[j] -= scale * pPlus * 0.5 * (halfGaussianVariance(xp, gp) + mp * mp);
    grads.gammaMinus[j] -= scale * pMinus * 0.5 * (halfGaussianVariance(xm, gm) + mm * mm);
  }
  override addPotentialGrad(j: number, value: number, scale: number, grads: LayerParams): void {
    if (value >= 0) {
      grads.biasPlus[j] -= scale * value;
      grads.gammaPlus[j] += scale * 0.5 * value * value;
    } else {
      grads.biasMinus[j] -= scale * value;
      grads.gammaMinus[j] += scale * 0.5 * value * value;
    }
  }
  withParams(params: LayerParams): UnitLayer {
    return new DreluLayer(this.size, params);
  }
}

/**
 * Poisson ("exponential") units, h in {0, 1, 2, ...}, V(h) = log h! - theta h:
 * h | x ~ Poisson(e^x), Gamma = e^x = activation = variance.
 */
export class PoissonLayer extends BaseLayer {
  readonly type = 'poisson';
  readonly canSample = true;
  readonly hasPotential = true;
  private readonly bias: Float64Array;

  constructor(size: number, params: Partial<Record<string, ArrayLike<number>>> = {}) {
    super(size, resolveParams('poisson', size, { bias: 0 }, params));
    this.bias = this.params.bias;
  }
  /** Gamma = e^x: exponential growth, which no gaussian visible layer can hold. */
  cumulantGrowth(): CumulantGrowth {
    return { kind: 'exponential' };
  }
  cumulant(j: number, input: number): number {
    return Math.exp(input + this.bias[j]);
  }
  mean(j: number, input: number): number {
    return Math.exp(input + this.bias[j]);
  }
  variance(j: number, input: number): number {
    return Math.exp(input + this.bias[j]);
  }
  override sample(j: number, input: number, rng: Rng): number {
    const x = input + this.bias[j];
    if (x > POISSON_MAX_LOG_MEAN) {
      // a draw of Poisson(e^x) past 2^52 is not an exact integer in float64 (and e^x itself
      // overflows for x > 709.78): refuse, naming the unit, rather than draw a wrong number
      throw new ModelError(
        `poisson hidden unit ${j}: input plus bias x = ${x} gives the mean e^x = ${Math.exp(x)}, past 2^52 = e^${POISSON_MAX_LOG_MEAN.toFixed(2)}, ` +
          `beyond which Poisson draws are not exact integers in float64 (e^x overflows float64 for x > 709.78); the weights or biases are too large to sample h | v`,
      );
    }
    return samplePoisson(rng, Math.exp(x));
  }
  override potential(j: number, value: number): number {
    if (value < 0 || !Number.isInteger(value)) return Infinity;
    return lgamma(value + 1) - this.bias[j] * value;
  }
  addCumulantGrad(j: number, input: number, scale: number, grads: LayerParams): void {
    grads.bias[j] += scale * Math.exp(input + this.bias[j]);
  }
  override addPotentialGrad(j: number, value: number, scale: number, grads: LayerParams): void {
    grads.bias[j] -= scale * value;
  }
  withParams(params: LayerParams): UnitLayer {
    return new PoissonLayer(this.size, params);
  }
}

/**
 * Step units: the zero-temperature limit of bernoulli, Gamma(x) = max(0, x) = lim b->inf
 * softplus(b x) / b, activation Heaviside(x) (1/2 at 0). There is no hidden variable to sample
 * and no potential: models with step units are sampled on the visible marginal.
 */
export class StepLayer extends BaseLayer {
  readonly type = 'step';
  readonly canSample = false;
  readonly hasPotential = false;
  private readonly bias: Float64Array;

  constructor(size: number, params: Partial<Record<string, ArrayLike<number>>> = {}) {
    super(size, resolveParams('step', size, { bias: 0 }, params));
    this.bias = this.params.bias;
  }
  /** Gamma grows at most linearly in |x| (a bounded or piecewise-linear activation): normalizable with any visibles. */
  cumulantGrowth(): CumulantGrowth {
    return LINEAR_GROWTH;
  }
  cumulant(j: number, input: number): number {
    return Math.max(0, input + this.bias[j]);
  }
  mean(j: number, input: number): number {
    const x = input + this.bias[j];
    return x > 0 ? 1 : x < 0 ? 0 : 0.5;
  }
  variance(): number {
    return 0; // a point mass except exactly at x = 0, where Gamma is not differentiable
  }
  addCumulantGrad(j: number, input: number, scale: number, grads: LayerParams): void {
    grads.bias[j] += scale * this.mean(j, input);
  }
  withParams(params: LayerParams): UnitLayer {
    return new StepLayer(this.size, params);
  }
}

function requirePositive(type: string, name: string, values: Float64Array): void {
  for (let j = 0; j < values.length; j++) {
    if (!(values[j] > 0) || !Number.isFinite(values[j])) {
      throw new RangeError(`${type} layer: ${name}[${j}] must be a finite positive number, got ${values[j]}`);
    }
  }
}
