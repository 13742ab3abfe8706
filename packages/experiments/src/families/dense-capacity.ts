/**
 * `dense-capacity` (issue 5, family 5): how many random patterns a dense associative memory holds
 * as exact fixed points, against N and the power p (MODELS.md §3-4; Krotov and Hopfield 2016:
 * F(x) = x^p stores on the order of N^(p-1) patterns).
 *
 * A trial draws an ordered sequence of random +-1 patterns xi^0, xi^1, ... (N spins each) from
 * the trial stream and stores them one at a time. Pattern nu is stable among the first P when
 * every bit agrees strictly with the zero-temperature update at sigma = xi^nu:
 *
 *   xi^nu_i Delta_i(xi^nu) > 0 for all i,   Delta_i = E(sigma_i = -1) - E(sigma_i = +1),
 *   xi^nu_i Delta_i / c = G(N - 1) + sum_{mu != nu} xi^nu_i xi^mu_i G(xi^mu . xi^nu - xi^mu_i xi^nu_i),
 *   G(a) = f(a + 1) - f(a - 1),  f = x^p (power) or max(x, 0)^p (rectified-power)
 *
 * (the first term is the pattern itself; the energy scale c > 0 of either convention, normalized
 * or krotov, does not change a sign, so the capacity does not depend on it). A tie Delta_i = 0
 * counts as unstable (a marginal fixed point), which matters only at the smallest N.
 *
 * `capacity` is the largest P such that, for every P' <= P, all P' first patterns are stable:
 * the patterns are added one by one and the first P at which some stored pattern has an unstable
 * bit ends the search (capacity = that P - 1). All-stable is not exactly monotone in P (a later
 * pattern can restore a bit), so this "first failure" definition is the one measured, with no
 * monotonicity assumed. Each added pattern updates the N P margins above incrementally, so a trial
 * costs O(N capacity^2) integer additions (G holds exact integers for an integer p).
 *
 * Theory (Krotov and Hopfield 2016, the perfect-recall estimate with Gaussian crosstalk): the
 * signal is G(N - 1) ~ 2p N^(p-1) and each other pattern adds a term of variance
 * E[G(a)^2] ~ 4p^2 (2p-3)!! N^(p-1); all N P bits stable needs N^(p-1) / (2 (2p-3)!! P) > ln(N P),
 * i.e. P ~ N^(p-1) / (2 p (2p-3)!! ln N) asymptotically: N / (4 ln N) for Hopfield (McEliece et
 * al. 1987, all patterns), so capacity_ratio = capacity / N^(p-1) decreases like 1/ln N.
 * `capacity_theory` evaluates that Gaussian estimate at finite N without asymptotics: the P at
 * which the expected number of unstable bits N P Phi(-G(N-1) / sqrt((P - 1) E[G(a)^2])) reaches
 * ln 2 (the median first failure if failures were Poisson), with a the exact distribution of an
 * overlap of two random patterns over N - 1 sites.
 */
import { differenceTable, normalSurvival, randomPatterns, type DenseInteraction, type Rng } from '@rbmlab/core';
import { ParamError, type Experiment, type MetricRow, type Params } from '../study/experiment';

/** Largest log of the difference table G that a study may reach (float64 and exact sums). */
const MAX_LOG_G = 36; // 2^53 ~ e^36.7: integer margins stay exact for P |G| below 2^53 / P

/** G(a) = f(a + 1) - f(a - 1) for a = -(N-1) .. N-1 at index a + N - 1 (krotov scale c = 1). */
function differences(n: number, F: DenseInteraction, p: number): Float64Array {
  const table = differenceTable({ kind: 'krotov', F, p }, n);
  if (table.g === undefined) throw new RangeError(`dense-capacity: G(a) overflows float64 at N = ${n}, p = ${p}`);
  return table.g;
}

/**
 * The Gaussian-crosstalk estimate of the capacity (see the file comment): the real P >= 1 at
 * which N P Q(G(N-1) / sqrt((P - 1) E[G(a)^2])) = ln 2, a = 2 Binomial(N - 1, 1/2) - (N - 1).
 */
