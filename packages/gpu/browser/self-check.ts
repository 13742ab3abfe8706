/**
 * The browser bundle's self-check: run in a page (index.html), it tests the gpu kernels on
 * gpu.js's WebGL2 mode against core's oracles and reports what ran.
 *
 *   agreement  layer inputs of a 13-chain batch of an 11 x 7 RBM on the GPU against core's
 *              cpuBackend (float64): |gpu - cpu| <= 1e-6 + 2 (K + 1) 2^-24 S for an output that
 *              sums K products whose absolute values sum to S (float32 rounding of the inputs
 *              and of each partial sum), and the activations sigmoid(input + bias) within 1e-5;
 *   gof        for each model of GOF_MODELS (bernoulli x bernoulli, spin x relu, bernoulli x
 *              drelu: the simplest kernel and the two rejection samplers), `chains` independent
 *              chains of seeded block Gibbs for `sweeps` sweeps; the final states are tested
 *              against the exact P(v) of all 2^N states (core's enumeration) with Pearson's
 *              chi-square, cells pooled until each expects 5 or more. A model fails when
 *              p < P_FAIL = 1e-6: a correct sampler fails this seed with probability 1e-6 per
 *              model, 3e-6 in all. The weights' scale (0.6; 0.4 for spin x relu, whose
 *              effective visible couplings W W^T / gamma are the strongest) keeps mixing fast:
 *              40 sweeps leave a bias below the test's resolution (checked on core's CPU
 *              sampler over 12 model seeds each; at scale 0.6 a spin x relu model drawn with
 *              large weights failed on core's CPU sampler after 40 sweeps, p ~ 1e-121).
 *              The test must also have power: the same counts against the model with its
 *              weights x 0.5 must fail;
 *   repeat     the first model's seeded run again gives the same bits;
 *   uniforms   the kernels' random numbers are core's to the bit: the counter-based generator's
 *              words over a 128 x 48 grid of counters (edges included) for three keys equal
 *              msf4x22's, and GpuBlockGibbs on a model whose units are all on with probability
 *              1/2 (zero weights and biases) turns a unit on exactly where core's deviceUniform
 *              of it is below 1/2 (3 sweeps, 6 chains, 10 x 7 units);
 *   mode       gpu.js's mode, and the mode of every kernel that ran (gpu.js replaces a kernel
 *              that fails to build by a CPU one with only a console warning): all must be
 *              'webgl2'. The WebGL renderer string says which GL implementation was under it.
 */
import { cpuBackend } from '@rbmlab/core/backend/cpu';
import { visibleProbabilities, indexFromState } from '@rbmlab/core/exact/enumerate';
import { chiSquareGof } from '@rbmlab/core/evaluation/goodness-of-fit';
import { sigmoid } from '@rbmlab/core/math/special';
import { RBM } from '@rbmlab/core/models/rbm';
import { createLayer } from '@rbmlab/core/units/registry';
import { normal } from '@rbmlab/core/random/distributions';
import { createRng, type Rng } from '@rbmlab/core/random/rng';
import { COUNTER_PURPOSE, deviceKey, deviceUniform, msf4x22 } from '@rbmlab/core/random/counter';
import { wordsGridCounter } from '@rbmlab/gpu';
import { BernoulliLayer } from '@rbmlab/core/units/builtin';

/** The gpu side under test: kernels on one gpu.js instance. */
export interface GpuEngine {
  /** What implements the kernels (printed in the result). */
  readonly name: string;
  /** gpu.js's mode of the instance ('webgl2' asked for). */
  readonly mode: string;
  /** The WebGL context the kernels ran on, when there is one. */
  readonly context: WebGL2RenderingContext | null;
  /** out[b, mu] = sum_i v[b, i] W[i, mu] (batch x M). */
  hiddenInputs(v: ArrayLike<number>, weights: ArrayLike<number>, batch: number, n: number, m: number): Float32Array;
  /** out[b, i] = sum_mu h[b, mu] W[i, mu] (batch x N). */
  visibleInputs(h: ArrayLike<number>, weights: ArrayLike<number>, batch: number, n: number, m: number): Float32Array;
  /** Visible states (chains x N) after `sweeps` sweeps of seeded block Gibbs from a random start. */
  gibbs(rbm: RBM, chains: number, sweeps: number, seed: string): ArrayLike<number>;
  /** The counter-based generator's words on the device over a width x height grid (gpu's deviceWords). */
  words(key: readonly [number, number], c2: number, c3: number, width: number, height: number): ArrayLike<number>;
  /** Hidden and visible states after each of `sweeps` sweeps of seeded block Gibbs (chains x M, chains x N). */
  gibbsSweeps(rbm: RBM, chains: number, sweeps: number, seed: string): { hidden: ArrayLike<number>; visible: ArrayLike<number> }[];
  /** The mode each kernel that ran actually ran in, by kernel name. */
  kernelModes(): Record<string, string>;
}

