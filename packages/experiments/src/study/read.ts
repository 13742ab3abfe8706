/**
 * A study directory as data, for programs: the study, its manifest, every finished trial's row
 * with numbers as numbers, and the summary per grid point, read from results.csv (what `rbmlab
 * report` reads) rather than from summary.csv, so that it holds whatever the directory holds now.
 */
import type { ParamValue } from './experiment';
import type { Manifest } from './manifest';
import { openStudyDirectory } from './merge';
import { parseRows } from './results';
import type { Study } from './study';
import { summarize, type SummaryRow } from './summary';

/**
 * A study directory's contents as data (`readStudyResults`): the study, manifest, result rows and summary,
 * trials done of the total.
 */
export interface StudyResults {
  readonly study: Study;
  readonly manifest: Manifest;
  /**
   * One record per row of results.csv, in canonical order (grid point, trial): parameters as
   * their specs type them, `trial` and `seed`, the series column and metrics as numbers (NaN where
   * a metric is empty), and `point`, the grid point's index.
   */
  readonly rows: readonly Readonly<Record<string, ParamValue>>[];
  readonly summary: readonly SummaryRow[];
  /** Trials finished, of the study's total. */
  readonly done: number;
  readonly total: number;
}

/** Reads a study directory written by runStudy, `rbmlab run` or merge; StudyError naming what is wrong. */
export function readStudyResults(dir: string): StudyResults {
  const { study, manifest, layout, finished } = openStudyDirectory(dir);
  const parsed = parseRows(layout, finished.values());
  const specs = study.experiment.params;
  const rows = parsed.map(({ point, cells }) => {
    const record: Record<string, ParamValue> = { point };
    for (const [column, text] of Object.entries(cells)) {
      const type = specs[column]?.type;
      if (type === 'string') record[column] = text;
      else if (type === 'boolean') record[column] = text === 'true';
      else if (type !== undefined && text === '') continue; // an optional parameter left unset
      else record[column] = text === '' ? NaN : Number(text);
    }
    return record;
  });
  return { study, manifest, rows, summary: summarize(study, layout, parsed), done: finished.size, total: study.points.length * study.file.trials };
}
