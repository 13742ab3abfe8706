/**
 * The built-in unit types as gpu.js kernel code: for each layer class, the statements that turn
 * inputs into draws of the unit (h | x, MODELS.md §1) and into its activation E[h | x], written
 * in the JavaScript subset gpu.js translates to GLSL, WebAssembly and plain JS alike.
 *
 * A unit is a plug-in here as in core: a table from the layer's class to its kernel code, no
 * switch on a type name (`registerGpuUnit` adds one). The code is spliced into a kernel whose
 * thread handles the four units 4 j4 .. 4 j4 + 3 (the lanes k = 0..3) of one chain b, and sees
 *     x0 .. x3   the lanes' inputs (sums over the other layer, without the units' own parameters)
 *     ctx.param(p, k)   parameter p (in `params` order) of lane k
 *     ctx.evaluate(out, draw)   statements declaring out0 .. out3, the four words of the
 *                counter-based generator (counter-rng.ts) at evaluation number `draw` of this
 *                thread's unit block; lane k uses word k, so the four lanes share each evaluation
 * and assigns the draws (or means) to d0 .. d3, which the kernel declares and returns.
 *
 * Uniforms (core's random/counter.ts): u = (w + 1) 2^-22 in (0, 1]; a comparison u < p is
 * Bernoulli(p) up to 2^-22. Where -log u is taken (Box-Muller radii, exponential proposals), a
 * word 0 is refined by evaluation `draw + 2` (logUniformLane): -log u reaches 30.5 (radii of 7.8
 * standard deviations); a Box-Muller normal is exact up to float32 arithmetic except beyond 7.8
 * sd (probability 6e-15).
 *
 * Exactness. bernoulli, spin, gaussian (Box-Muller) and drelu's choice of side are exact given
 * exact uniforms, up to float32 arithmetic (u < sigmoid(z) is tested as u (1 + e^-z) < 1, with no
 * division; it differs from the exact comparison only within float32 rounding). The truncated
 * normals of relu and drelu are drawn by rejection with at most RELU_ITERATIONS iterations, a
 * kernel loop needing a fixed bound:
 *   a < 0:  Box-Muller pairs of N(0,1) proposals (two per iteration), accepted when z >= a;
 *           each is accepted with probability Q(a) >= 1/2;
 *   a >= 0: Robert's (1995) exponential proposals, one per iteration, accepted with probability
 *           >= 0.76 (at a = 0; rising to 1).
 * (a is the standardized lower bound; the same methods as core's truncatedNormal, with the switch
 * moved from -0.5 to 0 where the per-uniform failure rates of the two methods cross.) All
 * iterations fail with probability <= max(2^-40, 0.24^20) = 9.1e-13; the draw is then the last
 * proposal (clamped to the support): a total-variation error below 1e-12 per draw. Iteration it
 * of a lane uses evaluations 3 it and 3 it + 1 (and 3 it + 2 for a refinement); lanes iterate
 * together, so an evaluation serves every lane still rejecting.
 * poisson: inverse CDF by sequential search from k = 0 in float32, exact up to the float32
 * rounding of the partial sums (relative ~ k 2^-24) and the 2^-22 resolution of u; where a term
 * falls below half a float32 ulp of the partial sum the search ends, so the mass that rounding
 * left above it is drawn there, at about the 1 - 2^-24 quantile, never at a distant cut-off. e^-mean
 * is formed from exact constants (expMinusCode). Inputs x (with
 * the bias) above log(POISSON_MAX_MEAN), where e^-mean leaves float32's normal range, and inputs
 * that are NaN are not sampled (x is compared before e^x is formed, so e^x never overflows): the
 * draw is -1, which no Poisson variable takes; so is a search that has not ended after its fixed
 * number of steps. The samplers mark a chain with such a draw in a sticky per-chain flag
 * (`failure`, gibbs.ts), and their read-backs throw GpuLimitError naming it.
 * Activations are float32 evaluations of the closed forms; relu and drelu use log erfcx from the
 * Numerical Recipes erfc approximation (relative error < 1.2e-7 for every argument >= 0), and for
 * standardized bounds a >= MILLS_CF_FROM the cancellation-free continued fraction of
 * lambda(a) - a (halfGaussianMeanCode).
 */
