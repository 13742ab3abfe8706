/**
 * Energy conventions of dense associative memories (MODELS.md §3). Spins sigma in {-1, +1}^N,
 * patterns xi^mu in {-1, +1}^N (mu = 0 .. P-1), overlaps x_mu = xi^mu . sigma (integers in
 * [-N, N]) and Mattis overlaps m_mu = x_mu / N.
 *
 *   normalized:  E = -N sum_mu F(m_mu),     F(m) = m^p / p          (p integer >= 1)
 *   krotov:      E = -sum_mu F(x_mu),       F(x) = x^p              "power" (p integer >= 1)
 *                                           F(x) = max(x, 0)^p      "rectified-power" (p > 0)
 *                                           F(x) = e^x              "exp" (no p)
 *
 * and P(sigma) ∝ exp(-beta E(sigma)). Both conventions are -E = c sum_mu f(x_mu) with f(x) = x^p,
 * max(x, 0)^p or e^x, and c = 1 (krotov) or c = N^(1-p) / p (normalized). The normalized energy
 * with p = 2 is the Hopfield energy -(1/(2N)) sum_mu (xi^mu . sigma)^2, diagonal included
 * (MODELS.md §4); its load is alpha = P / N^(p-1).
 *
 * Single-site dynamics need, for site i, the energy difference
 *
 *   Delta_i = E(sigma_i = -1) - E(sigma_i = +1) = sum_mu xi^mu_i D(a_mu),
 *   a_mu = x_mu - xi^mu_i sigma_i   (the overlap without site i, an integer in [-(N-1), N-1]),
 *   D(a) = c [f(a + 1) - f(a - 1)],
 *
 * using f(a + xi) - f(a - xi) = xi (f(a + 1) - f(a - 1)) for xi = +-1. Since a takes only 2N - 1
 * integer values, D is tabulated once per model, as sign(D) and log|D| computed in a form that
 * neither overflows nor cancels:
 *   f = x^p, b = |a| >= 1:  f(b + 1) - f(b - 1) = (b + 1)^p (1 - ((b - 1)/(b + 1))^p), so
 *       log = p log(b + 1) + log1mexp(-p log1p(-2/(b + 1)))
 *     (b = 1 gives p log 2; the normalized energy takes p log((b + 1)/N) there and adds
 *     log(N/p), which keeps the log small and precise near full overlap), and f(a+1) - f(a-1) at a = -b is -(-1)^p times its value at b;
 *     at a = 0 it is 1 - (-1)^p;
 *   f = max(x, 0)^p: as the power for a >= 1, 1 at a = 0, 0 for a <= -1;
 *   f = e^x:  e^(a+1) - e^(a-1) = e^a 2 sinh(1), log = a + log(2 sinh 1).
 * log|D| stays finite where D itself is far beyond float64 (e^999 for exp at N = 1000, or
 * 1000^199 for p = 200). Where G = f(a + 1) - f(a - 1) fits in float64 it is tabulated as well,
 * exactly (BigInt, rounded once) for integer p, for the dynamics' direct sums.
 */
import { log1mexp } from '../../math/special';

/**
 * Energy convention of a dense memory: 'normalized' E = -N sum_mu m_mu^p / p with m_mu = x_mu / N
 * (power F only), or 'krotov' E = -sum_mu F(x_mu) on the raw overlaps x_mu = xi^mu . sigma.
 */
export type DenseEnergyKind = 'normalized' | 'krotov';
/** The interaction (separation) function F of a dense associative memory. */
export type DenseInteraction = 'power' | 'rectified-power' | 'exp';

/** Every DenseEnergyKind, in the order messages list them. */
export const DENSE_ENERGY_KINDS: readonly DenseEnergyKind[] = ['normalized', 'krotov'];
/** Every DenseInteraction F: power x^p, rectified-power max(x, 0)^p, exp e^x. */
export const DENSE_INTERACTIONS: readonly DenseInteraction[] = ['power', 'rectified-power', 'exp'];

/** An energy convention, as in the model file's "energy" field. */
export interface DenseEnergy {
  readonly kind: DenseEnergyKind;
  readonly F: DenseInteraction;
  /** The power p: an integer >= 1 for "power", a number > 0 for "rectified-power"; absent for "exp". */
  readonly p?: number;
}

