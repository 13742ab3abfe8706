/**
 * The lab page: a form that writes a teacher-student study file, a Web Worker that runs it
 * (worker.ts), live views of the running trial (overlap with each planted pattern against
 * epochs, the student's matched weight columns beside the planted patterns, the singular values
 * of W), the study's plots from the Vega-Lite specs `rbmlab run` writes, downloads of the files
 * the CLI writes, and a model-file reader (log Z, samples, induced couplings by order).
 *
 * Everything is bundled (Vega, Vega-Lite, gpu.js): the page needs no network.
 */
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { StudyFile } from '../src/study/study';
import { QUICKSTART, SMALL, TRAINING_DEFAULTS } from './presets';
import type { EpochView, FromWorker, LabBackend, ToWorker } from './protocol';

const ACTIVATIONS = ['bernoulli', 'spin', 'gaussian', 'relu', 'drelu', 'poisson', 'step'] as const;
const OPTIMIZERS = ['sgd', 'momentum', 'adam'] as const;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const input = (id: string) => $<HTMLInputElement>(id);

// ---------------------------------------------------------------------------------------------
// The form and the study file

function fillForm(study: StudyFile): void {
  const p = study.params as Record<string, number | string>;
  input('N').value = String(p.N ?? 50);
  input('P').value = String(p.P ?? 1);
  input('beta').value = String(p.beta ?? 1);
  $<HTMLSelectElement>('teacherHidden').value = String(p.teacherHidden ?? 'spin');
  const students = (study.grid.studentHidden as string[] | undefined) ?? [String(p.studentHidden ?? 'spin')];
  for (const a of ACTIVATIONS) input(`student-${a}`).checked = students.includes(a);
  input('alpha').value = ((study.grid.alpha as number[] | undefined) ?? [Number(p.alpha ?? 4)]).join(', ');
  input('epochs').value = String(p.epochs ?? TRAINING_DEFAULTS.epochs);
  input('lr').value = String(p.lr ?? TRAINING_DEFAULTS.lr);
  input('batch').value = String(p.batch ?? TRAINING_DEFAULTS.batch);
  input('chains').value = String(p.chains ?? TRAINING_DEFAULTS.chains);
  $<HTMLSelectElement>('optimizer').value = String(p.optimizer ?? TRAINING_DEFAULTS.optimizer);
  input('trials').value = String(study.trials);
  input('seed').value = String(study.seed);
  input('name').value = study.name ?? 'lab';
  writeStudyText(study);
}

/** The study file the form describes. Training settings equal to the family's defaults are left out, as a hand-written file would. */
function studyFromForm(): StudyFile {
  const number = (id: string) => Number(input(id).value);
  const params: Record<string, number | string> = {
    N: number('N'),
    P: number('P'),
    beta: number('beta'),
    teacherHidden: $<HTMLSelectElement>('teacherHidden').value,
  };
  const training: Record<string, number | string> = {
    epochs: number('epochs'),
    lr: number('lr'),
    batch: number('batch'),
    chains: number('chains'),
    optimizer: $<HTMLSelectElement>('optimizer').value,
  };
  for (const [k, v] of Object.entries(training)) if (v !== (TRAINING_DEFAULTS as Record<string, number | string>)[k]) params[k] = v;
  const alphas = input('alpha')
    .value.split(/[\s,]+/)
    .filter((x) => x !== '')
    .map(Number);
  // the grid's order is the order of its points (and of results.csv's rows): keep the order the
  // study file has (a preset's, or the user's edit), adding newly ticked activations at the end
  const checked = ACTIVATIONS.filter((a) => input(`student-${a}`).checked);
  let previous: string[] = [];
  try {
    const grid = (JSON.parse($<HTMLTextAreaElement>('studyText').value) as StudyFile).grid?.studentHidden;
    if (Array.isArray(grid)) previous = grid.map(String);
  } catch {
    // an unparsable text: the form's order
  }
  const students = [...previous.filter((a) => (checked as readonly string[]).includes(a)), ...checked.filter((a) => !previous.includes(a))];
  return {
    name: input('name').value || 'lab',
    experiment: 'teacher-student',
    seed: number('seed'),
    trials: number('trials'),
    params,
    grid: { alpha: alphas, studentHidden: students },
  };
}

function writeStudyText(study: StudyFile): void {
  $<HTMLTextAreaElement>('studyText').value = JSON.stringify(study, null, 2);
}

