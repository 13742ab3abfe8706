/**
 * `hoi-sampled` (issue 19, item 1): can an RBM learn interactions beyond pairwise at sizes where
 * nothing can be enumerated? The route of `hoi-learning` with every exact step replaced by one
 * that scales: the teacher is sampled, the student trained by PCD on the samples, and every metric
 * is exact and local or a Monte Carlo estimate with its standard error.
 *
 * Teacher: a spin machine (MODELS.md §3) on N units, P_T(sigma) ∝ exp(-E(sigma)),
 *     -E(sigma) = sum_{i<j} J_ij sigma_i sigma_j + sum_{(ijk) planted} J_ijk sigma_i sigma_j sigma_k,
 * J_ij ~ Normal(0, (J2/sqrt N)^2) on every pair, and `triples` distinct planted triples (drawn
 * uniformly) with J_ijk ~ Normal(0, J3^2): sparse triples of order-one strength, so each site sits
 * in about 3 triples/N of them. Drawn by core's randomHigherOrderBM (stream "teacher" of the trial,
 * or of `teacherSeed` when given, so that a grid over teacherSeed and hidden compares activations
 * on the same teachers and data).
 *
 * Data: core's equilibriumSamples (stream "data", beside "teacher"): heat-bath sweeps on 16 chains, burn-in and
 * thinning from the measured integrated autocorrelation time tau of the energy (a pilot of at
 * least 50 tau; states ceil(2 tau) sweeps apart), reported as tau, burnIn, thin. The first
 * `samples` states train; the next `test` are held out.
 *
 * Student: N spin visibles, M hidden units of type `hidden` (M, or round(alpha N): a gaussian
 * student induces J = W W^T / gamma, of rank <= M, so a full random pair matrix needs M of order N),
 * W ~ Normal(0, 0.01^2), PCD-k (or PT, `replicas` temperatures) with Adam (batch 20, `chains`
 * persistent chains), `epochs` epochs at rate `lr` and `k` sweeps per update, or the activation's
 * entries in `lrs` and `ks` (PCD's chains must mix: block Gibbs with k = 1 does not, on this teacher).
 *
 * Metrics (basis: bernoulli, v = (sigma + 1)/2; why: there the student's couplings are local,
 * J_S needs only the rows of W in S (core's subsetCouplings), so they are exact at any N, and the
 * teacher's are exact too, by expanding prod sigma_i = prod (2 v_i - 1):
 *     K_S = sum_{T ⊇ S} 2^|S| (-1)^(|T|-|S|) J_T,   so K_ijk = 8 J_ijk,  K_ij = 4 J_ij - 4 sum_k J_ijk;
 * the spin basis, where the teacher is given, is not local for the student: its J_S averages over
 * every other spin.)
 *   K2_error    ||K_ij^student - K_ij^teacher|| / ||K_ij^teacher|| over all pairs;
 *   K2free_error the same over the pairs inside no planted triple, where K_ij = 4 J_ij: the pair
 *               couplings alone (K2_error is dominated by the -4 J_ijk that planted triples add to
 *               their three pairs, which only a student that learned the triple can match; NaN
 *               when every pair is in a triple);
 *   K3_error    the same over the planted triples;
 *   K3_spurious rms of the student's K_ijk over triples the teacher does not have (all of them, or
 *               20,000 uniformly random ones when there are more), against rms(K^teacher planted):
 *               a ratio, 0 for a student that invents no triple;
 *   testLoglik, testLoglik_se  the student's mean log-likelihood of the held-out states (AIS,
 *               `aisChains` x `aisSteps`, se of log Z; exact where it can be enumerated, se 0);
 *   testLoglik_ess  the effective number of AIS runs, (sum w)^2 / sum w^2 (NaN when exact): near 1,
 *               one run carries the estimate and its se means nothing; forward AIS is still a
 *               stochastic lower bound on log Z, so testLoglik is then an upper bound, not a value;
 *   trainLoglik the same on the first `test` training states with the same log Z (their
 *               difference is exact): held-out below train is overfitting, both low is under-fitting;
 *   teacherLoglik, teacherLoglik_se  the teacher's, with log Z by AIS on the teacher itself (heat
 *               bath at each inverse temperature of a linear path from 0, where Z = 2^N): the
 *               difference estimates the KL per state the student still misses;
 *   teacherPairsLoglik, teacherPairsLoglik_se  the same for the teacher with its triples dropped (pairs only, own AIS log Z):
 *               a pairwise reference, below which a student has not even learned the pairs;
 *   sigma1      the top singular value of W;  tau, burnIn, thin: the sampling, as above;
 *   diverged    1 when training stopped at a non-finite step (the other metrics NaN).
 */
