/**
 * The Python that writes the test files "as the other tools write them": the first of `python3`
 * on PATH and Debian's /usr/bin/python3 that imports every module asked for. On these machines
 * PATH's python3 may be a separate install (with numpy and scipy) while Debian's packages (python3-
 * pandas, python3-h5py, which .ci/run installs) live under /usr/bin/python3. No such Python is a
 * test failure that names the modules, not a skip.
 */
import { spawnSync } from 'child_process';

const CANDIDATES = ['python3', '/usr/bin/python3'];

/** A python3 executable that can import `modules`; throws naming them when there is none. */
export function pythonWith(...modules: string[]): string {
  const probe = modules.map((m) => `import ${m}`).join('; ') || 'pass';
  for (const exe of CANDIDATES) {
    const run = spawnSync(exe, ['-c', probe], { stdio: 'ignore' });
    if (run.status === 0) return exe;
  }
  throw new Error(`no python3 (${CANDIDATES.join(', ')}) imports ${modules.join(', ')}: install them (.ci/run does, from Debian's packages)`);
}
