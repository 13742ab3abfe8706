/**
 * Every default of the CLI, in one place: the parser fills them in and the help text shows them,
 * so `rbmlab <command> --help` cannot drift from what runs.
 */
export const DEFAULTS = {
  logz: {
    method: 'exact',
  },
  sample: {
    chains: 100,
    sweeps: 1000,
    seed: 0,
  },
  demo: {
    out: 'out/demo',
    seed: 0,
    chains: 4000,
    sweeps: 50,
  },
} as const;

/** Methods for log Z, in the order of `--method` choices. Only "exact" exists so far. */
export const LOGZ_METHODS = ['exact', 'ais'] as const;
export type LogZMethod = (typeof LOGZ_METHODS)[number];
export const AVAILABLE_LOGZ_METHODS: readonly LogZMethod[] = ['exact'];
