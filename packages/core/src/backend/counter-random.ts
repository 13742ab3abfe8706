/**
 * Counter-based uniforms for the fused sampling kernels of fast backends, and their definition
 * in TypeScript, which the tests compare the native kernel against draw for draw.
 *
 * A kernel call is keyed by four 32-bit words (k0, k1, k2, k3) drawn from the caller's seeded
 * stream; draw number c = 0, 1, ... of the call (c = b * size + j for unit j of chain b) is
 *
 *     K0 = k0 2^32 + k1,  K1 = k2 2^32 + k3,  G = 0x9e3779b97f4a7c15
 *     bits(c) = mix64(K1 xor mix64(K0 + G (c + 1)))          (arithmetic mod 2^64)
 *     u(c)    = floor(bits(c) / 2^11) / 2^53                 (uniform on [0, 1), 53 bits)
 *
 * mix64 is the SplitMix64 output function (Steele, Lea and Flood 2014; Stafford's "variant 13"
 * mixer); mix64(K0 + G (c + 1)) is exactly the SplitMix64 sequence seeded with K0, which passes
 * BigCrush. The outer mix with K1 keeps two calls whose K0 differ by a multiple of G from giving
 * shifted copies of one sequence. Because u depends only on (key, c), any split of a call's work
 * over threads or vector lanes gives the same bits, and the same seed gives the same draws.
 */
import type { Rng } from '../random/rng';
import type { BinaryKind, CounterKey } from './backend';

const MASK64 = (1n << 64n) - 1n;
const GOLDEN = 0x9e3779b97f4a7c15n;

function mix64(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

/** A call's key: four 32-bit words from the stream (four int draws). */
export function drawCounterKey(rng: Rng): CounterKey {
  return [rng.int(2 ** 32), rng.int(2 ** 32), rng.int(2 ** 32), rng.int(2 ** 32)];
}

/** u(c) of a key, as defined above (BigInt arithmetic: for tests, not for speed). */
export function counterUniform(key: CounterKey, c: number): number {
  const k0 = (BigInt(key[0]) << 32n) | BigInt(key[1]);
  const k1 = (BigInt(key[2]) << 32n) | BigInt(key[3]);
  const bits = mix64(k1 ^ mix64((k0 + GOLDEN * BigInt(c + 1)) & MASK64));
  return Number(bits >> 11n) / 2 ** 53;
}

/**
 * The fused kernel's definition in float64: with z = c (x + bias) (c = 1 bernoulli, 2 spin) and
 * q = e^-|z| / (1 + e^-|z|) the smaller tail of sigmoid(z), the threshold is t = q for z < 0 and
 * t = 1 - q for z >= 0, and the unit is on (1, or +1) iff u < t. A backend's sampleBinaryLayer
 * computes this up to its own precision of q (float32 in the native backend: the states can
 * differ only where |u - t| is below that precision). NaN inputs give the off state, as
 * `layer.sample` does.
 */
export function sampleBinaryLayerDefinition(
  inputs: ArrayLike<number>,
  bias: ArrayLike<number> | null,
  batch: number,
  size: number,
  kind: BinaryKind,
  key: CounterKey,
): { states: Float64Array; uniforms: Float64Array; probabilities: Float64Array } {
  const states = new Float64Array(batch * size);
  const uniforms = new Float64Array(batch * size);
  const probabilities = new Float64Array(batch * size);
  const c = kind === 'spin' ? 2 : 1;
  for (let k = 0; k < batch * size; k++) {
    const z = c * (inputs[k] + (bias === null ? 0 : bias[k % size]));
    const e = Math.exp(-Math.abs(z));
    const q = z === z ? e / (1 + e) : 0;
    const t = z >= 0 ? 1 - q : q;
    const u = counterUniform(key, k);
    probabilities[k] = t;
    uniforms[k] = u;
    states[k] = u < t ? 1 : kind === 'spin' ? -1 : 0;
  }
  return { states, uniforms, probabilities };
}
