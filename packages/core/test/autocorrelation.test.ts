/**
 * The integrated autocorrelation time against closed forms: AR(1) series, tau = (1 + phi) / (1 - phi),
 * and a two-state chain that flips with probability q per step, rho(t) = (1 - 2q)^t and
 * tau = (1 - q) / q; independent draws give 1.
 *
 * Tolerances: for n steps the estimate's relative standard deviation is about
 * sqrt(2 (2W + 1) / n_total) (Sokal 1996, eq. 3.19) with W <= 5 tau + 1 and n_total the steps of
 * all chains; each test allows 6 of those (a false failure below 2e-9 per check, seeded).
 */
import { createRng, integratedAutocorrelationTime, normal } from '../src';

function ar1(phi: number, n: number, seed: number): Float64Array {
  const rng = createRng(seed);
  const x = new Float64Array(n);
  x[0] = normal(rng) / Math.sqrt(1 - phi * phi); // started in equilibrium
  for (let t = 1; t < n; t++) x[t] = phi * x[t - 1] + normal(rng);
  return x;
}

function twoState(q: number, n: number, seed: number): Float64Array {
  const rng = createRng(seed);
  const x = new Float64Array(n);
  x[0] = rng.uniform() < 0.5 ? -1 : 1;
  for (let t = 1; t < n; t++) x[t] = rng.uniform() < q ? -x[t - 1] : x[t - 1];
  return x;
}

function tolerance(tau: number, window: number, total: number): number {
  return 6 * tau * Math.sqrt((2 * (2 * window + 1)) / total);
}

test.each([0, 0.5, 0.9, 0.97])('AR(1) with phi = %s: tau = (1 + phi) / (1 - phi)', (phi) => {
  const chains = [0, 1, 2, 3].map((k) => ar1(phi, 50_000, 100 + k));
  const result = integratedAutocorrelationTime(chains);
  const expected = (1 + phi) / (1 - phi);
  expect(Math.abs(result.tau - expected)).toBeLessThan(tolerance(expected, result.window, 200_000));
  expect(result.window).toBeGreaterThanOrEqual(5 * result.tau - 2);
  expect(result.reliable).toBe(true);
});

test.each([0.5, 0.2, 0.05])('a two-state chain flipping with probability %s: tau = (1 - q) / q', (q) => {
  const chains = [0, 1].map((k) => twoState(q, 100_000, 7 + k));
  const result = integratedAutocorrelationTime(chains);
  const expected = (1 - q) / q;
  expect(Math.abs(result.tau - expected)).toBeLessThan(tolerance(expected, result.window, 200_000));
});

test('a series short against tau is flagged unreliable; a frozen one has no tau; bad input is refused', () => {
  expect(integratedAutocorrelationTime([ar1(0.99, 2_000, 3)]).reliable).toBe(false);
  const frozen = integratedAutocorrelationTime([new Float64Array(100).fill(1)]);
  expect(frozen.tau).toBeNaN();
  expect(frozen.reliable).toBe(false);
  expect(() => integratedAutocorrelationTime([])).toThrow('at least one chain');
  expect(() => integratedAutocorrelationTime([[1, 2, 3], [1, 2]])).toThrow('same length');
  expect(() => integratedAutocorrelationTime([[1, NaN, 3]])).toThrow('non-finite value at step 1');
});
