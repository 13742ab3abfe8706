/**
 * The trials of a study in canonical order (grid point, then trial), each with its seed: what
 * every way of running a study (runStudy, its worker threads, SLURM shards, the browser lab)
 * agrees on, so that the same study gives the same rows wherever it runs.
 */
import type { Shard } from './manifest';
import { trialSeed } from './seeds';
import type { GridPoint, Study } from './study';

/**
 * One trial of a study: its grid point, trial index, and seed (a function of study seed, point values and
 * trial alone).
 */
export interface Task {
  readonly point: GridPoint;
  readonly trial: number;
  readonly seed: number;
}

/** The tasks of a study, or of shard `shard`, in canonical order. */
export function studyTasks(study: Study, shard?: Shard): Task[] {
  const tasks: Task[] = [];
  for (const point of study.points) {
    for (let trial = 0; trial < study.file.trials; trial++) {
      const k = point.index * study.file.trials + trial;
      if (shard && k % shard.count !== shard.index) continue;
      tasks.push({ point, trial, seed: trialSeed(study.file.seed, point.values, trial) });
    }
  }
  return tasks;
}
