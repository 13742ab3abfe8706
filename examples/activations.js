// How the hidden activation changes the distribution an RBM defines over its visible units.
// Same weights, five hidden unit types (and one custom unit given only by its cumulant function):
// the exact log Z, the exact mean visible correlation, and the same correlation from block Gibbs
// or the visible heat bath. Run: node examples/activations.js   (after npm install)
const {
  RBM, createLayer, createRng, cumulantUnit, exactLogZ, visibleProbabilities, stateFromIndex,
  sampleVisibleStates, defaultSampler, softplus, sigmoid, normal,
} = require('@rbmlab/core');

const N = 8;
const M = 4;
const rng = createRng(2026);
const weights = Float64Array.from({ length: N * M }, () => 0.6 * normal(rng));

// Gamma(x) = softplus(x)^2 / 2: a smooth ReLU-like activation softplus(x) sigmoid(x)
const squaredSoftplus = cumulantUnit({
  name: 'squared-softplus',
  cumulant: (x) => softplus(x) ** 2 / 2,
  activation: (x) => softplus(x) * sigmoid(x),
});

/** Mean of v_i v_j over i < j under a distribution given by state weights. */
function meanPairCorrelation(states, count) {
  let total = 0;
  let pairs = 0;
  for (let c = 0; c < count; c++) {
    for (let i = 0; i < N; i++) for (let j = i + 1; j < N; j++) { total += states(c, i) * states(c, j); pairs++; }
  }
  return total / pairs;
}

console.log('hidden        log Z      <s_i s_j> exact   sampled (sampler)');
for (const hidden of ['bernoulli', 'spin', 'gaussian', 'relu', 'poisson', 'step', 'custom']) {
  const layer = hidden === 'custom' ? squaredSoftplus(M) : createLayer(hidden, M);
  const rbm = new RBM(createLayer('spin', N, {}, 'visible'), layer, weights);
  const { logZ } = exactLogZ(rbm);
  const p = visibleProbabilities(rbm);
  const v = new Float64Array(N);
  let exact = 0;
  for (let s = 0; s < p.length; s++) {
    stateFromIndex(s, N, [-1, 1], v);
    exact += p[s] * meanPairCorrelation((_, i) => v[i], 1);
  }
  const sampler = defaultSampler(rbm);
  const chains = 4000;
  const samples = sampleVisibleStates(rbm, { chains, sweeps: 50, rng: rng.split(hidden), sampler });
  const sampled = meanPairCorrelation((c, i) => samples[c * N + i], chains) ;
  console.log(
    `${layer.type.padEnd(12)} ${logZ.toFixed(4).padStart(8)}   ${exact.toFixed(4).padStart(10)}        ${sampled.toFixed(4)} (${sampler})`,
  );
}
