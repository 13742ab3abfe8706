/**
 * Seeded streams: reproducibility, split independence, state round trips, uniformity.
 *
 * Statistical checks are seeded, so their outcome is fixed; the false-failure rate stated with each
 * is the probability that a correct generator fails it for a seed drawn at random.
 */
import { chiSquareSurvival } from '../src/math/special';
import { createRng, restoreRng, RNG_ALGORITHM, type Rng, type RngState } from '../src/random/rng';

function draw(rng: Rng, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(rng.uniform());
  return out;
}

/** Pearson chi-square p-value of counts against equal expected counts. */
function uniformCountsPValue(counts: ArrayLike<number>, n: number): number {
  const k = counts.length;
  const expected = n / k;
  let stat = 0;
  for (let i = 0; i < k; i++) stat += (counts[i] - expected) ** 2 / expected;
  return chiSquareSurvival(stat, k - 1);
}

describe('createRng', () => {
  test('same seed, same sequence; the seed is the stream name', () => {
    expect(draw(createRng(42), 1000)).toEqual(draw(createRng(42), 1000));
    expect(draw(createRng('run-7'), 1000)).toEqual(draw(createRng('run-7'), 1000));
    // A number seed is its decimal string: 42 and "42" are the same stream.
    expect(draw(createRng(42), 10)).toEqual(draw(createRng('42'), 10));
    expect(createRng(42).seed).toBe('42');
    expect(createRng(1.5).seed).toBe('1.5');
  });

  test('different seeds give different sequences', () => {
    const seqs = [0, 1, 2, 42, 43, 'a', 'b', 'ab', 'ba'].map((s) => draw(createRng(s), 8).join(','));
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  test('seed 0 is a seed; undefined, null and non-finite numbers are errors', () => {
    const r = createRng(0);
    expect(r.seed).toBe('0');
    expect(draw(r, 5)).toEqual(draw(createRng(0), 5));
    expect(draw(createRng(-0), 5)).toEqual(draw(createRng(0), 5));
    expect(() => createRng(undefined as unknown as number)).toThrow(TypeError);
    expect(() => createRng(null as unknown as number)).toThrow(TypeError);
    expect(() => createRng(NaN)).toThrow(RangeError);
    expect(() => createRng(Infinity)).toThrow(RangeError);
  });

  test('uniform is in [0, 1), uniformOpen in (0, 1); fillUniform fills [start, end) only', () => {
    const r = createRng(5);
    for (let i = 0; i < 100000; i++) {
      const u = r.uniform();
      const v = r.uniformOpen();
      if (!(u >= 0 && u < 1 && v > 0 && v < 1)) throw new Error(`draw ${i}: ${u}, ${v}`);
    }
    const a = new Float64Array(10).fill(-1);
    r.fillUniform(a, 2, 7);
    expect(Array.from(a.subarray(0, 2))).toEqual([-1, -1]);
    expect(Array.from(a.subarray(7))).toEqual([-1, -1, -1]);
    for (let i = 2; i < 7; i++) expect(a[i] >= 0 && a[i] < 1).toBe(true);
    expect(() => r.fillUniform(a, 5, 11)).toThrow(RangeError);
    // float32: 24-bit uniforms, so no value rounds up to 1.
    const f = new Float32Array(200000);
    r.fillUniform(f);
    let max = 0;
    for (let i = 0; i < f.length; i++) max = Math.max(max, f[i]);
    expect(max).toBeLessThan(1);
    expect(max).toBeGreaterThan(0.9999);
  });

  test('fillUniform into a Float64Array gives the same numbers as repeated uniform()', () => {
    const a = new Float64Array(100);
    createRng(9).fillUniform(a);
    expect(Array.from(a)).toEqual(draw(createRng(9), 100));
  });

  test('53 random bits: u * 2^53 is an integer and the low bits vary', () => {
    const r = createRng(11);
    let lowBitsSet = 0;
    for (let i = 0; i < 1000; i++) {
      const k = r.uniform() * 2 ** 53;
      expect(Number.isInteger(k)).toBe(true);
      if (k % 2 === 1) lowBitsSet++;
    }
    // Binomial(1000, 1/2): 500 +- 16; outside [400, 600] has probability 2.7e-10.
    expect(lowBitsSet).toBeGreaterThan(400);
    expect(lowBitsSet).toBeLessThan(600);
  });

  test('chi-square uniformity: 1e5 draws into 100 bins (false-failure rate 1e-6)', () => {
    // Under uniformity the statistic is chi^2(99) (expected 1000 per bin), so p < 1e-6 happens
    // with probability 1e-6 for a seed chosen at random.
    const r = createRng(20240611);
    const n = 100000;
    const counts = new Float64Array(100);
    for (let i = 0; i < n; i++) counts[Math.floor(r.uniform() * 100)]++;
    expect(uniformCountsPValue(counts, n)).toBeGreaterThan(1e-6);
  });

  test('the uniformity check has power: it rejects u^1.05 (a 5% distortion)', () => {
    // Density of u^1.05 is 1 - 0.05 (1 + log y) + O(0.05^2): noncentrality n * 0.05^2 * 1 = 250,
    // so p < 1e-6 for almost every seed.
    const r = createRng(20240611);
    const n = 100000;
    const counts = new Float64Array(100);
    for (let i = 0; i < n; i++) counts[Math.floor(r.uniform() ** 1.05 * 100)]++;
    expect(uniformCountsPValue(counts, n)).toBeLessThan(1e-6);
  });

  test('int(n) is uniform on [0, n), including n > 2^32 (false-failure rate 1e-6)', () => {
    const r = createRng(3);
    const n = 70000;
    const counts = new Float64Array(7);
    for (let i = 0; i < n; i++) counts[r.int(7)]++;
    expect(uniformCountsPValue(counts, n)).toBeGreaterThan(1e-6);
    const big = 3 * 2 ** 40 + 1;
    const bigCounts = new Float64Array(10);
    for (let i = 0; i < n; i++) {
      const k = r.int(big);
      if (!(Number.isInteger(k) && k >= 0 && k < big)) throw new Error(`int(${big}) = ${k}`);
      bigCounts[Math.floor((k / big) * 10)]++;
    }
    expect(uniformCountsPValue(bigCounts, n)).toBeGreaterThan(1e-6);
    expect(r.int(1)).toBe(0);
    expect(() => r.int(0)).toThrow(RangeError);
    expect(() => r.int(2.5)).toThrow(RangeError);
    expect(() => r.int(2 ** 53 + 2)).toThrow(RangeError);
  });
});

describe('split', () => {
  test('children are named by path and equal the stream of that seed', () => {
    const root = createRng(42);
    const child = root.split('gibbs').split('chain');
    expect(child.seed).toBe('42/gibbs/chain');
    expect(draw(child, 20)).toEqual(draw(createRng('42/gibbs/chain'), 20));
  });

  test('a child does not depend on how many numbers the parent drew, nor on sibling order', () => {
    const fresh = createRng(42);
    const a1 = draw(fresh.split('a'), 50);
    const b1 = draw(fresh.split('b'), 50);
    const used = createRng(42);
    draw(used, 12345);
    const b2 = draw(used.split('b'), 50);
    draw(used, 7);
    const a2 = draw(used.split('a'), 50);
    expect(a2).toEqual(a1);
    expect(b2).toEqual(b1);
    // Splitting does not advance the parent either.
    const p1 = createRng(8);
    const p2 = createRng(8);
    p2.split('x');
    expect(draw(p2, 10)).toEqual(draw(p1, 10));
  });

  test('children differ from the parent and from each other', () => {
    const root = createRng(1);
    const seqs = [root, root.split('a'), root.split('b'), root.split('a').split('a'), root.split('0')].map((r) =>
      draw(r, 8).join(','),
    );
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  test('sibling streams are uncorrelated (false-failure rate 5.7e-7)', () => {
    // Sample correlation of 1e5 pairs of independent uniforms: sd 1/sqrt(n); |z| > 5 has probability 5.7e-7.
    const n = 100000;
    const names = ['0', '1', '2'];
    const streams = names.map((s) => createRng(99).split(s));
    const xs = streams.map((r) => draw(r, n));
    for (let i = 0; i < xs.length; i++) {
      for (let j = i + 1; j < xs.length; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += (xs[i][k] - 0.5) * (xs[j][k] - 0.5);
        const r = s / n / (1 / 12);
        expect(Math.abs(r * Math.sqrt(n))).toBeLessThan(5);
      }
    }
  });

  test('invalid child names are rejected', () => {
    const r = createRng(1);
    expect(() => r.split('')).toThrow(RangeError);
    expect(() => r.split('a/b')).toThrow(RangeError);
  });
});

describe('getState / restoreRng', () => {
  test('restoring a snapshot replays exactly the same numbers', () => {
    const r = createRng('ckpt');
    draw(r, 777);
    const snap = r.getState();
    const ahead = draw(r, 1000);
    const ints = [r.int(10), r.int(2 ** 40)];
    const replay = restoreRng(snap);
    expect(draw(replay, 1000)).toEqual(ahead);
    expect([replay.int(10), replay.int(2 ** 40)]).toEqual(ints);
    expect(replay.seed).toBe('ckpt');
  });

  test('the snapshot is JSON data and survives stringify/parse', () => {
    const r = createRng(0);
    draw(r, 100);
    const snap = r.getState();
    expect(snap.algorithm).toBe(RNG_ALGORITHM);
    const parsed = JSON.parse(JSON.stringify(snap)) as RngState;
    expect(parsed).toEqual(snap);
    const ahead = draw(r, 500);
    expect(draw(restoreRng(parsed), 500)).toEqual(ahead);
  });

  test('the snapshot is not aliased to the live generator', () => {
    const r = createRng(2);
    const snap = r.getState();
    const text = JSON.stringify(snap);
    draw(r, 300);
    expect(JSON.stringify(snap)).toBe(text);
    // Restoring twice from one snapshot gives two identical, independent streams.
    const x = restoreRng(snap);
    const y = restoreRng(snap);
    expect(draw(x, 50)).toEqual(draw(y, 50));
  });

  test('a restored stream splits into the same children (children depend on the seed path only)', () => {
    const r = createRng(4);
    draw(r, 10);
    const restored = restoreRng(JSON.parse(JSON.stringify(r.getState())));
    expect(draw(restored.split('c'), 20)).toEqual(draw(createRng(4).split('c'), 20));
  });

  test('malformed states are rejected', () => {
    const good = createRng(1).getState();
    expect(() => restoreRng({ ...good, algorithm: 'alea' })).toThrow(RangeError);
    expect(() => restoreRng({ ...good, state: { i: 0, w: 0, X: [1, 2, 3] } })).toThrow(TypeError);
    expect(() => restoreRng({ ...good, seed: 5 as unknown as string })).toThrow(TypeError);
  });
});
