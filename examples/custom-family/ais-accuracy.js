// A family of your own: how accurate is AIS's log Z, against the exact value, as the weights grow?
//
// A plugin is a CommonJS module exporting a family: name, describe, typed parameters with defaults,
// the metric columns, and a trial function of the parameters and the trial's seeded stream. rbmlab
// does the rest exactly as for its built-in families: grid, seeds, results.csv, summary, plots,
// --jobs, --shard, --resume, merge. Its study file names it with "plugin" (see study.json):
//
//   npx rbmlab run examples/custom-family/study.json --out out/ais-accuracy
//   npx rbmlab list --plugin examples/custom-family/ais-accuracy.js
//
// Each trial draws a bernoulli x bernoulli RBM with W_ij ~ N(0, s^2) and visible and hidden biases
// ~ N(0, s^2), small enough (N = 12) for the exact log Z by summing over 2^min(N, M) states, and
// compares it with forward AIS (a linear schedule of `steps` steps, `chains` runs, base model at
// zero weights). Metrics: the error log Z_ais - log Z, AIS's own standard error, their ratio (a
// z-score: about N(0, 1) when the error estimate is honest; AIS's log Z is biased low by Jensen,
// which shows as a negative mean at large s), and the effective sample size of the weights.
const { RBM, createLayer, exactLogZ, annealedImportanceSampling, normal } = require('@rbmlab/core');

module.exports = {
  name: 'ais-accuracy',
  describe: 'AIS log Z against the exact value for random bernoulli RBMs: error, standard error, z-score, ESS',
  params: {
    N: { type: 'integer', default: 12, min: 1, max: 20, describe: 'visible units (exact log Z sums over 2^min(N, M))' },
    M: { type: 'integer', default: 8, min: 1, max: 20, describe: 'hidden units' },
    s: { type: 'number', default: 0.5, min: 0, describe: 'standard deviation of the weights and biases' },
    steps: { type: 'integer', default: 100, min: 1, describe: 'AIS steps (linear schedule)' },
    chains: { type: 'integer', default: 100, min: 2, describe: 'AIS runs' },
  },
  metrics: () => ['error', 'stderr', 'z', 'ess'],
  run(params, { rng }) {
    const { N, M, s, steps, chains } = params;
    const draw = rng.split('model');
    const gaussians = (n) => Float64Array.from({ length: n }, () => s * normal(draw));
    const visible = createLayer('bernoulli', N, { bias: gaussians(N) }, 'visible');
    const hidden = createLayer('bernoulli', M, { bias: gaussians(M) });
    const rbm = new RBM(visible, hidden, gaussians(N * M));
    const exact = exactLogZ(rbm).logZ;
    const ais = annealedImportanceSampling(rbm, { chains, steps, rng: rng.split('ais') });
    const error = ais.logZ - exact;
    return { error, stderr: ais.stderr, z: error / ais.stderr, ess: ais.effectiveSampleSize };
  },
};
