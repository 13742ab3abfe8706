/**
 * The annealing path of AIS and the Markov transitions along it: the private kernel of ais.ts.
 *
 * Path (Salakhutdinov and Murray 2008, with the unit conventions of MODELS.md §1): for b in [0, 1]
 *
 *     p*_b(v) = exp( -U_b(v) + sum_mu Gamma_mu(b I_mu(v)) ),   I_mu(v) = sum_i v_i W_{i mu},
 *
 * the visible marginal of the RBM with weights b W, the same hidden units (their biases are not
 * scaled), and a visible layer whose parameters are (1 - b) base + b target. At b = 0 the model
 * has no couplings: p_0(v) = prod_i exp(-U^base_i(v_i)) / Z_i, drawn exactly, and
 *
 *     log Z_0 = sum_i Gamma^base_i(0) + sum_mu Gamma_mu(0)
 *
 * (Gamma^base_i is the base visible layer's cumulant). At b = 1 it is the target's exp(-F(v)).
 * Without a base distinct from the target the visible potentials are the same at every b and
 * cancel from every weight increment.
 *
 * Transitions leave p_b invariant:
 * - 'gibbs': block Gibbs of the RBM (b W): h ~ P(h | b I(v)), then v ~ P_b(v | b J(h)), with
 *   I = v W and J = W h from the backend on the whole batch of chains (W is never copied or
 *   scaled: the inputs are). Needs a conditional sampler in both layers.
 * - 'heatbath': one sweep of single-site updates on p_b (the kernel of sampling/heatbath.ts with
 *   inputs scaled by b): for a visible unit with a finite support an exact heat bath,
 *   log w_s = -U_{b,i}(s) + sum_mu Gamma_mu(b (I_mu + W_{i mu} (s - v_i)));
 *   for a continuous one Metropolis-Hastings with the path layer's own zero-input distribution
 *   exp(-U_{b,i}(s)) as independence proposal. Needs only Gamma: works for every hidden unit.
 *
 * Storage is float64 throughout and nothing is allocated per step.
 */
import type { Backend } from '../backend/backend';
import type { RBM } from '../models/rbm';
import { sampleLayerWith } from '../sampling/gibbs';
import { cumulantSumError } from '../models/checks';
import type { Rng } from '../random/rng';
import { copyParams, type LayerParams, type UnitLayer } from '../units/unit';

/**
 * Markov transition at each inverse temperature b: 'gibbs' (block Gibbs, both layers sample) or
 * 'heatbath' (one visible heat-bath sweep; Metropolis-Hastings for gaussian visibles).
 */
export type TransitionName = 'gibbs' | 'heatbath';

export interface AnnealingPathOptions {
  readonly chains: number;
  /** Starting visible states (chains x N), copied. */
  readonly init: Float64Array;
  /** Parameters of the base visible layer; undefined: the target's own (nothing interpolates). */
  readonly baseVisibleParams: LayerParams | undefined;
  readonly transition: TransitionName;
  readonly backend: Backend;
  readonly rng: Rng;
}

export class AnnealingPath {
  readonly n: number;
  readonly m: number;
  readonly chains: number;
  /** Visible states, chains x N. */
  readonly state: Float64Array;
  /** I = v W (no biases), chains x M, consistent with `state` between calls. */
  private readonly inputs: Float64Array;
  /** Hidden states of the Gibbs transition, chains x M. */
  private readonly hiddenState: Float64Array;
  /** The visible layer at the current b: its parameters are overwritten by setBeta. */
  private readonly pathVisible: UnitLayer;
  private readonly base: LayerParams | undefined;
  private readonly target: LayerParams;
  private beta = Number.NaN;
  /** Heat bath scratch, one entry per support value: log weights and sum_mu Gamma_mu(b I_mu). */
  private readonly logW: Float64Array;
  private readonly valueSums: Float64Array;
  private readonly transitionName: TransitionName;
  private readonly backend: Backend;
  private readonly rng: Rng;

  constructor(readonly rbm: RBM, options: AnnealingPathOptions) {
    this.n = rbm.numVisible;
    this.m = rbm.numHidden;
    this.chains = options.chains;
    this.transitionName = options.transition;
    this.backend = options.backend;
    this.rng = options.rng;
    this.state = Float64Array.from(options.init);
    this.inputs = new Float64Array(this.chains * this.m);
    this.hiddenState = new Float64Array(options.transition === 'gibbs' ? this.chains * this.m : 0);
    this.logW = new Float64Array(rbm.visible.support?.length ?? 0);
    this.valueSums = new Float64Array(this.logW.length);
    this.target = rbm.visible.params;
    this.base = options.baseVisibleParams;
    this.pathVisible = this.base === undefined ? rbm.visible : rbm.visible.withParams(copyParams(this.target));
    this.recomputeInputs();
  }

  /** Sets the path layer's visible parameters to (1 - b) base + b target (exact at b = 0 and 1). */
  private setBeta(b: number): void {
    if (this.base === undefined || b === this.beta) return;
    for (const name of Object.keys(this.target)) {
      const out = this.pathVisible.params[name];
      const t = this.target[name];
      const s = this.base[name];
      for (let i = 0; i < out.length; i++) out[i] = (1 - b) * s[i] + b * t[i];
    }
    this.beta = b;
  }

  private recomputeInputs(): void {
    this.backend.hiddenInputs(this.state, this.rbm.weights, this.chains, this.n, this.m, this.inputs);
  }