export function gaussianCapacityEstimate(n: number, F: DenseInteraction, p: number): number {
  const g = differences(n, F, p);
  const signal = g[2 * n - 2]; // G(N - 1)
  // E[G(a)^2] over the binomial overlap of N - 1 sites, weights C(N-1, k) 2^-(N-1) in the log domain
  let second = 0;
  let logC = 0; // log C(N-1, k)
  for (let k = 0; k <= n - 1; k++) {
    if (k > 0) logC += Math.log((n - k) / k);
    const a = 2 * k - (n - 1);
    const gk = g[a + n - 1];
    second += Math.exp(logC - (n - 1) * Math.LN2) * gk * gk;
  }
  const failures = (P: number) => n * P * normalSurvival(signal / Math.sqrt(Math.max(P - 1, 1e-300) * second));
  if (failures(1) >= Math.LN2) return 1;
  let lo = 1;
  let hi = 2;
  while (failures(hi) < Math.LN2) {
    lo = hi;
    hi *= 2;
    if (hi > 1e15) return Infinity;
  }
  for (let it = 0; it < 200 && hi - lo > 1e-9 * hi; it++) {
    const mid = (lo + hi) / 2;
    if (failures(mid) < Math.LN2) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * The first-failure capacity of one pattern sequence drawn from rng (see the file comment), at
 * most maxP. Returns the capacity and whether the search stopped at maxP without a failure.
 */
export function firstFailureCapacity(n: number, F: DenseInteraction, p: number, maxP: number, rng: Rng): { capacity: number; censored: boolean } {
  const g = differences(n, F, p);
  const off = n - 1;
  const self = g[2 * n - 2];
  if (!(self > 0)) return { capacity: 0, censored: false }; // no pattern is stable on its own (e.g. p tiny at N = 1)
  const patterns: Int8Array[] = [];
  // margins[nu][i] = xi^nu_i Delta_i(xi^nu) / c over the patterns stored so far
  const margins: Float64Array[] = [];
  for (let k = 0; k < maxP; k++) {
    const xi = randomPatterns(1, n, rng)[0];
    const own = new Float64Array(n).fill(self);
    let stable = true;
    for (let nu = 0; nu < k; nu++) {
      const other = patterns[nu];
      let q = 0;
      for (let i = 0; i < n; i++) q += other[i] * xi[i];
      const row = margins[nu];
      for (let i = 0; i < n; i++) {
        const y = other[i] * xi[i]; // xi^nu_i xi^k_i
        const term = y * g[q - y + off]; // the same term enters both margins: G(q - y) is symmetric in nu, k
        row[i] += term;
        own[i] += term;
        if (row[i] <= 0) stable = false;
      }
    }
    for (let i = 0; i < n; i++) if (own[i] <= 0) stable = false;
    if (!stable) return { capacity: k, censored: false };
    patterns.push(xi);
    margins.push(own);
  }
  return { capacity: maxP, censored: true };
}

export const denseCapacity: Experiment = {
  name: 'dense-capacity',
  describe:
    'Largest P such that every prefix of a random pattern sequence is stored as exact T = 0 fixed points of a dense memory with F = x^p (Krotov-Hopfield), against N and p',
  params: {
    N: { type: 'integer', default: 30, min: 2, max: 5000, describe: 'number of spins N' },
    p: { type: 'number', default: 3, min: 1, max: 20, describe: 'the power p of F (an integer for power; p = 2 is Hopfield)' },
    F: { type: 'string', default: 'power', choices: ['power', 'rectified-power'], describe: 'interaction F = x^p (power) or max(x, 0)^p (rectified-power); the energy scale does not change stability' },
    maxP: { type: 'integer', default: 100_000, min: 1, max: 10_000_000, describe: 'the search stops at this many patterns (then censored = 1)' },
  },
  metrics: () => ['capacity', 'capacity_ratio', 'capacity_theory', 'censored'],
  noBackendReason:
    'a trial adds patterns one at a time and updates exact integer stability margins (up to 2^52, beyond float32), with no dynamics or sampling; the dense memories\' dynamics run on a device in the retrieval family (model dense)',
  check(params: Params): void {
    const p = params.p as number;
    const n = params.N as number;
    if (params.F === 'power' && !Number.isInteger(p)) throw new ParamError('params.p', `must be an integer for F "power", got ${p}`);
    // largest |G| is G(N - 1) ~ 2p N^(p-1): keep P |G| exact in float64
    if (Math.log(2 * p) + (p - 1) * Math.log(n) + Math.log(params.maxP as number) > MAX_LOG_G) {
      throw new ParamError('params.p', `N^(p-1) maxP = ${n}^${p - 1} * ${params.maxP} is too large for exact margins (2p N^(p-1) maxP must stay below 2^52); lower N, p or maxP`);
    }
  },
  run(params: Params, { rng }): MetricRow {
    const n = params.N as number;
    const p = params.p as number;
    const F = params.F as DenseInteraction;
    const { capacity, censored } = firstFailureCapacity(n, F, p, params.maxP as number, rng.split('patterns'));
    return {
      capacity,
      capacity_ratio: capacity / Math.pow(n, p - 1),
      capacity_theory: gaussianCapacityEstimate(n, F, p),
      censored: censored ? 1 : 0,
    };
  },
};
