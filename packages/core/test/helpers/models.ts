/**
 * Small seeded models for the oracle tests, one for every visible x hidden pair, with distinct
 * sizes (so a swapped axis fails) and weights small enough that every pair is normalizable.
 */
import { createLayer, createRng, normal, RBM, type Rng } from '../../src';

/** Parameters of a hidden layer of the given type, drawn from rng. */
export function hiddenParams(type: string, m: number, rng: Rng): Record<string, number[]> {
  const draw = (scale: number, offset = 0) => Array.from({ length: m }, () => offset + scale * normal(rng));
  const positive = (lo: number, hi: number) => Array.from({ length: m }, () => lo + (hi - lo) * rng.uniform());
  switch (type) {
    case 'gaussian':
    case 'relu':
      return { bias: draw(0.3), gamma: positive(0.8, 1.6) };
    case 'drelu':
      return { biasPlus: draw(0.3), biasMinus: draw(0.3), gammaPlus: positive(0.8, 1.6), gammaMinus: positive(0.8, 1.6) };
    case 'poisson':
      return { bias: draw(0.2, -0.5) };
    default:
      return { bias: draw(0.3) };
  }
}

/**
 * An RBM with `n` visible units of type `visible` and `m` hidden units of type `hidden`.
 * Gaussian visibles get weights of scale 0.25 so that the Gaussian directions stay normalizable
 * (visible precision 1 > W W^T / gamma); other pairs get 0.6.
 */
export function smallRbm(visible: string, hidden: string, n: number, m: number, seed: string | number, scale?: number): RBM {
  const rng = createRng(`model/${seed}/${visible}/${hidden}`);
  const vis = createLayer(visible, n, { bias: Array.from({ length: n }, () => 0.3 * normal(rng)) }, 'visible');
  const hid = createLayer(hidden, m, hiddenParams(hidden, m, rng));
  const w = new Float64Array(n * m);
  const s = scale ?? (visible === 'gaussian' ? 0.25 : 0.6);
  for (let k = 0; k < w.length; k++) w[k] = s * normal(rng);
  return new RBM(vis, hid, w);
}

/**
 * Visible x hidden pairs that define a proper distribution. Gaussian visibles with poisson hidden
 * units are excluded: Gamma = e^{I(v)} grows faster than the Gaussian e^{-v^2/2} decays along
 * any direction where I increases, so Z is infinite.
 */
export function normalizablePairs(): [string, string][] {
  const pairs: [string, string][] = [];
  for (const v of ['bernoulli', 'spin', 'gaussian']) {
    for (const h of ['bernoulli', 'spin', 'gaussian', 'relu', 'drelu', 'poisson', 'step']) {
      if (v === 'gaussian' && h === 'poisson') continue;
      pairs.push([v, h]);
    }
  }
  return pairs;
}
