/**
 * Workloads of dense associative memories and explicit higher-order Boltzmann machines, each
 * beside a plain numpy reference (../python/dense_reference.py) that reads the same model file
 * (written here to a temporary directory) and does the same work:
 *
 * - dense-heatbath-1000: heat-bath site updates per second of a normalized p = 3 dense memory,
 *   N = 1000, P = 2000 (and P = 500, 8000 as extra rows), beta = 1, one chain from a random state,
 *   sites in order. rbmlab keeps the overlaps as exact integers and looks up the tabulated
 *   G(a) = (a + 1)^3 - (a - 1)^3: O(P) per site. The reference ("numpy") does the same O(P) work
 *   per site as one vectorized numpy pass over the patterns, with the overlaps kept incrementally
 *   and the same table; at P = 2000 a second reference ("numpy-pow") evaluates
 *   (a + 1)**3 - (a - 1)**3 directly instead of the table.
 * - dense-enumerate-20: exact log Z of a dense memory (normalized p = 3, P = 10) over 2^20 states;
 *   numpy forms the overlaps of blocks of states by matrix products.
 * - hobm-enumerate-20: exact log Z of a spin higher-order Boltzmann machine with N = 20, every pair,
 *   200 triples and 100 four-sets; rbmlab uses a Walsh-Hadamard transform of the couplings
 *   (O(N 2^N)); the references are numpy's direct evaluation of every coupling in every state
 *   ("numpy-direct") and the same transform in numpy ("numpy-fwht"), like for like.
 * The log Z of the two tools are compared, and a disagreement is reported in the row's note.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  createRng,
  DenseAssociativeMemory,
  DenseDynamics,
  randomHigherOrderBM,
  randomPatterns,
  saveDense,
  saveHobm,
} from '@rbmlab/core';
import type { Row } from './row';

export type { Row } from './row';

const SCRIPT = path.resolve(__dirname, '..', 'python', 'dense_reference.py');

function log(message: string): void {
  process.stderr.write(message + '\n');
}

function seconds(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Runs a task of dense_reference.py; its last stdout line as JSON, or null (with a message). */
function reference(py: string | null, task: string, args: string[]): Record<string, number> | null {
  if (py === null) return null;
  try {
    const out = execFileSync(py, [SCRIPT, task, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return JSON.parse(out.trim().split('\n').pop() as string);
  } catch (err) {
    log(`bench: dense reference ${task} failed: ${(err as Error).message.split('\n')[0]}`);
    return null;
  }
}

function withTempDir<T>(run: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rbmlab-bench-dense-'));
  try {
    return run(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Heat-bath site updates per second, N = 1000, normalized p = 3, at P = 2000 and extra P. */
export function denseHeatBathWorkload(py: string | null, quick: boolean): Row[] {
  const n = 1000;
  const rows: Row[] = [];
  withTempDir((dir) => {
    for (const p of [2000, 500, 8000]) {
      const rng = createRng(`bench/dense/${p}`);
      const model = new DenseAssociativeMemory({ patterns: randomPatterns(p, n, rng), energy: { kind: 'normalized', F: 'power', p: 3 }, beta: 1 });
      const sweeps = quick ? 1 : Math.max(1, Math.round(8000 / p) * 2);
      const chain = new DenseDynamics(model, { chains: 1, rng: rng.split('chain') });
      chain.heatBath(1); // warm-up
      const t0 = process.hrtime.bigint();
      chain.heatBath(sweeps);
      const rate = (n * sweeps) / seconds(t0);
      const file = path.join(dir, `dense-${p}.json`);
      saveDense(file, model);
      const refSweeps = quick ? 1 : Math.max(2, Math.round(4000 / p));
      for (const variant of p === 2000 ? ['table', 'pow'] : ['table']) {
        const ref = reference(py, 'heatbath', ['--model', file, '--sweeps', String(refSweeps), '--variant', variant]);
        const refRate = ref ? ref.site_updates_per_s : null;
        rows.push({
          workload: p === 2000 ? 'dense-heatbath-1000' : `dense-heatbath-1000-P${p}`,
          tool: variant === 'table' ? 'numpy' : 'numpy-pow',
          rbmlab: rate,
          reference: refRate,
          unit: 'site-updates/s',
          ratio: refRate === null ? null : rate / refRate,
          note: `N=1000 P=${p} normalized p=3 beta=1, 1 chain; ${chain.directSum ? 'direct' : 'log-domain'} sums`,
        });
      }
    }
  });
  return rows;
}

function agreement(rbmlabLogZ: number, ref: Record<string, number> | null): string {
  if (ref === null) return '';
  const diff = Math.abs(rbmlabLogZ - ref.logZ);
  return diff <= 1e-9 * Math.max(1, Math.abs(rbmlabLogZ)) ? '; log Z agrees' : `; LOG Z DIFFERS by ${diff.toExponential(2)}`;
}

/** Exact log Z at N = 20 of a dense memory and of a higher-order Boltzmann machine. */
export function enumerationWorkload(py: string | null): Row[] {
  const n = 20;
  const rows: Row[] = [];
  withTempDir((dir) => {
    const dense = new DenseAssociativeMemory({
      patterns: randomPatterns(10, n, createRng('bench/dense-enum')),
      energy: { kind: 'normalized', F: 'power', p: 3 },
      beta: 1,
    });
    let t0 = process.hrtime.bigint();
    const denseLogZ = dense.exactLogZ();
    const denseSeconds = seconds(t0);
    const denseFile = path.join(dir, 'dense.json');
    saveDense(denseFile, dense);
    const denseRef = reference(py, 'dense-enum', ['--model', denseFile]);
    rows.push({
      workload: 'dense-enumerate-20',
      tool: 'numpy',
      rbmlab: denseSeconds,
      reference: denseRef ? denseRef.seconds : null,
      unit: 's',
      ratio: denseRef ? denseRef.seconds / denseSeconds : null,
      note: `N=20 P=10 normalized p=3${agreement(denseLogZ, denseRef)}`,
    });

    const hobm = randomHigherOrderBM(
      {
        type: 'spin',
        size: n,
        orders: [
          { order: 2, scale: 0.1 },
          { order: 3, scale: 0.1, count: 200 },
          { order: 4, scale: 0.1, count: 100 },
        ],
        biasScale: 0.1,
      },
      createRng('bench/hobm-enum'),
    );
    t0 = process.hrtime.bigint();
    const hobmLogZ = hobm.exactLogZ();
    const hobmSeconds = seconds(t0);
    const hobmFile = path.join(dir, 'hobm.json');
    saveHobm(hobmFile, hobm);
    for (const method of ['direct', 'fwht'] as const) {
      const ref = reference(py, 'hobm-enum', ['--model', hobmFile, '--method', method]);
      rows.push({
        workload: 'hobm-enumerate-20',
        tool: `numpy-${method}`,
        rbmlab: hobmSeconds,
        reference: ref ? ref.seconds : null,
        unit: 's',
        ratio: ref ? ref.seconds / hobmSeconds : null,
        note: `N=20 spin, ${hobm.couplings.length} couplings (orders 2-4), Walsh-Hadamard transform${agreement(hobmLogZ, ref)}`,
      });
    }
  });
  return rows;
}
