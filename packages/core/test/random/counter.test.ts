/**
 * The counter-based generator of the GPU kernels (src/random/counter.ts): its arithmetic is exact
 * in float32 (so every gpu.js mode computes the same words; @rbmlab/gpu's tests compare the
 * kernels' words with these), each round is a bijection, and its output passes a statistical
 * battery (helpers/randomness.ts: uniformity, 2-D and 3-D serial tests, correlations between
 * neighbouring counters along every word, Box-Muller normality, birthday spacings), each p-value
 * failing below P_FAIL = 1e-6: 2 x 94 p-values for the generator, a false-failure rate below
 * 2e-4 for the fixed keys here. The battery is shown to have power: it rejects the generator cut
 * to 5 rounds, and Philox's round with addition in place of XOR, which this design replaced.
 */
import { COUNTER_LAYOUT, COUNTER_RNG, counterWord3, createRng, deviceKey, deviceUniform, msf4x22, msfLogUniform, msfUniform } from '../../src/random';
import { P_FAIL } from '../helpers/stats';
import { counterBattery, type CounterGenerator, type Words } from '../helpers/randomness';

const M = 2 ** 22;
const [M0, M1] = COUNTER_RNG.multipliers;
const [W0, W1] = COUNTER_RNG.weyl;

/** The generator by its definition, in integer arithmetic (every product below 2^53, so exact in doubles). */
function reference(k0: number, k1: number, c0: number, c1: number, c2: number, c3: number, rounds = COUNTER_RNG.rounds): Words {
  const F = (y: number) => Math.floor((y * y) / 2048) % M;
  let x: Words = [c0, c1, c2, c3];
  for (let r = 0; r < rounds; r++) {
    x = [(x[1] + F((x[2] + k0) % M)) % M, (M1 * x[2]) % M, (x[3] + F((x[0] + k1) % M)) % M, (M0 * x[0]) % M];
    k0 = (k0 + W0) % M;
    k1 = (k1 + W1) % M;
  }
  return x;
}

/**
 * The kernel's operation sequence (src/random/counter.ts, @rbmlab/gpu's counter-rng.ts) with every
 * result rounded to float32 (Math.fround): what a GPU computes. Equal words show that no
 * intermediate left float32's exact integers.
 */
function float32Replay(k0: number, k1: number, c0: number, c1: number, c2: number, c3: number): Words {
  const f = Math.fround;
  const INV_L = f(1 / 2048);
  const INV_M = f(1 / M);
  const mod = (s: number) => f(s - f(f(Math.floor(f(s * INV_M))) * M));
  const add = (p: number, q: number) => mod(f(p + q));
  const middleSquare = (y: number) => {
    const a = f(Math.floor(f(y * INV_L)));
    const b = f(y - f(a * 2048));
    const aa = f(a * a);
    const bb = f(b * b);
    const lo = f(aa - f(f(Math.floor(f(aa * INV_L))) * 2048));
    return mod(f(f(f(lo * 2048) + f(2 * f(a * b))) + f(Math.floor(f(bb * INV_L)))));
  };
  const lowProduct = (x: number, m: number) => {
    const mh = Math.floor(m / 2048);
    const ml = m - mh * 2048;
    const xh = f(Math.floor(f(x * INV_L)));
    const xl = f(x - f(xh * 2048));
    const t = f(f(xl * mh) + f(xh * ml));
    const tl = f(t - f(f(Math.floor(f(t * INV_L))) * 2048));
    return mod(f(f(xl * ml) + f(tl * 2048)));
  };
  let x: Words = [c0, c1, c2, c3];
  for (let r = 0; r < COUNTER_RNG.rounds; r++) {
    x = [add(x[1], middleSquare(add(x[2], k0))), lowProduct(x[2], M1), add(x[3], middleSquare(add(x[0], k1))), lowProduct(x[0], M0)];
    k0 = add(k0, W0);
    k1 = add(k1, W1);
  }
  return x;
}

/** The inverse of one round (key (k0, k1)): the round is a bijection of the four words. */
function inverseRound(y: Words, k0: number, k1: number): Words {
  const inverse = (m: number) => {
    // m^-1 mod 2^22 by Newton's iteration on integers (exact with BigInt)
    let inv = 1n;
    const big = BigInt(m);
    for (let k = 0; k < 6; k++) inv = (inv * (2n - big * inv)) % BigInt(M);
    return (inv + BigInt(M)) % BigInt(M);
  };
  const F = (v: number) => Math.floor((v * v) / 2048) % M;
  const x2 = Number((BigInt(y[1]) * inverse(M1)) % BigInt(M));
  const x0 = Number((BigInt(y[3]) * inverse(M0)) % BigInt(M));
  const x1 = (((y[0] - F((x2 + k0) % M)) % M) + M) % M;
  const x3 = (((y[2] - F((x0 + k1) % M)) % M) + M) % M;
  return [x0, x1, x2, x3];
}

/** Philox's four-word round with addition mod 2^22 in place of XOR: the first design, rejected (see counter.ts). */
const additivePhilox: CounterGenerator = (k0, k1, c0, c1, c2, c3) => {
  let x: Words = [c0, c1, c2, c3];
  for (let r = 0; r < 10; r++) {
    const p0 = M0 * x[0];
    const p1 = M1 * x[2];
    x = [(Math.floor(p1 / M) + x[1] + k0) % M, p1 % M, (Math.floor(p0 / M) + x[3] + k1) % M, p0 % M];
    k0 = (k0 + W0) % M;
    k1 = (k1 + W1) % M;
  }
  return x;
};

