/**
 * The lab's Web Worker: runs a study with runStudyInMemory (the functions `rbmlab run` uses, so
 * the same study and seed on the CPU reference backend give the same results.csv as the CLI
 * with RBMLAB_BACKEND=cpu-reference), on gpu.js's WebGL2 mode (an OffscreenCanvas in the
 * worker) or on core's TypeScript reference backend; posts the student after every epoch (its
 * matched overlaps, columns and singular values) and, at the end, the files the CLI writes.
 * It also reads a model file: log Z, samples, and the induced couplings by order.
 */
// first: Node 20's Math.exp & co. before any other module is evaluated (docs/LAB.md)
import './install-node-math';
import * as gpujs from 'gpu.js';
import {
  annealedImportanceSampling,
  CouplingError,
  couplingList,
  cpuBackend,
  createChain,
  createRng,
  exactLogZ,
  formatRbm,
  inducedCouplings,
  numSubsets,
  patternRecovery,
  rbmFromJSON,
  singularValues,
  type Backend,
  type PatternRecovery,
  type RBM,
} from '@rbmlab/core';
import { GpuBackend, type GpuJsModule } from '@rbmlab/gpu';
import { backendUse } from '../src/study/experiment';
import { runStudyInMemory } from '../src/study/memory';
import { formatPoint, parseStudy } from '../src/study/study';
import type { FromWorker, LabBackend, ToWorker } from './protocol';

declare const self: { postMessage(message: FromWorker): void; onmessage: ((event: { data: ToWorker }) => void) | null };

const post = (message: FromWorker) => self.postMessage(message);

/** Versions the manifest records (the bundle's, fixed when it was built). */
declare const LAB_VERSIONS: Record<string, string>;
declare const LAB_COMMIT: string;

let stopRequested = false;
let gpu: GpuBackend | undefined;

function webgl2Backend(): GpuBackend {
  gpu ??= new GpuBackend(gpujs as unknown as GpuJsModule, 'webgl2');
  return gpu;
}

function probe(): void {
  try {
    webgl2Backend();
    post({ type: 'probe', webgl2: true, reason: '' });
  } catch (err) {
    post({ type: 'probe', webgl2: false, reason: (err as Error).message.split('\n')[0] });
  }
}

/**
 * The student as the page draws it, from its pattern recovery (computed every epoch, for the
 * overlap curve): each pattern's matched column, signed to agree with the pattern, and the
 * singular values of W (only for the epochs posted).
 */
function epochView(student: RBM, patterns: readonly Int8Array[], recovery: PatternRecovery) {
  const n = student.numVisible;
  const m = student.numHidden;
  const w = student.weights;
  const columns = patterns.map((xi, a) => {
    const mu = recovery.assignment[a];
    if (mu < 0) return new Array<number>(n).fill(0);
    let dot = 0;
    for (let i = 0; i < n; i++) dot += xi[i] * w[i * m + mu];
    const sign = dot < 0 ? -1 : 1;
    return Array.from({ length: n }, (_, i) => sign * w[i * m + mu]);
  });
  let singular: number[] = [];
  try {
    singular = Array.from(singularValues(student));
  } catch {
    // a diverged student (non-finite weights) has no SVD; the overlaps say what happened
  }
  return { overlaps: Array.from(recovery.overlaps), columns, patterns: patterns.map((p) => Array.from(p)), singular };
}

async function run(message: Extract<ToWorker, { type: 'run' }>): Promise<void> {
  stopRequested = false;
  if ((message.study as { plugin?: unknown }).plugin !== undefined) throw new Error('plugin: a study\'s own families (CommonJS files) cannot be loaded in the page; run it with rbmlab run');
  // baseDir is where a plugin would be found: none here (refused above)
  const study = parseStudy(message.study, { baseDir: '.' });
  let backend: Backend;
  let detail: string;
  if (message.backend === 'webgl2') {
    const device = webgl2Backend();
    // as `run --backend gpu` refuses it: a family (or point) with nothing to run on the device
    for (const point of study.points) {
      const use = backendUse(study.experiment, point.params, device);
      if (use !== true) throw new Error(`WebGL2: the ${study.experiment.name} family cannot run on the device at ${formatPoint(point.values)}: ${use}; choose the CPU reference backend`);
    }
    backend = device;
    detail = device.describe();
  } else {
    backend = cpuBackend;
    detail = 'TypeScript reference backend (@rbmlab/core cpuBackend, float64) in a Web Worker';
  }
  const total = study.points.length * study.file.trials;
  post({ type: 'started', backend: backend.name, detail, total });
  let lastPost = 0;
  let history: { epoch: number; overlaps: number[] }[] = [];
  let model: string | null = null;
  let modelLabel = '';
  const outcome = await runStudyInMemory(study, {
    backend,
    backendInfo: { name: backend.name, detail, ...(message.backend === 'webgl2' ? { mode: 'webgl2' } : {}) },
    environment: {
      versions: LAB_VERSIONS,
      commit: LAB_COMMIT,
      platform: { os: `browser ${message.userAgent}`, arch: 'wasm/js', cpus: message.cpus },
    },
    stopped: () => stopRequested,
    yieldToEvents: () => new Promise((resolve) => setTimeout(resolve, 0)),
    onTrialStart: (task, index) => post({ type: 'trialStart', task: index, total, point: formatPoint(task.point.values), trial: task.trial }),
    observe: (task, event) => {
      // every epoch is computed, but the page gets at most about 20 frames a second, and the last
      const now = performance.now();
      const last = event.epoch === event.epochs;
      if (last) {
        model = formatRbm(event.student, 'student');
        modelLabel = `${formatPoint(task.point.values)}, trial ${task.trial}`;
      }
      const recovery = patternRecovery(event.patterns, event.student);
      // every epoch's overlaps reach the page's curve, even those between two frames
      if (event.epoch === 1) history = [];
      history.push({ epoch: event.epoch, overlaps: Array.from(recovery.overlaps) });
      if (!last && now - lastPost < 50) return;
      lastPost = now;
      const view = epochView(event.student, event.patterns, recovery);
      post({ type: 'epoch', task: task.point.index * study.file.trials + task.trial, point: formatPoint(task.point.values), trial: task.trial, epoch: event.epoch, epochs: event.epochs, history, ...view });
      history = [];
    },
    onTrial: (_task, rows, seconds, done) => post({ type: 'trial', done, total, seconds, row: { ...rows[0] } }),
  });
  post({
    type: 'done',
    done: outcome.done,
    total,
    results: outcome.results,
    summary: outcome.summary,
    manifest: JSON.stringify(outcome.manifest, null, 2) + '\n',
    plots: outcome.plots,
    model,
    modelLabel,
  });
}

