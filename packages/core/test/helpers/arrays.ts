/**
 * Seeded test arrays and the entrywise error check that the backend suites (native, gpu) share.
 */
import { createRng } from '../../src';

/** The float32 unit roundoff 2^-24 and the float64 one 2^-53. */
export const U32 = 2 ** -24;
export const U64 = 2 ** -53;

/** Draws with a seeded stream: uniform in [-scale, scale], or binary with P(1) = 0.4. */
export function randomArray(length: number, seed: string, kind: 'real' | 'binary', scale = 1): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length }, () => (kind === 'binary' ? (rng.uniform() < 0.4 ? 1 : 0) : scale * (2 * rng.uniform() - 1)));
}

/** |actual - expected| <= bound[k] everywhere, both finite; names the first entry that is not. */
export function expectWithin(actual: ArrayLike<number>, expected: ArrayLike<number>, bound: ArrayLike<number>, what: string): void {
  expect(actual.length).toBe(expected.length);
  for (let k = 0; k < actual.length; k++) {
    const ok = Number.isFinite(actual[k]) && Number.isFinite(expected[k]) && Math.abs(actual[k] - expected[k]) <= bound[k];
    if (!ok) throw new Error(`${what}: entry ${k}: ${actual[k]} vs ${expected[k]} (bound ${bound[k]})`);
  }
}