  /** sum_i U_{b,i}(v_i) of chain c at the path layer's current b. */
  private visiblePotential(c: number): number {
    const layer = this.pathVisible;
    const row = c * this.n;
    let u = 0;
    for (let i = 0; i < this.n; i++) u += layer.potential(i, this.state[row + i]);
    return u;
  }

  /**
   * logWeights[c] += log p*_to(v_c) - log p*_from(v_c) at the current states:
   *   sum_mu [Gamma_mu(to I_mu) - Gamma_mu(from I_mu)] - [U_to(v) - U_from(v)].
   */
  accumulate(from: number, to: number, logWeights: Float64Array): void {
    const { m, chains, inputs } = this;
    const hidden = this.rbm.hidden;
    for (let c = 0; c < chains; c++) {
      const row = c * m;
      let d = 0;
      for (let mu = 0; mu < m; mu++) {
        const x = inputs[row + mu];
        d += hidden.cumulant(mu, to * x) - hidden.cumulant(mu, from * x);
      }
      if (!Number.isFinite(d)) throw this.overflow(c, from, to);
      logWeights[c] += d;
    }
    if (this.base !== undefined) {
      this.setBeta(from);
      for (let c = 0; c < chains; c++) logWeights[c] += this.visiblePotential(c);
      this.setBeta(to);
      for (let c = 0; c < chains; c++) logWeights[c] -= this.visiblePotential(c);
    }
  }

  /**
   * The error for a weight increment that left float64: the first hidden unit of chain c whose
   * cumulant at b I is not finite, b the larger of the step's two (where the cumulant is larger).
   */
  private overflow(c: number, from: number, to: number): Error {
    const b = Math.abs(to) >= Math.abs(from) ? to : from;
    return cumulantSumError(this.rbm.hidden, 'hidden', (mu) => b * this.inputs[c * this.m + mu], `AIS at b = ${b}`);
  }

  /** One transition that leaves p_b invariant (see the file comment). */
  transition(b: number): void {
    this.setBeta(b);
    if (this.transitionName === 'gibbs') this.gibbs(b);
    else this.heatBath(b);
  }

  private gibbs(b: number): void {
    const { n, m, chains, inputs, hiddenState: h, state } = this;
    const w = this.rbm.weights;
    for (let k = 0; k < chains * m; k++) h[k] = b * inputs[k];
    sampleLayerWith(this.backend, this.rbm.hidden, h, chains, this.rng);
    this.backend.visibleInputs(h, w, chains, n, m, state);
    for (let k = 0; k < chains * n; k++) state[k] *= b;
    sampleLayerWith(this.backend, this.pathVisible, state, chains, this.rng);
    this.recomputeInputs();
  }

  /** sum_mu Gamma_mu(b (I_mu + delta W_{i mu})) for chain c. */
  private cumulantSum(c: number, i: number, delta: number, b: number): number {
    const { m, inputs } = this;
    const { hidden, weights } = this.rbm;
    const row = c * m;
    const wRow = i * m;
    let total = 0;
    for (let mu = 0; mu < m; mu++) total += hidden.cumulant(mu, b * (inputs[row + mu] + delta * weights[wRow + mu]));
    if (!Number.isFinite(total)) throw cumulantSumError(hidden, 'hidden', (mu) => b * (inputs[row + mu] + delta * weights[wRow + mu]), `AIS heat bath at b = ${b}`);
    return total;
  }

  private heatBath(b: number): void {
    const { n, m, chains, inputs, state, logW, valueSums } = this;
    const layer = this.pathVisible;
    const support = layer.support;
    const w = this.rbm.weights;
    const rng = this.rng;
    for (let c = 0; c < chains; c++) {
      // sum_mu Gamma_mu(b I_mu) at the chain's current state, carried along the sweep
      let current = this.cumulantSum(c, 0, 0, b);
      for (let i = 0; i < n; i++) {
        const v = state[c * n + i];
        let next = v;
        let nextSum = current;
        if (support !== undefined) {
          // exact heat bath over the finite support; the current value reuses its cumulant sum
          let max = -Infinity;
          for (let k = 0; k < support.length; k++) {
            const s = support[k];
            valueSums[k] = s === v ? current : this.cumulantSum(c, i, s - v, b);
            logW[k] = -layer.potential(i, s) + valueSums[k];
            if (logW[k] > max) max = logW[k];
          }
          let total = 0;
          for (let k = 0; k < support.length; k++) total += logW[k] = Math.exp(logW[k] - max);
          let u = rng.uniform() * total;
          let k = 0;
          while (k < support.length - 1 && u >= logW[k]) u -= logW[k++];
          next = support[k];
          nextSum = valueSums[k];
        } else {
          // Metropolis-Hastings, proposal s ~ exp(-U_{b,i}(s)): the U terms cancel in the ratio
          const proposal = layer.sample(i, 0, rng);
          const proposedSum = this.cumulantSum(c, i, proposal - v, b);
          const logRatio = proposedSum - current;
          if (logRatio >= 0 || rng.uniform() < Math.exp(logRatio)) {
            next = proposal;
            nextSum = proposedSum;
          }
        }
        if (next !== v) {
          const delta = next - v;
          const row = c * m;
          const wRow = i * m;
          for (let mu = 0; mu < m; mu++) inputs[row + mu] += delta * w[wRow + mu];
          state[c * n + i] = next;
          current = nextSum;
        }
      }
    }
    // fresh inputs once per sweep, so incremental rounding never accumulates
    this.recomputeInputs();
  }
}
