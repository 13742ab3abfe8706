/**
 * The built-in unit types as gpu.js kernel code: for each layer class, the statements that turn
 * an input into a draw of the unit (h | x, MODELS.md §1) and into its activation E[h | x], written
 * in the JavaScript subset gpu.js translates to GLSL, WebAssembly and plain JS alike.
 *
 * A unit is a plug-in here as in core: a table from the layer's class to its kernel code, no
 * switch on a type name (`registerGpuUnit` adds one). The code is spliced into a kernel whose
 * thread computes one unit j of one chain b, and sees
 *     x        the unit's input (sum over the other layer, without the unit's own parameters)
 *     j        the unit index;  p0, p1, ... its parameter arrays (the layer's params, in `params` order)
 *     u, base  the uniforms: u[base], ..., u[base + uniforms - 1] belong to this draw alone
 * and ends in `return`.
 *
 * Uniforms are made on the host (see gibbs.ts): each lies in (0, 1] (a 53-bit double of core's
 * stream rounded to float32; 1 has probability 2^-25), so log(u) is finite and a comparison
 * u < p is Bernoulli(p) up to 2^-25.
 *
 * Exactness. bernoulli, spin, gaussian (Box-Muller) and drelu's choice of side are exact given
 * exact uniforms, up to float32 arithmetic. The truncated normals of relu and drelu are drawn by
 * rejection with a fixed budget of RELU_UNIFORMS uniforms, because a kernel takes a fixed number:
 *   a < 0:  N(0,1) proposals from Box-Muller pairs (both normals of a pair), accepted when z >= a;
 *           each is accepted with probability Q(a) >= 1/2, one proposal per uniform;
 *   a >= 0: Robert's (1995) exponential proposals, two uniforms each, accepted with probability
 *           >= 0.76 (at a = 0; rising to 1), i.e. failure <= 0.24 per pair of uniforms.
 * (a is the standardized lower bound, the same methods as core's truncatedNormal, with the switch
 * moved from -0.5 to 0 where the per-uniform failure rates of the two methods cross.) All
 * proposals fail with probability <= 2^-RELU_UNIFORMS = 9.1e-13; the draw is then the last
 * proposal (clamped to the support): a total-variation error below 1e-12 per draw.
 * poisson: inverse CDF by sequential search from k = 0 in float32, exact up to the float32
 * rounding of the partial sums (relative ~ k 2^-24). Inputs x (with the bias) above
 * log(POISSON_MAX_MEAN), where e^-mean leaves float32's normal range, and inputs that are NaN are
 * not sampled (x is compared before e^x is formed, so e^x never overflows): the draw is -1, which
 * no Poisson variable takes; so is a search that has not ended after its fixed number of steps.
 * The samplers mark a chain with such a draw in a sticky per-chain flag (`failure`, gibbs.ts),
 * and their read-backs throw GpuLimitError naming it.
 * Activations are float32 evaluations of the closed forms; relu and drelu use log erfcx from the
 * Numerical Recipes erfc approximation (relative error < 1.2e-7 for every argument >= 0), and for
 * standardized bounds a >= MILLS_CF_FROM the cancellation-free continued fraction of
 * lambda(a) - a (halfGaussianMeanCode).
 */
import { BernoulliLayer, DreluLayer, GaussianLayer, PoissonLayer, ReluLayer, SpinLayer, type UnitLayer } from '@rbmlab/core';

/** Uniforms per relu draw (and per half-Gaussian of drelu): failure of all proposals <= 2^-40. */
export const RELU_UNIFORMS = 40;
/** Largest Poisson mean the kernel samples (e^-80 = 1.8e-35 is still a normal float32). */
export const POISSON_MAX_MEAN = 80;
/** log(POISSON_MAX_MEAN): the kernel compares the input with it before forming e^x. */
const POISSON_MAX_LOG_MEAN = Math.log(POISSON_MAX_MEAN);
/**
 * The relu mean switches from sd (lambda(a) - a) to the continued fraction of lambda(a) - a at
 * this standardized bound, with MILLS_CF_TERMS terms (float32 relative error < 1e-7 over
 * [2, 1e6], checked against core's float64 value; the closed form loses about a^2 6e-8 to
 * cancellation, 2.4e-7 at a = 2).
 */
