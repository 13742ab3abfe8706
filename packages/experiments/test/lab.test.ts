/**
 * The browser lab (issue 18), as a user meets it: `rbmlab lab` serves the built page
 * (lab/build.js), Debian's chromium (headless, driven by playwright-core; software WebGL2 on
 * SwiftShader) opens it, the test sets a small study with the form, runs it, downloads the
 * files, and compares them with `rbmlab run` of the study file the page downloads, on the CPU
 * reference backend (RBMLAB_BACKEND=cpu-reference); then it drops a model file on the page and
 * checks log Z against core, and runs the same study on WebGL2.
 *
 * On the CPU reference backend the page's results.csv and summary.csv are the CLI's byte for
 * byte. That holds because the worker computes Math.exp, log, log1p, expm1 and tanh with Node 20's
 * algorithms (lab/node-math.ts, checked to the bit by lab-math.test.ts): with Chromium's own, 5 of
 * the small preset's 24 metric cells differed in their last bits, and over the quickstart's 100
 * epochs overlaps differed by up to 0.25%.
 *
 * Chromium and playwright-core are required: where either is missing the browser tests fail
 * naming what to install, unless RBMLAB_ALLOW_NO_BROWSER=1. RBMLAB_UPDATE_SCREENSHOTS=1 writes
 * the screenshots to docs/images (what the README shows); otherwise to a temporary folder.
 */
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { cpuBackend, createLayer, createRng, defaultBackend, exactLogZ, formatRbm, RBM } from '@rbmlab/core';
import { runStudy } from '../src/study/runner';
import { runStudyInMemory } from '../src/study/memory';
import { parseStudy } from '../src/study/study';
import { QUICKSTART, SMALL, TRAINING_DEFAULTS } from '../lab/presets';
import { teacherStudent } from '../src/families/teacher-student';
import { splitCsvLine } from '../src/study/results';
import { expectOneLineError, rbmlab, temporaryDirectory } from './helpers/cli';

const CHROMIUM = process.env.RBMLAB_CHROMIUM ?? '/usr/bin/chromium';
const ALLOW_NO_BROWSER = process.env.RBMLAB_ALLOW_NO_BROWSER === '1';
const BIN = path.resolve(__dirname, '..', 'bin', 'rbmlab.js');
const REPO = path.resolve(__dirname, '..', '..', '..');

const tmp = temporaryDirectory('rbmlab-lab-');

describe('the lab presets', () => {
  it('Quickstart is the study npm start runs, and Small is a valid study', () => {
    expect(QUICKSTART).toEqual(JSON.parse(fs.readFileSync(path.join(REPO, 'experiments', 'quickstart.json'), 'utf8')));
    expect(parseStudy(SMALL).points).toHaveLength(4);
    // the form leaves settings equal to the family's defaults out of the study file: they must be the defaults
    for (const [key, value] of Object.entries(TRAINING_DEFAULTS)) expect(`${key}=${teacherStudent.params[key].default}`).toBe(`${key}=${value}`);
  });
});

describe('runStudyInMemory', () => {
  it('writes the results.csv and summary.csv of runStudy, byte for byte, on the same backend', async () => {
    const study = parseStudy(SMALL);
    const environment = { versions: {}, commit: 'unknown', platform: { os: 'test', arch: 'test', cpus: 1 } };
    let epochs = 0;
    // runStudy's 'cpu' is core's default backend (native where it loads): the same one in memory
    const same = await runStudyInMemory(study, { backend: defaultBackend(), environment, observe: () => void epochs++ });
    // the observer saw every epoch of every trial and changed nothing (compared below)
    expect(epochs).toBe(8 * 15);
    const out = tmp.file('runner');
    await runStudy({ study, out, plots: false, backend: 'cpu' });
    expect(same.results).toBe(fs.readFileSync(path.join(out, 'results.csv'), 'utf8'));
    expect(same.summary).toBe(fs.readFileSync(path.join(out, 'summary.csv'), 'utf8'));
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    for (const key of ['format', 'study', 'experiment', 'status', 'shard', 'trials', 'columns', 'points', 'backend']) expect(same.manifest[key as keyof typeof same.manifest]).toEqual(manifest[key]);
    expect(Object.keys(same.plots)).toEqual(['overlap', 'pcaOverlap', 'diverged']);
    expect(same.done).toBe(8);
  });

  it('stops between trials when asked, and says so in the manifest', async () => {
    const study = parseStudy(SMALL);
    let trials = 0;
    const memory = await runStudyInMemory(study, {
      backend: cpuBackend,
      environment: { versions: {}, commit: 'unknown', platform: { os: 'test', arch: 'test', cpus: 1 } },
      onTrial: () => void trials++,
      stopped: () => trials >= 3,
    });
    expect(memory.done).toBe(3);
    expect(memory.manifest.status).toBe('interrupted');
    expect(memory.results.trimEnd().split('\n')).toHaveLength(4);
  });
});