import {
  aisLogLikelihood,
  annealingSchedule,
  binomial,
  createLayer,
  createRng,
  DivergenceError,
  enumerationSide,
  equilibriumSamples,
  exactLogLikelihood,
  HIDDEN_UNIT_TYPES,
  HigherOrderBoltzmannMachine,
  HigherOrderHeatBath,
  importanceWeightSummary,
  normal,
  randomHigherOrderBM,
  randomSubset,
  RBM,
  singularValues,
  subsetCouplings,
  Trainer,
  type Rng,
  type ScheduleSpec,
} from '@rbmlab/core';
import { relativeError } from './hoi-learning';
import { decayingRate } from './planted';
import { ParamError, type Experiment, type MetricRow, type Params, type TrialContext } from '../study/experiment';

const METRICS = ['K2_error', 'K2free_error', 'K3_error', 'K3_spurious', 'testLoglik', 'testLoglik_se', 'testLoglik_ess', 'trainLoglik', 'teacherLoglik', 'teacherLoglik_se', 'teacherPairsLoglik', 'teacherPairsLoglik_se', 'sigma1', 'tau', 'burnIn', 'thin', 'diverged'];

/** Triples sampled for the spurious-coupling statistic when there are more than this many. */
const SPURIOUS_SAMPLE = 20_000;

/** "i,j" / "i,j,k" with ascending sites: the key of a subset. */
function key(sites: readonly number[]): string {
  return [...sites].sort((a, b) => a - b).join(',');
}

/**
 * The teacher's couplings in the bernoulli basis (v = (sigma + 1)/2), for pairs and triples:
 * K_ijk = 8 J_ijk and K_ij = 4 J_ij - 4 sum_k J_ijk, from its spin couplings of order 2 and 3 (it
 * has no fields and nothing above order 3). Keys are key(sites).
 */
export function teacherBernoulliCouplings(teacher: HigherOrderBoltzmannMachine): { pairs: Map<string, number>; triples: Map<string, number> } {
  const pairs = new Map<string, number>();
  const triples = new Map<string, number>();
  const n = teacher.size;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) pairs.set(key([i, j]), 0);
  for (const { sites, J } of teacher.couplings) {
    const strength = teacher.beta * J;
    if (sites.length === 2) pairs.set(key(sites), (pairs.get(key(sites)) as number) + 4 * strength);
    else if (sites.length === 3) {
      triples.set(key(sites), (triples.get(key(sites)) ?? 0) + 8 * strength);
      const [a, b, c] = sites;
      for (const [x, y] of [[a, b], [a, c], [b, c]]) pairs.set(key([x, y]), (pairs.get(key([x, y])) as number) - 4 * strength);
    } else throw new RangeError(`teacherBernoulliCouplings: a coupling of order ${sites.length}`);
  }
  return { pairs, triples };
}

/**
 * log Z of a higher-order machine by forward AIS on the path beta_k E (k = 0..steps, linear, from
 * beta 0 where every state has weight 1 and Z = 2^N), one heat-bath sweep per step on `chains`
 * chains: log w = sum_k (beta_k - beta_{k-1}) (-E(s_{k-1})). Returns log Z and the standard error
 * of the log mean weight (delta method).
 */
export function teacherLogZ(teacher: HigherOrderBoltzmannMachine, options: { chains: number; steps: number; rng: Rng }): { logZ: number; stderr: number } {
  const betas = annealingSchedule(options.steps);
  const chain = new HigherOrderHeatBath(teacher.withBeta(1), { chains: options.chains, rng: options.rng });
  const logWeights = new Float64Array(options.chains);
  for (let k = 1; k < betas.length; k++) {
    const energies = teacher.energies(chain.state, options.chains);
    for (let c = 0; c < options.chains; c++) logWeights[c] -= (betas[k] - betas[k - 1]) * teacher.beta * energies[c];
    chain.sweep(1, betas[k] * teacher.beta);
  }
  const summary = importanceWeightSummary(logWeights);
  return { logZ: teacher.size * Math.LN2 + summary.logMean, stderr: summary.stderr };
}