function randomWords(seed: string, count: number): number[][] {
  const rng = createRng(seed);
  const edge = [0, 1, 2047, 2048, M - 2049, M - 1];
  return Array.from({ length: count }, (_, t) => Array.from({ length: 6 }, () => (t % 5 === 0 ? edge[rng.int(edge.length)] : rng.int(M))));
}

describe('msf4x22: exact arithmetic', () => {
  const inputs = randomWords('counter/exact', 20000);

  it('equals the definition in integer arithmetic (words, edge values and random)', () => {
    for (const a of inputs) expect(msf4x22(a[0], a[1], a[2], a[3], a[4], a[5])).toEqual(reference(a[0], a[1], a[2], a[3], a[4], a[5]));
    expect(msf4x22(M - 1, M - 1, M - 1, M - 1, M - 1, M - 1)).toEqual(reference(M - 1, M - 1, M - 1, M - 1, M - 1, M - 1));
  });

  it('gives the same words with every operation rounded to float32 (what a GPU computes)', () => {
    for (const a of inputs) expect(float32Replay(a[0], a[1], a[2], a[3], a[4], a[5])).toEqual(msf4x22(a[0], a[1], a[2], a[3], a[4], a[5]));
  });

  it('is a bijection of the counter: every round inverts', () => {
    for (const a of inputs.slice(0, 2000)) {
      const x: Words = [a[2], a[3], a[4], a[5]];
      const y = reference(a[0], a[1], x[0], x[1], x[2], x[3], 1);
      expect(inverseRound(y, a[0], a[1])).toEqual(x);
    }
  });

  it('returns words in [0, 2^22)', () => {
    for (const a of inputs.slice(0, 2000)) {
      for (const w of msf4x22(a[0], a[1], a[2], a[3], a[4], a[5])) expect(Number.isInteger(w) && w >= 0 && w < M).toBe(true);
    }
  });
});

describe('msf4x22: statistical battery (helpers/randomness.ts), 2^17 counters along each word', () => {
  const n = 2 ** 17;
  const gen: CounterGenerator = (k0, k1, c0, c1, c2, c3) => msf4x22(k0, k1, c0, c1, c2, c3);

  it.each([
    ['a key from a seeded stream, other words random', 'counter/battery/a', true],
    ['another key, other words 0 (the first sweep, chain and block)', 'counter/battery/b', false],
  ] as const)('passes: %s', (_what, seed, randomBase) => {
    const rng = createRng(seed);
    const key = deviceKey(rng) as [number, number];
    const base: Words = randomBase ? [rng.int(M), rng.int(M), rng.int(M), rng.int(M)] : [0, 0, 0, 0];
    const { pValues, worst } = counterBattery(gen, key, base, n);
    expect(pValues.size).toBe(94);
    if (!(worst.p >= P_FAIL)) throw new Error(`${worst.name}: p = ${worst.p.toExponential(2)} < ${P_FAIL}`);
  });

  it('has power: it rejects the generator cut to 5 rounds, and the additive Philox round', () => {
    const key = deviceKey(createRng('counter/battery/power')) as [number, number];
    const weak = counterBattery((k0, k1, c0, c1, c2, c3) => msf4x22(k0, k1, c0, c1, c2, c3, 5), key, [0, 0, 0, 0], n);
    expect(weak.worst.p).toBeLessThan(P_FAIL);
    const philox = counterBattery(additivePhilox, key, [0, 0, 0, 0], n);
    expect(philox.worst.p).toBeLessThan(P_FAIL);
  });
});

describe('uniforms from words and the GPU counter layout', () => {
  it('(w + 1) 2^-22 lies in (0, 1] and is exact in float32', () => {
    for (const w of [0, 1, 12345, M - 2, M - 1]) {
      const u = msfUniform(w);
      expect(u).toBe(Math.fround(u));
      expect(u > 0 && u <= 1).toBe(true);
    }
    expect(msfUniform(0)).toBe(2 ** -22);
    expect(msfUniform(M - 1)).toBe(1);
  });

  it('the lowest cell is refined by a second word: (w\' + 1) 2^-44, uniform on (0, 2^-22]', () => {
    expect(msfLogUniform(5, 77)).toBe(msfUniform(5));
    expect(msfLogUniform(0, 0)).toBe(2 ** -44);
    expect(msfLogUniform(0, M - 1)).toBe(2 ** -22);
    expect(msfLogUniform(0, 1000)).toBe(Math.fround(1001 * 2 ** -44));
  });

  it('deviceUniform: unit j uses word j mod 4 of block floor(j / 4); sweeps above 2^22 go into c3', () => {
    const key: [number, number] = [123, 4567];
    const words = msf4x22(123, 4567, 2, 9, 5, counterWord3(3, 1, 5));
    for (let k = 0; k < 4; k++) expect(deviceUniform(key, 1, 5, 9, 8 + k, 3)).toBe(msfUniform(words[k]));
    const big = 3 * COUNTER_LAYOUT.sweepModulus + 11;
    expect(counterWord3(2, 1, big)).toBe(2 + 64 * (1 + 8 * 3));
    expect(deviceUniform(key, 1, big, 0, 0, 2)).toBe(msfUniform(msf4x22(123, 4567, 0, 0, 11, 2 + 64 * 25)[0]));
    expect(counterWord3(COUNTER_LAYOUT.draws - 1, COUNTER_LAYOUT.purposes - 1, COUNTER_LAYOUT.maxSweeps - 1)).toBe(M - 1);
  });

  it('deviceKey: two words in [0, 2^22) from the stream, the same for the same seed', () => {
    const a = deviceKey(createRng('key/1'));
    expect(a).toEqual(deviceKey(createRng('key/1')));
    expect(a).not.toEqual(deviceKey(createRng('key/2')));
    for (const w of a) expect(Number.isInteger(w) && w >= 0 && w < M).toBe(true);
  });
});