/** Couplings of orders 1..K listed at most (the page shows statistics by order, not the list). */
const MAX_COUPLINGS = 2_000_000;

function modelInfo(message: Extract<ToWorker, { type: 'model' }>): void {
  let json: unknown;
  try {
    json = JSON.parse(message.text);
  } catch (err) {
    throw new Error(`${message.name}: not JSON (${(err as Error).message})`);
  }
  const rbm = rbmFromJSON(json, message.name);
  const n = rbm.numVisible;
  const m = rbm.numHidden;
  const rng = createRng(message.seed);
  // log Z: exact by enumerating the smaller binary layer where it has at most 2^20 states, else AIS
  let logZ: number;
  let logZStderr = 0;
  let logZMethod: string;
  try {
    const exact = exactLogZ(rbm, { maxUnits: 20 });
    logZ = exact.logZ;
    logZMethod = `exact (2^${exact.enumerated === 'visible' ? n : m} ${exact.enumerated} states)`;
  } catch {
    const ais = annealedImportanceSampling(rbm, { rng: rng.split('ais'), chains: 100, steps: 1000, backend: cpuBackend });
    logZ = ais.logZ;
    logZStderr = ais.stderr;
    logZMethod = 'AIS (100 chains x 1000 steps, seed ' + message.seed + ')';
  }
  // eight samples after 200 sweeps of independent chains
  const chain = createChain(rbm, { chains: 8, rng: rng.split('samples'), backend: cpuBackend });
  chain.sweep(200);
  const states = chain.visibleState;
  const samples = Array.from({ length: 8 }, (_, c) => Array.from(states.subarray(c * n, (c + 1) * n)));
  // induced couplings: the highest order <= 4 whose subsets number at most MAX_COUPLINGS
  const couplings: { order: number; count: number; rms: number; max: number }[] = [];
  let couplingNote = '';
  const support = rbm.visible.support;
  if (support === undefined || support.length !== 2) {
    couplingNote = `${rbm.visible.type} visible units are not binary: -F(v) has no expansion in couplings`;
  } else {
    let order = Math.min(4, n);
    while (order > 1 && numSubsets(n, order) > MAX_COUPLINGS) order--;
    // the model's own basis where it can be had; the bernoulli basis, local in the weights and
    // exact at any N, where the spin basis would enumerate too many states
    let c: ReturnType<typeof inducedCouplings>;
    let fallback = '';
    try {
      c = inducedCouplings(rbm, order, { maxCouplings: MAX_COUPLINGS });
    } catch (err) {
      if (!(err instanceof CouplingError)) throw err;
      c = inducedCouplings(rbm, order, { maxCouplings: MAX_COUPLINGS, basis: 'bernoulli' });
      fallback = ` (the ${rbm.visible.type} basis would enumerate too many states: ${err.message.split(';')[0]})`;
    }
    const stats = Array.from({ length: order }, (_, k) => ({ order: k + 1, count: 0, rms: 0, max: 0 }));
    for (const { sites, J } of couplingList(c)) {
      const s = stats[sites.length - 1];
      s.count++;
      s.rms += J * J; // the sum of squares until the loop ends
      s.max = Math.max(s.max, Math.abs(J));
    }
    for (const s of stats) couplings.push({ ...s, rms: Math.sqrt(s.rms / Math.max(s.count, 1)) });
    couplingNote = `exact, ${c.basis} basis${fallback}, orders 1..${order}${order < 4 ? ` (order ${order + 1} would list more than ${MAX_COUPLINGS} couplings)` : ''}`;
  }
  post({
    type: 'modelInfo',
    name: message.name,
    summary: `${n} ${rbm.visible.type} visible x ${m} ${rbm.hidden.type} hidden units`,
    logZ,
    logZStderr,
    logZMethod,
    samples,
    couplings,
    couplingNote,
    numVisible: n,
  });
}

self.onmessage = (event) => {
  const message = event.data;
  const fail = (err: unknown) => post({ type: 'error', message: (err as Error).message ?? String(err) });
  try {
    if (message.type === 'probe') probe();
    else if (message.type === 'stop') stopRequested = true;
    else if (message.type === 'model') modelInfo(message);
    else if (message.type === 'run') run(message).catch(fail);
  } catch (err) {
    fail(err);
  }
};

export type { LabBackend };
