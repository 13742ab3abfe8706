/**
 * Seeded random streams. Every random number in rbmlab comes from an Rng passed in by the caller;
 * nothing reads a global generator (the platform one is never used).
 *
 * Generator: seedrandom's xor4096 (Brent's xorgens, 4096-bit state plus a Weyl sequence, period
 * 2^4128 - 2^32). Chosen over alea by measured speed of 53-bit doubles through this wrapper
 * (node 20, one process per generator, median of 15 runs of 6.5e6 draws, 3 repeats):
 * fillUniform into a Float64Array 120-132e6 doubles/s against alea's 90-95e6, a scalar loop of
 * uniform() 100-109e6/s against 91-96e6. It also seeds its whole 4096-bit state from every
 * character of the seed string (alea's seed hash keeps ~53 bits, so distinct split paths could
 * collide), and its double() never returns 0, so uniformOpen costs nothing extra.
 *
 * Streams are named by a seed path: createRng(42) has seed "42", its split("gibbs") has seed
 * "42/gibbs", and createRng("42/gibbs") is the same stream. A child therefore depends only on the
 * parent's path and its own name, never on how many numbers the parent has drawn.
 */
import seedrandom from 'seedrandom';

/**
 * A seed: a finite number (by its shortest decimal form; 0 is a seed) or a seed-path string such as
 * "42/gibbs".
 */
export type Seed = number | string;

/** A generator snapshot; plain JSON data (it goes into checkpoints). */
export interface RngState {
  readonly algorithm: string;
  readonly seed: string;
  readonly state: unknown;
}

/**
 * A seeded random stream (seedrandom xor4096) named by its seed path. Children from `split` depend on
 * the path and the name only; `getState` / `restoreRng` round-trip the position exactly.
 */
export interface Rng {
  /** The seed path of this stream, e.g. "42/gibbs/chain". */
  readonly seed: string;
  /** Uniform on [0, 1) with 53 random bits (k / 2^53, k = 1 .. 2^53 - 1 for xor4096). */
  uniform(): number;
  /** Uniform on (0, 1), never 0: safe for log(). */
  uniformOpen(): number;
  /**
   * Fills out[start, end) with uniforms on [0, 1). A Float32Array receives 24-bit uniforms
   * k / 2^24 (one 32-bit draw each), because rounding a 53-bit double to float32 can give 1.
   */
  fillUniform(out: Float64Array | Float32Array, start?: number, end?: number): void;
  /** Independent child stream with seed path `${seed}/${name}`; name is non-empty and has no '/'. */
  split(name: string): Rng;
  /** Snapshot; restoreRng of it replays exactly the numbers this stream draws next. */
  getState(): RngState;
  /** Uniform integer in [0, n), exact (rejection sampling, no modulo bias), 1 <= n <= 2^53. */
  int(n: number): number;
}

/**
 * The generator behind every Rng (seedrandom's xor4096); recorded in each RngState and checked on restore.
 */
export const RNG_ALGORITHM = 'xor4096';

/** State of seedrandom's xor4096: X the 128-word xorshift array, i its index, w the Weyl value. */
interface Xor4096State {
  i: number;
  w: number;
  X: number[];
}

type Xor4096 = seedrandom.StatefulPRNG<seedrandom.State.Xor4096>;

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;
const TWO_POW_M24 = 1 / 16777216;

class Xor4096Rng implements Rng {
  constructor(
    readonly seed: string,
    private readonly prng: Xor4096,
  ) {}

  uniform(): number {
    return this.prng.double();
  }

  uniformOpen(): number {
    // xor4096's double() is (21 bits * 2^32 + 32 bits) / 2^53 and redraws an exact 0.
    return this.prng.double();
  }