export const P_FAIL = 1e-6;

/**
 * The mode a gpu.js kernel (the function createKernel returned) runs in now, from the class of
 * the kernel behind it: gpu.js's own static `mode` says only 'gpu' for every GL kernel, and a
 * kernel that failed to build has been replaced by a CPUKernel.
 */
export function kernelMode(shortcut: { kernel?: object }, gpujs: Record<string, unknown>): string {
  const kernel = shortcut.kernel ?? shortcut;
  const classes: [string, string][] = [
    ['WebGL2Kernel', 'webgl2'],
    ['HeadlessGLKernel', 'headlessgl'],
    ['WebGLKernel', 'webgl'],
    ['WebGPUKernel', 'webgpu'],
    ['WebAssemblyKernel', 'webasm'],
    ['CPUKernel', 'cpu'],
  ];
  for (const [name, mode] of classes) {
    const cls = gpujs[name];
    if (typeof cls === 'function' && kernel instanceof cls) return mode;
  }
  return `unknown (${kernel.constructor.name})`;
}
export const REQUIRED_MODE = 'webgl2';

export interface SelfCheckOptions {
  readonly seed?: string;
  readonly chains?: number;
  readonly sweeps?: number;
}

export interface SelfCheckResult {
  readonly ok: boolean;
  readonly failures: string[];
  readonly mode: string;
  readonly kernelModes: Record<string, string>;
  readonly engine: string;
  readonly renderer: string | null;
  readonly vendor: string | null;
  readonly userAgent: string;
  readonly agreement: { readonly ok: boolean; readonly hidden: ErrorSummary; readonly visible: ErrorSummary; readonly activations: ErrorSummary };
  readonly gof: readonly ModelGofResult[];
  readonly repeat: { readonly identical: boolean; readonly differing: number };
  /** Words of the generator, and Gibbs states at probability 1/2, that differ from core's (both must be 0). */
  readonly uniforms: { readonly words: number; readonly wordMismatches: number; readonly states: number; readonly stateMismatches: number };
  readonly timingsMs: Record<string, number>;
}

export interface ModelGofResult {
  readonly ok: boolean;
  readonly model: string;
  readonly chains: number;
  readonly sweeps: number;
  readonly seed: string;
  readonly statistic: number;
  readonly df: number;
  readonly bins: number;
  readonly pValue: number;
  readonly pFail: number;
  /** p-value of the same counts against a wrong model (weights x 0.5): must be below pFail. */
  readonly powerPValue: number;
}

/** Largest error and largest error / tolerance over an output (ratio <= 1 passes). */
export interface ErrorSummary {
  readonly maxAbsError: number;
  readonly maxRatio: number;
  readonly count: number;
}

/** A bernoulli x bernoulli RBM with biases of scale 0.3 and weights of scale `scale`, from `seed`. */
export function bernoulliRbm(n: number, m: number, seed: string, scale: number): RBM {
  const rng = createRng(seed);
  const gauss = (k: number, s: number) => Array.from({ length: k }, () => s * normal(rng));
  const visible = new BernoulliLayer(n, { bias: gauss(n, 0.3) });
  const hidden = new BernoulliLayer(m, { bias: gauss(m, 0.3) });
  return new RBM(visible, hidden, Float64Array.from(gauss(n * m, scale)));
}

