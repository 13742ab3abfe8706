/**
 * User-defined units given by their potential V(h) alone (MODELS.md §1): "Gamma, Gamma' and
 * Gamma'' then come from numerical quadrature, and h | x from its inverse CDF."
 *
 * Each unit gets a bias theta, so V_j(h) = V(h) - theta_j h and, with x = input + theta_j,
 *
 *     Gamma_j(input) = log  integral (or sum) over h of  exp(g(h)),   g(h) = -V(h) + x h
 *     Gamma_j'  = E[h | x]            Gamma_j'' = Var[h | x]
 *
 * Continuous supports ('real', 'nonnegative', or an interval [lo, hi], bounds may be infinite):
 *   1. The mode m of g is bracketed (steps doubling from 0, clamped to the support, whose
 *      endpoints are allowed as the mode) and located by golden-section search until g at both
 *      ends of the bracket is within 1e-3 of the best value (so m is within ~0.1 standard
 *      deviations of the true mode, whatever the scale).
 *   2. On each side of m a width w is found where g has dropped by 1 from g(m) (doubling or
 *      halving, to a factor of 2). This works for any curvature, including none at all
 *      (V = |h|, where the curvature at the mode is 0 on one side and a kink at the other).
 *   3. Each side is integrated in the variable t in [0, 1) with h = m +- w t / (1 - t)
 *      (t <= D / (D + w) when the support ends at distance D), by globally adaptive
 *      Gauss-Kronrod G10-K21 with the QUADPACK error estimate, on the three integrands
 *      e^{g(h) - g(m)} (h - m)^k, k = 0, 1, 2, to relative tolerance 1e-12 (k = 1 is measured
 *      against sqrt(M0 M2)), or to the rounding floor 20 eps (|x m| + |V(m)|) of g(h) - g(m)
 *      when that is larger (|x| beyond ~100). Everything is scaled by e^{-g(m)}:
 *      logZ = g(m) + log M0, so nothing overflows for |x| up to 1e4 and beyond.
 *   4. mean = m + M1 / M0; the variance is the same Kronrod rule on the final mesh applied to
 *      (h - mean)^2 e^{g(h) - g(m)} (centred at the mean, so there is no cancellation).
 *   5. h | x is drawn by inverse CDF: u = rng.uniform() picks the side and the mesh interval
 *      from the cumulative masses, then the point within the interval is found by safeguarded
 *      Newton (bisection fallback) on the partial integral: a first guess from the trapezoid
 *      rule through the interval's stored node values, the partial integral there by the
 *      Kronrod rule, increments over Newton steps by 5-point Gauss (about 35 evaluations of V
 *      per draw once the input's quadrature is cached).
 *
 * Discrete supports ({ integers: [lo, hi] }): when the support is finite with at most
 * TABLE_MAX values, every term is summed (any shape of V, holes with V = +Infinity allowed; the
 * values with finite V are the layer's `support`). Otherwise the integer mode is located (doubling
 * then ternary search) and terms are summed outward from it until they fall below 1e-17 of the
 * running total, with a weighted one-pass (West) update of mean and variance; sampling walks the
 * pmf outward from the mode. The cost is proportional to the spread of h | x: more than
 * MAX_TERMS terms raises a RangeError (V = log h! reaches it near x = 24,
 * where sd(h) = e^{x/2} ~ 1.6e5; x = 20 takes ~40 ms).
 *
 * Requirements on V. exp(-V(h) + x h) must be integrable (summable), with finite mean and
 * variance, and g should be unimodal, which holds for every convex V (log-concave densities).
 * For a non-unimodal g the mode search finds one local maximum only; the mesh is anchored there,
 * but the adaptive quadrature still refines wherever its error estimate is large, so other modes
 * are normally integrated too (a symmetric double well and a bump of width 0.1 at 8 standard
 * deviations from the main mode were integrated to 1e-14 in trials). There is no guarantee: a
 * bump narrow enough to fall between the nodes of a coarse interval is missed, silently. In the
 * discrete unimodal walk a hole (V = +Infinity inside the support) ends the sum. When another mode
 * is so much higher that e^{g(h) - g(m)} overflows (the quadrature fails), the mode search starts
 * again from the highest point the quadrature met, up to MAX_REANCHOR times (gaussian visible
 * conditionals of RBMs with |W| ~ 1e3 have modes e^{W^2/2} apart). V(h) = NaN is
 * treated as +Infinity (outside the support). If g grows without bound, or does not decrease
 * away from its maximum (V = 0 on the real line), Gamma is +Infinity, the mean +-Infinity and
 * the variance +Infinity; sampling then throws. When the adaptive quadrature cannot reach 1e-6
 * relative accuracy in MAX_INTERVALS intervals, or the second moment is infinite (tails like
 * V = log(1 + h^2)), it throws rather than return a wrong number. A NaN input gives NaN results.
 *
 * Cost: one cumulant evaluation at a new input takes a few hundred evaluations of V; the
 * results (logZ, mean, variance, and the mesh for sampling) are cached by x for the whole layer
 * (4096 moments, 64 samplers), so cumulant, mean, variance, addCumulantGrad and repeated samples at the
 * same field share one quadrature.
 */
import type { Rng } from '../random/rng';
import { BaseLayer, type LayerParams, resolveParams, type UnitLayer } from './unit';

/** Support of a potential unit: continuous ('real', 'nonnegative', [lo, hi]) or integers lo..hi. */
export type PotentialDomain =
  | 'real'
  | 'nonnegative'
  | readonly [number, number]
  | { readonly integers: readonly [number, number] };

