/**
 * Families from the user's own files: a study file's `"plugin": "./my-family.js"` (or a list),
 * resolved against the study file's directory, or `rbmlab list --plugin FILE`.
 *
 * A plugin is a CommonJS module (.js or .cjs; compile TypeScript first) that exports a family
 * (an Experiment: name, describe, params, metrics, run), as module.exports, `exports.experiment`,
 * `exports.default` or a list in `exports.experiments`. Loading it registers its families
 * (../families), so that seeds, resume, shards, merges, plots and worker threads (which load the
 * same files) treat them exactly as the built-in ones. The study keeps the plugin's absolute
 * path, in its manifest as well, so that report and merge find it again.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { checkExperiment, registerExperiment } from '../families';
import type { Experiment } from './experiment';
import { StudyError } from './study';

/** The families a module exports, in the forms the header lists. */
function exportedFamilies(loaded: unknown): unknown[] {
  const m = loaded as Record<string, unknown> | null;
  if (m === null || typeof m !== 'object') return [];
  if (Array.isArray(m.experiments)) return m.experiments;
  for (const candidate of [m.experiment, m.default, m]) {
    if (candidate !== null && typeof candidate === 'object' && 'run' in (candidate as object)) return [candidate];
  }
  return [];
}

/** Loads a plugin file (an absolute path) and registers its families; StudyError naming the file otherwise. */
export function loadPlugin(file: string): Experiment[] {
  if (!existsSync(file)) throw new StudyError(`plugin ${file}: no such file`);
  let loaded: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ERR_REQUIRE_ESM' ? 'is an ES module; rbmlab loads CommonJS plugins (.js with module.exports, or .cjs)' : `failed to load: ${(err as Error).message.split('\n')[0]}`;
    throw new StudyError(`plugin ${file}: ${why}`);
  }
  const families = exportedFamilies(loaded);
  if (families.length === 0) throw new StudyError(`plugin ${file}: exports no family (module.exports = { name, describe, params, metrics, run }, or exports.experiments = [...])`);
  try {
    for (const family of families) {
      checkExperiment(family);
      registerExperiment(family);
    }
  } catch (err) {
    throw new StudyError(`plugin ${file}: ${(err as Error).message}`);
  }
  return families as Experiment[];
}

/**
 * The absolute paths of a study file's "plugin" field (a path or a list of paths, relative to
 * `baseDir`), loaded. Undefined when the field is absent.
 */
export function loadStudyPlugins(value: unknown, baseDir: string): string[] | undefined {
  if (value === undefined) return undefined;
  const list = typeof value === 'string' ? [value] : Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' && v !== '') ? (value as string[]) : undefined;
  if (list === undefined || list.some((v) => v === '')) throw new StudyError('plugin: expected the path of a family module, or a list of them');
  const files = list.map((p) => path.resolve(baseDir, p));
  for (const file of files) loadPlugin(file);
  return files;
}
