/**
 * A real one-node SLURM cluster for the tests of `rbmlab slurm` (scripts/slurm-node.sh: munged,
 * slurmctld and slurmd of Debian's slurm-wlm), started in a temporary directory on free ports
 * before a describe block and stopped after it, with every job it ran cancelled and gone first.
 * The cluster is private to the block, so every job in its queue is the test's own.
 *
 * Where it cannot run (slurm-wlm or munge not installed, not root), the block is one test that
 * fails naming the fix, or, with RBMLAB_ALLOW_NO_SLURM=1, passes with a notice on stderr (the
 * policy of RBMLAB_ALLOW_NO_NATIVE): nothing is skipped silently.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const SCRIPT = path.resolve(__dirname, '..', '..', 'scripts', 'slurm-node.sh');

/** Why no cluster can be started here (the script's check), or undefined. */
function unavailable(): string | undefined {
  const check = spawnSync('bash', [SCRIPT, 'check'], { encoding: 'utf8' });
  return check.status === 0 ? undefined : (check.stderr.trim().replace(/^slurm-node: /, '') || `slurm-node.sh check exited ${check.status}`);
}

export interface SlurmCluster {
  /** process.env with SLURM_CONF naming this cluster: for sbatch, squeue and rbmlab. */
  readonly env: NodeJS.ProcessEnv;
  /** Runs a SLURM client command (squeue, scancel, scontrol) and returns its stdout; throws on failure. */
  client(command: string, ...args: string[]): string;
  /** A job's state as squeue says it ("12" or the array task "12_3"), or undefined once forgotten. */
  state(job: string): string | undefined;
}

/** A port p with p and p + 1 free on localhost (slurmctld's and slurmd's). */
async function freePortPair(): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 30000);
    if ((await free(port)) && (await free(port + 1))) return port;
  }
  throw new Error('no two consecutive free ports found for slurmctld and slurmd');
}

function makeCluster(conf: string): SlurmCluster {
  const env = { ...process.env, SLURM_CONF: conf };
  const client = (command: string, ...args: string[]) => {
    const run = spawnSync(command, args, { env, encoding: 'utf8', timeout: 30_000 });
    if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${run.status}: ${run.stderr.trim()}`);
    return run.stdout;
  };
  const state = (job: string) => {
    const run = spawnSync('squeue', ['--noheader', '--array', '--states=all', '--format=%T', `--jobs=${job}`], { env, encoding: 'utf8' });
    return run.status === 0 ? run.stdout.trim() || undefined : undefined;
  };
  return { env, client, state };
}

/** Cancels every job of the cluster and waits (60 s at most) until none is left running. */
function cancelAll(cluster: SlurmCluster): string | undefined {
  const jobs = () =>
    cluster
      .client('squeue', '--noheader', '--format=%A|%T')
      .split('\n')
      .filter((l) => l.trim() !== '');
  const ids = jobs().map((l) => l.split('|')[0]);
  if (ids.length > 0) cluster.client('scancel', ...ids);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const left = jobs();
    if (left.length === 0) return undefined;
    spawnSync('sleep', ['0.5']);
  }
  return `jobs still in the queue after scancel: ${jobs().join(', ')}`;
}

/** describe(name, body) on a fresh one-node cluster; `cluster()` is valid inside the tests. */
export function describeSlurm(name: string, body: (cluster: () => SlurmCluster) => void): void {
  const missing = unavailable();
  if (missing !== undefined) {
    describe(name, () => {
      it('needs a one-node SLURM cluster (slurm-wlm, munge, root)', () => {
        if (process.env.RBMLAB_ALLOW_NO_SLURM === '1') {
          process.stderr.write(`${name}: no SLURM cluster here (${missing}); allowed by RBMLAB_ALLOW_NO_SLURM=1\n`);
          return;
        }
        throw new Error(`cannot start a one-node SLURM cluster: ${missing} (or RBMLAB_ALLOW_NO_SLURM=1 to pass without it)`);
      });
    });
    return;
  }
  describe(name, () => {
    let dir = '';
    let cluster: SlurmCluster | undefined;
    beforeAll(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'rbmlab-slurm-cluster-'));
      const port = await freePortPair();
      const up = spawnSync('bash', [SCRIPT, 'up'], { env: { ...process.env, RBMLAB_SLURM_DIR: dir, RBMLAB_SLURM_PORT: String(port) }, encoding: 'utf8', timeout: 90_000 });
      if (up.status !== 0) throw new Error(`slurm-node.sh up failed (exit ${up.status}): ${up.stderr.trim()}`);
      cluster = makeCluster(up.stdout.trim());
    }, 120_000);
    afterAll(() => {
      // jobs first: slurmstepd keeps a job running after slurmd stops
      const left = cluster !== undefined ? cancelAll(cluster) : undefined;
      const down = spawnSync('bash', [SCRIPT, 'down'], { env: { ...process.env, RBMLAB_SLURM_DIR: dir }, encoding: 'utf8' });
      rmSync(dir, { recursive: true, force: true });
      if (left !== undefined) throw new Error(left);
      if (down.status !== 0) throw new Error(`slurm-node.sh down failed: ${down.stderr.trim()}`);
    }, 120_000);
    body(() => {
      if (cluster === undefined) throw new Error('the SLURM cluster did not start (see beforeAll)');
      return cluster;
    });
  });
}