describe('rbmlab lab: bad input', () => {
  it('refuses a port in use, a --dir without a page, and a port out of range, in one line', async () => {
    const server = require('http').createServer() as import('http').Server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    try {
      const port = (server.address() as { port: number }).port;
      const busy = await rbmlab('lab', '--port', String(port));
      expectOneLineError(busy, 2, new RegExp(`rbmlab lab: port ${port} is in use: choose another with --port`));
    } finally {
      server.close();
    }
    expectOneLineError(await rbmlab('lab', '--port', '0', '--dir', tmp.file('')), 1, /--dir .* holds no index\.html/);
    expectOneLineError(await rbmlab('lab', '--port', '70000'), 2, /--port must be at most 65535/);
    expectOneLineError(await rbmlab('lab', '--port', 'x'), 2, /--port/);
  });
});

/** What is missing to run the browser tests, or null. */
function missingBrowser(): string | null {
  const missing: string[] = [];
  if (!fs.existsSync(CHROMIUM)) missing.push(`chromium (${CHROMIUM}): install it with \`apt-get install --no-install-recommends chromium\``);
  try {
    require.resolve('playwright-core');
  } catch {
    missing.push('playwright-core: run `npm install` at the repository root');
  }
  return missing.length === 0 ? null : missing.join('; ');
}

/** `rbmlab lab --port 0` as a child process; resolves with its URL once it prints it. */
function startLab(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, 'lab', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
      if (url) resolve({ child, url: url[0] });
    });
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`rbmlab lab exited with ${code}: ${out}`)));
  });
}

/** The rows of a results.csv as cells. */
function rows(text: string): string[][] {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => splitCsvLine(line));
}

