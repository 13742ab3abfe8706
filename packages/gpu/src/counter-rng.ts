/**
 * The counter-based generator of core (msf4x22, packages/core/src/random/counter.ts: a Feistel
 * network of 22-bit words with middle-square round functions) as gpu.js kernel code: statements
 * that compute the four words of one evaluation inside a kernel, from a key (two kernel
 * arguments) and a counter (kernel expressions).
 *
 * The statements are the host reference's operations in the same order: products of 11-bit
 * limbs, floor of exact power-of-two scalings, sums of at most three non-negative terms. Every
 * intermediate value is an integer of magnitude below 2^24, so float32 (GLSL highp, WebAssembly
 * f32) and float64 (the cpu mode) compute the same words, whatever order a shader compiler adds
 * in and whether or not it fuses a multiply-add. No division (GPUs divide approximately; gpu.js
 * also wraps every division in a helper on GL) and no integer types (GLSL ES 1.00 has no bit
 * operations, and gpu.js's int emulation differs per mode): floats only.
 *
 * Uniforms from words: (w + 1) 2^-22 in (0, 1] (uniformCode), and the refinement of the lowest
 * cell (refinedUniformCode). The counter layout (which word addresses which draw) is core's
 * COUNTER_LAYOUT; deviceUniform there is the host's value of every uniform a kernel uses.
 */
import { COUNTER_LAYOUT, COUNTER_RNG } from '@rbmlab/core';
import { flatten2d, type GpuBackend } from './backend';

/** 2^-22 and 2^-11 as exact literals. */
const INV_M = '2.384185791015625e-7';
const INV_L = '0.00048828125';
const INV_M2 = '5.684341886080802e-14'; // 2^-44, exact in float32
const L = '2048';
const M = '4194304';

function limbs(value: number): [number, number] {
  const hi = Math.floor(value / 2048);
  return [hi, value - hi * 2048];
}

/**
 * Statements declaring `${out}0` .. `${out}3`, the four words of msf4x22(k0, k1, c0, c1, c2, c3).
 * k0, k1, c0 .. c3 are kernel expressions whose values are integers in [0, 2^22) (each is read
 * once, into a local). `out` must be a fresh identifier prefix in the kernel.
 */
export function msfCode(out: string, k0: string, k1: string, c0: string, c1: string, c2: string, c3: string): string {
  const [m0h, m0l] = limbs(COUNTER_RNG.multipliers[0]);
  const [m1h, m1l] = limbs(COUNTER_RNG.multipliers[1]);
  const [w0, w1] = COUNTER_RNG.weyl;
  const v = (name: string) => `${out}_${name}`;
  const mod = (name: string, sum: string) => `
      const ${v(name + 's')} = ${sum};
      const ${v(name)} = ${v(name + 's')} - Math.floor(${v(name + 's')} * ${INV_M}) * ${M};`;
  // F(y) = floor(y^2 / 2^11) mod 2^22 = ((a^2 mod 2^11) 2^11 + 2ab + floor(b^2 / 2^11)) mod 2^22, y = a 2^11 + b
  const middleSquare = (p: string, y: string) => `
      const ${v(p + 'a')} = Math.floor(${y} * ${INV_L});
      const ${v(p + 'b')} = ${y} - ${v(p + 'a')} * ${L};
      const ${v(p + 'aa')} = ${v(p + 'a')} * ${v(p + 'a')};
      const ${v(p + 'bb')} = ${v(p + 'b')} * ${v(p + 'b')};${mod(
        p + 'f',
        `(${v(p + 'aa')} - Math.floor(${v(p + 'aa')} * ${INV_L}) * ${L}) * ${L} + 2 * (${v(p + 'a')} * ${v(p + 'b')}) + Math.floor(${v(p + 'bb')} * ${INV_L})`,
      )}`;
  // m x mod 2^22 = (xl ml + ((xl mh + xh ml) mod 2^11) 2^11) mod 2^22
  const lowProduct = (p: string, x: string, mh: number, ml: number) => `
      const ${v(p + 'h')} = Math.floor(${x} * ${INV_L});
      const ${v(p + 'l')} = ${x} - ${v(p + 'h')} * ${L};
      const ${v(p + 't')} = ${v(p + 'l')} * ${mh} + ${v(p + 'h')} * ${ml};${mod(
        p + 'm',
        `${v(p + 'l')} * ${ml} + (${v(p + 't')} - Math.floor(${v(p + 't')} * ${INV_L}) * ${L}) * ${L}`,
      )}`;
  return `
    let ${out}0 = ${c0};
    let ${out}1 = ${c1};
    let ${out}2 = ${c2};
    let ${out}3 = ${c3};
    let ${v('k0')} = ${k0};
    let ${v('k1')} = ${k1};
    for (let ${v('r')} = 0; ${v('r')} < ${COUNTER_RNG.rounds}; ${v('r')}++) {${mod('y', `${out}2 + ${v('k0')}`)}${middleSquare('p', v('y'))}${mod(
      'z',
      `${out}0 + ${v('k1')}`,
    )}${middleSquare('q', v('z'))}${lowProduct('u', `${out}2`, m1h, m1l)}${lowProduct('w', `${out}0`, m0h, m0l)}${mod('n0', `${out}1 + ${v('pf')}`)}${mod(
      'n2',
      `${out}3 + ${v('qf')}`,
    )}
      ${out}0 = ${v('n0')};
      ${out}1 = ${v('um')};
      ${out}2 = ${v('n2')};
      ${out}3 = ${v('wm')};${mod('j0', `${v('k0')} + ${w0}`)}${mod('j1', `${v('k1')} + ${w1}`)}
      ${v('k0')} = ${v('j0')};
      ${v('k1')} = ${v('j1')};
    }`;
}