export const hoiSampled: Experiment = {
  name: 'hoi-sampled',
  describe: 'hoi-learning at N = 50-200: a spin teacher with planted pairs and sparse triples, sampled by the heat bath (burn-in and thinning from measured tau), students of each activation trained by PCD; coupling recovery (bernoulli basis), AIS log-likelihoods, spectrum',
  params: {
    N: { type: 'integer', default: 50, min: 3, max: 1000, describe: 'spins (teacher units = student visibles)' },
    J2: { type: 'number', default: 1, min: 0, describe: 'pair strength: J_ij ~ Normal(0, (J2/sqrt N)^2) on every pair' },
    J3: { type: 'number', default: 1, min: 0, describe: 'triple strength: J_ijk ~ Normal(0, J3^2) on the planted triples' },
    triples: { type: 'integer', default: 50, min: 1, describe: 'planted triples (distinct, uniformly drawn)' },
    hidden: { type: 'string', default: 'bernoulli', choices: HIDDEN_UNIT_TYPES, describe: "student's hidden unit type (activation)" },
    M: { type: 'integer', min: 1, max: 4000, describe: "student's hidden units (default 50 when alpha is not given; give alpha or M, not both)" },
    alpha: { type: 'number', min: 0, exclusiveMin: true, describe: "student's hidden units per visible: M = round(alpha N) (give alpha or M, not both)" },
    teacherSeed: { type: 'integer', min: 0, describe: "draw teacher and data from this seed instead of the trial's stream: a grid over it gives every activation the same teachers" },
    samples: { type: 'integer', default: 5000, min: 10, describe: 'teacher states to train on' },
    test: { type: 'integer', default: 1000, min: 1, describe: 'held-out teacher states (log-likelihoods)' },
    epochs: { type: 'integer', default: 50, min: 1, describe: 'PCD epochs' },
    lr: { type: 'number', default: 0.003, min: 0, exclusiveMin: true, describe: "Adam's learning rate (for every activation that lrs does not name)" },
    lrEnd: { type: 'number', default: 1, min: 0, exclusiveMin: true, max: 1, describe: 'the rate falls linearly to lrEnd x rate at the last epoch (1: constant)' },
    lrs: { type: 'string', describe: "per-activation rates overriding lr, 'hidden=rate,...' (e.g. 'gaussian=0.01,poisson=0.001')" },
    k: { type: 'integer', default: 1, min: 1, describe: 'Gibbs sweeps per PCD update (for every activation that ks does not name)' },
    ks: { type: 'string', describe: "per-activation sweeps per update overriding k, 'hidden=k,...' (e.g. 'bernoulli=20,step=2')" },
    chains: { type: 'integer', default: 20, min: 1, describe: 'persistent chains (per replica with PT)' },
    method: { type: 'string', default: 'pcd', choices: ['pcd', 'pt'], describe: 'negative phase: pcd, or pt (parallel tempering, `replicas` inverse temperatures evenly from 1 to 0)' },
    replicas: { type: 'integer', default: 5, min: 2, describe: 'PT replicas (method pt only)' },
    aisChains: { type: 'integer', default: 100, min: 2, describe: 'AIS runs (student and teacher)' },
    aisSteps: { type: 'integer', default: 1000, min: 1, describe: 'AIS steps (linear path)' },
  },
  metrics: () => METRICS,
  check(params: Params): void {
    const most = binomial(params.N as number, 3);
    if ((params.triples as number) > most) throw new ParamError('params.triples', `${params.triples} triples, but ${params.N} units have only ${most}`, true);
    if (params.alpha !== undefined && params.M !== undefined) throw new ParamError('params.M', 'give alpha or M, not both', true);
    if (hiddenCount(params) < 1) throw new ParamError('params.alpha', `round(alpha N) = round(${params.alpha} * ${params.N}) is 0; at least one hidden unit is needed`, true);
    if (params.lrs !== undefined) perActivation(params.lrs as string, 'lrs');
    if (params.ks !== undefined) perActivation(params.ks as string, 'ks');
  },
  plan(params: Params) {
    return { data: 'heat-bath samples of the teacher, burn-in and thinning from the measured tau (metrics tau, burnIn, thin)', training: `${params.method === 'pt' ? `PT (${params.replicas} replicas)` : 'PCD'}-${sweepsOf(params)}, Adam at rate ${learningRateOf(params)}, batch 20, ${params.chains} chains` };
  },
  usesBackend: true,
  run(params: Params, context): MetricRow {
    return hoiSampledTrial(params, context).row;
  },
};

/** The student's hidden units: M, or round(alpha N), or 50. */
export function hiddenCount(params: Params): number {
  if (params.M !== undefined) return params.M as number;
  if (params.alpha !== undefined) return Math.round((params.alpha as number) * (params.N as number));
  return 50;
}