/**
 * A unit given by its potential V(h) on a support, for `potentialUnit`: Gamma, Gamma', Gamma'' of
 * x = input + bias by quadrature (or summation on integers), h | x by inverse CDF.
 */
export interface PotentialUnitSpec {
  /** Name used as the layer's `type` and in messages. */
  readonly name: string;
  /** V(h) without the bias; +Infinity outside the support is allowed (NaN counts as +Infinity). */
  readonly potential: (h: number) => number;
  /** Continuous support (bounds may be +-Infinity), or the integers lo..hi (hi may be Infinity). */
  readonly domain: PotentialDomain;
}

/** Relative tolerance of the adaptive quadrature. */
const QUAD_TOL = 1e-12;
/** Accepted (instead of throwing) when QUAD_TOL is not reached within MAX_INTERVALS. */
const QUAD_TOL_FALLBACK = 1e-6;
const MAX_INTERVALS = 400;
/** Starting mesh of each side, as fractions of [0, tmax]. */
const START_CUTS = [0.3, 0.6, 0.85];
/** Finite integer supports up to this many values are summed exhaustively. */
const TABLE_MAX = 4096;
/** Most restarts of the mode search from a higher point met by a failed quadrature (multimodal g). */
const MAX_REANCHOR = 4;

/** Most terms summed from the mode outward for an unbounded (or large) integer support. */
const MAX_TERMS = 1_000_000;
/** Summation stops when a term falls below this fraction of the running total. */
const TERM_TOL = 1e-17;
/** Golden-section stops when g at both bracket ends is within this of the best value. */
const MODE_DROP = 1e-3;
const EPS = 2.220446049250313e-16;
/** Beyond this magnitude a search is declared unbounded (g keeps growing). */
const HUGE = 1e300;

// Gauss-Kronrod G10-K21 rule (QUADPACK qk21): Kronrod abscissae in (0, 1] then 0, their
// weights, and the 10-point Gauss weights of the abscissae xgk[1], xgk[3], ..., xgk[9].
const XGK = [
  0.995657163025808080735527280689003, 0.973906528517171720077964012084452, 0.930157491355708226001207180059508,
  0.865063366688984510732096688423493, 0.780817726586416897063717578345042, 0.679409568299024406234327365114874,
  0.562757134668604683339000099272694, 0.433395394129247190799265943165784, 0.294392862701460198131126603103866,
  0.14887433898163121088482600112972, 0.0,
];
const WGK = [
  0.011694638867371874278064396062192, 0.03255816230796472747881897245939, 0.05475589657435199603138130024458,
  0.07503967481091995276704314091619, 0.093125454583697605535065465083366, 0.109387158802297641899210590325805,
  0.123491976262065851077208034148766, 0.134709217311473325928054001771707, 0.142775938577060080797094273138717,
  0.147739104901338491374841515972068, 0.149445554002916905664936468389821,
];
const WG = [
  0.066671344308688137593568809893332, 0.149451349150580593145776339657697, 0.219086362515982043995534934228163,
  0.269266719309996355091226921569469, 0.295524224714752870173892994651338,
];
/** 5-point Gauss-Legendre abscissae (0 and the positive ones) and weights, for sampling. */
const G5X = [0, 0.538469310105683091036314420700208805, 0.906179845938663992797626878299392965];
const G5W = [0.568888888888888888888888888888888889, 0.478628670499366468041291514835638192, 0.236926885056189087514264040719917363];
/** Number of nodes of the rule. */
const NQ = 21;
/** The nodes in [-1, 1] in increasing order and their Kronrod and Gauss weights. */
const NODES = new Float64Array(NQ);
const KW = new Float64Array(NQ);
const GW = new Float64Array(NQ);
for (let i = 0; i < 10; i++) {
  NODES[i] = -XGK[i];
  NODES[NQ - 1 - i] = XGK[i];
  KW[i] = KW[NQ - 1 - i] = WGK[i];
  if (i % 2 === 1) GW[i] = GW[NQ - 1 - i] = WG[(i - 1) / 2];
}
NODES[10] = 0;
KW[10] = WGK[10];
GW[10] = 0;

/** Moments of h | x, and what sampling needs. */
interface Stats {
  readonly logZ: number;
  readonly mean: number;
  readonly variance: number;
  readonly sampler: Sampler | undefined;
}
type Sampler = (rng: Rng) => number;

const divergent = (direction: number): Stats => ({
  logZ: Infinity,
  mean: direction > 0 ? Infinity : direction < 0 ? -Infinity : NaN,
  variance: Infinity,
  sampler: undefined,
});
const NAN_STATS: Stats = { logZ: NaN, mean: NaN, variance: NaN, sampler: undefined };

interface Engine {
  readonly support: readonly number[] | undefined;
  /** V(h) on the support, +Infinity outside it. */
  potential(h: number): number;
  stats(x: number): Stats;
}

// ------------------------------------------------------------------------------------------
// Continuous supports
// ------------------------------------------------------------------------------------------

/** One interval of the adaptive mesh, in the variable t of one side. */
interface Interval {
  side: number;
  a: number;
  b: number;
  k: [number, number, number];
  e: [number, number, number];
  /** e^{g(h)-g(m)} dh/dt at the 15 nodes, and the signed offsets h - m there. */
  f: Float64Array;
  dh: Float64Array;
  splittable: boolean;
}

