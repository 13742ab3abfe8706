/**
 * Special functions in float64 for the cumulant functions, samplers and tests of rbmlab.
 *
 * Every function here is accurate in relative terms over its whole finite range, including
 * arguments of magnitude up to 1e4 (MODELS.md §1: every Gamma must stay finite there), and
 * returns NaN outside its domain rather than throwing (only a bad index range throws).
 * Golden values: test/fixtures/gen_special.py (mpmath, 50 digits or more); the tolerances and
 * the measured worst errors are stated in test/special.test.ts.
 *
 * Conventions: Phi is the standard normal CDF, Q = 1 - Phi its survival function,
 * phi(z) = exp(-z^2/2) / sqrt(2 pi) its density.
 */
import { ERFCX_CHEBYSHEV, ERFCX_EDGES, EULER_GAMMA, ZETA_MINUS_ONE } from './special-tables';

const LN2 = Math.LN2;
const LOG_SQRT_PI = 0.5 * Math.log(Math.PI);
const LOG_2PI = Math.log(2 * Math.PI);
const LOG_PI = Math.log(Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const SQRT1_2 = Math.SQRT1_2;
/** 2^27 + 1: Veltkamp's constant, splits a double into two 26-bit halves whose products are exact. */
const SPLITTER = 134217729;

/**
 * exp(c x^2) for c in {1, -1, -1/2}, with x^2 carried as an exact double-double hi + lo.
 *
 * Rounding x^2 to a double perturbs the exponent by up to x^2 * 2^-53, i.e. a relative error of
 * 7.5e-14 in the result at x^2 = 676 (erfc near its underflow, erfcx near its overflow, Phi at
 * z = -37). With x^2 = hi + lo exactly (Dekker), exp(c hi) * (1 + c lo) is correct to about 1 ulp.
 * c hi is exact because c is 1 or a power of two.
 */
function expScaledSquare(x: number, c: number): number {
  const ax = Math.abs(x);
  const hi = ax * ax;
  // exp(-hi) underflows and exp(hi) overflows long before 1500; the split would overflow for
  // |x| > 1e300, and NaN passes through.
  if (!(hi <= 1500)) return Math.exp(c * hi);
  const t = SPLITTER * ax;
  const xh = t - (t - ax);
  const xl = ax - xh;
  const lo = xh * xh - hi + 2 * xh * xl + xl * xl;
  const e = Math.exp(c * hi);
  // At overflow the correction would be Infinity * (negative) and turn Infinity into NaN.
  return e === Infinity ? e : e + e * (c * lo);
}

// ---------------------------------------------------------------------------------------------
// Error functions

/** 1/sqrt(pi). */
const INV_SQRT_PI = 1 / Math.sqrt(Math.PI);
/** Below this erfcx comes from its Chebyshev series (special-tables.ts), from here on asymptotically. */
const ERFCX_ASYMPTOTIC = 12;

/**
 * erfcx(x) = exp(x^2) erfc(x) for x >= 0 (NaN for NaN).
 * - x < 12: the Chebyshev series of erfcx on its interval of ERFCX_EDGES (coefficients from mpmath,
 *   scripts/gen-special-tables.py), summed by Clenshaw's recurrence b_k = c_k + 2t b_{k+1} - b_{k+2}.
 *   The coefficients' absolute sum is at most 2.4 times the function on each interval, which bounds
 *   the rounding of the sum to a few ulp.
 * - x >= 12: the asymptotic series erfcx(x) = 1/(x sqrt pi) sum_k (-1)^k (2k-1)!! / (2x^2)^k, 13 terms.
 *   It alternates and its terms fall while k < x^2, so the error is below the first omitted term,
 *   25!! / 288^13 = 8e-20 at x = 12. For x > 1e8 only the first term is left (the second is 5e-17).
 * Measured against mpmath (test/fixtures/special.json, 1,250 points of [0, 1e4]): see special.test.ts.
 */
function erfcxNonNegative(x: number): number {
  if (x < ERFCX_ASYMPTOTIC) {
    let i = 1;
    while (x >= ERFCX_EDGES[i]) i++;
    const a = ERFCX_EDGES[i - 1];
    const b = ERFCX_EDGES[i];
    const c = ERFCX_CHEBYSHEV[i - 1];
    const t = (2 * x - a - b) / (b - a);
    let b1 = 0;
    let b2 = 0;
    for (let k = c.length - 1; k >= 1; k--) {
      const b0 = c[k] + 2 * t * b1 - b2;
      b2 = b1;
      b1 = b0;
    }
    return c[0] + t * b1 - b2;
  }
  if (x > 1e8) return INV_SQRT_PI / x; // also x = Infinity: 0
  // sum_{k=0}^{12} (-1)^k (2k-1)!! r^k with r = 1/(2x^2), by Horner from k = 12: term ratio -(2k-1) r.
  const r = 0.5 / (x * x);
  let s = 1;
  for (let k = 12; k >= 1; k--) s = 1 - (2 * k - 1) * r * s;
  return (INV_SQRT_PI / x) * s;
}

/**
 * Scaled complementary error function erfcx(x) = exp(x^2) erfc(x).
 *
 * x >= 0: erfcxNonNegative (Chebyshev series, then the asymptotic series).
 * x < 0: erfcx(x) = 2 exp(x^2) - erfcx(-x), with exp(x^2) from the exact double-double square
 * (exp of the rounded x*x would lose up to 5.7e-14 at x = -25.76). Overflows to +Infinity for
 * x < -26.64 (the true value exceeds the float64 range).
 */
export function erfcx(x: number): number {
  if (x >= 0) return erfcxNonNegative(x);
  if (x < 0) {
    if (x < -26.7) return Infinity;
    return 2 * expScaledSquare(x, 1) - erfcxNonNegative(-x);
  }
  return NaN;
}

/**
 * erf(x) for |x| < 0.5 by its Maclaurin series
 *   erf(x) = 2/sqrt(pi) sum_n (-1)^n x^(2n+1) / (n! (2n+1)),
 * which keeps full relative accuracy as x -> 0 (erfc-based forms lose it there).
 * For |x| < 0.5 the terms fall by more than 4 n each step: at most 14 terms reach 1e-17.
 */
function erfSmall(x: number): number {
  const x2 = x * x;
  let power = x; // (-1)^n x^(2n+1) / n!
  let sum = x;
  for (let n = 1; n < 30; n++) {
    power *= -x2 / n;
    const term = power / (2 * n + 1);
    sum += term;
    if (Math.abs(term) <= 1e-17 * Math.abs(sum)) break;
  }
  return TWO_OVER_SQRT_PI * sum;
}

/**
 * log erfcx(x), finite for every finite x with |x| < 1.3e154 (beyond, x^2 itself overflows).
 *
 * - x >= 0.5: log(erfcx(x)); erfcx <= 0.62 there, so the log is well conditioned.
 *   For x > 1e8, erfcx(x) = 1/(x sqrt(pi)) (1 - 1/(2x^2) + ...) to within 1e-17 relative, and the
 *   log is taken analytically so that erfcx never reaches the subnormal range.
 * - |x| < 0.5: log erfcx(x) = x^2 + log1p(-erf(x)) with erf from its series, which keeps relative
 *   accuracy as log erfcx(x) ~ -2x/sqrt(pi) -> 0.
 * - x <= -0.5: erfcx(x) = exp(x^2) (2 - erfc(|x|)), so
 *   log erfcx(x) = x^2 + log 2 + log1p(-erfc(|x|)/2), with erfc(|x|) = erfcx(|x|) exp(-x^2).
 *   erfcx(x) itself overflows for x < -26.64; this does not.
 */
export function logErfcx(x: number): number {
  if (x >= 0.5) {
    if (x > 1e8) return -Math.log(x) - LOG_SQRT_PI;
    return Math.log(erfcxNonNegative(x));
  }
  if (x > -0.5) return x * x + Math.log1p(-erfSmall(x));
  if (x <= -0.5) {
    const ax = -x;
    const erfcAbs = erfcxNonNegative(ax) * expScaledSquare(ax, -1);
    return ax * ax + LN2 + Math.log1p(-0.5 * erfcAbs);
  }
  return NaN;
}

/**
 * Complementary error function. x >= 0: erfcx(x) exp(-x^2), relative accuracy kept down to the
 * underflow at x = 26.5 (no 1 - erf cancellation); x < 0: erfc(x) = 2 - erfc(-x), which is in
 * [1, 2] and has no cancellation either.
 */
export function erfc(x: number): number {
  if (x >= 0) return erfcxNonNegative(x) * expScaledSquare(x, -1);
  if (x < 0) return 2 - erfcxNonNegative(-x) * expScaledSquare(x, -1);
  return NaN;
}

/**
 * Q(z) = 1 - Phi(z) for z >= 0 as erfcx(z/sqrt 2) exp(-z^2/2) / 2. The exponential is evaluated
 * from z itself (not from the rounded z/sqrt 2, whose square would carry a relative error of
 * z^2 * 2^-53 into the result), and erfcx is insensitive to the rounding of its argument.
 */
function upperTail(z: number): number {
  return 0.5 * erfcxNonNegative(z * SQRT1_2) * expScaledSquare(z, -0.5);
}

/** Standard normal CDF Phi(z), relative accuracy ~1e-15 down to z = -37.5 (below: subnormal/0). */
export function normalCdf(z: number): number {
  if (z < 0) return upperTail(-z);
  if (z >= 0) return 1 - upperTail(z);
  return NaN;
}

/** Standard normal survival function Q(z) = 1 - Phi(z) = Phi(-z). */
export function normalSurvival(z: number): number {
  return normalCdf(-z);
}

/** Standard normal density phi(z) = exp(-z^2/2) / sqrt(2 pi). */
export function normalPdf(z: number): number {
  return INV_SQRT_2PI * expScaledSquare(z, -0.5);
}

/**
 * log Phi(z), finite for all finite z with |z| < 1.8e154.
 * z < 0: Phi(z) = erfcx(-z/sqrt 2) exp(-z^2/2) / 2, so log Phi(z) = -z^2/2 + log erfcx(-z/sqrt 2) - log 2
 *   (all three terms are <= 0: no cancellation; Phi itself underflows below z = -38.5).
 * z >= 0: log Phi(z) = log1p(-Q(z)).
 */
export function logNormalCdf(z: number): number {
  if (z < 0) return -0.5 * z * z + logErfcx(-z * SQRT1_2) - LN2;
  if (z >= 0) return Math.log1p(-upperTail(z));
  return NaN;
}

/** log Q(z) = log(1 - Phi(z)) = log Phi(-z). */
export function logNormalSurvival(z: number): number {
  return logNormalCdf(-z);
}

// ---------------------------------------------------------------------------------------------
// Elementary log-domain helpers

/** softplus(x) = log(1 + e^x) = max(x, 0) + log1p(exp(-|x|)): no overflow, exact tails. */
export function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** Logistic sigmoid 1 / (1 + e^-x); exp is only ever taken of a non-positive number. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** log(2 cosh x) = |x| + log1p(exp(-2|x|)): the cumulant function of a spin unit. */
export function logCosh2(x: number): number {
  const ax = Math.abs(x);
  return ax + Math.log1p(Math.exp(-2 * ax));
}

/**
 * log sum_{i in [start, end)} exp(values[i]) = m + log1p(sum_{i != i*} exp(values[i] - m)),
 * m = values[i*] the maximum. Taking one exp(0) = 1 out of the sum and using log1p keeps the
 * relative accuracy when one term dominates. Empty range or all -Infinity: -Infinity; any
 * +Infinity: +Infinity; any NaN: NaN.
 */
export function logSumExp(values: ArrayLike<number>, start = 0, end = values.length): number {
  if (!(start >= 0 && end <= values.length && start <= end)) {
    throw new RangeError(`logSumExp: range [${start}, ${end}) outside [0, ${values.length})`);
  }
  let m = -Infinity;
  let arg = -1;
  for (let i = start; i < end; i++) {
    const v = values[i];
    if (v !== v) return NaN;
    if (v > m || arg < 0) {
      m = v;
      arg = i;
    }
  }
  if (m === -Infinity || m === Infinity) return m;
  let s = 0;
  for (let i = start; i < end; i++) if (i !== arg) s += Math.exp(values[i] - m);
  return m + Math.log1p(s);
}

/** log(e^a + e^b) = max + log1p(exp(-|a - b|)), with the infinite cases made explicit. */
export function logAddExp(a: number, b: number): number {
  if (a !== a || b !== b) return NaN;
  const m = Math.max(a, b);
  if (m === -Infinity || m === Infinity) return m;
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/**
 * log(1 - exp(-a)) for a >= 0 (Maechler 2012): log(-expm1(-a)) for a <= log 2, where 1 - e^-a is
 * small and expm1 keeps it exact; log1p(-exp(-a)) beyond, where e^-a is small. a = 0: -Infinity.
 */
export function log1mexp(a: number): number {
  if (!(a >= 0)) return NaN;
  return a <= LN2 ? Math.log(-Math.expm1(-a)) : Math.log1p(-Math.exp(-a));
}

/**
 * log1pmx(t) = log(1 + t) - t, without the cancellation of the direct form as t -> 0.
 * With u = t / (2 + t), log(1 + t) = 2 atanh(u) = 2 (u + u^3/3 + u^5/5 + ...) and 2u - t = -t^2/(2 + t),
 * so log1pmx(t) = -t^2/(2 + t) + 2 u^3 (1/3 + u^2/5 + u^4/7 + ...); both parts have the sign of their
 * leading terms, so there is no cancellation. Used for -0.5 <= t <= 1 (|u| <= 1/3: u^2 <= 1/9, so 17
 * terms reach 1e-17); outside, log1p(t) - t loses at most a factor 3 to cancellation.
 */
export function log1pmx(t: number): number {
  if (!(t >= -0.5 && t <= 1)) return Math.log1p(t) - t;
  const u = t / (2 + t);
  const u2 = u * u;
  let power = 1;
  let s = 1 / 3;
  for (let k = 5; k < 60; k += 2) {
    power *= u2;
    const term = power / k;
    s += term;
    if (term <= 1e-17 * s) break;
  }
  return -(t * t) / (2 + t) + 2 * u * u2 * s;
}

/**
 * Stirling remainder stirlerr(a) = lgamma(a) - [(a - 1/2) log a - a + log(2 pi)/2] for a >= 15, by
 * its asymptotic series 1/(12a) - 1/(360a^3) + 1/(1260a^5) - ...; the first omitted term is below
 * 7e-20 at a = 15.
 */
function stirlerr(a: number): number {
  const r = 1 / a;
  const r2 = r * r;
  return (
    r *
    (1 / 12 -
      r2 *
        (1 / 360 -
          r2 *
            (1 / 1260 -
              r2 * (1 / 1680 - r2 * (1 / 1188 - r2 * (691 / 360360 - r2 * (1 / 156)))))))
  );
}

/**
 * log Gamma(1 + z) for |z| <= 1/2 by its Taylor series
 *   log Gamma(1 + z) = -gamma z + sum_{k>=2} (-1)^k zeta(k) z^k / k,
 * with zeta(k) = 1 + (zeta(k) - 1) and the ones summed in closed form,
 * sum_{k>=2} (-1)^k z^k / k = z - log(1 + z) = -log1pmx(z):
 *   log Gamma(1 + z) = -log1pmx(z) - gamma z + sum_{k=2}^{31} (-1)^k (zeta(k) - 1) z^k / k.
 * zeta(k) - 1 ~ 2^-k, so the terms fall like 4^-k. Near z = 0 the value is -gamma z to first order:
 * relative accuracy is kept as log Gamma(1 + z) -> 0 (no 1 + z is ever rounded).
 */
function logGamma1p(z: number): number {
  let s = 0;
  for (let k = ZETA_MINUS_ONE.length + 1; k >= 2; k--) s = ((k & 1 ? -1 : 1) * ZETA_MINUS_ONE[k - 2]) / k + z * s;
  return -log1pmx(z) - EULER_GAMMA * z + z * z * s;
}

/** log((n - 1)!) for n = 1..23, from the exact factorials ((n - 1)! < 2^53 up to n = 19, and 20!..22! are exact doubles too). */
const LOG_FACTORIAL_TABLE: readonly number[] = (() => {
  const out = [0];
  let f = 1;
  for (let n = 1; n <= 22; n++) {
    f *= n;
    out.push(Math.log(f));
  }
  return out;
})();

/**
 * log |Gamma(x)| for every float64 x (+Infinity at the poles 0, -1, -2, ... and at +-Infinity).
 * - x = 1..23 integer: log((x - 1)!) from the exact factorial (lgamma(1) = lgamma(2) = 0 exactly).
 * - 0 < x < 1/2: log Gamma(1 + x) - log x (Gamma(x) = Gamma(1 + x)/x; 1 + x is never formed).
 * - 1/2 <= x < 3/2: logGamma1p(x - 1); x - 1 is exact there (Sterbenz).
 * - 3/2 <= x < 5/2: log1p(z) + logGamma1p(z), z = x - 2 exact (Gamma(2 + z) = (1 + z) Gamma(1 + z)).
 *   Near the zeros at x = 1 and 2 the result keeps relative accuracy.
 * - 5/2 <= x < 15: down to y in [3/2, 5/2) by Gamma(x) = (x-1)(x-2)...(y) Gamma(y) (each y - 1 exact).
 * - x >= 15: Stirling, x (log x - 1) - (log x)/2 + log(2 pi)/2 + stirlerr(x).
 * - x < 0: reflection, |Gamma(x)| = pi / (|sin(pi x)| Gamma(1 - x)), with sin(pi x) from the exact
 *   fractional part of x; near the zeros of log|Gamma| between the poles only absolute accuracy
 *   (~1e-15 times the terms) is possible.
 * Measured against mpmath (test/fixtures/special.json): see special.test.ts.
 */
export function lgamma(x: number): number {
  if (x !== x) return NaN;
  if (x === Infinity || x === -Infinity) return Infinity;
  if (x <= 0) {
    const fraction = x - Math.floor(x);
    if (fraction === 0) return Infinity;
    const s = fraction <= 0.5 ? fraction : 1 - fraction;
    return LOG_PI - Math.log(Math.sin(Math.PI * s)) - lgamma(1 - x);
  }
  if (x < 0.5) return logGamma1p(x) - Math.log(x);
  if (x <= 23 && x === Math.floor(x)) return LOG_FACTORIAL_TABLE[x - 1];
  if (x < 1.5) return logGamma1p(x - 1);
  if (x < 2.5) {
    const z = x - 2;
    return Math.log1p(z) + logGamma1p(z);
  }
  if (x < STIRLING_MIN) {
    let y = x;
    let product = 1;
    while (y >= 2.5) {
      y -= 1;
      product *= y;
    }
    const z = y - 2;
    return Math.log(product) + Math.log1p(z) + logGamma1p(z);
  }
  // x (log x - 1) rather than (x - 1/2) log x - x: the product cannot overflow before the result
  // does (at x = 2.56e305).
  const logX = Math.log(x);
  return x * (logX - 1) - 0.5 * logX + 0.5 * LOG_2PI + stirlerr(x);
}

/**
 * a log(x/a) - (x - a) = a log1pmx((x - a)/a) for a > 0, x >= 0.
 * Near x = a the two terms cancel and log1pmx carries the difference; for x/a outside [1/2, 2] the
 * direct form is used, because there (x - a)/a approaches -1 (log1p then amplifies its rounding) or
 * grows, while log(x/a) is accurate to an ulp.
 */
function scaledLog1pmx(a: number, x: number): number {
  const r = x / a;
  if (r >= 0.5 && r <= 2) return a * log1pmx((x - a) / a);
  return a * Math.log(r) - (x - a);
}

/** Below this, lgamma is used directly; above, the Stirling series (see stirlerr). */
const STIRLING_MIN = 15;

/**
 * log Poisson pmf, k log(mean) - mean - lgamma(k + 1), for integer k >= 0 and mean >= 0.
 * For k >= 15 the three large terms cancel (to O(log k)); writing lgamma(k+1) by Stirling gives the
 * cancellation-free form  k log(mean/k) - (mean - k) - log(2 pi k)/2 - stirlerr(k)  (Loader 2000),
 * the first two terms by scaledLog1pmx.
 */
export function logPoissonPmf(k: number, mean: number): number {
  if (!(mean >= 0) || !(k >= 0) || k !== Math.floor(k)) return NaN;
  if (mean === Infinity) return -Infinity;
  if (k === 0) return 0 - mean; // +0 rather than -0 at mean = 0
  if (mean === 0) return -Infinity;
  if (k < STIRLING_MIN) return k * Math.log(mean) - mean - lgamma(k + 1);
  return scaledLog1pmx(k, mean) - 0.5 * (LOG_2PI + Math.log(k)) - stirlerr(k);
}

// ---------------------------------------------------------------------------------------------
// Truncated normal (rectified-Gaussian unit) moments

/**
 * Switch points between the erfcx formulas and the Laplace continued fraction, by measurement
 * against mpmath (worst relative error over each interval):
 * - lam and lam - a (the hot path: the relu activation): erfcx is cheap (~30 ns) and lam from it is
 *   within 6e-16 for every a >= 0; lam - a then cancels, losing ~a^2 eps: 3.7e-15 on [1, 2),
 *   5.8e-15 on [2, 3), 9.9e-15 on [4, 5), 1.9e-14 on [5, 6), 1.7e-13 on [20, 21). Switch at a = 5,
 *   where the continued fraction needs only depth 32.
 * - Var = 1 - lam (lam - a) cancels harder: 8.5e-15 on [0, 1), 2.9e-14 on [1, 2), 8.3e-14 on [2, 3),
 *   2.9e-13 on [4, 5), 7e-11 on [20, 21). Switch at a = 2.
 * With the depths of laplaceTailF the continued fraction is within 5e-16 (lam, lam - a, Var) for all
 * a >= 2.
 */
const TRUNC_MEAN_CF_SWITCH = 5;
const TRUNC_VAR_CF_SWITCH = 2;

/**
 * Backward evaluation of the Laplace continued fraction of the inverse Mills ratio,
 *   lam(a) - a = C_1,   C_k = k / (a + C_{k+1}),
 * (Q(a)/phi(a) = 1/(a + 1/(a + 2/(a + 3/(a + ...))))), returning C_3 so that callers form
 * E = C_2 = 2/(a + F), D = C_1 = 1/(a + E) from F = C_3.
 * The tail starts from the fixed point of C = k/(a + C) at k = K + 1,
 * C_{K+1} ~ (sqrt(a^2 + 4(K+1)) - a)/2 = 2(K+1)/(a + sqrt(a^2 + 4(K+1))), which cuts the depth needed
 * by about a third against starting from 0. Depth K by measurement (worst relative error of Var
 * against mpmath): K = 96 on [2, 3) (3.2e-16; 64 leaves 4.3e-14), 48 on [3, 5) (4.2e-16; 32 leaves
 * 3.1e-13), 32 from 5 on (4.8e-16; 24 already reaches it, 16 leaves 1.5e-12).
 * The loop is latency-bound (one division per level): ~0.15 us at depth 32, ~0.6 us at depth 96.
 */
function laplaceTailF(a: number): number {
  const depth = a >= 5 ? 32 : a >= 3 ? 48 : 96;
  const k1 = depth + 1;
  let c = (2 * k1) / (a + Math.sqrt(a * a + 4 * k1)); // a*a may overflow for a > 1e154: c = 0 then
  for (let k = depth; k >= 3; k--) c = k / (a + c);
  return c;
}

/**
 * Mean of a standard normal Y truncated to Y >= a: lam(a) = E[Y | Y >= a] = phi(a) / Q(a)
 * (the inverse Mills ratio). Relative error < 1e-15 for all a (measured max 6.6e-16).
 * - a < 0: phi(a) / (1 - Phi(a)), with Phi(a) = erfcx(|a|/sqrt 2) exp(-a^2/2)/2 and exp from the exact
 *   square: the erfcx(a/sqrt 2) form would amplify the rounding of a/sqrt 2 by a^2 (1e-13 at a = -30)
 *   and overflows below a = -37.7, whereas this tends to phi(a) through the subnormal range to 0.
 * - 0 <= a < 5: lam = sqrt(2/pi) / erfcx(a/sqrt 2)  (Q(a) = erfcx(a/sqrt 2) exp(-a^2/2) / 2).
 * - a >= 5: a + C_1 from the continued fraction.
 */
export function truncatedNormalMeanStd(a: number): number {
  if (a >= TRUNC_MEAN_CF_SWITCH) {
    if (a === Infinity) return Infinity;
    return a + truncatedNormalLowerMinusA(a);
  }
  if (a >= 0) return SQRT_2_OVER_PI / erfcxNonNegative(a * SQRT1_2);
  if (a < 0) {
    const e = expScaledSquare(a, -0.5);
    return (INV_SQRT_2PI * e) / (1 - 0.5 * erfcxNonNegative(-a * SQRT1_2) * e);
  }
  return NaN;
}

/** D = C_1 = lam - a, E = C_2, F = C_3 of the continued fraction at a >= 2. */
function laplaceCoefficients(a: number): { d: number; e: number; f: number } {
  const f = laplaceTailF(a);
  const e = 2 / (a + f);
  return { d: 1 / (a + e), e, f };
}

/**
 * lam(a) - a = E[Y - a | Y >= a] >= 0, the mean excess over the truncation point. For large a,
 * lam ~ a + 1/a, so lam - a cancels catastrophically; for a >= 5 it is the continued fraction's
 * C_1 = 1/(a + C_2) directly (~1/a, relative error < 3e-16). For a < 5, lam - a from the erfcx lam
 * (cancellation of at most a factor ~a^2: measured max 1.3e-14, on [2, 5)).
 */
export function truncatedNormalLowerMinusA(a: number): number {
  if (a >= TRUNC_MEAN_CF_SWITCH) {
    if (a === Infinity) return 0;
    return laplaceCoefficients(a).d;
  }
  if (a === -Infinity) return Infinity;
  return truncatedNormalMeanStd(a) - a;
}

/**
 * Var[Y | Y >= a] = 1 + a lam - lam^2 = 1 - lam (lam - a), in [0, 1].
 * - a < 2: 1 - lam D with D = lam - a; for a < 0, lam is small and there is no cancellation; for
 *   0 <= a < 2 the cancellation costs at most a factor ~9 (measured error < 3e-14).
 * - a >= 2: Var ~ 1/a^2, so 1 - lam D would lose a^2 eps. With D = 1/(a + E), E = 2/(a + F):
 *     1 - (a + D) D = ((a + E) E - 1)/(a + E)^2 = (a + 2E - F)/((a + F)(a + E)^2),
 *   exact algebra with no cancellation (a + 2E - F > 0 as F < 2E). Divided in steps so that
 *   (a + E)^2 cannot overflow for huge a.
 */
export function truncatedNormalVarianceStd(a: number): number {
  if (a >= TRUNC_VAR_CF_SWITCH) {
    if (a === Infinity) return 0;
    const { e, f } = laplaceCoefficients(a);
    const ae = a + e;
    return (a + 2 * e - f) / (a + f) / ae / ae;
  }
  if (a === -Infinity) return 1;
  const lam = truncatedNormalMeanStd(a);
  return 1 - lam * (lam - a);
}

// ---------------------------------------------------------------------------------------------
// Incomplete gamma and chi-square

const GAMMA_EPS = 1e-16;
const GAMMA_MAX_ITER = 100000;
/** Lentz's guard against a zero denominator. */
const FPMIN = 1e-300;

/**
 * log(x^a e^-x / Gamma(a)), the prefactor of both the series and the continued fraction.
 * For a >= 15 the terms a log x, x and lgamma(a) cancel to O(log a); by Stirling the prefactor is
 *   a log(x/a) - (x - a) + log(a / (2 pi))/2 - stirlerr(a)   (first two terms: scaledLog1pmx),
 * whose error is a few ulp of the result instead of a few ulp of a log x (1e-12 at a = 2500).
 */
function logGammaPrefactor(a: number, x: number): number {
  if (a < STIRLING_MIN) return a * Math.log(x) - x - lgamma(a);
  return scaledLog1pmx(a, x) + 0.5 * Math.log(a / (2 * Math.PI)) - stirlerr(a);
}

/** log P(a, x) by the series P = prefactor * sum_n x^n / (a (a+1) ... (a+n)); for x < a + 1. */
function logGammaPSeries(a: number, x: number): number {
  let ap = a;
  let term = 1 / a;
  let sum = term;
  for (let n = 0; n < GAMMA_MAX_ITER; n++) {
    ap += 1;
    term *= x / ap;
    sum += term;
    if (term < sum * GAMMA_EPS) return logGammaPrefactor(a, x) + Math.log(sum);
  }
  throw new Error(`regularizedGamma: series did not converge for a = ${a}, x = ${x}`);
}

/**
 * log Q(a, x) by the Legendre continued fraction
 *   Q = prefactor * 1/(x + 1 - a - 1(1 - a)/(x + 3 - a - 2(2 - a)/(x + 5 - a - ...))),
 * evaluated forward by the modified Lentz method (Numerical Recipes gcf); for x >= a + 1.
 */
function logGammaQContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / FPMIN;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < GAMMA_MAX_ITER; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = b + an / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < GAMMA_EPS) return logGammaPrefactor(a, x) + Math.log(h);
  }
  throw new Error(`regularizedGamma: continued fraction did not converge for a = ${a}, x = ${x}`);
}

