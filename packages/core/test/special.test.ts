/**
 * special.ts against golden values from fixtures/gen_special.py (mpmath, 50 digits, or 700 where
 * the log of 1 + tiny needs them; inputs are exact doubles, references rounded once).
 *
 * Tolerance: |got - want| <= rel * |want| + ABS_FLOOR, with NaN and +-Infinity always failing when
 * the reference is finite. ABS_FLOOR = 1e-310 only matters where the true value is subnormal (the
 * erfc, Phi, phi underflow region), where relative accuracy is impossible in float64.
 * Each `rel` is about 4x the worst error measured on this fixture (given beside it), so a
 * regression of a few ulp anywhere fails.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  chiSquareSurvival,
  erfc,
  erfcx,
  lgamma,
  log1mexp,
  log1pmx,
  logAddExp,
  logChiSquareSurvival,
  logCosh2,
  logErfcx,
  logNormalCdf,
  logNormalSurvival,
  logPoissonPmf,
  logRegularizedGammaQ,
  logSumExp,
  normalCdf,
  normalPdf,
  normalSurvival,
  regularizedGammaP,
  regularizedGammaQ,
  sigmoid,
  softplus,
  truncatedNormalLowerMinusA,
  truncatedNormalMeanStd,
  truncatedNormalVarianceStd,
} from '../src/math/special';

type Table = number[][];
const fixture: Record<string, Table> = JSON.parse(
  fs.readFileSync(path.join(__dirname, 'fixtures', 'special.json'), 'utf8'),
);

const ABS_FLOOR = 1e-310;

/** Worst relative error of fn(row) against row[col]; throws listing the rows beyond rel. */
function checkTable(name: string, rows: Table, fn: (row: number[]) => number, col: number, rel: number, abs = ABS_FLOOR): number {
  expect(rows.length).toBeGreaterThan(0);
  const failures: string[] = [];
  let worst = 0;
  for (const row of rows) {
    const want = row[col];
    const got = fn(row);
    const err = Math.abs(got - want);
    const ok = Number.isFinite(got) && err <= rel * Math.abs(want) + abs;
    if (!ok) failures.push(`${name}(${row.slice(0, col).join(', ')}) = ${got}, want ${want}`);
    else if (want !== 0) worst = Math.max(worst, err / Math.abs(want));
  }
  if (failures.length > 0) {
    throw new Error(`${failures.length} of ${rows.length} outside rel ${rel}:\n${failures.slice(0, 8).join('\n')}`);
  }
  return worst;
}

describe('error functions vs mpmath', () => {
  test('erfcx over [-26, 1e4] incl. 0, subnormal and tiny negatives (max 2.5e-16)', () => {
    const rows = fixture.erfcx;
    expect(Math.min(...rows.map((r) => r[0]))).toBe(-26);
    expect(Math.max(...rows.map((r) => r[0]))).toBe(1e4);
    checkTable('erfcx', rows, (r) => erfcx(r[0]), 1, 1e-15);
  });

  test('erfcx overflows only where the true value does; NaN passes through', () => {
    expect(erfcx(-26.6)).toBeGreaterThan(1e307);
    expect(Number.isFinite(erfcx(-26.6))).toBe(true);
    expect(erfcx(-26.7)).toBe(Infinity);
    expect(erfcx(-1e4)).toBe(Infinity);
    expect(erfcx(Infinity)).toBe(0);
    expect(erfcx(1e300) * 1e300 * Math.sqrt(Math.PI)).toBeCloseTo(1, 14);
    expect(erfcx(NaN)).toBeNaN();
  });

  test('logErfcx over |x| <= 1e4 and beyond (max 3.4e-16)', () => {
    checkTable('logErfcx', fixture.logErfcx, (r) => logErfcx(r[0]), 1, 4e-15);
  });

  test('logErfcx is finite where erfcx overflows or underflows', () => {
    // log erfcx(x) = x^2 + log 2 + log1p(-erfc|x|/2) -> x^2 + log 2 for very negative x.
    expect(logErfcx(-1e4)).toBe(1e8 + Math.LN2);
    expect(logErfcx(-1e150)).toBe(1e150 * 1e150);
    expect(logErfcx(1e300)).toBeCloseTo(-Math.log(1e300) - 0.5 * Math.log(Math.PI), 12);
    expect(logErfcx(Infinity)).toBe(-Infinity);
    expect(logErfcx(-Infinity)).toBe(Infinity);
    expect(logErfcx(NaN)).toBeNaN();
  });

  test('erfc (max 3.2e-16)', () => {
    checkTable('erfc', fixture.erfc, (r) => erfc(r[0]), 1, 2e-15);
    expect(erfc(1e4)).toBe(0);
    expect(erfc(-1e4)).toBe(2);
  });

  test('normalCdf, normalSurvival, normalPdf (max 3.8e-16, 2.7e-16)', () => {
    checkTable('normalCdf', fixture.normalCdf, (r) => normalCdf(r[0]), 1, 4e-15);
    checkTable('normalSurvival', fixture.normalCdf, (r) => normalSurvival(-r[0]), 1, 4e-15);
    checkTable('normalPdf', fixture.normalPdf, (r) => normalPdf(r[0]), 1, 2e-15);
    expect(normalCdf(-1e4)).toBe(0);
    expect(normalCdf(1e4)).toBe(1);
    expect(normalPdf(1e4)).toBe(0);
  });

  test('logNormalCdf down to z = -1e4 and beyond (max 4.2e-16)', () => {
    checkTable('logNormalCdf', fixture.logNormalCdf, (r) => logNormalCdf(r[0]), 1, 5e-15);
    checkTable('logNormalSurvival', fixture.logNormalCdf, (r) => logNormalSurvival(-r[0]), 1, 5e-15);
    expect(Number.isFinite(logNormalCdf(-1e4))).toBe(true);
    expect(Math.abs(logNormalCdf(Infinity))).toBe(0);
    expect(logNormalCdf(-Infinity)).toBe(-Infinity);
  });
});

