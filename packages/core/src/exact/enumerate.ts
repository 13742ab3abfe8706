/**
 * Exact oracles for small RBMs, by enumerating every state of a binary layer.
 *
 * Summing one layer out leaves the free energy of the other (MODELS.md §1), so for a binary
 * layer L of n units enumerated in 2^n states s, with the other layer O,
 *
 *     log Z = logsumexp_s [ -sum_{k in L} V_k(s_k) + sum_{j in O} Gamma_j(in_j(s)) ],
 *
 * in_j(s) = sum_k s_k C_{kj}, with C = W (L visible) or W^T (L hidden). The smaller binary layer
 * is enumerated. State index: unit k of state number s takes support[(s >> k) & 1].
 *
 * The inputs of a state are the sum of two precomputed halves (the low and the high bits of s),
 * so each state costs one add per input and nothing drifts: no Gray-code running sums.
 * Accumulation is float64 with a blockwise logsumexp.
 */
import type { RBM } from '../models/rbm';
import type { Rng } from '../random/rng';
import type { LayerParams, UnitLayer } from '../units/unit';
import { zeroParams } from '../units/unit';

/** Default largest layer enumerated: 2^24 states. */
export const DEFAULT_MAX_ENUMERATED_UNITS = 24;

/** Which binary layer the exact oracles enumerate, and the largest they accept (2^maxUnits states). */
export interface EnumerationOptions {
  /** Largest binary layer to enumerate (default 24). */
  readonly maxUnits?: number;
  /** Which layer to enumerate; default the smaller binary one. */
  readonly enumerate?: Side;
}

/** A layer of an RBM, by role. */
export type Side = 'visible' | 'hidden';

/** The model is too large, or has no binary layer, to be enumerated. */
export class EnumerationError extends Error {
  override readonly name = 'EnumerationError';
}

function isBinary(layer: UnitLayer): boolean {
  return layer.support !== undefined && layer.support.length === 2;
}

/** The layer the oracles enumerate: the smaller binary layer within the size limit. */
export function enumerationSide(rbm: RBM, options: EnumerationOptions = {}, require: Side | undefined = options.enumerate): Side {
  const maxUnits = options.maxUnits ?? DEFAULT_MAX_ENUMERATED_UNITS;
  if (!Number.isInteger(maxUnits) || maxUnits < 1 || maxUnits > 30) {
    throw new RangeError(`maxUnits must be an integer in 1..30 (2^30 states), got ${maxUnits}`);
  }
  const candidates: Side[] = [];
  if (isBinary(rbm.visible) && rbm.numVisible <= maxUnits) candidates.push('visible');
  if (isBinary(rbm.hidden) && rbm.numHidden <= maxUnits) candidates.push('hidden');
  const allowed = require === undefined ? candidates : candidates.filter((s) => s === require);
  if (allowed.length === 0) {
    const what = require === undefined ? 'a binary layer' : `a binary ${require} layer`;
    throw new EnumerationError(
      `exact enumeration needs ${what} of at most ${maxUnits} units; this model has ` +
        `${rbm.numVisible} ${rbm.visible.type} visible and ${rbm.numHidden} ${rbm.hidden.type} hidden units`,
    );
  }
  if (allowed.length === 2) return rbm.numHidden < rbm.numVisible ? 'hidden' : 'visible';
  return allowed[0];
}

/** The enumerated layer, the other one, and the coupling C (n x m) between them. */
interface Enumeration {
  readonly side: Side;
  readonly layer: UnitLayer;
  readonly other: UnitLayer;
  readonly n: number;
  readonly m: number;
  readonly coupling: Float64Array;
}

function enumeration(rbm: RBM, side: Side): Enumeration {
  if (side === 'visible') {
    return { side, layer: rbm.visible, other: rbm.hidden, n: rbm.numVisible, m: rbm.numHidden, coupling: rbm.weights };
  }
  const n = rbm.numHidden;
  const m = rbm.numVisible;
  const ct = new Float64Array(n * m);
  for (let i = 0; i < m; i++) for (let mu = 0; mu < n; mu++) ct[mu * m + i] = rbm.weights[i * n + mu];
  return { side, layer: rbm.hidden, other: rbm.visible, n, m, coupling: ct };
}