import { BernoulliLayer, COUNTER_LAYOUT, DreluLayer, GaussianLayer, PoissonLayer, ReluLayer, SpinLayer, type UnitLayer } from '@rbmlab/core';
import { refinedUniformCode, uniformCode } from './counter-rng';
import { LANES } from './vec4';

/** Rejection iterations of a relu draw (and of each side of drelu): failure <= 9.1e-13. */
export const RELU_ITERATIONS = 20;
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
/** Terms of the continued fraction of lambda(a) - a used from MILLS_CF_FROM on. */
export const MILLS_CF_TERMS = 40;
/** Sequential-search steps of the Poisson kernel: P(k >= 256 | mean <= 80) < 1e-60. */
const POISSON_STEPS = 256;
// drelu draws its side (evaluation 0), then 3 per rejection iteration: all within a unit's share
// of the counter (a 65th evaluation would be the next purpose's first)
if (1 + 3 * RELU_ITERATIONS > COUNTER_LAYOUT.draws) throw new Error(`RELU_ITERATIONS = ${RELU_ITERATIONS} needs more than ${COUNTER_LAYOUT.draws} generator evaluations per draw`);

/** What a unit's code may use besides x0..x3 and d0..d3 (see the file comment). */
export interface UnitCodeContext {
  /** An expression: parameter number p of lane k. */
  param(p: number, k: number): string;
  /** Statements declaring `${out}0..3`, the words of this thread's evaluation number `draw` (an expression). */
  evaluate(out: string, draw: string): string;
}

/**
 * A unit type as gpu.js kernel code (see the comment at the top of units.ts): its parameters, the
 * statements drawing h | x and forming E[h | x] for four lanes, and what PCD trains on the device.
 */
export interface GpuUnitKernel {
  /** Names of the layer's parameter arrays, the kernel's p0, p1, ... */
  readonly params: readonly string[];
  /** The value of each parameter in padded lanes (past the layer's size), where 0 would not do (a precision). */
  readonly paramPad?: readonly number[];
  /** Generator evaluations a draw can use (at most COUNTER_LAYOUT.draws). */
  readonly evaluations: number;
  /** Statements assigning d0..d3 = draws of the four lanes. */
  sample(ctx: UnitCodeContext): string;
  /** Statements assigning d0..d3 = E[h | x] of the four lanes. */
  mean(ctx: UnitCodeContext): string;
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
  readonly failure?: {
    /** A kernel expression, true where the state expression `v` is a refused draw or not finite. */
    readonly bad: (v: string) => string;
    /** Why such a draw is refused, for the error a read-back throws. */
    readonly reason: string;
  };
}

const TWO_PI = '6.283185307179586';

/**
 * Statements declaring `out` = e^-lam for 0 <= lam < 128, to a few float32 ulps: e^-a for the
 * integer part a as a product of the correctly rounded constants e^-64, e^-32, ..., e^-1 picked by
 * the bits of a (at most 7 products), times e^-(lam - a), an exponential of [0, 1). A float32
 * exp(-lam) itself errs by about lam 2^-24 relative (its argument reduction): 5e-6 at lam = 80,
 * which scaled every probability of the Poisson search and moved its draws in 1.6e-4 of cases
 * on Mesa's GL against the float64 inverse CDF; with this, only the largest uniform's draw
 * differed (1 of 42,464 and of 53,684), as in the other modes.
 */
function expMinusCode(lam: string, out: string): string {
  const powers = [64, 32, 16, 8, 4, 2, 1];
  return `
    const ${out}_i = Math.floor(${lam});
    let ${out}_a = ${out}_i;
    let ${out} = Math.exp(${out}_i - ${lam});
    ${powers
      .map(
        (q) => `if (${out}_a > ${q - 0.5}) {
      ${out} = ${out} * ${Math.exp(-q)};
      ${out}_a = ${out}_a - ${q};
    }`,
      )
      .join('\n    ')}`;
}