/**
 * A per-activation map 'hidden=value,...' of the parameter `field` (lrs: rates > 0; ks: whole
 * numbers >= 1): each name one of HIDDEN_UNIT_TYPES, given once; a ParamError names the first
 * entry at fault.
 */
export function perActivation(spec: string, field: 'lrs' | 'ks'): Map<string, number> {
  const values = new Map<string, number>();
  const what = field === 'lrs' ? 'a rate > 0' : 'a whole number >= 1';
  for (const entry of spec.split(',')) {
    const [name, text, extra] = entry.trim().split('=');
    const value = Number(text);
    const valid = field === 'lrs' ? value > 0 && Number.isFinite(value) : Number.isInteger(value) && value >= 1;
    if (extra !== undefined || text === undefined || text.trim() === '' || !HIDDEN_UNIT_TYPES.includes(name) || !valid) {
      throw new ParamError(`params.${field}`, `"${entry.trim()}" is not hidden=value with hidden one of ${HIDDEN_UNIT_TYPES.join(', ')} and ${what}`);
    }
    if (values.has(name)) throw new ParamError(`params.${field}`, `${name} given twice`);
    values.set(name, value);
  }
  return values;
}

/** The learning rate of this point's activation: its entry in lrs, else lr. */
export function learningRateOf(params: Params): number {
  const rates = params.lrs === undefined ? undefined : perActivation(params.lrs as string, 'lrs');
  return rates?.get(params.hidden as string) ?? (params.lr as number);
}

/**
 * The schedule of this point's rate r = learningRateOf(params): constant when lrEnd = 1, else linear
 * from r at the first epoch to lrEnd r at the last (a constant rate leaves PCD's last iterate
 * jittering by the size of its steps; the decay lets it settle).
 */
export function rateSchedule(params: Params): number | ScheduleSpec {
  return decayingRate(learningRateOf(params), params.lrEnd as number, params.epochs as number);
}

/** The sweeps per update of this point's activation: its entry in ks, else k. */
export function sweepsOf(params: Params): number {
  const sweeps = params.ks === undefined ? undefined : perActivation(params.ks as string, 'ks');
  return sweeps?.get(params.hidden as string) ?? (params.k as number);
}

