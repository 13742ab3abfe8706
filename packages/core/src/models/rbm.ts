/**
 * The restricted Boltzmann machine of MODELS.md §1, for any pair of unit layers:
 *
 *     E(v, h) = sum_i U_i(v_i) + sum_mu V_mu(h_mu) - sum_{i,mu} v_i W_{i mu} h_mu
 *     F(v)    = sum_i U_i(v_i) - sum_mu Gamma_mu(I_mu(v)),   I_mu(v) = sum_i v_i W_{i mu}
 *     F(h)    = sum_mu V_mu(h_mu) - sum_i Gamma_i(J_i(h)),   J_i(h)  = sum_mu W_{i mu} h_mu
 *
 * There is no temperature: it is absorbed into W and the unit parameters. Shapes: N visible
 * units, M hidden units, weights N x M row-major (row i = visible unit i), batches of states
 * batch x N or batch x M row-major.
 */
import { cpuBackend } from '../backend/cpu';
import type { Backend } from '../backend/backend';
import type { Rng } from '../random/rng';
import { normal } from '../random/distributions';
import type { FloatArray } from '../tensor/matrix';
import type { UnitLayer } from '../units/unit';

/**
 * A restricted Boltzmann machine E(v, h) = sum_i U_i(v_i) + sum_mu V_mu(h_mu) - sum_{i,mu} v_i W_{i mu} h_mu
 * for any pair of unit layers, with free energy F(v) = sum_i U_i(v_i) - sum_mu Gamma_mu(I_mu(v)).
 * N visible, M hidden units; W is N x M row-major; batches of states are batch x N or batch x M.
 */
export class RBM {
  /** Number of visible units N. */
  readonly numVisible: number;
  /** Number of hidden units M. */
  readonly numHidden: number;

  /**
   * @param visible the visible layer (its potential is U)
   * @param hidden the hidden layer (its cumulant is Gamma)
   * @param weights N x M row-major; kept by reference, so training updates it in place
   */
  constructor(
    readonly visible: UnitLayer,
    readonly hidden: UnitLayer,
    readonly weights: Float64Array,
  ) {
    this.numVisible = visible.size;
    this.numHidden = hidden.size;
    if (weights.length !== this.numVisible * this.numHidden) {
      throw new RangeError(
        `RBM: weights have ${weights.length} entries, expected ${this.numVisible} x ${this.numHidden}`,
      );
    }
  }

  /** Weights drawn i.i.d. Normal(0, scale^2) from the given stream. */
  static random(visible: UnitLayer, hidden: UnitLayer, rng: Rng, scale = 0.1): RBM {
    const w = new Float64Array(visible.size * hidden.size);
    for (let k = 0; k < w.length; k++) w[k] = scale * normal(rng);
    return new RBM(visible, hidden, w);
  }

  /** W[i, mu]. */
  weight(i: number, mu: number): number {
    return this.weights[i * this.numHidden + mu];
  }

  /** A deep copy (layers' parameters and weights copied). */
  clone(): RBM {
    return new RBM(
      this.visible.withParams(this.visible.params),
      this.hidden.withParams(this.hidden.params),
      Float64Array.from(this.weights),
    );
  }

  /** Inputs I (batch x M, without biases) to the hidden layer from visible states (batch x N). */
  hiddenInputs(v: FloatArray, batch = 1, out: FloatArray = new Float64Array(batch * this.numHidden), backend: Backend = cpuBackend): FloatArray {
    backend.hiddenInputs(v, this.weights, batch, this.numVisible, this.numHidden, out);
    return out;
  }

  /** Inputs J (batch x N, without biases) to the visible layer from hidden states (batch x M). */
  visibleInputs(h: FloatArray, batch = 1, out: FloatArray = new Float64Array(batch * this.numVisible), backend: Backend = cpuBackend): FloatArray {
    backend.visibleInputs(h, this.weights, batch, this.numVisible, this.numHidden, out);
    return out;
  }

  /** F(v) = sum_i U_i(v_i) - sum_mu Gamma_mu(I_mu(v)) for one visible state. */
  freeEnergy(v: ArrayLike<number>): number {
    return this.freeEnergies(Float64Array.from(v), 1)[0];
  }

