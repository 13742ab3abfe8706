/**
 * `retrieval` (issue 5, family 1): associative recall of P random +-1 patterns xi^mu (N spins,
 * drawn from the trial stream), starting from the target pattern xi^0 with round(noise N)
 * distinct bits flipped, and reporting the Mattis overlap |m| = |(1/N) sum_i xi^0_i sigma_i| at
 * the end (MODELS.md §3-4). P is given directly or as P = round(alpha N) for every model, so that
 * models compare at equal P (the natural load of a dense memory is P / N^(p-1): give P there).
 *
 * Models, at temperature T = 1/b:
 * - hopfield: Hebbian couplings J_ij = (1/N) sum_mu xi^mu_i xi^mu_j without self-coupling,
 *   E = -sum_{i<j} J_ij sigma_i sigma_j, run as the dense memory with the normalized energy and
 *   p = 2, E = -(1/(2N)) sum_mu (xi^mu . sigma)^2, which differs only by the constant diagonal
 *   P/2: its field Delta_i = E(sigma_i = -1) - E(sigma_i = +1) = 2 sum_{j != i} J_ij sigma_j
 *   (DenseDynamics, overlaps kept exactly, O(P) per site). The heat bath is Glauber's,
 *   P(sigma_i = +1) = sigmoid(2 b h_i); with P = 1 it is the Curie-Weiss magnet, m = tanh(m / T).
 * - rbm: spin visibles, P hidden units of type `hidden` (default parameters: unit precision, zero
 *   bias), weights W = sqrt(b/N) xi (MODELS.md §4; gaussian units then give exactly the Hopfield
 *   model at inverse temperature b, the sqrt matters). T > 0 samples the visible marginal
 *   P(v) ∝ exp(sum_mu Gamma(I_mu(v))) by the single-site heat bath (VisibleHeatBath), which every
 *   unit type supports. T = 0 is greedy single-site descent of the free energy
 *   F(v) = -sum_mu Gamma(I_mu(v)) at W = xi/sqrt(N) (b = 1): a spin flips when that lowers F by
 *   more than rounding (relative 1e-12; smaller is a tie and the spin stays). For gaussian units
 *   -F = (1/(2N)) sum_mu (xi^mu . v)^2 + const, so this is the Hopfield T = 0 dynamics, spin for
 *   spin. For other units the zero-temperature limit b -> infinity of P(v) would depend on how
 *   Gamma grows; the b = 1 descent is the natural deterministic dynamics of the model as given.
 * - dense: DenseAssociativeMemory with the energy convention `energy` (normalized:
 *   E = -N sum_mu F(m_mu), F(m) = m^p / p, power F only; krotov: E = -sum_mu F(xi^mu . sigma),
 *   F = x^p, max(x, 0)^p or e^x) at inverse temperature b. T is on the scale of E: O(1) for the
 *   normalized energy, N^(p-1) times larger for krotov powers.
 *
 * Dynamics: T = 0 is asynchronous, each sweep visiting the N sites in a fresh random order drawn
 * from the trial stream, sigma_i <- the value of lower energy (ties keep the spin); it stops at
 * the first sweep that flips nothing (a fixed point) or after `sweeps` sweeps. T > 0 runs `sweeps`
 * heat-bath sweeps in the library samplers' sequential order 0..N-1 (any order samples the same
 * distribution).
 *
 * Streams: rng.split('patterns') for the patterns, 'start' for the flipped bits, 'dynamics' for
 * the site orders and heat-bath draws.
 *
 * Recalls (`recalls` = R, optional): R recalls of one pattern set per trial, recall r from pattern
 * xi^(r mod P) with its own round(noise N) flips (stream 'start' for r = 0, 'start-r' after), its
 * overlap taken with that pattern; the trial reports the means over recalls and the spread
 * overlap_sd (the standard deviation of the R overlaps, denominator R). At T = 0 every recall
 * visits the sites in the same random order per sweep (drawn from 'dynamics', as with one recall);
 * at T > 0 recall r draws from its own stream ('dynamics', then 'dynamics-r') on the CPU, from its
 * own chain's counters on a device. Without `recalls` a trial is the one recall r = 0, as before.
 *
 * On a device (a backend with denseDynamics, e.g. --backend gpu): models hopfield and dense, and
 * rbm with gaussian hidden units (the Hopfield model at inverse temperature b, MODELS.md §4), run
 * as one chain per recall, states on the device until the final read-back: the heat bath in the
 * order 0 .. N-1 with the device's counter-based uniforms, T = 0 with the site orders above. The
 * device sums Delta exactly where G is integral and small (Hopfield, integer powers at moderate N
 * and P), so T = 0 then reaches exactly the CPU's fixed points; elsewhere (log domain) a tie within
 * float32 rounding may go either way. Other rbm hidden units have no device kernel: such a point
 * is refused with --backend gpu.
 */
