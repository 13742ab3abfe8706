/**
 * A counter-based generator whose arithmetic is exact in float32: the random numbers of
 * rbmlab's GPU kernels (@rbmlab/gpu), computed inside each kernel from a counter, and this host
 * reference of the same function.
 *
 * Why this design. A GPU kernel's random numbers must be a function of a counter (stream key,
 * sweep, chain, unit, draw) computed inside the kernel, so that nothing is uploaded per sweep and
 * the same seed gives the same numbers in every gpu.js mode: WebGL 1 through headless-gl (GLSL
 * ES 1.00, which has no integer bit operations and only guarantees float arithmetic), WebGL 2 in
 * a browser, WebAssembly (f32) and the cpu mode (JavaScript doubles). The one arithmetic on which
 * all of them agree bit for bit is float arithmetic on small integers: every integer below 2^24
 * is exact in float32, and a sum, difference or product of such integers whose exact result is
 * below 2^24 in magnitude is computed exactly by IEEE float32 and float64 alike. Scaling by a
 * power of two and floor() are exact too. So the generator uses nothing else, and every
 * intermediate value is an integer of magnitude below 2^24:
 *
 *   words      22 bits (0 <= w < 2^22); products are formed from 11-bit limbs, whose products
 *              are below 2^22
 *   round      a four-word Feistel network with Philox's word permutation (Salmon, Moraes, Dror
 *              and Shaw 2011, "Parallel random numbers: as easy as 1, 2, 3"), addition mod 2^22
 *              where Philox has XOR, and a nonlinear round function F:
 *                (X0, X1, X2, X3) -> (X1 + F(X2 + K0), M1 X2, X3 + F(X0 + K1), M0 X0)   (mod 2^22)
 *                F(y) = floor(y^2 / 2^11) mod 2^22, the middle 22 bits of the 44-bit square
 *              (von Neumann's middle square, which Widynski's Weyl-sequence and "Squares"
 *              generators also build on); M0, M1 odd multipliers
 *   key        two words (K0, K1), advanced by Weyl constants mod 2^22 after every round
 *   rounds     10
 *   output     the four words after the last round
 *
 * Why not Philox itself with addition for XOR: with XOR gone, every operation of Philox's round
 * (addition mod 2^22, the low and high halves of a product by a constant) is linear or nearly
 * linear in the integers, and the outputs of counters that differ by 1 in one word were
 * correlated (Box-Muller normals from two draws of a unit failed a KS test at p = 1e-136 over
 * 10^6 counters, at 10 rounds). The square in F is a product of a value with itself: a quadratic
 * map, which no sequence of additions undoes.
 *
 * Soundness:
 *   - Each round is a bijection of the four words for a fixed key (X0 and X2 are recovered from
 *     M0 X0 and M1 X2 because M0 and M1 are odd, hence invertible mod 2^22; then X1 and X3 from
 *     the sums, whatever F is), so the generator is a keyed bijection of the 88-bit counter:
 *     distinct counters never give the same four words.
 *   - Exactness holds whatever order a compiler evaluates a sum in: every sum is of at most three
 *     non-negative terms below 2^24 together, minus a multiple (at most 2) of 2^22; a fused
 *     multiply-add of exact products is exact as well. Division is never used (GPUs compute it
 *     approximately); scaling is multiplication by an exact power of two.
 *   - Quality is not a theorem (Philox's was established empirically, too): it is tested
 *     (packages/core/test/random/counter.test.ts: uniformity, serial pairs and triples,
 *     correlations of neighbouring counters along every word, Box-Muller normality, birthday
 *     spacings), and dieharder's whole battery was run on its output (docs/GPU.md). The same
 *     tests find the round count needed: 5 rounds fail them, 6 pass; 10 leave a margin of 4.
 *
 * Uniforms. A word w gives u = (w + 1) 2^-22 in (0, 1], exact in float32: log(u) is finite and
 * P(u < p) differs from p by less than 2^-22. Where a tail matters (the radius of a Box-Muller pair
 * and an exponential variate, -log u), `msfLogUniform` refines the lowest cell: if w = 0 it
 * takes u = (w' + 1) 2^-44 from another word w', uniform on (0, 2^-22]; so -log u reaches 30.5
 * (Box-Muller radii up to 7.8 standard deviations) instead of 15.2.
 *
 * Counters used by @rbmlab/gpu (all words below 2^22):
 *   c0 = unit block floor(j / 4) (the uniform of unit j is word j mod 4, so the four units of a
 *        texel share one evaluation), or a site block for the dense heat bath
 *   c1 = chain
 *   c2 = sweep mod 2^22
 *   c3 = draw + DRAWS * (purpose + PURPOSES * floor(sweep / 2^22))   (COUNTER_LAYOUT)
 * and the key is two words drawn from the sampler's seeded host stream (deviceKey).
 */
import type { Rng } from './rng';

/** The constants of the generator, shared with the kernel code generator of @rbmlab/gpu. */
export const COUNTER_RNG = {
  /** Bits per word. */
  bits: 22,
  /** 2^22. */
  modulus: 4194304,
  /** Bits per limb of a product (words are split into two 11-bit limbs). */
  limbBits: 11,
  /** Odd multipliers: Philox4x32's 0xD2511F53 and 0xCD9E8D57 cut to their upper 22 bits. */
  multipliers: [0x349447, 0x3367a3] as const,
  /** Weyl increments of the key: the golden ratio (made odd) and sqrt(3) - 1, upper 22 bits of Philox's. */
  weyl: [0x278ddf, 0x2ed9eb] as const,
  rounds: 10,
} as const;

