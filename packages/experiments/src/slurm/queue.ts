/**
 * The SLURM client commands rbmlab uses: sbatch (submit), squeue (the state of jobs slurmctld
 * still knows) and scancel. Each runs with the caller's environment, so SLURM_CONF and sbatch's
 * input variables (SBATCH_ACCOUNT, SBATCH_EXPORT, ...) apply as they would typed at a shell.
 * A client that is missing or refuses is a SlurmError with one line naming the command and
 * SLURM's own message.
 */
import { spawnSync } from 'node:child_process';

export class SlurmError extends Error {
  override readonly name = 'SlurmError';
}

/**
 * Job states after which a job never runs again on its own (squeue's long names). Anything else
 * (PENDING, RUNNING, REQUEUED, SUSPENDED, COMPLETING, REQUEUE_HOLD, ...) may still run or write.
 */
const ENDED = new Set(['COMPLETED', 'CANCELLED', 'FAILED', 'TIMEOUT', 'NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE', 'OUT_OF_MEMORY', 'REVOKED']);

export function isActive(state: string): boolean {
  return !ENDED.has(state);
}

/** A job as squeue lists it: "12" or, for an array task, "12_3". */
export interface JobState {
  readonly id: string;
  /** PENDING, RUNNING, COMPLETED, CANCELLED, ... */
  readonly state: string;
  /** Why a pending job waits (Dependency, Resources, BeginTime, ...); "None" otherwise. */
  readonly reason: string;
}

function client(command: string, args: readonly string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
  if (result.error !== undefined) {
    const code = (result.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SlurmError(`${command} not found on PATH: run this where SLURM's commands are (a login node), or install them (Debian: apt-get install slurm-client)`);
    throw new SlurmError(`${command} could not run (${code ?? result.error.message})`);
  }
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

/** SLURM's message without its "sbatch: error: " prefixes, on one line. */
function slurmMessage(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.replace(/^\w+: (error|fatal): /, '').trim())
    .filter((l) => l !== '');
  return lines.join('; ') || 'no message';
}

/** Submits `script` with `options` before it; returns the job id (of the array, for --array). */
export function sbatch(options: readonly string[], script: string): string {
  const run = client('sbatch', ['--parsable', ...options, script]);
  // --parsable prints "id" or "id;cluster"
  const id = /^(\d+)(;\S*)?$/.exec(run.stdout.trim())?.[1];
  if (run.status !== 0 || id === undefined) throw new SlurmError(`sbatch refused the job: ${slurmMessage(run.stderr || run.stdout)}`);
  return id;
}

/**
 * The states of the given jobs (array jobs task by task) that slurmctld still knows: running,
 * pending, and ended ones for MinJobAge (300 s by default) after they end. Jobs it has forgotten
 * are absent, which is the same as ended for our purposes.
 */
export function squeue(jobs: readonly string[]): JobState[] {
  if (jobs.length === 0) return [];
  const run = client('squeue', ['--noheader', '--array', '--states=all', '--format=%i|%T|%r', `--jobs=${jobs.join(',')}`]);
  if (run.status !== 0) {
    // every id listed is unknown (all forgotten): squeue fails instead of listing nothing
    if (/Invalid job id/i.test(run.stderr)) return [];
    throw new SlurmError(`squeue failed: ${slurmMessage(run.stderr)}`);
  }
  return run.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [id, state, reason] = line.trim().split('|');
      return { id, state, reason: reason ?? 'None' };
    });
}

/** Cancels jobs (ids as squeue writes them); a job that has ended meanwhile is no error. */
export function scancel(jobs: readonly string[]): void {
  if (jobs.length === 0) return;
  const run = client('scancel', [...jobs]);
  if (run.status !== 0 && !/already completing or completed|Invalid job id/i.test(run.stderr)) {
    throw new SlurmError(`scancel ${jobs.join(' ')} failed: ${slurmMessage(run.stderr)}`);
  }
}