export const MILLS_CF_FROM = 2;
export const MILLS_CF_TERMS = 40;
/** Sequential-search steps of the Poisson kernel: P(k >= 256 | mean <= 80) < 1e-60. */
const POISSON_STEPS = 256;

export interface GpuUnitKernel {
  /** Names of the layer's parameter arrays passed to the kernel as p0, p1, ... */
  readonly params: readonly string[];
  /** Uniforms per draw. */
  readonly uniforms: number;
  /** Statements ending in `return <draw of h given input x>`. */
  sample(): string;
  /** Statements ending in `return <E[h | x]>`. */
  mean(): string;
  /**
   * Parameters that the PCD kernels train on the device besides the weights: the unit's field
   * (bias), whose gradient is the activation (hidden) or the state (visible). Empty if none.
   */
  readonly fieldParam: string | null;
  /**
   * For units whose kernel can refuse a draw (poisson): `bad(v)` is a kernel expression, true
   * where a state v is such a refusal (or not finite), and `reason` says why, for the error the
   * read-backs throw. The samplers keep a sticky per-chain flag of it (gibbs.ts).
   */
  readonly failure?: { readonly bad: (v: string) => string; readonly reason: string };
}

const TWO_PI = '6.283185307179586';

/** Statements setting `out` = log erfcx(t) (t any float), from the Numerical Recipes erfc. */
function logErfcxCode(t: string, out: string): string {
  const poly = (s: string) =>
    `(-1.26551223 + ${s} * (1.00002368 + ${s} * (0.37409196 + ${s} * (0.09678418 + ${s} * (-0.18628806 + ${s} * (0.27886807 + ${s} * (-1.13520398 + ${s} * (1.48851587 + ${s} * (-0.82215223 + ${s} * 0.17087277)))))))))`;
  // erfcx(z) = s exp(poly(s)), s = 1 / (1 + z/2), for z >= 0; erfcx(t) = 2 e^(t^2) - erfcx(-t) for t < 0
  return `
    const ${out}_z = Math.abs(${t});
    const ${out}_s = 1 / (1 + 0.5 * ${out}_z);
    let ${out} = Math.log(${out}_s) + ${poly(`${out}_s`)};
    if (${t} < 0) {
      ${out} = ${t} * ${t} + Math.log(2 - Math.exp(${out} - ${t} * ${t}));
    }`;
}

/**
 * Statements setting `out` to a draw of N(0, 1) conditioned on >= a, minus a (the excess,
 * >= 0), from uniforms u[base + first ...], RELU_UNIFORMS of them (see the file comment).
 */
function truncatedExcessCode(a: string, first: string, out: string): string {
  const pairs = RELU_UNIFORMS / 2;
  return `
    let ${out} = 0;
    if (${a} < 0) {
      for (let k = 0; k < ${pairs}; k++) {
        const r = Math.sqrt(-2 * Math.log(u[base + ${first} + 2 * k]));
        const t = ${TWO_PI} * u[base + ${first} + 2 * k + 1];
        const z1 = r * Math.cos(t);
        const z2 = r * Math.sin(t);
        ${out} = Math.max(z2 - ${a}, 0);
        if (z1 >= ${a}) {
          ${out} = z1 - ${a};
          break;
        }
        if (z2 >= ${a}) {
          break;
        }
      }
    } else {
      const delta = 2 / (${a} + Math.sqrt(${a} * ${a} + 4));
      const alpha = ${a} + delta;
      for (let k = 0; k < ${pairs}; k++) {
        const e = -Math.log(u[base + ${first} + 2 * k]) / alpha;
        const d = e - delta;
        ${out} = e;
        if (u[base + ${first} + 2 * k + 1] <= Math.exp(-0.5 * d * d)) {
          break;
        }
      }
    }`;
}

/** Statements setting `logz` = log Z of the half-Gaussian exp(-g h^2/2 + x h) on h >= 0. */
function halfGaussianLogZCode(x: string, g: string, logz: string): string {
  // a = -x / sqrt(g); log Z = log erfcx(-x / sqrt(2 g)) + log(pi / (2 g)) / 2 = log erfcx(a / sqrt 2) + ...
  return `
    const ${logz}_t = -${x} * (1 / Math.sqrt(${g})) * 0.7071067811865476;
    ${logErfcxCode(`${logz}_t`, `${logz}_le`)}
    const ${logz} = ${logz}_le + 0.5 * Math.log(1.5707963267948966 / ${g});`;
}

