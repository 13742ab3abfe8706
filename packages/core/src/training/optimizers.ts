/**
 * Optimizers for gradient ascent on the log-likelihood. Each turns the gradient g of every
 * trainable array into the step d that the trainer adds to the parameters (p <- p + d):
 *
 *   sgd        d = lr g
 *   momentum   u <- mu u + lr g,  d = u                      (classical momentum, u0 = 0)
 *   adam       m <- b1 m + (1 - b1) g,  s <- b2 s + (1 - b2) g^2,  t <- t + 1,
 *              d = lr (m / (1 - b1^t)) / (sqrt(s / (1 - b2^t)) + eps)   (Kingma and Ba 2015)
 *
 * The state (u; m, s and t) is plain data so that checkpoints hold it and a resumed run takes
 * exactly the steps an uninterrupted one would.
 */

export type OptimizerKind = 'sgd' | 'momentum' | 'adam';
/** Every OptimizerKind, in the order messages list them. */
export const OPTIMIZER_KINDS: readonly OptimizerKind[] = ['sgd', 'momentum', 'adam'];

/**
 * An optimizer as the trainer takes it: a name, as the CLI's --optimizer spells it ('adam'), or
 * an object with the name in `kind` and hyperparameters ({ kind: 'adam', beta2: 0.99 }).
 * Defaults: momentum mu 0.9 (in [0, 1)); adam beta1 0.9, beta2 0.999 (in [0, 1)), epsilon 1e-8 (> 0).
 */
export type OptimizerSpec =
  | OptimizerKind
  | { readonly kind: 'sgd' }
  | { readonly kind: 'momentum'; readonly momentum?: number }
  | { readonly kind: 'adam'; readonly beta1?: number; readonly beta2?: number; readonly epsilon?: number };

/** A spec with every hyperparameter filled in (what checkpoints record). */
export type ResolvedOptimizerSpec =
  | { readonly kind: 'sgd' }
  | { readonly kind: 'momentum'; readonly momentum: number }
  | { readonly kind: 'adam'; readonly beta1: number; readonly beta2: number; readonly epsilon: number };

/** Optimizer state: the step count and, per slot ("velocity", "m", "s"), one array per parameter. */
export interface OptimizerState {
  readonly steps: number;
  readonly slots: Record<string, Float64Array[]>;
}

/**
 * A first-order optimizer over a fixed list of parameter arrays: sgd d = lr g; momentum u <- mu u + lr g,
 * d = u; Adam with bias correction (Kingma and Ba). Its state is plain data for checkpoints.
 */
export interface Optimizer {
  readonly spec: ResolvedOptimizerSpec;
  /** Replaces each gradient array by the step to add to its parameter, at learning rate lr. */
  step(grads: readonly Float64Array[], lr: number): void;
  /**
   * A copy of the step count and the slot arrays; `createOptimizer(spec, lengths, state)` continues from it.
   */
  getState(): OptimizerState;
}

/**
 * The spec (a name or an object) with its defaults filled in; a RangeError names a hyperparameter
 * out of range, or lists the known optimizers.
 */
export function resolveOptimizerSpec(given: OptimizerSpec): ResolvedOptimizerSpec {
  const spec = typeof given === 'string' ? ({ kind: given } as Exclude<OptimizerSpec, string>) : given;
  if (typeof spec !== 'object' || spec === null || typeof spec.kind !== 'string') {
    throw new RangeError(`optimizer must be one of ${OPTIMIZER_KINDS.map((k) => `"${k}"`).join(', ')} or { kind, ...hyperparameters }, got ${JSON.stringify(given)}`);
  }
  switch (spec.kind) {
    case 'sgd':
      return { kind: 'sgd' };
    case 'momentum': {
      const momentum = spec.momentum ?? 0.9;
      if (!(momentum >= 0 && momentum < 1)) throw new RangeError(`momentum must be in [0, 1), got ${momentum}`);
      return { kind: 'momentum', momentum };
    }
    case 'adam': {
      const beta1 = spec.beta1 ?? 0.9;
      const beta2 = spec.beta2 ?? 0.999;
      const epsilon = spec.epsilon ?? 1e-8;
      if (!(beta1 >= 0 && beta1 < 1)) throw new RangeError(`adam beta1 must be in [0, 1), got ${beta1}`);
      if (!(beta2 >= 0 && beta2 < 1)) throw new RangeError(`adam beta2 must be in [0, 1), got ${beta2}`);
      if (!(epsilon > 0)) throw new RangeError(`adam epsilon must be positive, got ${epsilon}`);
      return { kind: 'adam', beta1, beta2, epsilon };
    }
    default:
      throw new RangeError(`unknown optimizer "${(spec as { kind: string }).kind}" (known: ${OPTIMIZER_KINDS.join(', ')})`);
  }
}

/** Slot names of each kind's state. */
const SLOTS: Record<OptimizerKind, readonly string[]> = { sgd: [], momentum: ['velocity'], adam: ['m', 's'] };

/**
 * An optimizer for parameters of the given lengths; `state` (from getState, e.g. a checkpoint)
 * continues where it stopped.
 */
export function createOptimizer(spec: OptimizerSpec, lengths: readonly number[], state?: OptimizerState): Optimizer {
  const resolved = resolveOptimizerSpec(spec);
  const slots: Record<string, Float64Array[]> = {};
  for (const slot of SLOTS[resolved.kind]) {
    const given = state?.slots[slot];
    if (state !== undefined && given === undefined) throw new RangeError(`optimizer state has no "${slot}" slot for ${resolved.kind}`);
    slots[slot] = lengths.map((len, k) => {
      if (given === undefined) return new Float64Array(len);
      if (given.length !== lengths.length || given[k].length !== len) {
        throw new RangeError(`optimizer state "${slot}" does not match the model's parameter shapes`);
      }
      return Float64Array.from(given[k]);
    });
  }
  let steps = state?.steps ?? 0;
  const getState = (): OptimizerState => {
    const copy: Record<string, Float64Array[]> = {};
    for (const [slot, arrays] of Object.entries(slots)) copy[slot] = arrays.map((a) => Float64Array.from(a));
    return { steps, slots: copy };
  };
  switch (resolved.kind) {
    case 'sgd':
      return {
        spec: resolved,
        getState,
        step(grads, lr) {
          steps++;
          for (const g of grads) for (let k = 0; k < g.length; k++) g[k] *= lr;
        },
      };
    case 'momentum': {
      const mu = resolved.momentum;
      return {
        spec: resolved,
        getState,
        step(grads, lr) {
          steps++;
          grads.forEach((g, p) => {
            const u = slots.velocity[p];
            for (let k = 0; k < g.length; k++) g[k] = u[k] = mu * u[k] + lr * g[k];
          });
        },
      };
    }
    case 'adam': {
      const { beta1, beta2, epsilon } = resolved;
      return {
        spec: resolved,
        getState,
        step(grads, lr) {
          steps++;
          const c1 = 1 - Math.pow(beta1, steps);
          const c2 = 1 - Math.pow(beta2, steps);
          grads.forEach((g, p) => {
            const m = slots.m[p];
            const s = slots.s[p];
            for (let k = 0; k < g.length; k++) {
              const gk = g[k];
              m[k] = beta1 * m[k] + (1 - beta1) * gk;
              s[k] = beta2 * s[k] + (1 - beta2) * gk * gk;
              g[k] = (lr * (m[k] / c1)) / (Math.sqrt(s[k] / c2) + epsilon);
            }
          });
        },
      };
    }
  }
}