import {
  checkDenseEnergy,
  createLayer,
  DENSE_ENERGY_KINDS,
  DENSE_INTERACTIONS,
  DenseAssociativeMemory,
  DenseDynamics,
  HIDDEN_UNIT_TYPES,
  hopfieldToRbm,
  permutation,
  randomPatterns,
  RBM,
  VisibleHeatBath,
  type DenseEnergy,
  type DenseEnergyKind,
  type Backend,
  type DenseInteraction,
  type Rng,
} from '@rbmlab/core';
import { ParamError, type BackendUse, type Experiment, type MetricRow, type ParamValue, type Params } from '../study/experiment';

/** Free-energy changes below this fraction of the terms' magnitude are ties (rounding, not descent). */
const TIE_TOLERANCE = 1e-12;

/** The number of stored patterns: P as given, or round(alpha N). */
export function retrievalPatternCount(params: Params): number {
  if (params.P !== undefined) return params.P as number;
  return Math.round((params.alpha as number) * (params.N as number));
}

/** The dense energy convention of a params object (p left out for F "exp"). */
function denseEnergy(params: Params): DenseEnergy {
  const F = params.F as DenseInteraction;
  const kind = params.energy as DenseEnergyKind;
  return F === 'exp' ? { kind, F } : { kind, F, p: params.p as number };
}

/** `pattern` with exactly `flips` distinct sites, chosen uniformly from rng, flipped (a copy, +-1 as float64). */
export function corruptPattern(pattern: ArrayLike<number>, flips: number, rng: Rng): Float64Array {
  const n = pattern.length;
  if (!(Number.isInteger(flips) && flips >= 0 && flips <= n)) throw new RangeError(`corruptPattern: flips must be an integer in 0..${n}, got ${flips}`);
  const out = Float64Array.from(pattern);
  const order = permutation(n, rng);
  for (let k = 0; k < flips; k++) out[order[k]] = -out[order[k]];
  return out;
}

/** |(1/N) sum_i xi_i sigma_i|. */
export function absoluteOverlap(pattern: ArrayLike<number>, state: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < pattern.length; i++) s += pattern[i] * state[i];
  return Math.abs(s / pattern.length);
}

/**
 * Zero-temperature descent of the free energy F(v) = sum_i U_i(v_i) - sum_mu Gamma_mu(I_mu(v)) of
 * a spin-visible RBM, one chain, in place: each sweep visits the sites in a fresh random order
 * from rng and flips v_i when that lowers F by more than TIE_TOLERANCE times the magnitude of the
 * terms; the hidden inputs are updated incrementally (O(M) per site). Stops at the first sweep
 * without a flip. Returns the sweeps run and whether that fixed point was reached.
 */
