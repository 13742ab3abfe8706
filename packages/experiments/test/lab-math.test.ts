/**
 * The lab worker's elementary functions (lab/node-math.ts) against Node's own Math, to the bit:
 * the page's float64 results equal the CLI's only if they are Node 20's functions exactly. Each
 * function is compared on 10^6 arguments (uniform on [-40, 40], log-uniform magnitudes from 1e-300
 * to 1e300 of both signs, and a band of each function's own: exp's whole finite range, say) and on edge cases (zeros,
 * infinities, NaN, subnormals, the thresholds of the algorithms). These are Node 20's V8; a Node
 * whose V8 computes Math.exp & co. differently fails here, which is what it should do: the lab's
 * claim to reproduce the CLI would then be false for that Node.
 */
import { createRng } from '@rbmlab/core';
import { NODE_MATH } from '../lab/node-math';

const EDGES = [0, -0, Infinity, -Infinity, NaN, 5e-324, -5e-324, 2.2250738585072014e-308, 1, -1, 2 ** -28, -(2 ** -28), 2 ** -28 * (1 - 2 ** -53), 22, -22, 22 * (1 - 2 ** -53), 709.782712893384, 709.79, -745.1332191019411, -745.2, 0.5 * Math.LN2, 1.5 * Math.LN2, -1 + 2 ** -53, 1e-17, 37.5, 40];

const BANDS: Record<string, [number, number]> = { exp: [-746, 710], expm1: [-746, 710], log: [0, 4], log1p: [-1, 3], tanh: [-25, 25] };

function argumentsFor(name: string, count: number): Float64Array {
  const rng = createRng(`lab-math/${name}`);
  const out = new Float64Array(count + EDGES.length);
  for (let i = 0; i < count; i++) {
    const u = rng.uniform();
    const sign = rng.uniform() < 0.5 ? -1 : 1;
    // a third uniform on [-40, 40], a third log-uniform over 1e-300 .. 1e300, a third over the
    // function's own band (exp's whole finite range, log near 1, log1p above -1, tanh to +-25)
    const [lo, hi] = BANDS[name];
    let x = i % 3 === 0 ? 80 * u - 40 : i % 3 === 1 ? sign * 10 ** (600 * u - 300) : lo + (hi - lo) * u;
    if (name === 'log') x = Math.abs(x);
    if (name === 'log1p' && x < -1) x = -1 + (x + 40) / 40;
    out[i] = x;
  }
  out.set(EDGES, count);
  return out;
}

describe.each(Object.keys(NODE_MATH) as (keyof typeof NODE_MATH)[])('lab Math.%s', (name) => {
  it("equals Node's Math to the bit on 10^6 arguments and the edge cases", () => {
    const ours = NODE_MATH[name];
    const node = Math[name] as (x: number) => number;
    const xs = argumentsFor(name, 1_000_000);
    let differ = 0;
    let first = '';
    for (const x of xs) {
      const a = ours(x);
      const b = node(x);
      if (!Object.is(a, b)) {
        differ++;
        if (first === '') first = `${name}(${x}) = ${a}, Node's ${b}`;
      }
    }
    expect(`${differ} differ${first ? `, first ${first}` : ''}`).toBe('0 differ');
  });
});

it('has power: a function one ulp off is caught', () => {
  // the same comparison, given exp with its last bit changed at one argument in 2^10
  const buffer = new Float64Array(1);
  const bits = new BigUint64Array(buffer.buffer);
  let differ = 0;
  for (const x of argumentsFor('exp', 100_000)) {
    buffer[0] = NODE_MATH.exp(x);
    if (Number.isFinite(buffer[0]) && buffer[0] > 0 && Math.floor(Math.abs(x) * 1024) % 1024 === 0) bits[0] ^= 1n;
    if (!Object.is(buffer[0], Math.exp(x))) differ++;
  }
  expect(differ).toBeGreaterThan(0);
});
