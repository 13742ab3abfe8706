/**
 * The negative phase of sampled training: visible states approximately drawn from the model,
 * on which the statistics < d(-F)/dp >_model are averaged.
 *
 * - CD-k (Hinton 2002): chains start at the minibatch and run k sweeps.
 * - PCD (Tieleman 2008): persistent chains, started at random once, run k sweeps per update.
 * - PT (parallel tempering): persistent chains at inverse temperatures 1 = b_0 > b_1 > ... > b_{R-1}
 *   >= 0. Tempering scales the interaction only, as the AIS path does:
 *       p_b(v) ∝ exp( -sum_i U_i(v_i) + sum_mu Gamma_mu(b I_mu(v)) ),
 *   i.e. the RBM with weights b W and the same units, so b = 0 is the independent-unit model and
 *   every unit type (Gamma-only ones included, on the visible marginal) can be tempered. After
 *   the k sweeps, chain c of replicas r and r + 1 swap states with probability
 *       min(1, p_{b_r}(v_{r+1}) p_{b_{r+1}}(v_r) / (p_{b_r}(v_r) p_{b_{r+1}}(v_{r+1}))),
 *   where the U terms cancel, leaving sum_mu of four Gamma terms; even pairs (0-1, 2-3, ...) on
 *   even updates, odd pairs on odd ones. The statistics come from replica 0 (b = 1).
 *
 * The sampler is block Gibbs where both layers can be sampled, otherwise the visible heat bath.
 */
import { defaultBackend } from '../backend/default';
import type { Backend } from '../backend/backend';
import { RBM } from '../models/rbm';
import type { Rng } from '../random/rng';
import { createChain, type ChainOptions, type MarkovChain } from '../sampling';
import type { FloatArray, Precision } from '../tensor/matrix';

/**
 * A sampled negative phase: 'cd' (CD-k from the minibatch), 'pcd' (persistent chains), 'pt'
 * (persistent chains at several inverse temperatures with replica swaps).
 */
export type SampledMethod = 'cd' | 'pcd' | 'pt';

/** What a checkpoint keeps of the chains. */
export interface ChainState {
  /** Visible states of each replica (PCD: one), chains x N row-major. */
  readonly replicas: Float64Array[];
  /** Updates done so far (PT alternates even and odd swap pairs with it). */
  readonly updates: number;
  /** Per adjacent pair (r, r + 1): swaps proposed and accepted so far. */
  readonly swapsProposed: number[];
  readonly swapsAccepted: number[];
}

/** The model-side sampler of training: gives the visible states on which < d(-F)/dp >_model is averaged. */
export interface NegativePhase {
  /** Runs this update's sampling; returns the model's visible states (count x N). */
  run(batch: FloatArray, rows: number): { states: FloatArray; count: number };
  /** The persistent chains (null for CD, which keeps none). */
  getState(): ChainState | null;
}

/**
 * Options of `createNegativePhase`: k sweeps per update, persistent chains per replica, the PT ladder,
 * the stream, the backend, chains to continue, and the storage precision and weights of CD/PCD chains.
 */
export interface NegativePhaseOptions {
  readonly k: number;
  /** Persistent chains per replica (PCD, PT). */
  readonly chains: number;
  /** PT inverse temperatures, betas[0] = 1, strictly decreasing, >= 0. */
  readonly betas?: readonly number[];
  readonly rng: Rng;
  readonly backend?: Backend;
  /** Chains to continue (from a checkpoint). */
  readonly state?: ChainState;
  /**
   * CD and PCD: the chains' storage precision (default float64) and the weights their sweeps
   * read, a live mirror of rbm.weights kept current by the caller (for float32: see Trainer).
   * PT replicas scale their own float64 copies of W and ignore both.
   */
  readonly precision?: Precision;
  readonly weights?: FloatArray;
}

/** The PT ladder: R inverse temperatures evenly spaced from 1 down to betaMin. */
export function linearBetas(replicas: number, betaMin = 0): number[] {
  if (!(Number.isInteger(replicas) && replicas >= 2)) throw new RangeError(`parallel tempering needs at least 2 replicas, got ${replicas}`);
  if (!(betaMin >= 0 && betaMin < 1)) throw new RangeError(`betaMin must be in [0, 1), got ${betaMin}`);
  return Array.from({ length: replicas }, (_, r) => 1 - ((1 - betaMin) * r) / (replicas - 1));
}

/**
 * Checks a PT ladder: at least 2 inverse temperatures, betas[0] = 1 exactly, strictly decreasing,
 * all >= 0; a RangeError says which rule fails.
 */
export function checkBetas(betas: readonly number[]): void {
  if (betas.length < 2) throw new RangeError(`parallel tempering needs at least 2 inverse temperatures, got ${betas.length}`);
  if (betas[0] !== 1) throw new RangeError(`the first inverse temperature must be 1 (the model itself), got ${betas[0]}`);
  for (let r = 1; r < betas.length; r++) {
    if (!(betas[r] < betas[r - 1] && betas[r] >= 0)) {
      throw new RangeError(`inverse temperatures must decrease strictly and stay >= 0; got ${betas.join(', ')}`);
    }
  }
}

/**
 * The negative phase of `method` on the model (held by reference). PT without `betas` uses
 * linearBetas(5): 1, 0.75, 0.5, 0.25, 0.
 */
export function createNegativePhase(rbm: RBM, method: SampledMethod, options: NegativePhaseOptions): NegativePhase {
  switch (method) {
    case 'cd':
      return new ContrastiveDivergence(rbm, options);
    case 'pcd':
      return new TemperedChains(rbm, [1], options);
    case 'pt': {
      const betas = options.betas ?? linearBetas(5);
      checkBetas(betas);
      return new TemperedChains(rbm, betas, options);
    }
    default:
      throw new RangeError(`unknown sampled training method "${String(method)}"`);
  }
}

