/**
 * Every script in examples/ runs to completion against the built packages (npm test builds
 * them first) and prints what it promises.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

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
});