export function descendFreeEnergy(rbm: RBM, state: Float64Array, maxSweeps: number, rng: Rng): { sweeps: number; converged: boolean } {
  const { visible, hidden, weights, numVisible: n, numHidden: m } = rbm;
  const inputs = rbm.hiddenInputs(state, 1) as Float64Array;
  for (let sweep = 1; sweep <= maxSweeps; sweep++) {
    let flips = 0;
    const order = permutation(n, rng);
    for (let k = 0; k < n; k++) {
      const i = order[k];
      const s = state[i];
      const delta = -2 * s;
      // -F(flipped) + F(current)
      let gain = visible.potential(i, s) - visible.potential(i, -s);
      let scale = Math.abs(visible.potential(i, s)) + Math.abs(visible.potential(i, -s));
      for (let mu = 0; mu < m; mu++) {
        const now = hidden.cumulant(mu, inputs[mu]);
        const next = hidden.cumulant(mu, inputs[mu] + delta * weights[i * m + mu]);
        gain += next - now;
        scale += Math.abs(next) + Math.abs(now);
      }
      if (gain > TIE_TOLERANCE * scale) {
        state[i] = -s;
        for (let mu = 0; mu < m; mu++) inputs[mu] += delta * weights[i * m + mu];
        flips++;
      }
    }
    if (flips === 0) return { sweeps: sweep, converged: true };
  }
  return { sweeps: maxSweeps, converged: false };
}

/** The RBM of the rbm model: hopfieldToRbm's spin visibles and W = sqrt(beta/N) xi, with P hidden units of `type`. */
export function patternRbm(patterns: readonly ArrayLike<number>[], type: string, beta: number): RBM {
  const hopfield = hopfieldToRbm([...patterns], beta);
  return new RBM(hopfield.visible, createLayer(type, patterns.length), hopfield.weights);
}

/** The dense memory that models hopfield and dense (and rbm with gaussian units, on a device) run. */
function memoryOf(params: Params, patterns: Int8Array[]): DenseAssociativeMemory {
  const temperature = params.temperature as number;
  const energy: DenseEnergy = params.model === 'dense' ? denseEnergy(params) : { kind: 'normalized', F: 'power', p: 2 };
  return new DenseAssociativeMemory({ patterns, energy, beta: temperature === 0 ? 1 : 1 / temperature });
}

/** One recall on the CPU: returns the final state and the sweeps run. */
function recall(params: Params, patterns: Int8Array[], start: Float64Array, rng: Rng): { state: ArrayLike<number>; sweeps: number } {
  const temperature = params.temperature as number;
  const sweeps = params.sweeps as number;
  const model = params.model as string;
  if (model === 'rbm') {
    if (temperature === 0) {
      const state = Float64Array.from(start);
      const run = descendFreeEnergy(patternRbm(patterns, params.hidden as string, 1), state, sweeps, rng);
      return { state, sweeps: run.sweeps };
    }
    const sampler = new VisibleHeatBath(patternRbm(patterns, params.hidden as string, 1 / temperature), { chains: 1, rng, init: start });
    sampler.sweep(sweeps);
    return { state: sampler.visibleState, sweeps };
  }
  const memory = memoryOf(params, patterns);
  if (temperature === 0) {
    const dynamics = new DenseDynamics(memory, { chains: 1, rng, init: start, order: 'random' });
    const run = dynamics.relax(sweeps);
    return { state: dynamics.spins, sweeps: run.sweeps };
  }
  const dynamics = new DenseDynamics(memory, { chains: 1, rng, init: start });
  dynamics.heatBath(sweeps);
  return { state: dynamics.spins, sweeps };
}

/**
 * All recalls on `backend`'s device, one chain each (states chains x N from `starts`): returns the
 * final states and the sweeps each ran. T = 0 sweeps visit the sites in permutation(N, 'dynamics')
 * order, drawn per sweep as the CPU's DenseDynamics draws them for one chain; the heat bath's
 * uniforms come from the device's counters under the seed of the 'dynamics' stream.
 */
function recallOnDevice(params: Params, patterns: Int8Array[], starts: Float64Array, recalls: number, rng: Rng, backend: Backend): { states: Float64Array; sweeps: ArrayLike<number> } {
  const sweeps = params.sweeps as number;
  const n = params.N as number;
  const stream = rng.split('dynamics');
  const dynamics = backend.denseDynamics!(memoryOf(params, patterns), { chains: recalls, seed: stream.seed, init: starts });
  try {
    let run: ArrayLike<number>;
    if (params.temperature === 0) {
      run = dynamics.relax(sweeps, () => permutation(n, stream)).sweeps;
    } else {
      dynamics.heatBath(sweeps);
      run = new Float64Array(recalls).fill(sweeps);
    }
    return { states: dynamics.states(), sweeps: run };
  } finally {
    dynamics.dispose();
  }
}