// ---------------------------------------------------------------------------------------------
// Plots: Vega-Lite compiled and drawn by Vega as SVG

async function drawSpec(container: HTMLElement, spec: Record<string, unknown>): Promise<vega.View> {
  const view = new vega.View(vega.parse(compile(spec as never).spec), { renderer: 'svg', container, hover: true });
  await view.runAsync();
  return view;
}

/** Overlap of each planted pattern with its matched student column, against epochs (the running trial). */
function overlapSpec(values: object[]): Record<string, unknown> {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'running trial: overlap with each planted pattern',
    width: 360,
    height: 200,
    background: 'white',
    data: { name: 'table', values },
    mark: { type: 'line', point: false },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
      y: { field: 'overlap', type: 'quantitative', title: 'matched |cos|', scale: { domain: [0, 1] } },
      color: { field: 'pattern', type: 'nominal', title: 'pattern' },
    },
  };
}

function singularSpec(values: object[]): Record<string, unknown> {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'singular values of W',
    width: 200,
    height: 200,
    background: 'white',
    data: { name: 'table', values },
    mark: 'bar',
    encoding: {
      x: { field: 'k', type: 'ordinal', title: 'k' },
      y: { field: 's', type: 'quantitative', title: 'sigma_k' },
    },
  };
}

function couplingSpec(values: object[]): Record<string, unknown> {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'induced couplings by order',
    width: 240,
    config: { legend: { orient: 'bottom' } },
    height: 200,
    background: 'white',
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'order', type: 'ordinal', title: 'order k' },
      y: { field: 'value', type: 'quantitative', title: '|J_S| over the subsets of size k', scale: { type: 'log' } },
      color: { field: 'statistic', type: 'nominal', title: '' },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Weight columns beside the planted patterns

/** Draws each planted pattern (black +1, white -1) above its matched student column (red +, blue -, scaled by max |w|). */
function drawColumns(canvas: HTMLCanvasElement, view: EpochView): void {
  const n = view.patterns[0]?.length ?? 0;
  const cell = Math.max(2, Math.min(12, Math.floor(560 / Math.max(n, 1))));
  const rowHeight = 16;
  canvas.width = n * cell + 80;
  canvas.height = view.patterns.length * (2 * rowHeight + 14) + 4;
  const g = canvas.getContext('2d')!;
  g.fillStyle = 'white';
  g.fillRect(0, 0, canvas.width, canvas.height);
  g.font = '11px sans-serif';
  view.patterns.forEach((xi, a) => {
    const top = a * (2 * rowHeight + 14) + 2;
    const w = view.columns[a];
    const scale = Math.max(...w.map(Math.abs), 1e-12);
    g.fillStyle = '#333';
    g.fillText(`xi ${a + 1}`, 0, top + 12);
    g.fillText(`q = ${view.overlaps[a].toFixed(3)}`, 0, top + rowHeight + 12);
    for (let i = 0; i < n; i++) {
      g.fillStyle = xi[i] > 0 ? '#000' : '#fff';
      g.fillRect(80 + i * cell, top, cell, rowHeight);
      const t = w[i] / scale;
      const c = Math.round(255 * (1 - Math.abs(t)));
      g.fillStyle = t >= 0 ? `rgb(255,${c},${c})` : `rgb(${c},${c},255)`;
      g.fillRect(80 + i * cell, top + rowHeight, cell, rowHeight);
    }
    g.strokeStyle = '#999';
    g.strokeRect(80, top, n * cell, 2 * rowHeight);
  });
}

