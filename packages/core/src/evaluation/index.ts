/**
 * Evaluation of RBMs (MODELS.md §5): log Z by annealed importance sampling (forward and
 * reverse), pseudo-likelihood, reconstruction error, the free-energy gap, the singular values of
 * W, and named streaming metrics for trainers and the CLI.
 */
export * from './ais';
export type { TransitionName } from './annealing';
export * from './pseudo-likelihood';
export * from './reconstruction';
export * from './free-energy-gap';
export * from './spectrum';
export * from './metrics';
export * from './goodness-of-fit';
