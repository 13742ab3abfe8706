/**
 * A dense memory with F a power, as an explicit higher-order Boltzmann machine on spins.
 *
 * With y_i = xi_i sigma_i in {-1, +1}, (sum_i y_i)^p expands over words (i_1 .. i_p); since
 * y_i^2 = 1 a word reduces to the product over the units it holds an odd number of times, so
 *
 *   (xi . sigma)^p = sum_{S, |S| <= p, |S| = p mod 2} n_{|S|} prod_{i in S} xi_i sigma_i,
 *   n_k = p! [t^p] sinh(t)^k cosh(t)^(N-k)
 *       = 2^-N sum_{j=0..k} sum_{l=0..N-k} (-1)^j C(k, j) C(N-k, l) (N - 2j - 2l)^p
 *
 * (the number of words whose odd-multiplicity set is one given set of size k; exact in BigInt).
 * Hence -E = c sum_mu (xi^mu . sigma)^p gives couplings J_S = c n_{|S|} sum_mu prod_{i in S} xi^mu_i
 * for every S with 1 <= |S| <= p, |S| = p mod 2, and for even p the constant c n_0 P, returned as
 * energyOffset: E_dense(sigma) = E_hobm(sigma) + energyOffset, so log Z_dense = log Z_hobm - beta
 * energyOffset and P(sigma) is the same. Example, p = 2 normalized (Hopfield): n_0 = N, n_2 = 2,
 * J_ij = (1/N) sum_mu xi_i xi_j for i < j, energyOffset = -P/2 (the diagonal i = j of the sum).
 */
import { HigherOrderBoltzmannMachine, type HigherOrderCoupling } from '../hobm/model';
import type { DenseAssociativeMemory } from './model';

/** The most couplings a conversion writes (sum over k of C(N, k)). */
const MAX_CONVERTED_COUPLINGS = 1_000_000;

function binomialBig(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  let r = 1n;
  for (let j = 1; j <= k; j++) r = (r * BigInt(n - k + j)) / BigInt(j);
  return r;
}

/** n_k for k = 0..p: the coefficient of a product of k distinct y's in (y_1 + ... + y_N)^p. */
export function powerExpansionCounts(size: number, p: number): bigint[] {
  const n = size;
  const out: bigint[] = [];
  const denominator = 1n << BigInt(n);
  for (let k = 0; k <= p; k++) {
    if (k > n || (p - k) % 2 !== 0) {
      out.push(0n);
      continue;
    }
    let sum = 0n;
    for (let j = 0; j <= k; j++) {
      const cj = binomialBig(k, j) * (j % 2 === 0 ? 1n : -1n);
      for (let l = 0; l <= n - k; l++) sum += cj * binomialBig(n - k, l) * BigInt(n - 2 * j - 2 * l) ** BigInt(p);
    }
    if (sum % denominator !== 0n) throw new Error(`powerExpansionCounts: ${sum} is not divisible by 2^${n}`);
    out.push(sum / denominator);
  }
  return out;
}

/**
 * The explicit higher-order Boltzmann machine (spin units, no biases unless p is odd) with the
 * same P(sigma) as a dense memory whose F is a power (normalized or krotov), and the constant
 * energyOffset = E_dense - E_hobm. Throws for rectified-power and exp (not polynomials in sigma),
 * and when the couplings would exceed a million.
 */
export function denseToHigherOrderBM(dense: DenseAssociativeMemory): { model: HigherOrderBoltzmannMachine; energyOffset: number } {
  const energy = dense.energyConvention;
  if (energy.F !== 'power') throw new RangeError(`denseToHigherOrderBM: F "${energy.F}" is not a polynomial; only F "power" expands into couplings`);
  const n = dense.size;
  const p = energy.p as number;
  const pp = dense.numPatterns;
  const counts = powerExpansionCounts(n, p);
  let total = 0;
  for (let k = 1; k <= Math.min(p, n); k++) if (counts[k] !== 0n) total += Number(binomialBig(n, k));
  if (total > MAX_CONVERTED_COUPLINGS) {
    throw new RangeError(`denseToHigherOrderBM: N = ${n}, p = ${p} gives ${total} couplings (more than ${MAX_CONVERTED_COUPLINGS})`);
  }
  // c = 1 (krotov) or N^(1-p)/p (normalized)
  const c = energy.kind === 'normalized' ? Math.pow(n, 1 - p) / p : 1;
  const couplings: HigherOrderCoupling[] = [];
  const sites: number[] = [];
  const xi = dense.patterns;
  // products prod_{i in S} xi^mu_i of the current partial set, one per pattern, by depth
  const emit = (k: number, coefficient: number) => {
    const partial: Int8Array[] = [new Int8Array(pp).fill(1)];
    const recurse = (start: number, depth: number) => {
      if (depth === k) {
        let s = 0;
        for (let mu = 0; mu < pp; mu++) s += partial[depth][mu];
        couplings.push({ sites: sites.slice(), J: coefficient * s });
        return;
      }
      for (let i = start; i <= n - (k - depth); i++) {
        sites[depth] = i;
        const next = (partial[depth + 1] ??= new Int8Array(pp));
        for (let mu = 0; mu < pp; mu++) next[mu] = partial[depth][mu] * xi[mu * n + i];
        recurse(i + 1, depth + 1);
      }
      sites.length = depth;
    };
    recurse(0, 0);
  };
  for (let k = 1; k <= Math.min(p, n); k++) {
    if (counts[k] !== 0n) emit(k, c * Number(counts[k]));
  }
  const energyOffset = -c * Number(counts[0]) * pp;
  return {
    model: new HigherOrderBoltzmannMachine({ type: 'spin', size: n, couplings, beta: dense.beta }),
    energyOffset,
  };
}