describe('elementary log-domain functions vs mpmath', () => {
  test('softplus, sigmoid, logCosh2 over |x| <= 1e4 (max 2.1e-16, 2.2e-16, 1.6e-16)', () => {
    checkTable('softplus', fixture.softplus, (r) => softplus(r[0]), 1, 1e-15);
    checkTable('sigmoid', fixture.sigmoid, (r) => sigmoid(r[0]), 1, 1e-15);
    checkTable('logCosh2', fixture.logCosh2, (r) => logCosh2(r[0]), 1, 1e-15);
  });

  test('softplus, sigmoid, logCosh2 at the infinities', () => {
    expect(softplus(Infinity)).toBe(Infinity);
    expect(softplus(-Infinity)).toBe(0);
    expect(sigmoid(Infinity)).toBe(1);
    expect(sigmoid(-Infinity)).toBe(0);
    expect(sigmoid(-1e4)).toBe(0);
    expect(logCosh2(-1e4)).toBe(1e4);
    expect(logCosh2(Infinity)).toBe(Infinity);
  });

  test('logAddExp and logSumExp of pairs (max 1.8e-16)', () => {
    checkTable('logAddExp', fixture.logAddExp, (r) => logAddExp(r[0], r[1]), 2, 1e-15);
    checkTable('logSumExp', fixture.logAddExp, (r) => logSumExp([r[0], r[1]]), 2, 1e-15);
    checkTable('logSumExp', fixture.logAddExp, (r) => logSumExp(new Float64Array([r[1], r[0]])), 2, 1e-15);
  });

  test('logSumExp and logAddExp: infinities, NaN, empty and sub-ranges', () => {
    expect(logSumExp([-Infinity, -Infinity])).toBe(-Infinity);
    expect(logSumExp([])).toBe(-Infinity);
    expect(logSumExp([1, Infinity, -Infinity])).toBe(Infinity);
    expect(logSumExp([1, NaN, Infinity])).toBeNaN();
    expect(logSumExp([-Infinity, 3])).toBe(3);
    expect(logSumExp([1000, 1000, 1000])).toBeCloseTo(1000 + Math.log(3), 12);
    expect(logSumExp([-1e4, -1e4])).toBe(-1e4 + Math.LN2);
    const v = new Float64Array([5, 0, 0, 0, 5]);
    expect(logSumExp(v, 1, 4)).toBeCloseTo(Math.log(3), 15);
    expect(logSumExp(v, 2, 2)).toBe(-Infinity);
    expect(() => logSumExp(v, 3, 6)).toThrow(RangeError);
    expect(logAddExp(-Infinity, -Infinity)).toBe(-Infinity);
    expect(logAddExp(Infinity, 1)).toBe(Infinity);
    expect(logAddExp(Infinity, Infinity)).toBe(Infinity);
    expect(logAddExp(-Infinity, 2.5)).toBe(2.5);
    expect(logAddExp(NaN, 0)).toBeNaN();
    // 1 + 1e-300 and friends: the log1p form keeps the small term.
    expect(logSumExp([0, -690])).toBeCloseTo(Math.exp(-690), 310);
    expect(logSumExp([0, -690]) / Math.exp(-690)).toBeCloseTo(1, 14);
  });

  test('lgamma: relative 8.3e-16 where |lgamma| > 0.1 and 5e-16 near its zeros at 1 and 2', () => {
    const far = fixture.lgamma.filter((r) => Math.abs(r[1]) > 0.1);
    const near = fixture.lgamma.filter((r) => Math.abs(r[1]) <= 0.1);
    expect(near.length).toBeGreaterThan(20);
    checkTable('lgamma', far, (r) => lgamma(r[0]), 1, 3e-15);
    // relative, not absolute: log Gamma(1 + z) is summed without ever rounding 1 + z
    checkTable('lgamma', near, (r) => lgamma(r[0]), 1, 2e-15);
    expect(lgamma(1)).toBe(0);
    expect(lgamma(2)).toBe(0);
    expect(lgamma(3)).toBe(Math.LN2);
  });

  test('lgamma at negative arguments: relative 4.4e-16 where |lgamma| > 0.1, absolute 3e-16 near its zeros', () => {
    const rows = fixture.lgammaNegative;
    expect(Math.min(...rows.map((r) => r[0]))).toBeLessThan(-1e6);
    const far = rows.filter((r) => Math.abs(r[1]) > 0.1);
    const near = rows.filter((r) => Math.abs(r[1]) <= 0.1);
    expect(near.length).toBeGreaterThan(2);
    checkTable('lgamma', far, (r) => lgamma(r[0]), 1, 2e-15);
    checkTable('lgamma', near, (r) => lgamma(r[0]), 1, 0, 1.2e-15);
  });

  test('lgamma: poles, infinities, NaN and overflow only where log Gamma exceeds the float64 range', () => {
    for (const pole of [0, -0, -1, -2, -170, -1e6, -1e300]) expect(lgamma(pole)).toBe(Infinity);
    expect(lgamma(Infinity)).toBe(Infinity);
    expect(lgamma(-Infinity)).toBe(Infinity);
    expect(lgamma(NaN)).toBeNaN();
    // lgamma(x) = x (log x - 1) - (log x)/2 + ... reaches 1.797e308 at x = 2.5563e305
    expect(Number.isFinite(lgamma(2.55e305))).toBe(true);
    expect(lgamma(2.57e305)).toBe(Infinity);
    // Gamma(x) ~ 1/x as x -> 0+: lgamma(5e-324) = -log(5e-324) - gamma * 5e-324
    expect(lgamma(5e-324)).toBe(-Math.log(5e-324));
  });

  test('log1mexp, log1pmx (max 1.4e-16, 3.1e-16)', () => {
    checkTable('log1mexp', fixture.log1mexp, (r) => log1mexp(r[0]), 1, 1e-15);
    checkTable('log1pmx', fixture.log1pmx, (r) => log1pmx(r[0]), 1, 2e-15);
    expect(log1mexp(0)).toBe(-Infinity);
    expect(log1mexp(-1)).toBeNaN();
    expect(log1pmx(0)).toBe(0);
    expect(log1pmx(-1)).toBe(-Infinity);
  });

  test('logPoissonPmf for means 1e-3 .. 1e9 and k up to 30 sd away (max 1.7e-15)', () => {
    checkTable('logPoissonPmf', fixture.logPoissonPmf, (r) => logPoissonPmf(r[0], r[1]), 2, 1e-14);
    expect(logPoissonPmf(0, 0)).toBe(0);
    expect(logPoissonPmf(3, 0)).toBe(-Infinity);
    expect(logPoissonPmf(1.5, 2)).toBeNaN();
  });
});