/** Reports one problem with a field (its path, e.g. "energy.p") and never returns. */
export type FieldFailure = (field: string, detail: string) => never;

/**
 * Checks an energy convention, reporting the first problem through `fail` with the field path
 * under `prefix` ("energy." in a model file). Only the value rules; the caller checks types of
 * unknown fields.
 */
export function checkDenseEnergy(energy: DenseEnergy, fail: FieldFailure, prefix = 'energy.'): void {
  if (!DENSE_ENERGY_KINDS.includes(energy.kind)) {
    fail(`${prefix}kind`, `must be one of ${DENSE_ENERGY_KINDS.map((k) => `"${k}"`).join(', ')}, got ${JSON.stringify(energy.kind)}`);
  }
  if (!DENSE_INTERACTIONS.includes(energy.F)) {
    fail(`${prefix}F`, `must be one of ${DENSE_INTERACTIONS.map((k) => `"${k}"`).join(', ')}, got ${JSON.stringify(energy.F)}`);
  }
  if (energy.kind === 'normalized' && energy.F !== 'power') {
    fail(
      `${prefix}F`,
      `"${energy.F}" is not allowed with kind "normalized", which takes F "power" only (E = -N sum_mu m_mu^p / p); use kind "krotov" for "${energy.F}"`,
    );
  }
  const p = energy.p;
  if (energy.F === 'exp') {
    if (p !== undefined) fail(`${prefix}p`, 'does not apply to F "exp" (F(x) = e^x); leave it out');
    return;
  }
  if (p === undefined) fail(`${prefix}p`, `is missing (F "${energy.F}" needs a power p)`);
  if (energy.F === 'power') {
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 1) fail(`${prefix}p`, `must be an integer >= 1 for F "power", got ${describeValue(p)}`);
  } else if (typeof p !== 'number' || !Number.isFinite(p) || !(p > 0)) {
    fail(`${prefix}p`, `must be a finite number > 0 for F "rectified-power", got ${describeValue(p)}`);
  }
}