/** Samples as rows of cells (the visible support's low value white, high black; continuous values in grey). */
function drawSamples(canvas: HTMLCanvasElement, samples: number[][]): void {
  const n = samples[0]?.length ?? 0;
  const cell = Math.max(2, Math.min(12, Math.floor(560 / Math.max(n, 1))));
  canvas.width = n * cell;
  canvas.height = samples.length * 14;
  const g = canvas.getContext('2d')!;
  const all = samples.flat();
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  samples.forEach((row, r) =>
    row.forEach((x, i) => {
      const t = hi > lo ? (x - lo) / (hi - lo) : 0;
      const c = Math.round(255 * (1 - t));
      g.fillStyle = `rgb(${c},${c},${c})`;
      g.fillRect(i * cell, r * 14, cell, 12);
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Downloads

/** Saves `text` as the file `name` (a download, as from any web page). */
function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function setDownload(id: string, name: string, text: string | null, type: string): void {
  const button = $<HTMLButtonElement>(id);
  button.disabled = text === null;
  button.onclick = text === null ? null : () => download(name, text, type);
}

// ---------------------------------------------------------------------------------------------
// The worker and the run

const worker = new Worker('lab-worker.js');
const send = (message: ToWorker) => worker.postMessage(message);
let webgl2 = false;
let overlapView: vega.View | undefined;
let overlapRows: { epoch: number; overlap: number; pattern: string }[] = [];
let currentTask = -1;
let runStarted = 0;

function status(text: string): void {
  $('status').textContent = text;
}

function chosenBackend(): LabBackend {
  const asked = $<HTMLSelectElement>('backend').value;
  if (asked === 'cpu') return 'cpu';
  if (asked === 'webgl2') return 'webgl2';
  return webgl2 ? 'webgl2' : 'cpu';
}

/** The newest epoch not drawn yet; frames are drawn one at a time, so a busy page skips to the newest. */
let pending: EpochView | undefined;
let drawing = false;
let singularView: vega.View | undefined;

function onEpoch(view: EpochView): void {
  if (view.task !== currentTask) {
    currentTask = view.task;
    overlapRows = [];
  }
  for (const h of view.history) h.overlaps.forEach((q, a) => overlapRows.push({ epoch: h.epoch, overlap: q, pattern: `xi ${a + 1}` }));
  pending = view;
  if (!drawing) void drawFrames();
}

async function drawFrames(): Promise<void> {
  drawing = true;
  while (pending !== undefined) {
    const view = pending;
    pending = undefined;
    await drawEpoch(view);
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
  drawing = false;
}

async function drawEpoch(view: EpochView): Promise<void> {
  $('trialLabel').textContent = `${view.point}, trial ${view.trial}: epoch ${view.epoch} of ${view.epochs}`;
  if (overlapView === undefined) overlapView = await drawSpec($('overlapPlot'), overlapSpec(overlapRows.slice()));
  else await overlapView.data('table', overlapRows.slice()).runAsync();
  drawColumns($<HTMLCanvasElement>('columns'), view);
  const singular = view.singular.map((s, k) => ({ k: k + 1, s }));
  if (singularView === undefined) singularView = await drawSpec($('singularPlot'), singularSpec(singular));
  else await singularView.data('table', singular).runAsync();
}

async function onDone(message: Extract<FromWorker, { type: 'done' }>): Promise<void> {
  const seconds = (performance.now() - runStarted) / 1000;
  status(`${message.done === message.total ? 'done' : 'stopped'}: ${message.done} of ${message.total} trials in ${seconds.toFixed(1)} s`);
  $('run').removeAttribute('disabled');
  $<HTMLButtonElement>('stop').disabled = true;
  setDownload('getResults', 'results.csv', message.results, 'text/csv');
  setDownload('getSummary', 'summary.csv', message.summary, 'text/csv');
  setDownload('getManifest', 'manifest.json', message.manifest, 'application/json');
  setDownload('getModel', 'student.rbm.json', message.model, 'application/json');
  $('modelLabel').textContent = message.model ? `(the student of ${message.modelLabel})` : '';
  const plots = $('studyPlots');
  plots.replaceChildren();
  for (const [metric, spec] of Object.entries(message.plots)) {
    const box = document.createElement('div');
    box.className = 'plot';
    box.dataset.metric = metric;
    plots.appendChild(box);
    await drawSpec(box, spec);
  }
  document.body.dataset.state = 'done';
}

worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const message = event.data;
  switch (message.type) {
    case 'probe':
      webgl2 = message.webgl2;
      $('device').textContent = webgl2
        ? 'WebGL2 is available: "auto" runs trials on gpu.js WebGL2 kernels (float32).'
        : `No WebGL2 in this browser's workers (${message.reason}): "auto" runs on the CPU reference backend.`;
      document.body.dataset.webgl2 = String(webgl2);
      break;
    case 'started':
      $('backendLine').textContent = `running on ${message.backend}: ${message.detail}`;
      status(`0 of ${message.total} trials`);
      break;
    case 'trialStart':
      $<HTMLProgressElement>('progress').max = message.total;
      $('trialLabel').textContent = `${message.point}, trial ${message.trial}`;
      break;
    case 'epoch':
      onEpoch(message);
      break;
    case 'trial':
      $<HTMLProgressElement>('progress').value = message.done;
      status(`${message.done} of ${message.total} trials (last ${message.seconds.toFixed(2)} s)`);
      break;
    case 'done':
      void onDone(message);
      break;
    case 'modelInfo': {
      $('modelName').textContent = `${message.name}: ${message.summary}`;
      $('logZ').textContent = `${message.logZ}${message.logZStderr > 0 ? ` ± ${message.logZStderr.toPrecision(2)}` : ''}`;
      $('logZ').dataset.value = String(message.logZ);
      $('logZMethod').textContent = message.logZMethod;
      drawSamples($<HTMLCanvasElement>('samples'), message.samples);
      $('couplingNote').textContent = message.couplingNote;
      const values = message.couplings.flatMap((c) => [
        { order: c.order, statistic: 'rms', value: c.rms },
        { order: c.order, statistic: 'max', value: c.max },
      ]).filter((d) => d.value > 0);
      $('couplingPlot').replaceChildren();
      if (values.length > 0) void drawSpec($('couplingPlot'), couplingSpec(values));
      $('couplingTable').textContent = message.couplings.map((c) => `order ${c.order}: ${c.count} couplings, rms ${c.rms.toPrecision(4)}, max ${c.max.toPrecision(4)}`).join('\n');
      document.body.dataset.model = 'loaded';
      break;
    }
    case 'error':
      status(`error: ${message.message}`);
      $('error').textContent = message.message;
      $('run').removeAttribute('disabled');
      $<HTMLButtonElement>('stop').disabled = true;
      document.body.dataset.state = 'error';
      break;
  }
};

function run(): void {
  let study: StudyFile;
  try {
    study = JSON.parse($<HTMLTextAreaElement>('studyText').value) as StudyFile;
  } catch (err) {
    $('error').textContent = `the study file is not JSON: ${(err as Error).message}`;
    return;
  }
  $('error').textContent = '';
  document.body.dataset.state = 'running';
  $('run').setAttribute('disabled', '');
  $<HTMLButtonElement>('stop').disabled = false;
  for (const id of ['getResults', 'getSummary', 'getManifest', 'getModel']) $<HTMLButtonElement>(id).disabled = true;
  $('studyPlots').replaceChildren();
  overlapView?.finalize();
  overlapView = undefined;
  singularView?.finalize();
  singularView = undefined;
  pending = undefined;
  $('overlapPlot').replaceChildren();
  $('singularPlot').replaceChildren();
  currentTask = -1;
  $<HTMLProgressElement>('progress').value = 0;
  runStarted = performance.now();
  status('starting');
  send({ type: 'run', study, backend: chosenBackend(), userAgent: navigator.userAgent, cpus: navigator.hardwareConcurrency ?? 1 });
}

function readModel(file: File): void {
  void file.text().then((text) => send({ type: 'model', name: file.name, text, seed: Number(input('seed').value) || 1 }));
}

function setUp(): void {
  const teacher = $<HTMLSelectElement>('teacherHidden');
  for (const a of ACTIVATIONS) teacher.add(new Option(a, a));
  const students = $('students');
  for (const a of ACTIVATIONS) {
    const label = document.createElement('label');
    label.innerHTML = `<input type="checkbox" id="student-${a}"> ${a}`;
    students.appendChild(label);
  }
  const optimizer = $<HTMLSelectElement>('optimizer');
  for (const o of OPTIMIZERS) optimizer.add(new Option(o, o));
  fillForm(QUICKSTART);
  $('form').addEventListener('input', () => writeStudyText(studyFromForm()));
  $('quickstart').onclick = () => fillForm(QUICKSTART);
  $('small').onclick = () => fillForm(SMALL);
  $('run').onclick = run;
  $('stop').onclick = () => send({ type: 'stop' });
  $<HTMLButtonElement>('stop').disabled = true;
  $('getStudy').onclick = () => download('study.json', $<HTMLTextAreaElement>('studyText').value + '\n', 'application/json');
  input('modelFile').onchange = () => {
    const file = input('modelFile').files?.[0];
    if (file) readModel(file);
  };
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const file = e.dataTransfer?.files[0];
    if (file) readModel(file);
  });
  send({ type: 'probe' });
}

setUp();