class ContrastiveDivergence implements NegativePhase {
  constructor(
    private readonly rbm: RBM,
    private readonly options: NegativePhaseOptions,
  ) {}

  run(batch: FloatArray, rows: number): { states: FloatArray; count: number } {
    const { rng, backend, precision, weights } = this.options;
    const chain = createChain(this.rbm, { chains: rows, rng, init: batch.subarray(0, rows * this.rbm.numVisible), backend, precision, weights });
    chain.sweep(this.options.k);
    return { states: chain.visibleState, count: rows };
  }

  getState(): null {
    return null;
  }
}

/** PCD (one replica at b = 1) and PT (several). */
class TemperedChains implements NegativePhase {
  /** Replica r's model: the same layers (shared, so trained biases are seen) and weights b_r W. */
  private readonly views: RBM[];
  private chains: MarkovChain[] | undefined;
  private updates: number;
  private readonly swapsProposed: number[];
  private readonly swapsAccepted: number[];
  private readonly backend: Backend;
  private inputs = new Float64Array(0);

  constructor(
    private readonly rbm: RBM,
    readonly betas: readonly number[],
    private readonly options: NegativePhaseOptions,
  ) {
    this.backend = options.backend ?? defaultBackend();
    // PCD samples the model itself; PT replicas get their own scaled weight arrays
    this.views = betas.length === 1 ? [rbm] : betas.map(() => new RBM(rbm.visible, rbm.hidden, new Float64Array(rbm.weights.length)));
    const pairs = betas.length - 1;
    const state = options.state;
    this.updates = state?.updates ?? 0;
    this.swapsProposed = state ? state.swapsProposed.slice() : new Array<number>(pairs).fill(0);
    this.swapsAccepted = state ? state.swapsAccepted.slice() : new Array<number>(pairs).fill(0);
    if (state !== undefined) {
      if (state.replicas.length !== betas.length) {
        throw new RangeError(`saved chains have ${state.replicas.length} replicas, expected ${betas.length}`);
      }
      this.chains = this.views.map((view, r) => createChain(view, { ...this.chainOptions(), init: state.replicas[r] }));
    }
  }

  /** PCD's chains may read a float32 mirror of W; PT's replicas read their own scaled float64 copies. */
  private chainOptions(): ChainOptions {
    const { chains, rng, precision, weights } = this.options;
    return this.betas.length === 1 ? { chains, rng, backend: this.backend, precision, weights } : { chains, rng, backend: this.backend };
  }

  /** Fraction of accepted swaps per adjacent pair (NaN before any). */
  get swapRates(): number[] {
    return this.swapsProposed.map((p, k) => this.swapsAccepted[k] / p);
  }

  run(): { states: FloatArray; count: number } {
    const { betas, rbm } = this;
    if (betas.length > 1) {
      for (let r = 0; r < betas.length; r++) {
        const w = this.views[r].weights;
        const b = betas[r];
        for (let k = 0; k < w.length; k++) w[k] = b * rbm.weights[k];
      }
    }
    // chains start at random states from the training stream the first time they are needed
    this.chains ??= this.views.map((view) => createChain(view, this.chainOptions()));
    for (const chain of this.chains) chain.sweep(this.options.k);
    if (betas.length > 1) this.swap();
    this.updates++;
    return { states: this.chains[0].visibleState, count: this.options.chains };
  }

  /** One round of replica exchange between adjacent temperatures (even or odd pairs). */
  private swap(): void {
    const { rbm, betas } = this;
    const chains = this.chains as MarkovChain[];
    const c = this.options.chains;
    const n = rbm.numVisible;
    const m = rbm.numHidden;
    const R = betas.length;
    if (this.inputs.length !== R * c * m) this.inputs = new Float64Array(R * c * m);
    // unscaled inputs I(v) of every replica's chains, R x chains x M
    for (let r = 0; r < R; r++) {
      this.backend.hiddenInputs(chains[r].visibleState, rbm.weights, c, n, m, this.inputs.subarray(r * c * m, (r + 1) * c * m));
    }
    const hidden = rbm.hidden;
    const rng = this.options.rng;
    for (let r = this.updates % 2; r + 1 < R; r += 2) {
      const lo = betas[r];
      const hi = betas[r + 1];
      const a = chains[r].visibleState;
      const b = chains[r + 1].visibleState;
      for (let ch = 0; ch < c; ch++) {
        const ia = (r * c + ch) * m;
        const ib = ((r + 1) * c + ch) * m;
        let logRatio = 0;
        for (let mu = 0; mu < m; mu++) {
          const xa = this.inputs[ia + mu];
          const xb = this.inputs[ib + mu];
          logRatio += hidden.cumulant(mu, lo * xb) + hidden.cumulant(mu, hi * xa) - hidden.cumulant(mu, lo * xa) - hidden.cumulant(mu, hi * xb);
        }
        this.swapsProposed[r]++;
        if (logRatio >= 0 || rng.uniform() < Math.exp(logRatio)) {
          this.swapsAccepted[r]++;
          for (let i = ch * n; i < (ch + 1) * n; i++) {
            const t = a[i];
            a[i] = b[i];
            b[i] = t;
          }
        }
      }
    }
  }

  getState(): ChainState | null {
    if (this.chains === undefined) return null;
    return {
      replicas: this.chains.map((chain) => Float64Array.from(chain.visibleState)),
      updates: this.updates,
      swapsProposed: this.swapsProposed.slice(),
      swapsAccepted: this.swapsAccepted.slice(),
    };
  }
}