/** A kernel expression: the uniform (w + 1) 2^-22 in (0, 1] of a word expression. */
export function uniformCode(word: string): string {
  return `((${word} + 1) * ${INV_M})`;
}

/**
 * A kernel expression: the refinement (w' + 1) 2^-44 of the lowest cell (0, 2^-22] of a uniform,
 * from another word w' (core's msfLogUniform, for a word 0).
 */
export function refinedUniformCode(word: string): string {
  return `((${word} + 1) * ${INV_M2})`;
}

/**
 * Kernel expressions of c2 and the sweep part of c3 for a sweep number, passed as kernel
 * arguments: the host splits the sweep (which may exceed 2^24) into sweep mod 2^22 and
 * DRAWS (purpose + PURPOSES floor(sweep / 2^22)), each an exact float32.
 */
export function sweepArguments(sweep: number, purpose: number): [number, number] {
  const { draws, purposes, sweepModulus, maxSweeps } = COUNTER_LAYOUT;
  if (!(Number.isInteger(sweep) && sweep >= 0 && sweep < maxSweeps)) throw new RangeError(`sweep ${sweep} outside the generator's counter range [0, ${maxSweeps})`);
  const high = Math.floor(sweep / sweepModulus);
  return [sweep - high * sweepModulus, draws * (purpose + purposes * high)];
}

/**
 * The counter of cell (j, b) of the check grid of deviceWords: c0 and c1 spread over [0, 2^22)
 * with the edge values 0 and 2^22 - 1, and a draw q = (j + b) mod 64 added to c3. The cell holds
 * word q mod 4 of that evaluation, so every word position is checked.
 */
export function wordsGridCounter(j: number, b: number): { c0: number; c1: number; draw: number; word: number } {
  const M = COUNTER_LAYOUT.sweepModulus;
  const c0 = j === 0 ? 0 : j === 1 ? M - 1 : (j * 16411) % M;
  const c1 = b === 0 ? M - 1 : (b * 65599) % M;
  const draw = (j + b) % 64;
  return { c0, c1, draw, word: draw % 4 };
}

/**
 * The generator's words computed on the device over a width x height grid of counters
 * (wordsGridCounter), key (k0, k1), c2 and c3 + draw: height x width, row-major. Comparing them
 * with core's msf4x22 checks that a device computes the generator exactly (the tests do, in every
 * mode and in the browser).
 */
export function deviceWords(backend: GpuBackend, key: readonly [number, number], c2: number, c3: number, width: number, height: number): Float64Array {
  // j 16411 and b 65599 must be exact float32 integers (below 2^24) in the kernel
  if (!(Number.isInteger(width) && width >= 2 && width <= 1022 && Number.isInteger(height) && height >= 1 && height <= 255)) {
    throw new RangeError(`deviceWords: the grid is at most 1022 x 255 counters, got ${width} x ${height}`);
  }
  const name = `words/${width}/${height}`;
  const kernel = backend.kernel(
    name,
    `function (k0, k1, c2, c3) {
      const j = this.thread.x;
      const b = this.thread.y;
      let a0 = j * 16411 - Math.floor(j * 16411 * ${INV_M}) * ${M};
      if (j < 0.5) {
        a0 = 0;
      }
      if (j > 0.5 && j < 1.5) {
        a0 = ${M} - 1;
      }
      let a1 = b * 65599 - Math.floor(b * 65599 * ${INV_M}) * ${M};
      if (b < 0.5) {
        a1 = ${M} - 1;
      }
      const q = j + b - Math.floor((j + b) * 0.015625) * 64;
      ${msfCode('r', 'k0', 'k1', 'a0', 'a1', 'c2', 'c3 + q')}
      const lane = q - Math.floor(q * 0.25) * 4;
      let out = r0;
      if (lane > 0.5) {
        out = r1;
      }
      if (lane > 1.5) {
        out = r2;
      }
      if (lane > 2.5) {
        out = r3;
      }
      return out;
    }`,
    [width, height],
    false,
  );
  return flatten2d(backend.run(name, kernel, key[0], key[1], c2, c3), height, width) as Float64Array;
}
