/**
 * A statistical battery for counter-based generators of 22-bit words (core's msf4x22, the random
 * numbers of @rbmlab/gpu's kernels): each test returns p-values, and the suites fail a p-value
 * below P_FAIL = 1e-6.
 *
 * The counters run along one word at a time (axis 0: the unit block, 1: the chain, 2: the sweep,
 * 3: the draw, in @rbmlab/gpu's layout), t = 0 .. n-1, with the other words fixed: so
 * "neighbouring units, chains, sweeps and draws" are neighbouring counters along an axis. For
 * each axis and each of the four output words:
 *   uniform    the top 10 bits, chi-square over 1024 cells
 *   pairs      the top 5 bits of counters t, t + 1 (t even): chi-square over 1024 cells (2-D serial)
 *   triples    the top 4 bits of t, t + 1, t + 2 (t = 0 mod 3): 4096 cells (3-D serial)
 *   lag1       the correlation of the uniforms of counters t and t + 1 (normal approximation)
 *   normal     Box-Muller normals from counters t, t + 1 (t even), each mapped by the normal CDF
 *              into 64 equiprobable cells: chi-square (the use the kernels make of two draws)
 * and for each axis the correlation of words k and k + 1 of one evaluation. Birthday spacings
 * (Marsaglia): 256 birthdays in a year of 2^22 days (one word each), the sorted spacings'
 * repeats counted, approximately Poisson(256^3 / (4 2^22) = 1); 2000 years.
 *
 * Under the null every p-value is uniform (the chi-squares with at least 21 expected per cell, the
 * normal approximations with n >= 2^17), so each fails with probability 1e-6; a battery run has
 * 4 x (4 x 5 + 3) + 2 = 94 of them, a false-failure rate below 1e-4 per run, and the suites fix
 * their keys, so a run passes or fails for good.
 */
import { chiSquareGof } from '../../src/evaluation/goodness-of-fit';
import { normalCdf, normalSurvival } from '../../src/math/special';

export type Words = [number, number, number, number];
export type CounterGenerator = (k0: number, k1: number, c0: number, c1: number, c2: number, c3: number) => Words;

const M = 4194304;

export interface BatteryResult {
  /** Every p-value by name, e.g. "axis 3 word 1 pairs". */
  readonly pValues: Map<string, number>;
  /** The smallest p-value and its name. */
  readonly worst: { name: string; p: number };
}

function chiSquareUniform(counts: ArrayLike<number>): number {
  const probs = new Float64Array(counts.length).fill(1 / counts.length);
  return chiSquareGof(counts, probs).pValue;
}

function correlationPValue(x: Float64Array, y: Float64Array): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let k = 0; k < n; k++) {
    mx += x[k];
    my += y[k];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let k = 0; k < n; k++) {
    sxy += (x[k] - mx) * (y[k] - my);
    sxx += (x[k] - mx) ** 2;
    syy += (y[k] - my) ** 2;
  }
  const r = sxy / Math.sqrt(sxx * syy);
  return 2 * normalSurvival(Math.abs(r) * Math.sqrt(n));
}

/** The words of counters t = 0 .. n-1 along `axis`, the other words `base`: four arrays of n. */
export function wordsAlong(gen: CounterGenerator, key: [number, number], axis: number, base: Words, n: number): Float64Array[] {
  const out = [0, 1, 2, 3].map(() => new Float64Array(n));
  const c: Words = [...base] as Words;
  for (let t = 0; t < n; t++) {
    c[axis] = (base[axis] + t) % M;
    const w = gen(key[0], key[1], c[0], c[1], c[2], c[3]);
    for (let k = 0; k < 4; k++) out[k][t] = w[k];
  }
  return out;
}

/** The tests of one word's sequence (see the file comment). */
export function sequenceTests(w: Float64Array): Record<'uniform' | 'pairs' | 'triples' | 'lag1' | 'normal', number> {
  const n = w.length;
  const uniform = new Float64Array(1024);
  for (let t = 0; t < n; t++) uniform[Math.floor(w[t] / 4096)]++;
  const pairs = new Float64Array(1024);
  for (let t = 0; t + 1 < n; t += 2) pairs[Math.floor(w[t] / 131072) * 32 + Math.floor(w[t + 1] / 131072)]++;
  const triples = new Float64Array(4096);
  for (let t = 0; t + 2 < n; t += 3) triples[Math.floor(w[t] / 262144) * 256 + Math.floor(w[t + 1] / 262144) * 16 + Math.floor(w[t + 2] / 262144)]++;
  const u = Float64Array.from(w, (x) => (x + 1) / M);
  const normal = new Float64Array(64);
  for (let t = 0; t + 1 < n; t += 2) {
    const z = Math.sqrt(-2 * Math.log(u[t])) * Math.cos(2 * Math.PI * u[t + 1]);
    normal[Math.min(63, Math.floor(64 * normalCdf(z)))]++;
  }
  return {
    uniform: chiSquareUniform(uniform),
    pairs: chiSquareUniform(pairs),
    triples: chiSquareUniform(triples),
    lag1: correlationPValue(u.subarray(0, n - 1), u.subarray(1)),
    normal: chiSquareUniform(normal),
  };
}

/**
 * Birthday spacings over one word's sequence: `years` years of 256 birthdays each (consecutive
 * values), repeats among the sorted spacings against Poisson(1) (cells 0 .. 5 and >= 6).
 */
export function birthdaySpacings(w: Float64Array, years: number): number {
  const m = 256;
  if (w.length < years * m) throw new RangeError(`birthdaySpacings: needs ${years * m} values, got ${w.length}`);
  const lambda = m ** 3 / (4 * M);
  const cells = 7;
  const counts = new Float64Array(cells);
  const days = new Float64Array(m);
  const spacings = new Float64Array(m);
  for (let y = 0; y < years; y++) {
    days.set(w.subarray(y * m, (y + 1) * m));
    days.sort();
    spacings[0] = days[0];
    for (let k = 1; k < m; k++) spacings[k] = days[k] - days[k - 1];
    spacings.sort();
    let repeats = 0;
    for (let k = 1; k < m; k++) if (spacings[k] === spacings[k - 1]) repeats++;
    counts[Math.min(cells - 1, repeats)]++;
  }
  const probs = new Float64Array(cells);
  let p = Math.exp(-lambda);
  let total = 0;
  for (let k = 0; k < cells - 1; k++) {
    probs[k] = p;
    total += p;
    p *= lambda / (k + 1);
  }
  probs[cells - 1] = 1 - total;
  return chiSquareGof(counts, probs).pValue;
}

/** The whole battery (see the file comment): n counters per axis. */
export function counterBattery(gen: CounterGenerator, key: [number, number], base: Words, n: number): BatteryResult {
  const pValues = new Map<string, number>();
  for (let axis = 0; axis < 4; axis++) {
    const words = wordsAlong(gen, key, axis, base, n);
    for (let k = 0; k < 4; k++) {
      for (const [name, p] of Object.entries(sequenceTests(words[k]))) pValues.set(`axis ${axis} word ${k} ${name}`, p);
      if (k < 3) pValues.set(`axis ${axis} words ${k} and ${k + 1} correlation`, correlationPValue(words[k], words[k + 1]));
    }
    if (axis === 1 || axis === 3) pValues.set(`axis ${axis} word 0 birthday spacings`, birthdaySpacings(words[0], Math.min(2000, Math.floor(n / 256))));
  }
  let worst = { name: '', p: Infinity };
  for (const [name, p] of pValues) if (!(p >= worst.p)) worst = { name, p };
  return { pValues, worst };
}