describe('truncated normal moments (relu unit) vs mpmath, a in [-1e4, 1e4] and up to 1e15', () => {
  const rows = fixture.truncatedNormal;

  test('the fixture spans both regimes and both ends', () => {
    const as = rows.map((r) => r[0]);
    expect(Math.min(...as)).toBe(-1e4);
    expect(as).toContain(1e4);
    expect(as).toContain(2);
    expect(as).toContain(1.9999999999999998);
    expect(as).toContain(5);
  });

  test('mean lam = phi(a)/Q(a) (max 3.8e-16)', () => {
    checkTable('truncatedNormalMeanStd', rows, (r) => truncatedNormalMeanStd(r[0]), 1, 3e-15);
  });

  test('mean excess lam - a (max 8.3e-15, erfcx side below a = 5)', () => {
    checkTable('truncatedNormalLowerMinusA', rows, (r) => truncatedNormalLowerMinusA(r[0]), 2, 5e-14);
  });

  test('variance 1 + a lam - lam^2 (max 1.1e-14, below the switch at a = 2)', () => {
    checkTable('truncatedNormalVarianceStd', rows, (r) => truncatedNormalVarianceStd(r[0]), 3, 1e-13);
  });

  test('continued-fraction side alone (a >= 5 for lam - a, a >= 2 for Var) is within 2e-15', () => {
    const cfMean = rows.filter((r) => r[0] >= 5);
    const cfVar = rows.filter((r) => r[0] >= 2);
    checkTable('truncatedNormalLowerMinusA', cfMean, (r) => truncatedNormalLowerMinusA(r[0]), 2, 1e-15);
    checkTable('truncatedNormalVarianceStd', cfVar, (r) => truncatedNormalVarianceStd(r[0]), 3, 2e-15);
  });

  test('limits and no NaN/Infinity on a dense grid of |a| <= 1e4', () => {
    expect(truncatedNormalMeanStd(-Infinity)).toBe(0);
    expect(truncatedNormalMeanStd(Infinity)).toBe(Infinity);
    expect(truncatedNormalLowerMinusA(Infinity)).toBe(0);
    expect(truncatedNormalLowerMinusA(-Infinity)).toBe(Infinity);
    expect(truncatedNormalVarianceStd(Infinity)).toBe(0);
    expect(truncatedNormalVarianceStd(-Infinity)).toBe(1);
    expect(truncatedNormalMeanStd(NaN)).toBeNaN();
    for (let i = 0; i <= 20000; i++) {
      const a = -1e4 + i;
      const m = truncatedNormalMeanStd(a);
      const d = truncatedNormalLowerMinusA(a);
      const v = truncatedNormalVarianceStd(a);
      if (!(Number.isFinite(m) && d > 0 && Number.isFinite(d) && v > 0 && v <= 1)) {
        throw new Error(`a = ${a}: mean ${m}, excess ${d}, variance ${v}`);
      }
    }
    // Far tail: lam - a = 1/a - 2/a^3 + ..., Var = 1/a^2 - 6/a^4 + ... (a = 1e8, 1e15 are in the fixture).
    expect(truncatedNormalLowerMinusA(1e100)).toBe(1e-100);
    expect(truncatedNormalVarianceStd(1e100)).toBe(1e-100 / 1e100);
    expect(truncatedNormalVarianceStd(1e200)).toBe(0);
  });
});