/**
 * log Q(a, x), Q(a, x) = Gamma(a, x) / Gamma(a) the regularized upper incomplete gamma function.
 * Finite far below the float64 range of Q itself. For x < a + 1, Q = 1 - P with P from the series:
 * there Q >= Q(a, a + 1), which is 0.083 at a = 1/2 (chi-square df = 1) and tends to 1/2 as a grows,
 * so 1 - P costs at most a factor 12 of eps (for a << 1/2, Q(a, a + 1) ~ a E1(1) and the relative
 * error grows like eps / a). Otherwise the continued fraction gives log Q directly.
 * NaN for a <= 0 or x < 0.
 */
export function logRegularizedGammaQ(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0) || a === Infinity) return NaN;
  if (x === 0) return 0;
  if (x === Infinity) return -Infinity;
  if (x < a + 1) return Math.log1p(-Math.exp(logGammaPSeries(a, x)));
  return logGammaQContinuedFraction(a, x);
}

/** Q(a, x) = Gamma(a, x) / Gamma(a) (regularized upper incomplete gamma); see logRegularizedGammaQ. */
export function regularizedGammaQ(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0) || a === Infinity) return NaN;
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  if (x < a + 1) return -Math.expm1(logGammaPSeries(a, x));
  return Math.exp(logGammaQContinuedFraction(a, x));
}