  /** F(v) for each row of a batch of visible states. */
  freeEnergies(v: FloatArray, batch: number): Float64Array {
    const n = this.numVisible;
    const m = this.numHidden;
    const inputs = this.hiddenInputs(v, batch);
    const out = new Float64Array(batch);
    for (let b = 0; b < batch; b++) {
      let f = 0;
      for (let i = 0; i < n; i++) f += this.visible.potential(i, v[b * n + i]);
      for (let mu = 0; mu < m; mu++) f -= this.hidden.cumulant(mu, inputs[b * m + mu]);
      out[b] = f;
    }
    return out;
  }

  /** F(h) = sum_mu V_mu(h_mu) - sum_i Gamma_i(J_i(h)): the free energy of a hidden state. */
  hiddenFreeEnergy(h: ArrayLike<number>): number {
    const inputs = this.visibleInputs(Float64Array.from(h), 1);
    let f = 0;
    for (let mu = 0; mu < this.numHidden; mu++) f += this.hidden.potential(mu, h[mu]);
    for (let i = 0; i < this.numVisible; i++) f -= this.visible.cumulant(i, inputs[i]);
    return f;
  }

  /** E(v, h) for one joint state; needs both layers' potentials. */
  energy(v: ArrayLike<number>, h: ArrayLike<number>): number {
    const n = this.numVisible;
    const m = this.numHidden;
    let e = 0;
    for (let i = 0; i < n; i++) e += this.visible.potential(i, v[i]);
    for (let mu = 0; mu < m; mu++) e += this.hidden.potential(mu, h[mu]);
    for (let i = 0; i < n; i++) {
      if (v[i] === 0) continue;
      let s = 0;
      for (let mu = 0; mu < m; mu++) s += this.weights[i * m + mu] * h[mu];
      e -= v[i] * s;
    }
    return e;
  }

  /** E[h | v] = Gamma'(I(v)) for a batch (batch x M). */
  hiddenMean(v: FloatArray, batch = 1): Float64Array {
    const inputs = this.hiddenInputs(v, batch);
    return mapLayer(this.hidden, inputs, batch, (j, x) => this.hidden.mean(j, x));
  }

  /** E[v | h] for a batch (batch x N). */
  visibleMean(h: FloatArray, batch = 1): Float64Array {
    const inputs = this.visibleInputs(h, batch);
    return mapLayer(this.visible, inputs, batch, (i, x) => this.visible.mean(i, x));
  }

  /** Var[h | v] = Gamma''(I(v)) for a batch (batch x M). */
  hiddenVariance(v: FloatArray, batch = 1): Float64Array {
    const inputs = this.hiddenInputs(v, batch);
    return mapLayer(this.hidden, inputs, batch, (j, x) => this.hidden.variance(j, x));
  }

  /** Draws h ~ P(h | v) for a batch (batch x M), row by row, unit by unit from the stream. */
  sampleHidden(v: FloatArray, batch: number, rng: Rng, out: FloatArray = new Float64Array(batch * this.numHidden)): FloatArray {
    this.hiddenInputs(v, batch, out);
    sampleLayerInPlace(this.hidden, out, batch, rng);
    return out;
  }

  /** Draws v ~ P(v | h) for a batch (batch x N). */
  sampleVisible(h: FloatArray, batch: number, rng: Rng, out: FloatArray = new Float64Array(batch * this.numVisible)): FloatArray {
    this.visibleInputs(h, batch, out);
    sampleLayerInPlace(this.visible, out, batch, rng);
    return out;
  }
}

/** out[b, j] = f(j, inputs[b, j]) over a batch of a layer's inputs. */
function mapLayer(layer: UnitLayer, inputs: FloatArray, batch: number, f: (j: number, x: number) => number): Float64Array {
  const n = layer.size;
  const out = new Float64Array(batch * n);
  for (let b = 0; b < batch; b++) for (let j = 0; j < n; j++) out[b * n + j] = f(j, inputs[b * n + j]);
  return out;
}

/** Replaces each input in a batch (batch x layer.size) by a draw of its unit given that input. */
export function sampleLayerInPlace(layer: UnitLayer, inputsThenStates: FloatArray, batch: number, rng: Rng): void {
  if (!layer.canSample) {
    throw new Error(`${layer.type} units have no conditional sampler; use the visible heat bath`);
  }
  const n = layer.size;
  for (let b = 0; b < batch; b++) {
    const row = b * n;
    for (let j = 0; j < n; j++) inputsThenStates[row + j] = layer.sample(j, inputsThenStates[row + j], rng);
  }
}