/**
 * The 2^bits states of units offset .. offset + bits - 1 of a binary layer (bit k of s: unit
 * offset + k takes support[bit]), with their inputs to the other layer (count x m, through the
 * n x m coupling) and their summed potentials. Enumerations build the full inputs as the sum of a
 * low and a high half, so no incremental update can drift.
 */
export function partialStates(
  layer: UnitLayer,
  support: readonly number[],
  coupling: ArrayLike<number>,
  m: number,
  bits: number,
  offset: number,
): { count: number; inputs: Float64Array; potentials: Float64Array } {
  const count = 2 ** bits;
  const inputs = new Float64Array(count * m);
  const potentials = new Float64Array(count);
  for (let s = 0; s < count; s++) {
    let pot = 0;
    for (let k = 0; k < bits; k++) {
      const value = support[(s >>> k) & 1];
      pot += layer.potential(offset + k, value);
      if (value !== 0) {
        const row = (offset + k) * m;
        for (let j = 0; j < m; j++) inputs[s * m + j] += value * coupling[row + j];
      }
    }
    potentials[s] = pot;
  }
  return { count, inputs, potentials };
}

/**
 * Visits every state s of the enumerated layer with its unnormalized log weight
 * -F_L(s) = -sum V(s) + sum Gamma(in(s)) and its inputs to the other layer.
 * `visitBlock` receives blocks of consecutive states (first index, log weights, inputs as
 * count x m) so callers can vectorize; the arrays are reused between calls.
 */
function forEachStateBlock(
  e: Enumeration,
  visitBlock: (first: number, count: number, logWeights: Float64Array, inputs: Float64Array) => void,
): void {
  const { layer, other, n, m, coupling } = e;
  const support = layer.support as readonly number[];
  const lo = Math.min(n, Math.max(1, Math.ceil(n / 2)));
  const hi = n - lo;
  const low = partialStates(layer, support, coupling, m, lo, 0);
  const high = partialStates(layer, support, coupling, m, hi, lo);
  const logWeights = new Float64Array(low.count);
  const inputs = new Float64Array(low.count * m);
  for (let h = 0; h < high.count; h++) {
    for (let l = 0; l < low.count; l++) {
      let lw = -(low.potentials[l] + high.potentials[h]);
      for (let j = 0; j < m; j++) {
        const x = low.inputs[l * m + j] + high.inputs[h * m + j];
        inputs[l * m + j] = x;
        lw += other.cumulant(j, x);
      }
      logWeights[l] = lw;
    }
    visitBlock(h * low.count, low.count, logWeights, inputs);
  }
}

/** Running logsumexp over blocks of values. */
class LogSumExp {
  private max = -Infinity;
  private sum = 0;
  add(values: Float64Array, count = values.length): void {
    let blockMax = -Infinity;
    for (let k = 0; k < count; k++) if (values[k] > blockMax) blockMax = values[k];
    if (blockMax === -Infinity) return;
    if (blockMax === Infinity || Number.isNaN(blockMax)) {
      this.max = blockMax;
      return;
    }
    if (blockMax > this.max) {
      this.sum *= Math.exp(this.max - blockMax);
      this.max = blockMax;
    }
    for (let k = 0; k < count; k++) this.sum += Math.exp(values[k] - this.max);
  }
  get value(): number {
    if (!Number.isFinite(this.max)) return this.max;
    return this.max + Math.log(this.sum);
  }
}

/** Exact log Z (natural log) and the layer whose 2^n states were summed. */
export interface LogZResult {
  readonly logZ: number;
  /** Which layer was summed over. */
  readonly enumerated: Side;
}

/** Exact log Z by enumerating the smaller binary layer (2^min states), float64. */
export function exactLogZ(rbm: RBM, options: EnumerationOptions = {}): LogZResult {
  const side = enumerationSide(rbm, options);
  const acc = new LogSumExp();
  forEachStateBlock(enumeration(rbm, side), (_first, count, lw) => acc.add(lw, count));
  return { logZ: acc.value, enumerated: side };
}