describe('the lab page in headless chromium', () => {
  const missing = missingBrowser();
  let lab: { child: ChildProcess; url: string } | undefined;
  let context: import('playwright-core').BrowserContext | undefined;
  let page: import('playwright-core').Page;
  const log: string[] = [];
  // a function: the temporary folder exists only once the tests run
  const shot = (name: string) => (process.env.RBMLAB_UPDATE_SCREENSHOTS === '1' ? path.join(REPO, 'docs', 'images', name) : tmp.file(name));

  beforeAll(async () => {
    if (missing !== null) return;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { build } = require('../lab/build.js') as { build: () => Promise<void> };
    await build();
    lab = await startLab();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { chromium } = require('playwright-core') as typeof import('playwright-core');
    const profile = fs.mkdtempSync(tmp.file('chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      acceptDownloads: true,
      viewport: { width: 1280, height: 1000 },
      args: ['--headless', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => log.push(`console.${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
    // the page asks for no other origin: anything but the lab's own URL is refused, so a CDN would fail it
    await context.route('**/*', (route) => (route.request().url().startsWith(lab!.url) ? route.continue() : route.abort()));
    await page.goto(lab.url);
    await page.waitForFunction(() => document.body.dataset.webgl2 !== undefined, null, { timeout: 60000 });
  }, 120000);

  afterAll(async () => {
    await context?.close();
    if (lab) {
      const exited = new Promise<number | null>((resolve) => lab!.child.on('exit', (code) => resolve(code)));
      lab.child.kill('SIGINT');
      // Ctrl-C ends the server cleanly: exit code 0
      expect(await exited).toBe(0);
    }
  });

  function skipOrFail(): boolean {
    if (missing === null) return false;
    if (ALLOW_NO_BROWSER) {
      process.stderr.write(`lab.test: browser tests not run (RBMLAB_ALLOW_NO_BROWSER=1): missing ${missing}\n`);
      return true;
    }
    throw new Error(`the lab test needs ${missing} (or set RBMLAB_ALLOW_NO_BROWSER=1 to pass without it)`);
  }

  async function download(button: string, name: string): Promise<string> {
    const [file] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
    const target = tmp.file(name);
    await file.saveAs(target);
    return fs.readFileSync(target, 'utf8');
  }

  async function runStudyInPage(backend: 'cpu' | 'webgl2'): Promise<{ results: string; summary: string; manifest: Record<string, unknown>; study: string }> {
    await page.click('#small');
    await page.fill('#name', 'lab-small');
    await page.selectOption('#backend', backend);
    await page.click('#run');
    await page.waitForFunction(() => document.body.dataset.state === 'done' || document.body.dataset.state === 'error', null, { timeout: 300000, polling: 200 });
    const state = await page.evaluate(() => document.body.dataset.state);
    if (state !== 'done') throw new Error(`the page's run failed: ${await page.textContent('#error')}\n${log.join('\n')}`);
    return {
      results: await download('#getResults', `${backend}-results.csv`),
      summary: await download('#getSummary', `${backend}-summary.csv`),
      manifest: JSON.parse(await download('#getManifest', `${backend}-manifest.json`)) as Record<string, unknown>,
      study: await download('#getStudy', `${backend}-study.json`),
    };
  }

  it('the Quickstart preset writes experiments/quickstart.json, in its grid order, whatever else the form is given', async () => {
    if (skipOrFail()) return;
    await page.click('#quickstart');
    await page.selectOption('#backend', 'cpu');
    await page.fill('#trials', '8');
    expect(JSON.parse(await page.inputValue('#studyText'))).toEqual(QUICKSTART);
    // ticking an activation adds it at the end of the grid; unticking removes it
    await page.check('#student-drelu');
    await page.uncheck('#student-bernoulli');
    expect(JSON.parse(await page.inputValue('#studyText')).grid.studentHidden).toEqual(['spin', 'gaussian', 'relu', 'step', 'drelu']);
  });

  it('runs the small preset on the CPU reference backend and exports the CLI\'s results for the same study file', async () => {
    if (skipOrFail()) return;
    const inPage = await runStudyInPage('cpu');
    // the study file the page downloads is the preset, and `rbmlab run` of it is the reference
    expect(JSON.parse(inPage.study)).toEqual(SMALL);
    const studyFile = tmp.file('cpu-study.json');
    const out = tmp.file('cli-small');
    const cli = spawnSync(process.execPath, [BIN, 'run', studyFile, '--out', out], { env: { ...process.env, RBMLAB_BACKEND: 'cpu-reference' }, encoding: 'utf8' });
    expect(cli.status).toBe(0);
    // byte for byte: the worker computes with Node 20's elementary functions (lab/node-math.ts)
    expect(inPage.results).toBe(fs.readFileSync(path.join(out, 'results.csv'), 'utf8'));
    expect(inPage.summary).toBe(fs.readFileSync(path.join(out, 'summary.csv'), 'utf8'));
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    for (const key of ['format', 'study', 'experiment', 'status', 'shard', 'trials', 'columns', 'points', 'backend']) expect(inPage.manifest[key]).toEqual(manifest[key]);
    expect(Object.keys(inPage.manifest)).toEqual(Object.keys(manifest));
    // the running trial's views were drawn: the overlap curve, the singular values, the columns
    expect(await page.locator('#overlapPlot svg').count()).toBe(1);
    expect(await page.locator('#singularPlot svg').count()).toBe(1);
    expect(await page.locator('#studyPlots .plot svg').count()).toBe(3);
    await page.screenshot({ path: shot('lab-study.png'), fullPage: true });
    expect(fs.statSync(shot('lab-study.png')).size).toBeGreaterThan(50_000);
  }, 300000);

  it('reads a dropped model file: log Z as core computes it, samples and couplings by order', async () => {
    if (skipOrFail()) return;
    const rng = createRng(11);
    const rbm = RBM.random(createLayer('bernoulli', 12, {}, 'visible'), createLayer('relu', 5), rng, 0.5);
    const file = tmp.file('model.rbm.json');
    fs.writeFileSync(file, formatRbm(rbm));
    const expected = exactLogZ(rbm).logZ;
    await page.setInputFiles('#modelFile', file);
    await page.waitForFunction(() => document.body.dataset.model === 'loaded' || document.getElementById('error')!.textContent !== '', null, { timeout: 60000 });
    expect(await page.textContent('#error')).toBe('');
    const shown = Number(await page.getAttribute('#logZ', 'data-value'));
    expect(shown).toBe(expected);
    expect(await page.textContent('#logZMethod')).toMatch(/^exact \(2\^12 visible states\)/);
    expect(await page.textContent('#modelName')).toBe('model.rbm.json: 12 bernoulli visible x 5 relu hidden units');
    const table = (await page.textContent('#couplingTable'))!.split('\n');
    expect(table).toHaveLength(4);
    expect(table[1]).toMatch(/^order 2: 66 couplings, rms /);
    expect(await page.textContent('#couplingNote')).toMatch(/^exact, bernoulli basis, orders 1\.\.4/);
    await page.locator('section', { has: page.locator('#drop') }).screenshot({ path: shot('lab-model.png') });
  }, 120000);

  it('runs the same study on WebGL2 (gpu.js kernels in the worker) and says so in the manifest', async () => {
    if (skipOrFail()) return;
    expect(await page.evaluate(() => document.body.dataset.webgl2)).toBe('true');
    const inPage = await runStudyInPage('webgl2');
    expect(inPage.manifest.backend).toBe('gpujs-webgl2');
    expect((inPage.manifest.backendInfo as { mode: string }).mode).toBe('webgl2');
    const cpu = rows(fs.readFileSync(tmp.file('cpu-results.csv'), 'utf8'));
    const gpu = rows(inPage.results);
    expect(gpu[0]).toEqual(cpu[0]);
    expect(gpu.length).toBe(cpu.length);
    const overlap = cpu[0].indexOf('overlap');
    const mean = (t: string[][]) => t.slice(1).reduce((s, r) => s + Number(r[overlap]), 0) / (t.length - 1);
    // float32 products take other sampling decisions, so trials differ; the study's mean overlap
    // (0.71 on the CPU) does not: a broken kernel would learn nothing (overlap ~0.15 at N = 30)
    for (let r = 1; r < gpu.length; r++) {
      expect(gpu[r].slice(0, overlap)).toEqual(cpu[r].slice(0, overlap));
      expect(Number(gpu[r][overlap])).toBeGreaterThanOrEqual(0);
      expect(Number(gpu[r][overlap])).toBeLessThanOrEqual(1);
    }
    expect(Math.abs(mean(gpu) - mean(cpu))).toBeLessThan(0.1);
  }, 300000);
});