interface Side {
  /** +1: h = m + w u; -1: h = m - w u, u = t / (1 - t). */
  readonly sign: number;
  readonly w: number;
  readonly tmax: number;
}

class ContinuousEngine implements Engine {
  readonly support = undefined;

  constructor(
    private readonly name: string,
    private readonly V: (h: number) => number,
    private readonly lo: number,
    private readonly hi: number,
  ) {}

  potential(h: number): number {
    if (!(h >= this.lo && h <= this.hi)) return Infinity;
    const v = this.V(h);
    return v === v ? v : Infinity;
  }

  /** g(h) = -V(h) + x h, -Infinity outside the support or where V is NaN. */
  private g(h: number, x: number): number {
    if (!(h >= this.lo && h <= this.hi)) return -Infinity;
    const r = x * h - this.V(h);
    return r === r ? r : -Infinity;
  }

  private clamp(h: number): number {
    return h < this.lo ? this.lo : h > this.hi ? this.hi : h;
  }

  /** A point of the support where g is finite, starting from 0 (clamped). */
  private start(x: number): number {
    const h0 = this.clamp(0);
    if (this.g(h0, x) > -Infinity) return h0;
    const candidates: number[] = [];
    if (Number.isFinite(this.lo) && Number.isFinite(this.hi)) {
      for (let i = 1; i < 64; i++) candidates.push(this.lo + ((this.hi - this.lo) * i) / 64);
    }
    for (let k = -30; k <= 1000; k++) {
      const s = 2 ** k;
      candidates.push(this.clamp(h0 + s), this.clamp(h0 - s));
    }
    for (const h of candidates) if (this.g(h, x) > -Infinity) return h;
    throw new RangeError(`${this.name} unit: the potential is +Infinity (or NaN) at every point tried`);
  }

  /** Mode of g (climbing from `from`, default start(x)): { m, gm }, or the escape direction when g grows without bound. */
  private mode(x: number, from?: number): { m: number; gm: number } | { escape: number } {
    const h0 = from ?? this.start(x);
    const g0 = this.g(h0, x);
    let step = 1;
    const hr = this.clamp(h0 + step);
    const gr = hr > h0 ? this.g(hr, x) : g0;
    let dir = 0;
    if (gr > g0) dir = 1;
    const hl = this.clamp(h0 - step);
    const gl = hl < h0 ? this.g(hl, x) : g0;
    if (dir === 0 && gl > g0) dir = -1;
    let a: number, ga: number, b: number, gb: number, c: number, gc: number;
    if (dir === 0) {
      [a, ga, b, gb, c, gc] = [hl, gl, h0, g0, hr, gr];
    } else {
      let prev = h0;
      let gprev = g0;
      let cur = dir > 0 ? hr : hl;
      let gcur = dir > 0 ? gr : gl;
      for (;;) {
        if (gcur === Infinity) return { escape: dir };
        step *= 2;
        const next = this.clamp(cur + dir * step);
        if (next === cur) {
          // at the support's end, g still not decreasing: the mode is in [prev, cur]
          [a, ga, b, gb, c, gc] = [prev, gprev, cur, gcur, cur, gcur];
          break;
        }
        const gn = this.g(next, x);
        if (gn < gcur) {
          [a, ga, b, gb, c, gc] = [prev, gprev, cur, gcur, next, gn];
          break;
        }
        if (Math.abs(next) > HUGE || !Number.isFinite(next)) return { escape: dir };
        prev = cur;
        gprev = gcur;
        cur = next;
        gcur = gn;
      }
      if (dir < 0) [a, ga, c, gc] = [c, gc, a, ga];
    }
    return this.golden(x, a, ga, b, gb, c, gc);
  }

  /** Golden-section maximisation of g on [a, c] with best point b (endpoints allowed). */
  private golden(x: number, a: number, ga: number, b: number, gb: number, c: number, gc: number): { m: number; gm: number } {
    const R = 0.6180339887498949;
    const C = 1 - R;
    let x0 = a, x3 = c, f0 = ga, f3 = gc;
    let x1: number, x2: number, f1: number, f2: number;
    if (c - b > b - a) {
      x1 = b;
      f1 = gb;
      x2 = b + C * (c - b);
      f2 = this.g(x2, x);
    } else {
      x2 = b;
      f2 = gb;
      x1 = b - C * (b - a);
      f1 = this.g(x1, x);
    }
    for (let iter = 0; iter < 500; iter++) {
      const best = Math.max(f0, f1, f2, f3);
      if (best - f0 < MODE_DROP && best - f3 < MODE_DROP) break;
      if (x3 - x0 <= 4 * EPS * Math.max(Math.abs(x0), Math.abs(x3)) || x3 - x0 < 1e-300) break;
      if (f2 > f1) {
        x0 = x1; f0 = f1;
        x1 = x2; f1 = f2;
        x2 = R * x2 + C * x3;
        f2 = this.g(x2, x);
      } else {
        x3 = x2; f3 = f2;
        x2 = x1; f2 = f1;
        x1 = R * x1 + C * x0;
        f1 = this.g(x1, x);
      }
    }
    let m = x0, gm = f0;
    if (f1 > gm) { m = x1; gm = f1; }
    if (f2 > gm) { m = x2; gm = f2; }
    if (f3 > gm) { m = x3; gm = f3; }
    return { m, gm };
  }