function describeValue(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** log(2 sinh 1) = log(e - 1/e). */
const LOG_2_SINH_1 = Math.log(Math.E - 1 / Math.E);

/** log c: 0 (krotov) or (1 - p) log N - log p (normalized). */
export function logEnergyScale(energy: DenseEnergy, size: number): number {
  return energy.kind === 'normalized' ? (1 - (energy.p as number)) * Math.log(size) - Math.log(energy.p as number) : 0;
}

/**
 * -E contributed by one pattern at overlap x, for x = -N .. N: table[x + N] = c f(x). Used by
 * exact enumeration and energies; c f(x) may be +-Infinity where it exceeds float64 (e^x for
 * x > 709.78), the correct limit.
 */
export function patternEnergyTable(energy: DenseEnergy, size: number): Float64Array {
  const n = size;
  const out = new Float64Array(2 * n + 1);
  const p = energy.p as number;
  for (let x = -n; x <= n; x++) {
    let value: number;
    if (energy.kind === 'normalized') value = (n * Math.pow(x / n, p)) / p; // N F(m), |m| <= 1: no overflow
    else if (energy.F === 'power') value = Math.pow(x, p); // exact sign for integer p
    else if (energy.F === 'rectified-power') value = x > 0 ? Math.pow(x, p) : 0;
    else value = Math.exp(x);
    out[x + n] = value;
  }
  return out;
}

/**
 * sign and log|.| of (f(a + 1) - f(a - 1)) / u^p for f = x^p or max(x, 0)^p and integer a, as
 * [sign, log]. The unit u (N for the normalized energy, 1 for krotov) enters as log((b + 1)/u), so
 * near full overlap the log is small and keeps its relative precision (with u = 1 and the scale
 * N^(1-p)/p applied after, p = 400 at N = 1000 would add and cancel logs of size 2760).
 */
function powerDifference(a: number, p: number, rectified: boolean, unit: number): [number, number] {
  const logUnit = p * Math.log(unit);
  if (a === 0) {
    if (rectified) return [1, -logUnit]; // 1^p - 0
    return p % 2 === 1 ? [1, Math.LN2 - logUnit] : [0, -Infinity]; // 1 - (-1)^p
  }
  if (a < 0 && rectified) return [0, -Infinity]; // both arguments <= 0
  const b = Math.abs(a);
  // (b + 1)^p (1 - ((b - 1)/(b + 1))^p); ((b-1)/(b+1))^p = exp(p log1p(-2/(b+1))), 0 at b = 1
  const logRatio = p * Math.log1p(-2 / (b + 1));
  const log = p * Math.log((b + 1) / unit) + (logRatio === -Infinity ? 0 : log1mexp(-logRatio));
  const sign = a > 0 ? 1 : p % 2 === 0 ? -1 : 1; // f(a+1) - f(a-1) = -(-1)^p (f(b+1) - f(b-1)) at a = -b
  return [sign, log];
}

/**
 * The tabulated energy differences D(a) = c G(a), G(a) = f(a + 1) - f(a - 1), for
 * a = -(N-1) .. N-1 at index a + N - 1.
 */
export interface DifferenceTable {
  /** sign(D(a)) in {-1, 0, +1}. */
  readonly sign: Int8Array;
  /** log|D(a)| = log c + log|G(a)|; -Infinity where D(a) = 0. */
  readonly logAbs: Float64Array;
  /** max over a of log|D(a)|. */
  readonly maxLogAbs: number;
  /** log c (0 for krotov). */
  readonly logScale: number;
  /** max over a of log|G(a)|. */
  readonly maxLogG: number;
  /**
   * G(a) as float64 where every |G(a)| is below e^700, else undefined. For an integer p (power,
   * or rectified-power with an integer p) G(a) is an integer computed exactly in BigInt and
   * rounded once (exact below 2^53), so sums of G, and so ties Delta_i = 0, are exact.
   */
  readonly g: Float64Array | undefined;
}

/** G(a) below this magnitude is tabulated in float64 (float64 overflows at e^709.78). */
const MAX_LOG_TABULATED = 700;

/** D(a) = c [f(a + 1) - f(a - 1)] for every overlap a without one site (see the file comment). */
export function differenceTable(energy: DenseEnergy, size: number): DifferenceTable {
  const n = size;
  const len = Math.max(1, 2 * n - 1);
  const sign = new Int8Array(len);
  // log|G(a)/u^p|, u = N (normalized) or 1 (krotov and exp); then log|D| = that + log(c u^p)
  const unit = energy.kind === 'normalized' ? n : 1;
  const logAbs = new Float64Array(len);
  let maxLogAbs = -Infinity;
  for (let a = -(n - 1); a <= n - 1; a++) {
    let s: number;
    let l: number;
    if (energy.F === 'exp') [s, l] = [1, a + LOG_2_SINH_1];
    else [s, l] = powerDifference(a, energy.p as number, energy.F === 'rectified-power', unit);
    const k = a + n - 1;
    sign[k] = s;
    logAbs[k] = s === 0 ? -Infinity : l;
    if (logAbs[k] > maxLogAbs) maxLogAbs = logAbs[k];
  }
  const logScale = logEnergyScale(energy, n);
  const logUnitPower = energy.kind === 'normalized' ? (energy.p as number) * Math.log(n) : 0; // log u^p
  const logCUnit = logScale + logUnitPower; // log(c u^p): log(N/p) normalized, 0 krotov
  for (let k = 0; k < len; k++) logAbs[k] += logCUnit;
  const maxLogG = maxLogAbs + logUnitPower;
  let g: Float64Array | undefined;
  if (maxLogG < MAX_LOG_TABULATED) {
    const p = energy.p;
    if (p !== undefined && Number.isInteger(p)) {
      // exact integers: (a+1)^p - (a-1)^p, arguments clamped at 0 for the rectified power
      const rectified = energy.F === 'rectified-power';
      const pow = (x: number) => (rectified && x <= 0 ? 0n : BigInt(x) ** BigInt(p));
      g = new Float64Array(len);
      for (let a = -(n - 1); a <= n - 1; a++) g[a + n - 1] = Number(pow(a + 1) - pow(a - 1));
    } else {
      g = Float64Array.from(logAbs, (l, k) => sign[k] * Math.exp(l - logScale)); // G = D / c (c = 1 here)
    }
  }
  return { sign, logAbs, maxLogAbs: maxLogAbs + logCUnit, logScale, maxLogG, g };
}