/**
 * Whether a point runs on a device's dense dynamics: true, or why not (rbm hidden units other than
 * gaussian; with `backend`, a backend without denseDynamics or a size beyond its device).
 */
export function retrievalBackendUse(params: Params, backend?: Backend): BackendUse {
  if (params.model === 'rbm' && params.hidden !== 'gaussian') {
    return `model rbm with ${params.hidden} hidden units has no device kernel (the device runs dense-memory dynamics: models hopfield and dense, and rbm with gaussian hidden units, the Hopfield model)`;
  }
  if (backend === undefined) return true;
  if (backend.denseDynamics === undefined) return `the backend ${backend.name} has no dense-memory dynamics`;
  const limit = backend.denseDynamicsLimit?.(params.N as number, retrievalPatternCount(params), (params.recalls as number | undefined) ?? 1);
  return limit === undefined ? true : limit;
}

export const retrieval: Experiment = {
  name: 'retrieval',
  describe:
    'Associative recall of P = round(alpha N) random +-1 patterns (hopfield, rbm with any hidden unit, dense memory) from pattern 0 with noise: final overlap |m| (MODELS.md §3-4)',
  params: {
    N: { type: 'integer', default: 200, min: 1, max: 100_000, describe: 'number of spins (visible units) N' },
    alpha: { type: 'number', min: 0, exclusiveMin: true, describe: 'load: P = round(alpha N) patterns, for every model (give alpha or P, not both)' },
    P: { type: 'integer', min: 1, describe: 'number of patterns P (give alpha or P, not both)' },
    model: {
      type: 'string',
      default: 'hopfield',
      choices: ['hopfield', 'rbm', 'dense'],
      describe: 'hopfield (Hebbian J = xi xi^T / N, no self-coupling) | rbm (W = sqrt(b/N) xi, hidden units `hidden`) | dense (energy, F, p)',
    },
    hidden: {
      type: 'string',
      default: 'gaussian',
      choices: HIDDEN_UNIT_TYPES,
      describe: 'rbm model: hidden unit type (unit precision, zero bias); gaussian gives exactly the Hopfield model',
    },
    energy: {
      type: 'string',
      default: 'normalized',
      choices: DENSE_ENERGY_KINDS,
      describe: 'dense model: normalized E = -N sum_mu m_mu^p / p (power F only) | krotov E = -sum_mu F(xi^mu . sigma)',
    },
    F: { type: 'string', default: 'power', choices: DENSE_INTERACTIONS, describe: 'dense model: interaction F = x^p (power), max(x,0)^p (rectified-power) or e^x (exp)' },
    p: { type: 'number', default: 3, min: 0, exclusiveMin: true, max: 100, describe: 'dense model: the power p of F (an integer for power; unused by exp)' },
    temperature: { type: 'number', default: 0, min: 0, describe: 'T = 1/b; 0 = zero-temperature asynchronous dynamics (random order each sweep) until a fixed point' },
    noise: { type: 'number', default: 0.1, min: 0, max: 1, describe: 'fraction of the target pattern xi^0 flipped in the start state (exactly round(noise N) distinct bits)' },
    sweeps: { type: 'integer', default: 100, min: 1, max: 1_000_000, describe: 'heat-bath sweeps at T > 0; at T = 0 the most sweeps before stopping without a fixed point' },
    recalls: {
      type: 'integer',
      min: 1,
      max: 16_384,
      columnWhenGiven: true,
      describe: 'recalls per trial, recall r from pattern r mod P (one chain each on a device); metrics are means over recalls, plus overlap_sd. Unset: one recall from pattern 0',
    },
  },
  metrics: (params: Params) => ['overlap', 'overlap_start', 'sweeps_run', ...(params.recalls !== undefined ? ['overlap_sd'] : [])],
  usesBackend: retrievalBackendUse,
  check(params: Params): void {
    const hasAlpha = params.alpha !== undefined;
    const hasP = params.P !== undefined;
    if (hasAlpha === hasP) {
      throw new ParamError(hasAlpha ? 'params.P' : 'params.alpha', hasAlpha ? 'give alpha or P, not both' : 'give the load alpha (P = round(alpha N)) or the number of patterns P');
    }
    if (hasAlpha && retrievalPatternCount(params) < 1) {
      throw new ParamError('params.alpha', `round(alpha N) = round(${params.alpha} * ${params.N}) is 0; at least one pattern is needed`);
    }
    if (params.model === 'dense') {
      const fields: Record<string, string> = { kind: 'params.energy', F: 'params.F', p: 'params.p' };
      const energy = denseEnergy(params);
      checkDenseEnergy(energy, (field, detail) => {
        throw new ParamError(fields[field] ?? `params.${field}`, detail);
      }, '');
    }
  },
  plan(params: Params) {
    const zero = params.temperature === 0;
    const model = params.model as string;
    const dynamics = zero
      ? model === 'rbm'
        ? 'T = 0: greedy single-site descent of F(v) at W = xi/sqrt(N), random site order per sweep, until a fixed point'
        : 'T = 0: asynchronous sign(Delta_i) updates, random site order per sweep, until a fixed point'
      : model === 'rbm'
        ? 'heat bath on the visible marginal (VisibleHeatBath), sequential sweeps'
        : 'heat bath (DenseDynamics), sequential sweeps';
    const plan: Record<string, ParamValue> = { patterns: retrievalPatternCount(params), dynamics };
    if (params.recalls !== undefined) plan.recalls = 'recall r from pattern r mod P with its own flips; at T = 0 all recalls share the site order of each sweep';
    return plan;
  },
  run(params: Params, { rng, backend }): MetricRow {
    const n = params.N as number;
    const P = retrievalPatternCount(params);
    const recalls = (params.recalls as number | undefined) ?? 1;
    const patterns = randomPatterns(P, n, rng.split('patterns'));
    const flips = Math.round((params.noise as number) * n);
    const targets = Array.from({ length: recalls }, (_, r) => patterns[r % P]);
    const starts = targets.map((target, r) => corruptPattern(target, flips, rng.split(r === 0 ? 'start' : `start-${r}`)));
    const overlaps = new Float64Array(recalls);
    const startOverlaps = new Float64Array(recalls);
    const sweeps = new Float64Array(recalls);
    if (backend.denseDynamics !== undefined) {
      // never a silent CPU run on a device backend: the runner refuses such points first
      const use = retrievalBackendUse(params, backend);
      if (use !== true) throw new Error(`retrieval on ${backend.name}: ${use}`);
      const init = new Float64Array(recalls * n);
      starts.forEach((start, r) => init.set(start, r * n));
      const run = recallOnDevice(params, patterns, init, recalls, rng, backend);
      for (let r = 0; r < recalls; r++) {
        overlaps[r] = absoluteOverlap(targets[r], run.states.subarray(r * n, (r + 1) * n));
        sweeps[r] = run.sweeps[r];
      }
    } else {
      for (let r = 0; r < recalls; r++) {
        // T = 0: the same site orders for every recall (a fresh copy of 'dynamics'); T > 0: a stream per recall
        const stream = rng.split(r === 0 || params.temperature === 0 ? 'dynamics' : `dynamics-${r}`);
        const run = recall(params, patterns, starts[r], stream);
        overlaps[r] = absoluteOverlap(targets[r], run.state);
        sweeps[r] = run.sweeps;
      }
    }
    starts.forEach((start, r) => (startOverlaps[r] = absoluteOverlap(targets[r], start)));
    if (params.recalls === undefined) return { overlap: overlaps[0], overlap_start: startOverlaps[0], sweeps_run: sweeps[0] };
    const overlap = mean(overlaps);
    return { overlap, overlap_start: mean(startOverlaps), sweeps_run: mean(sweeps), overlap_sd: Math.sqrt(mean(overlaps.map((m) => (m - overlap) ** 2))) };
  },
};

function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < values.length; k++) s += values[k];
  return s / values.length;
}
