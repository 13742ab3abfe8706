/**
 * Single-site sampling on the visible marginal
 *
 *     P(v) ∝ exp( -sum_i U_i(v_i) + sum_mu Gamma_mu(I_mu(v)) ),
 *
 * which needs only the hidden units' cumulant function: it is how models whose hidden units have
 * no sampler (step, custom Gamma-only units) are sampled, and it works for every other unit too.
 * Each chain keeps its hidden inputs I_mu = sum_i v_i W_{i mu} and updates them incrementally,
 * O(M) per accepted change of a site.
 *
 * - Visible units with a finite support (bernoulli, spin): heat bath. For site i and each value s,
 *   log w_s = -U_i(s) + sum_mu Gamma_mu(I_mu + W_{i mu} (s - v_i)); v_i is drawn with P ∝ w_s.
 * - Continuous visible units (gaussian): Metropolis-Hastings with the unit's own distribution at
 *   zero input as an independence proposal, s ~ exp(-U_i(s)); it is accepted with probability
 *   min(1, exp(sum_mu [Gamma_mu(I_mu + W_{i mu}(s - v_i)) - Gamma_mu(I_mu)])). One proposal per
 *   site per sweep.
 * A sweep visits the sites in order 0..N-1 in every chain.
 */
import type { RBM } from '../models/rbm';
import { cumulantSumError } from '../models/checks';
import type { Rng } from '../random/rng';
import type { FloatArray } from '../tensor/matrix';
import { checkVisibleStates, randomVisibleStates, requireCount } from './init';
import type { ChainOptions } from './gibbs';

/**
 * Single-site sampling of `chains` chains on the visible marginal P(v) ∝ exp(-sum_i U_i(v_i) +
 * sum_mu Gamma_mu(I_mu(v))): exact heat bath for binary visibles, Metropolis-Hastings with the unit's
 * zero-input distribution as proposal for continuous ones. Needs only the hidden cumulant Gamma.
 */
export class VisibleHeatBath {
  /** Visible states, chains x N, row-major, updated in place. */
  readonly visibleState: FloatArray;
  /** Hidden inputs I (without biases), chains x M, kept consistent with visibleState. */
  readonly hiddenInputs: Float64Array;
  readonly chains: number;
  private readonly rng: Rng;
  private readonly logWeights: Float64Array;
  /** Metropolis proposals made and accepted so far (continuous visibles only). */
  private proposals = 0;
  private accepted = 0;

  constructor(readonly rbm: RBM, options: Omit<ChainOptions, 'precision' | 'backend' | 'weights'>) {
    requireCount('chains', options.chains);
    if (!rbm.visible.canSample) throw new Error(`${rbm.visible.type} visible units cannot be sampled`);
    this.chains = options.chains;
    this.rng = options.rng;
    if (options.init !== undefined) {
      checkVisibleStates(rbm, options.init, this.chains);
      this.visibleState = Float64Array.from(options.init);
    } else {
      this.visibleState = randomVisibleStates(rbm, this.chains, this.rng);
    }
    this.hiddenInputs = rbm.hiddenInputs(this.visibleState, this.chains) as Float64Array;
    this.logWeights = new Float64Array(rbm.visible.support?.length ?? 0);
  }

  /** Acceptance rate of the Metropolis proposals (NaN when none were made). */
  get acceptanceRate(): number {
    return this.accepted / this.proposals;
  }

  /** Runs `count` sweeps over all sites of every chain. */
  sweep(count = 1): void {
    requireCount('sweeps', count, true);
    for (let s = 0; s < count; s++) {
      // Recompute the inputs from scratch before every sweep (O(N M), cheaper than the sweep's
      // O(N M |support|) cumulants): incremental rounding never accumulates, and a model whose
      // weights changed since the last sweep (training with persistent chains) is seen at once.
      this.rbm.hiddenInputs(this.visibleState, this.chains, this.hiddenInputs);
      for (let c = 0; c < this.chains; c++) {
        for (let i = 0; i < this.rbm.numVisible; i++) this.updateSite(c, i);
      }
    }
  }

  /** sum_mu Gamma_mu(I_mu + delta W_{i mu}) for chain c. */
  private cumulantSum(c: number, i: number, delta: number): number {
    const { hidden, weights, numHidden: m } = this.rbm;
    const inputs = this.hiddenInputs;
    let total = 0;
    for (let mu = 0; mu < m; mu++) total += hidden.cumulant(mu, inputs[c * m + mu] + delta * weights[i * m + mu]);
    // an infinite log weight has no heat-bath probability in float64 (Inf - Inf): refuse, never draw
    if (!Number.isFinite(total)) throw cumulantSumError(hidden, 'hidden', (mu) => inputs[c * m + mu] + delta * weights[i * m + mu], 'visible heat bath');
    return total;
  }

  private updateSite(c: number, i: number): void {
    const { visible } = this.rbm;
    const n = this.rbm.numVisible;
    const current = this.visibleState[c * n + i];
    const support = visible.support;
    let next: number;
    if (support !== undefined) {
      const lw = this.logWeights;
      let max = -Infinity;
      for (let k = 0; k < support.length; k++) {
        lw[k] = -visible.potential(i, support[k]) + this.cumulantSum(c, i, support[k] - current);
        if (lw[k] > max) max = lw[k];
      }
      let total = 0;
      for (let k = 0; k < support.length; k++) total += (lw[k] = Math.exp(lw[k] - max));
      let u = this.rng.uniform() * total;
      let k = 0;
      while (k < support.length - 1 && u >= lw[k]) u -= lw[k++];
      next = support[k];
    } else {
      const proposal = visible.sample(i, 0, this.rng);
      const logRatio = this.cumulantSum(c, i, proposal - current) - this.cumulantSum(c, i, 0);
      this.proposals++;
      if (logRatio >= 0 || this.rng.uniform() < Math.exp(logRatio)) {
        next = proposal;
        this.accepted++;
      } else {
        next = current;
      }
    }
    if (next !== current) {
      const delta = next - current;
      const m = this.rbm.numHidden;
      const w = this.rbm.weights;
      for (let mu = 0; mu < m; mu++) this.hiddenInputs[c * m + mu] += delta * w[i * m + mu];
      this.visibleState[c * n + i] = next;
    }
  }
}