  fillUniform(out: Float64Array | Float32Array, start = 0, end = out.length): void {
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= out.length)) {
      throw new RangeError(`fillUniform: range [${start}, ${end}) outside [0, ${out.length})`);
    }
    const prng = this.prng;
    if (out instanceof Float32Array) {
      for (let i = start; i < end; i++) out[i] = (prng.int32() >>> 8) * TWO_POW_M24;
    } else {
      for (let i = start; i < end; i++) out[i] = prng.double();
    }
  }

  split(name: string): Rng {
    if (typeof name !== 'string' || name.length === 0 || name.includes('/')) {
      throw new RangeError(`Rng.split: child name must be a non-empty string without '/', got ${JSON.stringify(name)}`);
    }
    return createRng(`${this.seed}/${name}`);
  }

  getState(): RngState {
    return { algorithm: RNG_ALGORITHM, seed: this.seed, state: this.prng.state() };
  }

  int(n: number): number {
    if (!(Number.isInteger(n) && n >= 1 && n <= TWO_POW_53)) {
      throw new RangeError(`Rng.int: n must be an integer in [1, 2^53], got ${n}`);
    }
    const prng = this.prng;
    if (n <= TWO_POW_32) {
      // Accept x < limit, the largest multiple of n that fits in 32 bits: x mod n is then exact.
      const limit = TWO_POW_32 - (TWO_POW_32 % n);
      let x: number;
      do x = prng.int32() >>> 0;
      while (x >= limit);
      return x % n;
    }
    // 53 bits from two 32-bit draws (21 + 32), same rejection rule.
    const limit = TWO_POW_53 - (TWO_POW_53 % n);
    let x: number;
    do x = (prng.int32() >>> 11) * TWO_POW_32 + (prng.int32() >>> 0);
    while (x >= limit);
    return x % n;
  }
}

/** The seed path of a seed: finite numbers by their shortest decimal form ("0" for -0), strings as given. */
function seedPath(seed: Seed): string {
  if (typeof seed === 'number') {
    if (!Number.isFinite(seed)) throw new RangeError(`createRng: seed must be finite, got ${seed}`);
    return String(seed);
  }
  if (typeof seed === 'string') return seed;
  // undefined (and null) is "no seed": there is no unseeded generator in rbmlab.
  throw new TypeError(`createRng: a seed (number or string) is required, got ${String(seed)}`);
}

/** A stream seeded by `seed`; 0 is a valid seed, undefined is an error. */
export function createRng(seed: Seed): Rng {
  const path = seedPath(seed);
  return new Xor4096Rng(path, seedrandom.xor4096(path, { state: true }));
}

function isXor4096State(s: unknown): s is Xor4096State {
  if (typeof s !== 'object' || s === null) return false;
  const o = s as Record<string, unknown>;
  return (
    Number.isInteger(o.i) &&
    (o.i as number) >= 0 &&
    (o.i as number) < 128 &&
    Number.isInteger(o.w) &&
    Array.isArray(o.X) &&
    o.X.length === 128 &&
    o.X.every((v) => Number.isInteger(v) && v >= -2147483648 && v <= 2147483647)
  );
}

/** The stream that getState() snapshotted, at the same position (also after a JSON round trip). */
export function restoreRng(state: RngState): Rng {
  if (state === null || typeof state !== 'object' || state.algorithm !== RNG_ALGORITHM) {
    throw new RangeError(`restoreRng: unknown generator ${JSON.stringify(state && state.algorithm)} (expected "${RNG_ALGORITHM}")`);
  }
  if (typeof state.seed !== 'string') throw new TypeError('restoreRng: state.seed must be a string');
  if (!isXor4096State(state.state)) throw new TypeError('restoreRng: malformed xor4096 state (expected {i, w, X[128]})');
  const s = state.state;
  // seedrandom copies i, w and a slice of X into the new generator: the snapshot stays unaliased.
  const prng = seedrandom.xor4096(state.seed, { state: { i: s.i, w: s.w, X: s.X.slice() } as seedrandom.State.Xor4096 });
  return new Xor4096Rng(state.seed, prng);
}