/** P(a, x) = 1 - Q(a, x) (regularized lower incomplete gamma), accurate where it is small. */
export function regularizedGammaP(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0) || a === Infinity) return NaN;
  if (x === 0) return 0;
  if (x === Infinity) return 1;
  if (x < a + 1) return Math.exp(logGammaPSeries(a, x));
  return -Math.expm1(logGammaQContinuedFraction(a, x));
}

/**
 * Chi-square survival function P(X >= x) for X ~ chi^2(df): Q(df/2, x/2). Relative error
 * < 1e-10 required for df up to 5000 and p-values down to 1e-300; measured max 1.2e-13 there
 * (1e-13 is the rounding of (x - a)/a times the a ~ 2500 that multiplies it). x <= 0 gives 1.
 */
export function chiSquareSurvival(x: number, df: number): number {
  if (!(df > 0) || x !== x) return NaN;
  if (x <= 0) return 1;
  return regularizedGammaQ(0.5 * df, 0.5 * x);
}

/** log of chiSquareSurvival, finite where the p-value itself underflows. */
export function logChiSquareSurvival(x: number, df: number): number {
  if (!(df > 0) || x !== x) return NaN;
  if (x <= 0) return 0;
  return logRegularizedGammaQ(0.5 * df, 0.5 * x);
}