/** One trial of hoi-sampled with what it measured: the row, and the teacher, student and held-out states (for tests). */
export function hoiSampledTrial(params: Params, { rng, backend }: TrialContext): { row: MetricRow; teacher: HigherOrderBoltzmannMachine; student: RBM; trainRows: Float64Array; testRows: Float64Array } {
  const n = params.N as number;
  const teacherStream = params.teacherSeed === undefined ? rng : createRng(`hoi-sampled/teacher/${params.teacherSeed as number}`);
  const teacher = randomHigherOrderBM(
    {
      type: 'spin',
      size: n,
      orders: [
        { order: 2, scale: (params.J2 as number) / Math.sqrt(n) },
        { order: 3, scale: params.J3 as number, count: params.triples as number },
      ],
    },
    teacherStream.split('teacher'),
  );
  const train = params.samples as number;
  const test = params.test as number;
  const drawn = equilibriumSamples(teacher, { samples: train + test, chains: 16, rng: teacherStream.split('data') });
  const trainRows = drawn.states.subarray(0, train * n);
  const testRows = drawn.states.slice(train * n);
  const sampling = { tau: drawn.tau, burnIn: drawn.burnIn, thin: drawn.thin };

  const hidden = createLayer(params.hidden as string, hiddenCount(params));
  const init = rng.split('init');
  const weights = Float64Array.from({ length: n * hidden.size }, () => 0.01 * normal(init));
  const student = new RBM(createLayer('spin', n, {}, 'visible'), hidden, weights);
  try {
    const tempering = params.method === 'pt' ? { betas: params.replicas as number } : {};
    new Trainer(student, trainRows, train, {
      method: params.method as 'pcd' | 'pt',
      learningRate: rateSchedule(params),
      optimizer: 'adam',
      batchSize: 20,
      chains: params.chains as number,
      k: sweepsOf(params),
      ...tempering,
      rng: rng.split('train'),
      backend,
    }).train(params.epochs as number);
  } catch (err) {
    if (!(err instanceof DivergenceError)) throw err;
    const row = Object.fromEntries(METRICS.map((m) => [m, m === 'diverged' ? 1 : m in sampling ? sampling[m as keyof typeof sampling] : NaN]));
    return { row, teacher, student, trainRows, testRows };
  }

  // couplings, bernoulli basis
  const target = teacherBernoulliCouplings(teacher);
  const coupling = subsetCouplings(student);
  // student and teacher side by side, over the teacher's pairs and planted triples
  const sideBySide = (couplings: Map<string, number>) => ({
    student: Float64Array.from(couplings.keys(), (k) => coupling(k.split(',').map(Number))),
    teacher: Float64Array.from(couplings.values()),
  });
  const K2 = sideBySide(target.pairs);
  // pairs inside no planted triple: there the teacher's K_ij = 4 J_ij, its pair coupling alone
  const inTriple = new Set<string>();
  for (const t of target.triples.keys()) {
    const [a, b, c] = t.split(',').map(Number);
    for (const pair of [[a, b], [a, c], [b, c]]) inTriple.add(key(pair));
  }
  const K2free = sideBySide(new Map([...target.pairs].filter(([k]) => !inTriple.has(k))));
  const K3 = sideBySide(target.triples);
  const plantedRms = Math.sqrt(K3.teacher.reduce((a, t) => a + t * t, 0) / K3.teacher.length);
  const all = binomial(n, 3);
  const pick = rng.split('spurious');
  let spurious = 0;
  let counted = 0;
  const consider = (sites: number[]) => {
    if (target.triples.has(key(sites))) return;
    spurious += coupling(sites) ** 2;
    counted++;
  };
  if (all <= SPURIOUS_SAMPLE) {
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) for (let l = j + 1; l < n; l++) consider([i, j, l]);
  } else {
    for (let s = 0; s < SPURIOUS_SAMPLE; s++) consider(randomSubset(n, 3, pick));
  }

  // log-likelihoods of the held-out states
  const aisOptions = { chains: params.aisChains as number, steps: params.aisSteps as number };
  let testLoglik: number;
  let testSe: number;
  let enumerable = true;
  try {
    enumerationSide(student);
  } catch {
    enumerable = false;
  }
  // the training rows scored with the same log Z (the first `test` of them): held-out below train = overfitting
  const seen = Math.min(train, test);
  const seenRows = trainRows.subarray(0, seen * n);
  let trainLoglik: number;
  let testEss: number;
  if (enumerable) {
    testLoglik = exactLogLikelihood(student, testRows, test);
    trainLoglik = exactLogLikelihood(student, seenRows, seen);
    testSe = 0;
    testEss = NaN;
  } else {
    const ais = aisLogLikelihood(student, testRows, test, { ...aisOptions, rng: rng.split('ais-student') });
    testLoglik = ais.logLikelihood;
    testSe = ais.stderr;
    testEss = ais.ais.effectiveSampleSize;
    const free = student.freeEnergies(Float64Array.from(seenRows), seen);
    trainLoglik = -free.reduce((a, f) => a + f, 0) / seen - ais.logZ;
  }
  const z = teacherLogZ(teacher, { ...aisOptions, rng: rng.split('ais-teacher') });
  const energies = teacher.energies(testRows, test);
  let teacherLoglik = 0;
  for (let r = 0; r < test; r++) teacherLoglik += -teacher.beta * energies[r] - z.logZ;
  teacherLoglik /= test;
  // the teacher's pairs alone (its triples dropped), its own log Z by AIS: what the triples are worth
  const pairsOnly = new HigherOrderBoltzmannMachine({ type: teacher.type, size: n, beta: teacher.beta, couplings: teacher.couplings.filter((c) => c.sites.length === 2) });
  const zPairs = teacherLogZ(pairsOnly, { ...aisOptions, rng: rng.split('ais-teacher-pairs') });
  const pairEnergies = pairsOnly.energies(testRows, test);
  let teacherPairsLoglik = 0;
  for (let r = 0; r < test; r++) teacherPairsLoglik += -pairsOnly.beta * pairEnergies[r] - zPairs.logZ;
  teacherPairsLoglik /= test;

  const row = {
    K2_error: relativeError(K2.student, K2.teacher),
    K2free_error: relativeError(K2free.student, K2free.teacher),
    K3_error: relativeError(K3.student, K3.teacher),
    K3_spurious: Math.sqrt(spurious / Math.max(1, counted)) / plantedRms,
    testLoglik,
    testLoglik_se: testSe,
    testLoglik_ess: testEss,
    trainLoglik,
    teacherLoglik,
    teacherLoglik_se: z.stderr,
    teacherPairsLoglik,
    teacherPairsLoglik_se: zPairs.stderr,
    sigma1: singularValues(student)[0],
    ...sampling,
    diverged: 0,
  };
  return { row, teacher, student, trainRows, testRows };
}