  /**
   * Distance from m (towards sign) at which g has dropped by 1, to a factor of 2; D is the
   * distance to the support's end. Infinity when g never drops on an unbounded side.
   */
  private width(x: number, m: number, gm: number, sign: number, D: number): number {
    const target = gm - 1;
    const at = (d: number) => this.g(d >= D ? (sign > 0 ? this.hi : this.lo) : m + sign * d, x);
    let d = Math.min(1, D);
    if (at(d) > target) {
      for (;;) {
        if (d >= D) return D;
        d = Math.min(2 * d, D);
        if (d > HUGE) return Infinity;
        if (at(d) <= target) return d;
      }
    }
    for (;;) {
      const half = d / 2;
      if (half < 1e-300 || half <= 2 * EPS * Math.abs(m)) return d;
      if (at(half) > target) return d;
      d = half;
    }
  }

  stats(x: number): Stats {
    if (x !== x) return NAN_STATS;
    let from: number | undefined;
    for (let attempt = 0; ; attempt++) {
      const found = this.mode(x, from);
      if ('escape' in found) return divergent(found.escape);
      const { m, gm } = found;
      if (gm === Infinity) {
        throw new RangeError(`${this.name} unit: V(${m}) = -Infinity; exp(-V) must be bounded`);
      }
      const sides: Side[] = [];
      for (const sign of [-1, 1]) {
        const D = sign > 0 ? this.hi - m : m - this.lo;
        if (!(D > 0)) continue;
        const w = this.width(x, m, gm, sign, D);
        if (w === Infinity) return divergent(sign);
        sides.push({ sign, w, tmax: D === Infinity ? 1 : D / (D + w) });
      }
      if (sides.length === 0) {
        // a support of one point (lo = hi): a point mass
        return { logZ: gm, mean: m, variance: 0, sampler: () => m };
      }
      this.highest = undefined;
      try {
        return this.integrate(x, m, gm, sides);
      } catch (err) {
        // The mode search climbs from one start, so for a multimodal g it can stop at a local
        // maximum; when another mode is higher by hundreds, e^{g(h) - g(m)} overflows there and
        // the quadrature fails (NaN error estimates). Only then, start the mode search again
        // from the highest point the quadrature met (a few times at most): integrals that
        // succeeded before are untouched, bit for bit.
        const high = this.highest as { h: number; g: number } | undefined;
        if (attempt >= MAX_REANCHOR || high === undefined || !(high.g > gm + 1)) throw err;
        from = high.h;
      }
    }
  }

  /** The point of largest g seen by the Kronrod rules of the current integration (for stats). */
  private highest: { h: number; g: number } | undefined;

  /** Kronrod rule on [a, b] of side s: fills an Interval. */
  private rule(x: number, m: number, gm: number, sides: Side[], s: number, a: number, b: number): Interval {
    const { sign, w } = sides[s];
    const c = 0.5 * (a + b);
    const half = 0.5 * (b - a);
    const f = new Float64Array(NQ);
    const dh = new Float64Array(NQ);
    for (let i = 0; i < NQ; i++) {
      const t = c + half * NODES[i];
      const om = 1 - t;
      const d = (w * t) / om;
      const gv = this.g(m + sign * d, x);
      if (gv > (this.highest?.g ?? -Infinity)) this.highest = { h: m + sign * d, g: gv };
      f[i] = gv === -Infinity ? 0 : (Math.exp(gv - gm) * w) / (om * om);
      dh[i] = sign * d;
    }
    const k: [number, number, number] = [0, 0, 0];
    const e: [number, number, number] = [0, 0, 0];
    for (let p = 0; p < 3; p++) {
      let kr = 0, gs = 0;
      const vals = new Float64Array(NQ);
      for (let i = 0; i < NQ; i++) {
        const v = p === 0 ? f[i] : p === 1 ? f[i] * dh[i] : f[i] * dh[i] * dh[i];
        vals[i] = v;
        kr += KW[i] * v;
        gs += GW[i] * v;
      }
      const mid = kr / 2;
      let resasc = 0, resabs = 0;
      for (let i = 0; i < NQ; i++) {
        resasc += KW[i] * Math.abs(vals[i] - mid);
        resabs += KW[i] * Math.abs(vals[i]);
      }
      resasc *= half;
      resabs *= half;
      let err = Math.abs((kr - gs) * half);
      if (resasc !== 0 && err !== 0) err = resasc * Math.min(1, Math.pow((200 * err) / resasc, 1.5));
      if (resabs > 2.2250738585072014e-308 / (50 * EPS)) err = Math.max(50 * EPS * resabs, err);
      k[p] = kr * half;
      e[p] = err;
    }
    const splittable = half > 4 * EPS * Math.max(Math.abs(a), Math.abs(b), 1e-300);
    return { side: s, a, b, k, e, f, dh, splittable };
  }

