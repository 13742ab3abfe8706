/**
 * A worker thread of `rbmlab run --jobs J`: runs the trials the main thread sends, one at a
 * time, and posts back their rows. The main thread alone writes files.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend, type BackendChoice } from '../backends';
import { experimentByName } from '../families';
import type { Params } from './experiment';
import { loadPlugin } from './plugins';
import { runTrial } from './trial';

export interface TrialRequest {
  readonly id: number;
  readonly params: Params;
  readonly seed: number;
}

/** What a worker is started with. */
export interface WorkerSetup {
  readonly experiment: string;
  readonly backend: BackendChoice;
  /** The name of the main thread's backend, which every worker must match. */
  readonly expected?: string;
  /** The study's plugin modules (absolute paths), loaded before the family is looked up. */
  readonly plugins?: readonly string[];
}

export type TrialResponse =
  | { readonly id: number; readonly rows: Record<string, number>[]; readonly seconds: number }
  | { readonly id: number; readonly error: string };

const setup = workerData as WorkerSetup;
for (const file of setup.plugins ?? []) loadPlugin(file);
const experiment = experimentByName(setup.experiment);
const port = parentPort!;
// this thread's own backend (the main thread has checked that it can be had)
let backend: ReturnType<typeof selectBackend>['backend'] | undefined;

port.on('message', (request: TrialRequest) => {
  const started = performance.now();
  void (async () => {
    try {
      if (experiment === undefined) throw new Error(`unknown experiment ${setup.experiment}`);
      if (backend === undefined) {
        // the manifest records the main thread's backend: a worker that got another (a gpu.js
        // mode that runs on the main thread but not here) stops the study rather than mix them
        const own = selectBackend(setup.backend).backend;
        if (setup.expected !== undefined && own.name !== setup.expected) {
          throw new Error(`a worker thread got backend ${own.name}, the main thread ${setup.expected}; run with --jobs 1`);
        }
        backend = own;
      }
      const rows = await runTrial(experiment, request.params, request.seed, backend);
      port.postMessage({ id: request.id, rows: rows as Record<string, number>[], seconds: (performance.now() - started) / 1000 } satisfies TrialResponse);
    } catch (err) {
      port.postMessage({ id: request.id, error: err instanceof Error ? err.message : String(err) } satisfies TrialResponse);
    }
  })();
});