/** Unit values of enumerated state number s (n units). */
export function stateFromIndex(s: number, n: number, support: readonly number[], out = new Float64Array(n)): Float64Array {
  for (let k = 0; k < n; k++) out[k] = support[(s >>> k) & 1];
  return out;
}

/** Index of a binary state (inverse of stateFromIndex); -1 if a value is not in the support. */
export function indexFromState(state: ArrayLike<number>, support: readonly number[]): number {
  let s = 0;
  for (let k = 0; k < state.length; k++) {
    const bit = state[k] === support[1] ? 1 : state[k] === support[0] ? 0 : -1;
    if (bit < 0) return -1;
    s += bit * 2 ** k;
  }
  return s;
}

/**
 * log P(v) for all 2^N visible states (bernoulli or spin visibles, N <= maxUnits), indexed as in
 * stateFromIndex with the visible layer's support.
 */
export function visibleLogProbabilities(rbm: RBM, options: EnumerationOptions = {}): Float64Array {
  enumerationSide(rbm, options, 'visible');
  const out = new Float64Array(2 ** rbm.numVisible);
  const acc = new LogSumExp();
  forEachStateBlock(enumeration(rbm, 'visible'), (first, count, lw) => {
    out.set(lw.subarray(0, count), first);
    acc.add(lw, count);
  });
  const logZ = acc.value;
  for (let s = 0; s < out.length; s++) out[s] -= logZ;
  return out;
}

/** P(v) for all 2^N visible states (see visibleLogProbabilities). */
export function visibleProbabilities(rbm: RBM, options: EnumerationOptions = {}): Float64Array {
  const logp = visibleLogProbabilities(rbm, options);
  for (let s = 0; s < logp.length; s++) logp[s] = Math.exp(logp[s]);
  return logp;
}

/** Cumulative distribution over enumerated states, from log weights. */
function cumulative(e: Enumeration): Float64Array {
  const cdf = new Float64Array(2 ** e.n);
  const acc = new LogSumExp();
  forEachStateBlock(e, (first, count, lw) => {
    cdf.set(lw.subarray(0, count), first);
    acc.add(lw, count);
  });
  const logZ = acc.value;
  let total = 0;
  for (let s = 0; s < cdf.length; s++) cdf[s] = total += Math.exp(cdf[s] - logZ);
  return cdf;
}

/** An index drawn from the unnormalized cumulative distribution cdf (one uniform, bisection). */
export function drawIndex(cdf: Float64Array, rng: Rng): number {
  const u = rng.uniform() * cdf[cdf.length - 1];
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid] > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Independent exact draws of visible states (count x N). Enumerates the smaller binary layer:
 * visible states are drawn from P(v) directly; hidden states from P(h), then v ~ P(v | h).
 */
export function exactSample(rbm: RBM, count: number, rng: Rng, options: EnumerationOptions = {}): Float64Array {
  const side = enumerationSide(rbm, options);
  const e = enumeration(rbm, side);
  const cdf = cumulative(e);
  const n = rbm.numVisible;
  const out = new Float64Array(count * n);
  const support = e.layer.support as readonly number[];
  if (side === 'visible') {
    for (let c = 0; c < count; c++) out.set(stateFromIndex(drawIndex(cdf, rng), n, support), c * n);
    return out;
  }
  if (!rbm.visible.canSample) throw new EnumerationError(`${rbm.visible.type} visible units cannot be sampled`);
  const h = new Float64Array(count * rbm.numHidden);
  for (let c = 0; c < count; c++) h.set(stateFromIndex(drawIndex(cdf, rng), rbm.numHidden, support), c * rbm.numHidden);
  return rbm.sampleVisible(h, count, rng, out) as Float64Array;
}

/** Gradient of the mean log-likelihood with respect to every parameter (ascent direction). */
export interface RbmGradient {
  /** d/dW, N x M row-major. */
  readonly weights: Float64Array;
  /** By parameter name, as in rbm.visible.params. */
  readonly visible: LayerParams;
  /** By parameter name, as in rbm.hidden.params. */
  readonly hidden: LayerParams;
}

