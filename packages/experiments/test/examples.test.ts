/**
 * Every script in examples/ runs to completion against the built packages (npm test builds
 * them first) and prints what it promises.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';

const root = path.resolve(__dirname, '..', '..', '..');

describe('examples', () => {
  it('activations.js compares exact and sampled correlations for every hidden type', () => {
    const run = spawnSync(process.execPath, [path.join(root, 'examples', 'activations.js')], { cwd: root, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const rows = run.stdout.trim().split('\n').slice(1);
    expect(rows.map((r) => r.split(/\s+/)[0])).toEqual(['bernoulli', 'spin', 'gaussian', 'relu', 'poisson', 'step', 'squared-softplus']);
    for (const row of rows) {
      const [, logZ, exact, sampled] = row.split(/\s+/).map(Number);
      expect(Number.isFinite(logZ)).toBe(true);
      // 4000 independent chains: the sampled mean correlation has sd below 1/sqrt(4000) = 0.016,
      // so 0.08 is 5 sd (false-failure rate below 6e-7 per row)
      expect(Math.abs(sampled - exact)).toBeLessThan(0.08);
    }
  });

  it('mnist-pcd.js --quick trains, reports a finite AIS log-likelihood and writes both image grids', () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'rbmlab-mnist-'));
    try {
      const run = spawnSync(process.execPath, [path.join(root, 'examples', 'mnist-pcd.js'), '--quick', '--out', out], { cwd: root, encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      // one progress line for the one epoch: epoch, seconds, samples/s, learning rate, recon error, F gap
      const epochs = run.stdout.split('\n').filter((line) => /^\s+\d+\s/.test(line));
      expect(epochs).toHaveLength(1);
      const [epoch, seconds, rate, lr, recon] = epochs[0].trim().split(/\s+/).map(Number);
      expect(epoch).toBe(1);
      expect(lr).toBe(0.05);
      expect(seconds).toBeGreaterThan(0);
      expect(rate).toBeGreaterThan(0);
      expect(recon).toBeGreaterThan(0);
      expect(recon).toBeLessThan(0.25);
      for (const set of ['train', 'held-out']) {
        const match = new RegExp(`^log-likelihood ${set}: (\\S+) \\(stderr (\\S+),`, 'm').exec(run.stdout);
        expect(match).not.toBeNull();
        const [ll, stderr] = [Number(match![1]), Number(match![2])];
        expect(Number.isFinite(ll)).toBe(true);
        expect(ll).toBeLessThan(0);
        // better than the uniform distribution on 784 binary pixels, -784 log 2 = -543.4
        expect(ll).toBeGreaterThan(-543);
        expect(stderr).toBeGreaterThanOrEqual(0);
      }
      // 10 x 10 tiles of 28 x 28 with 1 pixel of padding: 10 * 28 + 11 = 291
      for (const file of ['filters.png', 'samples.png']) {
        const png = PNG.sync.read(readFileSync(path.join(out, file)));
        expect([file, png.width, png.height]).toEqual([file, 291, 291]);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