  private integrate(x: number, m: number, gm: number, sides: Side[]): Stats {
    const intervals: Interval[] = [];
    for (let s = 0; s < sides.length; s++) {
      const tmax = sides[s].tmax;
      // t = 1/2 is h = m +- w, where g has dropped by about 1; four starting pieces (chosen by
      // the evaluation count over Gaussian, half-Gaussian, Laplace, quartic and uniform cases)
      let prev = 0;
      for (const cut of START_CUTS) {
        const next = tmax * cut;
        intervals.push(this.rule(x, m, gm, sides, s, prev, next));
        prev = next;
      }
      intervals.push(this.rule(x, m, gm, sides, s, prev, tmax));
    }
    // g(h) - g(m) is a difference of numbers of size |x m| + |V(m)|: its rounding error sets a
    // noise floor on the integrand's relative accuracy that no subdivision can beat (relevant
    // for |x| beyond ~100; at x = 1e4 with V = h^2 / 2 it is ~1e-7, yet the errors average out).
    const tol = Math.max(QUAD_TOL, 20 * EPS * (Math.abs(x * m) + Math.abs(x * m - gm)));
    let converged = false;
    let worstRel = Infinity;
    for (;;) {
      let K0 = 0, K2 = 0, E0 = 0, E1 = 0, E2 = 0;
      for (const iv of intervals) {
        K0 += iv.k[0];
        K2 += iv.k[2];
        E0 += iv.e[0];
        E1 += iv.e[1];
        E2 += iv.e[2];
      }
      const s1 = Math.sqrt(K0 * K2);
      const n0 = K0 > 0 ? 1 / K0 : 0;
      const n1 = s1 > 0 ? 1 / s1 : 0;
      const n2 = K2 > 0 ? 1 / K2 : 0;
      worstRel = Math.max(E0 * n0, E1 * n1, E2 * n2);
      if (worstRel <= tol) {
        converged = true;
        break;
      }
      if (intervals.length >= MAX_INTERVALS) break;
      let pick = -1;
      let worst = -1;
      for (let i = 0; i < intervals.length; i++) {
        const iv = intervals[i];
        if (!iv.splittable) continue;
        const r = Math.max(iv.e[0] * n0, iv.e[1] * n1, iv.e[2] * n2);
        if (r > worst) {
          worst = r;
          pick = i;
        }
      }
      if (pick < 0) break;
      const iv = intervals[pick];
      const mid = 0.5 * (iv.a + iv.b);
      intervals[pick] = this.rule(x, m, gm, sides, iv.side, iv.a, mid);
      intervals.push(this.rule(x, m, gm, sides, iv.side, mid, iv.b));
    }
    let M0 = 0, M1 = 0;
    for (const iv of intervals) {
      M0 += iv.k[0];
      M1 += iv.k[1];
    }
    if (!converged && !(worstRel <= Math.max(QUAD_TOL_FALLBACK, 100 * tol))) {
      throw new RangeError(
        worstRel === worstRel
          ? `${this.name} unit: quadrature of exp(-V(h) + ${x} h) did not converge ` +
              `(relative error ${worstRel.toExponential(2)}); is it integrable?`
          : `${this.name} unit: exp(-V(h) + ${x} h) has no finite mean or variance (tails too heavy)`,
      );
    }
    if (!(M0 > 0)) {
      throw new RangeError(`${this.name} unit: exp(-V(h) + ${x} h) integrates to ${M0}`);
    }
    const delta = M1 / M0;
    let S = 0;
    for (const iv of intervals) {
      const half = 0.5 * (iv.b - iv.a);
      let acc = 0;
      for (let i = 0; i < NQ; i++) {
        const d = iv.dh[i] - delta;
        acc += KW[i] * iv.f[i] * d * d;
      }
      S += acc * half;
    }
    const sampler = this.makeSampler(x, m, gm, sides, intervals);
    return { logZ: gm + Math.log(M0), mean: m + delta, variance: S / M0, sampler };
  }

  private makeSampler(x: number, m: number, gm: number, sides: Side[], intervals: Interval[]): Sampler {
    // built on the first draw: most statistics are never sampled from
    let perSide: Interval[][] | undefined;
    let total = 0;
    let massBelow = 0;
    // index of the side below m (sign -1), if any; sides are pushed in the order -1, +1
    const below = sides[0].sign < 0 ? 0 : -1;
    return (rng: Rng) => {
      if (!perSide) {
        perSide = sides.map((_, s) => intervals.filter((iv) => iv.side === s).sort((p, q) => p.a - q.a));
        const masses = perSide.map((list) => list.reduce((acc, iv) => acc + iv.k[0], 0));
        total = masses.reduce((p, q) => p + q, 0);
        massBelow = below === 0 ? masses[0] : 0;
      }
      const r = rng.uniform() * total;
      let s: number, target: number;
      if (below === 0 && (r < massBelow || sides.length === 1)) {
        s = 0;
        target = massBelow - r; // mass between h and m
      } else {
        s = sides.length - 1;
        target = r - massBelow;
      }
      const list = perSide[s];
      let cum = 0;
      let idx = 0;
      while (idx < list.length - 1 && cum + list[idx].k[0] <= target) {
        cum += list[idx].k[0];
        idx++;
      }
      const iv = list[idx];
      const t = this.invert(x, m, gm, sides[s], iv, Math.max(0, Math.min(target - cum, iv.k[0])));
      const { sign, w } = sides[s];
      return this.clamp(m + (sign * w * t) / (1 - t));
    };
  }