/** Mean log-likelihood of the rows of `data` (batch x N): mean(-F(v)) - log Z. */
export function exactLogLikelihood(rbm: RBM, data: ArrayLike<number>, batch: number, options: EnumerationOptions = {}): number {
  const f = rbm.freeEnergies(Float64Array.from(data), batch);
  let mean = 0;
  for (let b = 0; b < batch; b++) mean -= f[b] / batch;
  return mean - exactLogZ(rbm, options).logZ;
}

/**
 * The exact gradient of the mean log-likelihood L = mean_data(-F(v)) - log Z:
 *
 *   dL/dW_{i mu} = <v_i Gamma_mu'(I_mu)>_data - <v_i h_mu>_model
 *   dL/dp        = <d(-F)/dp>_data - <d(-F)/dp>_model   for every unit parameter p
 *
 * The model term sums over the enumerated layer: with visibles enumerated it is the data term
 * under P(v); with hidden units enumerated, -F(h) = -sum V(h) + sum Gamma_i(J_i(h)) gives
 * <h_mu Gamma_i'(J_i)>, <dGamma_i/dp(J_i)> and -<dV_mu/dp(h_mu)>.
 */
export function exactGradient(
  rbm: RBM,
  data: ArrayLike<number>,
  batch: number,
  options: EnumerationOptions = {},
): { logLikelihood: number; gradient: RbmGradient } {
  const n = rbm.numVisible;
  const m = rbm.numHidden;
  const grad: RbmGradient = {
    weights: new Float64Array(n * m),
    visible: zeroParams(rbm.visible),
    hidden: zeroParams(rbm.hidden),
  };
  // data term
  const v = Float64Array.from(data);
  const inputs = rbm.hiddenInputs(v, batch);
  let meanNegF = 0;
  for (let b = 0; b < batch; b++) {
    const scale = 1 / batch;
    let negF = 0;
    for (let i = 0; i < n; i++) {
      negF -= rbm.visible.potential(i, v[b * n + i]);
      rbm.visible.addPotentialGrad(i, v[b * n + i], -scale, grad.visible);
    }
    for (let mu = 0; mu < m; mu++) {
      const x = inputs[b * m + mu];
      negF += rbm.hidden.cumulant(mu, x);
      rbm.hidden.addCumulantGrad(mu, x, scale, grad.hidden);
      const a = scale * rbm.hidden.mean(mu, x);
      for (let i = 0; i < n; i++) grad.weights[i * m + mu] += v[b * n + i] * a;
    }
    meanNegF += negF / batch;
  }
  // model term: needs log Z first, then a second pass weighted by P(s)
  const side = enumerationSide(rbm, options);
  const e = enumeration(rbm, side);
  const acc = new LogSumExp();
  forEachStateBlock(e, (_first, count, lw) => acc.add(lw, count));
  const logZ = acc.value;
  const support = e.layer.support as readonly number[];
  const state = new Float64Array(e.n);
  // coupling gradient in the enumeration's orientation (n x m), transposed at the end if needed
  const dC = side === 'visible' ? grad.weights : new Float64Array(e.n * e.m);
  const layerGrad = side === 'visible' ? grad.visible : grad.hidden;
  const otherGrad = side === 'visible' ? grad.hidden : grad.visible;
  const otherMean = new Float64Array(e.m);
  forEachStateBlock(e, (first, count, lw, ins) => {
    for (let l = 0; l < count; l++) {
      const p = Math.exp(lw[l] - logZ);
      if (p === 0) continue;
      stateFromIndex(first + l, e.n, support, state);
      for (let k = 0; k < e.n; k++) e.layer.addPotentialGrad(k, state[k], p, layerGrad);
      for (let j = 0; j < e.m; j++) {
        const x = ins[l * e.m + j];
        e.other.addCumulantGrad(j, x, -p, otherGrad);
        otherMean[j] = p * e.other.mean(j, x);
      }
      for (let k = 0; k < e.n; k++) {
        const sk = state[k];
        if (sk === 0) continue;
        const row = k * e.m;
        for (let j = 0; j < e.m; j++) dC[row + j] -= sk * otherMean[j];
      }
    }
  });
  if (side === 'hidden') {
    for (let mu = 0; mu < m; mu++) for (let i = 0; i < n; i++) grad.weights[i * m + mu] += dC[mu * n + i];
  }
  return { logLikelihood: meanNegF - logZ, gradient: grad };
}