/** The same statements for each lane, `$` replaced by the lane number. */
function perLane(code: (k: number) => string): string {
  return LANES.map(code).join('\n');
}

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
 * Statements declaring `out` = a uniform in (0, 1] for -log u of lane k from the word
 * `${words}${k}`, refined (where that word is 0) by word k of evaluation `refineDraw`.
 */
function logUniformLane(ctx: UnitCodeContext, out: string, words: string, k: number, refineDraw: string): string {
  return `
    let ${out} = ${uniformCode(`${words}${k}`)};
    if (${words}${k} < 0.5) {
      ${ctx.evaluate(`${out}_r`, refineDraw)}
      ${out} = ${refinedUniformCode(`${out}_r${k}`)};
    }`;
}

/**
 * Statements setting exc0..exc3 to draws of N(0, 1) conditioned on >= a_k, minus a_k (the excess,
 * >= 0), lanes whose `done${k}` is already 1 skipped; evaluations first + 3 it, first + 3 it + 1
 * (and first + 3 it + 2 to refine) for iteration it (see the file comment). Expects a0..a3 and
 * done0..done3 declared.
 */
function truncatedExcessCode(ctx: UnitCodeContext, first: number): string {
  const lane = (k: number) => `
        if (done${k} < 0.5) {
          ${logUniformLane(ctx, `lu${k}`, 'ra', k, `${first + 2} + 3 * it`)}
          if (a${k} < 0) {
            const r${k} = Math.sqrt(-2 * Math.log(lu${k}));
            const t${k} = ${TWO_PI} * ${uniformCode(`rb${k}`)};
            const z1${k} = r${k} * Math.cos(t${k});
            const z2${k} = r${k} * Math.sin(t${k});
            exc${k} = Math.max(z2${k} - a${k}, 0);
            if (z1${k} >= a${k}) {
              exc${k} = z1${k} - a${k};
              done${k} = 1;
            }
            if (z2${k} >= a${k}) {
              done${k} = 1;
            }
          } else {
            const e${k} = -Math.log(lu${k}) / alpha${k};
            const dd${k} = e${k} - delta${k};
            exc${k} = e${k};
            if (${uniformCode(`rb${k}`)} <= Math.exp(-0.5 * dd${k} * dd${k})) {
              done${k} = 1;
            }
          }
        }`;
  return `
    ${perLane((k) => `let exc${k} = 0;
    let delta${k} = 0;
    let alpha${k} = 1;
    if (a${k} >= 0) {
      delta${k} = 2 / (a${k} + Math.sqrt(a${k} * a${k} + 4));
      alpha${k} = a${k} + delta${k};
    }`)}
    for (let it = 0; it < ${RELU_ITERATIONS}; it++) {
      if (done0 + done1 + done2 + done3 > 3.5) {
        break;
      }
      ${ctx.evaluate('ra', `${first} + 3 * it`)}
      ${ctx.evaluate('rb', `${first + 1} + 3 * it`)}
      ${perLane(lane)}
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
      for (let ${out}_k = 0; ${out}_k < ${MILLS_CF_TERMS - 1}; ${out}_k++) {
        ${out}_t = ${out}_a + (${MILLS_CF_TERMS.toFixed(1)} - ${out}_k) / ${out}_t;
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
  evaluations: 1,
  fieldParam: 'bias',
  // u < sigmoid(z) as u (1 + e^-z) < 1 (no division; e^-z = Infinity gives 0, NaN gives 0)
  sample: (ctx) => `
    ${ctx.evaluate('e', '0')}
    ${perLane(
      (k) => `if (${uniformCode(`e${k}`)} * (1 + Math.exp(-(x${k} + ${ctx.param(0, k)}))) < 1) {
      d${k} = 1;
    }`,
    )}`,
  mean: (ctx) => perLane((k) => `d${k} = 1 / (1 + Math.exp(-(x${k} + ${ctx.param(0, k)})));`),
};

const spin: GpuUnitKernel = {
  params: ['bias'],
  evaluations: 1,
  fieldParam: 'bias',
  sample: (ctx) => `
    ${ctx.evaluate('e', '0')}
    ${perLane(
      (k) => `d${k} = -1;
    if (${uniformCode(`e${k}`)} * (1 + Math.exp(-2 * (x${k} + ${ctx.param(0, k)}))) < 1) {
      d${k} = 1;
    }`,
    )}`,
  // tanh z = sign(z) (1 - e^-2|z|) / (1 + e^-2|z|), exact in the tails
  mean: (ctx) =>
    perLane(
      (k) => `const z${k} = x${k} + ${ctx.param(0, k)};
    const e${k} = Math.exp(-2 * Math.abs(z${k}));
    d${k} = (1 - e${k}) / (1 + e${k});
    if (z${k} < 0) {
      d${k} = -d${k};
    }`,
    ),
};

const gaussian: GpuUnitKernel = {
  params: ['bias', 'gamma'],
  paramPad: [0, 1],
  evaluations: 3,
  fieldParam: 'bias',
  // Box-Muller: radius from evaluation 0 (refined by 2), angle from 1
  sample: (ctx) => `
    ${ctx.evaluate('ga', '0')}
    ${ctx.evaluate('gb', '1')}
    ${perLane(
      (k) => `${logUniformLane(ctx, `lu${k}`, 'ga', k, '2')}
    const g${k} = ${ctx.param(1, k)};
    d${k} = (x${k} + ${ctx.param(0, k)}) / g${k} + Math.sqrt(-2 * Math.log(lu${k})) * Math.cos(${TWO_PI} * ${uniformCode(`gb${k}`)}) / Math.sqrt(g${k});`,
    )}`,
  mean: (ctx) => perLane((k) => `d${k} = (x${k} + ${ctx.param(0, k)}) / ${ctx.param(1, k)};`),
};

const relu: GpuUnitKernel = {
  params: ['bias', 'gamma'],
  paramPad: [0, 1],
  evaluations: 3 * RELU_ITERATIONS,
  fieldParam: 'bias',
  // Normal(x/g, 1/g) on h >= 0: standardized bound a = -x/sqrt(g), h = sd * excess
  sample: (ctx) => `
    ${perLane(
      (k) => `const sd${k} = 1 / Math.sqrt(${ctx.param(1, k)});
    const a${k} = -(x${k} + ${ctx.param(0, k)}) * sd${k};
    let done${k} = 0;`,
    )}
    ${truncatedExcessCode(ctx, 0)}
    ${perLane((k) => `d${k} = sd${k} * exc${k};`)}`,
  mean: (ctx) =>
    perLane(
      (k) => `const xx${k} = x${k} + ${ctx.param(0, k)};
    ${halfGaussianMeanCode(`xx${k}`, ctx.param(1, k), `m${k}`)}
    d${k} = m${k};`,
    ),
};

const drelu: GpuUnitKernel = {
  params: ['biasPlus', 'biasMinus', 'gammaPlus', 'gammaMinus'],
  paramPad: [0, 0, 1, 1],
  evaluations: 1 + 3 * RELU_ITERATIONS,
  fieldParam: null,
  // side + with probability Z+ / (Z+ + Z-) (evaluation 0), then the half-Gaussian of that side
  // (mirrored for -) from evaluations 1, 2, ...
  sample: (ctx) => `
    ${ctx.evaluate('side', '0')}
    ${perLane(
      (k) => `const xp${k} = x${k} + ${ctx.param(0, k)};
    const xm${k} = -(x${k} + ${ctx.param(1, k)});
    ${halfGaussianLogZCode(`xp${k}`, ctx.param(2, k), `lzp${k}`)}
    ${halfGaussianLogZCode(`xm${k}`, ctx.param(3, k), `lzm${k}`)}
    let xs${k} = xm${k};
    let gs${k} = ${ctx.param(3, k)};
    let sign${k} = -1;
    if (${uniformCode(`side${k}`)} * (1 + Math.exp(lzm${k} - lzp${k})) < 1) {
      xs${k} = xp${k};
      gs${k} = ${ctx.param(2, k)};
      sign${k} = 1;
    }
    const sd${k} = 1 / Math.sqrt(gs${k});
    const a${k} = -xs${k} * sd${k};
    let done${k} = 0;`,
    )}
    ${truncatedExcessCode(ctx, 1)}
    ${perLane((k) => `d${k} = sign${k} * sd${k} * exc${k};`)}`,
  mean: (ctx) =>
    perLane(
      (k) => `const xp${k} = x${k} + ${ctx.param(0, k)};
    const xm${k} = -(x${k} + ${ctx.param(1, k)});
    ${halfGaussianLogZCode(`xp${k}`, ctx.param(2, k), `lzp${k}`)}
    ${halfGaussianLogZCode(`xm${k}`, ctx.param(3, k), `lzm${k}`)}
    ${halfGaussianMeanCode(`xp${k}`, ctx.param(2, k), `mp${k}`)}
    ${halfGaussianMeanCode(`xm${k}`, ctx.param(3, k), `mm${k}`)}
    const pp${k} = 1 / (1 + Math.exp(lzm${k} - lzp${k}));
    d${k} = pp${k} * mp${k} - (1 - pp${k}) * mm${k};`,
    ),
};

const poisson: GpuUnitKernel = {
  params: ['bias'],
  evaluations: 1,
  fieldParam: 'bias',
  // smallest k with u < F(k), u = w 2^-22 in [0, 1) (the word's uniform less 2^-22, exact), so
  // P(draw <= k) = F(k) within 2^-22; where a term falls below half a float32 ulp of F (2^-25 F:
  // the tail below F's resolution) the search ends there, so the few u above float32's F land next
  // to that quantile instead of at a far cut-off. (The test is a comparison, the same in float64:
  // Mesa's shader compiler rewrote 'F + p == F' as 'p == 0', so that search ran to k = 222 at a
  // mean of 80.) -1 where the input is above log 80 or NaN (the
  // comparison is false for NaN), compared before e^x is formed, or where the search did not end
  // within its steps (never for a mean <= 80)
  sample: (ctx) => `
    ${ctx.evaluate('e', '0')}
    ${perLane(
      (k) => `const z${k} = x${k} + ${ctx.param(0, k)};
    d${k} = -1;
    if (z${k} <= ${POISSON_MAX_LOG_MEAN}) {
      const lam${k} = Math.exp(z${k});
      const uu${k} = ${uniformCode(`e${k}`)} - ${2 ** -22};
      ${expMinusCode(`lam${k}`, `pk${k}`)}
      let cdf${k} = pk${k};
      let count${k} = 0;
      let done${k} = 0;
      for (let s${k} = 1; s${k} < ${POISSON_STEPS}; s${k}++) {
        if (uu${k} < cdf${k}) {
          done${k} = 1;
          break;
        }
        pk${k} = pk${k} * lam${k} / s${k};
        count${k} = s${k};
        if (pk${k} < cdf${k} * ${2 ** -25}) {
          done${k} = 1;
          break;
        }
        cdf${k} = cdf${k} + pk${k};
      }
      if (done${k} > 0) {
        d${k} = count${k};
      }
    }`,
    )}`,
  // e^x: Infinity above x = 88.7 in float32, which the callers check (pcd.ts)
  mean: (ctx) => perLane((k) => `d${k} = Math.exp(x${k} + ${ctx.param(0, k)});`),
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

/**
 * Adds (or replaces) the kernel code of a layer class. Its draws may use at most
 * COUNTER_LAYOUT.draws generator evaluations (a unit's share of the counter).
 */
export function registerGpuUnit(layerClass: Function, unit: GpuUnitKernel): void {
  if (!(Number.isInteger(unit.evaluations) && unit.evaluations >= 1 && unit.evaluations <= COUNTER_LAYOUT.draws)) {
    throw new RangeError(`a GPU unit may use 1 .. ${COUNTER_LAYOUT.draws} generator evaluations per draw, got ${unit.evaluations}`);
  }
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

/** The layer's parameters in kernel order (float64 copies of the layer's arrays). */
export function unitParams(layer: UnitLayer, unit: GpuUnitKernel): Float64Array[] {
  return unit.params.map((name) => {
    const values = layer.params[name];
    if (values === undefined) throw new Error(`layer of type "${layer.type}" has no parameter "${name}"`);
    return Float64Array.from(values);
  });
}