/** How the four counter words address a uniform (see the file comment). */
export const COUNTER_LAYOUT = {
  /** Draws (evaluations) per unit block per half-sweep: c3 mod DRAWS. */
  draws: 64,
  /** Purposes: what a kernel draws for (hidden half-sweep, visible half-sweep, heat bath, ...). */
  purposes: 8,
  /** Sweeps below 2^22 go in c2; the rest in c3. */
  sweepModulus: 4194304,
  /** Largest sweep count: c3 must stay below 2^22. */
  maxSweeps: 4194304 * (4194304 / (64 * 8)),
} as const;

/** Purposes of the GPU kernels' draws (the PURPOSE field of c3). */
export const COUNTER_PURPOSE = {
  hiddenHalfSweep: 0,
  visibleHalfSweep: 1,
  heatBath: 2,
  layerDraws: 3,
} as const;

const M = COUNTER_RNG.modulus;
const INV_M = 1 / M;
const L = 2048; // 2^11
const INV_L = 1 / L;
const [M0, M1] = COUNTER_RNG.multipliers;
const M0H = Math.floor(M0 / L);
const M0L = M0 - M0H * L;
const M1H = Math.floor(M1 / L);
const M1L = M1 - M1H * L;
const [W0, W1] = COUNTER_RNG.weyl;

/** The four words of one evaluation. */
export type CounterWords = [number, number, number, number];

/** F(y) = floor(y^2 / 2^11) mod 2^22 for a word y, from 11-bit limbs (every value below 2^24). */
function middleSquare(y: number): number {
  const a = Math.floor(y * INV_L);
  const b = y - a * L;
  const aa = a * a;
  const bb = b * b;
  // y^2 / 2^11 = a^2 2^11 + 2ab + b^2 / 2^11; mod 2^22 only a^2 mod 2^11 counts
  const s = (aa - Math.floor(aa * INV_L) * L) * L + 2 * (a * b) + Math.floor(bb * INV_L);
  return s - Math.floor(s * INV_M) * M;
}

/** m x mod 2^22 for a multiplier m = mh 2^11 + ml and a word x. */
function lowProduct(x: number, mh: number, ml: number): number {
  const xh = Math.floor(x * INV_L);
  const xl = x - xh * L;
  const t = xl * mh + xh * ml;
  const s = xl * ml + (t - Math.floor(t * INV_L) * L) * L;
  return s - Math.floor(s * INV_M) * M;
}

/** (p + q) mod 2^22 for words p, q. */
function addMod(p: number, q: number): number {
  const s = p + q;
  return s - Math.floor(s * INV_M) * M;
}

/**
 * The generator: four 22-bit output words of the key (k0, k1) and the counter (c0, c1, c2, c3),
 * every argument an integer in [0, 2^22). Written with the same operations, in the same order, as
 * the kernel code (@rbmlab/gpu's counter-rng.ts), and exact in doubles as in float32.
 */
export function msf4x22(k0: number, k1: number, c0: number, c1: number, c2: number, c3: number, rounds: number = COUNTER_RNG.rounds): CounterWords {
  let x0 = c0;
  let x1 = c1;
  let x2 = c2;
  let x3 = c3;
  let key0 = k0;
  let key1 = k1;
  for (let r = 0; r < rounds; r++) {
    const y0 = addMod(x1, middleSquare(addMod(x2, key0)));
    const y1 = lowProduct(x2, M1H, M1L);
    const y2 = addMod(x3, middleSquare(addMod(x0, key1)));
    const y3 = lowProduct(x0, M0H, M0L);
    x0 = y0;
    x1 = y1;
    x2 = y2;
    x3 = y3;
    key0 = addMod(key0, W0);
    key1 = addMod(key1, W1);
  }
  return [x0, x1, x2, x3];
}

/** A word as a uniform in (0, 1]: (w + 1) 2^-22, exact in float32. */
export function msfUniform(word: number): number {
  return (word + 1) * INV_M;
}

/**
 * A uniform in (0, 1] for -log u (Box-Muller radii, exponential variates): (w + 1) 2^-22, except
 * that w = 0 (the cell (0, 2^-22]) is refined by another word: (w' + 1) 2^-44.
 */
export function msfLogUniform(word: number, refine: number): number {
  return word > 0 ? (word + 1) * INV_M : (refine + 1) * INV_M * INV_M;
}

/** A stream key: two words from the seeded host stream (the device generator's seed). */
export function deviceKey(rng: Rng): [number, number] {
  return [rng.int(M), rng.int(M)];
}

/** c3 of a draw (see COUNTER_LAYOUT): draw + DRAWS (purpose + PURPOSES floor(sweep / 2^22)). */
export function counterWord3(draw: number, purpose: number, sweep: number): number {
  const { draws, purposes, sweepModulus } = COUNTER_LAYOUT;
  return draw + draws * (purpose + purposes * Math.floor(sweep / sweepModulus));
}

/**
 * The uniform that @rbmlab/gpu's kernels use as draw `draw` of unit `unit` of chain `chain` in
 * sweep `sweep` for `purpose`: word (unit mod 4) of the evaluation at
 * (floor(unit / 4), chain, sweep mod 2^22, counterWord3(draw, purpose, sweep)).
 */
export function deviceUniform(key: readonly [number, number], purpose: number, sweep: number, chain: number, unit: number, draw: number): number {
  const block = Math.floor(unit / 4);
  const words = msf4x22(key[0], key[1], block, chain, sweep % COUNTER_LAYOUT.sweepModulus, counterWord3(draw, purpose, sweep));
  return msfUniform(words[unit - 4 * block]);
}