  /**
   * t in [iv.a, iv.b] where the integral of the density in t from iv.a equals target: a first
   * guess from the trapezoid rule through the interval's stored node values, the partial integral
   * there by the Kronrod rule, then safeguarded Newton steps whose increments of the partial
   * integral come from a 5-point Gauss rule over the (short) step.
   */
  private invert(x: number, m: number, gm: number, side: Side, iv: Interval, target: number): number {
    const { sign, w } = side;
    const density = (t: number): number => {
      const om = 1 - t;
      const gv = this.g(m + (sign * w * t) / om, x);
      return gv === -Infinity ? 0 : (Math.exp(gv - gm) * w) / (om * om);
    };
    const a = iv.a, b = iv.b, mass = iv.k[0];
    const c = 0.5 * (a + b), half = 0.5 * (b - a);
    const kronrod = (lo: number, hi: number): number => {
      const cc = 0.5 * (lo + hi), hh = 0.5 * (hi - lo);
      let acc = 0;
      for (let i = 0; i < NQ; i++) acc += KW[i] * density(cc + hh * NODES[i]);
      return acc * hh;
    };
    const gauss5 = (lo: number, hi: number): number => {
      const cc = 0.5 * (lo + hi), hh = 0.5 * (hi - lo);
      let acc = G5W[0] * density(cc);
      for (let i = 1; i < 3; i++) acc += G5W[i] * (density(cc - hh * G5X[i]) + density(cc + hh * G5X[i]));
      return acc * hh;
    };
    if (!(mass > 0)) return c;
    // first guess: piecewise-linear density through (a, f0), the nodes, (b, f20)
    let T = 0;
    for (let i = 0; i <= NQ; i++) {
      const t0 = i === 0 ? a : c + half * NODES[i - 1];
      const t1 = i === NQ ? b : c + half * NODES[i];
      const f0 = iv.f[i === 0 ? 0 : i - 1];
      const f1 = iv.f[i === NQ ? NQ - 1 : i];
      T += 0.5 * (t1 - t0) * (f0 + f1);
    }
    let t = c;
    if (T > 0) {
      const want = (target / mass) * T;
      let cum = 0;
      for (let i = 0; i <= NQ; i++) {
        const t0 = i === 0 ? a : c + half * NODES[i - 1];
        const t1 = i === NQ ? b : c + half * NODES[i];
        const piece = 0.5 * (t1 - t0) * (iv.f[i === 0 ? 0 : i - 1] + iv.f[i === NQ ? NQ - 1 : i]);
        if (cum + piece >= want || i === NQ) {
          t = piece > 0 ? t0 + ((t1 - t0) * (want - cum)) / piece : t0;
          break;
        }
        cum += piece;
      }
    }
    t = Math.min(Math.max(t, a), b);
    let phi = t - a <= b - t ? kronrod(a, t) : mass - kronrod(t, b);
    let lo = a, hi = b;
    const tolF = 1e-14 * mass;
    for (let iter = 0; iter < 100; iter++) {
      const r = phi - target;
      if (Math.abs(r) <= tolF) break;
      if (r > 0) hi = t;
      else lo = t;
      if (hi - lo <= 4 * EPS * Math.max(Math.abs(hi), 1e-300)) break;
      const dens = density(t);
      let next = dens > 0 ? t - r / dens : NaN;
      if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
      if (Math.abs(next - t) <= 0.02 * (b - a)) phi += gauss5(t, next);
      else phi = next - a <= b - next ? kronrod(a, next) : mass - kronrod(next, b);
      t = next;
    }
    return Math.min(Math.max(t, a), b >= 1 ? 1 - EPS : b);
  }
}

// ------------------------------------------------------------------------------------------
// Integer supports
// ------------------------------------------------------------------------------------------

class DiscreteEngine implements Engine {
  readonly support: readonly number[] | undefined;
  /** Exhaustive table: the values with finite V, and V there. */
  private readonly tableValues: Float64Array | undefined;
  private readonly tableV: Float64Array | undefined;

  constructor(
    private readonly name: string,
    private readonly V: (h: number) => number,
    private readonly lo: number,
    private readonly hi: number,
  ) {
    if (Number.isFinite(lo) && Number.isFinite(hi) && hi - lo + 1 <= TABLE_MAX) {
      const values: number[] = [];
      const vs: number[] = [];
      for (let k = lo; k <= hi; k++) {
        const v = V(k);
        if (v === v && v < Infinity) {
          values.push(k);
          vs.push(v);
        }
      }
      if (values.length === 0) throw new RangeError(`${name} unit: the potential is +Infinity at every value of the support`);
      this.tableValues = Float64Array.from(values);
      this.tableV = Float64Array.from(vs);
      this.support = values;
    } else {
      this.support = undefined;
    }
  }

  potential(h: number): number {
    if (!(h >= this.lo && h <= this.hi) || !Number.isInteger(h)) return Infinity;
    const v = this.V(h);
    return v === v ? v : Infinity;
  }

  private g(k: number, x: number): number {
    if (!(k >= this.lo && k <= this.hi)) return -Infinity;
    const r = x * k - this.V(k);
    return r === r ? r : -Infinity;
  }

  stats(x: number): Stats {
    if (x !== x) return NAN_STATS;
    return this.tableValues ? this.table(x) : this.walk(x);
  }

