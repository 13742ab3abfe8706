/**
 * The messages between the lab page (page.ts) and its Web Worker (worker.ts). Arrays travel as
 * plain numbers (structured clone copies them; the sizes here are N x P, small).
 */
import type { StudyFile } from '../src/study/study';

/** Where the worker runs trials: gpu.js's WebGL2 mode, or core's TypeScript reference backend. */
export type LabBackend = 'webgl2' | 'cpu';

/** Page to worker. */
export type ToWorker =
  | { readonly type: 'run'; readonly study: StudyFile; readonly backend: LabBackend; readonly userAgent: string; readonly cpus: number }
  | { readonly type: 'stop' }
  | { readonly type: 'model'; readonly name: string; readonly text: string; readonly seed: number }
  | { readonly type: 'probe' };

/** One student weight column per planted pattern (the matched one), N values each. */
export interface EpochView {
  readonly task: number;
  readonly point: string;
  readonly trial: number;
  readonly epoch: number;
  readonly epochs: number;
  /** The overlaps of every epoch since the previous message (this one's included). */
  readonly history: { readonly epoch: number; readonly overlaps: readonly number[] }[];
  /** Matched |cos| of each planted pattern with its student column. */
  readonly overlaps: number[];
  /** The matched column of each pattern, sign-aligned with it (N values each). */
  readonly columns: number[][];
  /** The planted patterns (N spins each). */
  readonly patterns: number[][];
  /** Singular values of W, descending. */
  readonly singular: number[];
}

/** Worker to page. */
export type FromWorker =
  | { readonly type: 'probe'; readonly webgl2: boolean; readonly reason: string }
  | { readonly type: 'started'; readonly backend: string; readonly detail: string; readonly total: number }
  | { readonly type: 'trialStart'; readonly task: number; readonly total: number; readonly point: string; readonly trial: number }
  | ({ readonly type: 'epoch' } & EpochView)
  | { readonly type: 'trial'; readonly done: number; readonly total: number; readonly seconds: number; readonly row: Record<string, number> }
  | {
      readonly type: 'done';
      readonly done: number;
      readonly total: number;
      readonly results: string;
      readonly summary: string;
      readonly manifest: string;
      readonly plots: Record<string, Record<string, unknown>>;
      readonly model: string | null;
      readonly modelLabel: string;
    }
  | {
      readonly type: 'modelInfo';
      readonly name: string;
      readonly summary: string;
      readonly logZ: number;
      readonly logZStderr: number;
      readonly logZMethod: string;
      readonly samples: number[][];
      readonly couplings: { order: number; count: number; rms: number; max: number }[];
      readonly couplingNote: string;
      readonly numVisible: number;
    }
  | { readonly type: 'error'; readonly message: string };
