/**
 * Node 20's elementary functions, for the lab's worker. rbmlab's float64 code calls Math.exp,
 * Math.log, Math.log1p, Math.expm1 and Math.tanh; the page's engine rounds them differently from
 * Node 20's V8 (Chromium 156 against Node 20.20, 20,000 arguments each: Math.exp differed in 1,949,
 * Math.log in 992; docs/LAB.md), so the same study would give other last bits, and over 100 PCD
 * epochs other trajectories (the quickstart's overlaps then differed by up to 0.25%). Node 20's V8
 * computes them with FreeBSD msun's algorithms (V8's base/ieee754.cc); these are the same
 * algorithms in plain float64 arithmetic, which every engine evaluates to the same bits:
 * msun's e_exp.c and s_tanh.c ported below, and @stdlib's ports of msun's log, log1p and expm1.
 * packages/experiments/test/lab-math.test.ts checks each against Node's Math to the bit on
 * millions of arguments. installNodeMath() puts them on the worker's Math before any rbmlab code
 * runs; nothing else in the page is affected.
 *
 * exp and tanh follow Sun Microsystems' fdlibm (e_exp.c, s_tanh.c; Copyright (C) 1993 by Sun
 * Microsystems, Inc.: "Permission to use, copy, modify, and distribute this software is freely
 * granted, provided that this notice is preserved"), whose constants they use.
 */
import stdlibExpm1 from '@stdlib/math-base-special-expm1';
import ln from '@stdlib/math-base-special-ln';
import log1p from '@stdlib/math-base-special-log1p';

const TINY = 1e-300;

/** msun's overflow threshold of expm1, ln(DBL_MAX) rounded: msun overflows above it, @stdlib at it. */
const EXPM1_OVERFLOW = 7.09782712893383973096e2;

// the words of a float64, for msun's high-word tests and for building 2^k
const WORDS = new DataView(new ArrayBuffer(8));
function highWord(x: number): number {
  WORDS.setFloat64(0, x);
  return WORDS.getUint32(0);
}
function fromHighWord(high: number): number {
  WORDS.setUint32(0, high >>> 0);
  WORDS.setUint32(4, 0);
  return WORDS.getFloat64(0);
}

const LN2_HI = 6.9314718036912381649e-1;
const LN2_LO = 1.90821492927058770002e-10;
const INV_LN2 = 1.442695040888963387;
const P1 = 1.66666666666666019037e-1;
const P2 = -2.77777777770155933842e-3;
const P3 = 6.61375632143793436117e-5;
const P4 = -1.65339022054652515390e-6;
const P5 = 4.13813679705723846039e-8;
const TWO_M1000 = 9.33263618503218878990e-302;
const EXP_OVERFLOW = 7.09782712893383973096e2;
const EXP_UNDERFLOW = -7.45133219101941108420e2;

/**
 * exp as FreeBSD msun's e_exp.c computes it, with V8's one change (base/ieee754.cc: exp(1) returns
 * the float64 nearest e, which the reduction below would miss by one ulp): x = k ln2 + r with
 * |r| <= ln2 / 2, exp(r) by a Remez rational form, scaled by 2^k built from its bits.
 */
export function exp(x: number): number {
  let hx = highWord(x);
  const negative = hx >>> 31;
  hx &= 0x7fffffff;
  if (hx >= 0x40862e42) {
    // |x| >= 709.78...: NaN, infinities, overflow, underflow
    if (hx >= 0x7ff00000) return Number.isNaN(x) ? x : negative === 0 ? x : 0;
    if (x > EXP_OVERFLOW) return Infinity;
    if (x < EXP_UNDERFLOW) return 0;
  }
  let hi = 0;
  let lo = 0;
  let k = 0;
  if (hx > 0x3fd62e42) {
    // |x| > ln2 / 2
    if (hx < 0x3ff0a2b2) {
      // |x| < 1.5 ln2
      if (x === 1) return 2.718281828459045;
      hi = negative === 0 ? x - LN2_HI : x + LN2_HI;
      lo = negative === 0 ? LN2_LO : -LN2_LO;
      k = negative === 0 ? 1 : -1;
    } else {
      k = Math.trunc(INV_LN2 * x + (negative === 0 ? 0.5 : -0.5));
      hi = x - k * LN2_HI;
      lo = k * LN2_LO;
    }
    x = hi - lo;
  } else if (hx < 0x3e300000) {
    // |x| < 2^-28
    return 1 + x;
  }
  const t = x * x;
  const twopk = k >= -1021 ? fromHighWord(0x3ff00000 + k * 0x100000) : fromHighWord(0x3ff00000 + (k + 1000) * 0x100000);
  const c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k === 0) return 1 - ((x * c) / (c - 2) - x);
  const y = 1 - (lo - (x * c) / (2 - c) - hi);
  if (k >= -1021) {
    if (k === 1024) return y * 2 * 8.98846567431158e307;
    return y * twopk;
  }
  return y * twopk * TWO_M1000;
}

/** expm1 as msun and Node 20's V8, which return DBL_MAX (not Infinity) at the overflow threshold itself. */
export function expm1(x: number): number {
  return x === EXPM1_OVERFLOW ? 1.7976931348622732e308 : stdlibExpm1(x);
}
const HUGE = 1e300;

/** tanh as FreeBSD msun's s_tanh.c (V8's ieee754::tanh) computes it, on msun's expm1. */
export function tanh(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return 1;
  if (x === -Infinity) return -1;
  const ax = Math.abs(x);
  let z: number;
  if (ax < 22) {
    // |x| < 2^-28: tanh(x) = x (the high word test of msun, ix < 0x3e300000)
    if (ax < 2 ** -28) {
      if (HUGE + x > 1) return x;
    }
    if (ax >= 1) {
      const t = expm1(2 * ax);
      z = 1 - 2 / (t + 2);
    } else {
      const t = expm1(-2 * ax);
      z = -t / (t + 2);
    }
  } else {
    // |x| >= 22: +-1 (1 - tiny rounds to 1)
    z = 1 - TINY;
  }
  return x >= 0 ? z : -z;
}

/** The functions installNodeMath puts on Math. */
export const NODE_MATH = { exp, log: ln, log1p, expm1, tanh } as const;

/** Replaces Math.exp, log, log1p, expm1 and tanh of this realm (the lab's worker) with NODE_MATH. */
export function installNodeMath(): void {
  Object.assign(Math, NODE_MATH);
}