/**
 * Statements setting `out` = E[h] of the half-Gaussian exp(-g h^2/2 + x h) on h >= 0:
 * sd (lambda(a) - a) with a = -x / sqrt(g), sd = 1 / sqrt(g), lambda(a) = sqrt(2/pi) / erfcx(a / sqrt 2)
 * the inverse Mills ratio. For a >= MILLS_CF_FROM the difference lambda(a) - a cancels in float32
 * (to 6.7e-4 instead of 1e-3 at x = -1000, and negative from x = -3000 on), so there it is the
 * continued fraction from Laplace's 1/lambda(a) = 1/(a + 1/(a + 2/(a + 3/(a + ...)))):
 *     lambda(a) - a = 1/(a + 2/(a + 3/(a + 4/(a + ...)))),
 * MILLS_CF_TERMS terms evaluated bottom-up, every term positive (no cancellation).
 */
function halfGaussianMeanCode(x: string, g: string, out: string): string {
  return `
    const ${out}_sd = 1 / Math.sqrt(${g});
    const ${out}_a = -${x} * ${out}_sd;
    let ${out}_d = 0;
    if (${out}_a >= ${MILLS_CF_FROM.toFixed(1)}) {
      let ${out}_t = ${out}_a;
      for (let k = 0; k < ${MILLS_CF_TERMS - 1}; k++) {
        ${out}_t = ${out}_a + (${MILLS_CF_TERMS.toFixed(1)} - k) / ${out}_t;
      }
      ${out}_d = 1 / ${out}_t;
    } else {
      ${logErfcxCode(`${out}_a * 0.7071067811865476`, `${out}_le`)}
      ${out}_d = 0.7978845608028654 * Math.exp(-${out}_le) - ${out}_a;
    }
    const ${out} = ${out}_sd * ${out}_d;`;
}

const bernoulli: GpuUnitKernel = {
  params: ['bias'],
  uniforms: 1,
  fieldParam: 'bias',
  sample: () => `
    const z = x + p0[j];
    if (u[base] < 1 / (1 + Math.exp(-z))) {
      return 1;
    }
    return 0;`,
  mean: () => `
    return 1 / (1 + Math.exp(-(x + p0[j])));`,
};

const spin: GpuUnitKernel = {
  params: ['bias'],
  uniforms: 1,
  fieldParam: 'bias',
  sample: () => `
    const z = x + p0[j];
    if (u[base] < 1 / (1 + Math.exp(-2 * z))) {
      return 1;
    }
    return -1;`,
  // tanh z = sign(z) (1 - e^-2|z|) / (1 + e^-2|z|), exact in the tails
  mean: () => `
    const z = x + p0[j];
    const e = Math.exp(-2 * Math.abs(z));
    const t = (1 - e) / (1 + e);
    if (z < 0) {
      return -t;
    }
    return t;`,
};

const gaussian: GpuUnitKernel = {
  params: ['bias', 'gamma'],
  uniforms: 2,
  fieldParam: 'bias',
  sample: () => `
    const g = p1[j];
    const r = Math.sqrt(-2 * Math.log(u[base])) * Math.cos(${TWO_PI} * u[base + 1]);
    return (x + p0[j]) / g + r / Math.sqrt(g);`,
  mean: () => `
    return (x + p0[j]) / p1[j];`,
};

const relu: GpuUnitKernel = {
  params: ['bias', 'gamma'],
  uniforms: RELU_UNIFORMS,
  fieldParam: 'bias',
  // Normal(x/g, 1/g) on h >= 0: standardized bound a = -x/sqrt(g), h = sd * excess
  sample: () => `
    const sd = 1 / Math.sqrt(p1[j]);
    const a = -(x + p0[j]) * sd;
    ${truncatedExcessCode('a', '0', 'exc')}
    return sd * exc;`,
  mean: () => `
    const xx = x + p0[j];
    ${halfGaussianMeanCode('xx', 'p1[j]', 'm')}
    return m;`,
};