/** The models of the goodness-of-fit checks: visible type and size, hidden type, size and parameters. */
export const GOF_MODELS: readonly {
  visible: string;
  n: number;
  hidden: string;
  m: number;
  /** Standard deviation of the weights. */
  scale: number;
  params: (m: number, rng: Rng) => Record<string, number[]>;
}[] = [
  { visible: 'bernoulli', n: 7, hidden: 'bernoulli', m: 5, scale: 0.6, params: (m, rng) => ({ bias: gauss(rng, m, 0.3) }) },
  { visible: 'spin', n: 6, hidden: 'relu', m: 4, scale: 0.4, params: (m, rng) => ({ bias: gauss(rng, m, 0.3), gamma: between(rng, m, 0.8, 1.6) }) },
  {
    visible: 'bernoulli', n: 6, hidden: 'drelu', m: 3, scale: 0.6,
    params: (m, rng) => ({ biasPlus: gauss(rng, m, 0.3), biasMinus: gauss(rng, m, 0.3), gammaPlus: between(rng, m, 0.8, 1.6), gammaMinus: between(rng, m, 0.8, 1.6) }),
  },
];

function gauss(rng: Rng, k: number, scale: number): number[] {
  return Array.from({ length: k }, () => scale * normal(rng));
}

function between(rng: Rng, k: number, lo: number, hi: number): number[] {
  return Array.from({ length: k }, () => lo + (hi - lo) * rng.uniform());
}

function gofModel(spec: (typeof GOF_MODELS)[number], seed: string): RBM {
  const rng = createRng(`${seed}/model/${spec.visible}/${spec.hidden}`);
  const visible = createLayer(spec.visible, spec.n, { bias: gauss(rng, spec.n, 0.3) }, 'visible');
  const hidden = createLayer(spec.hidden, spec.m, spec.params(spec.m, rng));
  return new RBM(visible, hidden, Float64Array.from(gauss(rng, spec.n * spec.m, spec.scale)));
}

function binaryStates(rows: number, width: number, rng: Rng): Float64Array {
  const s = new Float64Array(rows * width);
  for (let k = 0; k < s.length; k++) s[k] = rng.uniform() < 0.5 ? 1 : 0;
  return s;
}

/**
 * gpu against cpu for out[b, j] = sum_k a[b, k] B(k, j), where weight(k, j) gives B; the
 * tolerance is that of the header comment.
 */
function compareProducts(
  gpu: ArrayLike<number>,
  cpu: ArrayLike<number>,
  a: ArrayLike<number>,
  weight: (k: number, j: number) => number,
  batch: number,
  inner: number,
  outer: number,
): ErrorSummary {
  let maxAbsError = 0;
  let maxRatio = 0;
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < outer; j++) {
      let s = 0;
      for (let k = 0; k < inner; k++) s += Math.abs(a[b * inner + k] * weight(k, j));
      const tol = 1e-6 + 2 * (inner + 1) * 2 ** -24 * s;
      const g = gpu[b * outer + j];
      const err = Number.isFinite(g) ? Math.abs(g - cpu[b * outer + j]) : Infinity;
      maxAbsError = Math.max(maxAbsError, err);
      maxRatio = Math.max(maxRatio, err / tol);
    }
  }
  return { maxAbsError, maxRatio, count: batch * outer };
}

function rendererOf(gl: WebGL2RenderingContext | null): { renderer: string | null; vendor: string | null } {
  if (gl === null || typeof gl.getExtension !== 'function') return { renderer: null, vendor: null };
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  return {
    renderer: String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER)),
    vendor: String(gl.getParameter(info ? info.UNMASKED_VENDOR_WEBGL : gl.VENDOR)),
  };
}

