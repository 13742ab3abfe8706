/**
 * For the consumer tests (core's and the CLI's): pack workspace packages with `npm pack` and
 * install the tarballs into a fresh project as a user would, reporting the time and the size.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Bytes of the files below `dir` (symbolic links counted as links). */
export function directoryBytes(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? directoryBytes(full) : fs.lstatSync(full).size;
  }
  return total;
}

/** `npm pack` of the package in `packageDir` into `destination`; the tarball's file name. */
export function pack(packageDir: string, destination: string): string {
  return execFileSync('npm', ['pack', '--silent', '--pack-destination', destination], { cwd: packageDir, encoding: 'utf8' }).trim().split('\n').pop() as string;
}

/**
 * A fresh project in `project` with the tarballs (names in `project`) installed: npm's cache
 * first, the registry for what it lacks. Returns npm's output, the seconds and node_modules' MB.
 */
export function installTarballs(project: string, tarballs: readonly string[], flags: readonly string[] = []): { output: string; seconds: number; megabytes: number } {
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  const started = performance.now();
  const install = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...flags, ...tarballs.map((t) => `./${t}`)], { cwd: project, encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`npm install of ${tarballs.join(', ')} failed: ${install.stderr}`);
  return { output: install.stdout + install.stderr, seconds: (performance.now() - started) / 1000, megabytes: directoryBytes(path.join(project, 'node_modules')) / 1e6 };
}
