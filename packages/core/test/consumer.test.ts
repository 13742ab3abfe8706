/**
 * @rbmlab/core as a dependency of someone else's project (issue 14, item 6, for core): the
 * package made by `npm pack` is installed into a fresh temporary project, with only its declared
 * dependencies (npm's cache first, the registry for what the cache lacks), and used the three ways
 * a consumer would: a CommonJS script, an ES module, and TypeScript under --strict without
 * skipLibCheck and without @types/node (a browser or library author's setting: core's public
 * declarations must not need Node's types, devDependencies or the optional native addon).
 *
 * A browser bundle of the consumer's own code, made by esbuild from the installed package (its
 * "browser" entry, which has no Node modules), runs in Debian's headless Chromium: an RBM, its
 * exact log Z and a few epochs of PCD on the reference backend, equal to the same code in Node.
 *
 * The install's time and node_modules size are printed (targets in the README: under 30 s and
 * 5 MB); they are measured here, not asserted, because this machine is shared.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { installTarballs, pack } from './helpers/packing';

const CHROMIUM = process.env.RBMLAB_CHROMIUM ?? '/usr/bin/chromium';

const coreDir = path.resolve(__dirname, '..');
const tsc = path.resolve(coreDir, '..', '..', 'node_modules', '.bin', 'tsc');
let project = '';

beforeAll(() => {
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'rbmlab-consumer-'));
  // core's dist is what is packed: npm test builds it first (tsc -b), npm pack its other entries
  const tarball = pack(coreDir, project);
  const { seconds, megabytes } = installTarballs(project, [tarball], ['--ignore-scripts']);
  process.stdout.write(`@rbmlab/core from its tarball: installed in ${seconds.toFixed(1)} s, node_modules ${megabytes.toFixed(1)} MB\n`);
}, 180_000);

afterAll(() => fs.rmSync(project, { recursive: true, force: true }));

/** Runs node on a file of the consumer project; its stdout. */
function node(file: string, source: string): string {
  fs.writeFileSync(path.join(project, file), source);
  const run = spawnSync(process.execPath, [file], { cwd: project, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${file} failed: ${run.stderr}`);
  return run.stdout;
}

test('only the declared dependencies are installed (nothing of the build, the GPU stack or @stdlib)', () => {
  const installed = fs.readdirSync(path.join(project, 'node_modules')).filter((n) => !n.startsWith('.'));
  expect(installed).toContain('@rbmlab');
  for (const heavy of ['@stdlib', 'gpu.js', 'gl', 'typescript', 'jest', 'vega']) expect(installed).not.toContain(heavy);
});

test('a CommonJS script: an RBM with relu hidden units, exact log Z equal to a sum over 2^N states, block Gibbs', () => {
  const out = node(
    'use.cjs',
    `const { RBM, createLayer, createRng, exactLogZ, stateFromIndex, sampleVisibleStates, normal } = require('@rbmlab/core');
const rng = createRng(1);
const rbm = new RBM(createLayer('bernoulli', 6, {}, 'visible'), createLayer('relu', 3), Float64Array.from({ length: 18 }, () => 0.3 * normal(rng)));
let terms = [];
for (let s = 0; s < 64; s++) terms.push(-rbm.freeEnergy(stateFromIndex(s, 6, [0, 1])));
const max = Math.max(...terms);
const brute = max + Math.log(terms.reduce((a, t) => a + Math.exp(t - max), 0));
const states = sampleVisibleStates(rbm, { chains: 5, sweeps: 10, rng });
process.stdout.write(JSON.stringify({ logZ: exactLogZ(rbm).logZ, brute, samples: states.length }));`,
  );
  const { logZ, brute, samples } = JSON.parse(out);
  expect(Math.abs(logZ - brute)).toBeLessThan(1e-12 * Math.abs(brute) + 1e-12);
  expect(samples).toBe(5 * 6);
});

test('an ES module imports the same names', () => {
  const out = node('use.mjs', `import { RBM, exactLogZ, createLayer } from '@rbmlab/core';\nprocess.stdout.write([typeof RBM, typeof exactLogZ, typeof createLayer].join(' '));`);
  expect(out).toBe('function function function');
});

test('TypeScript --strict, no skipLibCheck, no @types/node: the declarations type-check', () => {
  fs.writeFileSync(
    path.join(project, 'use.ts'),
    `import { RBM, createLayer, createRng, exactLogZ, normal, type Rng } from '@rbmlab/core';
const rng: Rng = createRng(1);
const rbm = new RBM(createLayer('bernoulli', 6, {}, 'visible'), createLayer('relu', 3), Float64Array.from({ length: 18 }, () => 0.3 * normal(rng)));
export const logZ: number = exactLogZ(rbm).logZ;
// @ts-expect-error a wrong argument is a type error, so the declarations are really read
exactLogZ('not a model');
`,
  );
  fs.writeFileSync(
    path.join(project, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, noEmit: true, target: 'es2022', module: 'commonjs', moduleResolution: 'node10', types: [], skipLibCheck: false }, files: ['use.ts'] }),
  );
  const run = spawnSync(tsc, ['-p', project], { encoding: 'utf8' });
  expect(run.stdout + run.stderr).toBe('');
  expect(run.status).toBe(0);
});

/** The same computation for Node (CommonJS) and the browser (bundled): log Z, then 20 epochs of PCD; its numbers as JSON. */
const WORKLOAD = `
const rng = createRng(7);
const data = new Float64Array(40 * 6);
for (let r = 0; r < 40; r++) { const on = r % 2; for (let i = 0; i < 6; i++) data[r * 6 + i] = (i < 3) === (on === 1) ? 1 : 0; }
const rbm = new RBM(createLayer('bernoulli', 6, {}, 'visible'), createLayer('relu', 3), Float64Array.from({ length: 18 }, () => 0.1 * normal(rng)));
const before = exactLogZ(rbm).logZ;
const trainer = new Trainer(rbm, data, 40, { method: 'pcd', learningRate: 0.05, optimizer: 'adam', batchSize: 10, rng: rng.split('train') });
trainer.train(20);
const result = { before, after: exactLogZ(rbm).logZ, weights: Array.from(rbm.weights) };
`;

test('a browser bundle of a consumer script (esbuild, the "browser" entry) runs in Chromium and computes what Node computes', async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`this test needs chromium at ${CHROMIUM} (apt-get install --no-install-recommends chromium; .ci/run installs it)`);
  const names = 'RBM, createLayer, createRng, exactLogZ, normal, Trainer';
  const inNode = JSON.parse(node('workload.cjs', `const { ${names} } = require('@rbmlab/core');\n${WORKLOAD}\nprocess.stdout.write(JSON.stringify(result));`));
  fs.writeFileSync(path.join(project, 'page.mjs'), `import { ${names} } from '@rbmlab/core';\n${WORKLOAD}\nwindow.__result = result;\n`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  const bundle = await esbuild.build({ entryPoints: [path.join(project, 'page.mjs')], bundle: true, format: 'iife', platform: 'browser', write: false, logLevel: 'silent', metafile: true });
  // the browser entry was the one bundled, and nothing of Node's came along
  const inputs = Object.keys(bundle.metafile.inputs);
  expect(inputs.some((p) => p.includes(path.join('@rbmlab', 'core', 'dist', 'browser', 'index.mjs')))).toBe(true);
  expect(inputs.filter((p) => p.includes(path.join('@rbmlab', 'core', 'dist')) && !p.includes('browser'))).toEqual([]);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { chromium } = require('playwright-core') as typeof import('playwright-core');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'rbmlab-core-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--no-first-run', '--disable-background-networking'] });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto('about:blank');
    await page.addScriptTag({ content: bundle.outputFiles[0].text });
    const inBrowser = (await page.evaluate(() => (window as unknown as { __result: unknown }).__result)) as typeof inNode;
    expect(errors).toEqual([]);
    expect(inBrowser.before).toBe(inNode.before);
    expect(inBrowser.after).toBeCloseTo(inNode.after, 12);
    expect(inBrowser.after).not.toBe(inBrowser.before); // it trained
    for (let q = 0; q < inNode.weights.length; q++) expect(Math.abs(inBrowser.weights[q] - inNode.weights[q])).toBeLessThan(1e-12);
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}, 120_000);