  private table(x: number): Stats {
    const values = this.tableValues!;
    const vs = this.tableV!;
    const n = values.length;
    const gs = new Float64Array(n);
    let gm = -Infinity;
    for (let i = 0; i < n; i++) {
      const r = x * values[i] - vs[i];
      gs[i] = r;
      if (r > gm) gm = r;
    }
    if (gm === Infinity) throw new RangeError(`${this.name} unit: V = -Infinity somewhere; exp(-V) must be bounded`);
    const p = new Float64Array(n);
    let Z = 0;
    for (let i = 0; i < n; i++) {
      p[i] = Math.exp(gs[i] - gm);
      Z += p[i];
    }
    let mean = 0;
    for (let i = 0; i < n; i++) {
      p[i] /= Z;
      mean += p[i] * values[i];
    }
    let variance = 0;
    const cdf = new Float64Array(n);
    let acc = 0;
    for (let i = 0; i < n; i++) {
      const d = values[i] - mean;
      variance += p[i] * d * d;
      acc += p[i];
      cdf[i] = acc;
    }
    const sampler = (rng: Rng): number => {
      const u = rng.uniform() * acc;
      let lo = 0, hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (u < cdf[mid]) hi = mid;
        else lo = mid + 1;
      }
      return values[lo];
    };
    return { logZ: gm + Math.log(Z), mean, variance, sampler };
  }

  private clamp(k: number): number {
    return k < this.lo ? this.lo : k > this.hi ? this.hi : k;
  }

  /**
   * Integer mode of a unimodal g, or the escape direction: `infinite` when g reached +Infinity
   * (a divergent sum), otherwise g still increased at |h| = 2^52, beyond exact integers.
   */
  private mode(x: number): { m: number; gm: number } | { escape: number; infinite: boolean } {
    let k0 = this.clamp(0);
    if (!(this.g(k0, x) > -Infinity)) {
      let found = false;
      for (let i = 0; i < 62 && !found; i++) {
        for (const k of [this.clamp(k0 + 2 ** i), this.clamp(k0 - 2 ** i)]) {
          if (this.g(k, x) > -Infinity) {
            k0 = k;
            found = true;
            break;
          }
        }
      }
      if (!found) throw new RangeError(`${this.name} unit: the potential is +Infinity at every value tried`);
    }
    const g0 = this.g(k0, x);
    let dir = 0;
    if (this.g(k0 + 1, x) > g0) dir = 1;
    else if (this.g(k0 - 1, x) > g0) dir = -1;
    if (dir === 0) return { m: k0, gm: g0 };
    let prev = k0;
    let cur = k0 + dir;
    let gcur = this.g(cur, x);
    let step = 1;
    let L: number, R: number;
    for (;;) {
      if (gcur === Infinity) return { escape: dir, infinite: true };
      step *= 2;
      const next = this.clamp(cur + dir * step);
      if (next === cur) {
        L = Math.min(prev, cur);
        R = Math.max(prev, cur);
        break;
      }
      if (Math.abs(next) > 2 ** 52) return { escape: dir, infinite: false };
      const gn = this.g(next, x);
      if (gn < gcur) {
        L = Math.min(prev, next);
        R = Math.max(prev, next);
        break;
      }
      prev = cur;
      cur = next;
      gcur = gn;
    }
    while (R - L > 3) {
      const third = Math.floor((R - L) / 3);
      const m1 = L + third;
      const m2 = R - third;
      if (this.g(m1, x) < this.g(m2, x)) L = m1 + 1;
      else R = m2;
    }
    let m = L, gm = this.g(L, x);
    for (let k = L + 1; k <= R; k++) {
      const gk = this.g(k, x);
      if (gk > gm) {
        m = k;
        gm = gk;
      }
    }
    return { m, gm };
  }

  private walk(x: number): Stats {
    const found = this.mode(x);
    if ('escape' in found) {
      if (found.infinite) return divergent(found.escape);
      throw new RangeError(
        `${this.name} unit: exp(-V(h) + ${x} h) still increases at h = ${found.escape * 2 ** 52} ` +
          '(it diverges, or is too broad to sum term by term)',
      );
    }
    const { m, gm } = found;
    if (gm === Infinity) throw new RangeError(`${this.name} unit: V(${m}) = -Infinity; exp(-V) must be bounded`);
    // West's weighted one-pass mean and variance of y = k - m
    let W = 1, mu = 0, S = 0;
    const add = (y: number, w: number) => {
      const Wn = W + w;
      const delta = y - mu;
      const r = (delta * w) / Wn;
      mu += r;
      S += W * delta * r;
      W = Wn;
    };
    let count = 0;
    const tooMany = () =>
      new RangeError(
        `${this.name} unit: h | x = ${x} spreads over more than ${MAX_TERMS} integers; too broad to sum term by term`,
      );
    let kmax = m;
    for (let k = m + 1; k <= this.hi; k++) {
      const t = Math.exp(this.g(k, x) - gm);
      add(k - m, t);
      kmax = k;
      if (t < TERM_TOL * W) break;
      if (++count > MAX_TERMS) throw tooMany();
    }
    let kmin = m;
    let Wbelow = 0;
    for (let k = m - 1; k >= this.lo; k--) {
      const t = Math.exp(this.g(k, x) - gm);
      add(k - m, t);
      Wbelow += t;
      kmin = k;
      if (t < TERM_TOL * W) break;
      if (++count > MAX_TERMS) throw tooMany();
    }
    const total = W;
    const sampler = (rng: Rng): number => {
      const r = rng.uniform() * total;
      let cum = Wbelow; // P(h < m) * total
      if (r < cum) {
        for (let k = m - 1; k > kmin; k--) {
          cum -= Math.exp(this.g(k, x) - gm);
          if (r >= cum) return k;
        }
        return kmin;
      }
      for (let k = m; k < kmax; k++) {
        cum += Math.exp(this.g(k, x) - gm);
        if (r < cum) return k;
      }
      return kmax;
    };
    return { logZ: gm + Math.log(total), mean: m + mu, variance: S / W, sampler };
  }
}

// ------------------------------------------------------------------------------------------
// Layer
// ------------------------------------------------------------------------------------------

const engines = new WeakMap<PotentialUnitSpec, Engine>();