describe('incomplete gamma and chi-square survival vs mpmath', () => {
  test('chiSquareSurvival for df 1..5000, p from 1 - 1e-10 down to 1e-300 (max 1.2e-13)', () => {
    const rows = fixture.chiSquareSurvival;
    expect(Math.max(...rows.map((r) => r[1]))).toBe(5000);
    expect(Math.min(...rows.map((r) => r[2]))).toBeLessThan(1.1e-300);
    checkTable('chiSquareSurvival', rows, (r) => chiSquareSurvival(r[0], r[1]), 2, 1e-12);
    checkTable('logChiSquareSurvival', rows, (r) => logChiSquareSurvival(r[0], r[1]), 3, 1e-12);
  });

  test('regularizedGammaQ and P incl. small a and x far from a (max 3.6e-14, 6.1e-14)', () => {
    checkTable('regularizedGammaQ', fixture.regularizedGamma, (r) => regularizedGammaQ(r[1], r[0]), 2, 1e-12);
    checkTable('regularizedGammaP', fixture.regularizedGamma, (r) => regularizedGammaP(r[1], r[0]), 3, 1e-12);
  });

  test('closed forms: df = 2 is exp(-x/2); df = 1 is erfc(sqrt(x/2)), also where it underflows', () => {
    for (const x of [1e-3, 0.5, 3, 40, 700, 1400]) {
      expect(chiSquareSurvival(x, 2) / Math.exp(-x / 2)).toBeCloseTo(1, 13);
    }
    for (const x of [1e-6, 0.3, 2, 30, 600]) {
      expect(chiSquareSurvival(x, 1) / erfc(Math.sqrt(x / 2))).toBeCloseTo(1, 12);
    }
    // log Q(1/2, t^2) = log erfc(t) = logErfcx(t) - t^2, at p = e^-50000.
    const t = Math.sqrt(5e4);
    expect(logChiSquareSurvival(1e5, 1) / (logErfcx(t) - t * t)).toBeCloseTo(1, 12);
    expect(chiSquareSurvival(1e5, 1)).toBe(0);
    expect(logRegularizedGammaQ(0.5, 5e4)).toBeLessThan(-5e4);
  });

  test('domain edges', () => {
    expect(chiSquareSurvival(0, 3)).toBe(1);
    expect(chiSquareSurvival(-1, 3)).toBe(1);
    expect(chiSquareSurvival(Infinity, 3)).toBe(0);
    expect(chiSquareSurvival(NaN, 3)).toBeNaN();
    expect(chiSquareSurvival(1, 0)).toBeNaN();
    expect(regularizedGammaQ(-1, 1)).toBeNaN();
    expect(regularizedGammaQ(1, -1)).toBeNaN();
    expect(regularizedGammaQ(2.5, 0)).toBe(1);
    expect(regularizedGammaP(2.5, 0)).toBe(0);
    for (const [a, x] of [[0.5, 0.3], [7, 6], [7, 9], [2500, 2400], [2500, 2600]]) {
      expect(regularizedGammaQ(a, x) + regularizedGammaP(a, x)).toBeCloseTo(1, 14);
    }
  });
});