const drelu: GpuUnitKernel = {
  params: ['biasPlus', 'biasMinus', 'gammaPlus', 'gammaMinus'],
  uniforms: 1 + RELU_UNIFORMS,
  fieldParam: null,
  // side + with probability Z+ / (Z+ + Z-), then the half-Gaussian of that side (mirrored for -)
  sample: () => `
    const xp = x + p0[j];
    const xm = -(x + p1[j]);
    ${halfGaussianLogZCode('xp', 'p2[j]', 'lzp')}
    ${halfGaussianLogZCode('xm', 'p3[j]', 'lzm')}
    let xs = xm;
    let gs = p3[j];
    let sign = -1;
    if (u[base] < 1 / (1 + Math.exp(lzm - lzp))) {
      xs = xp;
      gs = p2[j];
      sign = 1;
    }
    const sd = 1 / Math.sqrt(gs);
    const a = -xs * sd;
    ${truncatedExcessCode('a', '1', 'exc')}
    return sign * sd * exc;`,
  mean: () => `
    const xp = x + p0[j];
    const xm = -(x + p1[j]);
    ${halfGaussianLogZCode('xp', 'p2[j]', 'lzp')}
    ${halfGaussianLogZCode('xm', 'p3[j]', 'lzm')}
    ${halfGaussianMeanCode('xp', 'p2[j]', 'mp')}
    ${halfGaussianMeanCode('xm', 'p3[j]', 'mm')}
    const pp = 1 / (1 + Math.exp(lzm - lzp));
    return pp * mp - (1 - pp) * mm;`,
};

const poisson: GpuUnitKernel = {
  params: ['bias'],
  uniforms: 1,
  fieldParam: 'bias',
  // smallest k with u <= F(k); stops where the remaining tail is below float32 resolution.
  // -1 where the input is above log 80 or NaN (the comparison is false for NaN), compared before
  // e^x is formed, or where the search did not end within its steps (never for a mean <= 80)
  sample: () => `
    const z = x + p0[j];
    let draw = -1;
    if (z <= ${POISSON_MAX_LOG_MEAN}) {
      const lam = Math.exp(z);
      const uu = u[base];
      let pk = Math.exp(-lam);
      let cdf = pk;
      let count = 0;
      let done = 0;
      for (let k = 1; k < ${POISSON_STEPS}; k++) {
        if (uu <= cdf) {
          done = 1;
          break;
        }
        if (k > lam && pk < 1e-9 * cdf) {
          done = 1;
          break;
        }
        pk = pk * lam / k;
        cdf = cdf + pk;
        count = k;
      }
      if (done > 0) {
        draw = count;
      }
    }
    return draw;`,
  // e^x: Infinity above x = 88.7 in float32, which the callers check (pcd.ts)
  mean: () => `
    return Math.exp(x + p0[j]);`,
  failure: {
    bad: (v) => `!(${v} >= 0 && ${v} <= 1e30)`,
    reason: `had a mean above ${POISSON_MAX_MEAN} or a non-finite input, which the GPU kernel does not sample`,
  },
};

const units = new Map<Function, GpuUnitKernel>([
  [BernoulliLayer, bernoulli],
  [SpinLayer, spin],
  [GaussianLayer, gaussian],
  [ReluLayer, relu],
  [DreluLayer, drelu],
  [PoissonLayer, poisson],
]);

/** Adds (or replaces) the kernel code of a layer class. */
export function registerGpuUnit(layerClass: Function, unit: GpuUnitKernel): void {
  units.set(layerClass, unit);
}

/** The kernel code of a layer, or a clear error naming the unit type when there is none. */
export function gpuUnitOf(layer: UnitLayer, role: 'visible' | 'hidden'): GpuUnitKernel {
  const unit = units.get(layer.constructor);
  if (unit === undefined) {
    const known = 'bernoulli, spin, gaussian, relu, drelu, poisson';
    throw new Error(
      `@rbmlab/gpu cannot sample ${role} units of type "${layer.type}" (${layer.canSample ? 'no GPU kernel for this unit' : 'the unit has no conditional sampler'}); GPU block Gibbs covers ${known}`,
    );
  }
  return unit;
}

/** The layer's parameters in kernel order, as float32 arrays. */
export function unitParams(layer: UnitLayer, unit: GpuUnitKernel): Float32Array[] {
  return unit.params.map((name) => {
    const values = layer.params[name];
    if (values === undefined) throw new Error(`layer of type "${layer.type}" has no parameter "${name}"`);
    return Float32Array.from(values);
  });
}
