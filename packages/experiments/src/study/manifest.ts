/**
 * manifest.json: what a reader needs to trust and rerun a study directory: the study file as
 * given, the resolved parameters of every grid point (with the family's plan: how data were
 * drawn, say), the shard, versions, the commit, the backend that ran, and timings.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomicSync } from '@rbmlab/core';
import type { ParamValue, Params } from './experiment';
import type { StudyFile, Study } from './study';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 'rbmlab.study-manifest/1';

/**
 * Shard `index` of `count` (0 <= index < count): the tasks k = point * trials + trial with k mod count =
 * index.
 */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** One invocation that ran trials (run, each --resume, merge). */
export interface Session {
  readonly command: 'run' | 'resume' | 'merge';
  readonly started: string;
  readonly finished?: string;
  readonly seconds?: number;
  readonly trialsRun: number;
  readonly jobs?: number;
  readonly backend: string;
}

/**
 * manifest.json of a study directory (rbmlab.study-manifest/1): the study file as given, status
 * (running, interrupted, complete; incomplete for a merge missing trials), shard, trial counts,
 * columns, every grid point's resolved parameters, the backend, versions, git commit, platform and
 * timings. Written first, and again when a run ends.
 */
export interface Manifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly study: StudyFile;
  readonly experiment: string;
  readonly status: 'running' | 'interrupted' | 'complete' | 'incomplete';
  readonly shard: Shard | null;
  /** For a merged directory: the directories merged. */
  readonly mergedFrom?: readonly string[];
  readonly trials: { readonly total: number; readonly assigned: number; readonly done: number };
  readonly columns: readonly string[];
  readonly points: readonly { readonly point: number; readonly values: Readonly<Record<string, ParamValue>>; readonly params: Params; readonly plan?: Readonly<Record<string, ParamValue>> }[];
  readonly backend: string;
  /**
   * The backend's details: on the cpu, the BLAS build and threads or why it fell back to the
   * reference; on the gpu, gpu.js's mode that ran and its driver.
   */
  readonly backendInfo?: { readonly name: string; readonly fallback?: string; readonly detail?: string; readonly mode?: string };
  readonly versions: Readonly<Record<string, string>>;
  readonly commit: string;
  readonly platform: { readonly os: string; readonly arch: string; readonly cpus: number };
  readonly timings: { readonly sessions: readonly Session[]; readonly trialSeconds: { readonly total: number; readonly mean: number; readonly max: number } };
}

// functions, not constants: this module is also bundled into the browser lab, which has no path
const packageRoot = (): string => path.resolve(__dirname, '..', '..');
const repoRoot = (): string => path.resolve(packageRoot(), '..', '..');

function versionOf(manifestPath: string): string {
  try {
    return (JSON.parse(readFileSync(manifestPath, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Versions of rbmlab's packages, Node and the libraries that shape the results and plots. */
export function versions(): Record<string, string> {
  const dependency = (name: string) => {
    try {
      return versionOf(require.resolve(`${name}/package.json`, { paths: [packageRoot()] }));
    } catch {
      return 'unknown';
    }
  };
  return {
    '@rbmlab/experiments': versionOf(path.join(packageRoot(), 'package.json')),
    // resolved as Node resolves it: the workspace package in a checkout, node_modules when installed
    '@rbmlab/core': dependency('@rbmlab/core'),
    node: process.versions.node,
    seedrandom: dependency('seedrandom'),
    vega: dependency('vega'),
    'vega-lite': dependency('vega-lite'),
  };
}

/**
 * The git commit of the rbmlab checkout that ran, "+modified" when it had local changes; "unknown"
 * outside git, and for an installed package (under node_modules, the git repository around it is
 * the user's project, not rbmlab: the versions say what ran).
 */
export function commit(): string {
  if (packageRoot().split(path.sep).includes('node_modules')) return 'unknown';
  try {
    const options = { cwd: repoRoot(), encoding: 'utf8' as const, stdio: ['ignore', 'pipe', 'ignore'] as ['ignore', 'pipe', 'ignore'], timeout: 5000 };
    const head = execFileSync('git', ['rev-parse', 'HEAD'], options).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], options).trim() !== '';
    return dirty ? `${head}+modified` : head;
  } catch {
    return 'unknown';
  }
}

/** What a manifest records of the run's state (runStudy's, a merge's, the browser lab's). */
export interface ManifestState {
  readonly status: Manifest['status'];
  readonly shard: Shard | null;
  readonly assigned: number;
  /** The finished trials; only their count and seconds enter the manifest. */
  readonly finished: ReadonlyMap<string, { readonly seconds: number }>;
  readonly sessions: readonly Session[];
  readonly backend: string;
  readonly backendInfo?: Manifest['backendInfo'];
  readonly mergedFrom?: readonly string[];
}

/** Where a manifest was made: versions, commit, platform (Node's in the CLI, the page's in the lab). */
export interface ManifestEnvironment {
  readonly versions: Manifest['versions'];
  readonly commit: string;
  readonly platform: Manifest['platform'];
}

/** The manifest of a study in the given state, made in the given environment. */
export function studyManifest(study: Study, layout: { readonly columns: readonly string[] }, state: ManifestState, environment: ManifestEnvironment): Manifest {
  const seconds = [...state.finished.values()].map((t) => t.seconds);
  const sum = seconds.reduce((a, b) => a + b, 0);
  return {
    format: MANIFEST_FORMAT,
    study: study.file,
    experiment: study.experiment.name,
    status: state.status,
    shard: state.shard,
    ...(state.mergedFrom ? { mergedFrom: state.mergedFrom } : {}),
    trials: { total: study.points.length * study.file.trials, assigned: state.assigned, done: state.finished.size },
    columns: layout.columns,
    points: pointsOf(study),
    backend: state.backend,
    ...(state.backendInfo !== undefined ? { backendInfo: state.backendInfo } : {}),
    versions: environment.versions,
    commit: environment.commit,
    platform: environment.platform,
    timings: { sessions: state.sessions, trialSeconds: { total: sum, mean: seconds.length ? sum / seconds.length : 0, max: seconds.length ? Math.max(...seconds) : 0 } },
  };
}

export function pointsOf(study: Study): Manifest['points'] {
  return study.points.map((p) => ({ point: p.index, values: p.values, params: p.params, ...(study.experiment.plan ? { plan: study.experiment.plan(p.params) } : {}) }));
}

export function readManifest(dir: string): Manifest | undefined {
  const file = path.join(dir, MANIFEST_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
    if (manifest.format !== MANIFEST_FORMAT) return undefined;
    return manifest;
  } catch {
    return undefined;
  }
}

export function writeManifest(dir: string, manifest: Manifest): void {
  writeFileAtomicSync(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
}

/** JSON with object keys sorted at every level: equal studies give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The first top-level field where two study files differ, or undefined when they are the same study. */
export function studyDifference(a: StudyFile, b: StudyFile): string | undefined {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of ['experiment', 'seed', 'trials', 'params', 'grid', 'name', ...keys]) {
    const x = (a as unknown as Record<string, unknown>)[key] ?? null;
    const y = (b as unknown as Record<string, unknown>)[key] ?? null;
    // the grid's key order fixes the order of points (and their indices in trials.jsonl)
    const text = (v: unknown) => (key === 'grid' && v !== null ? canonicalJson(Object.entries(v as object)) : canonicalJson(v));
    if (text(x) !== text(y)) return key;
  }
  return undefined;
}