function engineFor(spec: PotentialUnitSpec): Engine {
  let engine = engines.get(spec);
  if (engine) return engine;
  const { name, domain, potential } = spec;
  if (typeof potential !== 'function') throw new TypeError(`${name} unit: potential must be a function`);
  if (domain === 'real') engine = new ContinuousEngine(name, potential, -Infinity, Infinity);
  else if (domain === 'nonnegative') engine = new ContinuousEngine(name, potential, 0, Infinity);
  else if (Array.isArray(domain)) {
    const [lo, hi] = domain as readonly [number, number];
    if (!(lo <= hi) || lo === Infinity || hi === -Infinity) {
      throw new RangeError(`${name} unit: domain [${lo}, ${hi}] is not an interval`);
    }
    engine = new ContinuousEngine(name, potential, lo, hi);
  } else if (typeof domain === 'object' && domain !== null && 'integers' in domain) {
    const [lo, hi] = domain.integers;
    const okBound = (b: number) => Number.isInteger(b) || b === Infinity || b === -Infinity;
    if (!okBound(lo) || !okBound(hi) || !(lo <= hi) || lo === Infinity || hi === -Infinity) {
      throw new RangeError(`${name} unit: integer domain [${lo}, ${hi}] must have integer (or infinite) bounds lo <= hi`);
    }
    engine = new DiscreteEngine(name, potential, lo, hi);
  } else {
    throw new RangeError(`${name} unit: unknown domain ${JSON.stringify(domain)}`);
  }
  engines.set(spec, engine);
  return engine;
}

/**
 * A layer of units with a user-given potential: V_j(h) = V(h) - bias_j h, x = input + bias_j.
 * See the file comment for the numerics and for what V must satisfy.
 */
const MOMENT_CACHE_LIMIT = 4096;
const SAMPLER_CACHE_LIMIT = 64;

export class PotentialLayer extends BaseLayer {
  readonly type: string;
  override readonly support: readonly number[] | undefined;
  readonly canSample = true;
  readonly hasPotential = true;
  private readonly bias: Float64Array;
  private readonly engine: Engine;
  /**
   * Results by field x = input + bias, shared by all units of the layer (they depend on x alone).
   * With binary visibles the inputs take few distinct values, so most calls hit. Two bounded maps,
   * each cleared when full: the moments (three numbers per x, up to 4096 fields) and the
   * samplers, whose quadrature meshes are large (up to 64 fields: holding 1024 of them made the
   * garbage collector dominate, 20x slower under jest).
   */
  private readonly momentCache = new Map<number, Stats>();
  private readonly samplerCache = new Map<number, Stats>();
  constructor(
    readonly spec: PotentialUnitSpec,
    size: number,
    params: Partial<Record<string, ArrayLike<number>>> = {},
  ) {
    super(size, resolveParams(spec.name, size, { bias: 0 }, params));
    this.type = spec.name;
    this.bias = this.params.bias;
    this.engine = engineFor(spec);
    this.support = this.engine.support;
  }

  private compute(x: number): Stats {
    const full = this.engine.stats(x);
    if (this.momentCache.size >= MOMENT_CACHE_LIMIT) this.momentCache.clear();
    this.momentCache.set(x, { logZ: full.logZ, mean: full.mean, variance: full.variance, sampler: undefined });
    if (this.samplerCache.size >= SAMPLER_CACHE_LIMIT) this.samplerCache.clear();
    this.samplerCache.set(x, full);
    return full;
  }

  /** logZ, mean and variance at field x (the sampler field may be undefined). */
  private stats(j: number, input: number): Stats {
    const x = input + this.bias[j];
    return this.momentCache.get(x) ?? this.compute(x);
  }

  cumulant(j: number, input: number): number {
    return this.stats(j, input).logZ;
  }
  mean(j: number, input: number): number {
    return this.stats(j, input).mean;
  }
  variance(j: number, input: number): number {
    return this.stats(j, input).variance;
  }
  override sample(j: number, input: number, rng: Rng): number {
    const x = input + this.bias[j];
    const s = this.samplerCache.get(x) ?? this.compute(x);
    if (!s.sampler) {
      throw new RangeError(`${this.type} unit: h | x = ${input + this.bias[j]} is not a proper distribution (Gamma = ${s.logZ})`);
    }
    return s.sampler(rng);
  }
  override potential(j: number, value: number): number {
    const v = this.engine.potential(value);
    return v === Infinity ? Infinity : v - this.bias[j] * value;
  }
  addCumulantGrad(j: number, input: number, scale: number, grads: LayerParams): void {
    grads.bias[j] += scale * this.stats(j, input).mean;
  }
  override addPotentialGrad(j: number, value: number, scale: number, grads: LayerParams): void {
    grads.bias[j] -= scale * value;
  }
  withParams(params: LayerParams): UnitLayer {
    return new PotentialLayer(this.spec, this.size, params);
  }
}

/**
 * A unit type from its potential: `potentialUnit(spec)(size, params?)` builds a layer.
 * Example (quartic units, V = h^4 / 4 on the real line):
 *   const quartic = potentialUnit({ name: 'quartic', potential: h => h ** 4 / 4, domain: 'real' });
 *   const rbm = new RBM(new BernoulliLayer(5), quartic(3), weights);
 */
export function potentialUnit(
  spec: PotentialUnitSpec,
): (size: number, params?: Partial<Record<string, ArrayLike<number>>>) => UnitLayer {
  engineFor(spec); // validate the spec now
  return (size, params) => new PotentialLayer(spec, size, params);
}