/** Runs the checks of the header comment on `engine`; never throws (an exception becomes a failure). */
export function selfCheck(engine: GpuEngine, options: SelfCheckOptions = {}): SelfCheckResult {
  const seed = options.seed ?? 'rbmlab-browser-self-check';
  const chains = options.chains ?? 8192;
  const sweeps = options.sweeps ?? 40;
  const failures: string[] = [];
  const timingsMs: Record<string, number> = {};
  const clock = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());
  const timed = <T>(name: string, f: () => T): T => {
    const t0 = clock();
    try {
      return f();
    } finally {
      timingsMs[name] = Math.round(clock() - t0);
    }
  };
  const none: ErrorSummary = { maxAbsError: NaN, maxRatio: NaN, count: 0 };
  let agreement: SelfCheckResult['agreement'] = { ok: false, hidden: none, visible: none, activations: none };
  const gof: ModelGofResult[] = [];
  let repeat = { identical: false, differing: -1 };
  let uniforms = { words: 0, wordMismatches: -1, states: 0, stateMismatches: -1 };
  const started = clock();

  try {
    timed('agreement', () => {
      const n = 11;
      const m = 7;
      const batch = 13;
      const rbm = bernoulliRbm(n, m, `${seed}/agreement`, 0.6);
      const rng = createRng(`${seed}/agreement/states`);
      const v = binaryStates(batch, n, rng);
      const h = binaryStates(batch, m, rng);
      const w = rbm.weights;
      const hidCpu = new Float64Array(batch * m);
      const visCpu = new Float64Array(batch * n);
      cpuBackend.hiddenInputs(v, w, batch, n, m, hidCpu);
      cpuBackend.visibleInputs(h, w, batch, n, m, visCpu);
      const hidGpu = engine.hiddenInputs(v, w, batch, n, m);
      const visGpu = engine.visibleInputs(h, w, batch, n, m);
      const hidden = compareProducts(hidGpu, hidCpu, v, (i, mu) => w[i * m + mu], batch, n, m);
      const visible = compareProducts(visGpu, visCpu, h, (mu, i) => w[i * m + mu], batch, m, n);
      // activations of the hidden layer from each side's inputs
      const bias = rbm.hidden.params.bias;
      let maxAct = 0;
      for (let k = 0; k < batch * m; k++) {
        const g = sigmoid(Math.fround(hidGpu[k] + bias[k % m]));
        const err = Number.isFinite(g) ? Math.abs(g - rbm.hidden.mean(k % m, hidCpu[k])) : Infinity;
        maxAct = Math.max(maxAct, err);
      }
      const activations = { maxAbsError: maxAct, maxRatio: maxAct / 1e-5, count: batch * m };
      const ok = hidden.maxRatio <= 1 && visible.maxRatio <= 1 && activations.maxRatio <= 1;
      agreement = { ok, hidden, visible, activations };
      if (!ok) failures.push(`layer inputs disagree with cpuBackend beyond float32 tolerance (max error/tolerance: hidden ${hidden.maxRatio}, visible ${visible.maxRatio}, activations ${activations.maxRatio})`);
    });

    let first: ArrayLike<number> | undefined;
    let firstModel: RBM | undefined;
    for (const spec of GOF_MODELS) {
      const rbm = gofModel(spec, seed);
      const name = `${spec.visible} ${spec.n} x ${spec.hidden} ${spec.m}, weights ${spec.scale} N(0,1)`;
      const states = timed(`gibbs ${name}`, () => engine.gibbs(rbm, chains, sweeps, `${seed}/gibbs`));
      if (first === undefined) {
        first = states;
        firstModel = rbm;
      }
      const n = spec.n;
      const probs = visibleProbabilities(rbm);
      const support = rbm.visible.support as readonly number[];
      const counts = new Float64Array(probs.length);
      const row = new Float64Array(n);
      for (let c = 0; c < chains; c++) {
        for (let i = 0; i < n; i++) row[i] = states[c * n + i];
        counts[indexFromState(row, support)]++;
      }
      const r = chiSquareGof(counts, probs);
      // power: the same counts against the P(v) of the model with its weights halved
      const wrong = new RBM(rbm.visible, rbm.hidden, rbm.weights.map((x) => 0.5 * x));
      const powerP = chiSquareGof(counts, visibleProbabilities(wrong)).pValue;
      gof.push({ ok: r.pValue >= P_FAIL && powerP < P_FAIL, model: name, chains, sweeps, seed, ...r, pFail: P_FAIL, powerPValue: powerP });
      if (!(r.pValue >= P_FAIL)) failures.push(`${name}: gibbs samples do not fit the exact P(v): chi-square ${r.statistic.toFixed(1)} on ${r.df} df, p = ${r.pValue.toExponential(2)} < ${P_FAIL}`);
      if (!(powerP < P_FAIL)) failures.push(`${name}: the goodness-of-fit test has no power here: the samples also fit the model with weights x 0.5 (p = ${powerP.toExponential(2)})`);
    }
    timed('uniforms', () => {
      let words = 0;
      let wordMismatches = 0;
      const keys: [number, number, number, number][] = [
        [0, 0, 0, 0],
        [4194303, 4194303, 4194303, 4194240],
        [1597519, 2860124, 12345, 192],
      ];
      for (const [k0, k1, c2, c3] of keys) {
        const got = engine.words([k0, k1], c2, c3, 128, 48);
        for (let b = 0; b < 48; b++) {
          for (let j = 0; j < 128; j++) {
            const { c0, c1, draw, word } = wordsGridCounter(j, b);
            words++;
            if (got[b * 128 + j] !== msf4x22(k0, k1, c0, c1, c2, c3 + draw)[word]) wordMismatches++;
          }
        }
      }
      const n = 10;
      const m = 7;
      const half = new RBM(createLayer('bernoulli', n, {}, 'visible'), createLayer('bernoulli', m, {}), new Float64Array(n * m));
      const runs = engine.gibbsSweeps(half, 6, 3, `${seed}/uniforms`);
      const key = deviceKey(createRng(`${seed}/uniforms`).split('device'));
      let states = 0;
      let stateMismatches = 0;
      runs.forEach(({ hidden, visible }, sweep) => {
        for (let b = 0; b < 6; b++) {
          for (let j = 0; j < m; j++) {
            states++;
            if (hidden[b * m + j] !== (deviceUniform(key, COUNTER_PURPOSE.hiddenHalfSweep, sweep, b, j, 0) < 0.5 ? 1 : 0)) stateMismatches++;
          }
          for (let i = 0; i < n; i++) {
            states++;
            if (visible[b * n + i] !== (deviceUniform(key, COUNTER_PURPOSE.visibleHalfSweep, sweep, b, i, 0) < 0.5 ? 1 : 0)) stateMismatches++;
          }
        }
      });
      uniforms = { words, wordMismatches, states, stateMismatches };
      if (wordMismatches !== 0) failures.push(`the generator's words differ from core's msf4x22 in ${wordMismatches} of ${words}`);
      if (stateMismatches !== 0) failures.push(`block Gibbs at probability 1/2 differs from core's deviceUniform in ${stateMismatches} of ${states} states`);
    });
    const again = timed('gibbs repeat', () => engine.gibbs(firstModel as RBM, chains, sweeps, `${seed}/gibbs`));
    const once = first as ArrayLike<number>;
    let differing = 0;
    for (let k = 0; k < once.length; k++) if (!Object.is(once[k], again[k])) differing++;
    if (once.length !== again.length) differing = Math.max(differing, 1);
    repeat = { identical: differing === 0, differing };
    if (!repeat.identical) failures.push(`the repeated seeded run differs in ${differing} of ${once.length} states`);
  } catch (err) {
    failures.push(`exception: ${err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err)}`);
  }

  const kernelModes = engine.kernelModes();
  if (engine.mode !== REQUIRED_MODE) failures.push(`gpu.js runs in mode "${engine.mode}", not "${REQUIRED_MODE}"`);
  const wrong = Object.entries(kernelModes).filter(([, mode]) => mode !== REQUIRED_MODE);
  if (wrong.length > 0) failures.push(`kernels not in ${REQUIRED_MODE}: ${wrong.map(([k, mode]) => `${k} ran in ${mode}`).join(', ')}`);
  if (Object.keys(kernelModes).length === 0) failures.push('no kernel reported its mode');
  timingsMs.total = Math.round(clock() - started);
  return {
    ok: failures.length === 0,
    failures,
    mode: engine.mode,
    kernelModes,
    engine: engine.name,
    ...rendererOf(engine.context),
    userAgent: typeof navigator !== 'undefined' ? navigator.userAgent : 'not a browser',
    agreement,
    gof,
    repeat,
    uniforms,
    timingsMs,
  };
}
